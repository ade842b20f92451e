#!/bin/sh
# `make demo`: starts Redis, PostgreSQL and the fake networks on loopback, runs komekd
# against them, and prints how to watch the posts flow. Ctrl-C stops all of it.
# The fake networks release one sample post every KM_DEMO_DRIP seconds (default 3).
set -u
KM_ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
cd "$KM_ROOT" || exit 1
. test/integration/lib.sh
. test/integration/conf.sh
export KM_ROOT

demo_cleanup()
{
    echo
    echo "demo: stopping komekd, the fake networks, Redis and PostgreSQL"
    [ -n "${KOMEKD_PID:-}" ] && kill -TERM "$KOMEKD_PID" 2>/dev/null && wait "$KOMEKD_PID" 2>/dev/null
    [ -n "${FAKE_PID:-}" ] && kill -TERM "$FAKE_PID" 2>/dev/null && wait "$FAKE_PID" 2>/dev/null
    km_cleanup
}

km_init
trap demo_cleanup EXIT
# Ctrl-C ends the watch loop below; demo_cleanup then stops everything in order. The
# servers run in sessions of their own (setsid) so the Ctrl-C does not reach them first.
STOPPING=
trap 'STOPPING=1' INT TERM
echo "demo: starting Redis and PostgreSQL in $KM_TMP"
km_start_redis "$KM_TMP/redis" || exit 1
km_start_postgres "$KM_TMP/pg" || exit 1

setsid "$BUILD/fakenet" --port 0 --posts test/data/sample-posts.jsonl --token "$KM_FAKE_TOKEN" \
    --drip "${KM_DEMO_DRIP:-3}" --port-file "$KM_TMP/fake.port" >"$KM_TMP/fakenet.log" 2>&1 &
FAKE_PID=$!
km_wait 10 test -s "$KM_TMP/fake.port" || { echo "demo: fakenet did not start" >&2; cat "$KM_TMP/fakenet.log" >&2; exit 1; }
FAKE_PORT=$(cat "$KM_TMP/fake.port")

CONF="$KM_TMP/komek.conf"
METRICS_PORT=$(km_free_port) || exit 1
DESK_PORT=$(km_free_port) || exit 1
KM_METRICS_LISTEN=127.0.0.1:$METRICS_PORT KM_DESK_LISTEN=127.0.0.1:$DESK_PORT \
    km_write_config "$CONF" "$FAKE_PORT"
"$BUILD/komekctl" -c "$CONF" migrate || exit 1
# Desk accounts for the demo: an operator and a supervisor, password "demo-password".
for account in "operator:Айгерим Сапарова:operator" "supervisor:Dana Supervisor:admin"; do
    login=${account%%:*}
    rest=${account#*:}
    echo demo-password | "$BUILD/komekctl" -c "$CONF" user add "$login" --name "${rest%:*}" \
        --role "${rest##*:}" >/dev/null || exit 1
done
# Tickets for the P1 and P2 posts as they come, so the desk has some to show.
sed 's/^default = off$/default = P2/' etc/routing.conf >"$KM_TMP/routing.conf"
sed -i "s|^routing = .*|routing = $KM_TMP/routing.conf|" "$CONF"
setsid "$BUILD/komekd" -c "$CONF" >"$KM_TMP/komekd.log" 2>&1 &
KOMEKD_PID=$!

cat <<TXT

komek demo is running.
  fake networks   http://127.0.0.1:$FAKE_PORT  (Telegram Bot API, Mastodon, /rss.xml;
                  one new sample post every ${KM_DEMO_DRIP:-3} s; stats: /_fake/stats)
  komekd log      $KM_TMP/komekd.log
  config          $CONF
  metrics         http://127.0.0.1:$METRICS_PORT/metrics  (/healthz, /readyz)
  operator desk   http://127.0.0.1:$DESK_PORT/  (sign in as operator or supervisor,
                  password demo-password; replies go to the fake Telegram:
                  curl http://127.0.0.1:$FAKE_PORT/_fake/replies)

Watch the stream of kept posts:
  redis-cli -p $KM_REDIS_PORT XLEN '{komek}:posts'
  redis-cli -p $KM_REDIS_PORT XREAD BLOCK 0 STREAMS '{komek}:posts' '\$'
  redis-cli -p $KM_REDIS_PORT XRANGE '{komek}:posts' - + COUNT 3

Query PostgreSQL:
  psql -h 127.0.0.1 -p $KM_PG_PORT -U komek komek -c \\
    "select priority, category, urgency, network, left(text, 50) from posts order by priority, sla_due limit 10"

Sources (state, poller, posts today, last error):
  $BUILD/komekctl -c $CONF sources

Why a text scores as it does:
  $BUILD/komekctl -c $CONF score "запах газа в подъезде, Туран 24 #109"

Ctrl-C stops everything.
TXT

while [ -z "$STOPPING" ] && kill -0 "$KOMEKD_PID" 2>/dev/null; do
    sleep 5
    [ -n "$STOPPING" ] && break
    n_stream=$(redis-cli -p "$KM_REDIS_PORT" XLEN '{komek}:posts' 2>/dev/null)
    n_rows=$(km_psql "select count(*) from posts" 2>/dev/null)
    echo "$(date +%H:%M:%S)  stream {komek}:posts: ${n_stream:-?} entries   PostgreSQL posts: ${n_rows:-?} rows"
done
[ -n "$STOPPING" ] && exit 0
echo "demo: komekd exited; last lines of its log:"
tail -n 20 "$KM_TMP/komekd.log"
exit 1
