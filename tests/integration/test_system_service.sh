#!/usr/bin/env bash
# ctest-labels: slow
# test_system_service - the service path as systemd runs it: `ifaxgw run`
# started as root with gateway.user set to an unprivileged user (created
# here with useradd, removed at exit) on a new, empty spool. A recorded
# one-page call is played into an audio line (tests/tools/audio_stream at
# 5x real time) and the job is delivered to tests/peers/ifax_device.py.
# Checks: the daemon runs as that user; the call is answered and the
# device's verdict is ok; the job is in done/; every file and directory
# of the spool is owned by that user and none by root. Then a second start
# on a spool whose jobs and files a run as root left (chown'ed back to
# root here) hands all of them over again.
# Needs root (CI runs as root); without it the test is skipped (exit 77).
set -euo pipefail
: "${IFAXGW:?}" "${IFAXGW_TOOLS:?}" "${IFAXGW_SRC:?}"
if [ "$(id -u)" -ne 0 ] || ! command -v useradd >/dev/null; then
    echo "test_system_service: needs root and useradd; skipped"
    exit 77
fi
TMP=$(mktemp -d)
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
. "$IFAXGW_SRC/tests/integration/system_common.sh"
# a name of our own, never an existing user's (useradd fails on a clash)
U=ifaxt$$
U=${U:0:31}
useradd --system --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin --user-group "$U"
cleanup() {
    set +e # a failing kill or wait must not change the verdict
    sys_cleanup
    userdel "$U" 2>/dev/null
    getent group "$U" >/dev/null && groupdel "$U" 2>/dev/null
}
trap cleanup EXIT
# the user must reach the spool below mktemp's 0700 directory
chmod 0755 "$TMP"

spool=$TMP/spool
sock=$TMP/a0.sock
stream="$IFAXGW_TOOLS/audio_stream"
sys_record "$TMP/c1" 0
sys_device dev
sys_conf "$TMP/gw.conf" "$spool" "$(sys_audio_line a0 "$sock")" "$(sys_route fax "$dev_PORT")"
sed -i "s|^gateway: {|gateway: { user = \"$U\";|" "$TMP/gw.conf"
grep -q "user = \"$U\"" "$TMP/gw.conf"

# files in the spool not owned by U, or owned by root (prints them)
not_users() { find "$spool" \( ! -user "$U" -o ! -group "$U" -o -user root \) -printf '%u:%g %p\n'; }

call() { # CALLER: one call; waits for the gateway's verdict on it
    local n
    n=$(wc -l <"$TMP/gw.log")
    "$stream" -c "caller=$1 called=5550199" -x 5 "$sock" "$TMP/c1.raw" >"$TMP/s-$1.out" || true
    gw_wait_log "caller=\"$1\".*result=\|call not answered\|call refused" "$n"
}

gw_start "$TMP/gw.conf"
gw_wait_log "ifaxgw running"
check "the daemon runs as the unprivileged user" \
    grep -q "running as user=$U " "$TMP/gw.log"
check "its real and effective uid are the user's" \
    awk -v u="$(id -u "$U")" '/^Uid:/ { exit !($2 == u && $3 == u && $4 == u) }' "/proc/$GW_PID/status"
call 2001
check "the call is answered (no permission error)" \
    bash -c "! grep -E 'not answered|Permission denied' '$TMP/gw.log'"
check "the call is committed" grep -q 'caller="2001".*result=ok committed' "$TMP/gw.log"
wait_settled "$spool"
check "the job is in done/" test "$(ls "$spool/done" | wc -l)" -eq 1
check "the device got the fax and found it valid" \
    "$SYS_PY" -c 'import glob, json, sys
v = [json.load(open(p)) for p in glob.glob(sys.argv[1] + "/msg-*.json")]
sys.exit(0 if len(v) == 1 and v[0]["ok"] else 1)' "$TMP/dev.d"
bad=$(not_users)
check "every spool entry is the user's, none root's" test -z "$bad" || echo "$bad"
# /healthz: ok now; not ok while the user cannot write a state directory
port=$(sed -n 's|.*web: http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$TMP/gw.log" | tail -1)
healthz() { curl -s -w ' %{http_code}' "http://127.0.0.1:$port/healthz"; }
h=$(healthz)
check "/healthz: ok as the user ($h)" test "$h" = '{"ok":true,"problems":[]} 200'
chown root:root "$spool/incoming"
h=$(healthz)
check "/healthz: 503 while incoming/ is not the user's to write ($h)" \
    grep -q "^{\"ok\":false,\"problems\":\[\"spool $spool/incoming: not writable: Permission denied\"\]} 503\$" <<<"$h"
chown "$U:$U" "$spool/incoming"
gw_stop
check "the daemon exits 0 on SIGTERM" test "$GW_RC" -eq 0

# A spool that a run as root (or an older version) left: all of it root's.
chown -R root:root "$spool"
gw_start "$TMP/gw.conf"
gw_wait_log "ifaxgw running"
check "a second start hands the old entries over" grep -q "entries handed to user=$U" "$TMP/gw.log"
bad=$(not_users)
check "after the repair every spool entry is the user's" test -z "$bad" || echo "$bad"
gw_stop
check "the daemon exits 0 again" test "$GW_RC" -eq 0
finish
