#!/usr/bin/env bash
# ctest-labels: slow
# test_system_web - the status page of the real daemon, in Debian's chromium:
# `ifaxgw run` with an audio line, a scan profile on the SANE test backend
# (private SANE_CONFIG_DIR), the web on a free loopback port and
# tests/peers/ifax_device.py as the recipient. A recorded fax whose CSID is
# markup comes in on the audio line and is delivered; then
# /api/status, sampled during the call, must show the live line (training
# at the DCS's rate before receiving, receiving with the trained rate, never
# at 0 bit/s; caller, called, CSID, start);
# tests/peers/browser_system.js checks the page (thumbnail, CSID as text,
# line state, a refused action without the token), starts a scan from the
# panel, which must reach the device, and resends the fax from its drawer to
# an address a route pins to a second device (dev2), which must get it; the
# link to the new job shows it delivered. /metrics must have counted the call,
# the pages and the deliveries. Screenshot: $IFAXGW_BUILD/tests/web-system.png
set -euo pipefail
: "${IFAXGW:?}" "${IFAXGW_TOOLS:?}" "${IFAXGW_SRC:?}" "${IFAXGW_BUILD:?}"
TMP=$(mktemp -d)
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
. "$IFAXGW_SRC/tests/integration/system_common.sh"

if [ ! -d "$IFAXGW_SRC/tests/peers/node_modules/playwright-core" ]; then
    echo "playwright-core missing: run contrib/install-deps.sh" >&2
    exit 1
fi
export SANE_CONFIG_DIR=$TMP/sane
mkdir -p "$SANE_CONFIG_DIR"
echo test >"$SANE_CONFIG_DIR/dll.conf"
# enable-test-options: the backend then has a button as SANE shows one
# (Bool, hard select + soft detect), which the daemon must find and watch
printf '%s\n' "number_of_devices 1" "mode Gray" "depth 1" "resolution 200" \
    'test-picture "Grid"' "geometry_max 300.0" "enable-test-options true" \
    >"$SANE_CONFIG_DIR/test.conf"

HOSTILE='<b id=pwn>x</b>&"'  # 20 characters: the most T.30 carries
token=system-test-token-0123456789
sys_record "$TMP/c1" 0 -i "$HOSTILE"
sys_device dev --preset panasonic
sys_device dev2 --preset panasonic # the host a route pins pinned@ifax.test to
PINNED=pinned@ifax.test
spool=$TMP/spool
sock=$TMP/a0.sock
sys_conf "$TMP/gw.conf" "$spool" "$(sys_audio_line a0 "$sock")" \
    "{ name = \"pinned\"; match = { called = [ \"000\" ]; };
       recipients = ( { address = \"$PINNED\"; host = \"127.0.0.1:$dev2_PORT\"; } ); },
     $(sys_route fax "$dev_PORT")" \
    "scanner: { device = \"test:0\"; button_profile = \"office\"; button_poll_ms = 200; };
scan_profiles = ( { name = \"office\"; mode = \"gray1\"; resolution = 200;
    source = \"adf\"; paper = \"a4\";
    recipients = ( { address = \"scan@ifax.test\"; host = \"127.0.0.1:$dev_PORT\"; } ); } );"
gw_start "$TMP/gw.conf"
gw_wait_log "ifaxgw running"
port=$(sed -n 's|.*web: http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$TMP/gw.log" | tail -1)
check "the daemon serves the page on a loopback port" test -n "$port"
base=http://127.0.0.1:$port
check "the daemon finds and watches the scanner's button" wait_for 60 grep -q \
    "scanner buttons: watching 1 button(s), the first bool-hard-select-soft-detect for profile office" "$TMP/gw.log"
# buttons are read, and scans run, in reader processes: the daemon itself
# never initialises SANE, so no backend is ever loaded into it
check "the daemon has no SANE backend loaded" \
    sh -c "! grep -q 'sane/libsane-' /proc/$GW_PID/maps"

# the live line state, sampled from /api/status while the call runs (paced
# at twice real time, so that the call lasts long enough to be seen)
(while :; do curl -s "$base/api/status"; echo; sleep 0.25; done) >"$TMP/live.jsonl" 2>/dev/null &
sampler=$!
"$IFAXGW_TOOLS/audio_stream" -x 2 -c "caller=5550100 called=5550199" "$sock" \
    "$TMP/c1.raw" >"$TMP/s1.out"
check "the audio call was answered" grep -Eq 'rx_bytes=[1-9]' "$TMP/s1.out"
until [ -n "$(ls -A "$spool/done" "$spool/failed" 2>/dev/null | grep -v ':$' || true)" ]; do
    gw_alive || { tail -20 "$TMP/gw.log"; exit 1; }
    sleep 0.2
done

# the job is committed just before the line reports idle: wait for that
# (else the last sample may still be the call's)
until curl -s "$base/api/status" | "$SYS_PY" -c \
    'import json,sys; sys.exit(json.load(sys.stdin)["lines"][0]["state"] != "idle")' 2>/dev/null; do
    gw_alive || { tail -20 "$TMP/gw.log"; exit 1; }
    sleep 0.2
done
sleep 0.5 # a sample after it
kill "$sampler"; wait "$sampler" 2>/dev/null || true
call_id=$(curl -s "$base/api/calls" | "$SYS_PY" -c 'import json,sys; print(json.load(sys.stdin)["calls"][0]["id"])')
curl -s "$base/api/calls/$call_id" >"$TMP/call.json"
check "the live line told the truth during the call" \
    "$SYS_PY" - "$TMP/live.jsonl" "$HOSTILE" "$TMP/call.json" <<'PY'
import json, re, sys
path, csid, callpath = sys.argv[1:4]
ls = [json.loads(l)["lines"][0] for l in open(path) if l.strip().startswith("{")]
rx = [l for l in ls if l["state"] == "receiving"]
print("samples %d, receiving %d, states %s" % (len(ls), len(rx), sorted({l["state"] for l in ls})))
assert rx, "never seen receiving"
# the training of the sender's DCS (until our CFR) shows as "training" at
# the DCS's rate, before the first page is being received
call = json.load(open(callpath))
dcs = [int(m.group(1)) for st in call["ladder"]["steps"] if st["name"] == "DCS"
       for m in [re.match(r"V\.[0-9a-z]+ ([0-9]+)", st["text"])] if m]
assert dcs, call["ladder"]["steps"][:6]
first_rx = ls.index(rx[0])
tr = [l for l in ls[:first_rx] if l["state"] == "training"]
print("DCS rates %s, training samples before receiving %s" % (dcs, [l["bit_rate"] for l in tr]))
assert tr, "no training sample before the first receiving one"
assert tr[0]["bit_rate"] == dcs[0] and tr[0]["page"] == 0, tr[0]
assert all(l["bit_rate"] in dcs and l["caller_id"] == "5550100" for l in tr), tr
# never "receiving at 0 bit/s": before the rate is known the line is answering
assert all(l["bit_rate"] > 0 and l["page"] >= 1 for l in rx), [l for l in rx if not l["bit_rate"]][:1]
assert all(l["caller_id"] == "5550100" and l["called_number"] == "5550199" and l["call_start_ms"] > 0
           for l in rx), rx[0]
assert any(l["remote_csid"] == csid for l in rx), [l["remote_csid"] for l in rx][:3]
last = ls[-1]
assert last["state"] == "idle" and last["caller_id"] == "" and last["call_start_ms"] == 0, last
PY
rc=0
node "$IFAXGW_SRC/tests/peers/browser_system.js" "$base" "$token" "$HOSTILE" \
    "$IFAXGW_BUILD/tests/web-system.png" "$PINNED" 2> >(grep -v 'unexpected operator' >&2) || rc=$?
check "the browser checks pass" test "$rc" -eq 0

wait_settled "$spool"
check "every job is whole" spool_check "$spool"
check "device: the fax and the scan arrived, both ok" \
    "$SYS_PY" - "$TMP/dev.d" "$spool" <<'PY'
import glob, json, os, sys
dev, spool = sys.argv[1:3]
vs = [json.load(open(p)) for p in glob.glob(os.path.join(dev, "msg-*.json"))]
assert len(vs) == 2, [v["info"] for v in vs]
for v in vs:
    assert v["ok"], v["problems"]
pages = sorted(len(v["info"]["page"]) for v in vs)
assert pages == [1, 10], pages
done = [json.load(open(os.path.join(spool, "done", d, "meta.json")))
        for d in os.listdir(os.path.join(spool, "done"))]
# the fax, the scan and the fax's resend (same source, call data and pages)
assert sorted(m["source"] for m in done) == ["fax", "fax", "scan"], done
PY
check "device 2: the resend went to the route's pinned host, ok" \
    "$SYS_PY" - "$TMP/dev2.d" "$PINNED" <<'PY'
import glob, json, os, sys
dev, addr = sys.argv[1:3]
vs = [json.load(open(p)) for p in glob.glob(os.path.join(dev, "msg-*.json"))]
assert len(vs) == 1, [v.get("rcpt") for v in vs]
assert vs[0]["ok"], vs[0]["problems"]
assert vs[0]["rcpt"] == [addr], vs[0]["rcpt"]
assert len(vs[0]["info"]["page"]) == 1, vs[0]["info"]
PY
curl -s "$base/metrics" >"$TMP/metrics.txt"
check "metrics: the call counted" grep -q '^ifaxgw_calls_total{line="a0",result="ok"} 1$' "$TMP/metrics.txt"
check "metrics: pages received" grep -q '^ifaxgw_pages_total{source="fax"} 1$' "$TMP/metrics.txt"
check "metrics: pages scanned" grep -q '^ifaxgw_pages_total{source="scan"} 10$' "$TMP/metrics.txt"
check "metrics: three deliveries in profile J (fax, scan, resend)" \
    grep -q '^ifaxgw_deliveries_total{outcome="delivered",profile="J"} 3$' "$TMP/metrics.txt"
# a new token on SIGHUP: in force at once, the old one and its sessions out
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
curl -s -c "$TMP/jar" -X POST "$base/api/login" -d "{\"token\": \"$token\"}" >/dev/null
check "reload: logged in with the old token" \
    grep -q '"logged_in": *true' <<<"$(curl -s -b "$TMP/jar" "$base/api/session")"
token2=system-test-token-rotated-987654
sed -i "s/$token/$token2/" "$TMP/gw.conf"
kill -HUP "$GW_PID"
check "reload: the token change is logged" wait_for 20 grep -q 'reload: web token changed; sessions ended' "$TMP/gw.log"
check "reload: the old session has ended" \
    grep -q '"logged_in": *false' <<<"$(curl -s -b "$TMP/jar" "$base/api/session")"
check "reload: the old token is refused (403)" \
    [ "$(code -X POST -H "Authorization: Bearer $token" "$base/api/jobs/no-such-job/retry")" = 403 ]
check "reload: the new token is taken (404 for a missing job)" \
    [ "$(code -X POST -H "Authorization: Bearer $token2" "$base/api/jobs/no-such-job/retry")" = 404 ]
check "the token never reaches the log" bash -c "! grep -q -e '$token' -e '$token2' '$TMP/gw.log'"
gw_stop
check "the daemon exits 0 on SIGTERM" test "$GW_RC" -eq 0
[ "$FAIL" -eq 0 ] || { tail -30 "$TMP/gw.log"; cat "$TMP/metrics.txt"; }
finish
