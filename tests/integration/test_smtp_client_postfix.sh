#!/usr/bin/env bash
# ctest-labels: slow
# smtp_client against a real MTA: a private Postfix instance on loopback
# (tests/peers/postfix.sh). Postfix does not advertise CONNEG, so no CONNEG
# parameter may be sent (Postfix would answer 555); DSN is advertised, so
# RET/ENVID and NOTIFY/ORCPT go out and must be accepted; the message
# arrives intact; Postfix's success DSN comes back with our ENVID (a DSN
# round trip). ifaxgw probe reports "no CONNEG: profile S".
set -uo pipefail
SRC=${IFAXGW_SRC:?}; SEND=${IFAXGW_TOOLS:?}/smtp_send; PY=${PYTHON:-/usr/bin/python3}
TMP=$(mktemp -d)
. "$SRC/tests/peers/peerlib.sh"
trap 'bash "$SRC/tests/peers/postfix.sh" stop "$TMP/pf"; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
PORT=$("$PY" -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
bash "$SRC/tests/peers/postfix.sh" start "$TMP/pf" "$PORT" || exit 1
BOX="$TMP/pf/mail/box/new"
has() { grep -qF -- "$2" "$TMP/$1"; }

printf 'From: <gw@postfix.test>\nTo: <fax@postfix.test>\nSubject: pf\nMessage-ID: <pf-1@gw.test>\n\n.dot line\nbody\n' >"$TMP/msg"
"$SEND" --to fax@postfix.test --from gw@postfix.test --host "127.0.0.1:$PORT" \
    --envid "job-7 x" --msg "$TMP/msg" --timeout 30 --transcript "$TMP/t.log" >"$TMP/t.res" 2>&1
echo "smtp_send exit $?"
check "postfix: delivered" has t.res "result=none"
check "postfix: DSN and SIZE seen in EHLO" has t.res "ext=0x5e"
check "postfix: no CONNEG parameter sent (not advertised)" bash -c "! grep -q 'CONNEG' '$TMP/t.log'"
check "postfix: MAIL with RET/ENVID accepted" \
    grep -qE '> MAIL FROM:<gw@postfix.test> SIZE=[0-9]+ RET=HDRS ENVID=job-7\+20x$' "$TMP/t.log"
check "postfix: RCPT with NOTIFY/ORCPT accepted" \
    has t.log "> RCPT TO:<fax@postfix.test> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;fax@postfix.test"
check "postfix: RCPT 250 2.1.5" has t.res "code=250 status=2.1.5"
check "postfix: queued" grep -q '< 250 2.0.0 Ok: queued as' "$TMP/t.log"

# the message and the DSN land in the Maildir (virtual delivery is async)
for _ in $(seq 200); do
    [ "$(ls "$BOX" 2>/dev/null | wc -l)" -ge 2 ] && break
    sleep 0.05
done
msg=$(grep -l 'Message-ID: <pf-1@gw.test>' "$BOX"/* 2>/dev/null | grep -v "$(grep -l 'delivery-status' "$BOX"/* 2>/dev/null | head -1)" | head -1)
check "postfix: message in the mailbox" test -n "$msg"
check "postfix: dot-stuffed line arrives as .dot line" grep -qx '.dot line' "$msg"
dsn=$(grep -l 'report-type=delivery-status' "$BOX"/* 2>/dev/null | head -1)
check "DSN round trip: a delivery-status report came back" test -n "$dsn"
check "DSN round trip: our ENVID, xtext decoded by Postfix" grep -q "Original-Envelope-Id: job-7 x" "$dsn"
check "DSN round trip: Action delivered" grep -qi 'Action: delivered' "$dsn"
check "DSN round trip: ORCPT carried" grep -qi 'Original-Recipient: rfc822;fax@postfix.test' "$dsn"

# probe: Postfix has no CONNEG -> profile S; no message sent
n_before=$(ls "$BOX" | wc -l)
"$IFAXGW" probe fax@postfix.test --host "127.0.0.1:$PORT" --from gw@postfix.test --timeout 30 >"$TMP/probe.out" 2>&1
echo $? >"$TMP/probe.rc"
check "probe postfix: exit 0" [ "$(cat "$TMP/probe.rc")" = 0 ]
check "probe postfix: CONNEG not advertised" has probe.out "conneg: not advertised"
check "probe postfix: DSN listed" grep -q '^extensions:.* DSN' "$TMP/probe.out"
check "probe postfix: profile S" has probe.out "would send: profile S, MH"
sleep 0.5
check "probe postfix: no message sent" [ "$(ls "$BOX" | wc -l)" = "$n_before" ]
# a reply code, not any digits: queue IDs, ports and PIDs may contain 555
check "postfix log: no 555 (no unsupported parameter)" bash -c "! grep -Eq ': 555[ -]5\.' '$TMP/pf/maillog'"
finish
