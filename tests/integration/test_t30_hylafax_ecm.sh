#!/usr/bin/env bash
# ctest-labels: slow
# HylaFAX (an independent T.30 with its own software ECM, tests/peers/
# hylafax.sh) sends a 2-page fine-resolution document with ECM and T.6
# (MMR) through the virtual line to the gateway's Class 1 line offering
# ECM (t30_linerun -e; the line deframes the +FRM HDLC data itself). Both
# pages must arrive ok, in MMR with ECM, 0 bad rows, the sender's TSI and
# caller ID in the record, HylaFAX reporting both pages sent and our CSI,
# and pixel-identical to what HylaFAX was given. ~1.5 min.
set -euo pipefail
. "${IFAXGW_SRC:?}/tests/integration/t30_hylafax_common.sh"

gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=tiffg4 -r204x196 -sPAPERSIZE=a4 \
    -dFIXEDMEDIA -dLastPage=2 -sOutputFile="$tmp/doc.tif" "$src/tests/data/t30/doc.ps"
hfx_setup 1 -e
hfx_call -m -3 -- "$tmp/doc.tif"
wait "$HFX_LINE"
cat "$tmp/line.log"
grep -q "call=1 result=ok pages=2 csid=\"$HFX_TSI\" caller=\"5550100\" ecm=1 bit_rate=14400" "$tmp/line.log"
hfx_check 1 "$HFX_JOB" ecm=1 coding=MMR,MMR yres=196,196 dataformat="2-D MMR" eom=0 \
    -- "$tmp/doc.tif"
echo "test_t30_hylafax_ecm: ok"
