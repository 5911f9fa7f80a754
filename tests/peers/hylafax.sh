# hylafax.sh - HylaFAX (Debian's hylafax-server/-client 6.0.7) as a real
# fax sender on the virtual line: an independent T.30 with its own Class 1
# driver and software ECM (MR, MMR, EOM batches). Sourced by a test, so
# that its daemons are the test's children:
#
#   hylafax_start DIR TTY [CONFIG_LINE...]
#       a private spool DIR/spool (a copy of /var/spool/hylafax and of the
#       /etc/hylafax files the system units bind into its etc/), a Class 1
#       config for the modem TTY (extra "Key: value" lines override the
#       defaults), bin/faxrcvd, notify, wedged and pollrcvd replaced by
#       scripts that only log to DIR/spool/log/scripts; then faxq, hfaxd
#       (127.0.0.1, a free port) and faxgetty on TTY, and waits until the
#       modem is initialised and idle. Sets HYLAFAX_SPOOL, HYLAFAX_PORT,
#       HYLAFAX_DEVID, HYLAFAX_PIDS. With "ModemReadyState: B" the modem
#       tells faxq it is busy: jobs queue up until hylafax_release, and
#       then jobs for one number go out as one batch (one call, EOM
#       between the jobs).
#   hylafax_release         the modem tells faxq it is ready (faxstate)
#   hylafax_send NUMBER [SENDFAX_OPTION...] -- FILE...
#       sendfax -n -N -t 1 -T 1 -s a4 (no cover, no mail, one try) through
#       our hfaxd to our modem: one job, its documents in the order given;
#       prints the job id.
#   hylafax_wait JOBID      until the job is done; prints its doneq file's
#                           state/status/npages/signalrate/dataformat;
#                           fails if faxq died or the job did not succeed
#   hylafax_job JOBID KEY   one field of the finished job (doneq/qJOBID)
#   hylafax_stop            SIGTERM to our daemons only, then wait
#   hylafax_logs            the session logs and daemon output (for failures)
#
# Needs root (the daemons drop to uucp, the spool's owner); DIR's parents
# are made traversable for uucp. Modem locks stay in /var/lock (UUCP style,
# LCK..<basename of TTY>): faxq and faxgetty take the lock directory before
# they read a device's config, so a private UUCPLockDir splits them and
# faxgetty grabs the modem in the middle of faxsend's call (a stray ATZ,
# a lost OK). Give TTY a basename no other test uses (efax locks there too).
# Nothing of the system's HylaFAX is used or touched: no system service, no
# /var/spool/hylafax writes, no mail. Only the daemons and /usr/bin clients
# are run: Debian's /usr/sbin tools other than faxq, hfaxd, faxgetty are
# wrappers that bind-mount over the system spool (see SendFaxCmd below);
# the real ones are in /usr/lib/hylafax/bin.
# Facts and recipe: shared/notes/hylafax-peer.md (but not its private
# UUCPLockDir, see above).
HYLAFAX_PIDS=()

hylafax_start() { # DIR TTY [CONFIG_LINE...]
    local dir tty
    dir=$(cd "${1:?DIR}" && pwd); tty=${2:?TTY}; shift 2
    local spool=$dir/spool
    [ -d /var/spool/hylafax ] || { echo "hylafax.sh: hylafax-server is not installed" >&2; return 1; }
    cp -a /var/spool/hylafax "$spool"
    cp -a /etc/hylafax/. "$spool/etc/"
    chown uucp:uucp "$spool/etc"
    local p=$dir
    while [ "$p" != / ]; do chmod o+x "$p"; p=$(dirname "$p"); done
    # hfaxd: clients from loopback only, any user, no password
    printf '127.0.0.1\nlocalhost\n' >"$spool/etc/hosts.hfaxd"
    chown uucp:uucp "$spool/etc/hosts.hfaxd"; chmod 600 "$spool/etc/hosts.hfaxd"
    # the scripts faxq and faxgetty run: log their arguments, send no mail
    local s
    for s in faxrcvd notify wedged pollrcvd; do
        rm -f "$spool/bin/$s"
        printf '#!/bin/sh\necho "%s $*" >>log/scripts\nexit 0\n' "$s" >"$spool/bin/$s"
        chmod 755 "$spool/bin/$s"
    done
    # Debian's /usr/sbin/faxsend (and faxstate, faxmodem...) is a wrapper
    # that bind-mounts /etc/hylafax over /var/spool/hylafax/etc for the
    # whole system while it runs: faxq must start the real program
    printf 'SendFaxCmd: /usr/lib/hylafax/bin/faxsend\n' >>"$spool/etc/config"
    HYLAFAX_SPOOL=$spool
    HYLAFAX_DEVID=$(printf '%s' "$tty" | tr / _)
    HYLAFAX_TTY=$tty
    {
        cat <<CF
# a Class 1 modem on ifaxgw-vline (SpanDSP t31 behind a pty)
ModemType:              Class1
ModemRate:              115200
ModemFlowControl:       XONXOFF
ModemResetCmds:         ""
ModemMfrQueryCmd:       "!ifaxgw"
ModemModelQueryCmd:     "!vline-t31"
ModemRevQueryCmd:       "!1"
Class1Cmd:              AT+FCLASS=1
Class1AdaptRecvCmd:     AT+FAR=1
Class1TMConnectDelay:   400
Class1PPMWaitCmd:       AT+FTS=7
Class1TCFWaitCmd:       AT+FTS=7
Class1EOPWaitCmd:       AT+FTS=9
Class1SwitchingCmd:     AT+FRS=7
Class1ECMSupport:       yes
Class1MRSupport:        yes
Class1MMRSupport:       yes
RingsBeforeAnswer:      0
LocalIdentifier:        "+49 30 4711"
TagLineFont:            ""
PageChop:               none
ServerTracing:          0x00001
SessionTracing:         0x4FFFF
LogFileMode:            0644
CF
        for s in "$@"; do printf '%s\n' "$s"; done
    } >"$spool/etc/config.$HYLAFAX_DEVID"
    chown uucp:uucp "$spool/etc/config.$HYLAFAX_DEVID"
    HYLAFAX_PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    faxq -D -q "$spool" >"$dir/faxq.out" 2>&1 &
    HYLAFAX_PIDS+=($!)
    hfaxd -d -q "$spool" -l 127.0.0.1 -i "$HYLAFAX_PORT" >"$dir/hfaxd.out" 2>&1 &
    HYLAFAX_PIDS+=($!)
    HYLAFAX_DIR=$dir
    _hylafax_until 'faxstat -h "127.0.0.1:$HYLAFAX_PORT" >/dev/null 2>&1' "hfaxd not answering" ||
        return 1
    faxgetty -q "$HYLAFAX_SPOOL" "$HYLAFAX_TTY" >"$HYLAFAX_DIR/faxgetty.out" 2>&1 &
    HYLAFAX_PIDS+=($!)
    # faxgetty initialised the modem and told faxq (the status file)
    _hylafax_until 'grep -q "Running and idle" "$HYLAFAX_SPOOL/status/$HYLAFAX_DEVID" 2>/dev/null' \
        "modem not ready"
}

hylafax_release() {
    /usr/lib/hylafax/bin/faxstate -q "$HYLAFAX_SPOOL" -s ready "$HYLAFAX_DEVID"
}

# Poll CONDITION while our daemons live. No time limit (no test fails on
# time): a hung start is ctest's TIMEOUT; a dead daemon fails at once.
_hylafax_until() { # CONDITION WHAT
    local p
    until eval "$1"; do
        for p in "${HYLAFAX_PIDS[@]}"; do
            kill -0 "$p" 2>/dev/null || { echo "hylafax.sh: a daemon died ($2)" >&2; hylafax_logs >&2; return 1; }
        done
        sleep 0.1
    done
}

hylafax_send() { # NUMBER [SENDFAX_OPTION...] -- FILE...
    local number=$1 opts=(); shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
    shift # --
    # sendfax's options apply to the destinations after them: all before -d
    sendfax -h "$HYLAFAX_DEVID@127.0.0.1:$HYLAFAX_PORT" -n -N -t 1 -T 1 -s a4 \
        "${opts[@]}" -d "$number" "$@" >"$HYLAFAX_DIR/sendfax.out" 2>&1 ||
        { cat "$HYLAFAX_DIR/sendfax.out" >&2; return 1; }
    sed -n 's/^request id is \([0-9]*\).*/\1/p' "$HYLAFAX_DIR/sendfax.out"
}

hylafax_job() { # JOBID KEY
    sed -n "s/^$2://p" "$HYLAFAX_SPOOL/doneq/q$1" 2>/dev/null
}

hylafax_wait() { # JOBID
    local q=$HYLAFAX_SPOOL/doneq/q$1
    until [ -f "$q" ]; do
        kill -0 "${HYLAFAX_PIDS[0]}" 2>/dev/null || { echo "hylafax.sh: faxq died" >&2; return 1; }
        sleep 0.5
    done
    local k
    for k in state status npages totpages signalrate dataformat commid; do
        printf 'job %s %s: %s\n' "$1" "$k" "$(hylafax_job "$1" $k)"
    done
    # state 7 = done (sent); 8 = failed
    [ "$(hylafax_job "$1" state)" = 7 ]
}

hylafax_stop() {
    local p
    for p in "${HYLAFAX_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${HYLAFAX_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    HYLAFAX_PIDS=()
}

hylafax_logs() {
    local f
    for f in "$HYLAFAX_DIR"/*.out "$HYLAFAX_SPOOL"/log/c* "$HYLAFAX_SPOOL"/log/xferfaxlog \
        "$HYLAFAX_SPOOL"/log/scripts; do
        [ -f "$f" ] && { echo "=== $f"; cat "$f"; }
    done
    return 0
}
