/* The collector runtime: one libcurl multi handle, one easy handle per source, a poll
 * loop that starts due sources, and the exchange logic (consume, deliver, cursor, backoff).
 * See runtime.h for the contract. */
#include "collectors/runtime.h"

#include "common/alloc.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/time.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef KM_VERSION
#define KM_VERSION "0.0.0"
#endif

/* Defaults of the generic source keys, used when a section has no key table (tests,
 * embedders); the config loader normally supplies the same values. */
#define RT_DEF_INTERVAL_MS    30000
#define RT_DEF_TIMEOUT_MS     30000
#define RT_DEF_MAX_BODY       (8LL * 1024 * 1024)
#define RT_DEF_BACKOFF_MAX_MS 300000
/* A TCP + TLS handshake that takes longer means the host is unreachable. */
#define RT_CONNECT_TIMEOUT_MS 10000
/* Redirect chains longer than this are loops or abuse; APIs redirect once at most. */
#define RT_MAX_REDIRS 3L
/* The first retry waits at least this long, so a failing source with interval 0 (long
 * polling) does not hammer the server. */
#define RT_BACKOFF_MIN_MS 1000
/* Jitter adds up to 1/RT_JITTER_DIV (20 %) so that sources failing together spread out. */
#define RT_JITTER_DIV 5
/* A hostile or broken server cannot park a source for longer than this with Retry-After. */
#define RT_RETRY_AFTER_MAX_MS 3600000
/* A long poll (interval 0) that returned quickly with nothing new waits this long, so
 * that a server answering at once cannot turn the loop into a busy loop. */
#define RT_EMPTY_POLL_PAUSE_MS 1000
/* Login or lookup steps (answers with "more" but no posts and no new cursor) followed at once
 * in a row: a login, a token refresh and a re-login fit; more is a collector in a loop. */
#define RT_STEPS_MAX 4
/* Headers kept per response; APIs send a few dozen at most. */
#define RT_MAX_HEADERS 64
/* Total header bytes accepted per response; curl caps single headers only. */
#define RT_MAX_HEADER_BYTES (256 * 1024)
/* Upper bound of the loop's sleep, so that *stop is noticed within a second. */
#define RT_POLL_MAX_MS 1000

#if LIBCURL_VERSION_NUM < 0x074200
#error "libcurl 7.66 or later is needed (curl_multi_poll)"
#endif

enum rt_abort { RT_ABORT_NONE = 0, RT_ABORT_BODY, RT_ABORT_HEADERS };

struct rt_source {
    struct km_source_info info; /* name and type borrowed from the config */
    const struct km_section *sec; /* borrowed: for masking secrets in logged URLs */
    char *scope;                /* "collector:TYPE:NAME" for logs */
    const struct km_collector *coll;
    void *state;
    int64_t interval_ms, timeout_ms, backoff_max_ms;
    long long max_body;
    char *ca_file;
    /* Schedule. */
    char *cursor; /* last committed cursor, NULL if none */
    bool in_flight, done_once;
    unsigned steps; /* login/lookup steps in a row (answers with more, no posts, no move) */
    int64_t next_due;     /* km_time_mono_ms() */
    int64_t backoff_base; /* un-jittered backoff of the last failure, 0 when healthy */
    int64_t started_at;   /* km_time_mono_ms() when the request started */
    /* The exchange in flight. */
    CURL *easy;
    struct curl_slist *hdr_list;
    struct km_request req;
    struct km_buf body;
    struct km_header *headers;
    size_t n_headers, header_bytes;
    enum rt_abort aborted;
    char errbuf[CURL_ERROR_SIZE];
    struct km_complaint c_net, c_input;
    struct km_source_stats stats;
};

struct km_runtime {
    CURLM *multi;
    struct km_runtime_sink sink;
    struct rt_source *sources;
    size_t n;
    uint64_t rng; /* xorshift64 state for jitter; per runtime, no shared rand() */
};

/* ---- settings ---------------------------------------------------------------------- */

static int64_t rt_get_ms(const struct km_section *sec, const char *key, int64_t def)
{
    return km_section_get(sec, key) != NULL ? km_section_get_ms(sec, key) : def;
}

static bool rt_get_bool(const struct km_section *sec, const char *key, bool def)
{
    return km_section_get(sec, key) != NULL ? km_section_get_bool(sec, key) : def;
}

static long long rt_get_size(const struct km_section *sec, const char *key, long long def)
{
    return km_section_get(sec, key) != NULL ? km_section_get_size(sec, key) : def;
}

static void rt_read_settings(struct rt_source *s, const struct km_config *cfg,
                             const struct km_section *sec)
{
    s->interval_ms = rt_get_ms(sec, "interval", RT_DEF_INTERVAL_MS);
    if (s->interval_ms < 0) {
        s->interval_ms = RT_DEF_INTERVAL_MS;
    }
    s->timeout_ms = rt_get_ms(sec, "timeout", RT_DEF_TIMEOUT_MS);
    if (s->timeout_ms <= 0) {
        s->timeout_ms = RT_DEF_TIMEOUT_MS; /* 0 would mean "no timeout" to curl */
    }
    s->max_body = rt_get_size(sec, "max_body", RT_DEF_MAX_BODY);
    if (s->max_body <= 0) {
        s->max_body = RT_DEF_MAX_BODY;
    }
    s->backoff_max_ms = rt_get_ms(sec, "backoff_max", RT_DEF_BACKOFF_MAX_MS);
    s->info.require_tags = rt_get_bool(sec, "require_tags", true);
    const char *ca = km_section_get(sec, "ca_file");
    s->ca_file = cfg->path != NULL ? km_config_path(cfg, ca) : km_strdup(ca);
}

/* ---- creation ---------------------------------------------------------------------- */

static int rt_source_init(struct rt_source *s, const struct km_config *cfg,
                          const struct km_section *sec, km_collector_lookup_fn lookup,
                          struct km_err *err)
{
    const char *name = sec->name != NULL ? sec->name : "?";
    const char *type = km_section_get(sec, "type");
    if (type == NULL) {
        return km_err_set(err, KM_EINPUT, "%s:%d: [source %s] has no type", sec->file, sec->line,
                          name);
    }
    s->coll = lookup(type);
    if (s->coll == NULL) {
        return km_err_set(err, KM_EINPUT, "%s:%d: unknown type '%s' in [source %s]", sec->file,
                          km_section_line(sec, "type"), type, name);
    }
    s->info.name = name;
    s->info.type = type;
    s->scope = km_asprintf("collector:%s:%s", type, name);
    s->sec = sec;
    rt_read_settings(s, cfg, sec);
    s->easy = curl_easy_init();
    if (s->easy == NULL) {
        return km_err_set(err, KM_ERR, "[source %s]: curl_easy_init failed", name);
    }
    km_buf_init(&s->body);
    s->next_due = km_time_mono_ms();
    return s->coll->create(sec, &s->state, err);
}

int km_runtime_new_with(const struct km_config *cfg, const struct km_runtime_sink *sink,
                        km_collector_lookup_fn lookup, struct km_runtime **out, struct km_err *err)
{
    int rc = KM_OK;
    struct km_runtime *rt = km_calloc(1, sizeof(*rt));
    rt->sink = *sink;
    rt->rng = (uint64_t)km_time_now_ms() ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)rt;
    if (rt->rng == 0) {
        rt->rng = 0x9E3779B97F4A7C15ULL;
    }
    rt->sources = km_calloc(cfg->n_sources, sizeof(*rt->sources));
    rt->multi = curl_multi_init();
    if (rt->multi == NULL) {
        rc = km_err_set(err, KM_ERR, "curl_multi_init failed");
        goto out;
    }
    for (size_t i = 0; i < cfg->n_sources; i++) {
        const struct km_section *sec = cfg->sources[i];
        if (!rt_get_bool(sec, "enabled", true)) {
            KM_LOG_INFO("[source %s] is disabled", sec->name != NULL ? sec->name : "?");
            continue;
        }
        /* Push sources (webhooks) have no request to make: the intake serves them. */
        const char *type = km_section_get(sec, "type");
        const struct km_collector *push = type != NULL ? lookup(type) : NULL;
        if (push != NULL && push->next_request == NULL) {
            continue;
        }
        /* Counted before init, so that km_runtime_free() cleans up a half-made source. */
        struct rt_source *s = &rt->sources[rt->n++];
        rc = rt_source_init(s, cfg, sec, lookup, err);
        if (rc != KM_OK) {
            goto out;
        }
    }
out:
    if (rc != KM_OK) {
        km_runtime_free(rt);
        rt = NULL;
    }
    *out = rt;
    return rc;
}

int km_runtime_new(const struct km_config *cfg, const struct km_runtime_sink *sink,
                   struct km_runtime **out, struct km_err *err)
{
    return km_runtime_new_with(cfg, sink, km_collector_find, out, err);
}

static void rt_headers_clear(struct rt_source *s)
{
    for (size_t i = 0; i < s->n_headers; i++) {
        free(s->headers[i].name);
        free(s->headers[i].value);
    }
    s->n_headers = 0;
}

/* Releases what one exchange used; the easy handle stays for reuse. */
static void rt_exchange_clear(struct rt_source *s)
{
    curl_slist_free_all(s->hdr_list);
    s->hdr_list = NULL;
    km_request_clear(&s->req);
    km_buf_free(&s->body);
    rt_headers_clear(s);
    s->header_bytes = 0;
    s->aborted = RT_ABORT_NONE;
    s->errbuf[0] = '\0';
}

void km_runtime_free(struct km_runtime *rt)
{
    if (rt == NULL) {
        return;
    }
    for (size_t i = 0; i < rt->n; i++) {
        struct rt_source *s = &rt->sources[i];
        if (s->in_flight) {
            curl_multi_remove_handle(rt->multi, s->easy);
        }
        rt_exchange_clear(s);
        free(s->headers);
        if (s->easy != NULL) {
            curl_easy_cleanup(s->easy);
        }
        if (s->coll != NULL && s->coll->destroy != NULL) {
            s->coll->destroy(s->state);
        }
        free(s->cursor);
        free(s->ca_file);
        free(s->scope);
    }
    if (rt->multi != NULL) {
        curl_multi_cleanup(rt->multi);
    }
    free(rt->sources);
    free(rt);
}

/* ---- libcurl callbacks ------------------------------------------------------------- */

static size_t rt_on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct rt_source *s = userdata;
    size_t n = size * nmemb;
    /* Counted after decoding, so a small gzip body cannot expand past the cap. */
    if (s->body.len + n > (unsigned long long)s->max_body) {
        s->aborted = RT_ABORT_BODY;
        return 0; /* curl aborts the transfer with CURLE_WRITE_ERROR */
    }
    km_buf_append(&s->body, data, n);
    return n;
}

/* Returns a copy of [p, end) without surrounding blanks and CR/LF. */
static char *rt_trimmed(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }
    while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n')) {
        end--;
    }
    return km_strndup(p, (size_t)(end - p));
}

static size_t rt_on_header(char *data, size_t size, size_t nitems, void *userdata)
{
    struct rt_source *s = userdata;
    size_t n = size * nitems;
    s->header_bytes += n;
    if (s->header_bytes > RT_MAX_HEADER_BYTES) {
        s->aborted = RT_ABORT_HEADERS;
        return 0;
    }
    /* Each status line (redirect, 100 Continue, final) starts a new response: only the
     * last one's headers and body reach consume(). */
    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        rt_headers_clear(s);
        km_buf_reset(&s->body);
        return n;
    }
    const char *colon = memchr(data, ':', n);
    if (colon == NULL || colon == data || s->n_headers >= RT_MAX_HEADERS) {
        return n;
    }
    if (s->headers == NULL) {
        s->headers = km_calloc(RT_MAX_HEADERS, sizeof(*s->headers));
    }
    struct km_header *h = &s->headers[s->n_headers++];
    h->name = rt_trimmed(data, colon);
    h->value = rt_trimmed(colon + 1, data + n);
    return n;
}

/* ---- scheduling -------------------------------------------------------------------- */

static uint64_t rt_rand(struct km_runtime *rt)
{
    uint64_t x = rt->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rt->rng = x;
    return x;
}

/* Schedules the next attempt after a failure: max(1 s, interval), doubling per consecutive
 * failure up to backoff_max, plus up to 20 % jitter; a longer retry_after_ms wins.
 * Returns the pause in ms. */
static int64_t rt_backoff(struct km_runtime *rt, struct rt_source *s, int64_t retry_after_ms)
{
    int64_t base = s->interval_ms > RT_BACKOFF_MIN_MS ? s->interval_ms : RT_BACKOFF_MIN_MS;
    int64_t cap = s->backoff_max_ms > base ? s->backoff_max_ms : base;
    s->backoff_base = s->backoff_base == 0 ? base : s->backoff_base * 2;
    if (s->backoff_base > cap) {
        s->backoff_base = cap;
    }
    int64_t jitter = (int64_t)(rt_rand(rt) % (uint64_t)(s->backoff_base / RT_JITTER_DIV + 1));
    int64_t delay = s->backoff_base + jitter;
    s->stats.backoff_ms = delay;
    if (retry_after_ms > RT_RETRY_AFTER_MAX_MS) {
        retry_after_ms = RT_RETRY_AFTER_MAX_MS;
    }
    if (retry_after_ms > delay) {
        delay = retry_after_ms;
    }
    s->next_due = km_time_mono_ms() + delay;
    return delay;
}

/* Schedules the next poll after a committed exchange and forgets past failures. */
/* Logs a failure through the source's complaint c (rate-limited) and keeps it as the
 * source's last error for `komekctl sources`. */
static void rt_complain(struct rt_source *s, struct km_complaint *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void rt_complain(struct rt_source *s, struct km_complaint *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->stats.last_error, sizeof(s->stats.last_error), fmt, ap);
    va_end(ap);
    s->stats.last_error_ms = km_time_now_ms();
    va_start(ap, fmt);
    km_vcomplain(c, s->scope, fmt, ap);
    va_end(ap);
}

static void rt_success(struct rt_source *s, bool progress)
{
    int64_t now = km_time_mono_ms();
    int64_t delay = s->interval_ms;
    if (delay == 0 && !progress && now - s->started_at < RT_EMPTY_POLL_PAUSE_MS) {
        delay = RT_EMPTY_POLL_PAUSE_MS;
    }
    s->next_due = now + delay;
    s->backoff_base = 0;
    s->stats.backoff_ms = 0;
    km_complain_release(&s->c_net, s->scope, "polling");
    km_complain_release(&s->c_input, s->scope, "payloads");
}

/* A successful exchange may ask for the next request at once (another page, a login
 * step) or, with a rate-limit signal on a good answer (Mastodon's X-RateLimit-Remaining: 0),
 * for a pause that the runtime, not the collector, keeps. */
static void rt_after_success(struct rt_source *s, bool more, int64_t wait_ms)
{
    int64_t now = km_time_mono_ms();
    if (wait_ms > RT_RETRY_AFTER_MAX_MS) {
        wait_ms = RT_RETRY_AFTER_MAX_MS;
    }
    if (wait_ms > 0) {
        s->stats.rate_limited++;
        if (now + wait_ms > s->next_due) {
            s->next_due = now + wait_ms;
        }
    } else if (more) {
        s->next_due = now;
    }
}

static void rt_stop_source(struct rt_source *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void rt_stop_source(struct rt_source *s, const char *fmt, ...)
{
    char msg[KM_ERR_MSG_MAX + 64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    KM_SLOG_ERROR(s->scope, "%s; source stopped", msg);
    memcpy(s->stats.last_error, msg, sizeof(s->stats.last_error) - 1);
    s->stats.last_error[sizeof(s->stats.last_error) - 1] = '\0';
    s->stats.last_error_ms = km_time_now_ms();
    s->stats.stopped = true;
}

/* ---- starting an exchange ---------------------------------------------------------- */

#define RT_SET(opt, val)                                                                           \
    do {                                                                                           \
        if (c == CURLE_OK) {                                                                       \
            c = curl_easy_setopt(e, opt, val);                                                     \
        }                                                                                          \
    } while (0)

/* Transport and safety options shared by every request. */
static CURLcode rt_easy_base(struct rt_source *s, int64_t timeout_ms)
{
    CURL *e = s->easy;
    CURLcode c = CURLE_OK;
    RT_SET(CURLOPT_PRIVATE, (void *)s);
    RT_SET(CURLOPT_ERRORBUFFER, s->errbuf);
    RT_SET(CURLOPT_NOSIGNAL, 1L);
    RT_SET(CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    RT_SET(CURLOPT_CONNECTTIMEOUT_MS, (long)RT_CONNECT_TIMEOUT_MS);
    RT_SET(CURLOPT_ACCEPT_ENCODING, "");
    RT_SET(CURLOPT_SSL_VERIFYPEER, 1L);
    RT_SET(CURLOPT_SSL_VERIFYHOST, 2L);
    if (s->ca_file != NULL) {
        RT_SET(CURLOPT_CAINFO, s->ca_file);
    }
    RT_SET(CURLOPT_PROTOCOLS_STR, "http,https");
    RT_SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    RT_SET(CURLOPT_FOLLOWLOCATION, 1L);
    RT_SET(CURLOPT_MAXREDIRS, RT_MAX_REDIRS);
    RT_SET(CURLOPT_USERAGENT, "komek/" KM_VERSION);
    /* Refuses early when Content-Length is known; rt_on_body catches the rest. */
    RT_SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s->max_body);
    RT_SET(CURLOPT_WRITEFUNCTION, rt_on_body);
    RT_SET(CURLOPT_WRITEDATA, (void *)s);
    RT_SET(CURLOPT_HEADERFUNCTION, rt_on_header);
    RT_SET(CURLOPT_HEADERDATA, (void *)s);
    return c;
}

/* What the collector asked for: URL, method, body and headers. */
static CURLcode rt_easy_request(struct rt_source *s)
{
    CURL *e = s->easy;
    CURLcode c = CURLE_OK;
    struct km_request *req = &s->req;
    for (size_t i = 0; i < req->n_headers; i++) {
        s->hdr_list = curl_slist_append(s->hdr_list, req->headers[i]);
    }
    if (req->content_type != NULL) {
        char *line = km_asprintf("Content-Type: %s", req->content_type);
        s->hdr_list = curl_slist_append(s->hdr_list, line);
        free(line);
    }
    RT_SET(CURLOPT_URL, req->url);
    if (s->hdr_list != NULL) {
        RT_SET(CURLOPT_HTTPHEADER, s->hdr_list);
    }
    if (req->method == KM_HTTP_POST) {
        const char *body = req->body != NULL ? req->body : "";
        RT_SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
        RT_SET(CURLOPT_POSTFIELDS, body);
    }
    return c;
}

#undef RT_SET

/* Loads the cursor before the first request. Returns KM_OK to go on, or another code
 * after scheduling (KM_RETRY) or stopping (KM_ERR) the source. */
/* Reads the committed cursor before every exchange, not once: the store is the truth. If
 * Redis lost its latest writes (a restart without AOF), the cursor goes back with the
 * posts it lost, and those posts are fetched again instead of being skipped for good. */
static int rt_load_cursor(struct km_runtime *rt, struct rt_source *s)
{
    char *cursor = NULL;
    int rc = rt->sink.load_cursor(rt->sink.ctx, &s->info, &cursor);
    if (rc == KM_OK) {
        free(s->cursor);
        s->cursor = cursor;
        return KM_OK;
    }
    free(cursor);
    if (rc == KM_RETRY) {
        int64_t delay = rt_backoff(rt, s, 0);
        rt_complain(s, &s->c_net, "cannot load the cursor; retrying in %lld ms",
                    (long long)delay);
        return KM_RETRY;
    }
    rt_stop_source(s, "loading the cursor failed (%s)", km_strerror(rc));
    return rc;
}

/* Returns a copy of url with every secret value of sec replaced by "***" (the Telegram
 * token is part of the Bot API's URL path). Caller frees. */
static char *rt_mask_secrets(const struct km_section *sec, const char *url)
{
    char *cur = km_strdup(url);
    for (size_t i = 0; sec != NULL && i < sec->n_entries; i++) {
        const char *secret = sec->entries[i].value;
        if (!sec->entries[i].secret || secret == NULL || secret[0] == '\0') {
            continue;
        }
        struct km_buf out = KM_BUF_INIT;
        const char *p = cur, *hit;
        while ((hit = strstr(p, secret)) != NULL) {
            km_buf_append(&out, p, (size_t)(hit - p));
            km_buf_puts(&out, "***");
            p = hit + strlen(secret);
        }
        km_buf_puts(&out, p);
        free(cur);
        cur = km_buf_take(&out);
    }
    return cur;
}

/* Starts one exchange: cursor, request, easy handle, added to the multi handle.
 * Returns true if a transfer is now in flight. */
/* How often a source in standby asks whether the lease holder has gone. */
#define RT_STANDBY_CHECK_MS 5000

static void rt_report(struct km_runtime *rt, struct rt_source *s)
{
    if (rt->sink.report != NULL) {
        rt->sink.report(rt->sink.ctx, &s->info, &s->stats);
    }
}

/* Claims the source's lease when the sink keeps leases. A lease covers one exchange and
 * the pause after it, so the holder keeps it while it polls. */
static bool rt_claim(struct km_runtime *rt, struct rt_source *s)
{
    if (rt->sink.claim == NULL) {
        return true;
    }
    int64_t hint = s->interval_ms + 2 * s->timeout_ms + RT_STANDBY_CHECK_MS;
    bool was_standby = s->stats.standby;
    s->stats.standby = rt->sink.claim(rt->sink.ctx, &s->info, hint) != KM_OK;
    if (s->stats.standby) {
        s->next_due = km_time_mono_ms() + RT_STANDBY_CHECK_MS;
        if (!was_standby) {
            KM_SLOG_INFO(s->scope, "standby: another komekd polls this source");
            rt_report(rt, s);
        }
        return false;
    }
    if (was_standby) {
        KM_SLOG_INFO(s->scope, "taking over polling from the stored cursor");
    }
    return true;
}

static bool rt_source_start(struct km_runtime *rt, struct rt_source *s)
{
    if (!rt_claim(rt, s) || rt_load_cursor(rt, s) != KM_OK) {
        return false;
    }
    int rc = s->coll->next_request(s->state, s->cursor, &s->req);
    if (rc != KM_OK || s->req.url == NULL) {
        if (rc == KM_RETRY) {
            rt_backoff(rt, s, 0);
        } else {
            rt_stop_source(s, "cannot build a request (%s)", km_strerror(rc));
        }
        rt_exchange_clear(s);
        return false;
    }
    curl_easy_reset(s->easy);
    int64_t timeout = s->req.timeout_ms > s->timeout_ms ? s->req.timeout_ms : s->timeout_ms;
    CURLcode c = rt_easy_base(s, timeout);
    if (c == CURLE_OK) {
        c = rt_easy_request(s);
    }
    CURLMcode mc = c == CURLE_OK ? curl_multi_add_handle(rt->multi, s->easy) : CURLM_OK;
    if (c != CURLE_OK || mc != CURLM_OK) {
        rt_stop_source(s, "cannot set up the request: %s",
                       c != CURLE_OK ? curl_easy_strerror(c) : curl_multi_strerror(mc));
        rt_exchange_clear(s);
        return false;
    }
    s->in_flight = true;
    s->started_at = km_time_mono_ms();
    s->stats.polls++;
    if (km_log_get_level() >= KM_LOG_LEVEL_DEBUG) {
        char *shown = rt_mask_secrets(s->sec, s->req.url);
        KM_SLOG_DEBUG(s->scope, "%s %s", s->req.method == KM_HTTP_POST ? "POST" : "GET", shown);
        free(shown);
    }
    return true;
}

/* ---- finishing an exchange --------------------------------------------------------- */

/* Hands a consumed batch to the sink and adopts the cursor only once it is committed. */
static void rt_deliver(struct km_runtime *rt, struct rt_source *s, struct km_post_batch *batch,
                       char **next_cursor, int64_t received_at)
{
    for (size_t i = 0; i < batch->n; i++) {
        struct km_post *p = batch->posts[i];
        if (p->source == NULL) {
            km_post_set(&p->source, s->info.name);
        }
        if (p->collected_at == 0) {
            p->collected_at = received_at;
        }
    }
    size_t n = batch->n;
    bool more = batch->more;
    int64_t wait_ms = batch->retry_after_ms;
    bool moved =
        *next_cursor != NULL && (s->cursor == NULL || strcmp(*next_cursor, s->cursor) != 0);
    int rc = rt->sink.deliver(rt->sink.ctx, &s->info, batch, *next_cursor);
    if (rc == KM_OK) {
        if (*next_cursor != NULL) {
            free(s->cursor);
            s->cursor = *next_cursor;
            *next_cursor = NULL;
        }
        s->stats.posts += n;
        s->stats.last_success_ms = km_time_now_ms();
        rt_success(s, n > 0 || moved);
        /* A step of a login or an id lookup delivers nothing and keeps the cursor; its next
         * request is due at once, and with --once it is not the source's exchange. Steps in
         * a row are capped, so that "more" without progress cannot become a tight loop. */
        bool step = more && n == 0 && !moved && s->steps < RT_STEPS_MAX;
        s->steps = step ? s->steps + 1 : 0;
        s->done_once = s->done_once && !step;
        /* "more" only with progress: a server that ignores the cursor must not be
         * hammered in a tight loop. */
        rt_after_success(s, more && (n > 0 || moved || step), wait_ms);
        KM_SLOG_DEBUG(s->scope, "%zu posts delivered", n);
        return;
    }
    if (rc == KM_RETRY || rc == KM_EINPUT) {
        if (rc == KM_RETRY) {
            s->stats.deliver_retries++;
        } else {
            s->stats.errors_input++;
        }
        int64_t delay = rt_backoff(rt, s, 0);
        rt_complain(s, &s->c_net, "sink did not commit %zu posts (%s); retrying in %lld ms",
                    n, km_strerror(rc), (long long)delay);
        return;
    }
    rt_stop_source(s, "sink failed (%s)", km_strerror(rc));
}

/* Reacts to consume() saying "not now": rate limit or server trouble. */
static void rt_consume_retry(struct km_runtime *rt, struct rt_source *s,
                             const struct km_response *resp, int64_t retry_after_ms,
                             const struct km_err *err)
{
    if (retry_after_ms <= 0) {
        retry_after_ms = km_response_retry_after_ms(resp);
    }
    /* 429, or a network that signals its limit in a 200 body (VK, Telegram ok:false). */
    bool limited = resp->status == 429 || (retry_after_ms > 0 && resp->status < 300);
    if (limited) {
        s->stats.rate_limited++;
    } else {
        s->stats.errors_http++;
    }
    int64_t delay = rt_backoff(rt, s, retry_after_ms);
    /* Two call sites, so that km_complain() never hides one kind behind the other. */
    if (limited) {
        rt_complain(s, &s->c_net, "rate limited (HTTP %ld%s%s); retrying in %lld ms",
                    resp->status, err->msg[0] != '\0' ? ": " : "", err->msg, (long long)delay);
    } else {
        rt_complain(s, &s->c_net, "server trouble (HTTP %ld%s%s); retrying in %lld ms",
                    resp->status, err->msg[0] != '\0' ? ": " : "", err->msg, (long long)delay);
    }
}

/* Runs consume() on a complete response and acts on its result. */
static void rt_consume(struct km_runtime *rt, struct rt_source *s, const struct km_response *resp)
{
    struct km_post_batch batch;
    km_post_batch_init(&batch);
    char *next_cursor = NULL;
    struct km_err err = {{0}};
    int rc = s->coll->consume(s->state, resp, &batch, &next_cursor, &err);
    switch (rc) {
    case KM_OK:
        if (batch.skipped > 0) {
            s->stats.errors_input += batch.skipped;
            KM_SLOG_WARN(s->scope, "%u items skipped: %s", batch.skipped, err.msg);
        }
        rt_deliver(rt, s, &batch, &next_cursor, resp->received_at_ms);
        break;
    case KM_RETRY:
        rt_consume_retry(rt, s, resp, batch.retry_after_ms, &err);
        break;
    case KM_EINPUT: {
        s->stats.errors_input++;
        int64_t delay = rt_backoff(rt, s, 0);
        rt_complain(s, &s->c_input, "bad response (HTTP %ld): %s; retrying in %lld ms",
                    resp->status, err.msg, (long long)delay);
        break;
    }
    default:
        rt_stop_source(s, "HTTP %ld: %s", resp->status,
                       err.msg[0] != '\0' ? err.msg : km_strerror(rc));
        break;
    }
    free(next_cursor);
    km_post_batch_free(&batch);
}

/* A transfer that failed below HTTP: size cap, connect, timeout, cut-off body. */
static void rt_transfer_failed(struct km_runtime *rt, struct rt_source *s, CURLcode code)
{
    if (s->aborted != RT_ABORT_NONE || code == CURLE_FILESIZE_EXCEEDED) {
        s->stats.errors_input++;
        int64_t delay = rt_backoff(rt, s, 0);
        if (s->aborted == RT_ABORT_HEADERS) {
            rt_complain(s, &s->c_input,
                        "response headers larger than %d bytes; retrying in %lld ms",
                        RT_MAX_HEADER_BYTES, (long long)delay);
        } else {
            rt_complain(s, &s->c_input,
                        "response larger than max_body (%lld bytes); retrying in %lld ms",
                        s->max_body, (long long)delay);
        }
        return;
    }
    s->stats.errors_http++;
    int64_t delay = rt_backoff(rt, s, 0);
    rt_complain(s, &s->c_net, "request failed: %s; retrying in %lld ms",
                s->errbuf[0] != '\0' ? s->errbuf : curl_easy_strerror(code), (long long)delay);
}

/* Completes the exchange of a finished transfer. */
static void rt_source_finish(struct km_runtime *rt, struct rt_source *s, CURLcode code)
{
    curl_multi_remove_handle(rt->multi, s->easy);
    s->in_flight = false;
    s->done_once = true;
    if (code != CURLE_OK) {
        rt_transfer_failed(rt, s, code);
    } else {
        long status = 0;
        curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
        struct km_response resp = {
            .status = status,
            .body = s->body.data != NULL ? s->body.data : "",
            .body_len = s->body.len,
            .headers = s->headers,
            .n_headers = s->n_headers,
            .received_at_ms = km_time_now_ms(),
        };
        rt_consume(rt, s, &resp);
    }
    rt_exchange_clear(s);
    rt_report(rt, s);
}

/* ---- the loop ---------------------------------------------------------------------- */

/* Starts every source that is due (with once: every one that has not had its exchange). */
static void rt_start_due(struct km_runtime *rt, bool once)
{
    int64_t now = km_time_mono_ms();
    for (size_t i = 0; i < rt->n; i++) {
        struct rt_source *s = &rt->sources[i];
        if (s->stats.stopped || s->in_flight) {
            continue;
        }
        if (once ? s->done_once : s->next_due > now) {
            continue;
        }
        if (!rt_source_start(rt, s)) {
            s->done_once = true; /* the exchange failed before the request: it counts */
        }
    }
}

static void rt_collect_done(struct km_runtime *rt)
{
    CURLMsg *msg;
    int left = 0;
    while ((msg = curl_multi_info_read(rt->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE) {
            continue;
        }
        char *priv = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
        CURLcode code = msg->data.result;
        rt_source_finish(rt, (struct rt_source *)(void *)priv, code); /* frees msg */
    }
}

/* How long the loop may sleep: until the next due source, at most RT_POLL_MAX_MS. */
static int rt_poll_timeout(const struct km_runtime *rt, bool once)
{
    int64_t now = km_time_mono_ms();
    int64_t wait = RT_POLL_MAX_MS;
    for (size_t i = 0; i < rt->n && !once; i++) {
        const struct rt_source *s = &rt->sources[i];
        if (!s->stats.stopped && !s->in_flight && s->next_due - now < wait) {
            wait = s->next_due - now;
        }
    }
    return wait < 0 ? 0 : (int)wait;
}

/* With nothing in flight: KM_OK or KM_ERR to return now, or KM_RETRY to keep going. */
static int rt_verdict(const struct km_runtime *rt, volatile sig_atomic_t *stop, bool once)
{
    size_t stopped = 0, done = 0;
    for (size_t i = 0; i < rt->n; i++) {
        const struct rt_source *s = &rt->sources[i];
        if (s->in_flight) {
            return KM_RETRY;
        }
        stopped += s->stats.stopped;
        done += s->stats.stopped || s->done_once;
    }
    bool all_stopped = rt->n > 0 && stopped == rt->n;
    if (*stop || all_stopped || (once && done == rt->n)) {
        return all_stopped ? KM_ERR : KM_OK;
    }
    return KM_RETRY;
}

static void rt_release_all(struct km_runtime *rt)
{
    for (size_t i = 0; rt->sink.release != NULL && i < rt->n; i++) {
        if (!rt->sources[i].stats.standby) {
            rt->sink.release(rt->sink.ctx, &rt->sources[i].info);
        }
    }
}

/* After a stop request, requests in flight get this long to finish and be delivered; a
 * long poll or a hanging server is then abandoned. Nothing is lost: an abandoned request's
 * cursor was never advanced, so the next start asks again. */
#define RT_STOP_GRACE_MS 5000

static void rt_abandon_in_flight(struct km_runtime *rt)
{
    for (size_t i = 0; i < rt->n; i++) {
        struct rt_source *s = &rt->sources[i];
        if (s->in_flight) {
            curl_multi_remove_handle(rt->multi, s->easy);
            s->in_flight = false;
            rt_exchange_clear(s);
            KM_SLOG_INFO(s->scope, "stopping: request in flight abandoned; it is repeated "
                                   "at the next start");
        }
    }
}

int km_runtime_run(struct km_runtime *rt, volatile sig_atomic_t *stop, bool once)
{
    int64_t stop_seen = 0;
    for (size_t i = 0; i < rt->n; i++) {
        rt->sources[i].done_once = false;
    }
    for (;;) {
        if (!*stop) {
            rt_start_due(rt, once);
        } else if (stop_seen == 0) {
            stop_seen = km_time_mono_ms();
        } else if (km_time_mono_ms() - stop_seen > RT_STOP_GRACE_MS) {
            rt_abandon_in_flight(rt);
        }
        int running = 0;
        CURLMcode mc = curl_multi_perform(rt->multi, &running);
        if (mc == CURLM_OK) {
            rt_collect_done(rt);
            int verdict = rt_verdict(rt, stop, once);
            if (verdict != KM_RETRY) {
                rt_release_all(rt);
                return verdict;
            }
            mc = curl_multi_poll(rt->multi, NULL, 0, rt_poll_timeout(rt, once), NULL);
        }
        if (mc != CURLM_OK) {
            KM_LOG_ERROR("collector runtime: %s", curl_multi_strerror(mc));
            return KM_ERR;
        }
    }
}

size_t km_runtime_source_count(const struct km_runtime *rt)
{
    return rt->n;
}

const char *km_runtime_source_stats(const struct km_runtime *rt, size_t i,
                                    struct km_source_stats *out)
{
    const struct rt_source *s = &rt->sources[i];
    *out = s->stats;
    out->next_poll_ms = s->next_due;
    return s->info.name;
}
