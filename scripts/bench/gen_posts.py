#!/usr/bin/env python3
"""Synthetic volume for `make bench`: N normalised posts (JSON lines, about 500 bytes each)
built from the project's own labelled posts (test/data/sample-posts.jsonl and
test/eval/*.jsonl) with variations, ~80 % carrying a watched tag, ~5 % exact repeats of an
earlier (network, id). The same idea as ../shared/bench/gen_posts.py, so that komek's figures
and the peers' (`make bench-peers`) are measured on one file, but without needing ../shared.

usage: gen_posts.py N [SEED] > FILE"""
import glob
import json
import os
import random
import sys
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SOURCES = [os.path.join(ROOT, "test", "data", "sample-posts.jsonl")] + \
    sorted(glob.glob(os.path.join(ROOT, "test", "eval", "*.jsonl")))
NETS = ["telegram", "mastodon", "vk", "rss"]
TAGS = ["#109", "#iKomek", "#Астана", "#акиматАстаны"]
# Post i was created at T0 + i seconds: yesterday, as in the peers' generator.
T0 = int(time.time()) - 86400


def texts():
    out = []
    for path in SOURCES:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    out.append(json.loads(line)["text"])
    return out


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    rnd = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 7)
    pool = texts()
    out = sys.stdout
    seen = []
    for i in range(n):
        if seen and rnd.random() < 0.05:
            out.write(rnd.choice(seen) + "\n")
            continue
        t = rnd.choice(pool)
        for tag in TAGS[:3]:
            t = t.replace(tag, "")
        t = f"{t} {rnd.randint(1, 200)}-й дом"
        if rnd.random() < 0.8:
            t += " " + rnd.choice(TAGS)
        net = rnd.choice(NETS)
        hs = [w[1:].lower() for w in t.split() if w.startswith("#")]
        line = json.dumps({"network": net, "source": f"bench-{net}", "id": f"{net}-{i}",
                           "url": f"https://example.invalid/{net}/{i}",
                           "author": {"id": str(rnd.randint(1, 50000)), "name": "resident"},
                           "text": t,
                           "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(T0 + i)),
                           "hashtags": hs, "engagement": {"likes": rnd.randint(0, 50)}},
                          ensure_ascii=False)
        if len(seen) < 5000:
            seen.append(line)
        out.write(line + "\n")


if __name__ == "__main__":
    main()
