#!/bin/sh
# The command lines: --help, --version, --check-config with located errors, exit codes,
# and komekd's signal handling while Redis and PostgreSQL are unreachable (it must keep
# retrying, survive SIGHUP and exit 0 on SIGTERM).
set -u
here=$(cd "$(dirname "$0")" && pwd)
KM_ROOT=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-build}
cd "$KM_ROOT" || exit 1
. "$here/lib.sh"
failures=0

expect()
{
    # expect DESCRIPTION EXPECTED_STATUS PATTERN CMD...: runs CMD, checks status and output
    _d=$1 _st=$2 _pat=$3
    shift 3
    _out=$("$@" 2>&1)
    _got=$?
    if [ "$_got" != "$_st" ]; then
        echo "FAIL $_d: exit status $_got, expected $_st"
        failures=$((failures + 1))
    elif [ -n "$_pat" ] && ! printf '%s\n' "$_out" | grep -q -- "$_pat"; then
        echo "FAIL $_d: output lacks '$_pat':"
        printf '%s\n' "$_out" | head -n 20
        failures=$((failures + 1))
    else
        echo "ok   $_d"
    fi
}

km_init
D=$KM_TMP

expect "komekd --version" 0 "^komekd [0-9]" "$BUILD/komekd" --version
expect "komekd --help lists collector keys" 0 "poll_timeout" "$BUILD/komekd" --help
expect "komekd bad option" 2 "usage: komekd" "$BUILD/komekd" --bogus
expect "komekd bad role" 2 "unknown role 'x'" "$BUILD/komekd" --role x
expect "komekctl --help" 0 "migrate" "$BUILD/komekctl" --help
expect "komekctl unknown command" 2 "unknown command 'fly'" "$BUILD/komekctl" -c etc/komek.conf fly
expect "sample config is valid" 0 "OK (3 sources, 5 watched tags)" \
    "$BUILD/komekd" --check-config etc/komek.conf
expect "komekctl check" 0 "OK" "$BUILD/komekctl" -c etc/komek.conf check
expect "missing config file" 2 "cannot open" "$BUILD/komekd" --check-config "$D/none.conf"

cat >"$D/bad.conf" <<CONF
[komek]
tags = $KM_ROOT/etc/tags.list
lexicon = $KM_ROOT/etc/lexicon
routing = $KM_ROOT/etc/routing.conf
intervl = 5s

[source tg]
type = telegram
token = 12345:abc
interval = soon

[source feed]
type = rss
CONF
expect "bad config: unknown key at its line" 2 "bad.conf:5: unknown key 'intervl' in \[komek\]" \
    "$BUILD/komekd" --check-config "$D/bad.conf"
expect "bad config: every error in one run" 2 "bad.conf:10: interval = 'soon'" \
    "$BUILD/komekd" --check-config "$D/bad.conf"
expect "bad config: missing required key" 2 "\[source feed\] needs 'url'" \
    "$BUILD/komekd" --check-config "$D/bad.conf"

cat >"$D/badsrc.conf" <<CONF
[komek]
tags = $KM_ROOT/etc/tags.list
lexicon = $KM_ROOT/etc/lexicon
routing = $KM_ROOT/etc/routing.conf
[source m]
type = mastodon
url = https://mastodon.example
tags = a, b, c, d, e
CONF
expect "collector checks run by --check-config" 2 "badsrc.conf:8: mastodon/m: tags: at most 4" \
    "$BUILD/komekd" --check-config "$D/badsrc.conf"

cat >"$D/listen.conf" <<CONF
[komek]
tags = $KM_ROOT/etc/tags.list
lexicon = $KM_ROOT/etc/lexicon
routing = $KM_ROOT/etc/routing.conf
listen = 10.1.2.3:8088
[source hook]
type = webhook
secret = 0123456789abcdef0123
CONF
expect "webhook intake on a public address refused by --check-config" 2 "listen.conf:5: listen:" \
    "$BUILD/komekd" --check-config "$D/listen.conf"

printf '109\n#iKomek\nбад тег\n' >"$D/tags.list"
printf '[komek]\ntags = tags.list\n' >"$D/tags.conf"
expect "tags list: bad line located" 2 "tags.list:3: 'бад тег'" \
    "$BUILD/komekd" --check-config "$D/tags.conf"
expect "tags list: '#tag' line warned" 2 "tags.list:2: warning: '#iKomek' is a comment" \
    "$BUILD/komekd" --check-config "$D/tags.conf"

# Signals while Redis and PostgreSQL are unreachable (closed loopback ports).
port=$(km_free_port)
printf '109\niKomek\n' >"$D/reload.list"
cp -r "$KM_ROOT/etc/lexicon" "$D/lexicon"
cat >"$D/down.conf" <<CONF
[komek]
redis = redis://127.0.0.1:$port/0
postgres = host=127.0.0.1 port=$port user=komek dbname=komek connect_timeout=2
tags = reload.list
lexicon = lexicon
routing = $KM_ROOT/etc/routing.conf
redis_timeout = 500ms
metrics_listen = 127.0.0.1:0
[source feed]
type = rss
url = http://127.0.0.1:$port/rss.xml
interval = 1s
CONF
"$BUILD/komekd" -c "$D/down.conf" >"$D/down.log" 2>&1 &
pid=$!
retrying() { grep -q "cannot load the cursor" "$D/down.log"; }
km_wait 20 retrying || echo "komekd never reported the unreachable Redis"
still_up() { km_pid_alive "$pid"; }
# A valid change is taken on SIGHUP ...
printf '109\niKomek\nАстана\n' >"$D/reload.list"
kill -HUP "$pid"
reloaded() { grep -q "reloaded: 3 watched tags" "$D/down.log"; }
if km_wait 10 reloaded && still_up; then echo "ok   SIGHUP reloads the tags list"; else
    echo "FAIL SIGHUP did not reload the tags list"; tail -n 5 "$D/down.log"; failures=$((failures + 1)); fi
# ... a broken one is refused with its line, and the old list stays in use.
printf '109\nне тег!\n' >"$D/reload.list"
kill -HUP "$pid"
refused() { grep -q "reload failed" "$D/down.log" && grep -q "reload.list:2: 'не тег!'" "$D/down.log"; }
if km_wait 10 refused && still_up; then echo "ok   SIGHUP with a broken tags list keeps the old one"; else
    echo "FAIL broken tags list on SIGHUP"; tail -n 5 "$D/down.log"; failures=$((failures + 1)); fi
# ... and so is a broken lexicon line.
printf '109\niKomek\n' >"$D/reload.list"
echo "gas ru word heavy газище" >>"$D/lexicon/ru.lex"
lexline=$(wc -l <"$D/lexicon/ru.lex")
kill -HUP "$pid"
lex_refused() { grep -q "ru.lex:$lexline:" "$D/down.log"; }
if km_wait 10 lex_refused && still_up; then echo "ok   SIGHUP with a broken lexicon line keeps the old lexicon"; else
    echo "FAIL broken lexicon on SIGHUP"; tail -n 5 "$D/down.log"; failures=$((failures + 1)); fi
# A changed komek.conf: a broken one is refused and the running configuration stays ...
cp "$KM_ROOT/etc/lexicon/ru.lex" "$D/lexicon/ru.lex"
sed -i 's/^\[source feed\]$/[source feed]\ntype = nosuchtype/' "$D/down.conf"
kill -HUP "$pid"
conf_refused() { grep -q "down.conf has errors (see above): keeping the configuration in use" "$D/down.log" &&
    grep -q "nosuchtype" "$D/down.log"; }
if km_wait 10 conf_refused && still_up; then echo "ok   SIGHUP with a broken komek.conf keeps the running one"; else
    echo "FAIL broken komek.conf on SIGHUP"; tail -n 5 "$D/down.log"; failures=$((failures + 1)); fi
# ... a valid change restarts the roles with it, in the same process.
sed -i '/^type = nosuchtype$/d; s/^interval = 1s$/interval = 2s/' "$D/down.conf"
sed -i 's/^\[source feed\]$/log_format = json\n[source feed]/' "$D/down.conf"
kill -HUP "$pid"
restarted() { grep -q '"msg":"komekd .* starting: config' "$D/down.log"; }
if km_wait 20 restarted && still_up; then echo "ok   SIGHUP with a changed komek.conf restarts the roles with it (JSON logs now)"; else
    echo "FAIL changed komek.conf on SIGHUP"; tail -n 8 "$D/down.log"; failures=$((failures + 1)); fi
if grep -q "restarting the roles with the new configuration" "$D/down.log"; then
    echo "ok   the restart is logged"; else echo "FAIL the restart is not logged"; failures=$((failures + 1)); fi
kill -TERM "$pid"
wait "$pid"
st=$?
if [ "$st" = 0 ]; then echo "ok   SIGTERM with servers down: exit 0"; else
    echo "FAIL SIGTERM with servers down: exit $st"; tail -n 20 "$D/down.log"; failures=$((failures + 1)); fi

[ "$failures" -eq 0 ]
