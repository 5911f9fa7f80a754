/*
 * fax_sender - the calling party of the test tools: a SpanDSP fax sender
 *
 * The set-up audiosocket_call and fax_record share: a fax_state_t sending
 * a TIFF as the caller (transmit on idle, no TEP), with its TSI, modems,
 * ECM and codings, whose phase E code and the pages the receiver
 * confirmed (MCF or RTP heard) are counted into a struct fax_sender_ends.
 * Owns: nothing (the caller frees the fax_state_t with fax_free()).
 * Callers: tests/tools/ only. Must not: hold global state (ends is the
 * caller's and must outlive the sender). Errors: NULL when SpanDSP could
 * not make the sender. Threads: one sender belongs to one thread.
 */
#ifndef IFAXGW_TESTS_FAX_SENDER_H
#define IFAXGW_TESTS_FAX_SENDER_H

#include <stdbool.h>

#include <spandsp.h>

struct fax_sender_opts {
    const char *doc; /* the TIFF to send */
    int first, last; /* its pages (0-based; -1: first / last of the file) */
    const char *tsi;
    unsigned modems;  /* FAXRX_V27TER | FAXRX_V29 | FAXRX_V17 */
    unsigned codings; /* FAXRX_T4_1D | FAXRX_T4_2D | FAXRX_T6 */
    bool ecm;
};

/* What the sender's T.30 told: its phase E code (-1 until the call ends)
 * and the pages the receiver confirmed. */
struct fax_sender_ends {
    int code;
    int confirmed;
};

/* A sender for o (strings borrowed for its life); ends reset and counted. */
fax_state_t *fax_sender_new(const struct fax_sender_opts *o,
                            struct fax_sender_ends *ends);

#endif
