/* XREAD BLOCK over several streams (see tail.h). */
#include "queue/tail.h"

#include "common/alloc.h"
#include "queue/redis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct km_tail {
    struct km_redis *r;
    size_t n;
    char *keys[KM_TAIL_MAX_STREAMS];
    char *pos[KM_TAIL_MAX_STREAMS]; /* last id returned; NULL until the first read */
};

int km_tail_new(const struct km_queue_opts *opts, const char *const *names, size_t n,
                struct km_tail **out, struct km_err *err)
{
    *out = NULL;
    if (n == 0 || n > KM_TAIL_MAX_STREAMS) {
        return km_err_set(err, KM_EINPUT, "tail: %zu streams (1 to %d)", n, KM_TAIL_MAX_STREAMS);
    }
    struct km_tail *t = km_calloc(1, sizeof(*t));
    int rc = km_redis_new(opts->url, opts->password, opts->timeout_ms, &t->r, err);
    if (rc != KM_OK) {
        free(t);
        return rc;
    }
    const char *ns = opts->ns != NULL && opts->ns[0] != '\0' ? opts->ns : "komek";
    for (size_t i = 0; i < n; i++) {
        t->keys[i] = km_asprintf("{%s}:%s", ns, names[i]);
    }
    t->n = n;
    *out = t;
    return KM_OK;
}

void km_tail_free(struct km_tail *t)
{
    if (t == NULL) {
        return;
    }
    km_redis_free(t->r);
    for (size_t i = 0; i < t->n; i++) {
        free(t->keys[i]);
        free(t->pos[i]);
    }
    free(t);
}

const char *km_tail_position(const struct km_tail *t, size_t i)
{
    return i < t->n ? t->pos[i] : NULL;
}

const char *km_tail_key(const struct km_tail *t, size_t i)
{
    return i < t->n ? t->keys[i] : NULL;
}

void km_tail_entries_free(struct km_tail_entry *e, size_t n)
{
    for (size_t i = 0; e != NULL && i < n; i++) {
        free(e[i].id);
        for (size_t f = 0; f < 2 * e[i].n_fields; f++) {
            free(e[i].fields[f]);
        }
        free(e[i].fields);
    }
    free(e);
}

/* Runs a command of NUL-terminated arguments; safe to repeat (reads only). */
static int tail_call(struct km_tail *t, int argc, const char **argv, int64_t extra_ms,
                     redisReply **out, struct km_err *err)
{
    size_t lens[3 + 2 * KM_TAIL_MAX_STREAMS + 4];
    for (int i = 0; i < argc; i++) {
        lens[i] = strlen(argv[i]);
    }
    return km_redis_call(t->r, argc, argv, lens, extra_ms, out, err);
}

/* Sets each stream's position to its last entry (XREVRANGE key + - COUNT 1). */
static int tail_start(struct km_tail *t, struct km_err *err)
{
    for (size_t i = 0; i < t->n; i++) {
        const char *argv[] = {"XREVRANGE", t->keys[i], "+", "-", "COUNT", "1"};
        redisReply *r = NULL;
        int rc = tail_call(t, 6, argv, 0, &r, err);
        if (rc != KM_OK) {
            return rc;
        }
        const char *id = "0-0";
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
            r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements >= 1 &&
            r->element[0]->element[0]->type == REDIS_REPLY_STRING) {
            id = r->element[0]->element[0]->str;
        }
        free(t->pos[i]);
        t->pos[i] = km_strdup(id);
        freeReplyObject(r);
    }
    return KM_OK;
}

/* Copies one [id, [f, v, ...]] entry of stream s; false if it is malformed. */
static bool tail_entry(const redisReply *e, size_t s, struct km_tail_entry *out)
{
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
        e->element[0]->type != REDIS_REPLY_STRING) {
        return false;
    }
    const redisReply *f = e->element[1];
    size_t nf = f->type == REDIS_REPLY_ARRAY ? f->elements / 2 : 0;
    out->stream = s;
    out->id = km_strdup(e->element[0]->str);
    out->n_fields = 0;
    out->fields = km_calloc(2 * nf + 1, sizeof(*out->fields));
    for (size_t i = 0; i < 2 * nf; i += 2) {
        if (f->element[i]->type == REDIS_REPLY_STRING &&
            f->element[i + 1]->type == REDIS_REPLY_STRING) {
            size_t k = 2 * out->n_fields++;
            out->fields[k] = km_strdup(f->element[i]->str);
            out->fields[k + 1] = km_strdup(f->element[i + 1]->str);
        }
    }
    return true;
}

/* Index of key among the tail's streams, or t->n. */
static size_t tail_index(const struct km_tail *t, const redisReply *key)
{
    for (size_t i = 0; key->type == REDIS_REPLY_STRING && i < t->n; i++) {
        if (strcmp(key->str, t->keys[i]) == 0) {
            return i;
        }
    }
    return t->n;
}

/* The entries of one [key, [entry...]] element of an XREAD reply, or NULL. */
static const redisReply *tail_list(const redisReply *s)
{
    if (s->type != REDIS_REPLY_ARRAY || s->elements != 2 ||
        s->element[1]->type != REDIS_REPLY_ARRAY) {
        return NULL;
    }
    return s->element[1];
}

/* Copies an XREAD reply [[key, [entry...]]...] and advances the positions. */
static void tail_collect(struct km_tail *t, const redisReply *r, struct km_tail_entry **entries,
                         size_t *n)
{
    size_t total = 0;
    for (size_t k = 0; k < r->elements; k++) {
        const redisReply *list = tail_list(r->element[k]);
        total += list != NULL ? list->elements : 0;
    }
    *entries = km_calloc(total + 1, sizeof(**entries));
    for (size_t k = 0; k < r->elements; k++) {
        const redisReply *list = tail_list(r->element[k]);
        size_t idx = list != NULL ? tail_index(t, r->element[k]->element[0]) : t->n;
        for (size_t e = 0; idx < t->n && e < list->elements; e++) {
            if (tail_entry(list->element[e], idx, &(*entries)[*n])) {
                free(t->pos[idx]);
                t->pos[idx] = km_strdup((*entries)[*n].id);
                (*n)++;
            }
        }
    }
}

int km_tail_read(struct km_tail *t, int64_t block_ms, size_t count, struct km_tail_entry **entries,
                 size_t *n, struct km_err *err)
{
    redisReply *r = NULL;
    *entries = NULL;
    *n = 0;
    int rc = t->pos[0] == NULL ? tail_start(t, err) : KM_OK;
    if (rc != KM_OK) {
        return rc;
    }
    char cnt[24], blk[24];
    snprintf(cnt, sizeof(cnt), "%zu", count > 0 ? count : 1);
    snprintf(blk, sizeof(blk), "%lld", (long long)(block_ms > 0 ? block_ms : 0));
    const char *argv[6 + 2 * KM_TAIL_MAX_STREAMS];
    int argc = 0;
    argv[argc++] = "XREAD";
    argv[argc++] = "COUNT";
    argv[argc++] = cnt;
    if (block_ms > 0) {
        argv[argc++] = "BLOCK";
        argv[argc++] = blk;
    }
    argv[argc++] = "STREAMS";
    for (size_t i = 0; i < t->n; i++) {
        argv[argc++] = t->keys[i];
    }
    for (size_t i = 0; i < t->n; i++) {
        argv[argc++] = t->pos[i];
    }
    rc = tail_call(t, argc, argv, block_ms, &r, err);
    if (rc == KM_OK && r->type == REDIS_REPLY_ARRAY) {
        tail_collect(t, r, entries, n);
    }
    freeReplyObject(r);
    return rc;
}
