#!/usr/bin/env bash
# ctest-labels: slow
# Issue 15.1: the caller hangs up mid-call. A SpanDSP sender (ifaxgw-vline
# --send) sends two pages and drops the line, without DCN, as soon as it
# hears MCF for page 1 (--hangup-after 1, first call only): the modem says
# NO CARRIER, then ERROR to every fax command (T.31: on hook). The
# gateway's Class 1 driver must end that call at once with page 1 kept
# (partial), using a bounded number of AT commands (it used to re-send
# AT+FTH=3 millions of times until the watchdog), and take the sender's
# next call (10 s later) normally: two pages, ok.
set -euo pipefail
. "${IFAXGW_SRC:?}/tests/integration/t30_common.sh"

tiffcp "$src/tests/data/t30/doc3.tif,0,1" "$tmp/p12.tif"
"$build/ifaxgw-vline" --a "$tmp/ttyA" --send "$tmp/p12.tif" --hangup-after 1 \
    >"$tmp/vline.log" 2>&1 &
pids+=($!)
wait_for "$tmp/vline.log" "ready" "${pids[0]}"
mkdir "$tmp/out"
"$tools/t30_linerun" -d "$tmp/ttyA" -o "$tmp/out" -c 2 >"$tmp/line.log" 2>&1 &
line=$!
pids+=($line)
wait "$line" || true
cat "$tmp/line.log"
grep 'ifaxgw-vline: A: ATH\|drops the line' "$tmp/vline.log" || true
fail() { echo "FAIL: $*"; exit 1; }
grep -q 'sender drops the line after 1 MCF' "$tmp/vline.log" || fail "the sender did not drop the line"
grep -q 'call=1 result=partial pages=1 ' "$tmp/line.log" || fail "call 1: not partial with page 1"
# the dropped call's command count (first ATH): bounded
n=$(grep -m1 -o 'A: ATH after [0-9]* AT commands' "$tmp/vline.log" | grep -o '[0-9]*' | head -1)
[ -n "$n" ] || fail "no ATH for the dropped call"
echo "AT commands in the dropped call: $n"
[ "$n" -lt 200 ] || fail "$n AT commands for a 1-page call that was dropped"
grep -q 'call=2 result=ok pages=2 ' "$tmp/line.log" || fail "call 2 (after the drop) not received"
# page 1 of the dropped call is whole
tifftopnm "$tmp/out/call1/pages.tif" >"$tmp/got.pbm" 2>/dev/null
tiffcp "$src/tests/data/t30/doc3.tif,0" "$tmp/p1.tif"
tifftopnm "$tmp/p1.tif" >"$tmp/want.pbm" 2>/dev/null
cmp "$tmp/got.pbm" "$tmp/want.pbm" || fail "page 1 differs"
echo "test_t30_vline_hangup: ok"
