#!/usr/bin/env bash
# ctest-labels: slow
# HylaFAX (an independent T.30 with its own software ECM, tests/peers/
# hylafax.sh) sends with ECM and T.6 (MMR) through the virtual line to the
# gateway's Class 1 line offering ECM (t30_linerun -e; the line deframes
# the +FRM HDLC data itself), two calls on one set-up:
# 1. a 2-page fine document: both pages ok, MMR with ECM, 0 bad rows, one
#    block each (PPS-MPS, PPS-EOP);
# 2. a 1-page hyperfine (R16: 408x391, 3456 wide) document with sendfax
#    -G: HylaFAX now knows from call 1 that the gateway offers 15.4
#    lines/mm and R16 (issue 15.8; before it, HylaFAX could not send such a
#    page) and sends it as it is; more than 256 frames, so several ECM
#    blocks. (A 204x391 page is re-imaged by faxq to R16 now, not pixel for
#    pixel, so the test gives HylaFAX the page at R16 itself.)
# Each call: the sender's TSI and caller ID in the record, HylaFAX
# reporting the pages sent and our CSI, every page pixel-identical to what
# HylaFAX was given. ~2.5 min.
set -euo pipefail
. "${IFAXGW_SRC:?}/tests/integration/t30_hylafax_common.sh"

gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=tiffg4 -r204x196 -sPAPERSIZE=a4 \
    -dFIXEDMEDIA -dLastPage=2 -sOutputFile="$tmp/doc.tif" "$src/tests/data/t30/doc.ps"
gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=tiffg4 -r408x391 -g3456x4573 \
    -dFIXEDMEDIA -dLastPage=1 -sOutputFile="$tmp/superfine.tif" "$src/tests/data/t30/doc.ps"
hfx_setup 2 -e
hfx_call -m -3 -- "$tmp/doc.tif"
job1=$HFX_JOB
hfx_call -G -3 -- "$tmp/superfine.tif"
job2=$HFX_JOB
wait "$HFX_LINE"
cat "$tmp/line.log"
for n in 1 2; do
    grep -q "call=$n result=ok pages=$((3 - n)) csid=\"$HFX_TSI\" caller=\"5550100\" ecm=1 bit_rate=14400" \
        "$tmp/line.log"
done
hfx_check 1 "$job1" ecm=1 coding=MMR,MMR yres=196,196 dataformat="2-D MMR" eom=0 \
    -- "$tmp/doc.tif"
hfx_check 2 "$job2" ecm=1 coding=MMR yres=391 dataformat="2-D MMR" eom=0 \
    -- "$tmp/superfine.tif"
echo "test_t30_hylafax_ecm: ok"
