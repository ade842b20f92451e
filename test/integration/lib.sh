# Harness for komek's integration tests: real redis-server and PostgreSQL on random
# loopback ports, in the way of hiredis's test.sh and Redis's start_server. POSIX sh.
#
#   . "$(dirname "$0")/lib.sh"
#   km_init                        # $KM_TMP, and a trap that stops everything on exit
#   km_start_redis "$KM_TMP/redis" # exports KM_REDIS_PORT, KM_REDIS_URL, KM_REDIS_PID
#   km_start_postgres "$KM_TMP/pg" # exports KM_PG_PORT, KM_PG_CONNINFO
#   ...                            # km_redis_kill, km_redis_restart, km_pg_stop, km_pg_start
#
# The servers' pids live in files under their directories (not only in shell variables), so
# a child process that sources this file with the exported variables (a C test running
# `sh -c '. "$KM_HARNESS" && km_redis_restart'`) can restart them and km_stop_all still
# finds the new ones. Set KM_KEEP=1 to keep $KM_TMP (logs, data) after the run.

# Readiness limit for a freshly started server, in seconds. This is a wait for a server to
# come up, not a test synchronisation.
KM_START_LIMIT=${KM_START_LIMIT:-10}

# Creates $KM_TMP and installs the trap that stops the servers and removes it.
km_init()
{
    KM_TMP=$(mktemp -d "${TMPDIR:-/tmp}/komek-test.XXXXXX") || exit 1
    chmod 755 "$KM_TMP" # PostgreSQL runs as another user when we are root
    export KM_TMP
    trap 'km_cleanup' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

km_cleanup()
{
    km_stop_all
    if [ -n "${KM_TMP:-}" ] && [ -z "${KM_KEEP:-}" ]; then
        rm -rf "$KM_TMP"
    fi
}

km_stop_all()
{
    # Background helpers started through km_start_fake (and komekd runs a test registers).
    if [ -n "${KM_TMP:-}" ] && [ -f "$KM_TMP/bg.pids" ]; then
        while read -r _pid; do
            kill -TERM "$_pid" 2>/dev/null
        done <"$KM_TMP/bg.pids"
        rm -f "$KM_TMP/bg.pids"
    fi
    if [ -n "${KM_REDIS_DIR:-}" ]; then
        km_redis_kill TERM
    fi
    if [ -n "${KM_PG_DIR:-}" ]; then
        km_pg_stop
    fi
}

# Prints a TCP port that was free on 127.0.0.1 a moment ago.
km_free_port()
{
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])' && return 0
    fi
    for _i in 1 2 3 4 5 6 7 8 9 10; do
        _p=$(awk 'BEGIN { srand(); print 20000 + int(rand() * 40000) }')
        if ! ss -ltnH "sport = :$_p" 2>/dev/null | grep -q .; then
            echo "$_p"
            return 0
        fi
    done
    return 1
}

# km_wait SECONDS CMD...: runs CMD every 50 ms until it succeeds (0), gives up (3) or the
# limit passes. Returns 0 on success. (Not 2 for giving up: that is grep's answer for a log
# file a background process has not created yet, which only means "not yet".)
km_wait()
{
    _n=$(($1 * 20))
    shift
    while [ "$_n" -gt 0 ]; do
        "$@"
        case $? in
        0) return 0 ;;
        3) return 1 ;;
        esac
        sleep 0.05
        _n=$((_n - 1))
    done
    return 1
}

# True while process $1 exists and is not a zombie (a killed server that its parent shell
# has not reaped yet must count as gone).
km_pid_alive()
{
    [ -r "/proc/$1/stat" ] || return 1
    _st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
    [ -n "$_st" ] && [ "$_st" != Z ]
}

# ---- Redis ---------------------------------------------------------------------------

km_redis_ready()
{
    km_pid_alive "$(cat "$KM_REDIS_DIR/redis.pid")" || return 3
    [ "$(redis-cli -h 127.0.0.1 -p "$KM_REDIS_PORT" ping 2>/dev/null)" = PONG ]
}

# Starts redis-server with the current KM_REDIS_PORT and KM_REDIS_DIR (AOF kept there).
km_redis_launch()
{
    # setsid: a Ctrl-C meant for the script must not kill Redis before the script's own
    # cleanup has stopped what depends on it.
    setsid redis-server --port "$KM_REDIS_PORT" --bind 127.0.0.1 --dir "$KM_REDIS_DIR" --save "" \
        --appendonly yes --daemonize no --logfile "$KM_REDIS_DIR/redis.log" \
        </dev/null >/dev/null 2>&1 &
    KM_REDIS_PID=$!
    export KM_REDIS_PID
    echo "$KM_REDIS_PID" >"$KM_REDIS_DIR/redis.pid"
    if ! km_wait "$KM_START_LIMIT" km_redis_ready; then
        echo "lib.sh: redis-server on port $KM_REDIS_PORT did not come up; its log:" >&2
        tail -n 20 "$KM_REDIS_DIR/redis.log" >&2
        return 1
    fi
}

# km_start_redis DIR: a new redis-server on a free loopback port, data in DIR.
km_start_redis()
{
    mkdir -p "$1" || return 1
    KM_REDIS_DIR=$(cd "$1" && pwd)
    export KM_REDIS_DIR
    for _try in 1 2 3; do # the port may be taken between picking and binding
        KM_REDIS_PORT=$(km_free_port) || return 1
        KM_REDIS_URL="redis://127.0.0.1:$KM_REDIS_PORT"
        export KM_REDIS_PORT KM_REDIS_URL
        km_redis_launch 2>"$KM_REDIS_DIR/start.err" && return 0
    done
    cat "$KM_REDIS_DIR/start.err" >&2
    return 1
}

# km_redis_kill [SIGNAL]: stops the server (default KILL, a crash; TERM shuts down cleanly)
# and waits until it is gone.
km_redis_kill()
{
    [ -f "$KM_REDIS_DIR/redis.pid" ] || return 0
    _pid=$(cat "$KM_REDIS_DIR/redis.pid")
    if km_pid_alive "$_pid"; then
        kill -s "${1:-KILL}" "$_pid" 2>/dev/null
        if ! km_wait "$KM_START_LIMIT" km_pid_gone "$_pid"; then
            kill -s KILL "$_pid" 2>/dev/null
            km_wait "$KM_START_LIMIT" km_pid_gone "$_pid"
        fi
    fi
    rm -f "$KM_REDIS_DIR/redis.pid"
}

km_pid_gone()
{
    ! km_pid_alive "$1"
}

# km_redis_restart [SIGNAL]: kills the server (default KILL) and starts it again on the same
# port with the same directory, so that it reloads its AOF.
km_redis_restart()
{
    km_redis_kill "${1:-KILL}"
    km_redis_launch
}

# ---- PostgreSQL ----------------------------------------------------------------------

# The OS user that runs PostgreSQL when we are root (it refuses to run as root).
km_pg_os_user()
{
    if id postgres >/dev/null 2>&1; then
        echo postgres
        return 0
    fi
    if ! id komektest >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin komektest || return 1
    fi
    echo komektest
}

# Runs a PostgreSQL server command as KM_PG_USER (if set), from / so that an unreadable
# working directory does not matter.
km_pg_run()
{
    if [ -n "${KM_PG_USER:-}" ]; then
        (cd / && runuser -u "$KM_PG_USER" -- "$@")
    else
        "$@"
    fi
}

km_pg_start()
{
    if ! km_pg_run "$KM_PG_BIN/pg_ctl" -D "$KM_PG_DIR/data" -l "$KM_PG_DIR/postgres.log" \
        -w -t "$KM_START_LIMIT" -o "-p $KM_PG_PORT -k $KM_PG_DIR \
        -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null; then
        echo "lib.sh: PostgreSQL on port $KM_PG_PORT did not come up; its log:" >&2
        tail -n 20 "$KM_PG_DIR/postgres.log" >&2
        return 1
    fi
}

km_pg_stop()
{
    if [ -f "$KM_PG_DIR/data/postmaster.pid" ]; then
        km_pg_run "$KM_PG_BIN/pg_ctl" -D "$KM_PG_DIR/data" -m fast -w stop >/dev/null
    fi
}

km_pg_bindir()
{
    _b=$(pg_config --bindir 2>/dev/null)
    if [ -n "$_b" ] && [ -x "$_b/initdb" ]; then
        echo "$_b"
        return 0
    fi
    _found=
    for _b in /usr/lib/postgresql/*/bin; do
        [ -x "$_b/initdb" ] && _found=$_b
    done
    [ -n "${_found:-}" ] && echo "$_found"
}

# km_start_postgres DIR: a new cluster in DIR/data (user komek, trust auth, UTF8) on a free
# loopback port with database komek; socket in DIR.
km_start_postgres()
{
    KM_PG_BIN=$(km_pg_bindir) || { echo "lib.sh: PostgreSQL binaries not found" >&2; return 1; }
    mkdir -p "$1" || return 1
    KM_PG_DIR=$(cd "$1" && pwd)
    KM_PG_USER=
    if [ "$(id -u)" = 0 ]; then
        KM_PG_USER=$(km_pg_os_user) || return 1
        chown "$KM_PG_USER" "$KM_PG_DIR"
        if ! km_pg_run test -w "$KM_PG_DIR"; then
            echo "lib.sh: $KM_PG_USER cannot write $KM_PG_DIR (are its parents 755?)" >&2
            return 1
        fi
    fi
    export KM_PG_BIN KM_PG_DIR KM_PG_USER
    if ! km_pg_run "$KM_PG_BIN/initdb" -D "$KM_PG_DIR/data" -A trust -U komek -E UTF8 \
        --locale=C --no-sync >"$KM_PG_DIR/initdb.log" 2>&1; then
        cat "$KM_PG_DIR/initdb.log" >&2
        return 1
    fi
    KM_PG_PORT=$(km_free_port) || return 1
    export KM_PG_PORT
    km_pg_start || return 1
    "$KM_PG_BIN/createdb" -h 127.0.0.1 -p "$KM_PG_PORT" -U komek komek || return 1
    KM_PG_CONNINFO="host=127.0.0.1 port=$KM_PG_PORT user=komek dbname=komek"
    export KM_PG_CONNINFO
}

# km_psql SQL: runs SQL in database komek and prints unaligned tuples only.
km_psql()
{
    "$KM_PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$KM_PG_PORT" -U komek \
        -d komek -c "$1"
}

# ---- checks --------------------------------------------------------------------------
# Every check prints "ok   ..." or "FAIL ..." and counts failures in $failures; a script
# ends with [ "$failures" -eq 0 ].
failures=${failures:-0}

# km_check DESCRIPTION EXPECTED ACTUAL
km_check()
{
    if [ "$2" = "$3" ]; then
        echo "ok   $1: $3"
    else
        echo "FAIL $1: expected $2, got $3"
        failures=$((failures + 1))
    fi
}

# km_check_has DESCRIPTION NEEDLE FILE: FILE contains NEEDLE (a fixed string).
km_check_has()
{
    if grep -qF -- "$2" "$3"; then
        echo "ok   $1: has '$2'"
    else
        echo "FAIL $1: lacks '$2':"
        head -c 2000 "$3"
        echo
        failures=$((failures + 1))
    fi
}

# km_check_run DESCRIPTION EXPECTED_STATUS FILE PATTERN...: the command run before exited
# with $_rc = EXPECTED_STATUS and every PATTERN (grep) is in FILE, its output.
km_check_run()
{
    _d=$1 _st=$2 _f=$3
    shift 3
    if [ "$_rc" != "$_st" ]; then
        echo "FAIL $_d: exit status $_rc, expected $_st"
        head -n 20 "$_f"
        failures=$((failures + 1))
        return
    fi
    for _p in "$@"; do
        if ! grep -q -- "$_p" "$_f"; then
            echo "FAIL $_d: lacks '$_p':"
            head -n 30 "$_f"
            failures=$((failures + 1))
            return
        fi
    done
    echo "ok   $_d"
}

# km_tools_built TOOL...: builds $BUILD/TOOL (komekd, komekctl, fakenet) where missing.
km_tools_built()
{
    for _t in "$@"; do
        [ -x "${BUILD:-build}/$_t" ] ||
            make --no-print-directory BUILD="${BUILD:-build}" "${BUILD:-build}/$_t" >/dev/null ||
            return 1
    done
}

# km_stop_later PID: km_cleanup (the exit trap) sends PID a SIGTERM.
km_stop_later()
{
    echo "$1" >>"$KM_TMP/bg.pids"
}

# km_start_fake NAME [ARGS...]: build/fakenet serving the sample posts (the token is
# $KM_FAKE_TOKEN unless ARGS give one) on a free port; sets KM_FAKE_PORT and KM_FAKE_PID.
km_start_fake()
{
    _name=$1
    shift
    rm -f "$KM_TMP/$_name.port"
    "${BUILD:-build}/fakenet" --port 0 --posts test/data/sample-posts.jsonl \
        --token "${KM_FAKE_TOKEN:-123456:TEST-fake-token}" --port-file "$KM_TMP/$_name.port" \
        "$@" >"$KM_TMP/$_name.log" 2>&1 &
    KM_FAKE_PID=$!
    km_stop_later "$KM_FAKE_PID"
    km_wait 10 test -s "$KM_TMP/$_name.port" || { echo "fakenet did not start" >&2; return 1; }
    KM_FAKE_PORT=$(cat "$KM_TMP/$_name.port")
}
