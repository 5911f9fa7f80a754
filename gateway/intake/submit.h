/*
 * submit - a document handed in from outside, committed as one job
 *
 * The one path by which `ifaxgw submit` (pages from
 * gateway/intake/docimport) and the web page's resend (a job's pages.tif,
 * copied as it is) reach the
 * queue: an incoming job, pages.tif, the call data (line, caller, called,
 * CSID) and then the same queue_commit() as a received fax. Without
 * addresses the routes decide exactly as for a call with that data; with
 * addresses, each gets the delivery settings a route has for it
 * (router_rcpt_settings: pinned host, relay, format, TLS), and the route
 * the data matches still gives the subject and notify address.
 * Must not: read documents (docimport does) or log. Errors: -1 with why;
 * nothing is left in the spool (the incoming job is aborted).
 * Threads: any; the routes come from the config snapshot in force.
 */
#ifndef IFAXGW_GATEWAY_INTAKE_SUBMIT_H
#define IFAXGW_GATEWAY_INTAKE_SUBMIT_H

#include <stddef.h>

#include <jansson.h>

#include "gateway/page/page.h"
#include "gateway/spool/job.h"
#include "gateway/spool/queue.h"
#include "gateway/util/errbuf.h"

#define SUBMIT_MAX_TO 16 /* addresses named by hand */

struct submit_req {
    const char *source; /* meta.json "source": "submit", or a resent job's */
    const char *line, *caller, *called, *csid; /* each may be NULL */
    const char *subject;        /* overrides the route's; NULL */
    const char *partial_reason; /* the pages are partial (a resend); NULL */
    const char *to[SUBMIT_MAX_TO]; /* NULL-terminated; none: routes decide */
    const struct page_doc *doc;    /* pages, written as MMR; or NULL and */
    const char *pages_from;        /* a pages.tif copied byte for byte */
    const struct job *like; /* a resent job: its own recipient entries give
                               their settings to the same addresses when no
                               route names them; NULL */
    json_t *record;         /* meta.json "record"; stolen; may be NULL */
};

/* Commit req as a new job; its id into id (JOB_ID_MAX), its pages into
 * *pages (may be NULL). */
int submit_commit(struct queue *q, const struct submit_req *req, char *id,
                  int *pages, struct errbuf *why);

#endif
