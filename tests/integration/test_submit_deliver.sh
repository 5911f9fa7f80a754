#!/usr/bin/env bash
# test_submit_deliver - documents handed in with `ifaxgw submit` to a running
# daemon (`ifaxgw run`) reach Internet fax devices (tests/peers/
# ifax_device.py, which checks every message with its own TIFF reader) by the
# routes, without --to: the called number picks the device. Then the web
# API's resend of a delivered job to the route's address goes through the
# route's pinned host (it used to go by MX: "Domain name not found"),
# answers with the new job's id, and that job is delivered too.
set -euo pipefail
: "${IFAXGW:?}" "${IFAXGW_TOOLS:?}" "${IFAXGW_SRC:?}"
TMP=$(mktemp -d)
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
. "$IFAXGW_SRC/tests/integration/system_common.sh"

token=submit-test-token-0123456789
sys_device dev
sys_device dev2
spool=$TMP/spool
sys_conf "$TMP/gw.conf" "$spool" "$(sys_audio_line a0 "$TMP/a0.sock")" \
    "{ name = \"did100\"; match = { called = [ \"100\" ]; };
       recipients = ( { address = \"fax@ifax.test\"; host = \"127.0.0.1:$dev_PORT\"; } );
       subject = \"Fax from \${csid} to \${called}\"; },
     { name = \"default\";
       recipients = ( { address = \"other@ifax.test\"; host = \"127.0.0.1:$dev2_PORT\"; } ); }"
sed -i "s/system-test-token-0123456789/$token/" "$TMP/gw.conf"
gw_start "$TMP/gw.conf"
gw_wait_log "ifaxgw running"
port=$(sed -n 's|.*web: http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$TMP/gw.log" | tail -1)
base=http://127.0.0.1:$port

printf '%%!PS\n/Helvetica findfont 14 scalefont setfont 72 700 moveto (Handed in by HylaFAX) show showpage\n72 700 moveto (page two) show showpage\n' >"$TMP/doc.ps"
gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=pdfwrite -sOutputFile="$TMP/doc.pdf" "$TMP/doc.ps"
gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=pngmono -r204x196 -g1728x2292 \
    -dLastPage=1 -sOutputFile="$TMP/p1.png" "$TMP/doc.ps"

"$IFAXGW" submit -c "$TMP/gw.conf" --called 100 --caller 5551234 \
    --csid "HYLA 1" "$TMP/doc.pdf" >"$TMP/s1.out" 2>"$TMP/s1.err"
id1=$(sed -n 's/^queued job \([^:]*\):.*/\1/p' "$TMP/s1.out")
check "submit to a running daemon's spool: queued" test -n "$id1"
"$IFAXGW" submit -c "$TMP/gw.conf" --called 999 "$TMP/p1.png" >"$TMP/s2.out" 2>"$TMP/s2.err"
id2=$(sed -n 's/^queued job \([^:]*\):.*/\1/p' "$TMP/s2.out")
check "a second submit: queued" test -n "$id2"
wait_settled "$spool"
check "both delivered (done/)" test -d "$spool/done/$id1" -a -d "$spool/done/$id2"
check "every job is whole" spool_check "$spool"
verdicts() { # DIR N PAGES-LIST: N messages, all ok, with these page counts
    "$SYS_PY" - "$@" <<'PY'
import glob, json, os, sys
d, n, pages = sys.argv[1], int(sys.argv[2]), sorted(map(int, sys.argv[3].split(",")))
vs = [json.load(open(p)) for p in glob.glob(os.path.join(d, "msg-*.json"))]
assert len(vs) == n, (len(vs), [v.get("problems") for v in vs])
for v in vs:
    assert v["ok"], v["problems"]
got = sorted(len(v["info"]["page"]) for v in vs)
assert got == pages, (got, pages)
PY
}
check "called 100: the PDF's 2 pages at the did100 device, valid" verdicts "$TMP/dev.d" 1 2
check "called 999: the PNG at the default route's device" verdicts "$TMP/dev2.d" 1 1
check "the route's subject, with the submitted CSID" \
    grep -q '"subject": "Fax from HYLA 1 to 100"' "$TMP"/dev.d/msg-*.json

# resend through the route's delivery settings, answered with the new id
curl -s -X POST -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
    -d '{"to": "fax@ifax.test"}' "$base/api/jobs/$id1/resend" >"$TMP/resend.json"
id3=$("$SYS_PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["id"] if r.get("resent_from") == sys.argv[2] else "")' \
    "$TMP/resend.json" "$id1" || true)
check "resend answers with a new job id and the old one as resent_from" \
    bash -c "[ -n '$id3' ] && [ '$id3' != '$id1' ]"
check "the resent job goes to the route's pinned host" "$SYS_PY" -c '
import json, os, sys
def meta(spool, job):  # a job moves queue/ -> done/ by one rename: look in that order
    for st in ("queue", "done", "failed"):
        try:
            return json.load(open(os.path.join(spool, st, job, "meta.json")))
        except FileNotFoundError:
            pass
    raise SystemExit("no job " + job)
m = meta(sys.argv[1], sys.argv[4])
r = m["recipients"]
assert len(r) == 1 and r[0]["address"] == "fax@ifax.test", r
assert r[0].get("host") == "127.0.0.1:" + sys.argv[2], r
assert m["record"]["resent_from"] == sys.argv[3] and m["csid"] == "HYLA 1", m
' "$spool" "$dev_PORT" "$id1" "$id3"
if [ "$FAIL" -eq 0 ]; then # (a job going by MX would never settle here)
    wait_settled "$spool"
    check "the resent job is delivered to the same device" verdicts "$TMP/dev.d" 2 2,2
    check "the resent job is in done/" test -d "$spool/done/$id3"
fi
gw_stop
check "the daemon exits 0" test "$GW_RC" -eq 0
[ "$FAIL" -eq 0 ] || tail -30 "$TMP/gw.log"
finish
