#!/bin/sh
# make lint: cppcheck, then clang-tidy (.clang-tidy: bug patterns and the clang static
# analyser, every finding an error) over every source of the programs, two processes at a
# time. Usage: scripts/lint.sh "COMPILE FLAGS" FILE... Exit status 1 on any finding.
set -u
flags=$1
shift
rc=0
cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
    --suppress=missingIncludeSystem --suppress=varFuncNullUB -I. "$@" || rc=1
out=$(mktemp)
# shellcheck disable=SC2086 # $flags is a list of compiler options
printf '%s\n' "$@" | xargs -P 2 -n 4 sh -c 'clang-tidy --quiet "$@" -- '"$flags"'' tidy \
    >"$out" 2>&1 || rc=1
grep -v '^[0-9]* warnings\? \(and [0-9]* errors\? \)\?generated\.$' "$out"
rm -f "$out"
[ "$rc" -eq 0 ] && echo "lint: cppcheck and clang-tidy clean ($# files)"
exit "$rc"
