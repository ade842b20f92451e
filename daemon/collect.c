#include "daemon/collect.h"

#include "app/commit.h"
#include "app/setup.h"
#include "collectors/runtime.h"
#include "common/log.h"
#include "queue/queue.h"
#include "triage/filter.h"

#include <inttypes.h>
#include <stdlib.h>

struct collect_ctx {
    struct km_queue *q;
    const struct km_tags *tags;
    struct km_complaint redis_down;
    uint64_t kept, dropped, added, dups;
};

static int sink_load_cursor(void *arg, const struct km_source_info *src, char **cursor)
{
    struct collect_ctx *c = arg;
    struct km_err err = {{0}};
    int rc = km_queue_get_cursor(c->q, src->name, cursor, &err);
    if (rc != KM_OK) {
        km_complain(&c->redis_down, "collect", "cannot read cursor of %s: %s", src->name,
                    err.msg);
        return KM_RETRY;
    }
    km_complain_release(&c->redis_down, "collect", "redis");
    return KM_OK;
}

static int sink_deliver(void *arg, const struct km_source_info *src,
                        struct km_post_batch *batch, const char *next_cursor)
{
    struct collect_ctx *c = arg;
    struct km_err err = {{0}};
    struct km_commit_counts n;
    int rc = km_collect_commit(c->q, c->tags, src, batch, next_cursor, &n, &err);
    if (rc != KM_OK) {
        km_complain(&c->redis_down, "collect", "cannot commit batch of %s: %s", src->name,
                    err.msg);
        return KM_RETRY;
    }
    km_complain_release(&c->redis_down, "collect", "redis");
    c->kept += n.seen - n.dropped;
    c->dropped += n.dropped;
    c->added += n.added;
    c->dups += n.dups;
    return KM_OK;
}

int km_collect_run(const struct km_config *cfg, const struct km_tags *tags,
                   volatile sig_atomic_t *stop, bool once, struct km_err *err)
{
    struct collect_ctx ctx = {.tags = tags};
    struct km_runtime *rt = NULL;
    struct km_queue_opts qo;
    km_app_queue_opts(cfg, &qo);
    int rc = km_queue_new(&qo, &ctx.q, err);
    if (rc != KM_OK) {
        goto out;
    }
    const struct km_runtime_sink sink = {
        .load_cursor = sink_load_cursor, .deliver = sink_deliver, .ctx = &ctx};
    rc = km_runtime_new(cfg, &sink, &rt, err);
    if (rc != KM_OK) {
        goto out;
    }
    if (km_runtime_source_count(rt) == 0) {
        KM_SLOG_WARN("collect", "no enabled [source] in the configuration: nothing to collect");
    }
    rc = km_runtime_run(rt, stop, once);
    if (rc != KM_OK) {
        km_err_set(err, rc, "every source has stopped");
    }
    KM_SLOG_INFO("collect", "stopping: %" PRIu64 " posts kept, %" PRIu64 " dropped, %" PRIu64
                            " new in the stream, %" PRIu64 " repeats",
                 ctx.kept, ctx.dropped, ctx.added, ctx.dups);
out:
    km_runtime_free(rt);
    km_queue_free(ctx.q);
    return rc;
}
