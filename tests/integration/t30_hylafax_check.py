#!/usr/bin/python3
"""t30_hylafax_check - one HylaFAX call, both ends, checked independently.

  t30_hylafax_check.py CALLDIR DONEQ_FILE[,DONEQ_FILE...] KEY=VALUE... -- SOURCE.tif...

CALLDIR is t30_linerun's record of the call (meta.json, pages.tif,
t30.log); DONEQ_FILE is HylaFAX's finished job (SPOOL/doneq/qN), several
for a batch (jobs sent in one call, in that order). Keys:
  csid=S caller=N     the gateway's record: remote CSID, caller ID
  ecm=0|1             ECM used by the call and by every page
  coding=MR,MMR,...   each page's coding (the list's length = page count)
  yres=196,98,...     each page's vertical resolution
  dataformat=S        HylaFAX's jobs: what they say they sent ("2-D MMR")
  eom=N               N EOM (or PPS-EOM with ECM) from the sender, and N+1
                      DCS (one per phase B), in the gateway's transcript
  short_ok=P,...      pages that may arrive one row short, if the source's
                      last row is blank (and every other row still equal):
                      HylaFAX 6.0.7 encodes 1145 of 1146 rows of a normal-
                      resolution page in MR (counted in the line's bit
                      stream: it is the sender, not the gateway)
The call must have ended ok (so not partial) with the pages counted on
both sides, HylaFAX must have seen the gateway's CSI, and the pages in
pages.tif must equal the SOURCE pages pixel for pixel (decoded by libtiff's
tiffcp, compared by page_check.py: no ifaxgw code).
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import page_check  # noqa: E402


def job_fields(path):
    out = {}
    for line in open(path, encoding="latin-1"):
        k, _, v = line.rstrip("\n").partition(":")
        out.setdefault(k, v)
    return out


# With ECM the post-message command rides in PPS (T.30 A.4): its FCF2 byte
PPS_PMC = {0x2e: "EOP", 0x4e: "MPS", 0x8e: "EOM", 0x00: "NULL"}


def frame_kind(tok):
    """'+12.3 <- PPS  ff 13 bf 8f ...' -> 'PPS-EOM'; other frames: their name."""
    if tok[2] == "PPS" and len(tok) > 6:
        return "PPS-" + PPS_PMC.get(int(tok[6], 16) & 0xfe, tok[6])
    return tok[2]


def uncompressed(srcs, d, name):
    path = os.path.join(d, name)
    subprocess.run(["tiffcp", "-c", "none", *srcs, path], check=True,
                   stderr=subprocess.DEVNULL)
    return page_check.pages_uncompressed(path)


def main(argv):
    sep = argv.index("--")
    calldir, jobfile = argv[1], argv[2]
    want = dict(a.split("=", 1) for a in argv[3:sep])
    srcs = argv[sep + 1:]
    codings = want["coding"].split(",")
    yres = [int(y) for y in want["yres"].split(",")]
    n = len(codings)

    meta = json.load(open(os.path.join(calldir, "meta.json")))
    assert meta["result"] == "ok" and meta["t30_text"] == "OK", \
        (meta["result"], meta.get("t30_text"))
    assert meta["npages"] == n and len(meta["pages"]) == n, meta["pages"]
    assert meta["remote_csid"] == want["csid"], meta["remote_csid"]
    assert meta["caller_id"] == want["caller"], meta["caller_id"]
    ecm = want["ecm"] == "1"
    assert meta["ecm"] is ecm, meta["ecm"]
    for p, c, y in zip(meta["pages"], codings, yres):
        assert (p["coding"], p["yres"], p["ecm"], p["bad_rows"]) == (c, y, ecm, 0), p
        # 204 dpi, or R16 (408x391, 3456 wide), which the gateway offers
        # since issue 15.8; the pixels say which was sent
        assert (p["width"], p["xres"]) in ((1728, 204), (3456, 408)), p

    sent = 0
    for path in jobfile.split(","):
        job = job_fields(path)
        assert job["state"] == "7", ("HylaFAX job not done", path, job.get("status"))
        assert job["csi"] == "+1 555 0199", job["csi"]
        if "dataformat" in want:
            assert job["dataformat"] == want["dataformat"], job["dataformat"]
        sent += int(job["npages"])
    assert sent == n, ("pages HylaFAX sent", sent, n)

    kinds = [frame_kind(line.split()) for line in open(os.path.join(calldir, "t30.log"))
             if line.startswith("+")]
    if "eom" in want:
        eom = int(want["eom"])
        eoms = sum(k in ("EOM", "PPS-EOM") for k in kinds)
        assert eoms == eom and kinds.count("DCS") == eom + 1, kinds
    assert kinds[-1] == "DCN", kinds

    with tempfile.TemporaryDirectory() as d:
        got = uncompressed([os.path.join(calldir, "pages.tif")], d, "got.tif")
        exp = uncompressed(srcs, d, "want.tif")
    short = [int(p) for p in want.get("short_ok", "").split(",") if p]
    notes = []
    for p in short:
        (gw, gh, gb), (ww, wh, wb) = got[p - 1], exp[p - 1]
        stride = (ww + 7) // 8
        if gw == ww and gh == wh - 1 and not any(wb[-stride:]):
            exp[p - 1] = (ww, wh - 1, wb[:-stride])  # the rest must still be equal
            notes.append("page %d: HylaFAX sent %d of %d rows (the last one blank)"
                         % (p, gh, wh))
    page_check.same(got, exp, "received vs sent")
    for note in notes:
        print(note)
    print("%d page(s) %s, ecm=%d, %d bit/s, pixel-identical; frames: %s"
          % (n, ",".join(codings), ecm, meta["bit_rate"], " ".join(
              k for i, k in enumerate(kinds) if k != "FCD" or kinds[i - 1] != "FCD")))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except AssertionError as e:
        print("t30_hylafax_check: FAILED: %r" % (e.args,), file=sys.stderr)
        raise
