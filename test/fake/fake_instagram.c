#include "test/fake/fake_instagram.h"

#include "common/alloc.h"
#include "common/time.h"
#include "test/fake/fake_text.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* recent_media `limit`: Graph API edges page 25 by default; hashtag media allow 50. */
#define IG_LIMIT_DEFAULT 25
#define IG_LIMIT_MAX     50
/* Unique hashtags an account may search per 7 days; the fake never forgets within a run. */
#define IG_BUDGET 30
/* recent_media only returns media published within the last 24 hours. */
#define IG_WINDOW_MS (24LL * 3600 * 1000)
/* Highest call_count put into X-Business-Use-Case-Usage (below the 95 % pause of komek). */
#define IG_USAGE_MAX 60
/* Prefix of the fake's paging cursors (real ones are base64 starting so too). */
#define IG_AFTER_PREFIX "QVFI"

#define IG_TYPE "application/json; charset=UTF-8"
#define IG_CDN  "https://scontent.cdninstagram.com/v/t51.29350-15/"

/* Tags searched so far, for the 30-tag budget. One fakenet serves one test run. */
static struct {
    pthread_mutex_t lock;
    char *tags[IG_BUDGET];
    size_t n;
} ig_searched = {PTHREAD_MUTEX_INITIALIZER, {NULL}, 0};

bool km_fake_ig_route(const char *url)
{
    return url[0] == '/' && url[1] == 'v' && url[2] >= '0' && url[2] <= '9';
}

/* --- errors ------------------------------------------------------------------------- */

static void ig_error(struct km_fake_reply *rep, unsigned status, const char *type, int code,
                     int subcode, bool transient, const char *msg)
{
    struct km_buf b = KM_BUF_INIT;
    km_buf_puts(&b, "{\"error\":{\"message\":");
    km_fake_json_str(&b, msg, 0);
    km_buf_printf(&b, ",\"type\":\"%s\",%s\"code\":%d", type,
                  transient ? "\"is_transient\":true," : "", code);
    if (subcode > 0) {
        km_buf_printf(&b, ",\"error_subcode\":%d", subcode);
    }
    km_buf_printf(&b, ",\"fbtrace_id\":\"AKmk%04dFake%dTrace\"}}", code, subcode);
    km_fake_reply_set(rep, status, IG_TYPE, b.data);
    km_buf_free(&b);
}

void km_fake_ig_fault(enum km_fake_fault_kind kind, struct km_fake_reply *rep)
{
    if (kind == KM_FAKE_FAULT_429) {
        ig_error(rep, 403, "OAuthException", 4, 0, true, "(#4) Application request limit reached");
        km_fake_reply_header(rep, "X-Business-Use-Case-Usage",
                             "{\"17841400000000000\":[{\"type\":\"instagram\",\"call_count\":100,"
                             "\"total_cputime\":12,\"total_time\":15,"
                             "\"estimated_time_to_regain_access\":1}]}");
    } else if (kind == KM_FAKE_FAULT_HTTP500) {
        ig_error(rep, 500, "OAuthException", 1, 0, true,
                 "An unknown error occurred. Please retry your request later.");
    } else {
        ig_error(rep, 503, "OAuthException", 2, 0, true, "(#2) Service temporarily unavailable");
    }
}

/* --- hashtags ----------------------------------------------------------------------- */

/* The static id of a folded tag: "17843" and 12 digits of its FNV-1a hash. */
static void ig_tag_id(const char *folded, char *out, size_t size)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)folded; *p != '\0'; p++) {
        h = (h ^ *p) * 1099511628211ULL;
    }
    snprintf(out, size, "17843%012llu", (unsigned long long)(h % 1000000000000ULL));
}

/* True if text has hashtag `folded` (case-folded, digits-only tags included). */
static bool ig_has_tag(const char *text, const char *folded)
{
    struct km_fake_span *spans = NULL;
    size_t n = km_fake_text_spans(text, KM_FAKE_TAGS_NUMERIC, &spans);
    bool hit = false;
    for (size_t i = 0; i < n && !hit; i++) {
        if (spans[i].type != KM_FAKE_SPAN_HASHTAG) {
            continue;
        }
        char *raw = km_strndup(text + spans[i].off + 1, spans[i].len - 1);
        char *f = km_fake_casefold(raw);
        hit = strcmp(f, folded) == 0;
        free(raw);
        free(f);
    }
    free(spans);
    return hit;
}

/* The folded tag whose id is `id`, from the hashtags of the sample posts; NULL if none.
 * Caller holds the store lock and frees the result. */
static char *ig_tag_of_id(const struct km_fake_store *s, const char *id)
{
    for (size_t t = 0; t < s->n_tpls; t++) {
        const char *text = s->tpls[t].text;
        struct km_fake_span *spans = NULL;
        size_t n = km_fake_text_spans(text, KM_FAKE_TAGS_NUMERIC, &spans);
        for (size_t i = 0; i < n; i++) {
            char *raw = km_strndup(text + spans[i].off + 1, spans[i].len - 1);
            char *f = km_fake_casefold(raw);
            char tid[32];
            ig_tag_id(f, tid, sizeof(tid));
            free(raw);
            if (spans[i].type == KM_FAKE_SPAN_HASHTAG && strcmp(tid, id) == 0) {
                free(spans);
                return f;
            }
            free(f);
        }
        free(spans);
    }
    return NULL;
}

/* Counts a search of `folded` against the budget. False if it would be the 31st tag. */
static bool ig_budget_take(const char *folded)
{
    bool ok = false;
    pthread_mutex_lock(&ig_searched.lock);
    for (size_t i = 0; i < ig_searched.n && !ok; i++) {
        ok = strcmp(ig_searched.tags[i], folded) == 0;
    }
    if (!ok && ig_searched.n < IG_BUDGET) {
        ig_searched.tags[ig_searched.n++] = km_strdup(folded);
        ok = true;
    }
    pthread_mutex_unlock(&ig_searched.lock);
    return ok;
}

static void ig_search(struct km_fake_ctx *ctx, struct km_fake_req *req, struct km_fake_reply *rep)
{
    const char *q = km_fake_req_param(req, "q");
    if (q == NULL || *q == '\0') {
        ig_error(rep, 400, "OAuthException", 100, 0, false, "(#100) The parameter q is required");
        return;
    }
    char *folded = km_fake_casefold(q[0] == '#' ? q + 1 : q);
    if (!ig_budget_take(folded)) {
        ig_error(rep, 400, "OAuthException", 24, 2207024, false,
                 "(#24) The user has reached the limit of unique hashtags that can be queried "
                 "in a 7 day period.");
        free(folded);
        return;
    }
    bool known = false;
    pthread_mutex_lock(&ctx->store.lock);
    for (size_t t = 0; t < ctx->store.n_tpls && !known; t++) {
        known = ig_has_tag(ctx->store.tpls[t].text, folded);
    }
    pthread_mutex_unlock(&ctx->store.lock);
    char id[32];
    ig_tag_id(folded, id, sizeof(id));
    char body[96] = "{\"data\":[]}";
    if (known) {
        snprintf(body, sizeof(body), "{\"data\":[{\"id\":\"%s\"}]}", id);
    }
    km_fake_reply_set(rep, 200, IG_TYPE, body);
    free(folded);
}

/* --- media -------------------------------------------------------------------------- */

/* True if `name` is one of the comma-separated top-level fields ("children{media_url}"
 * counts as "children"). */
static bool ig_wants(const char *fields, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = fields; p != NULL && *p != '\0'; p++) {
        if (strncmp(p, name, n) == 0 && (p == fields || p[-1] == ',') &&
            (p[n] == '\0' || p[n] == ',' || p[n] == '{')) {
            return true;
        }
    }
    return false;
}

/* "2026-11-22T18:41:01+0000", as the Graph API writes times. */
static void ig_time(int64_t ms, char *out, size_t size)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%S+0000", &tm);
}

static void ig_put_media_url(struct km_buf *b, const char *id, unsigned part)
{
    km_buf_printf(b, "\"media_url\":\"" IG_CDN "%s_%u_n.jpg\"", id, part);
}

/* One IG Media of item `it`, with the fields asked for. */
static void ig_put_media(struct km_buf *b, const struct km_fake_item *it, const char *fields)
{
    static const char *const types[] = {"IMAGE", "VIDEO", "CAROUSEL_ALBUM"};
    const char *type = types[it->seq % 3];
    char id[24];
    snprintf(id, sizeof(id), "179%014zu", it->seq + 1);
    km_buf_printf(b, "{\"id\":\"%s\"", id);
    if (ig_wants(fields, "caption")) {
        km_buf_puts(b, ",\"caption\":");
        km_fake_json_str(b, it->tpl->text, 0);
    }
    if (ig_wants(fields, "media_type")) {
        km_buf_printf(b, ",\"media_type\":\"%s\"", type);
    }
    if (ig_wants(fields, "media_url")) {
        km_buf_putc(b, ',');
        ig_put_media_url(b, id, 0);
    }
    if (ig_wants(fields, "permalink")) {
        km_buf_printf(b, ",\"permalink\":\"https://www.instagram.com/p/Km%s/\"", it->id);
    }
    if (ig_wants(fields, "timestamp")) {
        char ts[32];
        ig_time(it->created_ms, ts, sizeof(ts));
        km_buf_printf(b, ",\"timestamp\":\"%s\"", ts);
    }
    if (ig_wants(fields, "like_count") && it->seq % 5 != 4) {
        km_buf_printf(b, ",\"like_count\":%zu", (it->seq * 7) % 31);
    }
    if (ig_wants(fields, "comments_count")) {
        km_buf_printf(b, ",\"comments_count\":%zu", it->seq % 4);
    }
    if (ig_wants(fields, "children") && strcmp(type, "CAROUSEL_ALBUM") == 0) {
        km_buf_puts(b, ",\"children\":{\"data\":[{");
        ig_put_media_url(b, id, 1);
        km_buf_printf(b, ",\"id\":\"%s1\"},{", id);
        ig_put_media_url(b, id, 2);
        km_buf_printf(b, ",\"id\":\"%s2\"}]}", id);
    }
    km_buf_putc(b, '}');
}

struct ig_query {
    const char *user, *fields, *token;
    char *tag; /* folded */
    size_t limit;
    size_t before; /* serve items with seq < before (keyset); SIZE_MAX = from the newest */
};

/* Parses limit and after; returns false (after an error answer) if after is malformed. */
static bool ig_query_paging(struct km_fake_req *req, struct ig_query *q, struct km_fake_reply *rep)
{
    const char *limit = km_fake_req_param(req, "limit");
    const char *after = km_fake_req_param(req, "after");
    long n = limit != NULL ? strtol(limit, NULL, 10) : IG_LIMIT_DEFAULT;
    q->limit = n < 1 ? IG_LIMIT_DEFAULT : n > IG_LIMIT_MAX ? IG_LIMIT_MAX : (size_t)n;
    q->before = SIZE_MAX;
    if (after == NULL) {
        return true;
    }
    char *end = NULL;
    size_t len = strlen(IG_AFTER_PREFIX);
    if (strncmp(after, IG_AFTER_PREFIX, len) == 0 && after[len] != '\0') {
        q->before = (size_t)strtoull(after + len, &end, 16);
    }
    if (end == NULL || *end != '\0') {
        ig_error(rep, 400, "OAuthException", 100, 0, false, "(#100) Invalid cursor: after");
        return false;
    }
    return true;
}

/* "http://127.0.0.1:PORT/vN/ID/recent_media?...&after=..." for paging.next. */
static void ig_put_next(struct km_buf *b, const struct km_fake_ctx *ctx, const char *path,
                        const struct ig_query *q, size_t last_seq)
{
    km_buf_printf(b, ",\"next\":\"http://127.0.0.1:%u%s?access_token=", ctx->port, path);
    km_fake_url_encode(b, q->token);
    km_buf_puts(b, "&fields=");
    km_fake_url_encode(b, q->fields != NULL ? q->fields : "id");
    km_buf_printf(b, "&user_id=%s&limit=%zu&after=" IG_AFTER_PREFIX "%zx\"", q->user, q->limit,
                  last_seq);
}

/* Writes the page (newest first) and counts what it served. Caller holds the lock. */
static void ig_page(struct km_fake_ctx *ctx, const char *path, const struct ig_query *q,
                    struct km_buf *b)
{
    struct km_fake_store *s = &ctx->store;
    int64_t oldest = km_time_now_ms() - IG_WINDOW_MS;
    size_t n = 0, last = 0;
    bool more = false;
    km_buf_puts(b, "{\"data\":[");
    for (size_t i = s->n_items; i > 0 && !more; i--) {
        struct km_fake_item *it = s->items[i - 1];
        if (it->seq >= q->before || it->created_ms < oldest || !ig_has_tag(it->tpl->text, q->tag)) {
            continue;
        }
        if (n == q->limit) {
            more = true;
            break;
        }
        km_buf_puts(b, n++ > 0 ? "," : "");
        ig_put_media(b, it, q->fields != NULL ? q->fields : "id");
        km_fake_store_served(s, it);
        last = it->seq;
    }
    km_buf_puts(b, "]");
    if (n > 0) {
        km_buf_printf(b, ",\"paging\":{\"cursors\":{\"after\":\"" IG_AFTER_PREFIX "%zx\"}", last);
        if (more) {
            ig_put_next(b, ctx, path, q, last);
        }
        km_buf_putc(b, '}');
    }
    km_buf_puts(b, "}");
}

static void ig_recent_media(struct km_fake_ctx *ctx, struct km_fake_req *req, const char *id,
                            struct km_fake_reply *rep)
{
    struct ig_query q = {.user = km_fake_req_param(req, "user_id"),
                         .fields = km_fake_req_param(req, "fields"),
                         .token = km_fake_req_param(req, "access_token")};
    if (!ig_query_paging(req, &q, rep)) {
        return;
    }
    struct km_fake_store *s = &ctx->store;
    struct km_buf b = KM_BUF_INIT;
    pthread_mutex_lock(&s->lock);
    km_fake_store_sync(s);
    q.tag = ig_tag_of_id(s, id);
    if (q.tag != NULL) {
        ig_page(ctx, req->url, &q, &b);
    }
    pthread_mutex_unlock(&s->lock);
    if (q.tag == NULL) {
        char msg[200];
        snprintf(msg, sizeof(msg),
                 "Unsupported get request. Object with ID '%.40s' does not "
                 "exist, cannot be loaded due to missing permissions, or does not support this "
                 "operation",
                 id);
        ig_error(rep, 400, "GraphMethodException", 100, 33, false, msg);
    } else {
        km_fake_reply_set(rep, 200, IG_TYPE, b.data);
    }
    km_buf_free(&b);
    free(q.tag);
}

/* --- dispatch ----------------------------------------------------------------------- */

static void ig_usage_header(struct km_fake_ctx *ctx, const char *user, struct km_fake_reply *rep)
{
    pthread_mutex_lock(&ctx->store.lock);
    unsigned long calls = ctx->store.requests[KM_FAKE_INSTAGRAM];
    pthread_mutex_unlock(&ctx->store.lock);
    km_fake_reply_header(rep, "X-Business-Use-Case-Usage",
                         "{\"%s\":[{\"type\":\"instagram\",\"call_count\":%lu,"
                         "\"total_cputime\":1,\"total_time\":1,"
                         "\"estimated_time_to_regain_access\":0}]}",
                         user, calls < IG_USAGE_MAX ? calls : IG_USAGE_MAX);
}

/* Checks token and user_id; answers the error and returns false if one is wrong. */
static bool ig_auth(struct km_fake_req *req, struct km_fake_reply *rep)
{
    const char *token = km_fake_req_param(req, "access_token");
    const char *user = km_fake_req_param(req, "user_id");
    if (token == NULL || strcmp(token, KM_FAKE_IG_TOKEN) != 0) {
        ig_error(rep, 400, "OAuthException", 190, 0, false,
                 "Invalid OAuth access token - Cannot parse access token");
        return false;
    }
    if (user == NULL || *user == '\0' || strspn(user, "0123456789") != strlen(user)) {
        ig_error(rep, 400, "OAuthException", 100, 0, false,
                 "(#100) The parameter user_id is required and must be an IG User id");
        return false;
    }
    return true;
}

void km_fake_ig_handle(struct km_fake_ctx *ctx, struct km_fake_req *req, struct km_fake_reply *rep)
{
    const char *rest = strchr(req->url + 1, '/'); /* after "/vN.M" */
    if (strcmp(req->method, "GET") != 0) {
        ig_error(rep, 400, "OAuthException", 100, 0, false, "(#100) Unsupported method");
        return;
    }
    if (!ig_auth(req, rep)) {
        return;
    }
    ig_usage_header(ctx, km_fake_req_param(req, "user_id"), rep);
    if (rest != NULL && strcmp(rest, "/ig_hashtag_search") == 0) {
        ig_search(ctx, req, rep);
        return;
    }
    const char *edge = rest != NULL ? strchr(rest + 1, '/') : NULL;
    if (edge == NULL || strcmp(edge, "/recent_media") != 0 || edge == rest + 1) {
        ig_error(rep, 400, "GraphMethodException", 100, 33, false, "Unsupported get request.");
        return;
    }
    char *id = km_strndup(rest + 1, (size_t)(edge - rest - 1));
    ig_recent_media(ctx, req, id, rep);
    free(id);
}
