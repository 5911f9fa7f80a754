/* docimport - documents from other fax systems; contract in docimport.h */
#include "gateway/intake/docimport.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/intake/psraster.h"
#include "gateway/page/page_file.h"
#include "gateway/page/page_png.h"
#include "gateway/page/page_resample.h"
#include "gateway/util/xalloc.h"

#define DOCIMPORT_SLACK 50 /* a label within 1/50 (2 %) of a fax one is it */
#define DOCIMPORT_PDF_HEAD 1024 /* "%PDF-" may follow junk this far (PDF 7.5.2) */

const char *
docimport_kind_name(enum docimport_kind k)
{
    static const char *const names[] = {"unknown", "tiff", "pdf",
                                        "postscript", "pbm", "png"};

    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

static bool
docimport_pbm_magic(const unsigned char *d, size_t len)
{
    return len >= 3 && d[0] == 'P' && (d[1] == '1' || d[1] == '4') &&
           strchr(" \t\r\n#", d[2]) != NULL && d[2] != '\0';
}

enum docimport_kind
docimport_sniff(const unsigned char *d, size_t len)
{
    size_t head = len < DOCIMPORT_PDF_HEAD ? len : DOCIMPORT_PDF_HEAD;

    if (len >= 4 && (memcmp(d, "II*\0", 4) == 0 || memcmp(d, "MM\0*", 4) == 0))
        return DOCIMPORT_TIFF;
    if (len >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
        return DOCIMPORT_PNG;
    if (docimport_pbm_magic(d, len))
        return DOCIMPORT_PBM;
    if ((len >= 2 && memcmp(d, "%!", 2) == 0) ||
        (len >= 4 && memcmp(d, "\xc5\xd0\xd3\xc6", 4) == 0)) /* DOS EPS */
        return DOCIMPORT_PS;
    for (size_t i = 0; i + 5 <= head; i++)
        if (memcmp(d + i, "%PDF-", 5) == 0)
            return DOCIMPORT_PDF;
    return DOCIMPORT_UNKNOWN;
}

/* ---- fax grid ---- */

/* r snapped to the nearest of the labels within 2 %, or r itself. */
static int
docimport_snap(int r, const int *labels, size_t n)
{
    int best = r, bestd = INT32_MAX;

    for (size_t i = 0; i < n; i++) {
        int d = abs(r - labels[i]);

        if (d * DOCIMPORT_SLACK <= labels[i] && d < bestd) {
            best = labels[i];
            bestd = d;
        }
    }
    return best;
}

/* The fax labels a resolution snaps to (within 2 %). */
static const int docimport_xs[] = {200, 204, 300, 400, 408};
static const int docimport_ys[] = {98, 100, 196, 200, 300, 391, 400};

static void
docimport_snap_res(int *xres, int *yres)
{
    *xres = docimport_snap(*xres, docimport_xs,
                           sizeof docimport_xs / sizeof docimport_xs[0]);
    *yres = docimport_snap(*yres, docimport_ys,
                           sizeof docimport_ys / sizeof docimport_ys[0]);
}

static bool
docimport_fax_pair(int xres, int yres)
{
    int gx = page_resample_grid(xres), gy = page_resample_grid(yres);

    return (gx == 200 && (gy == 100 || gy == 200 || gy == 400)) ||
           (gx == 300 && gy == 300) || (gx == 400 && gy == 400);
}

void
docimport_target(int xres, int yres, int width, struct page_format *out)
{
    /* the fax resolutions a page of another resolution may go to */
    static const int near[][2] = {
        {204, 98}, {204, 196}, {204, 391}, {300, 300}, {400, 400}};
    int sx = xres, sy = yres;
    int w = width;

    docimport_snap_res(&sx, &sy);
    memset(out, 0, sizeof *out);
    out->coding = PAGE_CODING_MMR;
    if (docimport_fax_pair(sx, sy)) {
        out->xres = sx;
        out->yres = sy;
    } else {
        double best = 1e9;

        for (size_t i = 0; i < sizeof near / sizeof near[0]; i++) {
            double d = fabs(log((double)xres / near[i][0])) +
                       fabs(log((double)yres / near[i][1]));

            if (d < best - 1e-9) {
                best = d;
                out->xres = near[i][0];
                out->yres = near[i][1];
            }
        }
        w = (int)(((int64_t)width * page_resample_grid(out->xres) +
                   xres / 2) / xres);
    }
    out->paper = PAGE_PAPER_A4;
    out->width = page_standard_width(w, out->xres, &out->paper);
}

/* Total bitmap bytes of doc: bounded by PAGE_MAX_PIXELS like one file. */
static size_t
docimport_bytes(const struct page_doc *doc)
{
    size_t sum = 0;

    for (int i = 0; i < page_doc_count(doc); i++) {
        const struct page_bitmap *p = page_doc_page(doc, i);

        sum += (size_t)p->height * p->stride;
    }
    return sum;
}

/* Append bm normalised; count what changed. */
static int
docimport_page(struct page_doc *doc, const struct page_bitmap *bm,
               struct docimport_file *info, struct errbuf *why)
{
    struct page_format f;
    struct page_bitmap lab = *bm;

    /* a label near a fax one (203, 197: centimetre rounding) is that one:
     * relabelled, not resampled */
    docimport_snap_res(&lab.xres, &lab.yres);
    docimport_target(lab.xres, lab.yres, lab.width, &f);
    if (docimport_bytes(doc) + (size_t)bm->height * bm->stride >
        PAGE_MAX_PIXELS)
        return errbuf_set(why, ERR_PERM, "5.6.0",
                          "page %d: over %lu bitmap bytes in all",
                          page_doc_count(doc) + 1, PAGE_MAX_PIXELS);
    if (page_resample_grid(f.xres) != page_resample_grid(lab.xres) ||
        page_resample_grid(f.yres) != page_resample_grid(lab.yres))
        info->resampled++;
    else if (f.width != lab.width)
        info->rewidthed++;
    if (page_doc_add_format(doc, &lab, &f, why) == -1)
        return -1;
    info->pages++;
    return 0;
}

/* A landscape page rendered from PDF/PostScript, turned a quarter
 * counter-clockwise (its top to the left edge, as printers turn it), so it
 * fits the fax width instead of needing B4 or A3 (which profile S
 * recipients would get cropped). x and y swap with their resolutions. */
static void
docimport_turn(const struct page_bitmap *s, struct page_bitmap *d)
{
    d->width = s->height;
    d->height = s->width;
    d->stride = ((size_t)d->width + 7) / 8;
    d->xres = s->yres;
    d->yres = s->xres;
    d->bits = xcalloc((size_t)d->height, d->stride);
    for (int y = 0; y < s->height; y++) {
        const unsigned char *row = s->bits + (size_t)y * s->stride;

        for (int x = 0; x < s->width; x++)
            if (row[x >> 3] & (0x80 >> (x & 7)))
                d->bits[(size_t)(s->width - 1 - x) * d->stride + (y >> 3)] |=
                    (unsigned char)(0x80 >> (y & 7));
    }
}

/* Wider than tall on paper, and wider than the fax width takes. */
static bool
docimport_landscape(const struct page_bitmap *p)
{
    return (int64_t)p->width * p->yres > (int64_t)p->height * p->xres &&
           p->width > 1728 + 1728 / DOCIMPORT_SLACK;
}

/* Every page of a loaded document (TIFF, rendered PDF/PS) into doc;
 * rendered landscape pages turned. */
static int
docimport_doc(struct page_doc *doc, const struct page_doc *in, bool rendered,
              struct docimport_file *info, struct errbuf *why)
{
    for (int i = 0; i < page_doc_count(in); i++) {
        const struct page_bitmap *p = page_doc_page(in, i);
        struct page_bitmap turned = {0};
        int rc;

        if (rendered && docimport_landscape(p)) {
            docimport_turn(p, &turned);
            info->turned++;
            p = &turned;
        }
        rc = docimport_page(doc, p, info, why);
        free(turned.bits);
        if (rc == -1)
            return errbuf_prefix(why, "page %d", i + 1);
    }
    return 0;
}

/* An image without a resolution: fine if it fits 1728, else A4 wide. */
static void
docimport_guess_res(struct page_bitmap *bm)
{
    if (bm->xres > 0 && bm->yres > 0)
        return;
    if (bm->width <= 1728 + 1728 / DOCIMPORT_SLACK) {
        bm->xres = 204;
        bm->yres = 196;
    } else {
        bm->xres = bm->yres = (int)lround(bm->width * 25.4 / 210.0);
    }
}

/* ---- PBM ---- */

/* The next header number of a PBM at *off (whitespace and comments
 * skipped); -1 when there is none or it is over max. */
static long
docimport_pbm_num(const unsigned char *d, size_t len, size_t *off, long max)
{
    long v = 0;
    size_t i = *off;
    bool any = false;

    while (i < len && (strchr(" \t\r\n", d[i]) != NULL || d[i] == '#')) {
        if (d[i] == '#')
            while (i < len && d[i] != '\n')
                i++;
        else
            i++;
    }
    while (i < len && d[i] >= '0' && d[i] <= '9') {
        v = v * 10 + (d[i++] - '0');
        any = true;
        if (v > max)
            return -1;
    }
    *off = i;
    return any ? v : -1;
}

/* One PBM image at *off into bm (bits allocated); *off past it. */
static int
docimport_pbm_one(const unsigned char *d, size_t len, size_t *off,
                  struct page_bitmap *bm, struct errbuf *why)
{
    bool plain = d[*off + 1] == '1';
    size_t i = *off + 2;
    long w = docimport_pbm_num(d, len, &i, PAGE_MAX_WIDTH);
    long h = w > 0 ? docimport_pbm_num(d, len, &i, PAGE_MAX_HEIGHT) : -1;

    memset(bm, 0, sizeof *bm);
    if (w <= 0 || h <= 0)
        return errbuf_set(why, ERR_PERM, "5.6.0",
                          "PBM: bad header (size over %dx%d?)",
                          PAGE_MAX_WIDTH, PAGE_MAX_HEIGHT);
    bm->width = (int)w;
    bm->height = (int)h;
    bm->stride = ((size_t)w + 7) / 8;
    if (!plain) { /* one whitespace byte, then rows of stride bytes */
        size_t need = bm->stride * (size_t)h;

        if (i >= len || len - i - 1 < need)
            return errbuf_set(why, ERR_PERM, "5.6.0",
                              "PBM: truncated (%zu of %zu raster bytes)",
                              i < len ? len - i - 1 : 0, need);
        bm->bits = xmalloc(need);
        memcpy(bm->bits, d + i + 1, need);
        *off = i + 1 + need;
    } else {
        bm->bits = xcalloc((size_t)h, bm->stride);
        for (long p = 0; p < w * h; p++) {
            while (i < len && strchr(" \t\r\n", d[i]) != NULL && d[i])
                i++;
            if (i >= len || (d[i] != '0' && d[i] != '1')) {
                free(bm->bits);
                bm->bits = NULL;
                return errbuf_set(why, ERR_PERM, "5.6.0",
                                  "PBM: truncated or bad pixel at %ld", p);
            }
            if (d[i++] == '1')
                bm->bits[(size_t)(p / w) * bm->stride + (size_t)(p % w) / 8] |=
                    (unsigned char)(0x80 >> (p % w % 8));
        }
        *off = i;
    }
    /* padding bits past the width are 0 (page.h) */
    if (w % 8)
        for (long y = 0; y < h; y++)
            bm->bits[(size_t)y * bm->stride + bm->stride - 1] &=
                (unsigned char)(0xff << (8 - w % 8));
    return 0;
}

static int
docimport_pbm(struct page_doc *doc, const unsigned char *d, size_t len,
              struct docimport_file *info, struct errbuf *why)
{
    size_t off = 0;

    for (int n = 1;; n++) {
        struct page_bitmap bm;
        int rc;

        if (docimport_pbm_one(d, len, &off, &bm, why) == -1)
            return errbuf_prefix(why, "page %d", n);
        docimport_guess_res(&bm);
        rc = docimport_page(doc, &bm, info, why);
        free(bm.bits);
        if (rc == -1)
            return errbuf_prefix(why, "page %d", n);
        while (off < len && strchr(" \t\r\n", d[off]) != NULL && d[off])
            off++;
        if (off >= len)
            return 0;
        if (!docimport_pbm_magic(d + off, len - off))
            return errbuf_set(why, ERR_PERM, "5.6.0",
                              "PBM: data after image %d is not an image", n);
    }
}

/* ---- the file ---- */

static int
docimport_png(struct page_doc *doc, const unsigned char *d, size_t len,
              struct docimport_file *info, struct errbuf *why)
{
    struct page_bitmap bm;
    int rc;

    if (page_png_read(d, len, &bm, why) == -1)
        return -1;
    docimport_guess_res(&bm);
    rc = docimport_page(doc, &bm, info, why);
    free(bm.bits);
    return rc;
}

static int
docimport_loaded(struct page_doc *doc, struct page_doc *in, bool rendered,
                 struct docimport_file *info, struct errbuf *why)
{
    int rc;

    if (page_doc_count(in) == 0) {
        page_doc_free(in);
        return errbuf_set(why, ERR_PERM, "5.6.0", "no page in the document");
    }
    rc = docimport_doc(doc, in, rendered, info, why);
    page_doc_free(in);
    return rc;
}

int
docimport_add(struct page_doc *doc, const char *path,
              struct docimport_file *info, struct errbuf *why)
{
    struct page_buf b;
    struct page_doc *in = NULL;
    int rc = -1;

    memset(info, 0, sizeof *info);
    if (page_file_read(path, PAGE_MAX_FILE, &b, why) == -1)
        return -1;
    info->kind = docimport_sniff(b.p, b.len);
    switch (info->kind) {
    case DOCIMPORT_TIFF:
        if (page_doc_load_mem(b.p, b.len, &in, why) == 0)
            rc = docimport_loaded(doc, in, false, info, why);
        break;
    case DOCIMPORT_PDF:
    case DOCIMPORT_PS:
        if (psraster_render(path, DOCIMPORT_RASTER_XRES,
                            DOCIMPORT_RASTER_YRES, &in, why) == 0)
            rc = docimport_loaded(doc, in, true, info, why);
        break;
    case DOCIMPORT_PBM:
        rc = docimport_pbm(doc, b.p, b.len, info, why);
        break;
    case DOCIMPORT_PNG:
        rc = docimport_png(doc, b.p, b.len, info, why);
        break;
    case DOCIMPORT_UNKNOWN:
        errbuf_set(why, ERR_PERM, "5.6.0",
                   b.len == 0 ? "empty file"
                              : "not a document ifaxgw reads (TIFF, PDF, "
                                "PostScript, PBM or PNG)");
        break;
    }
    page_buf_release(&b);
    return rc;
}
