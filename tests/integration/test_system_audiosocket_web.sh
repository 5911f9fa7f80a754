#!/usr/bin/env bash
# ctest-labels: slow
# test_system_audiosocket_web - each call of an AudioSocket line in the
# status API and on the page of the real daemon (`ifaxgw run`, a kind =
# "audiosocket" line, the web on a free loopback port): two announced calls
# from tests/tools/audiosocket_call (live SpanDSP senders, paced at twice
# real time so that they last), one with a CSID that is markup and not
# UTF-8. /api/status, sampled while they run, must list one entry per call
# under the line ("calls") with its UUID, caller and called from its
# announcement, page >= 1 and a non-zero rate at some point, the CSID as
# sent (\xNN for the byte that is not UTF-8); tests/peers/browser_ascalls.js
# checks the page's sub-rows (CSID as text); once the calls end, the list
# is empty. Screenshot: $IFAXGW_BUILD/tests/web-ascalls.png
set -euo pipefail
: "${IFAXGW:?}" "${IFAXGW_TOOLS:?}" "${IFAXGW_SRC:?}" "${IFAXGW_BUILD:?}"
TMP=$(mktemp -d)
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
. "$IFAXGW_SRC/tests/integration/system_common.sh"
trap sys_cleanup EXIT

if [ ! -d "$IFAXGW_SRC/tests/peers/node_modules/playwright-core" ]; then
    echo "playwright-core missing: run contrib/install-deps.sh" >&2
    exit 1
fi
DOC="$IFAXGW_SRC/tests/data/t30/doc3.tif"
CALL="$IFAXGW_TOOLS/audiosocket_call"
HOSTILE=$'<svg onload=f()>\xff' # 17 bytes: markup, and one not UTF-8
aport=$("$SYS_PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sys_device dev --preset mh-only
spool=$TMP/spool
sys_conf "$TMP/gw.conf" "$spool" \
    "{ name = \"as0\"; kind = \"audiosocket\"; port = $aport; max_calls = 4; timeout_s = 5; }" \
    "$(sys_route fax "$dev_PORT")"
gw_start "$TMP/gw.conf"
gw_wait_log "ifaxgw running"
gw_wait_log "audiosocket listening"
port=$(sed -n 's|.*web: http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$TMP/gw.log" | tail -1)
check "the daemon serves the page on a loopback port" test -n "$port"
base=http://127.0.0.1:$port
uuid() { "$SYS_PY" -c 'import uuid; print(uuid.uuid4())'; }
calls_of() { # the as0 line's "calls" as JSON, or "none"
    curl -s "$base/api/status" | "$SYS_PY" -c \
        'import json,sys; l=[x for x in json.load(sys.stdin)["lines"] if x["name"]=="as0"][0]; print(json.dumps(l.get("calls","none")))'
}
check "idle: the line has an empty list of calls" test "$(calls_of)" = "[]"

u1=$(uuid); u2=$(uuid)
"$IFAXGW" announce -c "$TMP/gw.conf" --caller 4930111 --called 100 "$u1"
"$IFAXGW" announce -c "$TMP/gw.conf" --caller 4930222 --called 200 --name "X" "$u2"
(while :; do curl -s "$base/api/status"; echo; sleep 0.25; done) >"$TMP/live.jsonl" 2>/dev/null &
sampler=$!
"$CALL" -x 2 -u "$u1" -i "+49 30 111" 127.0.0.1 "$aport" "$DOC" >"$TMP/c1.out" &
p1=$!
"$CALL" -x 2 -u "$u2" -i "$HOSTILE" 127.0.0.1 "$aport" "$DOC" >"$TMP/c2.out" &
p2=$!
rc=0
node "$IFAXGW_SRC/tests/peers/browser_ascalls.js" "$base" as0 "$u1" "$u2" \
    "$IFAXGW_BUILD/tests/web-ascalls.png" || rc=$?
check "the browser checks pass" test "$rc" -eq 0
ok=0
wait "$p1" && ok=$((ok + 1))
wait "$p2" && ok=$((ok + 1))
cat "$TMP/c1.out" "$TMP/c2.out"
check "both senders ended OK with 3 pages" \
    test "$(grep -l 'sender_code=0 confirmed=3' "$TMP/c1.out" "$TMP/c2.out" | wc -l)" -eq 2
# a call leaves the list before its connection closes, and each sender
# waits for that close: no wait here
check "after the calls the list is empty again" test "$(calls_of)" = "[]"
sleep 0.5 # a sample after it
kill "$sampler"; wait "$sampler" 2>/dev/null || true
check "the samples told each call's truth" \
    "$SYS_PY" - "$TMP/live.jsonl" "$u1" "$u2" <<'PY'
import json, sys
path, u1, u2 = sys.argv[1:4]
ls = [[x for x in json.loads(l)["lines"] if x["name"] == "as0"][0]
      for l in open(path) if l.strip().startswith("{")]
want = {u1: ("4930111", "100", "+49 30 111"), u2: ("4930222", "200", "<svg onload=f()>\\xFF")}
both = [l for l in ls if {c["uuid"] for c in l["calls"]} == {u1, u2}]
print("samples %d, with both calls %d" % (len(ls), len(both)))
assert both, "never both calls listed at once"
assert all(len(l["calls"]) <= l["max_calls"] == 4 for l in ls)
# the line itself is receiving while any call is connected (its calls say
# how far each is), whatever phase one call is in
assert all(l["state"] == "receiving" for l in both), sorted({l["state"] for l in both})
for u, (caller, called, csid) in want.items():
    cs = [c for l in ls for c in l["calls"] if c["uuid"] == u]
    assert all(c["caller"] == caller and c["called"] == called for c in cs), cs[0]
    assert all(c["started_ms"] > 0 and c["progress_ms"] >= c["started_ms"] for c in cs), cs[0]
    rx = [c for c in cs if c["state"] == "receiving"]
    assert rx and all(c["page"] >= 1 and c["bit_rate"] > 0 for c in rx), cs[:3]
    assert max(c["page"] for c in cs) >= 2, sorted({c["page"] for c in cs})
    assert any(c["csid"] == csid for c in cs), sorted({c["csid"] for c in cs})
    print(u, "pages seen", sorted({c["page"] for c in cs}), "rates", sorted({c["bit_rate"] for c in cs}))
assert ls[-1]["calls"] == [] and ls[-1]["state"] == "idle", ls[-1]
PY
gw_stop
check "the gateway stopped cleanly" test "$GW_RC" -eq 0
[ "$FAIL" -eq 0 ] || tail -40 "$TMP/gw.log"
finish
