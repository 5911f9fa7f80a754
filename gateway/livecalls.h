/*
 * livecalls - the calls in progress on a line of many calls at once
 *
 * A bounded table, one entry per call, kept from the per-call reports of
 * an AudioSocket line (struct line_report with call set, t30/line.h): a
 * RECEIVING report adds the call or updates it (page, rates, CSID), an
 * IDLE one removes it. The table never grows past the max it was made
 * with (the line's max_calls): a report for a new call when it is full is
 * refused, not stored. Far-end strings (caller, called, CSID) are kept
 * raw, cut to the fields' sizes; the outputs escape them.
 * Owns: the entries. Callers: gateway/lines (status), its unit test.
 * Must not: log, lock. Errors: livecalls_report() says what it did.
 * Threads: none inside; the caller holds its lock around every call.
 */
#ifndef IFAXGW_GATEWAY_LIVECALLS_H
#define IFAXGW_GATEWAY_LIVECALLS_H

#include <stddef.h>
#include <stdint.h>

#include "t30/line.h"

#define LIVECALLS_ID_MAX 36 /* an AudioSocket UUID's text form */

struct livecalls_entry {
    char id[LIVECALLS_ID_MAX + 1];
    char caller[64]; /* hostile, raw; "" unknown */
    char called[64]; /* hostile, raw; "" unknown */
    char csid[32];   /* hostile, raw; "" until the sender sent one */
    int page;          /* page in progress, from 1 */
    int bit_rate;      /* trained rate, 0 before */
    int training_rate; /* DCS rate being trained, else 0 */
    int64_t start_ms;    /* wall clock: first report */
    int64_t progress_ms; /* wall clock: page, rate or training changed */
};

struct livecalls {
    struct livecalls_entry *e; /* max of them; e[0..n) in use, oldest first */
    size_t n, max;
};

enum livecalls_result {
    LIVECALLS_ADDED,
    LIVECALLS_UPDATED,
    LIVECALLS_REMOVED,
    LIVECALLS_UNKNOWN, /* an end for a call not in the table: nothing */
    LIVECALLS_FULL,    /* a new call, no room: refused */
    LIVECALLS_BAD      /* no call id, or one over LIVECALLS_ID_MAX */
};

/* Room for max calls (0: the table stays empty). */
void livecalls_init(struct livecalls *t, size_t max);
void livecalls_free(struct livecalls *t);

/* Apply one per-call report r (r->call set) at wall-clock now_ms. */
enum livecalls_result livecalls_report(struct livecalls *t,
                                       const struct line_report *r,
                                       int64_t now_ms);

/* Copy up to max entries, oldest first; returns how many. */
size_t livecalls_copy(const struct livecalls *t, struct livecalls_entry *out,
                      size_t max);

#endif
