#!/usr/bin/env bash
# demo.sh - README's first Quick start command: set everything up and run
# the gateway as a whole, on this machine, with no hardware:
#   * a virtual fax line (contrib/vline: two Class 1 modems on ptys);
#   * ifaxgw on modem A, on its embedded default configuration
#     (spool ./demo/spool, web page on 127.0.0.1:8025, token "demo-token-0123456789");
#   * an Internet fax device simulator (tests/peers/ifax_device.py) on
#     127.0.0.1:10025 that answers CONNEG like a Panasonic DP-series device;
#   * efax (an independent fax program) sends a sample page on modem B.
# The fax arrives at the device in the negotiated coding and shows on the
# web page; the gateway then keeps running until Ctrl-C.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash contrib/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release -j"$(nproc)" >/dev/null
bin=$root/build/release
demo=$root/demo
rm -rf "$demo"
mkdir -p "$demo/spool" "$demo/device"
pids=()
cleanup() {
    set +e  # a failing kill or wait must not change the verdict
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

"$bin/ifaxgw-vline" --a "$demo/ttyIFX0" --b "$demo/ttyIFX1" >"$demo/vline.log" 2>&1 &
pids+=($!)
/usr/bin/python3 tests/peers/ifax_device.py --port 10025 --save-dir "$demo/device" \
    --preset panasonic >"$demo/device.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -e "$demo/ttyIFX0" ] && [ -e "$demo/ttyIFX1" ] && break; sleep 0.1; done
"$bin/ifaxgw" run 2>"$demo/ifaxgw.log" &
gw=$!
pids+=("$gw")

bash contrib/demo-send.sh "$demo/ttyIFX1" || true

cat <<TXT

ifaxgw demo is running.
  web status page:  http://127.0.0.1:8025/   (actions: token "demo-token-0123456789")
  gateway log:      $demo/ifaxgw.log
  spool:            $demo/spool/{queue,done,failed}/
  fax device:       $demo/device/  (msg-N.eml as received, msg-N.json: what
                    the device's independent checks found, e.g. the coding)
Send another fax through the virtual line (PostScript, PDF or TIFF):
  bash contrib/demo-send.sh $demo/ttyIFX1 [FILE]
Stop with Ctrl-C.
TXT
wait "$gw"
