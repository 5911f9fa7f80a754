#!/usr/bin/env bash
# bench_web.sh - API and page latency of gateway/web under wrk load with
# 10,000 delivered jobs in the history (made by tests/tools/web_testsrv on a
# temp spool). Prints p50 and p99 per URL next to a same-run baseline
# (/healthz on the same server: routing, rate limit and JSON reply, no
# sources) and their ratios. Never fails on time; fails when wrk cannot run
# or a response is not 2xx.
set -euo pipefail
src=${IFAXGW_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
tools=${IFAXGW_TOOLS:-$src/build/tests}
jobs=${BENCH_WEB_JOBS:-10000}
secs=${BENCH_WEB_SECONDS:-5}
conns=${BENCH_WEB_CONNS:-16}
tmp=$(mktemp -d)
pid=
cleanup() {
    set +e  # a failing kill or wait must not change the verdict
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

t0=$(date +%s%N)
"$tools/web_testsrv" mkjobs "$tmp/spool" done "$jobs"
"$tools/web_testsrv" mkjobs "$tmp/spool" queue 20 '' 100
"$tools/web_testsrv" mkjobs "$tmp/spool" failed 5 '' 200
t1=$(date +%s%N)
mkfifo "$tmp/port"
"$tools/web_testsrv" serve "$tmp/spool" --rate -1 --threads 2 >"$tmp/port" 2>"$tmp/server.log" &
pid=$!
read -r line <"$tmp/port"
port=${line#port=}
base="http://127.0.0.1:$port"
printf 'bench_web: %d jobs in done/ (made in %.1f s), wrk -t2 -c%d -d%ds per URL\n' \
    "$jobs" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) / 1e9 }')" "$conns" "$secs"
total=$(curl -sf "$base/api/jobs?state=done&limit=1" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
[ "$total" -eq "$jobs" ] || { echo "bench_web: server sees $total jobs, want $jobs"; exit 1; }

# wrk's "50%  1.23ms" -> microseconds
to_us() {
    awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
        if (u == "us") f = 1; else if (u == "ms") f = 1000; else if (u == "s") f = 1000000; else f = 60000000;
        printf "%.0f", n * f }'
}

declare -A p50 p99 rps
run() { # name path
    local out
    out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "$base$2")
    if grep -q 'Non-2xx' <<<"$out"; then
        echo "$out"; echo "bench_web: non-2xx responses for $2"; exit 1
    fi
    p50[$1]=$(to_us "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
    p99[$1]=$(to_us "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
    rps[$1]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
}
run baseline /healthz
run jobs '/api/jobs?state=done&limit=50'
run status /api/status
run page /

printf '%-36s %10s %10s %10s %9s %9s\n' url p50_us p99_us req/s p50_x p99_x
for k in baseline jobs status page; do
    case $k in
    baseline) u=/healthz ;; jobs) u='/api/jobs?state=done&limit=50' ;;
    status) u=/api/status ;; page) u=/ ;;
    esac
    printf '%-36s %10s %10s %10s %9.2f %9.2f\n' "$u" "${p50[$k]}" "${p99[$k]}" "${rps[$k]}" \
        "$(awk -v a="${p50[$k]}" -v b="${p50[baseline]}" 'BEGIN { print a / (b ? b : 1) }')" \
        "$(awk -v a="${p99[$k]}" -v b="${p99[baseline]}" 'BEGIN { print a / (b ? b : 1) }')"
done
echo "bench_web: ratios are against /healthz on the same server in the same run"
