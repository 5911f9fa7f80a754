/*
 * announce - the gateway's side of AudioSocket call announcements
 *
 * Owns the housekeeping of spool/announce/ (LINES_ANNOUNCE_DIR): files
 * named by a call's UUID, written by `ifaxgw announce` (gateway/
 * announce_cmd.c) and read and removed by the call that carries that UUID
 * (t30/audiosocket.c). An announcement for a call that never arrives (the
 * dialplan failed between announce and AudioSocket(), the caller hung up,
 * the wrong port) would stay for ever: announce_purge() removes those
 * older than ANNOUNCE_MAX_AGE_S, and the temporary files of a writer that
 * died. Only names that are a UUID, or a writer's temporary ".UUID.PID",
 * are touched; anything else in the directory is left alone.
 * Callers: the daemon's housekeeping (gateway/daemon.c, every purge
 * period) and `ifaxgw announce` after each write (so the directory stays
 * small even without a running daemon).
 * Bounded: at most ANNOUNCE_SCAN_MAX names looked at and
 * ANNOUNCE_PURGE_MAX removed per pass; the rest waits for the next pass.
 * Must not: log (the caller logs the count), read an announcement's text,
 * follow symlinks (unlinked as names, never opened).
 * Errors: -1 with why (the directory cannot be read); a missing directory
 * is 0 removed. Threads: any, no state; several processes may purge at
 * once (an entry already gone is not an error).
 */
#ifndef IFAXGW_GATEWAY_ANNOUNCE_H
#define IFAXGW_GATEWAY_ANNOUNCE_H

#include <stdint.h>

#include "gateway/util/errbuf.h"

/* A call follows its announcement within seconds (the dialplan's next
 * step); 10 minutes is far past any real gap, and an announcement is
 * 60 bytes, so the bound is not worth a config key. */
#define ANNOUNCE_MAX_AGE_S 600
#define ANNOUNCE_PURGE_MAX 256  /* removals per pass */
#define ANNOUNCE_SCAN_MAX  4096 /* names looked at per pass */

/* Remove announcements in SPOOL/announce/ last modified before
 * now_ms - ANNOUNCE_MAX_AGE_S (wall clock, ms since the epoch).
 * Returns how many were removed, or -1 with why. */
int announce_purge(const char *spool, int64_t now_ms, struct errbuf *why);

#endif
