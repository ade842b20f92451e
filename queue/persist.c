/* Redis persistence check (see persist.h). */
#include "queue/persist.h"

#include "queue/redis.h"

#include <stdio.h>
#include <string.h>

/* "aof_enabled:1" in the INFO persistence text. */
static bool ps_info_flag(const char *info, const char *key)
{
    const char *at = strstr(info, key);
    return at != NULL && at[strlen(key)] == ':' && at[strlen(key) + 1] == '1';
}

/* Value of CONFIG GET name into buf ("" when refused). */
static void ps_config(struct km_redis *rd, const char *name, char *buf, size_t size)
{
    const char *argv[3] = {"CONFIG", "GET", name};
    redisReply *r = NULL;
    struct km_err err = {{0}};
    buf[0] = '\0';
    if (km_redis_call(rd, 3, argv, NULL, 0, &r, &err) != KM_OK) {
        return;
    }
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
        r->element[1]->type == REDIS_REPLY_STRING) {
        snprintf(buf, size, "%s", r->element[1]->str);
    }
    freeReplyObject(r);
}

int km_redis_persistence_get(const struct km_queue_opts *o, struct km_redis_persistence *out,
                             struct km_err *err)
{
    struct km_redis *rd = NULL;
    memset(out, 0, sizeof(*out));
    int rc = km_redis_new(o->url, o->password, o->timeout_ms, &rd, err);
    if (rc != KM_OK) {
        return rc;
    }
    const char *argv[2] = {"INFO", "persistence"};
    redisReply *r = NULL;
    rc = km_redis_call(rd, 2, argv, NULL, 0, &r, err);
    if (rc == KM_OK) {
        out->aof = r->type == REDIS_REPLY_STRING &&
                   ps_info_flag(r->str, "aof_enabled");
        freeReplyObject(r);
        ps_config(rd, "appendfsync", out->appendfsync, sizeof(out->appendfsync));
        char save[128];
        ps_config(rd, "save", save, sizeof(save));
        out->rdb = save[0] != '\0';
    }
    km_redis_free(rd);
    return rc;
}

const char *km_redis_persistence_warning(const struct km_redis_persistence *p, bool *severe)
{
    *severe = true;
    if (!p->aof) {
        return p->rdb ? "Redis runs without AOF (appendonly no): a Redis restart loses every "
                        "write since its last RDB snapshot, source cursors included, and posts "
                        "fetched past a lost cursor are gone for good. Set appendonly yes and "
                        "appendfsync always"
                      : "Redis does not persist at all (no AOF, no RDB): a Redis restart loses "
                        "the stream, the cursors and the dedup window. Set appendonly yes and "
                        "appendfsync always";
    }
    if (strcmp(p->appendfsync, "no") == 0) {
        return "Redis AOF is on with appendfsync no: a crash of the machine loses the writes "
               "the kernel had not flushed, source cursors included. Set appendfsync always";
    }
    *severe = false;
    if (strcmp(p->appendfsync, "everysec") == 0) {
        return "Redis AOF is on with appendfsync everysec: a crash of the machine can lose the "
               "last second of writes; appendfsync always is recommended";
    }
    return NULL; /* always, or unknown (CONFIG refused): AOF is on, nothing to say */
}
