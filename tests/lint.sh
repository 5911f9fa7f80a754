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
# docs/web-api.md repeats the web section's defaults: they must be
# docs/config.md's (which are checked against the code by check-config).
if ! /usr/bin/python3 - <<'PY'
import re, sys
def table(path, section, col):
    text = open(path).read().split(section, 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        m = re.fullmatch(r"`(\w+)`", cells[0]) if len(cells) > col else None
        if m:
            rows[m.group(1)] = re.sub(r'[`"]', "", cells[col])
    return rows
conf = table("docs/config.md", "## `web`", 2)
api = table("docs/web-api.md", "## Configuration", 1)
bad = ["%s: web-api.md %s, config.md %s" % (k, api[k], conf[k])
       for k in api if k in conf and api[k] != conf[k]]
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
then
    echo "lint: docs/web-api.md's web defaults differ from docs/config.md"; rc=1
fi
[ $rc -eq 0 ] && echo "lint: ok"
exit $rc
