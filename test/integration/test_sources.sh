#!/bin/sh
# Operating sources: (1) two komekd on one Redis poll each source from one place; when
# one is SIGKILLed the other takes its sources over from the stored cursors within the
# lease time, nothing lost or doubled; `komekctl sources` shows who polls what.
# (2) One failing source never delays the others: a feed that hangs until its timeout
# while Mastodon answers.
set -u
here=$(cd "$(dirname "$0")" && pwd)
KM_ROOT=$(cd "$here/../.." && pwd)
export KM_ROOT
BUILD=${BUILD:-build}
cd "$KM_ROOT" || exit 1
. "$here/lib.sh"
. "$here/conf.sh"
failures=0
MASTODON_TAGS="109, iKomek, Астана, акиматАстаны"

check()
{
    if [ "$2" = "$3" ]; then echo "ok   $1: $3"; else
        echo "FAIL $1: expected $2, got $3"; failures=$((failures + 1)); fi
}

expected()
{
    python3 "$here/expected.py" test/data/sample-posts.jsonl etc/tags.list "$MASTODON_TAGS" |
        awk -v k="$1" '$1 == k { print $2 }'
}

psql_db()
{
    "$KM_PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$KM_PG_PORT" -U komek \
        -d "$1" -c "$2"
}

start_fake()
{
    # (not _n: lib.sh's km_wait uses that name)
    _fake_name=$1
    shift
    rm -f "$KM_TMP/$_fake_name.port"
    "$BUILD/fakenet" --port 0 --posts test/data/sample-posts.jsonl --token "$KM_FAKE_TOKEN" \
        --port-file "$KM_TMP/$_fake_name.port" "$@" >"$KM_TMP/$_fake_name.log" 2>&1 &
    FAKE_PID=$!
    km_wait 10 test -s "$KM_TMP/$_fake_name.port" || { echo "fakenet did not start" >&2; exit 1; }
    FAKE_PORT=$(cat "$KM_TMP/$_fake_name.port")
}

cleanup()
{
    for p in ${PIDS:-}; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    km_cleanup
}

km_init
trap cleanup EXIT
km_start_redis "$KM_TMP/redis" || exit 1
km_start_postgres "$KM_TMP/pg" || exit 1
"$KM_PG_BIN/createdb" -h 127.0.0.1 -p "$KM_PG_PORT" -U komek two || exit 1

# --- 1. Two komekd, one killed ---------------------------------------------------------
start_fake fake1 --drip 0.15 --passes 1
PIDS=$FAKE_PID
for who in a b; do
    km_write_config "$KM_TMP/$who.conf" "$FAKE_PORT" two "${KM_PG_CONNINFO% dbname=komek} dbname=two"
    sed -i "s/^consumer = .*/consumer = komekd-$who\nlease = 5s/" "$KM_TMP/$who.conf"
done
"$BUILD/komekctl" -c "$KM_TMP/a.conf" migrate >/dev/null || exit 1
"$BUILD/komekd" -c "$KM_TMP/a.conf" >"$KM_TMP/a.log" 2>&1 &
A=$!
held_by_a() { [ "$(redis-cli -p "$KM_REDIS_PORT" GET '{two}:lease:city109')" = komekd-a ]; }
km_wait 10 held_by_a || echo "komekd-a did not take the Telegram lease"
"$BUILD/komekd" -c "$KM_TMP/b.conf" >"$KM_TMP/b.log" 2>&1 &
B=$!
PIDS="$PIDS $A $B"
some() { [ "$(redis-cli -p "$KM_REDIS_PORT" XLEN '{two}:posts')" -ge 5 ]; }
km_wait 30 some
"$BUILD/komekctl" -c "$KM_TMP/b.conf" sources >"$KM_TMP/sources1.txt" 2>&1
grep -q "standby" "$KM_TMP/b.log" && echo "ok   komekd-b waits in standby while komekd-a polls" ||
    { echo "FAIL komekd-b never went to standby"; failures=$((failures + 1)); }
grep -q "city109 .*komekd-a" "$KM_TMP/sources1.txt" && echo "ok   komekctl sources: city109 polled by komekd-a" ||
    { echo "FAIL komekctl sources:"; cat "$KM_TMP/sources1.txt"; failures=$((failures + 1)); }
kill -KILL "$A"
wait "$A" 2>/dev/null
PIDS="$FAKE_PID $B"
echo "killed komekd-a with $(redis-cli -p "$KM_REDIS_PORT" XLEN '{two}:posts') posts in the stream"
held_by_b() { [ "$(redis-cli -p "$KM_REDIS_PORT" GET '{two}:lease:city109')" = komekd-b ]; }
km_wait 20 held_by_b && echo "ok   komekd-b took the sources over" ||
    { echo "FAIL komekd-b did not take over"; failures=$((failures + 1)); }
all() { [ "$(psql_db two 'select count(*) from posts')" -ge "$(expected total)" ]; }
km_wait 60 all || echo "not every post stored in 60 s"
"$BUILD/komekctl" -c "$KM_TMP/b.conf" sources >"$KM_TMP/sources2.txt" 2>&1
kill -TERM "$B"
wait "$B"
check "komekd-b exit status after SIGTERM" 0 $?
PIDS=$FAKE_PID
check "rows" "$(expected total)" "$(psql_db two 'select count(*) from posts')"
check "stream entries" "$(expected total)" "$(km_stream_posts '{two}:posts')"
grep -q "news .*komekd-b" "$KM_TMP/sources2.txt" && echo "ok   komekctl sources after takeover" ||
    { echo "FAIL komekctl sources after takeover:"; cat "$KM_TMP/sources2.txt"; failures=$((failures + 1)); }
kill -TERM "$FAKE_PID"; wait "$FAKE_PID" 2>/dev/null

# --- 2. A hanging source does not hold up the others -----------------------------------
"$KM_PG_BIN/createdb" -h 127.0.0.1 -p "$KM_PG_PORT" -U komek hang || exit 1
start_fake fake2 --fault rss:hang:1000
PIDS=$FAKE_PID
km_write_config "$KM_TMP/hang.conf" "$FAKE_PORT" hang "${KM_PG_CONNINFO% dbname=komek} dbname=hang"
# The feed's requests hang for 30 s each before they time out.
sed -i 's/^timeout = 5s/timeout = 30s/' "$KM_TMP/hang.conf"
"$BUILD/komekctl" -c "$KM_TMP/hang.conf" migrate >/dev/null || exit 1
"$BUILD/komekd" -c "$KM_TMP/hang.conf" >"$KM_TMP/hang.log" 2>&1 &
H=$!
PIDS="$FAKE_PID $H"
others() {
    [ "$(psql_db hang "select count(*) from posts where network in ('telegram', 'mastodon')")" -ge \
        $(($(expected telegram) + $(expected mastodon))) ]
}
if km_wait 15 others; then
    echo "ok   Telegram and Mastodon stored while the feed hangs"
else
    echo "FAIL Telegram and Mastodon held up by the hanging feed"; failures=$((failures + 1))
fi
check "feed rows while it hangs" 0 "$(psql_db hang "select count(*) from posts where network = 'rss'")"
kill -TERM "$H"
wait "$H"
check "komekd exit status after SIGTERM during a hanging request" 0 $?
grep -q "request in flight abandoned" "$KM_TMP/hang.log" &&
    echo "ok   the hanging request was abandoned after the stop grace, not waited out" ||
    { echo "FAIL no abandoned request logged"; failures=$((failures + 1)); }
PIDS=$FAKE_PID

if [ "$failures" -ne 0 ]; then KM_KEEP=1; echo "logs in $KM_TMP (kept)"; exit 1; fi
