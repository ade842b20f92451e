#!/bin/sh
# Installs the Debian 12 packages komek needs to build, test and demo.
# Idempotent: only packages that are missing are installed; apt-get update runs first
# when anything is missing. Must run as root (or with sudo available).
set -eu

PKGS="build-essential pkg-config ca-certificates
libcurl4-openssl-dev libyajl-dev libxml2-dev libhiredis-dev libpq-dev libinih-dev
libmicrohttpd-dev libutf8proc-dev libxxhash-dev libstemmer-dev libcmocka-dev libssl-dev
redis-server redis-tools postgresql postgresql-client
zlib1g-dev python3 curl procps util-linux iproute2 valgrind clang
tzdata"

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
