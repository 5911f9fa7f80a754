#!/usr/bin/env bash
# test_system_diskfull_call - issue 19.1: a page is confirmed only once it
# is durably in the job. `ifaxgw run` with its spool on a 2 MB tmpfs (needs
# root for mount(8), as CI has); a live SpanDSP sender (tests/tools/
# fax_record -s, paced at 10x real time) sends 3 pages to an audio line.
# Once page 1 is in the job's meta.json the disk is filled. Checks:
#  1. the sender heard a confirmation (MCF/RTP) for exactly the pages the
#     job stores (it used to hear MCF for all 3 while 1 was written), and
#     not for all 3: page 2 was refused (DCN) and the sender keeps it;
#  2. the log says which page was not confirmed and why;
#  3. once space returns, the job is committed: partial, its reason names
#     the page not stored, meta.json's pages = the stored pages = confirmed.
set -euo pipefail
: "${IFAXGW:?}" "${IFAXGW_TOOLS:?}" "${IFAXGW_SRC:?}"
TMP=$(mktemp -d)
mnt=$TMP/mnt
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
. "$IFAXGW_SRC/tests/integration/system_common.sh"
cleanup() {
    set +e # a failing kill or wait must not change the verdict
    [ -n "${sp:-}" ] && kill "$sp" 2>/dev/null && wait "$sp" 2>/dev/null
    gw_kill # it has files open on the tmpfs
    mountpoint -q "$mnt" && umount "$mnt"
    sys_cleanup
}
trap cleanup EXIT

mkdir -p "$mnt"
mount -t tmpfs -o size=2m tmpfs "$mnt" || { echo "mount tmpfs (needs root)"; exit 1; }
spool=$mnt/spool
sock=$TMP/a0.sock
sys_device dev
sys_conf "$TMP/gw.conf" "$spool" "$(sys_audio_line a0 "$sock")" "$(sys_route fax "$dev_PORT")"
gw_start "$TMP/gw.conf"
gw_wait_log "ifaxgw running"

"$IFAXGW_TOOLS/fax_record" -s "$sock" -x 10 -C "caller=201 called=5550199" \
    "$IFAXGW_SRC/tests/data/t30/doc3.tif" "$TMP/s.wav" >"$TMP/s.out" 2>&1 &
sp=$!
# page 1 is durably in the job once meta.json's record holds it
until "$SYS_PY" - "$spool" <<'PY'
import glob, json, sys
for m in glob.glob(sys.argv[1] + "/incoming/*/meta.json"):
    try:
        if json.load(open(m))["record"]["npages"] >= 1:
            sys.exit(0)
    except Exception:  # noqa: BLE001 - not written yet
        pass
sys.exit(1)
PY
do
    gw_alive || { echo "gateway died"; exit 1; }
    kill -0 "$sp" 2>/dev/null || { echo "sender ended before page 1 was stored"; cat "$TMP/s.out"; exit 1; }
    sleep 0.05
done
job=$(ls -A "$spool/incoming")
dd if=/dev/zero of="$mnt/filler" bs=1k 2>/dev/null || true
wait "$sp" || true
sp=
cat "$TMP/s.out"
confirmed=$(sed -n 's/.*confirmed=\([0-9]*\).*/\1/p' "$TMP/s.out")
gw_wait_log "job=$job line=a0 .*pages=[0-9]* received, commit failed: .*pages kept in incoming/"
check "the sender was not told all 3 pages arrived" test "$confirmed" -lt 3
check "the log names the page not confirmed" \
    grep -q "job=$job line=a0 page $((confirmed + 1)) not confirmed to the sender: " "$TMP/gw.log"
grep "page .* not confirmed" "$TMP/gw.log" || true

# space returns; stopping the line commits the kept job
rm -f "$mnt/filler"
gw_stop
check "the daemon exits 0 on SIGTERM" test "$GW_RC" -eq 0
dir=
for d in "$spool/queue/$job" "$spool/done/$job"; do [ -d "$d" ] && dir=$d; done
check "the job was committed" test -n "$dir"
stored=$(tiffinfo "$dir/pages.tif" 2>/dev/null | grep -c 'TIFF Directory at offset' || true)
echo "confirmed=$confirmed stored=$stored"
check "confirmed pages = stored pages" test "$confirmed" -eq "$stored"
check "meta.json: partial, the reason, the pages" "$SYS_PY" - "$dir/meta.json" "$confirmed" <<'PY'
import json, sys
m, n = json.load(open(sys.argv[1])), int(sys.argv[2])
assert m["pages"] == n, (m["pages"], n)
assert m["partial"], m
assert "page %d not stored" % (n + 1) in m["partial_reason"], m["partial_reason"]
assert "not confirmed" in m["partial_reason"], m["partial_reason"]
r = m["record"]
assert r["npages"] == n and r["refused_page"] == n + 1 and not r["complete"], r
assert m["caller"] == "201" and m["line"] == "a0", m
PY
finish
