#!/usr/bin/python3
"""mkconfman.py - make ifaxgw.conf(5) from docs/config.md (one source of truth).

usage: mkconfman.py docs/config.md > contrib/man/ifaxgw.conf.5
tests/lint.sh checks that the committed page equals a fresh one.
"""
import re
import sys


def esc(text):
    text = text.replace("\\", "\\e")
    text = re.sub(r"`([^`]*)`", r"\\fB\1\\fR", text)
    text = re.sub(r"\*\*([^*]*)\*\*", r"\\fB\1\\fR", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return text


def line_out(text):
    text = esc(text)
    if text.startswith((".", "'")):
        text = "\\&" + text
    return text


def main(path):
    out = ['.TH IFAXGW.CONF 5 "2026-11-22" "ifaxgw 0.1.0" "File Formats"',
           ".SH NAME", "ifaxgw.conf \\- ifaxgw configuration file",
           ".SH DESCRIPTION"]
    header = None
    in_code = False
    for raw in open(path, encoding="utf-8").read().splitlines()[1:]:
        if raw.startswith("```"):
            out.append(".fi" if in_code else ".nf")
            in_code = not in_code
            continue
        if in_code:
            out.append(line_out(raw))
            continue
        if raw.startswith("## "):
            out.append(".SH " + esc(raw[3:]).upper())
            header = None
            continue
        if raw.startswith("|"):
            cells = [c.strip() for c in raw.strip().strip("|").split("|")]
            if header is None:
                header = cells
                continue
            if all(re.fullmatch(r":?-+:?", c) for c in cells):
                continue
            out.append(".TP")
            out.append(line_out(cells[0]))
            rest = [f"{h}: {c}" for h, c in zip(header[1:], cells[1:]) if c]
            out.append(line_out("; ".join(rest)))
            continue
        header = None
        if raw.startswith("    "):
            out += [".nf", line_out(raw.strip()), ".fi"]
        elif raw.strip() == "":
            out.append(".PP")
        else:
            out.append(line_out(raw.strip()))
    out += [".SH FILES", "/etc/ifaxgw/ifaxgw.conf", ".SH SEE ALSO",
            ".BR ifaxgw (8)"]
    print("\n".join(out))


main(sys.argv[1])
