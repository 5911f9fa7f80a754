/*
 * faxrx - one fax reception over 8 kHz linear audio (SpanDSP fax_state_t)
 *
 * The answering side of a call: feed the far end's audio in blocks (20 ms,
 * FAXRX_BLOCK samples, is what callers use), send back what faxrx_block()
 * writes. Pages go to a TIFF (G4 by default) at a path the caller gives;
 * pages confirmed in T.30 phase D stay there if the call drops later.
 * A hard call limit and a no-progress watchdog (audio time, so a replayed
 * recording behaves as the live call) end stalled calls; the call record
 * (t30/callrec.h) is handed to the record handler once, after the TIFF is
 * closed. The output path is checked writable in faxrx_init(), before
 * anything is answered. A store handler sees the record at phase B and
 * each page before it is confirmed, and may refuse a page that is not
 * durably stored (the sender then gets DCN, not MCF). Knows nothing about
 * the spool or SMTP.
 * Errors: faxrx_init() returns NULL with *why; later failures end up in the
 * record. Threads: a session belongs to one thread; sessions are independent.
 */
#ifndef IFAXGW_T30_FAXRX_H
#define IFAXGW_T30_FAXRX_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/config.h"
#include "gateway/util/errbuf.h"
#include "t30/callrec.h"

#define FAXRX_RATE  8000 /* samples per second, G.711 line audio */
#define FAXRX_BLOCK 160  /* samples per 20 ms block */

#define FAXRX_CALL_TIMEOUT_S_DEFAULT 1800 /* 30 min: a long V.27ter fax */
/* No frame or image row from the far end for this long ends the call. A
 * non-ECM page carries no frames, so rows count as progress. */
#define FAXRX_IDLE_TIMEOUT_S_DEFAULT 120

enum faxrx_modem { /* bitmask */
                   FAXRX_V27TER = 1,
                   FAXRX_V29 = 2,
                   FAXRX_V17 = 4
};

enum faxrx_coding { /* bitmask */
                    FAXRX_T4_1D = 1,
                    FAXRX_T4_2D = 2,
                    FAXRX_T6 = 4 /* offered only with ECM (T.30 and SpanDSP) */
};

struct faxrx_opts {
    const char *line;       /* line name for the record; borrowed */
    const char *local_csid; /* our CSI, <= T30_CSID_MAX chars; borrowed */
    bool ecm;
    unsigned modems;    /* enum faxrx_modem bits; 0 = all */
    unsigned codings;   /* enum faxrx_coding bits; 0 = all */
    int file_coding;    /* spool file coding: FAXRX_T6 (default: G4),
                           FAXRX_T4_2D or FAXRX_T4_1D */
    int call_timeout_s; /* <= 0: default */
    int idle_timeout_s; /* <= 0: default */
};

struct faxrx;

/* Called once when the call is over and the TIFF closed. rec is borrowed
 * until faxrx_free(). */
typedef void (*faxrx_record_fn)(void *arg, const struct callrec *rec);

/* What the store handler is told during the call. */
enum faxrx_store_event {
    FAXRX_STORE_CALL, /* phase B: the far end's CSID is in the record */
    FAXRX_STORE_PAGE  /* page rec->npages is in the TIFF, not yet
                         confirmed to the sender */
};

/*
 * Called on the session's thread, inside T.30, with the record so far, so
 * the caller can make what is known durable (the job's meta.json) as soon
 * as it is known. At FAXRX_STORE_PAGE the answer decides the confirmation:
 * 0 lets T.30 answer the page (MCF, or RTP for a poor copy); -1 with why
 * says the page is not durably stored (write error, disk full): the page
 * is taken out of the record, the sender gets DCN instead of a
 * confirmation (so it keeps its copy) and the call ends as local-error,
 * the pages before it kept. The return value of FAXRX_STORE_CALL is
 * ignored.
 */
typedef int (*faxrx_store_fn)(void *arg, const struct callrec *rec,
                              enum faxrx_store_event ev, struct errbuf *why);

/* Fill o with defaults: ECM on, all modems, all codings, G4 file. */
void faxrx_opts_default(struct faxrx_opts *o);

/* Fill o from a configured line (station id, ECM, modems, codings, call
 * and idle limits); o borrows strings from cl. */
void faxrx_opts_from_config(struct faxrx_opts *o, const struct config_line *cl);

/*
 * Start a session that writes pages to tiff_path (created or truncated
 * now, so an unwritable spool fails here, before answering). start_ms is
 * the wall clock at answer (ms since the epoch), for the record.
 * Returns NULL with *why on failure. Caller frees with faxrx_free().
 */
struct faxrx *faxrx_init(const struct faxrx_opts *o, const char *tiff_path,
                         int64_t start_ms, struct errbuf *why);

/* A Class 1 modem instead of audio: the T.30 engine's three hooks (see
 * t30/line.c). All three get arg. */
/* Same shapes as SpanDSP's t30_set_handler_t / t30_send_hdlc_handler_t
 * (this header stays free of <spandsp.h>: its queue_* names clash with
 * gateway/spool/queue.h). */
typedef void faxrx_set_type_fn(void *arg, int type, int bit_rate,
                               int short_train, int use_hdlc);
typedef void faxrx_send_hdlc_fn(void *arg, const uint8_t *msg, int len);

struct faxrx_frontend {
    faxrx_set_type_fn *set_rx_type;
    faxrx_set_type_fn *set_tx_type;
    faxrx_send_hdlc_fn *send_hdlc;
    void *arg;
};

struct t30_state_s; /* SpanDSP's t30_state_t */

/*
 * The same session driven through fe (t30_state_t without DSP). With
 * o->ecm the DIS offers ECM (and T.6 if in o->codings): the front end must
 * then deframe high-speed HDLC (set_rx_type with use_hdlc on a fast modem)
 * itself, as t30/line.c does; without it T.6 is dropped too. Time passes
 * only through faxrx_advance().
 */
struct faxrx *faxrx_init_frontend(const struct faxrx_opts *o,
                                  const char *tiff_path, int64_t start_ms,
                                  const struct faxrx_frontend *fe,
                                  struct errbuf *why);

/* The T.30 engine of a front-end session, for the driver's calls into it
 * (t30_hdlc_accept, t30_non_ecm_put_*, t30_front_end_status). Borrowed;
 * NULL once the call ended. */
struct t30_state_s *faxrx_t30(struct faxrx *s);

/* ms of wall-clock time passed (front-end sessions): T.30 timers, call
 * limit and watchdog. Returns true while the call goes on; when T.30 has
 * ended (phase E) the record is handed out and it returns false. */
bool faxrx_advance(struct faxrx *s, int ms);

/* Caller ID and called number from the line (hostile; copied). */
void faxrx_set_caller(struct faxrx *s, const char *caller_id,
                      const char *called_number);

/* Caller name from caller ID (hostile; copied). */
void faxrx_set_caller_name(struct faxrx *s, const char *name);

void faxrx_set_record_handler(struct faxrx *s, faxrx_record_fn fn, void *arg);
void faxrx_set_store_handler(struct faxrx *s, faxrx_store_fn fn, void *arg);

/*
 * Process n (1..FAXRX_BLOCK) samples of far-end audio in `in` and write n
 * samples to send back into `out` (may be NULL: a recording has no return
 * path). Returns true while the call goes on, false once it has ended
 * (record handed out); further calls then do nothing.
 */
bool faxrx_block(struct faxrx *s, const int16_t *in, int16_t *out, int n);

/* The far end is gone (line dropped, end of recording): terminate T.30
 * and finish the call. No-op when it already ended. */
void faxrx_hangup(struct faxrx *s);

bool faxrx_done(const struct faxrx *s);
/* The record so far (final once faxrx_done()). Borrowed until free. */
const struct callrec *faxrx_record(const struct faxrx *s);
/* The modem's state for the line status: *training the rate of the DCS
 * whose training check (TCF) we have not answered yet (0: none under
 * way), *trained the rate of the last training we answered CFR (0: none
 * yet). */
void faxrx_rates(const struct faxrx *s, int *training, int *trained);
/* Audio time since start, ms. */
int64_t faxrx_elapsed_ms(const struct faxrx *s);

/* Terminate if still active, free everything; NULL is a no-op. */
void faxrx_free(struct faxrx *s);

#endif
