#!/bin/sh
# The ticket side of the tickets role end to end: komekd --once against the fake networks
# with [auto_ticket] default = P2 mirrors routing.conf's agencies and places.conf into
# PostgreSQL, creates one ticket per P1/P2 incident and publishes every ticket event to
# {ns}:events; a second round creates nothing new; an event written while Redis is down
# stays in the outbox and is published by the next round.
set -u
here=$(cd "$(dirname "$0")" && pwd)
KM_ROOT=$(cd "$here/../.." && pwd)
export KM_ROOT
BUILD=${BUILD:-build}
cd "$KM_ROOT" || exit 1
. "$here/lib.sh"
. "$here/conf.sh"

km_tools_built komekd komekctl fakenet || exit 1
km_init
km_start_redis "$KM_TMP/redis" || exit 1
km_start_postgres "$KM_TMP/pg" || exit 1
km_start_fake fakenet || exit 1
km_write_config "$KM_TMP/komek.conf" "$KM_FAKE_PORT" tk
sed 's/^default = off$/default = P2/' etc/routing.conf >"$KM_TMP/routing.conf"
sed -i "s|^routing = .*|routing = $KM_TMP/routing.conf|" "$KM_TMP/komek.conf"
"$BUILD/komekctl" -c "$KM_TMP/komek.conf" migrate >/dev/null || exit 1

once() { "$BUILD/komekd" -c "$KM_TMP/komek.conf" --once >>"$KM_TMP/komekd.log" 2>&1; }
once
km_check "round 1: komekd exit status" 0 "$?"
events() { redis-cli -p "$KM_REDIS_PORT" XLEN '{tk}:events'; }

agencies=$(km_psql "select count(*) from agencies where active")
expected=$(sed -n '/^\[agency\]/,/^\[/p' etc/routing.conf | grep -c '^[a-z_]* *=')
distinct=$(sed -n '/^\[agency\]/,/^\[/p' etc/routing.conf | grep '^[a-z_]* *=' |
    sed 's/^[a-z_]* *= *//' | sort -u | wc -l)
km_check "agencies mirrored from routing.conf ($expected lines)" "$distinct" "$agencies"
places=$(km_psql "select count(*) from places")
if [ "$places" -gt 10 ]; then echo "ok   places mirrored: $places"; else
    echo "FAIL places mirrored: $places"; failures=$((failures + 1)); fi

want=$(km_psql "select count(distinct coalesce(incident, network || ':' || post_id))
                from posts where priority <= 2")
tickets=$(km_psql "select count(*) from tickets")
km_check "one ticket per P1/P2 incident" "$want" "$tickets"
km_check "tickets created by auto" "$tickets" "$(km_psql "select count(*) from tickets where created_by = 'auto'")"
km_check "P1/P2 posts without a ticket" 0 "$(km_psql "select count(*) from posts where priority <= 2 and ticket is null")"
km_check "every ticket has an agency" 0 "$(km_psql "select count(*) from tickets where agency is null")"
km_check "events published = ticket events" "$(km_psql "select count(*) from ticket_events")" "$(events)"
km_check "outbox empty" 0 "$(km_psql "select count(*) from event_outbox where published_at is null")"

once
km_check "round 2: komekd exit status" 0 "$?"
km_check "round 2 creates no ticket" "$tickets" "$(km_psql "select count(*) from tickets")"

# A change made while Redis is down waits in the outbox, then the role publishes it.
number=$(km_psql "select number from tickets order by id limit 1")
km_redis_kill
"$BUILD/komekctl" -c "$KM_TMP/komek.conf" ticket note "$number" "checked on site" >/dev/null 2>&1
km_check "outbox while Redis is down" 1 "$(km_psql "select count(*) from event_outbox where published_at is null")"
km_redis_restart || exit 1
km_wait 10 km_redis_ready
once
km_check "round 3 publishes the waiting event" 0 "$(km_psql "select count(*) from event_outbox where published_at is null")"
km_check "events published = ticket events after round 3" "$(km_psql "select count(*) from ticket_events")" "$(events)"
[ "$failures" -eq 0 ]
