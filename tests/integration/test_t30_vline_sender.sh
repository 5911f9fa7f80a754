#!/usr/bin/env bash
# ctest-labels: slow
# A SpanDSP sender (ifaxgw-vline --send: the far end of modem A is an
# in-process fax_state_t that calls A) sends one page to the gateway's
# Class 1 driver on A over an impaired line (-20 dBm0, AWGN -60 dBm0,
# A-law round trip): call OK, CSID from the sender, page pixel-identical.
set -euo pipefail
. "${IFAXGW_SRC:?}/tests/integration/t30_common.sh"

gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=tiffg4 -r204x196 -sPAPERSIZE=a4 \
    -dFIXEDMEDIA -dLastPage=1 -sOutputFile="$tmp/p1.tif" "$src/tests/data/t30/doc.ps"
"$build/ifaxgw-vline" --a "$tmp/ttyA" --send "$tmp/p1.tif" --tsi "+49 30 1234" \
    --number-b 4930555 --level -20 --noise -60 --g711 alaw >"$tmp/vline.log" 2>&1 &
pids+=($!)
wait_for "$tmp/vline.log" "ready" "${pids[0]}"
mkdir "$tmp/out"
"$tools/t30_linerun" -d "$tmp/ttyA" -o "$tmp/out" -r 2 >"$tmp/line.log" 2>&1 &
line=$!
pids+=($line)
wait "$line" || true
cat "$tmp/line.log"
grep -q 'ring caller="4930555" called="5550100" rings=2' "$tmp/line.log"
grep -q 'call=1 result=ok pages=1 csid="+49 30 1234" caller="4930555"' "$tmp/line.log"
tifftopnm "$tmp/out/call1/pages.tif" >"$tmp/got.pbm" 2>/dev/null
tifftopnm "$tmp/p1.tif" >"$tmp/want.pbm" 2>/dev/null
cmp "$tmp/got.pbm" "$tmp/want.pbm"
echo "test_t30_vline_sender: ok"
