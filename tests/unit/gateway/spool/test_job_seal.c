/* tests for job_seal_pages(): a dangling directory link left by ENOSPC */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <tiffio.h>

#include "gateway/spool/job.h"

static void
quiet(const char *mod, const char *fmt, va_list ap)
{
    (void)mod;
    (void)fmt;
    (void)ap;
}

/* A TIFF of n 64x8 bi-level pages. */
static void
make_tiff(const char *path, int n)
{
    TIFF *t = TIFFOpen(path, "w");
    uint8_t row[8];

    assert_non_null(t);
    for (int p = 0; p < n; p++) {
        TIFFSetField(t, TIFFTAG_IMAGEWIDTH, 64);
        TIFFSetField(t, TIFFTAG_IMAGELENGTH, 8);
        TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
        TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
        TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
        TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
        TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 8);
        for (uint32_t y = 0; y < 8; y++) {
            memset(row, (int)(y * 17 + (uint32_t)p), sizeof row);
            assert_int_equal(TIFFWriteScanline(t, row, y, 0), 1);
        }
        assert_int_equal(TIFFWriteDirectory(t), 1);
    }
    TIFFClose(t);
}

/* tiffinfo (an independent reader) reads the whole file. */
static bool
tiffinfo_ok(const char *path)
{
    char cmd[160];

    snprintf(cmd, sizeof cmd, "tiffinfo %s >/dev/null 2>&1", path);
    return system(cmd) == 0;
}

/* Point the last directory's next link at the end of the file, as a
 * directory write that failed after libtiff linked it leaves it. */
static void
dangle(const char *path)
{
    int fd = open(path, O_RDWR);
    struct stat st;
    uint32_t off, next = 0, end;
    uint16_t n;

    assert_true(fd >= 0);
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(pread(fd, &off, 4, 4), 4); /* little-endian host */
    for (;;) {
        assert_int_equal(pread(fd, &n, 2, off), 2);
        assert_int_equal(pread(fd, &next, 4, off + 2 + 12u * n), 4);
        if (next == 0)
            break;
        off = next;
    }
    end = (uint32_t)st.st_size;
    assert_int_equal(pwrite(fd, &end, 4, off + 2 + 12u * n), 4);
    close(fd);
}

static void
test_job_seal_pages_dangling_link(void **state)
{
    char dir[] = "/tmp/test_job_seal.XXXXXX", path[64];
    struct errbuf why;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/pages.tif", dir);
    make_tiff(path, 2);
    assert_true(tiffinfo_ok(path));
    dangle(path);
    assert_false(tiffinfo_ok(path));
    assert_int_equal(job_count_pages(path, &why), 2);
    assert_int_equal(job_seal_pages(path, 2, &why), 0);
    assert_true(tiffinfo_ok(path));
    assert_int_equal(job_count_pages(path, &why), 2);
    unlink(path);
    rmdir(dir);
}

static void
test_job_seal_pages_keeps_whole_files(void **state)
{
    char dir[] = "/tmp/test_job_seal.XXXXXX", path[64], cmd[160];
    struct errbuf why;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/pages.tif", dir);
    make_tiff(path, 3);
    snprintf(cmd, sizeof cmd, "cp %s %s.orig", path, path);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(job_seal_pages(path, 3, &why), 0);
    snprintf(cmd, sizeof cmd, "cmp -s %s %s.orig", path, path);
    assert_int_equal(system(cmd), 0);
    /* sealing after 1 of 3 pages drops the rest from the chain */
    assert_int_equal(job_seal_pages(path, 1, &why), 0);
    assert_int_equal(job_count_pages(path, &why), 1);
    assert_true(tiffinfo_ok(path));
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_job_seal_pages_dangling_link),
        cmocka_unit_test(test_job_seal_pages_keeps_whole_files),
    };

    TIFFSetErrorHandler(quiet);
    TIFFSetWarningHandler(quiet);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
