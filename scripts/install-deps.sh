#!/bin/sh
# Installs the Debian 12 packages komek needs to build, test and demo.
# Idempotent: only packages that are missing are installed; apt-get update runs first
# when anything is missing. Must run as root (or with sudo available).
set -eu

# clang's libFuzzer and sanitizer runtimes (make fuzz, make fuzz-smoke) are in
# libclang-rt-14-dev, which clang-14 only recommends: --no-install-recommends below skips it.
PKGS="build-essential pkg-config ca-certificates
libcurl4-openssl-dev libyajl-dev libxml2-dev libhiredis-dev libpq-dev libinih-dev
libmicrohttpd-dev libutf8proc-dev libxxhash-dev libstemmer-dev libcmocka-dev libssl-dev
redis-server redis-tools postgresql postgresql-client
zlib1g-dev python3 curl procps util-linux iproute2 valgrind clang libclang-rt-14-dev
tzdata
chromium"
# chromium: the desk's browser test (test/integration/test_browser.sh) drives Debian's
# headless Chromium with Playwright (playwright-core from npm, which downloads no browser of
# its own; the machines reach no other download site). It also needs node and npm: the
# machine image ships them (NodeSource's nodejs, npm included), so Debian's are added only
# where node is missing (the two nodejs packages conflict).
if ! command -v npm >/dev/null 2>&1; then
    PKGS="$PKGS nodejs npm"
fi

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
    exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
    SUDO=sudo
fi
echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
# The redis-server and postgresql packages start system services on install; komek's
# tests and demo run their own servers on random loopback ports and need none of them.
echo "install-deps: done"
