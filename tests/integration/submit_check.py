#!/usr/bin/python3
"""submit_check - independent checks of what `ifaxgw submit` stored.

Works on uncompressed TIFFs (made by `tiffcp -c none` from pages.tif) and
raw PBMs, read by page_check.py's own readers (no ifaxgw code).

  submit_check.py centred A.tif PAGE REF.pbm   page PAGE (from 1) holds REF
        unchanged, placed within 8 pixels of the centre, white elsewhere
  submit_check.py density A.tif PAGE X0 Y0 X1 Y1 LO HI
        the black fraction of the window is within [LO, HI]
  submit_check.py stems A.tif PAGE X0 Y0 X1 Y1 N
        the window's column profile has exactly N separate dark runs
        (vertical strokes told apart: the text is resolved, not a blot)
Exit 0 when the check holds, 1 with a message otherwise.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import page_check  # noqa: E402


def bit(buf, stride, x, y):
    return (buf[y * stride + x // 8] >> (7 - x % 8)) & 1


def page(path, n):
    pages = page_check.pages_uncompressed(path)
    if n > len(pages):
        raise SystemExit(f"{path}: {len(pages)} pages, no page {n}")
    return pages[n - 1]


def rows_int(buf, w, h):
    stride = (w + 7) // 8
    pad = stride * 8 - w
    return [int.from_bytes(buf[y * stride:(y + 1) * stride], "big") >> pad for y in range(h)]


def centred(path, n, ref):
    w, h, buf = page(path, n)
    rw, rh, rbuf = page_check.pbm(ref)
    if h != rh:
        raise SystemExit(f"page {n}: {h} rows, the source has {rh}")
    if w < rw:
        raise SystemExit(f"page {n}: {w} wide, narrower than the source's {rw}")
    got, src = rows_int(buf, w, h), rows_int(rbuf, rw, rh)
    want = (w - rw) // 2
    for dx in range(max(0, want - 8), min(w - rw, want + 8) + 1):
        if all(g == s << (w - rw - dx) for g, s in zip(got, src)):
            return
    raise SystemExit(f"page {n}: the source is not there unchanged near x={want}")


def window(path, n, x0, y0, x1, y1):
    w, h, buf = page(path, n)
    if not (0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h):
        raise SystemExit(f"window {x0},{y0}-{x1},{y1} outside the {w}x{h} page")
    stride = (w + 7) // 8
    return [[bit(buf, stride, x, y) for x in range(x0, x1)] for y in range(y0, y1)]


def main(argv):
    cmd = argv[1]
    if cmd == "centred":
        centred(argv[2], int(argv[3]), argv[4])
    elif cmd == "density":
        rows = window(argv[2], int(argv[3]), *map(int, argv[4:8]))
        black = sum(map(sum, rows)) / float(len(rows) * len(rows[0]))
        lo, hi = float(argv[8]), float(argv[9])
        print(f"black fraction {black:.4f}")
        if not lo <= black <= hi:
            raise SystemExit(f"black fraction {black:.4f} outside [{lo}, {hi}]")
    elif cmd == "stems":
        rows = window(argv[2], int(argv[3]), *map(int, argv[4:8]))
        cols = [any(r[x] for r in rows) for x in range(len(rows[0]))]
        runs = sum(1 for x, c in enumerate(cols) if c and (x == 0 or not cols[x - 1]))
        print(f"{runs} dark column runs")
        if runs != int(argv[8]):
            raise SystemExit(f"{runs} dark column runs, want {argv[8]}")
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
