/*
 * audioline - an audio fax line: calls arrive as 8 kHz audio streams
 *
 * For `kind = audio` lines: listens on the line's unix stream socket
 * (config `audio`), and each connection is one call: raw s16le from the
 * caller in, our audio (raw s16le) back, in 160-sample blocks, received by
 * t30/faxrx. The same handlers as t30/line decide, store and report: the
 * answer handler (false: connection closed unanswered), the job handler
 * (TIFF path before accepting audio; the record at the end) and status.
 * A caller that stops sending audio for idle_timeout_s of wall time is
 * hung up (the session's own watchdog runs on audio time).
 * Errors: audioline_init() NULL with *why; audioline_run() -1 when the
 * socket cannot be set up. Threads: one thread runs audioline_run(); the
 * stop flag may be set from any thread (seen within 0.5 s).
 */
#ifndef IFAXGW_T30_AUDIOLINE_H
#define IFAXGW_T30_AUDIOLINE_H

#include <stdatomic.h>

#include "conf/config.h"
#include "gateway/errbuf.h"
#include "t30/line.h"

struct audioline;

/* s must be NULL. Copies what it needs from cl. Caller frees with
 * audioline_free(). */
struct audioline *audioline_init(struct audioline *s,
                                 const struct config_line *cl,
                                 struct errbuf *why);
void audioline_set_answer_handler(struct audioline *s, line_answer_fn fn,
                                  void *arg);
void audioline_set_job_handler(struct audioline *s, line_job_start_fn start,
                               line_job_end_fn end, void *arg);
void audioline_set_status_handler(struct audioline *s, line_status_fn fn,
                                  void *arg);

/* Serve calls until *stop; 0, or -1 with *why when the socket failed. */
int audioline_run(struct audioline *s, const atomic_int *stop,
                  struct errbuf *why);

void audioline_free(struct audioline *s);

#endif
