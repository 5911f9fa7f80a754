#!/usr/bin/env bash
# STARTTLS in smtp_client per policy, against the fax device peer with a
# self-signed certificate (openssl req, SAN IP:127.0.0.1 and DNS:ifax.test):
# opportunistic (no verification), required (verified against --ca, fails
# TEMP without it, with a wrong name, or when STARTTLS is not offered), none;
# an opportunistic session whose handshake breaks falls back to plain text.
set -uo pipefail
SRC=${IFAXGW_SRC:?}; SEND=${IFAXGW_TOOLS:?}/smtp_send; PY=${PYTHON:-/usr/bin/python3}
TMP=$(mktemp -d)
. "$SRC/tests/peers/peerlib.sh"
trap 'peers_stop; rm -rf "$TMP"' EXIT
DEV="$SRC/tests/peers/ifax_device.py"

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=ifax.test" \
    -addext "subjectAltName=IP:127.0.0.1,DNS:ifax.test" \
    -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>"$TMP/openssl.err" || {
    cat "$TMP/openssl.err"; exit 1; }

mkdir -p "$TMP/tls.d" "$TMP/plain.d"
peer_start tls "$PY" "$DEV" --save-dir "$TMP/tls.d" --tls-cert "$TMP/cert.pem" --tls-key "$TMP/key.pem"
peer_start plain "$PY" "$DEV" --save-dir "$TMP/plain.d"

send() { # NAME PORT ARGS...
    local name=$1 port=$2; shift 2
    "$SEND" --to fax@ifax.test --host "127.0.0.1:$port" --timeout 10 \
        --transcript "$TMP/$name.log" "$@" >"$TMP/$name.res" 2>&1
    echo $? >"$TMP/$name.rc"
}
has() { grep -qF -- "$2" "$TMP/$1"; }
rc_is() { [ "$(cat "$TMP/$1.rc")" = "$2" ]; }

send opp "$tls_PORT" --tls opportunistic
check "opportunistic: delivered" rc_is opp 0
check "opportunistic: over TLS" has opp.res "tls=yes"
check "opportunistic: not verified (self-signed accepted)" has opp.log "TLS established (not verified)"
check "opportunistic: EHLO again after STARTTLS" [ "$(grep -c '> EHLO gw.test' "$TMP/opp.log")" = 2 ]
check "device: message arrived over TLS" grep -q '"tls": true' "$TMP/tls.d/msg-1.json"

send req "$tls_PORT" --tls required --ca "$TMP/cert.pem"
check "required + CA: delivered" rc_is req 0
check "required + CA: verified" has req.log "TLS established (verified)"

send reqname "$tls_PORT" --tls required --ca "$TMP/cert.pem" --tls-name ifax.test
check "required + CA + DNS name: delivered" rc_is reqname 0

send reqsys "$tls_PORT" --tls required
check "required, system store: temporary failure" has reqsys.res "result=temporary status=4.7.5"
check "required, system store: certificate named" grep -q "certificate" "$TMP/reqsys.res"

send reqbad "$tls_PORT" --tls required --ca "$TMP/cert.pem" --tls-name other.test
check "required, wrong name: temporary failure" has reqbad.res "result=temporary status=4.7.5"

send reqplain "$plain_PORT" --tls required
check "required, not offered: temporary 4.7.4" has reqplain.res "result=temporary status=4.7.4"
check "required, not offered: no MAIL sent" bash -c "! grep -q 'MAIL FROM' '$TMP/reqplain.log'"

send oppplain "$plain_PORT" --tls opportunistic
check "opportunistic, not offered: delivered in the clear" rc_is oppplain 0
check "opportunistic, not offered: tls=no" has oppplain.res "tls=no"

send none "$tls_PORT" --tls none
check "none: delivered without STARTTLS" rc_is none 0
check "none: no STARTTLS sent" bash -c "! grep -q '> STARTTLS' '$TMP/none.log'"

peer_start broken "$PY" "$SRC/tests/peers/faulty_smtp.py" --stage dot --fault 4xx --ext STARTTLS
send brk "$broken_PORT" --tls opportunistic
check "opportunistic, handshake breaks: retried in the clear" has brk.log "retrying in the clear"
check "opportunistic, handshake breaks: went on to DATA" has brk.res "data=451"
send brkreq "$broken_PORT" --tls required --ca "$TMP/cert.pem"
check "required, handshake breaks: temporary" has brkreq.res "result=temporary"
check "required, handshake breaks: no retry in the clear" bash -c "! grep -q 'MAIL FROM' '$TMP/brkreq.log'"
finish
