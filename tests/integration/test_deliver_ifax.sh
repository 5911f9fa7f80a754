#!/usr/bin/env bash
# test_deliver_ifax.sh - ifaxgw deliver end to end against Internet fax
# devices (tests/peers/ifax_device.py) on loopback, nothing mocked: a job
# per device in one spool, one `ifaxgw deliver` run. Each device checks
# what arrived with its own decoders (Python email, tiffinfo/tiffcp,
# jbgtopbm) against what it advertised; the queue must record delivered,
# the capability and the profile sent, and the job must end in done/.
# Cases: seed 002's Panasonic capability as printed (unparsable -> S) and
# corrected (-> JBIG or MMR), MH only, JBIG, 200 dpi only (204 relabelled
# 200, no resampling), no CONNEG (S), 504 to CONNEG (S, RCPT re-sent),
# malformed capability (S); the learned capability lands in caps.json and
# is used by a later session that accepts CONNEG but gives no capability;
# the live session wins over the cache (issue 16.5): a cached JBIG
# recipient that now answers 504 to CONNEG, or no longer advertises it,
# gets profile S and loses its cache entry.
set -uo pipefail
: "${IFAXGW:?}" "${IFAXGW_SRC:?}" "${IFAXGW_TOOLS:?}"
TMP=$(mktemp -d); [ -n "${KEEP:-}" ] && echo "TMP=$TMP"
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
. "$IFAXGW_SRC/tests/integration/deliver_common.sh"
trap 'peers_stop; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT

SPOOL=$TMP/spool
make_page "$TMP/page.tif" 204 196
printf '%s\n' "(&(image-file-structure=TIFF-minimal)(color=Binary)" \
    "(image-coding=[MH,MR,MMR])(dpi=200)(dpi-xyratio=[200/100,1])" \
    "(paper-size=A4)(MRC-mode=0))" >"$TMP/200only.caps"

device pana --preset panasonic --layout rfc
device seed --preset panasonic-seed --layout panasonic
device mh --preset mh-only
device jbig --preset jbig --layout panasonic
device d200 --preset 200dpi --caps-file "$TMP/200only.caps"
device plain --preset mh-only --no-conneg
device c504 --preset panasonic --conneg-504
device bad --preset malformed

pins=""
for n in pana seed mh jbig d200 plain c504 bad; do
    port_var=${n}_PORT
    pins+="{ domain = \"$n.test\"; host = \"127.0.0.1:${!port_var}\"; },"
done
write_conf "$TMP/gw.conf" "$SPOOL" "pinned = ( ${pins%,} );"

declare -A JOBS
for n in pana seed mh jbig d200 plain c504 bad; do
    enqueue "$SPOOL" "$TMP/page.tif" --rcpt "fax@$n.test" || { echo "enqueue failed"; exit 1; }
    JOBS[$n]=$JOB
done

deliver "$TMP/gw.conf"
check "deliver exits 0" [ $? -eq 0 ]
check "deliver counted 8 delivered" grep -q 'delivered=8 deferred=0 failed=0' "$TMP/deliver.out"

m() { meta "$SPOOL" "${JOBS[$1]}" "$2"; }
v() { verdict "$TMP/$1.d/msg-1.json" "$2"; }
profile() { m "$1" "m['recipients'][0]['profile']"; }
for n in pana seed mh jbig d200 plain c504 bad; do
    check "$n: job in done/, recipient delivered" \
        [ "$(m "$n" "'%s %s' % (m['recipients'][0]['state'], m['finished_ms'] > 0)")" = "delivered True" ]
    check "$n: the device's own checks pass" [ "$(v "$n" "v['ok']")" = True ]
    check "$n: recorded reply is the device's 250" \
        grep -q "^250 2.0.0 message 1 accepted" <<<"$(m "$n" "m['recipients'][0]['reply']")"
    check "$n: profile recorded matches the coding that arrived" \
        [ "$(profile "$n" | cut -d' ' -f2)" = "$(v "$n" "v['info']['page'][0]['coding']")" ]
done

# what each device should have got
check "panasonic corrected: better than profile S (JBIG or MMR)" \
    grep -Eq '^(J JBIG|F MMR|S MMR|F JBIG)' <<<"$(profile pana)"
check "panasonic corrected: capability recorded" \
    grep -q 'image-file-structure=TIFF-minimal' <<<"$(m pana "m['recipients'][0]['capability']")"
check "seed 002 as printed: profile S (MH)" grep -q '^S MH' <<<"$(profile seed)"
check "seed 002 as printed: capability kept as received" \
    grep -q 'imagecoding=JBIG' <<<"$(m seed "m['recipients'][0]['capability']")"
check "seed 002 as printed: unparsable logged" grep -q 'unparsable' "$TMP/deliver.err"
check "MH-only: MH" [ "$(v mh "v['info']['page'][0]['coding']")" = MH ]
check "JBIG device: JBIG, decoded by jbgtopbm" [ "$(v jbig "v['info']['page'][0]['coding']")" = JBIG ]
check "200 dpi only: labelled 200 dpi" [ "$(v d200 "v['info']['page'][0]['xres']")" = 200 ]
check "200 dpi only: 204x196 relabelled 200x200, not resampled (same lines)" \
    [ "$(v d200 "'%d %d' % (v['info']['page'][0]['yres'], v['info']['page'][0]['height'])")" = "200 2200" ]
check "no CONNEG: profile S, CONNEG never sent" \
    [ "$(v plain "'%s %s' % (v['conneg_asked'], v['info']['page'][0]['coding'])")" = "False MH" ]
check "no CONNEG: device saw no parameter" \
    bash -c "! grep -q '\"conneg\": true' '$TMP/plain.d/events.jsonl'"
check "504 to CONNEG: RCPT re-sent without it" \
    [ "$(grep -c '"ev": "rcpt"' "$TMP/c504.d/events.jsonl")" = 2 ]
check "504 to CONNEG: profile S" grep -q '^S MH' <<<"$(profile c504)"
check "malformed capability: profile S" grep -q '^S MH' <<<"$(profile bad)"
check "Content-Features sent" [ -n "$(v pana "v['info']['parts'][0]['content_features']")" ]
check "Message-ID on the wire is the job's" \
    [ "$(v pana "v['info']['message_id']")" = "$(m pana "m['message_id']")" ]

# the capability cache: the Panasonic capability learned, used when a
# session accepts CONNEG but gives none
check "caps.json holds the corrected Panasonic capability" \
    grep -q 'fax@pana.test' "$SPOOL/caps.json"
check "caps.json does not hold the unparsable one" \
    bash -c "! grep -q 'fax@seed.test' '$SPOOL/caps.json'"
check "the Panasonic device got JBIG" grep -q '^J JBIG' <<<"$(profile pana)"
peer_stop "$pana_PID"
pana_again() { # DEVICE_NAME DEVICE_ARGS...: one job to fax@pana.test there
    local name=$1; shift
    device "$name" "$@"
    local port_var=${name}_PORT
    write_conf "$TMP/$name.conf" "$SPOOL" \
        "pinned = ( { domain = \"pana.test\"; host = \"127.0.0.1:${!port_var}\"; } );"
    enqueue "$SPOOL" "$TMP/page.tif" --rcpt fax@pana.test
    deliver "$TMP/$name.conf"
    PROFILE=$(meta "$SPOOL" "$JOB" "m['recipients'][0]['profile']")
    STATE=$(meta "$SPOOL" "$JOB" "m['recipients'][0]['state']")
}
pana_again pana2 --preset panasonic --conneg-silent
check "cached capability: delivered" [ "$STATE" = delivered ]
check "cached capability: same profile as with CONNEG" [ "$PROFILE" = "$(profile pana)" ]
check "cached capability: the device's decoders agree" [ "$(v pana2 "v['ok']")" = True ]
# the live session wins: 504 to CONNEG now -> S, cache entry dropped
pana_again pana3 --preset panasonic --conneg-504
check "cached JBIG recipient now refusing CONNEG: delivered, profile S" \
    [ "$STATE $(cut -c1-4 <<<"$PROFILE")" = "delivered S MH" ]
check "refusing CONNEG: the device's decoders agree (profile S)" [ "$(v pana3 "v['ok']")" = True ]
check "refusing CONNEG: the cache entry is dropped" \
    bash -c "! grep -q 'fax@pana.test' '$SPOOL/caps.json'"
check "refusing CONNEG: the log says why" \
    grep -q "rcpt=<fax@pana.test> CONNEG refused in this session: cached capability dropped, profile S" "$TMP/deliver.all"
# learned again, then a session without the CONNEG keyword -> S, dropped
pana_again pana4 --preset panasonic
check "learned again: JBIG" grep -q '^J JBIG' <<<"$PROFILE"
pana_again pana5 --preset panasonic --no-conneg
check "cached JBIG recipient no longer advertising CONNEG: profile S" \
    [ "$STATE $(cut -c1-4 <<<"$PROFILE")" = "delivered S MH" ]
check "no CONNEG keyword: the cache entry is dropped" \
    bash -c "! grep -q 'fax@pana.test' '$SPOOL/caps.json'"

# a stored page that already is the output (profile S) goes as it is: no
# conversion file, and the device's own decoders accept it
"$IFAXGW" convert "$TMP/page.tif" "$TMP/pageS.tif" --to S >/dev/null
device plain2 --preset mh-only --no-conneg
write_conf "$TMP/plain2.conf" "$SPOOL" \
    "pinned = ( { domain = \"plain2.test\"; host = \"127.0.0.1:$plain2_PORT\"; } );"
enqueue "$SPOOL" "$TMP/pageS.tif" --rcpt fax@plain2.test
deliver "$TMP/plain2.conf"
check "stored profile S page: delivered as profile S" \
    [ "$(meta "$SPOOL" "$JOB" "'%s %s' % (m['recipients'][0]['state'], m['recipients'][0]['profile'][:4])")" = "delivered S MH" ]
check "stored profile S page: sent as it is (no out-*.tif made)" \
    [ -z "$(ls "$SPOOL/done/$JOB/" | grep '^out-' || true)" ]
check "stored profile S page: the device's own checks pass" \
    [ "$(verdict "$TMP/plain2.d/msg-1.json" "v['ok']")" = True ]
check "stored profile S page: the bytes are the stored file's" \
    "$PY" -c 'import sys,email,email.policy
m = email.message_from_bytes(open(sys.argv[1],"rb").read(), policy=email.policy.default)
tif = [p for p in m.walk() if p.get_content_type() == "image/tiff"][0].get_payload(decode=True)
sys.exit(tif != open(sys.argv[2],"rb").read())' "$TMP/plain2.d/msg-1.eml" "$SPOOL/done/$JOB/pages.tif"

finish
