#!/usr/bin/env bash
# ctest-labels: slow
# ECM over Class 1: a SpanDSP sender with ECM (ifaxgw-vline --send --ecm)
# sends one page through the virtual line (SpanDSP t31 modem A) to the
# gateway's Class 1 driver offering ECM (t30_linerun -e). t31 hands the
# ECM image data to the host as a raw +FRM bit stream; the driver deframes
# it in software. Same impaired line as test_t30_vline_sender (-20 dBm0,
# AWGN -60 dBm0, A-law round trip), plus one 100 ms noise burst at 0 dB
# SNR inside the page data (--hit). Asserts from the call record that ECM
# was used (and T.6, which needs it), the CSID, that the burst's bad frames
# were asked for again (PPR) and resent, and that the page is
# pixel-identical. Then the sender calls again and the line, with ECM
# switched off, receives the same page without ECM.
set -euo pipefail
. "${IFAXGW_SRC:?}/tests/integration/t30_common.sh"

gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=tiffg4 -r204x196 -sPAPERSIZE=a4 \
    -dFIXEDMEDIA -dLastPage=1 -sOutputFile="$tmp/p1.tif" "$src/tests/data/t30/doc.ps"
"$build/ifaxgw-vline" --a "$tmp/ttyA" --send "$tmp/p1.tif" --ecm --hit 100 --level -20 \
    --noise -60 --g711 alaw --tsi "+49 30 5678" --number-b 4930777 \
    >"$tmp/vline.log" 2>&1 &
pids+=($!)
wait_for "$tmp/vline.log" "ready" "${pids[0]}"
mkdir "$tmp/out"
"$tools/t30_linerun" -e -d "$tmp/ttyA" -o "$tmp/out" -r 1 >"$tmp/line.log" 2>&1 &
line=$!
pids+=($line)
wait "$line" || true
cat "$tmp/line.log"
grep -q 'call=1 result=ok pages=1 csid="+49 30 5678" caller="4930777" ecm=1' "$tmp/line.log"
"$py" - "$tmp/out/call1/meta.json" <<'PY'
import json, sys
meta = json.load(open(sys.argv[1]))
assert meta["result"] == "ok" and meta["npages"] == 1, meta
assert meta["ecm"] is True, meta
page = meta["pages"][0]
assert page["ecm"] is True and page["coding"] == "MMR", page
assert page["bad_rows"] == 0, page
print("ecm call: %d bit/s, page %s, %d bytes" % (meta["bit_rate"], page["coding"],
                                           page["image_size"]))
PY
# the transcript shows ECM repairing the burst: PPR, frames resent, MCF
grep -q 'noise burst of 100 ms done' "$tmp/vline.log"
"$py" - "$tmp/out/call1/t30.log" <<'PY'
import sys
kinds = [l.split()[2] for l in open(sys.argv[1]) if l.startswith("+")]
assert "PPR" in kinds, kinds
ppr = kinds.index("PPR")
assert kinds[ppr + 1] == "FCD" and "MCF" in kinds[ppr:], kinds
print("ecm repair: " + " ".join(kinds))
PY
tifftopnm "$tmp/out/call1/pages.tif" >"$tmp/got.pbm" 2>/dev/null
tifftopnm "$tmp/p1.tif" >"$tmp/want.pbm" 2>/dev/null
cmp "$tmp/got.pbm" "$tmp/want.pbm"
# ECM off in the line's config: not offered, the same sender falls back
mkdir "$tmp/out2"
"$tools/t30_linerun" -d "$tmp/ttyA" -o "$tmp/out2" -r 1 >"$tmp/line2.log" 2>&1 &
line=$!
pids+=($line)
wait "$line" || true
cat "$tmp/line2.log"
grep -q 'call=1 result=ok pages=1 csid="+49 30 5678" caller="4930777" ecm=0' "$tmp/line2.log"
tifftopnm "$tmp/out2/call1/pages.tif" >"$tmp/got2.pbm" 2>/dev/null
cmp "$tmp/got2.pbm" "$tmp/want.pbm"
echo "test_t30_vline_ecm: ok"
