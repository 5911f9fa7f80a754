#!/usr/bin/env bash
# bench_conneg: parse + choose for the seed 002 capability (corrected);
# prints ops/s with same-run baselines. Fails only on a wrong result.
set -eu
: "${IFAXGW_SRC:?}" "${IFAXGW_TOOLS:?}"
exec "$IFAXGW_TOOLS/bench_conneg" "$IFAXGW_SRC/tests/data/featexpr/panasonic_fixed.reply" "${BENCH_SECONDS:-1}"
