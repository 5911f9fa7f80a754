#!/usr/bin/env bash
# test_deliver_dns.sh - delivery by DNS with a private dnsmasq
# (tests/peers/dns.sh, smtp.dns_servers pointing at it, smtp.port at the
# device): implicit MX (A record) -> delivered; MX with a dead first host
# (127.0.0.5) -> the second MX host -> delivered; null MX (RFC 7505) ->
# failed at once with 5.1.10 and a failure notice; NXDOMAIN -> failed;
# SERVFAIL -> deferred. Notices go to a pinned notify peer.
set -uo pipefail
: "${IFAXGW:?}" "${IFAXGW_SRC:?}" "${IFAXGW_TOOLS:?}"
TMP=$(mktemp -d); [ -n "${KEEP:-}" ] && echo "TMP=$TMP"
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
. "$IFAXGW_SRC/tests/integration/deliver_common.sh"
DNS="$IFAXGW_SRC/tests/peers/dns.sh"
trap 'bash "$DNS" stop "$TMP/dns"; peers_stop; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT

SPOOL=$TMP/spool
make_page "$TMP/page.tif" 204 98
bash "$DNS" start "$TMP/dns" || { echo "dnsmasq did not start"; exit 1; }
device dev --preset mh-only
mkdir -p "$TMP/ops.d"
peer_start ops "$PY" "$IFAXGW_SRC/tests/peers/smarthost.py" --plain --spool "$TMP/ops.d"
write_conf "$TMP/gw.conf" "$SPOOL" "port = $dev_PORT;
  dns_servers = [ \"127.0.0.1:$(cat "$TMP/dns/port")\" ];
  pinned = ( { domain = \"notify.test\"; host = \"127.0.0.1:$ops_PORT\"; } );"
sed -i 's/connect = 10;/connect = 3;/' "$TMP/gw.conf"

declare -A J
for d in implicit.test mx.test nullmx.test x.nx.test servfail.test; do
    enqueue "$SPOOL" "$TMP/page.tif" --rcpt "fax@$d" --notify ops@notify.test
    J[$d]=$JOB
done
deliver "$TMP/gw.conf"
st() { meta "$SPOOL" "${J[$1]}" "m['recipients'][0]['$2']"; }
check "implicit MX: delivered to the A record" [ "$(st implicit.test state)" = delivered ]
check "MX: delivered via the second host" [ "$(st mx.test state)" = delivered ]
check "MX: the dead first host was tried" grep -q '127.0.0.5' "$SPOOL/done/${J[mx.test]}/smtp.log"
check "null MX: failed" [ "$(st nullmx.test state)" = failed ]
check "null MX: 5.1.10 recorded" grep -q '5.1.10\|null MX' <<<"$(st nullmx.test reply)"
check "null MX: one attempt, in failed/" [ -d "$SPOOL/failed/${J[nullmx.test]}" ]
check "NXDOMAIN: failed" [ "$(st x.nx.test state)" = failed ]
check "SERVFAIL: deferred, still queued" \
    [ "$(st servfail.test state) $([ -d "$SPOOL/queue/${J[servfail.test]}" ] && echo q)" = "deferred q" ]
check "the device got exactly two faxes" [ "$(ls "$TMP"/dev.d/msg-*.eml | wc -l)" = 2 ]
check "two failure notices (null MX, NXDOMAIN)" [ "$(ls "$TMP"/ops.d/*.eml 2>/dev/null | wc -l)" = 2 ]
finish
