#!/usr/bin/python3
"""smarthost.py - an aiosmtpd submission server for relay tests.

STARTTLS (certificate and key given, e.g. self-signed by openssl in the test)
and AUTH (PLAIN, LOGIN, XOAUTH2) both required before MAIL. Binds 127.0.0.1
on a free port and writes the port to --port-file once it listens. Every
accepted message is stored in --spool as NNN.eml (the bytes received) plus
NNN.json (envelope, auth user, tls). Replies can be scripted per recipient:
  --rcpt-reply 'ADDR=451 4.3.0 try later:1'   (reply, then accept; count)
  --data-reply 'ADDR=554 5.6.0 rejected'      (reply to the final dot)
  --data-stall 'ADDR=SECS:1'   store the message, then wait SECS before
                                answering the final dot (a lost reply)
--plain: no STARTTLS, no AUTH (a mailbox or notice receiver).
Runs until killed. Debian's interpreter: /usr/bin/python3.
"""
import argparse
import asyncio
import base64
import json
import os
import signal
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def parse_scripts(items):
    out = {}
    for item in items or []:
        addr, _, rest = item.partition("=")
        reply, count = rest, -1
        head, sep, tail = rest.rpartition(":")
        if sep and tail.isdigit():
            reply, count = head, int(tail)
        out[addr.lower()] = [reply, count]
    return out


class Handler:
    def __init__(self, args):
        self.args = args
        self.rcpt_script = parse_scripts(args.rcpt_reply)
        self.data_script = parse_scripts(args.data_reply)
        self.stall_script = parse_scripts(args.data_stall)
        self.n = 0

    @staticmethod
    def scripted(table, addr):
        ent = table.get(addr.lower())
        if ent is None or ent[1] == 0:
            return None
        if ent[1] > 0:
            ent[1] -= 1
        return ent[0]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        r = self.scripted(self.rcpt_script, address)
        if r:
            return r
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        for a in envelope.rcpt_tos:
            r = self.scripted(self.data_script, a)
            if r:
                return r
        self.n += 1
        base = os.path.join(self.args.spool, "%03d" % self.n)
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "mail_options": envelope.mail_options,
            "auth_user": session.auth_data.login.decode()
            if isinstance(session.auth_data, LoginPassword)
            else str(session.auth_data),
            "tls": session.ssl is not None,
        }
        with open(base + ".json", "w") as f:
            json.dump(meta, f)
        os.rename(base + ".eml.tmp", base + ".eml")
        for a in envelope.rcpt_tos:
            stall = self.scripted(self.stall_script, a)
            if stall:
                await asyncio.sleep(float(stall))
        return "250 2.0.0 Ok: queued as SH%03d" % self.n

    async def auth_XOAUTH2(self, server, args):
        # RFC 7628-style: base64("user=" u "\1auth=Bearer " tok "\1\1")
        try:
            if len(args) >= 2:
                text = base64.b64decode(args[1], validate=True).decode()
            else:
                blob = await server.challenge_auth("")
                if not isinstance(blob, bytes):
                    return AuthResult(success=False, handled=True)
                text = blob.decode()
        except Exception:
            return AuthResult(success=False, handled=False)
        fields = dict(p.split("=", 1) for p in text.split("\x01") if "=" in p)
        ok = (fields.get("user") == self.args.user and
              fields.get("auth") == "Bearer " + (self.args.token or ""))
        if not ok:
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data="xoauth2:" + fields["user"])


def make_authenticator(args):
    def auth(server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = (auth_data.login.decode() == args.user and
              auth_data.password.decode() == args.password)
        if not ok:
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=auth_data)
    return auth


async def main(args):
    handler = Handler(args)
    auth = make_authenticator(args)
    if args.plain:
        def factory():
            return SMTP(handler, hostname="mailbox.test")
    else:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.cert, args.key)

        def factory():
            return SMTP(handler, hostname="smarthost.test", tls_context=ctx,
                        require_starttls=True, authenticator=auth,
                        auth_required=True, auth_require_tls=True)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(args.port_file + ".tmp", args.port_file)
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    await stop
    server.close()


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--spool", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--plain", action="store_true")
    p.add_argument("--data-stall", action="append")
    p.add_argument("--user", default="gw")
    p.add_argument("--password", default="secret")
    p.add_argument("--token")
    p.add_argument("--rcpt-reply", action="append")
    p.add_argument("--data-reply", action="append")
    a = p.parse_args()
    asyncio.run(main(a))
    sys.exit(0)
