#!/usr/bin/env bash
# ctest-labels: slow
# HylaFAX (tests/peers/hylafax.sh) sends one normal-resolution page
# without ECM (sendfax -E) in 2-D MR through the virtual line to the
# gateway's Class 1 line, which offers ECM: the sender's choice holds. The
# page must arrive ok, in MR without ECM, 0 bad rows, at 98 lines/inch,
# with the sender's TSI and caller ID, HylaFAX reporting it sent, and
# pixel-identical to what HylaFAX was given. ~1 min.
# HylaFAX 6.0.7 puts one row less of a normal-resolution MR page on the
# line (1145 EOL-started rows of 1146 before RTC, counted in the +FRM bit
# stream the gateway's modem delivered; the gateway decodes exactly those):
# short_ok=1 accepts that blank last row missing, every other row equal.
set -euo pipefail
. "${IFAXGW_SRC:?}/tests/integration/t30_hylafax_common.sh"

gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=tiffg4 -r204x98 -sPAPERSIZE=a4 \
    -dFIXEDMEDIA -dFirstPage=2 -dLastPage=2 -sOutputFile="$tmp/doc.tif" \
    "$src/tests/data/t30/doc.ps"
hfx_setup 1 -e
hfx_call -E -l -2 -- "$tmp/doc.tif"
wait "$HFX_LINE"
cat "$tmp/line.log"
grep -q "call=1 result=ok pages=1 csid=\"$HFX_TSI\" caller=\"5550100\" ecm=0 bit_rate=14400" "$tmp/line.log"
hfx_check 1 "$HFX_JOB" ecm=0 coding=MR yres=98 dataformat="2-D MR" eom=0 short_ok=1 \
    -- "$tmp/doc.tif"
echo "test_t30_hylafax_noecm: ok"
