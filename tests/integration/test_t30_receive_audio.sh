#!/usr/bin/env bash
# ifaxgw receive --audio: recorded calls (tests/tools/fax_record: SpanDSP
# sender against our receiver, the sender's side saved) decoded into a
# temporary spool through the queue API. Checks: a 3-page WAV call becomes
# a committed job with the sender's CSID and pixel-identical pages; raw
# audio from stdin works; a call dropped during page 2 commits a partial
# job with exactly page 1; silence (zero pages) commits nothing and fails;
# an unwritable spool is refused before the call; a hostile CSID stays
# escaped in output and JSON; a live call over a unix socket (both ways).
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
src=${IFAXGW_SRC:?}
tools=${IFAXGW_TOOLS:?}
gw=${IFAXGW:?}
py=${PYTHON:-/usr/bin/python3}
doc=$src/tests/data/t30/doc3.tif

cat >"$tmp/gw.conf" <<CONF
gateway: { name = "t30test"; spool = "$tmp/unused"; };
lines = ( { name = "rec0"; audio = "-"; station_id = "+1 555 0199"; } );
smtp: { hostname = "localhost"; from = "ifaxgw@localhost"; };
routes = ( { name = "default"; recipients = ( { address = "fax@[127.0.0.1]"; } ); } );
CONF

one_job() { # spool -> prints the only queued job dir
    local n
    n=$(find "$1/queue" -mindepth 1 -maxdepth 1 -type d | wc -l)
    [ "$n" -eq 1 ] || { echo "expected 1 queued job in $1, got $n"; return 1; }
    find "$1/queue" -mindepth 1 -maxdepth 1 -type d
}

same_pages() { # got.tif want.tif npages
    local d=$tmp/cmp.$RANDOM
    mkdir -p "$d/g" "$d/w"
    (cd "$d/g" && tiffsplit "$1" p >/dev/null)
    (cd "$d/w" && tiffsplit "$2" p >/dev/null)
    local got
    got=$(ls "$d/g" | wc -l)
    [ "$got" -eq "$3" ] || { echo "pages: got $got want $3"; return 1; }
    for f in $(ls "$d/g"); do
        tifftopnm "$d/g/$f" >"$d/g/$f.pbm" 2>/dev/null
        tifftopnm "$d/w/$f" >"$d/w/$f.pbm" 2>/dev/null
        cmp "$d/g/$f.pbm" "$d/w/$f.pbm"
    done
}

meta() { # job-dir python-expression-on-m
    "$py" -c "import json,sys; m=json.load(open(sys.argv[1]+'/meta.json')); r=m['record']; assert $2, (m)" "$1"
}

# 1. a 3-page call from a WAV file
"$tools/fax_record" -l 2 -i "+1 555 0100" "$doc" "$tmp/call.wav" >/dev/null
"$gw" receive -c "$tmp/gw.conf" --audio "$tmp/call.wav" --spool "$tmp/s1" >"$tmp/out1"
cat "$tmp/out1"
grep -q 'result=ok pages=3 csid="+1 555 0100"' "$tmp/out1"
job=$(one_job "$tmp/s1")
same_pages "$job/pages.tif" "$doc" 3
meta "$job" "m['csid'] == '+1 555 0100' and m['pages'] == 3 and not m['partial']"
meta "$job" "m['line'] == 'rec0' and m['source'] == 'fax' and r['remote_csid'] == '+1 555 0100'"
meta "$job" "r['result'] == 'ok' and r['npages'] == 3 and r['local_csid'] == '+1 555 0199'"
meta "$job" "all(p['bad_rows'] == 0 and p['yres'] == 196 for p in r['pages'])"
grep -q '<- DCS' "$job/t30.log"
grep -q 'result=ok end=t30 t30_code=0' "$job/t30.log"
[ -z "$(ls -A "$tmp/s1/incoming")" ]

# 2. raw s16le from stdin, non-ECM MR at V.29
"$tools/fax_record" -m v29 -E -c mr -l 0 -r "$tmp/call.raw" "$doc" "$tmp/v29.wav" >/dev/null
"$gw" receive -c "$tmp/gw.conf" --audio - --spool "$tmp/s2" <"$tmp/call.raw" >"$tmp/out2"
grep -q 'result=ok pages=1 csid="+1 555 0100" bit_rate=9600 ecm=0' "$tmp/out2"
job=$(one_job "$tmp/s2")
mkdir "$tmp/p1" && (cd "$tmp/p1" && tiffsplit "$doc" p >/dev/null && tiffsplit "$job/pages.tif" g >/dev/null)
tifftopnm "$tmp/p1/paaa.tif" 2>/dev/null | cmp - <(tifftopnm "$tmp/p1/gaaa.tif" 2>/dev/null)

# 3. the call dropped during page 2: partial job with page 1 only
"$tools/fax_record" -m v29 -l 2 -p 1 "$doc" "$tmp/drop.wav" >/dev/null
"$gw" receive -c "$tmp/gw.conf" --audio "$tmp/drop.wav" --spool "$tmp/s3" >"$tmp/out3"
grep -q 'result=partial pages=1' "$tmp/out3"
job=$(one_job "$tmp/s3")
meta "$job" "m['partial'] and m['pages'] == 1 and 'hangup' in m['partial_reason'] and r['result'] == 'partial'"
mkdir "$tmp/p3" && (cd "$tmp/p3" && tiffsplit "$job/pages.tif" g >/dev/null)
[ "$(ls "$tmp/p3" | wc -l)" -eq 1 ]
tifftopnm "$tmp/p1/paaa.tif" 2>/dev/null | cmp - <(tifftopnm "$tmp/p3/gaaa.tif" 2>/dev/null)

# 4. silence: zero pages is a failed call, nothing committed
head -c 160000 /dev/zero >"$tmp/silence.raw"
rc=0
"$gw" receive -c "$tmp/gw.conf" --audio "$tmp/silence.raw" --format raw --spool "$tmp/s4" \
    >"$tmp/out4" 2>"$tmp/err4" || rc=$?
[ $rc -eq 1 ]
grep -q 'call failed, no page received: end=hangup' "$tmp/err4"
[ -z "$(ls -A "$tmp/s4/queue")" ] && [ -z "$(ls -A "$tmp/s4/incoming")" ]

# 5. unwritable spool: refused before the call starts
touch "$tmp/notadir"
rc=0
"$gw" receive -c "$tmp/gw.conf" --audio "$tmp/call.wav" --spool "$tmp/notadir/spool" \
    >"$tmp/out5" 2>"$tmp/err5" || rc=$?
[ $rc -eq 1 ]
grep -q 'not answering' "$tmp/err5"

# 6. hostile CSID: escaped on stdout, exact in meta.json
"$tools/fax_record" -m v29 -l 0 -i $'"<b>\\\x1b' "$doc" "$tmp/evil.wav" >/dev/null
"$gw" receive -c "$tmp/gw.conf" --audio "$tmp/evil.wav" --spool "$tmp/s6" >"$tmp/out6"
grep -qF 'csid="\x22<b>\x5c\x1b"' "$tmp/out6"
job=$(one_job "$tmp/s6")
meta "$job" "r['remote_csid'] == '\"<b>\\\\\\x1b'"

# 7. a live two-way call on a unix socket: the sender hears our answers
"$gw" receive -c "$tmp/gw.conf" --audio "unix:$tmp/line.sock" --spool "$tmp/s7" >"$tmp/out7" &
gwpid=$!
"$tools/fax_record" -s "$tmp/line.sock" -l 1 -i "+1 555 0177" "$doc" "$tmp/live.wav" >"$tmp/snd7"
wait $gwpid
grep -q 'sender_code=0' "$tmp/snd7"
grep -q 'result=ok pages=2 csid="+1 555 0177" bit_rate=14400 ecm=1' "$tmp/out7"
job=$(one_job "$tmp/s7")
mkdir "$tmp/p7" && (cd "$tmp/p7" && tiffsplit "$job/pages.tif" g >/dev/null)
tifftopnm "$tmp/p1/paaa.tif" 2>/dev/null | cmp - <(tifftopnm "$tmp/p7/gaaa.tif" 2>/dev/null)
[ ! -e "$tmp/line.sock" ]

# usage errors
rc=0; "$gw" receive >/dev/null 2>&1 || rc=$?; [ $rc -eq 2 ]
"$gw" receive --help | grep -q -- '--audio'
echo "test_t30_receive_audio: ok"
