#!/usr/bin/env bash
# install-deps.sh - install every Debian 12 package ifaxgw's build, tests and
# demo need (contrib/debian-packages.txt), plus the npm test tools.
# Idempotent and non-interactive; must run as root on Debian 12.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export DEBIAN_FRONTEND=noninteractive

mapfile -t pkgs < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$here/debian-packages.txt" | grep -v '^$')

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    # Postfix must not touch the system's mail set-up: our tests run private instances.
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    # apt-get update when the lists are missing or older than a day.
    if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -1)" ]; then
        apt-get update -qq
    fi
    apt-get install -y -qq --no-install-recommends "${missing[@]}" ||
        { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; }
    # hylafax-server's postinst enables and, under systemd, starts faxq and
    # hfaxd (listening on port 4559 on every address); the tests run private
    # instances (tests/peers/hylafax.sh). Undo that only when we installed it.
    for p in "${missing[@]}"; do
        if [ "$p" = hylafax-server ] && [ -d /run/systemd/system ]; then
            systemctl disable --now hylafax.service faxq.service hfaxd.service >/dev/null 2>&1 || true
        fi
    done
fi

# The machine image ships Node.js and npm (which conflict with Debian's npm
# package); fall back to Debian's only where there is none.
if ! command -v npm >/dev/null 2>&1; then
    apt-get install -y -qq --no-install-recommends nodejs npm
fi

# playwright-core drives Debian's chromium in the browser tests; it downloads
# no browser. Its version is pinned (package.json, package-lock.json) to one
# whose engines field allows Debian 12's Node 18; npm ci installs exactly the
# locked one, and again when an older checkout left another version.
peers="$here/../tests/peers"
# Every pinned dependency (playwright-core, axe-core) at its pinned version,
# else npm ci: a checkout made before a dependency was added gets it too.
stale=
while read -r name want; do
    have=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' \
        "$peers/node_modules/$name/package.json" 2>/dev/null | head -1 || true)
    [ "$have" = "$want" ] || stale=1
done < <(sed -n '/"dependencies"/,/}/s/^ *"\([^"]*\)": *"\([^"]*\)".*/\1 \2/p' "$peers/package.json")
if [ -n "$stale" ]; then
    (cd "$peers" && npm ci --no-audit --no-fund --silent >/dev/null)
fi
echo "install-deps: ok"
