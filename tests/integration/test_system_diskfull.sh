#!/usr/bin/env bash
# test_system_diskfull - `ifaxgw run` with its spool on a 2 MB tmpfs that
# fills up (needs root for mount(8), as CI has). An audio line receives a
# recorded 3-page call (tests/tools/audio_stream); the Internet fax device
# is tests/peers/ifax_device.py. Checks:
#  1. spool nearly full before a call: refused before answering (nothing
#     sent back, no job made, the log says why);
#  2. the disk fills during a reception (after page 1 is on disk): the
#     pages so far stay in incoming/, the log says the call's pages were
#     received and the commit failed (not "call failed"), nothing corrupt in
#     queue/; `queue list/show` say the daemon holds it (being received or
#     waiting for space) with its pages, the web JSON that its commit waits
#     for spool space and why (not "unreadable meta.json"); while full a
#     call is refused;
#  3. space returns with no further call: the kept job is committed on its
#     own (partial, the pages that were stored) and delivered; a later call
#     is received and delivered too;
#  4. a crash while a commit waits (kill -9, the disk still full): after
#     the restart the job is held (not "broken"), shown as waiting, and once
#     space returns, again with no call, committed and delivered;
#  5. libtiff's write errors are in the log with the job id, nothing
#     unlabelled reaches stderr;
#  6. every job in queue/ and done/ at each step: meta.json parses and
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

web_jobs() { # STATE: GET /api/jobs?state=STATE
    local port
    port=$(tail -n +"$GW_LOG_FROM" "$TMP/gw.log" | sed -n 's|.*web: http://127.0.0.1:\([0-9]*\)/.*|\1|p' | tail -1)
    curl -s "http://127.0.0.1:$port/api/jobs?state=$1"
}
shown_waiting() { # ID: the CLI says the daemon holds it, the web JSON why
  {
    "$IFAXGW" queue -c "$TMP/gw.conf" list --state incoming >"$TMP/ql.txt" &&
        grep -q "^$1 *incoming .* [12] .*(held by the daemon: being received, or its commit waits for spool space)" "$TMP/ql.txt" &&
        ! grep -q unreadable "$TMP/ql.txt" &&
        "$IFAXGW" queue -c "$TMP/gw.conf" show "$1" | grep -q "^note  *held by the daemon" &&
        web_jobs incoming >"$TMP/wj.json" &&
        "$SYS_PY" - "$TMP/wj.json" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
jobs = d["jobs"] if isinstance(d, dict) else d
j = [j for j in jobs if j["id"] == sys.argv[2]][0]
assert j["state"] == "incoming" and "broken" not in j, j
assert j["note"].startswith("commit waits for spool space:"), j
assert "No space left on device" in j["note"], j
assert j["pages"] >= 1 and j["time"] > 1700000000, j
# who called is in meta.json from the start of the call (issue 19.4)
assert j["csid"] == "+1 555 0100", j
PY
  } || { cat "$TMP/ql.txt" "$TMP/wj.json" 2>/dev/null; "$IFAXGW" queue -c "$TMP/gw.conf" show "$1"; false; }
}
fill_mid_call() { # CALLER: a call that fills the disk once page 1 is stored; sets kept
    "$stream" -c "caller=$1" -x 8 "$sock" "$TMP/c3.raw" >"$TMP/s-$1.out" &
    local sp=$!
    until [ -n "$(jobs_in incoming)" ] &&
        [ "$(tiffinfo "$spool/incoming/$(jobs_in incoming)/pages.tif" 2>/dev/null |
            grep -c 'TIFF Directory at offset')" -ge 1 ]; do
        gw_alive || { echo "gateway died"; exit 1; }
        sleep 0.05
    done
    kept=$(jobs_in incoming)
    fill
    wait $sp
}
delivered() { # ID...: in done/, each with the device's ok verdict for its pages
    "$SYS_PY" - "$spool" "$TMP/dev.d" "$@" <<'PY'
import glob, json, os, sys
spool, dev, ids = sys.argv[1], sys.argv[2], sys.argv[3:]
verdicts = {}
for p in glob.glob(os.path.join(dev, "msg-*.json")):
    v = json.load(open(p))
    verdicts.setdefault(v["info"]["message_id"], []).append(v)
for j in ids:
    m = json.load(open(os.path.join(spool, "done", j, "meta.json")))
    vs = verdicts[m["message_id"]]
    assert len(vs) == 1, (j, len(vs))
    assert vs[0]["ok"] and vs[0]["info"]["pages"] == m["pages"], (j, vs[0]["problems"], m["pages"])
    assert all(r["state"] == "delivered" for r in m["recipients"]), m["recipients"]
PY
}

# 2. the disk fills during the reception, once page 1 is in pages.tif
fill_mid_call 102
gw_wait_log "job=$kept line=a0 .*\(received, commit failed\|call failed\)"
check "filled mid-call: the log says the pages were received, kept for a commit" \
    grep -q "job=$kept line=a0 .*received, commit failed: .*; pages kept in incoming/" "$TMP/gw.log"
check "filled mid-call: logged as a failed commit, not a failed call" \
    bash -c "! grep -q 'job=$kept .*call failed' '$TMP/gw.log'"
check "filled mid-call: libtiff's write errors are logged with the job" \
    grep -q "job=$kept libtiff error: " "$TMP/gw.log"
check "filled mid-call: nothing unlabelled on stderr" \
    bash -c "! grep -v '^<[0-7]>ifaxgw: \|^[0-9T:.-]*Z ifaxgw: \|^=== start' '$TMP/gw.log'"
check "filled mid-call: the job stays in incoming/" test -d "$spool/incoming/$kept"
check "filled mid-call: nothing reached queue/" test -z "$(jobs_in queue)$(jobs_in done)"
check "filled mid-call: CLI and web JSON say the commit waits for space" shown_waiting "$kept"
check_spool "filled mid-call"

# ... and while it is full, the next call is refused before answering
"$stream" -c "caller=103" "$sock" "$TMP/c3.raw" >"$TMP/s3.out"
check "still full: the call got nothing back" grep -q 'rx_bytes=0 ' "$TMP/s3.out"

# 3. space returns: the kept job is committed with no further call
rm -f "$mnt/filler" "$mnt/filler2"
gw_wait_log "job=$kept recovery=commit-retried detail=\"[12] pages\?\""
wait_settled "$spool"
check "space back, no call: the kept job is committed and delivered" delivered "$kept"
check "space back: the kept job is partial with the stored pages" "$SYS_PY" - "$spool/done/$kept/meta.json" <<'PY'
import json, sys
k = json.load(open(sys.argv[1]))
assert k["partial"] and 1 <= k["pages"] < 3 and k["partial_reason"], k
PY
"$stream" -c "caller=104" "$sock" "$TMP/c3.raw" >"$TMP/s4.out"
wait_settled "$spool"
check "space back: a new call is received" \
    grep -q 'caller="104" pages=3 stored=3 partial=0 .* committed' "$TMP/gw.log"
check_spool "space back"
check "nothing failed" test -z "$(jobs_in failed)"
check "both delivered, once each: the device's verdicts" bash -c \
    "[ \$(ls '$TMP/dev.d'/msg-*.json | wc -l) -eq 2 ]"

# 4. a crash while a commit waits, the disk still full at the restart
fill_mid_call 105
gw_wait_log "job=$kept line=a0 .*received, commit failed: "
gw_kill
gw_start "$TMP/gw.conf"
gw_wait_log "ifaxgw running"
check "restart while full: the job is held, not broken" \
    grep -q "job=$kept recovery=commit-held" "$TMP/gw.log"
check "restart while full: CLI and web JSON say the commit waits" shown_waiting "$kept"
rm -f "$mnt/filler" "$mnt/filler2"
gw_wait_log "job=$kept recovery=commit-retried"
wait_settled "$spool"
check "space back after the crash, no call: committed and delivered" delivered "$kept"
check_spool "after the crash"
check "nothing failed at the end" test -z "$(jobs_in failed)"
gw_stop
check "the daemon exits 0 on SIGTERM" test "$GW_RC" -eq 0
finish
