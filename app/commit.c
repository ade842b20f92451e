#include "app/commit.h"

#include "app/setup.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/time.h"
#include "queue/dedup_store.h"
#include "triage/dedup.h"
#include "triage/filter.h"
#include "triage/score.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct km_committer {
    struct km_queue *q;
    struct km_dedup_redis *store;
    struct km_dedup *dedup;
    uint64_t skipped; /* log entries skipped, as last counted in /metrics */
    uint64_t read;    /* log entries read, as last counted in /metrics */
    /* "network:id" of posts whose check announced an escalation in a batch that then
     * failed: checked again, they are replays and announce nothing, so the escalation is
     * owed to them (oldest first, at most COMMIT_MAX_OWED). */
    char **owed;
    size_t n_owed;
    /* the batch km_committer_send() sent and no call has confirmed yet */
    struct km_queue_sent *sent;
    struct km_post_batch sent_batch; /* its posts (owned) */
    bool *sent_escalate;
    struct km_commit_counts sent_n;
    const struct km_source_info *sent_src;
    bool begun; /* km_dedup_redis_begin() done ahead for the next batch */
};

#define COMMIT_MAX_OWED 1024

static char *post_key(const struct km_post *p)
{
    return km_asprintf("%s:%s", p->network, p->id);
}

/* Remembers that p's escalation is owed. */
static void owed_add(struct km_committer *c, const struct km_post *p)
{
    if (c->n_owed == COMMIT_MAX_OWED) {
        free(c->owed[0]);
        memmove(c->owed, c->owed + 1, (c->n_owed - 1) * sizeof(*c->owed));
        c->n_owed--;
    }
    c->owed = km_realloc(c->owed, (c->n_owed + 1) * sizeof(*c->owed));
    c->owed[c->n_owed++] = post_key(p);
}

/* True (and forgotten) if p's escalation is owed. */
static bool owed_take(struct km_committer *c, const struct km_post *p)
{
    if (c->n_owed == 0 || p->network == NULL || p->id == NULL) {
        return false;
    }
    char *key = post_key(p);
    bool found = false;
    for (size_t i = 0; i < c->n_owed && !found; i++) {
        if (strcmp(c->owed[i], key) == 0) {
            free(c->owed[i]);
            memmove(c->owed + i, c->owed + i + 1, (c->n_owed - i - 1) * sizeof(*c->owed));
            c->n_owed--;
            found = true;
        }
    }
    free(key);
    return found;
}

static void metrics_declare(void)
{
    km_metric_declare("komek_commit_posts_total", KM_METRIC_COUNTER,
                      "Posts handed to the commit path, by outcome: dropped (no watched tag), "
                      "added (new in the stream), repeat (seen within dedup_window).");
    km_metric_declare("komek_triage_posts_total", KM_METRIC_COUNTER,
                      "Posts triaged and kept, by category and priority.");
    km_metric_declare("komek_triage_duplicates_total", KM_METRIC_COUNTER,
                      "Kept posts that duplicate an earlier one (exact, near, repost, place).");
    km_metric_declare("komek_triage_incident_posts_total", KM_METRIC_COUNTER,
                      "Kept posts that joined an incident of two or more posts.");
    km_metric_declare("komek_triage_escalations_total", KM_METRIC_COUNTER,
                      "Escalation entries written for incidents that crossed a threshold.");
    km_metric_declare("komek_dedup_window_posts", KM_METRIC_GAUGE,
                      "Posts in this komekd's copy of the dedup window.");
    km_metric_declare("komek_dedup_window_bytes", KM_METRIC_GAUGE,
                      "Memory of this komekd's copy of the dedup window (approximate).");
    km_metric_declare("komek_dedup_log_pending", KM_METRIC_GAUGE,
                      "Checked posts whose dedup log entry is not yet written to Redis.");
    km_metric_declare("komek_dedup_log_skipped_total", KM_METRIC_COUNTER,
                      "Entries of the dedup log in Redis that did not parse and were skipped.");
    km_metric_declare("komek_dedup_log_read_total", KM_METRIC_COUNTER,
                      "Entries of the dedup log read from Redis (other komekd's, and this one's "
                      "own when another wrote in between).");
}

/* The dedup window's gauges after a batch. */
static void metrics_window(struct km_committer *c)
{
    struct km_dedup_redis_stats st;
    km_dedup_redis_stats(c->store, &st);
    km_metric_set("komek_dedup_window_posts", NULL, (double)st.posts);
    km_metric_set("komek_dedup_window_bytes", NULL, (double)st.bytes);
    km_metric_set("komek_dedup_log_pending", NULL, (double)st.pending);
    km_metric_add("komek_dedup_log_skipped_total", NULL, (double)(st.skipped - c->skipped));
    c->skipped = st.skipped;
    km_metric_add("komek_dedup_log_read_total", NULL, (double)(st.read - c->read));
    c->read = st.read;
}

/* Counts one committed batch in /metrics. */
static void metrics_count(const struct km_post_batch *batch, const struct km_commit_counts *n)
{
    km_metric_add("komek_commit_posts_total", "outcome=\"dropped\"", (double)n->dropped);
    km_metric_add("komek_commit_posts_total", "outcome=\"added\"", (double)n->added);
    km_metric_add("komek_commit_posts_total", "outcome=\"repeat\"", (double)n->dups);
    km_metric_add("komek_triage_duplicates_total", NULL, (double)n->duplicates);
    km_metric_add("komek_triage_escalations_total", NULL, (double)n->escalated);
    for (size_t i = 0; i < batch->n; i++) {
        const struct km_post_triage *t = &batch->posts[i]->triage;
        if (!t->scored || t->category == NULL) {
            continue;
        }
        struct km_buf b = KM_BUF_INIT;
        km_metric_label(&b, "category", t->category);
        km_buf_printf(&b, ",priority=\"P%d\"", t->priority);
        km_metric_add("komek_triage_posts_total", b.data, 1);
        km_buf_free(&b);
    }
    km_metric_add("komek_triage_incident_posts_total", NULL, (double)n->incident_posts);
}

int km_committer_new(const struct km_config *cfg, struct km_queue *q, struct km_committer **out,
                     struct km_err *err)
{
    metrics_declare();
    struct km_committer *c = km_calloc(1, sizeof(*c));
    c->q = q;
    struct km_queue_opts qo;
    km_app_queue_opts(cfg, &qo);
    struct km_dedup_opts o = {.window_ms = km_section_get_ms(cfg->global, "incident_window")};
    int rc = km_dedup_redis_new(&qo, o.window_ms, &c->store, err);
    if (rc != KM_OK) {
        free(c);
        *out = NULL;
        return rc;
    }
    c->dedup = km_dedup_new(&o, &km_dedup_redis_ops, c->store);
    km_post_batch_init(&c->sent_batch);
    *out = c;
    return KM_OK;
}

void km_committer_free(struct km_committer *c)
{
    if (c == NULL) {
        return;
    }
    km_committer_wait(c, NULL, NULL, NULL); /* logs the outcome */
    km_dedup_free(c->dedup);
    km_dedup_redis_free(c->store);
    for (size_t i = 0; i < c->n_owed; i++) {
        free(c->owed[i]);
    }
    free(c->owed);
    free(c);
}

static void log_commit(const struct km_source_info *src, const struct km_commit_counts *c)
{
    if (c->seen == 0) {
        return;
    }
    char scope[160];
    snprintf(scope, sizeof(scope), "collector:%s:%s", src->type, src->name);
    KM_SLOG_INFO(scope,
                 "%zu posts: %zu without a watched tag, %zu new, %zu repeats, %zu duplicates, "
                 "%zu escalations",
                 c->seen, c->dropped, c->added, c->dups, c->duplicates, c->escalated);
}

/* Writes the batch's dedup log entries; with json != NULL it also encodes every post of
 * batch into *json (an array of batch->n strings) while Redis appends them. */
static int flush_log(struct km_committer *c, const struct km_post_batch *batch, char ***json,
                     struct km_err *err)
{
    if (json == NULL) {
        return km_dedup_redis_flush(c->store, err);
    }
    int rc = km_dedup_redis_flush_send(c->store, err);
    *json = km_calloc(batch->n + 1, sizeof(**json));
    for (size_t i = 0; rc == KM_OK && i < batch->n; i++) {
        (*json)[i] = km_post_to_json(batch->posts[i]);
    }
    return rc == KM_OK ? km_dedup_redis_flush_wait(c->store, err) : rc;
}

/* Scores every post of batch alone, deduplicates it (its category is part of its place
 * key) and scores it again with its incident's size when it joined one; marks in
 * escalate[] the posts whose incident just crossed a threshold. With json != NULL, *json
 * gets the posts' JSON (see flush_log()). KM_RETRY if the dedup window is unreachable. */
static int triage_batch(struct km_committer *c, const struct km_watch *w,
                        struct km_post_batch *batch, bool *escalate, char ***json,
                        struct km_commit_counts *n, struct km_err *err)
{
    bool begun = c->begun;
    c->begun = false;
    if (!begun && km_dedup_redis_begin(c->store, err) != KM_OK) {
        return KM_RETRY;
    }
    int64_t now = km_time_now_ms();
    int rc = KM_OK;
    for (size_t i = 0; i < batch->n && rc == KM_OK; i++) {
        struct km_post *p = batch->posts[i];
        struct km_dedup_result r = {0};
        rc = km_triage_post(w->triage, c->dedup, p, now, &r, err);
        escalate[i] = rc == KM_OK && (r.replay ? owed_take(c, p) : r.escalate > 0);
        n->duplicates += p->triage.dup_of != NULL;
        n->incident_posts += rc == KM_OK && r.size.posts > 1;
        rc = rc == KM_RETRY || rc == KM_ERR ? KM_RETRY : KM_OK;
    }
    /* The batch's records reach the shared log before its posts reach the stream. */
    struct km_err ferr = {{0}};
    if (flush_log(c, batch, rc == KM_OK ? json : NULL, &ferr) != KM_OK && rc == KM_OK) {
        *err = ferr;
        rc = KM_RETRY;
    }
    return rc;
}

/* Escalation entries after the batch: best effort (the posts themselves are stored; a
 * lost escalation is logged and the incident's priority is still recomputed by the
 * database from its posts). */
static size_t write_escalations(struct km_committer *c, const struct km_post_batch *batch,
                                const bool *escalate)
{
    struct km_post **posts = km_calloc(batch->n, sizeof(*posts));
    size_t k = 0;
    for (size_t i = 0; i < batch->n; i++) {
        if (escalate[i]) {
            posts[k++] = batch->posts[i];
        }
    }
    int *rcs = km_calloc(k + 1, sizeof(*rcs));
    struct km_err *errs = km_calloc(k + 1, sizeof(*errs));
    km_queue_write_escalations(c->q, posts, k, rcs, errs); /* each outcome is logged below */
    size_t n = 0;
    for (size_t i = 0; i < k; i++) {
        if (rcs[i] == KM_OK) {
            n++;
            KM_SLOG_INFO("triage", "incident %s escalated to P%d", posts[i]->triage.incident,
                         posts[i]->triage.priority);
        } else {
            KM_SLOG_WARN("triage", "escalation of incident %s not written: %s",
                         posts[i]->triage.incident, errs[i].msg);
        }
    }
    free(errs);
    free(rcs);
    free(posts);
    return n;
}

/* Filters batch and, when w->triage is loaded, triages what is kept (*escalate: one flag a
 * post, or NULL without triage; the caller frees it). json: see triage_batch() (*json
 * stays NULL without triage). */
static int commit_triage(struct km_committer *c, const struct km_watch *w,
                         const struct km_source_info *src, struct km_post_batch *batch,
                         bool **escalate, char ***json, struct km_commit_counts *n,
                         struct km_err *err)
{
    *n = (struct km_commit_counts){.seen = batch->n};
    *escalate = NULL;
    n->dropped = km_triage_filter_batch(w->tags, batch, src->require_tags);
    int rc = KM_OK;
    if (w->triage != NULL && batch->n > 0) {
        *escalate = km_calloc(batch->n, sizeof(**escalate));
        rc = triage_batch(c, w, batch, *escalate, json, n, err);
        metrics_window(c);
    }
    return rc;
}

/* After the write of batch ended with rc: its escalations, log line and counters, or, when
 * it failed, the escalations it owes. */
static void commit_done(struct km_committer *c, const struct km_source_info *src,
                        const struct km_post_batch *batch, const bool *escalate,
                        struct km_commit_counts *n, int rc)
{
    if (rc == KM_OK && escalate != NULL) {
        n->escalated = write_escalations(c, batch, escalate);
    }
    for (size_t i = 0; rc != KM_OK && escalate != NULL && i < batch->n; i++) {
        if (escalate[i]) {
            owed_add(c, batch->posts[i]);
        }
    }
    if (rc == KM_OK) {
        log_commit(src, n);
        metrics_count(batch, n);
    }
}

int km_committer_commit(struct km_committer *c, const struct km_watch *w,
                        const struct km_source_info *src, struct km_post_batch *batch,
                        const char *cursor, struct km_commit_counts *counts, struct km_err *err)
{
    struct km_commit_counts n;
    bool *escalate = NULL;
    int rc = km_committer_wait(c, NULL, NULL, err);
    if (rc != KM_OK) {
        return rc;
    }
    rc = commit_triage(c, w, src, batch, &escalate, NULL, &n, err);
    if (rc == KM_OK) {
        rc = km_queue_write_batch(c->q, src->name, batch, cursor, &n.added, &n.dups, err);
        rc = rc == KM_EINPUT ? KM_ERR : rc; /* the filter dropped posts without ids */
    }
    commit_done(c, src, batch, escalate, &n, rc);
    free(escalate);
    if (rc == KM_OK && counts != NULL) {
        *counts = n;
    }
    return rc;
}

/* Sends the write of batch (its posts taken into c; json, their JSON or NULL, taken) after
 * the dedup window was read for the next batch; on failure the posts stay in batch. */
static int commit_send(struct km_committer *c, const struct km_watch *w,
                       const struct km_source_info *src, struct km_post_batch *batch,
                       char **json, const char *cursor, struct km_err *err)
{
    struct km_err berr = {{0}};
    /* Read now, before the write is sent: a read sent after it would wait behind it. */
    c->begun = w->triage != NULL && km_dedup_redis_begin(c->store, &berr) == KM_OK;
    c->sent_batch = *batch;
    km_post_batch_init(batch);
    int rc = km_queue_send_batch(c->q, src->name, &c->sent_batch, json, cursor, &c->sent, err);
    if (rc != KM_OK) {
        *batch = c->sent_batch;
        km_post_batch_init(&c->sent_batch);
    }
    return rc == KM_EINPUT ? KM_ERR : rc; /* the filter dropped posts without ids */
}

int km_committer_send(struct km_committer *c, const struct km_watch *w,
                      const struct km_source_info *src, struct km_post_batch *batch,
                      const char *cursor, struct km_commit_counts *prev, bool *confirmed,
                      struct km_err *err)
{
    struct km_commit_counts n;
    bool *escalate = NULL;
    char **json = NULL;
    int rc = commit_triage(c, w, src, batch, &escalate, &json, &n, err);
    struct km_err perr = {{0}};
    int prc = km_committer_wait(c, prev, confirmed, &perr);
    if (prc != KM_OK) { /* the earlier batch failed: this one is not sent after it */
        rc = prc;
        *err = perr;
    }
    if (rc == KM_OK) {
        rc = commit_send(c, w, src, batch, json, cursor, err);
        json = NULL; /* taken */
    }
    for (size_t i = 0; json != NULL && i < batch->n; i++) {
        free(json[i]);
    }
    free(json);
    if (rc != KM_OK) {
        commit_done(c, src, batch, escalate, &n, rc); /* owes its escalations */
        free(escalate);
        return rc;
    }
    c->sent_escalate = escalate;
    c->sent_n = n;
    c->sent_src = src;
    return KM_OK;
}

int km_committer_wait(struct km_committer *c, struct km_commit_counts *counts, bool *confirmed,
                      struct km_err *err)
{
    if (confirmed != NULL) {
        *confirmed = false;
    }
    if (c->sent == NULL) {
        return KM_OK;
    }
    struct km_commit_counts n = c->sent_n;
    struct km_err ferr = {{0}};
    int rc = km_queue_finish_batch(c->q, c->sent, &n.added, &n.dups, &ferr);
    rc = rc == KM_EINPUT ? KM_ERR : rc;
    c->sent = NULL;
    commit_done(c, c->sent_src, &c->sent_batch, c->sent_escalate, &n, rc);
    km_post_batch_free(&c->sent_batch);
    km_post_batch_init(&c->sent_batch);
    free(c->sent_escalate);
    c->sent_escalate = NULL;
    if (rc == KM_OK && counts != NULL) {
        *counts = n;
    }
    if (confirmed != NULL) {
        *confirmed = rc == KM_OK;
    }
    if (rc != KM_OK && err != NULL) {
        *err = ferr;
    }
    return rc;
}

int km_collect_commit(struct km_queue *q, const struct km_tags *tags,
                      const struct km_source_info *src, struct km_post_batch *batch,
                      const char *cursor, struct km_commit_counts *counts, struct km_err *err)
{
    struct km_commit_counts c = {.seen = batch->n};
    c.dropped = km_triage_filter_batch(tags, batch, src->require_tags);
    int rc = km_queue_write_batch(q, src->name, batch, cursor, &c.added, &c.dups, err);
    if (rc != KM_OK) {
        return rc == KM_EINPUT ? KM_ERR : rc; /* the filter dropped posts without ids */
    }
    log_commit(src, &c);
    if (counts != NULL) {
        *counts = c;
    }
    return KM_OK;
}
