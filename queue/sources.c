#include "queue/sources.h"

#include "common/alloc.h"
#include "common/time.h"
#include "queue/redis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Take or renew the lease if it is free or already ours (atomic in Redis). */
static const char CLAIM_LUA[] =
    "local v = redis.call('GET', KEYS[1]) "
    "if v == false or v == ARGV[1] then "
    "  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end "
    "return v";

/* Delete the lease only if it is ours. */
static const char RELEASE_LUA[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end "
    "return 0";

struct km_sources {
    struct km_redis *r;
    char *ns;
    char *instance;
    int64_t lease_ms;
};

int km_sources_new(const struct km_queue_opts *opts, const char *instance, int64_t lease_ms,
                   struct km_sources **out, struct km_err *err)
{
    struct km_sources *s = km_calloc(1, sizeof(*s));
    int rc = km_redis_new(opts->url, opts->password, opts->timeout_ms, &s->r, err);
    if (rc != KM_OK) {
        km_sources_free(s);
        *out = NULL;
        return rc;
    }
    s->ns = km_strdup(opts->ns != NULL && opts->ns[0] != '\0' ? opts->ns : "komek");
    s->instance = km_strdup(instance);
    s->lease_ms = lease_ms;
    *out = s;
    return KM_OK;
}

void km_sources_free(struct km_sources *s)
{
    if (s == NULL) {
        return;
    }
    km_redis_free(s->r);
    free(s->ns);
    free(s->instance);
    free(s);
}

static char *key_of(const struct km_sources *s, const char *kind, const char *name)
{
    return km_asprintf("{%s}:%s:%s", s->ns, kind, name);
}

/* Runs a command given as NUL-terminated strings. */
static int call(struct km_sources *s, int argc, const char **argv, redisReply **out,
                struct km_err *err)
{
    size_t lens[16];
    for (int i = 0; i < argc && i < 16; i++) {
        lens[i] = strlen(argv[i]);
    }
    return km_redis_call(s->r, argc, argv, lens, 0, out, err);
}

int km_sources_claim(struct km_sources *s, const char *source, int64_t hint_ms,
                     struct km_err *err)
{
    char *key = key_of(s, "lease", source);
    char ms[32];
    snprintf(ms, sizeof(ms), "%lld", (long long)(hint_ms > s->lease_ms ? hint_ms : s->lease_ms));
    const char *argv[] = {"EVAL", CLAIM_LUA, "1", key, s->instance, ms};
    redisReply *r = NULL;
    int rc = call(s, 6, argv, &r, err);
    if (rc == KM_OK) {
        if (r->type == REDIS_REPLY_INTEGER && r->integer == 1) {
            rc = KM_OK;
        } else {
            rc = km_err_set(err, KM_RETRY, "source %s is polled by %s", source,
                            r->type == REDIS_REPLY_STRING ? r->str : "another instance");
        }
    } else {
        rc = KM_ERR; /* Redis unreachable or failing: not the same as "held" */
    }
    freeReplyObject(r);
    free(key);
    return rc;
}

void km_sources_release(struct km_sources *s, const char *source)
{
    char *key = key_of(s, "lease", source);
    const char *argv[] = {"EVAL", RELEASE_LUA, "1", key, s->instance};
    redisReply *r = NULL;
    struct km_err err = {{0}};
    if (call(s, 5, argv, &r, &err) == KM_OK) {
        freeReplyObject(r);
    }
    free(key);
}

void km_source_status_clear(struct km_source_status *st)
{
    free(st->state);
    free(st->instance);
    free(st->last_success);
    free(st->last_error);
    free(st->last_error_at);
    free(st->updated_at);
    free(st->lease_holder);
    memset(st, 0, sizeof(*st));
}

static void today_key(const struct km_sources *s, char *out, size_t size)
{
    char ts[40];
    km_time_format_rfc3339(km_time_now_ms(), ts, sizeof(ts));
    snprintf(out, size, "{%s}:posts:%.10s", s->ns, ts);
}

int km_sources_count_posts(struct km_sources *s, const char *source, long long n,
                           struct km_err *err)
{
    char key[256], num[32], ttl[32];
    today_key(s, key, sizeof(key));
    snprintf(num, sizeof(num), "%lld", n);
    snprintf(ttl, sizeof(ttl), "%d", KM_SOURCES_DAYS_KEPT * 86400);
    const char *incr[] = {"HINCRBY", key, source, num};
    const char *expire[] = {"EXPIRE", key, ttl};
    redisReply *r = NULL;
    int rc = call(s, 4, incr, &r, err);
    freeReplyObject(r);
    r = NULL;
    if (rc == KM_OK) {
        rc = call(s, 3, expire, &r, err);
        freeReplyObject(r);
    }
    return rc;
}

int km_sources_publish(struct km_sources *s, const char *source,
                       const struct km_source_status *st, struct km_err *err)
{
    char *key = key_of(s, "source", source);
    char nums[6][32], now[40];
    const long long vals[6] = {st->polls,        st->posts,        st->errors_http,
                               st->errors_input, st->rate_limited, st->backoff_ms};
    static const char *const num_names[6] = {"polls",        "posts",        "errors_http",
                                             "errors_input", "rate_limited", "backoff_ms"};
    const char *argv[2 + 2 * 13];
    int argc = 0;
    argv[argc++] = "HSET";
    argv[argc++] = key;
    for (int i = 0; i < 6; i++) {
        snprintf(nums[i], sizeof(nums[i]), "%lld", vals[i]);
        argv[argc++] = num_names[i];
        argv[argc++] = nums[i];
    }
    const struct {
        const char *name, *value;
    } strs[] = {{"state", st->state},
                {"instance", s->instance},
                {"last_success", st->last_success},
                {"last_error", st->last_error},
                {"last_error_at", st->last_error_at},
                {"updated_at", km_time_format_rfc3339(km_time_now_ms(), now, sizeof(now))}};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        if (strs[i].value != NULL) {
            argv[argc++] = strs[i].name;
            argv[argc++] = strs[i].value;
        }
    }
    size_t lens[2 + 2 * 13];
    for (int i = 0; i < argc; i++) {
        lens[i] = strlen(argv[i]);
    }
    redisReply *r = NULL;
    int rc = km_redis_call(s->r, argc, argv, lens, 0, &r, err);
    freeReplyObject(r);
    free(key);
    return rc;
}

static char *field_dup(const redisReply *r, const char *name)
{
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const redisReply *k = r->element[i], *v = r->element[i + 1];
        if (k->type == REDIS_REPLY_STRING && strcmp(k->str, name) == 0 &&
            v->type == REDIS_REPLY_STRING) {
            return km_strndup(v->str, v->len);
        }
    }
    return NULL;
}

static long long field_num(const redisReply *r, const char *name)
{
    char *v = field_dup(r, name);
    long long n = v != NULL ? strtoll(v, NULL, 10) : 0;
    free(v);
    return n;
}

static void status_from_hash(const redisReply *r, struct km_source_status *st)
{
    st->state = field_dup(r, "state");
    st->instance = field_dup(r, "instance");
    st->last_success = field_dup(r, "last_success");
    st->last_error = field_dup(r, "last_error");
    st->last_error_at = field_dup(r, "last_error_at");
    st->updated_at = field_dup(r, "updated_at");
    st->polls = field_num(r, "polls");
    st->posts = field_num(r, "posts");
    st->errors_http = field_num(r, "errors_http");
    st->errors_input = field_num(r, "errors_input");
    st->rate_limited = field_num(r, "rate_limited");
    st->backoff_ms = field_num(r, "backoff_ms");
}

int km_sources_read(struct km_sources *s, const char *source, struct km_source_status *st,
                    struct km_err *err)
{
    memset(st, 0, sizeof(*st));
    char *key = key_of(s, "source", source);
    char *lease = key_of(s, "lease", source);
    char day[256];
    today_key(s, day, sizeof(day));
    const char *hgetall[] = {"HGETALL", key};
    const char *get[] = {"GET", lease};
    const char *hget[] = {"HGET", day, source};
    redisReply *r = NULL;
    int rc = call(s, 2, hgetall, &r, err);
    if (rc == KM_OK && r->type == REDIS_REPLY_ARRAY) {
        status_from_hash(r, st);
    }
    freeReplyObject(r);
    r = NULL;
    if (rc == KM_OK && (rc = call(s, 2, get, &r, err)) == KM_OK && r->type == REDIS_REPLY_STRING) {
        st->lease_holder = km_strndup(r->str, r->len);
    }
    freeReplyObject(r);
    r = NULL;
    if (rc == KM_OK && (rc = call(s, 3, hget, &r, err)) == KM_OK && r->type == REDIS_REPLY_STRING) {
        st->posts_today = strtoll(r->str, NULL, 10);
    }
    freeReplyObject(r);
    free(key);
    free(lease);
    return rc;
}
