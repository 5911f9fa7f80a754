#!/usr/bin/env bash
# test_relay_timeouts.sh - issue 16.3: relay mode (libcurl) follows the
# per-command timeout table of direct delivery. tests/peers/faulty_smtp.py
# as the smarthost stalls at one command per run; every step has its own,
# distinct timeout (greeting 1, ehlo 2, mail 3, rcpt 4, data 5, dot 6 s,
# the others 30), so the recorded reason shows which one applied (the old
# code waited the longest for every reply and named none). A stall after
# the final dot is deferred and logged as a possible duplicate.
set -uo pipefail
: "${IFAXGW:?}" "${IFAXGW_SRC:?}" "${IFAXGW_TOOLS:?}"
TMP=$(mktemp -d); [ -n "${KEEP:-}" ] && echo "TMP=$TMP"
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
. "$IFAXGW_SRC/tests/integration/deliver_common.sh"
trap 'peers_stop; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
SPOOL=$TMP/spool
make_page "$TMP/page.tif" 204 98
declare -A SECS=([greeting]=1 [ehlo]=2 [mail]=3 [rcpt]=4 [data]=5 [dot]=6)
for stage in greeting ehlo mail rcpt data dot; do
    peer_start "$stage" "$PY" "$IFAXGW_SRC/tests/peers/faulty_smtp.py" \
        --stage "$stage" --fault stall
    port_var=${stage}_PORT
    cat >"$TMP/$stage.conf" <<CONF
gateway: { name = "ifaxgw-test"; spool = "$SPOOL"; log_level = "info"; };
lines = ( { name = "line0"; audio = "$TMP/none.sock"; } );
smtp: {
  hostname = "gw.test"; from = "ifaxgw@gw.test";
  smarthost = "127.0.0.1:${!port_var}"; relay_tls = "none";
  timeouts = { connect = 30; greeting = 1; ehlo = 2; starttls = 30;
               mail = 3; rcpt = 4; data = 5; block = 30; dot = 6;
               rset = 30; quit = 1; };
  retry = [ 60 ];
};
routes = ( { name = "test"; recipients = ( "nobody@invalid.test" ); } );
CONF
    enqueue "$SPOOL" "$TMP/page.tif" --rcpt "someone@relay.test,relay,tiff"
    deliver "$TMP/$stage.conf"
    reason=$(meta "$SPOOL" "$JOB" "m['recipients'][0]['reply']")
    state=$(meta "$SPOOL" "$JOB" "m['recipients'][0]['state']")
    want="smarthost 127.0.0.1 $stage: timeout (${SECS[$stage]} s)"
    [ "$stage" = dot ] && want+=" after the final dot"
    check "relay stall at $stage: deferred under its own timeout ($reason)" \
        [ "$state|$reason" = "deferred|$want" ]
done
check "relay stall after the dot: logged as a possible duplicate" \
    grep -q "possible duplicate: no reply to the final dot from the smarthost" "$TMP/deliver.all"
check "relay stall before the dot: no possible duplicate" \
    [ "$(grep -c 'possible duplicate' "$TMP/deliver.all")" = 1 ]
check "the relay transcript names the commands sent" \
    grep -q '> MAIL FROM:<ifaxgw@gw.test>' "$SPOOL"/queue/*/smtp.log
finish
