#!/bin/sh
# komekctl import: a Telegram Desktop export and JSON lines go through triage into a real
# Redis stream and, with `komekd --role tickets --once`, into a real PostgreSQL. Importing
# the same file again adds nothing; bad lines are located and skipped (exit 1); an unknown
# source is refused (exit 2); an unreachable Redis is a clear error (exit 1).
set -u
here=$(cd "$(dirname "$0")" && pwd)
KM_ROOT=$(cd "$here/../.." && pwd)
export KM_ROOT
BUILD=${BUILD:-build}
cd "$KM_ROOT" || exit 1
. "$here/lib.sh"
. "$here/conf.sh"

FIX=test/fixtures/import
failures=0

check()
{
    # check DESCRIPTION EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then
        echo "ok   $1: $3"
    else
        echo "FAIL $1: expected $2, got $3"
        failures=$((failures + 1))
    fi
}

# run_import LOG ARGS...: komekctl import; prints its exit status.
run_import()
{
    _log=$1
    shift
    ${KM_VALGRIND:-} "$BUILD/komekctl" -c "$CONF" import "$@" >"$KM_TMP/$_log.out" \
        2>"$KM_TMP/$_log.err"
    echo $?
}

# Entries in the posts stream.
xlen()
{
    redis-cli -p "$KM_REDIS_PORT" XLEN '{komek}:posts'
}

# fail DESCRIPTION [FILE]: counts a failure and shows FILE.
fail()
{
    echo "FAIL $1"
    [ -n "${2:-}" ] && cat "$2"
    failures=$((failures + 1))
}

summary()
{
    grep -E '[0-9]+ read, ' "$KM_TMP/$1.out"
}

km_init
km_start_redis "$KM_TMP/redis" || exit 1
km_start_postgres "$KM_TMP/pg" || exit 1
CONF="$KM_TMP/komek.conf"
km_write_config "$CONF" 9 # no fake network: nothing is polled here
"$BUILD/komekctl" -c "$CONF" migrate >/dev/null || exit 1
SUPER="$FIX/result_supergroup.json"

# --- 1. A supergroup export, twice --------------------------------------------------------
check "first import: exit status" 0 "$(run_import first "$SUPER" --source city109)"
check "first import: summary" \
    "$SUPER: 8 read, 6 kept, 6 new, 0 already known, 2 without a watched tag, 0 skipped" \
    "$(summary first)"
check "stream entries after the first import" 6 "$(xlen)"
check "second import: exit status" 0 \
    "$(run_import second "$SUPER" --source city109 --format telegram)"
check "second import: summary" \
    "$SUPER: 8 read, 6 kept, 0 new, 6 already known, 2 without a watched tag, 0 skipped" \
    "$(summary second)"
check "stream entries after the second import" 6 "$(xlen)"
check "no cursor written by an import" "" \
    "$(redis-cli -p "$KM_REDIS_PORT" HGET '{komek}:cursors' city109)"

${KM_VALGRIND:-} "$BUILD/komekd" -c "$CONF" --role tickets --once >"$KM_TMP/tickets1.log" 2>&1
check "komekd --role tickets --once: exit status" 0 $?
check "rows in posts" 6 "$(km_psql 'select count(*) from posts')"
check "ids, sources and links as the Bot API collector makes them" \
    "-1001599001234:4702 city109 https://t.me/c/1599001234/4702" \
    "$(km_psql "select post_id || ' ' || source || ' ' || url from posts
                where post_id = '-1001599001234:4702'")"
check "hashtags next to emoji" "{қала,акиматастаны,ikomek}" \
    "$(km_psql "select hashtags from posts where post_id = '-1001599001234:4703'")"
check "created_at from date_unixtime" "2024-03-04 04:20:05+00" \
    "$(km_psql "set timezone = 'UTC'; select created_at from posts
                where post_id = '-1001599001234:4702'")"

# --- 2. JSON lines from stdin: bad lines located and skipped, exit status 1 --------------
status=$(run_import jsonl - --source news <"$FIX/posts.jsonl")
check "JSON lines with bad lines: exit status" 1 "$status"
check "JSON lines: summary" \
    "stdin: 7 read, 4 kept, 4 new, 0 already known, 0 without a watched tag, 3 skipped" \
    "$(summary jsonl)"
check "JSON lines: bad lines located" "stdin:4: stdin:5: stdin:7:" \
    "$(grep -oE '^stdin:[0-9]+:' "$KM_TMP/jsonl.err" | tr '\n' ' ' | sed 's/ $//')"
check "JSON lines: imported again, nothing new" \
    "stdin: 7 read, 4 kept, 0 new, 4 already known, 0 without a watched tag, 3 skipped" \
    "$(run_import jsonl2 - --source news <"$FIX/posts.jsonl" >/dev/null; summary jsonl2)"
${KM_VALGRIND:-} "$BUILD/komekd" -c "$CONF" --role tickets --once >"$KM_TMP/tickets2.log" 2>&1
check "rows in posts after the JSON lines" 10 "$(km_psql 'select count(*) from posts')"
check "source of imported lines is the import's" 4 \
    "$(km_psql "select count(*) from posts where source = 'news'")"

# --- 3. A channel export, auto-detected from a file -------------------------------------
CHANNEL="$FIX/result_channel.json"
check "channel export: exit status" 0 "$(run_import channel "$CHANNEL" --source city109)"
check "channel export: summary" \
    "$CHANNEL: 2 read, 1 kept, 1 new, 0 already known, 1 without a watched tag, 0 skipped" \
    "$(summary channel)"

# --- 4. Refusals --------------------------------------------------------------------------
check "unknown source: exit status" 2 "$(run_import nosrc "$SUPER" --source nowhere)"
check "unknown source: message lists the configured ones" \
    "komekctl: no [source nowhere] in $CONF; configured: city109, mastodon, news" \
    "$(cat "$KM_TMP/nosrc.err")"
check "missing --source: exit status" 2 "$(run_import nosrc2 "$SUPER")"
check "bad --format: exit status" 2 "$(run_import badfmt "$SUPER" --source city109 --format csv)"
check "missing file: exit status" 2 "$(run_import nofile "$KM_TMP/none.json" --source city109)"
printf 'id;text\n1;#109\n' >"$KM_TMP/posts.csv"
check "neither format: exit status" 1 "$(run_import csv "$KM_TMP/posts.csv" --source city109)"
grep -q "neither a Telegram Desktop export nor JSON lines" "$KM_TMP/csv.err" ||
    fail "neither format: no clear message" "$KM_TMP/csv.err"

# --- 5. Redis unreachable: clear error, exit 1, nothing written ---------------------------
before=$(xlen)
DEAD="$KM_TMP/dead.conf"
sed "s|^redis = .*|redis = redis://127.0.0.1:$(km_free_port)|" "$CONF" >"$DEAD"
CONF=$DEAD
check "Redis unreachable: exit status" 1 "$(run_import dead "$SUPER" --source city109)"
CONF="$KM_TMP/komek.conf"
grep -q "Redis unreachable" "$KM_TMP/dead.err" ||
    fail "Redis unreachable: no clear message" "$KM_TMP/dead.err"
check "Redis unreachable: stream unchanged" "$before" "$(xlen)"

# --- 6. Redis lost in the middle: only whole batches are written, a re-run completes ------
awk 'BEGIN { for (i = 1; i <= 3000; i++)
    printf "{\"network\":\"rss\",\"id\":\"bulk-%d\",\"text\":\"#109 заявка %d\"}\n", i, i }' \
    >"$KM_TMP/bulk.jsonl"
base=$(xlen)
three_batches() { [ "$(xlen)" -ge $((base + 1500)) ]; }
status=$( (head -n 1500 "$KM_TMP/bulk.jsonl"
    km_wait 30 three_batches || echo "three batches not committed in 30 s" >&2
    km_redis_kill TERM
    tail -n +1501 "$KM_TMP/bulk.jsonl") 2>/dev/null | run_import lost - --source news)
check "Redis lost mid-import: exit status" 1 "$status"
grep -q "import stopped after 3 whole batch(es)" "$KM_TMP/lost.err" ||
    fail "Redis lost: no clear message" "$KM_TMP/lost.err"
km_redis_launch || exit 1
check "Redis lost mid-import: whole batches only" $((base + 1500)) \
    "$(xlen)"
check "Redis lost mid-import: the re-run adds the rest" \
    "stdin: 3000 read, 3000 kept, 1500 new, 1500 already known, 0 without a watched tag, 0 \
skipped" \
    "$(run_import rerun - --source news <"$KM_TMP/bulk.jsonl" >/dev/null; summary rerun)"

grep -E "AddressSanitizer|runtime error" "$KM_TMP"/*.err "$KM_TMP"/tickets*.log &&
    fail "sanitizer reports"
if [ "$failures" -ne 0 ]; then
    echo "logs in $KM_TMP (kept)"
    KM_KEEP=1
    exit 1
fi
echo "import: all checks passed"
