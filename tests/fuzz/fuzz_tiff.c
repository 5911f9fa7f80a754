/* fuzz_tiff - libFuzzer target for the page module's TIFF reader
 * (gateway/page/page_tiff through page_tiff_read: libtiff, the G3/G4 codecs and
 * the JBIG T.85 decoder on hostile bytes), and its g4_only mode (PDF
 * passthrough). Seeds: tests/data/fuzz/fuzz_tiff/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "gateway/page/page_tiff.h"

#define FUZZ_TIFF_MAX_PIXELS (32u << 20) /* keep each run small and quick */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
fuzz_tiff_page(void *arg, struct page_bitmap *bm, const unsigned char *g4,
               size_t g4_len, struct errbuf *why)
{
    size_t *black = arg;

    (void)why;
    /* touch every byte: the decoder must have filled them all; a g4_only
     * read has no pixels, only the strip */
    for (size_t i = 0; bm->bits && i < (size_t)bm->height * bm->stride; i++)
        *black += bm->bits[i] != 0;
    for (size_t i = 0; bm->bits == NULL && i < g4_len; i++)
        *black += g4[i];
    free(bm->bits);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct page_source src;
    struct errbuf why;
    size_t black = 0;
    struct page_tiff_opts o = {FUZZ_TIFF_MAX_PIXELS, true, fuzz_tiff_page,
                               &black, false};

    (void)page_tiff_read(data, size, &o, &src, &why);
    o.g4_only = true; /* the PDF passthrough's reader on the same bytes */
    (void)page_tiff_read(data, size, &o, &src, &why);
    return 0;
}
