#!/usr/bin/python3
"""ifax_device.py - an Internet fax device on aiosmtpd, for tests.

Listens on 127.0.0.1, port chosen by the kernel (written to --port-file and
printed as "port=N" on stdout). Optionally advertises CONNEG and answers
"RCPT TO:<x> CONNEG" with a capability in the RFC 4141 layout
("250-CONNEG ..." lines) or the Panasonic layout of seed 002 (bare
"250-(...)" fragments), or accepts CONNEG and sends none (--conneg-silent).
--caps-file gives the capability lines (one reply line each, any length). Each received message is saved to --save-dir as
msg-N.eml and checked with independent decoders (Python's email package,
tiffinfo/tiffcp, jbgtopbm on extracted JBIG strips) against what the device
advertised; the verdict goes to msg-N.json. Every SMTP event (EHLO, MAIL,
RCPT with its parameters) is appended to events.jsonl in --save-dir.

Run with /usr/bin/python3 (Debian's, which has aiosmtpd). See docs/smtp.md.
"""
import argparse
import asyncio
import base64
import email
import email.policy
import json
import os
import re
import ssl
import struct
import subprocess
import sys
import tempfile

from aiosmtpd.smtp import SMTP, syntax

# Presets: the capability a device returns, and what it then accepts.
# codings: TIFF Compression (3 + T4Options bit 0 -> MH/MR, 4 MMR, 9 JBIG).
PRESETS = {
    # seed 002 (Panasonic DP-3510...), the typo and the extra ")" fixed
    "panasonic": {
        "caps": [
            "(&(image-file-structure=TIFF-minimal)",
            "  (MRC-mode=0)",
            "  (color=Binary)",
            "  (|(&(dpi=204)",
            "     (dpi-xyratio=[204/98,204/196]) )",
            "   (&(dpi=200)",
            "     (dpi-xyratio=[200/100,1]) )",
            "   (&(dpi=400)",
            "     (dpi-xyratio=1) ) )",
            " (|(image-coding=[MH,MR,MMR])",
            "   (&(image-coding=JBIG)",
            "     (image-coding-constraint=JBIG-T85)",
            "     (JBIG-stripe-size=128) ) )",
            "   (size-x<=2150/254)",
            "   (paper-size=[letter,A4,B4])",
            "  (ua-media=stationery) )",
        ],
        "codings": ["MH", "MR", "MMR", "JBIG"],
        "res": [(204, 98), (204, 196), (200, 100), (200, 200), (400, 400)],
        "max_width": 2432,
    },
    # seed 002 exactly as printed: one ")" too many, "imagecoding" misspelt
    "panasonic-seed": {
        "caps": [
            "(&(image-file-structure=TIFF-minimal)",
            "  (MRC-mode=0)",
            "  (color=Binary)",
            "  (|(&(dpi=204)",
            "     (dpi-xyratio=[204/98,204/196]) )",
            "   (&(dpi=200)",
            "     (dpi-xyratio=[200/100,1]) )",
            "   (&(dpi=400)",
            "     (dpi-xyratio=1) ) )",
            " (|(image-coding=[MH,MR,MMR])",
            "   (&(imagecoding=JBIG)",
            "     (image-coding-constraint=JBIG-T85)",
            "     (JBIG-stripe-size=128) ) )",
            "   (size-x<=2150/254)",
            "   (paper-size=[letter,A4,B4]) )",
            " (ua-media=stationery) )",
        ],
        "codings": ["MH"],
        "res": [(204, 98), (204, 196), (200, 100), (200, 200)],
        "max_width": 1728,
    },
    "mh-only": {
        "caps": ["(&(image-file-structure=TIFF-minimal)(color=Binary)",
                 "(image-coding=MH)(dpi=204)(dpi-xyratio=[204/98,204/196])",
                 "(paper-size=A4)(MRC-mode=0))"],
        "codings": ["MH"],
        "res": [(204, 98), (204, 196), (200, 100), (200, 200)],
        "max_width": 1728,
    },
    "jbig": {
        "caps": ["(&(image-file-structure=TIFF-limited)(color=Binary)",
                 "(image-coding=[MH,JBIG])(image-coding-constraint=JBIG-T85)",
                 "(JBIG-stripe-size=128)",
                 "(|(&(dpi=204)(dpi-xyratio=[204/98,204/196]))"
                 "(&(dpi=200)(dpi-xyratio=1))(&(dpi=400)(dpi-xyratio=1)))",
                 "(paper-size=[A4,B4]))"],
        "codings": ["MH", "JBIG"],
        "res": [(204, 98), (204, 196), (200, 100), (200, 200), (400, 400)],
        "max_width": 2432,
    },
    "200dpi": {
        "caps": ["(&(image-file-structure=TIFF-minimal)(color=Binary)",
                 "(image-coding=[MH,MR,MMR])",
                 "(|(&(dpi=204)(dpi-xyratio=[204/98,204/196]))"
                 "(&(dpi=200)(dpi-xyratio=[200/100,1])))",
                 "(paper-size=A4)(MRC-mode=0))"],
        "codings": ["MH", "MR", "MMR"],
        "res": [(204, 98), (204, 196), (200, 100), (200, 200)],
        "max_width": 1728,
    },
    "malformed": {
        "caps": ["(&(image-coding=[MH,MR)(dpi=200", "  (((paper-size"],
        "codings": ["MH"],
        "res": [(204, 98), (204, 196), (200, 100), (200, 200)],
        "max_width": 1728,
    },
}
# Profile S (RFC 3949 3; RFC 3965 4): what every device must accept.
PROFILE_S = {"codings": ["MH"], "res": [(204, 98), (204, 196), (200, 100),
                                        (200, 200)], "max_width": 1728}

TIFF_TYPES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 9: 4, 10: 8}


def tiff_ifds(data):
    """Minimal independent TIFF reader: a list of {tag: [values]} per IFD."""
    if data[:2] == b"II":
        e = "<"
    elif data[:2] == b"MM":
        e = ">"
    else:
        raise ValueError("not a TIFF")
    if struct.unpack(e + "H", data[2:4])[0] != 42:
        raise ValueError("not a classic TIFF")
    off = struct.unpack(e + "I", data[4:8])[0]
    ifds, seen = [], set()
    while off and off not in seen and len(ifds) < 1000:
        seen.add(off)
        n = struct.unpack(e + "H", data[off:off + 2])[0]
        tags = {}
        for i in range(n):
            p = off + 2 + 12 * i
            tag, typ, cnt = struct.unpack(e + "HHI", data[p:p + 8])
            size = TIFF_TYPES.get(typ, 1) * cnt
            vp = p + 8 if size <= 4 else struct.unpack(e + "I", data[p + 8:p + 12])[0]
            raw = data[vp:vp + size]
            if typ == 3:
                vals = list(struct.unpack(e + "%dH" % cnt, raw))
            elif typ == 4:
                vals = list(struct.unpack(e + "%dI" % cnt, raw))
            elif typ == 5:
                r = struct.unpack(e + "%dI" % (2 * cnt), raw)
                vals = [r[k] / r[k + 1] if r[k + 1] else 0 for k in range(0, len(r), 2)]
            else:
                vals = list(raw)
            tags[tag] = vals
        ifds.append(tags)
        off = struct.unpack(e + "I", data[off + 2 + 12 * n:off + 6 + 12 * n])[0]
    return ifds


def coding_of(tags):
    comp = tags.get(259, [1])[0]
    if comp == 3:
        return "MR" if tags.get(292, [0])[0] & 1 else "MH"
    return {4: "MMR", 9: "JBIG", 34661: "JBIG", 2: "MH-RLE"}.get(comp, "comp%d" % comp)


def check_tiff(tif, path, allowed, problems, info):
    try:
        ifds = tiff_ifds(tif)
    except Exception as ex:  # noqa: BLE001 - any parse error is a verdict
        problems.append("TIFF unreadable: %s" % ex)
        return
    info["pages"] = len(ifds)
    info["page"] = []
    for i, t in enumerate(ifds):
        coding = coding_of(t)
        width = t.get(256, [0])[0]
        height = t.get(257, [0])[0]
        xres = round(t.get(282, [0])[0])
        yres = round(t.get(283, [0])[0])
        if t.get(296, [2])[0] == 3:  # centimetres
            xres, yres = round(xres * 2.54), round(yres * 2.54)
        info["page"].append({"coding": coding, "width": width, "height": height,
                             "xres": xres, "yres": yres})
        if coding not in allowed["codings"]:
            problems.append("page %d: coding %s not advertised" % (i + 1, coding))
        if (xres, yres) not in [tuple(r) for r in allowed["res"]]:
            problems.append("page %d: resolution %dx%d not advertised" % (i + 1, xres, yres))
        if width > allowed["max_width"]:
            problems.append("page %d: width %d over %d" % (i + 1, width, allowed["max_width"]))
        if coding == "JBIG":
            check_jbig(tif, t, i, problems)
    if any(p["coding"] != "JBIG" for p in info["page"]):
        # libtiff as the independent decoder: it must decode every strip
        out = path + ".decoded.tif"
        r = subprocess.run(["tiffcp", "-c", "none", path, out],
                           capture_output=True, text=True)
        if r.returncode != 0 or "rror" in r.stderr:
            problems.append("tiffcp cannot decode: %s" % r.stderr.strip()[:300])
        r = subprocess.run(["tiffinfo", path], capture_output=True, text=True)
        info["tiffinfo_rc"] = r.returncode
        if r.returncode != 0:
            problems.append("tiffinfo failed: %s" % r.stderr.strip()[:300])


def check_jbig(tif, tags, i, problems):
    offs, counts = tags.get(273, []), tags.get(279, [])
    bie = b"".join(tif[o:o + c] for o, c in zip(offs, counts))
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "p.jbg")
        with open(src, "wb") as f:
            f.write(bie)
        r = subprocess.run(["jbgtopbm", src, os.path.join(d, "p.pbm")],
                           capture_output=True)
        if r.returncode != 0:
            problems.append("page %d: jbgtopbm failed: %s"
                            % (i + 1, r.stderr.decode(errors="replace")[:200]))
            return
        with open(os.path.join(d, "p.pbm"), "rb") as f:
            head = f.read(64).split()
        if len(head) < 3 or int(head[1]) != tags.get(256, [0])[0]:
            problems.append("page %d: JBIG width differs from the TIFF's" % (i + 1))


def validate(raw, allowed, path_base):
    """Independent check of one message; returns the verdict dict."""
    problems, info = [], {}
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    for h in ("From", "To", "Date", "Message-ID"):
        if msg[h] is None:
            problems.append("missing header %s" % h)
    info["subject"] = str(msg["Subject"] or "")
    info["message_id"] = str(msg["Message-ID"] or "")
    tiffs = []
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype in ("image/tiff", "image/tiff-fx"):
            info.setdefault("parts", []).append({
                "type": ctype, "params": dict(part.get_params() or []),
                "content_features": str(part.get("Content-Features") or ""),
                "encoding": str(part.get("Content-Transfer-Encoding") or "")})
            tiffs.append(part.get_payload(decode=True) or b"")
    if not tiffs:
        problems.append("no image/tiff part")
    for k, tif in enumerate(tiffs):
        path = "%s-%d.tif" % (path_base, k)
        with open(path, "wb") as f:
            f.write(tif)
        check_tiff(tif, path, allowed, problems, info)
    return {"ok": not problems, "problems": problems, "info": info}


class DeviceSMTP(SMTP):
    """Strips CONNEG (and the DSN parameters) before aiosmtpd's own RCPT
    and MAIL parsing, which would answer 555 (notes 2)."""

    @syntax("RCPT TO: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_RCPT(self, arg):
        self.session.conneg = False
        self.session.rcpt_params = []
        if arg:
            words = arg.split()
            keep = [words[0]]
            for w in words[1:]:
                up = w.upper()
                if up == "CONNEG":
                    self.session.conneg = True
                    self.session.rcpt_params.append(w)
                elif self.dev.dsn and (up.startswith("NOTIFY=") or up.startswith("ORCPT=")):
                    self.session.rcpt_params.append(w)
                else:
                    keep.append(w)
            arg = " ".join(keep)
        return await super().smtp_RCPT(arg)

    @syntax("MAIL FROM: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_MAIL(self, arg):
        self.session.mail_params = []
        if arg and self.dev.dsn:
            words = arg.split()
            keep = [words[0]]
            for w in words[1:]:
                if w.upper().startswith(("RET=", "ENVID=")):
                    self.session.mail_params.append(w)
                else:
                    keep.append(w)
            arg = " ".join(keep)
        return await super().smtp_MAIL(arg)


class Device:
    def __init__(self, a):
        self.a = a
        self.dsn = a.dsn
        self.count = 0
        p = PRESETS[a.preset]
        self.caps = p["caps"]
        if a.caps_file:
            with open(a.caps_file) as f:
                self.caps = [ln.rstrip("\r\n") for ln in f if ln.strip()]
        # a device that was never asked, or refused CONNEG, gets profile S
        self.allowed = p
        os.makedirs(a.save_dir, exist_ok=True)

    def event(self, **kw):
        with open(os.path.join(self.a.save_dir, "events.jsonl"), "a") as f:
            f.write(json.dumps(kw) + "\n")

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname  # the 5-arg hook must set it itself
        extra = []
        if self.a.conneg:
            extra.append("250-CONNEG")
        if self.dsn:
            extra.append("250-DSN")
        extra.append("250-ENHANCEDSTATUSCODES")
        responses[-1:-1] = extra
        self.event(ev="ehlo", hostname=hostname, tls=session.ssl is not None)
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        self.event(ev="mail", address=address, options=mail_options,
                   params=getattr(session, "mail_params", []))
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        conneg = getattr(session, "conneg", False)
        self.event(ev="rcpt", address=address, options=rcpt_options,
                   params=getattr(session, "rcpt_params", []), conneg=conneg)
        if address.lower().endswith("@reject.test"):
            return "550 5.1.1 <%s> no such fax mailbox" % address
        if conneg and self.a.conneg_504:
            return "504 5.5.4 CONNEG parameter not implemented"
        envelope.rcpt_tos.append(address)
        if not getattr(envelope, "conneg_any", False):
            envelope.conneg_any = False
        if not conneg:
            return "250 2.1.5 <%s> recipient ok" % address
        envelope.conneg_any = True
        if self.a.conneg_silent:  # CONNEG accepted, no capability given
            return "250 2.1.5 <%s> recipient ok" % address
        first = "250-<%s> recipient ok" % address
        if self.a.layout == "rfc":
            lines = ["250-CONNEG " + c for c in self.caps[:-1]]
            lines.append("250 CONNEG " + self.caps[-1])
        else:  # panasonic: bare fragments, last line "250 " + fragment
            lines = ["250-" + c for c in self.caps[:-1]]
            lines.append("250 " + self.caps[-1])
        return "\r\n".join([first] + lines)

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.a.save_dir, "msg-%d" % self.count)
        raw = envelope.original_content or envelope.content
        with open(base + ".eml", "wb") as f:
            f.write(raw)
        allowed = self.allowed if getattr(envelope, "conneg_any", False) else PROFILE_S
        try:
            verdict = validate(raw, allowed, base)
        except Exception as ex:  # noqa: BLE001 - report, never crash the peer
            verdict = {"ok": False, "problems": ["validator: %r" % ex], "info": {}}
        verdict.update({"mail_from": envelope.mail_from, "rcpt": envelope.rcpt_tos,
                        "mail_options": envelope.mail_options,
                        "conneg_asked": getattr(envelope, "conneg_any", False),
                        "preset": self.a.preset, "tls": session.ssl is not None})
        with open(base + ".json.tmp", "w") as f:
            json.dump(verdict, f, indent=1)
        os.rename(base + ".json.tmp", base + ".json")
        return "250 2.0.0 message %d accepted" % self.count


async def serve(a):
    dev = Device(a)
    tls = None
    if a.tls_cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(a.tls_cert, a.tls_key)

    def factory():
        s = DeviceSMTP(dev, hostname="ifax.test", tls_context=tls,
                       require_starttls=a.require_starttls, timeout=60)
        s.dev = dev
        return s

    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, "127.0.0.1", a.port)
    port = server.sockets[0].getsockname()[1]
    if a.port_file:
        with open(a.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.rename(a.port_file + ".tmp", a.port_file)
    print("port=%d" % port, flush=True)
    async with server:
        await server.serve_forever()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0, help="0: a free port (default)")
    ap.add_argument("--port-file", help="write the port number here")
    ap.add_argument("--save-dir", required=True, help="messages, verdicts, events.jsonl")
    ap.add_argument("--preset", default="panasonic", choices=sorted(PRESETS))
    ap.add_argument("--caps-file", help="capability lines (one fragment a line)")
    ap.add_argument("--layout", default="rfc", choices=["rfc", "panasonic"])
    ap.add_argument("--no-conneg", dest="conneg", action="store_false",
                    help="do not advertise CONNEG")
    ap.add_argument("--conneg-504", action="store_true",
                    help="advertise CONNEG but answer 504 to RCPT ... CONNEG")
    ap.add_argument("--conneg-silent", action="store_true",
                    help="accept RCPT ... CONNEG with a plain 250 (no capability)")
    ap.add_argument("--dsn", action="store_true", help="advertise DSN, accept its parameters")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--require-starttls", action="store_true")
    a = ap.parse_args()
    try:
        asyncio.run(serve(a))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
