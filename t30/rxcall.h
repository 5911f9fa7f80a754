/*
 * rxcall - the call core every line kind drives: one answered fax call
 *
 * The life of a call that is the same whatever carries it: the answer
 * decision (answer handler), the job (job start handler: the TIFF path
 * before answering), the T.30 session (t30/faxrx, over 8 kHz audio or a
 * Class 1 front end), the caller's identity into the record, the store
 * handler during the call (pages confirmed only once durably stored), and
 * at the end the hang-up (pages confirmed so far kept: a partial job), the
 * record to the job end handler, and a one-line summary for the status.
 * A line kind keeps only what is its own: sockets, audio framing, modem
 * commands, pacing. Also the caller-identity line shared by the kinds
 * that take one ("CALL caller=N called=N name=S": the audio socket's
 * header and an AudioSocket call's announcement), and the small pieces
 * every line kind's thread needs (clock, receive options, reopen backoff).
 * Owns: the faxrx session between rxcall_start() and rxcall_end().
 * Callers: t30/line (a Class 1 front end), t30/audioline, t30/audiosocket.
 * Must not: include the queue or SMTP (pages leave through the handlers).
 * Errors: rxcall_start() NULL with *why (the job, if begun, is ended with
 * NULL so the gateway aborts it). Threads: one call belongs to one thread;
 * calls are independent (a line with several calls at once gives each
 * call's handlers their own arg).
 */
#ifndef IFAXGW_T30_RXCALL_H
#define IFAXGW_T30_RXCALL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/util/errbuf.h"
#include "t30/callrec.h"
#include "t30/faxrx.h"
#include "t30/line.h"

/* The gateway's side of a call (t30/line.h's handler shapes). */
struct rxcall_handlers {
    line_answer_fn answer; /* NULL: every call is answered */
    void *answer_arg;
    line_job_start_fn start; /* NULL: no call is answered */
    line_job_end_fn end;
    void *job_arg;
    faxrx_store_fn store; /* may be NULL */
    void *store_arg;
};

/* --- what every line kind's thread needs ---------------------------------- */


/* A line's receive options from its config: faxrx_opts_from_config(),
 * the line's name and its station id (copied into station_id, which o
 * then borrows, as it borrows name). */
void rxcall_line_opts(struct faxrx_opts *o,
                      char station_id[CONFIG_STATION_ID_MAX + 1],
                      const struct config_line *cl, const char *name);

/* After a failure to open the line: sleep *backoff_s seconds (the stop
 * flag seen within 100 ms), then double it up to LINE_BACKOFF_MAX_S. */
void rxcall_backoff(const atomic_int *stop, int *backoff_s);

/* Who called, as a line learnt it; hostile, bounded, "" unknown. */
struct rxcall_id {
    char caller[CALLREC_ID_MAX + 1];
    char called[CALLREC_ID_MAX + 1];
    char name[CALLREC_ID_MAX + 1];
};

/* Parse "CALL caller=N called=N name=S" (n bytes, no '\n'; a trailing
 * '\r' dropped); unknown fields ignored, values cut to CALLREC_ID_MAX.
 * false (id left empty) when the text does not start with "CALL ". */
bool rxcall_id_parse(struct rxcall_id *id, const char *text, size_t n);

/* The line_call view of id (borrows id's strings). */
struct line_call rxcall_id_call(const struct rxcall_id *id, int rings);

/* The answer decision: false with *why when the call must not be answered
 * (no job handler, or the answer handler said no). */
bool rxcall_answer(const struct rxcall_handlers *h, const struct line_call *lc,
                   struct errbuf *why);

struct rxcall;

/*
 * The job (start handler), then the T.30 session writing to its TIFF:
 * audio when fe is NULL (feed with rxcall_audio()), else driven through
 * fe (see faxrx_init_frontend()). o is borrowed for the call; h is copied.
 * NULL with *why: not answered (a begun job was ended with NULL).
 */
struct rxcall *rxcall_start(const struct rxcall_handlers *h,
                            const struct faxrx_opts *o,
                            const struct line_call *lc,
                            const struct faxrx_frontend *fe,
                            struct errbuf *why);

/* n (1..FAXRX_BLOCK) samples of far-end audio in, n samples to send back
 * into out (may be NULL). false once T.30 ended. */
bool rxcall_audio(struct rxcall *c, const int16_t *in, int16_t *out, int n);

/* The session (front-end drivers call into it); borrowed. */
struct faxrx *rxcall_rx(struct rxcall *c);

/* Fill the call's part of a RECEIVING report (page, bit_rate,
 * training_rate, csid: see struct line_report; csid borrowed until the
 * call ends). true when the page, the rate or the training changed since
 * the last true answer, or the CSID came. Cheap (a few reads, no lock):
 * callers may ask once per batch of audio. */
bool rxcall_progress(struct rxcall *c, struct line_report *r);

/* End the call: hang up T.30 if still going (pages confirmed so far
 * kept), hand the record to the job end handler, free the session; a
 * summary ("call ended: partial, 2 pages") into text (size n). NULL is a
 * no-op. */
void rxcall_end(struct rxcall *c, char *text, size_t n);

#endif
