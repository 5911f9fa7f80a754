/*
 * mstime - the two clocks every module reads, in milliseconds
 *
 * Owns: nothing (reads the kernel's clocks).
 * Callers: anything that stamps a record or measures a wait.
 * Must not: be mixed up. The wall clock is for stamps people read and files
 *   keep (created_ms, next_try_ms); it jumps when the clock is set. The
 *   monotonic clock is for timeouts, pacing and durations; it never jumps,
 *   and its values mean nothing across processes or reboots.
 * Errors: none (both clocks exist on every Linux).
 * Threads: any.
 */
#ifndef IFAXGW_GATEWAY_UTIL_MSTIME_H
#define IFAXGW_GATEWAY_UTIL_MSTIME_H

#include <stdint.h>

/* CLOCK_REALTIME: milliseconds since the epoch. */
int64_t mstime_wall(void);
/* CLOCK_MONOTONIC: milliseconds since an arbitrary start. */
int64_t mstime_mono(void);

#endif
