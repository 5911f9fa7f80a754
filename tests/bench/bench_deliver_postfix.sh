#!/usr/bin/env bash
# bench_deliver_postfix.sh - the whole durable path, queue to remote 250,
# against Postfix's own queue (issue 16, "Performance against the real
# anchor"). Same machine, same count, one run, the same smtp-sink:
#   ifaxgw  M one-page jobs committed to the spool (tests/tools/
#           deliver_enqueue: queue_commit, fsync + atomic rename), then
#           `ifaxgw deliver --workers N` to smtp-sink (no CONNEG: profile
#           S). The stored page is already profile S (MH, 1728, FillOrder
#           2), so it goes as it is - the case of a device that accepts the
#           received coding;
#   Postfix M messages of the same size submitted with sendmail(1) to a
#           private Postfix (tests/peers/postfix.sh) relaying to the same
#           smtp-sink; done when its log shows M "status=sent".
# Prints jobs/s for both and the ratio (target >= 1.0), then the same
# ifaxgw path with a G4 stored page that must be converted to MH (the
# conversion case) as a second figure. Env: BENCH_JOBS (200),
# BENCH_WORKERS (4). Needs root (Postfix). Figures only: fails only when
# a delivery fails.
set -uo pipefail
: "${IFAXGW:?}" "${IFAXGW_SRC:?}" "${IFAXGW_TOOLS:?}"
M=${BENCH_JOBS:-200}
N=${BENCH_WORKERS:-4}
TMP=$(mktemp -d)
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
. "$IFAXGW_SRC/tests/integration/deliver_common.sh"
PF="bash $IFAXGW_SRC/tests/peers/postfix.sh"
SINK_PID=""
trap '$PF stop "$TMP/pf" 2>/dev/null; [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"' EXIT
rc=0
now() { date +%s.%N; }
rate() { "$PY" -c "import sys; print('%.1f' % (float(sys.argv[1]) / (float(sys.argv[3]) - float(sys.argv[2]))))" "$@"; }
freeport() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

SINK_PORT=$(freeport)
smtp-sink -u nobody 127.0.0.1:"$SINK_PORT" 512 >"$TMP/smtp-sink.log" 2>&1 &
SINK_PID=$!
until "$PY" -c "import socket,sys; socket.create_connection(('127.0.0.1',int(sys.argv[1])),1)" "$SINK_PORT" 2>/dev/null; do
    kill -0 "$SINK_PID" 2>/dev/null || { echo "smtp-sink did not start"; exit 1; }
    sleep 0.05
done

make_page "$TMP/g4.tif" 204 196
"$IFAXGW" convert "$TMP/g4.tif" "$TMP/s.tif" --to S >/dev/null || { echo "convert failed"; exit 1; }

gateway() { # LABEL PAGE -> GW_RATE, GW_SIZE
    local d=$TMP/gw-$1 t0 t1
    mkdir -p "$d"
    write_conf "$d/gw.conf" "$d/spool" \
        "pinned = ( { domain = \"sink.test\"; host = \"127.0.0.1:$SINK_PORT\"; } );
  destination_concurrency = $N;"
    sed -i 's/log_level = "info"/log_level = "warn"/' "$d/gw.conf"
    t0=$(now)
    "$IFAXGW_TOOLS/deliver_enqueue" "$d/spool" "$2" --rcpt fax@sink.test \
        --count "$M" >/dev/null || { echo "enqueue failed"; rc=1; return; }
    "$IFAXGW" deliver -c "$d/gw.conf" --workers "$N" >"$d/out" 2>"$d/err"
    t1=$(now)
    grep -q "delivered=$M deferred=0 failed=0" "$d/out" ||
        { echo "FAIL: $1: not all delivered: $(cat "$d/out")"; tail -3 "$d/err"; rc=1; }
    GW_RATE=$(rate "$M" "$t0" "$t1")
    GW_SIZE=$(grep -ho 'message body: [0-9]* bytes' "$d"/spool/done/*/smtp.log | head -1 | tr -dc 0-9)
    GW_CONV=$(ls "$d"/spool/done/*/out-*.tif 2>/dev/null | wc -l)
}

gateway asis "$TMP/s.tif"
ASIS_RATE=$GW_RATE ASIS_SIZE=$GW_SIZE ASIS_CONV=$GW_CONV

# Postfix: the same count and size through sendmail -> its queue -> smtp
PF_PORT=$(freeport)
$PF start "$TMP/pf" "$PF_PORT" "[127.0.0.1]:$SINK_PORT" || { echo "postfix did not start"; exit 1; }
"$PY" - "$TMP/msg.eml" "$ASIS_SIZE" <<'PYEOF'
import sys
path, size = sys.argv[1], int(sys.argv[2])
head = ("From: bench@gw.test\nTo: fax@sink.test\nSubject: bench\n"
        "Message-ID: <bench@gw.test>\nMIME-Version: 1.0\n\n")
line = "x" * 75 + "\n"
body = line * max(1, (size - len(head)) // len(line))
open(path, "w").write(head + body)
PYEOF
sent() { grep -c 'status=sent' "$TMP/pf/maillog" 2>/dev/null || echo 0; }
t2=$(now)
for _ in $(seq "$M"); do
    sendmail -C "$TMP/pf" -f bench@gw.test fax@sink.test <"$TMP/msg.eml" || { echo "sendmail failed"; rc=1; break; }
done
until [ "$(sent)" -ge "$M" ]; do
    grep -q 'status=\(deferred\|bounced\)' "$TMP/pf/maillog" 2>/dev/null &&
        { echo "FAIL: postfix could not deliver"; grep status= "$TMP/pf/maillog" | tail -2; rc=1; break; }
    sleep 0.05
done
t3=$(now)
PF_RATE=$(rate "$M" "$t2" "$t3")
printf "durable path, queue to remote 250: jobs=%d workers=%d size=%sB ifaxgw=%s jobs/s (stored page sent as is, %s conversions) postfix=%s jobs/s ratio=%s (target >= 1.0)\n" \
    "$M" "$N" "$ASIS_SIZE" "$ASIS_RATE" "$ASIS_CONV" "$PF_RATE" \
    "$("$PY" -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$ASIS_RATE" "$PF_RATE")"
$PF stop "$TMP/pf"

gateway conv "$TMP/g4.tif"
printf "conversion case: jobs=%d workers=%d ifaxgw=%s jobs/s (G4 stored, converted to profile S MH: %s conversions) ratio to postfix=%s\n" \
    "$M" "$N" "$GW_RATE" "$GW_CONV" \
    "$("$PY" -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$GW_RATE" "$PF_RATE")"
exit $rc
