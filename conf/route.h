/*
 * route - which route a call or scan takes, and the mail subject it gets
 *
 * Routes are tried in file order and the first whose match criteria all
 * hold wins; a route without a match group matches everything. When none
 * matches, the route named "default" is taken if there is one; otherwise
 * route_match() returns NULL and the job cannot be committed (the queue
 * fails it with "no route matched"). A scan profile that names a route or
 * carries its own recipients bypasses the walk. Criteria: source (line
 * name or "scan:PROFILE"), called and caller numbers (fnmatch globs), CSID
 * (POSIX ERE), time of day (may wrap midnight). Plain data: no I/O, no
 * clock (the caller passes minute_of_day). Threads: any (cf is read-only).
 */
#ifndef IFAXGW_CONF_ROUTE_H
#define IFAXGW_CONF_ROUTE_H

#include <stddef.h>

#include "conf/config.h"

#define ROUTE_WHY_MAX 512 /* a good size for route_match()'s why */

/* What is known about a call or scan. NULL strings count as "". */
struct route_query {
    const char *source; /* line name or "scan:PROFILE"; NULL = line */
    const char *line;   /* line name (fax) or NULL */
    const char *called; /* called number (DID/DNIS) */
    const char *caller; /* caller ID number */
    const char *csid;   /* remote station identity (hostile) */
    int minute_of_day; /* local time 0..1439; -1 = unknown: no time rule matches
                        */
};

/*
 * The route q takes, or NULL when none matches and there is no "default".
 * why (may be NULL) gets a one-line, printable explanation: which criteria
 * matched, or why nothing did. The result is borrowed from cf.
 */
const struct config_route *route_match(const struct config *cf,
                                       const struct route_query *q, char *why,
                                       size_t why_len);

/* Values for the subject template. NULL strings expand to "". */
struct route_vars {
    const char *csid, *caller, *called, *line, *source, *job;
    const char *time; /* already formatted by the caller */
    int pages;
};

/*
 * Expand r->subject into out (size n > 0, always NUL-terminated; truncated
 * when short). Unknown ${...} are kept as written. Every control byte
 * (< 0x20, 0x7f) in the result, whether from the template or a value,
 * becomes a space, so no CR or LF can reach a header; 8-bit bytes are kept
 * for smtp/ to MIME-encode. Returns the length written.
 */
size_t route_subject(const struct config_route *r, const struct route_vars *v,
                     char *out, size_t n);

/* The same for any template string (scan panel, notify mails). */
size_t route_expand(const char *tmpl, const struct route_vars *v, char *out,
                    size_t n);

#endif
