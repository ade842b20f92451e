#!/bin/sh
# Replies through the fake networks: runs build/test/test_collectors_reply with
# KM_FAKENET_URL pointing at a build/fakenet, so that its test_fakenet case sends a Telegram
# reply, a Mastodon reply and a VK comment, reads them back from GET /_fake/replies and
# checks reply-only faults (telegram-reply:429, mastodon-reply:http500); then `komekctl check`
# on a broken replies.conf. No Redis or PostgreSQL needed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
. "$here/conf.sh"
BUILD=${BUILD:-build}
cd "$root" || exit 1
for t in fakenet komekctl test/test_collectors_reply; do
    [ -x "$BUILD/$t" ] || make --no-print-directory BUILD="$BUILD" "$BUILD/$t" >/dev/null || exit 1
done
km_init
"$BUILD/fakenet" --port 0 --posts test/data/sample-posts.jsonl --token "$KM_FAKE_TOKEN" \
    --port-file "$KM_TMP/fake.port" >"$KM_TMP/fakenet.log" 2>&1 &
FAKE_PID=$!
km_wait 10 test -s "$KM_TMP/fake.port" || { echo "FAIL fakenet did not start"; exit 1; }
KM_FAKENET_URL=http://127.0.0.1:$(cat "$KM_TMP/fake.port")
export KM_FAKENET_URL
rc=0
${KM_VALGRIND:-} "$BUILD/test/test_collectors_reply" || rc=1
# The fake counted the run's replies as skipped-or-not: the test must not have been skipped.
if [ "$(curl -s "$KM_FAKENET_URL/_fake/replies" | grep -o '"network"' | wc -l)" -ne 3 ]; then
    echo "FAIL fakenet did not record the 3 replies"
    rc=1
fi
kill -TERM "$FAKE_PID" 2>/dev/null
wait "$FAKE_PID" 2>/dev/null

# komekctl check reports every bad template line as FILE:LINE and fails.
printf '[ru]\nreceived = {tiket}\n' >"$KM_TMP/replies.conf"
printf '[komek]\ntags = %s/etc/tags.list\nlexicon = %s/etc/lexicon\nrouting = %s/etc/routing.conf\nplaces = %s/etc/places.conf\nreplies = replies.conf\n' \
    "$root" "$root" "$root" "$root" >"$KM_TMP/komek.conf"
"$BUILD/komekctl" -c "$KM_TMP/komek.conf" check >"$KM_TMP/check.out" 2>&1
crc=$?
if [ $crc -ne 2 ] || ! grep -q "replies.conf:2: unknown placeholder {tiket}" "$KM_TMP/check.out" ||
    ! grep -q "replies.conf:1: \[ru\] lacks template 'forwarded'" "$KM_TMP/check.out"; then
    echo "FAIL komekctl check on a bad replies.conf (exit $crc):"
    cat "$KM_TMP/check.out"
    rc=1
fi
[ $rc -eq 0 ] && echo "PASS replies through fakenet"
exit $rc
