#!/usr/bin/env bash
# lint.sh - the layout of docs/architecture.md and a few project-wide rules.
#
# Include directions: every #include "..." in every source folder must name
# a file that exists and lie in a folder its own folder may include (the
# table below; a folder may always include itself). Top to bottom:
#   gateway/                the daemon and CLI: may include everything
#   gateway/web/            the web server
#   gateway/intake/         each source's way into a job (calls, scans,
#                           documents) and the call log
#   smtp/                   delivery
#   t30/ scan/              the inputs
#   gateway/spool/          the spool: jobs, the queue, the router
#   gateway/page/           page images
#   conf/                   the configuration
#   gateway/util/           leaf helpers
# tests/ and contrib/ may include any folder (their includes must exist).
set -u
cd "$(dirname "$0")/.."
rc=0
if ! /usr/bin/python3 - <<'PY'
import glob, os, re, sys
ALLOWED = {
    "gateway":        None,  # the top: anything
    "gateway/web":    ["gateway/intake", "gateway/spool", "gateway/page", "conf", "gateway/util"],
    "gateway/intake": ["t30", "scan", "gateway/spool", "gateway/page", "conf", "gateway/util"],
    "smtp":           ["gateway/spool", "gateway/page", "conf", "gateway/util"],
    "t30":            ["conf", "gateway/util"],
    "scan":           ["conf", "gateway/util"],
    "gateway/spool":  ["gateway/page", "conf", "gateway/util"],
    "gateway/page":   ["gateway/util"],
    "conf":           ["gateway/util"],
    "gateway/util":   [],
}
# Private headers: only these files may include them.
PRIVATE = {
    "smtp/featexpr_int.h": r"smtp/feat(expr|parse|solve|node)\.[ch]$",
    "conf/config_read.h": r"conf/config(_read|_routes)?\.[ch]$",
    "conf/config_routes.h": r"conf/config(_routes)?\.[ch]$",
}
OTHER = ["tests", "contrib"]  # any folder; includes must exist
inc = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
bad = []
def walk(top):
    for root, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs
                         if not d.startswith(".") and d not in ("build", "node_modules"))
        for name in sorted(files):
            if name.endswith((".c", ".h")):
                yield os.path.normpath(os.path.join(root, name))
sources = []
for f in walk("."):
    first = f.split("/")[0]
    if first in OTHER:
        sources.append(f)
    elif os.path.dirname(f) in ALLOWED:
        sources.append(f)
    else:  # a new source folder must be placed in the table first
        bad.append("%s: folder %s/ is not in tests/lint.sh's table" % (f, os.path.dirname(f) or "."))
for f in sources:
    here = os.path.dirname(f)
    rank = None if f.split("/")[0] in OTHER else here
    for n, line in enumerate(open(f, errors="replace"), 1):
        m = inc.match(line)
        if not m:
            continue
        path = m.group(1)
        where = "%s:%d: #include \"%s\"" % (f, n, path)
        if not os.path.isfile(path) and not os.path.isfile(os.path.join(here, path)):
            bad.append("%s: no such file (paths are from the top of the tree)" % where)
            continue
        if rank is None and os.path.isfile(os.path.join(here, path)):
            continue  # tests/ and contrib/ share their own pieces by relative path
        tgt = os.path.dirname(path)
        if tgt not in ALLOWED:
            bad.append("%s: %s is not a source folder" % (where, tgt or "."))
            continue
        if path in PRIVATE and not re.search(PRIVATE[path], f):
            bad.append("%s: %s is private to its module" % (where, path))
        if rank is None or tgt == rank or ALLOWED[rank] is None:
            continue
        if tgt not in ALLOWED[rank]:
            bad.append("%s: %s/ may include only %s (not %s/)" % (
                where, rank, ", ".join(x + "/" for x in ALLOWED[rank]) or "itself", tgt))
if bad:
    print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
then
    echo "lint: include directions (table in tests/lint.sh, docs/architecture.md)"; rc=1
fi
if grep -nE '\b(strcpy|strcat|sprintf|gets)\(' gateway/*.c gateway/*/*.c conf/*.c smtp/*.c t30/*.c scan/*.c contrib/*/*.c 2>/dev/null; then
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
if bad:
    print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
then
    echo "lint: docs/web-api.md's web defaults differ from docs/config.md"; rc=1
fi
[ $rc -eq 0 ] && echo "lint: ok"
exit $rc
