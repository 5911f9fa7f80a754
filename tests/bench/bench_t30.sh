#!/usr/bin/env bash
# bench_t30.sh - CPU per second of call audio for the audio receive path
# (t30/faxrx + spool files) against bare SpanDSP receivers on the same
# recorded call, N = 1, 4, 16 concurrent calls; memory per active call.
# Prints figures and the targets; fails only if a replayed call fails.
set -euo pipefail
build=${IFAXGW_BUILD:?}
src=${IFAXGW_SRC:?}
"$build/tests/bench_t30" "$src/tests/data/t30/doc3.tif" "${BENCH_T30_REPEATS:-5}"
