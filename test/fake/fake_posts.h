/* The posts the fake networks serve: the JSON Lines file (test/data/sample-posts.jsonl)
 * loaded as templates, and the items released from them over time.
 *
 * Without drip every template is released once at start. With drip, one template is
 * released every drip_us microseconds (several per millisecond at high rates: make bench
 * offers 10,000 posts/s), round-robin over the file; from the second pass on the item ids
 * get a suffix ("s001-2") so that they stay unique. Releases are computed lazily from the
 * clock whenever a request syncs the store, so no thread is needed.
 *
 * One mutex guards the whole store, including the per-network cursors kept here. Handlers
 * lock it, call km_fake_store_sync(), read or render, and unlock. */
#ifndef KM_FAKE_POSTS_H
#define KM_FAKE_POSTS_H

#include "common/err.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum km_fake_net {
    KM_FAKE_TELEGRAM = 0,
    KM_FAKE_MASTODON,
    KM_FAKE_RSS,
    KM_FAKE_VK,
    KM_FAKE_X,
    KM_FAKE_BLUESKY,
    KM_FAKE_INSTAGRAM,
    KM_FAKE_JSON,
};
#define KM_FAKE_NNET 8

/* Where a Telegram post appears (chosen by km_fake_tg_plan()). */
enum km_fake_tg_chat { KM_FAKE_TG_GROUP = 0, KM_FAKE_TG_CHANNEL, KM_FAKE_TG_HOUSE };
#define KM_FAKE_TG_NCHATS 3

/* One line of the posts file. */
struct km_fake_tpl {
    char *id, *lang, *text, *category, *priority, *incident; /* lang..incident may be NULL */
    enum km_fake_net net;
    size_t line; /* 1-based line in the file, for messages */
    size_t nth;  /* position among the posts of the same network, from 0 */
    enum km_fake_tg_chat tg_chat;
    bool tg_edit; /* an edited_message follows this message */
};

/* One released post. */
struct km_fake_item {
    const struct km_fake_tpl *tpl;
    char *id;           /* tpl->id on the first pass, "<id>-<pass>" later */
    unsigned pass;      /* 1, 2, ... */
    size_t seq;         /* release order over all networks, from 0 */
    int64_t created_ms; /* Unix ms */
    int64_t tg_update_id, tg_edit_update_id, tg_message_id; /* edit id 0 = no edit */
    uint64_t mst_id;
    bool served;
};

struct km_fake_store {
    pthread_mutex_t lock;
    pthread_cond_t wake; /* CLOCK_MONOTONIC; broadcast on release and on stop */
    struct km_fake_tpl *tpls;
    size_t n_tpls;
    struct km_fake_item **items;
    size_t n_items, cap_items;
    int64_t start_ms, start_mono_ms, drip_us; /* drip_us 0: everything at start */
    unsigned passes;                          /* passes over the file; 0: endless drip */
    size_t timed_released, manual_wanted, manual_released;
    bool stopping;
    /* Telegram state */
    int64_t tg_next_update_id, tg_confirmed;
    int64_t tg_next_message_id[KM_FAKE_TG_NCHATS];
    unsigned long tg_sent;
    /* Mastodon state */
    uint64_t mst_last_id;
    int64_t mst_window_ms;
    unsigned mst_used;
    /* counters for /_fake/stats */
    unsigned long requests[KM_FAKE_NNET], requests_admin, requests_other;
    unsigned long served_distinct, served_total;
};

/* Loads path (one JSON object per line with at least "id", "text" and "network"), plans
 * the Telegram chats and releases what is due at start. drip_us is 0 (release everything
 * at once) or the interval between releases; with drip, the first release comes
 * start_delay_ms after the start (0: at once). passes is how many times the file is
 * released (0: once without drip, endlessly with drip). Returns KM_OK, KM_EINPUT
 * ("FILE:LINE: ...") or KM_ERR (cannot read). On failure nothing needs freeing; on
 * success release with km_fake_store_fini(). */
int km_fake_store_init(struct km_fake_store *s, const char *path, int64_t drip_us,
                       int64_t start_delay_ms, unsigned passes, struct km_err *err);
void km_fake_store_fini(struct km_fake_store *s);

/* Releases every item due by now. Caller holds s->lock. */
void km_fake_store_sync(struct km_fake_store *s);

/* Waits on s->wake until deadline_mono_ms, the next timed release or a broadcast, then
 * syncs. Caller holds s->lock (released while waiting). */
void km_fake_store_wait(struct km_fake_store *s, int64_t deadline_mono_ms);

/* Releases n more items now, beyond the schedule (POST /_fake/release). Takes the lock. */
void km_fake_store_release_now(struct km_fake_store *s, size_t n);

/* Counts a delivery of it in the stats. Caller holds s->lock. */
void km_fake_store_served(struct km_fake_store *s, struct km_fake_item *it);

/* Wakes every waiter and makes waits return at once. Takes the lock. */
void km_fake_store_stop(struct km_fake_store *s);

/* "telegram", "mastodon", "rss". */
const char *km_fake_net_name(enum km_fake_net net);
/* Parses a network name; returns -1 if unknown. */
int km_fake_net_parse(const char *name);

#endif
