/* fuzz_t85 - libFuzzer target: gateway/page/page_t85's BIE must be byte
 * for byte jbigkit's (jbg85 encoder, TPBON, MX 0) on any page; abort() on
 * the first difference. The input is a page description, not pixels, so
 * that mostly-white pages with runs, repeated lines and blank stripes (what
 * fax pages are) come as often as noise:
 *   bytes 0-1 width 1..5000 (1..300 if the top bit is set), 2-3 height
 *   1..600 (1..64 if the top bit is set), 4-5 L0 1..300 (big endian),
 *   then per row one control byte: copy the row above (typical
 *   prediction), a white row, a few black runs (start, length from the
 *   input), or raw input bytes thinned out by AND-ing with the next ones.
 * Past the end of the input every row is white. Seeds:
 * tests/data/fuzz/fuzz_t85/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/page/page.h"
#include "gateway/page/page_file.h"
#include "gateway/page/page_t85.h"

#include "../common/t85_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_t85_in {
    const uint8_t *p;
    size_t n, pos;
    size_t raw; /* the raw rows' own cursor, cycling over bytes 6.. */
};

static unsigned
fuzz_t85_byte(struct fuzz_t85_in *in)
{
    return in->pos < in->n ? in->p[in->pos++] : 0;
}

static unsigned
fuzz_t85_u16(struct fuzz_t85_in *in)
{
    unsigned hi = fuzz_t85_byte(in);

    return hi << 8 | fuzz_t85_byte(in);
}

/* 1..big, or 1..small when v's top bit is set */
static unsigned
fuzz_t85_size(unsigned v, unsigned big, unsigned small)
{
    return (v & 0x8000 ? (v & 0x7fff) % small : v % big) + 1;
}

static void
fuzz_t85_run(unsigned char *row, int w, unsigned x0, unsigned len)
{
    for (unsigned x = x0; x < x0 + len && x < (unsigned)w; x++)
        row[x / 8] |= (unsigned char)(0x80 >> (x % 8));
}

/* Row y of bm from the next bytes of in. */
static void
fuzz_t85_row(struct page_bitmap *bm, int y, struct fuzz_t85_in *in)
{
    unsigned char *row = bm->bits + (size_t)y * bm->stride;
    unsigned c = fuzz_t85_byte(in);

    switch (c % 4) {
    case 0: /* the row above, or white on the first */
        if (y > 0)
            memcpy(row, row - bm->stride, bm->stride);
        break;
    case 1: /* white */
        break;
    case 2: { /* 1..8 black runs of up to 255 << (c / 64) pixels */
        unsigned runs = (c >> 2) % 8 + 1;

        for (unsigned r = 0; r < runs; r++) {
            unsigned x0 = fuzz_t85_u16(in) % (unsigned)bm->width;

            fuzz_t85_run(row, bm->width, x0, fuzz_t85_byte(in) << (c / 64));
        }
        break;
    }
    default: /* raw bytes, denser or sparser: AND of 1..4 input bytes */
        for (size_t i = 0; i < bm->stride; i++) {
            unsigned b = 0xff;

            for (unsigned k = 0; k <= (c >> 2) % 4; k++)
                b &= in->n > 6 ? in->p[6 + in->raw++ % (in->n - 6)] : 0;
            row[i] = (unsigned char)b;
        }
        break;
    }
    if (bm->width % 8) /* padding bits are 0 (struct page_bitmap) */
        row[bm->stride - 1] &= (unsigned char)(0xff00 >> (bm->width % 8));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_t85_in in = {data, size, 0, 0};
    struct page_bitmap bm = {0};
    struct page_buf ref = {0}, ours = {0};
    unsigned long l0;
    size_t i = 0;

    /* half the pages small: several times the runs a second under ASan */
    bm.width = (int)fuzz_t85_size(fuzz_t85_u16(&in), 5000, 300);
    bm.height = (int)fuzz_t85_size(fuzz_t85_u16(&in), 600, 64);
    l0 = fuzz_t85_u16(&in) % 300 + 1;
    bm.stride = ((size_t)bm.width + 7) / 8;
    bm.bits = calloc((size_t)bm.height, bm.stride);
    if (bm.bits == NULL)
        abort();
    for (int y = 0; y < bm.height; y++)
        fuzz_t85_row(&bm, y, &in);
    t85_ref_encode(&bm, l0, &ref);
    page_t85_encode(&bm, l0, &ours);
    while (i < ref.len && i < ours.len && ref.p[i] == ours.p[i])
        i++;
    if (i < ref.len || i < ours.len) {
        fprintf(stderr,
                "fuzz_t85: %dx%d l0 %lu: BIE differs at byte %zu (jbigkit "
                "%zu bytes, page_t85 %zu)\n",
                bm.width, bm.height, l0, i, ref.len, ours.len);
        abort();
    }
    page_buf_release(&ref);
    page_buf_release(&ours);
    free(bm.bits);
    return 0;
}
