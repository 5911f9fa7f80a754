# peerlib.sh - shell helpers for integration tests with real peers (sourced).
#   peer_start NAME CMD...   run CMD in the background with --port-file
#                            $TMP/NAME.port appended; sets NAME_PORT, NAME_PID
#   peers_stop               kill every peer started (called by the EXIT trap)
#   check DESC CONDITION...  count a pass or a failure; finish prints totals
#   wait_for N COMMAND...    poll COMMAND until it succeeds, at most N s
# Needs: TMP (a mktemp -d directory). Uses /usr/bin/python3 for the peers.
PEER_PIDS=()
PASS=0
FAIL=0

peer_start() { # NAME CMD...
    local name=$1; shift
    local pf="$TMP/$name.port"
    rm -f "$pf"
    "$@" --port-file "$pf" >"$TMP/$name.out" 2>"$TMP/$name.err" &
    local pid=$!
    PEER_PIDS+=("$pid")
    for _ in $(seq 200); do
        [ -s "$pf" ] && break
        kill -0 "$pid" 2>/dev/null || { cat "$TMP/$name.err" >&2; return 1; }
        sleep 0.05
    done
    [ -s "$pf" ] || { echo "peer $name did not start" >&2; return 1; }
    printf -v "${name}_PORT" '%s' "$(cat "$pf")"
    printf -v "${name}_PID" '%s' "$pid"
}

peer_stop() { # PID
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

peers_stop() {
    local p
    for p in "${PEER_PIDS[@]}"; do peer_stop "$p"; done
    PEER_PIDS=()
}

check() { # DESC COMMAND...
    local desc=$1; shift
    if "$@"; then
        PASS=$((PASS + 1)); echo "ok   - $desc"
    else
        FAIL=$((FAIL + 1)); echo "FAIL - $desc"
    fi
}

wait_for() { # N_SECONDS COMMAND...
    local n=$1; shift
    for _ in $(seq $((n * 10))); do "$@" && return 0; sleep 0.1; done
    return 1
}

finish() {
    echo "passed: $PASS, failed: $FAIL"
    [ "$FAIL" -eq 0 ] && [ "$PASS" -gt 0 ]
}
