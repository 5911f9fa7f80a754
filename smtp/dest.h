/*
 * dest - per-destination session limits and the dead-destination cache
 *
 * Keeps, per destination key (deliver.c's group key: "relay", "pin:host",
 * "mx:domain"), how many sessions run now, whether the last one could be
 * opened, and until when a destination that could not be opened is "dead"
 * (Postfix's per-destination concurrency with its slow start and negative
 * feedback, simplified, and its dead-destination cache: issue 19.5). A
 * destination starts at one session; after a session that opened it may
 * have up to the configured limit; a failed open brings it back to one
 * and makes it dead for dead_s, so its recipients are deferred without
 * a connection and a silent device does not hold the workers.
 * Owns: the table (bounded: DEST_MAX entries; idle ones are recycled).
 * Callers: smtp/deliver only. Must not: talk to peers, touch the spool.
 * Errors: none (a full table admits without tracking).
 * Threads: any; an internal mutex guards the table.
 */
#ifndef IFAXGW_SMTP_DEST_H
#define IFAXGW_SMTP_DEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DEST_MAX     4096 /* destinations tracked at once */
#define DEST_KEY_MAX 300  /* a group key, cut beyond */
#define DEST_WHY_MAX 256  /* why the last open failed */

enum dest_state {
    DEST_RESERVED, /* a session slot is the caller's: dest_release() it */
    DEST_DEAD,     /* known not answering: defer without a connection */
    DEST_FULL      /* every slot busy: leave the recipients for later */
};

enum dest_outcome {
    DEST_OPENED,     /* the session opened (greeting, EHLO) */
    DEST_OPEN_FAILED, /* it could not be opened (temporary) */
    DEST_UNKNOWN     /* nothing learned (not tried, DNS failed...) */
};

struct dest_table;

struct dest_table *dest_table_init(void);
void dest_table_free(struct dest_table *t); /* NULL is a no-op */

/* Take a session slot for key at now_ms; limit: slots for a destination
 * whose last session opened (>= 1). DEST_DEAD fills why (the first cause,
 * with seconds left) when why != NULL. */
enum dest_state dest_reserve(struct dest_table *t, const char *key, int limit,
                             int64_t now_ms, char *why, size_t n);

/* Give back a DEST_RESERVED slot with what the session learned. cause:
 * the open failure (DEST_OPEN_FAILED), kept for the deferrals it causes;
 * dead_s: how long it is dead then (0: not at all). */
void dest_release(struct dest_table *t, const char *key, enum dest_outcome o,
                  const char *cause, int dead_s, int64_t now_ms);

#endif
