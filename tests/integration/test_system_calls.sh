#!/usr/bin/env bash
# test_system_calls - the call log written by the daemon's line threads
# (gateway/lines.c): `ifaxgw run` with an audio line takes three calls
# played by tests/tools/audio_stream from a SpanDSP sender's recording
# (tests/tools/fax_record): a whole 2-page call (ok, a job), the same call
# hung up 12.5 s in, during page 1 (zero pages: failed, no job: before the
# call log it left no trace), and a call from a blocked caller ID (refused
# by a reject route, never answered). The caller name from the line is
# kept. All three must be in `ifaxgw calls`
# and in the daemon's /api/calls, the failed one with its T.30 ladder.
set -euo pipefail
: "${IFAXGW:?}" "${IFAXGW_TOOLS:?}" "${IFAXGW_SRC:?}"
TMP=$(mktemp -d)
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
. "$IFAXGW_SRC/tests/integration/system_common.sh"
trap sys_cleanup EXIT

sys_record "$TMP/c1" 1 -i "+1 555 0100"
sys_device dev --preset panasonic
spool=$TMP/spool
sock=$TMP/a0.sock
sys_conf "$TMP/gw.conf" "$spool" "$(sys_audio_line a0 "$sock")" \
    "{ name = \"blocked\"; match = { caller = [ \"666*\" ]; }; reject = true; }, $(sys_route fax "$dev_PORT")"
gw_start "$TMP/gw.conf"
gw_wait_log "ifaxgw running"
port=$(sed -n 's|.*web: http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$TMP/gw.log" | tail -1)

"$IFAXGW_TOOLS/audio_stream" -c "caller=4930555 called=100 name=ACME-GmbH" "$sock" "$TMP/c1.raw" >"$TMP/s1.out"
check "the whole call was answered" grep -Eq 'rx_bytes=[1-9]' "$TMP/s1.out"
"$IFAXGW_TOOLS/audio_stream" -k 12500 -c "caller=4930556 called=100" "$sock" "$TMP/c1.raw" >"$TMP/s2.out"
check "the cut call was answered" grep -Eq 'rx_bytes=[1-9]' "$TMP/s2.out"
"$IFAXGW_TOOLS/audio_stream" -c "caller=6660001 called=100" "$sock" "$TMP/c1.raw" >"$TMP/s3.out"
check "the blocked caller was not answered" grep -Eq 'rx_bytes=0 ' "$TMP/s3.out"
wait_for 30 sh -c "[ \$(ls '$spool/calls' 2>/dev/null | grep -c '\\.json\$') -ge 3 ]" || true

"$IFAXGW" calls -c "$TMP/gw.conf" >"$TMP/calls.txt"
cat "$TMP/calls.txt"
check "three calls in the log" test "$(wc -l <"$TMP/calls.txt")" -eq 3
check "the refused call, newest" sh -c "sed -n 1p '$TMP/calls.txt' | grep -q ' a0 .* refused .*caller=\"6660001\" called=\"100\"'"
check "the zero-page call, failed" sh -c "sed -n 2p '$TMP/calls.txt' | grep -q ' failed .*caller=\"4930556\".*reason=\"no page received'"
check "the whole call, ok, with its job" sh -c "sed -n 3p '$TMP/calls.txt' | grep -Eq ' ok +2 14400 ecm caller=\"4930555\" \(ACME-GmbH\) .* job=[0-9T.]+-[0-9a-f]+\$'"
check "the API shows the same calls and the failed call's ladder" \
    "$SYS_PY" - "$port" <<'PY'
import json, sys, urllib.request
base = "http://127.0.0.1:%s" % sys.argv[1]
get = lambda p: json.load(urllib.request.urlopen(base + p))
d = get("/api/calls")
res = [c["result"] for c in d["calls"]]
assert d["total"] == 3 and res == ["refused", "failed", "ok"], d
ref, bad, good = d["calls"]
assert ref["caller_id"] == "6660001" and ref["job"] is None and ref["reason"], ref
assert bad["npages"] == 0 and bad["job"] is None and bad["line"] == "a0", bad
assert good["npages"] == 2 and good["job"] and good["caller_name"] == "ACME-GmbH", good
c = get("/api/calls/" + bad["id"])
names = [s["name"] for s in c["ladder"]["steps"]]
assert "DCS" in names and names[-1] == "end", names
assert c["ladder"]["steps"][-1]["level"] == "fail", c["ladder"]["steps"][-1]
assert get("/api/calls?result=refused")["total"] == 1
print("api: refused, failed, ok; failed ladder: " + " ".join(names))
PY
wait_settled "$spool"
gw_stop
check "the gateway stopped cleanly" test "$GW_RC" -eq 0
[ "$FAIL" -eq 0 ] || tail -30 "$TMP/gw.log"
finish
