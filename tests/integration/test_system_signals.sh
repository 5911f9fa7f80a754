#!/usr/bin/env bash
# ctest-labels: slow
# test_system_signals - SIGTERM and SIGHUP to `ifaxgw run` during calls.
# Two audio lines (a0, a1); recorded 2-page calls played into them by
# tests/tools/audio_stream at 5x real time (about 15 s a call, so the call
# is in progress when the signal comes); two Internet fax devices
# (tests/peers/ifax_device.py) A and B. Checks:
#  1. SIGTERM during a call on a0: a call on a1 after the signal is not
#     answered (nothing back, log says the gateway is stopping); the call
#     in progress finishes with all pages, its job is committed, the
#     daemon exits 0; the job is delivered (before exit, or by the next
#     start) exactly once;
#  2. SIGHUP during a call with a new config (route to B): the call
#     completes, its job (committed after the reload) goes to B;
#  3. SIGHUP with a broken config: rejected with file:line errors in the
#     log, the old config stays: the next call still goes to B although
#     the file on disk would send it to A.
set -euo pipefail
: "${IFAXGW:?}" "${IFAXGW_TOOLS:?}" "${IFAXGW_SRC:?}"
TMP=$(mktemp -d)
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
. "$IFAXGW_SRC/tests/integration/system_common.sh"

spool=$TMP/spool
stream="$IFAXGW_TOOLS/audio_stream"
conf=$TMP/gw.conf
sys_record "$TMP/c2" 1
sys_device devA
sys_device devB
lines="$(sys_audio_line a0 "$TMP/a0.sock"), $(sys_audio_line a1 "$TMP/a1.sock")"
write_conf() { sys_conf "$conf" "$spool" "$lines" "$(sys_route "$1" "$2")"; }

# the job (in any state) of a caller: prints state/id
job_of() { # CALLER
    "$SYS_PY" - "$spool" "$1" <<'PY'
import json, os, sys
spool, caller = sys.argv[1:3]
for st in ("incoming", "queue", "done", "failed"):
    for j in sorted(os.listdir(os.path.join(spool, st))):
        try:
            m = json.load(open(os.path.join(spool, st, j, "meta.json")))
        except (OSError, ValueError):
            continue
        if m.get("caller") == caller:
            print("%s/%s %d %s %s" % (st, j, m["pages"], m["partial"], m["message_id"]))
PY
}
# copies of a Message-ID a device got
copies() { # DEVICE MESSAGE-ID
    grep -l -F "\"message_id\": \"$2\"" "$TMP/$1.d"/msg-*.json 2>/dev/null | wc -l
}
wait_call_answered() { # the call's job exists before it is answered
    until [ -n "$(ls -A "$spool/incoming" 2>/dev/null)" ]; do
        gw_alive || { echo "gateway died" >&2; return 1; }
        sleep 0.05
    done
}

# 1. SIGTERM during a call
write_conf toA "$devA_PORT"
gw_start "$conf"
gw_wait_log "ifaxgw running"
"$stream" -c "caller=1001 called=5550199" -x 5 "$TMP/a0.sock" "$TMP/c2.raw" >"$TMP/s1.out" &
s1=$!
wait_call_answered
sleep 2
n=$(wc -l <"$TMP/gw.log")
kill -TERM "$GW_PID"
gw_wait_log "signal=TERM: stopping" "$n"
"$stream" -c "caller=1002" -w 5 "$TMP/a1.sock" "$TMP/c2.raw" >"$TMP/s2.out" || true
wait $s1
gw_stop
check "SIGTERM: the daemon exits 0" test "$GW_RC" -eq 0
check "SIGTERM: a call after the signal is not answered" grep -q 'rx_bytes=0 ' "$TMP/s2.out"
check "SIGTERM: the log says why" \
    grep -q 'line=a1 call refused: the gateway is stopping' "$TMP/gw.log"
check "SIGTERM: the call in progress finished" \
    grep -q 'caller="1001" pages=2 stored=2 partial=0 rate=[0-9]* result=ok committed' "$TMP/gw.log"
check "SIGTERM: the refused caller has no job" test -z "$(job_of 1002)"
j1=$(job_of 1001)
check "SIGTERM: its job is committed whole ($j1)" grep -qE '^(queue|done)/\S+ 2 False ' <<<"$j1"
check_spool() { check "$1: every queued and done job whole" spool_check "$spool"; }
check_spool "SIGTERM"
# delivered before the exit, or by the next start
gw_start "$conf"
gw_wait_log "ifaxgw running"
wait_settled "$spool"
mid1=$(awk '{print $4}' <<<"$(job_of 1001)")
check "SIGTERM: the job is delivered once" test "$(copies devA "$mid1")" -eq 1

# 2. SIGHUP during a call: the new config routes to B
"$stream" -c "caller=2001 called=5550199" -x 5 "$TMP/a0.sock" "$TMP/c2.raw" >"$TMP/s3.out" &
s3=$!
wait_call_answered
sleep 1
write_conf toB "$devB_PORT"
n=$(wc -l <"$TMP/gw.log")
kill -HUP "$GW_PID"
gw_wait_log "reload: $conf in force" "$n"
check "SIGHUP: the call is still in progress after the reload" kill -0 $s3
wait $s3
wait_settled "$spool"
j2=$(job_of 2001)
check "SIGHUP: the call completed ($j2)" grep -qE '^done/\S+ 2 False ' <<<"$j2"
mid2=$(awk '{print $4}' <<<"$j2")
check "SIGHUP: routed by the new config (B)" test "$(copies devB "$mid2")" -eq 1
check "SIGHUP: not by the old one (A)" test "$(copies devA "$mid2")" -eq 0

# 3. a broken config on SIGHUP: rejected, the old one (B) stays
write_conf toA "$devA_PORT"
bad=$(($(wc -l <"$conf") + 1))
echo 'gateway: { name = "duplicate section"; bogus_key = 1; };' >>"$conf"
n=$(wc -l <"$TMP/gw.log")
kill -HUP "$GW_PID"
gw_wait_log "reload rejected: .* the old config stays" "$n"
check "bad SIGHUP: file:line errors in the log" \
    grep -q "reload rejected: $conf:$bad: " "$TMP/gw.log"
"$stream" -c "caller=3001" "$TMP/a1.sock" "$TMP/c2.raw" >"$TMP/s4.out"
wait_settled "$spool"
j3=$(job_of 3001)
mid3=$(awk '{print $4}' <<<"$j3")
check "bad SIGHUP: the next call is received ($j3)" grep -qE '^done/\S+ 2 False ' <<<"$j3"
check "bad SIGHUP: still routed by the config in force (B)" test "$(copies devB "$mid3")" -eq 1
check "bad SIGHUP: not by the file on disk (A)" test "$(copies devA "$mid3")" -eq 0
check_spool "end"
gw_stop
check "the daemon exits 0 at the end" test "$GW_RC" -eq 0
check "device verdicts all ok" "$SYS_PY" -c '
import glob, json, sys
v = [json.load(open(p)) for p in glob.glob(sys.argv[1] + "/*.d/msg-*.json")]
assert len(v) == 3 and all(x["ok"] for x in v), [x["problems"] for x in v]
' "$TMP"
finish
