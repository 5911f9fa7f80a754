/*
 * metrics - counters of what the gateway did, in OpenMetrics text
 *
 * Owns an in-memory registry of counter families (calls, pages, failures by
 * cause, deliveries by outcome and profile). Thread owners (line threads,
 * scan worker, delivery workers) add to it through the daemon; the web
 * server renders it for GET /metrics together with queue gauges it reads at
 * scrape time. Label values are bounded and escaped (OpenMetrics 1.0:
 * \\, \" and \n); at most METRICS_SERIES_MAX series, further ones are
 * counted in ifaxgw_metrics_dropped_total. Errors: none (allocation aborts).
 * Threads: any; one mutex inside.
 */
#ifndef IFAXGW_GATEWAY_UTIL_METRICS_H
#define IFAXGW_GATEWAY_UTIL_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define METRICS_SERIES_MAX 512 /* distinct label sets over all families */
#define METRICS_LABEL_MAX  64  /* bytes of one label value; longer is cut */
#define METRICS_CONTENT_TYPE                                                   \
    "application/openmetrics-text; version=1.0.0; charset=utf-8"

enum metrics_family {
    METRICS_CALLS,      /* ifaxgw_calls_total{line,result} */
    METRICS_PAGES,      /* ifaxgw_pages_total{source} (fax, scan: as the
                           job's source in meta.json) */
    METRICS_FAILURES,   /* ifaxgw_failures_total{cause} */
    METRICS_DELIVERIES, /* ifaxgw_deliveries_total{outcome,profile} */
    METRICS_FAMILY_COUNT
};

/* One spool state's gauges, read from the queue when /metrics is scraped. */
struct metrics_queue {
    const char *state;   /* "incoming", "queue", "done", "failed" */
    uint64_t jobs;       /* ifaxgw_queue_jobs{state} */
    double oldest_age_s; /* ifaxgw_queue_oldest_age_seconds{state}; 0: none */
};

struct metrics;

/* Caller frees with metrics_free(); metrics_free(NULL) is a no-op. */
struct metrics *metrics_init(void);
void metrics_free(struct metrics *m);

/* Add n to the series of family f with label values l1 and l2 (l2 is
 * ignored by one-label families; NULL reads as ""). m NULL: no-op. */
void metrics_add(struct metrics *m, enum metrics_family f, const char *l1,
                 const char *l2, uint64_t n);
/* The current value of one series (0 when absent); for tests. */
uint64_t metrics_get(struct metrics *m, enum metrics_family f, const char *l1,
                     const char *l2);

/* The whole exposition, ending in "# EOF\n". q may be NULL when nq is 0.
 * Returns a NUL-terminated string the caller frees; *len gets its length. */
char *metrics_render(struct metrics *m, const struct metrics_queue *q,
                     size_t nq, size_t *len);

#endif
