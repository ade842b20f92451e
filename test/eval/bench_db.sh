#!/bin/sh
# make bench-db: starts a throwaway PostgreSQL (test/integration/lib.sh) and runs
# $BUILD/measure/bench_db against it: rows per second the tickets role stores.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-build}
. "$root/test/integration/lib.sh"
cd "$root" || exit 1
km_init
km_start_postgres "$KM_TMP/pg" || exit 1
"$BUILD/measure/bench_db" "$KM_PG_CONNINFO" "$@"
