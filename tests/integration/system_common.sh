# system_common.sh - helpers for the whole-system tests (test_system_*),
# sourced after tests/peers/peerlib.sh. Real processes only: `ifaxgw run`,
# tests/peers/ifax_device.py, tests/tools/audio_stream (a recorded call
# into an audio line's socket), ifaxgw-vline and efax. Needs TMP.
# Sets the EXIT trap sys_cleanup (the gateway killed, peers stopped, TMP
# removed); a test with more to undo traps its own function, which ends by
# calling sys_cleanup.
#   sys_device NAME [ARGS]     an Internet fax device; NAME_PORT, saves to
#                              $TMP/NAME.d (msg-N.eml, msg-N.json)
#   sys_conf FILE SPOOL LINES ROUTES [EXTRA]
#                              a config; LINES/ROUTES are libconfig lists
#   sys_route NAME PORT        a route to fax@ifax.test pinned to PORT
#   sys_audio_line NAME SOCK   an audio line entry
#   sys_record OUT LAST [ARGS] fax_record of tests/data/t30/doc3.tif, pages
#                              0..LAST; OUT.raw (s16le) and OUT.wav
#   gw_start CONF              ifaxgw run; GW_PID; log appended to $TMP/gw.log
#   gw_wait_log PATTERN [LINE] wait for PATTERN in the log from LINE (default:
#                              this run's start); the gateway must stay alive
#   gw_stop                    SIGTERM, wait; GW_RC = exit status
#   spool_settled SPOOL        incoming/ and queue/ empty
#   wait_settled SPOOL         until spool_settled (gateway alive)
#   spool_check SPOOL          every job in queue/ and done/: meta.json
#                              parses, pages.tif readable by tiffinfo with
#                              meta's page count (prints problems)
SYS_PY=${PYTHON:-/usr/bin/python3}
SYS_DEV="$IFAXGW_SRC/tests/peers/ifax_device.py"
GW_PID=
GW_RC=
GW_STARTS=0
GW_LOG_FROM=1

sys_device() { # NAME ARGS...
    local name=$1
    shift
    mkdir -p "$TMP/$name.d"
    peer_start "$name" "$SYS_PY" "$SYS_DEV" --save-dir "$TMP/$name.d" "$@"
}

sys_route() { # NAME PORT
    printf '{ name = "%s"; recipients = ( { address = "fax@ifax.test"; host = "127.0.0.1:%s"; } ); }' "$1" "$2"
}

sys_audio_line() { # NAME SOCK
    printf '{ name = "%s"; audio = "%s"; station_id = "+1 555 0199"; }' "$1" "$2"
}

sys_conf() { # FILE SPOOL LINES ROUTES [EXTRA_TOP]
    cat >"$1" <<CONF
gateway: { name = "ifaxgw-system"; spool = "$2"; log_level = "info";
           retention_s = 864000; workers = 2; };
lines = ( $3 );
smtp: {
  hostname = "gw.test";
  from = "ifaxgw@gw.test";
  direct_tls = "none";
  retry = [ 1 ];
};
routes = ( $4 );
web: { listen = "127.0.0.1"; port = 0; token = "system-test-token-0123456789"; };
${5:-}
CONF
}

sys_record() { # OUT LAST [fax_record args]
    local out=$1 last=$2
    shift 2
    "$IFAXGW_TOOLS/fax_record" -l "$last" -r "$out.raw" "$@" \
        "$IFAXGW_SRC/tests/data/t30/doc3.tif" "$out.wav" >"$out.txt"
    grep -q 'sender_code=0' "$out.txt" || [ $# -gt 0 ]
}

gw_start() { # CONF
    touch "$TMP/gw.log"
    GW_LOG_FROM=$(($(wc -l <"$TMP/gw.log") + 1))
    GW_STARTS=$((GW_STARTS + 1))
    echo "=== start $GW_STARTS" >>"$TMP/gw.log"
    "$IFAXGW" run -c "$1" 2>>"$TMP/gw.log" &
    GW_PID=$!
}

gw_alive() {
    [ -n "$GW_PID" ] && kill -0 "$GW_PID" 2>/dev/null
}

gw_wait_log() { # PATTERN [FROM_LINE, default: this run's first]
    until tail -n +"${2:-$GW_LOG_FROM}" "$TMP/gw.log" | grep -q -- "$1"; do
        gw_alive || { echo "gateway died waiting for: $1" >&2; tail -20 "$TMP/gw.log" >&2; return 1; }
        sleep 0.1
    done
}

gw_stop() {
    GW_RC=0
    [ -n "$GW_PID" ] || return 0
    kill -TERM "$GW_PID" 2>/dev/null || true
    wait "$GW_PID" || GW_RC=$?
    GW_PID=
}

gw_kill() {
    [ -n "$GW_PID" ] || return 0
    kill -KILL "$GW_PID" 2>/dev/null || true
    wait "$GW_PID" 2>/dev/null || true
    GW_PID=
}

spool_settled() { # SPOOL
    [ -z "$(ls -A "$1/incoming" 2>/dev/null)" ] && [ -z "$(ls -A "$1/queue" 2>/dev/null)" ]
}

wait_settled() { # SPOOL
    until spool_settled "$1"; do
        gw_alive || { echo "gateway died before the spool settled" >&2; tail -20 "$TMP/gw.log" >&2; return 1; }
        sleep 0.2
    done
}

spool_check() { # SPOOL
    "$SYS_PY" - "$1" <<'PY'
import json, os, subprocess, sys
spool, bad = sys.argv[1], []
for st in ("queue", "done"):
    d = os.path.join(spool, st)
    for j in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        try:
            m = json.load(open(os.path.join(d, j, "meta.json")))
        except Exception as e:  # noqa: BLE001
            bad.append("%s/%s: meta.json: %s" % (st, j, e)); continue
        r = subprocess.run(["tiffinfo", os.path.join(d, j, "pages.tif")],
                           capture_output=True, text=True)
        n = r.stdout.count("TIFF Directory at offset")
        if r.returncode != 0 or n != m.get("pages"):
            bad.append("%s/%s: tiffinfo rc=%d pages=%d meta=%s" %
                       (st, j, r.returncode, n, m.get("pages")))
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
PY
}

sys_cleanup() {
    set +e # a failing kill or wait must not change the verdict
    gw_kill
    peers_stop
    rm -rf "$TMP"
}
trap sys_cleanup EXIT
