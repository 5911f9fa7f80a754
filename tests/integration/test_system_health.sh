#!/usr/bin/env bash
# test_system_health - /healthz of the real daemon (`ifaxgw run`) tells the
# truth for monitoring (docs/web-api.md):
#  1. a modem line whose device is missing cannot take calls: 503,
#     {"ok":false,"problems":["line m0: ..."]}, the healthy audio line not
#     named; check-config warns about the same device;
#  2. without that line, once every line is up: 200 {"ok":true,"problems":[]}.
# (A spool that gateway.user cannot write: test_system_service, as root.)
set -euo pipefail
: "${IFAXGW:?}" "${IFAXGW_TOOLS:?}" "${IFAXGW_SRC:?}"
TMP=$(mktemp -d)
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
. "$IFAXGW_SRC/tests/integration/system_common.sh"

spool=$TMP/spool
a0=$(sys_audio_line a0 "$TMP/a0.sock")
m0="{ name = \"m0\"; device = \"$TMP/ttyNONE\"; }"
route='{ name = "r"; recipients = ( "fax@ifax.test" ); }'

health() { # -> $TMP/h.code, $TMP/h.json
    local port
    port=$(tail -n +"$GW_LOG_FROM" "$TMP/gw.log" | sed -n 's|.*web: http://127.0.0.1:\([0-9]*\)/.*|\1|p' | tail -1)
    curl -s -o "$TMP/h.json" -w '%{http_code}' "http://127.0.0.1:$port/healthz" >"$TMP/h.code"
}
wait_health() { # PYTHON-CONDITION on j (the reply) and code
    until health && "$SYS_PY" -c "import json, sys
j = json.load(open('$TMP/h.json')); code = int(open('$TMP/h.code').read())
sys.exit(0 if ($1) else 1)" 2>/dev/null; do
        gw_alive || { echo "gateway died" >&2; tail -20 "$TMP/gw.log" >&2; return 1; }
        sleep 0.2
    done
}

# 1. a line that cannot take calls
sys_conf "$TMP/bad.conf" "$spool" "$a0, $m0" "$route"
"$IFAXGW" check-config -c "$TMP/bad.conf" >/dev/null 2>"$TMP/cc.err"
check "check-config warns about the missing device" \
    grep -q "warning: on this machine: line m0: device $TMP/ttyNONE: No such file" "$TMP/cc.err"
gw_start "$TMP/bad.conf"
gw_wait_log "ifaxgw running"
# the line has tried its device and failed (it keeps retrying): from now on
# it cannot take calls, whatever it is doing
gw_wait_log "line=m0 status=error"
health
check "a line without its device: 503" test "$(cat "$TMP/h.code")" = 503
check "ok is false and the reason names the line and the device" "$SYS_PY" -c "import json, sys
j = json.load(open('$TMP/h.json'))
assert j['ok'] is False, j
assert any(p.startswith('line m0: ') and '$TMP/ttyNONE' in p for p in j['problems']), j
assert not any(p.startswith('line a0') for p in j['problems']), j"
gw_stop

# 2. every line up
sys_conf "$TMP/good.conf" "$spool" "$a0" "$route"
gw_start "$TMP/good.conf"
gw_wait_log "ifaxgw running"
wait_health "code == 200"
check "all well: 200 {\"ok\":true,\"problems\":[]}" "$SYS_PY" -c "import json, sys
j = json.load(open('$TMP/h.json'))
assert j == {'ok': True, 'problems': []}, j"
gw_stop
check "the daemon exits 0" test "$GW_RC" -eq 0
finish
