#!/usr/bin/env bash
# ctest-labels: slow
# test_contrib_hylafax_e2e - a fax received by a real HylaFAX reaches an
# Internet fax device through contrib/hylafax and `ifaxgw submit`:
#   SpanDSP sender (ifaxgw-vline --send, caller ID 4930555 "ACME", dials
#   100, TSI "+49 30 1234567", 2 pages)  -> virtual line ->  HylaFAX's
#   faxgetty (private spool, tests/peers/hylafax.sh) receives; its
#   FaxRcvdCmd is bin/faxrcvd-ifaxgw installed as contrib/hylafax/README.md
#   says, run by faxgetty as HylaFAX's user (uucp); the hook runs `ifaxgw
#   submit` into the spool of a running `ifaxgw run`, whose route for the
#   called number 100 delivers to tests/peers/ifax_device.py.
# Asserts: HylaFAX received the 2 pages with the caller ID and DID; the
# hook logged the queued job in the spool's log/ifaxgw-submit (faxgetty
# runs it in the background and discards its output); the device got one
# message, valid, whose subject carries the CSID, caller and called number
# as HylaFAX gave them, 2 pages, each pixel-identical to what was sent
# (the mailed TIFF decoded by jbigkit's jbgtopbm when JBIG, else libtiff);
# the job's meta has the same call data; the fax stays in HylaFAX's recvq/.
# Then the gateway's spool is made unwritable for uucp and a second fax is
# sent: the hook logs the failure and why, nothing is queued, the fax stays
# in recvq/, no second message. ~3.5 min (two 2-page calls in real time).
# A hook that never writes its log line hangs the test until ctest's
# TIMEOUT (no test fails on time).
set -euo pipefail
: "${IFAXGW:?}" "${IFAXGW_SRC:?}" "${IFAXGW_BUILD:?}"
TMP=$(mktemp -d)
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
. "$IFAXGW_SRC/tests/integration/system_common.sh"
. "$IFAXGW_SRC/tests/peers/hylafax.sh"
VLINE=
cleanup() {
    local rc=$?
    set +e
    if [ $rc -ne 0 ]; then
        echo "--- failed: logs"
        cat "$TMP/vline.log"
        hylafax_logs 2>/dev/null | tail -n 150
        tail -n 40 "$TMP/gw.log"
    fi
    hylafax_stop
    chmod 0750 "$TMP/spool/incoming" 2>/dev/null
    [ -n "$VLINE" ] && { kill "$VLINE" 2>/dev/null; wait "$VLINE" 2>/dev/null; }
    sys_cleanup
}
trap cleanup EXIT
TSI="+49 30 1234567"

# what the far end sends: 2 fine A4 pages, MH (the SpanDSP sender codes them)
gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=tiffg3 -r204x196 -sPAPERSIZE=a4 \
    -dFIXEDMEDIA -dLastPage=2 -sOutputFile="$TMP/doc.tif" "$IFAXGW_SRC/tests/data/t30/doc.ps"

# the gateway, run as HylaFAX's user (README.md: "ifaxgw and HylaFAX as
# one user"), routing the called number 100 to the device
sys_device dev
spool=$TMP/spool
chmod 755 "$TMP"
# uucp runs the gateway and the hook's submit: nothing they need may lie
# where only root can reach (a checkout under /root, as in a fresh
# Debian): their own copies of the binary and of LeakSanitizer's
# suppressions, in $TMP
install -m 755 "$IFAXGW" "$TMP/ifaxgw"
IFAXGW=$TMP/ifaxgw
if [[ "${LSAN_OPTIONS:-}" =~ suppressions=([^:]+) ]]; then
    install -m 644 "${BASH_REMATCH[1]}" "$TMP/lsan.supp"
    export LSAN_OPTIONS=${LSAN_OPTIONS/"${BASH_REMATCH[1]}"/$TMP/lsan.supp}
fi
mkdir -m 750 "$spool"
chown uucp:uucp "$spool"
sys_conf "$TMP/gw.conf" "$spool" "" \
    "{ name = \"did100\"; match = { called = [ \"100\" ]; };
       recipients = ( { address = \"fax@ifax.test\"; host = \"127.0.0.1:$dev_PORT\"; } );
       subject = \"Fax from [\${csid}] caller [\${caller}] to [\${called}] (\${pages} pages)\"; },
     { name = \"default\"; recipients = ( { address = \"other@ifax.test\"; host = \"127.0.0.1:1\"; } ); }"
chmod 644 "$TMP/gw.conf"
touch "$TMP/gw.log"
setpriv --reuid=uucp --regid=uucp --init-groups "$IFAXGW" run -c "$TMP/gw.conf" 2>>"$TMP/gw.log" &
GW_PID=$!
gw_wait_log "ifaxgw running"

# the virtual line: A is HylaFAX's modem (a basename of its own: HylaFAX
# locks /var/lock/LCK..<basename>), B the SpanDSP sender, which calls A
# again 10 s after each call ends: two faxes, then it is stopped
A=$TMP/hfeA$$
"$IFAXGW_BUILD/ifaxgw-vline" --a "$A" --send "$TMP/doc.tif" --tsi "$TSI" \
    --number-a 100 --number-b 4930555 --name-b ACME >"$TMP/vline.log" 2>&1 &
VLINE=$!
until grep -q ready "$TMP/vline.log"; do
    kill -0 "$VLINE" || exit 1
    sleep 0.1
done

# HylaFAX: caller ID and DID from the modem's RING (NMBR=, NAME=, NDID=),
# the hook installed as contrib/hylafax/README.md says. The hook gets
# nothing from the test's environment (a faxgetty started by init has
# none of it): IFAXGW and IFAXGW_CONF come from the spool's etc/.
export -n IFAXGW
mkdir "$TMP/hylafax"
hylafax_start "$TMP/hylafax" "$A" \
    'ModemResetCmds: "AT+VCID=1"' \
    'RingsBeforeAnswer: 1' \
    'CallIDPattern: "NMBR="' \
    'CallIDPattern: "NAME="' \
    'CallIDPattern: "NDID="' \
    'FaxRcvdCmd: bin/faxrcvd-ifaxgw'
HS=$HYLAFAX_SPOOL
install -m 755 "$IFAXGW_SRC/contrib/hylafax/faxrcvd-ifaxgw" "$HS/bin/faxrcvd-ifaxgw"
printf 'IFAXGW=%q\nIFAXGW_CONF=%q\n' "$IFAXGW" "$TMP/gw.conf" >"$HS/etc/faxrcvd-ifaxgw.conf"

until_alive() { # CONDITION: poll while the gateway, vline and HylaFAX live
    local p
    until eval "$1"; do
        for p in "$GW_PID" "$VLINE" "${HYLAFAX_PIDS[@]}"; do
            kill -0 "$p" 2>/dev/null || { echo "a process died waiting for: $1" >&2; return 1; }
        done
        sleep 0.2
    done
}

# the hook's line for a commid in its log (HylaFAX runs the hook in the
# background and discards its output)
hooked() { grep -q "commid $1)" "$HS/log/ifaxgw-submit" 2>/dev/null; }

# 1. the first fax: received, handed over, delivered
until_alive 'hooked 000000001'
wait_settled "$spool"
# the second call must find the gateway's spool unwritable for uucp
chmod 0555 "$spool/incoming"
cat "$HS/log/ifaxgw-submit"
check "the hook logged the queued job" grep -q 'commid 000000001): .*queued job ' "$HS/log/ifaxgw-submit"
check "HylaFAX received 2 pages from the sender's TSI, caller ID and DID" \
    grep -q $'\tRECV\t000000001\t.*\t"+49 30 1234567"\t[0-9]*\t2\t.*\t"ACME"\t"4930555"\t"100"' "$HS/log/xferfaxlog"
check "the fax stays in HylaFAX's recvq/" test -s "$HS/recvq/fax000000001.tif"
check "the job was delivered (done/)" bash -c "ls '$spool/done' | grep -q ."
id=$(ls "$spool/done" | head -n 1)
check "the job has the CSID, caller and called number HylaFAX gave, route did100, 2 pages, not partial" \
    "$SYS_PY" -c 'import json,sys; m=json.load(open(sys.argv[1]))
sys.exit(0 if (m["csid"], m["caller"], m["called"], m["route"], m["pages"], m["partial"]) == ("+49 30 1234567", "4930555", "100", "did100", 2, False) else 1)' \
    "$spool/done/$id/meta.json"
"$SYS_PY" - "$TMP/dev.d/msg-1.eml" "$TMP/got.tif" <<'PY'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print("subject:", m["subject"])
tifs = [p for p in m.walk() if p.get_content_type() == "image/tiff"]
assert len(tifs) == 1, [p.get_content_type() for p in m.walk()]
open(sys.argv[2], "wb").write(tifs[0].get_payload(decode=True))
PY
check "the device got the message" test -f "$TMP/dev.d/msg-1.json"
check "the device: one valid message with the fax's 2 pages" "$SYS_PY" -c '
import json, sys
v = json.load(open(sys.argv[1]))
sys.exit(0 if v["ok"] and len(v["info"]["page"]) == 2 else 1)' "$TMP/dev.d/msg-1.json"
check "the subject carries CSID, caller and called number" \
    grep -q '^Subject: Fax from \[+49 30 1234567\] caller \[4930555\] to \[100\] (2 pages)' "$TMP/dev.d/msg-1.eml"
# each page at the device against what the sender sent, pixel for pixel
# (page_check.py): the sent MH through libtiff; the delivered JBIG
# (TIFF-FX compression 9, which libtiff does not decode: each page's strips
# hold its whole BIE) through jbigkit's jbgtopbm, any other coding libtiff's
PC="$IFAXGW_SRC/tests/integration/page_check.py"
tiffcp -c none "$TMP/doc.tif" "$TMP/want.tif"
if [ "$("$SYS_PY" "$PC" info "$TMP/got.tif" | awk '{print $5}' | sort -u)" = 9 ]; then
    mkdir -p "$TMP/strips"
    "$SYS_PY" "$PC" strips "$TMP/got.tif" "$TMP/strips"
    for p in 0 1; do jbgtopbm "$TMP/strips/p$p.bin" "$TMP/got$p.pbm"; done
    check "both pages at the device pixel-identical to what the sender sent (JBIG, jbgtopbm)" \
        "$SYS_PY" "$PC" same-pbm "$TMP/want.tif" "$TMP/got0.pbm" "$TMP/got1.pbm"
else
    tiffcp -c none "$TMP/got.tif" "$TMP/got-none.tif"
    check "both pages at the device pixel-identical to what the sender sent (libtiff)" \
        "$SYS_PY" "$PC" same "$TMP/want.tif" "$TMP/got-none.tif"
fi

# 2. the second fax, the spool unwritable: the hook fails, HylaFAX keeps it
until_alive 'hooked 000000002'
kill "$VLINE"; wait "$VLINE" 2>/dev/null || true; VLINE=
cat "$HS/log/ifaxgw-submit"
check "second fax: received by HylaFAX and kept in recvq/" test -s "$HS/recvq/fax000000002.tif"
check "second fax: the hook logged that submit failed, and why" \
    grep -q 'faxrcvd-ifaxgw: recvq/fax000000002.tif (device .*, commid 000000002): ifaxgw submit failed (1): .*ermission denied' \
    "$HS/log/ifaxgw-submit"
check "second fax: nothing queued" spool_settled "$spool"
check "second fax: no second message at the device, one job done" \
    bash -c "[ ! -e '$TMP/dev.d/msg-2.eml' ] && [ \$(ls '$spool/done' | wc -l) = 1 ]"
finish
