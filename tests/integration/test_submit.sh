#!/usr/bin/env bash
# test_submit - `ifaxgw submit` with every input kind, bad inputs and routes.
# Inputs are made by independent tools: Ghostscript renders a text page
# (pbmraw) and the PDF/PostScript, netpbm makes TIFF (pnmtotiff), plain PBM
# and PNG, libtiff's tiffcp recodes the TIFF (MH, MR, MMR, uncompressed,
# FillOrder 2, multi-page), jbigkit's pbmtojbg85 makes the JBIG T.85
# stream (wrapped in a TIFF-FX IFD here). What was stored is decoded by
# `tiffcp -c none` and compared with the source PBMs by page_check.py /
# submit_check.py (no ifaxgw code). Bad inputs must fail with a clear
# message and leave the spool without a job. Routes: a submit without
# --to takes the route `ifaxgw route` names for the same options.
set -u
: "${IFAXGW:?}" "${IFAXGW_SRC:?}"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
PY=${PYTHON:-/usr/bin/python3}
PC="$IFAXGW_SRC/tests/integration/page_check.py"
SC="$IFAXGW_SRC/tests/integration/submit_check.py"
cd "$TMP"

spool=$TMP/spool
cat >gw.conf <<CONF
gateway: { spool = "$spool"; };
lines = ( { name = "fax2"; device = "/dev/null"; } );
smtp: { hostname = "gw.test"; smarthost = "127.0.0.1:2525"; };
routes = (
  { name = "by-line"; match = { source = [ "fax2" ]; };
    recipients = ( { address = "line@ifax.test"; host = "127.0.0.1:2601"; } ); },
  { name = "by-did"; match = { called = [ "100" ]; };
    recipients = ( { address = "did@ifax.test"; host = "127.0.0.1:2602"; format = "tiff"; } );
    subject = "DID \${called} from \${csid}: \${pages} pages"; },
  { name = "by-caller"; match = { caller = [ "555*" ]; };
    recipients = ( { address = "caller@mail.test"; mode = "relay"; } ); },
  { name = "by-csid"; match = { csid = "^ACME"; };
    recipients = ( "csid@ifax.test" ); notify = "admin@gw.test"; },
  { name = "default"; recipients = ( "default@ifax.test" ); }
);
CONF
"$IFAXGW" check-config -c gw.conf >/dev/null || { echo "bad test config"; exit 1; }

# ---- sources -------------------------------------------------------------
cat >doc.ps <<'PS'
%!PS
/Helvetica findfont 12 scalefont setfont
72 700 moveto (IIIIIIIIII) show
/Helvetica findfont 10 scalefont setfont
72 650 moveto (Fax 0123456789 The quick brown fox jumps over the lazy dog) show
showpage
/Times-Roman findfont 14 scalefont setfont
100 400 moveto (Second page: legible at 204 x 196) show
showpage
PS
gsr() { # RES GEOMETRY OUT-PATTERN: the text pages as raw PBM
    gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=pbmraw -r"$1" -g"$2" \
        -sOutputFile="$3" doc.ps
}
gsr 204x196 1728x2292 'fine-%d.pbm'
gsr 204x98 1728x1146 'std-%d.pbm'
gsr 300x300 2550x3300 'let300-%d.pbm'
gsr 150x150 1240x1754 'a4-150-%d.pbm'
gsr 204x196 1700x2292 'narrow-%d.pbm'
gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=pdfwrite -sPAPERSIZE=a4 \
    -sOutputFile=doc.pdf doc.ps
tif() { # PBM XRES YRES OUT: a G4 TIFF by netpbm
    pnmtotiff -g4 -xresolution "$2" -yresolution "$3" "$1" >"$4" 2>/dev/null
}
tif fine-1.pbm 204 196 f1.tif
tif fine-2.pbm 204 196 f2.tif
tiffcp f1.tif f2.tif base.tif
tiffcp -c g3 base.tif mh.tif
tiffcp -c g3:2d base.tif mr.tif
tiffcp -c g3:2d:fill -f lsb2msb base.tif mr-fill2.tif
tiffcp -c g4 -f lsb2msb base.tif mmr-fill2.tif
tiffcp -c none base.tif none.tif
tif std-1.pbm 204 98 s1.tif
tif std-2.pbm 204 98 s2.tif
tiffcp -c g3 s1.tif s2.tif std-mh.tif
tif let300-1.pbm 300 300 l1.tif
tif let300-2.pbm 300 300 l2.tif
tiffcp l1.tif l2.tif let300.tif
pnmtotiff -g4 narrow-1.pbm >narrow.tif 2>/dev/null # no resolution: fine
pbmtojbg85 fine-1.pbm j1.jbg
pbmtojbg85 fine-2.pbm j2.jbg
"$PY" - jbig.tif j1.jbg j2.jbg <<'PY'
import struct, sys
# TIFF-FX profile J: one strip per page, Compression 9, 204x196 (RFC 3949 6)
out, bies = sys.argv[1], [open(p, "rb").read() for p in sys.argv[2:]]
data = bytearray(b"II*\x00\x08\x00\x00\x00")
for k, bie in enumerate(bies):
    w, h = struct.unpack(">II", bie[4:12])
    ifd = len(data)
    n = 14
    vals = ifd + 2 + 12 * n + 4
    strip = vals + 16
    nxt = 0 if k == len(bies) - 1 else (strip + len(bie) + 1) & ~1
    e = [(254, 4, 1, 2), (256, 4, 1, w), (257, 4, 1, h), (258, 3, 1, 1),
         (259, 3, 1, 9), (262, 3, 1, 0), (273, 4, 1, strip), (277, 3, 1, 1),
         (278, 4, 1, h), (279, 4, 1, len(bie)), (282, 5, 1, vals),
         (283, 5, 1, vals + 8), (296, 3, 1, 2), (433, 4, 1, 0)]
    data += struct.pack("<H", n)
    for tag, typ, cnt, v in e:
        data += struct.pack("<HHI", tag, typ, cnt) + struct.pack("<I", v)
    data += struct.pack("<I", nxt)
    data += struct.pack("<IIII", 204, 1, 196, 1) + bie
    if nxt:
        data += b"\x00" * (nxt - len(data))
open(out, "wb").write(data)
PY
pnmtoplainpnm fine-1.pbm >plain.pbm
cat fine-1.pbm fine-2.pbm >two.pbm
pnmtopng fine-1.pbm >fine.png 2>/dev/null
pnmtopng -size "5906 5906 1" a4-150-1.pbm >a4-150.png # pHYs: 150 dpi

# ---- helpers -------------------------------------------------------------
last_id() { sed -n 's/^queued job \([^:]*\):.*/\1/p' "$1.out"; }
sub() { # NAME ARGS...: run submit, outputs in NAME.out/.err/.rc
    local name=$1
    shift
    "$IFAXGW" submit -c gw.conf "$@" >"$name.out" 2>"$name.err"
    echo $? >"$name.rc"
}
stored() { # NAME: the job's pages.tif decoded by tiffcp, as NAME.none.tif
    local id
    id=$(last_id "$1")
    [ -n "$id" ] && tiffcp -c none "$spool/queue/$id/pages.tif" "$1.none.tif"
}
meta() { # NAME PYTHON-EXPR(m): a test on the job's meta.json
    "$PY" -c 'import json,sys; m=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
        "$spool/queue/$(last_id "$1")/meta.json" "$2"
}
info_is() { # FILE "W H XRES YRES COMP" per page...
    local f=$1
    shift
    [ "$("$PY" "$PC" info "$f" | tr '\n' '|')" = "$(printf '%s|' "$@")" ]
}
jobs_now() { ls "$spool/queue" "$spool/incoming" "$spool/failed" 2>/dev/null | grep -c '^[0-9]' || true; }

# ---- every input kind ----------------------------------------------------
for kind in mh mr mr-fill2 mmr-fill2 none jbig base; do
    sub "$kind" --to fax@ifax.test "$kind.tif"
    check "$kind TIFF: queued" [ "$(cat "$kind.rc")" = 0 ]
    check "$kind TIFF: 2 pages, 1728x2292 at 204x196, stored as MMR" \
        bash -c "$(declare -f stored info_is last_id); PY=$PY PC=$PC spool=$spool; stored $kind && info_is $kind.none.tif '1728 2292 204 196 1' '1728 2292 204 196 1' && info_is $spool/queue/\$(last_id $kind)/pages.tif '1728 2292 204 196 4' '1728 2292 204 196 4'"
    check "$kind TIFF: pixels as the source (tiffcp decodes the stored pages)" \
        "$PY" "$PC" same-pbm "$kind.none.tif" fine-1.pbm fine-2.pbm
    check "$kind TIFF: nothing resampled or re-widthed" grep -q "tiff, 2 page(s)$" "$kind.out"
done
sub std --to fax@ifax.test std-mh.tif
stored std
check "204x98 MH: kept at 204x98, pixels unchanged" \
    "$PY" "$PC" same-pbm std.none.tif std-1.pbm std-2.pbm
check "204x98 MH: labels kept" info_is std.none.tif "1728 1146 204 98 1" "1728 1146 204 98 1"
sub let300 --to fax@ifax.test let300.tif
stored let300
check "300 dpi Letter: kept at 300x300, centred in 2592, length kept" \
    info_is let300.none.tif "2592 3300 300 300 1" "2592 3300 300 300 1"
check "300 dpi Letter: pixels unchanged, centred" "$PY" "$SC" centred let300.none.tif 1 let300-1.pbm
sub narrow --to fax@ifax.test narrow.tif
stored narrow
check "1700 wide without resolution: 204x196, centred in 1728" \
    info_is narrow.none.tif "1728 2292 204 196 1"
check "1700 wide: pixels unchanged, centred" "$PY" "$SC" centred narrow.none.tif 1 narrow-1.pbm
check "1700 wide: reported as centred" grep -q "1 centred in the fax width" narrow.out

sub pbm --to fax@ifax.test two.pbm
stored pbm
check "raw PBM, two images: two pages, pixels unchanged" \
    "$PY" "$PC" same-pbm pbm.none.tif fine-1.pbm fine-2.pbm
sub plain --to fax@ifax.test plain.pbm
stored plain
check "plain PBM: pixels unchanged" "$PY" "$PC" same-pbm plain.none.tif fine-1.pbm
sub png --to fax@ifax.test fine.png
stored png
check "PNG 1728 wide without pHYs: 204x196, pixels unchanged" \
    "$PY" "$PC" same-pbm png.none.tif fine-1.pbm
sub png150 --to fax@ifax.test a4-150.png
stored png150
check "PNG at 150 dpi (pHYs): resampled to 204x196, A4 length kept" \
    info_is png150.none.tif "1728 2339 204 196 1"
check "PNG at 150 dpi: reported resampled" grep -q "1 resampled to the fax grid" png150.out

# PDF and PostScript: rasterised by Ghostscript at 204x196; legible text
for kind in pdf ps; do
    sub "$kind" --to fax@ifax.test "doc.$kind"
    check "$kind: queued, 2 pages" grep -q "^queued job .*: 2 page(s)$" "$kind.out"
    stored "$kind"
    check "$kind: A4 at 204x196 in 1728 (length 297 mm kept)" \
        info_is "$kind.none.tif" "1728 2292 204 196 1" "1728 2292 204 196 1"
    # 12 pt "IIIIIIIIII" at (72 pt, 700 pt): ten strokes told apart
    check "$kind: ten 12 pt strokes resolved" \
        "$PY" "$SC" stems "$kind.none.tif" 1 150 340 420 395 10
    # the 10 pt text line: ink, but not a blot
    check "$kind: 10 pt text line has ink (5-45 %)" \
        "$PY" "$SC" density "$kind.none.tif" 1 215 495 900 520 0.05 0.45
    check "$kind: the margin above the text is white" \
        "$PY" "$SC" density "$kind.none.tif" 1 0 0 1728 300 0 0
done
check "PDF and PostScript of the same text give the same pages" \
    "$PY" "$PC" same pdf.none.tif ps.none.tif
for paper in letter:2156 legal:2744; do # 8.5 in: 1734 px, cropped to 1728
    gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=pdfwrite -sPAPERSIZE="${paper%:*}" \
        -dFIXEDMEDIA -sOutputFile="${paper%:*}.pdf" doc.ps
    sub "${paper%:*}" --to fax@ifax.test "${paper%:*}.pdf"
    stored "${paper%:*}"
    check "${paper%:*} PDF: 1728 wide, its length kept (${paper#*:} lines)" \
        info_is "${paper%:*}.none.tif" "1728 ${paper#*:} 204 196 1" "1728 ${paper#*:} 204 196 1"
done

# a landscape page: turned a quarter counter-clockwise to fit 1728, its top
# (where the text is) at the left edge; 196x204 after the turn is 200x200
printf '%%!PS\n<< /PageSize [842 595] >> setpagedevice\n/Helvetica findfont 24 scalefont setfont\n72 500 moveto (Landscape TOP line) show showpage\n' >land.ps
gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=pdfwrite -sOutputFile=land.pdf land.ps
sub land --to fax@ifax.test land.pdf
stored land
check "landscape PDF: turned to portrait, 1728 wide, 200x200 (the same grid)" \
    info_is land.none.tif "1728 2386 200 200 1"
check "landscape PDF: reported turned" grep -q "1 landscape turned to portrait" land.out
check "landscape PDF: the text near the left edge, low on the page" \
    "$PY" "$SC" density land.none.tif 1 150 1500 350 2250 0.01 0.5
check "landscape PDF: the right side white" \
    "$PY" "$SC" density land.none.tif 1 600 0 1728 2386 0 0

sub multi --to fax@ifax.test doc.pdf fine.png mh.tif
check "several files: one job, their pages in order" grep -q "^queued job .*: 5 page(s)$" multi.out
stored multi
tiffsplit multi.none.tif mpage- >/dev/null
check "several files: page 3 is the PNG, 4-5 the TIFF" \
    bash -c "'$PY' '$PC' same-pbm mpage-aac.tif fine-1.pbm && '$PY' '$PC' same-pbm mpage-aad.tif fine-1.pbm && '$PY' '$PC' same-pbm mpage-aae.tif fine-2.pbm"
check "the record lists the files" meta multi \
    '[f["kind"] for f in m["record"]["files"]] == ["pdf", "png", "tiff"] and m["source"] == "submit"'

# ---- bad input: refused, nothing committed -------------------------------
before=$(jobs_now)
echo "just some text" >notdoc.txt
: >empty.bin
printf 'GIF89a\001\000\001\000' >pic.gif
"$PY" - <<'PY'
objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
out, offs = b"%PDF-1.4\n", []
for i, o in enumerate(objs):
    offs.append(len(out))
    out += b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n"
x = len(out)
out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
for o in offs:
    out += b"%010d 00000 n \n" % o
out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
open("zero.pdf", "wb").write(out)
PY
pbmmake -white 1728 100000 | pnmtotiff -g4 -xresolution 204 -yresolution 196 >tall.tif 2>/dev/null
head -c "$(($(stat -c %s base.tif) / 2))" base.tif >broken.tif
{ printf '%%PDF-1.4\n'; head -c 4000 /dev/urandom | tr -d '%'; } >broken.pdf
printf '%%!PS\n1 0 div showpage\n' >broken.ps
head -c 300 fine.png >broken.png
head -c 5000 fine-1.pbm >broken.pbm
mkdir adir
bad() { # NAME MESSAGE-PATTERN FILE...
    local name=$1 pat=$2
    shift 2
    sub "bad-$name" "$@"
    check "bad $name: exit 1" [ "$(cat "bad-$name.rc")" = 1 ]
    check "bad $name: says '$pat'" grep -q -- "$pat" "bad-$name.err"
    check "bad $name: nothing queued" [ "$(jobs_now)" = "$before" ]
}
bad text "notdoc.txt: not a document ifaxgw reads" notdoc.txt
bad empty "empty.bin: empty file" empty.bin
bad gif "pic.gif: not a document" pic.gif
bad zero-pdf "zero.pdf: pdf: no page in the document" zero.pdf
bad tall-tiff "tall.tif: tiff: page 1: size 1728x100000 out of range" tall.tif
bad broken-tiff "broken.tif: tiff: .*error" broken.tif
bad broken-pdf "broken.pdf: pdf: Ghostscript cannot read it: Error:" broken.pdf
bad broken-ps "broken.ps: postscript: Ghostscript cannot read it: Error: /undefinedresult" broken.ps
bad broken-png "broken.png: png: PNG:" broken.png
bad broken-pbm "broken.pbm: pbm: page 1: PBM: truncated" broken.pbm
bad directory "adir: not a regular file" adir
bad missing "nosuch.tif: No such file" nosuch.tif
bad good-then-bad "zero.pdf: pdf: no page" mh.tif zero.pdf
bad no-route-address "bad recipient address" --to "not an address" mh.tif
# stand-ins for a Ghostscript that crashes or writes garbage (IFAXGW_GS)
printf '#!/bin/sh\nkill -SEGV $$\n' >gs-crash
printf '#!/bin/sh\necho garbage >out.tif\n' >gs-garbage
chmod +x gs-crash gs-garbage
IFAXGW_GS=$TMP/gs-crash sub gs-crash --to fax@ifax.test doc.pdf
check "a crashing Ghostscript: refused, the signal named" \
    grep -q "doc.pdf: pdf: Ghostscript was killed by signal 11" gs-crash.err
IFAXGW_GS=$TMP/gs-garbage sub gs-garbage --to fax@ifax.test doc.ps
check "Ghostscript output that is no TIFF: refused" \
    grep -q "doc.ps: postscript: not a TIFF" gs-garbage.err
IFAXGW_GS=$TMP/no-such-gs sub gs-missing --to fax@ifax.test doc.ps
check "no Ghostscript: refused, said so" grep -q "cannot run" gs-missing.err
check "bad Ghostscript runs: nothing queued" [ "$(jobs_now)" = "$before" ]
cat >noroute.conf <<CONF
gateway: { spool = "$spool"; };
routes = ( { name = "did"; match = { called = [ "100" ]; }; recipients = ( "d@ifax.test" ); } );
CONF
"$IFAXGW" submit -c noroute.conf --called 999 fine.png >noroute.out 2>noroute.err
check "no route matches (no default): exit 1" [ $? -eq 1 ]
check "no route matches: said so" grep -q "nothing queued: no route matched" noroute.err
check "no route matches: nothing queued" [ "$(jobs_now)" = "$before" ]
check "no temporary directory of Ghostscript left" \
    bash -c "! ls -d /tmp/ifaxgw-gs-* 2>/dev/null | xargs -r -n1 stat -c '%U %Y' | grep -q ."
check "incoming/ is empty" [ -z "$(ls -A "$spool/incoming")" ]

# ---- routes decide exactly as for a call, and `ifaxgw route` says which --
route_case() { # NAME WANT-ROUTE OPTIONS...
    local name=$1 want=$2
    shift 2
    sub "r-$name" "$@" fine.png
    "$IFAXGW" route -c gw.conf "$@" >"r-$name.route" 2>&1
    check "route $name: submit takes route $want" meta "r-$name" "m['route'] == '$want'"
    check "route $name: ifaxgw route names $want too" grep -q "^route: $want " "r-$name.route"
}
route_case line by-line --line fax2 --called 100
route_case did by-did --called 100 --caller 5551234 --csid "ACME 1"
route_case caller by-caller --called 200 --caller 5551234
route_case csid by-csid --csid "ACME corp"
route_case none default --called 200
check "route did: the route's pinned host and format" meta r-did \
    'm["recipients"] == [dict(m["recipients"][0], address="did@ifax.test", host="127.0.0.1:2602", format="tiff")]'
check "route did: subject from the route's template, with the page count" meta r-did \
    'm["subject"] == "DID 100 from ACME 1: 1 pages"'
check "route did: call data kept" meta r-did \
    'm["called"] == "100" and m["caller"] == "5551234" and m["csid"] == "ACME 1"'
check "route caller: relay recipient" meta r-caller 'm["recipients"][0]["mode"] == "relay"'
check "route csid: notify address" meta r-csid 'm["notify"] == "admin@gw.test"'
check "route line: the line is the source" meta r-line 'm["line"] == "fax2" and m["source"] == "submit"'
sub to-known --to did@ifax.test --called 200 fine.png
check "--to a route's address: that route's pinned host" meta to-known \
    'len(m["recipients"]) == 1 and m["recipients"][0]["host"] == "127.0.0.1:2602"'
check "--to: the matching route still gives subject and name" meta to-known 'm["route"] == "default"'
sub to-relay --to caller@mail.test --called 200 fine.png
check "--to a route's relay address: relayed as that route says" meta to-relay \
    'm["recipients"][0]["mode"] == "relay" and m["recipients"][0].get("host") is None'
sub to-new --to new@other.test --to csid@ifax.test --subject "Hello" --csid ACME fine.png
check "--to a new address: direct, resolved by MX" meta to-new \
    'm["recipients"][0]["address"] == "new@other.test" and m["recipients"][0].get("host") is None and m["recipients"][0]["mode"] == "direct"'
check "--subject replaces the route's" meta to-new 'm["subject"] == "Hello" and m["route"] == "by-csid"'
sub partial --to fax@ifax.test --partial "caller hung up on page 3" fine.png
check "--partial: the job is marked partial with the reason" meta partial \
    'm["partial"] and m["partial_reason"] == "caller hung up on page 3"'
check "without --partial: not partial" meta to-new 'not m["partial"]'
check "every queued job is whole" bash -c "for d in '$spool'/queue/*/; do tiffinfo \"\$d/pages.tif\" >/dev/null 2>&1 || exit 1; done"
finish
