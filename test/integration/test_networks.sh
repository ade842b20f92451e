#!/bin/sh
# One collector at a time against its fake server, through Redis into PostgreSQL: every
# sample post with a watched tag arrives exactly once, untagged ones never.
#
# Each network is one `check_network` line at the end: its NAME (used as the source name,
# the Redis namespace and the database), the `type =` and the source's keys (FAKE is
# replaced by the fake's http://127.0.0.1:PORT), and which count of expected.py applies
# ("any" when the fake serves every sample post, or a network name).
set -u
here=$(cd "$(dirname "$0")" && pwd)
KM_ROOT=$(cd "$here/../.." && pwd)
export KM_ROOT
BUILD=${BUILD:-build}
cd "$KM_ROOT" || exit 1
. "$here/lib.sh"
. "$here/conf.sh"
failures=0

check()
{
    if [ "$2" = "$3" ]; then
        echo "ok   $1: $3"
    else
        echo "FAIL $1: expected $2, got $3"
        failures=$((failures + 1))
    fi
}

expected()
{
    python3 "$here/expected.py" test/data/sample-posts.jsonl etc/tags.list | awk -v k="$1" '$1 == k { print $2 }'
}

psql_db()
{
    "$KM_PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$KM_PG_PORT" -U komek \
        -d "$1" -c "$2"
}

# check_network NAME TYPE COUNT "key = value;key = value" [FAKENET ARGS...]
check_network()
{
    _name=$1 _type=$2 _count=$3 _keys=$4
    shift 4
    rm -f "$KM_TMP/$_name.port"
    "$BUILD/fakenet" --port 0 --posts test/data/sample-posts.jsonl --token "$KM_FAKE_TOKEN" \
        --port-file "$KM_TMP/$_name.port" "$@" >"$KM_TMP/fake-$_name.log" 2>&1 &
    _fake=$!
    km_wait 10 test -s "$KM_TMP/$_name.port" || { echo "fakenet did not start" >&2; exit 1; }
    _fake_url="http://127.0.0.1:$(cat "$KM_TMP/$_name.port")"
    "$KM_PG_BIN/createdb" -h 127.0.0.1 -p "$KM_PG_PORT" -U komek "$_name" || exit 1
    _conf="$KM_TMP/$_name.conf"
    {
        echo "[komek]"
        echo "redis = $KM_REDIS_URL"
        echo "postgres = ${KM_PG_CONNINFO% dbname=komek} dbname=$_name"
        echo "namespace = $_name"
        echo "tags = $KM_ROOT/etc/tags.list"
        echo "lexicon = $KM_ROOT/etc/lexicon"
        echo "routing = $KM_ROOT/etc/routing.conf"
        echo "consumer = test"
        echo
        echo "[source $_name]"
        echo "type = $_type"
        echo "interval = 0s"
        echo "timeout = 5s"
        echo "$_keys" | tr ';' '\n' | sed "s|FAKE|$_fake_url|g; s/^ *//"
    } >"$_conf"
    "$BUILD/komekctl" -c "$_conf" migrate >/dev/null || exit 1
    # --once rounds until nothing new arrives (paging may need several), at most 20.
    _want=$(expected "$_count")
    _round=0
    while [ "$_round" -lt 20 ]; do
        _round=$((_round + 1))
        ${KM_VALGRIND:-} "$BUILD/komekd" -c "$_conf" --once >>"$KM_TMP/$_name.log" 2>&1 ||
            { echo "FAIL $_name: komekd --once failed, see $KM_TMP/$_name.log"; failures=$((failures + 1)); break; }
        [ "$(psql_db "$_name" 'select count(*) from posts')" -ge "$_want" ] && break
    done
    # One more round must add nothing.
    ${KM_VALGRIND:-} "$BUILD/komekd" -c "$_conf" --once >>"$KM_TMP/$_name.log" 2>&1
    check "$_name: rows" "$_want" "$(psql_db "$_name" 'select count(*) from posts')"
    check "$_name: stream entries" "$_want" "$(km_stream_posts "{$_name}:posts")"
    check "$_name: rows of network $_type" "$_want" \
        "$(psql_db "$_name" "select count(*) from posts where network = '$_type'")"
    check "$_name: rows without a watched tag" 0 "$(psql_db "$_name" "select count(*) from posts
        where not hashtags && array['109','ikomek','астана','акиматастаны','astana']")"
    kill -TERM "$_fake" 2>/dev/null
    wait "$_fake" 2>/dev/null
}

km_init
km_start_redis "$KM_TMP/redis" || exit 1
km_start_postgres "$KM_TMP/pg" || exit 1

check_network rssfeed rss rss "url = FAKE/rss.xml"
check_network vkfeed vk any "url = FAKE;token = $KM_FAKE_TOKEN;count = 10;tags = 109, iKomek, Астана, акиматАстаны, Astana" \
    --fault vk:429 --fault vk:http503 --fault vk:badutf8 --fault vk:vkflood
check_network xsearch x any "url = FAKE;token = $KM_FAKE_TOKEN;tags = 109, iKomek, Астана, акиматАстаны, Astana" --numeric-tags --fault x:429 --fault x:http503 --fault x:badutf8
check_network igsearch instagram any "url = FAKE;token = EAAKomekFakeInstagramToken109;user_id = 17841400000000001;tags = 109, iKomek, Астана, акиматАстаны, Astana;limit = 20" --fault instagram:429 --fault instagram:http503 --fault instagram:garbage:2
check_network portal json any "url = FAKE/portal/api/reports;token = $KM_FAKE_TOKEN;items = /data/items;id = /report_id;text = /body;created_at = /ts;author = /user/name;url_field = /link;cursor = /next" --fault json:429 --fault json:http500 --fault json:badutf8
check_network bsky bluesky any "url = FAKE;identifier = komek109.bsky.social;password = k0mk-109a-stna-fake;tags = 109, iKomek, Астана, акиматАстаны, Astana;limit = 10" --fault bluesky:429 --fault bluesky:http503 --fault bluesky:badutf8:2

if [ "$failures" -ne 0 ]; then
    KM_KEEP=1
    echo "logs in $KM_TMP (kept)"
    exit 1
fi
