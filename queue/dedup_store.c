/* The dedup window in Redis (see dedup_store.h): an append-only log that every komekd
 * replays into its own in-memory store (triage/dedup_mem.c), which answers every lookup.
 * A put goes to that store at once and to the log with the next flush. */
#include "queue/dedup_store.h"

#include "common/alloc.h"
#include "common/buf.h"
#include "common/time.h"
#include "queue/redis.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Most arguments of one command built here (XADD of a record: key, id, nine pairs). */
#define DDR_MAX_ARGS 24
/* How far ahead of this machine's clock an entry's time may be (clocks drift). */
#define DDR_MAX_AHEAD_MS (10 * 60 * 1000LL)
/* Log entries read per XREAD while catching up. */
#define DDR_READ_COUNT "2000"

struct ddr_cmd;

/* A batch of commands for one MULTI/EXEC, with the strings it owns. */
struct ddr_batch {
    struct ddr_cmd *cmds;
    size_t n, cap;
    char **owned;
    size_t n_owned, cap_owned;
};

struct km_dedup_redis {
    struct km_redis *r;
    char *log_key;            /* "{ns}:dedup:log" */
    struct km_dedup_mem *mem; /* every entry of the log applied, plus this process's puts */
    char last_id[48];         /* the newest log entry applied: XREAD goes on after it */
    bool in_batch;            /* between km_dedup_redis_begin() and _flush() */
    int64_t window_ms;        /* of the last op (the log is trimmed to it) */
    struct ddr_batch pending; /* XADDs of puts not yet in Redis, oldest first */
    size_t flushing;          /* of them, sent by km_dedup_redis_flush_send(), replies unread */
    struct km_dedup_redis_stats st;
};

struct ddr_cmd {
    int argc;
    const char *argv[DDR_MAX_ARGS];
    size_t lens[DDR_MAX_ARGS];
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

/* Numbers and hex digits are written without printf, which was the larger part of the
 * client's time in a check (make bench). */
static const char *ddr_num(struct ddr_batch *b, struct ddr_cmd *c, const char *lead, int64_t v)
{
    size_t ll = lead != NULL ? strlen(lead) : 0;
    char *out = km_malloc(ll + KM_FMT_I64_MAX + 1);
    memcpy(out, lead != NULL ? lead : "", ll);
    size_t ln = km_fmt_i64(out + ll, v);
    out[ll + ln] = '\0';
    return ddr_take(b, c, out, ll + ln);
}

/* Sends MULTI, the batch and EXEC in one pipeline without reading any reply. A connection
 * that went stale since its last use fails only when the replies are read (KM_RETRY); a
 * check begins with a plain get(), which reconnects and repeats, so that is rare. */
static int ddr_tx_send(struct km_dedup_redis *s, const struct ddr_batch *b, struct km_err *err)
{
    const char *multi[1] = {"MULTI"};
    const size_t multi_len[1] = {5};
    redisReply *r = NULL;
    int rc = km_redis_append(s->r, 1, multi, multi_len, err);
    if (rc == KM_RETRY) { /* not connected: PING connects */
        const char *ping[1] = {"PING"};
        const size_t ping_len[1] = {4};
        rc = km_redis_call(s->r, 1, ping, ping_len, 0, &r, err);
        freeReplyObject(r);
        rc = rc == KM_OK ? km_redis_append(s->r, 1, multi, multi_len, err) : rc;
    }
    for (size_t i = 0; rc == KM_OK && i < b->n; i++) {
        rc = km_redis_append(s->r, b->cmds[i].argc, b->cmds[i].argv, b->cmds[i].lens, err);
    }
    const char *ex[1] = {"EXEC"};
    const size_t ex_len[1] = {4};
    rc = rc == KM_OK ? km_redis_append(s->r, 1, ex, ex_len, err) : rc;
    return rc == KM_OK ? km_redis_send(s->r, err) : rc;
}

/* Reads the replies of a transaction of n commands ddr_tx_send() sent. On KM_OK *exec is
 * EXEC's array, one element per command (freeReplyObject()). */
static int ddr_tx_read(struct km_dedup_redis *s, size_t n, const char *what, redisReply **exec,
                       struct km_err *err)
{
    redisReply *r = NULL;
    *exec = NULL;
    int rc = KM_OK;
    int first_error = KM_OK;
    for (size_t i = 0; rc == KM_OK && i <= n + 1; i++) { /* OK, every QUEUED, EXEC */
        rc = km_redis_read(s->r, &r, what, err);
        if (rc == KM_OK && r->type == REDIS_REPLY_ERROR && first_error == KM_OK) {
            first_error = km_redis_reply_error(s->r, r, what, err);
        }
        if (rc == KM_OK && i == n + 1 && first_error == KM_OK) {
            *exec = r;
            r = NULL;
        }
        freeReplyObject(r);
        r = NULL;
    }
    rc = rc == KM_OK ? first_error : rc;
    if (rc == KM_OK && ((*exec)->type != REDIS_REPLY_ARRAY || (*exec)->elements != n)) {
        rc = km_err_set(err, KM_ERR, "redis %s: %s: unexpected EXEC reply", km_redis_where(s->r),
                        what);
    }
    if (rc != KM_OK) {
        freeReplyObject(*exec);
        *exec = NULL;
    }
    return rc;
}

/* ---- writing the log ----------------------------------------------------------------- */

/* Adds a copy of len bytes at p as the value of field name. */
static void ddr_field(struct ddr_batch *b, struct ddr_cmd *c, const char *name, const void *p,
                      size_t len)
{
    char *v = km_malloc(len + 1);
    memcpy(v, p, len);
    v[len] = '\0';
    ddr_str(c, name);
    ddr_take(b, c, v, len);
}

static void ddr_put_le(unsigned char *out, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) {
        out[i] = (unsigned char)(v >> (8 * i));
    }
}

/* Queues an XADD of a log entry for post key at t_ms: the command, its k and t fields;
 * the caller adds the others. */
static struct ddr_cmd *ddr_entry_start(struct km_dedup_redis *s, const char *key, int64_t t_ms)
{
    struct ddr_batch *b = &s->pending;
    struct ddr_cmd *c = ddr_cmd(b, "XADD");
    ddr_str(c, s->log_key);
    ddr_str(c, "*");
    ddr_field(b, c, "k", key, strlen(key));
    ddr_str(c, "t");
    ddr_num(b, c, NULL, t_ms);
    return c;
}

/* Queues the XADD of rec (see dedup_store.h for the fields). */
static void ddr_queue_entry(struct km_dedup_redis *s, const struct km_dedup_rec *rec,
                            const uint64_t *bands, size_t n_bands, const char *author)
{
    struct ddr_batch *b = &s->pending;
    struct ddr_cmd *c = ddr_entry_start(s, rec->key, rec->t_ms);
    char hex[16];
    km_fmt_hex64(hex, rec->fingerprint);
    ddr_field(b, c, "f", hex, sizeof(hex));
    ddr_field(b, c, "i", rec->incident, strlen(rec->incident));
    if (rec->dup_of != NULL) {
        ddr_field(b, c, "d", rec->dup_of, strlen(rec->dup_of));
    }
    if (author != NULL) {
        ddr_field(b, c, "a", author, strlen(author));
    }
    unsigned char bin[8 * (KM_DEDUP_BANDS > KM_DEDUP_SKETCH_MAX / 2 ? KM_DEDUP_BANDS
                                                                    : KM_DEDUP_SKETCH_MAX / 2)];
    n_bands = n_bands < KM_DEDUP_BANDS ? n_bands : KM_DEDUP_BANDS;
    for (size_t i = 0; i < n_bands; i++) {
        ddr_put_le(bin + 8 * i, bands[i], 8);
    }
    if (n_bands > 0) {
        ddr_field(b, c, "b", bin, 8 * n_bands);
    }
    size_t n_sk = rec->n_sketch < KM_DEDUP_SKETCH_MAX ? rec->n_sketch : KM_DEDUP_SKETCH_MAX;
    for (size_t i = 0; i < n_sk; i++) {
        ddr_put_le(bin + 4 * i, rec->sketch[i], 4);
    }
    if (n_sk > 0) {
        ddr_field(b, c, "s", bin, 4 * n_sk);
    }
    if (rec->n_places > 0) {
        struct km_buf p = KM_BUF_INIT;
        for (size_t i = 0; i < rec->n_places; i++) {
            km_buf_printf(&p, "%s%s", i > 0 ? "\n" : "", rec->places[i]);
        }
        ddr_field(b, c, "p", p.data, p.len);
        km_buf_free(&p);
    }
}

/* Trims entries older than the window (by this machine's clock: stream ids are Redis's
 * times of the writes), best effort and before the writes, so that a Redis out of memory
 * can still shrink the log. */
static void ddr_trim(struct km_dedup_redis *s)
{
    char min[24];
    int64_t m = km_time_now_ms() - s->window_ms;
    snprintf(min, sizeof(min), "%lld", (long long)(m > 0 ? m : 0));
    const char *argv[4] = {"XTRIM", s->log_key, "MINID", min};
    const size_t lens[4] = {5, strlen(s->log_key), 5, strlen(min)};
    redisReply *r = NULL;
    struct km_err err = {{0}};
    if (km_redis_call(s->r, 4, argv, lens, 0, &r, &err) == KM_OK) {
        freeReplyObject(r);
    }
}

/* After a write whose EXEC reply is exec (XREAD COUNT 1 after last_id, then one id per
 * XADD): when nobody had appended since last_id, the entries just written follow it
 * directly (a MULTI/EXEC block is never interleaved), and they are applied already, so
 * reading goes on after the last of them instead of reading them back. */
static void ddr_skip_own(struct km_dedup_redis *s, const redisReply *exec)
{
    if (exec->elements < 2 || exec->element[0]->type != REDIS_REPLY_NIL) {
        return;
    }
    const redisReply *last = exec->element[exec->elements - 1];
    if (last->type != REDIS_REPLY_STRING || last->len >= sizeof(s->last_id)) {
        return;
    }
    memcpy(s->last_id, last->str, last->len);
    s->last_id[last->len] = '\0';
}

/* Sends the queued entries in one MULTI/EXEC, after an XREAD that tells whether anyone
 * else appended since last_id (see ddr_skip_own()); ddr_pending_read() reads the replies. */
static int ddr_pending_send(struct km_dedup_redis *s, struct km_err *err)
{
    size_t n = s->pending.n;
    s->flushing = 0;
    if (n == 0) {
        return KM_OK;
    }
    ddr_trim(s);
    struct ddr_cmd *cmds = km_malloc((n + 1) * sizeof(*cmds));
    cmds[0] = (struct ddr_cmd){
        .argc = 6, .argv = {"XREAD", "COUNT", "1", "STREAMS", s->log_key, s->last_id}};
    for (int i = 0; i < cmds[0].argc; i++) {
        cmds[0].lens[i] = strlen(cmds[0].argv[i]);
    }
    memcpy(cmds + 1, s->pending.cmds, n * sizeof(*cmds));
    struct ddr_batch all = {.cmds = cmds, .n = n + 1};
    int rc = ddr_tx_send(s, &all, err);
    free(cmds);
    s->flushing = rc == KM_OK ? n : 0;
    return rc;
}

/* Reads what ddr_pending_send() sent; on success the entries are written and forgotten,
 * else kept for the next attempt. */
static int ddr_pending_read(struct km_dedup_redis *s, struct km_err *err)
{
    size_t n = s->flushing;
    s->flushing = 0;
    if (n == 0) {
        return KM_OK;
    }
    redisReply *exec = NULL;
    int rc = ddr_tx_read(s, n + 1, "XADD dedup log", &exec, err);
    if (rc == KM_OK) {
        ddr_skip_own(s, exec);
        s->st.written += n;
        ddr_batch_free(&s->pending);
    }
    freeReplyObject(exec);
    return rc;
}

/* Writes the queued entries (one round trip). */
static int ddr_write_pending(struct km_dedup_redis *s, struct km_err *err)
{
    int rc = ddr_pending_send(s, err);
    return rc == KM_OK ? ddr_pending_read(s, err) : rc;
}

/* ---- reading the log ----------------------------------------------------------------- */

static uint64_t ddr_get_le(const char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--) {
        v = v << 8 | (unsigned char)p[i];
    }
    return v;
}

static bool ddr_parse_i64(const char *s, size_t len, int64_t *v)
{
    if (len == 0 || len > 18) { /* 18 digits cannot overflow */
        return false;
    }
    int64_t x = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return true;
}

static bool ddr_parse_hex16(const char *s, size_t len, uint64_t *v)
{
    if (len != 16) {
        return false;
    }
    uint64_t x = 0;
    for (size_t i = 0; i < 16; i++) {
        int d = s[i] >= '0' && s[i] <= '9'   ? s[i] - '0'
                : s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10
                                             : -1;
        if (d < 0) {
            return false;
        }
        x = x << 4 | (uint64_t)d;
    }
    *v = x;
    return true;
}

/* One entry of the log, decoded; strings borrowed from the reply except places. */
struct ddr_entry {
    struct km_dedup_rec rec; /* key, dup_of, incident and sketch owned (cleared after use) */
    uint64_t bands[KM_DEDUP_BANDS];
    size_t n_bands;
    char *author;
    char *places[KM_DEDUP_MAX_PLACES];
    int64_t level; /* an escalation mark's level, else 0 */
};

static void ddr_entry_clear(struct ddr_entry *e)
{
    km_dedup_rec_clear(&e->rec);
    free(e->author);
    for (size_t i = 0; i < KM_DEDUP_MAX_PLACES; i++) {
        free(e->places[i]);
    }
}

static size_t ddr_parse_places(struct ddr_entry *e, const redisReply *v)
{
    const char *p = v->str, *end = v->str + v->len;
    size_t n = 0;
    while (p < end && n < KM_DEDUP_MAX_PLACES) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl != NULL ? nl : end;
        if (stop > p) {
            e->places[n++] = km_strndup(p, (size_t)(stop - p));
        }
        p = stop + 1;
    }
    return n;
}

/* Decodes one field of an entry; false if its value is malformed. */
static bool ddr_parse_field(struct ddr_entry *e, const redisReply *f, const redisReply *v)
{
    struct km_dedup_rec *r = &e->rec;
    if (f->type != REDIS_REPLY_STRING || f->len != 1 || v->type != REDIS_REPLY_STRING) {
        return true; /* a field of a later version: ignored */
    }
    switch (f->str[0]) {
    case 'k':
        free(r->key);
        r->key = km_strndup(v->str, v->len);
        return v->len > 0;
    case 't':
        return ddr_parse_i64(v->str, v->len, &r->t_ms);
    case 'f':
        return ddr_parse_hex16(v->str, v->len, &r->fingerprint);
    case 'i':
        free(r->incident);
        r->incident = km_strndup(v->str, v->len);
        return v->len > 0;
    case 'd':
        free(r->dup_of);
        r->dup_of = km_strndup(v->str, v->len);
        return v->len > 0;
    case 'a':
        free(e->author);
        e->author = km_strndup(v->str, v->len);
        return true;
    case 'b':
        if (v->len % 8 != 0 || v->len / 8 > KM_DEDUP_BANDS) {
            return false;
        }
        e->n_bands = v->len / 8;
        for (size_t i = 0; i < e->n_bands; i++) {
            e->bands[i] = ddr_get_le(v->str + 8 * i, 8);
        }
        return true;
    case 's':
        if (v->len % 4 != 0 || v->len / 4 > KM_DEDUP_SKETCH_MAX || r->sketch != NULL) {
            return false;
        }
        r->n_sketch = v->len / 4;
        r->sketch = km_malloc(r->n_sketch * sizeof(*r->sketch));
        for (size_t i = 0; i < r->n_sketch; i++) {
            r->sketch[i] = (uint32_t)ddr_get_le(v->str + 4 * i, 4);
        }
        return true;
    case 'e':
        return ddr_parse_i64(v->str, v->len, &e->level) && e->level >= 1 &&
               e->level <= KM_DEDUP_MAX_LEVELS;
    case 'p':
        if (r->places != NULL) {
            return false;
        }
        r->n_places = ddr_parse_places(e, v);
        r->places = e->places;
        return true;
    default:
        return true;
    }
}

/* Applies one entry's fields to the copy; false if it is malformed or from the future (a
 * clock far ahead would otherwise expire every copy's window). An entry of a post the copy
 * already holds (this process's own put, or a check repeated after a failed write) or one
 * older than the window is left alone. Expiry follows this machine's clock. */
static bool ddr_apply(struct km_dedup_redis *s, const redisReply *fields)
{
    struct ddr_entry e = {0};
    bool ok = fields->type == REDIS_REPLY_ARRAY && fields->elements % 2 == 0;
    e.rec.t_ms = -1;
    for (size_t i = 0; ok && i < fields->elements; i += 2) {
        ok = ddr_parse_field(&e, fields->element[i], fields->element[i + 1]);
    }
    int64_t now = km_time_now_ms();
    ok = ok && e.rec.key != NULL && e.rec.incident != NULL && e.rec.t_ms >= 0 &&
         (e.rec.fingerprint != 0 || e.level > 0) && e.rec.t_ms <= now + DDR_MAX_AHEAD_MS;
    const struct km_dedup_store_ops *m = &km_dedup_mem_ops;
    struct km_err err = {{0}};
    bool known = !ok || e.rec.t_ms + s->window_ms <= now;
    if (!known && e.rec.fingerprint == 0) { /* an escalation mark */
        m->escalated(s->mem, e.rec.incident, e.rec.key, (int)e.level, now, s->window_ms, &err);
        known = true;
    }
    if (!known) {
        struct km_dedup_rec old = {0};
        m->get(s->mem, e.rec.key, now, s->window_ms, &old, &known, &err);
        km_dedup_rec_clear(&old);
    }
    if (!known) {
        if (e.author == NULL) { /* as triage/dedup.c names an unknown author */
            e.author = km_asprintf("post:%s", e.rec.key);
        }
        char *holder = NULL;
        m->exact_claim(s->mem, e.rec.fingerprint, e.rec.key, now, s->window_ms, &holder, &err);
        free(holder);
        struct km_dedup_size size;
        m->put(s->mem, &e.rec, e.bands, e.n_bands, e.author, now, s->window_ms, &size, &err);
        s->st.applied++;
    }
    e.rec.places = NULL; /* e.places, freed below */
    e.rec.n_places = 0;
    ddr_entry_clear(&e);
    return ok;
}

/* Applies the entries of one XREAD reply; returns how many it held. */
static size_t ddr_apply_reply(struct km_dedup_redis *s, const redisReply *r)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
        r->element[0]->type != REDIS_REPLY_ARRAY || r->element[0]->elements != 2) {
        return 0;
    }
    const redisReply *entries = r->element[0]->element[1];
    if (entries->type != REDIS_REPLY_ARRAY) {
        return 0;
    }
    for (size_t i = 0; i < entries->elements; i++) {
        const redisReply *e = entries->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
            e->element[0]->type != REDIS_REPLY_STRING || e->element[0]->len >= sizeof(s->last_id)) {
            continue;
        }
        memcpy(s->last_id, e->element[0]->str, e->element[0]->len);
        s->last_id[e->element[0]->len] = '\0';
        s->st.read++;
        if (!ddr_apply(s, e->element[1])) {
            s->st.skipped++;
        }
    }
    return entries->elements;
}

/* Reads and applies every entry after last_id. */
static int ddr_sync(struct km_dedup_redis *s, struct km_err *err)
{
    for (;;) {
        const char *argv[6] = {"XREAD", "COUNT", DDR_READ_COUNT, "STREAMS", s->log_key, s->last_id};
        size_t lens[6];
        for (size_t i = 0; i < 6; i++) {
            lens[i] = strlen(argv[i]);
        }
        redisReply *r = NULL;
        int rc = km_redis_call(s->r, 6, argv, lens, 0, &r, err);
        if (rc != KM_OK) {
            return rc;
        }
        size_t n = r->type == REDIS_REPLY_NIL ? 0 : ddr_apply_reply(s, r);
        freeReplyObject(r);
        if (n < (size_t)atoi(DDR_READ_COUNT)) {
            return KM_OK;
        }
    }
}

/* Before an op: outside a batch, writes what is pending and reads what others wrote. */
static int ddr_ready(struct km_dedup_redis *s, int64_t window, struct km_err *err)
{
    s->window_ms = window;
    if (s->in_batch) {
        return KM_OK;
    }
    int rc = ddr_write_pending(s, err);
    return rc == KM_OK ? ddr_sync(s, err) : rc;
}

/* ---- the ops: the copy answers ------------------------------------------------------- */

static int ddr_get(void *store, const char *key, int64_t now, int64_t window,
                   struct km_dedup_rec *out, bool *found, struct km_err *err)
{
    struct km_dedup_redis *s = store;
    *found = false;
    int rc = ddr_ready(s, window, err);
    return rc == KM_OK ? km_dedup_mem_ops.get(s->mem, key, now, window, out, found, err) : rc;
}

static int ddr_exact_claim(void *store, uint64_t fp, const char *key, int64_t now, int64_t window,
                           char **holder, struct km_err *err)
{
    struct km_dedup_redis *s = store;
    *holder = NULL;
    int rc = ddr_ready(s, window, err);
    return rc == KM_OK ? km_dedup_mem_ops.exact_claim(s->mem, fp, key, now, window, holder, err)
                       : rc;
}

static int ddr_band_candidates(void *store, const uint64_t *bands, size_t n_bands, size_t per_band,
                               int64_t now, int64_t window, struct km_dedup_rec **out, size_t *n,
                               struct km_err *err)
{
    struct km_dedup_redis *s = store;
    *out = NULL;
    *n = 0;
    int rc = ddr_ready(s, window, err);
    return rc == KM_OK ? km_dedup_mem_ops.band_candidates(s->mem, bands, n_bands, per_band, now,
                                                          window, out, n, err)
                       : rc;
}

static int ddr_near_best(void *store, const struct km_dedup_near_query *q, int64_t now,
                         int64_t window, struct km_dedup_rec *out, double *jaccard, bool *found,
                         struct km_err *err)
{
    struct km_dedup_redis *s = store;
    *found = false;
    int rc = ddr_ready(s, window, err);
    return rc == KM_OK
               ? km_dedup_mem_ops.near_best(s->mem, q, now, window, out, jaccard, found, err)
               : rc;
}

static int ddr_put(void *store, const struct km_dedup_rec *rec, const uint64_t *bands,
                   size_t n_bands, const char *author, int64_t now, int64_t window,
                   struct km_dedup_size *size, struct km_err *err)
{
    struct km_dedup_redis *s = store;
    int rc = ddr_ready(s, window, err);
    if (rc != KM_OK) {
        return rc;
    }
    rc = km_dedup_mem_ops.put(s->mem, rec, bands, n_bands, author, now, window, size, err);
    if (rc == KM_OK) {
        ddr_queue_entry(s, rec, bands, n_bands, author);
    }
    /* Outside a batch the entry is written now; if that fails the check still fails, and
     * its repeat finds the record here and writes it before anything else. */
    return rc == KM_OK && !s->in_batch ? ddr_write_pending(s, err) : rc;
}

static int ddr_incident_get(void *store, const char *incident, int64_t now, int64_t window,
                            struct km_dedup_size *size, struct km_err *err)
{
    struct km_dedup_redis *s = store;
    int rc = ddr_ready(s, window, err);
    return rc == KM_OK ? km_dedup_mem_ops.incident_get(s->mem, incident, now, window, size, err)
                       : rc;
}

static int ddr_place_candidate(void *store, char *const *places, size_t n_places, const char *self,
                               int64_t now, int64_t window, struct km_dedup_rec *out, bool *found,
                               struct km_err *err)
{
    struct km_dedup_redis *s = store;
    *found = false;
    int rc = ddr_ready(s, window, err);
    return rc == KM_OK ? km_dedup_mem_ops.place_candidate(s->mem, places, n_places, self, now,
                                                          window, out, found, err)
                       : rc;
}

/* Marks go to the log as entries of their own: k, t, i and e (the level). */
static int ddr_escalated(void *store, const char *incident, const char *key, int level, int64_t now,
                         int64_t window, struct km_err *err)
{
    struct km_dedup_redis *s = store;
    int rc = ddr_ready(s, window, err);
    if (rc != KM_OK) {
        return rc;
    }
    km_dedup_mem_ops.escalated(s->mem, incident, key, level, now, window, err);
    struct ddr_batch *b = &s->pending;
    struct ddr_cmd *c = ddr_entry_start(s, key, now);
    ddr_field(b, c, "i", incident, strlen(incident));
    ddr_str(c, "e");
    ddr_num(b, c, NULL, level);
    return s->in_batch ? KM_OK : ddr_write_pending(s, err);
}

const struct km_dedup_store_ops km_dedup_redis_ops = {
    .name = "redis",
    .get = ddr_get,
    .exact_claim = ddr_exact_claim,
    .band_candidates = ddr_band_candidates,
    .put = ddr_put,
    .incident_get = ddr_incident_get,
    .place_candidate = ddr_place_candidate,
    .escalated = ddr_escalated,
    .near_best = ddr_near_best,
};

/* ---- batches ------------------------------------------------------------------------- */

int km_dedup_redis_begin(struct km_dedup_redis *s, struct km_err *err)
{
    s->in_batch = false;
    int rc = ddr_ready(s, s->window_ms, err);
    s->in_batch = rc == KM_OK;
    return rc;
}

int km_dedup_redis_flush(struct km_dedup_redis *s, struct km_err *err)
{
    s->in_batch = false;
    return ddr_write_pending(s, err);
}

int km_dedup_redis_flush_send(struct km_dedup_redis *s, struct km_err *err)
{
    s->in_batch = false;
    return ddr_pending_send(s, err);
}

int km_dedup_redis_flush_wait(struct km_dedup_redis *s, struct km_err *err)
{
    return ddr_pending_read(s, err);
}

void km_dedup_redis_stats(const struct km_dedup_redis *s, struct km_dedup_redis_stats *st)
{
    *st = s->st;
    st->pending = s->pending.n;
    struct km_dedup_mem_stats ms;
    km_dedup_mem_stats(s->mem, &ms);
    st->posts = ms.posts;
    st->bytes = ms.bytes;
}

int km_dedup_redis_new(const struct km_queue_opts *opts, int64_t window_ms,
                       struct km_dedup_redis **out, struct km_err *err)
{
    struct km_dedup_redis *s = km_calloc(1, sizeof(*s));
    int rc = km_redis_new(opts->url, opts->password, opts->timeout_ms, &s->r, err);
    const char *ns = opts->ns != NULL && opts->ns[0] != '\0' ? opts->ns : "komek";
    s->log_key = km_asprintf("{%s}:dedup:log", ns);
    s->mem = km_dedup_mem_new(0);
    s->window_ms = window_ms > 0 ? window_ms : KM_DEDUP_WINDOW_MS;
    memcpy(s->last_id, "0-0", 4);
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
    km_dedup_mem_free(s->mem);
    ddr_batch_free(&s->pending);
    free(s->log_key);
    free(s);
}
