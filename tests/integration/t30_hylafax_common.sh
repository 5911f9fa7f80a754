# t30_hylafax_common.sh - what the HylaFAX real-time tests share (sourced
# after `set -euo pipefail`; not a test itself). HylaFAX (tests/peers/
# hylafax.sh: faxq, hfaxd, faxgetty from a private spool, children of the
# test) dials through the virtual line (ifaxgw-vline) to the gateway's
# Class 1 line driver (t30/line, run by tests/tools/t30_linerun).
#   hfx_setup CALLS [T30_LINERUN_FLAG...]
#       vline, t30_linerun on modem B for CALLS calls (records in
#       $tmp/out/callN), HylaFAX on modem A (HFX_CONFIG: extra config lines)
#   hfx_call SENDFAX_OPTION... -- FILE...
#       one HylaFAX job (-S "$HFX_TSI" is added) to the gateway; waits for
#       it; sets HFX_JOB (its id); fails if HylaFAX did not report success
#   hfx_submit SENDFAX_OPTION... -- FILE...
#       queue a job without waiting (for a batch: HFX_CONFIG holds
#       "ModemReadyState: B", then hylafax_release); appends to HFX_JOBS
#   hfx_check N JOB[,JOB...] KEY=VALUE... -- SOURCE...
#       t30_hylafax_check.py on call N and HylaFAX's jobs (see there)
. "${IFAXGW_SRC:?}/tests/integration/t30_common.sh"
. "$src/tests/peers/hylafax.sh"
HFX_TSI="+49 30 4711"
HFX_JOBS=()
HFX_CONFIG=() # extra lines for HylaFAX's modem config (hfx_setup)

hfx_cleanup() {
    local rc=$?
    set +e
    if [ $rc -ne 0 ]; then
        echo "--- failed: HylaFAX's logs"
        # frame-by-frame lines of the ECM blocks are noise here
        hylafax_logs 2>/dev/null | grep -v 'send frame number\|<-- data \[' | tail -n 150
    fi
    hylafax_stop
    cleanup
}
trap hfx_cleanup EXIT

hfx_setup() { # CALLS [T30_LINERUN_FLAG...]
    local calls=$1; shift
    # basenames no other test uses: HylaFAX locks /var/lock/LCK..<basename>
    HFX_A=$tmp/hfxA$$ HFX_B=$tmp/hfxB$$
    "$build/ifaxgw-vline" --a "$HFX_A" --b "$HFX_B" >"$tmp/vline.log" 2>&1 &
    pids+=($!)
    wait_for "$tmp/vline.log" "ready" "${pids[-1]}"
    mkdir "$tmp/out"
    "$tools/t30_linerun" -d "$HFX_B" -o "$tmp/out" -c "$calls" -s "+1 555 0199" "$@" \
        >"$tmp/line.log" 2>&1 &
    HFX_LINE=$!
    pids+=($HFX_LINE)
    wait_for "$tmp/line.log" "status=idle" "$HFX_LINE"
    mkdir "$tmp/hylafax"
    hylafax_start "$tmp/hylafax" "$HFX_A" "${HFX_CONFIG[@]}"
}

hfx_call() { # SENDFAX_OPTION... -- FILE...
    HFX_JOB=$(hylafax_send 5551234 -S "$HFX_TSI" "$@")
    hylafax_wait "$HFX_JOB"
}

hfx_submit() { # SENDFAX_OPTION... -- FILE...: queue a job, add its id to HFX_JOBS
    HFX_JOBS+=("$(hylafax_send 5551234 -S "$HFX_TSI" "$@")")
}

hfx_check() { # N JOB[,JOB...] KEY=VALUE... -- SOURCE...
    local n=$1 jobs=$2 j files=(); shift 2
    for j in ${jobs//,/ }; do files+=("$HYLAFAX_SPOOL/doneq/q$j"); done
    "$py" "$src/tests/integration/t30_hylafax_check.py" "$tmp/out/call$n" \
        "$(IFS=,; echo "${files[*]}")" csid="$HFX_TSI" caller=5550100 "$@"
}
