/* Tests of the collector runtime (collectors/runtime.c) against a libmicrohttpd server on
 * 127.0.0.1 with a test collector ("probe") and a recording sink. Every exchange is run
 * with once = true, which starts each source at once whatever its backoff says, so the
 * tests check the computed schedule (stats) instead of waiting for it. The only sleep is
 * in the server's /slow handler. */
#include "collectors/runtime.h"

#include "common/alloc.h"
#include "common/buf.h"
#include "common/conf.h"
#include "common/log.h"
#include "common/time.h"
#include "parser/post.h"

#include <curl/curl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include <cmocka.h>

#ifndef KM_VERSION
#define KM_VERSION "0.0.0"
#endif

#define MAX_BODY    (64 * 1024) /* the tests' max_body; the big bodies are 10 times this */
#define SLOW_MS     400         /* /slow answers after this; the source timeout is 250 ms */
#define MAX_PROBES  24
#define MAX_SINKREC 24

/* ---- the server --------------------------------------------------------------------- */

static struct MHD_Daemon *srv;
static int srv_port;
static volatile int srv_stopping;
static unsigned char *gz_big, *gz_small;
static size_t gz_big_len, gz_small_len;

static unsigned char *gz_make(const char *data, size_t len, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, (uLong)len);
    unsigned char *out = km_malloc(cap);
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    *out_len = z.total_out;
    deflateEnd(&z);
    return out;
}

/* A valid probe body padded with blanks to 10 * MAX_BODY: accepted if the cap fails. */
#define BIG_HEAD "{\"n\":1,\"cursor\":\"big\"}"

static void big_fill(char *buf, uint64_t pos, size_t n)
{
    memset(buf, ' ', n);
    for (size_t i = 0; pos + i < sizeof(BIG_HEAD) - 1 && i < n; i++) {
        buf[i] = BIG_HEAD[pos + i];
    }
}

static ssize_t srv_read_big(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)cls;
    if (pos >= 10 * MAX_BODY) {
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    size_t n = max < 4096 ? max : 4096;
    if (pos + n > 10 * MAX_BODY) {
        n = (size_t)(10 * MAX_BODY - pos);
    }
    big_fill(buf, pos, n);
    return (ssize_t)n;
}

/* Promises 1000 bytes (Content-Length), sends 100, then closes the connection. */
static ssize_t srv_read_partial(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)cls;
    if (pos > 0 || max < 100) {
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    memset(buf, 'x', 100);
    return 100;
}

static void srv_sleep_slow(void)
{
    for (int i = 0; i < SLOW_MS / 10 && !srv_stopping; i++) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static struct MHD_Response *srv_text(const char *body)
{
    return MHD_create_response_from_buffer(strlen(body), (void *)(uintptr_t)body,
                                           MHD_RESPMEM_MUST_COPY);
}

/* {"n":2,"cursor":"c<k+1>"} for ?cursor=c<k>, echoing what the client sent. */
static struct MHD_Response *srv_ok(struct MHD_Connection *conn, const char *method, size_t up)
{
    const char *cur = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "cursor");
    int k = cur != NULL && cur[0] == 'c' ? atoi(cur + 1) : 0;
    char body[96];
    snprintf(body, sizeof(body), "{\"n\":2,\"cursor\":\"c%d\"}", k + 1);
    struct MHD_Response *r = srv_text(body);
    const char *ua = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "User-Agent");
    const char *xreq = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Req");
    const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    char len[32];
    snprintf(len, sizeof(len), "%zu", up);
    MHD_add_response_header(r, "X-Echo-UA", ua != NULL ? ua : "");
    MHD_add_response_header(r, "X-Echo-Req", xreq != NULL ? xreq : "");
    MHD_add_response_header(r, "X-Echo-CT", ct != NULL ? ct : "");
    MHD_add_response_header(r, "X-Echo-Method", method);
    MHD_add_response_header(r, "X-Echo-Len", len);
    return r;
}

static struct MHD_Response *srv_redirect(const char *to, unsigned *status)
{
    struct MHD_Response *r = srv_text("moved");
    MHD_add_response_header(r, "Location", to);
    MHD_add_response_header(r, "X-Hop", "1");
    *status = 302;
    return r;
}

static struct MHD_Response *srv_gzip(const unsigned char *data, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)data, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Content-Encoding", "gzip");
    return r;
}

/* Routes by path. Returns the response and sets *status. */
static struct MHD_Response *srv_route(struct MHD_Connection *conn, const char *url,
                                      const char *method, size_t up, unsigned *status)
{
    *status = 200;
    if (strcmp(url, "/ok") == 0) {
        return srv_ok(conn, method, up);
    } else if (strcmp(url, "/slow") == 0) {
        srv_sleep_slow();
        return srv_ok(conn, method, up);
    } else if (strcmp(url, "/skip") == 0) {
        return srv_text("{\"n\":2,\"cursor\":\"s1\",\"skipped\":1}");
    } else if (strcmp(url, "/empty") == 0) {
        return srv_text("{\"n\":0}");
    } else if (strcmp(url, "/more") == 0) {
        return srv_text("{\"n\":1,\"cursor\":\"m1\",\"more\":1}");
    } else if (strcmp(url, "/wait") == 0) {
        return srv_text("{\"n\":1,\"cursor\":\"w1\",\"wait\":60000}");
    } else if (strcmp(url, "/garbage") == 0) {
        return srv_text("<html>not json</html>");
    } else if (strcmp(url, "/429") == 0) {
        struct MHD_Response *r = srv_text("{}");
        MHD_add_response_header(r, "Retry-After", "2");
        *status = 429;
        return r;
    } else if (strcmp(url, "/500") == 0 || strcmp(url, "/401") == 0) {
        *status = (unsigned)atoi(url + 1);
        return srv_text("{}");
    } else if (strcmp(url, "/big") == 0) {
        return MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, srv_read_big, NULL, NULL);
    } else if (strcmp(url, "/big-cl") == 0) {
        return MHD_create_response_from_callback(10 * MAX_BODY, 4096, srv_read_big, NULL, NULL);
    } else if (strcmp(url, "/partial") == 0) {
        return MHD_create_response_from_callback(1000, 1000, srv_read_partial, NULL, NULL);
    } else if (strcmp(url, "/gzip") == 0) {
        return srv_gzip(gz_big, gz_big_len);
    } else if (strcmp(url, "/gzip-ok") == 0) {
        return srv_gzip(gz_small, gz_small_len);
    } else if (strcmp(url, "/redir") == 0) {
        return srv_redirect("/ok", status);
    } else if (strcmp(url, "/redir-ftp") == 0) {
        return srv_redirect("ftp://127.0.0.1/file", status);
    } else if (strcmp(url, "/fat-headers") == 0) {
        struct MHD_Response *r = srv_text("{\"n\":1}");
        char name[32], value[1024];
        memset(value, 'p', sizeof(value) - 1);
        value[sizeof(value) - 1] = '\0';
        for (int i = 0; i < 300; i++) { /* 300 KB of headers */
            snprintf(name, sizeof(name), "X-Pad-%d", i);
            MHD_add_response_header(r, name, value);
        }
        return r;
    } else if (strncmp(url, "/hop", 4) == 0) {
        /* /hopN redirects N times before it reaches /ok. */
        char to[32] = "/ok";
        int n = atoi(url + 4);
        if (n > 1) {
            snprintf(to, sizeof(to), "/hop%d", n - 1);
        }
        return srv_redirect(to, status);
    }
    *status = 404;
    return srv_text("not found");
}

static enum MHD_Result srv_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                   const char *method, const char *version, const char *upload_data,
                                   size_t *upload_data_size, void **con_cls)
{
    (void)cls;
    (void)version;
    if (*con_cls == NULL) {
        *con_cls = km_calloc(1, sizeof(struct km_buf));
        return MHD_YES;
    }
    struct km_buf *up = *con_cls;
    if (*upload_data_size > 0) {
        km_buf_append(up, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    unsigned status = 200;
    struct MHD_Response *r = srv_route(conn, url, method, up->len, &status);
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static void srv_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                          enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct km_buf *up = *con_cls;
    if (up != NULL) {
        km_buf_free(up);
        free(up);
    }
    *con_cls = NULL;
}

/* ---- the probe collector ------------------------------------------------------------ */

/* What a test can set and observe per source; index given by the section key "probe". */
struct probe {
    const char *path; /* replaces the section's "path" when set */
    int64_t req_timeout_ms;
    bool post;
    volatile sig_atomic_t *stop_on_request; /* set to 1 when a request is built */
    int requests;
    bool had_cursor;
    char cursor[64]; /* given to the last next_request() */
    long status;     /* of the last consumed response */
    char ua[64], xreq[32], method[16], ct[32], len[16];
    bool saw_hop; /* the final response still had the redirect's X-Hop header */
};

static struct probe probes[MAX_PROBES];

struct tc_state {
    char *url, *path;
    struct probe *probe;
};

static int tc_create(const struct km_section *sec, void **state, struct km_err *err)
{
    const char *path = km_section_get(sec, "path");
    if (path == NULL) {
        return km_err_set(err, KM_EINPUT, "%s:%d: [source %s] needs path", sec->file, sec->line,
                          sec->name);
    }
    struct tc_state *st = km_calloc(1, sizeof(*st));
    st->url = km_strdup(km_section_get(sec, "url"));
    st->path = km_strdup(path);
    st->probe = &probes[km_section_get_int(sec, "probe") % MAX_PROBES];
    *state = st;
    return KM_OK;
}

static int tc_next_request(void *state, const char *cursor, struct km_request *req)
{
    struct tc_state *st = state;
    struct probe *pr = st->probe;
    pr->requests++;
    pr->had_cursor = cursor != NULL;
    snprintf(pr->cursor, sizeof(pr->cursor), "%s", cursor != NULL ? cursor : "");
    const char *path = pr->path != NULL ? pr->path : st->path;
    req->url = km_asprintf("%s%s%s%s", st->url, path, cursor != NULL ? "?cursor=" : "",
                           cursor != NULL ? cursor : "");
    req->timeout_ms = pr->req_timeout_ms;
    if (pr->post) {
        req->method = KM_HTTP_POST;
        req->body = km_strdup("hello");
        req->content_type = km_strdup("text/plain");
    }
    if (pr->stop_on_request != NULL) {
        *pr->stop_on_request = 1;
    }
    return km_request_add_header(req, "X-Req: r%d", pr->requests);
}

static void tc_copy_header(const struct km_response *resp, const char *name, char *out, size_t size)
{
    const char *v = km_response_header(resp, name);
    snprintf(out, size, "%s", v != NULL ? v : "");
}

/* Reads {"n":N,"cursor":"C","skipped":S}; anything else is malformed. */
static int tc_parse(const char *body, struct km_post_batch *out, char **next_cursor,
                    struct km_err *err)
{
    const char *n = strstr(body, "\"n\":");
    if (n == NULL) {
        return km_err_set(err, KM_EINPUT, "offset 0: not a probe body");
    }
    for (int i = 0; i < atoi(n + 4); i++) {
        struct km_post *p = km_post_new();
        char id[16];
        snprintf(id, sizeof(id), "%d", i);
        km_post_set(&p->id, id);
        km_post_batch_add_take(out, p);
    }
    const char *c = strstr(body, "\"cursor\":\"");
    if (c != NULL) {
        c += 10;
        *next_cursor = km_strndup(c, strcspn(c, "\""));
    }
    out->more = strstr(body, "\"more\":1") != NULL;
    const char *w = strstr(body, "\"wait\":");
    if (w != NULL) {
        out->retry_after_ms = atoll(w + 7);
    }
    const char *s = strstr(body, "\"skipped\":");
    if (s != NULL) {
        out->skipped = (unsigned)atoi(s + 10);
        km_err_set(err, KM_EINPUT, "item 2: no text");
    }
    return KM_OK;
}

static int tc_consume(void *state, const struct km_response *resp, struct km_post_batch *out,
                      char **next_cursor, struct km_err *err)
{
    struct probe *pr = ((struct tc_state *)state)->probe;
    pr->status = resp->status;
    tc_copy_header(resp, "X-Echo-UA", pr->ua, sizeof(pr->ua));
    tc_copy_header(resp, "X-Echo-Req", pr->xreq, sizeof(pr->xreq));
    tc_copy_header(resp, "X-Echo-Method", pr->method, sizeof(pr->method));
    tc_copy_header(resp, "X-Echo-CT", pr->ct, sizeof(pr->ct));
    tc_copy_header(resp, "X-Echo-Len", pr->len, sizeof(pr->len));
    pr->saw_hop = km_response_header(resp, "X-Hop") != NULL;
    if (resp->status == 429) {
        out->retry_after_ms = km_response_retry_after_ms(resp);
        return KM_RETRY;
    } else if (resp->status >= 500) {
        return KM_RETRY;
    } else if (resp->status == 401) {
        return km_err_set(err, KM_ERR, "credentials rejected");
    } else if (resp->status != 200) {
        return km_err_set(err, KM_EINPUT, "HTTP %ld", resp->status);
    }
    char *body = km_strndup(resp->body, resp->body_len);
    int rc = tc_parse(body, out, next_cursor, err);
    free(body);
    return rc;
}

static void tc_destroy(void *state)
{
    struct tc_state *st = state;
    if (st != NULL) {
        free(st->url);
        free(st->path);
        free(st);
    }
}

static const struct km_conf_key tc_keys[] = {
    {"url", KM_CONF_STR, NULL, 0, 0, KM_CONF_REQUIRED, "base URL"},
    {"path", KM_CONF_STR, NULL, 0, 0, KM_CONF_REQUIRED, "path"},
    {"probe", KM_CONF_INT, "0", 0, MAX_PROBES - 1, 0, "probe index"},
    {NULL, 0, NULL, 0, 0, 0, NULL},
};

static const struct km_collector tc_collector = {
    .name = "probe",
    .keys = tc_keys,
    .create = tc_create,
    .next_request = tc_next_request,
    .consume = tc_consume,
    .destroy = tc_destroy,
};

static const struct km_collector *tc_lookup(const char *type)
{
    return strcmp(type, "probe") == 0 ? &tc_collector : NULL;
}

/* ---- the recording sink ------------------------------------------------------------- */

struct sink_rec {
    const char *name;
    int load_retries;    /* load_cursor answers KM_RETRY this many times first */
    const char *stored;  /* cursor load_cursor returns */
    int deliver_retries; /* deliver answers KM_RETRY this many times first */
    int loads, delivers, commits;
    size_t posts;
    bool sources_ok; /* every delivered post had its source name filled in */
    char cursor[64]; /* last committed cursor */
};

struct tsink {
    struct sink_rec rec[MAX_SINKREC];
    size_t n;
    volatile sig_atomic_t *stop; /* set once `stop_after` commits happened in total */
    int stop_after, total_commits;
};

static struct sink_rec *sink_rec(struct tsink *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->rec[i].name, name) == 0) {
            return &t->rec[i];
        }
    }
    assert_true(t->n < MAX_SINKREC);
    t->rec[t->n].name = name;
    t->rec[t->n].sources_ok = true;
    return &t->rec[t->n++];
}

static int sink_load(void *ctx, const struct km_source_info *src, char **cursor)
{
    struct sink_rec *r = sink_rec(ctx, src->name);
    r->loads++;
    if (r->load_retries > 0) {
        r->load_retries--;
        return KM_RETRY;
    }
    /* Like Redis: the last committed cursor, or the one stored before the test. */
    *cursor = km_strdup(r->cursor[0] != '\0' ? r->cursor : r->stored);
    return KM_OK;
}

static int sink_deliver(void *ctx, const struct km_source_info *src, struct km_post_batch *batch,
                        const char *next_cursor)
{
    struct tsink *t = ctx;
    struct sink_rec *r = sink_rec(t, src->name);
    r->delivers++;
    if (r->deliver_retries > 0) {
        r->deliver_retries--;
        return KM_RETRY;
    }
    for (size_t i = 0; i < batch->n; i++) {
        const char *s = batch->posts[i]->source;
        r->sources_ok = r->sources_ok && s != NULL && strcmp(s, src->name) == 0;
    }
    r->commits++;
    r->posts += batch->n;
    if (next_cursor != NULL) {
        snprintf(r->cursor, sizeof(r->cursor), "%s", next_cursor);
    }
    if (t->stop != NULL && ++t->total_commits >= t->stop_after) {
        *t->stop = 1;
    }
    return KM_OK;
}

/* ---- configuration by hand ---------------------------------------------------------- */

/* One [source NAME]: path, probe index, then extra "key", "value" pairs overriding the
 * test defaults (timeout 2s, max_body 64k, interval 10s). */
struct tsrc {
    const char *name, *path;
    int probe;
    const char *kv[10];
};

static void sec_add(struct km_section *sec, const char *key, const char *value)
{
    for (size_t i = 0; i < sec->n_entries; i++) {
        if (strcmp(sec->entries[i].key, key) == 0) {
            return; /* an override came first */
        }
    }
    sec->entries = km_realloc(sec->entries, (sec->n_entries + 1) * sizeof(*sec->entries));
    struct km_conf_entry *e = &sec->entries[sec->n_entries++];
    e->key = km_strdup(key);
    e->value = km_strdup(value);
    e->line = (int)sec->n_entries + 1;
    e->secret = false;
}

static struct km_section *sec_new(const struct tsrc *src)
{
    struct km_section *sec = km_calloc(1, sizeof(*sec));
    sec->kind = km_strdup("source");
    sec->name = km_strdup(src->name);
    sec->file = km_strdup("test.conf");
    sec->line = 1;
    sec->keys = km_conf_source_keys;
    sec->extra_keys = tc_keys;
    for (size_t i = 0; i + 1 < sizeof(src->kv) / sizeof(src->kv[0]) && src->kv[i]; i += 2) {
        sec_add(sec, src->kv[i], src->kv[i + 1]);
    }
    char url[64], probe[16];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", srv_port);
    snprintf(probe, sizeof(probe), "%d", src->probe);
    sec_add(sec, "type", "probe");
    sec_add(sec, "url", url);
    sec_add(sec, "path", src->path);
    sec_add(sec, "probe", probe);
    sec_add(sec, "timeout", "2s");
    sec_add(sec, "max_body", "64k");
    sec_add(sec, "interval", "10s");
    return sec;
}

static struct km_config *cfg_new(const struct tsrc *srcs, size_t n)
{
    struct km_config *cfg = km_calloc(1, sizeof(*cfg));
    cfg->path = km_strdup("test.conf");
    cfg->global = km_calloc(1, sizeof(*cfg->global));
    cfg->global->kind = km_strdup("komek");
    cfg->sources = km_calloc(n, sizeof(*cfg->sources));
    for (size_t i = 0; i < n; i++) {
        cfg->sources[cfg->n_sources++] = sec_new(&srcs[i]);
    }
    memset(probes, 0, sizeof(probes));
    return cfg;
}

/* A test's runtime, sink and config. */
struct fx {
    struct km_config *cfg;
    struct tsink sink;
    struct km_runtime_sink rsink;
    struct km_runtime *rt;
    volatile sig_atomic_t stop;
    int64_t t0, t1; /* km_time_mono_ms() around the last fx_run() */
};

static void fx_open(struct fx *f, const struct tsrc *srcs, size_t n)
{
    memset(f, 0, sizeof(*f));
    f->cfg = cfg_new(srcs, n);
    f->rsink = (struct km_runtime_sink){
        .load_cursor = sink_load, .deliver = sink_deliver, .ctx = &f->sink};
    struct km_err err = {{0}};
    int rc = km_runtime_new_with(f->cfg, &f->rsink, tc_lookup, &f->rt, &err);
    if (rc != KM_OK) {
        fail_msg("km_runtime_new_with: %s", err.msg);
    }
}

static void fx_close(struct fx *f)
{
    km_runtime_free(f->rt);
    km_config_free(f->cfg);
}

static struct km_source_stats fx_stats(const struct fx *f, const char *name)
{
    struct km_source_stats st;
    for (size_t i = 0; i < km_runtime_source_count(f->rt); i++) {
        if (strcmp(km_runtime_source_stats(f->rt, i, &st), name) == 0) {
            return st;
        }
    }
    fail_msg("no source %s", name);
    return st;
}

/* Runs the runtime, noting when the run began and ended. */
static int fx_run(struct fx *f, bool once)
{
    f->t0 = km_time_mono_ms();
    int rc = km_runtime_run(f->rt, &f->stop, once);
    f->t1 = km_time_mono_ms();
    return rc;
}

/* Asserts that the source's next poll is lo..hi ms after its exchange, which ended
 * somewhere between the start and the end of the last run (no wall-clock guesses). */
static void fx_assert_due(const struct fx *f, const char *name, int64_t lo, int64_t hi)
{
    int64_t due = fx_stats(f, name).next_poll_ms;
    if (due < f->t0 + lo || due > f->t1 + hi) {
        fail_msg("%s: due %lld ms after the run began, want %lld..%lld (+%lld)", name,
                 (long long)(due - f->t0), (long long)lo, (long long)hi,
                 (long long)(f->t1 - f->t0));
    }
}

/* ---- tests -------------------------------------------------------------------------- */

static const struct tcase {
    struct tsrc src;
    int64_t req_timeout_ms;
    bool post;
    uint64_t posts, errors_http, errors_input, rate_limited;
    int commits;
    bool stopped, backoff;
    const char *cursor; /* committed after the first exchange */
} cases[] = {
    {{"ok", "/ok", 0, {0}}, 0, false, 2, 0, 0, 0, 1, false, false, "c1"},
    {{"post", "/ok", 1, {0}}, 0, true, 2, 0, 0, 0, 1, false, false, "c1"},
    {{"skip", "/skip", 2, {0}}, 0, false, 2, 0, 1, 0, 1, false, false, "s1"},
    {{"empty0", "/empty", 3, {"interval", "0"}}, 0, false, 0, 0, 0, 0, 1, false, false, ""},
    {{"garbage", "/garbage", 4, {0}}, 0, false, 0, 0, 1, 0, 0, false, true, ""},
    {{"r429", "/429", 5, {"interval", "0", "backoff_max", "1s"}},
     0,
     false,
     0,
     0,
     0,
     1,
     0,
     false,
     true,
     ""},
    {{"r500", "/500", 6, {0}}, 0, false, 0, 1, 0, 0, 0, false, true, ""},
    {{"big", "/big", 7, {0}}, 0, false, 0, 0, 1, 0, 0, false, true, ""},
    {{"bigcl", "/big-cl", 8, {0}}, 0, false, 0, 0, 1, 0, 0, false, true, ""},
    {{"gzip", "/gzip", 9, {0}}, 0, false, 0, 0, 1, 0, 0, false, true, ""},
    {{"gzip_ok", "/gzip-ok", 10, {0}}, 0, false, 1, 0, 0, 0, 1, false, false, "g1"},
    {{"partial", "/partial", 11, {0}}, 0, false, 0, 1, 0, 0, 0, false, true, ""},
    {{"slow", "/slow", 12, {"timeout", "250ms"}}, 0, false, 0, 1, 0, 0, 0, false, true, ""},
    {{"slow_ok", "/slow", 13, {"timeout", "250ms"}},
     2000,
     false,
     2,
     0,
     0,
     0,
     1,
     false,
     false,
     "c1"},
    {{"redir", "/redir", 14, {0}}, 0, false, 2, 0, 0, 0, 1, false, false, "c1"},
    {{"redir_ftp", "/redir-ftp", 15, {0}}, 0, false, 0, 1, 0, 0, 0, false, true, ""},
    {{"redir_4", "/hop4", 16, {0}}, 0, false, 0, 1, 0, 0, 0, false, true, ""},
    {{"redir_3", "/hop3", 18, {0}}, 0, false, 2, 0, 0, 0, 1, false, false, "c1"},
    {{"r401", "/401", 17, {0}}, 0, false, 0, 0, 0, 0, 0, true, false, ""},
    {{"fat_headers", "/fat-headers", 19, {0}}, 0, false, 0, 0, 1, 0, 0, false, true, ""},
    {{"refused", "/ok", 21, {"url", "http://127.0.0.1:1"}},
     0,
     false,
     0,
     1,
     0,
     0,
     0,
     false,
     true,
     ""},
};
#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static void check_case(struct fx *f, const struct tcase *c)
{
    struct km_source_stats st = fx_stats(f, c->src.name);
    struct sink_rec *r = sink_rec(&f->sink, c->src.name);
    if (st.polls != 1 || st.posts != c->posts || st.errors_http != c->errors_http ||
        st.errors_input != c->errors_input || st.rate_limited != c->rate_limited ||
        st.stopped != c->stopped || (st.backoff_ms > 0) != c->backoff || r->commits != c->commits ||
        strcmp(r->cursor, c->cursor) != 0 || !r->sources_ok) {
        fail_msg("%s: polls %llu posts %llu http %llu input %llu limited %llu stopped %d "
                 "backoff %lld commits %d cursor '%s'",
                 c->src.name, (unsigned long long)st.polls, (unsigned long long)st.posts,
                 (unsigned long long)st.errors_http, (unsigned long long)st.errors_input,
                 (unsigned long long)st.rate_limited, st.stopped, (long long)st.backoff_ms,
                 r->commits, r->cursor);
    }
}

/* One runtime with a source per server behaviour, one exchange each, all in parallel. */
static void test_exchanges(void **state)
{
    (void)state;
    struct tsrc srcs[N_CASES + 1];
    for (size_t i = 0; i < N_CASES; i++) {
        srcs[i] = cases[i].src;
    }
    srcs[N_CASES] = (struct tsrc){"disabled", "/ok", 20, {"enabled", "no"}};
    struct fx f;
    fx_open(&f, srcs, N_CASES + 1);
    assert_int_equal(km_runtime_source_count(f.rt), N_CASES);
    for (size_t i = 0; i < N_CASES; i++) {
        probes[cases[i].src.probe].req_timeout_ms = cases[i].req_timeout_ms;
        probes[cases[i].src.probe].post = cases[i].post;
    }
    assert_int_equal(fx_run(&f, true), KM_OK);
    for (size_t i = 0; i < N_CASES; i++) {
        check_case(&f, &cases[i]);
    }
    assert_int_equal(probes[20].requests, 0);
    /* What went over the wire. */
    assert_string_equal(probes[0].ua, "komek/" KM_VERSION);
    assert_string_equal(probes[0].method, "GET");
    assert_string_equal(probes[0].xreq, "r1");
    assert_string_equal(probes[1].method, "POST");
    assert_string_equal(probes[1].len, "5");
    assert_string_equal(probes[1].ct, "text/plain");
    /* A redirect's headers do not leak into the final response's. */
    assert_int_equal(probes[14].status, 200);
    assert_false(probes[14].saw_hop);
    assert_string_equal(probes[14].ua, "komek/" KM_VERSION);
    /* Schedules: interval after success, 1 s pause after an empty long poll, Retry-After
     * beats a shorter backoff, backoff starts at max(1 s, interval) plus <= 20 % jitter. */
    fx_assert_due(&f, "ok", 10000, 10000);
    fx_assert_due(&f, "empty0", 1000, 1000);
    fx_assert_due(&f, "r429", 2000, 2000);
    assert_in_range(fx_stats(&f, "r429").backoff_ms, 1000, 1200);
    assert_in_range(fx_stats(&f, "r500").backoff_ms, 10000, 12000);
    fx_assert_due(&f, "r500", 10000, 12000);

    /* Second round: the stopped source is never polled again; cursors move on. */
    assert_int_equal(fx_run(&f, true), KM_OK);
    assert_int_equal(fx_stats(&f, "r401").polls, 1);
    assert_int_equal(probes[17].requests, 1);
    assert_int_equal(fx_stats(&f, "ok").polls, 2);
    assert_string_equal(probes[0].cursor, "c1");
    assert_string_equal(sink_rec(&f.sink, "ok")->cursor, "c2");
    assert_int_equal(fx_stats(&f, "r500").errors_http, 2);
    assert_in_range(fx_stats(&f, "r500").backoff_ms, 20000, 24000);
    fx_close(&f);
}

/* The cursor advances only when the sink committed; otherwise the same request repeats. */
static void test_deliver_retry_keeps_cursor(void **state)
{
    (void)state;
    const struct tsrc srcs[] = {{"a", "/ok", 0, {0}}, {"b", "/ok", 1, {0}}};
    struct fx f;
    fx_open(&f, srcs, 2);
    sink_rec(&f.sink, "a")->deliver_retries = 1;
    sink_rec(&f.sink, "b")->stored = "c5";

    assert_int_equal(fx_run(&f, true), KM_OK);
    struct km_source_stats st = fx_stats(&f, "a");
    assert_int_equal(st.deliver_retries, 1);
    assert_int_equal(st.posts, 0);
    assert_true(st.backoff_ms >= 10000);
    assert_int_equal(sink_rec(&f.sink, "a")->commits, 0);
    assert_false(probes[0].had_cursor);
    assert_string_equal(probes[1].cursor, "c5"); /* the stored cursor was loaded */
    assert_string_equal(sink_rec(&f.sink, "b")->cursor, "c6");

    assert_int_equal(fx_run(&f, true), KM_OK);
    assert_false(probes[0].had_cursor); /* the same request again */
    assert_int_equal(sink_rec(&f.sink, "a")->commits, 1);
    assert_string_equal(sink_rec(&f.sink, "a")->cursor, "c1");
    assert_int_equal(fx_stats(&f, "a").backoff_ms, 0);
    assert_int_equal(fx_stats(&f, "a").posts, 2);

    assert_int_equal(fx_run(&f, true), KM_OK);
    assert_string_equal(probes[0].cursor, "c1");
    assert_string_equal(sink_rec(&f.sink, "a")->cursor, "c2");
    assert_int_equal(sink_rec(&f.sink, "a")->loads, 3); /* re-read before every exchange */
    fx_close(&f);
}

/* A good answer that asks for the next page at once, and one that carries a rate-limit
 * pause (Mastodon's X-RateLimit-Remaining: 0): posts delivered, the pause kept by the
 * runtime instead of the 10 s interval. */
static void test_more_and_wait(void **state)
{
    (void)state;
    const struct tsrc srcs[] = {{"more", "/more", 0, {0}}, {"wait", "/wait", 1, {0}}};
    struct fx f;
    fx_open(&f, srcs, 2);
    assert_int_equal(fx_run(&f, true), KM_OK);
    assert_int_equal(fx_stats(&f, "more").posts, 1);
    assert_string_equal(sink_rec(&f.sink, "more")->cursor, "m1");
    fx_assert_due(&f, "more", 0, 0);
    assert_int_equal(fx_stats(&f, "wait").posts, 1);
    assert_string_equal(sink_rec(&f.sink, "wait")->cursor, "w1");
    assert_int_equal(fx_stats(&f, "wait").rate_limited, 1);
    fx_assert_due(&f, "wait", 60000, 60000);
    fx_close(&f);
}

/* Leases: a source whose lease another instance holds stays in standby (no request, no
 * cursor read) and is reported; the others poll; leases are released when the run ends. */
static int lease_claims, lease_releases, lease_reports;
static bool lease_b_taken;

static int lease_claim(void *ctx, const struct km_source_info *src, int64_t hint_ms)
{
    (void)ctx;
    lease_claims++;
    assert_true(hint_ms >= 10000); /* covers at least the interval */
    return strcmp(src->name, "b") == 0 && lease_b_taken ? KM_RETRY : KM_OK;
}

static void lease_release(void *ctx, const struct km_source_info *src)
{
    (void)ctx;
    (void)src;
    lease_releases++;
}

static void lease_report(void *ctx, const struct km_source_info *src,
                         const struct km_source_stats *st)
{
    (void)ctx;
    (void)src;
    (void)st;
    lease_reports++;
}

static void test_leases(void **state)
{
    (void)state;
    const struct tsrc srcs[] = {{"a", "/ok", 0, {0}}, {"b", "/ok", 1, {0}},
                                {"c", "/500", 2, {0}}};
    struct fx f;
    fx_open(&f, srcs, 3);
    f.rsink.claim = lease_claim;
    f.rsink.release = lease_release;
    f.rsink.report = lease_report;
    km_runtime_free(f.rt);
    struct km_err err = {{0}};
    assert_int_equal(km_runtime_new_with(f.cfg, &f.rsink, tc_lookup, &f.rt, &err), KM_OK);
    lease_b_taken = true;
    assert_int_equal(fx_run(&f, true), KM_OK);
    assert_true(fx_stats(&f, "b").standby);
    assert_int_equal(fx_stats(&f, "b").polls, 0);
    assert_int_equal(sink_rec(&f.sink, "b")->loads, 0);
    assert_false(fx_stats(&f, "a").standby);
    assert_int_equal(fx_stats(&f, "a").posts, 2);
    assert_true(fx_stats(&f, "a").last_success_ms > 0);
    assert_int_equal(lease_claims, 3);
    assert_int_equal(lease_releases, 2); /* a and c, not b */
    assert_int_equal(lease_reports, 3);  /* a and c after their exchange, b entering standby */
    /* The failing source keeps its last error for `komekctl sources`. */
    struct km_source_stats st = fx_stats(&f, "c");
    assert_non_null(strstr(st.last_error, "server trouble (HTTP 500"));
    assert_true(st.last_error_ms > 0);
    /* The holder went away: b takes over. */
    lease_b_taken = false;
    assert_int_equal(fx_run(&f, true), KM_OK);
    assert_false(fx_stats(&f, "b").standby);
    assert_int_equal(fx_stats(&f, "b").posts, 2);
    fx_close(&f);
}

/* A store that is down when the cursor is loaded: no request, backoff, then a retry. */
static void test_load_cursor_retry(void **state)
{
    (void)state;
    const struct tsrc srcs[] = {{"a", "/ok", 0, {0}}};
    struct fx f;
    fx_open(&f, srcs, 1);
    sink_rec(&f.sink, "a")->load_retries = 1;
    sink_rec(&f.sink, "a")->stored = "c3";
    assert_int_equal(fx_run(&f, true), KM_OK);
    assert_int_equal(fx_stats(&f, "a").polls, 0);
    assert_int_equal(probes[0].requests, 0);
    assert_true(fx_stats(&f, "a").backoff_ms >= 10000);
    assert_int_equal(fx_run(&f, true), KM_OK);
    assert_int_equal(fx_stats(&f, "a").polls, 1);
    assert_string_equal(probes[0].cursor, "c3");
    assert_string_equal(sink_rec(&f.sink, "a")->cursor, "c4");
    fx_close(&f);
}

/* Backoff doubles per consecutive failure up to backoff_max, and resets on success. */
static void test_backoff(void **state)
{
    (void)state;
    const struct tsrc srcs[] = {{"a", "/500", 0, {"interval", "0", "backoff_max", "3s"}}};
    struct fx f;
    fx_open(&f, srcs, 1);
    static const int64_t want[] = {1000, 2000, 3000, 3000};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_int_equal(fx_run(&f, true), KM_OK);
        int64_t b = fx_stats(&f, "a").backoff_ms;
        assert_in_range(b, want[i], want[i] + want[i] / 5);
        fx_assert_due(&f, "a", b, b);
    }
    probes[0].path = "/ok";
    assert_int_equal(fx_run(&f, true), KM_OK);
    assert_int_equal(fx_stats(&f, "a").backoff_ms, 0);
    assert_int_equal(fx_stats(&f, "a").errors_http, 4);
    assert_int_equal(fx_stats(&f, "a").posts, 2);
    probes[0].path = "/500";
    assert_int_equal(fx_run(&f, true), KM_OK);
    assert_in_range(fx_stats(&f, "a").backoff_ms, 1000, 1200);
    fx_close(&f);
}

static void test_stop(void **state)
{
    (void)state;
    const struct tsrc srcs[] = {{"a", "/ok", 0, {"interval", "0"}}, {"b", "/slow", 1, {0}}};
    struct fx f;
    /* Stopped before starting: nothing happens. */
    fx_open(&f, srcs, 2);
    f.stop = 1;
    assert_int_equal(fx_run(&f, false), KM_OK);
    assert_int_equal(fx_stats(&f, "a").polls, 0);
    assert_int_equal(probes[0].requests + probes[1].requests, 0);
    fx_close(&f);

    /* Stop arrives while requests are in flight: they finish and are delivered. Source a
     * (interval 0) has polled again immediately after each commit until then. */
    fx_open(&f, srcs, 2);
    probes[1].req_timeout_ms = 2000;
    f.sink.stop = &f.stop;
    f.sink.stop_after = 3;
    assert_int_equal(fx_run(&f, false), KM_OK);
    assert_true(sink_rec(&f.sink, "a")->commits >= 2);
    assert_int_equal(sink_rec(&f.sink, "b")->commits, 1);
    assert_int_equal(fx_stats(&f, "b").posts, 2);
    assert_int_equal((int)fx_stats(&f, "a").polls, sink_rec(&f.sink, "a")->commits);
    fx_close(&f);

    /* Stop set while the request is being built (as a signal could be). */
    const struct tsrc one[] = {{"c", "/ok", 0, {0}}};
    fx_open(&f, one, 1);
    probes[0].stop_on_request = &f.stop;
    assert_int_equal(fx_run(&f, false), KM_OK);
    assert_int_equal(sink_rec(&f.sink, "c")->commits, 1);
    assert_int_equal(fx_stats(&f, "c").polls, 1);
    fx_close(&f);
}

/* KM_ERR from consume stops the source; when every source stopped, run says KM_ERR. */
static void test_all_stopped(void **state)
{
    (void)state;
    const struct tsrc srcs[] = {{"a", "/401", 0, {0}}};
    struct fx f;
    fx_open(&f, srcs, 1);
    assert_int_equal(fx_run(&f, true), KM_ERR);
    assert_true(fx_stats(&f, "a").stopped);
    assert_int_equal(fx_run(&f, false), KM_ERR); /* returns at once */
    assert_int_equal(fx_stats(&f, "a").polls, 1);
    fx_close(&f);
}

/* Configuration problems found while creating the runtime. */
static void test_new_errors(void **state)
{
    (void)state;
    static const struct {
        struct tsrc src;
        const char *type;
        int rc;
        const char *msg;
    } bad[] = {
        {{"a", "/ok", 0, {0}}, "nope", KM_EINPUT, "test.conf:"},
        {{"a", "/ok", 0, {0}}, NULL, KM_EINPUT, "has no type"},
        {{"a", "", 0, {0}}, "probe", KM_EINPUT, "needs path"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct km_config *cfg = cfg_new(&bad[i].src, 1);
        struct km_section *sec = cfg->sources[0];
        for (size_t k = 0; k < sec->n_entries; k++) {
            if (strcmp(sec->entries[k].key, "type") == 0 && bad[i].type != NULL) {
                km_post_set(&sec->entries[k].value, bad[i].type);
            } else if (strcmp(sec->entries[k].key, "type") == 0) {
                km_post_set(&sec->entries[k].key, "kind");
            } else if (strcmp(sec->entries[k].key, "path") == 0 && bad[i].src.path[0] == 0) {
                km_post_set(&sec->entries[k].key, "no_path");
            }
        }
        struct km_runtime_sink sink = {sink_load, sink_deliver, NULL};
        struct km_runtime *rt = NULL;
        struct km_err err = {{0}};
        assert_int_equal(km_runtime_new_with(cfg, &sink, tc_lookup, &rt, &err), bad[i].rc);
        assert_null(rt);
        assert_non_null(strstr(err.msg, bad[i].msg));
        km_config_free(cfg);
    }
}

static int group_setup(void **state)
{
    (void)state;
    km_log_set_level(KM_LOG_LEVEL_ERROR);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        return -1;
    }
    char *big = km_malloc(10 * MAX_BODY);
    big_fill(big, 0, 10 * MAX_BODY);
    gz_big = gz_make(big, 10 * MAX_BODY, &gz_big_len);
    free(big);
    const char *small = "{\"n\":1,\"cursor\":\"g1\"}";
    gz_small = gz_make(small, strlen(small), &gz_small_len);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    srv = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL,
                           NULL, srv_handler, NULL, MHD_OPTION_SOCK_ADDR, &addr,
                           MHD_OPTION_NOTIFY_COMPLETED, srv_completed, NULL,
                           MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                           (size_t)(1024 * 1024) /* /fat-headers */, MHD_OPTION_END);
    if (srv == NULL) {
        return -1;
    }
    srv_port = MHD_get_daemon_info(srv, MHD_DAEMON_INFO_BIND_PORT)->port;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    srv_stopping = 1;
    MHD_stop_daemon(srv);
    free(gz_big);
    free(gz_small);
    curl_global_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exchanges),
        cmocka_unit_test(test_deliver_retry_keeps_cursor),
        cmocka_unit_test(test_more_and_wait),
        cmocka_unit_test(test_leases),
        cmocka_unit_test(test_load_cursor_retry),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_stop),
        cmocka_unit_test(test_all_stopped),
        cmocka_unit_test(test_new_errors),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
