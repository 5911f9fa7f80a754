#!/usr/bin/env bash
# lint.sh - module boundaries of docs/architecture.md: inputs (t30/, scan/)
# never include smtp/ or the queue; smtp/ never opens the spool by path.
set -u
cd "$(dirname "$0")/.."
rc=0
if grep -nE '#include "(smtp|gateway/queue)' t30/*.[ch] scan/*.[ch] 2>/dev/null; then
    echo "lint: t30/ and scan/ must not include smtp/ or the queue"; rc=1
fi
if grep -nE '#include "(t30|scan)/' smtp/*.[ch] 2>/dev/null; then
    echo "lint: smtp/ must not include the inputs"; rc=1
fi
if grep -nE '\b(strcpy|strcat|sprintf|gets)\(' */*.c 2>/dev/null | grep -v '^tests/'; then
    echo "lint: unbounded string functions"; rc=1
fi
# ifaxgw.conf(5) is made from docs/config.md: the two must not drift.
if ! /usr/bin/python3 contrib/man/mkconfman.py docs/config.md | cmp -s - contrib/man/ifaxgw.conf.5; then
    echo "lint: contrib/man/ifaxgw.conf.5 is stale: run contrib/man/mkconfman.py docs/config.md"; rc=1
fi
[ $rc -eq 0 ] && echo "lint: ok"
exit $rc
