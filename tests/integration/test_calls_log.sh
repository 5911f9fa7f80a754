#!/usr/bin/env bash
# The call log (gateway/intake/calllog) with real calls: a SpanDSP sender's call
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
# 3. a hostile, non-UTF-8 CSID that starts like a spreadsheet formula
"$tools/fax_record" -m v29 -l 0 -i $'=M\xfcller <b>' "$doc" "$tmp/evil.wav" >/dev/null
"$gw" receive -c "$tmp/gw.conf" --audio "$tmp/evil.wav" >/dev/null

"$gw" calls -c "$tmp/gw.conf" >"$tmp/list"
cat "$tmp/list"
[ "$(wc -l <"$tmp/list")" -eq 3 ]
# newest first: the hostile call, the failed call, the good one
sed -n 1p "$tmp/list" | grep -qF 'csid="=M\xc3\xbcller <b>"'
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

# 5. the same calls through the web API (web_testsrv: gateway/web over the spool)
"$tools/web_testsrv" serve "$spool" --queue 1 >"$tmp/srv.out" 2>"$tmp/srv.err" &
pid=$!
until grep -q '^port=' "$tmp/srv.out"; do
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/srv.err"; exit 1; }
    sleep 0.1
done
port=$(sed -n 's/^port=//p' "$tmp/srv.out")
"$py" - "$port" "$job" "$failed_id" "$good_id" <<'PY'
import csv, io, json, sys, urllib.error, urllib.request
port, job, failed_id, good_id = sys.argv[1:]
base = "http://127.0.0.1:%s" % port
def get(path):
    try:
        with urllib.request.urlopen(base + path) as r:
            return r.status, r.headers.get("Content-Type"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read()
def js(path):
    st, ct, body = get(path)
    assert ct == "application/json", (path, ct)
    return st, json.loads(body)

st, d = js("/api/calls")
assert st == 200 and d["total"] == 3 and len(d["calls"]) == 3, d
assert [c["id"] for c in d["calls"][1:]] == [failed_id, good_id], d
bad, good = d["calls"][1], d["calls"][2]
assert bad["result"] == "failed" and bad["job"] is None and bad["npages"] == 0, bad
assert "no page received" in bad["reason"], bad
assert good["result"] == "ok" and good["job"] == job and good["npages"] == 2, good
assert d["calls"][0]["remote_csid"] == "=M\u00fcller <b>", d["calls"][0]
assert "frames" not in bad, "summaries stay small"
st, d = js("/api/calls?result=failed")
assert d["total"] == 1 and d["calls"][0]["id"] == failed_id, d
st, d = js("/api/calls?q=" + job[-8:])
assert d["total"] == 1 and d["calls"][0]["id"] == good_id, d
st, d = js("/api/calls?q=m%C3%BCLLER")
assert d["total"] == 1, d
st, d = js("/api/calls?line=rec0&limit=1&offset=1")
assert d["total"] == 3 and [c["id"] for c in d["calls"]] == [failed_id], d
st, d = js("/api/calls?since=4102444800")
assert d["total"] == 0, d
for bad_q in ("result=maybe", "limit=0", "offset=-1", "since=yesterday", "q=" + "x" * 101):
    st, d = js("/api/calls?" + bad_q)
    assert st == 400 and "error" in d, (bad_q, st, d)

# the ladder of the failed call: real times, DCS decoded, the failure marked
st, c = js("/api/calls/" + failed_id)
assert st == 200 and c["result"] == "failed", c
lad = c["ladder"]
steps = lad["steps"]
names = [s["name"] for s in steps]
assert names[:6] == ["CSI", "DIS", "TSI", "DCS", "CFR", "FCD"] and names[-1] == "end", names
dcs = steps[3]
assert dcs["dir"] == "rx" and dcs["text"].startswith("V.17 14400, fine 204x196, MMR (T.6)"), dcs
assert dcs["hex"] == "ff13830062f844" and dcs["time_ms"] == c["start_ms"] + dcs["t_ms"], dcs
assert steps[-1]["level"] == "fail" and "no page received" in steps[-1]["text"], steps[-1]
assert lad["failures"] == 1 and lad["counts"]["CFR"] == 1 and lad["counts"]["MCF"] == 0, lad
assert "<- DCS  ff 13 83 00 62 f8 44" in c["transcript"], c["transcript"]
assert "frames" not in c
# and of the good one: two pages confirmed, no failure
st, c = js("/api/calls/" + good_id)
lad = c["ladder"]
assert lad["failures"] == 0 and lad["counts"]["MCF"] == 2 and lad["counts"]["PPS"] == 2, lad
assert [s["level"] for s in lad["steps"]] == [""] * len(lad["steps"]), lad
st, d = js("/api/calls/20990101T000000.000-00000000")
assert st == 404, d
st, d = js("/api/calls/..%2fmeta")
assert st == 404, d

# CSV: every call, quoted, the hostile text as data
st, ct, body = get("/api/calls.csv")
assert st == 200 and ct == "text/csv; charset=utf-8", (st, ct)
rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
assert rows[0][:5] == ["id", "start", "line", "duration_s", "result"], rows[0]
assert len(rows) == 4 and rows[2][0] == failed_id and rows[2][4] == "failed", rows
assert rows[3][12] == job and rows[3][11] == "+1 555 0100", rows[3]
assert rows[1][11] == "'=M\u00fcller <b>", rows[1] # not a formula
st, ct, body = get("/api/calls.csv?result=ok")
assert len(body.decode().strip().split("\r\n")) == 3, body
print("api: 3 calls, ladder of %d steps for the failed call, csv ok" % len(steps))
PY
# the server stops cleanly (sanitizer builds report leaks here)
kill "$pid"
srv_rc=0
wait "$pid" || srv_rc=$?
pid=
[ "$srv_rc" -eq 0 ] || { echo "web_testsrv exited with $srv_rc"; tail -40 "$tmp/srv.err"; exit 1; }

echo "test_calls_log: ok"
