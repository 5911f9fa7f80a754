#!/usr/bin/env bash
# The call log (gateway/calllog) with real calls: a SpanDSP sender's call
# recorded by tests/tools/fax_record and decoded by `ifaxgw receive`, once
# whole (2 pages: ok, a job) and once cut off during page 1 (zero pages:
# failed, no job, which left no trace before the call log). Checks both in
# `ifaxgw calls` (one line per call, filters, JSON, `show` with the T.30
# ladder) and, through tests/tools/web_testsrv on the same spool, in
# GET /api/calls, /api/calls/ID (ladder, transcript) and /api/calls.csv.
set -euo pipefail
tmp=$(mktemp -d)
pid=
cleanup() {
    set +e # a failing kill must not change the verdict
    [ -z "$pid" ] || kill "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
src=${IFAXGW_SRC:?}
tools=${IFAXGW_TOOLS:?}
gw=${IFAXGW:?}
py=${PYTHON:-/usr/bin/python3}
doc=$src/tests/data/t30/doc3.tif
spool=$tmp/spool

cat >"$tmp/gw.conf" <<CONF
gateway: { name = "t30test"; spool = "$spool"; };
lines = ( { name = "rec0"; audio = "-"; station_id = "+1 555 0199"; } );
smtp: { hostname = "localhost"; from = "ifaxgw@localhost"; };
routes = ( { name = "default"; recipients = ( { address = "fax@[127.0.0.1]"; } ); } );
CONF

# 1. a whole call: 2 pages, ECM, V.17
"$tools/fax_record" -l 1 -i "+1 555 0100" -r "$tmp/call.raw" "$doc" "$tmp/call.wav" >/dev/null
"$gw" receive -c "$tmp/gw.conf" --audio "$tmp/call.wav" >"$tmp/out1"
job=$(sed -n 's/^job=\([^ ]*\) .*/\1/p' "$tmp/out1")
[ -n "$job" ]
# 2. the same call cut off 12.5 s in (during page 1): zero pages
head -c 200000 "$tmp/call.raw" >"$tmp/cut.raw"
rc=0
"$gw" receive -c "$tmp/gw.conf" --audio "$tmp/cut.raw" --format raw >/dev/null 2>&1 || rc=$?
[ $rc -eq 1 ]
[ "$(find "$spool/queue" -mindepth 1 -maxdepth 1 | wc -l)" -eq 1 ] # no job for it
# 3. a hostile, non-UTF-8 CSID: escaped in the log line
"$tools/fax_record" -m v29 -l 0 -i $'M\xfcller <b>' "$doc" "$tmp/evil.wav" >/dev/null
"$gw" receive -c "$tmp/gw.conf" --audio "$tmp/evil.wav" >/dev/null

"$gw" calls -c "$tmp/gw.conf" >"$tmp/list"
cat "$tmp/list"
[ "$(wc -l <"$tmp/list")" -eq 3 ]
# newest first: the hostile call, the failed call, the good one
sed -n 1p "$tmp/list" | grep -qF 'csid="M\xc3\xbcller <b>"'
sed -n 2p "$tmp/list" | grep -E ' rec0 +[0-9.]+s failed +0 ' | grep -q 'reason="no page received: The call dropped prematurely"'
sed -n 3p "$tmp/list" | grep -E ' rec0 +[0-9.]+s ok +2 14400 ecm ' | grep -q "csid=\"+1 555 0100\" id=.* job=$job\$"
"$gw" calls -c "$tmp/gw.conf" --result failed >"$tmp/failed"
[ "$(wc -l <"$tmp/failed")" -eq 1 ] && grep -q ' failed ' "$tmp/failed"
[ "$("$gw" calls -c "$tmp/gw.conf" -q "$job" | wc -l)" -eq 1 ]
[ "$("$gw" calls -c "$tmp/gw.conf" --line nosuch | wc -l)" -eq 0 ]
[ "$("$gw" calls -c "$tmp/gw.conf" --since 1h | wc -l)" -eq 3 ]
[ "$("$gw" calls -c "$tmp/gw.conf" --since 2099-01-01 | wc -l)" -eq 0 ]
rc=0; "$gw" calls -c "$tmp/gw.conf" --since yesterday >/dev/null 2>&1 || rc=$?; [ $rc -eq 2 ]
"$gw" calls --spool "$spool" --json >"$tmp/list.json"
failed_id=$("$py" - "$tmp/list.json" "$job" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["total"] == 3, d
bad, good = d["calls"][1], d["calls"][2]
assert bad["result"] == "failed" and bad["npages"] == 0 and bad["job"] is None, bad
assert bad["remote_csid"] == "+1 555 0100" and bad["line"] == "rec0", bad
assert 12000 <= bad["duration_ms"] <= 13000, bad
assert good["result"] == "ok" and good["npages"] == 2 and good["job"] == sys.argv[2], good
assert good["bit_rate"] == 14400 and good["ecm"] is True and good["reason"] == "", good
print(bad["id"])
PY
)
# 4. show: the ladder of the failed call ends in a marked failure
"$gw" calls -c "$tmp/gw.conf" show "$failed_id" >"$tmp/show"
cat "$tmp/show"
grep -q '<- DCS  V.17 14400, fine 204x196, MMR (T.6), width A4, length unlimited, ECM 256-byte frames' "$tmp/show"
grep -q -- '-> CFR  training check (TCF) passed' "$tmp/show"
grep -qE '^  ! +\+12\.[0-9]+ +end  call failed: no page received' "$tmp/show"
grep -q '^+6.160 <- DCS  ff 13 83 00 62 f8 44' "$tmp/show" # the raw transcript
good_id=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["calls"][2]["id"])' "$tmp/list.json")
"$gw" calls -c "$tmp/gw.conf" show "$good_id" >"$tmp/show2"
grep -q 'PPS  end of page 2, last page (PPS-EOP' "$tmp/show2"
grep -q 'DCN  disconnect: call complete' "$tmp/show2"
grep -q '^counts: CFR=1 PPS=2 MCF=2 DCN=1$' "$tmp/show2"
rc=0; "$gw" calls -c "$tmp/gw.conf" show 20990101T000000.000-00000000 >/dev/null 2>&1 || rc=$?
[ $rc -eq 1 ]
"$gw" calls --help | grep -q -- '--since'

echo "test_calls_log: ok"
