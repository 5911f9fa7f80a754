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
 * router_rcpt_settings() gives an address named by hand (`submit --to`, the
 * web's resend) the delivery settings a route has for it (mode, pinned
 * host, format, TLS), so a hand-made recipient goes where the route's does.
 * Errors: -1 with why (ERR_PERM "no route matched"). Threads: any.
 */
#ifndef IFAXGW_GATEWAY_SPOOL_ROUTER_H
#define IFAXGW_GATEWAY_SPOOL_ROUTER_H

#include <stdbool.h>

#include <stddef.h>

#include "conf/config.h"
#include "gateway/spool/job.h"
#include "gateway/util/errbuf.h"

/* queue_router_fn: arg is unused (the snapshot holds the config). */
int router_route_job(void *arg, struct job *j, struct errbuf *why);

/* The route j takes under cf: a scan profile's own route, else the first
 * route that matches the job's source (line), called and caller numbers,
 * CSID and creation time, else "default"; NULL when none. explain (n
 * bytes) says why. Borrowed from cf. */
const struct config_route *router_find(const struct config *cf,
                                       const struct job *j, char *explain,
                                       size_t n);

/* r's name, expanded subject and notify address into j; not its
 * recipients (for an input that names its own). */
int router_apply_meta(const struct config_route *r, struct job *j,
                      struct errbuf *why);

/* Delivery settings for address into *out (out->address = address; a
 * pinned host is written to host, n >= 300 bytes): those of the recipient
 * with that address in r (may be NULL), else in the first route naming it,
 * else smtp.mode with MX resolution. Returns 1 (from r), 2 (another route)
 * or 0 (defaults). */
int router_rcpt_settings(const struct config *cf, const struct config_route *r,
                         const char *address, struct rcpt_spec *out, char *host,
                         size_t n);

/* Should the line answer this call? why gets the route's explanation. */
bool router_should_answer(const char *line, const char *called,
                          const char *caller, char *why, size_t why_len);

#endif
