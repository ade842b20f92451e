#!/bin/sh
# make install into a scratch prefix: binaries, config, lexicon, routing, the systemd unit
# with this installation's paths (verified by systemd-analyze when it is available, and its
# sandboxing rated), the README; a second install keeps an edited config; the installed
# komekd accepts the installed config; make uninstall removes binaries and unit.
set -u
here=$(cd "$(dirname "$0")" && pwd)
KM_ROOT=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-build}
cd "$KM_ROOT" || exit 1
. "$here/lib.sh"
T=$(mktemp -d /tmp/km-install.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT

inst()
{
    make --no-print-directory -s BUILD="$BUILD" PREFIX="$T/usr" SYSCONFDIR="$T/etc" \
        INSTALL_USER= "$@" >"$T/make.log" 2>&1
}

inst install
km_check "make install exit status" 0 "$?"
for f in usr/bin/komekd usr/bin/komekctl etc/komek/komek.conf etc/komek/tags.list \
    etc/komek/routing.conf etc/komek/lexicon/base.lex usr/lib/systemd/system/komekd.service \
    usr/share/doc/komek/README.md; do
    if [ -f "$T/$f" ]; then echo "ok   installed $f"; else
        echo "FAIL not installed: $f"; failures=$((failures + 1)); fi
done
unit="$T/usr/lib/systemd/system/komekd.service"
km_check "unit: placeholders left" 0 "$(grep -c '@[A-Z]*@' "$unit")"
km_check "unit: ExecStart" "ExecStart=$T/usr/bin/komekd -c $T/etc/komek/komek.conf" \
    "$(grep '^ExecStart=' "$unit")"
for key in NoNewPrivileges=yes ProtectSystem=strict PrivateTmp=yes User=komek; do
    km_check "unit: $key" 1 "$(grep -c "^$key\$" "$unit")"
done
if command -v systemd-analyze >/dev/null 2>&1; then
    systemd-analyze verify "$unit" >"$T/verify.log" 2>&1
    km_check "systemd-analyze verify" 0 "$?"
    [ -s "$T/verify.log" ] && cat "$T/verify.log"
    level=$(systemd-analyze security --offline=yes "$unit" 2>/dev/null |
        sed -n 's/.*Overall exposure level for komekd.service: \([0-9.]*\) .*/\1/p')
    if [ -n "$level" ] && awk "BEGIN { exit !($level <= 2.0) }"; then
        echo "ok   systemd-analyze security exposure $level (<= 2.0)"; else
        echo "FAIL systemd-analyze security exposure '$level'"; failures=$((failures + 1)); fi
else
    echo "skip systemd-analyze not installed"
fi

"$T/usr/bin/komekd" --check-config "$T/etc/komek/komek.conf" >"$T/check.log" 2>&1
km_check "installed komekd accepts the installed config" 0 "$?"

echo "# edited by the operator" >>"$T/etc/komek/komek.conf"
inst install
km_check "second install keeps the edited config" 1 "$(grep -c '^# edited by the operator$' "$T/etc/komek/komek.conf")"

inst uninstall
km_check "make uninstall exit status" 0 "$?"
km_check "binaries and unit removed" "" \
    "$(ls "$T/usr/bin/komekd" "$T/usr/lib/systemd/system/komekd.service" 2>/dev/null)"
km_check "config kept by uninstall" 1 "$(ls "$T/etc/komek/komek.conf" | wc -l)"
[ "$failures" -eq 0 ]
