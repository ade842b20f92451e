/* Consumer-group maintenance of the posts stream (see group.h): claiming, delivery counts,
 * dead letters and trimming by the oldest entry a group still needs. */
#include "queue/group.h"

#include "common/alloc.h"
#include "common/log.h"
#include "queue/queue_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* XPENDING page size of the claim fallback and XRANGE page of the trim fallback: one reply
 * stays small, a backlog of thousands takes a few round trips. */
#define QG_PAGE     100
#define QG_PAGE_STR "100"
/* Longest stream id: two 20-digit numbers, '-', NUL. */
#define QG_ID_MAX 48

/* Deletes the entry from the pending list and, only if it was there, adds the dead letter:
 * KEYS[1] posts, KEYS[2] dead, ARGV[1] group, ARGV[2] id, ARGV[3..] field, value pairs. */
static const char QG_DEAD_LUA[] =
    "if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 1 then "
    "return redis.call('XADD', KEYS[2], '*', unpack(ARGV, 3)) end return false";

/* ---- stream ids ---------------------------------------------------------------------- */

struct qg_id {
    uint64_t ms, seq;
};

/* Parses "ms-seq" (or "ms") of len bytes; false if it is not a stream id. */
static bool qg_id_parse(const char *s, size_t len, struct qg_id *id)
{
    char buf[QG_ID_MAX];
    if (len == 0 || len >= sizeof(buf)) {
        return false;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end = NULL;
    errno = 0;
    id->ms = strtoull(buf, &end, 10);
    id->seq = 0;
    if (*end == '-') {
        id->seq = strtoull(end + 1, &end, 10);
    }
    return *end == '\0' && errno == 0 && buf[0] >= '0' && buf[0] <= '9';
}

static int qg_id_cmp(const struct qg_id *a, const struct qg_id *b)
{
    if (a->ms != b->ms) {
        return a->ms < b->ms ? -1 : 1;
    }
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* The smallest id after id. */
static struct qg_id qg_id_next(struct qg_id id)
{
    if (id.seq == UINT64_MAX) {
        struct qg_id n = {id.ms + 1, 0};
        return n;
    }
    id.seq++;
    return id;
}

static void qg_id_format(const struct qg_id *id, char *out)
{
    snprintf(out, QG_ID_MAX, "%" PRIu64 "-%" PRIu64, id->ms, id->seq);
}

/* ---- claiming ------------------------------------------------------------------------ */

/* One XAUTOCLAIM round from *start; updates *start and *claimed. */
static int qg_autoclaim_round(struct km_queue *q, const char **argv, char **start, size_t *claimed,
                              struct km_err *err)
{
    redisReply *r = NULL;
    argv[5] = *start;
    int rc = km_queue_command(q, 7, argv, &r, err);
    if (rc == KM_OK &&
        (r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
         r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_ARRAY)) {
        rc =
            km_err_set(err, KM_ERR, "redis %s: XAUTOCLAIM: unexpected reply", km_redis_where(q->r));
    }
    if (rc == KM_OK) {
        free(*start);
        *start = km_strndup(r->element[0]->str, r->element[0]->len);
        *claimed += r->element[1]->elements;
        if (r->elements > 2 && r->element[2]->type == REDIS_REPLY_ARRAY &&
            r->element[2]->elements > 0) {
            KM_SLOG_WARN("queue",
                         "%zu pending entries of group %s were trimmed from %s "
                         "before anyone stored them",
                         r->element[2]->elements, argv[2], q->k_posts);
        }
    }
    freeReplyObject(r);
    return rc;
}

static int qg_autoclaim(struct km_queue *q, const char *group, const char *consumer,
                        const char *idle, size_t *claimed, struct km_err *err)
{
    /* COUNT stays at its default (100); the loop follows the returned cursor. */
    const char *argv[7] = {"XAUTOCLAIM", q->k_posts, group, consumer, idle, NULL, "JUSTID"};
    char *start = km_strdup("0-0");
    int rc = KM_OK;
    do {
        rc = qg_autoclaim_round(q, argv, &start, claimed, err);
    } while (rc == KM_OK && strcmp(start, "0-0") != 0);
    free(start);
    return rc;
}

/* XCLAIMs ids (JUSTID) for consumer if still idle for idle ms; adds the count to *claimed. */
static int qg_xclaim(struct km_queue *q, const char *group, const char *consumer, const char *idle,
                     const char **ids, size_t n, size_t *claimed, struct km_err *err)
{
    const char **argv = km_calloc(n + 6, sizeof(*argv));
    const char *head[5] = {"XCLAIM", q->k_posts, group, consumer, idle};
    memcpy(argv, head, sizeof(head));
    memcpy(argv + 5, ids, n * sizeof(*ids));
    argv[n + 5] = "JUSTID";
    redisReply *r = NULL;
    int rc = km_queue_command(q, (int)(n + 6), argv, &r, err);
    if (rc == KM_OK && r->type == REDIS_REPLY_ARRAY) {
        *claimed += r->elements;
    }
    freeReplyObject(r);
    free(argv);
    return rc;
}

/* One XPENDING page from *start (Redis 5 form, no IDLE filter): claims the entries idle for
 * min_idle_ms with other consumers. *more tells whether a next page may exist. */
static int qg_claim_page(struct km_queue *q, const char *group, const char *consumer,
                         int64_t min_idle_ms, const char *idle, struct qg_id *start, bool *more,
                         size_t *claimed, struct km_err *err)
{
    char from[QG_ID_MAX];
    qg_id_format(start, from);
    const char *argv[6] = {"XPENDING", q->k_posts, group, from, "+", QG_PAGE_STR};
    redisReply *r = NULL;
    const char **ids = NULL;
    size_t n = 0;
    *more = false;
    int rc = km_queue_command(q, 6, argv, &r, err);
    if (rc == KM_OK && r->type != REDIS_REPLY_ARRAY) {
        rc = km_err_set(err, KM_ERR, "redis %s: XPENDING: unexpected reply", km_redis_where(q->r));
    }
    if (rc != KM_OK) {
        goto out;
    }
    ids = km_calloc(r->elements + 1, sizeof(*ids));
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *e = r->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements < 4 ||
            e->element[0]->type != REDIS_REPLY_STRING ||
            e->element[1]->type != REDIS_REPLY_STRING ||
            e->element[2]->type != REDIS_REPLY_INTEGER ||
            !qg_id_parse(e->element[0]->str, e->element[0]->len, start)) {
            rc = km_err_set(err, KM_ERR, "redis %s: XPENDING: malformed entry",
                            km_redis_where(q->r));
            goto out;
        }
        *start = qg_id_next(*start);
        if (e->element[2]->integer >= min_idle_ms && strcmp(e->element[1]->str, consumer) != 0) {
            ids[n++] = e->element[0]->str;
        }
    }
    *more = r->elements == QG_PAGE;
    if (n > 0) {
        rc = qg_xclaim(q, group, consumer, idle, ids, n, claimed, err);
    }
out:
    free(ids);
    freeReplyObject(r);
    return rc;
}

static int qg_claim_legacy(struct km_queue *q, const char *group, const char *consumer,
                           int64_t min_idle_ms, const char *idle, size_t *claimed,
                           struct km_err *err)
{
    struct qg_id start = {0, 0};
    bool more = true;
    int rc = KM_OK;
    while (rc == KM_OK && more) {
        rc = qg_claim_page(q, group, consumer, min_idle_ms, idle, &start, &more, claimed, err);
    }
    return rc;
}

int km_queue_claim_idle(struct km_queue *q, const char *group, const char *consumer,
                        int64_t min_idle_ms, size_t *claimed, struct km_err *err)
{
    char idle[24];
    min_idle_ms = min_idle_ms > 0 ? min_idle_ms : 0;
    snprintf(idle, sizeof(idle), "%" PRId64, min_idle_ms);
    size_t total = 0;
    int rc = KM_OK;
    if (!q->legacy) {
        struct km_err e2 = {{0}};
        rc = qg_autoclaim(q, group, consumer, idle, &total, &e2);
        if (rc == KM_ERR && strstr(e2.msg, "unknown command") != NULL) {
            KM_SLOG_INFO("queue",
                         "redis %s has no XAUTOCLAIM (before 6.2): claiming with "
                         "XPENDING and XCLAIM",
                         km_redis_where(q->r));
            q->legacy = true;
        } else if (rc != KM_OK && err != NULL) {
            *err = e2;
        }
    }
    if (q->legacy) {
        rc = qg_claim_legacy(q, group, consumer, min_idle_ms, idle, &total, err);
    }
    if (claimed != NULL) {
        *claimed = rc == KM_OK ? total : 0;
    }
    return rc;
}

/* ---- delivery counts and dead letters ------------------------------------------------ */

int km_queue_deliveries(struct km_queue *q, const char *group, const char *id, long long *count,
                        struct km_err *err)
{
    const char *argv[6] = {"XPENDING", q->k_posts, group, id, id, "1"};
    redisReply *r = NULL;
    *count = 0;
    int rc = km_queue_command(q, 6, argv, &r, err);
    if (rc == KM_OK && r->type != REDIS_REPLY_ARRAY) {
        rc = km_err_set(err, KM_ERR, "redis %s: XPENDING: unexpected reply", km_redis_where(q->r));
    }
    if (rc == KM_OK && r->elements == 1) {
        const redisReply *e = r->element[0];
        if (e->type != REDIS_REPLY_ARRAY || e->elements < 4 ||
            e->element[3]->type != REDIS_REPLY_INTEGER) {
            rc = km_err_set(err, KM_ERR, "redis %s: XPENDING: malformed entry",
                            km_redis_where(q->r));
        } else {
            *count = e->element[3]->integer;
        }
    }
    freeReplyObject(r);
    return rc;
}

/* The entry's field, value strings from XRANGE id id into *fields (a borrowed sub-reply of
 * *r, NULL if the entry is gone). */
static int qg_fields_of(struct km_queue *q, const char *id, redisReply **r,
                        const redisReply **fields, struct km_err *err)
{
    const char *argv[4] = {"XRANGE", q->k_posts, id, id};
    *fields = NULL;
    int rc = km_queue_command(q, 4, argv, r, err);
    if (rc != KM_OK) {
        return rc;
    }
    const redisReply *x = *r;
    if (x->type == REDIS_REPLY_ARRAY && x->elements == 1 &&
        x->element[0]->type == REDIS_REPLY_ARRAY && x->element[0]->elements == 2 &&
        x->element[0]->element[1]->type == REDIS_REPLY_ARRAY) {
        *fields = x->element[0]->element[1];
    }
    return KM_OK;
}

int km_queue_dead_letter(struct km_queue *q, const char *group, const struct km_stream_entry *e,
                         const char *error, long long deliveries, bool *done, struct km_err *err)
{
    redisReply *orig = NULL, *r = NULL;
    const redisReply *f = NULL;
    const char **argv = NULL;
    size_t *lens = NULL;
    char count[24];
    snprintf(count, sizeof(count), "%lld", deliveries);
    if (done != NULL) {
        *done = false;
    }
    int rc = qg_fields_of(q, e->id, &orig, &f, err);
    if (rc != KM_OK) {
        goto out;
    }
    size_t nf = f != NULL ? f->elements / 2 * 2 : 0, argc = 0;
    argv = km_calloc(nf + 15, sizeof(*argv));
    lens = km_calloc(nf + 15, sizeof(*lens));
    const char *head[] = {"EVAL", QG_DEAD_LUA, "2", q->k_posts, q->k_dead, group, e->id};
    for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++) {
        argv[argc] = head[i];
        lens[argc++] = strlen(head[i]);
    }
    for (size_t i = 0; i < nf; i++) {
        argv[argc] = f->element[i]->str != NULL ? f->element[i]->str : "";
        lens[argc++] = f->element[i]->str != NULL ? f->element[i]->len : 0;
    }
    const char *tail[] = {
        "error", error != NULL ? error : "", "stream_id", e->id, "deliveries", count, "group",
        group};
    for (size_t i = 0; i < sizeof(tail) / sizeof(tail[0]); i++) {
        argv[argc] = tail[i];
        lens[argc++] = strlen(tail[i]);
    }
    rc = km_redis_call(q->r, (int)argc, argv, lens, 0, &r, err);
    if (rc == KM_OK && done != NULL) {
        *done = r->type == REDIS_REPLY_STRING;
    }
out:
    freeReplyObject(orig);
    freeReplyObject(r);
    free(argv);
    free(lens);
    return rc;
}

/* ---- trimming ------------------------------------------------------------------------ */

/* Looks up str field name in a flat [name, value, ...] reply; NULL if absent. */
static const redisReply *qg_field(const redisReply *r, const char *name)
{
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
        const redisReply *k = r->element[i];
        if (k->type == REDIS_REPLY_STRING && strcmp(k->str, name) == 0) {
            return r->element[i + 1];
        }
    }
    return NULL;
}

/* The oldest entry group g (an XINFO GROUPS element) still needs into *floor: its smallest
 * pending id, else the entry after its last-delivered-id. */
static int qg_group_floor(struct km_queue *q, const redisReply *g, struct qg_id *floor,
                          struct km_err *err)
{
    const redisReply *name = qg_field(g, "name"), *pending = qg_field(g, "pending");
    const redisReply *last = qg_field(g, "last-delivered-id");
    if (name == NULL || name->type != REDIS_REPLY_STRING || pending == NULL ||
        pending->type != REDIS_REPLY_INTEGER || last == NULL || last->type != REDIS_REPLY_STRING ||
        !qg_id_parse(last->str, last->len, floor)) {
        return km_err_set(err, KM_ERR, "redis %s: XINFO GROUPS: unexpected reply",
                          km_redis_where(q->r));
    }
    *floor = qg_id_next(*floor);
    if (pending->integer == 0) {
        return KM_OK;
    }
    const char *argv[3] = {"XPENDING", q->k_posts, name->str};
    redisReply *r = NULL;
    int rc = km_queue_command(q, 3, argv, &r, err);
    struct qg_id oldest = *floor;
    if (rc == KM_OK && (r->type != REDIS_REPLY_ARRAY || r->elements < 2)) {
        rc = km_err_set(err, KM_ERR, "redis %s: XPENDING: unexpected reply", km_redis_where(q->r));
    }
    /* nil: everything was acknowledged since XINFO ran */
    if (rc == KM_OK && r->element[1]->type == REDIS_REPLY_STRING &&
        !qg_id_parse(r->element[1]->str, r->element[1]->len, &oldest)) {
        rc = km_err_set(err, KM_ERR, "redis %s: XPENDING: bad id", km_redis_where(q->r));
    }
    if (rc == KM_OK && qg_id_cmp(&oldest, floor) < 0) {
        *floor = oldest;
    }
    freeReplyObject(r);
    return rc;
}

/* The oldest entry any group still needs into *cut; *groups tells whether there is one. */
static int qg_cut(struct km_queue *q, struct qg_id *cut, bool *groups, struct km_err *err)
{
    const char *argv[3] = {"XINFO", "GROUPS", q->k_posts};
    redisReply *r = NULL;
    *groups = false;
    int rc = km_queue_command(q, 3, argv, &r, err);
    if (rc == KM_OK && r->type != REDIS_REPLY_ARRAY) {
        rc = km_err_set(err, KM_ERR, "redis %s: XINFO GROUPS: unexpected reply",
                        km_redis_where(q->r));
    }
    for (size_t i = 0; rc == KM_OK && i < r->elements; i++) {
        struct qg_id floor = {0, 0}; /* 0-0 trims nothing */
        rc = qg_group_floor(q, r->element[i], &floor, err);
        if (rc == KM_OK && (!*groups || qg_id_cmp(&floor, cut) < 0)) {
            *cut = floor;
            *groups = true;
        }
    }
    freeReplyObject(r);
    return rc;
}

/* XDELs one page of the entries before cut; *more tells whether there may be others. */
static int qg_del_page(struct km_queue *q, const struct qg_id *cut, long long *removed, bool *more,
                       struct km_err *err)
{
    struct qg_id last = *cut;
    char end[QG_ID_MAX];
    *more = false;
    if (last.seq > 0) {
        last.seq--;
    } else if (last.ms > 0) {
        last.ms--;
        last.seq = UINT64_MAX;
    } else {
        return KM_OK; /* nothing is before 0-0 */
    }
    qg_id_format(&last, end);
    const char *argv[6] = {"XRANGE", q->k_posts, "-", end, "COUNT", QG_PAGE_STR};
    redisReply *r = NULL;
    int rc = km_queue_command(q, 6, argv, &r, err);
    if (rc == KM_OK && r->type == REDIS_REPLY_ARRAY && r->elements > 0) {
        const char **del = km_calloc(r->elements + 2, sizeof(*del));
        del[0] = "XDEL";
        del[1] = q->k_posts;
        for (size_t i = 0; i < r->elements; i++) {
            const redisReply *e = r->element[i];
            del[i + 2] =
                e->type == REDIS_REPLY_ARRAY && e->elements > 0 ? e->element[0]->str : "0-0";
        }
        redisReply *d = NULL;
        rc = km_queue_command(q, (int)r->elements + 2, del, &d, err);
        *removed += rc == KM_OK && d->type == REDIS_REPLY_INTEGER ? d->integer : 0;
        *more = rc == KM_OK && r->elements == QG_PAGE;
        freeReplyObject(d);
        free(del);
    }
    freeReplyObject(r);
    return rc;
}

/* XTRIM MINID ~ cut; switches q to the XDEL fallback on a server without MINID. */
static int qg_trim_minid(struct km_queue *q, const struct qg_id *cut, long long *removed,
                         struct km_err *err)
{
    char id[QG_ID_MAX];
    qg_id_format(cut, id);
    const char *argv[5] = {"XTRIM", q->k_posts, "MINID", "~", id};
    redisReply *r = NULL;
    struct km_err e2 = {{0}};
    int rc = km_queue_command(q, 5, argv, &r, &e2);
    if (rc == KM_OK && r->type == REDIS_REPLY_INTEGER) {
        *removed = r->integer;
    } else if (rc == KM_ERR && strstr(e2.msg, "syntax error") != NULL) {
        KM_SLOG_INFO("queue", "redis %s has no XTRIM MINID (before 6.2): trimming with XDEL",
                     km_redis_where(q->r));
        q->legacy = true;
        rc = KM_OK;
    } else if (rc != KM_OK && err != NULL) {
        *err = e2;
    }
    freeReplyObject(r);
    return rc;
}

int km_queue_trim(struct km_queue *q, long long *removed, struct km_err *err)
{
    long long len = 0, n = 0;
    struct qg_id cut = {0, 0};
    bool groups = false, more = true;
    int rc = q->maxlen > 0 ? km_queue_stream_len(q, &len, err) : KM_OK;
    if (rc != KM_OK || q->maxlen <= 0 || len <= q->maxlen) {
        goto out;
    }
    rc = qg_cut(q, &cut, &groups, err);
    if (rc == KM_OK && !groups) {
        char maxlen[24];
        snprintf(maxlen, sizeof(maxlen), "%lld", q->maxlen);
        const char *argv[5] = {"XTRIM", q->k_posts, "MAXLEN", "~", maxlen};
        redisReply *r = NULL;
        rc = km_queue_command(q, 5, argv, &r, err);
        n = rc == KM_OK && r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
        freeReplyObject(r);
        goto out;
    }
    if (rc == KM_OK && !q->legacy) {
        rc = qg_trim_minid(q, &cut, &n, err);
    }
    while (rc == KM_OK && q->legacy && more) {
        rc = qg_del_page(q, &cut, &n, &more, err);
    }
out:
    if (removed != NULL) {
        *removed = rc == KM_OK ? n : 0;
    }
    return rc;
}
