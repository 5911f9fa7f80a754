#!/usr/bin/env python3
"""gateway/web over the real queue (gateway/web/web_queue + gateway/spool/queue +
gateway/page): jobs made and settled through the queue API by web_testsrv
mkq, served by web_testsrv serve --queue 1, read and changed with
http.client: counts, history, detail, a real PNG thumbnail of pages.tif,
transcripts, retry, resend, delete, a scan committed as a queued job, and
the queue gauges of /metrics."""
import http.client
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

TOOLS = os.environ.get("IFAXGW_TOOLS", "build/tests")
SRV = os.path.join(TOOLS, "web_testsrv")
TOKEN = "qt-" + os.urandom(6).hex()
HOSTILE = "<script>alert(1)</script>"
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def main():
    tmp = tempfile.mkdtemp(prefix="webq.")
    spool = os.path.join(tmp, "spool")
    p = None
    try:
        subprocess.run([SRV, "mkq", spool, "done", "5", HOSTILE], check=True)
        subprocess.run([SRV, "mkq", spool, "failed", "2"], check=True)
        subprocess.run([SRV, "mkq", spool, "notice", "1"], check=True)
        subprocess.run([SRV, "mkq", spool, "queue", "1"], check=True)
        err = open(os.path.join(tmp, "stderr"), "w+")
        p = subprocess.Popen([SRV, "serve", spool, "--queue", "1", "--token", TOKEN, "--rate", "-1"],
                             stdout=subprocess.PIPE, stderr=err, text=True)
        port = int(re.match(r"port=(\d+)", p.stdout.readline()).group(1))

        def req(method, path, body=None, auth=False):
            c = http.client.HTTPConnection("127.0.0.1", port)
            h = {"Authorization": "Bearer " + TOKEN} if auth else {}
            if body is not None:
                body = json.dumps(body)
                h["Content-Type"] = "application/json"
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            c.close()
            return r.status, r.getheader("Content-Type"), data

        st, _, b = req("GET", "/api/status")
        q = json.loads(b)["queue"]
        check(q["done"] == 5 and q["failed"] == 2 and q["queue"] == 2, "status counts the real spool: %s" % q)
        check(q["deferred"] == 1, "a job held for its owed notice counts as deferred: %s" % q)
        st, _, b = req("GET", "/api/jobs?state=queue&limit=50")
        owed = [x for x in json.loads(b)["jobs"] if x["recipients"][0]["notice"] == "owed"]
        check(len(owed) == 1 and owed[0]["recipients"][0]["state"] == "failed"
              and owed[0]["recipients"][0]["notice_next"] > 0,
              "the owed notice shows on its failed recipient with its next try")
        st, _, b = req("GET", "/api/jobs?state=done&limit=3")
        l = json.loads(b)
        check(st == 200 and l["total"] == 5 and len(l["jobs"]) == 3, "history listing from the queue")
        ids = [j["id"] for j in l["jobs"]]
        check(ids == sorted(ids, reverse=True), "history newest first")
        j = l["jobs"][0]
        check(j["csid"] == HOSTILE and j["caller_id"] == "+49301234567" and j["pages"] == 2,
              "job fields from meta.json (CSID verbatim)")
        r0 = j["recipients"][0]
        check(r0["state"] == "delivered" and r0["reply"].startswith("250 ") and r0["profile"] == "F",
              "delivered recipient with its 250 reply and profile")
        jid = j["id"]
        st, _, b = req("GET", "/api/jobs/" + jid)
        check(st == 200 and json.loads(b)["message_id"].startswith("<" + jid), "detail has the Message-ID")
        st, ct, b = req("GET", "/api/jobs/%s/pages/1.png" % jid)
        ok = st == 200 and ct == "image/png" and b[:8] == b"\x89PNG\r\n\x1a\n"
        check(ok, "thumbnail of pages.tif is a PNG")
        if ok:
            w, h = struct.unpack(">II", b[16:24])
            check(0 < w <= 200 and h > 0, "thumbnail is at most 200 px wide (%dx%d)" % (w, h))
        st, _, _ = req("GET", "/api/jobs/%s/pages/3.png" % jid)
        check(st == 404, "page past the end: 404")
        st, _, b = req("GET", "/api/jobs/%s/log/t30" % jid)
        check(st == 200 and b"MCF" in b, "T.30 transcript from the job dir")
        st, _, b = req("GET", "/api/jobs/%s/log/smtp" % jid)
        check(st == 200 and b"250 2.0.0" in b, "SMTP transcript from the job dir")
        st, _, b = req("GET", "/api/jobs/20991231T000000.000-deadbeef")
        check(st == 404, "unknown job id: 404")

        st, _, b = req("GET", "/api/jobs?state=failed")
        fid = json.loads(b)["jobs"][0]["id"]
        st, _, _ = req("POST", "/api/jobs/%s/retry" % fid)
        check(st == 401, "retry without the token: 401")
        st, _, b = req("POST", "/api/jobs/%s/retry" % fid, auth=True)
        check(st == 200, "retry with the token")
        st, _, b = req("GET", "/api/jobs/" + fid)
        d = json.loads(b)
        check(d["state"] == "queue" and d["recipients"][0]["state"] == "pending",
              "the queue moved the failed job back, recipient pending")
        st, _, b = req("POST", "/api/jobs/%s/retry" % jid, auth=True)
        check(st == 409, "retry of a delivered job: 409")

        st, _, b = req("POST", "/api/jobs/%s/resend" % jid, {"to": "other@device.test"}, auth=True)
        check(st == 200, "resend accepted")
        st, _, b = req("GET", "/api/jobs?state=queue&limit=50")
        new = [x for x in json.loads(b)["jobs"] if x["recipients"] and x["recipients"][0]["address"] == "other@device.test"]
        check(len(new) == 1 and new[0]["csid"] == HOSTILE and new[0]["pages"] == 2,
              "resend committed a new job with the same pages for the new address")

        did = ids[1]
        st, _, _ = req("DELETE", "/api/jobs/" + did, auth=True)
        check(st == 200, "delete accepted")
        st, _, _ = req("GET", "/api/jobs/" + did)
        check(st == 404, "deleted job is gone")
        st, _, b = req("GET", "/api/jobs?state=done")
        check(json.loads(b)["total"] == 4, "history cache follows the delete")

        st, _, _ = req("POST", "/api/scan", {"profile": "a4-fine", "to": ["scan@device.test"]}, auth=True)
        check(st == 202, "scan accepted")
        while True:
            s = json.loads(req("GET", "/api/status")[2])["scanner"]
            if s["state"] != "scanning":
                break
            time.sleep(0.2)
        st, _, b = req("GET", "/api/jobs/" + s["job"])
        d = json.loads(b) if st == 200 else {}
        check(d.get("source") == "scan" and d.get("pages") == 3 and d.get("state") == "queue"
              and d["recipients"][0]["address"] == "scan@device.test",
              "the scan was committed to the queue as a 3-page job")

        st, ct, b = req("GET", "/metrics")
        t = b.decode()
        check(t.endswith("# EOF\n") and re.search(r'^ifaxgw_queue_jobs\{state="done"\} 4$', t, re.M),
              "metrics show the queue depth")
        check(re.search(r'^ifaxgw_queue_oldest_age_seconds\{state="queue"\} [0-9.]+$', t, re.M) is not None,
              "metrics show the oldest queued age")
        p.terminate()
        rc = p.wait()
        p = None
        err.seek(0)
        log = err.read()
        check(rc == 0, "server stops cleanly (%d)%s" % (rc, "" if rc == 0 else "\n" + log[-3000:]))
        check(TOKEN not in log, "token not logged")
    finally:
        if p is not None:
            p.kill()
            p.wait()
        shutil.rmtree(tmp)
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
