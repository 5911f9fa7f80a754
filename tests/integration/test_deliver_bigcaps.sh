#!/usr/bin/env bash
# test_deliver_bigcaps.sh - issue 16.1: a large capability never makes a
# device undeliverable. Devices (tests/peers/ifax_device.py) with:
#   big19  a valid 19 KB capability on one reply line (many resolutions):
#          read and used (MMR, as `ifaxgw negotiate` picks);
#   big100 a 100 KB capability on one line (over the 64 KiB limit): the
#          RCPT reply cannot be read, so a new session without CONNEG
#          sends profile S, and the log says why;
#   multi100 100 KB over 100 lines (a 100 KB reply, under the 256 KiB
#          reply limit, capability over 64 KiB): profile S in the same
#          session, logged.
# Each is delivered in one `ifaxgw deliver` run and checked by the
# device's own decoders. The old code deferred all three for ever.
set -uo pipefail
: "${IFAXGW:?}" "${IFAXGW_SRC:?}" "${IFAXGW_TOOLS:?}"
TMP=$(mktemp -d); [ -n "${KEEP:-}" ] && echo "TMP=$TMP"
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
. "$IFAXGW_SRC/tests/integration/deliver_common.sh"
trap 'peers_stop; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT

SPOOL=$TMP/spool
make_page "$TMP/page.tif" 204 196
"$PY" - "$TMP" <<'PYEOF'
import sys
tmp = sys.argv[1]
head = ("(&(image-file-structure=TIFF-minimal)(color=Binary)"
        "(image-coding=[MH,MR,MMR])(MRC-mode=0)"
        "(|(&(dpi=204)(dpi-xyratio=[204/98,204/196]))"
        "(&(dpi=200)(dpi-xyratio=[200/100,1]))")
tail = ")(paper-size=[A4,letter]))"
def caps(size):
    alts, d = [], 1000
    while len(head) + sum(map(len, alts)) + len(tail) < size:
        alts.append("(&(dpi=%d)(dpi-xyratio=1))" % d)
        d += 1
    return head + "".join(alts) + tail
one19 = caps(19 * 1024)
one100 = caps(100 * 1024)
open(tmp + "/big19.caps", "w").write(one19 + "\n")
open(tmp + "/big100.caps", "w").write(one100 + "\n")
# the same 100 KB cut into 100 lines of about 1 KB (continuation fragments)
parts, cur = [], ""
for piece in one100.replace(")(", ")\0(").split("\0"):
    cur += piece
    if len(cur) >= 1024:
        parts.append(cur); cur = ""
parts.append(cur)
open(tmp + "/multi100.caps", "w").write("\n".join(p for p in parts if p) + "\n")
PYEOF
check "the 19 KB capability parses and picks MMR (ifaxgw negotiate)" \
    bash -c "'$IFAXGW' negotiate --caps '$TMP/big19.caps' --source 'MMR 204x196 1728' 2>&1 | grep -q MMR"

device big19 --preset 200dpi --caps-file "$TMP/big19.caps"
device big100 --preset 200dpi --caps-file "$TMP/big100.caps"
device multi100 --preset 200dpi --caps-file "$TMP/multi100.caps"
pins=""
declare -A JOBS
for n in big19 big100 multi100; do
    port_var=${n}_PORT
    pins+="{ domain = \"$n.test\"; host = \"127.0.0.1:${!port_var}\"; },"
done
write_conf "$TMP/gw.conf" "$SPOOL" "pinned = ( ${pins%,} );"
for n in big19 big100 multi100; do
    enqueue "$SPOOL" "$TMP/page.tif" --rcpt "fax@$n.test"
    JOBS[$n]=$JOB
done
deliver "$TMP/gw.conf"
m() { meta "$SPOOL" "${JOBS[$1]}" "$2"; }
v() { verdict "$TMP/$1.d/msg-1.json" "$2"; }
for n in big19 big100 multi100; do
    check "$n: delivered, job in done/" \
        [ "$(m "$n" "m['recipients'][0]['state']") $([ -d "$SPOOL/done/${JOBS[$n]}" ] && echo done)" = "delivered done" ]
    check "$n: the device's own checks pass" [ "$(v "$n" "v['ok']")" = True ]
done
check "19 KB one-line capability: read, MMR sent" \
    [ "$(v big19 "v['info']['page'][0]['coding']")" = MMR ]
check "19 KB capability recorded (its first 4096 bytes, JOB_REPLY_MAX)" \
    [ "$(m big19 "len(m['recipients'][0].get('capability') or '')")" = 4096 ]
check "19 KB capability: not cached, and the log says why" \
    grep -q 'rcpt=<fax@big19.test> capability of [0-9]* bytes not cached (entries hold at most 4095 bytes)' "$TMP/deliver.all"
check "100 KB one-line: profile S (MH)" \
    [ "$(v big100 "v['info']['page'][0]['coding']")" = MH ]
check "100 KB one-line: the second session asked no CONNEG" \
    [ "$("$PY" -c 'import json,sys; print([json.loads(l)["conneg"] for l in open(sys.argv[1]) if "\"rcpt\"" in l])' "$TMP/big100.d/events.jsonl")" = "[True, False]" ]
check "100 KB one-line: the log says why and what next" \
    grep -q 'rcpt=<fax@big100.test> capability not readable (127.0.0.1\[127.0.0.1\]:[0-9]* rcpt: line over 65600 bytes): RCPT again without CONNEG in a new session, profile S' "$TMP/deliver.all"
check "100 KB over 100 lines: profile S (MH)" \
    [ "$(v multi100 "v['info']['page'][0]['coding']")" = MH ]
check "100 KB over 100 lines: the log says why" \
    grep -q 'rcpt=<fax@multi100.test> capability not readable: CONNEG capability over 65536 bytes; sending profile S' "$TMP/deliver.all"
finish
