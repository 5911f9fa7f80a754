#!/usr/bin/python3
# ctest-labels: slow
"""Issue 15.7: the modem recovery back-off starts over when the modem is
back. A line (tests/tools/t30_linerun) whose device is missing retries
after 1, 2, 4, 8, 16 s; then the modem is plugged in again (a fake modem
on a pseudo-terminal) and errs once (ERROR to AT+FCLASS=1): the next retry
must come after 1 s, not after 32 s (or the 60 s cap), and the line must
then go idle. Asserts on the retry delays the line reports, not on time."""
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time
import tty

TOOLS = os.environ["IFAXGW_TOOLS"]
tmp = tempfile.mkdtemp()
link = os.path.join(tmp, "ttyFake")


def wait_log(path, pattern, proc):
    while True:
        text = open(path).read()
        if re.search(pattern, text):
            return text
        assert proc.poll() is None, "t30_linerun died:\n" + text
        time.sleep(0.1)


def serve(master, until_idle_log, path, proc):
    """Answer the host: ERROR to the first AT+FCLASS=1, OK to the rest,
    until the line reports idle."""
    buf, errs = b"", 0
    while not re.search(until_idle_log, open(path).read()):
        assert proc.poll() is None, "t30_linerun died"
        r, _, _ = select.select([master], [], [], 0.2)
        if not r:
            continue
        buf += os.read(master, 256)
        while b"\r" in buf:
            line, buf = buf.split(b"\r", 1)
            cmd = line.decode("latin-1").strip().upper()
            if not cmd:
                continue
            if cmd == "AT+FCLASS=1" and errs == 0:
                errs += 1
                os.write(master, b"\r\nERROR\r\n")
            else:
                os.write(master, b"\r\nOK\r\n")


def main():
    out_dir = os.path.join(tmp, "out")
    os.mkdir(out_dir)
    log_path = os.path.join(tmp, "line.log")
    log = open(log_path, "w")
    line = subprocess.Popen(
        [os.path.join(TOOLS, "t30_linerun"), "-d", link, "-o", out_dir],
        stdout=log, stderr=subprocess.STDOUT)
    master = -1
    try:
        # no device: the back-off grows to 16 s
        wait_log(log_path, r"status=error .*retry in 16 s", line)
        # plugged in again: the modem answers, then errs once
        master, slave = pty.openpty()
        tty.setraw(slave)
        os.symlink(os.ttyname(slave), link)
        serve(master, r"retry in 16 s(.|\n)*status=idle", log_path, line)
    finally:
        line.send_signal(signal.SIGTERM)
        line.wait()
    text = open(log_path).read()
    print(text)
    after = text[text.index("retry in 16 s"):]
    m = re.search(r'status=error [^\n]*text="no Class 1: modem said ERROR to '
                  r'AT\+FCLASS=1; retry in (\d+) s"', after)
    assert m, "no error report for the modem that erred once"
    print("retry after the modem came back and erred once: %s s" % m.group(1))
    assert m.group(1) == "1", "back-off not started over: %s s" % m.group(1)
    assert "status=idle" in after[m.end():], "the line did not go idle"
    print("test_t30_modem_backoff: ok")


try:
    main()
finally:
    shutil.rmtree(tmp, ignore_errors=True)
