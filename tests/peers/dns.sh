#!/usr/bin/env bash
# dns.sh - a private dnsmasq on a free loopback port with the test zone.
#
#   dns.sh start DIR [extra dnsmasq options...]   -> DIR/port, DIR/pid, DIR/log
#   dns.sh stop DIR
#
# The zone (all under .test, answered locally, never forwarded):
#   mx.test        MX 10 mx1.mx.test, MX 20 mx2.mx.test
#   multi.test     MX 5 first.multi.test, MX 10 a.multi.test, MX 10 b.multi.test,
#                  MX 10 c.multi.test (equal preferences: shuffled by the client)
#   implicit.test  no MX, A 127.0.0.1 (implicit MX)
#   nullmx.test    MX 0 "." (RFC 7505 null MX: dnsmasq expresses it with
#                  --mx-host=nullmx.test,.,0)
#   alias.test     CNAME mx.test
#   nomxaddr.test  MX 10 ghost.nomxaddr.test, which has no address
#   *.nx.test      NXDOMAIN;   servfail.test  SERVFAIL (forwarded to a dead
#                  server)
# Hosts: mx1.mx.test 127.0.0.5 (nothing listens there), mx2.mx.test 127.0.0.1, first.multi.test
# 127.0.0.1, a/b/c.multi.test 127.0.0.2/3/4.
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?DIR}
case $cmd in
start)
    shift 2
    mkdir -p "$dir"
    # a free UDP+TCP port: bind both to 0 in one process and hand the number over
    port=$(/usr/bin/python3 - <<'PY'
import socket
for _ in range(50):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
    p = u.getsockname()[1]
    t = socket.socket()
    try:
        t.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        t.close(); u.close()
PY
)
    dead=$(/usr/bin/python3 -c 'import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
    dnsmasq -k --no-resolv --no-hosts --port="$port" --listen-address=127.0.0.1 \
        --bind-interfaces --pid-file= --user="$(id -un)" --log-queries \
        --log-facility="$dir/log" --local=/test/ \
        --server=/servfail.test/127.0.0.1#"$dead" \
        --mx-host=mx.test,mx1.mx.test,10 --mx-host=mx.test,mx2.mx.test,20 \
        --host-record=mx1.mx.test,127.0.0.5 --host-record=mx2.mx.test,127.0.0.1 \
        --mx-host=multi.test,first.multi.test,5 --mx-host=multi.test,a.multi.test,10 \
        --mx-host=multi.test,b.multi.test,10 --mx-host=multi.test,c.multi.test,10 \
        --host-record=first.multi.test,127.0.0.1 --host-record=a.multi.test,127.0.0.2 \
        --host-record=b.multi.test,127.0.0.3 --host-record=c.multi.test,127.0.0.4 \
        --host-record=implicit.test,127.0.0.1 \
        --mx-host=nullmx.test,.,0 \
        --cname=alias.test,mx.test \
        --mx-host=nomxaddr.test,ghost.nomxaddr.test,10 \
        "$@" >"$dir/out" 2>&1 &
    echo $! >"$dir/pid"
    echo "$port" >"$dir/port"
    for _ in $(seq 100); do
        grep -q 'started' "$dir/log" 2>/dev/null && exit 0
        kill -0 "$(cat "$dir/pid")" 2>/dev/null || break
        sleep 0.05
    done
    echo "dns.sh: dnsmasq did not start" >&2; cat "$dir/out" >&2; exit 1 ;;
stop)
    [ -f "$dir/pid" ] && kill "$(cat "$dir/pid")" 2>/dev/null || true
    rm -f "$dir/pid" ;;
*) echo "usage: dns.sh start|stop DIR" >&2; exit 2 ;;
esac
