#!/usr/bin/env bash
# test_deliver_isolation.sh - issue 19.5: one silent device (accepts TCP,
# never sends a greeting: tests/peers/faulty_smtp.py) must not hold the
# workers a healthy device (tests/peers/ifax_device.py) needs. Three jobs
# for the silent device are queued before one for the healthy device;
# `ifaxgw deliver --workers 2`. The healthy job must be delivered while the
# silent device's first session is still waiting for its greeting (the
# old code gave both workers to silent jobs, so the healthy one waited for
# the greeting timeout). Then: one connection only reached the silent
# device (a destination starts at one session; once it failed to open it
# is dead and the other jobs are deferred without a connection, with the
# first cause as their reason). No clock is read for the verdict; the
# healthy destination's delay is printed as a figure.
set -uo pipefail
: "${IFAXGW:?}" "${IFAXGW_SRC:?}" "${IFAXGW_TOOLS:?}"
TMP=$(mktemp -d); [ -n "${KEEP:-}" ] && echo "TMP=$TMP"
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
. "$IFAXGW_SRC/tests/integration/deliver_common.sh"
DPID=
trap '[ -n "$DPID" ] && kill "$DPID" 2>/dev/null; peers_stop; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
SPOOL=$TMP/spool
make_page "$TMP/page.tif" 204 196

peer_start silent "$PY" "$IFAXGW_SRC/tests/peers/faulty_smtp.py" \
    --stage greeting --fault stall --log "$TMP/silent.log"
device ok --preset mh-only
write_conf "$TMP/gw.conf" "$SPOOL" "pinned = (
    { domain = \"silent.test\"; host = \"127.0.0.1:$silent_PORT\"; },
    { domain = \"ok.test\"; host = \"127.0.0.1:$ok_PORT\"; } );
  destination_concurrency = 2; dead_destination_s = 600;"
SILENT=()
for i in 1 2 3; do
    enqueue "$SPOOL" "$TMP/page.tif" --rcpt "fax$i@silent.test"
    SILENT+=("$JOB")
done
enqueue "$SPOOL" "$TMP/page.tif" --rcpt fax@ok.test
HEALTHY=$JOB
state() { meta "$SPOOL" "$1" "m['recipients'][0]['state']"; }

start_ms=$("$PY" -c 'import time; print(int(time.time()*1000))')
"$IFAXGW" deliver -c "$TMP/gw.conf" --workers 2 >"$TMP/d.out" 2>"$TMP/d.err" &
DPID=$!
until [ "$(state "$HEALTHY")" = delivered ] || ! kill -0 "$DPID" 2>/dev/null; do
    sleep 0.1
done
first=$(state "${SILENT[0]}")
check "healthy job delivered while the silent device's first job is still pending (it is: $first)" \
    [ "$(state "$HEALTHY") $first" = "delivered pending" ]
check "healthy device: its own checks pass" [ "$(verdict "$TMP/ok.d/msg-1.json" "v['ok']")" = True ]
delay=$(( $(meta "$SPOOL" "$HEALTHY" "m['recipients'][0]['delivered_ms']") - start_ms ))
wait "$DPID"; DPID=
for j in "${SILENT[@]}"; do
    check "silent job deferred after one pass" [ "$(state "$j")" = deferred ]
done
check "one connection only reached the silent device" [ "$(grep -c CONNECT "$TMP/silent.log")" = 1 ]
# Which silent job was claimed first is the queue's choice (same due time):
# exactly one carries the first cause, the others the dead destination.
n_first=0 n_dead=0
for j in "${SILENT[@]}"; do
    reply=$(meta "$SPOOL" "$j" "m['recipients'][0]['reply']")
    if grep -q "^127.0.0.1\[127.0.0.1\]:$silent_PORT greeting: timeout" <<<"$reply"; then
        n_first=$((n_first + 1))
    elif grep -q "^destination not answering: 127.0.0.1\[127.0.0.1\]:$silent_PORT greeting: timeout (not tried again for [0-9]* s)" <<<"$reply"; then
        n_dead=$((n_dead + 1))
    fi
done
check "one silent job's reason: the greeting timed out (got $n_first)" [ "$n_first" = 1 ]
check "the others: destination not answering, with the first cause (got $n_dead)" [ "$n_dead" = 2 ]
echo "figure: healthy destination delay with a silent one present (2 workers): ${delay} ms"
finish
