#!/usr/bin/env bash
# test_queue_diskfull - the spool on a 2 MB tmpfs that fills up: a commit
# fails with a clear ENOSPC error, nothing is half-committed, and the same
# job commits once space returns. Needs root for mount(8), as CI has.
set -euo pipefail
: "${IFAXGW:?}" "${IFAXGW_TOOLS:?}"
PY=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
mnt=$tmp/mnt
child=
cleanup() {
    set +e  # a failing kill or wait must not change the verdict
    [ -n "$child" ] && kill "$child" 2>/dev/null && wait "$child" 2>/dev/null || true
    mountpoint -q "$mnt" && umount "$mnt"
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir -p "$mnt"
mount -t tmpfs -o size=2m tmpfs "$mnt" || fail "mount tmpfs (needs root)"
spool=$mnt/spool
# one job committed before the disk fills: must survive it untouched
"$IFAXGW_TOOLS/queue_crash_child" populate "$spool" >"$tmp/before"
before=$(ls "$spool/queue" "$spool/done" "$spool/failed" | sort)

"$IFAXGW_TOOLS/queue_crash_child" fill "$spool" >"$tmp/out" 2>&1 &
child=$!
while ! grep -q '^waiting ' "$tmp/out"; do
    kill -0 "$child" 2>/dev/null || { cat "$tmp/out"; fail "fill tool died"; }
    sleep 0.05
done
id=$(awk '/^waiting /{print $2}' "$tmp/out")
grep -q '^full: temporary: .*No space left on device' "$tmp/out" \
    || { cat "$tmp/out"; fail "commit on a full disk: no clear ENOSPC error"; }

# nothing half-committed: the job is not in queue/, it has no meta.json or
# temporary file, the jobs from before are unchanged
[ ! -e "$spool/queue/$id" ] || fail "job reached queue/ on a full disk"
[ -d "$spool/incoming/$id" ] || fail "uncommitted job vanished"
[ -z "$(ls "$spool/incoming/$id" | grep -v '^pages.tif$' || true)" ] \
    || fail "leftovers in incoming/$id: $(ls "$spool/incoming/$id")"
[ "$(ls "$spool/queue" "$spool/done" "$spool/failed" | sort)" = "$before" ] \
    || fail "existing jobs changed"
"$IFAXGW" queue --spool "$spool" list --json | "$PY" -c '
import json, sys
jobs = json.load(sys.stdin)
assert len(jobs) == 5, len(jobs)  # 4 populated + the incoming one
assert all(j.get("error") is None for j in jobs if j["state"] != "incoming")
' || fail "list on a full disk"

# space returns: the same job commits
rm -f "$spool/filler"
touch "$spool/go"
wait "$child" || { cat "$tmp/out"; fail "commit after space returned"; }
child=
grep -q "^committed $id" "$tmp/out" || fail "no commit after space returned"
[ -f "$spool/queue/$id/meta.json" ] && [ ! -e "$spool/incoming/$id" ] \
    || fail "job not queued after space returned"
"$IFAXGW" queue --spool "$spool" show --json "$id" | "$PY" -c '
import json, sys
j = json.load(sys.stdin)
assert j["state"] == "queue" and j["pages"] == 1 and len(j["recipients"]) == 2
' || fail "committed job after space returned"
# and a restart (recovery) finds a clean spool
"$IFAXGW_TOOLS/queue_crash_child" recover "$spool" >"$tmp/rec"
[ ! -s "$tmp/rec" ] || fail "recovery had work: $(cat "$tmp/rec")"
echo "queue disk full: ok"
