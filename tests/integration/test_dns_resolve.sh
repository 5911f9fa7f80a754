#!/usr/bin/env bash
# smtp/dns against a private dnsmasq (tests/peers/dns.sh): MX preference order,
# equal preferences shuffled, implicit MX, null MX, NXDOMAIN, SERVFAIL, CNAME,
# an MX without address, address literals; then delivery through the MX list
# to the fax device peer, the first MX host refusing.
set -uo pipefail
SRC=${IFAXGW_SRC:?}; SEND=${IFAXGW_TOOLS:?}/smtp_send; PY=${PYTHON:-/usr/bin/python3}
TMP=$(mktemp -d)
. "$SRC/tests/peers/peerlib.sh"
trap 'bash "$SRC/tests/peers/dns.sh" stop "$TMP/dns"; peers_stop; rm -rf "$TMP"' EXIT
bash "$SRC/tests/peers/dns.sh" start "$TMP/dns" || exit 1
NS="127.0.0.1:$(cat "$TMP/dns/port")"

resolve() { # NAME DEST [ARGS...]
    local name=$1 dest=$2; shift 2
    "$SEND" --to "$dest" --dns "$NS" --timeout 2 --resolve-only "$@" >"$TMP/$name.res" 2>&1
    echo $? >"$TMP/$name.rc"
}
has() { grep -qF -- "$2" "$TMP/$1"; }
rc_is() { [ "$(cat "$TMP/$1.rc")" = "$2" ]; }
targets() { grep '^target=' "$TMP/$1.res" | cut -d' ' -f1 | sed 's/^target=//' | paste -sd' '; }

resolve mx fax@mx.test
check "MX: preference order" [ "$(targets mx)" = "mx1.mx.test mx2.mx.test" ]
check "MX: addresses and port 25" has mx.res "target=mx1.mx.test 127.0.0.5 25 10"

resolve impl fax@implicit.test
check "implicit MX: the domain's A" has impl.res "target=implicit.test 127.0.0.1 25 0"
check "implicit MX: resolved" rc_is impl 0

resolve null fax@nullmx.test
check "null MX: permanent 5.1.10" has null.res "result=permanent status=5.1.10"
check "null MX: no target tried" bash -c "! grep -q '^target=' '$TMP/null.res'"

resolve nx fax@nowhere.nx.test
check "NXDOMAIN: permanent 5.1.2" has nx.res "result=permanent status=5.1.2"

resolve sf fax@servfail.test
check "SERVFAIL/timeout: temporary 4.4.3" has sf.res "result=temporary status=4.4.3"

resolve cname fax@alias.test
check "CNAME followed to the MX list" [ "$(targets cname)" = "mx1.mx.test mx2.mx.test" ]

resolve ghost fax@nomxaddr.test
check "MX without address: permanent" has ghost.res "result=permanent status=5.1.2"

resolve lit4 'fax@[192.0.2.7]'
check "IPv4 literal, no DNS" has lit4.res "target=[192.0.2.7] 192.0.2.7 25 0"
resolve lit6 'fax@[IPv6:2001:db8::1]'
check "IPv6 literal, no DNS" has lit6.res "target=[IPv6:2001:db8::1] 2001:db8::1 25 0"
resolve litbad 'fax@[300.1.1.1]'
check "bad literal: permanent" has litbad.res "result=permanent"

resolve pin fax@mx.test --host 127.0.0.9:2525
check "pinned host overrides MX" [ "$(grep -c '^target=' "$TMP/pin.res")" = 1 ]
check "pinned host and port" has pin.res "target=127.0.0.9 127.0.0.9 2525 0"

# equal preferences: first.multi.test (5) always first, a/b/c (10) shuffled
orders=""
for seed in $(seq 1 24); do
    resolve "multi$seed" fax@multi.test --seed "$seed"
    t=$(targets "multi$seed")
    case $t in first.multi.test*) ;; *) orders+=" BAD" ;; esac
    orders+=$'\n'"$t"
done
uniq_orders=$(printf '%s\n' "$orders" | grep . | sort -u | wc -l)
check "equal preferences: lower preference always first" bash -c "! grep -q BAD <<<'$orders'"
check "equal preferences: several orders over 24 seeds ($uniq_orders)" [ "$uniq_orders" -ge 3 ]
check "equal preferences: 4 hosts each time" [ "$(grep -c '^target=' "$TMP/multi7.res")" = 4 ]
resolve s1 fax@multi.test --seed 5; resolve s2 fax@multi.test --seed 5
check "same seed, same order" [ "$(targets s1)" = "$(targets s2)" ]

# delivery through the MX list: mx1 (127.0.0.5) refuses, mx2 takes it
mkdir -p "$TMP/dev"
peer_start dev "$PY" "$SRC/tests/peers/ifax_device.py" --save-dir "$TMP/dev" --no-conneg
"$SEND" --to fax@mx.test --dns "$NS" --port "$dev_PORT" --timeout 5 \
    --transcript "$TMP/deliver.log" >"$TMP/deliver.res" 2>&1
echo $? >"$TMP/deliver.rc"
check "MX delivery: delivered" rc_is deliver 0
check "MX delivery: first MX tried and refused" grep -q "connecting to mx1.mx.test\[127.0.0.5\]" "$TMP/deliver.log"
check "MX delivery: second MX took it" has deliver.res "open=mx2.mx.test[127.0.0.1]:$dev_PORT"
check "MX delivery: message saved by the device" test -s "$TMP/dev/msg-1.eml"
"$SEND" --to fax@implicit.test --dns "$NS" --port "$dev_PORT" --timeout 5 >"$TMP/impl2.res" 2>&1
check "implicit MX delivery" has impl2.res "result=none"
finish
