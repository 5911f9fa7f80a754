# deliver_common.sh - helpers for the delivery integration tests (sourced
# after tests/peers/peerlib.sh). Needs TMP, IFAXGW, IFAXGW_SRC, IFAXGW_TOOLS.
#   make_page FILE [XRES YRES]   a one-page G4 TIFF (1728 wide, text-like)
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
w, h = 1728, 1100
random.seed(42)
rows = [bytearray(w // 8) for _ in range(h)]
for line in range(40, h - 40, 24):           # lines of "words"
    x = 100
    while x < w - 200:
        wl = random.randint(20, 90)
        for y in range(line, line + 14):
            for b in range(x // 8, (x + wl) // 8):
                rows[y][b] = 0xFF if random.random() < 0.6 else 0x5A
        x += wl + random.randint(10, 24)
with open(sys.argv[1], "wb") as f:
    f.write(b"P4\n%d %d\n" % (w, h))
    for r in rows:
        f.write(bytes(r))
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
