#!/usr/bin/python3
"""faulty_smtp.py - an SMTP server that misbehaves at one chosen stage.

  faulty_smtp.py --stage STAGE --fault FAULT [--port-file F] [--ext KW,...]

STAGE: connect greeting ehlo mail rcpt data block dot
FAULT: refuse stall 4xx 5xx drop garbage endless
  refuse   (connect) nothing listens on the port: connection refused
  stall    (connect) the listen queue is full, SYNs are dropped;
           (others) never answer; at "block" stop reading the body
  4xx/5xx  a 451/554 reply (greeting: 421/554; ehlo: to EHLO and HELO);
           at "block" the reply comes in the middle of the body, then close
  drop     close the connection instead of answering
  garbage  answer a line that is not SMTP
  nulgarbage  the same, a binary line starting with a NUL byte
  endless  answer "250-" and then bytes without a line end, forever
Until the stage, it behaves like a plain ESMTP server and accepts mail.
With --no-ehlo it answers 502 to EHLO, like an RFC 821 server.
With --log FILE every connection (CONNECT) and command line received is
appended to FILE.
With --ext STARTTLS it advertises STARTTLS, answers 220 and then sends
plain text: a TLS handshake that always fails.
Listens on 127.0.0.1, a free port written to --port-file and printed as
"port=N". Standard library only; run with /usr/bin/python3.
"""
import argparse
import asyncio
import os
import socket
import sys

STAGES = ["connect", "greeting", "ehlo", "mail", "rcpt", "data", "block", "dot"]
FAULTS = ["refuse", "stall", "4xx", "5xx", "drop", "garbage", "nulgarbage",
          "endless"]
ENDLESS_MAX = 64 << 20  # stop after 64 MiB whatever the client does


class Fault(Exception):
    pass


async def endless(w):
    w.write(b"250-")
    sent = 0
    chunk = b"x" * 65536
    while sent < ENDLESS_MAX:
        w.write(chunk)
        await w.drain()
        sent += len(chunk)


async def inject(a, stage, w):
    """Do the fault for this stage; returns only when the fault is over."""
    f = a.fault
    if f == "stall":
        await asyncio.sleep(3600)
    elif f == "4xx":
        code = b"421 4.3.2" if stage == "greeting" else b"451 4.3.0"
        w.write(code + b" fault injected at " + stage.encode() + b"\r\n")
    elif f == "5xx":
        w.write(b"554 5.3.0 fault injected at " + stage.encode() + b"\r\n")
    elif f == "garbage":
        w.write(b"this is not smtp \x00\xff\r\n")
    elif f == "nulgarbage":  # a binary line that starts with a NUL
        w.write(b"\x00\x01binary\xff\"q\"\r\n")
    elif f == "endless":
        await endless(w)
    await w.drain()
    if f in ("drop", "garbage", "nulgarbage") or stage in ("greeting", "block"):
        raise Fault()


async def session(a, r, w):
    if a.log:
        with open(a.log, "a") as f:
            f.write("CONNECT\n")
    try:
        if a.stage == "greeting":
            await inject(a, "greeting", w)
        w.write(b"220 faulty.test ESMTP\r\n")
        await w.drain()
        while True:
            line = await r.readline()
            if not line:
                return
            cmd = line.decode("latin-1").strip().upper()
            if a.log:  # one line per command received, for the tests
                with open(a.log, "a") as f:
                    f.write(cmd[:200] + "\n")
            if cmd.startswith("EHLO") and a.no_ehlo:
                w.write(b"502 5.5.1 EHLO not implemented\r\n")
            elif cmd.startswith("EHLO"):
                if a.stage == "ehlo":
                    await inject(a, "ehlo", w)
                    continue
                ext = "".join("250-%s\r\n" % k for k in a.ext)
                w.write(("250-faulty.test\r\n%s250 ENHANCEDSTATUSCODES\r\n" % ext).encode())
            elif cmd.startswith("HELO"):
                if a.stage == "ehlo":
                    await inject(a, "ehlo", w)
                    continue
                w.write(b"250 faulty.test\r\n")
            elif cmd.startswith("MAIL"):
                if a.stage == "mail":
                    await inject(a, "mail", w)
                    continue
                w.write(b"250 2.1.0 ok\r\n")
            elif cmd.startswith("RCPT"):
                if a.stage == "rcpt":
                    await inject(a, "rcpt", w)
                    continue
                w.write(b"250 2.1.5 ok\r\n")
            elif cmd == "DATA":
                if a.stage == "data":
                    await inject(a, "data", w)
                    continue
                w.write(b"354 go ahead\r\n")
                await w.drain()
                await body(a, r, w)
            elif cmd == "STARTTLS":
                # a broken TLS server: agree, then send no TLS at all
                w.write(b"220 2.0.0 ready\r\nthis is not a TLS record\r\n")
                await w.drain()
                return
            elif cmd == "RSET":
                w.write(b"250 2.0.0 ok\r\n")
            elif cmd == "QUIT":
                w.write(b"221 2.0.0 bye\r\n")
                await w.drain()
                return
            else:
                w.write(b"502 5.5.2 unknown command\r\n")
            await w.drain()
    except (Fault, ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        w.close()


async def body(a, r, w):
    got = 0
    while True:
        if a.stage == "block" and got >= 4096:
            await inject(a, "block", w)
        line = await r.readline()
        if not line:
            raise Fault()
        got += len(line)
        if line == b".\r\n":
            break
    if a.stage == "dot":
        await inject(a, "dot", w)
        return
    w.write(b"250 2.0.0 queued\r\n")


def fill_backlog(srv):
    """Make connects to srv hang: fill its accept queue (backlog 0 holds one
    connection) so the kernel drops further SYNs."""
    port = srv.getsockname()[1]
    hold = []
    for _ in range(3):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        hold.append(c)
    return hold


async def main_async(a):
    if a.stage == "connect":
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        if a.fault == "refuse":
            s.close()  # nothing listens there any more
            hold = []
        else:
            s.listen(0)
            hold = fill_backlog(s)
        announce(a, port)
        await asyncio.sleep(3600)
        del hold
        return
    server = await asyncio.start_server(lambda r, w: session(a, r, w), "127.0.0.1", 0)
    announce(a, server.sockets[0].getsockname()[1])
    async with server:
        await server.serve_forever()


def announce(a, port):
    if a.port_file:
        with open(a.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.rename(a.port_file + ".tmp", a.port_file)
    print("port=%d" % port, flush=True)


def main():
    ap = argparse.ArgumentParser(description="SMTP fault injection peer")
    ap.add_argument("--stage", required=True, choices=STAGES)
    ap.add_argument("--fault", required=True, choices=FAULTS)
    ap.add_argument("--port-file")
    ap.add_argument("--log", help="append every command received to this file")
    ap.add_argument("--no-ehlo", action="store_true",
                    help="answer 502 to EHLO (an RFC 821 server); HELO works")
    ap.add_argument("--ext", default="SIZE 10000000,8BITMIME",
                    help="EHLO keywords, comma separated")
    a = ap.parse_args()
    a.ext = [k for k in a.ext.split(",") if k]
    if a.fault == "refuse" and a.stage != "connect":
        ap.error("refuse applies to the connect stage only")
    if a.stage == "connect" and a.fault not in ("refuse", "stall"):
        ap.error("the connect stage knows refuse and stall only")
    try:
        asyncio.run(main_async(a))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
