#!/usr/bin/env bash
# ctest-labels: slow
# Fault matrix for smtp_client: at each stage (connect, greeting, EHLO, MAIL,
# RCPT, DATA, a data block, the final dot) tests/peers/faulty_smtp.py
# refuses, stalls past the timeout (1 s here), answers 4xx or 5xx, drops the
# connection, sends garbage or an endless line. Each case must end with the
# right class (temporary/permanent), a timeout or drop after "." must be
# flagged "possible duplicate", and the session must be freed (the ASan build
# runs the same driver: a leak or a bad access fails the case).
set -uo pipefail
SRC=${IFAXGW_SRC:?}; SEND=${IFAXGW_TOOLS:?}/smtp_send; PY=${PYTHON:-/usr/bin/python3}
TMP=$(mktemp -d)
. "$SRC/tests/peers/peerlib.sh"
trap 'peers_stop; rm -rf "$TMP"' EXIT

# stage fault expected-class [expected possible_duplicate]
cases="
connect refuse temporary
connect stall temporary
greeting stall temporary
greeting 4xx temporary
greeting 5xx permanent
greeting drop temporary
greeting garbage temporary
greeting endless temporary
"
for st in ehlo mail rcpt data; do
    cases+="
$st stall temporary
$st 4xx temporary
$st 5xx permanent
$st drop temporary
$st garbage temporary
$st endless temporary"
done
cases+="
block stall temporary
block 4xx temporary
block 5xx temporary
block drop temporary
block garbage temporary
block endless temporary
dot stall temporary 1
dot 4xx temporary 0
dot 5xx permanent 0
dot drop temporary 1
dot garbage temporary 1
dot endless temporary 1
"

run_case() { # stage fault class [dup]
    local st=$1 f=$2 cls=$3 dup=${4:-} name="f_${1}_${2}" size=2000 rc
    peer_start "$name" "$PY" "$SRC/tests/peers/faulty_smtp.py" --stage "$st" --fault "$f" || {
        check "$st/$f: peer started" false; return; }
    # a data block only blocks once the socket buffers are full
    [ "$st" = block ] && size=40000000
    local port_var="${name}_PORT" pid_var="${name}_PID"
    "$SEND" --to fax@faulty.test --host "127.0.0.1:${!port_var}" --timeout 1 \
        --size "$size" --transcript "$TMP/$name.log" >"$TMP/$name.res" 2>"$TMP/$name.err"
    rc=$?
    peer_stop "${!pid_var}"
    local want_rc=3
    [ "$cls" = permanent ] && want_rc=1
    check "$st/$f: ends $cls (exit $want_rc, got $rc)" \
        grep -q "^result=$cls " "$TMP/$name.res"
    check "$st/$f: clean exit, no sanitizer report" \
        bash -c "[ $rc = $want_rc ] && ! grep -qE 'Sanitizer|leak' '$TMP/$name.err'"
    if [ -n "$dup" ]; then
        check "$st/$f: possible_duplicate=$dup" grep -q "possible_duplicate=$dup" "$TMP/$name.res"
    fi
    if [ "$rc" != "$want_rc" ] || [ "$FAIL" -gt 0 ]; then
        sed 's/^/    /' "$TMP/$name.res" "$TMP/$name.err" | head -20
    fi
}

while read -r st f cls dup; do
    [ -n "$st" ] || continue
    run_case "$st" "$f" "$cls" "$dup"
done <<<"$cases"

# An RFC 821 server: 502 to EHLO, HELO works; no extension, no CONNEG.
peer_start old "$PY" "$SRC/tests/peers/faulty_smtp.py" --stage dot --fault 4xx --no-ehlo
"$SEND" --to fax@faulty.test --host "127.0.0.1:$old_PORT" --timeout 5 --transcript "$TMP/old.log" >"$TMP/old.res" 2>&1
check "HELO fallback: session opened with no extensions" grep -q 'ext=0x00' "$TMP/old.res"
check "HELO fallback: no CONNEG, no SIZE sent" bash -c "! grep -qE 'CONNEG|SIZE=' '$TMP/old.log'"
check "HELO fallback: went through to the dot (451 there)" grep -q 'data=451' "$TMP/old.res"

# The transcript of a dot timeout says so; a 5xx EHLO was retried as HELO.
check "transcript: HELO fallback after 5xx to EHLO" grep -q '> HELO gw.test' "$TMP/f_ehlo_5xx.log"
check "transcript: timestamps and directions" \
    grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z > MAIL FROM:<gw@gw.test>' "$TMP/f_dot_stall.log"
check "transcript: hostile garbage escaped" grep -qF 'this is not smtp \x00\xff' "$TMP/f_mail_garbage.log"
check "error text: possible duplicate named" grep -q 'text=possible duplicate' "$TMP/f_dot_stall.res"
finish
