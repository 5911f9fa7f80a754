/* page - documents of fax pages; see page.h */
#include "gateway/page/page.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/page/page_file.h"
#include "gateway/page/page_pdf.h"
#include "gateway/page/page_png.h"
#include "gateway/page/page_resample.h"
#include "gateway/page/page_tiff.h"
#include "gateway/util/xalloc.h"

/* A width within 2 % over a standard one is cropped to it rather than padded
 * to the next paper size (scanners overshoot 215 mm a little). */
#define PAGE_WIDTH_SLACK 50 /* tolerance: 1/50 of the standard width */

struct page_doc {
    struct page_bitmap *pages;
    unsigned char *
        *g4; /* per page: its MMR data as loaded, MSB first, or NULL */
    size_t *g4_len;
    int n, cap;
    struct page_source src;
};

static const int page_widths[3][3] = {
    {1728, 2048, 2432}, /* 200 (8 pels/mm) */
    {2592, 3072, 3648}, /* 300 */
    {3456, 4096, 4864}, /* 400, 408 */
};
static const char *const page_paper_names[] = {"A4", "B4", "A3", "letter",
                                               "legal"};

struct page_doc *
page_doc_new(void)
{
    return xcalloc(1, sizeof(struct page_doc));
}

void
page_doc_free(struct page_doc *doc)
{
    if (doc == NULL)
        return;
    for (int i = 0; i < doc->n; i++) {
        free(doc->pages[i].bits);
        free(doc->g4[i]);
    }
    free(doc->pages);
    free(doc->g4);
    free(doc->g4_len);
    free(doc);
}

/* Take bm (its bits now belong to doc) and a copy of g4. */
static int
page_doc_take(struct page_doc *doc, struct page_bitmap *bm,
              const unsigned char *g4, size_t g4_len, struct errbuf *why)
{
    if (doc->n >= PAGE_MAX_PAGES)
        return errbuf_set(why, ERR_PERM, "5.6.0", "over %d pages",
                          PAGE_MAX_PAGES);
    if (doc->n == doc->cap) {
        doc->cap = doc->cap ? doc->cap * 2 : 8;
        doc->pages =
            xrealloc(doc->pages, (size_t)doc->cap * sizeof *doc->pages);
        doc->g4 = xrealloc(doc->g4, (size_t)doc->cap * sizeof *doc->g4);
        doc->g4_len =
            xrealloc(doc->g4_len, (size_t)doc->cap * sizeof *doc->g4_len);
    }
    doc->pages[doc->n] = *bm;
    doc->g4[doc->n] = NULL;
    doc->g4_len[doc->n] = 0;
    if (g4 != NULL && g4_len > 0) {
        doc->g4[doc->n] = xmalloc(g4_len);
        memcpy(doc->g4[doc->n], g4, g4_len);
        doc->g4_len[doc->n] = g4_len;
    }
    doc->n++;
    doc->src.pages = doc->n;
    return 0;
}

int
page_doc_add(struct page_doc *doc, const unsigned char *bits, int width,
             int height, size_t stride, int xres, int yres, struct errbuf *why)
{
    struct page_bitmap bm = {NULL, width, height, ((size_t)width + 7) / 8,
                             xres, yres};
    unsigned char mask = (unsigned char)(0xff << ((8 - width % 8) % 8));

    if (width <= 0 || height <= 0 || width > PAGE_MAX_WIDTH ||
        height > PAGE_MAX_HEIGHT || stride < bm.stride || xres <= 0 ||
        yres <= 0 || xres > 10000 || yres > 10000)
        return errbuf_set(why, ERR_PERM, "5.6.0",
                          "page %d: bad bitmap %dx%d stride %zu at %dx%d",
                          doc->n + 1, width, height, stride, xres, yres);
    bm.bits = xmalloc((size_t)height * bm.stride);
    for (int y = 0; y < height; y++) {
        unsigned char *d = bm.bits + (size_t)y * bm.stride;

        memcpy(d, bits + (size_t)y * stride, bm.stride);
        d[bm.stride - 1] &= mask;
    }
    if (doc->n == 0) {
        doc->src.fmt.xres = xres;
        doc->src.fmt.yres = yres;
        doc->src.fmt.width = width;
    }
    if (page_doc_take(doc, &bm, NULL, 0, why) == -1) {
        free(bm.bits);
        return -1;
    }
    return 0;
}

static int
page_doc_on_page(void *arg, struct page_bitmap *bm, const unsigned char *g4,
                 size_t g4_len, struct errbuf *why)
{
    return page_doc_take(arg, bm, g4, g4_len, why);
}

static int
page_doc_load_opts(const void *data, size_t len, bool keep_g4,
                   struct page_doc **doc, struct errbuf *why)
{
    struct page_doc *d = page_doc_new();
    struct page_tiff_opts o = {PAGE_MAX_PIXELS, keep_g4, page_doc_on_page, d,
                               false};
    struct page_source src;

    *doc = NULL;
    if (page_tiff_read(data, len, &o, &src, why) == -1) {
        page_doc_free(d);
        return -1;
    }
    d->src = src;
    *doc = d;
    return 0;
}

int
page_doc_load_mem(const void *data, size_t len, struct page_doc **doc,
                  struct errbuf *why)
{
    return page_doc_load_opts(data, len, true, doc, why);
}

/* keep_g4: also keep single-strip G4 data, for PDF passthrough */
static int
page_doc_load_file(const char *path, bool keep_g4, struct page_doc **doc,
                   struct errbuf *why)
{
    struct page_buf b;
    int rc;

    *doc = NULL;
    if (page_file_read(path, PAGE_MAX_FILE, &b, why) == -1)
        return -1;
    rc = page_doc_load_opts(b.p, b.len, keep_g4, doc, why);
    page_buf_release(&b);
    if (rc == -1)
        errbuf_prefix(why, "%s", path);
    return rc;
}

int
page_doc_load(const char *path, struct page_doc **doc, struct errbuf *why)
{
    return page_doc_load_file(path, true, doc, why);
}

int
page_doc_count(const struct page_doc *doc)
{
    return doc->n;
}

const struct page_bitmap *
page_doc_page(const struct page_doc *doc, int i)
{
    return i >= 0 && i < doc->n ? &doc->pages[i] : NULL;
}

void
page_doc_source(const struct page_doc *doc, struct page_source *src)
{
    *src = doc->src;
}

/* ---- formats ---- */

static int
page_family(int xres)
{
    int g = page_resample_grid(xres);

    return g == 200 ? 0 : g == 300 ? 1 : g == 400 ? 2 : -1;
}

/* Width after scaling w pixels from grid gx_in to gx_out. */
static int
page_scaled(int w, int gin, int gout)
{
    return (int)(((int64_t)w * gout + gin / 2) / gin);
}

int
page_standard_width(int w, int xres, enum page_paper *paper)
{
    int f = page_family(xres);

    if (f < 0)
        return w;
    for (int i = 0; i < 3; i++) {
        int std = page_widths[f][i];

        if (w <= std + std / PAGE_WIDTH_SLACK || i == 2) {
            *paper = (enum page_paper)i;
            return std;
        }
    }
    return w;
}

void
page_format_resolve(const struct page_doc *doc, const struct page_format *want,
                    struct page_format *out)
{
    const struct page_bitmap *p0 = doc->n > 0 ? &doc->pages[0] : NULL;
    int sx = p0 ? p0->xres : 204, sy = p0 ? p0->yres : 196;
    int sw = p0 ? p0->width : 1728;

    *out = *want;
    if (out->coding == PAGE_CODING_NONE)
        out->coding = PAGE_CODING_MMR;
    if (out->profile_s) {
        bool inch = (out->xres ? out->xres : sx) == 200;
        int gy = page_resample_grid(out->yres ? out->yres : sy);

        out->coding = PAGE_CODING_MH;
        out->xres = inch ? 200 : 204;
        out->yres = gy > 100 ? (inch ? 200 : 196) : (inch ? 100 : 98);
        out->width = 1728;
        out->paper = PAGE_PAPER_A4;
        return;
    }
    if (out->xres == 0)
        out->xres = sx;
    if (out->yres == 0)
        out->yres = sy;
    if (out->width == 0) {
        int w = page_scaled(sw, page_resample_grid(sx),
                            page_resample_grid(out->xres));

        out->paper = PAGE_PAPER_A4;
        out->width = page_standard_width(w, out->xres, &out->paper);
    } else {
        enum page_paper paper = PAGE_PAPER_A4;

        if (page_standard_width(out->width, out->xres, &paper) == out->width &&
            (out->paper < PAGE_PAPER_LETTER || paper != PAGE_PAPER_A4))
            out->paper = paper;
    }
}

/* ---- transform ---- */

/* d = s in format f: 1; 0 (d untouched) when only the labels change; -1
 * when the result would pass the size limits. */
static int
page_transform_one(const struct page_bitmap *s, const struct page_format *f,
                   struct page_bitmap *d)
{
    int gxi = page_resample_grid(s->xres), gxo = page_resample_grid(f->xres);
    int gyi = page_resample_grid(s->yres), gyo = page_resample_grid(f->yres);
    int dw = gxi == gxo ? s->width : page_scaled(s->width, gxi, gxo);
    int dh = gyi == gyo ? s->height : page_scaled(s->height, gyi, gyo);
    struct page_bitmap tmp;

    if (dw < 1)
        dw = 1;
    if (dh < 1)
        dh = 1;
    if (dw > PAGE_MAX_WIDTH || dh > PAGE_MAX_HEIGHT)
        return -1;
    if (dw == s->width && dh == s->height && (f->width <= 0 || f->width == dw))
        return 0;
    page_resample_scale(s, dw, dh, &tmp);
    if (f->width > 0 && f->width != dw) {
        page_resample_width(&tmp, f->width, d);
        free(tmp.bits);
    } else {
        *d = tmp;
    }
    d->xres = f->xres;
    d->yres = f->yres;
    return 1;
}

static int
page_format_check(const struct page_format *f, struct errbuf *why)
{
    if (f->xres <= 0 || f->yres <= 0 || f->xres > 10000 || f->yres > 10000 ||
        f->width < 0 || f->width > PAGE_MAX_WIDTH)
        return errbuf_set(why, ERR_PERM, "5.6.3", "bad target %dx%d width %d",
                          f->xres, f->yres, f->width);
    return 0;
}

/* Transform the pages of a document we own where they are. */
static int
page_doc_transform_self(struct page_doc *doc, const struct page_format *f,
                        struct errbuf *why)
{
    for (int i = 0; i < doc->n; i++) {
        struct page_bitmap *p = &doc->pages[i], bm;
        int rc = page_transform_one(p, f, &bm);

        if (rc == -1)
            return errbuf_set(why, ERR_PERM, "5.6.3",
                              "page %d: too large at %dx%d", i + 1, f->xres,
                              f->yres);
        if (rc == 0) {
            p->xres = f->xres;
            p->yres = f->yres;
            continue;
        }
        free(p->bits);
        *p = bm;
        free(doc->g4[i]);
        doc->g4[i] = NULL;
        doc->g4_len[i] = 0;
    }
    return 0;
}

int
page_doc_transform(const struct page_doc *src, const struct page_format *out,
                   struct page_doc **dst, struct errbuf *why)
{
    struct page_format f;
    struct page_doc *d;

    *dst = NULL;
    page_format_resolve(src, out, &f);
    if (page_format_check(&f, why) == -1)
        return -1;
    d = page_doc_new();
    for (int i = 0; i < src->n; i++) {
        const struct page_bitmap *s = &src->pages[i];
        struct page_bitmap bm;
        int rc = page_transform_one(s, &f, &bm);

        if (rc == -1) {
            page_doc_free(d);
            return errbuf_set(why, ERR_PERM, "5.6.3",
                              "page %d: too large at %dx%d", i + 1, f.xres,
                              f.yres);
        }
        if (rc == 0) {
            bm = *s;
            bm.bits = xmalloc((size_t)s->height * s->stride);
            memcpy(bm.bits, s->bits, (size_t)s->height * s->stride);
            bm.xres = f.xres;
            bm.yres = f.yres;
        }
        (void)page_doc_take(d, &bm, rc == 0 ? src->g4[i] : NULL,
                            rc == 0 ? src->g4_len[i] : 0, why);
    }
    d->src = src->src;
    *dst = d;
    return 0;
}

int
page_doc_add_format(struct page_doc *doc, const struct page_bitmap *bm,
                    const struct page_format *f, struct errbuf *why)
{
    struct page_bitmap out;
    int rc;

    if (page_format_check(f, why) == -1)
        return -1;
    rc = page_transform_one(bm, f, &out);
    if (rc == -1)
        return errbuf_set(why, ERR_PERM, "5.6.3",
                          "page %d: too large at %dx%d", doc->n + 1, f->xres,
                          f->yres);
    if (rc == 0)
        return page_doc_add(doc, bm->bits, bm->width, bm->height, bm->stride,
                            f->xres, f->yres, why);
    if (page_doc_take(doc, &out, NULL, 0, why) == -1) {
        free(out.bits);
        return -1;
    }
    return 0;
}

/* ---- output ---- */

int
page_doc_write_tiff(const struct page_doc *doc, const struct page_format *fmt,
                    const char *path, struct errbuf *why)
{
    struct page_buf out = {NULL, 0, 0};
    int rc;

    if (doc->n == 0)
        return errbuf_set(why, ERR_PERM, "5.6.0", "%s: no pages", path);
    if (fmt->profile_s)
        for (int i = 0; i < doc->n; i++)
            if (doc->pages[i].width != 1728 ||
                page_resample_grid(doc->pages[i].xres) != 200 ||
                page_resample_grid(doc->pages[i].yres) > 200)
                return errbuf_set(why, ERR_PERM, "5.6.3",
                                  "page %d: %dx%d at %dx%d is not profile S",
                                  i + 1, doc->pages[i].width,
                                  doc->pages[i].height, doc->pages[i].xres,
                                  doc->pages[i].yres);
    rc = page_tiff_write(doc->pages, doc->n, fmt, &out, why);
    if (rc == 0)
        rc = page_file_write(path, out.p, out.len, false, why);
    page_buf_release(&out);
    return rc;
}

int
page_doc_write_pdf(const struct page_doc *doc, const char *path,
                   struct errbuf *why)
{
    struct page_buf out = {NULL, 0, 0};
    int rc;

    if (doc->n == 0)
        return errbuf_set(why, ERR_PERM, "5.6.0", "%s: no pages", path);
    rc = page_pdf_write(doc->pages, (const unsigned char *const *)doc->g4,
                        doc->g4_len, doc->n, &out, why);
    if (rc == 0)
        rc = page_file_write(path, out.p, out.len, false, why);
    page_buf_release(&out);
    return rc;
}

int
page_doc_pdf_mem(const struct page_doc *doc, unsigned char **pdf, size_t *len,
                 struct errbuf *why)
{
    struct page_buf out = {NULL, 0, 0};

    if (doc->n == 0)
        return errbuf_set(why, ERR_PERM, "5.6.0", "no pages");
    if (page_pdf_write(doc->pages, (const unsigned char *const *)doc->g4,
                       doc->g4_len, doc->n, &out, why) != 0) {
        page_buf_release(&out);
        return -1;
    }
    *pdf = out.p; /* handed over: not released */
    *len = out.len;
    return 0;
}

/* The PDF from the G4 strips alone when every page is single-strip G4
 * (what the queue stores): the PDF carries the same G4 data, so the pixels
 * need not be decoded. 1 when some page is not G4. */
static int
page_pdf_passthrough(const struct page_buf *b, const char *dst,
                     struct errbuf *why)
{
    struct page_doc *d = page_doc_new();
    struct page_tiff_opts o = {PAGE_MAX_PIXELS, true, page_doc_on_page, d,
                               true};
    struct page_source src;
    int rc = page_tiff_read(b->p, b->len, &o, &src, why);

    if (rc == 0)
        rc = page_doc_write_pdf(d, dst, why);
    page_doc_free(d); /* its pages have no pixels: never let it out */
    return rc;
}

int
page_thumbnail_png_mem(const struct page_doc *doc, int i, int max_width,
                       unsigned char **png, size_t *len, struct errbuf *why)
{
    const struct page_bitmap *bm = page_doc_page(doc, i);
    struct page_buf out = {NULL, 0, 0};
    unsigned char *grey;
    int dw, dh, rc;

    *png = NULL; /* defined on every path (the error path too) */
    *len = 0;
    if (bm == NULL)
        return errbuf_set(why, ERR_PERM, "5.6.0", "no page %d", i + 1);
    if (max_width < 1)
        max_width = 1;
    dw = bm->width < max_width ? bm->width : max_width;
    dh = (int)(((int64_t)bm->height * dw * bm->xres +
                (int64_t)bm->width * bm->yres / 2) /
               ((int64_t)bm->width * bm->yres));
    if (dh < 1)
        dh = 1;
    if (dh > PAGE_MAX_HEIGHT)
        dh = PAGE_MAX_HEIGHT;
    grey = page_resample_grey(bm, dw, dh);
    rc = page_png_write(grey, dw, dh, &out, why);
    free(grey);
    if (rc != 0) {
        page_buf_release(&out);
        return -1;
    }
    *png = out.p; /* the buffer passes to the caller */
    *len = out.len;
    return 0;
}

int
page_thumbnail_png(const struct page_doc *doc, int i, int max_width,
                   const char *dst_path, struct errbuf *why)
{
    unsigned char *png;
    size_t len;
    int rc;

    if (page_thumbnail_png_mem(doc, i, max_width, &png, &len, why) == -1)
        return -1;
    rc = page_file_write(dst_path, png, len, false, why);
    free(png);
    return rc;
}

int
page_convert(const char *src_path, const struct page_format *out,
             const char *dst_path, struct errbuf *why)
{
    struct page_doc *in = NULL;
    struct page_format f;
    int rc = -1;

    if (page_doc_load_file(src_path, false, &in, why) == -1)
        return -1;
    page_format_resolve(in, out, &f);
    if (page_format_check(&f, why) == 0 &&
        page_doc_transform_self(in, &f, why) == 0)
        rc = page_doc_write_tiff(in, &f, dst_path, why);
    page_doc_free(in);
    return rc;
}

int
page_convert_pdf(const char *src_path, const char *dst_path, struct errbuf *why)
{
    struct page_doc *in = NULL;
    struct page_buf b;
    int rc;

    if (page_file_read(src_path, PAGE_MAX_FILE, &b, why) == -1)
        return -1;
    rc = page_pdf_passthrough(&b, dst_path, why);
    if (rc == 1) {
        rc = page_doc_load_opts(b.p, b.len, true, &in, why);
        if (rc == 0)
            rc = page_doc_write_pdf(in, dst_path, why);
        page_doc_free(in);
    }
    page_buf_release(&b);
    if (rc == -1)
        errbuf_prefix(why, "%s", src_path);
    return rc;
}

/* ---- descriptions ---- */

static const char *
page_paper_name(enum page_paper p)
{
    return (unsigned)p < 5 ? page_paper_names[p] : "A4";
}

int
page_format_features(const struct page_format *f, char *buf, size_t n)
{
    char ratio[32];
    int len;

    if (f->xres == f->yres)
        (void)snprintf(ratio, sizeof ratio, "1");
    else
        (void)snprintf(ratio, sizeof ratio, "%d/%d", f->xres, f->yres);
    len = snprintf(
        buf, n,
        "(& (image-file-structure=%s) (MRC-mode=0) (color=Binary) "
        "(image-coding=%s)%s (dpi=%d) (dpi-xyratio=%s) (size-x=%d/%d) "
        "(paper-size=%s))",
        f->profile_s ? "TIFF-minimal" : "TIFF-limited",
        page_coding_name(f->profile_s ? PAGE_CODING_MH : f->coding),
        f->coding == PAGE_CODING_JBIG && !f->profile_s
            ? " (image-coding-constraint=JBIG-T85) (JBIG-stripe-size=128)"
            : "",
        f->xres, ratio, f->width, f->xres, page_paper_name(f->paper));
    return len < 0 || (size_t)len >= n ? -1 : len;
}

int
page_format_filename(const struct page_format *f, char *buf, size_t n)
{
    enum page_coding c = f->profile_s ? PAGE_CODING_MH : f->coding;
    int len = snprintf(buf, n, "out-%s-%s-%dx%d-%d.tif",
                       f->profile_s            ? "S"
                       : c == PAGE_CODING_JBIG ? "J"
                                               : "F",
                       page_coding_name(c), f->xres, f->yres, f->width);

    return len < 0 || (size_t)len >= n ? -1 : len;
}
