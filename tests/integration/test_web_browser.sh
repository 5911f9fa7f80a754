#!/usr/bin/env bash
# test_web_browser.sh - the status page in Debian's chromium (playwright-core):
# tests/peers/browser_test.js against tests/tools/web_testsrv over the real
# queue in a temp spool, at the default rate limit (600/min). Saves a
# screenshot as $IFAXGW_BUILD/tests/web-screenshot.png.
set -euo pipefail
src=${IFAXGW_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
tools=${IFAXGW_TOOLS:-$src/build/tests}
out=${IFAXGW_BUILD:-$src/build}/tests
tmp=$(mktemp -d)
pid=
cleanup() {
    set +e  # a failing kill or wait must not change the verdict
    [ -z "$pid" ] || kill "$pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

if [ ! -d "$src/tests/peers/node_modules/playwright-core" ]; then
    echo "playwright-core missing: run contrib/install-deps.sh" >&2
    exit 1
fi
token=tok-$RANDOM$RANDOM
# Jobs made and settled through the real queue (pages.tif from gateway/page,
# thumbnails by page_thumbnail_png); the hostile CSID is on every delivered
# fax, so the line's last call shows it too. Settling claims the oldest due
# job, so the one left pending is made last.
"$tools/web_testsrv" mkq "$tmp/spool" done 4 '<script>alert(1)</script>'
"$tools/web_testsrv" mkq "$tmp/spool" failed 2
"$tools/web_testsrv" mkq "$tmp/spool" queue 1
mkfifo "$tmp/port"
"$tools/web_testsrv" serve "$tmp/spool" --queue 1 --token "$token" >"$tmp/port" 2>"$tmp/server.log" &
pid=$!
read -r line <"$tmp/port"
port=${line#port=}
echo "web_testsrv on port $port"
mkdir -p "$out"
rc=0
node "$src/tests/peers/browser_test.js" "http://127.0.0.1:$port" "$token" \
    "$out/web-screenshot.png" 2> >(grep -v 'unexpected operator' >&2) || rc=$?
if grep -q "$token" "$tmp/server.log"; then
    echo "FAIL the token appears in the server log"; rc=1
fi
# the server must stop cleanly (sanitizer builds report leaks here)
kill "$pid"
srv_rc=0
wait "$pid" || srv_rc=$?
pid=
if [ "$srv_rc" -ne 0 ]; then
    echo "FAIL web_testsrv exited with $srv_rc"; tail -40 "$tmp/server.log"; rc=1
fi
exit $rc
