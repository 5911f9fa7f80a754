/*
 * line - one fax line: a Class 1 modem answering calls into fax sessions
 *
 * Owns the serial port of one configured line. line_run() is the line
 * thread's loop: open the port, reset and initialise the modem (ATE0V1Q0,
 * the config's init strings, AT+FCLASS=1, the caller-ID command), wait for
 * RING (with NMBR/NAME/NDID caller information), ask the answer handler,
 * ask the job handler for the TIFF path (so an unwritable spool is found
 * before answering), answer after the configured rings and drive SpanDSP's
 * T.30 engine over +FTH/+FRH/+FRM/+FTS with DLE framing (t30/class1), then
 * hand the call record (t30/callrec) to the job handler. A modem that does
 * not answer AT, refuses +FCLASS=1, sends garbage or vanishes (unplugged,
 * pty closed) is closed and reopened with backoff (1 s doubling to 60 s),
 * and every state change goes to the status handler; the back-off starts
 * over when an attempt gets further than the last (device back, modem
 * answers). During a call, failed fax commands are retried paced (100 ms)
 * and ERRORs in a row (T.31: on hook) end it as a hang-up at once.
 * Receive only. ECM when the line's config has ecm (the default): the DIS
 * offers it, and ECM image data (+FRM=<mod>, a raw HDLC bit stream, LSB
 * first) is deframed in software (SpanDSP hdlc_rx, 16-bit FCS) and each
 * frame handed to T.30, as SpanDSP's fax.c does for its fast modems.
 * Must not: include the queue or SMTP (pages leave through handlers).
 * Errors: line_init() NULL with *why; line_run() reports through status.
 * Threads: one thread runs line_run(); handlers are called on it. The stop
 * flag may be set from any thread; line_run() returns within ~1 s.
 */
#ifndef IFAXGW_T30_LINE_H
#define IFAXGW_T30_LINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "conf/config.h"
#include "gateway/util/errbuf.h"
#include "t30/callrec.h"
#include "t30/faxrx.h"

#define LINE_BACKOFF_MAX_S  60    /* reopen delay cap */
#define LINE_CMD_TIMEOUT_MS 3000  /* AT command answer */
#define LINE_KEEPALIVE_S    30    /* idle modem probed with AT this often */
#define LINE_RING_GAP_S     10    /* no RING this long: the call is gone */
#define LINE_ATA_TIMEOUT_MS 40000 /* ATA to CONNECT */
/* With line_set_cid_wait(): a call without caller ID yet is not answered
 * before this RING (North America sends it between the 1st and 2nd). */
#define LINE_CID_WAIT_RINGS 2

enum line_status {
    LINE_STATUS_DOWN,      /* port closed (before start, after stop) */
    LINE_STATUS_INIT,      /* opening and initialising the modem */
    LINE_STATUS_IDLE,      /* waiting for a call */
    LINE_STATUS_RINGING,   /* RING seen, not answered (yet) */
    LINE_STATUS_RECEIVING, /* answered: page N at bit_rate */
    LINE_STATUS_ERROR      /* modem failed; retrying after backoff */
};
const char *line_status_name(enum line_status st);

struct line_report {
    const char *line; /* line name */
    enum line_status status;
    int page;         /* RECEIVING: page in progress (1-based; the last
                         page once the EOP page is confirmed) */
    int bit_rate;     /* RECEIVING: the trained rate, 0 until a training
                         (TCF) passed */
    int training_rate; /* RECEIVING: the rate of the sender's DCS while
                          its training is checked (until our CFR/FTT),
                          else 0 */
    const char *csid; /* RECEIVING: the remote's CSID so far (hostile), or
                         NULL */
    const char *text; /* printable ASCII detail, may be "" */
    /* A line of many calls at once (t30/audiosocket) also reports each
     * call on its own: call is then that call's id (its AudioSocket UUID,
     * 36 characters), status RECEIVING while it goes (page, rates, csid as
     * above; caller and called from its announcement, hostile, may be "")
     * and IDLE once, when it has ended. NULL: the report is about the
     * line (every report of a line of one call at a time). */
    const char *call;
    const char *caller;
    const char *called;
};

/* What is known about a ringing call; strings are hostile, may be "". */
struct line_call {
    const char *caller_id;
    const char *caller_name;
    const char *called;
    int rings;
};

/* true: answer. false: leave it ringing unanswered (route reject). */
typedef bool (*line_answer_fn)(void *arg, const struct line_call *c);
/* Before answering: make the job and put the TIFF path into path (size
 * n). -1 with *why: the call is not answered. */
typedef int (*line_job_start_fn)(void *arg, const struct line_call *c,
                                 char *path, size_t n, struct errbuf *why);
/* After each call begun with job_start: rec is the record (borrowed for
 * the call), or NULL when the session could not start (then abort the
 * job). The TIFF is closed. */
typedef void (*line_job_end_fn)(void *arg, const struct callrec *rec);
typedef void (*line_status_fn)(void *arg, const struct line_report *r);

struct line_state;

/* Copies what it needs from cl (a config reload does not disturb a
 * running line). s must be NULL (allocated). Caller frees with
 * line_free(). */
struct line_state *line_init(struct line_state *s, const struct config_line *cl,
                             struct errbuf *why);

/* Without an answer handler every call is answered; without job handlers
 * calls are not answered (there is nowhere to put pages). */
void line_set_answer_handler(struct line_state *s, line_answer_fn fn,
                             void *arg);
void line_set_job_handler(struct line_state *s, line_job_start_fn start,
                          line_job_end_fn end, void *arg);
void line_set_status_handler(struct line_state *s, line_status_fn fn,
                             void *arg);
/* The answer handler decides on caller ID (a route matches on it): when
 * the configured rings have come but no caller ID yet, wait until it comes
 * or until LINE_CID_WAIT_RINGS rings. Only with a caller-ID command. */
void line_set_cid_wait(struct line_state *s, bool wait);
/* The AT exchange of the call being ended (commands, result lines, frames
 * and data as byte counts; "+s.ms > AT+FTH=3" lines, printable ASCII, at
 * most 400 lines, the rest counted). Valid in the job end handler; "" when
 * there is none. */
const char *line_at_transcript(const struct line_state *s);
/* During each call: the record as it grows (CSID at phase B, each page
 * before it is confirmed; see faxrx_store_fn, whose -1 refuses a page). */
void line_set_store_handler(struct line_state *s, faxrx_store_fn fn,
                            void *arg);

/* Run until *stop becomes non-zero; returns 0. A call in progress is
 * ended (record handed out, partial if pages were received). */
int line_run(struct line_state *s, const atomic_int *stop);

void line_release(struct line_state *s);
void line_free(struct line_state *s);

#endif
