#!/usr/bin/env bash
# smtp_client against the Internet fax device peer (tests/peers/ifax_device.py):
# CONNEG in both layouts, no CONNEG, 504 -> RCPT again, malformed capability
# returned intact, DSN parameters, dot-stuffing, ifaxgw probe.
set -uo pipefail
SRC=${IFAXGW_SRC:?}; SEND=${IFAXGW_TOOLS:?}/smtp_send; PY=${PYTHON:-/usr/bin/python3}
TMP=$(mktemp -d)
. "$SRC/tests/peers/peerlib.sh"
trap 'peers_stop; rm -rf "$TMP"' EXIT
DEV="$SRC/tests/peers/ifax_device.py"

device() { # NAME ARGS...
    local name=$1; shift
    mkdir -p "$TMP/$name.d"
    peer_start "$name" "$PY" "$DEV" --save-dir "$TMP/$name.d" "$@"
}
send() { # NAME PORT ARGS... -> $TMP/NAME.res
    local name=$1 port=$2; shift 2
    "$SEND" --host "127.0.0.1:$port" --timeout 20 --transcript "$TMP/$name.log" \
        "$@" >"$TMP/$name.res" 2>"$TMP/$name.stderr"
    echo $? >"$TMP/$name.rc"
}
has() { grep -qF -- "$2" "$TMP/$1"; }
hasnt() { ! grep -qF -- "$2" "$TMP/$1"; }
rc_is() { [ "$(cat "$TMP/$1.rc")" = "$2" ]; }
# the capability lines the device sent, as smtp_send printed them
caps_of() { grep '^rcpt_text=' "$TMP/$1.res" | sed 1d | sed 's/^rcpt_text=//'; }

# 1. RFC layout: every line is "250-CONNEG <fragment>"
device rfc --preset panasonic --layout rfc
send rfc "$rfc_PORT" --to fax@ifax.test
check "rfc layout: delivered" rc_is rfc 0
check "rfc layout: CONNEG sent" has rfc.res "conneg_sent=1 conneg_refused=0"
check "rfc layout: wire has RCPT ... CONNEG" has rfc.log "> RCPT TO:<fax@ifax.test> CONNEG"
check "rfc layout: capability lines kept with their CONNEG token" \
    has rfc.res "rcpt_text=CONNEG   (MRC-mode=0)"
check "rfc layout: last line kept" has rfc.res "rcpt_text=CONNEG   (ua-media=stationery) )"
peer_stop "$rfc_PID"

# 2. Panasonic layout (seed 002): bare fragments, last line "250  (...)"
device pana --preset panasonic --layout panasonic
send pana "$pana_PORT" --to june@panasonic.test
check "panasonic layout: delivered" rc_is pana 0
caps_of pana >"$TMP/pana.caps"
"$PY" -c 'import sys; sys.path.insert(0, sys.argv[1]); import ifax_device as d; print("\n".join(d.PRESETS["panasonic"]["caps"]))' \
    "$SRC/tests/peers" >"$TMP/pana.want"
check "panasonic layout: capability text intact, line for line" cmp -s "$TMP/pana.caps" "$TMP/pana.want"
check "panasonic layout: first line is the ordinary RCPT text" \
    has pana.res "rcpt_text=<june@panasonic.test> recipient ok"
peer_stop "$pana_PID"

# 3. no CONNEG advertised: the parameter must not be sent
device plain --no-conneg
send plain "$plain_PORT" --to fax@ifax.test
check "no CONNEG: delivered" rc_is plain 0
check "no CONNEG: not sent" has plain.res "conneg_sent=0 conneg_refused=0"
check "no CONNEG: wire without the parameter" hasnt plain.log "CONNEG"
check "no CONNEG: device saw no parameter" hasnt plain.d/events.jsonl '"conneg": true'
peer_stop "$plain_PID"

# 4. CONNEG advertised, 504 to RCPT ... CONNEG: RCPT again without it
device r504 --conneg-504
send r504 "$r504_PORT" --to fax@ifax.test
check "504: delivered" rc_is r504 0
check "504: flagged refused, caps unknown" has r504.res "code=250 status=2.1.5 conneg_sent=0 conneg_refused=1"
check "504: first RCPT with CONNEG" has r504.log "> RCPT TO:<fax@ifax.test> CONNEG"
check "504: second RCPT without" grep -q '> RCPT TO:<fax@ifax.test>$' "$TMP/r504.log"
check "504: two RCPTs in one transaction" \
    [ "$(grep -c '"ev": "rcpt"' "$TMP/r504.d/events.jsonl")" = 2 ]
check "504: one MAIL only" [ "$(grep -c '"ev": "mail"' "$TMP/r504.d/events.jsonl")" = 1 ]
peer_stop "$r504_PID"

# 5. malformed capability: handed back to the caller intact
device bad --preset malformed --layout panasonic
send bad "$bad_PORT" --to fax@ifax.test
check "malformed: delivered" rc_is bad 0
check "malformed: text intact" has bad.res "rcpt_text=(&(image-coding=[MH,MR)(dpi=200"
check "malformed: second fragment intact" has bad.res "rcpt_text=  (((paper-size"
peer_stop "$bad_PID"

# 6. DSN offered: RET/ENVID on MAIL, NOTIFY/ORCPT on RCPT, xtext-encoded
device dsn --dsn
send dsn "$dsn_PORT" --to fax+1@ifax.test --envid "job 42+x"
check "dsn: delivered" rc_is dsn 0
check "dsn: MAIL parameters" has dsn.log "MAIL FROM:<gw@gw.test> SIZE="
check "dsn: RET and xtext ENVID" has dsn.log "RET=HDRS ENVID=job+2042+2Bx"
check "dsn: NOTIFY and xtext ORCPT before CONNEG" \
    has dsn.log "RCPT TO:<fax+1@ifax.test> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;fax+2B1@ifax.test CONNEG"
send nodsn "$dsn_PORT" --to fax@ifax.test --no-dsn
check "dsn off: no DSN parameters" hasnt nodsn.log "NOTIFY="
peer_stop "$dsn_PID"

# 7. dot-stuffing and CRLF normalisation: the device gets the message back
device dots --no-conneg
printf 'Subject: dots\n\n.leading dot\n..two dots\n.\nbare LF line\r\nCRLF line\rCR line\nlast line without end' >"$TMP/dots.msg"
send dots "$dots_PORT" --to fax@ifax.test --msg "$TMP/dots.msg"
check "dots: delivered" rc_is dots 0
printf 'Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nbare LF line\r\nCRLF line\r\nCR line\r\nlast line without end\r\n' >"$TMP/dots.want"
# aiosmtpd un-stuffs and keeps CRLF; original_content is the message as sent
check "dots: message arrives identical after un-stuffing" cmp -s "$TMP/dots.d/msg-1.eml" "$TMP/dots.want"
check "dots: verdict file written" test -s "$TMP/dots.d/msg-1.json"
peer_stop "$dots_PID"

# 7b. two transactions on one session, RSET between (recipients on one host)
device two --preset mh-only
send two "$two_PORT" --to fax@ifax.test --to fax2@ifax.test --repeat 2
check "session reuse: delivered" rc_is two 0
check "session reuse: one connection, one EHLO" [ "$(grep -c '> EHLO' "$TMP/two.log")" = 1 ]
check "session reuse: RSET between transactions" [ "$(grep -c '> RSET' "$TMP/two.log")" = 1 ]
check "session reuse: two messages, two recipients each" \
    "$PY" -c 'import json,sys; d=sys.argv[1]; v=[json.load(open(d+"/msg-%d.json" % i)) for i in (1,2)]; sys.exit(0 if all(len(x["rcpt"])==2 for x in v) else 1)' "$TMP/two.d"
peer_stop "$two_PID"

# 8. ifaxgw probe: shows extensions and capability, sends no message
device probe --preset mh-only
"$IFAXGW" probe fax@ifax.test --host "127.0.0.1:$probe_PORT" --timeout 20 >"$TMP/probe.out" 2>&1
echo $? >"$TMP/probe.rc"
check "probe: exit 0" rc_is probe 0
check "probe: extensions listed" has probe.out "extensions: CONNEG SIZE 8BITMIME ENHANCEDSTATUSCODES"
check "probe: capability shown with its continuation marks" has probe.out "  250-CONNEG (image-coding=MH)(dpi=204)(dpi-xyratio=[204/98,204/196])"
check "probe: the last line of the reply without one" has probe.out "  250 CONNEG (paper-size=A4)(MRC-mode=0))"
check "probe: no enhanced status said in words, not '250 -'" has probe.out "rcpt: 250 (no enhanced status)"
check "probe: no message sent" test ! -e "$TMP/probe.d/msg-1.eml"
check "probe: device saw RCPT with CONNEG" has probe.d/events.jsonl '"conneg": true'
"$IFAXGW" probe nobody@reject.test --host "127.0.0.1:$probe_PORT" --timeout 20 >"$TMP/probe2.out" 2>&1
echo $? >"$TMP/probe2.rc"
check "probe: refused recipient is permanent (exit 1)" rc_is probe2 1
check "probe: refusal shown" has probe2.out "error: permanent 5.1.1"
check "probe: parsed capability shown" has probe.out "capability (parsed): (& (image-file-structure=TIFF-minimal)"
check "probe: MH-only device gets MH" has probe.out "would send: profile S, MH"
peer_stop "$probe_PID"

# 9. probe of the seed 002 capability as printed (malformed): profile S
device seed --preset panasonic-seed --layout panasonic
"$IFAXGW" probe fax@ifax.test --host "127.0.0.1:$seed_PORT" --timeout 20 --source "MMR 204x196 A4" >"$TMP/seed.out" 2>&1
check "probe seed 002: parse error with its position" has seed.out "capability error: line 17 column"
check "probe seed 002: falls back to profile S" has seed.out "would send: profile S, MH 204x196"
peer_stop "$seed_PID"

# 11. the device's own check of what arrives (independent decoders)
mkmsg() { # CODING-FLAG OUT
    pbmmake -white 1728 100 | pnmtotiff "$1" -xresolution 204 -yresolution 196 >"$TMP/page.tif" 2>/dev/null
    "$PY" - "$TMP/page.tif" "$2" <<'PY'
import sys
from email.message import EmailMessage
m = EmailMessage()
m["From"] = "<gw@gw.test>"; m["To"] = "<fax@ifax.test>"; m["Subject"] = "fax"
m["Date"] = "Sun, 22 Nov 2026 20:00:00 +0000"; m["Message-ID"] = "<t1@gw.test>"
m.set_content("1 page")
m.add_attachment(open(sys.argv[1], "rb").read(), maintype="image", subtype="tiff",
                 params={"application": "faxbw"}, filename="fax.tif")
open(sys.argv[2], "wb").write(bytes(m))
PY
}
device chk --preset mh-only
mkmsg -g3 "$TMP/mh.eml"
send chk1 "$chk_PORT" --to fax@ifax.test --msg "$TMP/mh.eml"
check "device check: MH page to an MH device is ok" \
    "$PY" -c 'import json,sys; v=json.load(open(sys.argv[1])); sys.exit(0 if v["ok"] and v["info"]["page"][0]["coding"]=="MH" else 1)' "$TMP/chk.d/msg-1.json"
mkmsg -g4 "$TMP/mmr.eml"
send chk2 "$chk_PORT" --to fax@ifax.test --msg "$TMP/mmr.eml"
check "device check: MMR page to an MH-only device is refused" \
    "$PY" -c 'import json,sys; v=json.load(open(sys.argv[1])); sys.exit(0 if not v["ok"] and any("MMR not advertised" in p for p in v["problems"]) else 1)' "$TMP/chk.d/msg-2.json"
peer_stop "$chk_PID"
device chk3 --preset panasonic --no-conneg
send chk3 "$chk3_PORT" --to fax@ifax.test --msg "$TMP/mmr.eml"
check "device check: without CONNEG only profile S passes" \
    "$PY" -c 'import json,sys; v=json.load(open(sys.argv[1])); sys.exit(0 if not v["ok"] and not v["conneg_asked"] else 1)' "$TMP/chk3.d/msg-1.json"
peer_stop "$chk3_PID"

# 10. probe of a JBIG device with MMR source pages: JBIG chosen
device jb --preset jbig
"$IFAXGW" probe fax@ifax.test --host "127.0.0.1:$jb_PORT" --timeout 20 --source "MMR 204x196 A4" >"$TMP/jb.out" 2>&1
check "probe jbig device: JBIG chosen" has jb.out "would send: profile J, JBIG 204x196"
peer_stop "$jb_PID"

finish
