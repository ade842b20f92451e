#!/bin/sh
# komekctl report agencies|problems and komekctl places against a real PostgreSQL, on a fixed
# data set of January 2026 (posts and tickets inserted in SQL): the agencies and the
# problems come out in the expected order with the expected figures, as text tables and as
# --json (parsed by python3); --from/--to, --category and --limit narrow them; bad dates,
# options and places.conf lines are refused with exit status 2; PostgreSQL down gives 1.
set -u
here=$(cd "$(dirname "$0")" && pwd)
KM_ROOT=$(cd "$here/../.." && pwd)
export KM_ROOT
BUILD=${BUILD:-build}
cd "$KM_ROOT" || exit 1
. "$here/lib.sh"
. "$here/conf.sh"

# ctl NAME ARGS...: komekctl into $D/NAME (stdout) and $D/NAME.err; sets _rc.
ctl()
{
    _n=$1
    shift
    ${KM_VALGRIND:-} "$BUILD/komekctl" -c "$CONF" "$@" >"$D/$_n" 2>"$D/$_n.err"
    _rc=$?
}

# pycheck DESCRIPTION FILE PYTHON: runs PYTHON with j = the JSON in FILE; it must not raise.
pycheck()
{
    if python3 -c "import json, sys
j = json.load(open(sys.argv[1]))
$3" "$2" >"$D/py.out" 2>&1; then
        echo "ok   $1"
    else
        echo "FAIL $1:"
        cat "$D/py.out" "$2"
        failures=$((failures + 1))
    fi
}

km_init
D=$KM_TMP
km_start_postgres "$D/pg" || exit 1
KM_REDIS_URL=${KM_REDIS_URL:-redis://127.0.0.1:1} # komekctl report does not use Redis
CONF="$D/komek.conf"
km_write_config "$CONF" 9
"$BUILD/komekctl" -c "$CONF" migrate >/dev/null 2>&1 || exit 1

# --- places ----------------------------------------------------------------------------
ctl places places sync
km_check_run "places sync: the shipped places.conf" 0 "$D/places" \
    "places.conf: [0-9]* places, [0-9]* patterns (5 district, [0-9]* street" \
    "^synced; 0 stored post(s) changed place"
_rc=$(km_psql "select count(*) from places where kind = 'district'")
[ "$_rc" = 5 ] || { echo "FAIL places: $_rc districts in the table"; failures=$((failures + 1)); }

# --- the data set ----------------------------------------------------------------------
# Problems (Astana time is UTC+5): heating in Samal (3 authors, 2 days, P2, engagement 50
# without the views),
# roads on Kenesary (5 posts, 4 authors, 3 days, P3), gas in Yesil district (1 post, P1),
# snow with no known place (3 posts of one author, 3 days, P4); gratitude and a post of
# February are left out.
km_psql "
insert into posts (network, post_id, source, author_id, text, category, priority, created_at,
                   post) values
 ('tg', 'h1', 'c', 'u1', 'Мкр Самал, нет отопления', 'heating', 2, '2026-01-10T05:00:00Z',
  '{\"engagement\": {\"likes\": 30, \"reposts\": 10}}'),
 ('tg', 'h2', 'c', 'u2', 'Самал ықшамауданында жылу жоқ', 'heating', 2,
  '2026-01-10T06:00:00Z', '{\"engagement\": {\"replies\": 10, \"views\": 5000}}'),
 ('mastodon', 'h3', 'm', 'u3', 'No heating in Samal microdistrict', 'heating', 3,
  '2026-01-11T06:00:00Z', '{}'),
 ('tg', 'r1', 'c', 'u1', 'Яма на Кенесары', 'roads', 3, '2026-01-12T05:00:00Z', '{}'),
 ('tg', 'r2', 'c', 'u4', 'Кенесары көшесінде шұңқыр', 'roads', 3, '2026-01-12T06:00:00Z', '{}'),
 ('tg', 'r3', 'c', 'u5', 'Kenesary street pothole', 'roads', 3, '2026-01-13T06:00:00Z', '{}'),
 ('tg', 'r4', 'c', 'u6', 'Кенесары 40 яма', 'roads', 4, '2026-01-14T06:00:00Z', '{}'),
 ('tg', 'r5', 'c', 'u6', 'Кенесары 40 всё ещё яма', 'roads', 4, '2026-01-14T07:00:00Z', '{}'),
 ('tg', 'g1', 'c', 'u7', 'Есіл ауданында газ иісі', 'gas', 1, '2026-01-15T06:00:00Z', '{}'),
 ('tg', 's1', 'c', 'u8', 'Двор не чистят', 'snow', 4, '2026-01-16T06:00:00Z', '{}'),
 ('tg', 's2', 'c', 'u8', 'Двор не чистят опять', 'snow', 4, '2026-01-17T06:00:00Z', '{}'),
 ('tg', 's3', 'c', 'u8', 'Двор так и не чистят', 'snow', 4, '2026-01-18T06:00:00Z', '{}'),
 ('tg', 'x1', 'c', 'u9', 'Спасибо за Кенесары', 'gratitude', 4, '2026-01-18T06:00:00Z', '{}'),
 ('tg', 'x2', 'c', 'u9', 'Яма на Кенесары', 'roads', 1, '2026-02-18T06:00:00Z', '{}');
insert into agencies (name) values ('ГКП «Астана Су Арнасы» (сети и колодцы)'), ('Roads'),
                                   ('Lighting');
" >/dev/null || exit 1
# Agencies (tickets of January, due 10 minutes / 7 days after creation): Lighting 2 on time
# (4 h, 6 h: score 100); water 3 on time (1, 2, 3 days) and 1 still open past its deadline
# (75 - 1 = 74);
# Roads 1 on time (5 d) and 2 late (8 d, 10 d: 33.3 - 2 = 31.3).
km_psql "
insert into posts (network, post_id, source, text, post)
 select 't', 'k' || i, 't', 'x', '{}' from generate_series(1, 9) i;
insert into tickets (number, status, category, priority, agency, post, created_by, created_at,
                     reaction_due, resolve_due, first_reaction_at, resolved_at)
select v.n, case when v.done is null then 'assigned' else 'resolved' end, 'x', 3, v.a,
       (select id from posts where post_id = 'k' || v.i), 'test', t.c,
       t.c + interval '10 minutes', t.c + interval '7 days', t.c + interval '5 minutes',
       t.c + v.done::interval
from (values (1, 't1', 'Lighting', '4 hours'), (2, 't2', 'Lighting', '6 hours'),
             (3, 't3', 'ГКП «Астана Су Арнасы» (сети и колодцы)', '1 day'),
             (4, 't4', 'ГКП «Астана Су Арнасы» (сети и колодцы)', '2 days'),
             (5, 't5', 'ГКП «Астана Су Арнасы» (сети и колодцы)', '3 days'),
             (6, 't6', 'ГКП «Астана Су Арнасы» (сети и колодцы)', null),
             (7, 't7', 'Roads', '5 days'), (8, 't8', 'Roads', '8 days'),
             (9, 't9', 'Roads', '10 days')) as v(i, n, a, done),
     lateral (select timestamptz '2026-01-05T04:00:00Z' + v.i * interval '1 hour' as c) t;
" >/dev/null || exit 1

# --- report agencies -------------------------------------------------------------------
RANGE="--from 2026-01-01 --to 2026-01-31"
ctl ag report agencies $RANGE
km_check_run "agencies: ranked by score with their figures" 0 "$D/ag" \
    "tickets created, 2025-12-31T19:00:00Z .. 2026-01-31T19:00:00Z" \
    "^AGENCY  *RECEIVED  *RESOLVED  *ON TIME  *OVERDUE  *OPEN  *MEDIAN  *REACTION  *SCORE$" \
    "^Lighting  *2  *2  *2  *0  *0  *5h 0m  *100%  *100.0$" \
    "^ГКП «Астана Су Арнасы» (сети и колодцы)  *4  *3  *3  *1  *1  *2d 0h  *100%  *74.0$" \
    "^Roads  *3  *3  *1  *2  *0  *8d 0h  *100%  *31.3$"
_rc=$(grep "^Lighting\|^ГКП\|^Roads" "$D/ag" | sed 's/ .*//' | tr '\n' ' ')
[ "$_rc" = "Lighting ГКП Roads " ] ||
    { echo "FAIL agencies order: $_rc"; failures=$((failures + 1)); }
# The columns line up although the names are Cyrillic (2 bytes a letter).
_rc=0
python3 -c "import sys
rows = [l for l in open(sys.argv[1], encoding='utf-8') if l[:4] in ('Ligh', 'Road', 'ГКП ')]
assert len(rows) == 3 and len({len(l) for l in rows}) == 1, rows" "$D/ag" || _rc=1
km_check_run "agencies: columns aligned by characters, not bytes" 0 "$D/ag"
ctl agj report agencies $RANGE --json
km_check_run "agencies --json" 0 "$D/agj"
pycheck "agencies --json: figures" "$D/agj" "
a = j['agencies']
assert j['from'] == '2025-12-31T19:00:00Z' and j['to'] == '2026-01-31T19:00:00Z', j
assert [x['agency'] for x in a] == ['Lighting', 'ГКП «Астана Су Арнасы» (сети и колодцы)',
                                   'Roads'], a
w = a[1]
assert (w['received'], w['resolved'], w['resolved_on_time'], w['overdue'], w['open'],
        w['open_overdue'], w['median_resolve_s'], w['score']) == (4, 3, 3, 1, 1, 1, 172800, 74.0), w
assert a[2]['score'] == 31.3 and a[2]['overdue'] == 2 and a[2]['median_resolve_s'] == 691200
assert a[0]['reaction_on_time_share'] == 1.0"
ctl ag_feb report agencies --from 2026-02-01 --to 2026-02-28 --json
pycheck "agencies in February: nothing received, no score" "$D/ag_feb" "
assert all(x['received'] == 0 and x['score'] is None for x in j['agencies']), j"

# --- report problems -------------------------------------------------------------------
ctl pr report problems $RANGE
km_check_run "problems: ranked, with place, authors, days" 0 "$D/pr" \
    "^1  *168.5  *heating  *мкр Самал  *3  *3  *2  *50  *P2  *67%  *0/0 " \
    "^2  *85.3  *roads  *ул. Кенесары  *5  *4  *3  *0  *P3  *0%  *0/0 " \
    "^3  *83.2  *gas  *район Есиль  *1  *1  *1  *0  *P1  *100%  *0/0 " \
    "^4  *41.6  *snow  *—  *3  *1  *3  *0  *P4  *0%  *0/0 "
_rc=0
grep -q "gratitude" "$D/pr" && _rc=1
km_check_run "problems: gratitude is not a problem" 0 "$D/pr"
ctl prj report problems $RANGE --json
pycheck "problems --json: ranks and figures" "$D/prj" "
p = j['problems']
assert [(x['rank'], x['category'], x['place']) for x in p] == [(1, 'heating', 'мкр Самал'),
    (2, 'roads', 'ул. Кенесары'), (3, 'gas', 'район Есиль'), (4, 'snow', None)], p
r = p[1]
assert (r['posts'], r['authors'], r['days'], r['top_priority'], r['first_seen'],
        r['last_seen']) == (5, 4, 3, 'P3', '2026-01-12T05:00:00Z', '2026-01-14T07:00:00Z'), r
assert p[0]['engagement'] == 50 and p[0]['score'] == 168.5"
ctl prc report problems $RANGE --category roads --json
pycheck "problems --category roads" "$D/prc" "
assert [x['category'] for x in j['problems']] == ['roads'], j"
ctl prl report problems $RANGE --limit 2
km_check_run "problems --limit 2" 0 "$D/prl" "^2  *85.3  *roads"
_rc=0
grep -q "^3 " "$D/prl" && _rc=1
km_check_run "problems --limit 2: no third row" 0 "$D/prl"
ctl prd report problems --from 2026-01-14 --to 2026-01-14 --json
pycheck "problems of one local day (Jan 14, Astana)" "$D/prd" "
assert [(x['category'], x['posts']) for x in j['problems']] == [('roads', 2)], j"
ctl prv report problems
km_check_run "problems, default range (last 30 days): none of January" 0 "$D/prv" "^#  *SCORE"
_rc=0
grep -q "^1 " "$D/prv" && _rc=1
km_check_run "problems, default range: empty" 0 "$D/prv"
_rc=$(km_psql "select count(*) from problems")
[ "$_rc" = 0 ] || { echo "FAIL problems view: $_rc rows"; failures=$((failures + 1)); }
_rc=$(km_psql "select string_agg(category, ',' order by score desc)
               from problems_report('2026-01-01', '2026-02-01')")
[ "$_rc" = "heating,roads,gas,snow" ] ||
    { echo "FAIL problems_report(): $_rc"; failures=$((failures + 1)); }

# --- bad input -------------------------------------------------------------------------
ctl bad_date report agencies --from yesterday
km_check_run "bad --from: exit 2" 2 "$D/bad_date.err" "--from 'yesterday': expected a date YYYY-MM-DD"
ctl bad_day report problems --to 2026-02-30
km_check_run "impossible --to date: exit 2" 2 "$D/bad_day.err" "expected a date"
ctl bad_range report problems --from 2026-02-01 --to 2026-01-01
km_check_run "empty range: exit 2" 2 "$D/bad_range.err" "range is empty"
ctl bad_cat report agencies --category roads
km_check_run "--category with agencies: exit 2" 2 "$D/bad_cat.err" "usage: komekctl"
ctl bad_what report tickets
km_check_run "unknown report: exit 2" 2 "$D/bad_what.err" "usage: komekctl"
ctl bad_limit report problems --limit 0
km_check_run "--limit 0: exit 2" 2 "$D/bad_limit.err" "--limit 0: expected"
sed 's|^places = .*|places = '"$D"'/places.conf|' "$CONF" >"$D/bad.conf"
printf '[district]\nрайон Есиль = есіл аудан\nГ = абв\n[streets]\n' >"$D/places.conf"
"$BUILD/komekctl" -c "$D/bad.conf" check >"$D/check" 2>&1
_rc=$?
km_check_run "check: bad places.conf lines as FILE:LINE, exit 2" 2 "$D/check" \
    "$D/places.conf:3: pattern 'абв' shorter than 4" "$D/places.conf:4: unknown section"
km_pg_stop
ctl down report problems
km_check_run "PostgreSQL down: exit 1" 1 "$D/down.err" "komekctl report: "

[ "$failures" -eq 0 ]
