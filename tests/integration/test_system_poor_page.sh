#!/usr/bin/env bash
# ctest-labels: slow
# test_system_poor_page - issue 15.5: a non-ECM page with many bad rows is
# flagged, not delivered "ok" without a word. ifaxgw-vline --send sends one
# page to `ifaxgw run`'s modem line, and --corrupt garbles 8 s of the page
# data the modem hands the gateway (about 9 % of the rows come out bad,
# which T.30 answers RTP). Checks: meta.json's page_quality says rows,
# bad rows, RTP and poor, poor_pages = 1; the mail's subject says
# [1 poor page] and its body names the page and its bad rows.
set -euo pipefail
: "${IFAXGW:?}" "${IFAXGW_TOOLS:?}" "${IFAXGW_SRC:?}" "${IFAXGW_BUILD:?}"
TMP=$(mktemp -d)
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
. "$IFAXGW_SRC/tests/integration/system_common.sh"
VLINE=
cleanup() {
    set +e # a failing kill or wait must not change the verdict
    [ -n "$VLINE" ] && kill "$VLINE" 2>/dev/null && wait "$VLINE" 2>/dev/null
    sys_cleanup
}
trap cleanup EXIT

tiffcp "$IFAXGW_SRC/tests/data/t30/doc3.tif,0" "$TMP/p1.tif"
"$IFAXGW_BUILD/ifaxgw-vline" --a "$TMP/ttyA" --send "$TMP/p1.tif" --corrupt 8000 >"$TMP/vline.log" 2>&1 &
VLINE=$!
until grep -q ready "$TMP/vline.log"; do
    kill -0 "$VLINE" || { cat "$TMP/vline.log"; exit 1; }
    sleep 0.1
done
sys_device dev
spool=$TMP/spool
sys_conf "$TMP/gw.conf" "$spool" \
    "{ name = \"m0\"; device = \"$TMP/ttyA\"; station_id = \"+1 555 0199\"; rings = 1; cid_enable = \"AT+VCID=1\"; ecm = false; }" \
    "$(sys_route fax "$dev_PORT")"
gw_start "$TMP/gw.conf"
gw_wait_log "ifaxgw running"
until [ -n "$(ls -A "$spool/done" "$spool/failed" 2>/dev/null | grep -v ':$' || true)" ]; do
    gw_alive || { tail -20 "$TMP/gw.log"; exit 1; }
    sleep 0.5
done
wait_settled "$spool"
grep garbled "$TMP/vline.log" || true
check "meta.json flags the poor page" "$SYS_PY" - "$spool" <<'PY'
import glob, json, sys
(p,) = glob.glob(sys.argv[1] + "/done/*/meta.json")
m = json.load(open(p))
q = m["page_quality"]
print(q)
assert m["pages"] == 1 and m["poor_pages"] == 1 and len(q) == 1, m
assert q[0]["page"] == 1 and q[0]["poor"] and q[0]["confirm"] == "RTP", q
assert q[0]["bad_rows"] * 20 >= q[0]["rows"] > 0, q
PY
check "the mail's subject and body say so" "$SYS_PY" - "$TMP/dev.d" <<'PY'
import email, glob, sys
(p,) = glob.glob(sys.argv[1] + "/msg-*.eml")
m = email.message_from_binary_file(open(p, "rb"))
assert "[1 poor page]" in m["Subject"], m["Subject"]
body = [x.get_payload(decode=True).decode() for x in m.walk()
        if x.get_content_type() == "text/plain"]
assert any("poor copy: page 1 (" in b and "rows bad, answered RTP" in b for b in body), body
PY
gw_stop
finish
