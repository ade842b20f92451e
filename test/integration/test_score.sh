#!/bin/sh
# komekctl score and the triage part of komekctl check (no servers): a gas smell is P1 with
# its life-safety reason and the numbers to call; JSON lines with reposts share an incident;
# a malformed line is reported by its number with exit status 1; a broken lexicon file is
# reported by FILE:LINE.
set -u
here=$(cd "$(dirname "$0")" && pwd)
KM_ROOT=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-build}
cd "$KM_ROOT" || exit 1
. "$here/lib.sh"
failures=0
km_init
D=$KM_TMP
CTL="$BUILD/komekctl -c etc/komek.conf"
NOW=2026-01-15T23:30:00+05:00

check()
{
    # check DESCRIPTION EXPECTED_STATUS FILE PATTERN...: every PATTERN must be in FILE
    _d=$1 _st=$2 _f=$3
    shift 3
    if [ "$_rc" != "$_st" ]; then
        echo "FAIL $_d: exit status $_rc, expected $_st"
        failures=$((failures + 1))
        return
    fi
    for _p in "$@"; do
        if ! grep -q -- "$_p" "$_f"; then
            echo "FAIL $_d: lacks '$_p':"
            head -n 20 "$_f"
            failures=$((failures + 1))
            return
        fi
    done
    echo "ok   $_d"
}

$CTL score --now "$NOW" "Кенесары 40, в подъезде сильный запах газа, дети дома!" >"$D/gas" 2>&1
_rc=$?
check "score: gas smell is P1" 0 "$D/gas" "^category: gas" "^priority: P1" \
    "life-safety: \"запах газа\"" "P1 emergency: call 104" "^SLA due: "

cat >"$D/in.jsonl" <<'JSONL'
{"id":"a","network":"telegram","text":"на Сарыарке 12 прорвало трубу, кипяток заливает подвал и двор, пар валит","created_at":"2026-01-15T10:00:00Z"}
{"id":"b","network":"telegram","text":"на Сарыарке 12 прорвало трубу, кипяток заливает подвал и двор, пар валит!!! #109","created_at":"2026-01-15T10:05:00Z"}
{"id":"c","network":"telegram","text":"репост","reply_to":"a","engagement":{"likes":40,"reposts":3}}
JSONL
$CTL score --jsonl --now "$NOW" <"$D/in.jsonl" >"$D/out" 2>&1
_rc=$?
check "score --jsonl: three verdicts" 0 "$D/out" '"id":"a".*"priority":"P1"' '"id":"b"' '"id":"c"'
inc=$(grep -o '"incident":"[^"]*"' "$D/out" | sort -u | wc -l)
ndup=$(grep -c '"dup_of":"telegram:a"' "$D/out")
_rc=0
[ "$inc" = 1 ] && [ "$ndup" = 2 ] || _rc=1
check "score --jsonl: reposts share the incident and point to the first post" 0 "$D/out"

printf '%s\n' '{"id":"x","text":"во дворе не вывозят мусор неделю"}' '{"id":"y" "text"}' \
    '{"id":"z","text":"нет света"}' | $CTL score --jsonl >"$D/bad" 2>&1
_rc=$?
check "score --jsonl: malformed line reported, others scored" 1 "$D/bad" "^stdin:2: malformed JSON" \
    '"id":"x"' '"id":"z"'

mkdir -p "$D/lex"
cp etc/lexicon/*.lex "$D/lex/"
printf 'gas ru word lots газ\n' >>"$D/lex/ru.lex"
line=$(wc -l <"$D/lex/ru.lex")
sed "s|^lexicon = .*|lexicon = $D/lex|; s|^routing = .*|routing = $KM_ROOT/etc/routing.conf|; s|^tags = tags.list|tags = $KM_ROOT/etc/tags.list|" \
    etc/komek.conf >"$D/k.conf"
grep -q "^lexicon = $D/lex" "$D/k.conf" || { echo "FAIL etc/komek.conf has no lexicon line to point elsewhere"; exit 1; }
"$BUILD/komekctl" -c "$D/k.conf" check >"$D/chk" 2>&1
_rc=$?
check "check: broken lexicon reported at FILE:LINE" 2 "$D/chk" "$D/lex/ru.lex:$line: WEIGHT"

[ "$failures" -eq 0 ]
