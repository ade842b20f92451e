#include "daemon/collect.h"

#include "app/commit.h"
#include "app/setup.h"
#include "app/watch.h"
#include "collectors/runtime.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/time.h"
#include "queue/queue.h"
#include "queue/sources.h"
#include "triage/filter.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <inttypes.h>
#include <stdlib.h>

struct collect_ctx {
    struct km_queue *q;
    struct km_sources *sources; /* leases and published status */
    struct km_shared *watch; /* struct km_watch */
    struct km_committer *committer;
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
    struct km_shared_ref *ref = NULL;
    const struct km_watch *w = km_shared_acquire(c->watch, &ref);
    int rc = km_committer_commit(c->committer, w, src, batch, next_cursor, &n, &err);
    km_shared_release(c->watch, ref);
    if (rc != KM_OK) {
        km_complain(&c->redis_down, "collect", "cannot commit batch of %s: %s", src->name,
                    err.msg);
        return KM_RETRY;
    }
    km_complain_release(&c->redis_down, "collect", "redis");
    if (n.added > 0) {
        km_sources_count_posts(c->sources, src->name, (long long)n.added, &err);
    }
    c->kept += n.seen - n.dropped;
    c->dropped += n.dropped;
    c->added += n.added;
    c->dups += n.dups;
    return KM_OK;
}

static int sink_claim(void *arg, const struct km_source_info *src, int64_t hint_ms)
{
    struct collect_ctx *c = arg;
    struct km_err err = {{0}};
    int rc = km_sources_claim(c->sources, src->name, hint_ms, &err);
    /* Redis down: go on, reading the cursor fails next and reports it with backoff. */
    return rc == KM_ERR ? KM_OK : rc;
}

static void sink_release(void *arg, const struct km_source_info *src)
{
    struct collect_ctx *c = arg;
    km_sources_release(c->sources, src->name);
}

static const char *state_of(const struct km_source_stats *st)
{
    if (st->stopped) {
        return "stopped";
    } else if (st->standby) {
        return "standby";
    } else if (st->backoff_ms > 0) {
        return "backing off";
    }
    return "ok";
}

static void metrics_declare(void)
{
    km_metric_declare("komek_source_polls_total", KM_METRIC_COUNTER,
                      "Exchanges (requests) made with a source.");
    km_metric_declare("komek_source_posts_total", KM_METRIC_COUNTER,
                      "Posts a source's responses carried.");
    km_metric_declare("komek_source_errors_total", KM_METRIC_COUNTER,
                      "Failed exchanges by kind: http (transport or status), input (payload "
                      "refused), rate_limited, deliver (Redis refused the batch).");
    km_metric_declare("komek_source_backoff_seconds", KM_METRIC_GAUGE,
                      "Extra delay a source is waiting out after failures (0 when healthy).");
    km_metric_declare("komek_source_state", KM_METRIC_GAUGE,
                      "1 for a source's current state: ok, backing off, standby, stopped.");
    km_metric_declare("komek_source_last_success_timestamp_seconds", KM_METRIC_GAUGE,
                      "Unix time of a source's last successful exchange.");
    km_metric_declare("komek_source_cursor_age_seconds", KM_METRIC_GAUGE,
                      "Seconds since a source's cursor last advanced (its last success).");
}

/* One source's series: "source" label plus an optional second one. */
static void metric_source(const char *name, const char *source, const char *key,
                          const char *value, double v)
{
    struct km_buf b = KM_BUF_INIT;
    km_metric_label(&b, "source", source);
    if (key != NULL) {
        km_metric_label(&b, key, value);
    }
    km_metric_set(name, b.data, v);
    km_buf_free(&b);
}

static void metrics_publish(const char *src, const struct km_source_stats *st)
{
    static const char *const states[] = {"ok", "backing off", "standby", "stopped"};
    metric_source("komek_source_polls_total", src, NULL, NULL, (double)st->polls);
    metric_source("komek_source_posts_total", src, NULL, NULL, (double)st->posts);
    metric_source("komek_source_errors_total", src, "kind", "http", (double)st->errors_http);
    metric_source("komek_source_errors_total", src, "kind", "input", (double)st->errors_input);
    metric_source("komek_source_errors_total", src, "kind", "rate_limited",
                  (double)st->rate_limited);
    metric_source("komek_source_errors_total", src, "kind", "deliver",
                  (double)st->deliver_retries);
    metric_source("komek_source_backoff_seconds", src, NULL, NULL, (double)st->backoff_ms / 1e3);
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
        metric_source("komek_source_state", src, "state", states[i],
                      strcmp(states[i], state_of(st)) == 0);
    }
    if (st->last_success_ms > 0) {
        metric_source("komek_source_last_success_timestamp_seconds", src, NULL, NULL,
                      (double)st->last_success_ms / 1e3);
    }
}

/* Scrape time: the age of every source's cursor, from its last success. */
static void metrics_scrape(void *arg)
{
    const struct km_config *cfg = arg;
    double now = (double)km_time_now_ms() / 1e3;
    for (size_t i = 0; i < cfg->n_sources; i++) {
        struct km_buf b = KM_BUF_INIT;
        km_metric_label(&b, "source", cfg->sources[i]->name);
        double at = km_metric_get("komek_source_last_success_timestamp_seconds", b.data);
        if (at > 0) {
            km_metric_set("komek_source_cursor_age_seconds", b.data, now - at);
        }
        km_buf_free(&b);
    }
}

/* Publishes a source's stats for `komekctl sources` and /metrics (best effort: a status
 * write that fails only makes the status stale). */
static void sink_report(void *arg, const struct km_source_info *src,
                        const struct km_source_stats *st)
{
    struct collect_ctx *c = arg;
    char ok_at[40], err_at[40];
    struct km_source_status out = {
        .state = (char *)state_of(st),
        .last_success = st->last_success_ms > 0
                            ? km_time_format_rfc3339(st->last_success_ms, ok_at, sizeof(ok_at))
                            : NULL,
        .last_error = st->last_error_ms > 0 ? (char *)st->last_error : NULL,
        .last_error_at = st->last_error_ms > 0
                             ? km_time_format_rfc3339(st->last_error_ms, err_at, sizeof(err_at))
                             : NULL,
        .polls = (long long)st->polls,
        .posts = (long long)st->posts,
        .errors_http = (long long)st->errors_http,
        .errors_input = (long long)st->errors_input,
        .rate_limited = (long long)st->rate_limited,
        .backoff_ms = st->backoff_ms,
    };
    struct km_err err = {{0}};
    km_sources_publish(c->sources, src->name, &out, &err);
    metrics_publish(src->name, st);
}

/* This komekd's name among those sharing the Redis: its consumer name, stable across
 * restarts, so that a restarted komekd takes its own leases back at once instead of
 * waiting for them to expire. Two komekd on one host need distinct `consumer =`. */
static char *instance_name(const struct km_config *cfg)
{
    return km_app_consumer_name(cfg);
}

int km_collect_run(const struct km_config *cfg, struct km_shared *watch,
                   volatile sig_atomic_t *stop, bool once, struct km_err *err)
{
    struct collect_ctx ctx = {.watch = watch};
    struct km_runtime *rt = NULL;
    struct km_queue_opts qo;
    km_app_queue_opts(cfg, &qo);
    char *instance = instance_name(cfg);
    int rc = km_queue_new(&qo, &ctx.q, err);
    if (rc == KM_OK) {
        rc = km_sources_new(&qo, instance, km_section_get_ms(cfg->global, "lease"),
                            &ctx.sources, err);
    }
    if (rc == KM_OK) {
        rc = km_committer_new(cfg, ctx.q, &ctx.committer, err);
    }
    free(instance);
    if (rc != KM_OK) {
        goto out;
    }
    const struct km_runtime_sink sink = {.load_cursor = sink_load_cursor,
                                         .deliver = sink_deliver,
                                         .claim = sink_claim,
                                         .release = sink_release,
                                         .report = sink_report,
                                         .ctx = &ctx};
    rc = km_runtime_new(cfg, &sink, &rt, err);
    if (rc != KM_OK) {
        goto out;
    }
    metrics_declare();
    km_metrics_on_scrape(metrics_scrape, (void *)cfg);
    if (km_runtime_source_count(rt) == 0) {
        KM_SLOG_INFO("collect", "no enabled polled [source]: nothing to poll");
    }
    rc = km_runtime_run(rt, stop, once);
    if (rc != KM_OK) {
        km_err_set(err, rc, "every source has stopped");
    }
    KM_SLOG_INFO("collect", "stopping: %" PRIu64 " posts kept, %" PRIu64 " dropped, %" PRIu64
                            " new in the stream, %" PRIu64 " repeats",
                 ctx.kept, ctx.dropped, ctx.added, ctx.dups);
out:
    km_metrics_off_scrape(metrics_scrape, (void *)cfg);
    km_runtime_free(rt);
    km_committer_free(ctx.committer);
    km_sources_free(ctx.sources);
    km_triage_thread_end();
    km_queue_free(ctx.q);
    return rc;
}
