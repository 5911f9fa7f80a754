#!/usr/bin/env bash
# ctest-labels: slow
# test_deliver_faults.sh - the fault matrix through `ifaxgw deliver`: at
# each stage (connect, greeting, EHLO, MAIL, RCPT, DATA, a data block, the
# final dot) the peer (tests/peers/faulty_smtp.py) refuses, stalls past the
# timeout (2 s in this config), answers 4xx, answers 5xx, drops the
# connection, sends garbage or an endless line. Each job must end deferred
# (still queued, next try set) or failed (in failed/) as RFC 5321 says,
# never delivered, never lost; a stall or drop after the final dot is
# logged as a possible duplicate. Under ASan the run also proves no leak.
set -uo pipefail
: "${IFAXGW:?}" "${IFAXGW_SRC:?}" "${IFAXGW_TOOLS:?}"
TMP=$(mktemp -d); [ -n "${KEEP:-}" ] && echo "TMP=$TMP"
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
. "$IFAXGW_SRC/tests/integration/deliver_common.sh"
trap 'peers_stop; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
FAULTY="$IFAXGW_SRC/tests/peers/faulty_smtp.py"

SPOOL=$TMP/spool
make_page "$TMP/page.tif" 204 98

# expected outcome: permanent only for a 5xx to MAIL, RCPT, DATA or the dot
# (a 5xx greeting or EHLO moves on to the next host like a temporary one)
expect() { # STAGE FAULT -> failed | deferred | any
    case "$1:$2" in
    mail:5xx | rcpt:5xx | data:5xx | dot:5xx) echo failed ;;
    block:5xx) echo any ;; # the 554 comes mid-body: read or write error
    *) echo deferred ;;
    esac
}

i=0
for stage in connect greeting ehlo mail rcpt data block dot; do
    if [ "$stage" = connect ]; then faults="refuse stall"
    else faults="stall 4xx 5xx drop garbage endless"; fi
    for fault in $faults; do
        i=$((i + 1))
        name=f$i
        peer_start "$name" "$PY" "$FAULTY" --stage "$stage" --fault "$fault" || {
            check "$stage/$fault: peer started" false; continue; }
        port_var=${name}_PORT
        write_conf "$TMP/$name.conf" "$SPOOL" \
            "pinned = ( { domain = \"c$i.test\"; host = \"127.0.0.1:${!port_var}\"; } );"
        sed -i -E 's/(connect|greeting|ehlo|starttls|mail|rcpt|data|block|dot|rset|quit) = [0-9]+;/\1 = 2;/g' \
            "$TMP/$name.conf"
        enqueue "$SPOOL" "$TMP/page.tif" --rcpt "fax@c$i.test"
        job=$JOB
        deliver "$TMP/$name.conf"
        rc=$?
        pid_var=${name}_PID
        peer_stop "${!pid_var}"
        state=$(meta "$SPOOL" "$job" "m['recipients'][0]['state']")
        dir=none
        for s in queue failed done; do [ -d "$SPOOL/$s/$job" ] && dir=$s; done
        want=$(expect "$stage" "$fault")
        case "$want:$state:$dir" in
        deferred:deferred:queue | failed:failed:failed | any:deferred:queue | any:failed:failed)
            ok=true ;;
        *) ok=false ;;
        esac
        check "$stage/$fault: $want (got $state in $dir/, exit $rc)" $ok
        if [ "$stage" = dot ] && { [ "$fault" = stall ] || [ "$fault" = drop ]; }; then
            check "$stage/$fault: logged as a possible duplicate" \
                grep -q 'possible duplicate' "$TMP/deliver.err"
        fi
        if [ "$state" = deferred ]; then
            check "$stage/$fault: next try set" \
                [ "$(meta "$SPOOL" "$job" "m['recipients'][0]['next_try_ms'] > 0")" = True ]
        fi
    done
done
check "no job lost: every job is in queue/ or failed/" \
    [ "$(ls "$SPOOL/queue" "$SPOOL/failed" | grep -c '^2')" = "$i" ]
finish
