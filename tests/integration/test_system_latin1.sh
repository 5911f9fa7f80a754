#!/usr/bin/env bash
# test_system_latin1 - far-end text that is not UTF-8 (issue 15.3). A
# recorded SpanDSP call whose CSID is the Latin-1 bytes "M\xfcller GmbH"
# is played into an audio line of `ifaxgw run`; the mail goes to
# tests/peers/ifax_device.py. The rule (gateway/util/farend.h): bytes that are
# not UTF-8 are read as Latin-1. Checks: meta.json's csid is "Müller GmbH"
# and its subject is the route's template with it; the mail (parsed with
# Python's email package) has a Subject, RFC 2047-encoded, that decodes to
# it, and its text body names the sender; the web JSON of the job has it;
# the call record keeps the raw bytes (\xHH escaped).
set -euo pipefail
: "${IFAXGW:?}" "${IFAXGW_TOOLS:?}" "${IFAXGW_SRC:?}"
TMP=$(mktemp -d)
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
. "$IFAXGW_SRC/tests/integration/system_common.sh"

spool=$TMP/spool
sock=$TMP/a0.sock
sys_record "$TMP/c1" 0 -i $'M\xfcller GmbH'
sys_device dev
sys_conf "$TMP/gw.conf" "$spool" "$(sys_audio_line a0 "$sock")" "$(sys_route fax "$dev_PORT")"
gw_start "$TMP/gw.conf"
gw_wait_log "ifaxgw running"
"$IFAXGW_TOOLS/audio_stream" -c "caller=5550100 called=5550199" -x 0 "$sock" "$TMP/c1.raw" >"$TMP/s1.out"
gw_wait_log "line=a0 .* committed"
wait_settled "$spool"
id=$(ls -A "$spool/done")
port=$(sed -n 's|.*web: http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$TMP/gw.log" | tail -1)
curl -s "http://127.0.0.1:$port/api/jobs/$id" >"$TMP/job.json"

check "meta.json: csid and subject read as Latin-1" "$SYS_PY" - "$spool/done/$id/meta.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1], encoding="utf-8"))
assert m.get("csid") == "M\u00fcller GmbH", m.get("csid")
assert m.get("subject") == "Fax from M\u00fcller GmbH (1 pages)", m.get("subject")
assert m["record"]["remote_csid"] == r"M\xfcller GmbH", m["record"]
PY
check "the mail: a Subject that decodes to the CSID, the body names it" "$SYS_PY" - "$TMP/dev.d" <<'PY'
import email, email.policy, glob, sys
mails = glob.glob(sys.argv[1] + "/msg-*.eml")
assert len(mails) == 1, mails
raw = open(mails[0], "rb").read()
msg = email.message_from_bytes(raw, policy=email.policy.default)
assert msg["Subject"] is not None, raw[:800]
assert str(msg["Subject"]) == "Fax from M\u00fcller GmbH (1 pages)", str(msg["Subject"])
assert b"=?UTF-8?" in raw.split(b"\r\n\r\n", 1)[0].replace(b"=?utf-8?", b"=?UTF-8?"), "not RFC 2047"
text = [p for p in msg.walk() if p.get_content_type() == "text/plain"][0]
body = text.get_content()
assert "M\u00fcller GmbH" in body and "(none)" not in body.split("CSID")[-1][:40], body
PY
check "web JSON: the job's csid" "$SYS_PY" - "$TMP/job.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
j = j.get("job", j)
assert j["csid"] == "M\u00fcller GmbH", j
PY
curl -s "http://127.0.0.1:$port/metrics" >"$TMP/metrics.txt"
check "metrics: the page counted with source=\"fax\" (docs/web-api.md)" \
    grep -q '^ifaxgw_pages_total{source="fax"} 1$' "$TMP/metrics.txt"
gw_stop
check "the daemon exits 0 on SIGTERM" test "$GW_RC" -eq 0
finish
