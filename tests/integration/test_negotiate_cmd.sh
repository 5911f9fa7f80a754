#!/usr/bin/env bash
# ifaxgw negotiate: exit codes and output for the seed's capability sample,
# its corrected form, the RFC layouts, stdin, and broken input.
set -u
: "${IFAXGW:?}" "${IFAXGW_SRC:?}"
data=$IFAXGW_SRC/tests/data/featexpr
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

check() { # name expected-rc grep-pattern... -- command...
    local name=$1 want=$2; shift 2
    local pats=()
    while [ "$1" != "--" ]; do pats+=("$1"); shift; done
    shift
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ "$rc" -ne "$want" ]; then
        echo "FAIL $name: exit $rc, expected $want"; cat "$tmp/out" "$tmp/err"
        fails=$((fails + 1)); return
    fi
    for p in "${pats[@]}"; do
        if ! grep -qE -- "$p" "$tmp/out" "$tmp/err"; then
            echo "FAIL $name: no line matching '$p'"; cat "$tmp/out" "$tmp/err"
            fails=$((fails + 1)); return
        fi
    done
    echo "ok   $name"
}

check "help lists exit codes" 0 "^Exit status" "^  4  the capability could not be parsed" \
    -- "$IFAXGW" negotiate --help
check "usage error" 2 "usage:" -- "$IFAXGW" negotiate
check "bad source" 2 "not a coding" -- "$IFAXGW" negotiate --caps "$data/panasonic_fixed.reply" --source "MMR 204x196 A5"
check "missing file" 1 "open" -- "$IFAXGW" negotiate --caps "$tmp/nonexistent"

check "seed 002 as printed: rejected with position" 4 \
    "^capability-source: reply \(16 fragments\)" "^error: offset 368: unexpected '\)'" \
    "^error-line: 17" "^error-column: 28" "^outcome: fallback-unknown" "^profile: S" \
    "^coding: MH" "^resolution: 204x196" \
    -- "$IFAXGW" negotiate --caps "$data/panasonic_seed.reply" --source "MMR 204x196 1728 A4"

check "seed 002 corrected: JBIG T.85" 0 "^outcome: chosen" "^profile: J" "^coding: JBIG" \
    "^capability: \(& \(image-file-structure=TIFF-minimal\)" \
    "^content-features: \(& \(image-file-structure=TIFF-minimal\) \(MRC-mode=0\) \(color=Binary\) \(image-coding=JBIG\) \(image-coding-constraint=JBIG-T85\) \(JBIG-stripe-size=128\) \(dpi=204\) \(dpi-xyratio=204/196\) \(size-x=2150/254\) \(paper-size=A4\)\)$" \
    "^content-type: image/tiff; application=faxbw" \
    -- "$IFAXGW" negotiate --caps "$data/panasonic_fixed.reply" --source "MMR 204x196 1728 A4"

check "seed 002 brackets fixed, tag misspelt: MMR" 0 "^coding: MMR" \
    "^warning: unknown feature tag 'imagecoding'" \
    -- "$IFAXGW" negotiate --caps "$data/panasonic_parens_fixed.reply" --source "MMR 204x196 A4"

# RFC 4141 9.2 layout with draft -03 enhanced codes, from stdin, CRLF
printf '250-2.1.5 <June@some.example.com> recipient ok\r\n250-2.1.5 CONNEG (&(image-file-structure=TIFF-minimal)\r\n250-2.1.5 CONNEG   (MRC-mode=0) (color=Binary)\r\n250-2.1.5 CONNEG   (|(&(dpi=204)(dpi-xyratio=[204/98,204/196]))(&(dpi=200)(dpi-xyratio=[200/100,1])))\r\n250-2.1.5 CONNEG   (image-coding=[MH,MR,MMR]) (paper-size=A4)\r\n250 2.1.5 CONNEG   (ua-media=stationery) )\r\n' >"$tmp/rfc.reply"
check "RFC layout from stdin: MMR at the inch labels" 0 "^coding: MMR" "^resolution: 200x200" \
    "^candidates-tried: 2" -- sh -c "\"$IFAXGW\" negotiate --caps - --source 'JBIG 200x200 A4' <\"$tmp/rfc.reply\""

check "T.4 pair: 204x196 page labelled 200x200" 0 "^resolution: 200x200" \
    "^relabelled: rendered 204x196, labelled 200x200 \(T.4 pair\)" "dpi-xyratio=200/200" \
    -- sh -c "echo '(& (image-coding=MMR) (dpi=200) (dpi-xyratio=1))' | \"$IFAXGW\" negotiate --caps - --source 'MMR 204x196 A4'"

printf '(& (color=Binary)\n   (dpi=200) -- fine only\n)\n' >"$tmp/bare-bad"
check "bare filter error: line and column" 4 "^capability-source: filter" "^error-line: 2" \
    "^error-column: 14" -- "$IFAXGW" negotiate --caps "$tmp/bare-bad"

check "bare filter, nothing matches" 3 "^capability-source: filter" "^outcome: fallback-nomatch" "^profile: S" \
    -- sh -c "echo '(& (color=Grey) (image-coding=JPEG))' | \"$IFAXGW\" negotiate --caps -"

printf '250-<fax@example.test> recipient ok\n250 OK\n' >"$tmp/none.reply"
check "reply without capability" 3 "^capability: none" "^outcome: fallback-unknown" \
    -- "$IFAXGW" negotiate --caps "$tmp/none.reply"

# hostile bytes are escaped in the error output
printf '250-CONNEG (&(a=1)\x1b[31m)\n' >"$tmp/hostile.reply"
check "hostile bytes escaped" 4 "^near: " -- "$IFAXGW" negotiate --caps "$tmp/hostile.reply"
if grep -q $'\x1b' "$tmp/out"; then echo "FAIL escape byte reached stdout"; fails=$((fails + 1)); fi

head -c 300000 /dev/zero | tr '\0' '(' >"$tmp/huge"
check "huge input rejected" 1 "over" -- "$IFAXGW" negotiate --caps "$tmp/huge"
for i in $(seq 3000); do printf "(!"; done >"$tmp/deep"
check "deep nesting rejected" 4 "nesting deeper than 64" -- "$IFAXGW" negotiate --caps "$tmp/deep"

[ "$fails" -eq 0 ] && echo "negotiate: all checks passed"
exit "$fails"
