/* Token buckets for reply sending limits. A bucket holds `units`: one token is `period_ms`
 * units and a full bucket capacity * period_ms, so refilling `capacity` tokens per period is
 * exactly `capacity` units per elapsed millisecond, in integers. */
#include "collectors/reply_limit.h"

#include "common/alloc.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Buckets kept before idle (full, unblocked) ones are dropped: one per chat answered
 * recently; a full bucket carries no information, so dropping it changes nothing. */
#define RL_PRUNE_AT 4096

/* Most rules one network has (Telegram: bot, group, chat). */
#define RL_MAX_PER_NET 3

enum rl_scope {
    RL_SOURCE, /* the bot, account or token of a [source] */
    RL_GROUP,  /* one Telegram group, supergroup or channel (chat id < 0) */
    RL_CHAT,   /* one chat */
};

/* Limits as the networks document them. Telegram (core.telegram.org/bots/faq): avoid more
 * than one message per second in one chat, 20 per minute in one group, about 30 per second
 * overall. Mastodon: POST /api/v1/statuses is limited to 300 per 3 hours per account. VK:
 * 3 requests per second per token (error 6 beyond). Per network, the most specific rule
 * comes last: km_reply_limiter_block() uses it. */
static const struct rl_rule {
    const char *network;
    enum rl_scope scope;
    int64_t capacity, period_ms;
    const char *what;
} rl_rules[] = {
    {"telegram", RL_SOURCE, 30, 1000, "30 messages per second per bot"},
    {"telegram", RL_GROUP, 20, 60000, "20 messages per minute per group"},
    {"telegram", RL_CHAT, 1, 1000, "1 message per second per chat"},
    {"mastodon", RL_SOURCE, 300, 3LL * 3600 * 1000, "300 statuses per 3 hours per account"},
    {"vk", RL_SOURCE, 3, 1000, "3 requests per second per token"},
};
#define RL_NRULES (sizeof(rl_rules) / sizeof(rl_rules[0]))

struct rl_bucket {
    char *key; /* "RULE\x1fSOURCE\x1fCHAT" */
    const struct rl_rule *rule;
    int64_t units, last_ms, blocked_until_ms;
};

struct km_reply_limiter {
    pthread_mutex_t lock;
    struct rl_bucket **v;
    size_t n, cap;
};

struct km_reply_limiter *km_reply_limiter_new(void)
{
    struct km_reply_limiter *l = km_calloc(1, sizeof(*l));
    pthread_mutex_init(&l->lock, NULL);
    return l;
}

static void rl_bucket_free(struct rl_bucket *b)
{
    if (b != NULL) {
        free(b->key);
        free(b);
    }
}

void km_reply_limiter_free(struct km_reply_limiter *l)
{
    if (l == NULL) {
        return;
    }
    for (size_t i = 0; i < l->n; i++) {
        rl_bucket_free(l->v[i]);
    }
    free(l->v);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

static bool rl_applies(const struct rl_rule *r, const char *network, const char *chat_id)
{
    if (strcmp(r->network, network) != 0) {
        return false;
    }
    if (r->scope == RL_SOURCE) {
        return true;
    }
    if (chat_id == NULL || *chat_id == '\0') {
        return false;
    }
    return r->scope == RL_CHAT || chat_id[0] == '-';
}

static void rl_refill(struct rl_bucket *b, int64_t now_ms)
{
    int64_t full = b->rule->capacity * b->rule->period_ms;
    if (now_ms > b->last_ms) {
        int64_t add = (now_ms - b->last_ms) * b->rule->capacity;
        b->units = add >= full - b->units ? full : b->units + add;
        b->last_ms = now_ms;
    }
}

/* Milliseconds until b holds one token and is not blocked; 0 = now. */
static int64_t rl_wait(const struct rl_bucket *b, int64_t now_ms)
{
    int64_t wait = 0;
    if (b->units < b->rule->period_ms) {
        int64_t missing = b->rule->period_ms - b->units;
        wait = (missing + b->rule->capacity - 1) / b->rule->capacity;
    }
    if (b->blocked_until_ms - now_ms > wait) {
        wait = b->blocked_until_ms - now_ms;
    }
    return wait;
}

/* Drops every full, unblocked bucket. Caller holds the lock. */
static void rl_prune(struct km_reply_limiter *l, int64_t now_ms)
{
    size_t kept = 0;
    for (size_t i = 0; i < l->n; i++) {
        struct rl_bucket *b = l->v[i];
        rl_refill(b, now_ms);
        bool idle =
            b->units == b->rule->capacity * b->rule->period_ms && b->blocked_until_ms <= now_ms;
        if (idle) {
            rl_bucket_free(b);
        } else {
            l->v[kept++] = b;
        }
    }
    l->n = kept;
}

/* The bucket of rule r for source / chat_id, created full if new. Caller holds the lock and
 * has pruned (never here: a caller may hold pointers to other buckets). */
static struct rl_bucket *rl_get(struct km_reply_limiter *l, const struct rl_rule *r,
                                const char *source, const char *chat_id, int64_t now_ms)
{
    char *key = km_asprintf("%zu\x1f%s\x1f%s", (size_t)(r - rl_rules), source,
                            r->scope == RL_SOURCE ? "" : chat_id);
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->v[i]->key, key) == 0) {
            free(key);
            return l->v[i];
        }
    }
    if (l->n == l->cap) {
        l->cap = l->cap > 0 ? 2 * l->cap : 16;
        l->v = km_realloc(l->v, l->cap * sizeof(*l->v));
    }
    struct rl_bucket *b = km_calloc(1, sizeof(*b));
    b->key = key;
    b->rule = r;
    b->units = r->capacity * r->period_ms;
    b->last_ms = now_ms;
    l->v[l->n++] = b;
    return b;
}

int64_t km_reply_limiter_take(struct km_reply_limiter *l, const char *network, const char *source,
                              const char *chat_id, int64_t now_ms, const char **rule)
{
    struct rl_bucket *hit[RL_MAX_PER_NET];
    size_t n = 0;
    int64_t wait = 0;
    const char *why = NULL;
    pthread_mutex_lock(&l->lock);
    if (l->n >= RL_PRUNE_AT) {
        rl_prune(l, now_ms);
    }
    for (size_t i = 0; i < RL_NRULES && n < RL_MAX_PER_NET; i++) {
        if (!rl_applies(&rl_rules[i], network, chat_id)) {
            continue;
        }
        struct rl_bucket *b = rl_get(l, &rl_rules[i], source, chat_id, now_ms);
        rl_refill(b, now_ms);
        int64_t w = rl_wait(b, now_ms);
        if (w > wait) {
            wait = w;
            why = b->rule->what;
        }
        hit[n++] = b;
    }
    for (size_t i = 0; wait == 0 && i < n; i++) {
        hit[i]->units -= hit[i]->rule->period_ms;
    }
    pthread_mutex_unlock(&l->lock);
    if (rule != NULL) {
        *rule = why;
    }
    return wait;
}

void km_reply_limiter_block(struct km_reply_limiter *l, const char *network, const char *source,
                            const char *chat_id, int64_t now_ms, int64_t until_ms)
{
    const struct rl_rule *last = NULL;
    for (size_t i = 0; i < RL_NRULES; i++) {
        if (rl_applies(&rl_rules[i], network, chat_id)) {
            last = &rl_rules[i];
        }
    }
    if (last == NULL) {
        return;
    }
    pthread_mutex_lock(&l->lock);
    struct rl_bucket *b = rl_get(l, last, source, chat_id, now_ms);
    if (until_ms > b->blocked_until_ms) {
        b->blocked_until_ms = until_ms;
    }
    pthread_mutex_unlock(&l->lock);
}
