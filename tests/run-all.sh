#!/usr/bin/env bash
# run-all.sh - set up and run every ifaxgw test (README's test command).
#
#   1. contrib/install-deps.sh (idempotent)
#   2. release build (gcc, RelWithDebInfo), ASan+UBSan build (clang, with
#      libFuzzer targets) and a Release (-O3) build that is only compiled:
#      all with IFAXGW_WERROR=ON, so a new warning fails here, not for users
#   3. lint: module include directions
#   4. ctest in both builds: unit + integration with real peers
#   5. each libFuzzer target for FUZZ_SECONDS (default 30)
#   6. benchmarks on the release build: they print figures and baselines,
#      never fail on time (a crash or a wrong result still fails)
# Ends with one line "tests: N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
out=${IFAXGW_BUILD_ROOT:-$root/build}
fuzz_s=${FUZZ_SECONDS:-30}
jobs=$(nproc)
pass=0 fail=0
failed_steps=()

step() { # name command...
    local name=$1; shift
    echo "=== $name"
    if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); failed_steps+=("$name"); fi
}

bash contrib/install-deps.sh || { echo "install-deps failed"; echo "tests: 0 passed, 1 failed"; exit 1; }

build() { # dir cmake-args...
    local dir=$1; shift
    cmake -S "$root" -B "$dir" "$@" >"$dir.cmake.log" 2>&1 || { cat "$dir.cmake.log"; return 1; }
    cmake --build "$dir" -j"$jobs" 2>&1 | grep -Ev '^\[|^-- ' ; return "${PIPESTATUS[0]}"
}
mkdir -p "$out"
step "build release" build "$out/release" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIFAXGW_WERROR=ON
step "build asan+ubsan" build "$out/asan" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
    -DIFAXGW_SANITIZE=ON -DIFAXGW_FUZZ=ON -DIFAXGW_WERROR=ON
# What a packager builds (-O3 finds warnings -O2 does not); tests run on the
# builds above.
step "build Release -O3" build "$out/release-o3" -DCMAKE_BUILD_TYPE=Release -DIFAXGW_WERROR=ON
step "lint" bash tests/lint.sh

ctest_run() { # dir label-args...
    local dir=$1; shift
    ctest --test-dir "$dir" --output-on-failure -j"$jobs" "$@"
}
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
step "ctest release" ctest_run "$out/release" -LE bench
step "ctest asan+ubsan" ctest_run "$out/asan" -LE bench

fuzz_all() {
    local rc=0 f name corpus
    for f in "$out"/asan/tests/fuzz/fuzz_*; do
        [ -x "$f" ] || continue
        name=$(basename "$f")
        corpus=$(mktemp -d)
        [ -d "tests/data/fuzz/$name" ] && cp -r "tests/data/fuzz/$name/." "$corpus/"
        echo "--- $name ${fuzz_s}s"
        if ! "$f" -max_total_time="$fuzz_s" -rss_limit_mb=2048 -print_final_stats=1 \
                "$corpus" 2>"$corpus.log"; then
            tail -50 "$corpus.log"; rc=1
        else
            grep -E 'stat::number_of_executed_units|Done' "$corpus.log" | tail -2
        fi
        rm -rf "$corpus" "$corpus.log"
    done
    return $rc
}
step "fuzz" fuzz_all
step "bench" ctest --test-dir "$out/release" -L bench --output-on-failure -V -j1

echo
[ "${#failed_steps[@]}" -eq 0 ] || echo "failed steps: ${failed_steps[*]}"
echo "tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
