#!/usr/bin/env bash
# test_queue_cli - "ifaxgw queue list|show|retry|delete" against a spool that
# a daemon-mode process holds (the queue_crash_child tool plays the daemon's
# spool side: populate leaves one job per state).
set -euo pipefail
: "${IFAXGW:?}" "${IFAXGW_TOOLS:?}"
PY=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
spool=$tmp/spool
fail() { echo "FAIL: $*" >&2; exit 1; }

"$IFAXGW_TOOLS/queue_crash_child" populate "$spool" >"$tmp/ids"
done_id=$(awk '$2=="done"{print $1}' "$tmp/ids")
failed_id=$(awk '$2=="failed"{print $1}' "$tmp/ids")
deferred_id=$(awk '$2=="deferred"{print $1}' "$tmp/ids")
pending_id=$(awk '$2=="pending"{print $1}' "$tmp/ids")
q() { "$IFAXGW" queue --spool "$spool" "$@"; }

# --help everywhere, usage errors are 2
for c in "" list show retry delete; do
    q $c --help | grep -q "usage: ifaxgw queue" || fail "--help of '$c'"
done
set +e; q frobnicate >/dev/null 2>&1; rc=$?; set -e
[ $rc -eq 2 ] || fail "unknown command exit $rc"

# list: table and JSON agree with what populate made
q list >"$tmp/list"
for id in "$done_id" "$failed_id" "$deferred_id" "$pending_id"; do
    grep -q "^$id " "$tmp/list" || fail "list misses $id"
done
grep -q $'\x1b' "$tmp/list" && fail "escape byte of a hostile CSID reached the terminal"
grep -q 'evil\\x1b\[31m\\x22csid' "$tmp/list" || fail "hostile CSID not shown escaped"
q list --json | "$PY" -c '
import json, sys
jobs = json.load(sys.stdin)
states = sorted(j["state"] for j in jobs)
assert states == ["done", "failed", "queue", "queue"], states
' || fail "list --json"
[ "$(q list --state failed --json | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 1 ] \
    || fail "list --state failed"

# show
q show "$failed_id" | grep -q "state *failed" || fail "show state"
q show --json "$deferred_id" | "$PY" -c '
import json, sys
j = json.load(sys.stdin)
assert j["state"] == "queue"
assert j["recipients"][0]["state"] == "deferred", j["recipients"][0]
assert j["message_id"].startswith("<")
' || fail "show --json"
set +e; q show 20000101T000000.000-00000000 >/dev/null 2>&1; rc=$?; set -e
[ $rc -eq 1 ] || fail "show of an unknown job exit $rc"
set +e; q show ../../etc >/dev/null 2>&1; rc=$?; set -e
[ $rc -eq 1 ] || fail "show of a path exit $rc"

# retry: failed job back to queue/, recipients pending, Message-ID kept
msgid=$(q show --json "$failed_id" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["message_id"])')
q retry "$failed_id" | grep -q "due now" || fail "retry output"
[ -d "$spool/queue/$failed_id" ] && [ ! -e "$spool/failed/$failed_id" ] || fail "retry did not move"
q show --json "$failed_id" | "$PY" -c "
import json, sys
j = json.load(sys.stdin)
assert j['recipients'][0]['state'] == 'pending'
assert j['recipients'][1]['state'] == 'delivered'
assert j['message_id'] == '$msgid'
" || fail "retry state"
[ -e "$spool/ctl/kick" ] || fail "retry did not kick the daemon"
set +e; q retry "$done_id" >/dev/null 2>&1; rc=$?; set -e
[ $rc -eq 1 ] || fail "retry of a delivered job exit $rc"

# delete refuses a job another process holds (flock), then works
"$PY" - "$spool/queue/$deferred_id" "$tmp/locked" <<'PYEOF' &
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.flock(fd, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(30)
PYEOF
holder=$!
while [ ! -e "$tmp/locked" ]; do sleep 0.05; done
set +e; q delete "$deferred_id" 2>"$tmp/err"; rc=$?; set -e
kill "$holder"; wait "$holder" 2>/dev/null || true
[ $rc -eq 1 ] && grep -q busy "$tmp/err" || fail "delete of a locked job: rc $rc $(cat "$tmp/err")"
[ -d "$spool/queue/$deferred_id" ] || fail "busy job was removed"
q delete "$deferred_id" | grep -q deleted || fail "delete output"
[ ! -e "$spool/queue/$deferred_id" ] && [ -z "$(ls -A "$spool/trash")" ] || fail "delete left files"
[ "$(q list --state queue --json | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ] \
    || fail "queue count after delete"
# An error names the spool once (issue 16.6: it said "spool X: spool X: mkdir").
err=$("$IFAXGW" queue --spool /proc/ifaxgw-none/spool list 2>&1 >/dev/null) && fail "unusable spool accepted"
[ "$(grep -o 'spool /proc/ifaxgw-none/spool' <<<"$err" | wc -l)" = 1 ] || fail "spool named once: $err"
echo "queue CLI: ok"
