/* The Redis side of komek (see queue.h): connection handling, the exactly-once batch write
 * and the consumer-group reads of the tickets role.
 *
 * Every command goes through redisCommandArgv/redisAppendCommandArgv with explicit lengths,
 * so user data (post text, source names, cursors) can never change a command's shape. */
#include "queue/queue.h"

#include "common/alloc.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/time.h"

#include <hiredis/hiredis.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

/* Redis on loopback or a LAN answers in well under a millisecond; after 2 s it is gone. */
#define QU_DEFAULT_TIMEOUT_MS 2000
/* Networks re-deliver a post within hours (edits, long-poll offsets reset, feeds that show
 * the last N items for days); a week covers that with room, and the seen-set of a busy
 * centre (~5,000 posts a day) stays around 35,000 members. */
#define QU_DEFAULT_WINDOW_MS (7LL * 24 * 3600 * 1000)
/* WATCH fires only when another writer touched the seen-set between WATCH and EXEC; a
 * handful of attempts is plenty, after that the caller's backoff takes over. */
#define QU_WATCH_ATTEMPTS 5
/* Redis numbers its databases with small integers (16 by default). */
#define QU_DB_MAX 9999
/* Fixed arguments of one XADD: XADD key MAXLEN ~ N * v 1 network N source S post_id I post P */
#define QU_XADD_ARGS 16

struct km_queue {
    redisContext *c; /* NULL when not connected */
    char *host;      /* TCP host, or NULL for a unix socket */
    char *path;      /* unix socket path, or NULL */
    int port;
    char *user; /* ACL user for AUTH, or NULL */
    char *password;
    int db;
    char *where; /* "host:port" or the socket path, for messages (never the password) */
    char *k_posts, *k_seen, *k_cursors;
    int64_t timeout_ms;
    long long maxlen;
    int64_t window_ms;
};

/* ---- URL parsing --------------------------------------------------------------------- */

static int qu_hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Percent-decodes s[0..len) into a new string; NULL on a bad escape. */
static char *qu_pct_decode(const char *s, size_t len)
{
    char *out = km_malloc(len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '%') {
            out[o++] = s[i];
            continue;
        }
        int hi = i + 2 < len ? qu_hexval(s[i + 1]) : -1;
        int lo = i + 2 < len ? qu_hexval(s[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            free(out);
            return NULL;
        }
        out[o++] = (char)(hi * 16 + lo);
        i += 2;
    }
    out[o] = '\0';
    return out;
}

/* Parses a decimal number in s[0..len) within [min, max]; false if anything else. */
static bool qu_parse_uint(const char *s, size_t len, long min, long max, long *out)
{
    long v = 0;
    if (len == 0 || len > 9) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return v >= min && v <= max;
}

/* "[user]:password" (percent-encoded) before the '@'. */
static int qu_parse_userinfo(struct km_queue *q, const char *s, size_t len, struct km_err *err)
{
    const char *colon = memchr(s, ':', len);
    if (colon == NULL) {
        return km_err_set(err, KM_EINPUT, "redis url: expected [user]:password before '@'");
    }
    if (colon > s) {
        q->user = qu_pct_decode(s, (size_t)(colon - s));
    }
    q->password = qu_pct_decode(colon + 1, len - (size_t)(colon - s) - 1);
    if ((colon > s && q->user == NULL) || q->password == NULL) {
        return km_err_set(err, KM_EINPUT, "redis url: bad %%-escape in user or password");
    }
    return KM_OK;
}

/* "host[:port]" or "[v6addr][:port]". */
static int qu_parse_hostport(struct km_queue *q, const char *s, size_t len, struct km_err *err)
{
    const char *host = s;
    size_t hlen = len;
    const char *rest = s + len;
    if (len > 0 && s[0] == '[') {
        const char *rb = memchr(s, ']', len);
        if (rb == NULL) {
            return km_err_set(err, KM_EINPUT, "redis url: missing ']' after IPv6 address");
        }
        host = s + 1;
        hlen = (size_t)(rb - host);
        rest = rb + 1;
    } else {
        const char *colon = memchr(s, ':', len);
        if (colon != NULL) {
            hlen = (size_t)(colon - s);
            rest = colon;
        }
    }
    long port = 6379;
    size_t rlen = (size_t)(s + len - rest);
    if (hlen == 0 || (rlen > 0 && (rest[0] != ':' ||
                                   !qu_parse_uint(rest + 1, rlen - 1, 1, 65535, &port)))) {
        return km_err_set(err, KM_EINPUT, "redis url: expected host[:port] with port 1-65535");
    }
    q->host = km_strndup(host, hlen);
    q->port = (int)port;
    q->where = km_asprintf(host == s ? "%s:%d" : "[%s]:%d", q->host, q->port);
    return KM_OK;
}

/* Fills q's endpoint from "redis://[[user]:password@]host[:port][/db]" or "/socket/path". */
static int qu_parse_url(struct km_queue *q, const char *url, struct km_err *err)
{
    if (url == NULL || url[0] == '\0') {
        url = "redis://127.0.0.1:6379";
    }
    if (url[0] == '/') {
        q->path = km_strdup(url);
        q->where = km_strdup(url);
        return KM_OK;
    }
    if (strncmp(url, "redis://", 8) != 0) {
        return km_err_set(err, KM_EINPUT,
                          "redis url: expected redis://host[:port][/db] or a socket path");
    }
    const char *auth = url + 8;
    const char *slash = strchr(auth, '/');
    size_t alen = slash != NULL ? (size_t)(slash - auth) : strlen(auth);
    const char *at = NULL;
    for (size_t i = 0; i < alen; i++) {
        at = auth[i] == '@' ? auth + i : at;
    }
    int rc = KM_OK;
    if (at != NULL) {
        rc = qu_parse_userinfo(q, auth, (size_t)(at - auth), err);
        alen -= (size_t)(at + 1 - auth);
        auth = at + 1;
    }
    if (rc == KM_OK) {
        rc = qu_parse_hostport(q, auth, alen, err);
    }
    long db = 0;
    if (rc == KM_OK && slash != NULL && slash[1] != '\0' &&
        !qu_parse_uint(slash + 1, strlen(slash + 1), 0, QU_DB_MAX, &db)) {
        rc = km_err_set(err, KM_EINPUT, "redis url: database must be a number 0-%d", QU_DB_MAX);
    }
    q->db = (int)db;
    return rc;
}

/* ---- connection ---------------------------------------------------------------------- */

static struct timeval qu_tv(int64_t ms)
{
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
    return tv;
}

/* Drops the connection after an I/O error and reports it as temporary. */
static int qu_lost(struct km_queue *q, const char *what, struct km_err *err)
{
    const char *why = q->c != NULL && q->c->errstr[0] != '\0' ? q->c->errstr : "connection lost";
    int rc = km_err_set(err, KM_RETRY, "redis %s: %s: %s", q->where, what, why);
    redisFree(q->c);
    q->c = NULL;
    return rc;
}

/* Error replies that mean "not now" rather than "never": loading the AOF after a restart,
 * a busy script, a failover, memory full, or a consumer group lost with a non-persistent
 * Redis (the tickets role re-creates it after a retry). */
static bool qu_error_is_temporary(const redisReply *r)
{
    static const char *const codes[] = {"LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN",
                                        "CLUSTERDOWN", "READONLY", "OOM", "NOGROUP", NULL};
    for (size_t i = 0; codes[i] != NULL; i++) {
        size_t n = strlen(codes[i]);
        if (r->len >= n && memcmp(r->str, codes[i], n) == 0 && (r->len == n || r->str[n] == ' ')) {
            return true;
        }
    }
    return false;
}

static int qu_reply_error(struct km_queue *q, const redisReply *r, const char *what,
                          struct km_err *err)
{
    int code = qu_error_is_temporary(r) ? KM_RETRY : KM_ERR;
    return km_err_set(err, code, "redis %s: %s: %.*s", q->where, what, (int)r->len, r->str);
}

/* Runs one command on the current connection (which must exist). On KM_OK *out is the
 * reply (not an error reply; caller frees). An I/O error drops the connection. */
static int qu_exec(struct km_queue *q, int argc, const char **argv, const size_t *lens,
                   redisReply **out, struct km_err *err)
{
    *out = NULL;
    redisReply *r = redisCommandArgv(q->c, argc, argv, lens);
    if (r == NULL) {
        return qu_lost(q, argv[0], err);
    }
    if (r->type == REDIS_REPLY_ERROR) {
        int rc = qu_reply_error(q, r, argv[0], err);
        freeReplyObject(r);
        return rc;
    }
    *out = r;
    return KM_OK;
}

/* Runs a command whose reply only needs to be "not an error". */
static int qu_exec_void(struct km_queue *q, int argc, const char **argv, struct km_err *err)
{
    size_t lens[3];
    for (int i = 0; i < argc; i++) {
        lens[i] = strlen(argv[i]);
    }
    redisReply *r = NULL;
    int rc = qu_exec(q, argc, argv, lens, &r, err);
    freeReplyObject(r);
    return rc;
}

/* (Re)connects, authenticates and selects the database. */
static int qu_connect(struct km_queue *q, struct km_err *err)
{
    redisFree(q->c);
    struct timeval tv = qu_tv(q->timeout_ms);
    q->c = q->path != NULL ? redisConnectUnixWithTimeout(q->path, tv)
                           : redisConnectWithTimeout(q->host, q->port, tv);
    if (q->c == NULL || q->c->err || redisSetTimeout(q->c, tv) != REDIS_OK) {
        return qu_lost(q, "connect", err);
    }
    int rc = KM_OK;
    if (q->password != NULL) {
        const char *auth[3] = {"AUTH", q->user != NULL ? q->user : q->password, q->password};
        rc = qu_exec_void(q, q->user != NULL ? 3 : 2, auth, err);
    }
    if (rc == KM_OK && q->db != 0) {
        char num[16];
        snprintf(num, sizeof(num), "%d", q->db);
        const char *sel[2] = {"SELECT", num};
        rc = qu_exec_void(q, 2, sel, err);
    }
    if (rc != KM_OK && q->c != NULL) {
        redisFree(q->c); /* a half-set-up connection must not be reused */
        q->c = NULL;
    }
    return rc;
}

/* Sets the socket timeout to the command timeout plus extra_ms (for BLOCK). */
static void qu_set_timeout(struct km_queue *q, int64_t extra_ms)
{
    if (q->c != NULL) {
        redisSetTimeout(q->c, qu_tv(q->timeout_ms + extra_ms));
    }
}

/* Runs one command, connecting first if needed. An idle connection may have been closed
 * by a Redis restart, which shows only when it is used: then it reconnects once and repeats
 * the command. Every command sent this way is safe to repeat (a lost XREADGROUP reply
 * leaves the entries pending for this consumer, where the pending drain finds them).
 * extra_ms lengthens the timeout for this command (BLOCK). */
static int qu_call(struct km_queue *q, int argc, const char **argv, const size_t *lens,
                   int64_t extra_ms, redisReply **out, struct km_err *err)
{
    bool fresh = false;
    int rc = KM_OK;
    *out = NULL;
    if (q->c == NULL || q->c->err) {
        rc = qu_connect(q, err);
        fresh = true;
    }
    if (rc != KM_OK) {
        return rc;
    }
    qu_set_timeout(q, extra_ms);
    rc = qu_exec(q, argc, argv, lens, out, err);
    if (rc == KM_RETRY && q->c == NULL && !fresh) {
        rc = qu_connect(q, err);
        if (rc == KM_OK) {
            qu_set_timeout(q, extra_ms);
            rc = qu_exec(q, argc, argv, lens, out, err);
        }
    }
    if (extra_ms != 0) {
        qu_set_timeout(q, 0);
    }
    return rc;
}

int km_queue_new(const struct km_queue_opts *opts, struct km_queue **out, struct km_err *err)
{
    struct km_queue *q = km_calloc(1, sizeof(*q));
    int rc = qu_parse_url(q, opts->url, err);
    if (rc != KM_OK) {
        goto out;
    }
    if (opts->password != NULL && opts->password[0] != '\0') {
        free(q->password);
        q->password = km_strdup(opts->password);
    }
    const char *ns = opts->ns != NULL && opts->ns[0] != '\0' ? opts->ns : "komek";
    q->k_posts = km_asprintf("{%s}:posts", ns);
    q->k_seen = km_asprintf("{%s}:seen", ns);
    q->k_cursors = km_asprintf("{%s}:cursors", ns);
    q->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : QU_DEFAULT_TIMEOUT_MS;
    q->maxlen = opts->maxlen;
    q->window_ms = opts->seen_window_ms > 0 ? opts->seen_window_ms : QU_DEFAULT_WINDOW_MS;
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
    redisFree(q->c);
    free(q->host);
    free(q->path);
    free(q->user);
    free(q->password);
    free(q->where);
    free(q->k_posts);
    free(q->k_seen);
    free(q->k_cursors);
    free(q);
}

/* ---- simple commands ----------------------------------------------------------------- */

/* Runs a command built from NUL-terminated strings. */
static int qu_call_str(struct km_queue *q, int argc, const char **argv, redisReply **out,
                       struct km_err *err)
{
    size_t lens[8];
    for (int i = 0; i < argc; i++) {
        lens[i] = strlen(argv[i]);
    }
    return qu_call(q, argc, argv, lens, 0, out, err);
}

int km_queue_ping(struct km_queue *q, struct km_err *err)
{
    const char *argv[1] = {"PING"};
    redisReply *r = NULL;
    int rc = qu_call_str(q, 1, argv, &r, err);
    freeReplyObject(r);
    return rc;
}

int km_queue_get_cursor(struct km_queue *q, const char *source, char **cursor,
                        struct km_err *err)
{
    const char *argv[3] = {"HGET", q->k_cursors, source};
    redisReply *r = NULL;
    *cursor = NULL;
    int rc = qu_call_str(q, 3, argv, &r, err);
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
    int rc = qu_call_str(q, 6, argv, &r, &e2);
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
    int rc = qu_call_str(q, argc, argv, &r, err);
    if (rc == KM_OK && r->type != REDIS_REPLY_INTEGER) {
        rc = km_err_set(err, KM_ERR, "redis %s: %s: unexpected reply type %d", q->where,
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
    int rc = qu_call_str(q, 3, argv, &r, err);
    if (rc == KM_OK && (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
                        r->element[0]->type != REDIS_REPLY_INTEGER)) {
        rc = km_err_set(err, KM_ERR, "redis %s: XPENDING: unexpected reply", q->where);
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
    int rc = qu_call(q, (int)(n + 3), argv, lens, 0, &r, err);
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
        }
        if (dst != NULL && *dst == NULL) {
            *dst = km_strndup(v->str, v->len);
        }
    }
    return true;
}

/* Parses an XREADGROUP reply (nil, or [[key, [entry, ...]]]) into a new array. */
static int qu_parse_read(struct km_queue *q, const redisReply *r,
                         struct km_stream_entry **entries, size_t *n, struct km_err *err)
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
        return km_err_set(err, KM_ERR, "redis %s: XREADGROUP: unexpected reply", q->where);
    }
    if (list->elements == 0) {
        return KM_OK;
    }
    struct km_stream_entry *e = km_calloc(list->elements, sizeof(*e));
    for (size_t i = 0; i < list->elements; i++) {
        if (!qu_parse_entry(list->element[i], &e[i])) {
            km_stream_entries_free(e, list->elements);
            return km_err_set(err, KM_ERR, "redis %s: XREADGROUP: malformed entry", q->where);
        }
    }
    *entries = e;
    *n = list->elements;
    return KM_OK;
}

int km_queue_read_group(struct km_queue *q, const char *group, const char *consumer,
                        bool pending, size_t count, int64_t block_ms,
                        struct km_stream_entry **entries, size_t *n, struct km_err *err)
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
    int rc = qu_call(q, argc, argv, lens, extra, &r, err);
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

/* One XAUTOCLAIM round from *start; updates *start and *claimed. */
static int qu_claim_round(struct km_queue *q, const char **argv, char **start, size_t *claimed,
                          struct km_err *err)
{
    redisReply *r = NULL;
    argv[5] = *start;
    int rc = qu_call_str(q, 7, argv, &r, err);
    if (rc == KM_OK && (r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
                        r->element[0]->type != REDIS_REPLY_STRING ||
                        r->element[1]->type != REDIS_REPLY_ARRAY)) {
        rc = km_err_set(err, KM_ERR, "redis %s: XAUTOCLAIM: unexpected reply", q->where);
    }
    if (rc == KM_OK) {
        free(*start);
        *start = km_strndup(r->element[0]->str, r->element[0]->len);
        *claimed += r->element[1]->elements;
        if (r->elements > 2 && r->element[2]->type == REDIS_REPLY_ARRAY &&
            r->element[2]->elements > 0) {
            KM_SLOG_WARN("queue", "%zu pending entries of group %s were trimmed from %s "
                         "before anyone stored them", r->element[2]->elements, argv[2],
                         q->k_posts);
        }
    }
    freeReplyObject(r);
    return rc;
}

int km_queue_claim_idle(struct km_queue *q, const char *group, const char *consumer,
                        int64_t min_idle_ms, size_t *claimed, struct km_err *err)
{
    char idle[24];
    snprintf(idle, sizeof(idle), "%" PRId64, min_idle_ms > 0 ? min_idle_ms : 0);
    /* COUNT stays at its default (100); the loop follows the returned cursor. */
    const char *argv[7] = {"XAUTOCLAIM", q->k_posts, group, consumer, idle, NULL, "JUSTID"};
    char *start = km_strdup("0-0");
    size_t total = 0;
    int rc = KM_OK;
    do {
        rc = qu_claim_round(q, argv, &start, &total, err);
    } while (rc == KM_OK && strcmp(start, "0-0") != 0);
    free(start);
    if (claimed != NULL) {
        *claimed = total;
    }
    return rc;
}

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

/* Marks in fresh[] the posts that are neither in the seen-set (ZMSCORE reply r) nor an
 * earlier post of the same batch. Returns how many are fresh. */
static size_t qu_mark_fresh(const redisReply *r, char **members, size_t n, bool *fresh)
{
    struct qu_member *sorted = km_calloc(n, sizeof(*sorted));
    for (size_t i = 0; i < n; i++) {
        fresh[i] = r->element[i]->type == REDIS_REPLY_NIL;
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

/* WATCHes the seen-set and asks which members it holds already. */
static int qu_watch_seen(struct km_queue *q, char **members, size_t n, bool *fresh,
                         size_t *k, struct km_err *err)
{
    const char *w[2] = {"WATCH", q->k_seen};
    size_t wl[2] = {5, strlen(q->k_seen)};
    redisReply *r = NULL;
    int rc = qu_call(q, 2, w, wl, 0, &r, err);
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
    rc = qu_exec(q, (int)(n + 2), argv, lens, &r, err);
    if (rc == KM_OK && (r->type != REDIS_REPLY_ARRAY || r->elements != n)) {
        rc = km_err_set(err, KM_ERR, "redis %s: ZMSCORE: unexpected reply", q->where);
    }
    if (rc == KM_OK) {
        *k = qu_mark_fresh(r, members, n, fresh);
    }
    freeReplyObject(r);
    free(argv);
    free(lens);
    return rc;
}

/* Appends (does not send) the XADD of post p. */
static void qu_append_xadd(struct km_queue *q, const struct km_post *p, const char *source)
{
    char maxlen[24];
    snprintf(maxlen, sizeof(maxlen), "%lld", q->maxlen);
    char *json = km_post_to_json(p);
    const char *argv[QU_XADD_ARGS] = {"XADD", q->k_posts, "MAXLEN", "~", maxlen};
    int argc = q->maxlen > 0 ? 5 : 2;
    const char *fields[11] = {"*",       "v",  "1", "network", p->network,
                              "source",  p->source != NULL ? p->source : source,
                              "post_id", p->id, "post", json};
    for (int i = 0; i < 11; i++) {
        argv[argc++] = fields[i];
    }
    size_t lens[QU_XADD_ARGS];
    for (int i = 0; i < argc; i++) {
        lens[i] = strlen(argv[i]);
    }
    redisAppendCommandArgv(q->c, argc, argv, lens);
    free(json);
}

/* Appends ZADD {ns}:seen now m ... for the fresh members. */
static void qu_append_zadd(struct km_queue *q, char **members, const bool *fresh, size_t n,
                           size_t k, int64_t now)
{
    char score[24];
    snprintf(score, sizeof(score), "%" PRId64, now);
    const char **argv = km_calloc(2 + 2 * k, sizeof(*argv));
    size_t *lens = km_calloc(2 + 2 * k, sizeof(*lens));
    size_t argc = 0;
    argv[argc++] = "ZADD";
    argv[argc++] = q->k_seen;
    for (size_t i = 0; i < n; i++) {
        if (fresh[i]) {
            argv[argc++] = score;
            argv[argc++] = members[i];
        }
    }
    for (size_t i = 0; i < argc; i++) {
        lens[i] = strlen(argv[i]);
    }
    redisAppendCommandArgv(q->c, (int)argc, argv, lens);
    free(argv);
    free(lens);
}

/* Appends the whole MULTI ... EXEC block; returns how many replies it will produce. */
static size_t qu_append_multi(struct km_queue *q, const char *source,
                              const struct km_post_batch *b, const char *cursor,
                              char **members, const bool *fresh, size_t k, int64_t now)
{
    size_t cmds = 0;
    const char *multi[1] = {"MULTI"};
    size_t ml[1] = {5};
    redisAppendCommandArgv(q->c, 1, multi, ml);
    cmds++;
    for (size_t i = 0; i < b->n; i++) {
        if (fresh[i]) {
            qu_append_xadd(q, b->posts[i], source);
            cmds++;
        }
    }
    if (k > 0) {
        qu_append_zadd(q, members, fresh, b->n, k, now);
        cmds++;
    }
    if (cursor != NULL) {
        const char *h[4] = {"HSET", q->k_cursors, source, cursor};
        size_t hl[4] = {4, strlen(q->k_cursors), strlen(source), strlen(cursor)};
        redisAppendCommandArgv(q->c, 4, h, hl);
        cmds++;
    }
    char cutoff[32];
    snprintf(cutoff, sizeof(cutoff), "(%" PRId64, now - q->window_ms);
    const char *trim[4] = {"ZREMRANGEBYSCORE", q->k_seen, "-inf", cutoff};
    size_t tl[4] = {16, strlen(q->k_seen), 4, strlen(cutoff)};
    redisAppendCommandArgv(q->c, 4, trim, tl);
    const char *exec[1] = {"EXEC"};
    size_t el[1] = {4};
    redisAppendCommandArgv(q->c, 1, exec, el);
    return cmds + 2;
}

/* Checks the EXEC reply: nil means WATCH fired (nothing was done, try again). */
static int qu_exec_result(struct km_queue *q, const redisReply *r, bool *committed,
                          struct km_err *err)
{
    if (r->type == REDIS_REPLY_NIL) {
        return KM_OK;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        return qu_reply_error(q, r, "EXEC", err);
    }
    if (r->type != REDIS_REPLY_ARRAY) {
        return km_err_set(err, KM_ERR, "redis %s: EXEC: unexpected reply", q->where);
    }
    *committed = true;
    for (size_t i = 0; i < r->elements; i++) {
        if (r->element[i]->type == REDIS_REPLY_ERROR) {
            /* Redis does not roll back commands that fail inside EXEC; with our fixed
             * commands this only happens when a key has the wrong type (set by hand). */
            return km_err_set(err, KM_ERR, "redis %s: EXEC partly failed: %.*s", q->where,
                              (int)r->element[i]->len, r->element[i]->str);
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
        void *vr = NULL;
        if (redisGetReply(q->c, &vr) != REDIS_OK) {
            /* If the connection died after EXEC was sent, whether it ran is unknown. That
             * is safe: the caller retries the same batch, whose posts are then found in
             * the seen-set and not added twice (and the cursor is simply set again). */
            return qu_lost(q, "EXEC", err);
        }
        redisReply *r = vr;
        if (i + 1 == cmds && rc == KM_OK) {
            rc = qu_exec_result(q, r, committed, err);
        } else if (r->type == REDIS_REPLY_ERROR && rc == KM_OK) {
            rc = qu_reply_error(q, r, "MULTI", err); /* EXEC then answers EXECABORT */
        }
        freeReplyObject(r);
    }
    return rc;
}

/* Ends a WATCH that is not followed by EXEC, so it cannot fail a later transaction. */
static void qu_unwatch(struct km_queue *q)
{
    if (q->c != NULL) {
        const char *argv[1] = {"UNWATCH"};
        size_t lens[1] = {7};
        freeReplyObject(redisCommandArgv(q->c, 1, argv, lens));
    }
}

/* One optimistic attempt: WATCH, find the fresh posts, MULTI ... EXEC in one round trip. */
static int qu_write_once(struct km_queue *q, const char *source, const struct km_post_batch *b,
                         const char *cursor, char **members, bool *fresh, size_t *k,
                         bool *committed, struct km_err *err)
{
    int rc = qu_watch_seen(q, members, b->n, fresh, k, err);
    if (rc != KM_OK) {
        qu_unwatch(q);
        return rc;
    }
    int64_t now = km_time_now_ms();
    size_t cmds = qu_append_multi(q, source, b, cursor, members, fresh, *k, now);
    if (q->c->err) {
        return qu_lost(q, "MULTI", err); /* hiredis could not buffer the commands */
    }
    return qu_read_multi(q, cmds, committed, err);
}

int km_queue_write_batch(struct km_queue *q, const char *source,
                         const struct km_post_batch *batch, const char *cursor,
                         size_t *added, size_t *dups, struct km_err *err)
{
    char **members = NULL;
    bool *fresh = NULL;
    size_t k = 0;
    bool committed = false;
    int rc = KM_OK;
    if (source == NULL) {
        rc = km_err_set(err, KM_EINPUT, "write_batch: no source name");
        goto out;
    }
    rc = qu_members(batch, &members, err);
    fresh = km_calloc(batch->n, sizeof(*fresh));
    for (int i = 0; i < QU_WATCH_ATTEMPTS && rc == KM_OK && !committed; i++) {
        rc = qu_write_once(q, source, batch, cursor, members, fresh, &k, &committed, err);
    }
    if (rc == KM_OK && !committed) {
        rc = km_err_set(err, KM_RETRY, "redis %s: %s kept changing during %d attempts",
                        q->where, q->k_seen, QU_WATCH_ATTEMPTS);
    }
out:
    if (added != NULL) {
        *added = rc == KM_OK ? k : 0;
    }
    if (dups != NULL) {
        *dups = rc == KM_OK ? batch->n - k : 0;
    }
    for (size_t i = 0; members != NULL && i < batch->n; i++) {
        free(members[i]);
    }
    free(members);
    free(fresh);
    return rc;
}
