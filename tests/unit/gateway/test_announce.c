/* tests for gateway/announce: stale AudioSocket announcements are purged,
 * fresh ones and foreign names kept, the work per pass bounded */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway/announce.h"
#include "gateway/lines.h"

#define NOW_S 1796000000LL /* a fixed "now": mtimes are set relative to it */

struct fixture {
    char spool[64];
    char dir[128];
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);

    snprintf(f->spool, sizeof f->spool, "/tmp/announce.XXXXXX");
    assert_non_null(mkdtemp(f->spool));
    snprintf(f->dir, sizeof f->dir, "%s/%s", f->spool, LINES_ANNOUNCE_DIR);
    assert_int_equal(mkdir(f->dir, 0770), 0);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->spool);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* dir/name, last modified age_s before NOW_S */
static void
put(const struct fixture *f, const char *name, int64_t age_s)
{
    char path[256];
    struct timespec t[2] = {{.tv_sec = NOW_S - age_s},
                            {.tv_sec = NOW_S - age_s}};
    int fd;

    snprintf(path, sizeof path, "%s/%s", f->dir, name);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "CALL caller=1 called=2 name=\n", 29), 29);
    close(fd);
    assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
}

static bool
exists(const struct fixture *f, const char *name)
{
    char path[256];

    snprintf(path, sizeof path, "%s/%s", f->dir, name);
    return access(path, F_OK) == 0;
}

#define U_OLD   "0b5e2c1a-1111-4a4a-8b8b-000000000001"
#define U_FRESH "0b5e2c1a-1111-4a4a-8b8b-000000000002"
#define U_EDGE  "0b5e2c1a-1111-4a4a-8b8b-000000000003"

static void
test_stale_removed_fresh_and_foreign_kept(void **state)
{
    struct fixture *f = *state;
    struct errbuf why;
    char sub[256];

    put(f, U_OLD, ANNOUNCE_MAX_AGE_S + 60);            /* the call never came */
    put(f, U_FRESH, 5);                                /* its call is ringing */
    put(f, U_EDGE, ANNOUNCE_MAX_AGE_S - 1);            /* not yet */
    put(f, "." U_OLD ".4242", ANNOUNCE_MAX_AGE_S * 3); /* a dead writer's */
    put(f, "notes.txt", ANNOUNCE_MAX_AGE_S * 10);      /* not ours */
    put(f, "." U_OLD ".42x", ANNOUNCE_MAX_AGE_S * 3);  /* not ours either */
    snprintf(sub, sizeof sub, "%s/0b5e2c1a-1111-4a4a-8b8b-000000000009",
             f->dir);
    assert_int_equal(mkdir(sub, 0700), 0); /* a directory: kept */

    assert_int_equal(announce_purge(f->spool, NOW_S * 1000, &why), 2);
    assert_false(exists(f, U_OLD));
    assert_false(exists(f, "." U_OLD ".4242"));
    assert_true(exists(f, U_FRESH));
    assert_true(exists(f, U_EDGE));
    assert_true(exists(f, "notes.txt"));
    assert_true(exists(f, "." U_OLD ".42x"));
    assert_true(access(sub, F_OK) == 0);
    /* nothing more to do */
    assert_int_equal(announce_purge(f->spool, NOW_S * 1000, &why), 0);
    /* time passes: the edge one goes too */
    assert_int_equal(announce_purge(f->spool, (NOW_S + 2) * 1000, &why), 1);
    assert_false(exists(f, U_EDGE));
}

static void
test_work_per_pass_bounded(void **state)
{
    struct fixture *f = *state;
    struct errbuf why;
    int n = ANNOUNCE_PURGE_MAX + 44, total = 0, r;
    char name[40];

    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "0b5e2c1a-2222-4a4a-8b8b-%012d", i);
        put(f, name, ANNOUNCE_MAX_AGE_S + 1);
    }
    r = announce_purge(f->spool, NOW_S * 1000, &why);
    assert_int_equal(r, ANNOUNCE_PURGE_MAX);
    total += r;
    r = announce_purge(f->spool, NOW_S * 1000, &why);
    assert_int_equal(r, 44);
    total += r;
    assert_int_equal(total, n);
}

static void
test_missing_dir_is_nothing_to_do(void **state)
{
    struct fixture *f = *state;
    struct errbuf why;

    assert_int_equal(rmdir(f->dir), 0);
    assert_int_equal(announce_purge(f->spool, NOW_S * 1000, &why), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_stale_removed_fresh_and_foreign_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_work_per_pass_bounded, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_missing_dir_is_nothing_to_do,
                                        setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
