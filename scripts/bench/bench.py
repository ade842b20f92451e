#!/usr/bin/env python3
"""The figures of `make bench` (issue 8), run by scripts/bench/bench.sh once it has started a
throwaway Redis and PostgreSQL (KM_REDIS_*, KM_PG_* from test/integration/lib.sh).

One input file of normalised posts (scripts/bench/gen_posts.py, BENCH_POSTS of them; the
doubling test takes longer prefixes of the same stream) and, for each figure, the median of
BENCH_RUNS runs:
  parse      collectors' consume() on each network's wire format (build/measure/bench_parse)
  triage     km_triage_score on one thread; dedup memory per 100k posts (build/measure/bench)
  ingest     `komekctl import FILE` into the Redis stream: parse, triage, dedup, MULTI/EXEC
  tickets    `komekd --role tickets --once` on that stream into PostgreSQL
  end-to-end ingest + tickets: posts/s until every kept post is committed and acknowledged
  latency    fakenet drips posts (Telegram long poll) at each BENCH_LOADS posts/s for
             BENCH_LAT_SECONDS; p50/p99 from a post's release by the fake network to its
             stream entry (entry id) and to its PostgreSQL row (stored_at); peak RSS of komekd;
             at the highest load again with the collect role alone (the tickets role elsewhere)
  doubling   ingest at 1x, 2x, 4x BENCH_POSTS (tickets at 1x, 2x): time per post stays flat
With --peers, ../shared/bench/peers.py runs on the same file afterwards and komek's figures
are printed next to the peers' as ratios. No figure is asserted: this only measures."""
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.request

ROOT = os.environ.get("KM_ROOT") or os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BUILD = os.environ.get("BUILD", "build")
TMP = os.environ["KM_TMP"]
N = int(os.environ.get("BENCH_POSTS", "100000"))
RUNS = max(1, int(os.environ.get("BENCH_RUNS", "3")))
LOADS = [int(x) for x in os.environ.get("BENCH_LOADS", "1000 10000").split()]
LAT_SECONDS = float(os.environ.get("BENCH_LAT_SECONDS", "5"))
DOUBLING = [int(x) for x in os.environ.get("BENCH_DOUBLING", "1 2 4").split()]
DOUBLING_DB = [int(x) for x in os.environ.get("BENCH_DOUBLING_DB", "1 2").split()]
SHARED = os.environ.get("BENCH_SHARED", os.path.join(ROOT, "..", "shared"))
PARSE_POSTS = 10000  # posts fakenet renders for the parse figures
LAT_WARMUP = 3  # seconds between fakenet's start and its first release (latency_run())
TOKEN = "123456:TEST-fake-token"
REDIS_PORT = os.environ["KM_REDIS_PORT"]
PG = [os.path.join(os.environ["KM_PG_BIN"], "psql"), "-X", "-q", "-A", "-t", "-h", "127.0.0.1",
      "-p", os.environ["KM_PG_PORT"], "-U", "komek"]
STREAM = "{komek}:posts"
T_START = time.time()
results = {}  # figure name -> value, for the summary


def load():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def say(line):
    print(f"{line}  [load {load()}]", flush=True)


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def runs_str(xs, fmt="{:.0f}"):
    return " ".join(fmt.format(x) for x in xs)


def sh(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def rcli(*args):
    return sh(["redis-cli", "-p", REDIS_PORT, *args]).stdout.strip()


def psql(sql, db="komek"):
    r = sh(PG + ["-d", db, "-c", sql])
    if r.returncode != 0:
        raise RuntimeError(f"psql: {r.stderr.strip()}")
    return r.stdout.strip()


def tool(name):
    return os.path.join(ROOT, BUILD, name)


# ---- input --------------------------------------------------------------------------------

def generate(n):
    path = os.path.join(TMP, f"posts-{n}.jsonl")
    with open(path, "w") as out:
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "bench", "gen_posts.py"),
                        str(n)], stdout=out, check=True)
    return path


def prefix(src, n):
    """The first n lines of src (the generator is a stream: its prefix of n lines is what
    gen_posts.py n would write)."""
    path = os.path.join(TMP, f"posts-{n}.jsonl")
    if not os.path.exists(path):
        with open(src) as f, open(path, "w") as out:
            for i, line in enumerate(f):
                if i == n:
                    break
                out.write(line)
    return path


def unique_ids(src, n, path, mark=False, network=None):
    """Up to n posts of src for fakenet, which refuses a repeated id: a repeat gets a new id
    (so it is served as another post with the same text). With mark, the text ends with
    " (n<k>)", k the post's position: the latency figure finds its release time by it."""
    seen = set()
    with open(src) as f, open(path, "w") as out:
        for k, line in enumerate(f):
            if k == n:
                break
            o = json.loads(line)
            if o["id"] in seen:
                o["id"] = f"{o['id']}-r{k}"
            seen.add(o["id"])
            if network:
                o["network"] = network
            if mark:
                o["text"] += f" (n{k})"
            out.write(json.dumps(o, ensure_ascii=False) + "\n")
    return path


# ---- komek --------------------------------------------------------------------------------

def write_config(path, sources=""):
    with open(path, "w") as f:
        f.write(f"""[komek]
redis = {os.environ['KM_REDIS_URL']}
postgres = {os.environ['KM_PG_CONNINFO']}
namespace = komek
tags = {ROOT}/etc/tags.list
lexicon = {ROOT}/etc/lexicon
routing = {ROOT}/etc/routing.conf
places = {ROOT}/etc/places.conf
log_level = warn
consumer = bench
metrics_listen = off
desk_listen = off

[source bench]
type = rss
url = http://127.0.0.1:9/rss.xml
{sources}""")
    return path


def settle_redis():
    """Rewrites Redis's append-only file now and waits for it: after FLUSHALL the file
    still holds every earlier run's writes, and the rewrite Redis would start by itself
    (a fork and a full write) would fall in the middle of the next measurement."""
    rcli("BGREWRITEAOF")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        info = rcli("INFO", "persistence")
        if "aof_rewrite_in_progress:0" in info and "aof_rewrite_scheduled:0" in info:
            return
        time.sleep(0.1)


def reset(conf):
    """Empty Redis (its append-only file rewritten) and a freshly migrated database after a
    checkpoint, so that no run inherits background work from the one before."""
    rcli("FLUSHALL")
    settle_redis()
    psql("DROP DATABASE IF EXISTS komek WITH (FORCE)", db="postgres")
    psql("CREATE DATABASE komek", db="postgres")
    r = sh([tool("komekctl"), "-c", conf, "migrate"])
    if r.returncode != 0:
        raise RuntimeError(f"migrate: {r.stderr.strip()}")
    psql("CHECKPOINT", db="postgres")


def used_memory():
    m = re.search(r"used_memory:(\d+)", rcli("INFO", "memory"))
    return int(m.group(1)) if m else 0


def key_memory(key):
    v = rcli("MEMORY", "USAGE", key, "SAMPLES", "0")
    return int(v) if v.isdigit() else 0


def import_file(conf, path):
    """komekctl import; returns (seconds, stats dict)."""
    t0 = time.monotonic()
    r = sh([tool("komekctl"), "-c", conf, "import", path, "--source", "bench"])
    dt = time.monotonic() - t0
    m = re.search(r"(\d+) read, (\d+) kept, (\d+) new", r.stdout)
    if r.returncode != 0 or not m:
        raise RuntimeError(f"import failed ({r.returncode}): {r.stdout[-300:]} {r.stderr[-300:]}")
    return dt, {"read": int(m.group(1)), "kept": int(m.group(2)), "new": int(m.group(3))}


def tickets_once(conf):
    t0 = time.monotonic()
    r = sh([tool("komekd"), "-c", conf, "--role", "tickets", "--once"])
    dt = time.monotonic() - t0
    if r.returncode != 0:
        raise RuntimeError(f"komekd --role tickets --once: {r.stderr[-400:]}")
    return dt


def pipeline_run(conf, path, n):
    """One ingest + tickets run from empty stores. Returns a dict of figures."""
    reset(conf)
    mem0 = used_memory()
    t_in, st = import_file(conf, path)
    mem1 = used_memory()
    stream_mem, seen_mem = key_memory(STREAM), key_memory("{komek}:seen")
    t_db = tickets_once(conf)
    rows = int(psql("SELECT count(*) FROM posts"))
    pending = rcli("XPENDING", STREAM, "tickets").splitlines()
    return {"n": n, "t_in": t_in, "t_db": t_db, "kept": st["kept"], "new": st["new"],
            "rows": rows, "pending": int(pending[0]) if pending and pending[0].isdigit() else -1,
            "ingest": n / t_in, "db": rows / t_db if t_db > 0 else 0, "e2e": n / (t_in + t_db),
            "redis_mb": (mem1 - mem0) / 1048576, "stream_mb": stream_mem / 1048576,
            "dedup_mb": (mem1 - mem0 - stream_mem - seen_mem) / 1048576}


# ---- figures ------------------------------------------------------------------------------

def fig_triage(path):
    r = sh([tool("measure/bench"), path])
    for line in r.stdout.splitlines():
        if line.startswith(("triage: median", "dedup:")):
            say(line)
        m = re.search(r"median of \d+ runs .*?: (\d+) posts/s", line)
        if m:
            results["triage"] = float(m.group(1))
        m = re.search(r"per 100k posts: store ([\d.]+) MB", line)
        if m:
            results["dedup_mem_100k"] = float(m.group(1))
    if r.returncode != 0:
        say(f"triage: bench failed: {r.stderr.strip()[-300:]}")


def start_fakenet(posts, extra=()):
    port_file = os.path.join(TMP, "fake.port")
    if os.path.exists(port_file):
        os.unlink(port_file)
    log = open(os.path.join(TMP, "fakenet.log"), "a")
    p = subprocess.Popen([tool("fakenet"), "--port", "0", "--port-file", port_file, "--posts",
                          posts, "--token", TOKEN, "--max-poll", "1", *extra],
                         stdout=log, stderr=log)
    for _ in range(400):
        if os.path.exists(port_file) and open(port_file).read().strip():
            return p, int(open(port_file).read())
        if p.poll() is not None:
            raise RuntimeError("fakenet did not start: see " + log.name)
        time.sleep(0.05)
    raise RuntimeError("fakenet did not start")


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


PARSE_SOURCES = """
[source telegram]
type = telegram
url = {url}
token = {token}
poll_timeout = 0s
interval = 0s

[source mastodon]
type = mastodon
url = {url}
tags = 109, iKomek, Астана, акиматАстаны
interval = 0s

[source vk]
type = vk
url = {url}
token = {token}
tags = {tags}
interval = 0s

[source x]
type = x
url = {url}
token = {token}
tags = {tags}
interval = 0s

[source bluesky]
type = bluesky
url = {url}
identifier = komek109.bsky.social
password = k0mk-109a-stna-fake
tags = {tags}
interval = 0s

[source rss]
type = rss
url = {url}/rss.xml
interval = 0s
"""


def fig_parse(src):
    posts = unique_ids(src, PARSE_POSTS, os.path.join(TMP, "parse-posts.jsonl"))
    fake, port = start_fakenet(posts)
    try:
        conf = os.path.join(TMP, "parse.conf")
        with open(conf, "w") as f:
            f.write(f"[komek]\ntags = {ROOT}/etc/tags.list\n" + PARSE_SOURCES.format(
                url=f"http://127.0.0.1:{port}", token=TOKEN,
                tags="109, iKomek, Астана, акиматАстаны, Astana"))
        r = sh([tool("measure/bench_parse"), conf, "--runs", str(max(RUNS, 3))])
    finally:
        stop(fake)
    for line in r.stdout.splitlines():
        say(line)
        m = re.match(r"parse (\S+)\s+([\d.]+) MB/s\s+(\d+) posts/s", line)
        if m:
            results[f"parse_{m.group(1)}"] = (float(m.group(2)), float(m.group(3)))
    if r.returncode != 0:
        say(f"parse: bench_parse failed: {r.stderr.strip()[-300:]}")


def fig_pipeline(conf, path):
    rs = [pipeline_run(conf, path, N) for _ in range(RUNS)]
    for r in rs:
        if r["rows"] != r["new"] or r["pending"] != 0:
            say(f"WARNING: run stored {r['rows']} rows for {r['new']} new posts, "
                f"{r['pending']} pending")
    ing, db, e2e = [r["ingest"] for r in rs], [r["db"] for r in rs], [r["e2e"] for r in rs]
    r0 = rs[0]
    say(f"ingest: {med(ing):.0f} posts/s through komekctl import into the Redis stream "
        f"(median of {RUNS}: {runs_str(ing)}; {N} read, {r0['kept']} kept, {r0['new']} new)")
    say(f"tickets: {med(db):.0f} rows/s committed into PostgreSQL by komekd --role tickets "
        f"--once (median of {RUNS}: {runs_str(db)})")
    say(f"end-to-end: {med(e2e):.0f} posts/s from the file until every kept post is committed "
        f"and acknowledged (median of {RUNS}: {runs_str(e2e)})")
    redis = med([r["redis_mb"] for r in rs]) * 1e5 / N
    dedup = med([r["dedup_mb"] for r in rs]) * 1e5 / N
    say(f"redis: {redis:.1f} MB per 100k posts after the import (dedup window {dedup:.1f} MB, "
        f"stream {med([r['stream_mb'] for r in rs]) * 1e5 / N:.1f} MB)")
    results.update(ingest=med(ing), db=med(db), e2e=med(e2e), redis_dedup_100k=dedup)
    return med([r["t_in"] for r in rs]), med([r["t_db"] for r in rs])


def fig_doubling(conf, src, base):
    """Ingest at every multiple of BENCH_DOUBLING, the tickets role too at those of
    BENCH_DOUBLING_DB (the 4x tickets run alone would take minutes)."""
    rows = []
    for mult in DOUBLING:
        n = N * mult
        if mult == 1 and base is not None:
            t_in, t_db = base
        else:
            reset(conf)
            t_in, _ = import_file(conf, prefix(src, n))
            t_db = tickets_once(conf) if mult in DOUBLING_DB else None
        rows.append((n, t_in * 1e6 / n, t_db * 1e6 / n if t_db is not None else None))
        db = f"{t_db * 1e6 / n:6.1f} us/post" if t_db is not None else "(not run)"
        say(f"doubling: {n:>7} posts: ingest {t_in * 1e6 / n:6.1f} us/post, tickets {db}")
    if len(rows) > 1:
        with_db = [r for r in rows if r[2] is not None]
        g_in = rows[-1][1] / rows[0][1]
        g_db = with_db[-1][2] / with_db[0][2] if len(with_db) > 1 else float("nan")
        results["doubling"] = (g_in, g_db)
        say(f"doubling: time per post, ingest at {rows[-1][0]} vs {rows[0][0]} posts x{g_in:.2f}; "
            f"tickets at {with_db[-1][0]} vs {with_db[0][0]} x{g_db:.2f} (flat = x1.00)")


STREAM_MARKS = """
local out = {}
for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do
  local f, esc, post = e[2], false, nil
  for i = 1, #f, 2 do
    if f[i] == 'escalation' then esc = true end
    if f[i] == 'post' then post = f[i + 1] end
  end
  local k = post and string.match(post, '%(n(%d+)%)')
  if k and not esc then out[#out + 1] = e[1] .. ' ' .. k end
end
return out"""


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


def fake_stats(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_fake/stats", timeout=5) as r:
        return json.loads(r.read())


def vm_hwm(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            m = re.search(r"VmHWM:\s+(\d+) kB", f.read())
        return int(m.group(1)) / 1024 if m else float("nan")
    except OSError:
        return float("nan")


def wait_drained(port, n, deadline, db=True):
    """Until fakenet served every post and the stream, the database and the pending list
    stop moving (or the deadline passes); without db, only the stream."""
    last = None
    while time.monotonic() < deadline:
        time.sleep(0.5)
        st = fake_stats(port)
        now = (rcli("XLEN", STREAM), psql("SELECT count(*) FROM posts") if db else "",
               rcli("XPENDING", STREAM, "tickets").split("\n")[0] if db else "0")
        if st["served_posts"] >= n and now == last and now[2] == "0":
            return True
        last = now
    return False


def latency_run(src, rate, role=None):
    """role None: one komekd with every role (collect and tickets compete for the two
    cores with Redis, PostgreSQL and fakenet); "collect": the collect role alone, as when
    the tickets role runs in another process or on another machine (no PostgreSQL figure)."""
    n = max(1, int(rate * LAT_SECONDS))
    posts = unique_ids(src, n, os.path.join(TMP, f"lat-{rate}.jsonl"), mark=True,
                       network="telegram")
    conf = write_config(os.path.join(TMP, "lat.conf"))
    reset(conf)
    # The drip starts LAT_WARMUP seconds after fakenet, so that komekd (started next) is
    # polling by then: a post released before komekd runs would time its start-up.
    fake, port = start_fakenet(posts, ["--drip", f"{1.0 / rate:.9f}", "--passes", "1",
                                       "--drip-start", str(LAT_WARMUP)])
    with open(conf, "a") as f:
        f.write(f"\n[source tg]\ntype = telegram\nurl = http://127.0.0.1:{port}\ntoken = {TOKEN}\n"
                "interval = 0s\npoll_timeout = 1s\ntimeout = 5s\nbackoff_max = 1s\n")
    log = open(os.path.join(TMP, f"komekd-{rate}{'-' + role if role else ''}.log"), "w")
    kd = subprocess.Popen([tool("komekd"), "-c", conf] + (["--role", role] if role else []),
                          stdout=log, stderr=log)
    try:
        while fake_stats(port)["requests"]["telegram"] == 0 and kd.poll() is None:
            time.sleep(0.05)
        ready = time.time() * 1000 < fake_stats(port)["start_ms"]
        drained = wait_drained(port, n, time.monotonic() + LAT_WARMUP + n / rate + 240,
                               db=role is None)
        rss = vm_hwm(kd.pid)
        st = fake_stats(port)
    finally:
        stop(kd)
        stop(fake)
    t0, drip = st["start_ms"], st["drip_us"] / 1000.0
    marks = sh(["redis-cli", "-p", REDIS_PORT, "--raw", "EVAL", STREAM_MARKS, "1", STREAM]).stdout
    # An entry id holds whole milliseconds (the time truncated): its midpoint, + 0.5 ms, is
    # the unbiased estimate, and no latency is below 0 (a sub-millisecond one printed -1).
    to_stream = [max(0.0, int(e.split("-")[0]) + 0.5 - (t0 + int(k) * drip))
                 for e, k in (line.split() for line in marks.splitlines() if " " in line)]
    rows = psql("SELECT substring(text from '\\(n([0-9]+)\\)'), "
                "extract(epoch from stored_at) * 1000 FROM posts")
    to_pg = [float(ms) - (t0 + int(k) * drip)
             for k, ms in (r.split("|") for r in rows.splitlines() if r and r[0] != "|")]
    if role:
        say(f"latency at {rate} posts/s offered, {role} role alone ({n} posts over "
            f"{LAT_SECONDS:g} s, Telegram long poll): served->stream p50 "
            f"{pct(to_stream, 50):.0f} ms p99 {pct(to_stream, 99):.0f} ms ({len(to_stream)} "
            f"entries{'' if drained else ', NOT drained'}"
            f"{'' if ready else ', komekd was not polling before the first release'})")
        say(f"komekd peak RSS at {rate} posts/s: {rss:.1f} MB (VmHWM, {role} role)")
        results[f"lat_{rate}_{role}"] = (pct(to_stream, 50), pct(to_stream, 99))
        results[f"rss_{rate}_{role}"] = rss
        return
    say(f"latency at {rate} posts/s offered ({n} posts over {LAT_SECONDS:g} s, Telegram long "
        f"poll): served->stream p50 {pct(to_stream, 50):.0f} ms p99 {pct(to_stream, 99):.0f} ms; "
        f"served->PostgreSQL p50 {pct(to_pg, 50):.0f} ms p99 {pct(to_pg, 99):.0f} ms "
        f"({len(to_stream)} entries, {len(to_pg)} rows{'' if drained else ', NOT drained'}"
        f"{'' if ready else ', komekd was not polling before the first release'})")
    say(f"komekd peak RSS at {rate} posts/s: {rss:.1f} MB (VmHWM, collect + tickets roles)")
    results[f"lat_{rate}"] = (pct(to_stream, 50), pct(to_stream, 99), pct(to_pg, 50),
                              pct(to_pg, 99))
    results[f"rss_{rate}"] = rss


# ---- peers ------------------------------------------------------------------------------

def fig_peers(path):
    peers = os.path.join(SHARED, "bench", "peers.py")
    if not os.path.exists(peers):
        say(f"peers: {peers} not found: side-by-side figures skipped")
        return None
    py = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    r = sh([py, peers, "--file", path])
    out = {}
    for line in r.stdout.splitlines():
        say(line)
        m = re.search(r"peer-python: .*ingest (\d+) posts/s, db (\d+) rows/s, end-to-end (\d+)",
                      line)
        if m:
            out.update(py_ingest=float(m.group(1)), py_db=float(m.group(2)),
                       py_e2e=float(m.group(3)))
        m = re.search(r"peer-rsyslog: .*?([\d.]+) lines/s", line)
        if m:
            out["rsyslog"] = float(m.group(1))
    if r.returncode != 0 or not out:
        say(f"peers: peers.py failed: {r.stderr.strip()[-400:]}")
    return out


# ---- summary ----------------------------------------------------------------------------

def summary(peers):
    R = results
    print("\nsummary (komek's figures, the issue's targets; peers on the same file when run):")
    print(f"  {'figure':<34} {'komek':>12} {'target':>22}  met")

    def row(name, value, target, ok, unit=""):
        v = f"{value:,.0f}{unit}" if isinstance(value, (int, float)) else str(value)
        print(f"  {name:<34} {v:>12} {target:>22}  {'yes' if ok else 'no'}")

    if "ingest" in R:
        tgt = 1.5 * peers["rsyslog"] if peers and "rsyslog" in peers else 100000
        row("ingest posts/s", R["ingest"], f">= {tgt:,.0f}", R["ingest"] >= tgt)
    if "e2e" in R:
        row("end-to-end posts/s", R["e2e"], ">= 50,000", R["e2e"] >= 50000)
    if "triage" in R:
        row("triage posts/s (one core)", R["triage"], ">= 100,000", R["triage"] >= 100000)
    if "dedup_mem_100k" in R:
        row("dedup window MB/1M posts (memory)", R["dedup_mem_100k"] * 10, "<= 32",
            R["dedup_mem_100k"] * 10 <= 32)
    if "redis_dedup_100k" in R:
        row("dedup window MB/1M posts (Redis)", R["redis_dedup_100k"] * 10, "<= 32",
            R["redis_dedup_100k"] * 10 <= 32)
    top = max(LOADS) if LOADS else None
    if top and f"lat_{top}" in R:
        p99 = R[f"lat_{top}"][1]
        row(f"p99 served->stream ms at {top}/s", p99, "<= 20", p99 <= 20)
        row(f"komekd RSS MB at {top}/s", R[f"rss_{top}"], "<= 64", R[f"rss_{top}"] <= 64)
    if top and f"lat_{top}_collect" in R:
        p99 = R[f"lat_{top}_collect"][1]
        row(f"  the same, collect role alone", p99, "<= 20", p99 <= 20)
        rss = R[f"rss_{top}_collect"]
        row(f"  RSS MB, collect role alone", rss, "<= 64", rss <= 64)
    if "doubling" in R:
        g = max(x for x in R["doubling"] if x == x)
        row("doubling: worst us/post growth", f"x{g:.2f}", "flat (<= x1.2)", g <= 1.2)
    if peers:
        print("\nside by side (same file, same run; ratio = komek / peer):")
        pairs = [("ingest posts/s", R.get("ingest"), "rsyslog", peers.get("rsyslog")),
                 ("ingest posts/s", R.get("ingest"), "python", peers.get("py_ingest")),
                 ("PostgreSQL rows/s", R.get("db"), "python", peers.get("py_db")),
                 ("end-to-end posts/s", R.get("e2e"), "python", peers.get("py_e2e"))]
        for name, k, peer, p in pairs:
            if k and p:
                print(f"  {name:<22} komek {k:>9,.0f}  {peer:<8} {p:>9,.0f}  ratio {k / p:5.2f}")


def main():
    with_peers = "--peers" in sys.argv[1:]
    with open("/proc/cpuinfo") as f:
        cpu = re.search(r"model name\s*:\s*(.*)", f.read())
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    say(f"machine: {os.cpu_count()} cores, {cpu.group(1) if cpu else '?'}, {mem:.0f} GB; "
        f"{N} posts, {RUNS} runs per figure")
    biggest = N * max(DOUBLING + [1])
    src = generate(biggest)
    path = prefix(src, N)
    say(f"input: {path} ({os.path.getsize(path) / 1e6:.1f} MB, {N} posts; "
        f"scripts/bench/gen_posts.py)")
    fig_parse(path)
    fig_triage(path)
    conf = write_config(os.path.join(TMP, "komek.conf"))
    base = fig_pipeline(conf, path)
    for rate in LOADS:
        latency_run(path, rate)
    if LOADS:
        latency_run(path, max(LOADS), role="collect")
    if DOUBLING:
        fig_doubling(conf, src, base if DOUBLING[0] == 1 else None)
    peers = fig_peers(path) if with_peers else None
    summary(peers)
    print(f"\nbench: {time.time() - T_START:.0f} s in all")


if __name__ == "__main__":
    try:
        main()
    except (RuntimeError, subprocess.CalledProcessError) as e:
        print(f"bench: {e}", file=sys.stderr)
        sys.exit(1)
