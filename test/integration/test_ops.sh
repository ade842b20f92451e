#!/bin/sh
# The operations endpoints of komekd: /healthz, /readyz and /metrics against a real Redis
# and PostgreSQL and the fake networks. /readyz turns 503 (naming PostgreSQL) while
# PostgreSQL is stopped and 200 again once it is back; /metrics carries the process, stream
# and HTTP families in the Prometheus text format, and counts its own requests; wrong
# methods and paths are refused; a taken port stops komekd with a clear error.
set -u
here=$(cd "$(dirname "$0")" && pwd)
KM_ROOT=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-build}
cd "$KM_ROOT" || exit 1
. "$here/lib.sh"
. "$here/conf.sh"

# get PATH [METHOD]: prints the status; the body is in $KM_TMP/body.
get()
{
    curl -s -o "$KM_TMP/body" -w '%{http_code}' -X "${2:-GET}" "http://127.0.0.1:$OPS$1"
}

km_tools_built komekd komekctl fakenet || exit 1
km_init
km_start_redis "$KM_TMP/redis" || exit 1
km_start_postgres "$KM_TMP/pg" || exit 1
km_start_fake fakenet || exit 1
FAKE=$KM_FAKE_PORT
OPS=$(km_free_port) || exit 1
KM_METRICS_LISTEN=127.0.0.1:$OPS km_write_config "$KM_TMP/komek.conf" "$FAKE" ops
"$BUILD/komekctl" -c "$KM_TMP/komek.conf" migrate >/dev/null || exit 1
"$BUILD/komekd" -c "$KM_TMP/komek.conf" >"$KM_TMP/komekd.log" 2>&1 &
KOMEKD_PID=$!
km_stop_later "$KOMEKD_PID"
healthy() { [ "$(get /healthz)" = 200 ]; }
km_wait 10 healthy || { echo "FAIL /healthz never answered"; cat "$KM_TMP/komekd.log"; exit 1; }
km_check_has "start-up log names the metrics address" "metrics on http://127.0.0.1:$OPS/metrics" \
    "$KM_TMP/komekd.log"

km_check "/healthz" 200 "$(get /healthz)"
km_check "/readyz with Redis and PostgreSQL up" 200 "$(get /readyz)"
km_check_has "/readyz body" '{"redis":"ok","postgresql":"ok","ready":true}' "$KM_TMP/body"

# Let the collectors store something, then scrape.
stored() { [ "$(km_psql 'select count(*) from posts')" -gt 0 ]; }
km_wait 30 stored || echo "FAIL nothing was stored within 30 s"
all_polled() { curl -s "http://127.0.0.1:$OPS/metrics" | grep -q 'komek_source_state{source="news",state="ok"} 1'; }
km_wait 30 all_polled || echo "note: the rss source has not succeeded within 30 s"
km_check "/metrics" 200 "$(get /metrics)"
cp "$KM_TMP/body" "$KM_TMP/metrics"
km_check_has "/metrics: build info" 'komek_build_info{version="' "$KM_TMP/metrics"
km_check_has "/metrics: TYPE line" '# TYPE komek_process_uptime_seconds gauge' "$KM_TMP/metrics"
km_check_has "/metrics: redis up" 'komek_queue_redis_up 1' "$KM_TMP/metrics"
km_check_has "/metrics: pending of the tickets group" 'komek_queue_pending{group="tickets"}' \
    "$KM_TMP/metrics"
km_check_has "/metrics: counts its own earlier requests" \
    'komek_http_requests_total{server="ops",route="/healthz",code="200"}' "$KM_TMP/metrics"
km_check_has "/metrics: polls of a source" 'komek_source_polls_total{source="mastodon"}' "$KM_TMP/metrics"
km_check_has "/metrics: source state" 'komek_source_state{source="news",state="ok"} 1' "$KM_TMP/metrics"
km_check_has "/metrics: cursor age" 'komek_source_cursor_age_seconds{source="city109"}' "$KM_TMP/metrics"
km_check_has "/metrics: errors by kind" 'komek_source_errors_total{source="news",kind="rate_limited"} 0' \
    "$KM_TMP/metrics"
km_check_has "/metrics: posts added" 'komek_commit_posts_total{outcome="added"}' "$KM_TMP/metrics"
km_check_has "/metrics: triaged by category and priority" 'komek_triage_posts_total{category="' \
    "$KM_TMP/metrics"
added=$(sed -n 's/^komek_commit_posts_total{outcome="added"} \([0-9]*\)$/\1/p' "$KM_TMP/metrics")
triaged=$(awk '/^komek_triage_posts_total\{/ { n += $2 } END { print n + 0 }' "$KM_TMP/metrics")
if [ "${added:-0}" -gt 0 ] && [ "$triaged" -ge "$added" ]; then
    echo "ok   posts added $added, triaged $triaged"; else
    echo "FAIL posts added '${added:-}', triaged '$triaged'"; failures=$((failures + 1)); fi
window=$(sed -n 's/^komek_dedup_window_posts \([0-9]*\)$/\1/p' "$KM_TMP/metrics")
if [ "${window:-0}" -ge "${added:-1}" ]; then echo "ok   dedup window holds $window posts"; else
    echo "FAIL dedup window '${window:-}' posts, $added added"; failures=$((failures + 1)); fi
km_check_has "/metrics: dedup log skipped" 'komek_dedup_log_skipped_total 0' "$KM_TMP/metrics"
len=$(sed -n 's/^komek_queue_stream_length \([0-9]*\)$/\1/p' "$KM_TMP/metrics")
xlen=$(redis-cli -p "$KM_REDIS_PORT" XLEN '{ops}:posts')
if [ "${len:-0}" -gt 0 ] && [ "$len" -le "$xlen" ]; then echo "ok   stream length $len (XLEN now $xlen)"; else
    echo "FAIL stream length '${len:-}', XLEN $xlen"; failures=$((failures + 1)); fi
rss=$(sed -n 's/^komek_process_resident_memory_bytes \([0-9]*\)$/\1/p' "$KM_TMP/metrics")
if [ "${rss:-0}" -gt 1000000 ]; then echo "ok   resident memory reported: $rss"; else
    echo "FAIL resident memory: '${rss:-}'"; failures=$((failures + 1)); fi
if python3 - "$KM_TMP/metrics" <<'PY'; then echo "ok   every line of /metrics is valid exposition format"; else failures=$((failures + 1)); fi
import re, sys
name = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
sample = re.compile(r'^(%s)(\{%s="(?:[^"\\\n]|\\["\\n])*"(?:,%s="(?:[^"\\\n]|\\["\\n])*")*\})? -?[0-9.e+]+$' % (name, name, name))
typed = set()
for n, line in enumerate(open(sys.argv[1], encoding='utf-8'), 1):
    line = line.rstrip('\n')
    if line.startswith('# TYPE '):
        typed.add(line.split()[2]); continue
    if line.startswith('# HELP '):
        continue
    m = sample.match(line)
    if not m or m.group(1) not in typed:
        print('FAIL /metrics line %d: %r' % (n, line)); sys.exit(1)
PY

# komekctl status: the same, for a person, and as JSON.
"$BUILD/komekctl" -c "$KM_TMP/komek.conf" status >"$KM_TMP/status" 2>&1
km_check "komekctl status exit status" 0 "$?"
km_check_has "komekctl status: ready" "ready: yes" "$KM_TMP/status"
km_check_has "komekctl status: a source line" "  mastodon " "$KM_TMP/status"
km_check_has "komekctl status: triage line" "triage: " "$KM_TMP/status"
km_check_has "komekctl status: dedup window line" "dedup window: " "$KM_TMP/status"
"$BUILD/komekctl" -c "$KM_TMP/komek.conf" status --json >"$KM_TMP/status.json" 2>&1
if python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["ready"] is True and d["readyz"]["redis"] == "ok", d
assert d["metrics"]["komek_queue_redis_up"] == 1, d["metrics"]' "$KM_TMP/status.json"; then
    echo "ok   komekctl status --json"; else failures=$((failures + 1)); fi
"$BUILD/komekctl" -c "$KM_TMP/komek.conf" status --url "http://127.0.0.1:$(km_free_port)" \
    >"$KM_TMP/status.down" 2>&1
km_check "komekctl status against nothing: exit status" 1 "$?"
km_check_has "komekctl status against nothing says so" "komekd does not answer at" "$KM_TMP/status.down"

km_check "POST /metrics refused" 405 "$(get /metrics POST)"
km_check "unknown path" 404 "$(get /nope)"

# PostgreSQL away: not ready, and the body says why; back: ready again.
km_pg_stop
km_check "/readyz with PostgreSQL stopped" 503 "$(get /readyz)"
km_check_has "/readyz names PostgreSQL" '"postgresql":"' "$KM_TMP/body"
km_check_has "/readyz says not ready" '"ready":false' "$KM_TMP/body"
km_check "/healthz while PostgreSQL is stopped" 200 "$(get /healthz)"
"$BUILD/komekctl" -c "$KM_TMP/komek.conf" status >"$KM_TMP/status.nopg" 2>&1
km_check "komekctl status while PostgreSQL is stopped: exit status" 1 "$?"
km_check_has "komekctl status names the failing check" "ready: NO" "$KM_TMP/status.nopg"
km_pg_start || exit 1
ready() { [ "$(get /readyz)" = 200 ]; }
if km_wait 15 ready; then echo "ok   /readyz 200 again after PostgreSQL came back"; else
    echo "FAIL /readyz stayed $(get /readyz): $(cat "$KM_TMP/body")"; failures=$((failures + 1)); fi

# Redis persistence as komekd sees it at start: AOF everysec (the harness) is a warning,
# no AOF at all an error naming the fix.
km_check_has "start-up log: AOF everysec" "Redis AOF is on with appendfsync everysec" \
    "$KM_TMP/komekd.log"
redis-cli -p "$KM_REDIS_PORT" CONFIG SET appendonly no >/dev/null
"$BUILD/komekd" -c "$KM_TMP/komek.conf" --once --role collect >"$KM_TMP/noaof.log" 2>&1
km_check_has "start-up log without AOF" "ERROR Redis does not persist at all (no AOF, no RDB)" \
    "$KM_TMP/noaof.log"
km_check_has "start-up log without AOF names the fix" "Set appendonly yes and appendfsync always" \
    "$KM_TMP/noaof.log"
redis-cli -p "$KM_REDIS_PORT" CONFIG SET appendonly yes >/dev/null

# A second komekd on the same metrics port stops with a clear error.
"$BUILD/komekd" -c "$KM_TMP/komek.conf" --role collect >"$KM_TMP/second.log" 2>&1
km_check "second komekd on a taken metrics port: exit status" 1 "$?"
km_check_has "second komekd names the port" "metrics_listen: cannot listen on 127.0.0.1:$OPS" \
    "$KM_TMP/second.log"

kill -TERM "$KOMEKD_PID"
wait "$KOMEKD_PID"
km_check "komekd exit status after SIGTERM" 0 "$?"
[ "$failures" -eq 0 ]
