#!/usr/bin/env bash
# test_deliver_retry.sh - retries, failures and notices with real peers
# (tests/peers/smarthost.py --plain as scripted mailboxes on loopback):
#   451 to RCPT once -> deferred (next try from the retry schedule), then
#   delivered on the next run; 550 -> failed, job in failed/, a failure
#   notice with the reason and the transcript reaches the notify address;
#   notify_success -> a success notice; no reply to the final dot ->
#   deferred as a possible duplicate, the retry carries the same Message-ID;
#   connection refused -> deferred; two recipients on one host share one
#   session and one DATA; mdn = true asks for a disposition notification;
#   the notify address's server down -> the failure notice stays owed in
#   meta.json, the job waits in queue/, and the notice (reason and
#   transcript from smtp.log) goes out on the next try once it is up.
set -uo pipefail
: "${IFAXGW:?}" "${IFAXGW_SRC:?}" "${IFAXGW_TOOLS:?}"
TMP=$(mktemp -d); [ -n "${KEEP:-}" ] && echo "TMP=$TMP"
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
. "$IFAXGW_SRC/tests/integration/deliver_common.sh"
trap 'peers_stop; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
SH="$IFAXGW_SRC/tests/peers/smarthost.py"

mailbox() { # NAME ARGS...
    local name=$1; shift
    mkdir -p "$TMP/$name.d"
    peer_start "$name" "$PY" "$SH" --plain --spool "$TMP/$name.d" "$@"
}
count() { ls "$TMP/$1.d/"*.eml 2>/dev/null | wc -l; }
st() { meta "$SPOOL" "$1" "m['recipients'][${2:-0}]['$3']"; }
where() { # JOB -> state directory
    local s
    for s in queue done failed; do [ -d "$SPOOL/$s/$1" ] && { echo "$s"; return; }; done
    echo none
}

SPOOL=$TMP/spool
make_page "$TMP/page.tif" 204 98
mailbox box --rcpt-reply 'later@box.test=451 4.3.0 mailbox busy:1' \
    --rcpt-reply 'nobody@box.test=550 5.1.1 no such fax mailbox' \
    --data-stall 'slow@box.test=4:1'
mailbox ops
# a port with nothing listening: bind, note, close
DEAD_PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
write_conf "$TMP/gw.conf" "$SPOOL" "pinned = (
    { domain = \"box.test\"; host = \"127.0.0.1:$box_PORT\"; },
    { domain = \"notify.test\"; host = \"127.0.0.1:$ops_PORT\"; },
    { domain = \"dead.test\"; host = \"127.0.0.1:$DEAD_PORT\"; } );"
sed -i 's/dot = 20;/dot = 2;/' "$TMP/gw.conf"
write_conf "$TMP/gw-ok.conf" "$SPOOL" "pinned = (
    { domain = \"box.test\"; host = \"127.0.0.1:$box_PORT\"; },
    { domain = \"notify.test\"; host = \"127.0.0.1:$ops_PORT\"; } );" \
    "notify_success = true;"

# 1. 451 once, then delivered
enqueue "$SPOOL" "$TMP/page.tif" --rcpt later@box.test --notify ops@notify.test
J451=$JOB
deliver "$TMP/gw.conf"
check "451: deferred, job still queued" [ "$(st "$J451" 0 state) $(where "$J451")" = "deferred queue" ]
check "451: reply recorded" grep -q '^451 4.3.0 mailbox busy' <<<"$(st "$J451" 0 reply)"
check "451: next try set from the schedule (1 s)" \
    "$PY" -c "import sys; n,l=int(sys.argv[1]),int(sys.argv[2]); sys.exit(not (0 < n - l <= 2000))" \
    "$(st "$J451" 0 next_try_ms)" "$(st "$J451" 0 last_try_ms)"
check "451: nothing delivered yet, no notice" [ "$(count box) $(count ops)" = "0 0" ]
sleep 1.2
deliver "$TMP/gw.conf"
check "451: delivered on the retry" [ "$(st "$J451" 0 state) $(where "$J451")" = "delivered done" ]
check "451: 2 attempts" [ "$(st "$J451" 0 attempts)" = 2 ]
check "451: one message arrived" [ "$(count box)" = 1 ]

# 2. 550: failed, failure notice to the notify address
enqueue "$SPOOL" "$TMP/page.tif" --rcpt nobody@box.test --notify ops@notify.test \
    --csid $'EVIL\r\nBcc: x@y'
J550=$JOB
deliver "$TMP/gw.conf"
check "550: failed, job in failed/" [ "$(st "$J550" 0 state) $(where "$J550")" = "failed failed" ]
check "550: one attempt" [ "$(st "$J550" 0 attempts)" = 1 ]
check "550: notice received by the notify peer" [ "$(count ops)" = 1 ]
N=$(ls "$TMP"/ops.d/*.eml | head -1)
check "550: notice parses, names job, reason and transcript" "$PY" - "$N" "$J550" <<'EOF'
import sys, email, email.policy
m = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.default)
assert not m.defects, m.defects
assert m['To'] == 'ops@notify.test', m['To']
assert 'delivery failed' in m['Subject'], m['Subject']
assert m['Auto-Submitted'] == 'auto-generated'
assert 'bcc' not in [k.lower() for k in m.keys()]
body = m.get_content()
assert sys.argv[2] in body, 'job id'
assert '550 5.1.1 no such fax mailbox' in body, body
assert 'RCPT TO:<nobody@box.test>' in body, 'transcript'
EOF
check "550: smtp.log kept in the job" grep -q 'RCPT TO:<nobody@box.test>' "$SPOOL/failed/$J550/smtp.log"

# 3. success notice when the route asks for it
enqueue "$SPOOL" "$TMP/page.tif" --rcpt ok@box.test --notify ops@notify.test
deliver "$TMP/gw-ok.conf"
check "notify_success: delivered" [ "$(st "$JOB" 0 state)" = delivered ]
check "notify_success: a second notice, 'delivered'" \
    bash -c "[ \$(ls '$TMP'/ops.d/*.eml | wc -l) = 2 ] && grep -l 'Subject: Fax delivered' '$TMP'/ops.d/*.eml >/dev/null"

# 4. no reply to the final dot: deferred, possible duplicate, same Message-ID
enqueue "$SPOOL" "$TMP/page.tif" --rcpt slow@box.test
JSLOW=$JOB
before=$(count box)
deliver "$TMP/gw.conf"
check "lost reply: deferred" [ "$(st "$JSLOW" 0 state)" = deferred ]
check "lost reply: logged as a possible duplicate" grep -q 'possible duplicate' "$TMP/deliver.err"
check "lost reply: counted" grep -q 'duplicates=1' "$TMP/deliver.out"
sleep 4
deliver "$TMP/gw.conf"
check "lost reply: delivered on the retry" [ "$(st "$JSLOW" 0 state)" = delivered ]
after=$(count box)
check "lost reply: the peer holds both copies" [ $((after - before)) = 2 ]
ids=$(grep -h '^Message-ID:' $(ls "$TMP"/box.d/*.eml | tail -2) | sort -u | wc -l)
check "lost reply: both copies carry the same Message-ID" [ "$ids" = 1 ]
check "lost reply: ... which is the job's" \
    grep -qF "Message-ID: $(st "$JSLOW" 0 x 2>/dev/null; meta "$SPOOL" "$JSLOW" "m['message_id']")" \
    "$(ls "$TMP"/box.d/*.eml | tail -1)"

# 5. connection refused: deferred, no failure
enqueue "$SPOOL" "$TMP/page.tif" --rcpt fax@dead.test
deliver "$TMP/gw.conf"
check "refused: deferred" [ "$(st "$JOB" 0 state) $(where "$JOB")" = "deferred queue" ]

# 6. two recipients on one host: one session, one DATA, both delivered
enqueue "$SPOOL" "$TMP/page.tif" --rcpt a@box.test --rcpt b@box.test
before=$(count box)
deliver "$TMP/gw-ok.conf"
check "shared session: both delivered" \
    [ "$(st "$JOB" 0 state) $(st "$JOB" 1 state)" = "delivered delivered" ]
check "shared session: one message for both" [ $(( $(count box) - before )) = 1 ]
check "shared session: it was addressed to both" \
    grep -q '"rcpt_tos": \["a@box.test", "b@box.test"\]' "$(ls "$TMP"/box.d/*.json | tail -1)"

# 7. MDN request for a recipient with mdn = true
enqueue "$SPOOL" "$TMP/page.tif" --rcpt mdn@box.test,mdn
deliver "$TMP/gw-ok.conf"
check "mdn: delivered" [ "$(st "$JOB" 0 state)" = delivered ]
check "mdn: Disposition-Notification-To asked" \
    grep -q '^Disposition-Notification-To: <ifaxgw@gw.test>' "$(ls "$TMP"/box.d/*.eml | tail -1)"

# 8. the notify server down when the notice falls due: owed, then sent
write_conf "$TMP/gw-down.conf" "$SPOOL" "pinned = (
    { domain = \"box.test\"; host = \"127.0.0.1:$box_PORT\"; },
    { domain = \"notify.test\"; host = \"127.0.0.1:$DEAD_PORT\"; } );"
enqueue "$SPOOL" "$TMP/page.tif" --rcpt nobody@box.test --notify ops@notify.test
JN=$JOB
before=$(count ops)
deliver "$TMP/gw-down.conf"
check "notice down: recipient failed, job held in queue/" \
    [ "$(st "$JN" 0 state) $(where "$JN")" = "failed queue" ]
check "notice down: owed after 1 attempt" \
    [ "$(st "$JN" 0 notice) $(st "$JN" 0 notice_attempts)" = "owed 1" ]
check "notice down: the reason is kept" grep -q -i 'refused' <<<"$(st "$JN" 0 notice_reply)"
check "notice down: logged as deferred" grep -q "job=$JN notice=failure .* deferred" "$TMP/deliver.err"
check "notice down: nothing sent" [ "$(count ops)" = "$before" ]
sleep 1.2
deliver "$TMP/gw.conf"
check "notice up: sent on the retry, job in failed/" \
    [ "$(st "$JN" 0 notice) $(where "$JN")" = "sent failed" ]
check "notice up: one notice arrived" [ "$(count ops)" = $((before + 1)) ]
N=$(grep -l "$JN" "$TMP"/ops.d/*.eml | head -1)
check "notice up: reason and transcript (from smtp.log) in it" "$PY" - "$N" <<'EOF'
import sys, email, email.policy
m = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.default)
assert not m.defects, m.defects
body = m.get_content()
assert '550 5.1.1 no such fax mailbox' in body, body
assert 'RCPT TO:<nobody@box.test>' in body, body
EOF

finish
