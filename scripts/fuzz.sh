#!/bin/sh
# Seeds and runs the libFuzzer targets of test/fuzz/ (built by `make fuzz-build`).
#
#   scripts/fuzz.sh seed  NAME...          copy seeds into build/fuzz/corpus/NAME/
#   scripts/fuzz.sh run   SECONDS NAME...  replay, then fuzz each target for SECONDS
#   scripts/fuzz.sh smoke SECONDS NAME...  the same from the seeds alone, in
#                                          build/fuzz/smoke-corpus/ (make check)
#
# Seeds come from test/fixtures/ (error fixtures also as "HTTP <code>" records, multi-step
# exchanges for Bluesky and Instagram, see test/fuzz/fuzz_collector.h), etc/ and
# test/fuzz/seeds/NAME/. The generated corpus stays under build/ and is never committed.
# Each run first replays test/fuzz/regress/NAME/ (inputs that once crashed) and the seeds,
# then fuzzes; crashes land in build/fuzz/artifacts/NAME/. Targets run FUZZ_JOBS at a time
# (default: the number of CPUs). Prints one line per target: executions, executions per
# second, corpus size, and OK or FAILED with the log to read.
set -u
cd "$(dirname "$0")/.." || exit 1

OUT=${FUZZ_OUT:-build/fuzz}
FIX=test/fixtures
JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}

# Writes file $2 as "HTTP <code>" record if its name says a status (error_429.json), else as is.
put() { # put DIR FILE [PREFIX]
    [ -f "$2" ] || return 0
    base=$(basename "$2")
    code=$(printf '%s' "$base" | sed -n 's/^error_\([1-5][0-9][0-9]\).*/\1/p')
    case "$base" in bad_gateway*) code=502 ;; esac
    if [ -n "$code" ]; then
        { printf '%sHTTP %s\nRetry-After: 7\n\n' "${3:-}" "$code"; cat "$2"; } > "$1/${3:+v}$base"
    else
        { printf '%s' "${3:-}"; cat "$2"; } > "$1/${3:+v}$base"
    fi
}

# Two or more files as one input of consecutive exchanges.
chain() { # chain OUTFILE FILE...
    out=$1
    shift
    : > "$out"
    first=1
    for f in "$@"; do
        [ "$first" = 1 ] || printf '\n--next--\n' >> "$out"
        first=0
        cat "$f" >> "$out"
    done
}

# The text of each JSON-lines post, one seed per post (triage).
texts() { # texts DIR FILE...
    python3 - "$@" <<'EOF'
import json, sys
d = sys.argv[1]
n = 0
for path in sys.argv[2:]:
    for line in open(path, encoding="utf-8"):
        try:
            t = json.loads(line).get("text")
        except ValueError:
            continue
        if isinstance(t, str) and n < 300:
            open("%s/post%03d.txt" % (d, n), "w", encoding="utf-8").write(t)
            n += 1
EOF
}

seed() { # seed NAME (into $CORPUS/NAME, keeping what is there)
    d=$CORPUS/$1
    mkdir -p "$d"
    case $1 in
    telegram | mastodon | vk | x | instagram | bluesky | json_api)
        net=$1
        [ "$1" = json_api ] && net=json
        for f in "$FIX/$net"/*; do put "$d" "$f"; done ;;
    esac
    case $1 in
    telegram)
        rm -f "$d/webhook_update.json" ;;
    telegram_webhook)
        for f in webhook_update.json updates.json invalid_utf8.json deep_nesting.json \
            truncated.json; do put "$d" "$FIX/telegram/$f"; done ;;
    mastodon)
        { printf 'HTTP 200\nLink: <https://mastodon.social/api/v1/timelines/tag/x?max_id=1>;'
          printf ' rel="next", <https://mastodon.social/api/v1/timelines/tag/x?min_id=9>;'
          printf ' rel="prev"\nX-RateLimit-Remaining: 0\n\n'
          cat "$FIX/mastodon/tag_page.json"; } > "$d/link_tag_page.json"
        put "$d" "$FIX/mastodon/tag_page.json" '#1
' ;;
    bluesky)
        chain "$d/login_search.txt" "$FIX/bluesky/session.json" "$FIX/bluesky/search_page.json" \
            "$FIX/bluesky/search_empty.json"
        for e in "$FIX"/bluesky/error_*.json; do
            put "$d" "$e"
            chain "$d/login_$(basename "$e")" "$FIX/bluesky/session.json" "$d/$(basename "$e")" \
                "$FIX/bluesky/refresh.json" "$FIX/bluesky/search_page.json"
        done ;;
    instagram)
        chain "$d/lookup_media.txt" "$FIX/instagram/hashtag_search.json" \
            "$FIX/instagram/recent_media_page1.json" "$FIX/instagram/recent_media_last.json"
        chain "$d/lookup_malformed.txt" "$FIX/instagram/hashtag_search.json" \
            "$FIX/instagram/recent_media_malformed.json" ;;
    json_api)
        put "$d" "$FIX/json/feed_page.json" '#1
' ;;
    webhook)
        for f in "$FIX"/webhook/*.json; do put "$d" "$f"; put "$d" "$f" '#1
'; done ;;
    rss | feed)
        for f in "$FIX"/rss/* "$FIX"/parser/*.xml; do put "$d" "$f"; done ;;
    html)
        for f in "$FIX"/*/garbage.html "$FIX"/telegram/bad_gateway.html "$FIX"/parser/*.xml; do
            cp "$f" "$d/$(basename "$(dirname "$f")")_$(basename "$f")"
        done ;;
    json)
        for f in "$FIX"/*/*.json; do
            cp "$f" "$d/$(basename "$(dirname "$f")")_$(basename "$f")"
        done ;;
    post)
        split -l 1 -a 3 "$FIX/import/posts.jsonl" "$d/line"
        for f in "$FIX"/webhook/*.json; do cp "$f" "$d/webhook_$(basename "$f")"; done ;;
    conf)
        for f in "$FIX"/conf/*.conf etc/komek.conf; do
            [ -f "$f" ] && cp "$f" "$d/$(basename "$f")"
        done ;;
    lexicon)
        # in pieces of 12 lines: a whole Kazakh file takes a second under the sanitizers
        for f in etc/lexicon/*.lex "$FIX"/triage/lexicon-bad/*.lex; do
            split -l 12 -a 3 "$f" "$d/$(basename "$(dirname "$f")")_$(basename "$f" .lex)_"
        done ;;
    routing)
        for f in etc/routing.conf "$FIX"/triage/routing-*.conf; do
            [ -f "$f" ] && cp "$f" "$d/$(basename "$f")"
        done ;;
    tags)
        cp etc/tags.list "$d/" ;;
    import)
        for f in "$FIX"/import/*; do cp "$f" "$d/"; done ;;
    triage)
        texts "$d" test/data/sample-posts.jsonl ;;
    esac
    if [ -d "test/fuzz/seeds/$1" ]; then
        cp test/fuzz/seeds/"$1"/* "$d/" 2>/dev/null
    fi
    return 0
}

# The dictionary of a target: the syntax it parses.
dict() { # dict NAME -> path or nothing
    case $1 in
    telegram | telegram_webhook | mastodon | vk | x | bluesky | instagram | json_api | webhook)
        parts="json http" ;;
    json | post | import) parts=json ;;
    rss | feed | html) parts=xml ;;
    conf | routing | tags) parts=ini ;;
    lexicon) parts="lex" ;;
    *) return 0 ;;
    esac
    mkdir -p "$OUT/dict"
    for p in $parts; do cat "test/fuzz/dict/$p.dict"; done > "$OUT/dict/$1.dict"
    echo "-dict=$OUT/dict/$1.dict"
}

# Runs one target: replay regressions and seeds, then fuzz for $2 seconds.
run_one() { # run_one NAME SECONDS
    bin=$OUT/fuzz_$1
    log=$OUT/logs/$1.log
    art=$OUT/artifacts/$1
    mkdir -p "$OUT/logs" "$art"
    seed "$1"
    status=OK
    reg=test/fuzz/regress/$1
    if [ -d "$reg" ] && [ -n "$(ls -A "$reg" 2>/dev/null)" ]; then
        "$bin" "$reg"/* > "$log.replay" 2>&1 < /dev/null || status=FAILED
    fi
    if [ "$status" = OK ]; then
        # shellcheck disable=SC2046
        "$bin" -max_total_time="$2" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
            -print_final_stats=1 -artifact_prefix="$art/" $(dict "$1") \
            "$CORPUS/$1" > "$log" 2>&1 < /dev/null || status=FAILED
    else
        mv "$log.replay" "$log"
    fi
    rm -f "$log.replay"
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    files=$(find "$CORPUS/$1" -type f | wc -l)
    printf '%-18s %10s runs %8s exec/s %6s inputs  %s%s\n' "$1" "${runs:-?}" "${rate:-?}" \
        "$files" "$status" "$([ "$status" = OK ] || echo " (see $log)")"
    [ "$status" = OK ]
}

cmd=${1:-}
# `run` keeps growing build/fuzz/corpus/NAME; `smoke` starts from the seeds every time.
CORPUS=$OUT/corpus
if [ "$cmd" = smoke ]; then
    CORPUS=$OUT/smoke-corpus
    rm -rf "$CORPUS"
fi
case $cmd in
seed)
    shift
    for n in "$@"; do seed "$n"; done ;;
run | smoke)
    secs=$2
    shift 2
    fails=0
    start=$(date +%s)
    tmp=$(mktemp -d)
    i=0
    for n in "$@"; do
        (run_one "$n" "$secs" > "$tmp/$n.out" 2>&1 || touch "$tmp/$n.failed") &
        i=$((i + 1))
        if [ "$i" -ge "$JOBS" ]; then
            wait
            i=0
        fi
    done
    wait
    for n in "$@"; do
        cat "$tmp/$n.out"
        [ -e "$tmp/$n.failed" ] && fails=$((fails + 1))
    done
    rm -rf "$tmp"
    echo "fuzz: $# targets, $fails failed, $(($(date +%s) - start)) s"
    [ "$fails" -eq 0 ] ;;
*)
    sed -n '2,17p' "$0"
    exit 2 ;;
esac
