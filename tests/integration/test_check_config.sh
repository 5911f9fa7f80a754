#!/usr/bin/env bash
# test_check_config.sh - the real ifaxgw binary's check-config and route
# commands on good and bad files: output lines and exit codes.
set -uo pipefail
: "${IFAXGW:?}" "${IFAXGW_SRC:?}"
data=$IFAXGW_SRC/tests/data/conf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

check() { # description, then a command that must succeed
    local what=$1; shift
    if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fails=$((fails + 1)); fi
}
run() { # file-prefix args...: stdout, stderr, status into $tmp/<prefix>.*
    local p=$1; shift
    "$IFAXGW" "$@" >"$tmp/$p.out" 2>"$tmp/$p.err"
    echo $? >"$tmp/$p.rc"
}
rc() { [ "$(cat "$tmp/$1.rc")" = "$2" ]; }
has() { grep -qF -- "$2" "$tmp/$1"; }
nlines() { [ "$(grep -c . "$tmp/$1")" = "$2" ]; }

# --help
run h1 check-config --help
check "check-config --help exits 0" rc h1 0
check "check-config --help shows usage" has h1.out "usage: ifaxgw check-config"
run h2 route --help
check "route --help exits 0" rc h2 0
check "route --help names --csid" has h2.out "--csid"
run u1 check-config --bogus
check "unknown option exits 2" rc u1 2
run u2 route -c "$data/no-catch-all.conf"
check "route without --line exits 2" rc u2 2

# the embedded default
run d1 check-config --default
check "--default validates" rc d1 0
check "--default summary" has d1.out "<default>: ok"
run d2 check-config --print-default
cp "$tmp/d2.out" "$tmp/default.conf"
run d3 check-config -c "$tmp/default.conf"
check "printed default checks clean" rc d3 0
check "printed default has no warnings" nlines d3.err 0

# the examples shipped in contrib/examples
for f in "$IFAXGW_SRC"/contrib/examples/*.conf; do
    n=$(basename "$f" .conf)
    run "ex-$n" check-config -c "$f"
    check "example $n passes" rc "ex-$n" 0
    check "example $n says ok" has "ex-$n.out" "$f: ok"
    check "example $n has no warnings" nlines "ex-$n.err" 0
done
[ -f "$IFAXGW_SRC/contrib/examples/multi-line-routing.conf" ] ||
    { echo "FAIL examples missing"; fails=$((fails + 1)); }

# every problem of a bad file, each with its line
run b1 check-config -c "$data/bad.conf"
check "bad file exits 1" rc b1 1
for want in "4: gateway.workers: 0 is out of range" \
            "5: gateway: unknown key 'spool_dir'" \
            "9: lines[0].station_id: 'HELLO WORLD': only digits" \
            "10: lines[1]: duplicate line name 'l1'" \
            "13: smtp.port: expected an integer, got a string" \
            "14: smtp.timeouts.dot: 0 is out of range" \
            "15: smtp.smarthost: 'relay.example:99999': port out of range" \
            "19: routes[0].match.csid: bad regular expression" \
            "20: routes[0].recipients[0].address: 'not-an-address'" \
            "21: routes[1]: duplicate route name 'r1'"; do
    check "bad.conf:$want" has b1.err "$data/bad.conf:$want"
done
check "bad file: exactly 10 problems" has b1.err "$data/bad.conf: 10 problems"
check "bad file: no summary" nlines b1.out 0

run s1 check-config -c "$data/syntax.conf"
check "syntax error exits 1" rc s1 1
check "syntax error names line 4" has s1.err "$data/syntax.conf:4: syntax error"

run m1 check-config -c "$tmp/does-not-exist.conf"
check "missing file exits 1" rc m1 1
check "missing file says so" has m1.err "does-not-exist.conf:0: cannot open"

run w1 check-config -c "$data/no-catch-all.conf"
check "warnings alone exit 0" rc w1 0
check "warning about no catch-all" has w1.err "warning: no catch-all route"

# route
ml=$IFAXGW_SRC/contrib/examples/multi-line-routing.conf
run r1 route -c "$ml" --line pstn1 --called 5550101 --caller 5551234 --csid "ACME" --time 10:00
check "route sales exits 0" rc r1 0
check "route sales chosen" has r1.out "route: sales"
check "route sales why" has r1.out "called '5550101' ~ '5550101'"
check "route sales recipients" has r1.out "sales@ifax.site.example mode=direct"
check "route sales relay recipient" has r1.out "sales-archive@site.example mode=relay format=pdf"
check "route sales subject" has r1.out "subject: Sales fax from ACME (5551234) - 1 pages"

run r2 route -c "$ml" --line pstn2 --caller +19005551 --time 10:00
check "blocked caller exits 0" rc r2 0
check "blocked caller rejected" has r2.out "action: reject"

run r3 route -c "$ml" --line iax1 --called 5559999 --csid "+1 555 0123" --time 23:30
check "night csid route" has r3.out "route: supplier-night"
run r4 route -c "$ml" --line iax1 --called 5559999 --csid "+1 555 0123" --time 12:00
check "daytime falls to default" has r4.out "route: default"

run r5 route -c "$ml" --line pstn1 --called 5559999 --csid $'EVIL\r\nBcc: x@y.example' --time 12:00
check "hostile csid: exit 0" rc r5 0
check "hostile csid: no CR in output" bash -c "! grep -q $'\r' '$tmp/r5.out'"
check "hostile csid: no forged line" bash -c "! grep -q '^Bcc' '$tmp/r5.out'"

run r6 route -c "$data/no-catch-all.conf" --line fax1 --called 200 --time 10:00
check "no route exits 1" rc r6 1
check "no route explained" has r6.out "no route matched"

run r7 route --default --source scan:nothing --time 10:00
check "default config routes anything" rc r7 0

echo "test_check_config: $fails failed"
[ "$fails" -eq 0 ]
