#!/usr/bin/env python3
"""Prints how many sample posts komek must keep, per network and in total, for the fake
networks serving test/data/sample-posts.jsonl with the watched tags of etc/tags.list.

usage: expected.py POSTS TAGS_LIST [MASTODON_TAGS] [KEEP_ALL_NETWORK]

A post is kept when one of its #hashtags is watched (case-insensitive). The fake Mastodon
serves only statuses carrying one of the timeline tags the collector asks for
(MASTODON_TAGS, comma-separated), so those are counted for Mastodon too. Every post of
KEEP_ALL_NETWORK counts (a source with require_tags = no).
Output: "telegram N\nmastodon N\nrss N\ntotal N\nany N", where "any" counts every sample post
with a watched tag whatever its network (the fakes of the other networks serve them all).
"""
import json
import re
import sys

TAG = re.compile(r"(?<![\w#])#(\w+)")


def watched_tags(path):
    tags = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                tags.add(line.casefold())
    return tags


def main():
    posts, tags_list = sys.argv[1], sys.argv[2]
    watched = watched_tags(tags_list)
    mastodon = None
    keep_all = sys.argv[4] if len(sys.argv) > 4 else ""
    if len(sys.argv) > 3:
        mastodon = {t.strip().casefold() for t in sys.argv[3].split(",") if t.strip()}
    counts = {"telegram": 0, "mastodon": 0, "rss": 0}
    any_network = 0
    with open(posts, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            p = json.loads(line)
            tags = {t.casefold() for t in TAG.findall(p["text"])}
            if tags & watched:
                any_network += 1
            if p["network"] == keep_all:
                counts[p["network"]] += 1
                continue
            if not tags & watched:
                continue
            if p["network"] == "mastodon" and mastodon is not None and not tags & mastodon:
                continue
            counts[p["network"]] += 1
    for k, v in counts.items():
        print(k, v)
    print("total", sum(counts.values()))
    print("any", any_network)


if __name__ == "__main__":
    main()
