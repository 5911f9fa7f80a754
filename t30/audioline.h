/*
 * audioline - one audio fax line: calls on a unix stream socket
 *
 * Serves a configured audio line (`audio = "/path/x.sock"`, "unix:" prefix
 * optional): listens at the path (a stale socket there is removed; any
 * other file is an error); each accepted connection is one call. The peer
 * may start with one text line `CALL caller=N called=N name=S\n` (at most
 * AUDIOLINE_HDR_MAX bytes, fields optional, unknown ones ignored, values
 * hostile); then raw s16le 8 kHz mono audio flows in and our transmit
 * audio, one sample out per sample in, goes back with non-blocking writes
 * (what does not fit is dropped in whole blocks: a peer that does not read
 * never blocks the line). The T.30 receive is t30/faxrx (audio time drives
 * its watchdog, so a recording fed fast behaves as the live call). EOF, a
 * dropped connection or AUDIOLINE_SILENT_S without a byte is a hangup
 * (pages confirmed so far kept). A second caller during a call is busy:
 * accepted and closed at once. The connection is closed after the job
 * handler has taken the record, so a peer that reads sees the call's end.
 * Handlers and their contract are t30/line.h's (answer, job, status), so
 * the gateway wires both kinds of line alike; the call itself (job, T.30,
 * record, partial pages) is t30/rxcall's, the call core of every line.
 * Must not: include the queue or SMTP. Errors: audioline_init() NULL with
 * *why; audioline_run() reports through status (socket errors: backoff).
 * Threads: one thread runs audioline_run(); handlers are called on it. The
 * stop flag may be set from any thread; audioline_run() returns within
 * ~1 s, hanging up a call in progress.
 */
#ifndef IFAXGW_T30_AUDIOLINE_H
#define IFAXGW_T30_AUDIOLINE_H

#include <stdatomic.h>

#include "conf/config.h"
#include "gateway/util/errbuf.h"
#include "t30/line.h"

#define AUDIOLINE_HDR_MAX     256  /* the CALL line, '\n' included */
#define AUDIOLINE_HDR_WAIT_MS 2000 /* first bytes of a call (header or not) */
#define AUDIOLINE_SILENT_S    30   /* no byte from the peer: hung up */
#define AUDIOLINE_BACKLOG     4    /* callers waiting to be accepted */

struct audioline;

/* Copies what it needs from cl (an audio line). s must be NULL
 * (allocated). Caller frees with audioline_free(). */
struct audioline *audioline_init(struct audioline *s,
                                 const struct config_line *cl,
                                 struct errbuf *why);

/* As line_set_*_handler() in t30/line.h: without an answer handler every
 * call is answered; without job handlers no call is answered. */
void audioline_set_answer_handler(struct audioline *s, line_answer_fn fn,
                                  void *arg);
void audioline_set_job_handler(struct audioline *s, line_job_start_fn start,
                               line_job_end_fn end, void *arg);
void audioline_set_status_handler(struct audioline *s, line_status_fn fn,
                                  void *arg);
void audioline_set_store_handler(struct audioline *s, faxrx_store_fn fn,
                                 void *arg);

/* Serve calls until *stop becomes non-zero; returns 0. The socket is
 * removed on return. */
int audioline_run(struct audioline *s, const atomic_int *stop);

void audioline_release(struct audioline *s);
void audioline_free(struct audioline *s);

#endif
