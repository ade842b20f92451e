/* The writes to the posts stream (see queue.h): the exactly-once batch write, whole or in
 * two halves (send, finish), and the escalation entries.
 *
 * Every command goes through redisAppendCommandArgv with explicit lengths, so user data
 * (post text, source names, cursors) can never change a command's shape. */
#include "queue/queue.h"

#include "common/alloc.h"
#include "queue/queue_impl.h"
#include "queue/redis.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* WATCH fires only when another writer touched the seen-set between WATCH and EXEC; a
 * handful of attempts is plenty, after that the caller's backoff takes over. */
#define QU_WATCH_ATTEMPTS 5
/* Most arguments of one XADD: XADD key * and eleven field-value pairs (v, network, source,
 * post_id, priority, category, urgency, incident, dup_of, escalation, post). No MAXLEN:
 * only km_queue_trim() trims, and never below what a consumer group still needs. */
#define QU_XADD_ARGS (3 + 2 * 11)

/* ---- the exactly-once batch write ---------------------------------------------------- */

struct qu_member {
    const char *m;
    size_t i;
};

static int qu_member_cmp(const void *a, const void *b)
{
    const struct qu_member *x = a, *y = b;
    int c = strcmp(x->m, y->m);
    if (c != 0) {
        return c;
    }
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Builds "network:id" for every post; KM_EINPUT if a post lacks either (a collector bug:
 * such a post could never be de-duplicated). */
static int qu_members(const struct km_post_batch *b, char ***out, struct km_err *err)
{
    char **m = km_calloc(b->n, sizeof(*m));
    *out = m;
    for (size_t i = 0; i < b->n; i++) {
        const struct km_post *p = b->posts[i];
        if (p->network == NULL || p->id == NULL || p->network[0] == '\0' || p->id[0] == '\0') {
            return km_err_set(err, KM_EINPUT, "post %zu of the batch has no network or id", i);
        }
        m[i] = km_asprintf("%s:%s", p->network, p->id);
    }
    return KM_OK;
}

/* Whether a ZMSCORE element says the member was seen at or after cutoff. A member whose
 * last sighting is older is new again even if no write has trimmed it yet. */
static bool qu_seen_since(const redisReply *e, int64_t cutoff)
{
    if (e->type == REDIS_REPLY_NIL) {
        return false;
    }
    if (e->type != REDIS_REPLY_STRING || e->str == NULL) { /* RESP2: scores are strings */
        return true; /* not a score: keep the safe answer, never deliver twice */
    }
    return strtod(e->str, NULL) >= (double)cutoff;
}

/* Marks in fresh[] the posts that are neither in the seen-set since cutoff (ZMSCORE reply
 * r) nor an earlier post of the same batch. Returns how many are fresh. */
static size_t qu_mark_fresh(const redisReply *r, char **members, size_t n, int64_t cutoff,
                            bool *fresh)
{
    struct qu_member *sorted = km_calloc(n, sizeof(*sorted));
    for (size_t i = 0; i < n; i++) {
        fresh[i] = !qu_seen_since(r->element[i], cutoff);
        sorted[i].m = members[i];
        sorted[i].i = i;
    }
    qsort(sorted, n, sizeof(*sorted), qu_member_cmp);
    for (size_t i = 1; i < n; i++) {
        if (strcmp(sorted[i].m, sorted[i - 1].m) == 0) {
            fresh[sorted[i].i] = false; /* sorted by index too: the first one stays */
        }
    }
    free(sorted);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        k += fresh[i];
    }
    return k;
}

/* WATCHes the seen-set and asks which members it holds, seen within the window before
 * now. */
static int qu_watch_seen(struct km_queue *q, char **members, size_t n, int64_t now, bool *fresh,
                         size_t *k, struct km_err *err)
{
    const char *w[2] = {"WATCH", q->k_seen};
    size_t wl[2] = {5, strlen(q->k_seen)};
    redisReply *r = NULL;
    int rc = km_redis_call(q->r, 2, w, wl, 0, &r, err);
    freeReplyObject(r);
    r = NULL;
    *k = 0;
    if (rc != KM_OK || n == 0) {
        return rc;
    }
    const char **argv = km_calloc(n + 2, sizeof(*argv));
    size_t *lens = km_calloc(n + 2, sizeof(*lens));
    argv[0] = "ZMSCORE";
    argv[1] = q->k_seen;
    for (size_t i = 0; i < n; i++) {
        argv[i + 2] = members[i];
    }
    for (size_t i = 0; i < n + 2; i++) {
        lens[i] = strlen(argv[i]);
    }
    rc = km_redis_exec(q->r, (int)(n + 2), argv, lens, &r, err);
    if (rc == KM_OK && (r->type != REDIS_REPLY_ARRAY || r->elements != n)) {
        rc = km_err_set(err, KM_ERR, "redis %s: ZMSCORE: unexpected reply", km_redis_where(q->r));
    }
    if (rc == KM_OK) {
        *k = qu_mark_fresh(r, members, n, now - q->window_ms, fresh);
    }
    freeReplyObject(r);
    free(argv);
    free(lens);
    return rc;
}

/* The arguments of one XADD to the posts stream (see qu_xadd_build()). */
struct qu_xadd {
    const char *argv[QU_XADD_ARGS];
    size_t lens[QU_XADD_ARGS];
    int argc;
    char prio[4], urgency[16];
};

/* Appends field name with value, or nothing when value is NULL (a v 2 field that is
 * unknown is absent, never an empty string). */
static void qu_xadd_field(struct qu_xadd *x, const char *name, const char *value)
{
    if (value != NULL) {
        x->argv[x->argc++] = name;
        x->argv[x->argc++] = value;
    }
}

/* Builds XADD {ns}:posts * v .. network .. source .. post_id .. [triage fields]
 * [escalation 1] post JSON. A post triage has not scored is written exactly as in v 1; a
 * scored one (and every escalation) gets v 2 and the flat triage fields. Borrows every
 * string it is given. */
static void qu_xadd_build(const struct km_queue *q, const struct km_post *p, const char *source,
                          const char *json, bool escalation, struct qu_xadd *x)
{
    const struct km_post_triage *t = &p->triage;
    bool v2 = t->scored || escalation;
    x->argc = 0;
    x->argv[x->argc++] = "XADD";
    x->argv[x->argc++] = q->k_posts;
    x->argv[x->argc++] = "*";
    qu_xadd_field(x, "v", v2 ? "2" : "1");
    qu_xadd_field(x, "network", p->network);
    qu_xadd_field(x, "source", p->source != NULL ? p->source : source);
    qu_xadd_field(x, "post_id", p->id);
    if (v2) {
        snprintf(x->prio, sizeof(x->prio), "P%d", t->priority);
        snprintf(x->urgency, sizeof(x->urgency), "%d", t->urgency);
        qu_xadd_field(x, "priority", t->priority >= 1 && t->priority <= 4 ? x->prio : NULL);
        qu_xadd_field(x, "category", t->category);
        qu_xadd_field(x, "urgency", x->urgency);
        qu_xadd_field(x, "incident", t->incident);
        qu_xadd_field(x, "dup_of", t->dup_of);
    }
    qu_xadd_field(x, "escalation", escalation ? "1" : NULL);
    qu_xadd_field(x, "post", json);
    for (int i = 0; i < x->argc; i++) {
        x->lens[i] = strlen(x->argv[i]);
    }
}

/* Appends (does not send) the XADD of post p; json is its JSON, or NULL to encode it. */
static int qu_append_xadd(struct km_queue *q, const struct km_post *p, const char *source,
                          const char *json, struct km_err *err)
{
    char *own = json == NULL ? km_post_to_json(p) : NULL;
    struct qu_xadd x;
    qu_xadd_build(q, p, source, json != NULL ? json : own, false, &x);
    int rc = km_redis_append(q->r, x.argc, x.argv, x.lens, err);
    free(own);
    return rc;
}

/* Appends ZADD {ns}:seen GT now m ... for every member, new or repeated: the score is the
 * last sighting, so the trim forgets only items no feed served for the whole window. GT
 * keeps the later score when writers' clocks disagree (never moves a sighting back). */
static int qu_append_zadd(struct km_queue *q, char **members, size_t n, int64_t now,
                          struct km_err *err)
{
    char score[24];
    snprintf(score, sizeof(score), "%" PRId64, now);
    const char **argv = km_calloc(3 + 2 * n, sizeof(*argv));
    size_t *lens = km_calloc(3 + 2 * n, sizeof(*lens));
    size_t argc = 0;
    argv[argc++] = "ZADD";
    argv[argc++] = q->k_seen;
    argv[argc++] = "GT";
    for (size_t i = 0; i < n; i++) {
        argv[argc++] = score;
        argv[argc++] = members[i];
    }
    for (size_t i = 0; i < argc; i++) {
        lens[i] = strlen(argv[i]);
    }
    int rc = km_redis_append(q->r, (int)argc, argv, lens, err);
    free(argv);
    free(lens);
    return rc;
}

/* Appends the trimming of the seen-set and EXEC. */
static int qu_append_tail(struct km_queue *q, int64_t now, struct km_err *err)
{
    char cutoff[32];
    snprintf(cutoff, sizeof(cutoff), "(%" PRId64, now - q->window_ms);
    const char *trim[4] = {"ZREMRANGEBYSCORE", q->k_seen, "-inf", cutoff};
    size_t tl[4] = {16, strlen(q->k_seen), 4, strlen(cutoff)};
    int rc = km_redis_append(q->r, 4, trim, tl, err);
    const char *exec[1] = {"EXEC"};
    size_t el[1] = {4};
    return rc == KM_OK ? km_redis_append(q->r, 1, exec, el, err) : rc;
}

/* Appends the whole MULTI ... EXEC block; *cmds gets how many replies it will produce.
 * json (may be NULL) holds the posts' JSON, already encoded. */
static int qu_append_multi(struct km_queue *q, const char *source, const struct km_post_batch *b,
                           char *const *json, const char *cursor, char **members,
                           const bool *fresh, int64_t now, size_t *cmds, struct km_err *err)
{
    const char *multi[1] = {"MULTI"};
    size_t ml[1] = {5};
    int rc = km_redis_append(q->r, 1, multi, ml, err);
    *cmds = 1;
    for (size_t i = 0; rc == KM_OK && i < b->n; i++) {
        if (fresh[i]) {
            rc = qu_append_xadd(q, b->posts[i], source, json != NULL ? json[i] : NULL, err);
            (*cmds)++;
        }
    }
    if (rc == KM_OK && b->n > 0) {
        rc = qu_append_zadd(q, members, b->n, now, err);
        (*cmds)++;
    }
    if (rc == KM_OK && cursor != NULL) {
        const char *h[4] = {"HSET", q->k_cursors, source, cursor};
        size_t hl[4] = {4, strlen(q->k_cursors), strlen(source), strlen(cursor)};
        rc = km_redis_append(q->r, 4, h, hl, err);
        (*cmds)++;
    }
    if (rc == KM_OK) {
        rc = qu_append_tail(q, now, err);
        *cmds += 2;
    }
    return rc;
}

/* Checks the EXEC reply: nil means WATCH fired (nothing was done, try again). */
static int qu_exec_result(struct km_queue *q, const redisReply *r, bool *committed,
                          struct km_err *err)
{
    if (r->type == REDIS_REPLY_NIL) {
        return KM_OK;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        return km_redis_reply_error(q->r, r, "EXEC", err);
    }
    if (r->type != REDIS_REPLY_ARRAY) {
        return km_err_set(err, KM_ERR, "redis %s: EXEC: unexpected reply", km_redis_where(q->r));
    }
    *committed = true;
    for (size_t i = 0; i < r->elements; i++) {
        if (r->element[i]->type == REDIS_REPLY_ERROR) {
            /* Redis does not roll back commands that fail inside EXEC; with our fixed
             * commands this only happens when a key has the wrong type (set by hand). */
            return km_err_set(err, KM_ERR, "redis %s: EXEC partly failed: %.*s",
                              km_redis_where(q->r), (int)r->element[i]->len, r->element[i]->str);
        }
    }
    return KM_OK;
}

/* Reads the replies of the MULTI block: +OK, +QUEUED..., then EXEC's. */
static int qu_read_multi(struct km_queue *q, size_t cmds, bool *committed, struct km_err *err)
{
    int rc = KM_OK;
    *committed = false;
    for (size_t i = 0; i < cmds; i++) {
        redisReply *r = NULL;
        int io = km_redis_read(q->r, &r, "EXEC", err);
        if (io != KM_OK) {
            /* If the connection died after EXEC was sent, whether it ran is unknown. That
             * is safe: the caller retries the same batch, whose posts are then found in
             * the seen-set and not added twice (and the cursor is simply set again). */
            return io;
        }
        if (i + 1 == cmds && rc == KM_OK) {
            rc = qu_exec_result(q, r, committed, err);
        } else if (r->type == REDIS_REPLY_ERROR && rc == KM_OK) {
            rc = km_redis_reply_error(q->r, r, "MULTI", err); /* EXEC answers EXECABORT */
        }
        freeReplyObject(r);
    }
    return rc;
}

/* Ends a WATCH that is not followed by EXEC, so it cannot fail a later transaction. */
static void qu_unwatch(struct km_queue *q)
{
    const char *argv[1] = {"UNWATCH"};
    size_t lens[1] = {7};
    redisReply *r = NULL;
    km_redis_exec(q->r, 1, argv, lens, &r, NULL); /* on failure no connection is left */
    freeReplyObject(r);
}

/* One optimistic attempt: WATCH, find the fresh posts, MULTI ... EXEC in one round trip. */
static int qu_write_once(struct km_queue *q, const char *source, const struct km_post_batch *b,
                         char *const *json, const char *cursor, char **members, bool *fresh,
                         size_t *k, bool *committed, struct km_err *err)
{
    int64_t now = q->now_ms();
    int rc = qu_watch_seen(q, members, b->n, now, fresh, k, err);
    if (rc != KM_OK) {
        qu_unwatch(q);
        return rc;
    }
    size_t cmds = 0;
    rc = qu_append_multi(q, source, b, json, cursor, members, fresh, now, &cmds, err);
    return rc == KM_OK ? qu_read_multi(q, cmds, committed, err) : rc;
}

/* A batch write sent by km_queue_send_batch(), waiting for km_queue_finish_batch(). */
struct km_queue_sent {
    const char *source;                /* borrowed, as the batch */
    const struct km_post_batch *batch; /* borrowed */
    char **json;                       /* the posts' JSON (owned), or NULL */
    char *cursor;
    char **members;
    bool *fresh;
    size_t k;    /* fresh posts */
    size_t cmds; /* replies the sent MULTI block produces */
};

static void qu_sent_free(struct km_queue_sent *s)
{
    if (s == NULL) {
        return;
    }
    for (size_t i = 0; s->members != NULL && i < s->batch->n; i++) {
        free(s->members[i]);
    }
    free(s->members);
    for (size_t i = 0; s->json != NULL && i < s->batch->n; i++) {
        free(s->json[i]);
    }
    free(s->json);
    free(s->fresh);
    free(s->cursor);
    free(s);
}

/* The attempts of km_queue_write_batch() after the first one (WATCH fired or nothing sent
 * yet): each WATCH, find the fresh posts, MULTI ... EXEC. */
static int qu_write_rest(struct km_queue *q, struct km_queue_sent *s, int attempts,
                         struct km_err *err)
{
    bool committed = false;
    int rc = KM_OK;
    for (int i = 0; i < attempts && rc == KM_OK && !committed; i++) {
        rc = qu_write_once(q, s->source, s->batch, s->json, s->cursor, s->members, s->fresh,
                           &s->k, &committed, err);
    }
    if (rc == KM_OK && !committed) {
        rc = km_err_set(err, KM_RETRY, "redis %s: %s kept changing during %d attempts",
                        km_redis_where(q->r), q->k_seen, QU_WATCH_ATTEMPTS);
    }
    return rc;
}

/* The sent batch's counts, then frees it. */
static int qu_sent_done(struct km_queue_sent *s, int rc, size_t *added, size_t *dups)
{
    if (added != NULL) {
        *added = rc == KM_OK ? s->k : 0;
    }
    if (dups != NULL) {
        *dups = rc == KM_OK ? s->batch->n - s->k : 0;
    }
    qu_sent_free(s);
    return rc;
}

/* Checks the arguments and builds the members of a batch write. */
static int qu_sent_new(const char *source, const struct km_post_batch *batch, char **json,
                       const char *cursor, struct km_queue_sent **out, struct km_err *err)
{
    struct km_queue_sent *s = km_calloc(1, sizeof(*s));
    s->source = source;
    s->batch = batch;
    s->json = json;
    s->cursor = km_strdup(cursor);
    s->fresh = km_calloc(batch->n + 1, sizeof(*s->fresh));
    *out = s;
    if (source == NULL) {
        return km_err_set(err, KM_EINPUT, "write_batch: no source name");
    }
    return qu_members(batch, &s->members, err);
}

int km_queue_write_batch(struct km_queue *q, const char *source, const struct km_post_batch *batch,
                         const char *cursor, size_t *added, size_t *dups, struct km_err *err)
{
    struct km_queue_sent *s = NULL;
    int rc = qu_sent_new(source, batch, NULL, cursor, &s, err);
    if (rc == KM_OK) {
        rc = qu_write_rest(q, s, QU_WATCH_ATTEMPTS, err);
    }
    return qu_sent_done(s, rc, added, dups);
}

int km_queue_send_batch(struct km_queue *q, const char *source, const struct km_post_batch *batch,
                        char **json, const char *cursor, struct km_queue_sent **out,
                        struct km_err *err)
{
    struct km_queue_sent *s = NULL;
    *out = NULL;
    int rc = qu_sent_new(source, batch, json, cursor, &s, err);
    int64_t now = q->now_ms();
    if (rc == KM_OK) {
        rc = qu_watch_seen(q, s->members, batch->n, now, s->fresh, &s->k, err);
        if (rc != KM_OK) {
            qu_unwatch(q);
        }
    }
    if (rc == KM_OK) {
        rc = qu_append_multi(q, source, batch, s->json, s->cursor, s->members, s->fresh, now,
                             &s->cmds, err);
    }
    rc = rc == KM_OK ? km_redis_send(q->r, err) : rc;
    if (rc != KM_OK) {
        return qu_sent_done(s, rc, NULL, NULL);
    }
    *out = s;
    return KM_OK;
}

int km_queue_finish_batch(struct km_queue *q, struct km_queue_sent *s, size_t *added, size_t *dups,
                          struct km_err *err)
{
    bool committed = false;
    int rc = qu_read_multi(q, s->cmds, &committed, err);
    if (rc == KM_OK && !committed) {
        rc = qu_write_rest(q, s, QU_WATCH_ATTEMPTS - 1, err); /* WATCH fired: again */
    }
    return qu_sent_done(s, rc, added, dups);
}

/* ---- escalations --------------------------------------------------------------------- */

/* Whether p can have an escalation entry; else KM_EINPUT with err set. */
static int qu_escalation_valid(const struct km_post *p, struct km_err *err)
{
    if (p->network == NULL || p->id == NULL || p->network[0] == '\0' || p->id[0] == '\0' ||
        !p->triage.scored || p->triage.priority < 1 || p->triage.priority > 4) {
        return km_err_set(err, KM_EINPUT, "escalation: post %s:%s has no network, id or priority",
                          p->network != NULL ? p->network : "?", p->id != NULL ? p->id : "?");
    }
    return KM_OK;
}

/* Appends (does not send) the escalation XADD of p. */
static int qu_append_escalation(struct km_queue *q, const struct km_post *p, struct km_err *err)
{
    char *json = km_post_to_json(p);
    struct qu_xadd x;
    qu_xadd_build(q, p, "", json, true, &x);
    int rc = km_redis_append(q->r, x.argc, x.argv, x.lens, err);
    free(json);
    return rc;
}

/* Appends the XADD of every post whose rcs[] is KM_RETRY (still to write), connecting first
 * (PING) when there is no connection. */
static int qu_append_escalations(struct km_queue *q, struct km_post *const *posts, size_t n,
                                 const int *rcs, struct km_err *err)
{
    const char *ping[1] = {"PING"};
    const size_t ping_len[1] = {4};
    redisReply *r = NULL;
    int rc = KM_OK;
    for (size_t i = 0; rc == KM_OK && i < n; i++) {
        if (rcs[i] != KM_RETRY) {
            continue;
        }
        rc = qu_append_escalation(q, posts[i], err);
        if (rc == KM_RETRY && km_redis_call(q->r, 1, ping, ping_len, 0, &r, err) == KM_OK) {
            freeReplyObject(r);
            r = NULL;
            rc = qu_append_escalation(q, posts[i], err); /* not connected before the first */
        }
    }
    return rc;
}

/* Reads the replies of what qu_append_escalations() sent, in order, into rcs[] and errs[].
 * Stops at an I/O error (the connection is dropped): the rest stay KM_RETRY. */
static int qu_read_escalations(struct km_queue *q, size_t n, int *rcs, struct km_err *errs,
                               struct km_err *err)
{
    for (size_t i = 0; i < n; i++) {
        if (rcs[i] != KM_RETRY) {
            continue;
        }
        redisReply *r = NULL;
        int rc = km_redis_read(q->r, &r, "XADD", err);
        if (rc != KM_OK) {
            return rc;
        }
        struct km_err *e = errs != NULL ? &errs[i] : err;
        if (r->type == REDIS_REPLY_ERROR) {
            rcs[i] = km_redis_reply_error(q->r, r, "XADD", e);
        } else if (r->type != REDIS_REPLY_STRING) {
            rcs[i] = km_err_set(e, KM_ERR, "redis %s: XADD: unexpected reply type %d",
                                km_redis_where(q->r), r->type);
        } else {
            rcs[i] = KM_OK;
        }
        freeReplyObject(r);
    }
    return KM_OK;
}

int km_queue_write_escalations(struct km_queue *q, struct km_post *const *posts, size_t n, int *rcs,
                               struct km_err *errs)
{
    struct km_err err = {{0}};
    size_t todo = 0;
    for (size_t i = 0; i < n; i++) {
        rcs[i] = qu_escalation_valid(posts[i], errs != NULL ? &errs[i] : &err);
        rcs[i] = rcs[i] == KM_OK ? KM_RETRY : rcs[i]; /* KM_RETRY: still to write */
        todo += rcs[i] == KM_RETRY;
    }
    /* A connection that went stale while idle fails at once: like km_redis_call(), try
     * again once on a new one. An entry whose reply was lost may then be added twice,
     * which is harmless (see km_queue_write_escalation()). */
    for (int attempt = 0; attempt < 2 && todo > 0; attempt++) {
        /* a failed send or read leaves the entries not answered at KM_RETRY, err says why */
        if (qu_append_escalations(q, posts, n, rcs, &err) == KM_OK) {
            (void)qu_read_escalations(q, n, rcs, errs, &err);
        }
        todo = 0;
        for (size_t i = 0; i < n; i++) {
            todo += rcs[i] == KM_RETRY;
        }
    }
    for (size_t i = 0; errs != NULL && i < n; i++) {
        if (rcs[i] == KM_RETRY) {
            errs[i] = err;
        }
    }
    int rc = KM_OK;
    for (size_t i = 0; i < n && rc == KM_OK; i++) {
        rc = rcs[i];
    }
    return rc;
}

int km_queue_write_escalation(struct km_queue *q, const struct km_post *p, char **entry_id,
                              struct km_err *err)
{
    char *json = NULL;
    redisReply *r = NULL;
    int rc = KM_OK;
    if (entry_id != NULL) {
        *entry_id = NULL;
    }
    if ((rc = qu_escalation_valid(p, err)) != KM_OK) {
        goto out;
    }
    json = km_post_to_json(p);
    struct qu_xadd x;
    qu_xadd_build(q, p, "", json, true, &x);
    rc = km_redis_call(q->r, x.argc, x.argv, x.lens, 0, &r, err);
    if (rc == KM_OK && r->type != REDIS_REPLY_STRING) {
        rc = km_err_set(err, KM_ERR, "redis %s: XADD: unexpected reply type %d",
                        km_redis_where(q->r), r->type);
    }
    if (rc == KM_OK && entry_id != NULL) {
        *entry_id = km_strndup(r->str, r->len);
    }
out:
    freeReplyObject(r);
    free(json);
    return rc;
}
