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
# lines of a file, without the warnings about this machine (a device or a
# spool that is not here), which depend on where the test runs
nlines() { [ "$(grep -v ': warning: on this machine: ' "$tmp/$1" | grep -c .)" = "$2" ]; }

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

# warnings about this machine: a line's device that is not there, a spool
# gateway.user cannot write (the file is valid: exit 0 all the same)
mkdir -m 0755 "$tmp/m" "$tmp/m/spool"
touch "$tmp/m/notatty"
mconf() { # FILE USER-LINE
    cat >"$1" <<CONF
gateway: { spool = "$tmp/m/spool"; $2 };
lines = ( { name = "gone"; device = "$tmp/m/ttyNONE"; },
          { name = "plain"; device = "$tmp/m/notatty"; },
          { name = "null"; device = "/dev/null"; } );
smtp: { hostname = "gw.test"; from = "gw@gw.test"; };
routes = ( { name = "r"; recipients = ( "fax@ifax.test" ); } );
CONF
}
mconf "$tmp/m1.conf" ""
run m1 check-config -c "$tmp/m1.conf"
check "machine: still valid (exit 0)" rc m1 0
check "machine: a missing device is named with its line" \
    has m1.err "m1.conf:2: warning: on this machine: line gone: device $tmp/m/ttyNONE: No such file or directory"
check "machine: a file that is no device" has m1.err "line plain: device $tmp/m/notatty: not a character device"
check "machine: /dev/null (a character device) passes" bash -c "! grep -q 'line null' '$tmp/m1.err'"
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
    chmod 0755 "$tmp" # mktemp: 0700, which nobody may not enter
    mconf "$tmp/m2.conf" 'user = "nobody";'
    run m2 check-config -c "$tmp/m2.conf"
    check "machine: spool not writable for gateway.user" \
        has m2.err "warning: on this machine: spool $tmp/m/spool: not writable for user nobody"
    chown nobody "$tmp/m/spool"
    run m3 check-config -c "$tmp/m2.conf"
    check "machine: the user's own spool passes" bash -c "! grep -q 'spool' '$tmp/m3.err'"
    chmod 0700 "$tmp/m"
    run m4 check-config -c "$tmp/m2.conf"
    check "machine: a parent the user may not enter" \
        has m4.err "spool $tmp/m/spool: user nobody may not enter $tmp/m"
    chmod 0755 "$tmp/m"
    mconf "$tmp/m5.conf" 'user = "no-such-user-here";'
    run m5 check-config -c "$tmp/m5.conf"
    check "machine: an unknown gateway.user" has m5.err "gateway.user no-such-user-here: no such user"
fi

echo "test_check_config: $fails failed"
[ "$fails" -eq 0 ]
