#!/usr/bin/python3
# ctest-labels: slow
"""test_system_crash - kill -9 of `ifaxgw run` during reception and delivery.

Real processes: the daemon with one audio line, tests/peers/ifax_device.py
as the Internet fax device, tests/tools/audio_stream playing a recorded
3-page call (tests/tools/fax_record) into the line's socket at 60x real
time. Each round starts the daemon (start-up recovery runs), places a call
with a caller ID of its own, and kills the daemon with SIGKILL: while the
call is being received, shortly after its job was committed (delivery under
way), or at a random moment. After the last round the daemon runs until the
spool is settled and stops on SIGTERM (exit 0). Then:
  * every job ever seen in queue/ or done/ (snapshots after each kill) is in
    done/: nothing committed is lost; queue/, incoming/, failed/ are empty;
  * every job left in incoming/ by a kill has a recovery log line:
    committed/finished (then it is in done/; committed ones are partial
    with the recovery reason, delivered with it as a Note) or discarded
    (no complete page; then it is nowhere and never delivered); or, when
    the next run was killed between recovery's commit and its log line,
    it is in queue/ or done/ after that round and must be in done/ (partial
    or not: the log would have said committed or finished);
  * every done job: meta.json parses, pages.tif has meta's page count
    (tiffinfo), each recipient delivered with the device's 250 recorded;
  * the device got each done job's Message-ID at least once, every copy
    byte-identical with an ok verdict and meta's page count, and no message
    that is not a done job's. Copies come one per run at most: a second
    one only when the run that sent the first was killed after the device's
    250 and before the outcome was written (so a job whose delivery several
    kills in a row cut that way can arrive more than twice); never again
    after a run logged the delivery as recorded.
KILLS (default 36) sets the rounds, SEED the random choices.
"""
import email
import email.policy
import glob
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

GW = os.environ["IFAXGW"]
TOOLS = os.environ["IFAXGW_TOOLS"]
SRC = os.environ["IFAXGW_SRC"]
PY = os.environ.get("PYTHON", "/usr/bin/python3")
KILLS = int(os.environ.get("KILLS", "36"))
SEED = int(os.environ.get("SEED", str(int(time.time()))))
SPEED = "60"
MODES = ("reception", "delivery", "random")

failures = []


def check(desc, ok):
    print("%s - %s" % ("ok  " if ok else "FAIL", desc))
    if not ok:
        failures.append(desc)


def wait_file(path, proc):
    while not os.path.exists(path) or os.path.getsize(path) == 0:
        if proc.poll() is not None:
            raise RuntimeError("%s exited before writing %s" % (proc.args, path))
        time.sleep(0.05)


def listdir(path):
    return sorted(os.listdir(path)) if os.path.isdir(path) else []


class Rig:
    def __init__(self, tmp):
        self.tmp = tmp
        self.spool = os.path.join(tmp, "spool")
        self.sock = os.path.join(tmp, "a0.sock")
        self.devdir = os.path.join(tmp, "dev")
        self.conf = os.path.join(tmp, "gw.conf")
        self.logpath = os.path.join(tmp, "gw.log")
        self.gw = None
        self.dev = None
        self.starts = 0
        self.run_first_msg = []  # per run: number of its first device message

    def start_device(self):
        os.makedirs(self.devdir)
        pf = os.path.join(self.tmp, "dev.port")
        self.dev = subprocess.Popen(
            [PY, os.path.join(SRC, "tests/peers/ifax_device.py"), "--save-dir",
             self.devdir, "--port-file", pf],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.tmp, "dev.err"), "w"))
        wait_file(pf, self.dev)
        return int(open(pf).read())

    def write_conf(self, port):
        with open(self.conf, "w") as f:
            f.write("""
gateway: { name = "ifaxgw-crash"; spool = "%s"; log_level = "info";
           retention_s = 864000; workers = 2; };
lines = ( { name = "a0"; audio = "%s"; station_id = "+1 555 0199"; } );
smtp: { hostname = "gw.test"; from = "ifaxgw@gw.test"; direct_tls = "none";
        retry = [ 1 ]; };
routes = ( { name = "fax"; recipients = ( { address = "fax@ifax.test";
             host = "127.0.0.1:%d"; } ); } );
web: { listen = "127.0.0.1"; port = 0; token = "crash-test-token-0123456789"; };
""" % (self.spool, self.sock, port))

    def start_gw(self):
        self.starts += 1
        with open(self.logpath, "a") as log:
            log.write("=== start %d\n" % self.starts)
        self.gw = subprocess.Popen([GW, "run", "-c", self.conf],
                                   stderr=open(self.logpath, "a"))

    def kill_gw(self):
        self.gw.send_signal(signal.SIGKILL)
        self.gw.wait()

    def stop(self):
        for p in (self.gw, self.dev):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()

    def device_count(self):
        """Messages the device saved, once it has settled (a message whose
        DATA the killed daemon finished may still be being written)."""
        n = -1
        while True:
            m = len(glob.glob(os.path.join(self.devdir, "msg-*.eml")))
            if m == n:
                return n
            n = m
            time.sleep(0.3)

    def states(self):
        return {st: listdir(os.path.join(self.spool, st))
                for st in ("incoming", "queue", "done", "failed")}


def stream(rig, caller, raw):
    return subprocess.Popen(
        [os.path.join(TOOLS, "audio_stream"), "-c", "caller=%d called=5550199" % caller,
         "-x", SPEED, "-w", "60", rig.sock, raw],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(cond, rig, limit_s):
    """Poll cond() until true or limit_s passed (this only picks the kill
    moment; nothing is judged by time)."""
    end = time.monotonic() + limit_s
    while time.monotonic() < end and rig.gw.poll() is None:
        if cond():
            return True
        time.sleep(0.01)
    return False


def round_(rig, i, mode, raw, rnd):
    before = set(rig.states()["queue"]) | set(rig.states()["done"])
    t0 = time.monotonic()
    rig.run_first_msg.append(rig.device_count() + 1)
    rig.start_gw()
    st = stream(rig, 1000 + i, raw)
    if mode == "reception":
        # the call was answered (its job exists): kill while pages arrive
        wait_for(lambda: rig.states()["incoming"], rig, 30)
        time.sleep(rnd.uniform(0.0, 2.0))
    elif mode == "delivery":
        # the call's job was committed: kill while it is being delivered
        wait_for(lambda: (set(rig.states()["queue"]) | set(rig.states()["done"]))
                 - before, rig, 30)
        time.sleep(rnd.uniform(0.0, 0.4))
    else:
        time.sleep(rnd.uniform(0.0, 3.0))
    rig.kill_gw()
    st.wait()
    print("round %d: %s, killed %.1f s after the start" % (i, mode, time.monotonic() - t0),
          flush=True)
    return rig.states()


def recovery_lines(text):
    rec = {}
    names = {"committed-partial": "committed", "commit-finished": "finished"}
    for m in re.finditer(r"job=(\S+) recovery=([\w-]+) detail=\"([^\"]*)\"", text):
        kind = names.get(m.group(2), m.group(2))
        rec.setdefault(m.group(1), []).append((kind, m.group(3)))
    return rec


def run_logs(text):
    """The daemon's log split per run (the "=== start N" markers)."""
    return re.split(r"^=== start \d+\n", text, flags=re.M)[1:]


def run_of(rig, num):
    """The run during which the device saved message number num."""
    run = 0
    for r, first in enumerate(rig.run_first_msg, 1):
        if num >= first:
            run = r
    return run


def tiff_pages(path):
    r = subprocess.run(["tiffinfo", path], capture_output=True, text=True)
    return r.returncode, r.stdout.count("TIFF Directory at offset")


def device_messages(devdir):
    msgs = {}
    for js in sorted(glob.glob(os.path.join(devdir, "msg-*.json"))):
        v = json.load(open(js))
        eml = open(js[:-5] + ".eml", "rb").read()
        msg = email.message_from_bytes(eml, policy=email.policy.default)
        text = ""
        for part in msg.walk():
            if part.get_content_type() == "text/plain":
                text += part.get_content()
        v["text"] = text
        v["num"] = int(re.search(r"msg-(\d+)\.json$", js).group(1))
        v["raw"] = eml
        msgs.setdefault(v["info"].get("message_id", ""), []).append(v)
    return msgs


def unlogged_recovery(rig, rounds, jid, log):
    """A job a kill left in incoming/ that the next run's start-up recovery
    committed, the run being killed before it logged that: recovery logs
    after the commit (rename, fsyncs), and a round's kill can land between
    the two. Accepted only when the job was in incoming/ after round r, in
    queue/ or done/ (and not incoming/) after round r + 1, and run r + 2
    (the run of round r + 1, 1-based) named it nowhere in its log; the
    checks on done jobs then hold it to the rest (delivered, partial)."""
    first = next((r for r, s in enumerate(rounds) if jid in s["incoming"]), None)
    if first is None or first + 1 >= len(rounds):
        return False
    after = rounds[first + 1]
    runs = run_logs(log)
    silent = first + 1 < len(runs) and jid not in runs[first + 1]
    moved = jid not in after["incoming"] and jid in set(after["queue"]) | set(after["done"])
    if moved and silent:
        print("  job %s: committed by run %d's recovery, which was killed before it logged "
              "(round %d)" % (jid, first + 2, first + 1), flush=True)
    return moved and silent


def verify(rig, seen_committed, seen_incoming, kills_by_mode, rounds):
    log = open(rig.logpath, errors="replace").read()
    states = rig.states()
    done = set(states["done"])
    check("queue/, incoming/ and failed/ are empty at the end",
          not states["queue"] and not states["incoming"] and not states["failed"])
    lost = sorted(seen_committed - done)
    check("every committed job is in done/ (lost: %s)" % lost[:5], not lost)

    rec = recovery_lines(log)
    recovered = {"committed": 0, "finished": 0, "discarded": 0, "unlogged": 0}
    for jid in sorted(seen_incoming):
        kinds = [k for k, _ in rec.get(jid, [])]
        if not any(k in recovered for k in kinds) and unlogged_recovery(rig, rounds, jid, log):
            kinds.append("unlogged")
        ok = any(k in recovered for k in kinds)
        check("incoming job %s left by a kill was recovered: %s" % (jid, kinds), ok)
        if not ok:  # what the daemon said of it, run by run, to find out why
            for r, text in enumerate(run_logs(log), 1):
                for line in text.splitlines():
                    if jid in line:
                        print("  run %d: %s" % (r, line[:300]), flush=True)
        for k in set(kinds) & set(recovered):
            recovered[k] += 1
        if "committed" in kinds or "finished" in kinds or "unlogged" in kinds:
            check("recovered job %s is in done/" % jid, jid in done)
        elif "discarded" in kinds:
            check("discarded job %s is nowhere" % jid,
                  all(jid not in v for v in states.values()))
    check("no recovery found a broken job", "recovery=broken" not in log)

    msgs = device_messages(rig.devdir)
    metas = {}
    dup = 0
    maxcopies = 0
    pages_total = 0
    for jid in sorted(done):
        d = os.path.join(rig.spool, "done", jid)
        try:
            m = json.load(open(os.path.join(d, "meta.json")))
        except ValueError as ex:
            check("done/%s meta.json parses (%s)" % (jid, ex), False)
            continue
        metas[jid] = m
        rc, n = tiff_pages(os.path.join(d, "pages.tif"))
        check("done/%s pages.tif: tiffinfo rc=%d pages=%d, meta %s" % (jid, rc, n, m["pages"]),
              rc == 0 and n == m["pages"] and n >= 1)
        for r in m["recipients"]:
            check("done/%s rcpt %s delivered with the device's 250: %r" %
                  (jid, r["address"], r.get("reply")),
                  r.get("state") == "delivered" and str(r.get("reply", "")).startswith("250 "))
        copies = msgs.get(m["message_id"], [])
        dup += len(copies) > 1
        maxcopies = max(maxcopies, len(copies))
        runs = [run_of(rig, v["num"]) for v in copies]
        check("done/%s delivered with Message-ID %s: %d copies, runs %s" %
              (jid, m["message_id"], len(copies), runs),
              len(copies) >= 1 and len(set(runs)) == len(runs))
        check("done/%s copies are byte-identical" % jid,
              len({v["raw"] for v in copies}) == 1)
        recorded = [r for r, text in enumerate(run_logs(log), 1)
                    if re.search(r"job=%s rcpt=<[^>]*> result=delivered" % re.escape(jid), text)]
        check("done/%s: no copy after the run that recorded it (%s)" % (jid, recorded),
              not recorded or max(runs) <= min(recorded))
        for v in copies:
            check("done/%s copy: verdict ok, %s pages (meta %d)%s" %
                  (jid, v["info"].get("pages"), m["pages"], v["problems"]),
                  v["ok"] and v["info"].get("pages") == m["pages"])
            if m.get("partial"):
                check("done/%s partial: the message says so" % jid,
                      (m.get("partial_reason") or "partial") in v["text"])
        if jid in rec and any(k == "committed" for k, _ in rec[jid]):
            check("done/%s recovered mid-call is marked partial" % jid,
                  m.get("partial") is True)
        pages_total += m["pages"]
    ids = {m["message_id"] for m in metas.values()}
    strays = sorted(set(msgs) - ids)
    check("every message the device got is a done job's (strays: %s)" % strays[:3], not strays)

    callers = {m.get("caller") for m in metas.values()}
    logged = set(re.findall(r'caller="(\d+)" pages=\d+ stored=\d+ partial=\d+ rate=\d+ '
                            r'result=\w+ committed', log))
    check("every call logged as committed is in done/", logged <= callers)
    complete = sum(1 for m in metas.values() if not m.get("partial"))
    check("the rounds produced complete jobs (%d)" % complete, complete >= 1)
    check("kills hit calls in progress (recovered %s)" % recovered,
          recovered["committed"] + recovered["discarded"] + recovered["finished"] >= 1)
    print("figures: kills=%d %s done=%d complete=%d partial=%d pages=%d "
          "recovered=%s delivered_again=%d max_copies=%d messages=%d seed=%d" %
          (sum(kills_by_mode.values()), kills_by_mode, len(done), complete,
           len(done) - complete, pages_total, recovered, dup, maxcopies,
           sum(len(c) for c in msgs.values()), SEED))


def main():
    rnd = random.Random(SEED)
    tmp = tempfile.mkdtemp(prefix="test_system_crash.")
    rig = Rig(tmp)
    try:
        raw = os.path.join(tmp, "c3.raw")
        subprocess.run([os.path.join(TOOLS, "fax_record"), "-l", "2", "-r", raw,
                        os.path.join(SRC, "tests/data/t30/doc3.tif"),
                        os.path.join(tmp, "c3.wav")], check=True, stdout=subprocess.DEVNULL)
        rig.write_conf(rig.start_device())
        seen_committed, seen_incoming, rounds = set(), set(), []
        kills_by_mode = {m: 0 for m in MODES}
        for i in range(KILLS):
            mode = MODES[i % len(MODES)]
            s = round_(rig, i, mode, raw, rnd)
            rounds.append(s)
            kills_by_mode[mode] += 1
            seen_committed |= set(s["queue"]) | set(s["done"])
            seen_incoming |= set(s["incoming"])
        # the last start: recovery, then everything is delivered
        rig.run_first_msg.append(rig.device_count() + 1)
        rig.start_gw()
        # signals are taken once it runs (before, SIGTERM would just kill it)
        while rig.gw.poll() is None and "ifaxgw running" not in \
                run_logs(open(rig.logpath, errors="replace").read())[-1]:
            time.sleep(0.1)
        while rig.gw.poll() is None:
            s = rig.states()
            if not s["incoming"] and not s["queue"]:
                break
            time.sleep(0.2)
        rig.gw.send_signal(signal.SIGTERM)
        rc = rig.gw.wait()
        check("the last run exits 0 on SIGTERM (rc=%d)" % rc, rc == 0)
        verify(rig, seen_committed, seen_incoming, kills_by_mode, rounds)
    finally:
        rig.stop()
        if failures:
            print("log tail:")
            print("".join(open(rig.logpath, errors="replace").readlines()[-30:])
                  if os.path.exists(rig.logpath) else "")
        if os.environ.get("KEEP"):
            print("kept: %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
