#!/usr/bin/env bash
# demo.sh - README's first Quick start command: install everything, build,
# and run the gateway on its embedded default configuration (spool in
# ./demo/spool, web page on 127.0.0.1 only).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash contrib/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release -j"$(nproc)" >/dev/null
mkdir -p demo
exec build/release/ifaxgw run
