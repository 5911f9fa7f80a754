/* tests for conf/snapshot: refcounts across swaps, concurrent readers */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "conf/config.h"
#include "conf/snapshot.h"

#define MINIMAL                                                                \
    "lines = ( { name = \"fax1\"; device = \"/dev/ttyUSB0\"; } );\n"           \
    "routes = ( { name = \"all\"; recipients = ( \"fax@ifax.example\" ); } "   \
    ");\n"

static void
test_snapshot_swap_keeps_readers_safe(void **state)
{
    struct config *a = config_load_string(MINIMAL, "a.conf", NULL);
    struct config *b = config_load_string(MINIMAL, "b.conf", NULL);
    const struct config *held, *now;

    (void)state;
    assert_null(snapshot_get());
    snapshot_swap(a);
    held = snapshot_get();
    assert_ptr_equal(held, a);
    snapshot_swap(b); /* a stays alive: held */
    assert_string_equal(held->file, "a.conf");
    now = snapshot_get();
    assert_ptr_equal(now, b);
    snapshot_put(held); /* frees a (ASan checks) */
    snapshot_put(now);
    assert_int_equal(snapshot_reload("/nonexistent/ifaxgw.conf", NULL), -1);
    now = snapshot_get();
    assert_ptr_equal(now, b); /* a bad reload keeps the old config */
    snapshot_put(now);
    snapshot_swap(NULL);
    assert_null(snapshot_get());
}

static atomic_bool stop;

/* A reader: take the config, read it through, give it back. ASan sees a
 * use after free if a swap ever frees a config still held. */
static void *
reader(void *arg)
{
    long *reads = arg;

    while (!atomic_load(&stop)) {
        const struct config *cf = snapshot_get();
        if (cf != NULL) {
            if (strcmp(cf->routes[0].recipients[0].address,
                       "fax@ifax.example") != 0)
                return NULL;
            (*reads)++;
        }
        snapshot_put(cf);
    }
    return arg;
}

static void
test_snapshot_concurrent_readers_and_swaps(void **state)
{
    pthread_t t[4];
    long reads[4] = {0};

    (void)state;
    atomic_store(&stop, false);
    snapshot_swap(config_load_string(MINIMAL, "0.conf", NULL));
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, reader, &reads[i]), 0);
    for (int i = 0; i < 200; i++)
        snapshot_swap(config_load_string(MINIMAL, "n.conf", NULL));
    atomic_store(&stop, true);
    for (int i = 0; i < 4; i++) {
        void *ret;
        assert_int_equal(pthread_join(t[i], &ret), 0);
        assert_ptr_equal(ret, &reads[i]); /* saw a whole config every time */
    }
    snapshot_swap(NULL);
    assert_null(snapshot_get());
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snapshot_swap_keeps_readers_safe),
        cmocka_unit_test(test_snapshot_concurrent_readers_and_swaps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
