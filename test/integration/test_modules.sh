#!/bin/sh
# Runs the module tests that need servers (build/test/test_queue*, test_app_commit,
# test_db*, which skip without them) against a real redis-server and PostgreSQL started
# by lib.sh.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
BUILD=${BUILD:-build}
cd "$root" || exit 1
for t in test_queue test_queue_dedup test_app_commit test_db test_db_ticket test_db_report; do
    if [ ! -x "$BUILD/test/$t" ]; then
        make --no-print-directory BUILD="$BUILD" "$BUILD/test/$t" >/dev/null || exit 1
    fi
done
km_init
km_start_redis "$KM_TMP/redis" || exit 1
km_start_postgres "$KM_TMP/pg" || exit 1
KM_HARNESS="$here/lib.sh" # lets test_queue restart Redis for the reconnect test
export KM_HARNESS
rc=0
for t in test_queue test_queue_dedup test_app_commit test_db test_db_ticket test_db_report; do
    echo "-- $t (redis :$KM_REDIS_PORT, postgresql :$KM_PG_PORT)"
    ${KM_VALGRIND:-} "$BUILD/test/$t" || rc=1
done
exit $rc
