/* tests for gateway/page: round trips, transforms, profile S layout, errors */
#define _GNU_SOURCE /* memmem */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jbig85.h>
#include <tiffio.h>

#include "gateway/page/page.h"
#include "gateway/page/page_cache.h"

/* expr == 0, else fail showing why */
#define assert_ok(expr, why)                                                   \
    do {                                                                       \
        if ((expr) != 0)                                                       \
            fail_msg("%s: %s", #expr, (why)->text);                            \
    } while (0)

static char tmpdir[64];

/* A page of pseudo-text: rows of "glyphs" (small random blocks) with
 * margins, thin strokes and a frame, deterministic for a seed. */
static unsigned char *
make_page(int w, int h, unsigned seed, size_t *stride)
{
    size_t s = ((size_t)w + 7) / 8;
    unsigned char *b = calloc((size_t)h, s);

    *stride = s;
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            int black = 0;

            if (y == 3 || y == h - 4 || x == 5 || x == w - 6)
                black = 1; /* frame */
            else if (x > 40 && x < w - 40 && (y % 24) < 14) {
                unsigned cell = (unsigned)(x / 6) * 2654435761u ^
                                (unsigned)(y / 24) * 40503u ^ seed;
                unsigned v = cell * 1103515245u + 12345u;

                if ((v >> 16) % 5 != 0) /* a glyph here */
                    black =
                        ((((unsigned)x * 7 + (unsigned)y * 13) ^ v) & 7) < 3;
            }
            if (black)
                b[(size_t)y * s + (size_t)x / 8] |=
                    (unsigned char)(0x80 >> (x % 8));
        }
    }
    return b;
}

static struct page_doc *
make_doc(int pages, int w, int h, int xres, int yres)
{
    struct page_doc *doc = page_doc_new();
    struct errbuf why;

    for (int i = 0; i < pages; i++) {
        size_t stride;
        unsigned char *b = make_page(w, h, (unsigned)i + 1, &stride);

        assert_ok(page_doc_add(doc, b, w, h, stride, xres, yres, &why), &why);
        free(b);
    }
    return doc;
}

static char paths[4][256]; /* tpath(): four live paths at once */
static int npath;

static char *
tpath(const char *name)
{
    char *p = paths[npath++ % 4];

    snprintf(p, sizeof paths[0], "%s/%s", tmpdir, name);
    return p;
}

static void
assert_same_pixels(const struct page_doc *a, const struct page_doc *b)
{
    assert_int_equal(page_doc_count(a), page_doc_count(b));
    for (int i = 0; i < page_doc_count(a); i++) {
        const struct page_bitmap *p = page_doc_page(a, i);
        const struct page_bitmap *q = page_doc_page(b, i);

        assert_int_equal(p->width, q->width);
        assert_int_equal(p->height, q->height);
        assert_int_equal(p->xres, q->xres);
        assert_int_equal(p->yres, q->yres);
        assert_memory_equal(p->bits, q->bits, (size_t)p->height * p->stride);
    }
}

static const struct {
    int x, y, w;
} grids[] = {{204, 98, 1728},  {204, 196, 1728}, {204, 391, 1728},
             {200, 100, 1728}, {200, 200, 2048}, {300, 300, 2592},
             {400, 400, 3456}, {408, 391, 2432}};

static void
test_page_round_trip_every_coding_and_resolution(void **state)
{
    static const enum page_coding codings[] = {
        PAGE_CODING_MH, PAGE_CODING_MR, PAGE_CODING_MMR, PAGE_CODING_JBIG};

    (void)state;
    for (size_t g = 0; g < sizeof grids / sizeof grids[0]; g++) {
        struct page_doc *doc =
            make_doc(2, grids[g].w, 300, grids[g].x, grids[g].y);

        for (size_t c = 0; c < 4; c++) {
            struct page_format f = {codings[c], grids[g].x,    grids[g].y,
                                    grids[g].w, PAGE_PAPER_A4, false};
            struct page_doc *back = NULL;
            struct page_source src;
            struct errbuf why;

            assert_ok(page_doc_write_tiff(doc, &f, tpath("rt.tif"), &why),
                      &why);
            assert_ok(page_doc_load(tpath("rt.tif"), &back, &why), &why);
            assert_same_pixels(doc, back);
            page_doc_source(back, &src);
            assert_int_equal(src.fmt.coding, codings[c]);
            assert_int_equal(src.pages, 2);
            page_doc_free(back);
        }
        page_doc_free(doc);
    }
}

static uint32_t
le(const unsigned char *p, int n)
{
    return n == 2 ? (uint32_t)p[0] | (uint32_t)p[1] << 8
                  : (uint32_t)p[0] | (uint32_t)p[1] << 8 |
                        (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *b;
    long n;

    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    b = malloc((size_t)n);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* Offset and length of the single strip of our little-endian TIFF's first
 * directory (at offset 8, as page_tiff writes it). */
static void
strip_of(const unsigned char *tif, uint32_t *off, uint32_t *len)
{
    uint32_t n = le(tif + 8, 2);

    for (uint32_t k = 0; k < n; k++) {
        const unsigned char *e = tif + 8 + 2 + 12 * k;

        if (le(e, 2) == 273)
            *off = le(e + 8, 4);
        if (le(e, 2) == 279)
            *len = le(e + 8, 4);
    }
}

/* libtiff's own MR strip of doc's page 0 (K = 2 up to 150 lpi, else 4). */
static unsigned char *
libtiff_mr(const struct page_bitmap *p, size_t *len)
{
    TIFF *tif = TIFFOpen(tpath("libtiff-mr.tif"), "w");
    unsigned char *b;
    size_t flen;
    uint64_t off, n;

    assert_non_null(tif);
    TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, (uint32_t)p->width);
    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, (uint32_t)p->height);
    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 1);
    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
    TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, (uint32_t)p->height);
    TIFFSetField(tif, TIFFTAG_FILLORDER, FILLORDER_LSB2MSB);
    TIFFSetField(tif, TIFFTAG_YRESOLUTION, (float)p->yres);
    TIFFSetField(tif, TIFFTAG_XRESOLUTION, (float)p->xres);
    TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
    TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX3);
    TIFFSetField(tif, TIFFTAG_GROUP3OPTIONS,
                 GROUP3OPT_2DENCODING | GROUP3OPT_FILLBITS);
    TIFFSetField(tif, TIFFTAG_FAXMODE, FAXMODE_NORTC);
    assert_true(TIFFWriteEncodedStrip(tif, 0, p->bits,
                                      (tmsize_t)(p->stride * p->height)) > 0);
    off = TIFFGetStrileOffset(tif, 0);
    n = TIFFGetStrileByteCount(tif, 0);
    TIFFClose(tif);
    b = slurp(tpath("libtiff-mr.tif"), &flen);
    assert_true(off + n <= flen);
    memmove(b, b + off, (size_t)n);
    *len = (size_t)n;
    return b;
}

/* Our MR encoder (needed for K = 6 and 8) writes libtiff's bytes where
 * libtiff's K is right, and K = 8 lines per 1-D line at 391 lpi. */
static void
test_page_mr_kfactor_matches_libtiff(void **state)
{
    static const int yres[] = {98, 196, 391};

    (void)state;
    for (int i = 0; i < 3; i++) {
        struct page_doc *doc = make_doc(1, 1728, 333, 204, yres[i]);
        struct page_format f = {PAGE_CODING_MR, 204, yres[i], 1728, 0, false};
        unsigned char *ours, *theirs;
        size_t olen, tlen;
        uint32_t soff = 0, slen = 0;
        struct errbuf why;

        assert_ok(page_doc_write_tiff(doc, &f, tpath("mr.tif"), &why), &why);
        ours = slurp(tpath("mr.tif"), &olen);
        strip_of(ours, &soff, &slen);
        theirs = libtiff_mr(page_doc_page(doc, 0), &tlen);
        if (yres[i] == 391) { /* K = 8 here, 4 in libtiff: other tag bits */
            assert_true(slen != tlen || memcmp(ours + soff, theirs, tlen) != 0);
        } else {
            assert_int_equal(slen, tlen);
            assert_memory_equal(ours + soff, theirs, tlen);
        }
        free(ours);
        free(theirs);
        page_doc_free(doc);
    }
}

/* The changing-element walk at the edges: a black first or last pixel,
 * whole black and white lines, a change at every pixel, runs past 2560 -
 * byte for byte what libtiff codes, rows against rows of every kind. */
static void
test_page_mr_edges_match_libtiff(void **state)
{
    enum { W = 2800, H = 64 };
    size_t stride = (W + 7) / 8;
    unsigned char *b = calloc(H, stride);
    struct page_doc *doc = page_doc_new();
    struct page_format f = {PAGE_CODING_MR, 204, 196, 0, 0, false};
    struct errbuf why;
    unsigned char *ours, *theirs;
    size_t olen, tlen;
    uint32_t soff = 0, slen = 0;

    (void)state;
    for (int y = 0; y < H; y++) {
        unsigned char *row = b + (size_t)y * stride;
        for (int x = 0; x < W; x++) {
            int black;
            switch (y % 8) {
            case 0:
                black = 1;
                break; /* all black */
            case 1:
                black = x == 0 || x == W - 1;
                break; /* edges */
            case 2:
                black = x % 2 == (y / 8) % 2;
                break; /* every pixel */
            case 3:
                black = x < 3 || x > W - 4;
                break;
            case 4:
                black = x >= W / 2;
                break; /* ends black */
            case 5:
                black = (x / (y + 1)) % 3 == 0;
                break; /* steps */
            default:
                black = 0;
                break; /* white */
            }
            if (black)
                row[x / 8] |= (unsigned char)(0x80 >> (x % 8));
        }
    }
    assert_ok(page_doc_add(doc, b, W, H, stride, 204, 196, &why), &why);
    assert_ok(page_doc_write_tiff(doc, &f, tpath("mr-edges.tif"), &why), &why);
    ours = slurp(tpath("mr-edges.tif"), &olen);
    strip_of(ours, &soff, &slen);
    theirs = libtiff_mr(page_doc_page(doc, 0), &tlen);
    assert_int_equal(slen, tlen);
    assert_true(soff + tlen <= olen);
    assert_memory_equal(ours + soff, theirs, tlen);
    free(ours);
    free(theirs);
    free(b);
    page_doc_free(doc);
}

static void
test_page_transform_halves_and_doubles_lines(void **state)
{
    struct page_doc *fine = make_doc(1, 1728, 301, 204, 196), *std = NULL,
                    *again = NULL, *back = NULL;
    struct page_format to98 = {PAGE_CODING_MH, 204, 98, 0, 0, false};
    struct page_format to196 = {PAGE_CODING_MH, 204, 196, 0, 0, false};
    const struct page_bitmap *p, *q;
    struct errbuf why;

    (void)state;
    assert_ok(page_doc_transform(fine, &to98, &std, &why), &why);
    p = page_doc_page(fine, 0);
    q = page_doc_page(std, 0);
    assert_int_equal(q->height, 151);
    assert_int_equal(q->width, 1728);
    assert_int_equal(q->yres, 98);
    /* OR of line pairs: line 1 (y=3 in the fine page) keeps the frame */
    for (int y = 0; y < 150; y++)
        for (size_t i = 0; i < q->stride; i++)
            assert_int_equal(q->bits[y * q->stride + i],
                             p->bits[2 * y * p->stride + i] |
                                 p->bits[(2 * y + 1) * p->stride + i]);
    /* 98 -> 196 repeats lines, and back to 98 is lossless */
    assert_ok(page_doc_transform(std, &to196, &again, &why), &why);
    assert_int_equal(page_doc_page(again, 0)->height, 302);
    assert_ok(page_doc_transform(again, &to98, &back, &why), &why);
    assert_same_pixels(std, back);
    page_doc_free(fine);
    page_doc_free(std);
    page_doc_free(again);
    page_doc_free(back);
}

static void
test_page_transform_relabels_same_grid(void **state)
{
    struct page_doc *a = make_doc(1, 1728, 200, 200, 200), *b = NULL;
    struct page_format f = {PAGE_CODING_MMR, 204, 196, 0, 0, false};
    const struct page_bitmap *p, *q;
    struct errbuf why;

    (void)state;
    assert_ok(page_doc_transform(a, &f, &b, &why), &why);
    p = page_doc_page(a, 0);
    q = page_doc_page(b, 0);
    assert_int_equal(q->xres, 204);
    assert_int_equal(q->yres, 196);
    assert_int_equal(q->height, p->height);
    assert_memory_equal(q->bits, p->bits, (size_t)p->height * p->stride);
    page_doc_free(a);
    page_doc_free(b);
}

static void
test_page_transform_300_to_fine_and_400_to_300(void **state)
{
    struct page_doc *a = make_doc(1, 2592, 600, 300, 300), *b = NULL,
                    *c = make_doc(1, 3456, 800, 400, 400), *d = NULL;
    struct page_format fine = {PAGE_CODING_MMR, 204, 196, 0, 0, false};
    struct page_format f300 = {PAGE_CODING_MMR, 300, 300, 0, 0, false};
    struct errbuf why;
    const struct page_bitmap *q;
    int black = 0;

    (void)state;
    assert_ok(page_doc_transform(a, &fine, &b, &why), &why);
    q = page_doc_page(b, 0);
    assert_int_equal(q->width, 1728);
    assert_int_equal(q->height, 400);
    /* the 1-pixel frame at x=5 survives the 2/3 box filter */
    for (int y = 10; y < 390; y++)
        black += (q->bits[y * q->stride] & (0x80 >> 3)) != 0;
    assert_true(black > 370);
    assert_ok(page_doc_transform(c, &f300, &d, &why), &why);
    assert_int_equal(page_doc_page(d, 0)->width, 2592);
    assert_int_equal(page_doc_page(d, 0)->height, 600);
    page_doc_free(a);
    page_doc_free(b);
    page_doc_free(c);
    page_doc_free(d);
}

static void
test_page_transform_centres_width(void **state)
{
    struct page_doc *narrow = make_doc(1, 1600, 50, 204, 196), *wide = NULL,
                    *b4 = make_doc(1, 2048, 50, 204, 196), *a4 = NULL;
    struct page_format any = {PAGE_CODING_MMR, 0, 0, 0, 0, false};
    struct page_format w1728 = {PAGE_CODING_MMR, 0, 0, 1728, 0, false};
    const struct page_bitmap *p, *q;
    struct errbuf why;

    (void)state;
    /* padded: 64 white pixels (8 bytes) left, the rest right */
    assert_ok(page_doc_transform(narrow, &any, &wide, &why), &why);
    p = page_doc_page(narrow, 0);
    q = page_doc_page(wide, 0);
    assert_int_equal(q->width, 1728);
    for (int y = 0; y < 50; y++) {
        assert_memory_equal(q->bits + y * q->stride + 8,
                            p->bits + y * p->stride, p->stride);
        assert_int_equal(q->bits[y * q->stride], 0);
    }
    /* cropped, centred: B4 to A4 drops 160 pixels each side */
    assert_ok(page_doc_transform(b4, &w1728, &a4, &why), &why);
    p = page_doc_page(b4, 0);
    q = page_doc_page(a4, 0);
    assert_int_equal(q->width, 1728);
    for (int y = 0; y < 50; y++)
        assert_memory_equal(q->bits + y * q->stride,
                            p->bits + y * p->stride + 20, q->stride);
    page_doc_free(narrow);
    page_doc_free(wide);
    page_doc_free(b4);
    page_doc_free(a4);
}

/* RFC 3949 section 3: every field, and the order IFD, values, strip. */
static void
test_page_profile_s_layout(void **state)
{
    static const struct {
        uint16_t tag, type;
        uint32_t count, value; /* value checked unless ~0 */
    } want[] = {
        {254, 4, 1, 2},   {256, 4, 1, 1728}, {257, 4, 1, ~0u}, {258, 3, 1, 1},
        {259, 3, 1, 3},   {262, 3, 1, 0},    {266, 3, 1, 2},   {273, 4, 1, ~0u},
        {277, 3, 1, 1},   {278, 4, 1, ~0u},  {279, 4, 1, ~0u}, {282, 5, 1, ~0u},
        {283, 5, 1, ~0u}, {292, 4, 1, 4},    {296, 3, 1, 2},   {297, 3, 2, ~0u},
    };
    struct page_doc *doc = make_doc(3, 1700, 400, 300, 300), *back = NULL;
    struct page_format s = {PAGE_CODING_NONE, 0, 0, 0, 0, true};
    struct page_format got;
    struct errbuf why;
    unsigned char *b;
    size_t len;
    uint32_t ifd;

    (void)state;
    assert_int_equal(page_doc_write_tiff(doc, &s, tpath("s.tif"), &why), -1);
    s.profile_s = false;
    s.coding = PAGE_CODING_MMR;
    assert_ok(page_doc_write_tiff(doc, &s, tpath("src.tif"), &why), &why);
    s.profile_s = true;
    assert_ok(page_convert(tpath("src.tif"), &s, tpath("s.tif"), &why), &why);
    page_format_resolve(doc, &s, &got);
    assert_int_equal(got.coding, PAGE_CODING_MH);
    assert_int_equal(got.xres, 204);
    assert_int_equal(got.yres, 196);
    assert_int_equal(got.width, 1728);
    b = slurp(tpath("s.tif"), &len);
    assert_memory_equal(b, "II\x2a\x00\x08\x00\x00\x00", 8);
    ifd = 8;
    for (uint32_t page = 0; page < 3; page++) {
        uint32_t n = le(b + ifd, 2), vals = ifd + 2 + 12 * n + 4;
        uint32_t soff = 0, slen = 0, next;

        assert_int_equal(ifd % 2, 0);
        assert_int_equal(n, sizeof want / sizeof want[0]);
        for (uint32_t k = 0; k < n; k++) {
            const unsigned char *e = b + ifd + 2 + 12 * k;

            assert_int_equal(le(e, 2), want[k].tag);
            assert_int_equal(le(e + 2, 2), want[k].type);
            assert_int_equal(le(e + 4, 4), want[k].count);
            if (want[k].value != ~0u)
                assert_int_equal(le(e + 8, 4) &
                                     (want[k].type == 3 ? 0xffff : ~0u),
                                 want[k].value);
            if (want[k].tag == 257 || want[k].tag == 278) /* one strip */
                assert_int_equal(le(e + 8, 4), 267);      /* 400 * 200 / 300 */
            if (want[k].tag == 282)
                assert_int_equal(le(e + 8, 4), vals);
            if (want[k].tag == 283)
                assert_int_equal(le(e + 8, 4), vals + 8);
            if (want[k].tag == 297) {
                assert_int_equal(le(e + 8, 2), page);
                assert_int_equal(le(e + 10, 2), 3);
            }
            if (want[k].tag == 273)
                soff = le(e + 8, 4);
            if (want[k].tag == 279)
                slen = le(e + 8, 4);
        }
        assert_int_equal(le(b + vals, 4), 204);
        assert_int_equal(le(b + vals + 4, 4), 1);
        assert_int_equal(le(b + vals + 8, 4), 196);
        assert_int_equal(le(b + vals + 12, 4), 1);
        assert_int_equal(soff, vals + 16); /* the strip follows the values */
        /* MH with byte-aligned EOLs: the page starts with EOL 0x00 0x80
         * (FillOrder 2 reverses bits: 0x001 -> 0x00 0x80) */
        assert_int_equal(b[soff], 0x00);
        assert_int_equal(b[soff + 1], 0x80);
        next = le(b + ifd + 2 + 12 * n, 4);
        if (page < 2)
            assert_int_equal(next, (soff + slen + 1) & ~1u);
        else {
            assert_int_equal(next, 0);
            assert_int_equal(soff + slen, len);
        }
        ifd = next;
    }
    assert_ok(page_doc_load(tpath("s.tif"), &back, &why), &why);
    assert_int_equal(page_doc_count(back), 3);
    free(b);
    page_doc_free(doc);
    page_doc_free(back);
}

static void
test_page_format_features_strings(void **state)
{
    struct page_format s = {PAGE_CODING_MH, 204,           196,
                            1728,           PAGE_PAPER_A4, true};
    struct page_format j = {PAGE_CODING_JBIG, 300,  300, 3072,
                            PAGE_PAPER_B4,    false};
    char buf[PAGE_FEATURES_MAX];

    (void)state;
    assert_true(page_format_features(&s, buf, sizeof buf) > 0);
    assert_string_equal(buf, "(& (image-file-structure=TIFF-minimal) "
                             "(MRC-mode=0) (color=Binary) (image-coding=MH) "
                             "(dpi=204) (dpi-xyratio=204/196) "
                             "(size-x=1728/204) (paper-size=A4))");
    assert_true(page_format_features(&j, buf, sizeof buf) > 0);
    assert_string_equal(
        buf, "(& (image-file-structure=TIFF-limited) (MRC-mode=0) "
             "(color=Binary) (image-coding=JBIG) "
             "(image-coding-constraint=JBIG-T85) (JBIG-stripe-size=128) "
             "(dpi=300) (dpi-xyratio=1) (size-x=3072/300) (paper-size=B4))");
    assert_int_equal(page_format_features(&j, buf, 20), -1);
    assert_true(page_format_filename(&s, buf, sizeof buf) > 0);
    assert_string_equal(buf, "out-S-MH-204x196-1728.tif");
    assert_true(page_format_filename(&j, buf, sizeof buf) > 0);
    assert_string_equal(buf, "out-J-JBIG-300x300-3072.tif");
}

static void
write_file(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
}

static void
test_page_load_rejects_malformed(void **state)
{
    struct page_doc *doc = make_doc(2, 1728, 200, 204, 196), *back = NULL;
    struct page_format f = {PAGE_CODING_MMR, 204, 196, 1728, 0, false};
    static const enum page_coding cod[] = {PAGE_CODING_MH, PAGE_CODING_MR,
                                           PAGE_CODING_MMR, PAGE_CODING_JBIG};
    struct errbuf why;
    unsigned char *b;
    size_t len;

    (void)state;
    write_file(tpath("junk.tif"), "hello, not a tiff", 17);
    assert_int_equal(page_doc_load(tpath("junk.tif"), &back, &why), -1);
    assert_null(back);
    assert_int_equal(why.cls, ERR_PERM);
    assert_non_null(strstr(why.text, "not a TIFF"));
    assert_int_equal(page_doc_load(tpath("absent.tif"), &back, &why), -1);
    for (size_t c = 0; c < 4; c++) {
        f.coding = cod[c];
        assert_ok(page_doc_write_tiff(doc, &f, tpath("ok.tif"), &why), &why);
        b = slurp(tpath("ok.tif"), &len);
        /* cut inside page 2's strip: the error names page 2 */
        write_file(tpath("cut.tif"), b, len - 200);
        errbuf_clear(&why);
        assert_int_equal(page_doc_load(tpath("cut.tif"), &back, &why), -1);
        assert_null(back);
        assert_non_null(strstr(why.text, "page 2"));
        /* garbage in page 1's strip */
        for (size_t i = 0; i < 256; i++)
            b[8 + 2 + 12 * 17 + 4 + 16 + 10 + i] = (unsigned char)(i * 151 + 7);
        write_file(tpath("bad.tif"), b, len);
        errbuf_clear(&why);
        if (page_doc_load(tpath("bad.tif"), &back, &why) != -1)
            fail_msg("coding %s: garbage accepted", page_coding_name(cod[c]));
        if (strstr(why.text, "page 1") == NULL)
            fail_msg("coding %s: %s", page_coding_name(cod[c]), why.text);
        free(b);
    }
    page_doc_free(doc);
}

static void
jbig_out(unsigned char *start, size_t len, void *arg)
{
    FILE *f = arg;

    fwrite(start, 1, len, f);
}

/* A T.85 stream that starts with YD = 0xffffffff and ends with NEWLEN, as a
 * scanner that does not know the page length writes it (T.85 Cor. 1). */
static void
test_page_load_jbig_newlen(void **state)
{
    struct page_doc *doc = make_doc(1, 1728, 300, 204, 196), *back = NULL;
    struct page_format f = {PAGE_CODING_JBIG, 204, 196, 1728, 0, false};
    const struct page_bitmap *p = NULL;
    struct jbg85_enc_state s;
    struct errbuf why;
    unsigned char *b, *bie;
    size_t len, bielen;
    uint32_t n, soff = 0;
    FILE *out;

    (void)state;
    assert_ok(page_doc_write_tiff(doc, &f, tpath("j.tif"), &why), &why);
    b = slurp(tpath("j.tif"), &len);
    out = fopen(tpath("newlen.jbg"), "wb");
    p = page_doc_page(doc, 0);
    jbg85_enc_init(&s, 1728, 0xffffffffUL, jbig_out, out);
    jbg85_enc_options(&s, JBG_TPBON | JBG_VLENGTH, 128, 127);
    for (int y = 0; y < p->height; y++)
        jbg85_enc_lineout(&s, p->bits + y * p->stride,
                          y > 0 ? p->bits + (y - 1) * p->stride : NULL,
                          y > 1 ? p->bits + (y - 2) * p->stride : NULL);
    jbg85_enc_newlen(&s, (unsigned long)p->height);
    fclose(out);
    bie = slurp(tpath("newlen.jbg"), &bielen);
    /* put that BIE in place of the strip (the last thing in the file) */
    n = le(b + 8, 2);
    for (uint32_t k = 0; k < n; k++) {
        unsigned char *e = b + 8 + 2 + 12 * k;

        if (le(e, 2) == 273)
            soff = le(e + 8, 4);
        if (le(e, 2) == 279) {
            e[8] = (unsigned char)bielen;
            e[9] = (unsigned char)(bielen >> 8);
            e[10] = (unsigned char)(bielen >> 16);
            e[11] = 0;
        }
    }
    assert_true(soff > 0);
    b = realloc(b, soff + bielen);
    memcpy(b + soff, bie, bielen);
    write_file(tpath("newlen.tif"), b, soff + bielen);
    assert_ok(page_doc_load(tpath("newlen.tif"), &back, &why), &why);
    assert_same_pixels(doc, back);
    free(b);
    free(bie);
    page_doc_free(doc);
    page_doc_free(back);
}

static void
test_page_pdf_and_thumbnail(void **state)
{
    struct page_doc *doc = make_doc(2, 1728, 400, 204, 98);
    struct errbuf why;
    unsigned char *b;
    size_t len;

    (void)state;
    assert_ok(page_doc_write_pdf(doc, tpath("d.pdf"), &why), &why);
    b = slurp(tpath("d.pdf"), &len);
    assert_memory_equal(b, "%PDF-", 5);
    assert_non_null(memmem(b, len, "/CCITTFaxDecode", 15));
    free(b);
    /* 1728x400 at 204x98 is 8.47 x 4.08 in: 200 px wide -> 96 px high */
    assert_ok(page_thumbnail_png(doc, 1, 200, tpath("t.png"), &why), &why);
    b = slurp(tpath("t.png"), &len);
    assert_memory_equal(b, "\x89PNG\r\n\x1a\n", 8);
    assert_int_equal(b[16] << 24 | b[17] << 16 | b[18] << 8 | b[19], 200);
    assert_int_equal(b[20] << 24 | b[21] << 16 | b[22] << 8 | b[23], 96);
    free(b);
    assert_int_equal(page_thumbnail_png(doc, 2, 200, tpath("t.png"), &why), -1);
    page_doc_free(doc);
}

/* The PDF carries the loaded G4 strip itself: bytes after EOFB (which every
 * decoder ignores and no encoder writes) reach the PDF unchanged. */
static void
test_page_pdf_passes_g4_through(void **state)
{
    struct page_doc *doc = make_doc(1, 1728, 200, 204, 196), *back = NULL;
    struct page_format f = {PAGE_CODING_MMR, 204, 196, 1728, 0, false};
    static const char mark[] = "IFAXGW-G4-PASSTHROUGH";
    struct errbuf why;
    unsigned char *b, *pdf;
    size_t len, plen;
    uint32_t n;

    (void)state;
    assert_ok(page_doc_write_tiff(doc, &f, tpath("g4.tif"), &why), &why);
    b = slurp(tpath("g4.tif"), &len);
    n = le(b + 8, 2);
    for (uint32_t k = 0; k < n; k++) {
        unsigned char *e = b + 8 + 2 + 12 * k;

        if (le(e, 2) == 279) { /* the strip is the last thing in the file */
            uint32_t c = le(e + 8, 4) + (uint32_t)strlen(mark);

            e[8] = (unsigned char)c;
            e[9] = (unsigned char)(c >> 8);
            e[10] = (unsigned char)(c >> 16);
        }
    }
    b = realloc(b, len + strlen(mark));
    memcpy(b + len, mark, strlen(mark));
    write_file(tpath("g4mark.tif"), b, len + strlen(mark));
    assert_ok(page_doc_load(tpath("g4mark.tif"), &back, &why), &why);
    assert_same_pixels(doc, back);
    assert_ok(page_doc_write_pdf(back, tpath("g4.pdf"), &why), &why);
    pdf = slurp(tpath("g4.pdf"), &plen);
    assert_non_null(memmem(pdf, plen, mark, strlen(mark)));
    free(pdf);
    /* a page that was transformed is coded afresh */
    assert_ok(page_doc_write_pdf(doc, tpath("g4b.pdf"), &why), &why);
    pdf = slurp(tpath("g4b.pdf"), &plen);
    assert_null(memmem(pdf, plen, mark, strlen(mark)));
    free(pdf);
    free(b);
    page_doc_free(doc);
    page_doc_free(back);
}

static void
test_page_cache_creates_once(void **state)
{
    struct page_doc *doc = make_doc(1, 1728, 200, 204, 196);
    struct page_format mmr = {PAGE_CODING_MMR, 0, 0, 0, 0, false};
    struct page_format s = {PAGE_CODING_NONE, 0, 0, 0, 0, true};
    struct page_format got;
    char path[512], again[512];
    struct stat st1, st2;
    struct errbuf why;

    (void)state;
    assert_ok(page_doc_write_tiff(doc, &mmr, tpath("pages.tif"), &why), &why);
    assert_ok(page_cache_get(tmpdir, &s, &got, path, sizeof path, &why), &why);
    assert_non_null(strstr(path, "/out-S-MH-204x196-1728.tif"));
    assert_int_equal(got.coding, PAGE_CODING_MH);
    assert_int_equal(stat(path, &st1), 0);
    assert_ok(page_cache_get(tmpdir, &s, NULL, again, sizeof again, &why),
              &why);
    assert_string_equal(path, again);
    assert_int_equal(stat(again, &st2), 0);
    assert_int_equal(st1.st_ino, st2.st_ino); /* not rewritten */
    assert_ok(page_cache_pdf(tmpdir, path, sizeof path, &why), &why);
    assert_non_null(strstr(path, "/out.pdf"));
    assert_int_equal(access(path, R_OK), 0);
    assert_int_equal(
        page_cache_get("/nonexistent-job", &s, NULL, path, sizeof path, &why),
        -1);
    page_doc_free(doc);
}

static int
setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_page.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int
teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_round_trip_every_coding_and_resolution),
        cmocka_unit_test(test_page_mr_kfactor_matches_libtiff),
        cmocka_unit_test(test_page_mr_edges_match_libtiff),
        cmocka_unit_test(test_page_transform_halves_and_doubles_lines),
        cmocka_unit_test(test_page_transform_relabels_same_grid),
        cmocka_unit_test(test_page_transform_300_to_fine_and_400_to_300),
        cmocka_unit_test(test_page_transform_centres_width),
        cmocka_unit_test(test_page_profile_s_layout),
        cmocka_unit_test(test_page_format_features_strings),
        cmocka_unit_test(test_page_load_rejects_malformed),
        cmocka_unit_test(test_page_load_jbig_newlen),
        cmocka_unit_test(test_page_pdf_and_thumbnail),
        cmocka_unit_test(test_page_pdf_passes_g4_through),
        cmocka_unit_test(test_page_cache_creates_once),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
