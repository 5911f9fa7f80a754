/* page_t4 - T.4 MR encoder; see page_t4.h */
#include "gateway/page/page_t4.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/xalloc.h"

#define PAGE_T4_EOL     0x001 /* 000000000001 */
#define PAGE_T4_EOL_LEN 12

struct page_t4_code {
    uint16_t code, len;
};

/* T.4 Table 1/2 and 3: index r < 64 is the terminating code of run r,
 * index 63 + m the make-up code of run 64 * m (m = 1..40; 1792-2560 shared) */
static const struct page_t4_code page_t4_white[104] = {
    {0x35, 8},  {0x7, 6},   {0x7, 4},   {0x8, 4},   {0xb, 4},   {0xc, 4},
    {0xe, 4},   {0xf, 4},   {0x13, 5},  {0x14, 5},  {0x7, 5},   {0x8, 5},
    {0x8, 6},   {0x3, 6},   {0x34, 6},  {0x35, 6},  {0x2a, 6},  {0x2b, 6},
    {0x27, 7},  {0xc, 7},   {0x8, 7},   {0x17, 7},  {0x3, 7},   {0x4, 7},
    {0x28, 7},  {0x2b, 7},  {0x13, 7},  {0x24, 7},  {0x18, 7},  {0x2, 8},
    {0x3, 8},   {0x1a, 8},  {0x1b, 8},  {0x12, 8},  {0x13, 8},  {0x14, 8},
    {0x15, 8},  {0x16, 8},  {0x17, 8},  {0x28, 8},  {0x29, 8},  {0x2a, 8},
    {0x2b, 8},  {0x2c, 8},  {0x2d, 8},  {0x4, 8},   {0x5, 8},   {0xa, 8},
    {0xb, 8},   {0x52, 8},  {0x53, 8},  {0x54, 8},  {0x55, 8},  {0x24, 8},
    {0x25, 8},  {0x58, 8},  {0x59, 8},  {0x5a, 8},  {0x5b, 8},  {0x4a, 8},
    {0x4b, 8},  {0x32, 8},  {0x33, 8},  {0x34, 8},  {0x1b, 5},  {0x12, 5},
    {0x17, 6},  {0x37, 7},  {0x36, 8},  {0x37, 8},  {0x64, 8},  {0x65, 8},
    {0x68, 8},  {0x67, 8},  {0xcc, 9},  {0xcd, 9},  {0xd2, 9},  {0xd3, 9},
    {0xd4, 9},  {0xd5, 9},  {0xd6, 9},  {0xd7, 9},  {0xd8, 9},  {0xd9, 9},
    {0xda, 9},  {0xdb, 9},  {0x98, 9},  {0x99, 9},  {0x9a, 9},  {0x18, 6},
    {0x9b, 9},  {0x8, 11},  {0xc, 11},  {0xd, 11},  {0x12, 12}, {0x13, 12},
    {0x14, 12}, {0x15, 12}, {0x16, 12}, {0x17, 12}, {0x1c, 12}, {0x1d, 12},
    {0x1e, 12}, {0x1f, 12},
};

static const struct page_t4_code page_t4_black[104] = {
    {0x37, 10}, {0x2, 3},   {0x3, 2},   {0x2, 2},   {0x3, 3},   {0x3, 4},
    {0x2, 4},   {0x3, 5},   {0x5, 6},   {0x4, 6},   {0x4, 7},   {0x5, 7},
    {0x7, 7},   {0x4, 8},   {0x7, 8},   {0x18, 9},  {0x17, 10}, {0x18, 10},
    {0x8, 10},  {0x67, 11}, {0x68, 11}, {0x6c, 11}, {0x37, 11}, {0x28, 11},
    {0x17, 11}, {0x18, 11}, {0xca, 12}, {0xcb, 12}, {0xcc, 12}, {0xcd, 12},
    {0x68, 12}, {0x69, 12}, {0x6a, 12}, {0x6b, 12}, {0xd2, 12}, {0xd3, 12},
    {0xd4, 12}, {0xd5, 12}, {0xd6, 12}, {0xd7, 12}, {0x6c, 12}, {0x6d, 12},
    {0xda, 12}, {0xdb, 12}, {0x54, 12}, {0x55, 12}, {0x56, 12}, {0x57, 12},
    {0x64, 12}, {0x65, 12}, {0x52, 12}, {0x53, 12}, {0x24, 12}, {0x37, 12},
    {0x38, 12}, {0x27, 12}, {0x28, 12}, {0x58, 12}, {0x59, 12}, {0x2b, 12},
    {0x2c, 12}, {0x5a, 12}, {0x66, 12}, {0x67, 12}, {0xf, 10},  {0xc8, 12},
    {0xc9, 12}, {0x5b, 12}, {0x33, 12}, {0x34, 12}, {0x35, 12}, {0x6c, 13},
    {0x6d, 13}, {0x4a, 13}, {0x4b, 13}, {0x4c, 13}, {0x4d, 13}, {0x72, 13},
    {0x73, 13}, {0x74, 13}, {0x75, 13}, {0x76, 13}, {0x77, 13}, {0x52, 13},
    {0x53, 13}, {0x54, 13}, {0x55, 13}, {0x5a, 13}, {0x5b, 13}, {0x64, 13},
    {0x65, 13}, {0x8, 11},  {0xc, 11},  {0xd, 11},  {0x12, 12}, {0x13, 12},
    {0x14, 12}, {0x15, 12}, {0x16, 12}, {0x17, 12}, {0x1c, 12}, {0x1d, 12},
    {0x1e, 12}, {0x1f, 12},
};

/* T.4 Table 4: pass, horizontal, and vertical modes for b1 - a1 = -3..3 */
static const struct page_t4_code page_t4_pass = {0x1, 4};  /* 0001 */
static const struct page_t4_code page_t4_horiz = {0x1, 3}; /* 001 */
static const struct page_t4_code page_t4_vert[7] = {
    {0x3, 7}, {0x3, 6}, {0x3, 3}, {0x1, 1}, {0x2, 3}, {0x2, 6}, {0x2, 7},
};

struct page_t4_bits {
    struct page_buf *out;
    uint32_t acc;
    int n; /* bits pending in acc, < 8 between calls */
    bool lsb_first;
    size_t used; /* bytes in buf */
    unsigned char buf[4096];
    unsigned char rev[256];
};

static void
page_t4_flush(struct page_t4_bits *w)
{
    page_buf_append(w->out, w->buf, w->used);
    w->used = 0;
}

static void
page_t4_put(struct page_t4_bits *w, uint32_t code, int len)
{
    w->acc = (w->acc << len) | code;
    w->n += len;
    while (w->n >= 8) {
        unsigned char b = (unsigned char)(w->acc >> (w->n - 8));

        if (w->used == sizeof w->buf)
            page_t4_flush(w);
        w->buf[w->used++] = w->lsb_first ? w->rev[b] : b;
        w->n -= 8;
    }
    w->acc &= (1u << w->n) - 1;
}

static void
page_t4_code(struct page_t4_bits *w, const struct page_t4_code *c)
{
    page_t4_put(w, c->code, c->len);
}

/* A run: 2560 make-ups while over 2623, one make-up, the terminating code
 * (the order libtiff's putspan() uses, so the output is the same). */
static void
page_t4_span(struct page_t4_bits *w, int span, const struct page_t4_code *tab)
{
    while (span >= 2624) {
        page_t4_code(w, &tab[63 + (2560 >> 6)]);
        span -= 2560;
    }
    if (span >= 64) {
        page_t4_code(w, &tab[63 + (span >> 6)]);
        span -= (span >> 6) << 6;
    }
    page_t4_code(w, &tab[span]);
}

/* First x >= from whose colour is not color, or w (bytes at a time;
 * padding bits past w are 0, hence the clamp). */
static int
page_t4_change(const unsigned char *row, int from, int w, int color)
{
    unsigned inv = color ? 0xffu : 0u;
    size_t i = (size_t)from >> 3, nbytes = ((size_t)w + 7) >> 3;
    unsigned b;
    int pos;

    if (from >= w)
        return w;
    b = ((row[i] ^ inv) & (0xffu >> (from & 7))) & 0xffu;
    if (b == 0) {
        uint64_t inv64 = color ? UINT64_MAX : 0;

        for (i++; i + 8 <= nbytes; i += 8) { /* long runs: 64 pixels a step */
            uint64_t v;

            memcpy(&v, row + i, sizeof v);
            if (v != inv64)
                break;
        }
        for (; i < nbytes && (b = (row[i] ^ inv) & 0xffu) == 0; i++)
            continue;
        if (i >= nbytes)
            return w;
    }
    pos = (int)(i * 8) + __builtin_clz(b) - 24;
    return pos < w ? pos : w;
}

/* EOL ending on a byte boundary (fill first), then the tag bit. */
static void
page_t4_eol(struct page_t4_bits *w, int tag)
{
    int free_bits = 8 - w->n;

    if (free_bits != 4)
        page_t4_put(w, 0, free_bits > 4 ? free_bits - 4 : free_bits + 4);
    page_t4_put(w, PAGE_T4_EOL, PAGE_T4_EOL_LEN);
    page_t4_put(w, (uint32_t)tag, 1);
}

/* The changing elements of a row (T.4 4.2.1.3.1): ch[k] is where the k-th
 * change of colour is, counting from an imaginary white pixel before the
 * row, so an even k turns black and an odd k white; the list ends with
 * width three times (the end and two sentinels). Each row is scanned once
 * and its list serves again as the next row's reference. */
static void
page_t4_changes(const unsigned char *row, int width, int *ch)
{
    int n = 0, x = 0;

    do {
        x = page_t4_change(row, x, width, n & 1);
        ch[n++] = x;
    } while (x < width);
    ch[n] = ch[n + 1] = width;
}

static void
page_t4_row_1d(struct page_t4_bits *w, const int *ch, int width)
{
    int prev = 0;

    for (int k = 0;; k++) {
        page_t4_span(w, ch[k] - prev, (k & 1) ? page_t4_black : page_t4_white);
        if ((prev = ch[k]) >= width)
            break;
    }
}

/* T.4 4.2.1.3.2 over the changing elements of the coding line (cur) and
 * the reference line (ref); a0 starts on an imaginary white element before
 * the line (-1). color is the colour of a0; b1 is the first element of ref
 * right of a0 that turns to the other colour, which is the parity check. */
static void
page_t4_row_2d(struct page_t4_bits *w, const int *cur, const int *ref,
               int width)
{
    int a0 = -1, color = 0, ka = 0, mb = 0;

    for (;;) {
        while (cur[ka] <= a0)
            ka++;
        while (ref[mb] <= a0)
            mb++;
        int m = mb + ((mb & 1) != color);
        int a1 = cur[ka], b1 = ref[m], b2 = ref[m + 1];

        if (b2 < a1) {
            page_t4_code(w, &page_t4_pass);
            a0 = b2;
        } else if (b1 - a1 >= -3 && b1 - a1 <= 3) {
            page_t4_code(w, &page_t4_vert[b1 - a1 + 3]);
            a0 = a1;
            color = !color;
        } else {
            int a2 = cur[ka + 1], from = a0 < 0 ? 0 : a0;

            page_t4_code(w, &page_t4_horiz);
            page_t4_span(w, a1 - from, color ? page_t4_black : page_t4_white);
            page_t4_span(w, a2 - a1, color ? page_t4_white : page_t4_black);
            a0 = a2;
        }
        if (a0 >= width)
            break;
    }
}

int
page_t4_kfactor(int yres)
{
    return yres < 150 ? 2 : yres < 250 ? 4 : yres < 350 ? 6 : 8;
}

void
page_t4_encode_mr(const struct page_bitmap *bm, int k, bool lsb_first,
                  struct page_buf *out)
{
    struct page_t4_bits w;
    int *cur = xmalloc(((size_t)bm->width + 3) * sizeof *cur);
    int *ref = xmalloc(((size_t)bm->width + 3) * sizeof *ref);
    int left = 0; /* 2-D lines still allowed before the next 1-D one */

    w.out = out;
    w.acc = 0;
    w.n = 0;
    w.lsb_first = lsb_first;
    w.used = 0;
    for (int i = 0; i < 256; i++) {
        unsigned char r = 0;

        for (int b = 0; b < 8; b++)
            r |= (unsigned char)(((i >> b) & 1) << (7 - b));
        w.rev[i] = r;
    }
    for (int y = 0; y < bm->height; y++) {
        int *t;

        page_t4_changes(bm->bits + (size_t)y * bm->stride, bm->width, cur);
        if (left == 0) {
            page_t4_eol(&w, 1);
            page_t4_row_1d(&w, cur, bm->width);
            left = k - 1;
        } else {
            page_t4_eol(&w, 0);
            page_t4_row_2d(&w, cur, ref, bm->width);
            left--;
        }
        t = ref, ref = cur, cur = t;
    }
    if (w.n > 0)
        page_t4_put(&w, 0, 8 - w.n);
    page_t4_flush(&w);
    free(cur);
    free(ref);
}
