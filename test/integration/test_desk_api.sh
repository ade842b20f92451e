#!/bin/sh
# The desk's JSON API end to end (desk/api*.c, db/desk_*.c, queue/claims.c, ctl/desk.c):
# real Redis, PostgreSQL and fake networks; posts collected and stored by komekd --once, then
# komekd --role desk serving the API. Covers every item action with its audit rows, claims
# (409 for a second operator, lease expiry returning the item), role checks, CSRF, tickets,
# supervisor and admin endpoints, the reply reaching the fake Telegram with the ticket number,
# and komekctl's desk commands.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
KM_ROOT=$root
export KM_ROOT
. "$here/conf.sh"
BUILD=${BUILD:-build}
cd "$root" || exit 1
for t in komekd komekctl fakenet test/test_queue_claims; do
    if [ ! -x "$BUILD/$t" ]; then
        make --no-print-directory BUILD="$BUILD" "$BUILD/$t" >/dev/null || exit 1
    fi
done

fails=0
# check LABEL EXPECTED ACTUAL
check()
{
    if [ "$2" = "$3" ]; then
        echo "ok   $1"
    else
        echo "FAIL $1: expected '$2', got '$3'"
        fails=$((fails + 1))
    fi
}

km_init
km_start_redis "$KM_TMP/redis" || exit 1
km_start_postgres "$KM_TMP/pg" || exit 1
NS=deskapi

# Claims unit test against the same servers.
KM_REDIS_URL=$KM_REDIS_URL ${KM_VALGRIND:-} "$BUILD/test/test_queue_claims"
check "test_queue_claims" 0 $?

"$BUILD/fakenet" --port 0 --posts test/data/sample-posts.jsonl --token "$KM_FAKE_TOKEN" \
    --port-file "$KM_TMP/fake.port" >"$KM_TMP/fake.log" 2>&1 &
FAKE_PID=$!
DESK_PID=
trap 'kill $FAKE_PID $DESK_PID 2>/dev/null; km_cleanup' EXIT
km_wait 10 test -s "$KM_TMP/fake.port" || { echo "fakenet did not start" >&2; exit 1; }
FAKE_PORT=$(cat "$KM_TMP/fake.port")
DESK_PORT=$(km_free_port)
BASE="http://127.0.0.1:$DESK_PORT"
CONF="$KM_TMP/komek.conf"
KM_DESK_LISTEN=127.0.0.1:$DESK_PORT km_write_config "$CONF" "$FAKE_PORT" "$NS"
cp "$root/etc/tags.list" "$KM_TMP/tags.list" # a copy the test can break
sed -i "s|^tags = .*|tags = $KM_TMP/tags.list|" "$CONF"
sed -i "/^\[komek\]/a desk_claim_lease = 10s" "$CONF"
grep -q '^replies *=' "$CONF" || sed -i "/^\[komek\]/a replies = $root/etc/replies.conf" "$CONF"

"$BUILD/komekctl" -c "$CONF" migrate >/dev/null 2>&1 || exit 1
for u in aigerim:operator bolat:operator saule:supervisor admin:admin; do
    printf 'secret-%s\n' "${u%%:*}" >"$KM_TMP/${u%%:*}.pw"
    "$BUILD/komekctl" -c "$CONF" user add "${u%%:*}" --role "${u#*:}" \
        --password-file "$KM_TMP/${u%%:*}.pw" >/dev/null || exit 1
done
# Collect and store posts from the fakes.
"$BUILD/komekd" -c "$CONF" --once >"$KM_TMP/once.log" 2>&1
"$BUILD/komekd" -c "$CONF" --once >>"$KM_TMP/once.log" 2>&1
stored=$(km_psql "SELECT count(*) FROM posts WHERE network = 'telegram'")
[ "$stored" -ge 4 ] || { echo "only $stored telegram posts stored" >&2; cat "$KM_TMP/once.log"; exit 1; }

"$BUILD/komekd" -c "$CONF" --role desk >"$KM_TMP/desk.log" 2>&1 &
DESK_PID=$!
km_wait 10 curl -s -o /dev/null "$BASE/" || { echo "desk did not start" >&2; cat "$KM_TMP/desk.log"; exit 1; }

# login USER: cookie jar and CSRF token in $KM_TMP.
login()
{
    curl -s -c "$KM_TMP/$1.jar" -H 'Content-Type: application/json' \
        -d "{\"login\":\"$1\",\"password\":\"secret-$1\",\"lang\":\"en\"}" "$BASE/api/login" |
        jq -r .csrf >"$KM_TMP/$1.csrf"
}
# call USER METHOD PATH [BODY]: the answer in $KM_TMP/body, the status in CODE.
call()
{
    _csrf=$(cat "$KM_TMP/$1.csrf" 2>/dev/null)
    if [ -n "${4:-}" ]; then
        CODE=$(curl -s -o "$KM_TMP/body" -w '%{http_code}' -b "$KM_TMP/$1.jar" -X "$2" \
            -H "X-CSRF-Token: $_csrf" -H 'Content-Type: application/json' --data "$4" "$BASE$3")
    else
        CODE=$(curl -s -o "$KM_TMP/body" -w '%{http_code}' -b "$KM_TMP/$1.jar" -X "$2" \
            -H "X-CSRF-Token: $_csrf" "$BASE$3")
    fi
}
body() { jq -r "$1" "$KM_TMP/body"; }
enc() { printf '%s' "$1" | jq -sRr @uri; }
events() { km_psql "SELECT string_agg(type || ':' || actor, ',' ORDER BY id) FROM post_events WHERE post = (SELECT id FROM posts WHERE network || ':' || post_id = '$1')"; }
desk_stream() { redis-cli -p "$KM_REDIS_PORT" --raw XRANGE "{$NS}:desk" - + | tr '\n' ' '; }

for u in aigerim bolat saule admin; do login "$u"; done

# --- sessions, roles, CSRF ------------------------------------------------------------
CODE=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/queue")
check "queue without a session" 401 "$CODE"
call aigerim GET /api/supervisor/overview
check "operator on a supervisor endpoint" 403 "$CODE"
call aigerim GET /api/users
check "operator on an admin endpoint" 403 "$CODE"
call saule GET /api/users
check "supervisor on an admin endpoint" 403 "$CODE"
CODE=$(curl -s -o /dev/null -w '%{http_code}' -b "$KM_TMP/aigerim.jar" -X POST \
    -H 'Content-Type: application/json' -d '{}' "$BASE/api/items/x%3A1/claim")
check "claim without CSRF token" 403 "$CODE"

# --- the queue ------------------------------------------------------------------------
call aigerim GET '/api/queue?network=telegram&limit=50'
check "queue" 200 "$CODE"
n=$(body '.items | length')
[ "$n" -ge 4 ] && check "queue has telegram items" yes yes || check "queue has telegram items" ">=4" "$n"
check "queue ordered by priority then sla_due" true \
    "$(body '[.items[] | [(.priority // "P9"), (.sla_due // "9")]] | . == sort')"
I1=$(body '.items[0].id')
I2=$(body '.items[1].id')
I3=$(body '.items[2].id')
I4=$(body '.items[3].id')
I5=$(body '.items[4].id // empty')
call aigerim GET "/api/items/$(enc "$I1")"
check "item detail" "200 $I1" "$CODE $(body .id)"
check "item detail has the post and events" "true true" "$(body '(.post | type == "object")') $(body '(.events | type == "array")')"
call aigerim GET "/api/items/nosuch%3A1"
check "unknown item" 404 "$CODE"

# --- claims -----------------------------------------------------------------------------
call aigerim POST "/api/items/$(enc "$I1")/claim" '{}'
check "claim" "200 aigerim" "$CODE $(body .claimed_by)"
call bolat POST "/api/items/$(enc "$I1")/claim" '{}'
check "second operator cannot claim" "409 aigerim" "$CODE $(body .claimed_by)"
call bolat POST "/api/items/$(enc "$I1")/dismiss" '{"kind":"spam","reason":"x"}'
check "action without the claim" 409 "$CODE"
call aigerim POST "/api/items/$(enc "$I1")/claim" '{}'
check "renewing one's own claim" "200 aigerim" "$CODE $(body .claimed_by)"
case $(desk_stream) in *claim*"$I1"*aigerim*) s=yes ;; *) s=no ;; esac
check "claim announced on {ns}:desk" yes "$s"

# --- priority, ticket, reply ----------------------------------------------------------
call aigerim POST "/api/items/$(enc "$I1")/priority" '{"priority":1}'
check "priority without a reason" 422 "$CODE"
call aigerim POST "/api/items/$(enc "$I1")/priority" '{"priority":"P3","reason":"not urgent"}'
check "priority with a reason" 200 "$CODE"
call aigerim GET "/api/items/$(enc "$I1")"
check "item shows the override" "P3 not urgent" "$(body .priority) $(body .priority_reason)"
call aigerim POST "/api/items/$(enc "$I1")/reply" '{"template":"received"}'
check "reply before a ticket" 422 "$CODE"
call aigerim POST "/api/items/$(enc "$I1")/ticket" '{"note":"from the desk"}'
check "ticket" 201 "$CODE"
NUMBER=$(body .number)
call aigerim POST "/api/items/$(enc "$I1")/ticket" '{}'
check "second ticket for the same item" "200 $NUMBER true" "$CODE $(body .number) $(body .existed)"
check "ticket's priority from the override" 3 \
    "$(km_psql "SELECT priority FROM tickets WHERE number = '$NUMBER'")"
call aigerim POST "/api/items/$(enc "$I1")/reply" '{"template":"received","lang":"en"}'
check "reply" 200 "$CODE"
case $(body .text) in *"$NUMBER"*) s=yes ;; *) s=no ;; esac
check "reply names the ticket" yes "$s"
case $(curl -s "http://127.0.0.1:$FAKE_PORT/_fake/replies") in *"$NUMBER"*) s=yes ;; *) s=no ;; esac
check "fake Telegram received the reply with the number" yes "$s"
check "reply recorded on the ticket" 1 \
    "$(km_psql "SELECT count(*) FROM ticket_events e JOIN tickets t ON t.id = e.ticket WHERE t.number = '$NUMBER' AND e.type = 'reply' AND e.actor = 'aigerim'")"
check "audit rows of the item" "priority:aigerim,ticket:aigerim" "$(events "$I1")"
call aigerim GET '/api/queue?limit=500'
case " $(body '[.items[].id] | join(" ")') " in *" $I1 "*) s=still ;; *) s=gone ;; esac
check "ticketed item left the queue" gone "$s"

# --- dismiss, attach ------------------------------------------------------------------
call bolat POST "/api/items/$(enc "$I2")/claim" '{}'
call bolat POST "/api/items/$(enc "$I2")/dismiss" '{"kind":"spam"}'
check "dismiss without a reason" 422 "$CODE"
call bolat POST "/api/items/$(enc "$I2")/dismiss" '{"kind":"spam","reason":"advert"}'
check "dismiss" 200 "$CODE"
check "dismissal stored" "spam|advert|bolat" \
    "$(km_psql "SELECT disposition || '|' || disposition_reason || '|' || disposition_by FROM posts WHERE network || ':' || post_id = '$I2'")"
check "audit row of the dismissal" "dismiss:bolat" "$(events "$I2")"
case $(desk_stream) in *release*"$I2"*bolat*) s=yes ;; *) s=no ;; esac
check "dismissal released the claim" yes "$s"
call aigerim POST "/api/items/$(enc "$I4")/claim" '{}'
call aigerim POST "/api/items/$(enc "$I4")/attach" "{\"ticket\":\"$NUMBER\"}"
check "attach to a ticket" 200 "$CODE"
check "attached post's audit row" "ticket:aigerim" "$(events "$I4")"
call aigerim POST "/api/items/$(enc "$I4")/release" '{}'
check "release" 200 "$CODE"

# --- lease expiry ---------------------------------------------------------------------
call aigerim POST "/api/items/$(enc "$I3")/claim" '{}'
check "claim before expiry" 200 "$CODE"
unclaimed()
{
    call bolat GET "/api/items/$(enc "$I3")"
    [ "$(body .claimed_by)" = null ]
}
km_wait 30 unclaimed
check "lease expired (desk_claim_lease 10s)" null "$(body .claimed_by)"
call bolat GET '/api/queue?limit=500'
case " $(body '[.items[].id] | join(" ")') " in *" $I3 "*) s=back ;; *) s=missing ;; esac
check "expired item back in the queue" back "$s"
case $(desk_stream) in *expire*"$I3"*aigerim*) s=yes ;; *) s=no ;; esac
check "expiry announced on {ns}:desk" yes "$s"
call bolat POST "/api/items/$(enc "$I3")/claim" '{}'
check "another operator claims the expired item" "200 bolat" "$CODE $(body .claimed_by)"

# --- tickets --------------------------------------------------------------------------
call bolat GET /api/tickets
check "tickets list" "200 true" "$CODE $(body "[.tickets[].number] | index(\"$NUMBER\") != null")"
call bolat POST "/api/tickets/$NUMBER/status" '{"status":"in_progress","note":"on it"}'
check "ticket status" "200 in_progress" "$CODE $(body .status)"
call bolat POST "/api/tickets/$NUMBER/assign" '{"login":"bolat"}'
check "ticket assign" "200 bolat" "$CODE $(body .assignee)"
call bolat POST "/api/tickets/$NUMBER/note" '{"text":"called the agency"}'
check "ticket note" 200 "$CODE"
call bolat POST "/api/tickets/$NUMBER/status" '{"status":"bogus"}'
check "bad ticket status" 422 "$CODE"
call bolat GET "/api/tickets/$NUMBER"
check "ticket events" "created,attach,reply,attach,status,assign,note" \
    "$(body '[.events[].type] | join(",")')"
check "ticket posts" 2 "$(body '.posts | length')"
call bolat GET /api/tickets/109-0000-000000
check "unknown ticket" 404 "$CODE"
call aigerim GET '/api/templates?lang=kk'
check "templates in Kazakh" "200 kk" "$CODE $(body '[.templates[].lang] | unique | join(",")')"

# --- supervisor -----------------------------------------------------------------------
call saule GET /api/supervisor/overview
check "overview" "200 number" "$CODE $(body '.depth.P1 | type')"
check "overview lists the operators on shift" true \
    "$(body '[.operators[] | select(.login == "aigerim" and .handled_today >= 2)] | length == 1')"
call saule GET /api/reports/agencies
check "agency report" "200 array" "$CODE $(body '.agencies | type')"
call saule GET '/api/reports/problems?limit=5'
check "problems report" "200 array" "$CODE $(body '.problems | type')"
call saule GET '/api/reports/agencies?from=yesterday'
check "bad report range" 400 "$CODE"
call saule GET /api/watch
check "watch view" "200 true" "$CODE $(body '(.tags | length) > 0 and .lexicon.entries > 0')"
call saule POST /api/watch/validate '{}'
check "validate" "200 true 0" "$CODE $(body .ok) $(body '.errors | length')"
call saule POST /api/watch/reload '{}'
check "reload" "200 true" "$CODE $(body .reloaded)"
printf 'bad tag with spaces\n' >>"$KM_TMP/tags.list"
call saule POST /api/watch/validate '{}'
check "validate a bad tags list" "200 false" "$CODE $(body .ok)"
case $(body '.errors[0]') in "$KM_TMP/tags.list:"*) s=located ;; *) s="$(body '.errors[0]')" ;; esac
check "validation error names FILE:LINE" located "$s"
call saule POST /api/watch/reload '{}'
check "reload refused, old watch kept" "200 false false" "$CODE $(body .ok) $(body .reloaded)"
call saule GET /api/watch
check "watch still serves" 200 "$CODE"

# --- admin ----------------------------------------------------------------------------
call admin GET /api/users
check "users" "200 4" "$CODE $(body '.users | length')"
call admin POST /api/users '{"login":"dana","name":"Dana","role":"operator","password":"secret-dana"}'
check "add user" 201 "$CODE"
call admin POST /api/users '{"login":"dana","role":"operator","password":"secret-dana"}'
check "add an existing user" 409 "$CODE"
call admin POST /api/users/dana/password '{"password":"short"}'
check "too short a password" 422 "$CODE"
call admin POST /api/users/dana/disable '{}'
check "disable user" 200 "$CODE"
call admin POST /api/users/nobody/disable '{}'
check "disable unknown user" 404 "$CODE"

# --- komekctl -------------------------------------------------------------------------
export KOMEK_PASSWORD=secret-aigerim
out=$("$BUILD/komekctl" -c "$CONF" desk --user aigerim --network telegram 2>&1)
check "komekctl desk" 0 $?
case $out in *"$I3"*bolat*) s=yes ;; *) s=no ;; esac
check "komekctl desk lists the queue with claims" yes "$s"
"$BUILD/komekctl" -c "$CONF" claim "$I3" --user aigerim >"$KM_TMP/ctl.out" 2>&1
check "komekctl claim of a held item" 1 $?
grep -q "held by bolat" "$KM_TMP/ctl.out"
check "komekctl names the holder" 0 $?
if [ -n "$I5" ]; then
    "$BUILD/komekctl" -c "$CONF" claim "$I5" --user aigerim >/dev/null 2>&1
    check "komekctl claim" 0 $?
    "$BUILD/komekctl" -c "$CONF" dismiss "$I5" --kind not_for_us --reason "another city" \
        --user aigerim >/dev/null 2>&1
    check "komekctl dismiss" 0 $?
    check "komekctl dismissal audited" "dismiss:aigerim" "$(events "$I5")"
fi
unset KOMEK_PASSWORD
"$BUILD/komekctl" -c "$CONF" desk --user aigerim --password-file "$KM_TMP/bolat.pw" \
    >/dev/null 2>&1
check "komekctl with a wrong password" 1 $?

kill "$DESK_PID" 2>/dev/null
wait "$DESK_PID" 2>/dev/null
if [ "$fails" -gt 0 ]; then
    echo "$fails check(s) failed; desk log:"
    tail -n 30 "$KM_TMP/desk.log"
    exit 1
fi
echo "all desk API checks passed"
