#!/usr/bin/python3
"""page_check - independent checks of ifaxgw's page files (no ifaxgw code).

  page_check.py same A.tif B.tif          pixels of two uncompressed TIFFs equal
  page_check.py same-pbm A.tif P0.pbm...  pixels of A's pages equal the PBMs
  page_check.py strips F.tif DIR          write each page's strip to DIR/pN.bin
  page_check.py profile-s F.tif           RFC 3949 section 3, field by field
  page_check.py info F.tif                one line per page: w h xres yres comp
  page_check.py png F.png W H             PNG signature and size
Exit 0 when the check holds, 1 with a message otherwise.
"""
import struct
import sys

TYPES = {1: ("B", 1), 3: ("H", 2), 4: ("I", 4), 5: ("II", 8)}


def ifds(data):
    bo = {b"II": "<", b"MM": ">"}.get(data[:2])
    if bo is None or struct.unpack(bo + "H", data[2:4])[0] != 42:
        raise SystemExit("not a TIFF")
    off = struct.unpack(bo + "I", data[4:8])[0]
    seen = set()
    while off:
        if off in seen or off + 2 > len(data):
            raise SystemExit("bad IFD chain")
        seen.add(off)
        n = struct.unpack(bo + "H", data[off:off + 2])[0]
        tags, order = {}, []
        for k in range(n):
            e = off + 2 + 12 * k
            tag, typ, cnt = struct.unpack(bo + "HHI", data[e:e + 8])
            fmt, size = TYPES.get(typ, ("B", 1))
            total = size * cnt
            where = e + 8 if total <= 4 else struct.unpack(bo + "I", data[e + 8:e + 12])[0]
            raw = data[where:where + total]
            vals = list(struct.unpack(bo + fmt * cnt, raw))
            tags[tag] = (typ, cnt, vals, struct.unpack(bo + "I", data[e + 8:e + 12])[0])
            order.append(tag)
        nxt = struct.unpack(bo + "I", data[off + 2 + 12 * n:off + 6 + 12 * n])[0]
        yield off, n, tags, order, nxt
        off = nxt


def rev(b):
    return bytes(int(f"{x:08b}"[::-1], 2) for x in range(256))


REV = rev(None)


def pages_uncompressed(path):
    data = open(path, "rb").read()
    out = []
    for _, _, t, _, _ in ifds(data):
        w, h = t[256][2][0], t[257][2][0]
        comp = t.get(259, (0, 0, [1]))[2][0]
        if comp != 1:
            raise SystemExit(f"{path}: compression {comp}, want none")
        photo = t.get(262, (0, 0, [0]))[2][0]
        fill = t.get(266, (0, 0, [1]))[2][0]
        stride = (w + 7) // 8
        buf = b"".join(data[o:o + c] for o, c in zip(t[273][2], t[279][2]))
        if fill == 2:
            buf = buf.translate(REV)
        if photo == 1:
            buf = bytes(x ^ 0xFF for x in buf)
        out.append((w, h, masked(buf[:stride * h], w, h)))
    return out


def masked(buf, w, h):
    stride = (w + 7) // 8
    if w % 8 == 0:
        return bytes(buf)
    m = (0xFF << (8 - w % 8)) & 0xFF
    b = bytearray(buf)
    for y in range(h):
        b[y * stride + stride - 1] &= m
    return bytes(b)


def pbm(path):
    data = open(path, "rb").read()
    toks, i = [], 0
    while len(toks) < 3:
        while data[i:i + 1].isspace():
            i += 1
        if data[i:i + 1] == b"#":
            while data[i:i + 1] not in (b"\n", b""):
                i += 1
            continue
        j = i
        while not data[j:j + 1].isspace():
            j += 1
        toks.append(data[i:j])
        i = j
    i += 1
    if toks[0] != b"P4":
        raise SystemExit(f"{path}: not a raw PBM")
    w, h = int(toks[1]), int(toks[2])
    return w, h, masked(data[i:i + (w + 7) // 8 * h], w, h)


def same(a, b, what):
    if len(a) != len(b):
        raise SystemExit(f"{what}: {len(a)} pages vs {len(b)}")
    for n, (p, q) in enumerate(zip(a, b)):
        if p[:2] != q[:2]:
            raise SystemExit(f"{what}: page {n + 1} size {p[:2]} vs {q[:2]}")
        if p[2] != q[2]:
            raise SystemExit(f"{what}: page {n + 1} pixels differ")


def profile_s(path):
    data = open(path, "rb").read()
    errs = []
    if data[:8] != b"II*\x00\x08\x00\x00\x00":
        errs.append("header is not II, 42, first IFD at 8")
    want = [254, 256, 257, 258, 259, 262, 266, 273, 277, 278, 279, 282, 283, 292, 296, 297]
    chain = list(ifds(data))
    for n, (off, cnt, t, order, nxt) in enumerate(chain):
        p = f"page {n + 1}"
        if order != want:
            errs.append(f"{p}: tags {order}, want exactly {want}")
            continue
        v = {k: t[k][2] for k in t}
        checks = [(254, [2]), (256, [1728]), (258, [1]), (259, [3]), (262, [0]),
                  (266, [2]), (277, [1]), (296, [2]), (297, [n, len(chain)])]
        for tag, val in checks:
            if v[tag] != val:
                errs.append(f"{p}: tag {tag} = {v[tag]}, want {val}")
        if v[292][0] not in (0, 4):
            errs.append(f"{p}: T4Options {v[292][0]}, want 0 or 4")
        if v[278] != v[257] or len(v[273]) != 1:
            errs.append(f"{p}: not one strip per page")
        xr, yr = v[282][0] / v[282][1], v[283][0] / v[283][1]
        if xr not in (200, 204) or yr not in (98, 100, 196, 200):
            errs.append(f"{p}: resolution {xr}x{yr}")
        end = off + 2 + 12 * cnt + 4
        if t[282][3] != end or t[283][3] != end + 8:
            errs.append(f"{p}: X/YResolution not right after the IFD")
        if v[273][0] != end + 16:
            errs.append(f"{p}: strip not right after the IFD's values")
        strip_end = v[273][0] + v[279][0]
        if nxt and nxt not in (strip_end, strip_end + 1):
            errs.append(f"{p}: next IFD at {nxt}, not right after the strip")
        if off % 2:
            errs.append(f"{p}: IFD at odd offset")
    if errs:
        raise SystemExit("\n".join(errs))


def main(argv):
    cmd = argv[1]
    if cmd == "same":
        same(pages_uncompressed(argv[2]), pages_uncompressed(argv[3]), f"{argv[2]} vs {argv[3]}")
    elif cmd == "same-pbm":
        same(pages_uncompressed(argv[2]), [pbm(p) for p in argv[3:]], f"{argv[2]} vs PBMs")
    elif cmd == "strips":
        data = open(argv[2], "rb").read()
        for n, (_, _, t, _, _) in enumerate(ifds(data)):
            with open(f"{argv[3]}/p{n}.bin", "wb") as f:
                for o, c in zip(t[273][2], t[279][2]):
                    f.write(data[o:o + c])
    elif cmd == "profile-s":
        profile_s(argv[2])
    elif cmd == "info":
        data = open(argv[2], "rb").read()
        for _, _, t, _, _ in ifds(data):
            r = lambda k: round(t[k][2][0] / t[k][2][1]) if k in t else 0
            print(t[256][2][0], t[257][2][0], r(282), r(283), t.get(259, (0, 0, [1]))[2][0])
    elif cmd == "png":
        d = open(argv[2], "rb").read(24)
        if d[:8] != b"\x89PNG\r\n\x1a\n":
            raise SystemExit("not a PNG")
        w, h = struct.unpack(">II", d[16:24])
        if (w, h) != (int(argv[3]), int(argv[4])):
            raise SystemExit(f"PNG is {w}x{h}, want {argv[3]}x{argv[4]}")
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
