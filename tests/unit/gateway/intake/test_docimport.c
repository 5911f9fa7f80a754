/* tests for gateway/intake/docimport: kinds, the fax grid a page goes to,
 * PBM */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway/intake/docimport.h"

#define SNIFF(s) docimport_sniff((const unsigned char *)(s), sizeof(s) - 1)

static void
test_sniff_by_magic(void **state)
{
    (void)state;
    assert_int_equal(SNIFF("II*\0\x08\0\0\0"), DOCIMPORT_TIFF);
    assert_int_equal(SNIFF("MM\0*\0\0\0\x08"), DOCIMPORT_TIFF);
    assert_int_equal(SNIFF("%PDF-1.7\n"), DOCIMPORT_PDF);
    assert_int_equal(SNIFF("junk before\n%PDF-1.4\n"), DOCIMPORT_PDF);
    assert_int_equal(SNIFF("%!PS-Adobe-3.0\n"), DOCIMPORT_PS);
    assert_int_equal(SNIFF("\xc5\xd0\xd3\xc6 eps"), DOCIMPORT_PS);
    assert_int_equal(SNIFF("P4\n8 1\n\xff"), DOCIMPORT_PBM);
    assert_int_equal(SNIFF("P1 # plain\n1 1 1"), DOCIMPORT_PBM);
    assert_int_equal(SNIFF("\x89PNG\r\n\x1a\n...."), DOCIMPORT_PNG);
    assert_int_equal(SNIFF("P5\n1 1\n255\n\0"), DOCIMPORT_UNKNOWN); /* PGM */
    assert_int_equal(SNIFF("P4x"), DOCIMPORT_UNKNOWN);
    assert_int_equal(SNIFF("GIF89a"), DOCIMPORT_UNKNOWN);
    assert_int_equal(SNIFF("plain text"), DOCIMPORT_UNKNOWN);
    assert_int_equal(docimport_sniff((const unsigned char *)"", 0),
                     DOCIMPORT_UNKNOWN);
}

/* xres yres width -> xres yres width */
static const int grid_cases[][6] = {
    {204, 196, 1728, 204, 196, 1728}, /* valid: kept */
    {204, 98, 1728, 204, 98, 1728},
    {200, 200, 1728, 200, 200, 1728},
    {204, 391, 1728, 204, 391, 1728},
    {300, 300, 2592, 300, 300, 2592},
    {408, 391, 3456, 408, 391, 3456},
    {400, 400, 3456, 400, 400, 3456},
    {204, 196, 1700, 204, 196, 1728},  /* narrow: centred */
    {204, 196, 1734, 204, 196, 1728},  /* 2 % over: cropped */
    {204, 196, 2048, 204, 196, 2048},  /* B4 kept */
    {300, 300, 2550, 300, 300, 2592},  /* Letter at 300 */
    {150, 150, 1240, 204, 196, 1728},  /* nearest fax resolution */
    {72, 72, 612, 204, 98, 1728},
    {600, 600, 4960, 400, 400, 3456},
    {254, 254, 2100, 300, 300, 2592},
    {100, 100, 827, 204, 98, 1728},
};

static void
test_target_grid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof grid_cases / sizeof grid_cases[0]; i++) {
        const int *c = grid_cases[i];
        struct page_format f;

        docimport_target(c[0], c[1], c[2], &f);
        printf("%dx%d %d -> %dx%d %d\n", c[0], c[1], c[2], f.xres, f.yres,
               f.width);
        assert_int_equal(f.xres, c[3]);
        assert_int_equal(f.yres, c[4]);
        assert_int_equal(f.width, c[5]);
        assert_int_equal(f.coding, PAGE_CODING_MMR);
    }
}

/* Write bytes to a temporary file; its path into path. */
static void
temp_file(char *path, size_t n, const void *data, size_t len)
{
    int fd;

    snprintf(path, n, "/tmp/test_docimport-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

static void
test_pbm_pages_and_relabel(void **state)
{
    /* two raw images, 12x2 each (no resolution: 204x196, centred in 1728),
     * with a comment in the header */
    static const unsigned char pbm[] = "P4\n# two\n12 2\n\xff\xf0\x80\x10"
                                       "P4 12 2\n\x00\x00\xff\xf0";
    struct page_doc *doc = page_doc_new();
    struct docimport_file f;
    struct errbuf why;
    char path[64];
    const struct page_bitmap *p;
    size_t off = (1728 - 12) / 2 / 8;

    (void)state;
    temp_file(path, sizeof path, pbm, sizeof pbm - 1);
    assert_int_equal(docimport_add(doc, path, &f, &why), 0);
    unlink(path);
    assert_int_equal(f.kind, DOCIMPORT_PBM);
    assert_int_equal(f.pages, 2);
    assert_int_equal(f.rewidthed, 2);
    assert_int_equal(f.resampled, 0);
    assert_int_equal(page_doc_count(doc), 2);
    p = page_doc_page(doc, 0);
    assert_int_equal(p->width, 1728);
    assert_int_equal(p->height, 2);
    assert_int_equal(p->xres, 204);
    assert_int_equal(p->yres, 196);
    assert_int_equal(p->bits[off], 0xff);
    assert_int_equal(p->bits[off + 1], 0xf0);
    assert_int_equal(p->bits[p->stride + off], 0x80);
    assert_int_equal(p->bits[p->stride + off + 1], 0x10);
    p = page_doc_page(doc, 1);
    assert_int_equal(p->bits[p->stride + off], 0xff);
    page_doc_free(doc);
}

static void
test_pbm_bad(void **state)
{
    static const char *const bad[] = {
        "P4\n12 2\n\xff",           /* truncated raster */
        "P4\n0 2\n",                /* zero width */
        "P4\n99999999 1\n",         /* over the width limit */
        "P1\n2 2\n1 0 1",           /* plain, a pixel short */
        "P1\n1 1\n1\nGARBAGE",      /* data after an image */
    };
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct page_doc *doc = page_doc_new();
        struct docimport_file f;
        struct errbuf why;
        char path[64];

        errbuf_clear(&why);
        temp_file(path, sizeof path, bad[i], strlen(bad[i]));
        assert_int_equal(docimport_add(doc, path, &f, &why), -1);
        unlink(path);
        printf("%zu: %s\n", i, why.text);
        assert_int_equal(why.cls, ERR_PERM);
        assert_non_null(strstr(why.text, "PBM"));
        page_doc_free(doc);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sniff_by_magic),
        cmocka_unit_test(test_target_grid),
        cmocka_unit_test(test_pbm_pages_and_relabel),
        cmocka_unit_test(test_pbm_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
