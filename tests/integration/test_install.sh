#!/usr/bin/env bash
# test_install - what `cmake --install` and the .deb put on a machine.
#  1. DESTDIR install of this build: exactly the expected files (binary,
#     virtual-line tool, both man pages, the systemd unit naming the
#     prefix's binary, docs and example configs, /etc/ifaxgw/ifaxgw.conf
#     not world-readable); the installed config passes check-config;
#  2. the unit: `systemd-analyze verify` is clean (on a copy that runs this
#     build's binary; man pages not looked up); its writable paths cover
#     the spool of the compiled-in default, of the installed config and of
#     every example; it allows serial, USB and pseudo-terminal devices and
#     the capabilities the spool hand-over needs;
#  3. `cpack -G DEB`: dpkg-deb -c lists the files under /usr and /etc,
#     dpkg-deb -I shows the conffile, the maintainer scripts and
#     dependencies computed from the shared libraries; it carries
#     /usr/share/doc/ifaxgw/copyright (DEP-5) and changelog.gz (gzip, its
#     top entry the package's version), man pages gzipped, and lintian
#     reports no error and no warning (lintian is a test tool that
#     install-deps installs: missing, the test fails).
# Installing and removing the .deb in a fresh chroot needs debootstrap
# (../shared/tools/fresh-debian.sh); not done here.
set -euo pipefail
: "${IFAXGW:?}" "${IFAXGW_SRC:?}" "${IFAXGW_BUILD:?}"
. "$IFAXGW_SRC/tests/peers/peerlib.sh"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
d=$TMP/dest

# 1. cmake --install
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$IFAXGW_BUILD/CMakeCache.txt")
DESTDIR=$d cmake --install "$IFAXGW_BUILD" >"$TMP/install.log"
expected() { # PREFIX (without DESTDIR)
    local p=$1 f
    printf '%s\n' /etc/ifaxgw/ifaxgw.conf "$p/sbin/ifaxgw" "$p/bin/ifaxgw-vline" \
        "$p/share/man/man8/ifaxgw.8.gz" "$p/share/man/man5/ifaxgw.conf.5.gz" \
        "$p/share/man/man1/ifaxgw-vline.1.gz" \
        "$p/lib/systemd/system/ifaxgw.service" "$p/share/doc/ifaxgw/README.md" \
        "$p/share/doc/ifaxgw/copyright" "$p/share/doc/ifaxgw/changelog.gz" \
        "$p/share/lintian/overrides/ifaxgw"
    for f in "$IFAXGW_SRC"/docs/*.md; do echo "$p/share/doc/ifaxgw/$(basename "$f")"; done
    for f in "$IFAXGW_SRC"/contrib/examples/*.conf; do
        echo "$p/share/doc/ifaxgw/examples/$(basename "$f")"
    done
}
expected "$prefix" | sort >"$TMP/want"
(cd "$d" && find . -type f -o -type l) | sed 's|^\.||' | sort >"$TMP/got"
check "cmake --install: exactly the expected files" diff "$TMP/want" "$TMP/got"
check "the binaries are executable" \
    test -x "$d$prefix/sbin/ifaxgw" -a -x "$d$prefix/bin/ifaxgw-vline"
check "the config is not world-readable (may hold passwords)" \
    test "$(stat -c %a "$d/etc/ifaxgw/ifaxgw.conf")" = 640
check "the installed config is valid" \
    "$IFAXGW" check-config -c "$d/etc/ifaxgw/ifaxgw.conf"
unit=$d$prefix/lib/systemd/system/ifaxgw.service
check "the unit runs the prefix's binary" grep -q "^ExecStart=$prefix/sbin/ifaxgw run" "$unit"
check "the man pages are man pages" \
    bash -c "zcat '$d$prefix/share/man/man8/ifaxgw.8.gz' | grep -q '^\.TH IFAXGW 8' &&
             zcat '$d$prefix/share/man/man1/ifaxgw-vline.1.gz' | grep -q '^\.TH IFAXGW-VLINE 1'"

# 2. the unit
mkdir "$TMP/unit"
sed "s|$prefix/sbin/ifaxgw|$IFAXGW|" "$unit" >"$TMP/unit/ifaxgw.service"
out=$(systemd-analyze verify --man=no "$TMP/unit/ifaxgw.service" 2>&1) && rc=0 || rc=$?
check "systemd-analyze verify: clean" test "$rc" -eq 0 -a -z "$out" || echo "$out"
# gateway.spool of a config file ("-" for the compiled-in default)
spool_of() {
    if [ "$1" = - ]; then
        printf 'smtp: { hostname = "h"; from = "a@h"; };\n' >"$TMP/min.conf"
        set -- "$TMP/min.conf"
    fi
    "$IFAXGW" check-config -c "$1" 2>/dev/null | sed -n 's/.*, spool \([^,]*\),.*/\1/p'
}
covered() { # SPOOL: under one of the unit's ReadWritePaths
    local p
    for p in $(sed -n 's/^ReadWritePaths=//p' "$unit"); do
        p=${p#-}
        case "$1/" in "${p%/}/"*) return 0 ;; esac
    done
    echo "spool $1 not in the unit's ReadWritePaths" >&2
    return 1
}
check "the compiled-in default spool is /var/spool/ifaxgw" test "$(spool_of -)" = /var/spool/ifaxgw
for c in - "$d/etc/ifaxgw/ifaxgw.conf" "$IFAXGW_SRC"/contrib/examples/*.conf; do
    s=$(spool_of "$c")
    check "the unit may write the spool of ${c##*/} ($s)" covered "$s"
done
check "the unit keeps everything else read-only" grep -q '^ProtectSystem=strict' "$unit"
for dev in char-ttyS char-ttyUSB char-ttyACM char-usb_device char-pts; do
    check "the unit allows $dev" grep -q "^DeviceAllow=$dev rw" "$unit"
done
for cap in CAP_SETUID CAP_SETGID CAP_CHOWN CAP_FOWNER; do
    check "the unit keeps $cap" grep -q "^CapabilityBoundingSet=.*$cap" "$unit"
done
check "the unit uses no StateDirectory (one story: the spool)" \
    bash -c "! grep -q '^StateDirectory' '$unit'"

# 3. the .deb
cpack -G DEB --config "$IFAXGW_BUILD/CPackConfig.cmake" -B "$TMP/pkg" >"$TMP/cpack.log" 2>&1 ||
    { cat "$TMP/cpack.log"; exit 1; }
deb=$(ls "$TMP"/pkg/ifaxgw_*.deb)
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { print $6 }' | sed 's|^\.||' | sort >"$TMP/deb-files"
expected /usr | sort >"$TMP/deb-want"
check "the .deb holds exactly the expected files" diff "$TMP/deb-want" "$TMP/deb-files"
dpkg-deb -I "$deb" >"$TMP/info"
dpkg-deb -f "$deb" Depends >"$TMP/depends"
check "package name ifaxgw" test "$(dpkg-deb -f "$deb" Package)" = ifaxgw
for lib in libc6 libspandsp2 libtiff6 libcurl4 libsane1 libmicrohttpd12 passwd; do
    check "depends on $lib" grep -q "\\b$lib\\b" "$TMP/depends"
done
dpkg-deb -e "$deb" "$TMP/ctl"
check "the config is a conffile" grep -qx /etc/ifaxgw/ifaxgw.conf "$TMP/ctl/conffiles"
check "postinst creates user ifaxgw in dialout and scanner" \
    grep -q 'useradd --system .*--groups dialout,scanner' "$TMP/ctl/postinst"
check "postinst makes the spool the user's" grep -q 'chown ifaxgw:ifaxgw "$spool"' "$TMP/ctl/postinst"
check "postinst neither enables nor starts the unit" \
    bash -c "! sed 's/#.*//' '$TMP/ctl/postinst' | grep -Eq 'systemctl (enable|start)|deb-systemd-invoke start'"
check "postrm purge removes the spool" grep -q 'rm -rf /var/spool/ifaxgw' "$TMP/ctl/postrm"
for s in postinst prerm postrm; do
    check "$s is valid sh" sh -n "$TMP/ctl/$s"
done
mkdir "$TMP/root"
dpkg-deb -x "$deb" "$TMP/root"
doc=$TMP/root/usr/share/doc/ifaxgw
check "the .deb has /usr/share/doc/ifaxgw/copyright" test -f "$doc/copyright"
check "copyright is machine-readable (DEP-5) with a Files: * paragraph and its licence" \
    bash -c "head -1 '$doc/copyright' | grep -qx 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' &&
             grep -qx 'Files: \*' '$doc/copyright' && grep -q '^License: ' '$doc/copyright'"
check "the .deb has /usr/share/doc/ifaxgw/changelog.gz (native package)" test -f "$doc/changelog.gz"
version=$(dpkg-deb -f "$deb" Version)
check "changelog.gz is gzip and its top entry is the package's version ($version)" \
    bash -c "zcat '$doc/changelog.gz' | head -1 | grep -qF 'ifaxgw ($version) '"
check "every file in the .deb is 0644 or 0755, but the config 0640" bash -c "
    ! dpkg-deb -c '$deb' | awk '\$1 !~ /^d/ && \$1 != \"-rw-r--r--\" && \$1 != \"-rwxr-xr-x\" { print \$6 }' |
      grep -vx './etc/ifaxgw/ifaxgw.conf'"
if ! command -v lintian >/dev/null; then
    check "lintian is installed (contrib/install-deps.sh installs it)" false
else
    # rc 0: ran and found no error or warning (an override with its reason
    # in contrib/debian/lintian-overrides silences a deliberate one)
    lintian --fail-on error,warning --tag-display-limit 0 "$deb" >"$TMP/lintian" 2>&1 &&
        lrc=0 || lrc=$?
    check "lintian: no E: lines" bash -c "! grep -q '^E:' '$TMP/lintian'"
    check "lintian: no W: lines, and it ran (rc $lrc)" \
        bash -c "! grep -q '^W:' '$TMP/lintian' && test $lrc -eq 0"
    grep -q '^[EW]:' "$TMP/lintian" || test "$lrc" -eq 0 || cat "$TMP/lintian"
    grep '^[EW]:' "$TMP/lintian" || true
fi
finish
