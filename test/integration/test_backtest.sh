#!/bin/sh
# komekctl backtest against a real PostgreSQL: posts imported and stored by
# `komekd --role tickets --once` are re-triaged. The shipped lexicon changes nothing; a copy
# whose gas life-safety cue "запах* газ" weighs 5 instead of 70 moves the gas post down from
# P1 (summary, matrix, changed post with its new reasons, --json); --since and --limit
# narrow it; a broken lexicon line is reported as FILE:LINE with exit status 2.
set -u
here=$(cd "$(dirname "$0")" && pwd)
KM_ROOT=$(cd "$here/../.." && pwd)
export KM_ROOT
BUILD=${BUILD:-build}
cd "$KM_ROOT" || exit 1
. "$here/lib.sh"
. "$here/conf.sh"

# bt NAME ARGS...: komekctl backtest into $D/NAME (stdout and stderr); sets _rc.
bt()
{
    _n=$1
    shift
    ${KM_VALGRIND:-} "$BUILD/komekctl" -c "$CONF" backtest "$@" >"$D/$_n" 2>&1
    _rc=$?
}

km_init
D=$KM_TMP
km_start_redis "$D/redis" || exit 1
km_start_postgres "$D/pg" || exit 1
CONF="$D/komek.conf"
km_write_config "$CONF" 9 # no fake network: nothing is polled here
"$BUILD/komekctl" -c "$CONF" migrate >/dev/null || exit 1

# A gas smell at a winter night (P1), a near-duplicate of it (an incident of 2), snow,
# rubbish, and a spring pothole.
cat >"$D/posts.jsonl" <<'JSONL'
{"network":"rss","source":"news","id":"gas1","text":"Кенесары 40, в подъезде сильный запах газа, дети дома! #109","created_at":"2026-01-15T18:30:00Z","hashtags":["109"]}
{"network":"rss","source":"news","id":"gas2","text":"Кенесары 40 в подъезде сильный запах газа, дети дома!!! #109","created_at":"2026-01-15T18:40:00Z","hashtags":["109"]}
{"network":"rss","source":"news","id":"snow1","text":"Двор на Республики 15 не чистят от снега неделю, сугробы по колено #109","created_at":"2026-01-16T04:00:00Z","hashtags":["109"]}
{"network":"rss","source":"news","id":"trash1","text":"Во дворе не вывозят мусор неделю, баки переполнены #109","created_at":"2026-01-20T06:00:00Z","hashtags":["109"]}
{"network":"rss","source":"news","id":"road1","text":"На Туран огромная яма на дороге, машины бьют колёса #109","created_at":"2026-04-02T06:00:00Z","hashtags":["109"]}
JSONL
"$BUILD/komekctl" -c "$CONF" import - --source news <"$D/posts.jsonl" >"$D/import" 2>&1 ||
    { cat "$D/import"; exit 1; }
"$BUILD/komekd" -c "$CONF" --role tickets --once >"$D/tickets.log" 2>&1 ||
    { cat "$D/tickets.log"; exit 1; }
_rc=$(km_psql "select count(*) from posts where priority is not null")
[ "$_rc" = 5 ] || { echo "FAIL setup: $_rc scored posts stored, expected 5"; exit 1; }
km_psql "select post_id, category, 'P' || priority, urgency, incident is not null
         from posts order by id" >"$D/stored"

# --- 1. The lexicon the posts were scored with: nothing moves ------------------------------
bt same --lexicon etc/lexicon
km_check_run "shipped lexicon: 5 compared, nothing changes" 0 "$D/same" \
    "5 scored post(s) compared, 0 would change" "^category moves: 0" \
    "^priority moves: 0 up, 0 down (urgency changed for 0)"
bt same_json --lexicon etc/lexicon --routing etc/routing.conf --json
km_check_run "shipped lexicon, --json" 0 "$D/same_json" \
    '^{"compared":5,"changed":0,.*"category_moves":0,.*"up":0,"down":0,.*"changes":\[\]}$'

# --- 2. The gas life-safety cue weakened: the gas posts leave P1 -------------------------
mkdir -p "$D/lex"
cp etc/lexicon/*.lex "$D/lex/"
sed -i 's/^\(life  *ru  *phrase  *\)70\(  *"запах\* газ"\)/\1 5\2/' "$D/lex/cues.lex"
grep -q '^life  *ru  *phrase  *5  *"запах\* газ"' "$D/lex/cues.lex" ||
    { echo "FAIL setup: cues.lex not edited"; exit 1; }
bt weak --lexicon "$D/lex"
km_check_run "weaker gas cue: both gas posts move down from P1" 0 "$D/weak" \
    "5 scored post(s) compared, 2 would change" "^priority moves: 0 up, 2 down" \
    "^  P1  *0  *[0-2]  *[0-2]  *[0-2]$" "^rss:gas1  gas→gas  P1→P[234]" \
    "^rss:gas2  gas→gas  P1→P[234]" "life-safety: \"запах газа\"" "changed posts (2 of 2)"
_rc=0
grep -q "^rss:snow1\|^rss:trash1\|^rss:road1" "$D/weak" && _rc=1
km_check_run "weaker gas cue: other posts not listed" 0 "$D/weak"
bt weak_json --lexicon "$D/lex" --json --limit 1
km_check_run "weaker gas cue, --json --limit 1" 0 "$D/weak_json" \
    '"compared":5,"changed":2,' '"down":2,' '"priority":\[\[0,' \
    '"changes":\[{"id":"rss:gas1","category":{"from":"gas","to":"gas"},"priority":{"from":"P1"'
_rc=0
[ "$(grep -o '"id":"rss:gas' "$D/weak_json" | wc -l)" = 1 ] || _rc=1
km_check_run "--limit 1 shows one changed post" 0 "$D/weak_json"
bt since --lexicon "$D/lex" --since 2026-01-16T00:00:00Z
km_check_run "--since after the gas posts: 3 compared, none changes" 0 "$D/since" \
    "3 scored post(s) compared, 0 would change"

# --- 3. Bad input ------------------------------------------------------------------------
printf 'gas ru word lots газ\n' >>"$D/lex/ru.lex"
line=$(wc -l <"$D/lex/ru.lex")
bt broken --lexicon "$D/lex"
km_check_run "broken lexicon: FILE:LINE, exit 2" 2 "$D/broken" "$D/lex/ru.lex:$line: WEIGHT"
bt nolex --since yesterday
km_check_run "no --lexicon: usage, exit 2" 2 "$D/nolex" "usage: komekctl"
km_pg_stop
bt down --lexicon etc/lexicon
km_check_run "PostgreSQL down: exit 1" 1 "$D/down" "komekctl backtest: "

[ "$failures" -eq 0 ] || { echo "stored posts:"; cat "$D/stored"; }
[ "$failures" -eq 0 ]
