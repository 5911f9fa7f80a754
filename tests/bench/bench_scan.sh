#!/usr/bin/env bash
# Scan throughput: pages per second from sane_read to a committed job (MMR on
# the fax grid, fsync'ed, queued) at 300 dpi with the SANE test backend,
# next to the same backend's raw capture by scanimage --batch to PBM files
# in the same run (the baseline: SANE alone, no encoding, no queue).
# Prints figures; never fails on time.
set -euo pipefail
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
export SANE_CONFIG_DIR=$t/sane
mkdir -p "$SANE_CONFIG_DIR" "$t/spool" "$t/raw"
echo test > "$SANE_CONFIG_DIR/dll.conf"
printf 'number_of_devices 1\nenable-test-options true\ngeometry_max 300.0\n' \
    > "$SANE_CONFIG_DIR/test.conf"
cat > "$t/ifaxgw.conf" <<CONF
gateway = { spool = "$t/spool"; };
scanner = { device = "test:0"; };
scan_profiles = ( { name = "bench"; mode = "gray1"; resolution = 300;
                    source = "adf"; paper = "a4";
                    recipients = ( { address = "fax@ifax.example"; } ); } );
routes = ( { name = "default"; recipients = ( { address = "ops@example.test"; } ); } );
CONF
now() { date +%s.%N; }
runs=3
ours=() base=()
for i in $(seq $runs); do
    s=$(now)
    "$IFAXGW" scan -c "$t/ifaxgw.conf" --profile bench --option test-picture=Grid \
        >/dev/null 2>&1
    ours+=("$(echo "$(now) - $s" | bc -l)")
    s=$(now)
    scanimage -d test:0 --source "Automatic Document Feeder" --mode Gray --depth 1 \
        --resolution 300 -x 210 -y 297 --test-picture Grid --format=pnm \
        --batch="$t/raw/p%d.pbm" >/dev/null 2>&1 || true
    base+=("$(echo "$(now) - $s" | bc -l)")
done
jobs=$(ls "$t/spool/queue" | wc -l)
[ "$jobs" -eq "$runs" ] || { echo "bench_scan: expected $runs jobs, got $jobs"; exit 1; }
med() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }
mo=$(med "${ours[@]}"); mb=$(med "${base[@]}")
printf 'bench_scan: 300 dpi A4, 10 pages per batch, median of %d runs\n' "$runs"
printf '  ifaxgw scan -> committed MMR job: %.3f s  %.1f pages/s\n' "$mo" "$(echo "10 / $mo" | bc -l)"
printf '  baseline scanimage --batch PBM:   %.3f s  %.1f pages/s\n' "$mb" "$(echo "10 / $mb" | bc -l)"
printf '  ratio ours/baseline (pages/s):    %.2f\n' "$(echo "$mb / $mo" | bc -l)"
