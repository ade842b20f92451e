/* XADD to the {ns}:events stream (see events.h). */
#include "queue/events.h"

#include "common/alloc.h"
#include "queue/redis.h"

#include <stdlib.h>
#include <string.h>

struct km_events {
    struct km_redis *r;
    char *key;
};

int km_events_new(const struct km_queue_opts *opts, struct km_events **out, struct km_err *err)
{
    struct km_events *ev = km_calloc(1, sizeof(*ev));
    int rc = km_redis_new(opts->url, opts->password, opts->timeout_ms, &ev->r, err);
    if (rc == KM_OK) {
        const char *ns = opts->ns != NULL && opts->ns[0] != '\0' ? opts->ns : "komek";
        ev->key = km_asprintf("{%s}:events", ns);
    } else {
        km_events_free(ev);
        ev = NULL;
    }
    *out = ev;
    return rc;
}

void km_events_free(struct km_events *ev)
{
    if (ev == NULL) {
        return;
    }
    km_redis_free(ev->r);
    free(ev->key);
    free(ev);
}

const char *km_events_key(const struct km_events *ev)
{
    return ev->key;
}

/* XADDs ARGV[2..] to KEYS[1] unless KEYS[2] names an earlier entry; KEYS[2] then holds the
 * new entry's id for ARGV[1] seconds. One script, so the entry and its marker are written
 * (and persisted) together or not at all. */
static const char EV_ONCE_LUA[] = "local id = redis.call('GET', KEYS[2])\n"
                                  "if id then return id end\n"
                                  "id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2))\n"
                                  "redis.call('SET', KEYS[2], id, 'EX', ARGV[1])\n"
                                  "return id\n";

/* XADD (once == NULL) or the EV_ONCE_LUA script with marker {ns}:events:sent:ONCE. */
static int ev_add(struct km_events *ev, const char *once, const char *const *fields,
                  const char *const *values, size_t n, char **id, struct km_err *err)
{
    const char *argv[6 + 2 * KM_EVENTS_MAX_FIELDS];
    size_t lens[6 + 2 * KM_EVENTS_MAX_FIELDS];
    redisReply *reply = NULL;
    char *marker = NULL;
    char ttl[24];
    int argc = 0;
    if (n > KM_EVENTS_MAX_FIELDS) {
        return km_err_set(err, KM_EINPUT, "redis: XADD %s: %zu fields, at most %d", ev->key, n,
                          KM_EVENTS_MAX_FIELDS);
    }
    if (once != NULL) {
        marker = km_asprintf("%s:sent:%s", ev->key, once);
        snprintf(ttl, sizeof(ttl), "%d", KM_EVENTS_ONCE_TTL_S);
        argv[argc++] = "EVAL";
        argv[argc++] = EV_ONCE_LUA;
        argv[argc++] = "2";
        argv[argc++] = ev->key;
        argv[argc++] = marker;
        argv[argc++] = ttl;
    } else {
        argv[argc++] = "XADD";
        argv[argc++] = ev->key;
        argv[argc++] = "*";
    }
    for (size_t i = 0; i < n; i++) {
        if (values[i] != NULL) {
            argv[argc++] = fields[i];
            argv[argc++] = values[i];
        }
    }
    for (int i = 0; i < argc; i++) {
        lens[i] = strlen(argv[i]);
    }
    int rc = km_redis_call(ev->r, argc, argv, lens, 0, &reply, err);
    if (rc == KM_OK && reply->type != REDIS_REPLY_STRING) {
        rc = km_err_set(err, KM_ERR, "redis: XADD %s: unexpected reply type %d", ev->key,
                        reply->type);
    }
    if (rc == KM_OK && id != NULL) {
        *id = km_strndup(reply->str, reply->len);
    }
    if (reply != NULL) {
        freeReplyObject(reply);
    }
    free(marker);
    return rc;
}

int km_events_xadd(struct km_events *ev, const char *const *fields, const char *const *values,
                   size_t n, char **id, struct km_err *err)
{
    return ev_add(ev, NULL, fields, values, n, id, err);
}

int km_events_xadd_once(struct km_events *ev, const char *once, const char *const *fields,
                        const char *const *values, size_t n, char **id, struct km_err *err)
{
    return ev_add(ev, once, fields, values, n, id, err);
}
