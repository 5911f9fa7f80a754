/* tests for smtp/capcache: the per-recipient capability cache on disk */
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

#include "smtp/capcache.h"

static const char caps_mmr[] = "(& (image-coding=[MH,MR,MMR]) (dpi=204))";

static char *
temp_dir(void)
{
    char *d = strdup("/tmp/test_capcache.XXXXXX");

    assert_non_null(mkdtemp(d));
    return d;
}

static void
cleanup(const char *dir)
{
    char cmd[256];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void
test_capcache_put_get_survives_reopen(void **state)
{
    char *dir = temp_dir(), path[256], buf[256];
    struct errbuf why;
    struct capcache *c;
    int64_t t = 0;

    (void)state;
    snprintf(path, sizeof path, "%s/%s", dir, CAPCACHE_FILE);
    errbuf_clear(&why);
    c = capcache_open(path, &why);
    assert_non_null(c);
    assert_int_equal(why.cls, ERR_NONE);
    assert_int_equal(
        capcache_get(c, "fax@ifax.example", 1000, 60, buf, sizeof buf, NULL),
        0);
    assert_int_equal(
        capcache_put(c, "Fax@IFAX.Example", caps_mmr, 1000000, &why), 0);
    capcache_free(c);
    /* the file is there, whole, and a new process sees the entry */
    c = capcache_open(path, &why);
    assert_int_equal(capcache_get(c, "Fax@ifax.example", 1000000 + 59999, 60,
                                  buf, sizeof buf, &t),
                     1);
    assert_string_equal(buf, caps_mmr);
    assert_int_equal(t, 1000000);
    /* the local part keeps its case */
    assert_int_equal(
        capcache_get(c, "fax@ifax.example", 1000001, 60, buf, sizeof buf, NULL),
        0);
    /* stale after max age */
    assert_int_equal(capcache_get(c, "Fax@ifax.example", 1000000 + 60000, 60,
                                  buf, sizeof buf, NULL),
                     0);
    /* too small a buffer is "absent", never truncated */
    assert_int_equal(
        capcache_get(c, "Fax@ifax.example", 1000001, 60, buf, 8, NULL), 0);
    assert_int_equal(capcache_forget(c, "Fax@ifax.example", &why), 0);
    capcache_free(c);
    c = capcache_open(path, &why);
    assert_int_equal(
        capcache_get(c, "Fax@ifax.example", 1000001, 60, buf, sizeof buf, NULL),
        0);
    capcache_free(c);
    cleanup(dir);
    free(dir);
}

static void
test_capcache_corrupt_file_set_aside(void **state)
{
    char *dir = temp_dir(), path[256], bad[300], buf[64];
    struct errbuf why;
    struct capcache *c;
    FILE *fp;

    (void)state;
    snprintf(path, sizeof path, "%s/%s", dir, CAPCACHE_FILE);
    snprintf(bad, sizeof bad, "%s.bad", path);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("{\"version\":1,\"caps\":{\"a@b\":", fp);
    fclose(fp);
    errbuf_clear(&why);
    c = capcache_open(path, &why);
    assert_non_null(c);
    assert_int_equal(why.cls, ERR_TEMP);
    assert_int_equal(access(bad, F_OK), 0);
    assert_int_equal(capcache_get(c, "a@b", 1, 60, buf, sizeof buf, NULL), 0);
    assert_int_equal(capcache_put(c, "a@b", "(x=1)", 1, &why), 0);
    capcache_free(c);
    cleanup(dir);
    free(dir);
}

static void
test_capcache_rejects_control_bytes(void **state)
{
    char *dir = temp_dir(), path[256];
    struct errbuf why;
    struct capcache *c;

    (void)state;
    snprintf(path, sizeof path, "%s/%s", dir, CAPCACHE_FILE);
    c = capcache_open(path, &why);
    assert_int_equal(capcache_put(c, "a@b", "(x=1)\r\n(y=2)", 1, &why), -1);
    assert_int_equal(capcache_put(c, "a@b", "", 1, &why), -1);
    capcache_free(c);
    cleanup(dir);
    free(dir);
}

static int
count_cb(void *arg, const char *rcpt, const char *caps, int64_t learned_ms)
{
    (void)rcpt;
    (void)caps;
    (void)learned_ms;
    ++*(int *)arg;
    return 0;
}

static void
test_capcache_walk_sees_every_entry(void **state)
{
    char *dir = temp_dir(), path[256], a[32];
    struct errbuf why;
    struct capcache *c;
    int i, n = 0;

    (void)state;
    snprintf(path, sizeof path, "%s/%s", dir, CAPCACHE_FILE);
    c = capcache_open(path, &why);
    for (i = 0; i < 5; i++) {
        snprintf(a, sizeof a, "f%d@x.example", i);
        assert_int_equal(capcache_put(c, a, caps_mmr, i, &why), 0);
    }
    capcache_walk(c, count_cb, &n);
    assert_int_equal(n, 5);
    capcache_free(c);
    cleanup(dir);
    free(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capcache_put_get_survives_reopen),
        cmocka_unit_test(test_capcache_corrupt_file_set_aside),
        cmocka_unit_test(test_capcache_rejects_control_bytes),
        cmocka_unit_test(test_capcache_walk_sees_every_entry),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
