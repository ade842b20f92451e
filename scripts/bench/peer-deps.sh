#!/bin/sh
# Debian packages of ../shared/bench/peers.py (make bench-peers): the Python peer's
# redis-py and psycopg2, rsyslog with omhiredis. Installs only what is missing; nothing to do
# when ../shared is absent (the peers are then skipped).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ -e "${BENCH_SHARED:-$here/../../../shared}/bench/peers.py" ] || exit 0
missing=""
for p in python3-redis python3-psycopg2 rsyslog rsyslog-hiredis bc; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
echo "peer-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
