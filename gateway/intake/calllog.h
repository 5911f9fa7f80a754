/*
 * calllog - the call log: one record per call, answered or refused
 *
 * Owns spool/calls/: each call that rang a line (or came through
 * `ifaxgw receive`) leaves one file calls/<id>.json, pages or none, written
 * at call end by the thread that had the call: time, line, caller ID and
 * name, called number, CSID, duration, result ("ok", "partial", "failed",
 * "refused"), reason, pages, rate, ECM, the job it became (or null), the
 * T.30 frames (hex, with times) and the text transcript. Ids look like job
 * ids (UTC time, then 32 random bits) so names sort by time. Writes are
 * durable (tmp, fsync, rename, fsync of calls/). Bounded: at most
 * CALLLOG_KEEP records (the oldest go first, checked at each write) and
 * calllog_purge() drops records older than gateway.retention (the daemon's
 * housekeeping, as for done/ jobs).
 * Readers (the CLI, the web API) list summaries newest first with filters;
 * a struct calllog caches the summaries of the files it has read, so a
 * listing reads only the records new since the last one.
 * Far-end strings are kept as received when they are UTF-8, else each
 * byte read as Latin-1 (jansson only writes UTF-8; nothing is lost);
 * outputs escape them once, for their medium (JSON by jansson, text by
 * log_esc, the page by textContent).
 * Must not: log (errors go back through errbuf), touch job directories.
 * Errors: -1 with why; CALLLOG_NOT_FOUND for an unknown id.
 * Threads: calllog_write/purge: any, no state (several processes may write
 * at once: names are unique, renames atomic). A struct calllog has its own
 * mutex.
 */
#ifndef IFAXGW_GATEWAY_INTAKE_CALLLOG_H
#define IFAXGW_GATEWAY_INTAKE_CALLLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "gateway/util/errbuf.h"
#include "t30/callrec.h"

#define CALLLOG_DIR        "calls"
#define CALLLOG_KEEP       10000     /* records kept at most */
#define CALLLOG_FILE_MAX   (2 << 20) /* bytes of one record read back */
#define CALLLOG_REASON_MAX 300       /* reason text kept */
#define CALLLOG_NOT_FOUND  -2        /* calllog_show(): no such call */

/* One call, as the line thread knows it at the end. Strings may be NULL
 * ("" in the record), far-end ones are raw. */
struct calllog_call {
    const char *line;
    int64_t start_ms, end_ms; /* epoch ms */
    const char *caller_id, *caller_name, *called, *csid;
    const char *result;        /* "ok", "partial", "failed", "refused" */
    const char *reason;        /* why it failed or was refused; "" when ok */
    const char *job;           /* the job id it became, or NULL */
    const struct callrec *rec; /* frames, pages, rate; NULL: not answered */
};

/* Fill c from a call record (line, times, strings, result, reason from
 * the end and T.30 text); the caller may then override fields. */
void calllog_from_rec(struct calllog_call *c, const struct callrec *rec);

/* Write the record under spool/calls/ (made when missing); its id into
 * id (size n, may be NULL). Then drops the oldest records past
 * CALLLOG_KEEP. */
int calllog_write(const char *spool, const struct calllog_call *c, char *id,
                  size_t n, struct errbuf *why);

/* Keep the newest keep records, remove the rest; returns how many went. */
int calllog_trim(const char *spool, size_t keep, struct errbuf *why);

/* Remove records whose call started before before_ms; returns how many. */
int calllog_purge(const char *spool, int64_t before_ms, struct errbuf *why);

/* What a listing selects; NULL/0 fields select everything. */
struct calllog_query {
    const char *text;     /* substring of CSID, caller ID/name, called, job,
                             call id (case-insensitive) */
    const char *line;     /* exact line name */
    const char *result;   /* exact result */
    int64_t since_ms;     /* calls started at or after */
    size_t offset, limit; /* limit 0: all */
};

struct calllog;

/* A reader of spool's call log; never fails (a missing calls/ is empty). */
struct calllog *calllog_open(const char *spool);
void calllog_free(struct calllog *cl); /* NULL is a no-op */

/* Summaries (id, line, start_ms, end_ms, duration_ms, caller_id,
 * caller_name, called_number, remote_csid, result, reason, npages,
 * bit_rate, ecm, job) matching q, newest first, from q->offset, at most
 * q->limit; *total: how many match. *calls is a new array. */
int calllog_list(struct calllog *cl, const struct calllog_query *q,
                 json_t **calls, size_t *total, struct errbuf *why);

/* The whole record of one call (summary + "frames", "pages",
 * "transcript", "t30_code", "end"); CALLLOG_NOT_FOUND when there is none
 * (or id is not an id). */
int calllog_show(struct calllog *cl, const char *id, json_t **call,
                 struct errbuf *why);

/* Frame i of a record's "frames" as bytes: fills data (size n), *len,
 * *t_ms, *incoming, *count. -1 when the entry is malformed. */
int calllog_frame(const json_t *frame, uint8_t *data, size_t n, size_t *len,
                  int64_t *t_ms, bool *incoming, uint32_t *count);

/* The T.30 ladder of a record (t30/ladder): {"steps": [{t_ms, time_ms,
 * dir, name, text, level, count, len, hex}...], "counts": {"MCF": n,
 * ...}, "failures": n}. New reference. */
json_t *calllog_ladder(const json_t *record);

#endif
