# deliver_common.sh - helpers for the delivery integration tests (sourced
# after tests/peers/peerlib.sh). Needs TMP, IFAXGW, IFAXGW_SRC, IFAXGW_TOOLS.
#   make_page FILE [XRES YRES]   a one-page G4 TIFF (1728x2200, text-like)
#   device NAME ARGS...          tests/peers/ifax_device.py, NAME_PORT set
#   write_conf FILE SPOOL EXTRA_SMTP   config with short timeouts, retry 1 s
#   enqueue SPOOL PAGES ARGS...  tests/tools/deliver_enqueue: sets JOB
#   deliver CONF [ARGS]          ifaxgw deliver; output in $TMP/deliver.out
#   meta SPOOL JOB EXPR          python expression on the job's meta.json (m)
PY=${PYTHON:-/usr/bin/python3}
DEV="$IFAXGW_SRC/tests/peers/ifax_device.py"

make_page() { # FILE [XRES YRES]
    "$PY" - "$1.pbm" <<'PYEOF'
import random, sys
# A text-like page: 60 lines of "words" made of 7x12 glyphs (strokes),
# 1728 x 2200 pixels; compresses like a real letter (MMR ~ 40-60 KB).
random.seed(42)
W, H, GW, GH = 1728, 2200, 9, 14
glyphs = []
for g in range(40):
    rows = [0] * GH
    for _ in range(random.randint(2, 4)):
        if random.random() < 0.5:      # vertical stroke
            c = random.randint(0, 6); a = random.randint(0, 5); b = random.randint(7, 11)
            for y in range(a, b + 1):
                rows[y] |= 3 << c
        else:                          # horizontal stroke
            y = random.randint(1, 10); a = random.randint(0, 3); b = random.randint(4, 7)
            rows[y] |= ((1 << (b - a + 1)) - 1) << a
            rows[y + 1] |= ((1 << (b - a + 1)) - 1) << a
    glyphs.append(rows)
page = [0] * H
for top in range(120, H - 120, 34):
    x = 150
    while x < W - 200:
        for _ in range(random.randint(2, 9)):
            g = random.choice(glyphs)
            for y in range(GH):
                page[top + y] |= g[y] << (W - x - GW)
            x += GW
        x += 14
with open(sys.argv[1], "wb") as f:
    f.write(b"P4\n%d %d\n" % (W, H))
    for r in page:
        f.write(r.to_bytes(W // 8, "big"))
PYEOF
    pamtotiff -g4 -xresolution "${2:-204}" -yresolution "${3:-196}" \
        "$1.pbm" >"$1" 2>/dev/null
    rm -f "$1.pbm"
}

device() { # NAME ARGS...
    local name=$1; shift
    mkdir -p "$TMP/$name.d"
    peer_start "$name" "$PY" "$DEV" --save-dir "$TMP/$name.d" "$@"
}

write_conf() { # FILE SPOOL EXTRA_SMTP_TEXT [EXTRA_TOP_TEXT]
    cat >"$1" <<CONF
gateway: { name = "ifaxgw-test"; spool = "$2"; log_level = "info"; };
lines = ( { name = "line0"; audio = "$TMP/none.sock"; } );
smtp: {
  hostname = "gw.test";
  from = "ifaxgw@gw.test";
  direct_tls = "none";
  timeouts = { connect = 10; greeting = 20; ehlo = 20; starttls = 20;
               mail = 20; rcpt = 20; data = 20; block = 20; dot = 20;
               rset = 20; quit = 5; };
  retry = [ 1 ];
  $3
};
routes = (
  { name = "test"; recipients = ( "nobody@invalid.test" );
    notify = "ops@notify.test"; ${4:-} }
);
CONF
}

enqueue() { # SPOOL PAGES ARGS...
    local out
    out=$("$IFAXGW_TOOLS/deliver_enqueue" "$@") || return 1
    JOB=$(sed -n 's/^job=\([^ ]*\) .*/\1/p' <<<"$out" | tail -1)
    [ -n "$JOB" ]
}

deliver() { # CONF [ARGS...]
    local conf=$1; shift
    "$IFAXGW" deliver -c "$conf" "$@" >"$TMP/deliver.out" 2>"$TMP/deliver.err"
    local rc=$?
    cat "$TMP/deliver.out" "$TMP/deliver.err" >>"$TMP/deliver.all"
    # under ASan/UBSan a report (leak, overflow) must fail the test
    if [ $rc -ge 128 ] || grep -q 'Sanitizer\|runtime error:' "$TMP/deliver.err"; then
        grep -A20 'Sanitizer\|runtime error:' "$TMP/deliver.err" | head -40
        check "ifaxgw deliver ran clean (exit $rc)" false
    fi
    return $rc
}

meta() { # SPOOL JOB EXPR : prints eval(EXPR) with m = meta.json, st = state dir
    "$PY" - "$@" <<'PYEOF'
import json, os, sys
spool, job, expr = sys.argv[1:4]
for st in ("queue", "done", "failed", "incoming"):
    p = os.path.join(spool, st, job, "meta.json")
    if os.path.exists(p):
        m = json.load(open(p))
        print(eval(expr))
        break
else:
    print("NO-JOB")
PYEOF
}

# a verdict file of the device: ok and the coding/resolution it saw
verdict() { # FILE EXPR
    "$PY" -c 'import json,sys; v=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
