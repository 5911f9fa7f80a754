#!/usr/bin/env bash
# postfix.sh - a private Postfix instance on loopback, as a real MTA peer.
#
#   postfix.sh start DIR PORT [RELAYHOST]   e.g. RELAYHOST "[127.0.0.1]:10025"
#   postfix.sh stop DIR
#
# Listens on 127.0.0.1:PORT (smtpd), IPv4 only, no DNS lookups. Mail for
# the domain postfix.test (any local part) is stored as Maildir in
# DIR/mail/box/new/; other domains are relayed to RELAYHOST when given,
# else refused (mynetworks 127.0.0.0/8 may relay). DSNs Postfix sends (e.g.
# NOTIFY=SUCCESS for a sender @postfix.test) land in the same Maildir.
# DIR and its parents are made traversable (o+x) for the postfix user.
# Log: DIR/maillog. Needs root (postfix refuses otherwise) and Debian's
# postfix package; the system's own Postfix config is not touched.
# Recipe and pitfalls: shared/notes/peers-and-libraries.md section 2.
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?DIR}
case $cmd in
start)
    port=${3:?PORT}; relay=${4:-}
    mkdir -p "$dir"/{queue,data,mail}
    dir=$(cd "$dir" && pwd)
    # the postfix user must reach data/ and mail/: open DIR and its parents
    # for traversal (mktemp -d makes 0700 directories)
    p=$dir
    while [ "$p" != / ]; do chmod o+x "$p"; p=$(dirname "$p"); done
    chown postfix "$dir/data" "$dir/mail"
    uid=$(id -u postfix); gid=$(id -g postfix)
    cat >"$dir/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
inet_interfaces = loopback-only
inet_protocols = ipv4
myhostname = postfix.test
mydomain = postfix.test
myorigin = postfix.test
mydestination =
mynetworks = 127.0.0.0/8
relayhost = $relay
alias_maps =
alias_database =
smtp_dns_support_level = disabled
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
virtual_mailbox_domains = postfix.test
virtual_mailbox_base = $dir/mail
virtual_mailbox_maps = static:box/
virtual_uid_maps = static:$uid
virtual_gid_maps = static:$gid
smtp_tls_security_level = none
smtpd_tls_security_level = none
delay_warning_time = 0
CF
    # the smtp service on our port, nothing chrooted
    awk -v port="$port" '
        /^[#[:space:]]/ || NF < 8 { print; next }
        $1 == "smtp" && $2 == "inet" { $1 = "127.0.0.1:" port }
        $2 == "inet" && $1 != "127.0.0.1:" port { next }
        { $5 = "n"; print }' /etc/postfix/master.cf >"$dir/master.cf"
    if ! script -qec "postfix -c $dir check" /dev/null >"$dir/check.out" 2>&1; then
        cat "$dir/check.out" "$dir/maillog" 2>/dev/null >&2; exit 1
    fi
    script -qec "postfix -c $dir start" /dev/null >"$dir/start.out" 2>&1 || {
        cat "$dir/start.out" >&2; exit 1; }
    for _ in $(seq 200); do
        if /usr/bin/python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then
            exit 0
        fi
        sleep 0.05
    done
    echo "postfix.sh: not listening on $port" >&2; cat "$dir/maillog" >&2 || true; exit 1 ;;
stop)
    [ -f "$dir/main.cf" ] && script -qec "postfix -c $dir stop" /dev/null >/dev/null 2>&1 || true ;;
*) echo "usage: postfix.sh start DIR PORT [RELAYHOST] | stop DIR" >&2; exit 2 ;;
esac
