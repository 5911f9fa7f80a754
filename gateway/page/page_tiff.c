/* page_tiff - TIFF read through libtiff, TIFF-FX written by hand; see
 * page_tiff.h */
#include "gateway/page/page_tiff.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tiffio.h>

#include "gateway/page/page_jbig.h"
#include "gateway/page/page_t4.h"
#include "gateway/util/xalloc.h"

#define PAGE_TIFF_MAX_ALLOC (256 << 20) /* libtiff's largest single buffer */

/* TIFF 6.0 field types */
#define TT_SHORT    3
#define TT_LONG     4
#define TT_RATIONAL 5

/* TIFF tags libtiff may not name (RFC 3949 2.2) */
#define TAG_T82OPTIONS 435

/* A TIFF in memory, for TIFFClientOpenExt. */
struct page_tiff_mem {
    unsigned char *p;
    size_t len, cap, pos;
};

/* Per-open diagnostics: libtiff's handlers write here, not to stderr. */
struct page_tiff_diag {
    char err[200];
    int errors;
    int premature_eof; /* a "Premature EOF" warning: truncated CCITT data */
};

static tmsize_t
page_tiff_mread(thandle_t h, void *buf, tmsize_t n)
{
    struct page_tiff_mem *m = h;
    size_t left = m->pos < m->len ? m->len - m->pos : 0;
    size_t k = (size_t)n < left ? (size_t)n : left;

    memcpy(buf, m->p + m->pos, k);
    m->pos += k;
    return (tmsize_t)k;
}

static tmsize_t
page_tiff_mwrite(thandle_t h, void *buf, tmsize_t n)
{
    struct page_tiff_mem *m = h;
    size_t end = m->pos + (size_t)n;

    if (end > m->cap) {
        size_t cap = m->cap ? m->cap : 65536;

        while (cap < end)
            cap *= 2;
        m->p = xrealloc(m->p, cap);
        m->cap = cap;
    }
    if (m->pos > m->len)
        memset(m->p + m->len, 0, m->pos - m->len);
    memcpy(m->p + m->pos, buf, (size_t)n);
    m->pos = end;
    if (end > m->len)
        m->len = end;
    return n;
}

static toff_t
page_tiff_mseek(thandle_t h, toff_t off, int whence)
{
    struct page_tiff_mem *m = h;
    uint64_t base = whence == SEEK_CUR   ? m->pos
                    : whence == SEEK_END ? m->len
                                         : 0;

    if (base + off > (uint64_t)PAGE_MAX_FILE * 4)
        return (toff_t)-1;
    m->pos = (size_t)(base + off);
    return m->pos;
}

static int
page_tiff_mclose(thandle_t h)
{
    (void)h;
    return 0;
}

static toff_t
page_tiff_msize(thandle_t h)
{
    return ((struct page_tiff_mem *)h)->len;
}

static int
page_tiff_mmap(thandle_t h, void **base, toff_t *size)
{
    struct page_tiff_mem *m = h;

    if (m->cap != 0) /* writable: never map */
        return 0;
    *base = m->p;
    *size = m->len;
    return 1;
}

static void
page_tiff_munmap(thandle_t h, void *base, toff_t size)
{
    (void)h;
    (void)base;
    (void)size;
}

static int page_tiff_on_error(TIFF *tif, void *user, const char *module,
                              const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
static int page_tiff_on_warning(TIFF *tif, void *user, const char *module,
                                const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static int
page_tiff_on_error(TIFF *tif, void *user, const char *module, const char *fmt,
                   va_list ap)
{
    struct page_tiff_diag *d = user;

    (void)tif;
    if (d->errors++ == 0) {
        char msg[160];

        (void)vsnprintf(msg, sizeof msg, fmt, ap);
        (void)snprintf(d->err, sizeof d->err, "%s: %s",
                       module ? module : "tiff", msg);
    }
    return 1; /* handled: libtiff prints nothing */
}

static int
page_tiff_on_warning(TIFF *tif, void *user, const char *module, const char *fmt,
                     va_list ap)
{
    struct page_tiff_diag *d = user;
    char msg[160];

    (void)tif;
    (void)module;
    (void)vsnprintf(msg, sizeof msg, fmt, ap);
    if (strstr(msg, "Premature EOF") != NULL && d->premature_eof++ == 0)
        (void)snprintf(d->err, sizeof d->err, "%s", msg);
    return 1;
}

static TIFF *
page_tiff_open(struct page_tiff_mem *m, const char *mode,
               struct page_tiff_diag *d)
{
    TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
    TIFF *tif;

    TIFFOpenOptionsSetMaxSingleMemAlloc(opts, PAGE_TIFF_MAX_ALLOC);
    TIFFOpenOptionsSetErrorHandlerExtR(opts, page_tiff_on_error, d);
    TIFFOpenOptionsSetWarningHandlerExtR(opts, page_tiff_on_warning, d);
    tif = TIFFClientOpenExt("page", mode, m, page_tiff_mread, page_tiff_mwrite,
                            page_tiff_mseek, page_tiff_mclose, page_tiff_msize,
                            page_tiff_mmap, page_tiff_munmap, opts);
    TIFFOpenOptionsFree(opts);
    return tif;
}

/* ---- reading ---- */

static int
page_tiff_res(TIFF *tif, ttag_t tag, int unit)
{
    float v = 0;

    if (!TIFFGetField(tif, tag, &v) || !(v > 0) || v > 100000)
        return 0;
    if (unit == RESUNIT_CENTIMETER)
        v *= 2.54f;
    return (int)lroundf(v);
}

static enum page_paper
page_tiff_paper(int width, int xres)
{
    int per200 = xres >= 350 ? width / 2 : xres >= 250 ? width * 2 / 3 : width;

    if (per200 >= 2432)
        return PAGE_PAPER_A3;
    if (per200 >= 2048)
        return PAGE_PAPER_B4;
    return PAGE_PAPER_A4;
}

static int
page_tiff_read_raw(TIFF *tif, struct page_buf *raw, struct errbuf *why)
{
    uint32_t ns = TIFFNumberOfStrips(tif);

    for (uint32_t s = 0; s < ns; s++) {
        uint64_t n = TIFFGetStrileByteCount(tif, s);
        tmsize_t got;

        if (n == 0 || n > PAGE_MAX_FILE)
            return errbuf_set(why, ERR_PERM, "5.6.0", "strip %u: bad size", s);
        if (raw->len + n > raw->cap) {
            raw->cap = raw->len + (size_t)n;
            raw->p = xrealloc(raw->p, raw->cap);
        }
        got = TIFFReadRawStrip(tif, s, raw->p + raw->len, (tmsize_t)n);
        if (got != (tmsize_t)n)
            return errbuf_set(why, ERR_PERM, "5.6.0", "strip %u truncated", s);
        raw->len += (size_t)n;
    }
    return 0;
}

static int
page_tiff_decode(TIFF *tif, struct page_bitmap *bm, struct errbuf *why)
{
    uint32_t rps = 0, ns = TIFFNumberOfStrips(tif);
    int row = 0;

    if (!TIFFGetField(tif, TIFFTAG_ROWSPERSTRIP, &rps) || rps == 0 ||
        rps > (uint32_t)bm->height)
        rps = (uint32_t)bm->height;
    bm->bits = xcalloc((size_t)bm->height, bm->stride);
    for (uint32_t s = 0; s < ns && row < bm->height; s++) {
        int rows = bm->height - row < (int)rps ? bm->height - row : (int)rps;
        tmsize_t want = (tmsize_t)((size_t)rows * bm->stride);

        if (TIFFReadEncodedStrip(tif, s, bm->bits + (size_t)row * bm->stride,
                                 want) < 0)
            return errbuf_set(why, ERR_PERM, "5.6.0", "strip %u undecodable",
                              s);
        row += rows;
    }
    if (row < bm->height)
        return errbuf_set(why, ERR_PERM, "5.6.0", "%d of %d lines in strips",
                          row, bm->height);
    return 0;
}

static void
page_tiff_fix_bits(struct page_bitmap *bm, bool invert)
{
    unsigned char mask = (unsigned char)(0xff << ((8 - bm->width % 8) % 8));

    for (int y = 0; y < bm->height; y++) {
        unsigned char *r = bm->bits + (size_t)y * bm->stride;

        if (invert)
            for (size_t i = 0; i < bm->stride; i++)
                r[i] = (unsigned char)~r[i];
        r[bm->stride - 1] &= mask;
    }
}

struct page_tiff_dir {
    uint16_t comp, photo, fill, bps, spp;
    uint32_t t4opt;
    int resunit;
};

static int
page_tiff_fields(TIFF *tif, struct page_tiff_dir *dir, struct page_bitmap *bm,
                 struct errbuf *why)
{
    uint32_t w = 0, h = 0;
    uint16_t unit = RESUNIT_INCH;

    memset(dir, 0, sizeof *dir);
    if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w) ||
        !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h) || w == 0 || h == 0 ||
        w > PAGE_MAX_WIDTH || h > PAGE_MAX_HEIGHT)
        return errbuf_set(why, ERR_PERM, "5.6.0", "size %ux%u out of range", w,
                          h);
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &dir->bps);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &dir->spp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &dir->comp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_FILLORDER, &dir->fill);
    TIFFGetFieldDefaulted(tif, TIFFTAG_RESOLUTIONUNIT, &unit);
    if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &dir->photo))
        dir->photo = PHOTOMETRIC_MINISWHITE; /* fax default (RFC 3949 2.2.1) */
    if (dir->comp == COMPRESSION_CCITTFAX3)
        TIFFGetField(tif, TIFFTAG_GROUP3OPTIONS, &dir->t4opt);
    if (dir->bps != 1 || dir->spp != 1)
        return errbuf_set(why, ERR_PERM, "5.6.0",
                          "not bi-level (%u bits x %u samples)", dir->bps,
                          dir->spp);
    if (dir->photo > PHOTOMETRIC_MINISBLACK)
        return errbuf_set(why, ERR_PERM, "5.6.0", "photometric %u", dir->photo);
    switch (dir->comp) {
    case COMPRESSION_NONE:
    case COMPRESSION_CCITTRLE:
    case COMPRESSION_CCITTFAX3:
    case COMPRESSION_CCITTFAX4:
    case COMPRESSION_T85:
        break;
    default:
        return errbuf_set(why, ERR_PERM, "5.6.0", "compression %u unsupported",
                          dir->comp);
    }
    memset(bm, 0, sizeof *bm);
    bm->width = (int)w;
    bm->height = (int)h;
    bm->stride = ((size_t)w + 7) / 8;
    bm->xres = page_tiff_res(tif, TIFFTAG_XRESOLUTION, unit);
    bm->yres = page_tiff_res(tif, TIFFTAG_YRESOLUTION, unit);
    if (bm->xres == 0 || bm->yres == 0) { /* unlabelled: fax fine */
        bm->xres = 204;
        bm->yres = 196;
    }
    dir->resunit = unit;
    return 0;
}

static enum page_coding
page_tiff_coding(const struct page_tiff_dir *dir)
{
    switch (dir->comp) {
    case COMPRESSION_CCITTRLE:
        return PAGE_CODING_MH;
    case COMPRESSION_CCITTFAX3:
        return (dir->t4opt & GROUP3OPT_2DENCODING) ? PAGE_CODING_MR
                                                   : PAGE_CODING_MH;
    case COMPRESSION_CCITTFAX4:
        return PAGE_CODING_MMR;
    case COMPRESSION_T85:
        return PAGE_CODING_JBIG;
    default:
        return PAGE_CODING_NONE;
    }
}

/* The reader's state across pages. */
struct page_tiff_in {
    TIFF *tif;
    struct page_tiff_diag diag;
    struct page_buf raw; /* JBIG strips, or the page's G4 strip */
    bool keep_g4;
    size_t budget; /* bitmap bytes left */
    bool g4_only;  /* geometry and G4 strip only (page_tiff_opts) */
};

static int
page_tiff_page_jbig(struct page_tiff_in *in, struct page_bitmap *bm,
                    struct errbuf *why)
{
    int xres = bm->xres, yres = bm->yres;
    size_t lines = in->budget / bm->stride;

    if (page_tiff_read_raw(in->tif, &in->raw, why) == -1 ||
        page_jbig_decode(in->raw.p, in->raw.len, bm->width,
                         lines < PAGE_MAX_HEIGHT ? (int)lines : PAGE_MAX_HEIGHT,
                         bm, why) == -1)
        return -1;
    bm->xres = xres;
    bm->yres = yres;
    in->raw.len = 0;
    return 0;
}

/* g4_only: the strip of a single-strip white-is-zero G4 page, MSB first;
 * 1 when the page is anything else. */
static int
page_tiff_page_g4(struct page_tiff_in *in, const struct page_tiff_dir *dir,
                  struct errbuf *why)
{
    if (dir->comp != COMPRESSION_CCITTFAX4 ||
        TIFFNumberOfStrips(in->tif) != 1 ||
        dir->photo != PHOTOMETRIC_MINISWHITE)
        return 1;
    if (page_tiff_read_raw(in->tif, &in->raw, why) == -1)
        return -1;
    if (in->raw.len == 0)
        return errbuf_set(why, ERR_PERM, "5.6.0", "empty G4 strip");
    if (dir->fill == FILLORDER_LSB2MSB)
        TIFFReverseBits(in->raw.p, (tmsize_t)in->raw.len);
    return 0;
}

/* One page: fields, pixels, and for single-strip MMR the strip itself. */
static int
page_tiff_page(struct page_tiff_in *in, struct page_tiff_dir *dir,
               struct page_bitmap *bm, struct errbuf *why)
{
    in->raw.len = 0;
    if (page_tiff_fields(in->tif, dir, bm, why) == -1)
        return -1;
    if (in->g4_only)
        return page_tiff_page_g4(in, dir, why);
    if ((size_t)bm->height * bm->stride > in->budget)
        return errbuf_set(why, ERR_PERM, "5.3.4",
                          "document over %zu bytes of pixels", in->budget);
    if (dir->comp == COMPRESSION_T85) {
        if (page_tiff_page_jbig(in, bm, why) == -1)
            return -1;
    } else {
        int rc = page_tiff_decode(in->tif, bm, why);

        if (rc == 0 && (in->diag.errors || in->diag.premature_eof))
            rc = errbuf_set(why, ERR_PERM, "5.6.0", "%s", in->diag.err);
        if (rc == -1)
            return -1;
        if (in->keep_g4 && dir->comp == COMPRESSION_CCITTFAX4 &&
            TIFFNumberOfStrips(in->tif) == 1 &&
            dir->photo == PHOTOMETRIC_MINISWHITE &&
            page_tiff_read_raw(in->tif, &in->raw, why) == 0) {
            if (dir->fill == FILLORDER_LSB2MSB)
                TIFFReverseBits(in->raw.p, (tmsize_t)in->raw.len);
        } else {
            in->raw.len = 0;
        }
    }
    page_tiff_fix_bits(bm, dir->photo == PHOTOMETRIC_MINISBLACK);
    in->budget -= (size_t)bm->height * bm->stride;
    return 0;
}

static void
page_tiff_describe(const struct page_tiff_dir *dir,
                   const struct page_bitmap *bm, struct page_source *src)
{
    src->fmt.coding = page_tiff_coding(dir);
    src->fmt.xres = bm->xres;
    src->fmt.yres = bm->yres;
    src->fmt.width = bm->width;
    src->fmt.paper = page_tiff_paper(bm->width, bm->xres);
    src->fill_order = dir->fill;
}

int
page_tiff_read(const unsigned char *data, size_t len,
               const struct page_tiff_opts *opts, struct page_source *src,
               struct errbuf *why)
{
    struct page_tiff_mem m = {(unsigned char *)(uintptr_t)data, len, 0, 0};
    struct page_tiff_in in = {NULL,           {"", 0, 0},      {NULL, 0, 0},
                              opts->keep_g4, opts->max_bytes, opts->g4_only};
    struct page_tiff_dir dir;
    struct page_bitmap bm = {NULL, 0, 0, 0, 0, 0};
    int page = 0, rc;

    memset(src, 0, sizeof *src);
    in.tif = page_tiff_open(&m, "r", &in.diag);
    if (in.tif == NULL)
        return errbuf_set(why, ERR_PERM, "5.6.0", "not a TIFF file: %s",
                          in.diag.err[0] ? in.diag.err : "unreadable header");
    do {
        if (page >= PAGE_MAX_PAGES) {
            errbuf_set(why, ERR_PERM, "5.6.0", "over %d pages", PAGE_MAX_PAGES);
            goto fail;
        }
        if (in.diag.errors) {
            errbuf_set(why, ERR_PERM, "5.6.0", "page %d: %s", page + 1,
                       in.diag.err);
            goto fail;
        }
        rc = page_tiff_page(&in, &dir, &bm, why);
        if (rc == 1)
            goto out; /* g4_only: not G4; the caller decodes */
        if (rc == -1) {
            errbuf_prefix(why, "page %d", page + 1);
            goto fail;
        }
        if (page == 0)
            page_tiff_describe(&dir, &bm, src);
        if (opts->fn(opts->arg, &bm, in.raw.len ? in.raw.p : NULL, in.raw.len,
                     why) == -1)
            goto fail;
        bm.bits = NULL;
        page++;
    } while (TIFFReadDirectory(in.tif));
    if (in.diag.errors) {
        errbuf_set(why, ERR_PERM, "5.6.0", "page %d: %s", page + 1,
                   in.diag.err);
        goto fail;
    }
    src->pages = page;
    rc = 0;
out:
    TIFFClose(in.tif);
    page_buf_release(&in.raw);
    return rc;
fail:
    free(bm.bits);
    TIFFClose(in.tif);
    page_buf_release(&in.raw);
    return -1;
}

/* ---- writing ---- */

int
page_tiff_encode(const struct page_bitmap *bm, enum page_coding coding,
                 bool lsb_first, struct page_buf *out, struct errbuf *why)
{
    struct page_tiff_mem m = {NULL, 0, 0, 0};
    struct page_tiff_diag d = {"", 0, 0};
    TIFF *tif;
    uint64_t off, n;
    tmsize_t size = (tmsize_t)((size_t)bm->height * bm->stride);

    if (coding == PAGE_CODING_JBIG) {
        page_jbig_encode(bm, out);
        return 0;
    }
    if (coding == PAGE_CODING_MR) { /* libtiff cannot do K = 6 or 8 */
        page_t4_encode_mr(bm, page_t4_kfactor(bm->yres), lsb_first, out);
        return 0;
    }
    m.p = xmalloc(m.cap = 65536);
    tif = page_tiff_open(&m, "w", &d);
    if (tif == NULL) {
        free(m.p);
        return errbuf_set(why, ERR_TEMP, "4.3.0", "libtiff: %s", d.err);
    }
    TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, (uint32_t)bm->width);
    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, (uint32_t)bm->height);
    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 1);
    TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
    TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, (uint32_t)bm->height);
    TIFFSetField(tif, TIFFTAG_FILLORDER,
                 lsb_first ? FILLORDER_LSB2MSB : FILLORDER_MSB2LSB);
    TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
    TIFFSetField(tif, TIFFTAG_YRESOLUTION, (float)bm->yres);
    TIFFSetField(tif, TIFFTAG_XRESOLUTION, (float)bm->xres);
    if (coding == PAGE_CODING_MMR) {
        TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
    } else {
        TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX3);
        TIFFSetField(tif, TIFFTAG_GROUP3OPTIONS,
                     GROUP3OPT_FILLBITS |
                         (coding == PAGE_CODING_MR ? GROUP3OPT_2DENCODING : 0));
    }
    TIFFSetField(tif, TIFFTAG_FAXMODE, FAXMODE_NORTC); /* RFC 3949 3.4.1 */
    if (TIFFWriteEncodedStrip(tif, 0, bm->bits, size) != size) {
        errbuf_set(why, ERR_TEMP, "4.3.0", "encode: %s", d.err);
        TIFFClose(tif);
        free(m.p);
        return -1;
    }
    off = TIFFGetStrileOffset(tif, 0);
    n = TIFFGetStrileByteCount(tif, 0);
    if (off + n <= m.len)
        page_buf_append(out, m.p + off, (size_t)n);
    TIFFClose(tif);
    free(m.p);
    if (off + n > m.len || n == 0)
        return errbuf_set(why, ERR_TEMP, "4.3.0", "encode: no strip");
    return 0;
}

struct page_tiff_entry {
    uint16_t tag, type;
    uint32_t count, value;
};

static void
page_tiff_le16(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void
page_tiff_le32(unsigned char *p, uint32_t v)
{
    page_tiff_le16(p, v & 0xffff);
    page_tiff_le16(p + 2, v >> 16);
}

static void
page_tiff_put32(struct page_buf *b, uint32_t v)
{
    unsigned char p[4];

    page_tiff_le32(p, v);
    page_buf_append(b, p, 4);
}

/* The IFD entries of one page, sorted by tag (TIFF 6.0 2). xoff: offset of
 * the two rationals, soff/slen: the strip. */
static int
page_tiff_entries(const struct page_bitmap *bm, const struct page_format *fmt,
                  int page, int total, uint32_t xoff, uint32_t soff,
                  uint32_t slen, struct page_tiff_entry *e)
{
    int n = 0;
    uint32_t comp = fmt->coding == PAGE_CODING_MMR    ? 4
                    : fmt->coding == PAGE_CODING_JBIG ? 9
                                                      : 3;
    uint32_t fill = comp == 3 ? 2 : 1;

#define ENTRY(t, ty, c, v) e[n++] = (struct page_tiff_entry){t, ty, c, v}
    ENTRY(254, TT_LONG, 1, 2); /* NewSubfileType: page of a multi-page doc */
    ENTRY(256, TT_LONG, 1, (uint32_t)bm->width);
    ENTRY(257, TT_LONG, 1, (uint32_t)bm->height);
    ENTRY(258, TT_SHORT, 1, 1);
    ENTRY(259, TT_SHORT, 1, comp);
    ENTRY(262, TT_SHORT, 1, 0); /* WhiteIsZero */
    ENTRY(266, TT_SHORT, 1, fill);
    ENTRY(273, TT_LONG, 1, soff);
    ENTRY(277, TT_SHORT, 1, 1);
    ENTRY(278, TT_LONG, 1, (uint32_t)bm->height);
    ENTRY(279, TT_LONG, 1, slen);
    ENTRY(282, TT_RATIONAL, 1, xoff);
    ENTRY(283, TT_RATIONAL, 1, xoff + 8);
    if (comp == 3)
        ENTRY(292, TT_LONG, 1, fmt->coding == PAGE_CODING_MR ? 5 : 4);
    if (comp == 4)
        ENTRY(293, TT_LONG, 1, 0);
    ENTRY(296, TT_SHORT, 1, 2); /* inch */
    ENTRY(297, TT_SHORT, 2, (uint32_t)page | (uint32_t)total << 16);
    if (comp == 9)
        ENTRY(TAG_T82OPTIONS, TT_LONG, 1, 0); /* T.85 */
#undef ENTRY
    return n;
}

int
page_tiff_write(const struct page_bitmap *pages, int n,
                const struct page_format *fmt, struct page_buf *out,
                struct errbuf *why)
{
    static const unsigned char head[8] = {'I', 'I', 42, 0, 8, 0, 0, 0};
    size_t base = out->len;

    page_buf_append(out, head, sizeof head);
    for (int i = 0; i < n; i++) {
        const struct page_bitmap *bm = &pages[i];
        struct page_buf strip = {NULL, 0, 0};
        struct page_tiff_entry e[20];
        size_t ifd = out->len - base;
        int ne = 18; /* at most; the real count comes below */
        uint32_t xoff, soff;

        if (page_tiff_encode(
                bm,
                fmt->coding == PAGE_CODING_NONE ? PAGE_CODING_MMR : fmt->coding,
                fmt->coding == PAGE_CODING_MH || fmt->coding == PAGE_CODING_MR,
                &strip, why) == -1)
            return errbuf_prefix(why, "page %d", i + 1);
        ne = page_tiff_entries(bm, fmt, i, n, 0, 0, 0, e);
        xoff = (uint32_t)(ifd + 2 + 12 * (size_t)ne + 4);
        soff = xoff + 16;
        if ((uint64_t)soff + strip.len > UINT32_MAX - 16) {
            page_buf_release(&strip);
            return errbuf_set(why, ERR_PERM, "5.3.4", "TIFF over 4 GiB");
        }
        page_tiff_entries(bm, fmt, i, n, xoff, soff, (uint32_t)strip.len, e);
        {
            unsigned char cnt[2];

            page_tiff_le16(cnt, (uint32_t)ne);
            page_buf_append(out, cnt, 2);
        }
        for (int k = 0; k < ne; k++) {
            unsigned char ent[12];

            page_tiff_le16(ent, e[k].tag);
            page_tiff_le16(ent + 2, e[k].type);
            page_tiff_le32(ent + 4, e[k].count);
            page_tiff_le32(ent + 8, e[k].value);
            page_buf_append(out, ent, 12);
        }
        {
            size_t next = soff + strip.len;

            next += next & 1; /* IFDs on a word boundary */
            page_tiff_put32(out, i + 1 < n ? (uint32_t)next : 0);
        }
        page_tiff_put32(out, (uint32_t)bm->xres);
        page_tiff_put32(out, 1);
        page_tiff_put32(out, (uint32_t)bm->yres);
        page_tiff_put32(out, 1);
        page_buf_append(out, strip.p, strip.len);
        if (i + 1 < n && ((out->len - base) & 1))
            page_buf_append(out, "", 1);
        page_buf_release(&strip);
    }
    return 0;
}
