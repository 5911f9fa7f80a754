#!/usr/bin/env bash
# test_announce_purge - AudioSocket announcements whose call never came are
# removed (gateway/announce.h): older than 10 min, by `ifaxgw announce`
# after each write and by the running daemon's housekeeping; fresh ones,
# names that are not announcements and other directories' files are kept.
# Ages are set with touch (mtime), so nothing waits for the clock.
set -euo pipefail
: "${IFAXGW:?}" "${IFAXGW_SRC:?}"
TMP=$(mktemp -d)
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
. "$IFAXGW_SRC/tests/integration/system_common.sh"
trap sys_cleanup EXIT

spool=$TMP/spool
a=$spool/announce
u1=0b5e2c1a-1111-4a4a-8b8b-000000000001 # its call never came
u2=0b5e2c1a-1111-4a4a-8b8b-000000000002 # announced now
u3=0b5e2c1a-1111-4a4a-8b8b-000000000003 # 9 minutes old: its call may come
u4=0b5e2c1a-1111-4a4a-8b8b-000000000004 # stale, for the daemon
old() { touch -d "@$(($(date +%s) - $1))" "$a/$2"; }

rc=0
"$IFAXGW" announce --spool "$spool" --caller 1 --called 2 "$u1" 2>"$TMP/nospool.err" || rc=$?
check "announce: no spool yet: exit 1" test "$rc" -eq 1
check "announce: no spool yet: says the gateway creates it" grep -q "spool $spool does not exist: the gateway creates it" "$TMP/nospool.err"
check "announce: no spool yet: creates nothing" test ! -e "$spool"
mkdir -p "$spool"

# 1. `ifaxgw announce` purges as it writes
"$IFAXGW" announce --spool "$spool" --caller 1 --called 2 "$u1"
"$IFAXGW" announce --spool "$spool" --caller 1 --called 2 "$u3"
old 660 "$u1"
old 540 "$u3"
echo keep >"$a/README"; old 6000 README
"$IFAXGW" announce --spool "$spool" --caller 3 --called 4 "$u2" 2>"$TMP/announce.err"
check "announce: the 11-minute-old announcement is removed" test ! -e "$a/$u1"
check "announce: the new announcement is written" grep -q 'caller=3 called=4' "$a/$u2"
check "announce: a 9-minute-old announcement is kept" test -f "$a/$u3"
check "announce: a file that is not an announcement is kept" test -f "$a/README"
check "announce: says what it removed" grep -q 'removed 1 announcement(s) older than 10 min' "$TMP/announce.err"

# 2. the daemon's housekeeping purges without any new announcement. The
# same pass purges a call record past retention (planted, from 2020) and
# logs it just before the announcements: once that line is in the log and
# the daemon has stopped, the pass is over, whatever the verdict.
"$IFAXGW" announce --spool "$spool" --caller 5 --called 6 "$u4"
old 3600 "$u4"
mkdir -p "$spool/calls"
echo '{}' >"$spool/calls/20200101T000000.000-1ac56ebe.json"
aport=$("$SYS_PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sys_conf "$TMP/gw.conf" "$spool" \
    "{ name = \"as0\"; kind = \"audiosocket\"; port = $aport; max_calls = 2; }" \
    "$(sys_route fax 1)"
gw_start "$TMP/gw.conf"
gw_wait_log "ifaxgw running"
gw_wait_log "purged 1 call record(s) past retention"
gw_stop
check "daemon: the stale announcement is gone" test ! -e "$a/$u4"
check "daemon: logs the purge" grep -q "purged 1 announcement(s) older than 10 min" "$TMP/gw.log"
check "daemon: the fresh ones are kept" test -f "$a/$u2" -a -f "$a/$u3"
check "daemon: a file that is not an announcement is kept" test -f "$a/README"
finish
