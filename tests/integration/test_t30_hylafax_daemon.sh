#!/usr/bin/env bash
# ctest-labels: slow
# HylaFAX to the whole gateway: HylaFAX (tests/peers/hylafax.sh) sends a
# 2-page fine document with ECM (T.6) through the virtual line to `ifaxgw
# run` answering on its modem line; the job goes through the queue and
# CONNEG to tests/peers/ifax_device.py. Checks the gateway's job as the
# operator sees it: in done/, not partial, 2 pages, HylaFAX's TSI as CSID,
# the called number, delivered with a 250 and the device's verdict ok; the
# job's pages.tif pixel-identical to what HylaFAX was given; HylaFAX's job
# done with both pages and the gateway's CSI. ~1.5 min.
set -euo pipefail
: "${IFAXGW:?}" "${IFAXGW_TOOLS:?}" "${IFAXGW_SRC:?}" "${IFAXGW_BUILD:?}"
TMP=$(mktemp -d)
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
. "$IFAXGW_SRC/tests/integration/system_common.sh"
. "$IFAXGW_SRC/tests/peers/hylafax.sh"
VLINE=
cleanup() {
    set +e # a failing kill or wait must not change the verdict
    [ "$FAIL" -gt 0 ] && hylafax_logs 2>/dev/null | grep -v 'send frame number\|<-- data \[' | tail -n 80
    hylafax_stop
    [ -n "$VLINE" ] && kill "$VLINE" 2>/dev/null && wait "$VLINE" 2>/dev/null
    sys_cleanup
}
trap cleanup EXIT

gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=tiffg4 -r204x196 -sPAPERSIZE=a4 \
    -dFIXEDMEDIA -dLastPage=2 -sOutputFile="$TMP/doc.tif" "$IFAXGW_SRC/tests/data/t30/doc.ps"
# pty basenames of their own: HylaFAX locks /var/lock/LCK..<basename>
"$IFAXGW_BUILD/ifaxgw-vline" --a "$TMP/hfxA$$" --b "$TMP/hfxB$$" >"$TMP/vline.log" 2>&1 &
VLINE=$!
until grep -q ready "$TMP/vline.log"; do
    kill -0 "$VLINE" || { cat "$TMP/vline.log"; exit 1; }
    sleep 0.1
done
sys_device dev --preset panasonic
spool=$TMP/spool
sys_conf "$TMP/gw.conf" "$spool" \
    "{ name = \"m0\"; device = \"$TMP/hfxB$$\"; station_id = \"+1 555 0199\"; rings = 1; cid_enable = \"AT+VCID=1\"; }" \
    "$(sys_route fax "$dev_PORT")"
gw_start "$TMP/gw.conf"
gw_wait_log "ifaxgw running"

mkdir "$TMP/hylafax"
hylafax_start "$TMP/hylafax" "$TMP/hfxA$$"
job=$(hylafax_send 5551234 -S "+49 30 4711" -m -3 -- "$TMP/doc.tif")
check "HylaFAX sent the job" hylafax_wait "$job" || exit 1
until [ -n "$(ls -A "$spool/done" "$spool/failed" 2>/dev/null | grep -v ':$' || true)" ]; do
    gw_alive || { tail -20 "$TMP/gw.log"; exit 1; }
    sleep 0.2
done
wait_settled "$spool"
check "the job is whole" spool_check "$spool"
check "the gateway's job: done, not partial, pages, CSID, delivered, pixels" \
    "$SYS_PY" - "$spool" "$TMP/dev.d" "$TMP/doc.tif" "$IFAXGW_SRC/tests/integration" <<'PY'
import glob, json, os, subprocess, sys, tempfile
spool, dev, src_tif, here = sys.argv[1:5]
sys.path.insert(0, here)
import page_check

jobs = os.listdir(os.path.join(spool, "done"))
assert len(jobs) == 1 and not os.listdir(os.path.join(spool, "failed")), jobs
jd = os.path.join(spool, "done", jobs[0])
m = json.load(open(os.path.join(jd, "meta.json")))
assert m["csid"] == "+49 30 4711" and m["pages"] == 2 and m["partial"] is False, m
assert m["called"] == "5551234", m
(r,) = m["recipients"]
assert r["state"] == "delivered" and r["reply"].startswith("250 "), r
(vpath,) = glob.glob(os.path.join(dev, "msg-*.json"))
v = json.load(open(vpath))
assert v["ok"], v["problems"]
assert v["info"]["message_id"] == m["message_id"], (v["info"], m["message_id"])
assert len(v["info"]["page"]) == 2, v["info"]["page"]
with tempfile.TemporaryDirectory() as d:
    for name, path in (("got", os.path.join(jd, "pages.tif")), ("want", src_tif)):
        subprocess.run(["tiffcp", "-c", "none", path, os.path.join(d, name + ".tif")],
                       check=True, stderr=subprocess.DEVNULL)
    page_check.same(page_check.pages_uncompressed(os.path.join(d, "got.tif")),
                    page_check.pages_uncompressed(os.path.join(d, "want.tif")),
                    "job's pages vs HylaFAX's document")
print("gateway job %s: 2 pages, not partial, CSID %s, delivered (%s), pixel-identical"
      % (jobs[0], m["csid"], r.get("profile")))
PY
check "HylaFAX: 2 pages sent, our CSI seen" \
    test "$(hylafax_job "$job" npages)/$(hylafax_job "$job" csi)" = "2/+1 555 0199"
gw_stop
check "the daemon exits 0 on SIGTERM" test "$GW_RC" -eq 0
finish
