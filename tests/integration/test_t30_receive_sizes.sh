#!/usr/bin/env bash
# Issue 15.8: the DIS offers what SpanDSP can receive. Live SpanDSP senders
# able to send B4 and A3 widths and R16 (tests/tools/fax_record -s) call
# `ifaxgw receive --audio unix:PATH` with a B4-wide (2048), an A3-wide
# (2432) and an R16 (408x391, 3456) page. Each call must end OK (the old
# DIS offered A4 width and R8 only: the sender gave up with "far end cannot
# receive at the size/resolution"), the stored page must be pixel-identical
# with its width and resolution, and the page path must reduce it for
# delivery as any page (`ifaxgw convert --to S`: 1728 wide, 204x196).
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
src=${IFAXGW_SRC:?}
tools=${IFAXGW_TOOLS:?}
gw=${IFAXGW:?}
ps=$src/tests/data/t30/doc.ps

cat >"$tmp/gw.conf" <<CONF
gateway: { name = "t30test"; spool = "$tmp/unused"; };
lines = ( { name = "rec0"; audio = "-"; station_id = "+1 555 0199"; } );
smtp: { hostname = "localhost"; from = "ifaxgw@localhost"; };
routes = ( { name = "default"; recipients = ( { address = "fax@[127.0.0.1]"; } ); } );
CONF

for spec in b4:204x196:2048x2300 a3:204x196:2432x2300 r16:408x391:3456x4500; do
    IFS=: read -r name res size <<<"$spec"
    gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=tiffg4 -r"$res" -g"$size" -dFIXEDMEDIA \
        -dLastPage=1 -sOutputFile="$tmp/$name.tif" "$ps"
    "$gw" receive -c "$tmp/gw.conf" --audio "unix:$tmp/$name.sock" --spool "$tmp/s-$name" \
        >"$tmp/out-$name" 2>&1 &
    gwpid=$!
    "$tools/fax_record" -s "$tmp/$name.sock" "$tmp/$name.tif" "$tmp/$name.wav" >"$tmp/snd-$name" || true
    wait $gwpid || true
    cat "$tmp/snd-$name" "$tmp/out-$name"
    grep -q 'sender_code=0 ' "$tmp/snd-$name" || { echo "FAIL: $name: the sender gave up"; exit 1; }
    job=$(find "$tmp/s-$name/queue" -mindepth 1 -maxdepth 1 -type d)
    [ -n "$job" ] || { echo "FAIL: $name: no job"; exit 1; }
    want=$(tiffinfo "$tmp/$name.tif" | grep -E 'Image Width|Resolution' | tr -s ' ')
    got=$(tiffinfo "$job/pages.tif" | grep -E 'Image Width|Resolution' | tr -s ' ')
    [ "$want" = "$got" ] || { echo "FAIL: $name: stored as $got, sent $want"; exit 1; }
    cmp <(tifftopnm "$tmp/$name.tif" 2>/dev/null) <(tifftopnm "$job/pages.tif" 2>/dev/null) ||
        { echo "FAIL: $name: pixels differ"; exit 1; }
    "$gw" convert "$job/pages.tif" "$tmp/$name-s.tif" --to S >/dev/null
    tiffinfo "$tmp/$name-s.tif" | grep -q 'Image Width: 1728 ' ||
        { echo "FAIL: $name: not reduced to 1728 for delivery"; exit 1; }
    tiffinfo "$tmp/$name-s.tif" | grep -q 'Resolution: 204, 196' ||
        { echo "FAIL: $name: not reduced to 204x196 for delivery"; exit 1; }
    echo "$name: ok"
done
echo "test_t30_receive_sizes: ok"
