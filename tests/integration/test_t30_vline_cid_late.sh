#!/usr/bin/env bash
# ctest-labels: slow
# Issue 15.4/15.9: caller ID after the first ring (North America). The
# virtual line (ifaxgw-vline --send --cid-late) rings the gateway's Class 1
# line with no caller ID on the first RING, NMBR/NAME from the second on.
# The line decides on caller ID (t30_linerun -x: a blocked number) and
# answers after 1 ring, so it must wait for the caller ID:
#  1. a blocked caller is never answered (it used to be answered at ring 1
#     with no caller ID, so the block never matched);
#  2. another caller is answered once its caller ID is there: the record
#     holds the caller ID and the caller name; the call's AT transcript
#     (line_at_transcript, issue 15.6) has the exchange, bounded.
set -euo pipefail
. "${IFAXGW_SRC:?}/tests/integration/t30_common.sh"
fail() { echo "FAIL: $*"; exit 1; }
tiffcp "$src/tests/data/t30/doc3.tif,0" "$tmp/p1.tif"

# 1. blocked caller
"$build/ifaxgw-vline" --a "$tmp/ttyA" --send "$tmp/p1.tif" --cid-late \
    --number-b 5550666 --name-b "Blocked Co" >"$tmp/vline1.log" 2>&1 &
v1=$!
pids+=($v1)
wait_for "$tmp/vline1.log" "ready" "$v1"
mkdir "$tmp/out1"
"$tools/t30_linerun" -d "$tmp/ttyA" -o "$tmp/out1" -x 5550666 >"$tmp/line1.log" 2>&1 &
l1=$!
pids+=($l1)
wait_for "$tmp/line1.log" "call refused, not answered" "$l1"
kill "$l1"
wait "$l1" || true
kill "$v1"
wait "$v1" || true
cat "$tmp/line1.log"
grep -q 'ring caller="5550666" called="5550100" rings=2 name="Blocked Co"' "$tmp/line1.log" ||
    fail "the decision was not taken with the caller ID of ring 2"
! grep -q 'status=receiving' "$tmp/line1.log" || fail "the blocked caller was answered"
! grep -q 'rings=1' "$tmp/line1.log" || fail "decided at ring 1, before the caller ID"

# 2. a caller that is not blocked: answered at ring 2, caller ID and name kept
"$build/ifaxgw-vline" --a "$tmp/ttyA" --send "$tmp/p1.tif" --cid-late \
    --number-b 5550777 --name-b "Acme GmbH" >"$tmp/vline2.log" 2>&1 &
v2=$!
pids+=($v2)
wait_for "$tmp/vline2.log" "ready" "$v2"
mkdir "$tmp/out2"
"$tools/t30_linerun" -d "$tmp/ttyA" -o "$tmp/out2" -x 5550666 >"$tmp/line2.log" 2>&1 &
l2=$!
pids+=($l2)
wait "$l2" || true
cat "$tmp/line2.log"
grep -q 'ring caller="5550777" called="5550100" rings=2 name="Acme GmbH"' "$tmp/line2.log" ||
    fail "not answered at ring 2 with the caller ID"
grep -q 'call=1 result=ok pages=1 csid="+1 555 0100" caller="5550777"' "$tmp/line2.log" ||
    fail "call 2 not received with its caller ID"
"$py" - "$tmp/out2/call1/meta.json" <<'PY' || fail "the record lacks the caller name"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["caller_id"] == "5550777" and r["caller_name"] == "Acme GmbH", r
PY
# 15.6: the call's AT transcript is kept, bounded
at=$tmp/out2/call1/at.log
head -5 "$at"
grep -q '> ATA$' "$at" || fail "at.log: no ATA"
grep -q '< CONNECT$' "$at" || fail "at.log: no CONNECT"
grep -q '> AT+FRM=' "$at" || fail "at.log: no AT+FRM"
grep -q '< <data [0-9]* bytes>$' "$at" || fail "at.log: page data not summarised"
[ "$(wc -l <"$at")" -le 401 ] || fail "at.log not bounded"
echo "test_t30_vline_cid_late: ok"
