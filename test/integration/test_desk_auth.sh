#!/bin/sh
# The desk server (komekd --role desk) against a real PostgreSQL and Redis: accounts made
# with komekctl user; no API path answers without a session (401); a state change without
# the session's CSRF token is refused (403 csrf); an operator cannot reach supervisor or
# admin paths (403); a disabled account and a wrong password cannot sign in; failed logins
# are limited (429 with Retry-After); an expired session and a signed-out one are refused;
# bodies over 1 MiB get 413; the page, its assets and the security headers are served; the
# live stream sends a `post` event when an entry is XADDed to the posts stream and a
# `claim` event for the desk stream; HTTPS with a self-signed certificate made by openssl,
# with a Secure cookie; a certificate without a key is a configuration error.
set -u
here=$(cd "$(dirname "$0")" && pwd)
KM_ROOT=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-build}
cd "$KM_ROOT" || exit 1
. "$here/lib.sh"
. "$here/conf.sh"
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

# check_has DESCRIPTION NEEDLE FILE
check_has()
{
    if grep -qiF -- "$2" "$3"; then
        echo "ok   $1: has '$2'"
    else
        echo "FAIL $1: lacks '$2':"
        head -c 2000 "$3"
        echo
        failures=$((failures + 1))
    fi
}

# check_lacks DESCRIPTION NEEDLE FILE
check_lacks()
{
    if grep -qiF -- "$2" "$3"; then
        echo "FAIL $1: has '$2'"
        failures=$((failures + 1))
    else
        echo "ok   $1: lacks '$2'"
    fi
}

for t in komekd komekctl; do
    [ -x "$BUILD/$t" ] || make --no-print-directory BUILD="$BUILD" "$BUILD/$t" >/dev/null || exit 1
done
command -v curl >/dev/null || { echo "FAIL curl is needed"; exit 1; }
km_init
DESK_PIDS=
stop_desks()
{
    for p in $DESK_PIDS; do
        kill "$p" 2>/dev/null
    done
}
trap 'stop_desks; km_cleanup' EXIT
km_start_redis "$KM_TMP/redis" || exit 1
km_start_postgres "$KM_TMP/pg" || exit 1
PORT=$(km_free_port) || exit 1
OPS=$(km_free_port) || exit 1
CONF=$KM_TMP/komek.conf
KM_DESK_LISTEN=127.0.0.1:$PORT KM_METRICS_LISTEN=127.0.0.1:$OPS \
    km_write_config "$CONF" 1 desk
"$BUILD/komekctl" -c "$CONF" migrate >/dev/null || exit 1
check "desk tables exist" "2" \
    "$(km_psql "select count(*) from pg_tables where tablename in ('desk_sessions','desk_login_failures')")"

# ---- accounts -----------------------------------------------------------------------------
printf 'alice-secret-1\n' >"$KM_TMP/alice.pw"
"$BUILD/komekctl" -c "$CONF" user add alice --name "Алия" --password-file "$KM_TMP/alice.pw" \
    >/dev/null
check "user add (password file)" 0 $?
printf 'bob-secret-22\n' | "$BUILD/komekctl" -c "$CONF" user add bob --role supervisor >/dev/null
check "user add (stdin)" 0 $?
printf 'carol-secret-3\n' | "$BUILD/komekctl" -c "$CONF" user add carol >/dev/null
"$BUILD/komekctl" -c "$CONF" user disable carol >/dev/null
check "user disable" 0 $?
printf 'short\n' | "$BUILD/komekctl" -c "$CONF" user add dave >/dev/null 2>&1
check "a short password is refused" 2 $?
printf 'alice-secret-1\n' | "$BUILD/komekctl" -c "$CONF" user add alice >/dev/null 2>&1
check "a taken login is refused" 1 $?
"$BUILD/komekctl" -c "$CONF" user add eve --password-file /nonexistent >/dev/null 2>&1
check "an unreadable password file is refused" 2 $?
check "the hash is yescrypt" '$y$' "$(km_psql "select left(password_hash, 3) from operators where login = 'alice'")"
"$BUILD/komekctl" -c "$CONF" user list >"$KM_TMP/list"
check_has "user list shows the supervisor" "supervisor" "$KM_TMP/list"
check_has "user list shows the disabled account" "disabled" "$KM_TMP/list"

# ---- server -------------------------------------------------------------------------------
${KM_VALGRIND:-} "$BUILD/komekd" -c "$CONF" --role desk >"$KM_TMP/desk.log" 2>&1 &
DESK_PID=$!
DESK_PIDS=$DESK_PID
BASE=http://127.0.0.1:$PORT
up() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/")" = 200 ]; }
km_wait 30 up || { echo "FAIL the desk did not come up"; cat "$KM_TMP/desk.log"; exit 1; }

# req METHOD PATH [COOKIEJAR] [CSRF] [BODY]: prints the status; body in $KM_TMP/body,
# headers in $KM_TMP/headers. BASE and CURL_OPTS select the server.
req()
{
    set -- "$1" "$2" "${3:-}" "${4:-}" "${5:-}"
    curl -s ${CURL_OPTS:-} -o "$KM_TMP/body" -D "$KM_TMP/headers" -w '%{http_code}' -X "$1" \
        ${3:+-b "$3"} ${3:+-c "$3"} ${4:+-H "X-CSRF-Token: $4"} \
        ${5:+-H 'Content-Type: application/json'} ${5:+--data-binary "$5"} "$BASE$2"
}
# login JAR LOGIN PASSWORD: signs in, prints the status.
login()
{
    req POST /api/login "$1" "" "{\"login\":\"$2\",\"password\":\"$3\",\"lang\":\"kk\"}"
}
# The CSRF token of the last login's answer.
body_csrf() { sed -n 's/.*"csrf":"\([^"]*\)".*/\1/p' "$KM_TMP/body"; }

check "GET /" 200 "$(req GET /)"
check_has "the page is HTML" "Content-Type: text/html" "$KM_TMP/headers"
check_has "Content-Security-Policy" "Content-Security-Policy: default-src 'self'" "$KM_TMP/headers"
check_has "X-Content-Type-Options" "X-Content-Type-Options: nosniff" "$KM_TMP/headers"
check_has "X-Frame-Options" "X-Frame-Options: DENY" "$KM_TMP/headers"
for f in desk/web/*; do
    [ -f "$f" ] || continue
    check "GET /assets/${f##*/}" 200 "$(req GET "/assets/${f##*/}")"
    break
done
check "an unknown asset" 404 "$(req GET /assets/nope.js)"
check "no path escape" 404 "$(req GET /assets/..%2Fdesk.h)"
check "no session for static files needed, unknown page" 404 "$(req GET /nothing)"

# No endpoint works without a session.
for ep in "GET /api/session" "POST /api/logout" "GET /api/stream" "GET /api/queue" \
    "GET /api/items/telegram%3A1" "POST /api/items/telegram%3A1/claim" \
    "POST /api/items/telegram%3A1/ticket" "GET /api/tickets" "GET /api/templates" \
    "GET /api/supervisor/overview" "GET /api/reports/agencies" "GET /api/watch" \
    "POST /api/watch/reload" "GET /api/users" "POST /api/users" "GET /api/nonexistent"; do
    set -- $ep
    check "$1 $2 without a session" 401 "$(req "$1" "$2")"
done
check_has "401 is JSON" '{"error":' "$KM_TMP/body"
check_has "API answers are not cached" "Cache-Control: no-store" "$KM_TMP/headers"

JAR_A=$KM_TMP/alice.jar
check "wrong password" 401 "$(login "$JAR_A" alice wrong-password)"
check "unknown login" 401 "$(login "$JAR_A" nobody whatever-1)"
check "disabled account" 401 "$(login "$KM_TMP/carol.jar" carol carol-secret-3)"
check "malformed login body" 400 "$(req POST /api/login "" "" '{"login":')"
check "login body not JSON" 415 "$(curl -s -o /dev/null -w '%{http_code}' -d 'login=a' "$BASE/api/login")"
check "operator signs in" 200 "$(login "$JAR_A" alice alice-secret-1)"
CSRF=$(body_csrf)
check_has "login answer" '"login":"alice","name":"Алия","role":"operator","lang":"kk","csrf":"' \
    "$KM_TMP/body"
check_has "cookie is HttpOnly" "HttpOnly" "$KM_TMP/headers"
check_has "cookie is SameSite=Strict" "SameSite=Strict" "$KM_TMP/headers"
check_has "cookie lasts desk_session_ttl" "Max-Age=43200" "$KM_TMP/headers"
check_lacks "no Secure cookie over plain HTTP" "Secure" "$KM_TMP/headers"
TOKEN=$(awk '$6 == "komek_session" { print $7 }' "$JAR_A")
check "the cookie token is 43 characters" 43 "${#TOKEN}"
check "only the token's SHA-256 is stored" 1 \
    "$(km_psql "select count(*) from desk_sessions where token_hash = sha256(convert_to('$TOKEN', 'UTF8'))")"
check "GET /api/session" 200 "$(req GET /api/session "$JAR_A")"
check_has "session answer" "\"csrf\":\"$CSRF\"" "$KM_TMP/body"

# CSRF.
check "logout without CSRF" 403 "$(req POST /api/logout "$JAR_A")"
check_has "csrf error" '{"error":"csrf"}' "$KM_TMP/body"
check "logout with a wrong CSRF" 403 "$(req POST /api/logout "$JAR_A" "x$CSRF")"
check "claim without CSRF" 403 "$(req POST /api/items/telegram%3A1/claim "$JAR_A" "" '{}')"
check_has "claim csrf error" '{"error":"csrf"}' "$KM_TMP/body"
check "malformed JSON with a session" 400 "$(req POST /api/items/telegram%3A1/claim "$JAR_A" "$CSRF" '{"a":')"

# Roles.
check "operator: supervisor overview" 403 "$(req GET /api/supervisor/overview "$JAR_A")"
check "operator: reports" 403 "$(req GET /api/reports/problems "$JAR_A")"
check "operator: watch reload" 403 "$(req POST /api/watch/reload "$JAR_A" "$CSRF" '{}')"
check "operator: users" 403 "$(req GET /api/users "$JAR_A")"
check "operator: add a user" 403 "$(req POST /api/users "$JAR_A" "$CSRF" '{"login":"x"}')"
JAR_B=$KM_TMP/bob.jar
check "supervisor signs in" 200 "$(login "$JAR_B" bob bob-secret-22)"
st=$(req GET /api/supervisor/overview "$JAR_B")
case $st in 401 | 403) check "supervisor: overview is not refused" "not 401/403" "$st" ;;
*) check "supervisor: overview is not refused" "$st" "$st" ;; esac
check "supervisor: users" 403 "$(req GET /api/users "$JAR_B")"

# Body cap.
head -c 1100000 /dev/zero | tr '\0' 'a' >"$KM_TMP/big"
check "body over 1 MiB" 413 "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary @"$KM_TMP/big" "$BASE/api/login")"

# ---- live stream --------------------------------------------------------------------------
: >"$KM_TMP/sse" # exists before curl runs: km_wait gives up on grep's "no such file"
curl -s -N -b "$JAR_A" "$BASE/api/stream" >"$KM_TMP/sse" 2>/dev/null &
SSE_PID=$!
connected() { grep -q ': connected' "$KM_TMP/sse"; }
km_wait 10 connected || echo "FAIL the stream did not open"
redis-cli -p "$KM_REDIS_PORT" XADD '{desk}:posts' '*' v 2 network telegram post_id 4242 \
    priority 1 post '{"text":"big"}' >/dev/null
redis-cli -p "$KM_REDIS_PORT" XADD '{desk}:desk' '*' type claim item telegram:4242 login alice \
    expires 2026-01-01T00:00:00Z >/dev/null
got_post() { grep -q '"post_id":"4242"' "$KM_TMP/sse" && grep -q 'event: claim' "$KM_TMP/sse"; }
km_wait 10 got_post
kill "$SSE_PID" 2>/dev/null
check_has "SSE: a post event" "event: post" "$KM_TMP/sse"
check_has "SSE: its fields" '"network":"telegram","post_id":"4242","priority":"1"' "$KM_TMP/sse"
check_lacks "SSE: without the post JSON" '"post":' "$KM_TMP/sse"
check_has "SSE: a claim event" '"type":"claim","item":"telegram:4242","login":"alice"' "$KM_TMP/sse"
check_has "SSE: an event id" "id: " "$KM_TMP/sse"
# Resuming: what was added while the browser was away comes after Last-Event-ID.
LAST_ID=$(sed -n 's/^id: //p' "$KM_TMP/sse" | tail -n 1)
redis-cli -p "$KM_REDIS_PORT" XADD '{desk}:posts' '*' v 2 network telegram post_id 4243 \
    post '{}' >/dev/null
: >"$KM_TMP/sse2"
curl -s -N -b "$JAR_A" -H "Last-Event-ID: $LAST_ID" "$BASE/api/stream" >"$KM_TMP/sse2" 2>/dev/null &
SSE_PID=$!
got_missed() { grep -q '"post_id":"4243"' "$KM_TMP/sse2"; }
km_wait 10 got_missed
kill "$SSE_PID" 2>/dev/null
check_has "SSE resume: the missed post" '"post_id":"4243"' "$KM_TMP/sse2"
check_lacks "SSE resume: not what was seen" '"post_id":"4242"' "$KM_TMP/sse2"
curl -s -N -m 3 -b "$JAR_A" -H "Last-Event-ID: 1-0_0-0_0-0" "$BASE/api/stream" >"$KM_TMP/sse3" 2>/dev/null
check_has "SSE resume from an unknown id: resync" "event: resync" "$KM_TMP/sse3"

# ---- expiry and logout --------------------------------------------------------------------
km_psql "update desk_sessions set expires_at = now() - interval '1 second'
         where operator = (select id from operators where login = 'bob')" >/dev/null
check "an expired session" 401 "$(req GET /api/session "$JAR_B")"
cp "$JAR_A" "$KM_TMP/old.jar"
check "logout" 200 "$(req POST /api/logout "$JAR_A" "$CSRF")"
check_has "logout clears the cookie" "Max-Age=0" "$KM_TMP/headers"
check "the old cookie no longer works" 401 "$(req GET /api/session "$KM_TMP/old.jar")"
"$BUILD/komekctl" -c "$CONF" user passwd alice --password-file "$KM_TMP/alice.pw" >/dev/null
check "user passwd" 0 $?
check "the same password still works" 200 "$(login "$JAR_A" alice alice-secret-1)"
printf 'alice-secret-2\n' | "$BUILD/komekctl" -c "$CONF" user passwd alice >/dev/null
check "a new password signs out everywhere" 401 "$(req GET /api/session "$JAR_A")"
check "the new password works" 200 "$(login "$JAR_A" alice alice-secret-2)"

# ---- login rate limit ---------------------------------------------------------------------
km_psql "delete from desk_login_failures" >/dev/null
for i in 1 2 3 4 5; do
    check "failed attempt $i" 401 "$(login "$KM_TMP/x.jar" bob "wrong-$i")"
done
check "sixth attempt, right password" 429 "$(login "$KM_TMP/x.jar" bob bob-secret-22)"
check_has "429 says when to retry" "Retry-After: " "$KM_TMP/headers"
check "the address is limited for other logins too" 429 "$(login "$KM_TMP/x.jar" alice alice-secret-2)"
km_psql "delete from desk_login_failures" >/dev/null
check "after the window" 200 "$(login "$KM_TMP/x.jar" bob bob-secret-22)"

curl -s "http://127.0.0.1:$OPS/metrics" >"$KM_TMP/metrics"
check_has "metrics count desk requests" \
    'komek_http_requests_total{server="desk",route="/api/login",code="429"} 2' "$KM_TMP/metrics"

kill "$DESK_PID"
wait "$DESK_PID"
check "komekd --role desk stops cleanly" 0 $?

# ---- TLS ----------------------------------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout "$KM_TMP/key.pem" \
    -out "$KM_TMP/cert.pem" >/dev/null 2>&1 || { echo "FAIL openssl"; exit 1; }
TPORT=$(km_free_port) || exit 1
TCONF=$KM_TMP/tls.conf
KM_DESK_LISTEN=127.0.0.1:$TPORT KM_METRICS_LISTEN=off km_write_config "$TCONF" 1 desk
printf 'desk_tls_cert = %s\n' "$KM_TMP/cert.pem" >"$KM_TMP/half.conf.add"
sed "/^desk_listen/r $KM_TMP/half.conf.add" "$TCONF" >"$KM_TMP/half.conf"
"$BUILD/komekd" --check-config "$KM_TMP/half.conf" >"$KM_TMP/half.out" 2>&1
check "a certificate without a key" 2 $?
check_has "names the keys" "desk_tls_cert and desk_tls_key go together" "$KM_TMP/half.out"
printf 'desk_tls_cert = %s\ndesk_tls_key = %s\n' "$KM_TMP/cert.pem" "$KM_TMP/key.pem" \
    >"$KM_TMP/tls.add"
sed "/^desk_listen/r $KM_TMP/tls.add" "$TCONF" >"$TCONF.new" && mv "$TCONF.new" "$TCONF"
${KM_VALGRIND:-} "$BUILD/komekd" -c "$TCONF" --role desk >"$KM_TMP/tls.log" 2>&1 &
TLS_PID=$!
DESK_PIDS=$TLS_PID
BASE=https://127.0.0.1:$TPORT
CURL_OPTS="--cacert $KM_TMP/cert.pem"
tls_up() { [ "$(curl -s $CURL_OPTS -o /dev/null -w '%{http_code}' "$BASE/")" = 200 ]; }
km_wait 30 tls_up || { echo "FAIL the TLS desk did not come up"; cat "$KM_TMP/tls.log"; }
check "HTTPS: GET /" 200 "$(req GET /)"
check_has "HTTPS: HSTS" "Strict-Transport-Security" "$KM_TMP/headers"
check "HTTPS: sign in" 200 "$(login "$KM_TMP/tls.jar" bob bob-secret-22)"
check_has "HTTPS: Secure cookie" "; Secure" "$KM_TMP/headers"
check "HTTPS: session" 200 "$(req GET /api/session "$KM_TMP/tls.jar")"
plain=$(curl -s -o /dev/null -w '%{http_code}' -m 5 "http://127.0.0.1:$TPORT/api/session")
case $plain in 2*) check "plain HTTP on the TLS port fails" "no 2xx" "$plain" ;;
*) check "plain HTTP on the TLS port fails" "$plain" "$plain" ;; esac
kill "$TLS_PID"
wait "$TLS_PID"
check "the TLS desk stops cleanly" 0 $?
DESK_PIDS=

if [ "$failures" -ne 0 ]; then
    echo "test_desk_auth: $failures failure(s); desk log:"
    tail -n 30 "$KM_TMP/desk.log"
    exit 1
fi
echo "test_desk_auth: all passed"
