#!/bin/sh
# Webhooks end to end: komekd (all roles) with a telegram_webhook and a webhook source, a real
# Redis and PostgreSQL; curl POSTs to the intake. A 200 means the posts are in Redis, and the
# tickets role then stores each exactly once; every refusal (401, 405, 415, 413, 400) stores
# nothing; while Redis is down the answer is 503 with Retry-After, and 200 again once it is
# back.
set -u
here=$(cd "$(dirname "$0")" && pwd)
KM_ROOT=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-build}
cd "$KM_ROOT" || exit 1
. "$here/lib.sh"

TG_SECRET=tg-Secret_109
WH_SECRET=0123456789abcdef-portal-secret
export TG_SECRET WH_SECRET
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

# check_has DESCRIPTION NEEDLE FILE: FILE contains NEEDLE.
check_has()
{
    if grep -qF -- "$2" "$3"; then
        echo "ok   $1: answer has '$2'"
    else
        echo "FAIL $1: answer lacks '$2': $(cat "$3")"
        failures=$((failures + 1))
    fi
}

# post PATH CONTENT_TYPE BODY_FILE [HEADER]: POSTs the file, prints the HTTP status; the
# answer's body is in $KM_TMP/answer, its headers in $KM_TMP/headers.
post()
{
    set -- "$1" "$2" "$3" "${4:-X-Test: none}"
    curl -s -o "$KM_TMP/answer" -D "$KM_TMP/headers" -w '%{http_code}' -X POST \
        -H "Content-Type: $2" -H "Expect:" -H "$4" --data-binary "@$3" \
        "http://127.0.0.1:$PORT$1"
}

tg() { post /webhook/tgbot application/json "$@"; }
portal() { post /webhook/portal application/json "$@"; }

# The X-Hub-Signature-256 header of a file under WH_SECRET (or the key given as $2).
signature()
{
    python3 -c 'import hashlib, hmac, sys
key = sys.argv[2].encode()
print("X-Hub-Signature-256: sha256=" + hmac.new(key, open(sys.argv[1], "rb").read(),
      hashlib.sha256).hexdigest())' "$1" "${2:-$WH_SECRET}"
}

rows()
{
    km_psql "select count(*) from posts where $1"
}

stream_len()
{
    redis-cli -p "$KM_REDIS_PORT" XLEN '{hooks}:posts'
}

# A Telegram Update with update_id $1 and message_id $2, as setWebhook would POST it.
update()
{
    printf '{"update_id":%s,"message":{"message_id":%s,"from":{"id":42,"is_bot":false,' "$1" "$2"
    printf '"first_name":"Айгерим","username":"aigerim_s"},"chat":{"id":-1001234567890,'
    printf '"title":"Астана 109","username":"astana109chat","type":"supergroup"},'
    printf '"date":1795372861,"text":"Прорыв трубы на Кенесары 40 #109 #Астана",'
    printf '"entities":[{"offset":30,"length":4,"type":"hashtag"}]}}'
}

stop_pid()
{
    [ -n "${1:-}" ] && kill -TERM "$1" 2>/dev/null && wait "$1" 2>/dev/null
}

cleanup()
{
    stop_pid "${KOMEKD_PID:-}"
    km_cleanup
}

km_init
trap cleanup EXIT
km_start_redis "$KM_TMP/redis" || exit 1
km_start_postgres "$KM_TMP/pg" || exit 1
PORT=$(km_free_port) || exit 1

CONF="$KM_TMP/komek.conf"
cat >"$CONF" <<CONF
[komek]
redis = $KM_REDIS_URL
redis_timeout = 1s
postgres = $KM_PG_CONNINFO
namespace = hooks
tags = $KM_ROOT/etc/tags.list
lexicon = $KM_ROOT/etc/lexicon
routing = $KM_ROOT/etc/routing.conf
consumer = test-consumer
listen = 127.0.0.1:$PORT
metrics_listen = 127.0.0.1:0

[source tgbot]
type = telegram_webhook
secret_token = env:TG_SECRET

[source portal]
type = webhook
secret = env:WH_SECRET
max_body = 4k
CONF
"$BUILD/komekd" --check-config "$CONF" >/dev/null || exit 1
"$BUILD/komekctl" -c "$CONF" migrate >/dev/null || exit 1
"$BUILD/komekd" -c "$CONF" >"$KM_TMP/komekd.log" 2>&1 &
KOMEKD_PID=$!
listening() { curl -s -o /dev/null "http://127.0.0.1:$PORT/"; }
km_wait 10 listening || { echo "FAIL the intake did not listen"; cat "$KM_TMP/komekd.log"; exit 1; }

TG_HDR="X-Telegram-Bot-Api-Secret-Token: $TG_SECRET"
tg_rows() { rows "network = 'telegram'"; }
update 721450001 4711 >"$KM_TMP/u1.json"

# --- Telegram --------------------------------------------------------------------------
check "update with a wrong secret" 401 \
    "$(tg "$KM_TMP/u1.json" 'X-Telegram-Bot-Api-Secret-Token: nope')"
check_has "wrong secret" '"ok":false' "$KM_TMP/answer"
check "update without the secret header" 401 "$(tg "$KM_TMP/u1.json")"
check "stream after refused updates" 0 "$(stream_len)"

check "update with the right secret" 200 "$(tg "$KM_TMP/u1.json" "$TG_HDR")"
check_has "right secret" '"ok":true,"posts":1,"new":1' "$KM_TMP/answer"
one_row() { [ "$(tg_rows)" -ge 1 ]; }
km_wait 20 one_row || echo "the tickets role stored nothing in 20 s"
check "telegram rows after the update" 1 "$(tg_rows)"
check "its post id" "-1001234567890:4711" \
    "$(km_psql "select post_id from posts where network = 'telegram'")"

# Telegram repeats an update it got no 2xx for: the second copy is a repeat, not a row.
check "the same update again" 200 "$(tg "$KM_TMP/u1.json" "$TG_HDR")"
check_has "the same update again" '"new":0,"repeats":1' "$KM_TMP/answer"
check "stream after the repeat" 1 "$(stream_len)"

# --- generic webhook --------------------------------------------------------------------
printf '[{"network":"portal","id":"req-42","text":"Не горят фонари на Туран 24 #Астана"},
{"network":"portal","id":"req-43","text":"Спасибо! без тегов"}]' >"$KM_TMP/p1.json"
check "webhook with a good signature" 200 \
    "$(portal "$KM_TMP/p1.json" "$(signature "$KM_TMP/p1.json")")"
check_has "good signature" '"posts":2,"new":1,"repeats":0,"without_tag":1' "$KM_TMP/answer"
printf '[{"network":"portal","id":"req-44","text":"#109 forged"}]' >"$KM_TMP/p2.json"
check "webhook signed with another key" 401 \
    "$(portal "$KM_TMP/p2.json" "$(signature "$KM_TMP/p2.json" wrong-key-0123456789)")"
check "webhook without a signature" 401 "$(portal "$KM_TMP/p2.json")"
check "GET" 405 "$(curl -s -o /dev/null -D "$KM_TMP/headers" -w '%{http_code}' \
    "http://127.0.0.1:$PORT/webhook/portal")"
check "Allow header of the 405" 1 "$(grep -ci '^Allow: POST' "$KM_TMP/headers")"
check "text/plain" 415 \
    "$(post /webhook/portal text/plain "$KM_TMP/p2.json" "$(signature "$KM_TMP/p2.json")")"
python3 -c 'import json; print(json.dumps([{"network": "portal", "id": "big",
    "text": "#109 " + "x" * 5000}]))' >"$KM_TMP/big.json"
check "body over max_body" 413 "$(portal "$KM_TMP/big.json" "$(signature "$KM_TMP/big.json")")"
printf '[{"network":"portal","id":"req-45","text":"#109"' >"$KM_TMP/bad.json"
check "malformed JSON" 400 "$(portal "$KM_TMP/bad.json" "$(signature "$KM_TMP/bad.json")")"
check_has "malformed JSON names the offset" '"error":"webhook/portal: offset ' "$KM_TMP/answer"
check "unknown source" 404 "$(post /webhook/nope application/json "$KM_TMP/p2.json")"
check "stream after the refusals" 2 "$(stream_len)"

# --- Redis down: 503 + Retry-After, then 200 again ----------------------------------------
km_redis_kill
update 721450002 4712 >"$KM_TMP/u2.json"
check "update while Redis is down" 503 "$(tg "$KM_TMP/u2.json" "$TG_HDR")"
check "Retry-After of the 503" "Retry-After: 5" \
    "$(grep -i '^Retry-After' "$KM_TMP/headers" | tr -d '\r')"
km_redis_restart || exit 1
check "the same update after Redis is back" 200 "$(tg "$KM_TMP/u2.json" "$TG_HDR")"
check_has "after Redis is back" '"new":1' "$KM_TMP/answer"

all_rows() { [ "$(tg_rows)" -ge 2 ] && [ "$(rows "network = 'portal'")" -ge 1 ]; }
km_wait 30 all_rows || echo "not every post stored after 30 s"
kill -TERM "$KOMEKD_PID"
wait "$KOMEKD_PID"
check "komekd exit status after SIGTERM" 0 $?
KOMEKD_PID=
check "telegram rows" 2 "$(tg_rows)"
check "portal rows" 1 "$(rows "network = 'portal'")"
check "rows of refused posts" 0 "$(rows "post_id in ('req-44', 'req-45', 'big')")"
grep -q "intake.*serving 2 webhook sources" "$KM_TMP/komekd.log" ||
    { echo "FAIL no 'serving' line in the log"; failures=$((failures + 1)); }
grep -E "Sanitizer|runtime error" "$KM_TMP/komekd.log" && failures=$((failures + 1))

if [ "$failures" -ne 0 ]; then
    echo "komekd log in $KM_TMP (kept)"
    KM_KEEP=1
    exit 1
fi
echo "webhooks: all checks passed"
