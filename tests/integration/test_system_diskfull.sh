#!/usr/bin/env bash
# test_system_diskfull - `ifaxgw run` with its spool on a 2 MB tmpfs that
# fills up (needs root for mount(8), as CI has). An audio line receives a
# recorded 3-page call (tests/tools/audio_stream); the Internet fax device
# is tests/peers/ifax_device.py. Checks:
#  1. spool nearly full before a call: refused before answering (nothing
#     sent back, no job made, the log says why);
#  2. the disk fills during a reception (after page 1 is on disk): the
#     pages so far stay in incoming/, nothing corrupt in queue/, and while
#     the disk is full the next call is refused before answering;
#  3. space returns: the next call first commits the kept job (partial,
#     the pages that were stored), then is received itself; both are
#     delivered (device verdict ok, page counts as meta.json says);
#  4. every job in queue/ and done/ at each step: meta.json parses and
#     tiffinfo reads pages.tif with meta's page count; failed/ stays empty.
set -euo pipefail
: "${IFAXGW:?}" "${IFAXGW_TOOLS:?}" "${IFAXGW_SRC:?}"
TMP=$(mktemp -d)
mnt=$TMP/mnt
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
. "$IFAXGW_SRC/tests/integration/system_common.sh"
cleanup() {
    set +e # a failing kill or wait must not change the verdict
    gw_kill # it has files open on the tmpfs
    mountpoint -q "$mnt" && umount "$mnt"
    sys_cleanup
}
trap cleanup EXIT

mkdir -p "$mnt"
mount -t tmpfs -o size=2m tmpfs "$mnt" || { echo "mount tmpfs (needs root)"; exit 1; }
spool=$mnt/spool
sock=$TMP/a0.sock
stream="$IFAXGW_TOOLS/audio_stream"
sys_record "$TMP/c3" 2
sys_device dev
sys_conf "$TMP/gw.conf" "$spool" "$(sys_audio_line a0 "$sock")" "$(sys_route fax "$dev_PORT")"
gw_start "$TMP/gw.conf"
gw_wait_log "ifaxgw running"

free_kb() { df -k --output=avail "$mnt" | tail -1 | tr -d ' '; }
fill() { # [KB]: leave the disk with about KB free (none if omitted)
    if [ $# -gt 0 ]; then
        dd if=/dev/zero of="$mnt/filler" bs=1k count=$(($(free_kb) - $1)) 2>/dev/null
    else
        dd if=/dev/zero of="$mnt/filler2" bs=1k 2>/dev/null || true
    fi
}
jobs_in() { ls -A "$spool/$1"; }
check_spool() { check "$1: every queued and done job whole" spool_check "$spool"; }

# 1. nearly full before the call
fill 200
"$stream" -c "caller=101" "$sock" "$TMP/c3.raw" >"$TMP/s1.out"
check "full before answering: the call got nothing back" grep -q 'rx_bytes=0 ' "$TMP/s1.out"
check "full before answering: the log says why" \
    grep -q 'line=a0 call not answered: spool .* KiB free, under 512 KiB' "$TMP/gw.log"
check "full before answering: no job made" test -z "$(jobs_in incoming)$(jobs_in queue)"
rm -f "$mnt/filler"

# 2. the disk fills during the reception, once page 1 is in pages.tif
"$stream" -c "caller=102" -x 8 "$sock" "$TMP/c3.raw" >"$TMP/s2.out" &
sp=$!
until [ -n "$(jobs_in incoming)" ] &&
    [ "$(tiffinfo "$spool/incoming/$(jobs_in incoming)/pages.tif" 2>/dev/null |
        grep -c 'TIFF Directory at offset')" -ge 1 ]; do
    gw_alive || { echo "gateway died"; exit 1; }
    sleep 0.05
done
kept=$(jobs_in incoming)
fill
wait $sp
gw_wait_log "job=$kept line=a0 .*call failed: .*; pages kept in incoming/"
check "filled mid-call: the job stays in incoming/" test -d "$spool/incoming/$kept"
check "filled mid-call: nothing reached queue/" test -z "$(jobs_in queue)$(jobs_in done)"
check_spool "filled mid-call"

# ... and while it is full, the next call is refused before answering
"$stream" -c "caller=103" "$sock" "$TMP/c3.raw" >"$TMP/s3.out"
check "still full: the call got nothing back" grep -q 'rx_bytes=0 ' "$TMP/s3.out"
check "still full: refused because the kept job waits" \
    grep -q "call not answered: job $kept still waits for the spool" "$TMP/gw.log"

# 3. space returns: the kept job first, then the new call
rm -f "$mnt/filler" "$mnt/filler2"
"$stream" -c "caller=104" "$sock" "$TMP/c3.raw" >"$TMP/s4.out"
wait_settled "$spool"
check "space back: the kept job is committed" \
    grep -q "job=$kept line=a0 pages=[12] partial=1 committed after the spool had room again" "$TMP/gw.log"
check "space back: the new call is received" \
    grep -q 'caller="104" pages=3 stored=3 partial=0 .* committed' "$TMP/gw.log"
check_spool "space back"
check "nothing failed" test -z "$(jobs_in failed)"
check "both delivered: the device's verdicts" "$SYS_PY" - "$spool" "$TMP/dev.d" "$kept" <<'PY'
import glob, json, os, sys
spool, dev, kept = sys.argv[1:4]
done = {j: json.load(open(os.path.join(spool, "done", j, "meta.json")))
        for j in os.listdir(os.path.join(spool, "done"))}
assert len(done) == 2 and kept in done, sorted(done)
k = done[kept]
assert k["partial"] and 1 <= k["pages"] < 3, k
assert "stored" in k["partial_reason"] or "hangup" in k["partial_reason"] or k["partial_reason"], k
verdicts = {}
for p in glob.glob(os.path.join(dev, "msg-*.json")):
    v = json.load(open(p))
    verdicts[v["info"]["message_id"]] = v
for j, m in done.items():
    v = verdicts[m["message_id"]]
    assert v["ok"] and v["info"]["pages"] == m["pages"], (j, v["problems"], m["pages"])
    assert all(r["state"] == "delivered" for r in m["recipients"]), m["recipients"]
assert len(verdicts) == 2, len(verdicts)
PY
gw_stop
check "the daemon exits 0 on SIGTERM" test "$GW_RC" -eq 0
finish
