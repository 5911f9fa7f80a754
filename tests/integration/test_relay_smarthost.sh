#!/usr/bin/env bash
# test_relay_smarthost.sh - smtp/relay (libcurl) to tests/peers/smarthost.py:
# aiosmtpd with STARTTLS + AUTH required, a self-signed certificate made
# here with openssl, a free port. Checks: AUTH PLAIN, LOGIN and XOAUTH2 over
# STARTTLS deliver the message intact (Python email: attachment identical);
# several messages share one session; a wrong password defers (TEMP) and
# delivers nothing; credentials never show in the transcript; a 4xx to RCPT
# defers, a 5xx fails; a peer without STARTTLS gets nothing when TLS is
# required; a 5xx to the final dot fails.
set -euo pipefail
: "${IFAXGW_SRC:?}" "${IFAXGW_TOOLS:?}"
PY=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d); [ -n "${KEEP:-}" ] && echo "tmp=$tmp"
pids=()
cleanup() {
    set +e  # a failing kill or wait must not change the verdict
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    [ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
head -c 20000 /dev/urandom >"$tmp/doc.tif"

start_peer() { # name args...
    local name=$1; shift
    mkdir -p "$tmp/$name"
    "$PY" "$IFAXGW_SRC/tests/peers/smarthost.py" --port-file "$tmp/$name.port" \
        --spool "$tmp/$name" --cert "$tmp/cert.pem" --key "$tmp/key.pem" \
        --user gw --password 's3cr3t-pw' --token 'tok-XYZ' "$@" &
    pids+=($!)
    for _ in $(seq 1 100); do [ -s "$tmp/$name.port" ] && break; sleep 0.1; done
    [ -s "$tmp/$name.port" ] || fail "peer $name did not start"
}
send() { # peer args... ; prints relay_send's stdout, transcript in $tmp/last.err
    local port
    port=$(cat "$tmp/$1.port"); shift
    "$IFAXGW_TOOLS/relay_send" --host 127.0.0.1 --port "$port" \
        --ca "$tmp/cert.pem" --to person@example.org --doc "$tmp/doc.tif" \
        --timeout 20 "$@" 2>"$tmp/last.err"
}
check_eml() { # file: the attachment must equal doc.tif
    "$PY" - "$1" "$tmp/doc.tif" <<'EOF'
import sys, email, email.policy
m = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.default)
assert not m.defects, m.defects
parts = list(m.iter_parts())
assert parts[1].get_payload(decode=True) == open(sys.argv[2], 'rb').read(), 'attachment differs'
assert m['To'] == 'person@example.org', m['To']
EOF
}

start_peer sh
# 1. AUTH PLAIN over STARTTLS, three messages in one session
out=$(send sh --auth plain --user gw --password 's3cr3t-pw' --count 3) || fail "plain: $out"
[ "$(grep -c '^result=ok code=250 status=2.0.0' <<<"$out")" = 3 ] || fail "plain: $out"
[ "$(ls "$tmp"/sh/*.eml | wc -l)" = 3 ] || fail "plain: 3 messages expected"
[ "$(grep -c '^< 220 smarthost.test' "$tmp/last.err")" = 1 ] || fail "not one session"
grep -q '"tls": true' "$tmp/sh/001.json" || fail "not over TLS"
grep -q '"auth_user": "gw"' "$tmp/sh/001.json" || fail "not authenticated"
for f in "$tmp"/sh/*.eml; do check_eml "$f" || fail "content $f"; done
grep -q 's3cr3t\|czNjcjN0' "$tmp/last.err" && fail "password in transcript"
echo "ok: PLAIN x3, one session, STARTTLS, content intact"

# 2. AUTH LOGIN, PDF
out=$(send sh --auth login --user gw --password 's3cr3t-pw' --pdf) || fail "login: $out"
grep -q '^result=ok' <<<"$out" || fail "login: $out"
grep -q 'Content-Type: application/pdf' "$tmp/sh/004.eml" || fail "login: not pdf"
echo "ok: LOGIN"

# 3. XOAUTH2 bearer
out=$(send sh --auth xoauth2 --user gw --token 'tok-XYZ') || fail "xoauth2: $out"
grep -q '^result=ok' <<<"$out" || fail "xoauth2: $out"
grep -q '"auth_user": "xoauth2:gw"' "$tmp/sh/005.json" || fail "xoauth2 user"
grep -q 'tok-XYZ' "$tmp/last.err" && fail "token in transcript"
echo "ok: XOAUTH2"

# 4. wrong password: temporary, nothing delivered
rc=0; out=$(send sh --auth plain --user gw --password wrong) || rc=$?
[ $rc = 1 ] && grep -q '^result=temp code=535' <<<"$out" || fail "bad pw: rc=$rc $out"
[ "$(ls "$tmp"/sh/*.eml | wc -l)" = 5 ] || fail "bad pw delivered something"
echo "ok: wrong password deferred"

# 5. no AUTH: the smarthost refuses MAIL (530): permanent per its 5xx
rc=0; out=$(send sh --auth none) || rc=$?
[ $rc = 2 ] && grep -q '^result=perm code=530' <<<"$out" || fail "no auth: rc=$rc $out"
echo "ok: no AUTH refused"

# 6. scripted replies: 451 to RCPT once, then accepted; 550 to RCPT; 554 to dot
start_peer sh2 --rcpt-reply 'later@example.org=451 4.3.0 try later:1' \
    --rcpt-reply 'nobody@example.org=550 5.1.1 no such user' \
    --data-reply 'bad@example.org=554 5.6.0 content rejected'
A=(--auth plain --user gw --password 's3cr3t-pw')
rc=0; out=$(send sh2 "${A[@]}" --to later@example.org) || rc=$?
[ $rc = 1 ] && grep -q '^result=temp code=451 status=4.3.0' <<<"$out" || fail "451: $out"
out=$(send sh2 "${A[@]}" --to later@example.org) || fail "451 retry: $out"
rc=0; out=$(send sh2 "${A[@]}" --to nobody@example.org) || rc=$?
[ $rc = 2 ] && grep -q '^result=perm code=550 status=5.1.1' <<<"$out" || fail "550: $out"
rc=0; out=$(send sh2 "${A[@]}" --to bad@example.org) || rc=$?
[ $rc = 2 ] && grep -q '^result=perm code=554 status=5.6.0 dup=0' <<<"$out" || fail "554: $out"
[ "$(ls "$tmp"/sh2/*.eml | wc -l)" = 1 ] || fail "sh2 should hold 1 message"
echo "ok: 451 deferred then delivered, 550 and 554 failed"

# 7. TLS required but the peer offers no STARTTLS: nothing sent (plain peer)
"$PY" - "$tmp/plain.port" "$tmp/plain.log" <<'EOF' &
import asyncio, sys, os
from aiosmtpd.smtp import SMTP
class H:
    async def handle_DATA(self, server, session, envelope):
        open(sys.argv[2], 'a').write('DATA\n'); return '250 OK'
async def main():
    loop = asyncio.get_running_loop()
    srv = await loop.create_server(lambda: SMTP(H(), hostname='plain.test'), '127.0.0.1', 0)
    open(sys.argv[1] + '.tmp', 'w').write('%d\n' % srv.sockets[0].getsockname()[1])
    os.rename(sys.argv[1] + '.tmp', sys.argv[1])
    await asyncio.Event().wait()
asyncio.run(main())
EOF
pids+=($!)
for _ in $(seq 1 100); do [ -s "$tmp/plain.port" ] && break; sleep 0.1; done
rc=0; out=$(send plain --auth none) || rc=$?
[ $rc = 1 ] && grep -q '^result=temp' <<<"$out" || fail "no starttls: rc=$rc $out"
[ ! -e "$tmp/plain.log" ] || fail "message sent without TLS"
out=$(send plain --auth none --tls none) || fail "tls none: $out"
[ -e "$tmp/plain.log" ] || fail "tls none: nothing arrived"
echo "ok: TLS required refuses a peer without STARTTLS"
# 8. ifaxgw deliver in relay mode: STARTTLS + AUTH from the config, PDF by
#    default and TIFF on request, outcome and profile in the queue
GW=${IFAXGW:-}
if [ -n "$GW" ]; then
    TMP=$tmp; . "$IFAXGW_SRC/tests/peers/peerlib.sh"; . "$IFAXGW_SRC/tests/integration/deliver_common.sh"
    make_page "$tmp/page.tif" 204 196
    write_conf "$tmp/gw.conf" "$tmp/spool" "smarthost = \"127.0.0.1:$(cat "$tmp/sh.port")\";
      user = \"gw\"; password = \"s3cr3t-pw\"; auth = \"plain\"; relay_tls = \"required\";
      ca_file = \"$tmp/cert.pem\";"
    "$IFAXGW_TOOLS/deliver_enqueue" "$tmp/spool" "$tmp/page.tif" \
        --rcpt person@example.org,relay --rcpt other@example.org,relay,tiff >"$tmp/enq.out" \
        || fail "enqueue"
    job=$(sed -n 's/^job=\([^ ]*\) .*/\1/p' "$tmp/enq.out")
    before=$(ls "$tmp"/sh/*.eml | wc -l)
    "$GW" deliver -c "$tmp/gw.conf" >"$tmp/gwd.out" 2>"$tmp/gwd.err" || fail "deliver: $(cat "$tmp/gwd.err")"
    grep -q 'delivered=2 deferred=0 failed=0' "$tmp/gwd.out" || fail "deliver: $(cat "$tmp/gwd.out" "$tmp/gwd.err")"
    [ "$(meta "$tmp/spool" "$job" "' '.join(r['profile'] for r in m['recipients'])")" = "pdf F MMR 204x196 1728" ] \
        || fail "relay profiles: $(meta "$tmp/spool" "$job" "[r['profile'] for r in m['recipients']]")"
    [ $(( $(ls "$tmp"/sh/*.eml | wc -l) - before )) = 2 ] || fail "relay: 2 messages expected"
    grep -l 'application/pdf' $(ls "$tmp"/sh/*.eml | tail -2) >/dev/null || fail "relay: no PDF"
    grep -q 's3cr3t' "$tmp/spool/done/$job/smtp.log" && fail "password in smtp.log"
    echo "ok: ifaxgw deliver relays with STARTTLS + AUTH (pdf, tiff)"
fi
echo "PASS"
