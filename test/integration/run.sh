#!/bin/sh
# Runs every test/integration/test_*.sh and prints "integration: N passed, N failed".
# Each script starts the servers it needs (lib.sh) and exits non-zero on failure.
set -u
cd "$(dirname "$0")/../.." || exit 1
passed=0
failed=0
for t in test/integration/test_*.sh; do
    [ -e "$t" ] || continue
    echo "== $t"
    if sh "$t"; then
        passed=$((passed + 1))
    else
        echo "FAILED: $t"
        failed=$((failed + 1))
    fi
done
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
