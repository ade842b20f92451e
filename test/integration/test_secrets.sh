#!/bin/sh
# Secrets never leak: tokens, webhook secrets and a PostgreSQL password are planted in the
# configuration; komekd runs against the fake networks with faults that make it log errors
# about the requests that carry them (429, 500, garbage, a refused login); then every output
# — komekd's log (text and JSON), --check-config, komekctl check/sources/cursors/status,
# /metrics, /readyz (also with PostgreSQL down), every Redis key and a dump of PostgreSQL —
# is searched for each planted value.
set -u
here=$(cd "$(dirname "$0")" && pwd)
KM_ROOT=$(cd "$here/../.." && pwd)
export KM_ROOT
BUILD=${BUILD:-build}
cd "$KM_ROOT" || exit 1
. "$here/lib.sh"
. "$here/conf.sh"

TG_TOKEN="123456:PLANTEDtgTOKENzq9"
VK_TOKEN="PLANTEDvkTOKENx71"
MS_TOKEN="PLANTEDmastoTOKENk3"
WH_SECRET="PLANTEDwebhookSECRETw8w8w8"
TGW_SECRET="PLANTEDtgwSECRETv5"
PG_PASSWORD="PLANTEDpgPASSWORDp0"
export TG_TOKEN VK_TOKEN WH_SECRET TGW_SECRET

km_tools_built komekd komekctl fakenet || exit 1
km_init
km_start_redis "$KM_TMP/redis" || exit 1
km_start_postgres "$KM_TMP/pg" || exit 1
KM_FAKE_TOKEN=$TG_TOKEN km_start_fake fakenet --fault telegram:429:2 --fault telegram:http500:2 \
    --fault vk:garbage:2 --fault mastodon:http503:2 || exit 1
FAKE=$KM_FAKE_PORT
OPS=$(km_free_port) || exit 1
HOOK=$(km_free_port) || exit 1
CONF="$KM_TMP/komek.conf"
cat >"$CONF" <<CONF
[komek]
redis = $KM_REDIS_URL
postgres = $KM_PG_CONNINFO password=$PG_PASSWORD
namespace = sec
tags = $KM_ROOT/etc/tags.list
lexicon = $KM_ROOT/etc/lexicon
routing = $KM_ROOT/etc/routing.conf
consumer = test-consumer
metrics_listen = 127.0.0.1:$OPS
listen = 127.0.0.1:$HOOK
desk_listen = off
log_level = debug

[source city109]
type = telegram
url = http://127.0.0.1:$FAKE
token = env:TG_TOKEN
interval = 0s
poll_timeout = 1s
backoff_max = 1s

[source vkfeed]
type = vk
url = http://127.0.0.1:$FAKE
token = env:VK_TOKEN
tags = 109, iKomek
interval = 1s
backoff_max = 1s

[source masto]
type = mastodon
url = http://127.0.0.1:$FAKE
token = $MS_TOKEN
tags = 109, iKomek
interval = 1s
backoff_max = 1s

[source portal]
type = webhook
secret = env:WH_SECRET

[source tgbot]
type = telegram_webhook
secret_token = env:TGW_SECRET
CONF
# A wrong Telegram token: the fake refuses it, and the refusal is logged. (The VK source's
# token above is refused too: the fake accepts only the Telegram one.)
cat >"$KM_TMP/badtoken.conf" <<CONF
[komek]
redis = $KM_REDIS_URL
postgres = $KM_PG_CONNINFO password=$PG_PASSWORD
namespace = sec2
tags = $KM_ROOT/etc/tags.list
lexicon = $KM_ROOT/etc/lexicon
routing = $KM_ROOT/etc/routing.conf
metrics_listen = off
listen = off
desk_listen = off
[source city109]
type = telegram
url = http://127.0.0.1:$FAKE
token = 999999:PLANTEDwrongTOKENr4
interval = 0s
CONF

out=$KM_TMP/out
mkdir -p "$out"
"$BUILD/komekd" --check-config "$CONF" >"$out/check-config" 2>&1
"$BUILD/komekctl" -c "$CONF" migrate >"$out/migrate" 2>&1
"$BUILD/komekd" -c "$CONF" >"$out/komekd.log" 2>&1 &
pid=$!
km_stop_later "$pid"
stored() { [ "$(km_psql 'select count(*) from posts')" -gt 5 ]; }
km_wait 40 stored || echo "note: few posts stored"
# A webhook with a wrong signature and a Telegram update with a wrong secret: refused, logged.
curl -s -o "$out/hook1" -H 'Content-Type: application/json' -H 'X-Hub-Signature-256: sha256=00' \
    --data '{"id":"1","text":"#109 x"}' "http://127.0.0.1:$HOOK/webhook/portal"
curl -s -o "$out/hook2" -H 'Content-Type: application/json' \
    -H 'X-Telegram-Bot-Api-Secret-Token: nope' --data '{}' "http://127.0.0.1:$HOOK/webhook/tgbot"
curl -s "http://127.0.0.1:$OPS/metrics" >"$out/metrics"
curl -s "http://127.0.0.1:$OPS/readyz" >"$out/readyz"
km_pg_stop
curl -s "http://127.0.0.1:$OPS/readyz" >"$out/readyz-pg-down"
"$BUILD/komekctl" -c "$CONF" status >"$out/status-pg-down" 2>&1
sleep 2
km_pg_start || exit 1
for c in check sources cursors status; do
    "$BUILD/komekctl" -c "$CONF" "$c" >"$out/komekctl-$c" 2>&1
done
"$BUILD/komekd" -c "$KM_TMP/badtoken.conf" --once --role collect >"$out/badtoken.log" 2>&1
kill -TERM "$pid"
wait "$pid"
# JSON logs as well.
sed -i 's/^log_level = debug$/log_level = debug\nlog_format = json/' "$CONF"
"$BUILD/komekd" -c "$CONF" --once >"$out/komekd-json.log" 2>&1

# Every Redis key of both namespaces, whatever its type.
for key in $(redis-cli -p "$KM_REDIS_PORT" --scan --pattern '{sec*'); do
    case $(redis-cli -p "$KM_REDIS_PORT" TYPE "$key") in
    stream) redis-cli -p "$KM_REDIS_PORT" XRANGE "$key" - + ;;
    hash) redis-cli -p "$KM_REDIS_PORT" HGETALL "$key" ;;
    zset) redis-cli -p "$KM_REDIS_PORT" ZRANGE "$key" 0 -1 WITHSCORES ;;
    set) redis-cli -p "$KM_REDIS_PORT" SMEMBERS "$key" ;;
    list) redis-cli -p "$KM_REDIS_PORT" LRANGE "$key" 0 -1 ;;
    string) redis-cli -p "$KM_REDIS_PORT" GET "$key" ;;
    esac
done >"$out/redis" 2>&1
"$KM_PG_BIN/pg_dump" -h 127.0.0.1 -p "$KM_PG_PORT" -U komek komek >"$out/pg_dump" 2>&1

check_nonempty() {
    if [ -s "$out/$1" ]; then echo "ok   $1 was produced ($(wc -c <"$out/$1") bytes)"; else
        echo "FAIL $1 is empty"; failures=$((failures + 1)); fi
}
for f in komekd.log komekd-json.log badtoken.log metrics readyz-pg-down redis pg_dump komekctl-sources; do
    check_nonempty "$f"
done
# The faults did make komekd talk about the requests that carry the secrets.
if grep -q "429\|500\|503" "$out/komekd.log"; then echo "ok   komekd logged the faults"; else
    echo "FAIL komekd did not log the faults"; failures=$((failures + 1)); fi
if grep -qi "unauthorized\|401\|rejected" "$out/badtoken.log"; then echo "ok   the refused token was logged"; else
    echo "FAIL the refused token was not logged"; failures=$((failures + 1)); fi

for secret in "$TG_TOKEN" PLANTEDtgTOKENzq9 "$VK_TOKEN" "$MS_TOKEN" "$WH_SECRET" "$TGW_SECRET" \
    "$PG_PASSWORD" PLANTEDwrongTOKENr4; do
    found=$(grep -l -F -- "$secret" "$out"/* 2>/dev/null | sed "s|$out/||" | tr '\n' ' ')
    if [ -z "$found" ]; then echo "ok   '$secret' appears in no output"; else
        echo "FAIL '$secret' leaked into: $found"
        grep -h -F -- "$secret" "$out"/* | head -3
        failures=$((failures + 1))
    fi
done
[ "$failures" -eq 0 ]
