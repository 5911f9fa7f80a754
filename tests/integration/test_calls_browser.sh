#!/usr/bin/env bash
# The Calls view in Debian's chromium (tests/peers/browser_calls.js) over
# tests/tools/web_testsrv, with real calls in the spool's call log: a
# SpanDSP sender's 2-page call (tests/tools/fax_record) decoded by
# `ifaxgw receive`, the same call cut off in page 1 (zero pages: failed,
# no job) and one with a hostile CSID. Checks the log with the failed
# call, the ladder of the real call with its hex, search and filter.
# Screenshots: $IFAXGW_BUILD/tests/calls-screenshot{,-ladder}.png.
set -euo pipefail
src=${IFAXGW_SRC:?}
tools=${IFAXGW_TOOLS:?}
gw=${IFAXGW:?}
out=${IFAXGW_BUILD:-$src/build}/tests
tmp=$(mktemp -d)
pid=
cleanup() {
    set +e # a failing kill must not change the verdict
    [ -z "$pid" ] || kill "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
if [ ! -d "$src/tests/peers/node_modules/playwright-core" ]; then
    echo "playwright-core missing: run contrib/install-deps.sh" >&2
    exit 1
fi
doc=$src/tests/data/t30/doc3.tif
spool=$tmp/spool
cat >"$tmp/gw.conf" <<CONF
gateway: { name = "t30test"; spool = "$spool"; };
lines = ( { name = "rec0"; audio = "-"; station_id = "+1 555 0199"; } );
smtp: { hostname = "localhost"; from = "ifaxgw@localhost"; };
routes = ( { name = "default"; recipients = ( { address = "fax@[127.0.0.1]"; } ); } );
CONF
"$tools/fax_record" -l 1 -i "+1 555 0100" -r "$tmp/call.raw" "$doc" "$tmp/call.wav" >/dev/null
"$gw" receive -c "$tmp/gw.conf" --audio "$tmp/call.wav" >"$tmp/out1"
job=$(sed -n 's/^job=\([^ ]*\) .*/\1/p' "$tmp/out1")
head -c 200000 "$tmp/call.raw" >"$tmp/cut.raw"
"$gw" receive -c "$tmp/gw.conf" --audio "$tmp/cut.raw" --format raw >/dev/null 2>&1 && exit 1
"$tools/fax_record" -m v29 -l 0 -i '<b>x</b><script>' "$doc" "$tmp/evil.wav" >/dev/null
"$gw" receive -c "$tmp/gw.conf" --audio "$tmp/evil.wav" >/dev/null
"$gw" calls -c "$tmp/gw.conf" --json >"$tmp/calls.json"
read -r failed good < <(python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["calls"]
print([x["id"] for x in c if x["result"] == "failed"][0], c[2]["id"])' "$tmp/calls.json")

"$tools/web_testsrv" serve "$spool" --queue 1 >"$tmp/srv.out" 2>"$tmp/srv.err" &
pid=$!
until grep -q '^port=' "$tmp/srv.out"; do
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/srv.err"; exit 1; }
    sleep 0.1
done
port=$(sed -n 's/^port=//p' "$tmp/srv.out")
mkdir -p "$out"
node "$src/tests/peers/browser_calls.js" "http://127.0.0.1:$port" "$failed" "$good" "$job" \
    "$out/calls-screenshot.png"
