/*
 * scanjob - a scan with a profile, from the scanner into the queue
 *
 * The glue between scan/ (SANE capture, bitmaps out through a handler),
 * gateway/page (fax grid: width 1728/2592/3456 by centring, MMR) and
 * gateway/spool/queue (incoming job, commit). Used by `ifaxgw scan`, the web
 * panel and the scanner's button. Pages are kept in memory until the batch
 * ends; a failed batch commits nothing unless keep_partial asks for the
 * pages scanned so far (marked partial). Recipients come from the caller
 * (--to, the panel) or, when none, from the profile's route or the routes.
 * Errors: -1 with why; the scan outcome in rep. Threads: one call per
 * scanner at a time (scan/ refuses a second one as busy).
 */
#ifndef IFAXGW_GATEWAY_INTAKE_SCANJOB_H
#define IFAXGW_GATEWAY_INTAKE_SCANJOB_H

#include <stdatomic.h>
#include <stdbool.h>

#include "conf/config.h"
#include "gateway/page/page_format.h"
#include "gateway/spool/job.h"
#include "gateway/spool/queue.h"
#include "gateway/util/errbuf.h"
#include "scan/scan.h"

#define SCANJOB_MAX_TO 16 /* recipients named at the panel or with --to */

/* Progress, called from the scanning thread after each page is stored. */
typedef void (*scanjob_progress_fn)(void *arg, int pages_done);

struct scanjob_req {
    const struct config_scan_profile *profile; /* required */
    const char *device;   /* overrides profile and scanner.device; or NULL */
    const char *to[SCANJOB_MAX_TO]; /* NULL-terminated; empty: routes decide */
    const char *extra[SCAN_MAX_EXTRA]; /* SANE name=value, NULL-terminated */
    bool keep_partial;    /* commit the pages so far when the batch fails */
    atomic_bool *cancel;  /* may be NULL */
    scanjob_progress_fn progress;
    void *progress_arg;
};

struct scanjob_result {
    struct scan_report scan;
    char job_id[JOB_ID_MAX]; /* "" when nothing was committed */
    int pages;               /* pages committed */
};

/* The fax grid a scan at dpi goes to: 200 -> 200x200 1728, 300 -> 300x300
 * 2592, 400 -> 400x400 3456; other resolutions -> 200x200 1728. */
void scanjob_grid(int dpi, struct page_format *out);

/*
 * Scan per req into a new job of q and commit it. cf supplies the scanner
 * device when the profile has none. Returns 0 with res->job_id set, or -1
 * with why (res->scan tells what the scanner said).
 */
int scanjob_run(struct queue *q, const struct config *cf,
                const struct scanjob_req *req, struct scanjob_result *res,
                struct errbuf *why);

#endif
