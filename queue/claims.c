/* Claims of queue items (see claims.h): Lua scripts over the claim keys, {ns}:claims and
 * {ns}:desk. */
#include "queue/claims.h"

#include "common/alloc.h"
#include "common/time.h"
#include "queue/queue_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* KEYS[1] claim key, KEYS[2] {ns}:claims, KEYS[3] {ns}:desk; ARGV: login, lease ms, item,
 * lease end (Unix ms), lease end (RFC 3339), maxlen. Returns {taken 0/1, holder, pttl}. */
static const char CL_TAKE[] =
    "local cur = redis.call('GET', KEYS[1])\n"
    "if cur and cur ~= ARGV[1] then\n"
    "  return {0, cur, redis.call('PTTL', KEYS[1])}\n"
    "end\n"
    "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])\n"
    "redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3] .. '\\t' .. ARGV[1])\n"
    "redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[6], '*', 'type', 'claim', 'item', ARGV[3],"
    " 'login', ARGV[1], 'expires', ARGV[5])\n"
    "return {1, ARGV[1], tonumber(ARGV[2])}\n";

/* KEYS as CL_TAKE; ARGV: login, item, maxlen. Returns {released 0/1, holder or ''}. */
static const char CL_RELEASE[] =
    "local cur = redis.call('GET', KEYS[1])\n"
    "if cur ~= ARGV[1] then\n"
    "  return {0, cur or ''}\n"
    "end\n"
    "redis.call('DEL', KEYS[1])\n"
    "redis.call('ZREM', KEYS[2], ARGV[2] .. '\\t' .. ARGV[1])\n"
    "redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*', 'type', 'release', 'item',"
    " ARGV[2], 'login', ARGV[1])\n"
    "return {1, ''}\n";

/* KEYS: claim keys. Returns holder ('' if none) and PTTL for each. */
static const char CL_GET[] = "local out = {}\n"
                             "for _, k in ipairs(KEYS) do\n"
                             "  local v = redis.call('GET', k)\n"
                             "  out[#out + 1] = v or ''\n"
                             "  out[#out + 1] = v and redis.call('PTTL', k) or -2\n"
                             "end\n"
                             "return out\n";

/* KEYS[1] {ns}:claims, KEYS[2] {ns}:desk; ARGV: now ms, claim key prefix, maxlen, max.
 * A member whose lease ended and whose item is no longer held by that login expired. */
static const char CL_SWEEP[] =
    "local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[4])\n"
    "local n = 0\n"
    "for _, m in ipairs(due) do\n"
    "  local item, login = string.match(m, '^(.*)\\t([^\\t]*)$')\n"
    "  if item and redis.call('GET', ARGV[2] .. item) ~= login then\n"
    "    redis.call('ZREM', KEYS[1], m)\n"
    "    redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'type', 'expire', 'item',"
    " item, 'login', login)\n"
    "    n = n + 1\n"
    "  elseif not item then\n"
    "    redis.call('ZREM', KEYS[1], m)\n"
    "  end\n"
    "end\n"
    "return n\n";

/* "{ns}" of q (the posts key without ":posts"), malloc'd. */
static char *cl_ns(const struct km_queue *q)
{
    const char *colon = strrchr(q->k_posts, ':');
    size_t len = colon != NULL ? (size_t)(colon - q->k_posts) : strlen(q->k_posts);
    return km_strndup(q->k_posts, len);
}

char *km_claim_desk_key(const struct km_queue *q)
{
    char *ns = cl_ns(q);
    char *key = km_asprintf("%s:desk", ns);
    free(ns);
    return key;
}

static void cl_set(struct km_claim *c, const char *login, size_t len, int64_t expires_ms)
{
    if (len >= sizeof(c->login)) {
        len = sizeof(c->login) - 1;
    }
    memcpy(c->login, login, len);
    c->login[len] = '\0';
    c->expires_ms = len > 0 ? expires_ms : 0;
}

/* Checks that r is an array of at least n elements. */
static int cl_array(const struct km_queue *q, const redisReply *r, size_t n, const char *what,
                    struct km_err *err)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements < n) {
        return km_err_set(err, KM_ERR, "redis %s: %s: unexpected reply", km_redis_where(q->r),
                          what);
    }
    return KM_OK;
}

int km_claim_take(struct km_queue *q, const char *item, const char *login, int64_t lease_ms,
                  struct km_claim *out, struct km_err *err)
{
    redisReply *r = NULL;
    char *ns = cl_ns(q);
    char *k_claim = km_asprintf("%s:claim:%s", ns, item);
    char *k_claims = km_asprintf("%s:claims", ns);
    char *k_desk = km_asprintf("%s:desk", ns);
    int64_t now = km_time_now_ms();
    char lease[24], end[24], end_text[40];
    snprintf(lease, sizeof(lease), "%lld", (long long)lease_ms);
    snprintf(end, sizeof(end), "%lld", (long long)now + (long long)lease_ms);
    km_time_format_rfc3339(now + lease_ms, end_text, sizeof(end_text));
    const char *argv[] = {"EVAL", CL_TAKE, "3",  k_claim, k_claims, k_desk,
                          login,  lease,   item, end,     end_text, KM_CLAIM_DESK_MAXLEN};
    memset(out, 0, sizeof(*out));
    int rc = km_queue_command(q, 12, argv, &r, err);
    if (rc == KM_OK) {
        rc = cl_array(q, r, 3, "claim", err);
    }
    if (rc == KM_OK) {
        const redisReply *who = r->element[1], *ttl = r->element[2];
        cl_set(out, who->type == REDIS_REPLY_STRING ? who->str : "",
               who->type == REDIS_REPLY_STRING ? who->len : 0,
               now + (ttl->type == REDIS_REPLY_INTEGER && ttl->integer > 0 ? ttl->integer : 0));
    }
    freeReplyObject(r);
    free(ns);
    free(k_claim);
    free(k_claims);
    free(k_desk);
    return rc;
}

int km_claim_release(struct km_queue *q, const char *item, const char *login, struct km_claim *held,
                     struct km_err *err)
{
    redisReply *r = NULL;
    char *ns = cl_ns(q);
    char *k_claim = km_asprintf("%s:claim:%s", ns, item);
    char *k_claims = km_asprintf("%s:claims", ns);
    char *k_desk = km_asprintf("%s:desk", ns);
    const char *argv[] = {"EVAL", CL_RELEASE,          "3", k_claim, k_claims, k_desk, login,
                          item,   KM_CLAIM_DESK_MAXLEN};
    struct km_claim none = {{0}};
    held = held != NULL ? held : &none;
    memset(held, 0, sizeof(*held));
    int rc = km_queue_command(q, 9, argv, &r, err);
    if (rc == KM_OK) {
        rc = cl_array(q, r, 2, "release", err);
    }
    if (rc == KM_OK && r->element[1]->type == REDIS_REPLY_STRING) {
        cl_set(held, r->element[1]->str, r->element[1]->len, km_time_now_ms());
    }
    freeReplyObject(r);
    free(ns);
    free(k_claim);
    free(k_claims);
    free(k_desk);
    return rc;
}

int km_claim_get(struct km_queue *q, const char *const *items, size_t n, struct km_claim *out,
                 struct km_err *err)
{
    redisReply *r = NULL;
    char *ns = cl_ns(q);
    char count[24];
    const char **argv = km_calloc(n + 3, sizeof(*argv));
    snprintf(count, sizeof(count), "%zu", n);
    argv[0] = "EVAL";
    argv[1] = CL_GET;
    argv[2] = count;
    for (size_t i = 0; i < n; i++) {
        argv[i + 3] = km_asprintf("%s:claim:%s", ns, items[i]);
    }
    memset(out, 0, n * sizeof(*out));
    int rc = n == 0 ? KM_OK : km_queue_command(q, (int)(n + 3), argv, &r, err);
    if (rc == KM_OK && n > 0) {
        rc = cl_array(q, r, 2 * n, "claims", err);
    }
    int64_t now = km_time_now_ms();
    for (size_t i = 0; rc == KM_OK && i < n; i++) {
        const redisReply *who = r->element[2 * i], *ttl = r->element[2 * i + 1];
        if (who->type == REDIS_REPLY_STRING && who->len > 0) {
            cl_set(&out[i], who->str, who->len,
                   now + (ttl->type == REDIS_REPLY_INTEGER && ttl->integer > 0 ? ttl->integer : 0));
        }
    }
    for (size_t i = 0; i < n; i++) {
        free((char *)argv[i + 3]);
    }
    free(argv);
    freeReplyObject(r);
    free(ns);
    return rc;
}

int km_claim_sweep(struct km_queue *q, size_t *expired, struct km_err *err)
{
    redisReply *r = NULL;
    char *ns = cl_ns(q);
    char *k_claims = km_asprintf("%s:claims", ns);
    char *k_desk = km_asprintf("%s:desk", ns);
    char *prefix = km_asprintf("%s:claim:", ns);
    char now[24];
    snprintf(now, sizeof(now), "%lld", (long long)km_time_now_ms());
    const char *argv[] = {"EVAL",
                          CL_SWEEP,
                          "2",
                          k_claims,
                          k_desk,
                          now,
                          prefix,
                          KM_CLAIM_DESK_MAXLEN,
                          KM_CLAIM_SWEEP_MAX};
    int rc = km_queue_command(q, 9, argv, &r, err);
    if (rc == KM_OK && r->type != REDIS_REPLY_INTEGER) {
        rc = km_err_set(err, KM_ERR, "redis %s: claim sweep: unexpected reply",
                        km_redis_where(q->r));
    }
    if (expired != NULL) {
        *expired = rc == KM_OK && r->integer > 0 ? (size_t)r->integer : 0;
    }
    freeReplyObject(r);
    free(ns);
    free(k_claims);
    free(k_desk);
    free(prefix);
    return rc;
}
