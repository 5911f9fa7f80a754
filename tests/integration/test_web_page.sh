#!/usr/bin/env bash
# ctest-labels: slow
# test_web_page.sh - the status page as an admin uses it, in Debian's
# chromium (tests/peers/browser_page.js, playwright-core + axe-core) against
# tests/tools/web_testsrv over the real queue in a temp spool, at the
# default rate limit: 200+ delivered jobs (3 with the CSID "ACME Sales 42",
# one partial), failed jobs (one with a corrupt meta.json), a queued one.
# The browser kills the server at the end (the down banner), so its exit
# is not checked here. Screenshots: $IFAXGW_BUILD/tests/web-page-*.png
set -euo pipefail
src=${IFAXGW_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
tools=${IFAXGW_TOOLS:-$src/build/tests}
out=${IFAXGW_BUILD:-$src/build}/tests
tmp=$(mktemp -d)
pid= qpid=
cleanup() {
    set +e
    [ -z "$pid" ] || kill "$pid" 2>/dev/null || true
    [ -z "$qpid" ] || kill "$qpid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

for m in playwright-core axe-core; do
    if [ ! -d "$src/tests/peers/node_modules/$m" ]; then
        echo "$m missing: run npm install in tests/peers (contrib/install-deps.sh)" >&2
        exit 1
    fi
done
token=tok-$RANDOM$RANDOM
spool=$tmp/spool
"$tools/web_testsrv" mkq "$spool" done 200
"$tools/web_testsrv" mkq "$spool" partial 1
"$tools/web_testsrv" mkq "$spool" done 3 'ACME Sales 42'
"$tools/web_testsrv" mkq "$spool" failed 3
# a failed job whose meta.json is cut short (a disk that filled, an editor)
broken=$(ls "$spool/failed" | head -1)
printf '{"source": "fax", "csid": "trunc' >"$spool/failed/$broken/meta.json"
"$tools/web_testsrv" mkq "$spool" queue 1
mkfifo "$tmp/port"
"$tools/web_testsrv" serve "$spool" --queue 1 --token "$token" >"$tmp/port" 2>"$tmp/server.log" &
pid=$!
read -r line <"$tmp/port"
port=${line#port=}
echo "web_testsrv on port $port"
# a second server (in-test provider: meta.json in the API's shape) with a
# partial fax whose page 2 is poor, as the fax path records copy quality;
# it has no scanner
"$tools/web_testsrv" mkjobs "$tmp/qspool" poor 1
mkfifo "$tmp/qport"
"$tools/web_testsrv" serve "$tmp/qspool" --scanner 0 >"$tmp/qport" 2>"$tmp/qserver.log" &
qpid=$!
read -r line <"$tmp/qport"
qport=${line#port=}
mkdir -p "$out"
rc=0
node "$src/tests/peers/browser_page.js" "http://127.0.0.1:$port" "$token" \
    "$out" "$pid" "http://127.0.0.1:$qport" 2> >(grep -v 'unexpected operator' >&2) || rc=$?
if grep -q "$token" "$tmp/server.log"; then
    echo "FAIL the token appears in the server log"; rc=1
fi
exit $rc
