#!/usr/bin/python3
# ctest-labels: slow
"""Modem faults seen by the gateway's Class 1 line (t30/line through
tests/tools/t30_linerun), played by a fake modem on a pseudo-terminal
(byte-level fault injection): no answer to AT, ERROR to +FCLASS=1,
garbage instead of OK, a call refused by caller ID left unanswered, and
the modem vanishing (pty closed) right after answering. After each fault
the line must report it and recover to idle."""
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tty

TOOLS = os.environ["IFAXGW_TOOLS"]
tmp = tempfile.mkdtemp()
link = os.path.join(tmp, "ttyFake")


class FakeModem:
    def __init__(self):
        self.master = self.slave = -1
        self.open_pty()

    def open_pty(self):
        self.master, self.slave = pty.openpty()
        tty.setraw(self.slave)
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(os.ttyname(self.slave), link)
        self.buf = b""

    def vanish(self):
        os.unlink(link)
        os.close(self.master)
        os.close(self.slave)

    def cmd(self, timeout=120.0):
        """Next command the host sent (text before CR), or None."""
        end = time.time() + timeout
        while b"\r" not in self.buf:
            left = end - time.time()
            if left <= 0:
                return None
            r, _, _ = select.select([self.master], [], [], left)
            if r:
                self.buf += os.read(self.master, 256)
        line, self.buf = self.buf.split(b"\r", 1)
        return line.decode("latin-1").strip()

    def send(self, data):
        os.write(self.master, data)

    def serve_until(self, wanted, reply=b"\r\nOK\r\n"):
        """Answer OK to everything until `wanted`, answer that with reply."""
        while True:
            c = self.cmd()
            assert c is not None, "host went quiet waiting for " + wanted
            if c.upper() == wanted:
                self.send(reply)
                return
            self.send(b"\r\nOK\r\n")


def main():
    fake = FakeModem()
    out_dir = os.path.join(tmp, "out")
    os.mkdir(out_dir)
    log = open(os.path.join(tmp, "line.log"), "w+")
    line = subprocess.Popen(
        [os.path.join(TOOLS, "t30_linerun"), "-d", link, "-o", out_dir,
         "-c", "5", "-x", "5550666"], stdout=log, stderr=subprocess.STDOUT)
    try:
        # 1: silent modem: both AT probes go unanswered
        for _ in range(2):
            while fake.cmd() != "AT":
                pass
        # 2: ERROR to AT+FCLASS=1
        fake.serve_until("AT+FCLASS=1", b"\r\nERROR\r\n")
        # 3: garbage instead of OK, for both probes of the next open
        for _ in range(2):
            while fake.cmd() != "AT":
                pass
            fake.send(b"\r\n\x01\x02#garbage\xff\r\n\x00\x7fjunk\r\n")
        # 4: a good modem; the caller-ID command ends the init
        fake.serve_until("AT+VCID=1")
        time.sleep(1)
        # a blocked caller rings three times: never answered
        for _ in range(3):
            fake.send(b"\r\nRING\r\n\r\nNMBR = 5550666\r\nNDID = 5550199\r\n")
            c = fake.cmd(timeout=1.5)
            assert c is None or c.upper() != "ATA", "blocked call answered"
            if c is not None:
                fake.send(b"\r\nOK\r\n")
        # the line forgets the call after 10 s without RING
        end = time.time() + 12
        while time.time() < end:
            c = fake.cmd(timeout=max(0.1, end - time.time()))
            assert c is None or c.upper() != "ATA", "blocked call answered"
            if c is not None:
                fake.send(b"\r\nOK\r\n")
        # 5: a call is answered, then the modem vanishes mid-call
        fake.send(b"\r\nRING\r\n\r\nNMBR = 5551234\r\nNAME = <x>\r\nNDID = 5550199\r\n")
        fake.serve_until("ATA", b"\r\nCONNECT\r\n")
        time.sleep(0.5)
        fake.vanish()
        time.sleep(3)
        # 6: it comes back
        fake.open_pty()
        fake.serve_until("AT+VCID=1")
        time.sleep(2)
    finally:
        line.send_signal(signal.SIGTERM)
        line.wait()
    log.seek(0)
    text = log.read()
    print(text)
    expect = [
        'status=error page=0 bit_rate=0 text="no response to AT; retry in 1 s"',
        'status=error page=0 bit_rate=0 text="no Class 1: modem said ERROR to AT+FCLASS=1; retry in ',
        'status=error page=0 bit_rate=0 text="no OK to AT (',
        "status=idle",
        'ring caller="5550666" called="5550199" rings=1',
        'status=ringing page=0 bit_rate=0 text="call refused, not answered"',
        'status=idle page=0 bit_rate=0 text="caller gave up"',
        'ring caller="5551234" called="5550199" rings=1',
        "status=receiving",
        'call=1 result=failed pages=0 csid="" caller="5551234"',
        "status=error",
        "status=idle",
        'status=down page=0 bit_rate=0 text="stopped"',
    ]
    pos = 0
    for e in expect:
        i = text.find(e, pos)
        assert i >= 0, "missing (in order): " + e
        pos = i + len(e)
    assert text.count("call=") == 1, "only the answered call has a record"
    print("test_t30_modem_faults: ok")


try:
    main()
finally:
    shutil.rmtree(tmp, ignore_errors=True)
