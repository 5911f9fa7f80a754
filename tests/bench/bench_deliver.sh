#!/usr/bin/env bash
# bench_deliver.sh - delivery throughput and latency on loopback.
#
# 1. Throughput: M one-page jobs delivered by `ifaxgw deliver --workers N`
#    to Postfix's smtp-sink (no CONNEG: profile S), next to Postfix's
#    smtp-source sending M messages of the same size with the same
#    concurrency to the same sink in the same run; prints the ratio
#    (target >= 0.8).
# 2. The same with CONNEG answered, against the small C sink in
#    bench_deliver.c (aiosmtpd is too slow to measure against).
# 3. Latency from queue commit to the remote's 250 (deliver_run_once()
#    returned, queue record included) for one-page jobs, conversion
#    included: p50, p99 (target p50 < 20 ms).
# Figures only: never fails on time; fails when a delivery fails.
set -uo pipefail
: "${IFAXGW:?}" "${IFAXGW_SRC:?}" "${IFAXGW_TOOLS:?}"
M=${BENCH_JOBS:-200}
LAT=${BENCH_LATENCY_JOBS:-200}
WORKERS=${BENCH_WORKERS:-"1 4"}
TMP=$(mktemp -d)
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
. "$IFAXGW_SRC/tests/integration/deliver_common.sh"
BD="$IFAXGW_TOOLS/bench_deliver"
SINK_PID=""
trap 'peers_stop; [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"' EXIT
rc=0

now() { date +%s.%N; }
rate() { "$PY" -c "import sys; print('%.1f' % (float(sys.argv[1]) / (float(sys.argv[3]) - float(sys.argv[2]))))" "$@"; }

start_smtp_sink() { # -> SINK_PORT, SINK_PID
    SINK_PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    smtp-sink -u nobody 127.0.0.1:"$SINK_PORT" 512 >"$TMP/smtp-sink.log" 2>&1 &
    SINK_PID=$!
    for _ in $(seq 100); do
        "$PY" -c "import socket,sys; socket.create_connection(('127.0.0.1',int(sys.argv[1])),1)" "$SINK_PORT" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "smtp-sink did not start"; return 1
}

make_page "$TMP/page.tif" 204 196

# message size of one delivered job (profile S and the CONNEG choice)
msg_size() { # MODE(plain|conneg) -> bytes of one message
    local d=$TMP/size-$1
    mkdir -p "$d"
    rm -f "$TMP/size.port"
    "$BD" sink "$TMP/size.port" "$d/stats" ${1/plain/} &
    local pid=$!
    for _ in $(seq 100); do [ -s "$TMP/size.port" ] && break; sleep 0.05; done
    write_conf "$d/gw.conf" "$d/spool" \
        "pinned = ( { domain = \"sink.test\"; host = \"127.0.0.1:$(cat "$TMP/size.port")\"; } );"
    "$IFAXGW_TOOLS/deliver_enqueue" "$d/spool" "$TMP/page.tif" --rcpt fax@sink.test >/dev/null
    "$IFAXGW" deliver -c "$d/gw.conf" >/dev/null 2>&1
    kill "$pid"; wait "$pid" 2>/dev/null
    awk '{ if ($1 > 0) print int($2 / $1) }' "$d/stats"
}

throughput() { # LABEL SINKPORT WORKERS SIZE CONNEG
    local label=$1 port=$2 n=$3 size=$4 d=$TMP/tp-$1-$3 t0 t1 t2 t3 gw src
    mkdir -p "$d"
    write_conf "$d/gw.conf" "$d/spool" \
        "pinned = ( { domain = \"sink.test\"; host = \"127.0.0.1:$port\"; } );
  destination_concurrency = $n;"
    sed -i 's/log_level = "info"/log_level = "warn"/' "$d/gw.conf"
    "$IFAXGW_TOOLS/deliver_enqueue" "$d/spool" "$TMP/page.tif" --rcpt fax@sink.test \
        --count "$M" >/dev/null || { echo "enqueue failed"; rc=1; return; }
    t0=$(now)
    "$IFAXGW" deliver -c "$d/gw.conf" --workers "$n" >"$d/out" 2>"$d/err"
    t1=$(now)
    if ! grep -q "delivered=$M deferred=0 failed=0" "$d/out"; then
        echo "FAIL: $label: not all delivered: $(cat "$d/out")"; tail -3 "$d/err"; rc=1
    fi
    t2=$(now)
    smtp-source -s "$n" -m "$M" -l "$size" -f bench@gw.test -t fax@sink.test \
        127.0.0.1:"$port" >"$d/source.out" 2>&1 || { echo "smtp-source failed"; rc=1; }
    t3=$(now)
    gw=$(rate "$M" "$t0" "$t1")
    src=$(rate "$M" "$t2" "$t3")
    printf "throughput %-7s workers=%d jobs=%d size=%dB gateway=%s msg/s smtp-source=%s msg/s ratio=%s (target >= 0.8)\n" \
        "$label" "$n" "$M" "$size" "$gw" "$src" \
        "$("$PY" -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$gw" "$src")"
}

SIZE_S=$(msg_size plain)
SIZE_C=$(msg_size conneg)
echo "message size: profile S ${SIZE_S} B, CONNEG choice ${SIZE_C} B"

start_smtp_sink || exit 1
for n in $WORKERS; do throughput smtp-sink "$SINK_PORT" "$n" "$SIZE_S"; done
kill "$SINK_PID"; wait "$SINK_PID" 2>/dev/null; SINK_PID=""

rm -f "$TMP/c.port"
"$BD" sink "$TMP/c.port" "$TMP/c.stats" conneg &
SINK_PID=$!
for _ in $(seq 100); do [ -s "$TMP/c.port" ] && break; sleep 0.05; done
for n in $WORKERS; do throughput conneg "$(cat "$TMP/c.port")" "$n" "$SIZE_C"; done

# latency: commit -> 250 + record, one job at a time, CONNEG answered
d=$TMP/lat
mkdir -p "$d"
write_conf "$d/gw.conf" "$d/spool" \
    "pinned = ( { domain = \"sink.test\"; host = \"127.0.0.1:$(cat "$TMP/c.port")\"; } );"
sed -i 's/log_level = "info"/log_level = "warn"/' "$d/gw.conf"
out=$("$BD" latency "$d/gw.conf" "$d/spool" "$TMP/page.tif" fax@sink.test "$LAT" 2>"$d/err") || {
    echo "FAIL: latency run: $out"; tail -3 "$d/err"; rc=1; }
echo "$out (CONNEG sink, conversion included; target p50 < 20 ms)"
exit $rc
