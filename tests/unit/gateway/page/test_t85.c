/*
 * tests for gateway/page/page_t85: its BIE must be byte for byte the one
 * jbigkit's jbg85 encoder writes with the same options (TPBON, L0, MX 0),
 * on every page of every TIFF in tests/data and on synthetic pages chosen
 * for the coder's edges (stripe ends, widths around a byte and a word, all
 * white, all black, noise, typical prediction, padding bits).
 */
#include <dirent.h>
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/page/page.h"
#include "gateway/page/page_file.h"
#include "gateway/page/page_t85.h"

#include "../../../common/t85_ref.h"

/* Stripe sizes: T.85's 128, one line, two and three lines (the template
 * reaches two lines back), and more than any page here (one stripe). */
static const unsigned long l0s[] = {128, 1, 2, 3, 1000};
#define N_L0 (sizeof l0s / sizeof l0s[0])

/* page_t85_encode(bm, l0) == jbigkit's, and bm untouched; else fail naming
 * the page, the first differing offset and both lengths. */
static void
t85_check(const struct page_bitmap *bm, unsigned long l0, const char *what)
{
    struct page_buf ref = {0}, ours = {0};
    size_t n = (size_t)bm->height * bm->stride, i = 0;
    unsigned char *before = malloc(n);

    assert_non_null(before);
    memcpy(before, bm->bits, n);
    t85_ref_encode(bm, l0, &ref);
    page_t85_encode(bm, l0, &ours);
    while (i < ref.len && i < ours.len && ref.p[i] == ours.p[i])
        i++;
    if (i < ref.len || i < ours.len)
        fail_msg("%s %dx%d l0 %lu: BIE differs at byte %zu (jbigkit %zu "
                 "bytes: %d, page_t85 %zu bytes: %d; -1 = past the end)",
                 what, bm->width, bm->height, l0, i, ref.len,
                 i < ref.len ? ref.p[i] : -1, ours.len,
                 i < ours.len ? ours.p[i] : -1);
    if (memcmp(before, bm->bits, n) != 0)
        fail_msg("%s %dx%d l0 %lu: page_t85_encode wrote into the bitmap", what,
                 bm->width, bm->height, l0);
    free(before);
    page_buf_release(&ref);
    page_buf_release(&ours);
}

/* ---- the TIFFs in tests/data ---- */

static int t85_tiff_pages, t85_tiff_files;

static void
t85_check_file(const char *path)
{
    struct page_doc *doc = NULL;
    struct errbuf why;

    if (page_doc_load(path, &doc, &why) != 0)
        return; /* not a TIFF, or a fuzz seed that is meant to be refused */
    t85_tiff_files++;
    for (int i = 0; i < page_doc_count(doc); i++) {
        const struct page_bitmap *bm = page_doc_page(doc, i);
        char what[1200];

        snprintf(what, sizeof what, "%s page %d", path, i);
        for (size_t k = 0; k < N_L0; k++)
            t85_check(bm, l0s[k], what);
        t85_tiff_pages++;
    }
    page_doc_free(doc);
}

static void
t85_walk(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        char path[1024];
        struct stat st;

        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode) && depth < 4)
            t85_walk(path, depth + 1);
        else if (S_ISREG(st.st_mode) && st.st_size >= 8)
            t85_check_file(path);
    }
    closedir(d);
}

static void
test_t85_matches_jbigkit_on_test_data_tiffs(void **state)
{
    const char *src = getenv("IFAXGW_SRC");
    char dir[1024];

    (void)state;
    if (src == NULL)
        fail_msg("IFAXGW_SRC is not set (run through ctest)");
    snprintf(dir, sizeof dir, "%s/tests/data", src);
    t85_walk(dir, 0);
    print_message("page_t85: %d pages of %d TIFFs x %zu L0 bit-exact\n",
                  t85_tiff_pages, t85_tiff_files, N_L0);
    /* doc3.tif (1728 wide, several pages) and the fuzz_tiff seeds at least */
    assert_true(t85_tiff_files >= 10);
    assert_true(t85_tiff_pages >= 12);
}

/* ---- synthetic pages ---- */

enum t85_kind {
    T85_WHITE,
    T85_BLACK,
    T85_CHECKER,
    T85_NOISE1,
    T85_NOISE10,
    T85_NOISE50,
    T85_NOISE90,
    T85_RAMP,     /* ordered-dither grey ramp, white at the left */
    T85_DOTS,     /* single black pixels at the first/last column and row */
    T85_VLINES,   /* vertical lines, first and last column among them */
    T85_HLINES,   /* horizontal lines, first and last row among them */
    T85_REPEAT,   /* runs of identical lines, then a change (TPBON's case) */
    T85_TOPLINE,  /* the first line black, then text-like rows */
    T85_DIAGONAL, /* one black pixel a line, moving: no typical line, long
                     white runs between (the all-white context's runs) */
    T85_SPARSE,   /* a dot on every third line, white lines between */
    T85_KINDS
};

static const char *const t85_kind_name[T85_KINDS] = {
    "white",    "black",    "checker", "noise1%",  "noise10%",
    "noise50%", "noise90%", "ramp",    "dots",     "vlines",
    "hlines",   "repeat",   "topline", "diagonal", "sparse"};

static uint32_t
t85_rand(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

static void
t85_set(struct page_bitmap *bm, int x, int y)
{
    bm->bits[(size_t)y * bm->stride + (size_t)x / 8] |=
        (unsigned char)(0x80 >> (x % 8));
}

static int
t85_pixel(enum t85_kind k, int x, int y, int w, int h, uint32_t *rng)
{
    static const int bayer[4][4] = {
        {0, 8, 2, 10}, {12, 4, 14, 6}, {3, 11, 1, 9}, {15, 7, 13, 5}};

    switch (k) {
    case T85_WHITE:
        return 0;
    case T85_BLACK:
        return 1;
    case T85_CHECKER:
        return (x + y) & 1;
    case T85_NOISE1:
        return t85_rand(rng) % 100 < 1;
    case T85_NOISE10:
        return t85_rand(rng) % 100 < 10;
    case T85_NOISE50:
        return t85_rand(rng) % 100 < 50;
    case T85_NOISE90:
        return t85_rand(rng) % 100 < 90;
    case T85_RAMP:
        return (x * 17) / (w > 1 ? w : 1) > bayer[y % 4][x % 4];
    case T85_DOTS:
        return (x == 0 && y == h / 2) || (x == w - 1 && y == h / 3) ||
               (y == 0 && x == w / 2) || (y == h - 1 && x == w / 3);
    case T85_VLINES:
        return x == 0 || x == w - 1 || x % 9 == 4;
    case T85_HLINES:
        return y == 0 || y == h - 1 || y % 7 == 3;
    case T85_REPEAT: /* 5 lines of one pattern, 11 of another, ... */
        return ((y / 5) % 3 == 1 && x % 6 < 2) || ((y / 16) % 2 && x % 13 == 7);
    case T85_TOPLINE:
        return y == 0 || (y % 12 < 7 && ((x * 7 + y * 3) % 11) < 4);
    case T85_DIAGONAL:
        return x == (int)(((unsigned)y * 37u) % (unsigned)w);
    case T85_SPARSE:
        return y % 3 == 1 && x == (int)(((unsigned)y * 101u) % (unsigned)w);
    default:
        return 0;
    }
}

static void
t85_make(struct page_bitmap *bm, enum t85_kind k, int w, int h)
{
    uint32_t rng = 0x9e3779b9u ^ (uint32_t)(w * 131 + h * 7 + (int)k);

    bm->width = w;
    bm->height = h;
    bm->stride = ((size_t)w + 7) / 8;
    bm->xres = 204;
    bm->yres = 196;
    bm->bits = calloc((size_t)h, bm->stride);
    assert_non_null(bm->bits);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (t85_pixel(k, x, y, w, h, &rng))
                t85_set(bm, x, y);
}

static const int t85_widths[] = {1,  2,  3,  4,  5,   6,    7,    8,    9,
                                 10, 11, 12, 13, 14,  15,   16,   17,   31,
                                 33, 63, 64, 65, 215, 1728, 1729, 2432, 4864};
static const int t85_heights[] = {1, 2, 3, 127, 128, 129, 257};

static void
test_t85_matches_jbigkit_on_synthetic_pages(void **state)
{
    int pages = 0;

    (void)state;
    for (int k = 0; k < T85_KINDS; k++) {
        for (size_t wi = 0; wi < sizeof t85_widths / sizeof t85_widths[0];
             wi++) {
            for (size_t hi = 0; hi < sizeof t85_heights / sizeof t85_heights[0];
                 hi++) {
                struct page_bitmap bm;
                int w = t85_widths[wi];

                t85_make(&bm, (enum t85_kind)k, w, t85_heights[hi]);
                /* every L0 on the narrow pages; 128 and 3 on the wide ones
                 * (the same stripe code, a tenth of the run time) */
                for (size_t l = 0; l < N_L0; l++)
                    if (w <= 215 || l0s[l] == 128 || l0s[l] == 3)
                        t85_check(&bm, l0s[l], t85_kind_name[k]);
                free(bm.bits);
                pages++;
            }
        }
    }
    print_message("page_t85: %d synthetic pages bit-exact\n", pages);
}

/* Bits past the width are taken as 0 (the header's contract; jbigkit
 * clears them itself): a page with them set encodes as the clean one. */
static void
test_t85_ignores_padding_bits(void **state)
{
    static const int widths[] = {1, 7, 9, 15, 1729, 4863};

    (void)state;
    for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++) {
        struct page_bitmap bm;
        struct page_buf clean = {0}, dirty = {0};
        int w = widths[i];

        t85_make(&bm, T85_NOISE10, w, 130);
        t85_ref_encode(&bm, 128, &clean);
        for (int y = 0; y < bm.height; y++)
            bm.bits[(size_t)y * bm.stride + bm.stride - 1] |=
                (unsigned char)(0xffu >> (w % 8 ? w % 8 : 8));
        if (w % 8)
            t85_check(&bm, 128, "dirty padding");
        page_t85_encode(&bm, 128, &dirty);
        assert_int_equal(clean.len, dirty.len);
        assert_memory_equal(clean.p, dirty.p, clean.len);
        page_buf_release(&clean);
        page_buf_release(&dirty);
        free(bm.bits);
    }
}

/* A fax page as page_jbig sees it: 1728 x 2200 of text-like rows with
 * blank gaps (long runs of typical-prediction lines across stripes), and
 * appended to a buffer that already holds bytes (out grows, is not reset). */
static void
test_t85_full_page_appends(void **state)
{
    struct page_bitmap bm;
    struct page_buf ref = {0}, ours = {0};
    uint32_t rng = 12345;

    (void)state;
    bm.width = 1728;
    bm.height = 2200;
    bm.stride = 216;
    bm.bits = calloc((size_t)bm.height, bm.stride);
    assert_non_null(bm.bits);
    for (int y = 100; y < 2100; y++) {
        if (y % 40 >= 22 || (y / 400) % 2)
            continue; /* blank gaps, and whole blank stripes */
        for (int x = 80; x < 1650; x++)
            if (t85_rand(&rng) % 100 < 18)
                t85_set(&bm, x, y);
    }
    for (size_t k = 0; k < N_L0; k++)
        t85_check(&bm, l0s[k], "text page");
    page_buf_append(&ref, "head", 4);
    page_buf_append(&ours, "head", 4);
    t85_ref_encode(&bm, 128, &ref);
    page_t85_encode(&bm, 128, &ours);
    assert_int_equal(ref.len, ours.len);
    assert_memory_equal(ref.p, ours.p, ref.len);
    page_buf_release(&ref);
    page_buf_release(&ours);
    free(bm.bits);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_t85_matches_jbigkit_on_test_data_tiffs),
        cmocka_unit_test(test_t85_matches_jbigkit_on_synthetic_pages),
        cmocka_unit_test(test_t85_ignores_padding_bits),
        cmocka_unit_test(test_t85_full_page_appends),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
