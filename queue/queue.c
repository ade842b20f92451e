/* The Redis side of komek (see queue.h): the queue itself, cursors and the consumer-group
 * reads of the tickets role, on a km_redis connection (redis.h); the writes are in
 * write.c.
 *
 * Every command goes through redisCommandArgv/redisAppendCommandArgv with explicit lengths,
 * so user data (post text, source names, cursors) can never change a command's shape. */
#include "queue/queue.h"

#include "common/alloc.h"
#include "common/time.h"
#include "queue/queue_impl.h"
#include "queue/redis.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Networks re-deliver a post within hours (edits, long-poll offsets reset, feeds that show
 * the last N items for days); a week covers that with room, and the seen-set of a busy
 * centre (~5,000 posts a day) stays around 35,000 members. */
#define QU_DEFAULT_WINDOW_MS (7LL * 24 * 3600 * 1000)

int km_queue_new(const struct km_queue_opts *opts, struct km_queue **out, struct km_err *err)
{
    struct km_queue *q = km_calloc(1, sizeof(*q));
    int rc = km_redis_new(opts->url, opts->password, opts->timeout_ms, &q->r, err);
    if (rc != KM_OK) {
        goto out;
    }
    const char *ns = opts->ns != NULL && opts->ns[0] != '\0' ? opts->ns : "komek";
    q->k_posts = km_asprintf("{%s}:posts", ns);
    q->k_seen = km_asprintf("{%s}:seen", ns);
    q->k_cursors = km_asprintf("{%s}:cursors", ns);
    q->k_dead = km_asprintf("{%s}:dead", ns);
    q->maxlen = opts->maxlen;
    q->legacy = opts->legacy_redis;
    q->window_ms = opts->seen_window_ms > 0 ? opts->seen_window_ms : QU_DEFAULT_WINDOW_MS;
    q->now_ms = opts->now_ms != NULL ? opts->now_ms : km_time_now_ms;
out:
    if (rc != KM_OK) {
        km_queue_free(q);
        q = NULL;
    }
    *out = q;
    return rc;
}

void km_queue_free(struct km_queue *q)
{
    if (q == NULL) {
        return;
    }
    km_redis_free(q->r);
    free(q->k_posts);
    free(q->k_seen);
    free(q->k_cursors);
    free(q->k_dead);
    free(q);
}

/* ---- simple commands ----------------------------------------------------------------- */

int km_queue_command(struct km_queue *q, int argc, const char **argv, redisReply **out,
                     struct km_err *err)
{
    size_t *lens = km_calloc((size_t)argc, sizeof(*lens));
    for (int i = 0; i < argc; i++) {
        lens[i] = strlen(argv[i]);
    }
    int rc = km_redis_call(q->r, argc, argv, lens, 0, out, err);
    free(lens);
    return rc;
}

int km_queue_ping(struct km_queue *q, struct km_err *err)
{
    const char *argv[1] = {"PING"};
    redisReply *r = NULL;
    int rc = km_queue_command(q, 1, argv, &r, err);
    freeReplyObject(r);
    return rc;
}

int km_queue_get_cursor(struct km_queue *q, const char *source, char **cursor, struct km_err *err)
{
    const char *argv[3] = {"HGET", q->k_cursors, source};
    redisReply *r = NULL;
    *cursor = NULL;
    int rc = km_queue_command(q, 3, argv, &r, err);
    if (rc == KM_OK && r->type == REDIS_REPLY_STRING) {
        *cursor = km_strndup(r->str, r->len);
    }
    freeReplyObject(r);
    return rc;
}

int km_queue_group_create(struct km_queue *q, const char *group, struct km_err *err)
{
    const char *argv[6] = {"XGROUP", "CREATE", q->k_posts, group, "0", "MKSTREAM"};
    redisReply *r = NULL;
    struct km_err e2 = {{0}};
    int rc = km_queue_command(q, 6, argv, &r, &e2);
    freeReplyObject(r);
    if (rc == KM_ERR && strstr(e2.msg, "BUSYGROUP") != NULL) {
        return KM_OK; /* the group exists already: that is the normal case */
    }
    if (rc != KM_OK && err != NULL) {
        *err = e2;
    }
    return rc;
}

/* Runs a command whose reply is an integer into *val. */
static int qu_call_int(struct km_queue *q, int argc, const char **argv, long long *val,
                       struct km_err *err)
{
    redisReply *r = NULL;
    int rc = km_queue_command(q, argc, argv, &r, err);
    if (rc == KM_OK && r->type != REDIS_REPLY_INTEGER) {
        rc = km_err_set(err, KM_ERR, "redis %s: %s: unexpected reply type %d", km_redis_where(q->r),
                        argv[0], r->type);
    }
    if (rc == KM_OK) {
        *val = r->integer;
    }
    freeReplyObject(r);
    return rc;
}

int km_queue_stream_len(struct km_queue *q, long long *len, struct km_err *err)
{
    const char *argv[2] = {"XLEN", q->k_posts};
    return qu_call_int(q, 2, argv, len, err);
}

int km_queue_pending_count(struct km_queue *q, const char *group, long long *count,
                           struct km_err *err)
{
    const char *argv[3] = {"XPENDING", q->k_posts, group};
    redisReply *r = NULL;
    int rc = km_queue_command(q, 3, argv, &r, err);
    if (rc == KM_OK && (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
                        r->element[0]->type != REDIS_REPLY_INTEGER)) {
        rc = km_err_set(err, KM_ERR, "redis %s: XPENDING: unexpected reply", km_redis_where(q->r));
    }
    if (rc == KM_OK) {
        *count = r->element[0]->integer;
    }
    freeReplyObject(r);
    return rc;
}

int km_queue_ack(struct km_queue *q, const char *group, const char *const *ids, size_t n,
                 struct km_err *err)
{
    if (n == 0) {
        return KM_OK;
    }
    const char **argv = km_calloc(n + 3, sizeof(*argv));
    size_t *lens = km_calloc(n + 3, sizeof(*lens));
    argv[0] = "XACK";
    argv[1] = q->k_posts;
    argv[2] = group;
    for (size_t i = 0; i < n; i++) {
        argv[i + 3] = ids[i];
    }
    for (size_t i = 0; i < n + 3; i++) {
        lens[i] = strlen(argv[i]);
    }
    redisReply *r = NULL;
    int rc = km_redis_call(q->r, (int)(n + 3), argv, lens, 0, &r, err);
    freeReplyObject(r);
    free(argv);
    free(lens);
    return rc;
}

/* ---- consumer-group reads ------------------------------------------------------------ */

/* Copies one entry [id, [field, value, ...] | nil] into e; false if the shape is wrong. */
static bool qu_parse_entry(const redisReply *r, struct km_stream_entry *e)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_STRING) {
        return false;
    }
    e->id = km_strndup(r->element[0]->str, r->element[0]->len);
    const redisReply *f = r->element[1];
    if (f->type != REDIS_REPLY_ARRAY) {
        return f->type == REDIS_REPLY_NIL; /* pending entry trimmed from the stream */
    }
    for (size_t i = 0; i + 1 < f->elements; i += 2) {
        const redisReply *k = f->element[i], *v = f->element[i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) {
            return false;
        }
        char **dst = NULL;
        if (k->len == 7 && memcmp(k->str, "network", 7) == 0) {
            dst = &e->network;
        } else if (k->len == 7 && memcmp(k->str, "post_id", 7) == 0) {
            dst = &e->post_id;
        } else if (k->len == 4 && memcmp(k->str, "post", 4) == 0) {
            dst = &e->post_json;
            e->post_len = v->len;
        } else if (k->len == 1 && k->str[0] == 'v') {
            e->v = (int)strtol(v->str, NULL, 10);
        } else if (k->len == 10 && memcmp(k->str, "escalation", 10) == 0) {
            e->escalation = v->len == 1 && v->str[0] == '1';
        }
        if (dst != NULL && *dst == NULL) {
            *dst = km_strndup(v->str, v->len);
        }
    }
    return true;
}

/* Parses an XREADGROUP reply (nil, or [[key, [entry, ...]]]) into a new array. */
static int qu_parse_read(struct km_queue *q, const redisReply *r, struct km_stream_entry **entries,
                         size_t *n, struct km_err *err)
{
    if (r->type == REDIS_REPLY_NIL || (r->type == REDIS_REPLY_ARRAY && r->elements == 0)) {
        return KM_OK;
    }
    const redisReply *list = NULL;
    if (r->type == REDIS_REPLY_ARRAY && r->element[0]->type == REDIS_REPLY_ARRAY &&
        r->element[0]->elements == 2) {
        list = r->element[0]->element[1];
    }
    if (list == NULL || list->type != REDIS_REPLY_ARRAY) {
        return km_err_set(err, KM_ERR, "redis %s: XREADGROUP: unexpected reply",
                          km_redis_where(q->r));
    }
    if (list->elements == 0) {
        return KM_OK;
    }
    struct km_stream_entry *e = km_calloc(list->elements, sizeof(*e));
    for (size_t i = 0; i < list->elements; i++) {
        if (!qu_parse_entry(list->element[i], &e[i])) {
            km_stream_entries_free(e, list->elements);
            return km_err_set(err, KM_ERR, "redis %s: XREADGROUP: malformed entry",
                              km_redis_where(q->r));
        }
    }
    *entries = e;
    *n = list->elements;
    return KM_OK;
}

int km_queue_read_group(struct km_queue *q, const char *group, const char *consumer, bool pending,
                        size_t count, int64_t block_ms, struct km_stream_entry **entries, size_t *n,
                        struct km_err *err)
{
    char num[24], blk[24];
    snprintf(num, sizeof(num), "%zu", count > 0 ? count : 1);
    snprintf(blk, sizeof(blk), "%" PRId64, block_ms);
    const char *argv[11] = {"XREADGROUP", "GROUP", group, consumer, "COUNT", num};
    int argc = 6;
    if (block_ms > 0 && !pending) {
        argv[argc++] = "BLOCK";
        argv[argc++] = blk;
    }
    argv[argc++] = "STREAMS";
    argv[argc++] = q->k_posts;
    argv[argc++] = pending ? "0" : ">";
    size_t lens[11];
    for (int i = 0; i < argc; i++) {
        lens[i] = strlen(argv[i]);
    }
    *entries = NULL;
    *n = 0;
    redisReply *r = NULL;
    int64_t extra = block_ms > 0 && !pending ? block_ms : 0;
    int rc = km_redis_call(q->r, argc, argv, lens, extra, &r, err);
    if (rc == KM_OK) {
        rc = qu_parse_read(q, r, entries, n, err);
    }
    freeReplyObject(r);
    return rc;
}

void km_stream_entries_free(struct km_stream_entry *e, size_t n)
{
    if (e == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        free(e[i].id);
        free(e[i].network);
        free(e[i].post_id);
        free(e[i].post_json);
    }
    free(e);
}

