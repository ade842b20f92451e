#!/bin/sh
# komekctl ticket ... and komekctl events publish against a real PostgreSQL and Redis:
# agencies mirrored from routing.conf, tickets created from a post and from an incident
# (never twice), the lifecycle (a refused move exits 1 and names the allowed ones), show,
# list, the Open311 export, and every change on {ns}:events after COMMIT, also when Redis
# was down at that moment (the outbox keeps it for `komekctl events publish`).
set -u
here=$(cd "$(dirname "$0")" && pwd)
KM_ROOT=$(cd "$here/../.." && pwd)
export KM_ROOT
BUILD=${BUILD:-build}
cd "$KM_ROOT" || exit 1
. "$here/lib.sh"
. "$here/conf.sh"

# equal DESCRIPTION GOT WANT
equal()
{
    if [ "$2" = "$3" ]; then
        echo "ok   $1"
    else
        echo "FAIL $1: got '$2', expected '$3'"
        failures=$((failures + 1))
    fi
}

# tk NAME ARGS...: komekctl ARGS into $D/NAME (stdout and stderr); sets _rc.
tk()
{
    _n=$1
    shift
    ${KM_VALGRIND:-} "$BUILD/komekctl" -c "$CONF" "$@" >"$D/$_n" 2>&1
    _rc=$?
}

xlen()
{
    redis-cli -p "$KM_REDIS_PORT" XLEN '{komek}:events'
}

for b in komekctl; do
    [ -x "$BUILD/$b" ] || make --no-print-directory BUILD="$BUILD" "$BUILD/$b" >/dev/null || exit 1
done
km_init
D=$KM_TMP
km_start_redis "$D/redis" || exit 1
km_start_postgres "$D/pg" || exit 1
CONF="$D/komek.conf"
km_write_config "$CONF" 9
sed -i 's/^\[komek\]$/[komek]\nticket_prefix = KZ/' "$CONF"
"$BUILD/komekctl" -c "$CONF" migrate >/dev/null || exit 1
km_psql "INSERT INTO operators (login) VALUES ('aigerim');
INSERT INTO incidents (id, category, priority, first_seen, last_seen, posts)
    VALUES ('inc1', 'gas', 1, now(), now(), 2);
INSERT INTO posts (network, post_id, source, text, post, url, category, priority, incident)
VALUES ('rss', 'p1', 'news', 'Яма на дороге \"огромная\"', '{}', 'https://e.org/p1', 'roads', 3, NULL),
       ('rss', 'g1', 'news', 'запах газа', '{}', NULL, 'gas', 1, 'inc1'),
       ('rss', 'g2', 'news', 'запах газа в подъезде', '{}', NULL, 'gas', 1, 'inc1');" ||
    exit 1
year=$(km_psql "SELECT to_char(now() AT TIME ZONE 'Asia/Almaty', 'YYYY')")
N1="KZ-$year-000001"
N2="KZ-$year-000002"

# --- agencies and creation ------------------------------------------------------------------
tk agencies ticket agencies
km_check_run "agencies mirrored from routing.conf" 0 "$D/agencies" "active agencies from routing.conf"
equal "agency of roads" "$(km_psql "SELECT count(*) FROM agencies WHERE 'roads' = ANY (categories)")" 1
tk create ticket create --post rss:p1 --as aigerim --note "from the feed"
km_check_run "create from a post" 0 "$D/create" "^$N1 created"
tk create2 ticket create --post rss:p1
km_check_run "create again: the same ticket" 0 "$D/create2" "^$N1 already exists"
tk inc ticket create --incident inc1 --priority P2
km_check_run "create from an incident" 0 "$D/inc" "^$N2 created"
equal "incident posts attached" "$(km_psql "SELECT count(*) FROM posts p JOIN tickets t ON t.id = p.ticket WHERE t.number = '$N2'")" 2
tk nopost ticket create --post rss:missing
km_check_run "unknown post" 1 "$D/nopost" "no stored post rss:missing"
tk nosrc ticket create --category roads
km_check_run "no source: usage" 2 "$D/nosrc" "give --post NETWORK:POST_ID or --incident ID"
tk badprio ticket create --post rss:p1 --priority P9
km_check_run "bad priority" 1 "$D/badprio" "want P1..P4"

# --- lifecycle ------------------------------------------------------------------------------
tk assign ticket assign "$N1" aigerim
km_check_run "assign" 0 "$D/assign" "$N1: assign done"
tk noop ticket assign "$N1" nobody
km_check_run "assign to an unknown operator" 1 "$D/noop" "no active operator 'nobody'"
tk resolve ticket status "$N1" resolved --note "repaired" --as aigerim
km_check_run "resolve" 0 "$D/resolve" "$N1: status done"
tk refused ticket status "$N1" in_progress
km_check_run "refused move names the allowed ones" 1 "$D/refused" \
    "cannot go from resolved to in_progress; allowed: reopened"
tk badst ticket status "$N1" closed
km_check_run "unknown status" 1 "$D/badst" "unknown status 'closed'"
tk note ticket note "$N1" "called the akimat"
km_check_run "note" 0 "$D/note" "$N1: note done"
tk nonum ticket note KZ-1999-000009 "x"
km_check_run "unknown ticket" 1 "$D/nonum" "no ticket 'KZ-1999-000009'"

# --- show, list, export ---------------------------------------------------------------------
tk show ticket show "$N1"
km_check_run "show" 0 "$D/show" "^status  *resolved" "^status_notes  *repaired" "^agency  *Управление" \
    "^events:" 'assign .*"assignee": "aigerim"' "called the akimat" "^posts:" "rss:p1"
tk showj ticket show "$N1" --json
km_check_run "show --json" 0 "$D/showj" '"number": "'"$N1"'"'
equal "show --json: events" "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["events"]), [p["post_id"] for p in d["posts"]])' "$D/showj")" "5 ['p1']"
tk list ticket list --status resolved
km_check_run "list --status" 0 "$D/list" "$N1" "1 ticket(s)"
tk listj ticket list --json
equal "list --json" "$(python3 -c 'import json,sys; print(sorted(t["number"] for t in json.load(open(sys.argv[1]))))' "$D/listj")" "['$N1', '$N2']"
tk o311 ticket export --open311
km_check_run "export --open311" 0 "$D/o311" '"service_request_id": "'"$N1"'"'
equal "open311 fields" "$(python3 -c '
import json,sys
d = json.load(open(sys.argv[1]))[0]
print(d["status"], d["detailed_status"], d["service_code"], d["media_url"], d["status_notes"],
      d["description"])' "$D/o311")" 'closed resolved roads https://e.org/p1 repaired Яма на дороге "огромная"'
tk o311bad ticket export --open311 --from yesterday
km_check_run "export: bad --from" 1 "$D/o311bad" "want an RFC 3339 time"

# --- events ---------------------------------------------------------------------------------
events=$(km_psql "SELECT count(*) FROM ticket_events")
equal "every event on {komek}:events" "$(xlen)" "$events"
equal "outbox drained" "$(km_psql "SELECT count(*) FROM event_outbox WHERE published_at IS NULL")" 0
equal "event fields" "$(redis-cli -p "$KM_REDIS_PORT" --raw XRANGE '{komek}:events' - + COUNT 1 |
    sed -n '3p;5p;9p'  | tr '\n' ' ')" "1 created $N1 "
km_redis_kill KILL
tk down ticket note "$N2" "while Redis is down"
km_check_run "change while Redis is down: kept in the outbox" 0 "$D/down" "stay in the outbox"
equal "outbox holds it" "$(km_psql "SELECT count(*) FROM event_outbox WHERE published_at IS NULL")" 1
tk pubfail events publish
km_check_run "events publish while down" 1 "$D/pubfail" "stay in the outbox"
km_redis_launch || exit 1
tk pub events publish
km_check_run "events publish after restart" 0 "$D/pub" "published 1 event(s) to {komek}:events"
equal "stream has it" "$(xlen)" "$((events + 1))"

if [ "$failures" -ne 0 ]; then
    echo "test_tickets: $failures failure(s)"
    exit 1
fi
echo "test_tickets: all passed"
