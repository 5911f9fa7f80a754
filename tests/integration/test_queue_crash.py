#!/usr/bin/python3
# test_queue_crash - SIGKILL the spool's writer at random moments; after
# each kill, recovery must show every acknowledged job intact.
#
# tests/tools/queue_crash_child commits jobs and records outcomes in a loop,
# appending an acknowledgement line only after each call returned. After
# every kill we run recovery (a daemon-mode open) and check: every
# acknowledged job is in queue/, done/ or failed/, its meta.json parses,
# its pages.tif is byte-identical (FNV-1a 64 and size), acknowledged
# outcomes are there, no job is in two states, incoming/ is empty.
# KILLS (default 200) sets the number of kills.
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

TOOL = os.path.join(os.environ["IFAXGW_TOOLS"], "queue_crash_child")
KILLS = int(os.environ.get("KILLS", "200"))
STATES = ("incoming", "queue", "done", "failed")
FINAL = ("delivered", "failed")


def fnv(path):
    h = 1469598103934665603
    with open(path, "rb") as f:
        data = f.read()
    for b in data:
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h, len(data)


def read_acks(path):
    commits, outcomes, moves = {}, {}, {}
    if not os.path.exists(path):
        return commits, outcomes, moves
    with open(path) as f:
        for line in f:
            if not line.endswith("\n"):
                break  # the write itself was cut: not acknowledged
            p = line.split()
            if p[0] == "C":
                commits[p[1]] = (int(p[2]), p[3], int(p[4]))
            elif p[0] == "R":
                outcomes[(p[1], int(p[2]))] = (p[3], int(p[4]))
            elif p[0] == "M":
                moves[p[1]] = p[2]
    return commits, outcomes, moves


def check(spool, acks, verified):
    commits, outcomes, moves = read_acks(acks)
    where = {}
    for s in STATES:
        for name in os.listdir(os.path.join(spool, s)):
            if name in where:
                raise AssertionError("%s in %s and %s" % (name, where[name], s))
            where[name] = s
    incoming = [n for n, s in where.items() if s == "incoming"]
    assert not incoming, "incoming/ not empty after recovery: %s" % incoming
    for jid, (pages, h, size) in commits.items():
        assert jid in where, "acknowledged job %s lost" % jid
        d = os.path.join(spool, where[jid], jid)
        with open(os.path.join(d, "meta.json")) as f:
            meta = json.load(f)
        assert meta["id"] == jid and meta["pages"] == pages, meta
        assert meta["message_id"] == "<%s@crash.test>" % jid, meta
        assert len(meta["recipients"]) == 2
        if jid not in verified:  # pages never change after commit
            assert fnv(os.path.join(d, "pages.tif")) == (h, size), jid
            verified.add(jid)
        for i, r in enumerate(meta["recipients"]):
            if (jid, i) not in outcomes:
                continue
            st, attempts = outcomes[(jid, i)]
            assert r["attempts"] >= attempts, (jid, i, r, attempts)
            if st in FINAL:
                assert r["state"] == st, (jid, i, r, st)
            else:
                assert r["state"] in ("deferred",) + FINAL, (jid, i, r)
        if jid in moves:
            assert where[jid] == moves[jid], (jid, where[jid], moves[jid])
        final = all(r["state"] in FINAL for r in meta["recipients"])
        if where[jid] in ("done", "failed"):
            assert final, (jid, meta)
    return len(commits)


def main():
    tmp = tempfile.mkdtemp(prefix="queue_crash.")
    spool, acks = os.path.join(tmp, "spool"), os.path.join(tmp, "acks")
    rng = random.Random(int(os.environ.get("SEED", "12345")))
    verified = set()
    recovered = 0
    child = None
    try:
        for n in range(KILLS):
            child = subprocess.Popen([TOOL, "run", spool, acks, str(n)],
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
            # a quarter of the kills may land in start-up recovery; the
            # rest wait until the child works (sanitizer builds start slow)
            if n % 4 != 0:
                child.stdout.readline()
            time.sleep(rng.uniform(0.002, 0.12))
            child.send_signal(signal.SIGKILL)
            _, err = child.communicate()
            child = None
            if err:
                raise AssertionError("child said: %s" % err.decode())
            r = subprocess.run([TOOL, "recover", spool], capture_output=True,
                               text=True, check=True)
            recovered += r.stdout.count("recovered ")
            committed = check(spool, acks, verified)
        print("queue crash: %d kills, %d acknowledged jobs intact, "
              "%d recovery actions" % (KILLS, committed, recovered))
        assert committed > 0, "the child never got a job committed"
    finally:
        if child is not None:
            child.kill()
            child.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print("FAIL: %s" % e, file=sys.stderr)
        sys.exit(1)
