#!/usr/bin/env bash
# test_deliver_diskfull - issue 19.2: `ifaxgw run` with its spool on a
# small tmpfs (needs root for mount(8), as CI has). A job is deferred once
# (451 to the final dot, so its conversion is cached), then the disk fills
# and the mailbox answers 250: the outcome cannot be written to meta.json.
# The gateway must keep the outcome in memory and not send the job again
# while the disk stays full (the old code re-claimed it about every second:
# one copy per claim); once space returns the record is written and the job
# reaches done/ with exactly one copy at the mailbox.
set -uo pipefail
: "${IFAXGW:?}" "${IFAXGW_TOOLS:?}" "${IFAXGW_SRC:?}"
TMP=$(mktemp -d); [ -n "${KEEP:-}" ] && echo "TMP=$TMP"
mnt=$TMP/mnt
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
. "$IFAXGW_SRC/tests/integration/deliver_common.sh"
. "$IFAXGW_SRC/tests/integration/system_common.sh"
cleanup() {
    set +e
    gw_kill
    peers_stop
    mountpoint -q "$mnt" && umount "$mnt"
    [ -n "${KEEP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT

mkdir -p "$mnt"
mount -t tmpfs -o size=4m tmpfs "$mnt" || { echo "mount tmpfs (needs root)"; exit 1; }
spool=$mnt/spool
mkdir -p "$TMP/box.d"
peer_start box "$PY" "$IFAXGW_SRC/tests/peers/smarthost.py" --plain \
    --spool "$TMP/box.d" --data-reply 'fax@ifax.test=451 4.3.0 not yet:1'
copies() { ls "$TMP/box.d/"*.eml 2>/dev/null | wc -l; }

sys_conf "$TMP/gw.conf" "$spool" "$(sys_audio_line a0 "$TMP/a0.sock")" \
    "$(sys_route fax "$box_PORT")"
sed -i 's/retry = \[ 1 \]/retry = [ 3 ]/' "$TMP/gw.conf"
make_page "$TMP/page.tif" 204 196
enqueue "$spool" "$TMP/page.tif" --rcpt "fax@ifax.test,host=127.0.0.1:$box_PORT"
gw_start "$TMP/gw.conf"
gw_wait_log "job=$JOB rcpt=<fax@ifax.test> result=deferred"

# fill the disk before the retry (3 s later)
dd if=/dev/zero of="$mnt/filler" bs=64k 2>/dev/null || true
gw_wait_log "job=$JOB rcpt=<fax@ifax.test> result=delivered"
# the daemon now retries the record with back-off; a duplicate would arrive
# within a second of each claim on the old code
held_tries() { grep -c "job $JOB: its delivery records are still not written" "$TMP/gw.log"; }
until [ "$(copies)" -ge 2 ] || [ "$(held_tries)" -ge 3 ]; do
    gw_alive || { echo "gateway died"; tail "$TMP/gw.log"; break; }
    sleep 0.2
done
n_full=$(copies)
check "disk full after the 250: one copy at the mailbox ($n_full) over $(held_tries) record retries" \
    [ "$n_full" = 1 ]
check "the log says the record is kept and not sent again" \
    grep -q "not sent again meanwhile, next write in [0-9]* s" "$TMP/gw.log"
check "meta.json on disk still shows the old state (nothing half-written)" \
    [ "$(meta "$spool" "$JOB" "m['recipients'][0]['state']")" = deferred ]

rm -f "$mnt/filler"
until [ -d "$spool/done/$JOB" ]; do
    gw_alive || { echo "gateway died"; break; }
    sleep 0.2
done
check "space back: the job reached done/" [ -d "$spool/done/$JOB" ]
check "space back: delivered, 2 attempts, the 250 recorded" \
    [ "$(meta "$spool" "$JOB" "(m['recipients'][0]['state'], m['recipients'][0]['attempts'], m['recipients'][0]['reply'][:3])")" = "('delivered', 2, '250')" ]
check "space back: still exactly one copy" [ "$(copies)" = 1 ]
echo "copies per delivered job under disk-full: $(copies)"
gw_stop
finish
