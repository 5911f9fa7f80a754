#!/usr/bin/env python3
"""API tests of gateway/web with a real HTTP client (http.client) against
tests/tools/web_testsrv serving a temp spool: status, listing, detail,
thumbnails, transcripts, actions with and without the token or the session
cookie and CSRF header, path traversal, body size (413), rate limit (429),
/metrics in OpenMetrics text, and that the token never reaches the log."""
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

TOOLS = os.environ.get("IFAXGW_TOOLS", "build/tests")
SRV = os.path.join(TOOLS, "web_testsrv")
TOKEN = "t0ken-" + os.urandom(6).hex()
HOSTILE = "<script>alert(1)</script>"

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


class Server:
    def __init__(self, spool, *args):
        self.errlog = open(os.path.join(os.path.dirname(spool), "stderr-%d.log" % id(self)), "w+")
        self.p = subprocess.Popen([SRV, "serve", spool] + list(args),
                                  stdout=subprocess.PIPE, stderr=self.errlog, text=True)
        line = self.p.stdout.readline()
        m = re.match(r"port=(\d+)", line)
        if not m:
            raise SystemExit("web_testsrv did not start: %r" % line)
        self.port = int(m.group(1))

    def req(self, method, path, body=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port)
        h = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data

    def stop(self):
        self.p.terminate()
        rc = self.p.wait()
        self.errlog.seek(0)
        log = self.errlog.read()
        # sanitizer builds report leaks at exit
        check(rc == 0, "web_testsrv stops cleanly (exit %d)%s" % (rc, "" if rc == 0 else "\n" + log[-3000:]))
        return log


def js(data):
    try:
        return json.loads(data)
    except ValueError:
        return None


def main():
    tmp = tempfile.mkdtemp(prefix="webapi.")
    spool = os.path.join(tmp, "spool")
    try:
        for state, n, csid in (("done", 12, HOSTILE), ("failed", 2, None), ("queue", 3, None)):
            args = [SRV, "mkjobs", spool, state, str(n)] + ([csid] if csid else [])
            subprocess.run(args, check=True)
        # a job directory that is a symlink out of the spool
        outside = os.path.join(tmp, "outside")
        os.mkdir(outside)
        shutil.copy(os.path.join(spool, "failed", sorted(os.listdir(os.path.join(spool, "failed")))[0], "meta.json"),
                    outside)
        with open(os.path.join(outside, "t30.log"), "w") as f:
            f.write("SECRET-OUTSIDE\n")
        os.symlink(outside, os.path.join(spool, "failed", "evil-link"))
        srv = Server(spool, "--token", TOKEN, "--max-body", "4096", "--rate", "-1")
        try:
            run(srv, spool)
        finally:
            log = srv.stop()
        check(TOKEN not in log, "the token never appears in the server's log")
        check("refused=" in log, "refusals are logged")
        rate_tests(spool)
    finally:
        shutil.rmtree(tmp)
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


def run(srv, spool):
    bearer = {"Authorization": "Bearer " + TOKEN}
    done_ids = sorted(os.listdir(os.path.join(spool, "done")))
    failed_ids = sorted(i for i in os.listdir(os.path.join(spool, "failed")) if i != "evil-link")

    # status
    st, h, body = srv.req("GET", "/api/status")
    s = js(body)
    check(st == 200 and h.get("content-type") == "application/json", "GET /api/status is JSON")
    check(s and s["queue"] == {"incoming": 0, "queue": 3, "done": 12, "failed": 3, "deferred": 3},
          "status counts jobs per state: %s" % (s and s["queue"]))
    check(s and [l["name"] for l in s["lines"]] == ["fax0", "fax1", "pbx"], "status lists the lines")
    check(s and "calls" not in s["lines"][1] and "max_calls" not in s["lines"][1],
          "a line of one call at a time has no calls list")
    pbx = s["lines"][2]["calls"] if s else []
    check(s and s["lines"][2]["max_calls"] == 4 and [c["uuid"] for c in pbx] ==
          ["0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "11111111-2222-4333-8444-555555555555"],
          "an AudioSocket line lists its calls by UUID, oldest first")
    check(pbx and pbx[0]["csid"] == "<img src=x onerror=alert(1)>\\xFF" and pbx[0]["caller"] == "<b>49\\xFC</b>",
          "a call's CSID and caller: kept, the bytes not UTF-8 as \\xNN: %r" % (pbx and pbx[0]["csid"]))
    check(pbx and (pbx[0]["state"], pbx[0]["page"], pbx[0]["bit_rate"], pbx[0]["called"]) == ("receiving", 2, 9600, "100")
          and (pbx[1]["state"], pbx[1]["training_rate"], pbx[1]["bit_rate"]) == ("training", 14400, 0)
          and pbx[0]["started_ms"] < pbx[0]["progress_ms"],
          "each call's state, page, rates and times: %r" % (pbx[:1],))
    lc = s["lines"][0]["last_call"] if s else {}
    st2, _, b2 = srv.req("GET", "/api/jobs/" + lc.get("job", "x"))
    check(st2 == 200 and js(b2)["csid"] == lc["csid"], "a line's last call names its job")
    check(s and s["scanner"]["profiles"] == ["a4-fine", "a4-standard"], "status shows scan profiles")

    # listing
    st, _, body = srv.req("GET", "/api/jobs?state=done&limit=5&offset=0")
    l = js(body)
    check(st == 200 and l["total"] == 12 and len(l["jobs"]) == 5, "listing pages with limit")
    check(l["jobs"][0]["time"] >= l["jobs"][-1]["time"], "listing is newest first")
    st, _, body = srv.req("GET", "/api/jobs?state=done&limit=5&offset=10")
    check(st == 200 and len(js(body)["jobs"]) == 2, "listing honours offset")
    for bad in ("state=bogus", "limit=0", "limit=100000", "offset=-1", "limit=1x"):
        st, h, body = srv.req("GET", "/api/jobs?" + bad)
        check(st == 400 and "error" in (js(body) or {}), "bad query %s is 400 with a JSON error" % bad)

    # search and filters (server side), CSV
    st, _, body = srv.req("GET", "/api/jobs?state=done&q=%3CSCRIPT")
    check(st == 200 and js(body)["total"] == 12, "q matches the CSID case-insensitively")
    st, _, body = srv.req("GET", "/api/jobs?state=done&q=" + done_ids[3])
    check(st == 200 and [j["id"] for j in js(body)["jobs"]] == [done_ids[3]], "q matches a job id")
    st, _, body = srv.req("GET", "/api/jobs?state=done&q=IFAX%40DEVICE")
    check(st == 200 and js(body)["total"] == 12, "q matches a recipient address")
    st, _, body = srv.req("GET", "/api/jobs?state=done&q=nothing-like-this")
    check(st == 200 and js(body)["total"] == 0 and js(body)["jobs"] == [], "q without a match: total 0")
    st, _, body = srv.req("GET", "/api/jobs?state=done&line=fax9")
    check(st == 200 and js(body)["total"] == 0, "line filter: another line matches nothing")
    st, _, body = srv.req("GET", "/api/jobs?state=done&line=fax0&limit=500")
    alljobs = js(body)["jobs"]
    check(st == 200 and len(alljobs) == 12, "line filter: fax0 matches all")
    t_mid = sorted(j["time"] for j in alljobs)[6]
    st, _, body = srv.req("GET", "/api/jobs?state=done&from=%d" % t_mid)
    check(st == 200 and js(body)["total"] == 6 and all(j["time"] >= t_mid for j in js(body)["jobs"]),
          "from: only jobs at or after it (%s)" % js(body)["total"])
    st, _, body = srv.req("GET", "/api/jobs?state=done&to=%d" % t_mid)
    check(st == 200 and js(body)["total"] == 6, "to: only jobs before it")
    for bad in ("from=yesterday", "to=-5", "q=" + "x" * 200):
        st, _, body = srv.req("GET", "/api/jobs?state=done&" + bad)
        check(st == 400 and "error" in (js(body) or {}), "bad filter %s is 400" % bad[:20])
    st, h, body = srv.req("GET", "/api/jobs.csv?state=done")
    rows = body.decode().split("\r\n")
    check(st == 200 and h["content-type"].startswith("text/csv") and len([r for r in rows if r]) == 13,
          "CSV: a header and 12 rows")
    check(rows[1].count('"<script>alert(1)</script>"') == 1, "CSV keeps the hostile CSID as quoted text")
    st, _, body = srv.req("GET", "/api/jobs.csv?state=done&q=" + done_ids[0])
    check(st == 200 and len([r for r in body.decode().split("\r\n") if r]) == 2, "CSV honours the search")

    # server-sent events: the status at once
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    c.request("GET", "/api/events")
    r = c.getresponse()
    head = b""
    while b"\n\n" not in head.split(b"event: status", 1)[-1] or b"event: status" not in head:
        chunk = r.read1(4096)
        if not chunk:
            break
        head += chunk
    c.close()
    ev = head.split(b"data: ", 1)[-1].split(b"\n", 1)[0]
    check(r.status == 200 and r.getheader("content-type") == "text/event-stream" and head.startswith(b"retry: "),
          "GET /api/events streams text/event-stream")
    check((js(ev) or {}).get("queue", {}).get("done") == 12, "the first event is the status")

    # detail
    jid = done_ids[0]
    st, _, body = srv.req("GET", "/api/jobs/" + jid)
    j = js(body)
    check(st == 200 and j["id"] == jid and j["state"] == "done" and j["csid"] == HOSTILE,
          "job detail has id, state and the CSID verbatim")
    check(j["recipients"][0]["reply"].startswith("250 "), "detail has the remote's 250 reply")
    st, _, body = srv.req("GET", "/api/jobs/nosuchjob")
    check(st == 404 and js(body)["error"] == "no such job", "unknown job is 404 JSON")

    # thumbnails
    st, h, body = srv.req("GET", "/api/jobs/%s/pages/1.png" % jid)
    check(st == 200 and h.get("content-type") == "image/png" and body[:8] == b"\x89PNG\r\n\x1a\n",
          "thumbnail is a PNG")
    for bad in ("0.png", "3.png", "1.gif", "01x.png", "1.png.png", "99999.png"):
        st, _, body = srv.req("GET", "/api/jobs/%s/pages/%s" % (jid, bad))
        check(st == 404 and js(body) is not None, "page %s is 404" % bad)

    # transcripts
    st, h, body = srv.req("GET", "/api/jobs/%s/log/t30" % jid)
    check(st == 200 and b"MCF" in body and h["content-type"].startswith("text/plain"), "T.30 transcript")
    st, _, body = srv.req("GET", "/api/jobs/%s/log/smtp" % jid)
    check(st == 200 and b"250" in body, "SMTP transcript")
    st, _, _ = srv.req("GET", "/api/jobs/%s/log/meta" % jid)
    check(st == 404, "only t30 and smtp logs are served")

    # path traversal: raw, encoded, double-encoded, symlinked job dir
    for path in ("/api/jobs/../../../etc/passwd", "/api/jobs/%2e%2e/log/t30",
                 "/api/jobs/%2e%2e%2f%2e%2e%2fetc/log/t30", "/api/jobs/..%2Fdone/log/t30",
                 "/api/jobs/.%2e/log/t30", "/api/jobs/%252e%252e/log/t30",
                 "/api/jobs/" + jid + "%2f..%2f..%2f/log/t30", "/api/jobs/a%00b/log/t30",
                 "/api/jobs/.hidden/log/t30"):
        st, _, body = srv.req("GET", path)
        check(st in (400, 403, 404) and b"root:" not in body and js(body) is not None,
              "traversal %s refused (%d)" % (path, st))
    st, _, body = srv.req("GET", "/api/jobs/evil-link/log/t30")
    check(st == 403 and b"SECRET-OUTSIDE" not in body, "job dir resolving outside the spool is 403")

    # actions without / with wrong credentials
    fid = failed_ids[0]
    st, h, body = srv.req("POST", "/api/jobs/%s/retry" % fid)
    check(st == 401 and "error" in js(body) and "www-authenticate" in h, "retry without token: 401")
    st, _, _ = srv.req("POST", "/api/jobs/%s/retry" % fid, headers={"Authorization": "Bearer wrong"})
    check(st == 403, "retry with a wrong token: 403")
    st, _, _ = srv.req("DELETE", "/api/jobs/%s" % fid)
    check(st == 401, "delete without token: 401")
    st, _, _ = srv.req("POST", "/api/jobs/%s/resend" % fid, {"to": "x@y.test"})
    check(st == 401, "resend without token: 401")
    st, _, _ = srv.req("POST", "/api/scan", {"profile": "a4-fine"})
    check(st == 401, "scan without token: 401")
    check(os.path.isdir(os.path.join(spool, "failed", fid)), "refused actions changed nothing")

    # retry with the token
    st, _, body = srv.req("POST", "/api/jobs/%s/retry" % fid, headers=bearer)
    check(st == 200 and js(body)["ok"] is True, "retry with the token: 200")
    check(os.path.isdir(os.path.join(spool, "queue", fid)), "retried job moved to queue/")
    st, _, body = srv.req("GET", "/api/jobs/" + fid)
    check(js(body)["state"] == "queue" and js(body)["recipients"][0]["state"] == "pending",
          "retried job is queued with its recipient pending")
    st, _, body = srv.req("POST", "/api/jobs/%s/retry" % done_ids[1], headers=bearer)
    check(st == 409 and "error" in js(body), "retry of a delivered job: 409")

    # session cookie + CSRF
    st, _, _ = srv.req("POST", "/api/login", {"token": "wrong"})
    check(st == 403, "login with a wrong token: 403")
    st, h, body = srv.req("POST", "/api/login", {"token": TOKEN})
    cookie = h.get("set-cookie", "")
    check(st == 200 and "HttpOnly" in cookie and "SameSite=Strict" in cookie, "login sets an HttpOnly SameSite=Strict cookie")
    check(TOKEN not in cookie and TOKEN.encode() not in body, "the session does not carry the token")
    sess = cookie.split(";")[0]
    csrf = js(body)["csrf"]
    fid2 = failed_ids[1]
    st, _, _ = srv.req("POST", "/api/jobs/%s/retry" % fid2, headers={"Cookie": sess})
    check(st == 403, "cookie without the CSRF header: 403")
    st, _, _ = srv.req("POST", "/api/jobs/%s/retry" % fid2, headers={"Cookie": sess, "X-IfaxGW-CSRF": "0" * 64})
    check(st == 403, "cookie with a wrong CSRF header: 403")
    st, _, _ = srv.req("POST", "/api/jobs/%s/retry" % fid2,
                       headers={"Cookie": sess, "X-IfaxGW-CSRF": csrf, "Origin": "http://evil.test"})
    check(st == 403, "cookie + CSRF from a foreign Origin: 403")
    check(os.path.isdir(os.path.join(spool, "failed", fid2)), "CSRF-refused retry changed nothing")
    st, _, body = srv.req("GET", "/api/session", headers={"Cookie": sess})
    check(js(body) == {"logged_in": True, "csrf": csrf}, "GET /api/session gives the page its CSRF token back")
    st, _, _ = srv.req("POST", "/api/jobs/%s/retry" % fid2,
                       headers={"Cookie": sess, "X-IfaxGW-CSRF": csrf, "Origin": "http://127.0.0.1:%d" % srv.port,
                                "Host": "127.0.0.1:%d" % srv.port})
    check(st == 200 and os.path.isdir(os.path.join(spool, "queue", fid2)), "cookie + CSRF header + same Origin: retry works")
    st, _, _ = srv.req("POST", "/api/logout", headers={"Cookie": sess, "X-IfaxGW-CSRF": csrf})
    check(st == 200, "logout")
    st, _, _ = srv.req("POST", "/api/jobs/%s/retry" % fid2, headers={"Cookie": sess, "X-IfaxGW-CSRF": csrf})
    check(st == 403, "a logged-out session is refused")

    # resend
    st, _, body = srv.req("POST", "/api/jobs/%s/resend" % done_ids[2], {"to": "evil@x>\r\nRCPT TO:<y@z"}, bearer)
    check(st == 422, "resend to a malformed address: 422")
    st, _, body = srv.req("POST", "/api/jobs/%s/resend" % done_ids[2], b"{not json", bearer)
    check(st == 400 and "bad JSON" in js(body)["error"], "resend with bad JSON: 400")
    before = set(os.listdir(os.path.join(spool, "queue")))
    st, _, body = srv.req("POST", "/api/jobs/%s/resend" % done_ids[2], {"to": "other@device.test"}, bearer)
    new = set(os.listdir(os.path.join(spool, "queue"))) - before
    check(st == 200 and len(new) == 1, "resend makes a new queued job")
    check(st == 200 and new and js(body)["id"] == list(new)[0] and js(body)["resent_from"] == done_ids[2],
          "resend answers with the new job's id (and the old one's as resent_from)")
    if new:
        st, _, body = srv.req("GET", "/api/jobs/" + new.pop())
        check(js(body)["recipients"][0]["address"] == "other@device.test", "the new job goes to the new address")

    # delete
    st, _, body = srv.req("DELETE", "/api/jobs/%s" % done_ids[3], headers=bearer)
    check(st == 200 and not os.path.exists(os.path.join(spool, "done", done_ids[3])), "DELETE removes the job")
    st, _, _ = srv.req("POST", "/api/jobs/%s/delete" % done_ids[4], headers=bearer)
    check(st == 200 and not os.path.exists(os.path.join(spool, "done", done_ids[4])), "POST .../delete removes the job")
    st, _, _ = srv.req("DELETE", "/api/jobs/%s" % done_ids[3], headers=bearer)
    check(st == 404, "deleting it again: 404")

    # scan
    st, _, body = srv.req("POST", "/api/scan", {"profile": "nope"}, bearer)
    check(st == 422, "scan with an unknown profile: 422")
    st, _, body = srv.req("POST", "/api/scan", {"profile": "a4-fine", "to": ["bad address"]}, bearer)
    check(st == 422, "scan with a malformed recipient: 422")
    st, _, body = srv.req("POST", "/api/scan", {"profile": "a4-fine", "to": ["scan@device.test"]}, bearer)
    check(st == 202, "scan accepted: 202")
    st, _, body = srv.req("GET", "/api/status")
    check(js(body)["scanner"]["state"] == "scanning", "status shows the scan in progress")
    while js(body)["scanner"]["state"] == "scanning":
        time.sleep(0.2)
        st, _, body = srv.req("GET", "/api/status")
    sj = js(body)["scanner"]["job"]
    st, _, body = srv.req("GET", "/api/jobs/" + sj)
    check(st == 200 and js(body)["source"] == "scan" and js(body)["recipients"][0]["address"] == "scan@device.test",
          "the finished scan is a queued job for its recipient")

    # body size
    big = json.dumps({"to": "a@b.test", "pad": "x" * 5000})
    st, _, body = srv.req("POST", "/api/jobs/%s/resend" % done_ids[5], big, dict(bearer, **{"Content-Type": "application/json"}))
    check(st == 413 and "error" in js(body), "a body over max-body is 413 (Content-Length)")
    c = http.client.HTTPConnection("127.0.0.1", srv.port)
    c.putrequest("POST", "/api/jobs/%s/resend" % done_ids[5])
    c.putheader("Authorization", "Bearer " + TOKEN)
    c.putheader("Transfer-Encoding", "chunked")
    c.endheaders()
    chunk = b"x" * 3000
    for _ in range(2):
        c.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    c.send(b"0\r\n\r\n")
    r = c.getresponse()
    check(r.status == 413 and "error" in js(r.read()), "a chunked body over max-body is 413")
    c.close()

    # errors and headers
    st, h, body = srv.req("GET", "/nope")
    check(st == 404 and js(body) == {"error": "not found"}, "unknown path: 404 JSON")
    st, h, body = srv.req("PUT", "/api/status")
    check(st == 405 and js(body) is not None, "unknown method: 405 JSON")
    st, h, body = srv.req("GET", "/")
    check(st == 200 and b"<title>ifaxgw</title>" in body and "script-src 'self'" in h.get("content-security-policy", ""),
          "page served with a strict CSP")
    check(h.get("x-content-type-options") == "nosniff", "nosniff header")
    st, h, body = srv.req("GET", "/app.js")
    check(st == 200 and b"innerHTML" not in body.replace(b"never innerHTML", b""), "app.js never uses innerHTML")

    # metrics
    st, h, body = srv.req("GET", "/metrics")
    text = body.decode()
    check(st == 200 and h["content-type"].startswith("application/openmetrics-text; version=1.0.0"),
          "metrics content type")
    check(text.endswith("# EOF\n"), "metrics end with # EOF")
    sample = re.compile(r'^[a-z_]+(\{([a-z_]+="([^"\\\n]|\\.)*",?)*\})? [0-9.e+-]+$')
    bad = [ln for ln in text.splitlines()[:-1] if not ln.startswith("# ") and not sample.match(ln)]
    check(not bad, "every metrics sample line is well formed %s" % bad[:3])
    for fam in ("ifaxgw_calls", "ifaxgw_pages", "ifaxgw_failures", "ifaxgw_deliveries"):
        check("# TYPE %s counter\n" % fam in text, "metrics family %s" % fam)
    check(re.search(r'^ifaxgw_queue_jobs\{state="done"\} 10$', text, re.M) is not None, "queue depth gauge (done=10)")
    check(re.search(r'^ifaxgw_queue_oldest_age_seconds\{state="queue"\} [0-9.]+$', text, re.M) is not None,
          "oldest age gauge")
    check('ifaxgw_deliveries_total{outcome="delivered",profile="F"} 12' in text, "deliveries by outcome and profile")


def rate_tests(spool):
    srv = Server(spool, "--token", TOKEN, "--rate", "60")
    try:
        codes = []
        burst = 30  # WEB_AUTH_BURST(60): 30 s worth
        for _ in range(burst + 20):
            st, h, body = srv.req("GET", "/api/status")
            codes.append(st)
            if st == 429:
                check(h.get("retry-after") == "1" and js(body) == {"error": "too many requests"},
                      "429 has Retry-After and a JSON body")
                break
        check(429 in codes and codes.index(429) == burst,
              "rate 60/min: request %d of a burst is 429 (got %s)" % (burst + 1, codes))
        time.sleep(1.2)
        st, _, _ = srv.req("GET", "/api/status")
        check(st == 200, "the bucket refills with time")
    finally:
        srv.stop()


if __name__ == "__main__":
    sys.exit(main())
