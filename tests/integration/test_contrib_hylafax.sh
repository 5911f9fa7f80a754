#!/usr/bin/env bash
# test_contrib_hylafax - the HylaFAX hand-off examples of contrib/hylafax run
# as HylaFAX runs them: in a spool-like directory, on a received-fax-like
# TIFF (MH, FillOrder 2, 1728x2292 at 204x196, two pages, the sender's TSI
# in ImageDescription as faxgetty writes it), with faxrcvd's arguments
# (FILE DEVID COMMID ERROR-MSG CIDNUMBER CIDNAME DESTINATION) for the
# FaxRcvdCmd script, and with faxrcvd's variables for the FaxDispatch
# snippet (sourced by bash, as bin/faxrcvd does). Each must queue one job
# with the CSID, caller and called number, routed by the called number,
# pages equal to the source (decoded by tiffcp); a hostile CSID stays text;
# a file that is no fax is refused with a non-zero exit and no job.
# Needs no HylaFAX daemon (faxinfo, from hylafax-server, if installed).
set -u
: "${IFAXGW:?}" "${IFAXGW_SRC:?}"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
PY=${PYTHON:-/usr/bin/python3}
PC="$IFAXGW_SRC/tests/integration/page_check.py"
HOOK="$IFAXGW_SRC/contrib/hylafax/faxrcvd-ifaxgw"
DISPATCH="$IFAXGW_SRC/contrib/hylafax/FaxDispatch"
spool=$TMP/spool
cat >"$TMP/gw.conf" <<CONF
gateway: { spool = "$spool"; };
routes = (
  { name = "did100"; match = { called = [ "100" ]; };
    recipients = ( { address = "sales@ifax.test"; host = "127.0.0.1:2602"; } ); },
  { name = "default"; recipients = ( "other@ifax.test" ); }
);
CONF

# the received fax, as HylaFAX's recvq holds it
hf=$TMP/hylafax
mkdir -p "$hf/recvq" "$hf/log" "$hf/etc"
printf '%%!PS\n/Courier findfont 12 scalefont setfont 72 700 moveto (received by HylaFAX) show showpage\n72 500 moveto (page 2) show showpage\n' >"$TMP/doc.ps"
gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=pbmraw -r204x196 -g1728x2292 \
    -sOutputFile="$TMP/p-%d.pbm" "$TMP/doc.ps"
for n in 1 2; do
    pnmtotiff -g4 -xresolution 204 -yresolution 196 "$TMP/p-$n.pbm" >"$TMP/p$n.tif" 2>/dev/null
done
tiffcp "$TMP/p1.tif" "$TMP/p2.tif" "$TMP/g4.tif"
tiffcp -c g3:1d:fill -f lsb2msb "$TMP/g4.tif" "$hf/recvq/fax000000042.tif"
tiffset -s 270 "+49 30 1234567" "$hf/recvq/fax000000042.tif"
cp "$hf/recvq/fax000000042.tif" "$hf/recvq/fax000000043.tif"
tiffset -s 270 '$(touch pwned) "x' "$hf/recvq/fax000000043.tif"
echo "not a fax" >"$hf/recvq/fax000000044.tif"

jobs_now() { ls "$spool/queue" 2>/dev/null | grep -c '^[0-9]' || true; }
newest() { ls "$spool/queue" | sort | tail -n 1; } # ids sort by creation time
meta() { # ID PYTHON-EXPR(m)
    "$PY" -c 'import json,sys; m=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
        "$spool/queue/$1/meta.json" "$2"
}

# 1. FaxRcvdCmd: bin/faxrcvd-ifaxgw FILE DEVID COMMID ERROR-MSG CALLID1..3
(cd "$hf" && IFAXGW="$IFAXGW" IFAXGW_CONF="$TMP/gw.conf" \
    "$HOOK" recvq/fax000000042.tif ttyACM0 000000042 "" 5551234 "ACME Corp" 100) \
    >"$TMP/h1.out" 2>"$TMP/h1.err"
check "FaxRcvdCmd hook: exit 0" [ $? -eq 0 ]
id=$(newest)
check "FaxRcvdCmd hook: one job queued" [ "$(jobs_now)" = 1 ]
check "FaxRcvdCmd hook: CSID from the TIFF, caller and DID from the arguments" \
    meta "$id" 'm["csid"] == "+49 30 1234567" and m["caller"] == "5551234" and m["called"] == "100"'
check "FaxRcvdCmd hook: routed by the called number" \
    meta "$id" 'm["route"] == "did100" and m["recipients"][0]["host"] == "127.0.0.1:2602"'
tiffcp -c none "$spool/queue/$id/pages.tif" "$TMP/h1.tif"
check "FaxRcvdCmd hook: the two pages as received (pixels)" \
    "$PY" "$PC" same-pbm "$TMP/h1.tif" "$TMP/p-1.pbm" "$TMP/p-2.pbm"

# 2. a hostile CSID: stays one argument, stored as text
(cd "$hf" && IFAXGW="$IFAXGW" IFAXGW_CONF="$TMP/gw.conf" \
    "$HOOK" recvq/fax000000043.tif ttyACM0 000000043 "" 5551234 "" 200) \
    >"$TMP/h2.out" 2>"$TMP/h2.err"
check "hostile CSID: queued" [ $? -eq 0 ] 
id=$(newest)
check "hostile CSID: stored as sent" meta "$id" "m['csid'] == '\$(touch pwned) \"x' and m['route'] == 'default'"
check "hostile CSID: nothing ran" bash -c "! ls '$hf/pwned' '$TMP/pwned' 2>/dev/null"

# 3. not a fax: refused, said on stderr, no job
n=$(jobs_now)
(cd "$hf" && IFAXGW="$IFAXGW" IFAXGW_CONF="$TMP/gw.conf" \
    "$HOOK" recvq/fax000000044.tif ttyACM0 000000044 "" "" "" "") \
    >"$TMP/h3.out" 2>"$TMP/h3.err"
check "a file that is no fax: non-zero exit" [ $? -ne 0 ]
check "a file that is no fax: the reason on stderr" grep -q "not a document" "$TMP/h3.err"
check "a file that is no fax: the hook names the file and device" \
    grep -q "faxrcvd-ifaxgw: recvq/fax000000044.tif (device ttyACM0" "$TMP/h3.err"
check "a file that is no fax: no job" [ "$(jobs_now)" = "$n" ]

# 3a. ERROR-MSG set (the call failed part-way): the pages kept, marked partial
(cd "$hf" && IFAXGW="$IFAXGW" IFAXGW_CONF="$TMP/gw.conf" \
    "$HOOK" recvq/fax000000042.tif ttyACM0 000000046 "RSPREC error/got EOT" 5551234 "" 100) \
    >"$TMP/h5.out" 2>"$TMP/h5.err"
check "ERROR-MSG: the pages queued, marked partial with HylaFAX's reason" \
    meta "$(newest)" 'm["partial"] and m["partial_reason"] == "HylaFAX: RSPREC error/got EOT" and m["pages"] == 2'

# 3b. without faxinfo (HylaFAX+ elsewhere, or no hylafax-server here): the
# CSID from tiffinfo's ImageDescription
n=$(jobs_now)
(cd "$hf" && PATH=/usr/bin:/bin IFAXGW="$IFAXGW" IFAXGW_CONF="$TMP/gw.conf" \
    "$HOOK" recvq/fax000000042.tif ttyACM1 000000045 "" 5551234 "" 100) \
    >"$TMP/h4.out" 2>"$TMP/h4.err"
check "without faxinfo: queued" [ "$(jobs_now)" = $((n + 1)) ]
check "without faxinfo: the CSID from the TIFF all the same" meta "$(newest)" 'm["csid"] == "+49 30 1234567"'

# 4. FaxDispatch, sourced by bash in the spool as bin/faxrcvd does
(cd "$hf" && FILE=recvq/fax000000042.tif DEVICE=ttyACM0 COMMID=000000042 MSG= \
    CIDNUMBER=5550000 CIDNAME= DESTINATION=100 SENDER="+49 30 1234567" \
    IFAXGW="$IFAXGW" IFAXGW_CONF="$TMP/gw.conf" bash -c ". '$DISPATCH'") \
    >"$TMP/d.out" 2>"$TMP/d.err"
check "FaxDispatch: a job queued" [ "$(jobs_now)" = 5 ]
id=$(newest)
check "FaxDispatch: CSID, caller, DID and route; not partial" \
    meta "$id" 'm["csid"] == "+49 30 1234567" and m["caller"] == "5550000" and m["called"] == "100" and m["route"] == "did100" and not m["partial"]'
check "FaxDispatch: ifaxgw's output in log/ifaxgw-submit" grep -q "^queued job $id" "$hf/log/ifaxgw-submit"
finish
