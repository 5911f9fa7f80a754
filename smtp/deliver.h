/*
 * deliver - the delivery worker: queue -> negotiate -> convert -> send ->
 * record
 *
 * One pass claims one due job, groups its due recipients by destination
 * (direct: the pinned host or the domain, resolved by smtp/dns; relay: the
 * smarthost) and opens one session per destination. Direct: MAIL, then
 * RCPT ... CONNEG per recipient; the capability (or, without one, a cached
 * capability younger than smtp.caps_max_age_s, else none) goes to
 * conneg_choose; recipients with the same choice share one DATA, different
 * choices get their own transaction after RSET (RFC 4141 3.2, draft-03
 * App. A). Pages are converted through the page module's per-job cache,
 * composed by smtp/mime and sent. Relay: PDF (default) or TIFF per recipient
 * through smtp/relay. Each recipient's outcome goes to queue_record(): the
 * remote reply, the capability received and the profile sent. A recipient
 * that ends failed gets a notice to the job's notify address; a delivered
 * one too when the route asks for it. No reply to the final dot is a
 * deferral logged as a possible duplicate (the retry has the same
 * Message-ID, RFC 5321 4.5.3.2.6).
 * Owns: the capability cache (spool/caps.json). Logs one line per outcome
 * (it is a thread owner). Errors: -1 with why for queue failures only.
 * Threads: a context may be shared by many workers (deliver_worker()).
 */
#ifndef IFAXGW_SMTP_DELIVER_H
#define IFAXGW_SMTP_DELIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"
#include "gateway/spool/queue.h"
#include "gateway/util/errbuf.h"
#include "gateway/util/metrics.h"

#define DELIVER_IDLE_MS                                                        \
    60000 /* a worker rechecks the queue at least this                         \
             often even when nothing wakes it */

/* Counters of a context, for the CLI and the status page. */
struct deliver_stats {
    uint64_t jobs;       /* jobs claimed */
    uint64_t delivered;  /* recipients delivered */
    uint64_t deferred;   /* recipient attempts deferred */
    uint64_t failed;     /* recipients failed */
    uint64_t notices;    /* notices sent */
    uint64_t duplicates; /* possible duplicates (no reply to ".") */
};

struct deliver_ctx;

/*
 * A delivery context on queue q (borrowed; must outlive it). cf: the config
 * to use for every pass (borrowed), or NULL to take the snapshot in force
 * (conf/snapshot.h) for each job, so a reload applies to the next job.
 * Caller frees with deliver_free().
 */
struct deliver_ctx *deliver_init(struct queue *q, const struct config *cf,
                                 struct errbuf *why);
void deliver_free(struct deliver_ctx *d); /* NULL is a no-op */
/* Count each outcome into m (borrowed until deliver_free(); may be NULL):
 * deliveries{outcome,profile} and failures{cause="delivery"}. Call before
 * the workers start. */
void deliver_set_metrics(struct deliver_ctx *d, struct metrics *m);

/*
 * Claim one due job at now_ms (epoch ms), deliver its due recipients and
 * release it. Returns 1 when a job was handled, 0 when none was due, -1 with
 * why when the queue failed (claim or release).
 */
int deliver_run_once(struct deliver_ctx *d, int64_t now_ms, struct errbuf *why);

/* Thread body for the daemon's pool: passes until deliver_stop(), sleeping
 * in queue_wait() when nothing is due. arg is the struct deliver_ctx. */
void *deliver_worker(void *arg);
/* Ask workers to finish their job in hand and return; the caller then wakes
 * sleepers (queue_close() does) and joins them. */
void deliver_stop(struct deliver_ctx *d);

void deliver_get_stats(struct deliver_ctx *d, struct deliver_stats *s);


#endif
