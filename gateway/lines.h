/*
 * lines - the daemon's fax lines: one thread per configured line
 *
 * Starts t30/line for every modem line, t30/audioline for every audio
 * line (calls on a unix socket) and t30/audiosocket for every AudioSocket
 * line (many calls at once over TCP, each with its own job: the handlers'
 * arg is per call) of the config and wires their handlers
 * to the gateway: the answer decision to gateway/spool/router (a route
 * that says reject leaves the call ringing), the job to
 * gateway/intake/faxjob (a job exists, with its pages.tif writable, before
 * the call is answered; the record and
 * transcript are committed when it ends; meta.json is written at answer,
 * at phase B and before each page is confirmed, and a page that cannot be
 * stored is not confirmed) and the status to a table the web
 * page reads (and, for an AudioSocket line, a bounded table of its calls
 * in progress, gateway/livecalls, one entry per call from the line's
 * per-call reports). lines_drain() stops answering new calls and waits
 * for calls in progress to end; lines_stop() then ends the threads. Each outcome is one
 * log line with the job id (this module's threads are thread owners).
 * A call is answered or refused under the lock lines_drain() looks with, so
 * after draining began no call starts and none in progress is missed.
 * A call whose job the spool could not take (full disk) keeps its pages in
 * incoming/; the line commits them before it answers again, and refuses
 * calls while that still fails (at stop, recovery takes them over).
 * Threads: lines_* from the main thread; lines_status() from any thread.
 */
#ifndef IFAXGW_GATEWAY_LINES_H
#define IFAXGW_GATEWAY_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"
#include "gateway/livecalls.h"
#include "gateway/spool/queue.h"
#include "gateway/util/errbuf.h"
#include "gateway/util/metrics.h"

#define LINES_MAX      32  /* lines one daemon runs */
#define LINES_TEXT_MAX 128 /* status detail, last result */
/* Under the spool: AudioSocket call announcements, one file per call
 * UUID (`ifaxgw announce`), read and removed by the call; those whose call
 * never came are purged after 10 min (gateway/announce.h). */
#define LINES_ANNOUNCE_DIR "announce"

/* One line's state for the status page; a copy, strings printable ASCII
 * except the far-end ones (csid, caller), which the page escapes. */
struct lines_status {
    char name[CONFIG_NAME_MAX];
    int status; /* enum line_status (t30/line.h) */
    int page;   /* receiving: page in progress */
    int bit_rate;      /* receiving: the trained rate, 0 before */
    int training_rate; /* receiving: the DCS rate being trained, else 0 */
    char detail[LINES_TEXT_MAX];
    /* The call in progress (cleared when the line is idle again): */
    bool answered;         /* answered, T.30 under way */
    int64_t call_start_ms; /* RING or answer, wall clock; 0: no call */
    int64_t progress_ms;   /* last change of state, page or rate */
    char cur_caller[64];   /* caller ID (hostile) */
    char cur_called[64];   /* called number (hostile) */
    char cur_csid[32];     /* remote CSID once sent (hostile) */
    int64_t last_start_ms; /* 0: no call yet */
    char last_csid[32];
    char last_caller[64];
    int last_pages;
    char last_result[LINES_TEXT_MAX];
    char last_job[64];
    uint64_t calls, pages, failures; /* since start, for /metrics */
    /* A line of many calls at once (AudioSocket): up to max_calls, ncalls
     * of them in progress (lines_calls() lists them); 0 otherwise. */
    int max_calls;
    int ncalls;
};

struct lines;

/* Start a thread per line of cf (borrowed for the call only). Each call
 * is counted into m (calls, pages received, failures by cause; m borrowed
 * until lines_stop(), may be NULL). */
struct lines *lines_start(const struct config *cf, struct queue *q,
                          struct metrics *m, struct errbuf *why);

/* Stop answering; wait until no call is in progress or timeout_ms passed.
 * Returns true when every call ended. */
bool lines_drain(struct lines *l, int64_t timeout_ms);

/* End the threads (a call still in progress is cut, its pages kept as a
 * partial job) and free. NULL is a no-op. */
void lines_stop(struct lines *l);

/* Copy up to max lines' states; returns how many. */
size_t lines_status(struct lines *l, struct lines_status *out, size_t max);

/* The calls in progress on a line of many calls (line: its index in what
 * lines_status() copies), oldest first, up to max; returns how many (0
 * for a line of one call at a time: its call is in its status). */
size_t lines_calls(struct lines *l, size_t line, struct livecalls_entry *out,
                   size_t max);

#endif
