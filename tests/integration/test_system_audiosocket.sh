#!/usr/bin/env bash
# ctest-labels: slow
# test_system_audiosocket - Asterisk AudioSocket calls through the real
# daemon (`ifaxgw run` with a kind = "audiosocket" line): tests/tools/
# audiosocket_call is a live SpanDSP sender speaking the AudioSocket
# protocol over TCP. One announced call (`ifaxgw announce`: caller and
# called reach the route and the job), then 8 calls at once (lockstep,
# 100 ms and 500 ms of frames sent ahead of the gateway's answers), each
# delivered to an Internet fax device (tests/peers/ifax_device.py) with
# pages pixel-identical to tests/data/t30/doc3.tif (decoded by tiffcp,
# compared by page_check.py). Hostile peers (no UUID, an unknown frame
# type, a length past the payload, a 65535-byte length with 1 MB behind
# it, a silent call, more connections than max_calls) are ended and
# logged while 2 good calls go through untouched. A call hung up during
# page 2 leaves a partial job with page 1.
set -euo pipefail
: "${IFAXGW:?}" "${IFAXGW_TOOLS:?}" "${IFAXGW_SRC:?}"
TMP=$(mktemp -d)
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
. "$IFAXGW_SRC/tests/integration/system_common.sh"
trap sys_cleanup EXIT

PC="$IFAXGW_SRC/tests/integration/page_check.py"
DOC="$IFAXGW_SRC/tests/data/t30/doc3.tif"
CALL="$IFAXGW_TOOLS/audiosocket_call"
aport=$("$SYS_PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sys_device dev --preset mh-only # MH: decodable by tiffcp, pixels kept
spool=$TMP/spool
sys_conf "$TMP/gw.conf" "$spool" \
    "{ name = \"as0\"; kind = \"audiosocket\"; port = $aport; max_calls = 8; timeout_s = 3; station_id = \"+1 555 0199\"; }" \
    "{ name = \"did100\"; match = { called = [ \"100\" ]; };
       recipients = ( { address = \"fax@ifax.test\"; host = \"127.0.0.1:$dev_PORT\"; } );
       subject = \"Fax from \${caller} to \${called}\"; },
     $(sys_route fax "$dev_PORT")"
"$IFAXGW" check-config -c "$TMP/gw.conf" >"$TMP/cc.out"
check "check-config shows the audiosocket line" grep -q "line as0: audiosocket 127.0.0.1 port $aport, 8 calls at once" "$TMP/cc.out"
gw_start "$TMP/gw.conf"
gw_wait_log "ifaxgw running"
gw_wait_log "audiosocket listening"

uuid() { "$SYS_PY" -c 'import uuid; print(uuid.uuid4())'; }
tiffcp -c none "$DOC" "$TMP/doc.tif"

# pages of every delivered message equal to the document sent
delivered_same() { # N: N messages at the device, each the whole document
    local n=0 m
    for m in "$TMP"/dev.d/msg-*.eml; do
        "$SYS_PY" - "$m" "$TMP/got.tif" <<'PY' || return 1
import email, email.policy, sys
msg = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
tifs = [p.get_content() for p in msg.walk() if p.get_content_type() == "image/tiff"]
assert len(tifs) == 1, "%s: %d TIFF parts" % (sys.argv[1], len(tifs))
open(sys.argv[2], "wb").write(tifs[0])
PY
        tiffcp -c none "$TMP/got.tif" "$TMP/got-raw.tif" 2>/dev/null || return 1
        "$SYS_PY" "$PC" same "$TMP/doc.tif" "$TMP/got-raw.tif" || { echo "$m differs"; return 1; }
        n=$((n + 1))
    done
    [ "$n" -eq "$1" ] || { echo "$n messages, not $1"; return 1; }
}
msgs() { ls "$TMP"/dev.d/msg-*.eml 2>/dev/null | wc -l; }

# announcements: hostile values and names refused, nothing written
rc=0; "$IFAXGW" announce -c "$TMP/gw.conf" --caller "$(printf '1\n2')" "$(uuid)" 2>/dev/null || rc=$?
check "announce: a control character is refused (exit 2)" test "$rc" -eq 2
rc=0; "$IFAXGW" announce -c "$TMP/gw.conf" --caller 1 "../../etc/x" 2>/dev/null || rc=$?
check "announce: not a UUID is refused (exit 2)" test "$rc" -eq 2
check "announce: nothing written for either" test -z "$(ls -A "$spool/announce" 2>/dev/null)"

# 1. one announced call
u=$(uuid)
"$IFAXGW" announce -c "$TMP/gw.conf" --caller 4930555 --called 100 --name "ACME GmbH" "$u"
check "the announcement is waiting in the spool" test -f "$spool/announce/$u"
"$CALL" -u "$u" 127.0.0.1 "$aport" "$DOC" >"$TMP/c1.out" || true
cat "$TMP/c1.out"
check "call 1: the sender's T.30 ended OK, 3 pages confirmed" grep -q "sender_code=0 confirmed=3" "$TMP/c1.out"
check "call 1: the gateway hung up with its frame" grep -q "end=gateway" "$TMP/c1.out"
check "the announcement was taken" test ! -e "$spool/announce/$u"
wait_for 60 sh -c "[ \$(ls '$TMP'/dev.d/msg-*.json 2>/dev/null | wc -l) -ge 1 ]" || true
check "call 1: delivered by the did100 route (the announced called number)" \
    grep -q '"subject": "Fax from 4930555 to 100"' "$TMP"/dev.d/msg-*.json
check "call 1: pixel-identical at the device" delivered_same 1
check "call 1: logged with its UUID" grep -q "line=as0 call=$u .*call ended: ok, 3 pages" "$TMP/gw.log"

# 2. eight calls at once; frames sent ahead of the gateway's answers:
# lockstep (1), a PBX's jitter buffer (5, the default) and the gateway's
# batch bound (25 = 500 ms: a whole read's worth, every answer queued)
ahead=(x 1 5 5 5 5 5 5 25)
pids=()
for i in 1 2 3 4 5 6 7 8; do
    u=$(uuid)
    "$IFAXGW" announce -c "$TMP/gw.conf" --caller "55500$i" --called 100 "$u"
    "$CALL" -a "${ahead[$i]}" -u "$u" -i "+1 555 010$i" 127.0.0.1 "$aport" "$DOC" >"$TMP/m$i.out" &
    pids+=($!)
done
ok8=0
for p in "${pids[@]}"; do wait "$p" && ok8=$((ok8 + 1)); done
cat "$TMP"/m*.out
check "8 concurrent calls: all 8 senders ended OK with 3 pages" \
    test "$(grep -l 'sender_code=0 confirmed=3' "$TMP"/m*.out | wc -l)" -eq 8
wait_for 120 sh -c "[ \$(ls '$TMP'/dev.d/msg-*.json 2>/dev/null | wc -l) -ge 9 ]" || true
check "8 concurrent calls: 9 messages, every one pixel-identical" delivered_same 9
check "the 8 calls were on the line at once (call log: every start before every end)" \
    "$SYS_PY" - "$spool/calls" <<'PY'
import glob, json, os, sys
cs = [json.load(open(p)) for p in glob.glob(os.path.join(sys.argv[1], "*.json"))]
cs = [c for c in cs if str(c.get("caller_id", "")).startswith("55500")]
assert len(cs) == 8, len(cs)
assert max(c["start_ms"] for c in cs) < min(c["end_ms"] for c in cs), cs
PY

# 3. hostile peers while two good calls run
hpids=()
for mode in nouuid badtype overlen mega silent; do
    "$CALL" -H "$mode" 127.0.0.1 "$aport" "$DOC" >"$TMP/h-$mode.out" &
    hpids+=($!)
done
g1=$(uuid); g2=$(uuid)
"$CALL" -u "$g1" 127.0.0.1 "$aport" "$DOC" >"$TMP/g1.out" &
gp1=$!
"$CALL" -u "$g2" 127.0.0.1 "$aport" "$DOC" >"$TMP/g2.out" &
gp2=$!
for p in "${hpids[@]}"; do wait "$p" || true; done
for mode in nouuid badtype overlen mega silent; do
    check "hostile $mode: the gateway ended it" grep -Eq "end=(ended|reset)" "$TMP/h-$mode.out"
done
wait "$gp1" || true
wait "$gp2" || true
check "the good calls beside the hostile ones: both OK" \
    test "$(grep -l 'sender_code=0 confirmed=3' "$TMP/g1.out" "$TMP/g2.out" | wc -l)" -eq 2
check "no UUID: logged" grep -q "line=as0 peer=.* call ended before answering: first frame type 0x10" "$TMP/gw.log"
check "bad type: logged" grep -q "malformed frame: type 0x42" "$TMP/gw.log"
check "1 MB length: logged" grep -q "malformed frame: length 65535 over" "$TMP/gw.log"
check "length past the payload, then silence: ended by the timeout" grep -q "no frame for 3 s" "$TMP/gw.log"

# flood: 8 silent connections hold every slot; the 9th is refused at once
fpids=()
for i in 1 2 3 4 5 6 7 8; do
    "$CALL" -H flood 127.0.0.1 "$aport" "$DOC" >"$TMP/f$i.out" &
    fpids+=($!)
done
sleep 1
"$CALL" -H flood 127.0.0.1 "$aport" "$DOC" >"$TMP/f9.out" || true
check "flood: a connection past max_calls is refused and logged" grep -q "refused: already 8 calls (max_calls)" "$TMP/gw.log"
for p in "${fpids[@]}"; do wait "$p" || true; done
check "flood: the silent connections were ended by the timeout" \
    test "$(grep -lE 'end=(ended|reset)' "$TMP"/f*.out | wc -l)" -eq 9

# 4. hang-up during page 2: a partial job with page 1
u=$(uuid)
"$IFAXGW" announce -c "$TMP/gw.conf" --caller 4930999 --called 100 "$u"
"$CALL" -u "$u" -k 1 -d 4000 127.0.0.1 "$aport" "$DOC" >"$TMP/k.out" || true
cat "$TMP/k.out"
check "the cut call hung up after page 1" grep -q "confirmed=1 .*end=hungup" "$TMP/k.out"
gw_wait_log "line=as0 call=$u .*call ended: partial, 1 pages"
check "the cut call: partial, 1 page" grep -q "line=as0 call=$u .*call ended: partial, 1 pages" "$TMP/gw.log"
wait_settled "$spool"
check "the partial job is marked partial with 1 page" "$SYS_PY" - "$spool" <<'PY'
import glob, json, os, sys
ms = [json.load(open(p)) for p in glob.glob(os.path.join(sys.argv[1], "*", "*", "meta.json"))]
cut = [m for m in ms if m.get("caller") == "4930999" or m.get("caller_id") == "4930999"]
assert len(cut) == 1, [(m.get("caller"), m.get("caller_id")) for m in ms]
assert cut[0]["partial"] and cut[0]["pages"] == 1, cut[0]
PY
check "every job is whole" spool_check "$spool"
gw_stop
check "the gateway stopped cleanly" test "$GW_RC" -eq 0
[ "$FAIL" -eq 0 ] || tail -40 "$TMP/gw.log"
finish
