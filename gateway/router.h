/*
 * router - the queue's router: routes (conf/) decide a job's recipients
 *
 * Installed with queue_set_router(); called at commit for a job without
 * recipients. Takes the config snapshot in force, asks route_match() with the
 * job's source, line, called and caller numbers, CSID and local time, and
 * copies the route's recipients, subject (route_subject: control bytes
 * removed) and notify address into the job, so the job is self-contained.
 * A scan job whose profile names a route or carries recipients takes that.
 * router_should_answer() is the same decision for a ringing line: false
 * when the matching route says reject (caller-ID block list).
 * Errors: -1 with why (ERR_PERM "no route matched"). Threads: any.
 */
#ifndef IFAXGW_GATEWAY_ROUTER_H
#define IFAXGW_GATEWAY_ROUTER_H

#include <stdbool.h>

#include "gateway/errbuf.h"
#include "gateway/job.h"

/* queue_router_fn: arg is unused (the snapshot holds the config). */
int router_route_job(void *arg, struct job *j, struct errbuf *why);

/* Should the line answer this call? why gets the route's explanation. */
bool router_should_answer(const char *line, const char *called,
                          const char *caller, char *why, size_t why_len);

#endif
