#!/usr/bin/env bash
# bench_queue - durable commits per second of a one-page (~50 KB) job next
# to the raw write+fsync+rename+fsync-dir limit measured in the same run
# (target ratio >= 0.9), and start-up recovery time of 10,000 queued jobs
# (target < 1 s). Prints figures; fails only on a crash or a wrong result.
set -euo pipefail
: "${IFAXGW_TOOLS:?}"
# the spool belongs on a real disk: /tmp may be a tmpfs where fsync is free
base=${IFAXGW_BUILD:-$(pwd)}
tmp=$(mktemp -d "$base/bench_queue.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "bench_queue: file system $(stat -f -c %T "$tmp"), $(nproc) cores"
"$IFAXGW_TOOLS/bench_queue" "$tmp" "${COMMITS:-200}" "${JOBS:-10000}"
