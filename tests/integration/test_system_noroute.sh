#!/usr/bin/env bash
# test_system_noroute - a call no route takes (issue 15.2). `ifaxgw run`
# with one audio line and a single route for another called number, no
# catch-all, no "default" route; a recorded 3-page SpanDSP call
# (tests/tools/audio_stream) arrives for a number nobody routes. Checks:
#  1. the job is not stranded in incoming/: it is in failed/ with its 3
#     pages, meta.json says why (failed_reason "no route matched ..."), the
#     log says "kept in failed/", `queue list` and `queue show` show it;
#  2. a leftover in incoming/ (pages.tif without meta.json, as older
#     versions or a crash left) is listed with its pages and "left over",
#     shown by `queue show`, refused by `retry`, removed by `delete`;
#  3. after a SIGHUP that adds a catch-all route, `queue retry ID` routes
#     the kept job again and it is delivered (device verdict ok).
set -euo pipefail
: "${IFAXGW:?}" "${IFAXGW_TOOLS:?}" "${IFAXGW_SRC:?}"
TMP=$(mktemp -d)
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
. "$IFAXGW_SRC/tests/integration/system_common.sh"

spool=$TMP/spool
sock=$TMP/a0.sock
sys_record "$TMP/c3" 2
sys_device dev
only_555=$(printf '{ name = "sales"; match = { called = [ "555" ]; }; recipients = ( { address = "fax@ifax.test"; host = "127.0.0.1:%s"; } ); }' "$dev_PORT")
sys_conf "$TMP/gw.conf" "$spool" "$(sys_audio_line a0 "$sock")" "$only_555"
gw_start "$TMP/gw.conf"
gw_wait_log "ifaxgw running"
Q() { "$IFAXGW" queue -c "$TMP/gw.conf" "$@"; }

# 1. a call for 777: answered, received, kept in failed/
"$IFAXGW_TOOLS/audio_stream" -c "caller=101 called=777" -x 0 "$sock" "$TMP/c3.raw" >"$TMP/s1.out"
gw_wait_log "job=.* line=a0 .*\\(kept in failed/\\|call failed\\)"
id=$(ls -A "$spool/failed")
check "no route: one job in failed/" test -n "$id" -a -d "$spool/failed/$id"
check "no route: nothing left in incoming/ or queue/" spool_settled "$spool"
check "no route: meta.json keeps the pages and says why" "$SYS_PY" - "$spool/failed/$id/meta.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
assert m["pages"] == 3 and m["recipients"] == [], m
assert m["failed_reason"].startswith("route: no route matched"), m
assert m["called"] == "777" and m["caller"] == "101" and m["finished_ms"] > 0, m
PY
check "no route: the log says so, not 'call failed'" \
    grep -q "job=$id line=a0 .*pages=3 received, kept in failed/: route: no route matched" "$TMP/gw.log"
check "no route: not logged as a failed call" bash -c "! grep -q 'call failed' '$TMP/gw.log'"
Q list >"$TMP/list1.txt"
check "queue list shows it in failed/" grep -q "^$id *failed .* 3 0/0 .*no recipient" "$TMP/list1.txt"
Q show "$id" >"$TMP/show1.txt"
check "queue show says why" grep -q "^failed  *route: no route matched" "$TMP/show1.txt"
port=$(sed -n 's|.*web: http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$TMP/gw.log" | tail -1)
curl -s "http://127.0.0.1:$port/api/jobs?state=failed" >"$TMP/failed.json"
check "web JSON: the failed job with its reason" "$SYS_PY" - "$TMP/failed.json" "$id" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
j = [j for j in d["jobs"] if j["id"] == sys.argv[2]][0]
assert j["failed_reason"].startswith("route: no route matched") and j["pages"] == 3, j
PY

# 2. a leftover in incoming/: pages without meta.json
left=20200101T000000.000-0badc0de
mkdir -p "$spool/incoming/$left"
cp "$spool/failed/$id/pages.tif" "$spool/incoming/$left/pages.tif"
Q list --state incoming >"$TMP/list2.txt"
check "leftover: listed with its pages as left over" \
    grep -q "^$left *incoming .* 3 .*(left over" "$TMP/list2.txt"
Q list --json >"$TMP/list2.json"
check "leftover: --json has its note and pages" "$SYS_PY" - "$TMP/list2.json" "$left" <<'PY'
import json, sys
jobs = {j["id"]: j for j in json.load(open(sys.argv[1]))}
j = jobs[sys.argv[2]]
assert j["state"] == "incoming" and j["pages"] == 3 and "error" not in j, j
assert j["note"].startswith("left over"), j
PY
check "leftover: queue show works" bash -c "'$IFAXGW' queue -c '$TMP/gw.conf' show $left | grep -q '^note  *left over'"
Q retry "$left" 2>"$TMP/retry2.err" && rc=0 || rc=$?
check "leftover: retry exits 1 and says why" bash -c "[ $rc -eq 1 ] && grep -q 'left over' '$TMP/retry2.err'"
check "leftover: delete removes it" Q delete "$left"
check "leftover: gone" test ! -e "$spool/incoming/$left"

# 3. a catch-all route on SIGHUP, then retry: routed and delivered
sys_conf "$TMP/gw.conf" "$spool" "$(sys_audio_line a0 "$sock")" "$only_555, $(sys_route any "$dev_PORT")"
kill -HUP "$GW_PID"
gw_wait_log "reload: .* in force"
check "retry of the kept job" Q retry "$id"
until [ -d "$spool/done/$id" ]; do
    gw_alive || { echo "gateway died"; exit 1; }
    sleep 0.2
done
check "retried: delivered once, route any, verdict ok" "$SYS_PY" - "$spool/done/$id/meta.json" "$TMP/dev.d" <<'PY'
import glob, json, sys
m = json.load(open(sys.argv[1]))
assert m["route"] == "any" and "failed_reason" not in m, m
assert [r["state"] for r in m["recipients"]] == ["delivered"], m
v = [json.load(open(p)) for p in glob.glob(sys.argv[2] + "/msg-*.json")]
assert len(v) == 1 and v[0]["ok"] and v[0]["info"]["pages"] == 3, v
PY
gw_stop
check "the daemon exits 0 on SIGTERM" test "$GW_RC" -eq 0
finish
