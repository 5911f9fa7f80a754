#!/usr/bin/env bash
# ctest-labels: slow
# test_deliver_expiry.sh - a recipient that keeps answering 451 is deferred
# until smtp.expiry_s (60 s, the smallest the config allows) has passed
# since the job was queued; the next attempt then fails it for good, the
# job moves to failed/ and the notify address gets a failure notice.
# Takes about a minute by design.
set -uo pipefail
: "${IFAXGW:?}" "${IFAXGW_SRC:?}" "${IFAXGW_TOOLS:?}"
TMP=$(mktemp -d); [ -n "${KEEP:-}" ] && echo "TMP=$TMP"
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
. "$IFAXGW_SRC/tests/integration/deliver_common.sh"
trap 'peers_stop; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
SH="$IFAXGW_SRC/tests/peers/smarthost.py"

SPOOL=$TMP/spool
make_page "$TMP/page.tif" 204 98
mkdir -p "$TMP/box.d" "$TMP/ops.d"
peer_start box "$PY" "$SH" --plain --spool "$TMP/box.d" \
    --rcpt-reply 'busy@box.test=451 4.3.0 always busy'
peer_start ops "$PY" "$SH" --plain --spool "$TMP/ops.d"
write_conf "$TMP/gw.conf" "$SPOOL" "expiry_s = 60;
  pinned = ( { domain = \"box.test\"; host = \"127.0.0.1:$box_PORT\"; },
             { domain = \"notify.test\"; host = \"127.0.0.1:$ops_PORT\"; } );"
enqueue "$SPOOL" "$TMP/page.tif" --rcpt busy@box.test --notify ops@notify.test
st() { meta "$SPOOL" "$JOB" "m['recipients'][0]['$1']"; }

deliver "$TMP/gw.conf"
check "first attempt: deferred" [ "$(st state)" = deferred ]
check "no notice yet" [ -z "$(ls "$TMP"/ops.d/*.eml 2>/dev/null)" ]
# wait past the expiry, trying every few seconds as a daemon would
for _ in $(seq 14); do
    sleep 5
    deliver "$TMP/gw.conf"
    [ "$(st state)" = failed ] && break
done
check "after expiry: failed" [ "$(st state)" = failed ]
check "after expiry: job in failed/" [ -d "$SPOOL/failed/$JOB" ]
check "after expiry: the last reply kept" grep -q '451 4.3.0 always busy' <<<"$(st reply)"
check "after expiry: a failure notice was sent" [ "$(ls "$TMP"/ops.d/*.eml 2>/dev/null | wc -l)" = 1 ]
check "nothing was delivered" [ -z "$(ls "$TMP"/box.d/*.eml 2>/dev/null)" ]
finish
