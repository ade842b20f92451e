/* Parse rate per network format (make bench): how fast each collector's consume() turns the
 * network's wire format into posts.
 *
 * Capture: the sources of CONFIG (one per network, all pointing at fakenet serving the
 * bench's generated posts) are polled through the real collector runtime for up to --rounds
 * rounds; every response body a collector consumed is kept in memory, in order, with the
 * cursor it produced. That is "render the posts into each wire format once".
 *
 * Replay: for each source, the recorded exchanges are replayed in-process against a fresh
 * collector state (next_request() then consume() with the recorded response, cursor as
 * the collector left it), over and over for at least --ms milliseconds; --runs such runs,
 * and the median is printed in MB/s of response bodies and posts/s. No network, no Redis:
 * only the parser (yajl, libxml2) and the collector's mapping to struct km_post.
 *
 *   bench_parse CONFIG [--rounds N] [--runs N] [--ms N] [--max-posts N]
 */
#include "collectors/collector.h"
#include "collectors/runtime.h"
#include "common/alloc.h"
#include "common/conf.h"
#include "common/log.h"
#include "common/time.h"
#include "parser/post.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BP_MAX_SOURCES 16
/* Responses below this size are logins, empty pages or errors (see bp_consume()). */
#define BP_SMALL_BODY 2048

/* One recorded exchange: the response as consume() saw it. */
struct bp_resp {
    long status;
    char *body;
    size_t body_len;
    struct km_header *headers;
    size_t n_headers;
    int64_t received_at_ms;
};

/* What was recorded for one source. */
struct bp_source {
    const struct km_section *sec;
    const struct km_collector *real;
    struct bp_resp *resp;
    size_t n, cap;
    size_t posts; /* posts the recorded responses gave */
};

static struct bp_source bp_sources[BP_MAX_SOURCES];
static size_t bp_n_sources;
static size_t bp_max_posts = 5000;

/* The state of a wrapped collector: the real one's, and where to record. */
struct bp_state {
    struct bp_source *src;
    void *real_state;
};

static struct bp_source *bp_source_of(const struct km_section *sec)
{
    for (size_t i = 0; i < bp_n_sources; i++) {
        if (bp_sources[i].sec == sec) {
            return &bp_sources[i];
        }
    }
    if (bp_n_sources == BP_MAX_SOURCES) {
        return NULL;
    }
    struct bp_source *s = &bp_sources[bp_n_sources++];
    s->sec = sec;
    s->real = km_collector_find(km_section_get(sec, "type"));
    return s;
}

static int bp_create(const struct km_section *sec, void **state, struct km_err *err)
{
    struct bp_source *src = bp_source_of(sec);
    if (src == NULL || src->real == NULL) {
        return km_err_set(err, KM_EINPUT, "bench_parse: too many sources or unknown type");
    }
    struct bp_state *st = km_calloc(1, sizeof(*st));
    st->src = src;
    int rc = src->real->create(sec, &st->real_state, err);
    if (rc != KM_OK) {
        free(st);
        st = NULL;
    }
    *state = st;
    return rc;
}

static int bp_next_request(void *state, const char *cursor, struct km_request *req)
{
    struct bp_state *st = state;
    return st->src->real->next_request(st->real_state, cursor, req);
}

/* Keeps a copy of resp for the replay. */
static void bp_record(struct bp_source *src, const struct km_response *resp)
{
    if (src->n == src->cap) {
        src->cap = src->cap > 0 ? 2 * src->cap : 64;
        src->resp = km_realloc(src->resp, src->cap * sizeof(*src->resp));
    }
    struct bp_resp *r = &src->resp[src->n++];
    r->status = resp->status;
    r->body = km_malloc(resp->body_len + 1);
    memcpy(r->body, resp->body, resp->body_len);
    r->body[resp->body_len] = '\0';
    r->body_len = resp->body_len;
    r->n_headers = resp->n_headers;
    r->headers = km_calloc(resp->n_headers + 1, sizeof(*r->headers));
    for (size_t i = 0; i < resp->n_headers; i++) {
        r->headers[i].name = km_strdup(resp->headers[i].name);
        r->headers[i].value = km_strdup(resp->headers[i].value);
    }
    r->received_at_ms = resp->received_at_ms;
}

static int bp_consume(void *state, const struct km_response *resp, struct km_post_batch *out,
                      char **next_cursor, struct km_err *err)
{
    struct bp_state *st = state;
    int rc = st->src->real->consume(st->real_state, resp, out, next_cursor, err);
    /* A large response that gives no post (an RSS feed fetched again, every item already
     * seen) would count bytes parsed for nothing: only the first fetch of it is timed.
     * Small ones (a login, an empty page) are kept: the replay needs their state. */
    bool useful = rc == KM_OK && (out->n > 0 || resp->body_len < BP_SMALL_BODY);
    if (st->src->posts < bp_max_posts && useful) {
        bp_record(st->src, resp);
        st->src->posts += rc == KM_OK ? out->n : 0;
    }
    return rc;
}

static void bp_destroy(void *state)
{
    struct bp_state *st = state;
    if (st != NULL) {
        st->src->real->destroy(st->real_state);
        free(st);
    }
}

/* One wrapper per type, built on first lookup. */
static struct km_collector bp_wrappers[BP_MAX_SOURCES];
static size_t bp_n_wrappers;

static const struct km_collector *bp_lookup(const char *type)
{
    for (size_t i = 0; i < bp_n_wrappers; i++) {
        if (strcmp(bp_wrappers[i].name, type) == 0) {
            return &bp_wrappers[i];
        }
    }
    const struct km_collector *real = km_collector_find(type);
    if (real == NULL || bp_n_wrappers == BP_MAX_SOURCES) {
        return NULL;
    }
    struct km_collector *w = &bp_wrappers[bp_n_wrappers++];
    *w = (struct km_collector){real->name,      real->keys, bp_create,
                               bp_next_request, bp_consume, bp_destroy};
    return w;
}

/* ---- the runtime's sink: cursors in memory, nothing delivered anywhere ---------------- */

struct bp_cursor {
    const char *source;
    char *cursor;
};

static struct bp_cursor bp_cursors[BP_MAX_SOURCES];

static struct bp_cursor *bp_cursor_of(const char *name)
{
    for (size_t i = 0; i < BP_MAX_SOURCES; i++) {
        if (bp_cursors[i].source == NULL || strcmp(bp_cursors[i].source, name) == 0) {
            bp_cursors[i].source = name;
            return &bp_cursors[i];
        }
    }
    return NULL;
}

static int bp_load_cursor(void *ctx, const struct km_source_info *src, char **cursor)
{
    (void)ctx;
    struct bp_cursor *c = bp_cursor_of(src->name);
    *cursor = c != NULL && c->cursor != NULL ? km_strdup(c->cursor) : NULL;
    return KM_OK;
}

static int bp_deliver(void *ctx, const struct km_source_info *src, struct km_post_batch *batch,
                      const char *next_cursor)
{
    (void)ctx;
    (void)batch;
    struct bp_cursor *c = bp_cursor_of(src->name);
    if (c != NULL && next_cursor != NULL) {
        free(c->cursor);
        c->cursor = km_strdup(next_cursor);
    }
    return KM_OK;
}

/* ---- replay -------------------------------------------------------------------------- */

/* Replays every recorded exchange of src once against a fresh state; adds the posts and
 * bytes. KM_OK or create()'s code. */
static int bp_replay(const struct bp_source *src, size_t *posts, size_t *bytes)
{
    void *state = NULL;
    struct km_err err = {{0}};
    char *cursor = NULL;
    int rc = src->real->create(src->sec, &state, &err);
    for (size_t i = 0; rc == KM_OK && i < src->n; i++) {
        const struct bp_resp *r = &src->resp[i];
        struct km_request req;
        memset(&req, 0, sizeof(req));
        src->real->next_request(state, cursor, &req);
        km_request_clear(&req);
        struct km_response resp = {r->status,  r->body,      r->body_len,
                                   r->headers, r->n_headers, r->received_at_ms};
        struct km_post_batch b;
        km_post_batch_init(&b);
        char *next = NULL;
        if (src->real->consume(state, &resp, &b, &next, &err) == KM_OK) {
            *posts += b.n;
        }
        *bytes += r->body_len;
        if (next != NULL) {
            free(cursor);
            cursor = next;
        }
        km_post_batch_free(&b);
    }
    free(cursor);
    if (state != NULL) {
        src->real->destroy(state);
    }
    return rc;
}

/* Monotonic clock in microseconds. */
static int64_t bp_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int bp_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Times src: runs of at least ms milliseconds each; prints the medians. */
static void bp_time(const struct bp_source *src, int runs, int64_t ms)
{
    double *mbs = km_calloc((size_t)runs, sizeof(*mbs));
    double *pps = km_calloc((size_t)runs, sizeof(*pps));
    size_t per_pass_posts = 0, per_pass_bytes = 0;
    bp_replay(src, &per_pass_posts, &per_pass_bytes);
    for (int r = 0; r < runs; r++) {
        size_t posts = 0, bytes = 0;
        int64_t t0 = bp_mono_us(), el = 0;
        while ((el = bp_mono_us() - t0) < ms * 1000) {
            bp_replay(src, &posts, &bytes);
        }
        mbs[r] = (double)bytes / (double)el; /* bytes per us = MB/s */
        pps[r] = (double)posts * 1e6 / (double)el;
    }
    qsort(mbs, (size_t)runs, sizeof(*mbs), bp_cmp);
    qsort(pps, (size_t)runs, sizeof(*pps), bp_cmp);
    printf("parse %-9s %7.1f MB/s %9.0f posts/s  (median of %d runs of %lld ms; %zu responses, "
           "%zu posts, %.0f bytes/post)\n",
           km_section_get(src->sec, "type"), mbs[runs / 2], pps[runs / 2], runs, (long long)ms,
           src->n, per_pass_posts,
           per_pass_posts > 0 ? (double)per_pass_bytes / (double)per_pass_posts : 0.0);
    free(mbs);
    free(pps);
}

static void bp_free_recorded(void)
{
    for (size_t i = 0; i < bp_n_sources; i++) {
        struct bp_source *s = &bp_sources[i];
        for (size_t k = 0; k < s->n; k++) {
            free(s->resp[k].body);
            for (size_t h = 0; h < s->resp[k].n_headers; h++) {
                free(s->resp[k].headers[h].name);
                free(s->resp[k].headers[h].value);
            }
            free(s->resp[k].headers);
        }
        free(s->resp);
    }
    for (size_t i = 0; i < BP_MAX_SOURCES; i++) {
        free(bp_cursors[i].cursor);
    }
}

int main(int argc, char **argv)
{
    long rounds = 20, runs = 3, ms = 500;
    if (argc < 2) {
        fprintf(stderr, "usage: bench_parse CONFIG [--rounds N] [--runs N] [--ms N] "
                        "[--max-posts N]\n");
        return 2;
    }
    for (int i = 2; i + 1 < argc; i += 2) {
        long v = atol(argv[i + 1]);
        if (strcmp(argv[i], "--rounds") == 0) {
            rounds = v;
        } else if (strcmp(argv[i], "--runs") == 0) {
            runs = v > 0 ? v : 1;
        } else if (strcmp(argv[i], "--ms") == 0) {
            ms = v > 0 ? v : 1;
        } else if (strcmp(argv[i], "--max-posts") == 0) {
            bp_max_posts = (size_t)v;
        }
    }
    km_log_set_level(KM_LOG_LEVEL_ERROR);
    struct km_config *cfg = NULL;
    struct km_runtime *rt = NULL;
    struct km_err err = {{0}};
    struct km_runtime_sink sink = {.load_cursor = bp_load_cursor, .deliver = bp_deliver};
    int rc = km_config_load(argv[1], km_collector_keys, stderr, &cfg, &err);
    if (rc == KM_OK) {
        rc = km_runtime_new_with(cfg, &sink, bp_lookup, &rt, &err);
    }
    if (rc != KM_OK) {
        fprintf(stderr, "bench_parse: %s\n", err.msg);
        km_config_free(cfg);
        return 1;
    }
    volatile sig_atomic_t stop = 0;
    int64_t t0 = km_time_mono_ms();
    for (long r = 0; r < rounds; r++) {
        km_runtime_run(rt, &stop, true);
    }
    fprintf(stderr, "bench_parse: %ld rounds of capture in %lld ms\n", rounds,
            (long long)(km_time_mono_ms() - t0));
    km_runtime_free(rt); /* the recorded sources keep pointing into cfg, still loaded */
    for (size_t i = 0; i < bp_n_sources; i++) {
        if (bp_sources[i].n == 0 || bp_sources[i].posts == 0) {
            printf("parse %-9s no posts captured\n", km_section_get(bp_sources[i].sec, "type"));
            continue;
        }
        bp_time(&bp_sources[i], (int)runs, ms);
    }
    bp_free_recorded();
    km_config_free(cfg);
    return 0;
}
