/*
 * capcache - capabilities learned by CONNEG, per recipient, with their age
 *
 * Keeps the last capability filter each recipient returned (RFC 2532 3:
 * cache learned capabilities) so that a later session to a host that offers
 * no CONNEG (a relay in front of the device, a device restarted in simple
 * mode) still gets the richer profile while the entry is younger than
 * smtp.caps_max_age_s. Stored as one JSON file (spool/caps.json) rewritten
 * atomically (tmp, fsync, rename, fsync dir) on every change; loaded at open.
 * Keys are addresses with the domain lower-cased. Two processes on one spool
 * (daemon and `ifaxgw deliver`) may overwrite each other's newest entry;
 * that only costs a CONNEG round trip later.
 * Must not: parse capabilities (conneg does), log.
 * Errors: -1 with why. Threads: any; an internal mutex guards the map.
 */
#ifndef IFAXGW_SMTP_CAPCACHE_H
#define IFAXGW_SMTP_CAPCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/util/errbuf.h"

#define CAPCACHE_FILE        "caps.json"
#define CAPCACHE_ENTRIES_MAX 10000 /* recipients kept; oldest dropped */
#define CAPCACHE_CAPS_MAX    4096  /* one capability text (JOB_REPLY_MAX) */

struct capcache;

/*
 * Open the cache stored at path (need not exist). A file that cannot be
 * parsed is set aside as path.bad and the cache starts empty: *why then
 * says so (ERR_TEMP) while a usable cache is still returned. NULL only when
 * path is unusable. Caller frees with capcache_free().
 */
struct capcache *capcache_open(const char *path, struct errbuf *why);
void capcache_free(struct capcache *c); /* NULL is a no-op */

/* Remember caps (printable text) for rcpt, learned at now_ms (epoch ms),
 * and write the file. */
int capcache_put(struct capcache *c, const char *rcpt, const char *caps,
                 int64_t now_ms, struct errbuf *why);

/*
 * Copy rcpt's capability into buf (size n) when it was learned less than
 * max_age_s before now_ms. Returns 1 (found; *learned_ms set if not NULL),
 * 0 when absent, stale or longer than n - 1.
 */
int capcache_get(struct capcache *c, const char *rcpt, int64_t now_ms,
                 int max_age_s, char *buf, size_t n, int64_t *learned_ms);

/* Drop rcpt's entry (e.g. the device now refuses what it advertised). */
int capcache_forget(struct capcache *c, const char *rcpt, struct errbuf *why);

/* Entries, in no particular order; return non-zero from fn to stop. */
typedef int (*capcache_walk_fn)(void *arg, const char *rcpt, const char *caps,
                                int64_t learned_ms);
void capcache_walk(struct capcache *c, capcache_walk_fn fn, void *arg);

#endif
