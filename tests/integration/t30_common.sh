# t30_common.sh - what the real-time T.30 tests share (sourced after
# `set -euo pipefail`): a temp dir $tmp removed at exit, the background
# processes in pids[] killed at exit, the environment ctest passes, and
#   wait_for FILE PATTERN PID   until FILE shows PATTERN; fails (printing
#                               FILE) when PID has died first
tmp=$(mktemp -d)
pids=()
cleanup() {
    set +e # a failing kill or wait must not change the verdict
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
src=${IFAXGW_SRC:?}
build=${IFAXGW_BUILD:?}
tools=${IFAXGW_TOOLS:?}
py=${PYTHON:-/usr/bin/python3}

wait_for() { # FILE PATTERN PID
    until grep -q -- "$2" "$1" 2>/dev/null; do
        kill -0 "$3" 2>/dev/null || { echo "process $3 died:"; cat "$1"; return 1; }
        sleep 0.2
    done
}
