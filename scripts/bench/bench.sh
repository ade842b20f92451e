#!/bin/sh
# make bench / make bench-peers: starts a throwaway Redis and PostgreSQL on loopback
# (test/integration/lib.sh, the same harness as the integration tests) and runs
# scripts/bench/bench.py, which prints every figure of issue 8. See README "Benchmarks".
#
#   scripts/bench/bench.sh [--peers]
#
# Environment: BUILD (build), BENCH_POSTS (100000), BENCH_RUNS (3), BENCH_LOADS
# ("1000 10000" posts/s), BENCH_LAT_SECONDS (5), BENCH_DOUBLING ("1 2 4": multiples of
# BENCH_POSTS; "" skips), BENCH_DOUBLING_DB ("1 2": where the tickets role is timed too),
# BENCH_SHARED (../shared), KM_KEEP=1 keeps the temporary folder.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-build}
export BUILD
. "$root/test/integration/lib.sh"
cd "$root" || exit 1
km_init
km_start_redis "$KM_TMP/redis" || exit 1
km_start_postgres "$KM_TMP/pg" || exit 1
export KM_ROOT="$root"
python3 "$here/bench.py" "$@"
