#include "test/fake/fake_json.h"

#include "common/alloc.h"
#include "common/time.h"
#include "test/fake/fake_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Page sizes: a small default so that the sample posts take several pages. */
#define JSON_PAGE_DEFAULT 10
#define JSON_PAGE_MAX     100

#define JSON_TYPE "application/json; charset=utf-8"

static const char *const json_names[] = {"Айгерім Сейтқали", "Марат",    "Dana K.",
                                         "Ольга П.",         "Нұрлан 🚲", "anonymous"};
#define JSON_NNAMES (sizeof(json_names) / sizeof(json_names[0]))

void km_fake_json_fault(enum km_fake_fault_kind kind, struct km_fake_reply *rep)
{
    if (kind == KM_FAKE_FAULT_429) {
        km_fake_reply_set(rep, 429, JSON_TYPE,
                          "{\"error\":\"too many requests\",\"message\":\"Rate limit exceeded\"}");
        km_fake_reply_header(rep, "Retry-After", "1");
    } else if (kind == KM_FAKE_FAULT_HTTP500) {
        km_fake_reply_set(rep, 500, JSON_TYPE, "{\"error\":\"internal server error\"}");
    } else {
        km_fake_reply_set(rep, 503, JSON_TYPE,
                          "{\"error\":\"maintenance\",\"message\":\"back in a minute\"}");
    }
}

/* A page size parameter within 1..JSON_PAGE_MAX, else the default. */
static size_t json_size_param(struct km_fake_req *req, const char *name)
{
    const char *v = km_fake_req_param(req, name);
    long n = v != NULL ? strtol(v, NULL, 10) : 0;
    return n < 1 ? JSON_PAGE_DEFAULT : n > JSON_PAGE_MAX ? JSON_PAGE_MAX : (size_t)n;
}

/* --- /portal/api/reports ------------------------------------------------------------ */

static void json_put_report(struct km_buf *b, const struct km_fake_ctx *ctx,
                            const struct km_fake_item *it)
{
    km_buf_puts(b, "{\"report_id\":");
    km_fake_json_str(b, it->id, 0);
    km_buf_puts(b, ",\"body\":");
    km_fake_json_str(b, it->tpl->text, 0);
    km_buf_printf(b, ",\"ts\":%lld,\"user\":", (long long)(it->created_ms / 1000));
    if (it->seq % 7 == 6) {
        km_buf_puts(b, "null"); /* anonymous reports have no user */
    } else {
        km_buf_puts(b, "{\"name\":");
        km_fake_json_str(b, json_names[it->seq % JSON_NNAMES], 0);
        km_buf_printf(b, ",\"id\":%zu}", 5000 + it->seq % JSON_NNAMES);
    }
    km_buf_printf(b, ",\"link\":\"http://127.0.0.1:%u/portal/reports/", ctx->port);
    km_fake_url_encode(b, it->id);
    km_buf_puts(b, "\",\"status\":\"new\"}");
}

/* Parses "r<n>" (absent: 0). Returns false for any other form. */
static bool json_cursor(const char *v, size_t *start)
{
    *start = 0;
    if (v == NULL) {
        return true;
    }
    char *end = NULL;
    if (v[0] != 'r' || v[1] < '0' || v[1] > '9') {
        return false;
    }
    *start = (size_t)strtoull(v + 1, &end, 10);
    return *end == '\0';
}

static void json_reports(struct km_fake_ctx *ctx, struct km_fake_req *req,
                         struct km_fake_reply *rep)
{
    const char *auth = km_fake_req_header(req, "Authorization");
    size_t start = 0, limit = json_size_param(req, "limit");
    if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0 || strcmp(auth + 7, ctx->tg_token) != 0) {
        km_fake_reply_set(rep, 401, JSON_TYPE,
                          "{\"error\":\"unauthorized\",\"message\":\"a valid bearer token is "
                          "required\"}");
        return;
    }
    if (!json_cursor(km_fake_req_param(req, "cursor"), &start)) {
        km_fake_reply_set(rep, 400, JSON_TYPE, "{\"error\":\"bad cursor\"}");
        return;
    }
    struct km_fake_store *s = &ctx->store;
    struct km_buf b = KM_BUF_INIT;
    pthread_mutex_lock(&s->lock);
    km_fake_store_sync(s);
    size_t end = start + limit < s->n_items ? start + limit : s->n_items;
    km_buf_printf(&b, "{\"data\":{\"total\":%zu,\"items\":[", s->n_items);
    for (size_t i = start; i < end; i++) {
        km_buf_puts(&b, i > start ? "," : "");
        json_put_report(&b, ctx, s->items[i]);
        km_fake_store_served(s, s->items[i]);
    }
    km_buf_printf(&b, "]},\"next\":\"r%zu\"}", end > start ? end : start);
    pthread_mutex_unlock(&s->lock);
    km_fake_reply_set(rep, 200, JSON_TYPE, b.data);
    km_buf_free(&b);
}

/* --- /portal/api/feed --------------------------------------------------------------- */

static void json_put_tags(struct km_buf *b, const char *text)
{
    struct km_fake_span *spans = NULL;
    size_t n = km_fake_text_spans(text, KM_FAKE_TAGS_NUMERIC, &spans), k = 0;
    km_buf_puts(b, ",\"tags\":[");
    for (size_t i = 0; i < n; i++) {
        if (spans[i].type == KM_FAKE_SPAN_HASHTAG) {
            km_buf_puts(b, k++ > 0 ? "," : "");
            km_fake_json_strn(b, text + spans[i].off + 1, spans[i].len - 1, 0);
        }
    }
    km_buf_putc(b, ']');
    free(spans);
}

static void json_put_entry(struct km_buf *b, const struct km_fake_ctx *ctx,
                           const struct km_fake_item *it)
{
    char created[40];
    km_fake_time_iso_ms(it->created_ms, created, sizeof(created));
    km_buf_puts(b, "{\"id\":");
    km_fake_json_str(b, it->id, 0);
    km_buf_puts(b, ",\"text\":");
    km_fake_json_str(b, it->tpl->text, 0);
    km_buf_printf(b, ",\"created\":\"%s\",\"author\":{\"login\":\"user%zu\"}", created,
                  it->seq % JSON_NNAMES);
    km_buf_printf(b, ",\"url\":\"http://127.0.0.1:%u/portal/feed/", ctx->port);
    km_fake_url_encode(b, it->id);
    km_buf_putc(b, '"');
    json_put_tags(b, it->tpl->text);
    km_buf_putc(b, '}');
}

static void json_feed(struct km_fake_ctx *ctx, struct km_fake_req *req, struct km_fake_reply *rep)
{
    const char *page_s = km_fake_req_param(req, "page");
    long page = page_s != NULL ? strtol(page_s, NULL, 10) : 1;
    size_t per = json_size_param(req, "per_page");
    if (page < 1 || page > 1000000) {
        km_fake_reply_set(rep, 400, JSON_TYPE, "{\"error\":\"page must be 1 or more\"}");
        return;
    }
    struct km_fake_store *s = &ctx->store;
    struct km_buf b = KM_BUF_INIT;
    size_t start = ((size_t)page - 1) * per;
    pthread_mutex_lock(&s->lock);
    km_fake_store_sync(s);
    size_t end = start + per < s->n_items ? start + per : s->n_items;
    km_buf_putc(&b, '[');
    for (size_t i = start; i < end; i++) {
        km_buf_puts(&b, i > start ? "," : "");
        json_put_entry(&b, ctx, s->items[i]);
        km_fake_store_served(s, s->items[i]);
    }
    km_buf_putc(&b, ']');
    if (end < s->n_items) {
        km_fake_reply_header(rep, "Link",
                             "<http://127.0.0.1:%u/portal/api/feed?page=%ld&per_page=%zu>; "
                             "rel=\"next\", <http://127.0.0.1:%u/portal/api/feed?page=1&"
                             "per_page=%zu>; rel=\"first\"",
                             ctx->port, page + 1, per, ctx->port, per);
    }
    pthread_mutex_unlock(&s->lock);
    km_fake_reply_set(rep, 200, JSON_TYPE, b.data);
    km_buf_free(&b);
}

void km_fake_json_handle(struct km_fake_ctx *ctx, struct km_fake_req *req,
                         struct km_fake_reply *rep)
{
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        km_fake_reply_set(rep, 405, JSON_TYPE, "{\"error\":\"method not allowed\"}");
    } else if (strcmp(req->url, "/portal/api/reports") == 0) {
        json_reports(ctx, req, rep);
    } else if (strcmp(req->url, "/portal/api/feed") == 0) {
        json_feed(ctx, req, rep);
    } else {
        km_fake_reply_set(rep, 404, JSON_TYPE, "{\"error\":\"not found\"}");
    }
}
