/* tests for gateway/util/metrics: counting, label escaping, OpenMetrics text */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/util/metrics.h"

static void
test_metrics_add_and_get(void **state)
{
    struct metrics *m = metrics_init();

    (void)state;
    metrics_add(m, METRICS_CALLS, "fax0", "ok", 1);
    metrics_add(m, METRICS_CALLS, "fax0", "ok", 2);
    metrics_add(m, METRICS_CALLS, "fax0", "no-carrier", 1);
    metrics_add(m, METRICS_PAGES, "fax", "ignored", 5);
    assert_int_equal(metrics_get(m, METRICS_CALLS, "fax0", "ok"), 3);
    assert_int_equal(metrics_get(m, METRICS_CALLS, "fax0", "no-carrier"), 1);
    assert_int_equal(metrics_get(m, METRICS_PAGES, "fax", NULL), 5);
    assert_int_equal(metrics_get(m, METRICS_FAILURES, "x", NULL), 0);
    metrics_free(m);
}

static void
test_metrics_render_format(void **state)
{
    struct metrics *m = metrics_init();
    struct metrics_queue q[2] = {{"queue", 3, 12.5}, {"done", 10, 0}};
    size_t len;
    char *s;

    (void)state;
    metrics_add(m, METRICS_DELIVERIES, "delivered", "F", 4);
    metrics_add(m, METRICS_FAILURES, "smtp-permanent", NULL, 1);
    s = metrics_render(m, q, 2, &len);
    assert_int_equal(strlen(s), len);
    assert_non_null(strstr(s, "# TYPE ifaxgw_deliveries counter\n"));
    assert_non_null(strstr(
        s, "ifaxgw_deliveries_total{outcome=\"delivered\",profile=\"F\"} 4\n"));
    assert_non_null(
        strstr(s, "ifaxgw_failures_total{cause=\"smtp-permanent\"} 1\n"));
    assert_non_null(strstr(s, "ifaxgw_queue_jobs{state=\"queue\"} 3\n"));
    assert_non_null(
        strstr(s, "ifaxgw_queue_oldest_age_seconds{state=\"queue\"} 12.500\n"));
    assert_non_null(
        strstr(s, "# UNIT ifaxgw_queue_oldest_age_seconds seconds\n"));
    assert_true(len >= 6 && strcmp(s + len - 6, "# EOF\n") == 0);
    free(s);
    metrics_free(m);
}

static void
test_metrics_label_escaping(void **state)
{
    struct metrics *m = metrics_init();
    size_t len;
    char *s;

    (void)state;
    metrics_add(m, METRICS_CALLS, "a\"b\\c\nd\x01\xff", "ok", 1);
    s = metrics_render(m, NULL, 0, &len);
    assert_non_null(strstr(
        s, "ifaxgw_calls_total{line=\"a\\\"b\\\\c\\nd??\",result=\"ok\"} 1\n"));
    free(s);
    metrics_free(m);
}

static void
test_metrics_series_limit(void **state)
{
    struct metrics *m = metrics_init();
    char label[32];
    size_t len;
    char *s;

    (void)state;
    for (int i = 0; i < METRICS_SERIES_MAX + 10; i++) {
        snprintf(label, sizeof label, "cause-%d", i);
        metrics_add(m, METRICS_FAILURES, label, NULL, 1);
    }
    s = metrics_render(m, NULL, 0, &len);
    assert_non_null(strstr(s, "ifaxgw_metrics_dropped_total 10\n"));
    free(s);
    metrics_free(m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_add_and_get),
        cmocka_unit_test(test_metrics_render_format),
        cmocka_unit_test(test_metrics_label_escaping),
        cmocka_unit_test(test_metrics_series_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
