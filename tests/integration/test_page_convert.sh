#!/usr/bin/env bash
# test_page_convert.sh - "ifaxgw convert" checked by tools that are not ours.
# Pages are rendered by ghostscript from a PostScript text made here, G3
# variants by tiffcp; every TIFF written is read by tiffinfo and decoded by
# tiffcp (JBIG strips by jbgtopbm), pixels compared wherever lossless;
# profile S checked field by field; PDFs read by pdfimages and pdftoppm.
set -euo pipefail
: "${IFAXGW:?}" "${IFAXGW_SRC:?}"
PY=${PYTHON:-/usr/bin/python3}
CHK="$PY $IFAXGW_SRC/tests/integration/page_check.py"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0 checks=0
ok() { checks=$((checks + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# Two pages of Times text, 60 lines each, with a rule and a frame.
cat >"$T/text.ps" <<'EOF'
%!PS
/Times-Roman findfont 10 scalefont setfont
1 1 2 {
  /pg exch def
  0.5 setlinewidth 60 60 moveto 535 60 lineto 535 780 lineto 60 780 lineto closepath stroke
  72 765 moveto (Page ) show pg 3 string cvs show
  0 1 60 { /l exch def 72 750 l 11 mul sub moveto
    (Pack my box with five dozen liquor jugs - 0123456789 ifaxgw line ) show
    l 3 string cvs show } for
  showpage
} for
EOF

render() { # res out [device]
    gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE="${3:-tiffg4}" -r"$1" -sPAPERSIZE=a4 \
        -dFIXEDMEDIA -sOutputFile="$2" "$T/text.ps"
}

# tools_ok FILE: tiffinfo reads it cleanly; non-JBIG: tiffcp decodes it to FILE.raw.tif
tools_ok() {
    local f=$1 comp
    if ! tiffinfo "$f" >"$T/ti.out" 2>"$T/ti.err" || [ -s "$T/ti.err" ]; then
        bad "tiffinfo $f: $(head -3 "$T/ti.err")"; return 1
    fi
    comp=$($CHK info "$f" | awk 'NR==1 {print $5}')
    if [ "$comp" = 9 ]; then
        rm -f "$T"/p*.bin "$T"/p*.pbm
        $CHK strips "$f" "$T"
        for s in "$T"/p*.bin; do
            if ! jbgtopbm "$s" "${s%.bin}.pbm" 2>"$T/jb.err"; then
                bad "jbgtopbm $f $(basename "$s"): $(cat "$T/jb.err")"; return 1
            fi
        done
    elif ! tiffcp -c none "$f" "$f.raw.tif" 2>"$T/tc.err" || [ -s "$T/tc.err" ]; then
        bad "tiffcp $f: $(head -3 "$T/tc.err")"; return 1
    fi
    ok
}

# same_pixels OUT REF.raw.tif: OUT's decoded pages equal the reference's
same_pixels() {
    local f=$1 ref=$2 comp
    comp=$($CHK info "$f" | awk 'NR==1 {print $5}')
    if [ "$comp" = 9 ]; then
        # shellcheck disable=SC2046
        $CHK same-pbm "$ref" $(ls "$T"/p*.pbm | sort -V) || { bad "pixels $f"; return 1; }
    else
        $CHK same "$ref" "$f.raw.tif" || { bad "pixels $f"; return 1; }
    fi
    ok
}

convert() { # in out args...
    local in=$1 out=$2; shift 2
    if ! "$IFAXGW" convert "$in" "$out" "$@" >"$T/feat.out" 2>"$T/conv.err"; then
        bad "convert $in $* : $(cat "$T/conv.err")"; return 1
    fi
    grep -q '^(& (image-file-structure=' "$T/feat.out" || { bad "no features for $out"; return 1; }
    ok
}

# 1. Every fax resolution, every coding: lossless at the source grid.
for res in 204x98 204x196 204x391 200x100 200x200 300x300 400x400 408x391; do
    in="$T/in-$res.tif"
    render "$res" "$in"
    tiffcp -c none "$in" "$T/ref-$res.tif"
    w=$($CHK info "$in" | awk 'NR==1 {print $1}')
    for to in MH MR MMR JBIG; do
        out="$T/out-$res-$to.tif"
        convert "$in" "$out" --to "$to" --width "$w" || continue
        tools_ok "$out" && same_pixels "$out" "$T/ref-$res.tif"
        # back to MMR from what we wrote: still the same pixels
        convert "$out" "$out.mmr.tif" --to MMR --width "$w" &&
            tools_ok "$out.mmr.tif" && same_pixels "$out.mmr.tif" "$T/ref-$res.tif"
    done
    # profile S from any grid: decodable, field by field RFC 3949 3
    convert "$in" "$T/s-$res.tif" --to S && tools_ok "$T/s-$res.tif" &&
        { $CHK profile-s "$T/s-$res.tif" && ok || bad "profile S from $res"; }
    # default width: a standard one for the grid, content centred
    convert "$in" "$T/std-$res.tif" --to MMR
    sw=$($CHK info "$T/std-$res.tif" | awk 'NR==1 {print $1}')
    case "$res" in
    2*) want=1728 ;; 300x300) want=2592 ;; *) want=3456 ;;
    esac
    [ "$sw" = "$want" ] && ok || bad "default width at $res: $sw, want $want"
done

# 2. G3 as the inputs write it: MH/MR, both FillOrders, EOL-aligned or not.
base="$T/in-204x196.tif"
for c in g3 g3:fill g3:2d g3:2d:fill; do
    for fo in lsb2msb msb2lsb; do
        in="$T/g3-${c//:/_}-$fo.tif"
        tiffcp -c "$c" -f "$fo" "$base" "$in"
        for to in MMR MH; do
            out="$in.$to.tif"
            convert "$in" "$out" --to "$to" && tools_ok "$out" &&
                same_pixels "$out" "$T/ref-204x196.tif"
        done
    done
done
# uncompressed, and a FillOrder-2 G4
tiffcp -c none "$base" "$T/none.tif"
tiffcp -c g4 -f lsb2msb "$base" "$T/g4lsb.tif"
for in in "$T/none.tif" "$T/g4lsb.tif"; do
    convert "$in" "$in.out.tif" --to MR && tools_ok "$in.out.tif" &&
        same_pixels "$in.out.tif" "$T/ref-204x196.tif"
done

# 3. Resolution changes: the sizes the grids imply.
check_size() { # file w h xres yres
    local got
    got=$($CHK info "$1" | awk 'NR==1 {print $1, $2, $3, $4}')
    [ "$got" = "$2 $3 $4 $5" ] && ok || bad "$1: $got, want $2 $3 $4 $5"
}
h196=$($CHK info "$T/in-204x196.tif" | awk 'NR==1 {print $2}')
convert "$T/in-204x196.tif" "$T/r1.tif" --to MH --res 204x98 && tools_ok "$T/r1.tif" &&
    check_size "$T/r1.tif" 1728 $(((h196 + 1) / 2)) 204 98
h300=$($CHK info "$T/in-300x300.tif" | awk 'NR==1 {print $2}')
convert "$T/in-300x300.tif" "$T/r2.tif" --to MMR --res 204x196 && tools_ok "$T/r2.tif" &&
    check_size "$T/r2.tif" 1728 $(((h300 * 2 + 1) / 3)) 204 196
h400=$($CHK info "$T/in-400x400.tif" | awk 'NR==1 {print $2}')
convert "$T/in-400x400.tif" "$T/r3.tif" --to JBIG --res 300x300 && tools_ok "$T/r3.tif" &&
    check_size "$T/r3.tif" 2592 $(((h400 * 3 + 2) / 4)) 300 300
h391=$($CHK info "$T/in-204x391.tif" | awk 'NR==1 {print $2}')
convert "$T/in-204x391.tif" "$T/r4.tif" --to MR --res 204x196 && tools_ok "$T/r4.tif" &&
    check_size "$T/r4.tif" 1728 $(((h391 + 1) / 2)) 204 196
# 200x200 <-> 204x196 is a relabel: same pixels
w200=$($CHK info "$T/in-200x200.tif" | awk 'NR==1 {print $1}')
h200=$($CHK info "$T/in-200x200.tif" | awk 'NR==1 {print $2}')
convert "$T/in-200x200.tif" "$T/r5.tif" --to MMR --res 204x196 --width "$w200" &&
    tools_ok "$T/r5.tif" && same_pixels "$T/r5.tif" "$T/ref-200x200.tif" &&
    check_size "$T/r5.tif" "$w200" "$h200" 204 196

# 4. PDF: G4 embedded unchanged, page size from the real resolution.
for res in 204x196 204x98; do
    in="$T/in-$res.tif"
    convert_pdf_ok=1
    "$IFAXGW" convert "$in" "$T/$res.pdf" --to PDF 2>"$T/conv.err" || { bad "pdf $res: $(cat "$T/conv.err")"; convert_pdf_ok=0; }
    [ $convert_pdf_ok = 1 ] || continue
    pdfimages -list "$T/$res.pdf" >"$T/list.txt" 2>"$T/pi.err" || bad "pdfimages -list $res"
    n=$(awk 'NR>2 && $3=="image" && $9=="ccitt" && $10=="no" {n++} END {print n+0}' "$T/list.txt")
    [ "$n" = 2 ] && ok || bad "pdf $res: $n CCITT images without interpolation: $(cat "$T/list.txt")"
    ppi=$(awk 'NR==3 {print $13 "x" $14}' "$T/list.txt")
    [ "$ppi" = "$res" ] && ok || bad "pdf $res: image at $ppi ppi (squashed?)"
    mkdir -p "$T/ccitt-$res"
    pdfimages -ccitt "$T/$res.pdf" "$T/ccitt-$res/img"
    $CHK strips "$in" "$T/ccitt-$res"
    for k in 0 1; do
        cmp -s "$T/ccitt-$res/img-00$k.ccitt" "$T/ccitt-$res/p$k.bin" && ok ||
            bad "pdf $res: page $((k + 1)) CCITT stream differs from the G4 strip"
    done
    pdftoppm -r 50 -gray "$T/$res.pdf" "$T/pp-$res" 2>"$T/pp.err" && [ ! -s "$T/pp.err" ] &&
        [ "$(ls "$T"/pp-"$res"-*.pgm | wc -l)" = 2 ] && ok || bad "pdftoppm $res"
done
# MH source: converted to G4 once, still readable
"$IFAXGW" convert "$T/g3-g3-lsb2msb.tif" "$T/mh.pdf" --to PDF && pdfimages -list "$T/mh.pdf" |
    grep -c ccitt | grep -qx 2 && ok || bad "pdf from MH"

# 5. PNG thumbnail: 1728x2292 at 204x196 -> 200 x 275 (physical aspect)
h=$($CHK info "$T/in-204x196.tif" | awk 'NR==1 {print $2}')
"$IFAXGW" convert "$T/in-204x196.tif" "$T/t.png" --to PNG --width 200 --page 2 &&
    $CHK png "$T/t.png" 200 $(((h * 200 * 204 / 1728 + 98) / 196)) && ok || bad "png"

# 6. Malformed input: exit 1, the page named, no output file.
head -c 30000 "$T/in-204x196.tif" >"$T/cut.tif"
printf 'II*\0\10\0\0\0garbage' >"$T/junk.tif"
for in in "$T/cut.tif" "$T/junk.tif"; do
    rc=0
    "$IFAXGW" convert "$in" "$T/never.tif" --to MH 2>"$T/err" || rc=$?
    [ $rc = 1 ] && [ ! -e "$T/never.tif" ] && ok || bad "malformed $in: rc $rc"
    [ "$(ls "$T"/never.tif* 2>/dev/null | wc -l)" = 0 ] || bad "partial output left for $in"
done
grep -q 'page' "$T/err" || grep -q 'TIFF' "$T/err" && ok || bad "error text: $(cat "$T/err")"
msg=$("$IFAXGW" convert "$T/cut.tif" "$T/never.tif" --to MH 2>&1 || true)
[[ "$msg" == *"page "[12]* ]] && ok ||
    bad "truncated file: error does not name the page: $msg"

echo "page convert: $checks checks, $fails failures"
[ "$fails" -eq 0 ]
