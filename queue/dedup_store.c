/* The dedup window in Redis (see dedup_store.h). Every op is one command or one
 * MULTI/EXEC sent as a pipeline: one round trip each. */
#include "queue/dedup_store.h"

#include "common/alloc.h"
#include "queue/redis.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Most arguments of one command built here (HSET of a record: key and five pairs). */
#define DDR_MAX_ARGS 12

struct km_dedup_redis {
    struct km_redis *r;
    char *prefix; /* "{ns}:dedup:" */
};

/* A batch of commands for one MULTI/EXEC, with the strings it owns. */
struct ddr_cmd {
    int argc;
    const char *argv[DDR_MAX_ARGS];
    size_t lens[DDR_MAX_ARGS];
};

struct ddr_batch {
    struct ddr_cmd *cmds;
    size_t n, cap;
    char **owned;
    size_t n_owned, cap_owned;
};

static void ddr_batch_free(struct ddr_batch *b)
{
    for (size_t i = 0; i < b->n_owned; i++) {
        free(b->owned[i]);
    }
    free(b->owned);
    free(b->cmds);
    memset(b, 0, sizeof(*b));
}

/* Starts a command named name; returns it for ddr_arg(). */
static struct ddr_cmd *ddr_cmd(struct ddr_batch *b, const char *name)
{
    if (b->n == b->cap) {
        b->cap = b->cap != 0 ? 2 * b->cap : 16;
        b->cmds = km_realloc(b->cmds, b->cap * sizeof(*b->cmds));
    }
    struct ddr_cmd *c = &b->cmds[b->n++];
    c->argc = 1;
    c->argv[0] = name;
    c->lens[0] = strlen(name);
    return c;
}

/* Adds a borrowed argument of len bytes (it must outlive the batch). */
static void ddr_arg(struct ddr_cmd *c, const void *s, size_t len)
{
    if (c->argc < DDR_MAX_ARGS) {
        c->argv[c->argc] = s;
        c->lens[c->argc++] = len;
    }
}

static void ddr_str(struct ddr_cmd *c, const char *s)
{
    ddr_arg(c, s, strlen(s));
}

/* Adds an argument the batch owns: s, taken (freed with the batch). Returns s. */
static const char *ddr_take(struct ddr_batch *b, struct ddr_cmd *c, char *s, size_t len)
{
    if (b->n_owned == b->cap_owned) {
        b->cap_owned = b->cap_owned != 0 ? 2 * b->cap_owned : 16;
        b->owned = km_realloc(b->owned, b->cap_owned * sizeof(*b->owned));
    }
    b->owned[b->n_owned++] = s;
    ddr_arg(c, s, len);
    return s;
}

/* The strings of a command without printf (which was the larger part of the client's time
 * in a check, make bench): keys are the prefix, a kind and up to two parts or 16 hex
 * digits; numbers are decimal with an optional lead character. Each returns the argument it
 * added, owned by the batch. */
static const char *ddr_key(struct ddr_batch *b, struct ddr_cmd *c, const struct km_dedup_redis *s,
                           const char *kind, const char *part, const char *tail)
{
    size_t lp = strlen(s->prefix), lk = strlen(kind), la = strlen(part);
    size_t lt = tail != NULL ? strlen(tail) : 0;
    char *k = km_malloc(lp + lk + la + lt + 1);
    /* The pieces one after the other; the last copy brings the terminating NUL. */
    memcpy(k, s->prefix, lp);
    memcpy(k + lp, kind, lk);       /* NOLINT(bugprone-not-null-terminated-result) */
    memcpy(k + lp + lk, part, la);  /* NOLINT(bugprone-not-null-terminated-result) */
    memcpy(k + lp + lk + la, tail != NULL ? tail : "", lt + 1);
    return ddr_take(b, c, k, lp + lk + la + lt);
}

/* Writes v as 16 lowercase hex digits (no terminator). */
static void ddr_hex16(uint64_t v, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--) {
        out[i] = digits[v & 15];
        v >>= 4;
    }
}

static const char *ddr_key_hex(struct ddr_batch *b, struct ddr_cmd *c,
                               const struct km_dedup_redis *s, const char *kind, uint64_t v)
{
    char hex[17];
    ddr_hex16(v, hex);
    hex[16] = '\0';
    return ddr_key(b, c, s, kind, hex, NULL);
}

static const char *ddr_num(struct ddr_batch *b, struct ddr_cmd *c, const char *lead, int64_t v)
{
    char tmp[32];
    size_t i = sizeof(tmp);
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    tmp[--i] = '\0';
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u > 0);
    if (v < 0) {
        tmp[--i] = '-';
    }
    size_t ll = lead != NULL ? strlen(lead) : 0, ln = sizeof(tmp) - 1 - i;
    char *out = km_malloc(ll + ln + 1);
    memcpy(out, lead != NULL ? lead : "", ll);
    memcpy(out + ll, tmp + i, ln + 1);
    return ddr_take(b, c, out, ll + ln);
}

/* Sends MULTI, the batch and EXEC in one pipeline and reads every reply. On KM_OK *exec is
 * EXEC's array, one element per command of the batch (freeReplyObject()). A connection
 * that went stale since its last use fails here with KM_RETRY; a check begins with a
 * plain get(), which reconnects and repeats, so that is rare. */
static int ddr_transaction(struct km_dedup_redis *s, const struct ddr_batch *b, const char *what,
                           redisReply **exec, struct km_err *err)
{
    const char *multi[1] = {"MULTI"};
    const size_t multi_len[1] = {5};
    redisReply *r = NULL;
    *exec = NULL;
    int rc = km_redis_append(s->r, 1, multi, multi_len, err);
    if (rc == KM_RETRY) { /* not connected: PING connects */
        const char *ping[1] = {"PING"};
        const size_t ping_len[1] = {4};
        rc = km_redis_call(s->r, 1, ping, ping_len, 0, &r, err);
        freeReplyObject(r);
        r = NULL;
        rc = rc == KM_OK ? km_redis_append(s->r, 1, multi, multi_len, err) : rc;
    }
    for (size_t i = 0; rc == KM_OK && i < b->n; i++) {
        rc = km_redis_append(s->r, b->cmds[i].argc, b->cmds[i].argv, b->cmds[i].lens, err);
    }
    const char *ex[1] = {"EXEC"};
    const size_t ex_len[1] = {4};
    rc = rc == KM_OK ? km_redis_append(s->r, 1, ex, ex_len, err) : rc;
    int first_error = KM_OK;
    for (size_t i = 0; rc == KM_OK && i <= b->n + 1; i++) { /* OK, every QUEUED, EXEC */
        rc = km_redis_read(s->r, &r, what, err);
        if (rc == KM_OK && r->type == REDIS_REPLY_ERROR && first_error == KM_OK) {
            first_error = km_redis_reply_error(s->r, r, what, err);
        }
        if (rc == KM_OK && i == b->n + 1 && first_error == KM_OK) {
            *exec = r;
            r = NULL;
        }
        freeReplyObject(r);
        r = NULL;
    }
    rc = rc == KM_OK ? first_error : rc;
    if (rc == KM_OK && ((*exec)->type != REDIS_REPLY_ARRAY || (*exec)->elements != b->n)) {
        rc = km_err_set(err, KM_ERR, "redis %s: %s: unexpected EXEC reply", km_redis_where(s->r),
                        what);
    }
    if (rc != KM_OK) {
        freeReplyObject(*exec);
        *exec = NULL;
    }
    return rc;
}

/* ---- records ------------------------------------------------------------------------- */

static const char *const ddr_rec_fields[5] = {"t", "fp", "dup", "inc", "sk"};

static void ddr_hmget_rec(struct km_dedup_redis *s, struct ddr_batch *b, const char *key)
{
    struct ddr_cmd *c = ddr_cmd(b, "HMGET");
    ddr_key(b, c, s, "post:", key, NULL);
    for (size_t i = 0; i < 5; i++) {
        ddr_str(c, ddr_rec_fields[i]);
    }
}

static char *ddr_dup_str(const redisReply *r)
{
    return r->type == REDIS_REPLY_STRING ? km_strndup(r->str, r->len) : NULL;
}

static bool ddr_parse_i64(const redisReply *r, int64_t *v)
{
    if (r->type == REDIS_REPLY_INTEGER) {
        *v = r->integer;
        return true;
    }
    char buf[32];
    if (r->type != REDIS_REPLY_STRING || r->len == 0 || r->len >= sizeof(buf)) {
        return false;
    }
    memcpy(buf, r->str, r->len);
    buf[r->len] = '\0';
    char *end = NULL;
    long long x = strtoll(buf, &end, 10);
    *v = x;
    return *end == '\0';
}

/* Decodes an HMGET reply of key into *out; false if absent, expired or malformed (a
 * record written by something else is ignored rather than trusted). */
static bool ddr_parse_rec(const char *key, const redisReply *r, int64_t now, int64_t window,
                          struct km_dedup_rec *out)
{
    int64_t t = 0;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 5 || !ddr_parse_i64(r->element[0], &t) ||
        t + window <= now || r->element[1]->type != REDIS_REPLY_STRING ||
        r->element[1]->len != 16 || r->element[3]->type != REDIS_REPLY_STRING) {
        return false;
    }
    const redisReply *sk = r->element[4];
    size_t n_sk = sk->type == REDIS_REPLY_STRING ? sk->len / 4 : 0;
    if (n_sk > KM_DEDUP_SKETCH_MAX || (sk->type == REDIS_REPLY_STRING && sk->len % 4 != 0)) {
        return false;
    }
    char hex[17];
    memcpy(hex, r->element[1]->str, 16);
    hex[16] = '\0';
    out->fingerprint = strtoull(hex, NULL, 16);
    out->key = km_strdup(key);
    out->t_ms = t;
    out->dup_of = ddr_dup_str(r->element[2]);
    out->incident = ddr_dup_str(r->element[3]);
    out->n_sketch = n_sk;
    out->sketch = n_sk != 0 ? km_malloc(n_sk * sizeof(*out->sketch)) : NULL;
    for (size_t i = 0; i < n_sk; i++) {
        const unsigned char *p = (const unsigned char *)sk->str + 4 * i;
        out->sketch[i] =
            (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    }
    return true;
}

static int ddr_get(void *store, const char *key, int64_t now, int64_t window,
                   struct km_dedup_rec *out, bool *found, struct km_err *err)
{
    struct km_dedup_redis *s = store;
    struct ddr_batch b = {0};
    redisReply *r = NULL;
    ddr_hmget_rec(s, &b, key);
    int rc = km_redis_call(s->r, b.cmds[0].argc, b.cmds[0].argv, b.cmds[0].lens, 0, &r, err);
    *found = rc == KM_OK && ddr_parse_rec(key, r, now, window, out);
    freeReplyObject(r);
    ddr_batch_free(&b);
    return rc;
}

/* ---- exact claims -------------------------------------------------------------------- */

/* Parses a claim "t:network:id"; NULL (and *t 0) if malformed. */
static const char *ddr_claim_key(const redisReply *r, int64_t *t)
{
    const char *colon = memchr(r->str, ':', r->len);
    *t = 0;
    if (colon == NULL || colon == r->str || colon - r->str > 20) {
        return NULL;
    }
    for (const char *p = r->str; p < colon; p++) {
        if (*p < '0' || *p > '9') {
            return NULL;
        }
        *t = *t * 10 + (*p - '0');
    }
    return colon + 1;
}

/* SET the claim of fp, only if none exists (nx) or unconditionally. */
static int ddr_set_claim(struct km_dedup_redis *s, uint64_t fp, const char *key, int64_t now,
                         int64_t window, bool nx, redisReply **r, struct km_err *err)
{
    struct ddr_batch b = {0};
    struct ddr_cmd *c = ddr_cmd(&b, "SET");
    ddr_key_hex(&b, c, s, "fp:", fp);
    char *claim = km_asprintf("%" PRId64 ":%s", now, key);
    ddr_take(&b, c, claim, strlen(claim));
    if (nx) {
        ddr_str(c, "NX");
        ddr_str(c, "GET");
    }
    ddr_str(c, "PXAT");
    ddr_num(&b, c, NULL, now + window);
    int rc = km_redis_call(s->r, c->argc, c->argv, c->lens, 0, r, err);
    ddr_batch_free(&b);
    return rc;
}

/* The claim is "t:network:id" so that a claim older than the window by the caller's clock
 * (Redis expires it by its own) is taken over rather than trusted. */
static int ddr_exact_claim(void *store, uint64_t fp, const char *key, int64_t now, int64_t window,
                           char **holder, struct km_err *err)
{
    struct km_dedup_redis *s = store;
    redisReply *r = NULL;
    *holder = NULL;
    int rc = ddr_set_claim(s, fp, key, now, window, true, &r, err);
    if (rc == KM_OK && r->type == REDIS_REPLY_STRING) {
        int64_t t = 0;
        const char *k = ddr_claim_key(r, &t);
        if (k != NULL && t + window > now) {
            *holder = km_strndup(k, r->len - (size_t)(k - r->str));
        } else { /* stale or malformed: ours now */
            freeReplyObject(r);
            r = NULL;
            rc = ddr_set_claim(s, fp, key, now, window, false, &r, err);
        }
    } else if (rc == KM_OK && r->type != REDIS_REPLY_NIL) {
        rc =
            km_err_set(err, KM_ERR, "redis %s: SET NX GET: unexpected reply", km_redis_where(s->r));
    }
    freeReplyObject(r);
    return rc;
}

/* ---- LSH candidates ------------------------------------------------------------------ */

/* Collects the distinct member names of the ZREVRANGEBYSCORE replies, at most max. */
static size_t ddr_members(const redisReply *exec, char **keys, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < exec->elements; i++) {
        const redisReply *z = exec->element[i];
        for (size_t j = 0; z->type == REDIS_REPLY_ARRAY && j < z->elements && n < max; j++) {
            const redisReply *m = z->element[j];
            bool seen = m->type != REDIS_REPLY_STRING || memchr(m->str, '\0', m->len) != NULL;
            for (size_t k = 0; !seen && k < n; k++) {
                seen = strlen(keys[k]) == m->len && memcmp(keys[k], m->str, m->len) == 0;
            }
            if (!seen) {
                keys[n++] = km_strndup(m->str, m->len);
            }
        }
    }
    return n;
}

/* Reads the records of keys[0..n) into *out (those still in the window). */
static int ddr_read_recs(struct km_dedup_redis *s, char **keys, size_t n, int64_t now,
                         int64_t window, struct km_dedup_rec **out, size_t *n_out,
                         struct km_err *err)
{
    struct ddr_batch b = {0};
    redisReply *exec = NULL;
    *out = km_calloc(n + 1, sizeof(**out));
    *n_out = 0;
    for (size_t i = 0; i < n; i++) {
        ddr_hmget_rec(s, &b, keys[i]);
    }
    int rc = n != 0 ? ddr_transaction(s, &b, "HMGET", &exec, err) : KM_OK;
    for (size_t i = 0; rc == KM_OK && i < n; i++) {
        *n_out += ddr_parse_rec(keys[i], exec->element[i], now, window, &(*out)[*n_out]);
    }
    freeReplyObject(exec);
    ddr_batch_free(&b);
    return rc;
}

static int ddr_band_candidates(void *store, const uint64_t *bands, size_t n_bands, size_t per_band,
                               int64_t now, int64_t window, struct km_dedup_rec **out, size_t *n,
                               struct km_err *err)
{
    struct km_dedup_redis *s = store;
    struct ddr_batch b = {0};
    redisReply *exec = NULL;
    size_t max = n_bands * per_band;
    char **keys = km_calloc(max + 1, sizeof(*keys));
    size_t n_keys = 0;
    *out = NULL;
    *n = 0;
    for (size_t i = 0; i < n_bands; i++) {
        struct ddr_cmd *c = ddr_cmd(&b, "ZREVRANGEBYSCORE");
        ddr_key_hex(&b, c, s, "lsh:", bands[i]);
        ddr_str(c, "+inf");
        ddr_num(&b, c, "(", now - window);
        ddr_str(c, "LIMIT");
        ddr_str(c, "0");
        ddr_num(&b, c, NULL, (int64_t)per_band);
    }
    int rc = ddr_transaction(s, &b, "ZREVRANGEBYSCORE", &exec, err);
    if (rc == KM_OK) {
        n_keys = ddr_members(exec, keys, max);
        rc = ddr_read_recs(s, keys, n_keys, now, window, out, n, err);
    }
    if (rc != KM_OK) {
        km_dedup_recs_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    for (size_t i = 0; i < n_keys; i++) {
        free(keys[i]);
    }
    free(keys);
    freeReplyObject(exec);
    ddr_batch_free(&b);
    return rc;
}

/* ---- writing a post ------------------------------------------------------------------ */

static void ddr_expire_at(struct ddr_batch *b, const char *key, int64_t at)
{
    struct ddr_cmd *c = ddr_cmd(b, "PEXPIREAT");
    ddr_str(c, key);
    ddr_num(b, c, NULL, at);
}

/* DEL + HSET + PEXPIREAT of the record. */
static void ddr_put_rec(struct km_dedup_redis *s, struct ddr_batch *b,
                        const struct km_dedup_rec *rec, int64_t window)
{
    struct ddr_cmd *c = ddr_cmd(b, "DEL");
    const char *key = ddr_key(b, c, s, "post:", rec->key, NULL);
    c = ddr_cmd(b, "HSET");
    ddr_str(c, key);
    ddr_str(c, "t");
    ddr_num(b, c, NULL, rec->t_ms);
    ddr_str(c, "fp");
    char *fp = km_malloc(17);
    ddr_hex16(rec->fingerprint, fp);
    fp[16] = '\0';
    ddr_take(b, c, fp, 16);
    ddr_str(c, "inc");
    ddr_str(c, rec->incident);
    if (rec->dup_of != NULL) {
        ddr_str(c, "dup");
        ddr_str(c, rec->dup_of);
    }
    if (rec->n_sketch != 0) {
        size_t n = rec->n_sketch < KM_DEDUP_SKETCH_MAX ? rec->n_sketch : KM_DEDUP_SKETCH_MAX;
        unsigned char *sk = km_malloc(4 * n);
        for (size_t i = 0; i < 4 * n; i++) {
            sk[i] = (unsigned char)(rec->sketch[i / 4] >> (8 * (i % 4)));
        }
        ddr_str(c, "sk");
        ddr_take(b, c, (char *)sk, 4 * n);
    }
    ddr_expire_at(b, key, rec->t_ms + window);
}

/* ZADD + trim + PEXPIREAT of each bucket. */
static void ddr_put_bands(struct km_dedup_redis *s, struct ddr_batch *b,
                          const struct km_dedup_rec *rec, const uint64_t *bands, size_t n_bands,
                          int64_t now, int64_t window)
{
    for (size_t i = 0; i < n_bands; i++) {
        struct ddr_cmd *c = ddr_cmd(b, "ZADD");
        const char *key = ddr_key_hex(b, c, s, "lsh:", bands[i]);
        ddr_num(b, c, NULL, rec->t_ms);
        ddr_str(c, rec->key);
        c = ddr_cmd(b, "ZREMRANGEBYSCORE");
        ddr_str(c, key);
        ddr_str(c, "-inf");
        ddr_num(b, c, NULL, now - window);
        ddr_expire_at(b, key, now + window);
    }
}

/* ZADD + trim + PEXPIREAT of each place key. */
static void ddr_put_places(struct km_dedup_redis *s, struct ddr_batch *b,
                           const struct km_dedup_rec *rec, int64_t now, int64_t window)
{
    for (size_t i = 0; i < rec->n_places; i++) {
        struct ddr_cmd *c = ddr_cmd(b, "ZADD");
        const char *key = ddr_key(b, c, s, "place:", rec->places[i], NULL);
        ddr_num(b, c, NULL, rec->t_ms);
        ddr_str(c, rec->key);
        c = ddr_cmd(b, "ZREMRANGEBYSCORE");
        ddr_str(c, key);
        ddr_str(c, "-inf");
        ddr_num(b, c, NULL, now - window);
        ddr_expire_at(b, key, now + window);
    }
}

/* Adds to the incident; returns the index of its SADD (HINCRBY and SCARD follow it at
 * +2 and +7). */
static size_t ddr_put_incident(struct km_dedup_redis *s, struct ddr_batch *b,
                               const struct km_dedup_rec *rec, const char *author, int64_t now,
                               int64_t window)
{
    size_t first = b->n;
    struct ddr_cmd *c = ddr_cmd(b, "SADD");
    const char *akey = ddr_key(b, c, s, "inc:", rec->incident, ":authors");
    ddr_str(c, author);
    ddr_expire_at(b, akey, now + window);
    c = ddr_cmd(b, "HINCRBY");
    const char *ikey = ddr_key(b, c, s, "inc:", rec->incident, NULL);
    ddr_str(c, "posts");
    ddr_str(c, "1");
    c = ddr_cmd(b, "HSETNX");
    ddr_str(c, ikey);
    ddr_str(c, "first");
    ddr_str(c, rec->key);
    c = ddr_cmd(b, "HSETNX");
    ddr_str(c, ikey);
    ddr_str(c, "t_first");
    ddr_num(b, c, NULL, rec->t_ms);
    c = ddr_cmd(b, "HSET");
    ddr_str(c, ikey);
    ddr_str(c, "t_last");
    ddr_num(b, c, NULL, rec->t_ms);
    ddr_expire_at(b, ikey, now + window);
    c = ddr_cmd(b, "SCARD");
    ddr_str(c, akey);
    return first;
}

static int ddr_put(void *store, const struct km_dedup_rec *rec, const uint64_t *bands,
                   size_t n_bands, const char *author, int64_t now, int64_t window,
                   struct km_dedup_size *size, struct km_err *err)
{
    struct km_dedup_redis *s = store;
    struct ddr_batch b = {0};
    redisReply *exec = NULL;
    if (rec->incident == NULL) {
        return km_err_set(err, KM_ERR, "dedup store: record %s without incident", rec->key);
    }
    ddr_put_rec(s, &b, rec, window);
    ddr_put_bands(s, &b, rec, bands, n_bands, now, window);
    ddr_put_places(s, &b, rec, now, window);
    size_t i = ddr_put_incident(s, &b, rec, author, now, window);
    int rc = ddr_transaction(s, &b, "put", &exec, err);
    if (rc == KM_OK && (exec->element[i]->type != REDIS_REPLY_INTEGER ||
                        exec->element[i + 2]->type != REDIS_REPLY_INTEGER ||
                        exec->element[i + 7]->type != REDIS_REPLY_INTEGER)) {
        rc = km_err_set(err, KM_ERR, "redis %s: put: unexpected reply", km_redis_where(s->r));
    }
    if (rc == KM_OK) {
        size->author_new = exec->element[i]->integer == 1;
        size->posts = (long)exec->element[i + 2]->integer;
        size->authors = (long)exec->element[i + 7]->integer;
    }
    freeReplyObject(exec);
    ddr_batch_free(&b);
    return rc;
}

static int ddr_incident_get(void *store, const char *incident, int64_t now, int64_t window,
                            struct km_dedup_size *size, struct km_err *err)
{
    (void)now;
    (void)window;
    struct km_dedup_redis *s = store;
    struct ddr_batch b = {0};
    redisReply *exec = NULL;
    struct ddr_cmd *c = ddr_cmd(&b, "HGET");
    ddr_key(&b, c, s, "inc:", incident, NULL);
    ddr_str(c, "posts");
    c = ddr_cmd(&b, "SCARD");
    ddr_key(&b, c, s, "inc:", incident, ":authors");
    memset(size, 0, sizeof(*size));
    int rc = ddr_transaction(s, &b, "incident", &exec, err);
    int64_t posts = 0;
    if (rc == KM_OK && ddr_parse_i64(exec->element[0], &posts)) {
        size->posts = (long)posts;
    }
    if (rc == KM_OK && exec->element[1]->type == REDIS_REPLY_INTEGER) {
        size->authors = (long)exec->element[1]->integer;
    }
    freeReplyObject(exec);
    ddr_batch_free(&b);
    return rc;
}

/* Moves the newest of recs[0..n) other than self into *out. */
static bool ddr_newest(struct km_dedup_rec *recs, size_t n, const char *self,
                       struct km_dedup_rec *out)
{
    struct km_dedup_rec *best = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(recs[i].key, self) != 0 && (best == NULL || recs[i].t_ms > best->t_ms)) {
            best = &recs[i];
        }
    }
    if (best != NULL) {
        *out = *best;
        memset(best, 0, sizeof(*best));
    }
    return best != NULL;
}

/* The two newest members of each place key (one of them may be self), then their
 * records. */
static int ddr_place_candidate(void *store, char *const *places, size_t n_places, const char *self,
                               int64_t now, int64_t window, struct km_dedup_rec *out, bool *found,
                               struct km_err *err)
{
    struct km_dedup_redis *s = store;
    struct ddr_batch b = {0};
    redisReply *exec = NULL;
    struct km_dedup_rec *recs = NULL;
    size_t max = 2 * n_places, n_keys = 0, n = 0;
    char **keys = km_calloc(max + 1, sizeof(*keys));
    *found = false;
    for (size_t i = 0; i < n_places; i++) {
        struct ddr_cmd *c = ddr_cmd(&b, "ZREVRANGEBYSCORE");
        ddr_key(&b, c, s, "place:", places[i], NULL);
        ddr_str(c, "+inf");
        ddr_num(&b, c, "(", now - window);
        ddr_str(c, "LIMIT");
        ddr_str(c, "0");
        ddr_str(c, "2");
    }
    int rc = n_places != 0 ? ddr_transaction(s, &b, "place", &exec, err) : KM_OK;
    if (rc == KM_OK && exec != NULL) {
        n_keys = ddr_members(exec, keys, max);
        rc = ddr_read_recs(s, keys, n_keys, now, window, &recs, &n, err);
    }
    if (rc == KM_OK) {
        *found = ddr_newest(recs, n, self, out);
    }
    km_dedup_recs_free(recs, n);
    for (size_t i = 0; i < n_keys; i++) {
        free(keys[i]);
    }
    free(keys);
    freeReplyObject(exec);
    ddr_batch_free(&b);
    return rc;
}

const struct km_dedup_store_ops km_dedup_redis_ops = {
    .name = "redis",
    .get = ddr_get,
    .exact_claim = ddr_exact_claim,
    .band_candidates = ddr_band_candidates,
    .put = ddr_put,
    .incident_get = ddr_incident_get,
    .place_candidate = ddr_place_candidate,
};

int km_dedup_redis_new(const struct km_queue_opts *opts, struct km_dedup_redis **out,
                       struct km_err *err)
{
    struct km_dedup_redis *s = km_calloc(1, sizeof(*s));
    int rc = km_redis_new(opts->url, opts->password, opts->timeout_ms, &s->r, err);
    const char *ns = opts->ns != NULL && opts->ns[0] != '\0' ? opts->ns : "komek";
    s->prefix = km_asprintf("{%s}:dedup:", ns);
    if (rc != KM_OK) {
        km_dedup_redis_free(s);
        s = NULL;
    }
    *out = s;
    return rc;
}

void km_dedup_redis_free(struct km_dedup_redis *s)
{
    if (s == NULL) {
        return;
    }
    km_redis_free(s->r);
    free(s->prefix);
    free(s);
}
