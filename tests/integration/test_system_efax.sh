#!/usr/bin/env bash
# ctest-labels: slow
# test_system_efax - the whole chain end to end, as contrib/demo.sh runs it:
# efax (an independent Class 1 sender) -> the virtual fax line
# (ifaxgw-vline) -> `ifaxgw run` answering on its modem line -> queue ->
# CONNEG delivery -> tests/peers/ifax_device.py (Panasonic capability).
# Checks: the device's verdict is ok, CONNEG was asked and the page came in
# the coding the gateway negotiated (meta.json's profile); the job is in
# done/ with the profile and the device's 250 recorded; the device's page
# equals efax's page row for row below efax's 20-row header.
set -euo pipefail
: "${IFAXGW:?}" "${IFAXGW_TOOLS:?}" "${IFAXGW_SRC:?}" "${IFAXGW_BUILD:?}"
TMP=$(mktemp -d)
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
. "$IFAXGW_SRC/tests/integration/system_common.sh"
VLINE=
cleanup() {
    set +e # a failing kill or wait must not change the verdict
    [ -n "$VLINE" ] && kill "$VLINE" 2>/dev/null && wait "$VLINE" 2>/dev/null
    sys_cleanup
}
trap cleanup EXIT

# efax needs a single-page 1-D G3 TIFF (it misreads multi-page files)
gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=tiffg3 -r204x196 -sPAPERSIZE=a4 \
    -dFIXEDMEDIA -dLastPage=1 -sOutputFile="$TMP/p1.tif" "$IFAXGW_SRC/tests/data/t30/doc.ps"
"$IFAXGW_BUILD/ifaxgw-vline" --a "$TMP/ttyA" --b "$TMP/ttyB" >"$TMP/vline.log" 2>&1 &
VLINE=$!
until grep -q ready "$TMP/vline.log"; do
    kill -0 "$VLINE" || { cat "$TMP/vline.log"; exit 1; }
    sleep 0.1
done
sys_device dev --preset panasonic
spool=$TMP/spool
sys_conf "$TMP/gw.conf" "$spool" \
    "{ name = \"m0\"; device = \"$TMP/ttyB\"; station_id = \"+1 555 0199\"; rings = 1; cid_enable = \"AT+VCID=1\"; }" \
    "$(sys_route fax "$dev_PORT")"
gw_start "$TMP/gw.conf"
gw_wait_log "ifaxgw running"

rc=0
efax -d "$TMP/ttyA" -o1 -l "+1 555 0100" -t 5551234 "$TMP/p1.tif" >"$TMP/efax.log" 2>&1 || rc=$?
check "efax sent the page" test $rc -eq 0
if [ $rc -ne 0 ]; then # no job will come: say why and stop
    tail -20 "$TMP/efax.log"; tail -20 "$TMP/gw.log"; exit 1
fi
until [ -n "$(ls -A "$spool/done" "$spool/failed" 2>/dev/null | grep -v ':$' || true)" ]; do
    gw_alive || { tail -20 "$TMP/gw.log"; exit 1; }
    sleep 0.2
done
wait_settled "$spool"
check "the job is whole" spool_check "$spool"
check "end to end: device verdict, done/ record, pixels" \
    "$SYS_PY" - "$spool" "$TMP/dev.d" "$TMP/p1.tif" "$IFAXGW_SRC/tests/peers" <<'PY'
import glob, json, os, subprocess, sys, tempfile
spool, dev, src_tif, peers = sys.argv[1:5]
sys.path.insert(0, peers)
import ifax_device  # the device's own TIFF reader

jobs = os.listdir(os.path.join(spool, "done"))
assert len(jobs) == 1 and not os.listdir(os.path.join(spool, "failed")), jobs
m = json.load(open(os.path.join(spool, "done", jobs[0], "meta.json")))
assert m["csid"] == "+1 555 0100" and m["pages"] == 1 and not m["partial"], m
assert m["called"] == "5551234", m
(r,) = m["recipients"]
assert r["state"] == "delivered" and r["reply"].startswith("250 "), r
assert r.get("profile") and r.get("capability"), r
coding = r["profile"].split()[1]          # e.g. "J JBIG 204x196 1728"

(vpath,) = glob.glob(os.path.join(dev, "msg-*.json"))
v = json.load(open(vpath))
assert v["ok"], v["problems"]
assert v["conneg_asked"], v
assert v["info"]["message_id"] == m["message_id"], (v["info"], m["message_id"])
(page,) = v["info"]["page"]
# Content-Features: what was negotiated against the device's capability,
# which allows only TIFF-minimal (seed 002), in the coding that was sent
(part,) = v["info"]["parts"]
cf = part["content_features"]
assert "(image-file-structure=TIFF-minimal)" in cf, cf
assert "(image-coding=%s)" % coding in cf, (cf, coding)
assert page["coding"] == coding, (page, r["profile"])
assert (page["xres"], page["yres"]) == (204, 196) and page["width"] == 1728, page

def pbm(path):
    """P4 reader: header tokens may be separated by any whitespace and
    interleaved with # comments (jbgtopbm and tifftopnm differ)."""
    data = open(path, "rb").read()
    tok, i = [], 0
    while len(tok) < 3:
        while data[i:i + 1].isspace():
            i += 1
        if data[i:i + 1] == b"#":
            i = data.index(b"\n", i) + 1
            continue
        j = i
        while not data[j:j + 1].isspace():
            j += 1
        tok.append(data[i:j])
        i = j
    assert tok[0] == b"P4", tok
    return int(tok[1]), int(tok[2]), data[i + 1:]

with tempfile.TemporaryDirectory() as d:
    tif = vpath[:-5] + "-0.tif"
    got = os.path.join(d, "got.pbm")
    if coding == "JBIG":
        data = open(tif, "rb").read()
        t = ifax_device.tiff_ifds(data)[0]
        bie = b"".join(data[o:o + c] for o, c in zip(t[273], t[279]))
        open(os.path.join(d, "p.jbg"), "wb").write(bie)
        subprocess.run(["jbgtopbm", os.path.join(d, "p.jbg"), got], check=True)
    else:
        with open(got, "wb") as f:
            subprocess.run(["tifftopnm", tif], stdout=f, stderr=subprocess.DEVNULL, check=True)
    want = os.path.join(d, "want.pbm")
    with open(want, "wb") as f:
        subprocess.run(["tifftopnm", src_tif], stdout=f, stderr=subprocess.DEVNULL, check=True)
    gw_, gh, g = pbm(got)
    ww, wh, w = pbm(want)
assert gw_ == ww == 1728, (gw_, ww)
row = gw_ // 8
HEADER = 20  # efax's header line covers the top rows
n = min(wh, gh - HEADER)
assert n > 2200, n
bad = [y for y in range(3, n) if g[(y + HEADER) * row:(y + HEADER + 1) * row] != w[y * row:(y + 1) * row]]
assert not bad, "rows differ: %s" % bad[:10]
print("end to end: %s, %d rows identical below efax's header" % (r["profile"], n - 3))
PY
gw_stop
check "the daemon exits 0 on SIGTERM" test "$GW_RC" -eq 0
finish
