/* test_tifflog - which job a libtiff message is about */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gateway/tifflog.h"

static void
test_tifflog_job_of_paths(void **state)
{
    char b[64];

    (void)state;
    assert_string_equal(tifflog_job_of("/var/spool/ifaxgw/incoming/"
                                       "20261203T140011.703-348cbc9f/pages.tif",
                                       b, sizeof b),
                        "20261203T140011.703-348cbc9f");
    assert_string_equal(tifflog_job_of("/tmp/x/pages.tif", b, sizeof b), "x");
    assert_string_equal(tifflog_job_of("/tmp/a b/pages.tif", b, sizeof b), "");
    assert_string_equal(tifflog_job_of("pages.tif", b, sizeof b), "");
    assert_string_equal(tifflog_job_of("/pages.tif", b, sizeof b), "");
    assert_string_equal(tifflog_job_of("/x/../pages.tif", b, 3), "");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tifflog_job_of_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
