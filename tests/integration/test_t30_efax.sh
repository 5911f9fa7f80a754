#!/usr/bin/env bash
# ctest-labels: slow
# efax (Debian's independent Class 1 sender) sends one page through the
# virtual fax line (contrib/vline) to the gateway's Class 1 driver
# (t30/line, run by tests/tools/t30_linerun): the call must end OK with
# the sender's CSID and caller ID in the record and the page's rows equal
# to the source below efax's 20-row header.
set -euo pipefail
. "${IFAXGW_SRC:?}/tests/integration/t30_common.sh"

# efax needs a single-page 1-D G3 TIFF (it misreads multi-page files)
gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=tiffg3 -r204x196 -sPAPERSIZE=a4 \
    -dFIXEDMEDIA -dLastPage=1 -sOutputFile="$tmp/p1.tif" "$src/tests/data/t30/doc.ps"

"$build/ifaxgw-vline" --a "$tmp/ttyA" --b "$tmp/ttyB" >"$tmp/vline.log" 2>&1 &
pids+=($!)
wait_for "$tmp/vline.log" "ready" "${pids[0]}"
mkdir "$tmp/out"
"$tools/t30_linerun" -d "$tmp/ttyB" -o "$tmp/out" -s "+1 555 0199" >"$tmp/line.log" 2>&1 &
line=$!
pids+=($line)
wait_for "$tmp/line.log" "status=idle" "$line"

rc=0
efax -d "$tmp/ttyA" -o1 -l "+1 555 0100" -t 5551234 "$tmp/p1.tif" >"$tmp/efax.log" 2>&1 || rc=$?
wait "$line" || true
cat "$tmp/line.log"
if [ $rc -ne 0 ]; then echo "efax failed ($rc)"; tail -20 "$tmp/efax.log"; exit 1; fi
grep -q 'call=1 result=ok pages=1 csid="+1 555 0100" caller="5550100"' "$tmp/line.log"
# the trained rate reported with the page; a one-page fax never shows a
# page 2, not even after its page is confirmed
grep -q 'status=receiving page=1 bit_rate=14400' "$tmp/line.log"
if grep -q 'status=receiving page=2' "$tmp/line.log"; then
    echo "a one-page fax showed page 2"; exit 1
fi
grep -q '<- DCS' "$tmp/out/call1/t30.log"
grep -q '<- DCN' "$tmp/out/call1/t30.log"

tifftopnm "$tmp/out/call1/pages.tif" >"$tmp/got.pbm" 2>/dev/null
tifftopnm "$tmp/p1.tif" >"$tmp/want.pbm" 2>/dev/null
"$py" - "$tmp/got.pbm" "$tmp/want.pbm" "$tmp/out/call1/meta.json" <<'PY'
import json, sys

def load(path):
    data = open(path, "rb").read()
    magic, dims, rest = data.split(b"\n", 2)
    w, h = map(int, dims.split())
    assert magic == b"P4"
    return w, h, rest

gw, gh, got = load(sys.argv[1])
ww, wh, want = load(sys.argv[2])
assert gw == ww == 1728, (gw, ww)
row = gw // 8
# efax puts a 20-row header on top (it covers 3 blank source rows)
HEADER = 20
n = min(wh, gh - HEADER)
assert n > 2200, n
bad = [r for r in range(3, n)
       if got[(r + HEADER) * row:(r + HEADER + 1) * row] != want[r * row:(r + 1) * row]]
assert not bad, "rows differ: %s" % bad[:10]
meta = json.load(open(sys.argv[3]))
assert meta["remote_csid"] == "+1 555 0100", meta
assert meta["caller_id"] == "5550100" and meta["called_number"] == "5551234", meta
assert meta["result"] == "ok" and meta["npages"] == 1 and meta["ecm"] is False, meta
assert meta["pages"][0]["coding"] == "MH" and meta["pages"][0]["bad_rows"] == 0, meta
print("efax page: %d rows identical below the header" % (n - 3))
PY
echo "test_t30_efax: ok"
