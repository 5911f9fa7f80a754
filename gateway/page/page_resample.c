/* page_resample - fax grid and width changes; see page_resample.h */
#include "gateway/page/page_resample.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/xalloc.h"

/* Box-filter output is black when more than 3/8 of it was black: a little
 * under half, so one-pixel strokes of a 300 dpi page survive at 200. */
#define PAGE_RESAMPLE_NUM 3
#define PAGE_RESAMPLE_DEN 8

int
page_resample_grid(int res)
{
    switch (res) {
    case 98:
    case 100:
        return 100;
    case 196:
    case 200:
    case 204:
        return 200;
    case 391:
    case 400:
    case 408:
        return 400;
    default:
        return res;
    }
}

static void
page_resample_alloc(struct page_bitmap *dst, const struct page_bitmap *src,
                    int w, int h)
{
    dst->width = w;
    dst->height = h;
    dst->stride = ((size_t)w + 7) / 8;
    dst->xres = src->xres;
    dst->yres = src->yres;
    dst->bits = xcalloc((size_t)h, dst->stride);
}

/* Receives one destination row of weighted black sums; full = all black.
 * Only sum[lo..hi] may be non-zero (lo > hi: a white row). */
typedef void (*page_resample_row_fn)(void *arg, int y, const uint64_t *sum,
                                     int lo, int hi, int dw, uint64_t full);

static void
page_resample_box(const struct page_bitmap *s, int dw, int dh,
                  page_resample_row_fn fn, void *arg)
{
    uint64_t sw = (uint64_t)s->width, sh = (uint64_t)s->height;
    uint32_t *acc = xcalloc((size_t)s->width, sizeof *acc);
    uint64_t *sum = xcalloc((size_t)dw + 1, sizeof *sum);
    /* shrinking: source column i gives w0[i] to k0[i] and the rest of its
     * dw to k0[i] + 1 (a source column spans at most two target columns) */
    bool shrink = (uint64_t)dw <= sw;
    uint32_t *k0 = shrink ? xmalloc(sw * sizeof *k0) : NULL;
    uint32_t *w0 = shrink ? xmalloc(sw * sizeof *w0) : NULL;

    for (uint64_t i = 0; shrink && i < sw; i++) {
        uint64_t x0 = i * (uint64_t)dw, k = x0 / sw, end = (k + 1) * sw;

        k0[i] = (uint32_t)k;
        w0[i] = (uint32_t)((end < x0 + (uint64_t)dw ? end : x0 + (uint64_t)dw) -
                           x0);
    }

    for (uint64_t j = 0; j < (uint64_t)dh; j++) {
        uint64_t y0 = j * sh, y1 = y0 + sh;
        int lo = s->width, hi = -1;

        for (uint64_t r = y0 / (uint64_t)dh; r * dh < y1 && r < sh; r++) {
            uint64_t a = r * dh > y0 ? r * dh : y0;
            uint64_t b = (r + 1) * dh < y1 ? (r + 1) * dh : y1;
            uint32_t oy = (uint32_t)(b - a);
            const unsigned char *row = s->bits + r * s->stride;

            for (size_t i = 0; i < s->stride; i++) {
                if (row[i] == 0)
                    continue;
                for (int bit = 0; bit < 8; bit++)
                    if (row[i] & (0x80 >> bit))
                        acc[i * 8 + (size_t)bit] += oy;
                lo = (int)(i * 8) < lo ? (int)(i * 8) : lo;
                hi = (int)(i * 8 + 7) > hi ? (int)(i * 8 + 7) : hi;
            }
        }
        if (hi >= s->width)
            hi = s->width - 1;
        for (int i = lo; i <= hi; i++) {
            uint64_t x0 = (uint64_t)i * dw, x1 = x0 + (uint64_t)dw;

            if (acc[i] == 0)
                continue;
            if (shrink) {
                sum[k0[i]] += (uint64_t)acc[i] * w0[i];
                sum[k0[i] + 1] += (uint64_t)acc[i] * ((uint32_t)dw - w0[i]);
                acc[i] = 0;
                continue;
            }
            for (uint64_t k = x0 / sw; k * sw < x1 && k < (uint64_t)dw; k++) {
                uint64_t a = k * sw > x0 ? k * sw : x0;
                uint64_t b = (k + 1) * sw < x1 ? (k + 1) * sw : x1;

                sum[k] += (uint64_t)acc[i] * (b - a);
            }
            acc[i] = 0;
        }
        {
            int klo = 0, khi = dw - 1;

            if (hi < lo)
                klo = dw, khi = -1;
            else if (shrink)
                klo = (int)k0[lo],
                khi = (int)k0[hi] + 1 < dw ? (int)k0[hi] + 1 : dw - 1;
            fn(arg, (int)j, sum, klo, khi, dw, sw * sh);
            if (khi >= klo)
                memset(sum + klo, 0, (size_t)(khi - klo + 1) * sizeof *sum);
        }
    }
    free(acc);
    free(sum);
    free(k0);
    free(w0);
}

static void
page_resample_bin_row(void *arg, int y, const uint64_t *sum, int lo, int hi,
                      int dw, uint64_t full)
{
    struct page_bitmap *d = arg;
    unsigned char *row = d->bits + (size_t)y * d->stride;
    uint64_t thr = full * PAGE_RESAMPLE_NUM / PAGE_RESAMPLE_DEN;

    (void)dw;
    for (int k = lo; k <= hi; k++)
        if (sum[k] > thr) /* sum * DEN > full * NUM */
            row[k / 8] |= (unsigned char)(0x80 >> (k % 8));
}

static void
page_resample_grey_row(void *arg, int y, const uint64_t *sum, int lo, int hi,
                       int dw, uint64_t full)
{
    (void)lo;
    (void)hi; /* sum is zero outside lo..hi: the loop below covers all */
    unsigned char *row = (unsigned char *)arg + (size_t)y * (size_t)dw;

    for (int k = 0; k < dw; k++)
        row[k] = (unsigned char)(255 - (sum[k] * 255 + full / 2) / full);
}

void
page_resample_scale(const struct page_bitmap *src, int dw, int dh,
                    struct page_bitmap *dst)
{
    page_resample_alloc(dst, src, dw, dh);
    if (dw == src->width && dh == src->height) {
        memcpy(dst->bits, src->bits, (size_t)dh * dst->stride);
    } else if (dw == src->width && dh == (src->height + 1) / 2) {
        for (int y = 0; y < dh; y++) {
            const unsigned char *a = src->bits + (size_t)(2 * y) * src->stride;
            const unsigned char *b =
                2 * y + 1 < src->height ? a + src->stride : a;
            unsigned char *d = dst->bits + (size_t)y * dst->stride;

            for (size_t i = 0; i < dst->stride; i++)
                d[i] = a[i] | b[i];
        }
    } else if (dw == src->width && dh == 2 * src->height) {
        for (int y = 0; y < dh; y++)
            memcpy(dst->bits + (size_t)y * dst->stride,
                   src->bits + (size_t)(y / 2) * src->stride, dst->stride);
    } else {
        page_resample_box(src, dw, dh, page_resample_bin_row, dst);
    }
}

void
page_resample_width(const struct page_bitmap *src, int width,
                    struct page_bitmap *dst)
{
    /* whole bytes, so rows move by memcpy; centred within 7 pixels */
    int shift = (width - src->width) / 2 / 8;
    size_t ds = ((size_t)width + 7) / 8;
    unsigned char mask = (unsigned char)(0xff << ((8 - width % 8) % 8));

    page_resample_alloc(dst, src, width, src->height);
    for (int y = 0; y < src->height; y++) {
        const unsigned char *s = src->bits + (size_t)y * src->stride;
        unsigned char *d = dst->bits + (size_t)y * ds;
        long from = shift < 0 ? -shift : 0, to = shift > 0 ? shift : 0;
        long n = (long)src->stride - from;

        if (n > (long)ds - to)
            n = (long)ds - to;
        if (n > 0)
            memcpy(d + to, s + from, (size_t)n);
        d[ds - 1] &= mask;
    }
}

unsigned char *
page_resample_grey(const struct page_bitmap *src, int dw, int dh)
{
    unsigned char *g = xmalloc((size_t)dw * (size_t)dh);

    page_resample_box(src, dw, dh, page_resample_grey_row, g);
    return g;
}
