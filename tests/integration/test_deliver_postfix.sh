#!/usr/bin/env bash
# ctest-labels: slow
# test_deliver_postfix.sh - a private Postfix (tests/peers/postfix.sh) as
# a real mail server on loopback:
#   direct to it: no CONNEG advertised -> profile S, never the parameter;
#     the message lands in its Maildir and decodes (Python email, tiffinfo);
#   a DSN round trip: our MAIL/RCPT carry RET/ENVID/NOTIFY (Postfix offers
#     DSN), the sender is @postfix.test, so Postfix's "delivered" DSN comes
#     back into the same Maildir naming our job as Original-Envelope-Id;
#   relay through it (smtp.smarthost = Postfix, mode relay): the PDF reaches
#     the mailbox peer Postfix relays to.
set -uo pipefail
: "${IFAXGW:?}" "${IFAXGW_SRC:?}" "${IFAXGW_TOOLS:?}"
TMP=$(mktemp -d); [ -n "${KEEP:-}" ] && echo "TMP=$TMP"
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
. "$IFAXGW_SRC/tests/integration/deliver_common.sh"
PF="$IFAXGW_SRC/tests/peers/postfix.sh"
trap 'bash "$PF" stop "$TMP/pf"; peers_stop; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
maildir_count() { ls "$TMP/pf/mail/box/new" 2>/dev/null | wc -l; }

SPOOL=$TMP/spool
make_page "$TMP/page.tif" 204 196
mkdir -p "$TMP/relayed.d"
peer_start relayed "$PY" "$IFAXGW_SRC/tests/peers/smarthost.py" --plain --spool "$TMP/relayed.d"
PFPORT=$(free_port)
bash "$PF" start "$TMP/pf" "$PFPORT" "[127.0.0.1]:$relayed_PORT" || { echo "postfix did not start"; exit 1; }

write_conf "$TMP/gw.conf" "$SPOOL" "pinned = ( { domain = \"postfix.test\"; host = \"127.0.0.1:$PFPORT\"; } );
  smarthost = \"127.0.0.1:$PFPORT\"; relay_tls = \"none\";"
sed -i 's/from = "ifaxgw@gw.test"/from = "ifaxgw@postfix.test"/' "$TMP/gw.conf"

# 1. direct to Postfix, with the DSN round trip
enqueue "$SPOOL" "$TMP/page.tif" --rcpt fax@postfix.test
JD=$JOB
deliver "$TMP/gw.conf"
st() { meta "$SPOOL" "$1" "m['recipients'][0]['$2']"; }
check "direct: delivered" [ "$(st "$JD" state)" = delivered ]
check "direct: Postfix's 250 recorded" grep -q '^250 2.0.0 Ok: queued as' <<<"$(st "$JD" reply)"
check "direct: no CONNEG from Postfix -> profile S" grep -q '^S MH' <<<"$(st "$JD" profile)"
check "direct: CONNEG never sent (not advertised)" \
    bash -c "! grep -q 'CONNEG' '$SPOOL/done/$JD/smtp.log'"
check "direct: DSN parameters sent" \
    grep -q 'RCPT TO:<fax@postfix.test> NOTIFY=' "$SPOOL/done/$JD/smtp.log"
check "direct: message and DSN in the Maildir" wait_for 30 [ "$(maildir_count)" -ge 2 ]
check "direct: the fax decodes as profile S, DSN names our job" "$PY" - "$TMP/pf/mail/box/new" "$JD" "$TMP" <<'EOF'
import email, email.policy, os, subprocess, sys
d, job, tmp = sys.argv[1:4]
fax = dsn = None
for f in os.listdir(d):
    m = email.message_from_bytes(open(os.path.join(d, f), 'rb').read(), policy=email.policy.default)
    if m.get_content_type() == 'multipart/report':
        dsn = m
    elif m.get_content_type() == 'multipart/mixed':
        fax = m
assert fax is not None and dsn is not None, 'fax and DSN expected'
tif = [p for p in fax.walk() if p.get_content_type() == 'image/tiff'][0]
open(tmp + '/pf.tif', 'wb').write(tif.get_payload(decode=True))
info = subprocess.run(['tiffinfo', tmp + '/pf.tif'], capture_output=True, text=True).stdout
assert 'CCITT Group 3' in info and 'Image Width: 1728' in info, info
status = [p for p in dsn.walk() if p.get_content_type() == 'message/delivery-status'][0]
text = status.as_string()
assert job in text, 'Original-Envelope-Id'
assert 'Action: delivered' in text, text
EOF

# 2. relay through Postfix to the mailbox peer
enqueue "$SPOOL" "$TMP/page.tif" --rcpt person@example.org,relay
JR=$JOB
deliver "$TMP/gw.conf"
check "relay: accepted by Postfix" [ "$(st "$JR" state)" = delivered ]
check "relay: profile pdf" [ "$(st "$JR" profile)" = pdf ]
check "relay: Postfix relayed it to the mailbox" wait_for 30 [ -n "$(ls "$TMP"/relayed.d/*.eml 2>/dev/null)" ]
check "relay: a PDF with our Message-ID arrived" "$PY" - "$(ls "$TMP"/relayed.d/*.eml | head -1)" \
    "$(meta "$SPOOL" "$JR" "m['message_id']")" <<'EOF'
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.default)
assert m['Message-ID'] == sys.argv[2], (m['Message-ID'], sys.argv[2])
pdf = [p for p in m.walk() if p.get_content_type() == 'application/pdf'][0]
assert pdf.get_payload(decode=True).startswith(b'%PDF-'), 'not a PDF'
EOF
finish
