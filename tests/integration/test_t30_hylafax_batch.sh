#!/usr/bin/env bash
# ctest-labels: slow
# A HylaFAX batch: two jobs for one number go out in one call, EOM
# between them (T.30 back to phase B, a second DCS). Job 1 is a fine page,
# job 2 a normal one, with ECM and, MMR switched off in HylaFAX's modem
# config, 2-D MR. The jobs are queued while the modem reports busy
# (ModemReadyState: B), then released together, so faxq batches them.
# The gateway's line (offering ECM) must record one call, ok, 2 pages
# (MR, ECM, 196 then 98 lines/inch, 0 bad rows), EOM once and DCS twice,
# the sender's TSI; HylaFAX both jobs done; pages pixel-identical to the
# two documents in order. ~2 min.
set -euo pipefail
. "${IFAXGW_SRC:?}/tests/integration/t30_hylafax_common.sh"

gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=tiffg4 -r204x196 -sPAPERSIZE=a4 \
    -dFIXEDMEDIA -dLastPage=1 -sOutputFile="$tmp/fine.tif" "$src/tests/data/t30/doc.ps"
gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=tiffg4 -r204x98 -sPAPERSIZE=a4 \
    -dFIXEDMEDIA -dFirstPage=2 -dLastPage=2 -sOutputFile="$tmp/normal.tif" \
    "$src/tests/data/t30/doc.ps"
HFX_CONFIG=("ModemReadyState: B" "Class1MMRSupport: no")
hfx_setup 1 -e
hfx_submit -m -- "$tmp/fine.tif"
hfx_submit -l -- "$tmp/normal.tif"
hylafax_release
hylafax_wait "${HFX_JOBS[0]}"
hylafax_wait "${HFX_JOBS[1]}"
wait "$HFX_LINE"
cat "$tmp/line.log"
grep -q "call=1 result=ok pages=2 csid=\"$HFX_TSI\" caller=\"5550100\" ecm=1 bit_rate=14400" "$tmp/line.log"
# one call for both jobs, on HylaFAX's side too
[ "$(hylafax_job "${HFX_JOBS[0]}" commid)" = "$(hylafax_job "${HFX_JOBS[1]}" commid)" ]
hfx_check 1 "${HFX_JOBS[0]},${HFX_JOBS[1]}" ecm=1 coding=MR,MR yres=196,98 \
    dataformat="2-D MR" eom=1 short_ok=2 -- "$tmp/fine.tif" "$tmp/normal.tif"
echo "test_t30_hylafax_batch: ok"
