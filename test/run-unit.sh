#!/bin/sh
# Runs each unit-test binary given (under $VALGRIND if set) and prints a summary line.
# cmocka prints its own per-binary results; this adds the closing "N passed, N failed".
set -u
cd "$(dirname "$0")/.." || exit 1
passed=0
failed=0
for t in "$@"; do
    echo "== $t"
    if ${VALGRIND:-} "$t"; then
        passed=$((passed + 1))
    else
        echo "FAILED: $t"
        failed=$((failed + 1))
    fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
