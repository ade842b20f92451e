#!/bin/sh
# Fault-injection suite (`make check-faults`, part of `make check`).
#
# Real Redis and PostgreSQL on loopback, fakenet dripping test/data/sample-posts.jsonl
# (one post every KM_FAULTS_DRIP seconds, one pass) and komekd with every role and
# [auto_ticket] default = P2, so that ticket events flow too. Each scenario starts from fresh
# state (its own namespace, database and fakenet; its own Redis or PostgreSQL when it breaks
# them), injects one fault while posts flow, waits until everything settled, then checks:
#   - every post the fake served with a watched tag is exactly once in PostgreSQL and
#     exactly once in {ns}:posts (escalation entries excepted);
#   - every row of ticket_events is exactly once in {ns}:events (by its `event` field) and
#     nothing is left in the outbox;
#   - komekd is still running (/healthz answers), then stops cleanly on SIGTERM.
# Prints a table and exits 1 if any row lost or duplicated something, or komekd died.
# The PostgreSQL scenario (30 s down) runs in the background, beside the others. PostgreSQL,
# Redis and komekd are each made to fail while a backlog of ticket events (notes written
# straight into ticket_events) is being published, so that the fault lands mid-batch.
# komekd, komekctl, fakenet and etc/ are copied first: a rebuild meanwhile changes nothing.
#
#   test/faults/run.sh [SCENARIO...]     # default: all; KM_KEEP=1 keeps logs and data
set -u
here=$(cd "$(dirname "$0")" && pwd)
KM_ROOT=$(cd "$here/../.." && pwd)
export KM_ROOT
BUILD=${BUILD:-build}
cd "$KM_ROOT" || exit 1
. test/integration/lib.sh
. test/integration/conf.sh

ALL_SCENARIOS="pg-stop redis-kill komekd-kill http429 http500 http503 hang cut huge badutf8
    garbage-json garbage-xml log-full"
SCENARIOS=${*:-$ALL_SCENARIOS}
DRIP=${KM_FAULTS_DRIP:-0.1}
PG_DOWN_S=${KM_FAULTS_PG_DOWN:-30}
SETTLE_S=60        # longest wait for a scenario to settle after its fault
BACKLOG=${KM_FAULTS_BACKLOG:-3000} # ticket events waiting in the outbox when Redis or PG fails
MAX_BODY=256k      # the sources' max_body; the huge fault sends 10 times this
MASTODON_TAGS="109, iKomek, Астана, акиматАстаны"
POSTS=test/data/sample-posts.jsonl
N_LINES=$(grep -c . "$POSTS")

for t in komekd komekctl fakenet; do
    [ -x "$BUILD/$t" ] || make --no-print-directory BUILD="$BUILD" "$BUILD/$t" >/dev/null ||
        exit 1
done

# ---- helpers (each scenario runs in a subshell: the variables it sets stay there) ------

say() { echo "  [$SC] $*"; }

psql_db() { "$KM_PG_BIN/psql" -X -q -A -t -h 127.0.0.1 -p "$KM_PG_PORT" -U komek -d "$DB" \
    -c "$1"; }

# wait_for SECONDS CMD...: CMD every 200 ms until it succeeds; 1 when the time ran out or
# komekd (once started) is gone.
wait_for()
{
    _end=$(($(date +%s) + $1))
    shift
    until "$@"; do
        [ "$(date +%s)" -lt "$_end" ] || return 1
        if [ -n "${KOMEKD_PID:-}" ] && ! km_pid_alive "$KOMEKD_PID"; then
            "$@" && return 0 # it may be what CMD waits for
            say "komekd is gone"
            return 1
        fi
        sleep 0.2
    done
}

start_fake()
{
    rm -f "$DIR/fake.port"
    "$BIN/fakenet" --port 0 --posts "$POSTS" --token "$KM_FAKE_TOKEN" --drip "$DRIP" \
        --passes 1 --max-poll 2 --huge-size "$MAX_BODY" --port-file "$DIR/fake.port" \
        >"$DIR/fakenet.log" 2>&1 &
    FAKE_PID=$!
    echo "$FAKE_PID" >>"$KM_TMP/pids"
    wait_for 10 test -s "$DIR/fake.port" || { say "fakenet did not start"; return 1; }
    FAKE_PORT=$(cat "$DIR/fake.port")
}

# fake_stat KEY: a top-level number ("released", "faults_pending") or a request count by
# network name ("telegram") from the fake's /_fake/stats.
fake_stat()
{
    curl -s "http://127.0.0.1:$FAKE_PORT/_fake/stats" | grep -o "\"$1\":[0-9]*" | head -n 1 |
        cut -d: -f2
}

# fault SPEC...: queues faults in the fake now.
fault()
{
    for _s in "$@"; do
        curl -s -o /dev/null -X POST "http://127.0.0.1:$FAKE_PORT/_fake/fault?spec=$_s" ||
            say "cannot queue fault $_s"
    done
}

# The configuration of a scenario: conf.sh's, with a routing.conf that opens a ticket for
# every P1/P2 incident, small batches, short timeouts and backoff, /healthz on a known port.
write_conf()
{
    CONF=$DIR/komek.conf
    km_write_config "$CONF" "$FAKE_PORT" "$NS" "$CONNINFO"
    sed 's/^default = off$/default = P2/' "$KM_ROOT/etc/routing.conf" >"$DIR/routing.conf"
    METRICS_PORT=$(km_free_port)
    sed -i -e "s|^routing = .*|routing = $DIR/routing.conf|" \
        -e "s|^metrics_listen = .*|metrics_listen = 127.0.0.1:$METRICS_PORT|" \
        -e "s|^log_level = .*|log_level = ${LOG_LEVEL:-info}\ntickets_batch = 5|" \
        -e "s|^timeout = .*|timeout = 2s\nmax_body = $MAX_BODY|" \
        -e "s|^backoff_max = .*|backoff_max = 1s|" "$CONF"
    "$BIN/komekctl" -c "$CONF" migrate >"$DIR/migrate.log" 2>&1 ||
        { say "migrate failed: $(tail -n 1 "$DIR/migrate.log")"; return 1; }
}

# start_komekd [STDERR]: komekd with every role; its log goes to STDERR (default komekd.log).
start_komekd()
{
    "$BIN/komekd" -c "$CONF" >"${1:-$DIR/komekd.log}" 2>&1 &
    KOMEKD_PID=$!
    echo "$KOMEKD_PID" >>"$KM_TMP/pids"
}

stream_posts() { km_stream_posts "{$NS}:posts"; }
at_least() { [ "${1:-0}" -ge "$2" ]; }
stream_has() { at_least "$(stream_posts 2>/dev/null)" "$1"; }
pg_has() { at_least "$(psql_db 'select count(*) from posts' 2>/dev/null)" "$1"; }

# Lines "network|post_id" of the post entries of the stream.
stream_ids()
{
    redis-cli -p "$KM_REDIS_PORT" --raw EVAL "
        local out = {}
        for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do
            local f, net, id, esc = e[2], '', '', false
            for i = 1, #f, 2 do
                if f[i] == 'network' then net = f[i + 1] end
                if f[i] == 'post_id' then id = f[i + 1] end
                if f[i] == 'escalation' and f[i + 1] == '1' then esc = true end
            end
            if not esc then out[#out + 1] = net .. '|' .. id end
        end
        return out" 1 "{$NS}:posts"
}

# The `event` field of every entry of {ns}:events, one a line.
stream_events()
{
    redis-cli -p "$KM_REDIS_PORT" --raw EVAL "
        local out = {}
        for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do
            local f, ev = e[2], '?'
            for i = 1, #f, 2 do if f[i] == 'event' then ev = f[i + 1] end end
            out[#out + 1] = ev
        end
        return out" 1 "{$NS}:events"
}

# Everything the fake will ever serve is out, stored, acknowledged and published.
settled()
{
    [ "$(fake_stat released)" = "$N_LINES" ] &&
        pg_has "$SENT" &&
        [ "$(redis-cli -p "$KM_REDIS_PORT" XPENDING "{$NS}:posts" tickets 2>/dev/null |
            head -n 1)" = 0 ] &&
        [ "$(psql_db 'select count(*) from event_outbox where published_at is null' \
            2>/dev/null)" = 0 ] &&
        [ "$(psql_db 'select count(*) from posts where priority <= 2 and ticket is null' \
            2>/dev/null)" = 0 ]
}

# Each network polled twice more, so that a post a late poll doubles is seen.
polled_again()
{
    for _n in telegram mastodon rss; do
        [ "$(fake_stat "$_n")" -ge "$(($(grep "^$_n " "$DIR/polls" | cut -d' ' -f2) + 2))" ] ||
            return 1
    done
}

komekd_gone() { ! km_pid_alive "$KOMEKD_PID"; }

healthy()
{
    km_pid_alive "$KOMEKD_PID" &&
        [ "$(curl -s -m 5 "http://127.0.0.1:$METRICS_PORT/healthz" 2>/dev/null)" != "" ]
}

# Waits for the scenario to settle, stops komekd and writes the scenario's row:
# fault|sent|stored|dups|lost|events|ev_lost|ev_dups|alive|seconds|notes
finish()
{
    wait_for "$SETTLE_S" settled || say "not settled after ${SETTLE_S}s"
    for _n in telegram mastodon rss; do echo "$_n $(fake_stat "$_n")"; done >"$DIR/polls"
    wait_for 20 polled_again || say "not every network polled again in 20 s"
    alive=no
    healthy && alive=yes
    ready=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$METRICS_PORT/readyz")
    [ "$ready" = 200 ] || NOTES="$NOTES readyz=$ready"
    [ "$(fake_stat faults_pending)" = 0 ] || NOTES="$NOTES faults-not-applied"
    if [ -n "${CHECK_LOG_ERRORS:-}" ]; then
        # The log writes must really have failed, and been counted.
        errors=$(curl -s "http://127.0.0.1:$METRICS_PORT/metrics" |
            awk '$1 == "komek_log_write_errors_total" { print $2 }')
        [ "${errors:-0}" != 0 ] || NOTES="$NOTES no-log-write-errors"
    fi
    stream_ids | sort >"$DIR/stream.ids"
    psql_db "select network || '|' || post_id from posts" | sort >"$DIR/pg.ids"
    sort -u "$DIR/stream.ids" >"$DIR/stream.uniq"
    sort -u "$DIR/pg.ids" >"$DIR/pg.uniq"
    stored=$(wc -l <"$DIR/pg.uniq")
    both=$(comm -12 "$DIR/stream.uniq" "$DIR/pg.uniq" | wc -l)
    union=$(sort -u "$DIR/stream.uniq" "$DIR/pg.uniq" | wc -l)
    extra=$((union > SENT ? union - SENT : 0))
    dups=$(($(wc -l <"$DIR/stream.ids") - $(wc -l <"$DIR/stream.uniq") +
        $(wc -l <"$DIR/pg.ids") - stored + extra))
    lost=$((SENT > both ? SENT - both : 0))
    [ "$extra" -eq 0 ] || NOTES="$NOTES extra=$extra"
    stream_events | sort >"$DIR/events.stream"
    psql_db "select id from ticket_events" | sort >"$DIR/events.pg"
    events=$(wc -l <"$DIR/events.pg")
    ev_dups=$(($(wc -l <"$DIR/events.stream") - $(sort -u "$DIR/events.stream" | wc -l)))
    ev_lost=$(comm -23 "$DIR/events.pg" "$DIR/events.stream" | wc -l)
    outbox=$(psql_db 'select count(*) from event_outbox where published_at is null')
    [ "$outbox" = 0 ] || NOTES="$NOTES outbox=$outbox"
    [ "$events" -gt 0 ] || NOTES="$NOTES no-events"
    kill -TERM "$KOMEKD_PID" 2>/dev/null
    if wait_for 30 komekd_gone; then
        wait "$KOMEKD_PID"
        st=$?
    else
        kill -KILL "$KOMEKD_PID"
        st="hung after SIGTERM"
    fi
    [ "$st" = 0 ] || NOTES="$NOTES exit=$st"
    kill -TERM "$FAKE_PID" 2>/dev/null
    wait "$FAKE_PID" 2>/dev/null
    echo "$SC|$SENT|$stored|$dups|$lost|$events|$ev_lost|$ev_dups|$alive|$(($(date +%s) - T0))|\
${NOTES# }" >"$KM_TMP/results/$SC"
}

# ---- scenarios -----------------------------------------------------------------------

# The scenario's folder, database, fake and configuration.
begin()
{
    T0=$(date +%s)
    NOTES=
    DIR=$KM_TMP/$SC
    mkdir -p "$DIR"
    NS=f_$(echo "$SC" | tr -c 'a-z0-9\n' '_')
    DB=$NS
    "$KM_PG_BIN/createdb" -h 127.0.0.1 -p "$KM_PG_PORT" -U komek "$DB" || return 1
    CONNINFO="host=127.0.0.1 port=$KM_PG_PORT user=komek dbname=$DB"
    start_fake && write_conf
}

# network_fault SPEC...: the same faults for Telegram, Mastodon and RSS while posts flow.
network_fault()
{
    begin && start_komekd || return 1
    wait_for 30 stream_has 6 || say "fewer than 6 posts in the stream after 30 s"
    for _spec in "$@"; do
        case $_spec in
        telegram:* | mastodon:* | rss:*) fault "$_spec" ;;
        *) fault "telegram:$_spec" "mastodon:$_spec" "rss:$_spec" ;;
        esac
    done
    finish
}

events_len() { redis-cli -p "$KM_REDIS_PORT" XLEN "{$NS}:events" 2>/dev/null; }
has_ticket() { at_least "$(psql_db 'select count(*) from tickets' 2>/dev/null)" 1; }

# event_backlog: once a ticket exists, BACKLOG notes on it written at once (as operators
# working while komekd publishes), and returns when komekd is publishing them, so that the
# fault that follows hits a batch of the outbox mid-way.
event_backlog()
{
    wait_for 30 has_ticket || { say "no ticket after 30 s"; return 0; }
    _before=$(events_len)
    psql_db "insert into ticket_events (ticket, actor, type, note)
             select min(id), 'faults', 'note', 'backlog ' || g
             from tickets, generate_series(1, $BACKLOG) g group by g" >/dev/null
    _end=$(($(date +%s) + 30))
    until at_least "$(events_len)" $((_before + 100)); do # no sleep: the fault must come
        [ "$(date +%s)" -lt "$_end" ] || { say "the backlog is not being published"; break; }
    done
}

sc_pg_stop()
{
    # Its own cluster: the others keep theirs while this one is down.
    km_start_postgres "$KM_TMP/pg-stop/pg" >/dev/null || return 1
    begin && start_komekd || return 1
    wait_for 30 pg_has 5 || say "fewer than 5 posts in PostgreSQL after 30 s"
    event_backlog
    # A fast shutdown (as pg_ctl stop -m fast) at once, while a batch of events is published.
    kill -INT "$(head -n 1 "$KM_PG_DIR/data/postmaster.pid")"
    km_pg_stop
    say "PostgreSQL stopped for ${PG_DOWN_S}s with $(stream_posts) posts and $(events_len) \
events in the streams"
    sleep "$PG_DOWN_S"
    km_pg_start || return 1
    finish
    km_pg_stop
}

sc_redis_kill()
{
    km_start_redis "$KM_TMP/redis-kill/redis" || return 1
    begin && start_komekd || return 1
    # Down for 2 s (while an outbox backlog is published), restarted at once, down for 1 s.
    for at_down in 6:2 18:0 30:1; do
        at=${at_down%:*}
        wait_for 30 stream_has "$at" || say "fewer than $at posts in the stream after 30 s"
        [ "$at" = 6 ] && event_backlog
        km_redis_kill KILL
        sleep "${at_down#*:}"
        km_redis_launch || return 1
        say "Redis killed at $at posts in the stream, restarted after ${at_down#*:} s"
    done
    finish
    km_redis_kill TERM
}

sc_komekd_kill()
{
    begin && start_komekd || return 1
    n=1
    for at in 6 18 30; do
        wait_for 30 stream_has "$at" || say "fewer than $at posts in the stream after 30 s"
        [ "$at" = 6 ] && event_backlog
        kill -KILL "$KOMEKD_PID"
        wait "$KOMEKD_PID" 2>/dev/null
        say "komekd SIGKILLed at $(stream_posts) posts in the stream, $(psql_db \
            'select count(*) from posts') in PostgreSQL"
        n=$((n + 1))
        start_komekd "$DIR/komekd.$n.log"
    done
    finish
}

sc_log_full()
{
    LOG_LEVEL=debug
    begin && start_komekd /dev/full || return 1
    wait_for 30 stream_has 6 || say "fewer than 6 posts in the stream after 30 s"
    fault telegram:http500:1 mastodon:http500:1 rss:http500:1
    CHECK_LOG_ERRORS=1
    finish
}

run_scenario()
{
    SC=$1
    trap 'exit 130' INT TERM
    case $SC in
    pg-stop) sc_pg_stop ;;
    redis-kill) sc_redis_kill ;;
    komekd-kill) sc_komekd_kill ;;
    http429) network_fault 429:2 ;;
    http500) network_fault http500:2 ;;
    http503) network_fault http503:2 ;;
    hang) network_fault hang:1 ;;
    cut) network_fault cut:2 ;;
    huge) network_fault huge:1 ;;
    badutf8) network_fault badutf8:2 ;;
    garbage-json) network_fault telegram:html:1 telegram:truncated:1 mastodon:html:1 \
        mastodon:truncated:1 ;;
    garbage-xml) network_fault rss:html:1 rss:truncated:1 rss:html:1 ;;
    log-full) sc_log_full ;;
    *) say "unknown scenario" ;;
    esac
    [ -s "$KM_TMP/results/$SC" ] ||
        echo "$SC|$SENT|-|-|-|-|-|-|no|$(($(date +%s) - ${T0:-0}))|did not finish" \
            >"$KM_TMP/results/$SC"
}

cleanup()
{
    if [ -f "$KM_TMP/pids" ]; then
        while read -r pid; do # only what this script started, if still there
            grep -qa -e komekd -e fakenet "/proc/$pid/cmdline" 2>/dev/null && kill -KILL "$pid"
        done <"$KM_TMP/pids"
    fi
    [ -f "$KM_TMP/pg-stop/pg/data/postmaster.pid" ] && KM_PG_DIR=$KM_TMP/pg-stop/pg km_pg_stop
    [ -f "$KM_TMP/redis-kill/redis/redis.pid" ] &&
        KM_REDIS_DIR=$KM_TMP/redis-kill/redis km_redis_kill
    km_cleanup
}

# ---- main ----------------------------------------------------------------------------

start=$(date +%s)
km_init
trap cleanup EXIT
mkdir -p "$KM_TMP/results" "$KM_TMP/bin" "$KM_TMP/root"
# Copies: a rebuild or an edit of etc/ while the suite runs must not change what it tests.
cp "$BUILD/komekd" "$BUILD/komekctl" "$BUILD/fakenet" "$KM_TMP/bin/" || exit 1
cp -R etc "$KM_TMP/root/" || exit 1
BIN=$KM_TMP/bin
KM_ROOT=$KM_TMP/root # conf.sh takes etc/ from there
SENT=$(python3 test/integration/expected.py "$POSTS" "$KM_ROOT/etc/tags.list" "$MASTODON_TAGS" |
    awk '$1 == "total" { print $2 }')
km_start_redis "$KM_TMP/redis" || exit 1
km_start_postgres "$KM_TMP/pg" || exit 1
echo "fault suite: $SENT of $N_LINES sample posts carry a watched tag; drip ${DRIP}s; in $KM_TMP"
bg=
for sc in $SCENARIOS; do
    if [ "$sc" = pg-stop ]; then
        (run_scenario pg-stop) &
        bg=$!
        continue
    fi
    (run_scenario "$sc")
    echo "  done: $sc ($(cut -d'|' -f10 "$KM_TMP/results/$sc") s)"
done
if [ -n "$bg" ]; then
    wait "$bg"
    echo "  done: pg-stop ($(cut -d'|' -f10 "$KM_TMP/results/pg-stop") s)"
fi

failed=0
printf '\n%-13s %5s %6s %5s %5s %6s %7s %7s %6s %5s  %s\n' fault sent stored dups lost events \
    ev_lost ev_dups alive secs notes
for sc in $SCENARIOS; do
    IFS='|' read -r f sent stored dups lost events ev_lost ev_dups alive secs notes \
        <"$KM_TMP/results/$sc"
    printf '%-13s %5s %6s %5s %5s %6s %7s %7s %6s %5s  %s\n' "$f" "$sent" "$stored" "$dups" \
        "$lost" "$events" "$ev_lost" "$ev_dups" "$alive" "$secs" "$notes"
    [ "$dups" = 0 ] && [ "$lost" = 0 ] && [ "$ev_lost" = 0 ] && [ "$ev_dups" = 0 ] &&
        [ "$alive" = yes ] && [ -z "$notes" ] || failed=$((failed + 1))
done
echo "fault suite: $failed of $(echo "$SCENARIOS" | wc -w) scenarios failed," \
    "$(($(date +%s) - start)) s"
if [ "$failed" -ne 0 ]; then
    KM_KEEP=1
    echo "logs and data kept in $KM_TMP"
    exit 1
fi
