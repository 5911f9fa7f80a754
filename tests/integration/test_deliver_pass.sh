#!/usr/bin/env bash
# test_deliver_pass.sh - `ifaxgw deliver` is one pass (issue 16.4) and a
# session that breaks during RCPT records its first cause with the host
# (issue 16.2), against tests/peers/faulty_smtp.py on loopback:
#  1. two jobs whose RCPT stalls past its 2 s timeout, a 1 s retry
#     schedule: the first job is due again while the second is tried;
#     deliver must exit after one attempt each (the old code tried again and again; the
#     peer's command log is the witness, no clock is read);
#  2. the reason in meta.json and the log is "<host>[addr]:port rcpt: ..."
#     for a stall, a dropped connection and an endless line, not
#     "connection to  lost";
#  3. issue 16.6: garbage replies (one starting with a NUL byte) give exact
#     texts, escaped once, the same in meta.json and the log.
set -uo pipefail
: "${IFAXGW:?}" "${IFAXGW_SRC:?}" "${IFAXGW_TOOLS:?}"
TMP=$(mktemp -d); [ -n "${KEEP:-}" ] && echo "TMP=$TMP"
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
. "$IFAXGW_SRC/tests/integration/deliver_common.sh"
DPID=
trap '[ -n "$DPID" ] && kill "$DPID" 2>/dev/null; peers_stop; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
FAULTY="$IFAXGW_SRC/tests/peers/faulty_smtp.py"
SPOOL=$TMP/spool
make_page "$TMP/page.tif" 204 98

conf_for() { # NAME PORT
    write_conf "$TMP/$1.conf" "$SPOOL" \
        "pinned = ( { domain = \"$1.test\"; host = \"127.0.0.1:$2\"; } );"
    sed -i -E 's/(rcpt) = [0-9]+;/\1 = 2;/' "$TMP/$1.conf"
}
rcpts() { grep -c '^RCPT' "$TMP/$1.log" 2>/dev/null || echo 0; }

# 1. one pass
peer_start stall "$PY" "$FAULTY" --stage rcpt --fault stall --log "$TMP/stall.log"
conf_for stall "$stall_PORT"
enqueue "$SPOOL" "$TMP/page.tif" --rcpt fax@stall.test
JSTALL=$JOB
enqueue "$SPOOL" "$TMP/page.tif" --rcpt fax2@stall.test
JSTALL2=$JOB
"$IFAXGW" deliver -c "$TMP/stall.conf" >"$TMP/pass.out" 2>"$TMP/pass.err" &
DPID=$!
while kill -0 "$DPID" 2>/dev/null && [ "$(rcpts stall)" -lt 3 ]; do sleep 0.1; done
if kill -0 "$DPID" 2>/dev/null; then
    check "deliver exits after one pass (it started a second attempt)" false
    kill "$DPID"
fi
wait "$DPID"; rc=$?; DPID=
check "deliver: exit 0" [ "$rc" = 0 ]
check "one pass: exactly one RCPT per job reached the peer" [ "$(rcpts stall)" = 2 ]
check "one pass: the counts say two deferrals" \
    grep -q '^deliver: jobs=2 delivered=0 deferred=2 failed=0' "$TMP/pass.out"
for j in "$JSTALL" "$JSTALL2"; do
    check "one pass: the recipient is left deferred, 1 attempt" \
        [ "$(meta "$SPOOL" "$j" "'%s %d' % (m['recipients'][0]['state'], m['recipients'][0]['attempts'])")" = "deferred 1" ]
done

# 2. the first cause, with the host
reason() { meta "$SPOOL" "$1" "m['recipients'][0]['reply']"; }
check "stall: reason names host and step" \
    [ "$(reason "$JSTALL")" = "127.0.0.1[127.0.0.1]:$stall_PORT rcpt: timeout" ]
check "stall: the log line has the same reason" \
    grep -q "job=$JSTALL rcpt=<fax@stall.test> result=deferred .* reply=\"127.0.0.1\[127.0.0.1\]:$stall_PORT rcpt: timeout\"" "$TMP/pass.err"
for f in drop endless; do
    peer_start "$f" "$PY" "$FAULTY" --stage rcpt --fault "$f"
    port_var=${f}_PORT
    conf_for "$f" "${!port_var}"
    enqueue "$SPOOL" "$TMP/page.tif" --rcpt "fax@$f.test"
    deliver "$TMP/$f.conf"
    case $f in
    drop) want="connection closed by peer" ;;
    endless) want="line over 65600 bytes" ;;
    esac
    check "$f: reason is the first cause with the host" \
        [ "$(reason "$JOB")" = "127.0.0.1[127.0.0.1]:${!port_var} rcpt: $want" ]
done
# issue 16.6: hostile reply bytes escaped once (no \x5c), a NUL-first
# line shown by its bytes, the log and meta.json agree
for f in garbage nulgarbage; do
    peer_start "$f" "$PY" "$FAULTY" --stage rcpt --fault "$f"
    port_var=${f}_PORT
    conf_for "$f" "${!port_var}"
    enqueue "$SPOOL" "$TMP/page.tif" --rcpt "fax@$f.test"
    deliver "$TMP/$f.conf"
    case $f in
    garbage) want='bad reply line (no code): this is not smtp \x00\xff' ;;
    nulgarbage) want='bad reply line (no code): \x00\x01binary\xff\x22q\x22' ;;
    esac
    want="127.0.0.1[127.0.0.1]:${!port_var} rcpt: $want"
    check "$f: exact reason in meta.json ($(reason "$JOB"))" [ "$(reason "$JOB")" = "$want" ]
    check "$f: the log line carries the same text, escaped once" \
        grep -qF "job=$JOB rcpt=<fax@$f.test> result=deferred state=deferred attempts=1 profile=\"\" reply=\"$want\"" "$TMP/deliver.all"
done
check "no text escaped twice (\\x5cx)" bash -c "! grep -rq 'x5cx' '$SPOOL' '$TMP/deliver.all'"
check "no reason says 'connection to  lost'" \
    bash -c "! grep -rq 'connection to  lost' '$SPOOL' '$TMP/deliver.all' '$TMP/pass.err'"
finish
