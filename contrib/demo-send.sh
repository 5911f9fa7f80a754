#!/usr/bin/env bash
# demo-send.sh MODEM [FILE] - send a fax with efax through the demo's virtual
# line (modem B) to the gateway on modem A, then wait for its delivery.
# FILE: PostScript, PDF or TIFF; default: a generated sample page.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
modem=${1:?usage: demo-send.sh MODEM [FILE]}
file=${2:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "$file" ]; then
    file=$work/sample.ps
    cat > "$file" <<'PS'
%!PS
/Times-Roman findfont 28 scalefont setfont
72 720 moveto (ifaxgw demo fax) show
/Times-Roman findfont 14 scalefont setfont
72 690 moveto (Sent with efax over a virtual fax line, received by ifaxgw,) show
72 672 moveto (delivered to an Internet fax device in the coding it asked for.) show
0 1 20 { /i exch def 72 640 i 24 mul sub moveto
  (The quick brown fox jumps over the lazy dog. 0123456789) show } for
showpage
PS
fi
case "$file" in
*.tif|*.tiff) tiffcp -c g3 "$file" "$work/in.tif" ;;
*) gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=tiffg3 -r204x196 -sPAPERSIZE=a4 \
      -dFIXEDMEDIA -sOutputFile="$work/in.tif" "$file" ;;
esac
# efax wants single-page MH files (it misreads multi-page TIFF).
(cd "$work" && tiffsplit in.tif page_)
spool=$root/demo/spool
before=$(ls "$spool/done" 2>/dev/null | wc -l)
echo "demo-send: sending $(ls "$work"/page_*.tif | wc -l) page(s) with efax (about 50 s a page)"
efax -d "$modem" -o1 -l "+1 555 0199" -t 5550100 "$work"/page_*.tif >"$work/efax.log" 2>&1 ||
    { echo "demo-send: efax failed:"; tail -5 "$work/efax.log"; exit 1; }
for _ in $(seq 120); do
    [ "$(ls "$spool/done" 2>/dev/null | wc -l)" -gt "$before" ] && break
    sleep 1
done
if [ "$(ls "$spool/done" 2>/dev/null | wc -l)" -gt "$before" ]; then
    job=$(ls -t "$spool/done" | head -1)
    echo "demo-send: delivered: job $job"
    /usr/bin/python3 - "$spool/done/$job/meta.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
for r in m.get("recipients", []):
    print(f"  {r['address']}: {r.get('state')} profile={r.get('profile')} reply={r.get('reply')!r}")
PY
else
    echo "demo-send: not delivered yet; see ifaxgw queue list and demo/ifaxgw.log"
fi
