#!/usr/bin/env bash
# test_log_format - the daemon's log lines (gateway.log_format):
#  auto (default): a UTC timestamp per line on a file or terminal; the
#    journal format ("<6>ifaxgw: info: ...", journald adds its own time)
#    when stderr is the journal, i.e. JOURNAL_STREAM names stderr's
#    device:inode; a JOURNAL_STREAM naming another stream does not count;
#  journal / plain: forced either way; an unknown value is a config error
#    with file:line.
set -euo pipefail
: "${IFAXGW:?}" "${IFAXGW_SRC:?}"
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

conf() { # FILE [FORMAT]
    cat >"$1" <<CONF
gateway: { spool = "$TMP/spool"; ${2:+log_format = \"$2\";} };
smtp: { hostname = "gw.test"; from = "gw@gw.test"; };
web: { enable = false; };
CONF
}
# start the daemon with stderr appended to LOG, until it runs; then stop it
run_once() { # CONF LOG [JOURNAL_STREAM]
    local pid
    if [ -n "${3:-}" ]; then
        JOURNAL_STREAM=$3 "$IFAXGW" run -c "$1" 2>>"$2" &
    else
        env -u JOURNAL_STREAM "$IFAXGW" run -c "$1" 2>>"$2" &
    fi
    pid=$!
    until grep -q "ifaxgw running" "$2"; do
        kill -0 "$pid" 2>/dev/null || { cat "$2"; return 1; }
        sleep 0.1
    done
    kill -TERM "$pid"
    wait "$pid"
}
stamped() { # LOG: every line "YYYY-MM-DDTHH:MM:SS.mmmZ ifaxgw: level: "
    grep -q . "$1" && ! grep -Evq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z ifaxgw: (error|warning|info|debug): ' "$1"
}
journal() { # LOG: every line "<N>ifaxgw: level: "
    grep -q . "$1" && ! grep -Evq '^<[3467]>ifaxgw: (error|warning|info|debug): ' "$1"
}
devino() { stat -c '%d:%i' "$1"; }

conf "$TMP/auto.conf"
: >"$TMP/a.log"
t0=$(date -u +%s)
run_once "$TMP/auto.conf" "$TMP/a.log"
t1=$(date -u +%s)
check "auto, stderr a file: a timestamp on every line" stamped "$TMP/a.log"
ts=$(date -u -d "$(head -1 "$TMP/a.log" | cut -c1-19)Z" +%s)
check "the timestamp is the time of the run, in UTC ($ts in $t0..$t1)" \
    test "$ts" -ge "$((t0 - 1))" -a "$ts" -le "$((t1 + 1))"

: >"$TMP/j.log"
run_once "$TMP/auto.conf" "$TMP/j.log" "$(devino "$TMP/j.log")"
check "auto, stderr the journal: <N> priority prefix, no timestamp" journal "$TMP/j.log"

: >"$TMP/other" >"$TMP/o.log"
run_once "$TMP/auto.conf" "$TMP/o.log" "$(devino "$TMP/other")"
check "auto, JOURNAL_STREAM of another stream: timestamps" stamped "$TMP/o.log"

conf "$TMP/journal.conf" journal
: >"$TMP/fj.log"
run_once "$TMP/journal.conf" "$TMP/fj.log"
check "log_format = journal on a file: journal lines" journal "$TMP/fj.log"

conf "$TMP/plain.conf" plain
: >"$TMP/fp.log"
run_once "$TMP/plain.conf" "$TMP/fp.log" "$(devino "$TMP/fp.log")"
check "log_format = plain on the journal: timestamps" stamped "$TMP/fp.log"

conf "$TMP/bad.conf" loud
rc=0
"$IFAXGW" check-config -c "$TMP/bad.conf" >/dev/null 2>"$TMP/bad.err" || rc=$?
check "an unknown log_format is an error" test "$rc" -eq 1
check "... with file:line and the choices" \
    grep -q "bad.conf:1: gateway.log_format: 'loud' is not one of: auto, journal, plain" "$TMP/bad.err"
finish
