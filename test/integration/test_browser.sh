#!/bin/sh
# The operator desk in a real browser. Starts Redis, PostgreSQL, the fake networks (posts
# dripping in) and komekd with its desk, creates two operators, then drives Debian's headless
# Chromium with Playwright (test/browser/desk.js): log in (Kazakh, then English and Russian),
# the queue filtered to Telegram and ordered, another operator's claim showing up live,
# claim the top item, create a ticket (prefilled category and agency), reply from a
# template; an admin's supervisor view (figures, charts, tags and lexicon valid) and users
# list. Then checks what happened outside the browser: the fake Telegram received the
# reply carrying the ticket number, and the ticket's events record it. Screenshots go to
# $BUILD/desk.png, desk-phone.png and desk-supervisor.png.
#
# Needs chromium, node and npm (scripts/install-deps.sh) and the npm registry once for
# `npm ci` of test/browser (playwright-core, pinned in package-lock.json; it downloads no
# browser). A step whose server side is not there yet is reported as "skip", not passed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
KM_ROOT=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-build}
cd "$KM_ROOT" || exit 1
. "$here/lib.sh"
. "$here/conf.sh"
failures=0
passed=0

ok()
{
    echo "ok   $1"
    passed=$((passed + 1))
}

fail()
{
    echo "FAIL $1"
    failures=$((failures + 1))
}

finish()
{
    echo "browser: $passed passed, $failures failed"
    [ "$failures" -eq 0 ]
    exit
}

# ---- tools ---------------------------------------------------------------------------
CHROMIUM=${KM_CHROMIUM:-$(command -v chromium || true)}
if [ -z "$CHROMIUM" ] || ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    fail "chromium, node or npm is missing: run scripts/install-deps.sh"
    finish
fi
pinned=$(sed -n 's/.*"playwright-core": *"\([^"]*\)".*/\1/p' test/browser/package.json)
have=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' \
    test/browser/node_modules/playwright-core/package.json 2>/dev/null | head -n 1)
if [ "$have" != "$pinned" ]; then
    if ! (cd test/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund \
        --loglevel=error >/dev/null); then
        fail "npm ci in test/browser (playwright-core $pinned) failed"
        finish
    fi
fi
for t in komekd komekctl fakenet; do
    [ -x "$BUILD/$t" ] || make --no-print-directory BUILD="$BUILD" "$BUILD/$t" >/dev/null || exit 1
done

# ---- servers -------------------------------------------------------------------------
km_init
km_start_redis "$KM_TMP/redis" || exit 1
km_start_postgres "$KM_TMP/pg" || exit 1
# Posts drip in (one every 0.5 s, once over the sample file) so that some arrive while the
# page is open: the queue must grow without a reload.
"$BUILD/fakenet" --port 0 --posts test/data/sample-posts.jsonl --token "$KM_FAKE_TOKEN" \
    --drip 0.5 --passes 1 --max-poll 1 --port-file "$KM_TMP/fake.port" \
    >"$KM_TMP/fakenet.log" 2>&1 &
FAKE_PID=$!
KOMEKD_PID=
stop_all()
{
    for pid in $KOMEKD_PID $FAKE_PID; do
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    km_cleanup
}
trap 'stop_all' EXIT
km_wait 10 test -s "$KM_TMP/fake.port" || { fail "fakenet did not start"; finish; }
FAKE=$(cat "$KM_TMP/fake.port")
DESK=$(km_free_port) || exit 1
km_write_config "$KM_TMP/komek.conf" "$FAKE" desk
# The desk's keys, unless conf.sh already writes them.
for kv in "desk_listen = 127.0.0.1:$DESK" "replies = $KM_ROOT/etc/replies.conf"; do
    key=${kv%% *}
    if grep -q "^$key *=" "$KM_TMP/komek.conf"; then
        sed -i "s|^$key *=.*|$kv|" "$KM_TMP/komek.conf"
    else
        sed -i "/^\[komek\]\$/a $kv" "$KM_TMP/komek.conf"
    fi
done
ctl()
{
    "$BUILD/komekctl" -c "$KM_TMP/komek.conf" "$@"
}
ctl migrate >"$KM_TMP/migrate.log" 2>&1 || { fail "komekctl migrate:"; cat "$KM_TMP/migrate.log"; finish; }
printf 'Op-Secret-1\n' >"$KM_TMP/pw1"
printf 'Op-Secret-2\n' >"$KM_TMP/pw2"
printf 'Admin-Secret-3\n' >"$KM_TMP/pw3"
if ctl user add aigerim --name "Айгерим Сапарова" --role operator \
    --password-file "$KM_TMP/pw1" >/dev/null &&
    ctl user add ivan --name "Иван Петров" --role operator --password-file "$KM_TMP/pw2" >/dev/null &&
    ctl user add dana --name "Dana Admin" --role admin --password-file "$KM_TMP/pw3" >/dev/null; then
    ok "komekctl user add: two operators and an admin"
else
    fail "komekctl user add"
    finish
fi
"$BUILD/komekd" -c "$KM_TMP/komek.conf" >"$KM_TMP/komekd.log" 2>&1 &
KOMEKD_PID=$!
desk_up()
{
    km_pid_alive "$KOMEKD_PID" || return 3
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$DESK/")" = 200 ]
}
if ! km_wait 15 desk_up; then
    fail "the desk did not answer on 127.0.0.1:$DESK; komekd's log:"
    tail -n 20 "$KM_TMP/komekd.log"
    finish
fi
ok "komekd serves the desk on 127.0.0.1:$DESK"

# ---- the browser ---------------------------------------------------------------------
mkdir -p "$BUILD"
rm -f "$BUILD/desk.png" "$BUILD/desk-phone.png" "$BUILD/desk-supervisor.png"
NODE_PATH="$KM_ROOT/test/browser/node_modules" KM_CHROMIUM="$CHROMIUM" \
    KM_DESK_URL="http://127.0.0.1:$DESK" KM_DESK_LOGIN=aigerim KM_DESK_PASSWORD=Op-Secret-1 \
    KM_DESK_LOGIN2=ivan KM_DESK_PASSWORD2=Op-Secret-2 KM_DESK_ADMIN=dana \
    KM_DESK_ADMIN_PASSWORD=Admin-Secret-3 KM_SCREENSHOT="$BUILD/desk.png" \
    KM_RESULT="$KM_TMP/result.json" KM_WAIT_S=60 \
    node test/browser/desk.js >"$KM_TMP/browser.log" 2>&1
brc=$?
grep -E '^(ok|FAIL|skip) ' "$KM_TMP/browser.log"
bp=$(grep -c '^ok ' "$KM_TMP/browser.log")
bf=$(grep -c '^FAIL ' "$KM_TMP/browser.log")
passed=$((passed + bp))
failures=$((failures + bf))
if [ "$brc" -ne 0 ] && [ "$bf" -eq 0 ]; then
    fail "desk.js exited $brc:"
    tail -n 20 "$KM_TMP/browser.log"
fi

if [ -s "$BUILD/desk.png" ] && [ "$(head -c 4 "$BUILD/desk.png" | od -An -tx1 | tr -d ' \n')" = 89504e47 ]; then
    ok "$BUILD/desk.png is a PNG ($(wc -c <"$BUILD/desk.png") bytes)"
else
    fail "no screenshot at $BUILD/desk.png"
fi

# ---- outside the browser: the reply reached Telegram and the ticket records it ----------
field()
{
    python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
v = d
for k in sys.argv[2].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print("" if v is None else v)' "$KM_TMP/result.json" "$1" 2>/dev/null
}
ticket=$(field ticket)
reply_status=$(field reply.status)
if [ -z "$ticket" ]; then
    fail "no ticket was created in the browser, so no reply to look for"
elif [ "$reply_status" != 200 ]; then
    if grep -q '^skip reply' "$KM_TMP/browser.log"; then
        echo "skip the fake Telegram's copy of the reply: the reply step was skipped"
    else
        fail "the reply was not sent (HTTP ${reply_status:-none})"
    fi
else
    code=$(curl -s -o "$KM_TMP/replies.json" -w '%{http_code}' "http://127.0.0.1:$FAKE/_fake/replies")
    if [ "$code" = 404 ]; then
        echo "skip the fake Telegram's copy of the reply: fakenet has no /_fake/replies (REPLY)"
    elif python3 - "$KM_TMP/replies.json" "$ticket" <<'PY'; then
import json, sys
replies = json.load(open(sys.argv[1]))
hit = [r for r in replies if r.get("network") == "telegram" and sys.argv[2] in (r.get("text") or "")]
if not hit:
    print("FAIL the fake Telegram holds no reply with %s: %s" % (sys.argv[2], replies))
    sys.exit(1)
if not hit[0].get("reply_to"):
    print("FAIL the reply to Telegram does not answer the post (no reply_to): %s" % hit[0])
    sys.exit(1)
print("ok   the fake Telegram received the reply with %s (chat %s, reply to %s)"
      % (sys.argv[2], hit[0].get("chat_id"), hit[0].get("reply_to")))
PY
        passed=$((passed + 1))
    else
        failures=$((failures + 1))
    fi
    n=$(km_psql "SELECT count(*) FROM ticket_events e JOIN tickets t ON t.id = e.ticket
                 WHERE t.number = '$ticket' AND e.type = 'reply' AND e.actor = 'aigerim'")
    if [ "${n:-0}" -ge 1 ]; then
        ok "ticket $ticket records the reply in its events (actor aigerim)"
    else
        fail "ticket $ticket has no reply event by aigerim (got '${n:-}')"
    fi
fi
n=$(km_psql "SELECT count(*) FROM ticket_events e JOIN tickets t ON t.id = e.ticket
             WHERE t.number = '${ticket:-none}' AND e.type = 'created' AND e.actor = 'aigerim'")
if [ -n "$ticket" ] && [ "${n:-0}" -ge 1 ]; then
    ok "ticket $ticket was created by aigerim (ticket_events)"
elif [ -n "$ticket" ]; then
    fail "ticket $ticket has no 'created' event by aigerim (got '${n:-}')"
fi
if ! km_pid_alive "$KOMEKD_PID"; then
    fail "komekd died during the run; its log:"
    tail -n 20 "$KM_TMP/komekd.log"
fi
[ "$failures" -eq 0 ] || { echo "komekd's log (last lines):"; tail -n 15 "$KM_TMP/komekd.log"; }
finish
