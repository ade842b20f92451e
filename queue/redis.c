/* One Redis connection with URL parsing, AUTH/SELECT and reconnection (see redis.h). */
#include "queue/redis.h"

#include "common/alloc.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

/* Redis on loopback or a LAN answers in well under a millisecond; after 2 s it is gone. */
#define RD_DEFAULT_TIMEOUT_MS 2000
/* Redis numbers its databases with small integers (16 by default). */
#define RD_DB_MAX 9999

struct km_redis {
    redisContext *c; /* NULL when not connected */
    char *host;      /* TCP host, or NULL for a unix socket */
    char *path;      /* unix socket path, or NULL */
    int port;
    char *user; /* ACL user for AUTH, or NULL */
    char *password;
    int db;
    char *where; /* "host:port" or the socket path, for messages (never the password) */
    int64_t timeout_ms;
    char *out; /* the command being encoded (rd_format()) */
    size_t out_cap;
};

/* ---- URL parsing --------------------------------------------------------------------- */

static int rd_hexval(char c)
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
static char *rd_pct_decode(const char *s, size_t len)
{
    char *out = km_malloc(len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '%') {
            out[o++] = s[i];
            continue;
        }
        int hi = i + 2 < len ? rd_hexval(s[i + 1]) : -1;
        int lo = i + 2 < len ? rd_hexval(s[i + 2]) : -1;
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
static bool rd_parse_uint(const char *s, size_t len, long min, long max, long *out)
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
static int rd_parse_userinfo(struct km_redis *rd, const char *s, size_t len, struct km_err *err)
{
    const char *colon = memchr(s, ':', len);
    if (colon == NULL) {
        return km_err_set(err, KM_EINPUT, "redis url: expected [user]:password before '@'");
    }
    if (colon > s) {
        rd->user = rd_pct_decode(s, (size_t)(colon - s));
    }
    rd->password = rd_pct_decode(colon + 1, len - (size_t)(colon - s) - 1);
    if ((colon > s && rd->user == NULL) || rd->password == NULL) {
        return km_err_set(err, KM_EINPUT, "redis url: bad %%-escape in user or password");
    }
    return KM_OK;
}

/* "host[:port]" or "[v6addr][:port]". */
static int rd_parse_hostport(struct km_redis *rd, const char *s, size_t len, struct km_err *err)
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
    if (hlen == 0 ||
        (rlen > 0 && (rest[0] != ':' || !rd_parse_uint(rest + 1, rlen - 1, 1, 65535, &port)))) {
        return km_err_set(err, KM_EINPUT, "redis url: expected host[:port] with port 1-65535");
    }
    rd->host = km_strndup(host, hlen);
    rd->port = (int)port;
    rd->where = km_asprintf(host == s ? "%s:%d" : "[%s]:%d", rd->host, rd->port);
    return KM_OK;
}

/* Fills q's endpoint from "redis://[[user]:password@]host[:port][/db]" or "/socket/path". */
static int rd_parse_url(struct km_redis *rd, const char *url, struct km_err *err)
{
    if (url == NULL || url[0] == '\0') {
        url = "redis://127.0.0.1:6379";
    }
    if (url[0] == '/') {
        rd->path = km_strdup(url);
        rd->where = km_strdup(url);
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
        rc = rd_parse_userinfo(rd, auth, (size_t)(at - auth), err);
        alen -= (size_t)(at + 1 - auth);
        auth = at + 1;
    }
    if (rc == KM_OK) {
        rc = rd_parse_hostport(rd, auth, alen, err);
    }
    long db = 0;
    if (rc == KM_OK && slash != NULL && slash[1] != '\0' &&
        !rd_parse_uint(slash + 1, strlen(slash + 1), 0, RD_DB_MAX, &db)) {
        rc = km_err_set(err, KM_EINPUT, "redis url: database must be a number 0-%d", RD_DB_MAX);
    }
    rd->db = (int)db;
    return rc;
}

/* ---- connection ---------------------------------------------------------------------- */

static struct timeval rd_tv(int64_t ms)
{
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
    return tv;
}

/* Drops the connection after an I/O error and reports it as temporary. */
static int rd_lost(struct km_redis *rd, const char *what, struct km_err *err)
{
    const char *why = rd->c != NULL && rd->c->errstr[0] != '\0' ? rd->c->errstr : "connection lost";
    int rc = km_err_set(err, KM_RETRY, "redis %s: %s: %s", rd->where, what, why);
    redisFree(rd->c);
    rd->c = NULL;
    return rc;
}

/* Error replies that mean "not now" rather than "never": loading the AOF after a restart,
 * a busy script, a failover, memory full, or a consumer group lost with a non-persistent
 * Redis (the tickets role re-creates it after a retry). */
static bool rd_error_is_temporary(const redisReply *r)
{
    static const char *const codes[] = {"LOADING",  "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN",
                                        "READONLY", "OOM",  "NOGROUP",    NULL};
    for (size_t i = 0; codes[i] != NULL; i++) {
        size_t n = strlen(codes[i]);
        if (r->len >= n && memcmp(r->str, codes[i], n) == 0 && (r->len == n || r->str[n] == ' ')) {
            return true;
        }
    }
    return false;
}

int km_redis_reply_error(const struct km_redis *rd, const redisReply *r, const char *what,
                         struct km_err *err)
{
    int code = rd_error_is_temporary(r) ? KM_RETRY : KM_ERR;
    return km_err_set(err, code, "redis %s: %s: %.*s", rd->where, what, (int)r->len, r->str);
}

/* Writes "<tag><n>\r\n" at p; returns the end. */
static char *rd_put_len(char *p, char tag, size_t n)
{
    char tmp[24];
    size_t i = sizeof(tmp);
    do {
        tmp[--i] = (char)('0' + n % 10);
        n /= 10;
    } while (n > 0);
    *p++ = tag;
    memcpy(p, tmp + i, sizeof(tmp) - i);
    p += sizeof(tmp) - i;
    *p++ = '\r';
    *p++ = '\n';
    return p;
}

/* Encodes a command in RESP into rd->out, as redisFormatSdsCommandArgv() would, but in one
 * buffer sized up front and without its printf-like formatting per argument: that was a
 * large share of the client's time in a pipelined dedup write (make bench, issue 8).
 * lens NULL: the arguments are NUL-terminated (as with hiredis). Returns the length. */
static size_t rd_format(struct km_redis *rd, int argc, const char **argv, const size_t *lens)
{
    size_t need = 32;
    for (int i = 0; i < argc; i++) {
        need += (lens != NULL ? lens[i] : strlen(argv[i])) + 32;
    }
    if (need > rd->out_cap) {
        rd->out_cap = need > 2 * rd->out_cap ? need : 2 * rd->out_cap;
        rd->out = km_realloc(rd->out, rd->out_cap);
    }
    char *p = rd_put_len(rd->out, '*', (size_t)argc);
    for (int i = 0; i < argc; i++) {
        size_t len = lens != NULL ? lens[i] : strlen(argv[i]);
        p = rd_put_len(p, '$', len);
        memcpy(p, argv[i], len);
        p += len;
        *p++ = '\r';
        *p++ = '\n';
    }
    return (size_t)(p - rd->out);
}

int km_redis_exec(struct km_redis *rd, int argc, const char **argv, const size_t *lens,
                  redisReply **out, struct km_err *err)
{
    *out = NULL;
    if (rd->c == NULL) {
        return km_err_set(err, KM_RETRY, "redis %s: not connected", rd->where);
    }
    void *reply = NULL;
    size_t len = rd_format(rd, argc, argv, lens);
    if (redisAppendFormattedCommand(rd->c, rd->out, len) != REDIS_OK ||
        redisGetReply(rd->c, &reply) != REDIS_OK || reply == NULL) {
        return rd_lost(rd, argv[0], err);
    }
    redisReply *r = reply;
    if (r->type == REDIS_REPLY_ERROR) {
        int rc = km_redis_reply_error(rd, r, argv[0], err);
        freeReplyObject(r);
        return rc;
    }
    *out = r;
    return KM_OK;
}

/* Runs a command whose reply only needs to be "not an error". */
static int rd_exec_void(struct km_redis *rd, int argc, const char **argv, struct km_err *err)
{
    size_t lens[3];
    for (int i = 0; i < argc; i++) {
        lens[i] = strlen(argv[i]);
    }
    redisReply *r = NULL;
    int rc = km_redis_exec(rd, argc, argv, lens, &r, err);
    freeReplyObject(r);
    return rc;
}

/* (Re)connects, authenticates and selects the database. */
static int rd_connect(struct km_redis *rd, struct km_err *err)
{
    redisFree(rd->c);
    struct timeval tv = rd_tv(rd->timeout_ms);
    rd->c = rd->path != NULL ? redisConnectUnixWithTimeout(rd->path, tv)
                             : redisConnectWithTimeout(rd->host, rd->port, tv);
    if (rd->c == NULL || rd->c->err || redisSetTimeout(rd->c, tv) != REDIS_OK) {
        return rd_lost(rd, "connect", err);
    }
    int rc = KM_OK;
    if (rd->password != NULL) {
        const char *auth[3] = {"AUTH", rd->user != NULL ? rd->user : rd->password, rd->password};
        rc = rd_exec_void(rd, rd->user != NULL ? 3 : 2, auth, err);
    }
    if (rc == KM_OK && rd->db != 0) {
        char num[16];
        snprintf(num, sizeof(num), "%d", rd->db);
        const char *sel[2] = {"SELECT", num};
        rc = rd_exec_void(rd, 2, sel, err);
    }
    if (rc != KM_OK && rd->c != NULL) {
        redisFree(rd->c); /* a half-set-up connection must not be reused */
        rd->c = NULL;
    }
    return rc;
}

/* Sets the socket timeout to the command timeout plus extra_ms (for BLOCK). */
static void rd_set_timeout(struct km_redis *rd, int64_t extra_ms)
{
    if (rd->c != NULL) {
        redisSetTimeout(rd->c, rd_tv(rd->timeout_ms + extra_ms));
    }
}

int km_redis_call(struct km_redis *rd, int argc, const char **argv, const size_t *lens,
                  int64_t extra_ms, redisReply **out, struct km_err *err)
{
    bool fresh = false;
    int rc = KM_OK;
    *out = NULL;
    if (rd->c == NULL || rd->c->err) {
        rc = rd_connect(rd, err);
        fresh = true;
    }
    if (rc != KM_OK) {
        return rc;
    }
    rd_set_timeout(rd, extra_ms);
    rc = km_redis_exec(rd, argc, argv, lens, out, err);
    if (rc == KM_RETRY && rd->c == NULL && !fresh) {
        rc = rd_connect(rd, err);
        if (rc == KM_OK) {
            rd_set_timeout(rd, extra_ms);
            rc = km_redis_exec(rd, argc, argv, lens, out, err);
        }
    }
    if (extra_ms != 0) {
        rd_set_timeout(rd, 0);
    }
    return rc;
}

int km_redis_new(const char *url, const char *password, int64_t timeout_ms, struct km_redis **out,
                 struct km_err *err)
{
    struct km_redis *rd = km_calloc(1, sizeof(*rd));
    int rc = rd_parse_url(rd, url, err);
    if (rc == KM_OK && password != NULL && password[0] != '\0') {
        free(rd->password);
        rd->password = km_strdup(password);
    }
    rd->timeout_ms = timeout_ms > 0 ? timeout_ms : RD_DEFAULT_TIMEOUT_MS;
    if (rc != KM_OK) {
        km_redis_free(rd);
        rd = NULL;
    }
    *out = rd;
    return rc;
}

void km_redis_free(struct km_redis *rd)
{
    if (rd == NULL) {
        return;
    }
    redisFree(rd->c);
    free(rd->host);
    free(rd->path);
    free(rd->user);
    free(rd->password);
    free(rd->where);
    free(rd->out);
    free(rd);
}

const char *km_redis_where(const struct km_redis *rd)
{
    return rd->where;
}

int km_redis_append(struct km_redis *rd, int argc, const char **argv, const size_t *lens,
                    struct km_err *err)
{
    if (rd->c == NULL) {
        return km_err_set(err, KM_RETRY, "redis %s: not connected", rd->where);
    }
    size_t len = rd_format(rd, argc, argv, lens);
    if (redisAppendFormattedCommand(rd->c, rd->out, len) != REDIS_OK) {
        return rd_lost(rd, argv[0], err);
    }
    return KM_OK;
}

int km_redis_send(struct km_redis *rd, struct km_err *err)
{
    if (rd->c == NULL) {
        return km_err_set(err, KM_RETRY, "redis %s: not connected", rd->where);
    }
    int done = 0;
    while (!done) {
        if (redisBufferWrite(rd->c, &done) != REDIS_OK) {
            return rd_lost(rd, "write", err);
        }
    }
    return KM_OK;
}

int km_redis_read(struct km_redis *rd, redisReply **out, const char *what, struct km_err *err)
{
    void *r = NULL;
    *out = NULL;
    if (rd->c == NULL) {
        return km_err_set(err, KM_RETRY, "redis %s: not connected", rd->where);
    }
    if (redisGetReply(rd->c, &r) != REDIS_OK || r == NULL) {
        return rd_lost(rd, what, err);
    }
    *out = r;
    return KM_OK;
}
