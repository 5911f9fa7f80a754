/*
 * queue - the durable job spool
 *
 * Owns spool/{incoming,queue,done,failed,trash,ctl}. A job is a directory
 * holding meta.json, pages.tif and caller-named files (out-*.tif, t30.log,
 * smtp.log). A job changes state only by rename(2) of its directory, after
 * its files and meta.json are fsync'ed; both parents are fsync'ed after, so a
 * crash leaves each job uncommitted or whole. docs/spool.md has the layout,
 * the meta.json fields and the recovery rules.
 * Callers: gateway glue for t30/ and scan/ create and commit; smtp/ workers
 * claim, record and release; web and the CLI list, load, retry, delete.
 * Must not: parse page contents (beyond counting TIFF pages), speak SMTP, log
 * (recovery reports through a handler, outcomes through errbuf).
 * Errors: 0 or -1 (NULL) with *why filled; ENOSPC is ERR_TEMP.
 * Threads: any; the index has its own mutex. A job handle belongs to one
 * thread at a time. Another process (the CLI) shares the spool through a
 * flock(2) on each job directory and the spool/ctl/kick file.
 */
#ifndef IFAXGW_GATEWAY_SPOOL_QUEUE_H
#define IFAXGW_GATEWAY_SPOOL_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "gateway/spool/job.h"
#include "gateway/util/errbuf.h"

#define QUEUE_RETRY_MAX 32 /* entries in a retry schedule */

/* Retry policy from the config (smtp.retry, smtp.expiry, gateway.retention).
 * retry_s[i] is the wait after attempt i+1 failed temporarily; the last entry
 * repeats. A job older than expiry_s fails its undelivered recipients.
 * retention_s: done/ and failed/ jobs older than this are purged. */
struct queue_policy {
    const int *retry_s; /* n_retry > 0 entries, each > 0; borrowed */
    size_t n_retry;
    int expiry_s;    /* > 0 */
    int retention_s; /* > 0 */
};

/* What start-up recovery did with one leftover; the caller logs it (O4). */
enum queue_recovery {
    QUEUE_RECOVER_COMMITTED, /* incoming job with pages: now queued, partial */
    QUEUE_RECOVER_FINISHED,  /* incoming job whose commit was under way */
    QUEUE_RECOVER_DISCARDED, /* incoming job without a page: removed */
    QUEUE_RECOVER_BROKEN,    /* could not be dealt with (detail says why);
                                left in place for the operator */
    QUEUE_RECOVER_TEMPFILE,  /* stray temporary file removed */
    QUEUE_RECOVER_HELD,      /* incoming job whose commit failed for want of
                                space: held, retried at each queue_rescan() */
    QUEUE_RECOVER_RETRIED    /* a held job committed once space returned */
};
const char *queue_recovery_name(enum queue_recovery what);

/* id: job id or file path; detail: why, printable ASCII, may be "". */
typedef void (*queue_recover_fn)(void *arg, enum queue_recovery what,
                                 const char *id, const char *detail);

/*
 * The router fills recipients (job_add_rcpt), route name, subject and notify
 * (job_set_route) of a job that has none at commit. Return 0, or -1 with *why
 * (the commit then fails and the job stays in incoming/). Called without the
 * index lock held, from the committing thread.
 */
typedef int (*queue_router_fn)(void *arg, struct job *j, struct errbuf *why);

struct queue_opts {
    const struct queue_policy *policy; /* copied; required */
    /* true: this process is the daemon: takes spool/ctl/daemon.lock (a second
     * daemon on the same spool fails), recovers incoming/ and trash/, builds
     * the delivery index. false: a client (CLI): no recovery, no claims. */
    bool daemon;
    const char *hostname;   /* right side of Message-IDs; NULL: gethostname() */
    queue_router_fn router; /* may be NULL (then every job needs recipients) */
    void *router_arg;
    queue_recover_fn on_recover; /* may be NULL */
    void *recover_arg;
};

struct queue;

/* Open (creating the directories of) the spool. Daemon mode recovers
 * incoming/ and trash/ and indexes queue/ by listing it: each job's
 * meta.json is read at its first claim, which also moves a job with an
 * unreadable meta.json to failed/ and a job whose recipients are all final
 * to done/ or failed/. Caller frees with queue_close(). */
struct queue *queue_open(const char *spool_dir, const struct queue_opts *o,
                         struct errbuf *why);
/* Wakes queue_wait() sleepers first; every job handle must be freed and
 * every claimed job released before. NULL is a no-op. */
void queue_close(struct queue *q);

/* Replace the router (config reload). Threads: any. */
void queue_set_router(struct queue *q, queue_router_fn fn, void *arg);
/* Replace the policy (config reload); *p is copied. */
void queue_set_policy(struct queue *q, const struct queue_policy *p);

/* --- inputs ---------------------------------------------------------- */

/*
 * Make spool/incoming/<new id>/ durably. source: "fax" or "scan" (free text
 * for the record). The caller then writes pages.tif (job_path) and sets the
 * metadata. Caller frees the handle with job_free() after queue_commit() or
 * queue_abort().
 */
struct job *queue_create(struct queue *q, const char *source,
                         struct errbuf *why);

/*
 * Accept the job: count the pages of pages.tif (complete pages only: zero
 * refuses with ERR_PERM, the call failed and nothing was received), fsync
 * every file, assign the Message-ID, ask the router when the job has no
 * recipient (none after routing: ERR_PERM), write meta.json, rename
 * incoming/<id> to queue/<id>, fsync both parents, wake workers. On -1 the
 * job stays in incoming/: call queue_abort() or retry. The handle stays the
 * caller's (job_free()).
 */
int queue_commit(struct queue *q, struct job *j, struct errbuf *why);

/*
 * Hand over an incoming job whose queue_commit() failed with ERR_TEMP (the
 * disk is full): the queue owns the handle from now on, keeps its directory
 * locked, and retries the commit at every queue_rescan() on its own, so the
 * job is accepted as soon as there is space again, without waiting for a
 * call or a restart. Each outcome is reported through on_recover: HELD now
 * (detail: why), RETRIED when committed, BROKEN when the commit can never
 * succeed (left in incoming/ for the operator). queue_close() tries once
 * more and leaves what still fails for start-up recovery. Listings show a
 * held job's note "commit waits for spool space: <why>". Daemon mode.
 */
void queue_commit_later(struct queue *q, struct job *j,
                        const struct errbuf *why);

/* Write meta.json of an uncommitted job now (e.g. once the CSID is known),
 * so start-up recovery of an interrupted call keeps the metadata. Optional:
 * queue_commit() writes it anyway. */
int queue_save(struct queue *q, struct job *j, struct errbuf *why);

/* Remove an uncommitted job (incoming/<id>) and its files. */
int queue_abort(struct queue *q, struct job *j, struct errbuf *why);

/* --- delivery -------------------------------------------------------- */

/*
 * Take a queued job with at least one due recipient (job_rcpt_due()), oldest
 * due first, marked busy (no other worker or process gets it) and locked.
 * Returns NULL with why->cls == ERR_NONE when nothing is due; NULL with an
 * error otherwise. Daemon mode only. The handle is the caller's until
 * queue_release().
 */
struct job *queue_claim(struct queue *q, int64_t now_ms, struct errbuf *why);

/* Asked with the loaded, locked job before queue_claim_filter() hands it
 * out: true takes it; false leaves it queued and not offered again (nor
 * counted as due by queue_wait()) until the queue changes (a release, a
 * commit), and the claim goes on with the next due job. Called without
 * the index lock; must not block. */
typedef bool (*queue_accept_fn)(void *arg, const struct job *j);
/* queue_claim() with accept (NULL: every job), e.g. for limits per
 * destination (smtp/deliver). */
struct job *queue_claim_filter(struct queue *q, int64_t now_ms,
                               queue_accept_fn accept, void *arg,
                               struct errbuf *why);

/*
 * Block until the queue changes (commit, release, retry, a rescan found
 * work), the earliest deferred recipient in the index becomes due,
 * deadline_ms passes (epoch ms, CLOCK_REALTIME; 0 = none), or
 * queue_shutdown() was called. Returns 0, or -1 once shutting down (workers
 * then exit). Workers loop: claim until NULL, then wait.
 */
int queue_wait(struct queue *q, int64_t deadline_ms);

/* Wake every queue_wait() for good (SIGTERM). queue_close() follows once the
 * workers have been joined. */
void queue_shutdown(struct queue *q);

enum rcpt_result {
    RCPT_RESULT_DELIVERED, /* remote accepted: reply is its 250 text */
    RCPT_RESULT_DEFERRED,  /* temporary: next try from the policy, or failed
                              when the job has expired */
    RCPT_RESULT_FAILED     /* permanent: reason in reply */
};

struct rcpt_outcome {
    enum rcpt_result result;
    const char *reply;      /* remote reply or our reason; hostile, stored as
                               given (escape at output); NULL = "" */
    const char *capability; /* CONNEG capability text received, or NULL */
    const char *profile;    /* profile sent ("S", "F", "pdf"...), or NULL */
    int64_t now_ms;         /* epoch ms of the attempt's end */
    bool notify_failure;    /* owe a notice if the recipient ends failed */
    bool notify_success;    /* owe a notice if it ends delivered */
};

/* Settle one recipient of a claimed job: attempts+1, state, next_try, reply,
 * and the notice owed when it became final, written to meta.json durably
 * before returning. */
int queue_record(struct queue *q, struct job *j, size_t rcpt,
                 const struct rcpt_outcome *o, struct errbuf *why);

/* Settle a try of recipient rcpt's owed notice: DELIVERED -> sent, FAILED
 * -> failed, DEFERRED -> next try from the retry schedule counted from
 * when it became owed, or failed when that has expired. reply as in
 * rcpt_outcome. Written durably before returning. */
int queue_record_notice(struct queue *q, struct job *j, size_t rcpt,
                        enum rcpt_result res, const char *reply, int64_t now_ms,
                        struct errbuf *why);

/*
 * Give a claimed job back and free the handle. When every recipient is final
 * the job moves to done/ (all delivered) or failed/ (any failed) by one
 * rename; otherwise it stays queued until its next due time. Returns 0, or -1
 * when the move failed (the job then stays in queue/ and is retried later).
 * j is freed in every case.
 */
int queue_release(struct queue *q, struct job *j, struct errbuf *why);

/* Pure: epoch ms of the next attempt after `attempts` temporary failures
 * (attempts >= 1) at now_ms, for a job created at created_ms; -1 when the job
 * has expired (now_ms >= created_ms + expiry). Never later than the expiry
 * instant, so the last attempt happens at expiry. */
int64_t queue_next_try_ms(const struct queue_policy *p, int attempts,
                          int64_t created_ms, int64_t now_ms);

/* --- management (web, CLI) --------------------------------------------- */

/* job->note of an incoming job in queue_list()/queue_load(). */
#define QUEUE_NOTE_HELD                                                        \
    "held by the daemon: being received, or its commit waits for spool space"
#define QUEUE_NOTE_LEFTOVER                                                    \
    "left over (no process holds it): the daemon's next start commits it "   \
    "(or discards it without a complete page); or delete it"

/* Called for each job; j is borrowed for the call only. Return non-zero to
 * stop the walk. */
typedef int (*queue_list_fn)(void *arg, const struct job *j);

/* Walk the jobs of one state (JOB_STATE_COUNT = all of incoming, queue, done,
 * failed), ordered by id (= creation time). Jobs whose meta.json cannot be
 * read are passed with job_meta_ok() false. Incoming jobs carry a note
 * (held by the process receiving it, or a leftover) and, without meta.json,
 * the complete pages of pages.tif. */
int queue_list(struct queue *q, enum job_state state, queue_list_fn fn,
               void *arg, struct errbuf *why);

/* Full snapshot of one job (any state; an incoming one as in queue_list(),
 * even without meta.json). Caller frees with job_free(); it is read-only
 * (not claimed). Unknown id: NULL, ERR_PERM, "no such job". */
struct job *queue_load(struct queue *q, const char *id, struct errbuf *why);

/* Make a failed or deferred job due at now_ms: failed/deferred recipients
 * become pending (attempts kept) and a failed/ job moves back to queue/; a
 * job no route took is routed again at its next claim (the routes in force
 * then). An incoming job: ERR_PERM (never committed).
 * A job being delivered: -1, ERR_TEMP "busy". */
int queue_retry(struct queue *q, const char *id, int64_t now_ms,
                struct errbuf *why);

/* Remove a job (rename to trash/, then delete). A job being delivered, or
 * an incoming one held by the process receiving or committing it: -1,
 * ERR_TEMP; a leftover in incoming/ is removed. */
int queue_delete(struct queue *q, const char *id, struct errbuf *why);

/* Remove done/ and failed/ jobs finished more than retention_s before now_ms.
 * Returns the number removed, or -1. */
int queue_purge(struct queue *q, int64_t now_ms, struct errbuf *why);

struct queue_counts {
    size_t n[JOB_STATE_COUNT]; /* jobs per state directory */
    size_t busy;               /* queued jobs claimed right now */
    size_t due;                /* queued jobs due at the time asked */
};
/* Cheap: from the index (daemon) or directory listings (client). */
void queue_counts(struct queue *q, int64_t now_ms, struct queue_counts *c);

/*
 * Pick up changes made by another process (CLI retry/delete touch
 * spool/ctl/kick): when kick changed since the last call, or force, re-read
 * queue/ and update the index. First retries the held commits
 * (queue_commit_later()). The daemon calls this every few seconds.
 * Returns 1 when something changed (workers were woken), 0 if not, -1.
 */
int queue_rescan(struct queue *q, bool force, struct errbuf *why);

/* The spool directory given at open (borrowed). */
const char *queue_spool_dir(const struct queue *q);

#endif
