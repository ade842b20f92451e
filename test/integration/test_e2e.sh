#!/bin/sh
# End to end: fake Telegram, Mastodon and RSS serve the sample posts; komekd collects them
# into a real Redis stream and a real PostgreSQL. Every tagged post must arrive exactly once
# in both, untagged ones never — after a second round (re-served feed items, edits) and
# after komekd is SIGKILLed mid-run and restarted.
set -u
here=$(cd "$(dirname "$0")" && pwd)
KM_ROOT=$(cd "$here/../.." && pwd)
export KM_ROOT
BUILD=${BUILD:-build}
cd "$KM_ROOT" || exit 1
. "$here/lib.sh"
. "$here/conf.sh"

MASTODON_TAGS="109, iKomek, Астана, акиматАстаны"
KEEP_ALL= # a network whose source has require_tags = no
WATCHED="'109','ikomek','астана','акиматастаны','astana'"
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

expected()
{
    python3 "$here/expected.py" test/data/sample-posts.jsonl etc/tags.list "$MASTODON_TAGS" \
        "$KEEP_ALL" |
        awk -v k="$1" '$1 == k { print $2 }'
}

# Distinct (network, post_id) pairs in a stream, counted inside Redis.
stream_distinct()
{
    redis-cli -p "$KM_REDIS_PORT" --raw EVAL "
        local seen, n = {}, 0
        for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do
            local f, k = e[2], ''
            for i = 1, #f, 2 do
                if f[i] == 'network' or f[i] == 'post_id' then k = k .. f[i + 1] .. '|' end
            end
            if not seen[k] then seen[k] = true; n = n + 1 end
        end
        return n" 1 "$1"
}

stream_len()
{
    km_stream_posts "$1"
}

# Every stored row carries a watched tag, and the stream and the table agree.
check_store()
{
    # check_store LABEL NAMESPACE DB
    _total=$(expected total)
    check "$1: stream entries" "$_total" "$(stream_len "{$2}:posts")"
    check "$1: distinct posts in stream" "$_total" "$(stream_distinct "{$2}:posts")"
    check "$1: rows in posts" "$_total" "$(km_psql_db "$3" 'select count(*) from posts')"
    check "$1: rows without a watched tag" 0 \
        "$(km_psql_db "$3" "select count(*) from posts where not hashtags && array[$WATCHED]
                            and network <> '$KEEP_ALL'")"
    for net in telegram mastodon rss; do
        check "$1: $net rows" "$(expected $net)" \
            "$(km_psql_db "$3" "select count(*) from posts where network = '$net'")"
    done
    check "$1: rows not triaged (no category or priority)" 0 \
        "$(km_psql_db "$3" "select count(*) from posts where category is null or priority is null
                            or sla_due is null or cardinality(reasons) = 0")"
    check "$1: stream entries without schema v 2" 0 \
        "$(redis-cli -p "$KM_REDIS_PORT" --raw EVAL "
            local n = 0
            for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do
                local f, v = e[2], nil
                for i = 1, #f, 2 do if f[i] == 'v' then v = f[i + 1] end end
                if v ~= '2' then n = n + 1 end
            end
            return n" 1 "{$2}:posts")"
    check "$1: pending entries of group tickets" 0 \
        "$(redis-cli -p "$KM_REDIS_PORT" XPENDING "{$2}:posts" tickets | head -n 1)"
}

km_psql_db()
{
    "$KM_PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$KM_PG_PORT" -U komek \
        -d "$1" -c "$2"
}

start_fake()
{
    # start_fake NAME [ARGS...]
    _name=$1
    shift
    rm -f "$KM_TMP/$_name.port"
    "$BUILD/fakenet" --port 0 --posts test/data/sample-posts.jsonl --token "$KM_FAKE_TOKEN" \
        --port-file "$KM_TMP/$_name.port" "$@" >"$KM_TMP/$_name.log" 2>&1 &
    FAKE_PID=$!
    km_wait 10 test -s "$KM_TMP/$_name.port" || { echo "fakenet did not start" >&2; exit 1; }
    FAKE_PORT=$(cat "$KM_TMP/$_name.port")
}

# fake_stat KEY: a number from the fake's /_fake/stats ("requests.rss", "faults_pending").
fake_stat()
{
    curl -s "http://127.0.0.1:$FAKE_PORT/_fake/stats" | python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[k]
print(v)' "$1"
}

# Waits until every network has been polled at least twice more, so that a post doubled by
# a late poll would be seen by the checks that follow.
wait_polled_again()
{
    _t0=$(fake_stat requests.telegram) _m0=$(fake_stat requests.mastodon) _r0=$(fake_stat requests.rss)
    polled() {
        [ "$(fake_stat requests.telegram)" -ge $((_t0 + 2)) ] &&
            [ "$(fake_stat requests.mastodon)" -ge $((_m0 + 2)) ] &&
            [ "$(fake_stat requests.rss)" -ge $((_r0 + 2)) ]
    }
    km_wait 30 polled || echo "not every network was polled again within 30 s"
}

# run_until_stored LABEL NAMESPACE DB LOG: komekd (all roles) until every expected post is in
# PostgreSQL and the networks were polled again, then SIGTERM; checks a clean exit.
run_until_stored()
{
    "$BUILD/komekd" -c "$CONF" >"$KM_TMP/$4" 2>&1 &
    KOMEKD_PID=$!
    _db=$3
    all_stored() { [ "$(km_psql_db "$_db" 'select count(*) from posts')" -ge "$(expected total)" ]; }
    km_wait 90 all_stored || echo "not every post stored after 90 s"
    wait_polled_again
    kill -TERM "$KOMEKD_PID"
    wait "$KOMEKD_PID"
    check "$1: komekd exit status after SIGTERM" 0 $?
    KOMEKD_PID=
    check_store "$1" "$2" "$3"
}

stop_pid()
{
    [ -n "${1:-}" ] && kill -TERM "$1" 2>/dev/null && wait "$1" 2>/dev/null
}

cleanup()
{
    stop_pid "${KOMEKD_PID:-}"
    stop_pid "${FAKE_PID:-}"
    km_cleanup
}

km_init
trap cleanup EXIT
km_start_redis "$KM_TMP/redis" || exit 1
km_start_postgres "$KM_TMP/pg" || exit 1
for db in komek2 komek3; do
    "$KM_PG_BIN/createdb" -h 127.0.0.1 -p "$KM_PG_PORT" -U komek "$db" || exit 1
done

# --- 1. Two --once rounds against a fake serving everything at once ------------------
start_fake fake1
CONF="$KM_TMP/once.conf"
km_write_config "$CONF" "$FAKE_PORT" komek
"$BUILD/komekctl" -c "$CONF" migrate >/dev/null || exit 1
"$BUILD/komekctl" -c "$CONF" migrate | grep -q "applied 0 migration" ||
    { echo "FAIL second migrate applied something"; failures=$((failures + 1)); }
for round in 1 2; do
    ${KM_VALGRIND:-} "$BUILD/komekd" -c "$CONF" --once >"$KM_TMP/once$round.log" 2>&1
    check "once round $round: komekd exit status" 0 $?
done
check_store "after two --once rounds" komek komek
# Sample incidents that grow past 3 posts are escalated with entries of their own.
esc=$(km_stream_escalations '{komek}:posts')
if [ "$esc" -ge 1 ]; then echo "ok   escalation entries for growing incidents: $esc"; else
    echo "FAIL no escalation entry for the sample's incidents"; failures=$((failures + 1)); fi
grep -E "ERROR|AddressSanitizer|runtime error" "$KM_TMP"/once*.log && failures=$((failures + 1))
stop_pid "$FAKE_PID"
FAKE_PID=

# --- 2. komekd SIGKILLed while posts trickle in, then restarted -------------------------
start_fake fake2 --drip 0.1 --passes 1
CONF="$KM_TMP/kill.conf"
km_write_config "$CONF" "$FAKE_PORT" kill "${KM_PG_CONNINFO% dbname=komek} dbname=komek2"
"$BUILD/komekctl" -c "$CONF" migrate >/dev/null || exit 1
"$BUILD/komekd" -c "$CONF" >"$KM_TMP/kill1.log" 2>&1 &
KOMEKD_PID=$!
has_some() { [ "$(stream_len '{kill}:posts')" -ge 5 ]; }
km_wait 30 has_some || echo "komekd stored fewer than 5 posts in 30 s"
kill -KILL "$KOMEKD_PID"
wait "$KOMEKD_PID" 2>/dev/null
echo "killed komekd with $(stream_len '{kill}:posts') posts in the stream"
run_until_stored "after SIGKILL and restart" kill komek2 kill2.log
stop_pid "$FAKE_PID"
FAKE_PID=

# --- 3. Every network misbehaves before it answers -------------------------------------
# Rate limits, server errors, garbage, invalid UTF-8, a body 10x the cap, a hang past the
# timeout and a connection cut mid-body: each costs a retry, none may lose or double a post.
# The Telegram source is a monitored group chat here (require_tags = no): every message
# counts, with or without a tag.
KEEP_ALL=telegram
start_fake fake3 --huge-size 2M \
    --fault telegram:429:1 --fault telegram:409:1 --fault mastodon:429:1 \
    --fault rss:http503:1 --fault all:http500:1 --fault all:garbage:1 --fault all:huge:1 \
    --fault all:cut:1 --fault all:hang:1 --fault all:badutf8:1
CONF="$KM_TMP/faults.conf"
km_write_config "$CONF" "$FAKE_PORT" faults "${KM_PG_CONNINFO% dbname=komek} dbname=komek3" \
    "require_tags = no"
sed -i 's/^timeout = 5s/timeout = 3s\nmax_body = 1M/' "$CONF"
"$BUILD/komekctl" -c "$CONF" migrate >/dev/null || exit 1
run_until_stored "after network faults" faults komek3 faults.log
check "faults still pending in the fake" 0 "$(fake_stat faults_pending)"
for what in "larger than max_body" "HTTP 5" "429"; do
    grep -q "$what" "$KM_TMP/faults.log" || { echo "FAIL no log line for '$what'"; failures=$((failures + 1)); }
done

if [ "$failures" -ne 0 ]; then
    echo "komekd logs in $KM_TMP (kept)"
    KM_KEEP=1
    exit 1
fi
