#include "test/fake/fake_mastodon.h"

#include "common/alloc.h"
#include "common/time.h"
#include "test/fake/fake_replies.h"
#include "test/fake/fake_text.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* "limit": default 20, max 40 (methods/timelines). */
#define MST_LIMIT_DEFAULT 20
#define MST_LIMIT_MAX     40
/* any[]/all[]/none[] apply at most 4 tags in total (methods/timelines). */
#define MST_QUERY_TAGS_MAX 4
/* Distinct tags kept per status; the sample posts have at most 4. */
#define MST_STATUS_TAGS_MAX 16
/* Mastodon's default API limit: 300 requests per 5 minutes per account or IP. */
#define MST_RATE_LIMIT     300
#define MST_RATE_WINDOW_MS (5 * 60 * 1000)
/* Links longer than this are shown shortened (Mastodon's TextFormatter). */
#define MST_LINK_SHOWN 30

#define MST_HOST "https://fake.social"
#define MST_JSON KM_FAKE_JSON_HTMLSAFE
#define MST_TYPE "application/json; charset=utf-8"

static const struct mst_account {
    const char *id, *username, *acct, *display_name, *url, *uri_base;
} mst_accounts[] = {
    {"109347201111111101", "aliya_n", "aliya_n", "Алия Н.", MST_HOST "/@aliya_n",
     MST_HOST "/users/aliya_n"},
    {"109347201111111102", "bauyrzhan", "bauyrzhan@mastodon.kz.example", "Бауыржан",
     "https://mastodon.kz.example/@bauyrzhan", "https://mastodon.kz.example/users/bauyrzhan"},
    {"109347201111111103", "ksenia_astana", "ksenia_astana", "Ксения 🌿", MST_HOST "/@ksenia_astana",
     MST_HOST "/users/ksenia_astana"},
    {"109347201111111104", "daniyar_t", "daniyar_t@social.example", "Daniyar T.",
     "https://social.example/@daniyar_t", "https://social.example/users/daniyar_t"},
    {"109347201111111105", "gulnara_k", "gulnara_k", "Гүлнара", MST_HOST "/@gulnara_k",
     MST_HOST "/users/gulnara_k"},
    {"109347201111111106", "astana_watch", "astana_watch", "Astana Watch",
     MST_HOST "/@astana_watch", MST_HOST "/users/astana_watch"},
};
#define MST_NACCOUNTS (sizeof(mst_accounts) / sizeof(mst_accounts[0]))

struct mst_tags {
    char *name[MST_STATUS_TAGS_MAX]; /* case-folded, unique */
    size_t n;
};

void km_fake_mst_plan(struct km_fake_store *s)
{
    s->mst_last_id = 0;
    s->mst_window_ms = 0;
    s->mst_used = 0;
}

void km_fake_mst_assign(struct km_fake_store *s, struct km_fake_item *it)
{
    uint64_t id = ((uint64_t)it->created_ms << 16) | (it->seq & 0xffff);
    if (id <= s->mst_last_id) {
        id = s->mst_last_id + 1;
    }
    it->mst_id = id;
    s->mst_last_id = id;
}

static unsigned mst_rules(const struct km_fake_ctx *ctx)
{
    return KM_FAKE_TAGS_AFTER_SPACE | (ctx->numeric_tags ? KM_FAKE_TAGS_NUMERIC : 0);
}

static void mst_tags_add(struct mst_tags *t, const char *tag, size_t len)
{
    char *raw = km_strndup(tag, len);
    char *folded = km_fake_casefold(raw);
    free(raw);
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->name[i], folded) == 0) {
            free(folded);
            return;
        }
    }
    if (t->n == MST_STATUS_TAGS_MAX) {
        free(folded);
        return;
    }
    t->name[t->n++] = folded;
}

static void mst_tags_of(const char *text, unsigned rules, struct mst_tags *t)
{
    struct km_fake_span *spans = NULL;
    size_t n = km_fake_text_spans(text, rules, &spans);
    t->n = 0;
    for (size_t i = 0; i < n; i++) {
        if (spans[i].type == KM_FAKE_SPAN_HASHTAG) {
            mst_tags_add(t, text + spans[i].off + 1, spans[i].len - 1);
        }
    }
    free(spans);
}

static void mst_tags_free(struct mst_tags *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->name[i]);
    }
    t->n = 0;
}

/* --- content HTML --- */

/* Escapes plain text; a blank line starts a new paragraph, a newline becomes <br>. */
static void mst_html_text(struct km_buf *h, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '\n') {
            km_fake_xml_escape(h, s + i, 1);
        } else if (i + 1 < len && s[i + 1] == '\n') {
            km_buf_puts(h, "</p><p>");
            while (i + 1 < len && s[i + 1] == '\n') {
                i++;
            }
        } else {
            km_buf_puts(h, "<br>");
        }
    }
}

static void mst_html_link(struct km_buf *h, const char *url, size_t len)
{
    size_t scheme = strncmp(url, "https://", 8) == 0 ? 8 : 7;
    km_buf_puts(h, "<a href=\"");
    km_fake_xml_escape(h, url, len);
    km_buf_puts(h, "\" target=\"_blank\" rel=\"nofollow noopener noreferrer\" translate=\"no\">"
                   "<span class=\"invisible\">");
    km_fake_xml_escape(h, url, scheme);
    const char *rest = url + scheme;
    size_t rest_len = len - scheme, shown = rest_len;
    if (rest_len > MST_LINK_SHOWN) {
        shown = MST_LINK_SHOWN;
        while (shown > 0 && ((unsigned char)rest[shown] & 0xc0) == 0x80) {
            shown--;
        }
    }
    km_buf_puts(h,
                shown < rest_len ? "</span><span class=\"ellipsis\">" : "</span><span class=\"\">");
    km_fake_xml_escape(h, rest, shown);
    km_buf_puts(h, "</span><span class=\"invisible\">");
    km_fake_xml_escape(h, rest + shown, rest_len - shown);
    km_buf_puts(h, "</span></a>");
}

static void mst_html_entity(struct km_buf *h, const char *text, const struct km_fake_span *sp)
{
    const char *name = text + sp->off + 1;
    size_t len = sp->len - 1;
    char *word = km_strndup(name, len);
    if (sp->type == KM_FAKE_SPAN_HASHTAG) {
        km_buf_puts(h, "<a href=\"" MST_HOST "/tags/");
        km_fake_url_encode(h, word);
        km_buf_puts(h, "\" class=\"mention hashtag\" rel=\"tag\">#<span>");
        km_fake_xml_escape(h, name, len);
        km_buf_puts(h, "</span></a>");
    } else if (sp->type == KM_FAKE_SPAN_MENTION) {
        km_buf_printf(h,
                      "<span class=\"h-card\" translate=\"no\"><a href=\"" MST_HOST "/@%s\" "
                      "class=\"u-url mention\">@<span>%s</span></a></span>",
                      word, word);
    } else {
        mst_html_link(h, text + sp->off, sp->len);
    }
    free(word);
}

/* The status content as Mastodon renders a plain-text post. Caller frees. */
static char *mst_content(const char *text, unsigned rules)
{
    struct km_buf h = KM_BUF_INIT;
    struct km_fake_span *spans = NULL;
    size_t n = km_fake_text_spans(text, rules, &spans), at = 0;
    km_buf_puts(&h, "<p>");
    for (size_t i = 0; i < n; i++) {
        mst_html_text(&h, text + at, spans[i].off - at);
        mst_html_entity(&h, text, &spans[i]);
        at = spans[i].off + spans[i].len;
    }
    mst_html_text(&h, text + at, strlen(text) - at);
    km_buf_puts(&h, "</p>");
    free(spans);
    return km_buf_take(&h);
}

/* --- status JSON --- */

static void mst_put_account(struct km_buf *b, const struct mst_account *a)
{
    km_buf_printf(b, "{\"id\":\"%s\",\"username\":", a->id);
    km_fake_json_str(b, a->username, MST_JSON);
    km_buf_puts(b, ",\"acct\":");
    km_fake_json_str(b, a->acct, MST_JSON);
    km_buf_puts(b, ",\"display_name\":");
    km_fake_json_str(b, a->display_name, MST_JSON);
    km_buf_puts(b, ",\"locked\":false,\"bot\":false,\"discoverable\":true,\"group\":false,"
                   "\"created_at\":\"2023-02-01T00:00:00.000Z\",\"note\":\"\",\"url\":");
    km_fake_json_str(b, a->url, MST_JSON);
    km_buf_puts(b, ",\"avatar\":\"" MST_HOST "/avatars/original/missing.png\","
                   "\"avatar_static\":\"" MST_HOST "/avatars/original/missing.png\","
                   "\"header\":\"" MST_HOST "/headers/original/missing.png\","
                   "\"header_static\":\"" MST_HOST "/headers/original/missing.png\","
                   "\"followers_count\":42,\"following_count\":17,\"statuses_count\":230,"
                   "\"emojis\":[],\"fields\":[]}");
}

static void mst_put_mentions(struct km_buf *b, const char *text, unsigned rules)
{
    struct km_fake_span *spans = NULL;
    size_t n = km_fake_text_spans(text, rules, &spans), k = 0;
    km_buf_puts(b, ",\"mentions\":[");
    for (size_t i = 0; i < n; i++) {
        if (spans[i].type != KM_FAKE_SPAN_MENTION) {
            continue;
        }
        int len = (int)spans[i].len - 1;
        const char *name = text + spans[i].off + 1;
        km_buf_printf(b,
                      "%s{\"id\":\"1093472099990%05zu\",\"username\":\"%.*s\","
                      "\"url\":\"" MST_HOST "/@%.*s\",\"acct\":\"%.*s\"}",
                      k++ > 0 ? "," : "", spans[i].off, len, name, len, name, len, name);
    }
    km_buf_putc(b, ']');
    free(spans);
}

static void mst_put_tags(struct km_buf *b, const struct mst_tags *t)
{
    km_buf_puts(b, ",\"tags\":[");
    for (size_t i = 0; i < t->n; i++) {
        km_buf_puts(b, i > 0 ? ",{\"name\":" : "{\"name\":");
        km_fake_json_str(b, t->name[i], MST_JSON);
        km_buf_puts(b, ",\"url\":\"" MST_HOST "/tags/");
        km_fake_url_encode(b, t->name[i]);
        km_buf_puts(b, "\"}");
    }
    km_buf_putc(b, ']');
}

static void mst_put_status(struct km_buf *b, const struct km_fake_ctx *ctx,
                           const struct km_fake_item *it)
{
    const struct km_fake_tpl *t = it->tpl;
    const struct mst_account *a = &mst_accounts[t->nth % MST_NACCOUNTS];
    unsigned rules = mst_rules(ctx);
    char created[40];
    km_fake_time_iso_ms(it->created_ms, created, sizeof(created));
    const char *lang = t->lang != NULL && strcmp(t->lang, "mixed") != 0 ? t->lang : NULL;
    km_buf_printf(b,
                  "{\"id\":\"%llu\",\"created_at\":\"%s\",\"in_reply_to_id\":null,"
                  "\"in_reply_to_account_id\":null,\"sensitive\":false,\"spoiler_text\":\"\","
                  "\"visibility\":\"public\",\"language\":",
                  (unsigned long long)it->mst_id, created);
    km_fake_json_str(b, lang, MST_JSON);
    km_buf_printf(b,
                  ",\"uri\":\"%s/statuses/%llu\",\"url\":\"%s/%llu\",\"replies_count\":%zu,"
                  "\"reblogs_count\":%zu,\"favourites_count\":%zu,\"edited_at\":null,"
                  "\"content\":",
                  a->uri_base, (unsigned long long)it->mst_id, a->url,
                  (unsigned long long)it->mst_id, t->nth % 4, (t->nth * 7) % 11,
                  (t->nth * 13) % 23);
    char *content = mst_content(t->text, rules);
    km_fake_json_str(b, content, MST_JSON);
    free(content);
    km_buf_puts(b, ",\"reblog\":null,\"account\":");
    mst_put_account(b, a);
    km_buf_puts(b, ",\"media_attachments\":[]");
    mst_put_mentions(b, t->text, rules);
    struct mst_tags tags;
    mst_tags_of(t->text, rules, &tags);
    mst_put_tags(b, &tags);
    mst_tags_free(&tags);
    km_buf_puts(b, ",\"emojis\":[],\"card\":null,\"poll\":null}");
}

/* --- timeline query --- */

struct mst_query {
    const char *tag;                     /* path tag, as requested */
    struct mst_tags want;                /* path tag and any[] tags, folded */
    const char *any[MST_QUERY_TAGS_MAX]; /* any[] values, as requested */
    size_t n_any;
    uint64_t min_id, max_id, since_id; /* 0 = not given (or 0) */
    bool has_min_id;                   /* min_id given: page forward from it */
    size_t limit;
    bool has_limit;
};

/* A status id parameter; ids that are not decimal numbers count as absent (0). Returns
 * whether the parameter was given. */
static bool mst_id_param(struct km_fake_req *req, const char *name, uint64_t *out)
{
    const char *v = km_fake_req_param(req, name);
    *out = 0;
    if (v == NULL || *v < '0' || *v > '9') {
        return false;
    }
    errno = 0;
    char *end = NULL;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno != 0 || *end != '\0') {
        return false;
    }
    *out = (uint64_t)n;
    return true;
}

static void mst_query_parse(struct km_fake_req *req, const char *tag, struct mst_query *q)
{
    memset(q, 0, sizeof(*q));
    q->tag = tag;
    mst_tags_add(&q->want, tag, strlen(tag));
    q->n_any = km_fake_req_params(req, "any[]", q->any, MST_QUERY_TAGS_MAX - 1);
    for (size_t i = 0; i < q->n_any; i++) {
        mst_tags_add(&q->want, q->any[i], strlen(q->any[i]));
    }
    q->has_min_id = mst_id_param(req, "min_id", &q->min_id);
    mst_id_param(req, "max_id", &q->max_id);
    mst_id_param(req, "since_id", &q->since_id);
    const char *limit = km_fake_req_param(req, "limit");
    long n = limit != NULL ? strtol(limit, NULL, 10) : 0;
    q->has_limit = limit != NULL;
    q->limit = n <= 0 ? MST_LIMIT_DEFAULT : n > MST_LIMIT_MAX ? MST_LIMIT_MAX : (size_t)n;
}

static bool mst_matches(const struct km_fake_item *it, const struct mst_query *q, unsigned rules)
{
    if (it->tpl->net != KM_FAKE_MASTODON || (q->max_id != 0 && it->mst_id >= q->max_id) ||
        it->mst_id <= q->min_id || it->mst_id <= q->since_id) {
        return false;
    }
    struct mst_tags tags;
    mst_tags_of(it->tpl->text, rules, &tags);
    bool hit = false;
    for (size_t i = 0; i < tags.n && !hit; i++) {
        for (size_t j = 0; j < q->want.n && !hit; j++) {
            hit = strcmp(tags.name[i], q->want.name[j]) == 0;
        }
    }
    mst_tags_free(&tags);
    return hit;
}

/* Fills out (newest first) with at most q->limit matching items. With min_id the page is
 * the one right after min_id; otherwise the newest one. Caller holds the lock. */
static size_t mst_select(struct km_fake_store *s, const struct mst_query *q, unsigned rules,
                         struct km_fake_item **out)
{
    size_t n = 0;
    if (q->has_min_id) {
        for (size_t i = 0; i < s->n_items && n < q->limit; i++) {
            if (mst_matches(s->items[i], q, rules)) {
                out[n++] = s->items[i];
            }
        }
        for (size_t i = 0; i < n / 2; i++) {
            struct km_fake_item *tmp = out[i];
            out[i] = out[n - 1 - i];
            out[n - 1 - i] = tmp;
        }
        return n;
    }
    for (size_t i = s->n_items; i > 0 && n < q->limit; i--) {
        if (mst_matches(s->items[i - 1], q, rules)) {
            out[n++] = s->items[i - 1];
        }
    }
    return n;
}

/* "<base?...&key=id>; rel=..." for the Link header. */
static void mst_link(struct km_buf *b, const struct km_fake_ctx *ctx, const struct mst_query *q,
                     const char *key, uint64_t id, const char *rel)
{
    km_buf_printf(b, "<http://127.0.0.1:%u/api/v1/timelines/tag/", ctx->port);
    km_fake_url_encode(b, q->tag);
    km_buf_printf(b, "?%s=%llu", key, (unsigned long long)id);
    if (q->has_limit) {
        km_buf_printf(b, "&limit=%zu", q->limit);
    }
    for (size_t i = 0; i < q->n_any; i++) {
        km_buf_puts(b, "&any%5B%5D=");
        km_fake_url_encode(b, q->any[i]);
    }
    km_buf_printf(b, ">; rel=\"%s\"", rel);
}

/* Counts the request in the current 5-minute window and adds the rate-limit headers.
 * Caller holds the lock. */
static void mst_rate_headers(struct km_fake_store *s, struct km_fake_reply *rep)
{
    int64_t now = km_time_now_ms();
    int64_t window = now - now % MST_RATE_WINDOW_MS;
    if (window != s->mst_window_ms) {
        s->mst_window_ms = window;
        s->mst_used = 0;
    }
    s->mst_used++;
    char reset[40];
    km_fake_time_iso_us(window + MST_RATE_WINDOW_MS, reset, sizeof(reset));
    km_fake_reply_header(rep, "X-RateLimit-Limit", "%d", MST_RATE_LIMIT);
    km_fake_reply_header(rep, "X-RateLimit-Remaining", "%u",
                         s->mst_used >= MST_RATE_LIMIT ? 0 : MST_RATE_LIMIT - s->mst_used);
    km_fake_reply_header(rep, "X-RateLimit-Reset", "%s", reset);
}

static void mst_timeline(struct km_fake_ctx *ctx, struct km_fake_req *req, const char *tag,
                         struct km_fake_reply *rep)
{
    struct mst_query q;
    mst_query_parse(req, tag, &q);
    unsigned rules = mst_rules(ctx);
    struct km_fake_item **page = km_calloc(q.limit, sizeof(*page));
    struct km_buf b = KM_BUF_INIT, link = KM_BUF_INIT;
    struct km_fake_store *s = &ctx->store;
    pthread_mutex_lock(&s->lock);
    km_fake_store_sync(s);
    mst_rate_headers(s, rep);
    size_t n = mst_select(s, &q, rules, page);
    km_buf_putc(&b, '[');
    for (size_t i = 0; i < n; i++) {
        km_buf_puts(&b, i > 0 ? "," : "");
        mst_put_status(&b, ctx, page[i]);
        km_fake_store_served(s, page[i]);
    }
    km_buf_putc(&b, ']');
    if (n > 0) {
        mst_link(&link, ctx, &q, "max_id", page[n - 1]->mst_id, "next");
        km_buf_puts(&link, ", ");
        mst_link(&link, ctx, &q, "min_id", page[0]->mst_id, "prev");
        km_fake_reply_header(rep, "Link", "%s", link.data);
    }
    pthread_mutex_unlock(&s->lock);
    km_fake_reply_set(rep, 200, MST_TYPE, b.data);
    km_buf_free(&b);
    km_buf_free(&link);
    free(page);
    mst_tags_free(&q.want);
}

/* --- replies: status lookup (search, show) and posting --- */

/* Mastodon's default status length limit (instances may raise it). */
#define MST_STATUS_CHARS_MAX 500
/* The account the desk posts as. */
#define MST_DESK_ACCT "komek_desk"

static bool mst_authorized(const struct km_fake_ctx *ctx, struct km_fake_req *req,
                           struct km_fake_reply *rep)
{
    const char *auth = km_fake_req_header(req, "Authorization");
    if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0 || strcmp(auth + 7, ctx->tg_token) != 0) {
        km_fake_reply_set(rep, 401, MST_TYPE, "{\"error\":\"The access token is invalid\"}");
        return false;
    }
    return true;
}

/* The released status with this URI (uri != NULL) or local id. Caller holds the lock. */
static struct km_fake_item *mst_find(struct km_fake_store *s, const char *uri, uint64_t id)
{
    for (size_t i = 0; i < s->n_items; i++) {
        struct km_fake_item *it = s->items[i];
        if (it->tpl->net != KM_FAKE_MASTODON) {
            continue;
        }
        const struct mst_account *a = &mst_accounts[it->tpl->nth % MST_NACCOUNTS];
        char *its = km_asprintf("%s/statuses/%llu", a->uri_base, (unsigned long long)it->mst_id);
        bool hit = uri != NULL ? strcmp(its, uri) == 0 : it->mst_id == id;
        free(its);
        if (hit) {
            return it;
        }
    }
    return NULL;
}

/* GET /api/v2/search?q=URI&type=statuses&resolve=true (resolving needs a token). */
static void mst_search(struct km_fake_ctx *ctx, struct km_fake_req *req, struct km_fake_reply *rep)
{
    const char *q = km_fake_req_param(req, "q");
    const char *resolve = km_fake_req_param(req, "resolve");
    if (resolve != NULL && strcmp(resolve, "true") == 0 && !mst_authorized(ctx, req, rep)) {
        return;
    }
    struct km_buf b = KM_BUF_INIT;
    struct km_fake_store *s = &ctx->store;
    km_buf_puts(&b, "{\"accounts\":[],\"statuses\":[");
    pthread_mutex_lock(&s->lock);
    km_fake_store_sync(s);
    struct km_fake_item *it = q != NULL ? mst_find(s, q, 0) : NULL;
    if (it != NULL) {
        mst_put_status(&b, ctx, it);
    }
    pthread_mutex_unlock(&s->lock);
    km_buf_puts(&b, "],\"hashtags\":[]}");
    km_fake_reply_set(rep, 200, MST_TYPE, b.data);
    km_buf_free(&b);
}

/* GET /api/v1/statuses/ID */
static void mst_show(struct km_fake_ctx *ctx, const char *id, struct km_fake_reply *rep)
{
    struct km_buf b = KM_BUF_INIT;
    struct km_fake_store *s = &ctx->store;
    pthread_mutex_lock(&s->lock);
    km_fake_store_sync(s);
    struct km_fake_item *it = mst_find(s, NULL, strtoull(id, NULL, 10));
    if (it != NULL) {
        mst_put_status(&b, ctx, it);
    }
    pthread_mutex_unlock(&s->lock);
    km_fake_reply_set(rep, it != NULL ? 200 : 404, MST_TYPE,
                      it != NULL ? b.data : "{\"error\":\"Record not found\"}");
    km_buf_free(&b);
}

static size_t mst_chars(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        n += (*p & 0xC0) != 0x80;
    }
    return n;
}

/* The new status, as POST /api/v1/statuses answers it. */
static void mst_put_posted(struct km_buf *b, uint64_t id, const char *status, const char *reply_to,
                           const char *visibility)
{
    char created[40];
    km_fake_time_iso_ms(km_time_now_ms(), created, sizeof(created));
    km_buf_printf(b, "{\"id\":\"%llu\",\"created_at\":\"%s\",\"in_reply_to_id\":",
                  (unsigned long long)id, created);
    km_fake_json_str(b, reply_to, MST_JSON);
    km_buf_puts(b, ",\"visibility\":");
    km_fake_json_str(b, visibility != NULL ? visibility : "public", MST_JSON);
    km_buf_printf(b,
                  ",\"uri\":\"" MST_HOST "/users/" MST_DESK_ACCT "/statuses/%llu\","
                  "\"url\":\"" MST_HOST "/@" MST_DESK_ACCT "/%llu\",\"content\":",
                  (unsigned long long)id, (unsigned long long)id);
    struct km_buf html = KM_BUF_INIT;
    km_buf_puts(&html, "<p>");
    km_fake_xml_escape(&html, status, strlen(status));
    km_buf_puts(&html, "</p>");
    km_fake_json_str(b, html.data, MST_JSON);
    km_buf_puts(b, ",\"account\":{\"id\":\"109347201111111199\",\"username\":\"" MST_DESK_ACCT
                   "\",\"acct\":\"" MST_DESK_ACCT "\"}}");
    km_buf_free(&html);
}

/* POST /api/v1/statuses: records the reply (GET /_fake/replies). */
static void mst_post_status(struct km_fake_ctx *ctx, struct km_fake_req *req,
                            struct km_fake_reply *rep)
{
    static uint64_t posted = 0;
    const char *status = km_fake_req_param(req, "status");
    const char *reply_to = km_fake_req_param(req, "in_reply_to_id");
    struct km_fake_store *s = &ctx->store;
    if (!mst_authorized(ctx, req, rep)) {
        return;
    }
    if (status == NULL || *status == '\0') {
        km_fake_reply_set(rep, 422, MST_TYPE,
                          "{\"error\":\"Validation failed: Text can't be blank\"}");
        return;
    }
    if (mst_chars(status) > MST_STATUS_CHARS_MAX) {
        km_fake_reply_set(
            rep, 422, MST_TYPE,
            "{\"error\":\"Validation failed: Text character limit of 500 exceeded\"}");
        return;
    }
    pthread_mutex_lock(&s->lock);
    km_fake_store_sync(s);
    bool found = reply_to == NULL || mst_find(s, NULL, strtoull(reply_to, NULL, 10)) != NULL;
    uint64_t id = found ? s->mst_last_id + (++posted) * 1000000ULL : 0;
    pthread_mutex_unlock(&s->lock);
    if (!found) {
        km_fake_reply_set(rep, 404, MST_TYPE, "{\"error\":\"Record not found\"}");
        return;
    }
    km_fake_replies_add("mastodon", NULL, reply_to, status);
    struct km_buf b = KM_BUF_INIT;
    mst_put_posted(&b, id, status, reply_to, km_fake_req_param(req, "visibility"));
    km_fake_reply_set(rep, 200, MST_TYPE, b.data);
    km_buf_free(&b);
}

/* The desk's requests; false if url is none of them. */
static bool mst_reply_routes(struct km_fake_ctx *ctx, struct km_fake_req *req,
                             struct km_fake_reply *rep)
{
    static const char show[] = "/api/v1/statuses/";
    bool get = strcmp(req->method, "GET") == 0;
    if (strcmp(req->method, "POST") == 0 && strcmp(req->url, "/api/v1/statuses") == 0) {
        mst_post_status(ctx, req, rep);
    } else if (get && strcmp(req->url, "/api/v2/search") == 0) {
        mst_search(ctx, req, rep);
    } else if (get && strncmp(req->url, show, strlen(show)) == 0 &&
               req->url[strlen(show)] != '\0' &&
               strspn(req->url + strlen(show), "0123456789") == strlen(req->url + strlen(show))) {
        mst_show(ctx, req->url + strlen(show), rep);
    } else {
        return false;
    }
    return true;
}

void km_fake_mst_handle(struct km_fake_ctx *ctx, struct km_fake_req *req, struct km_fake_reply *rep)
{
    static const char prefix[] = "/api/v1/timelines/tag/";
    const char *tag = req->url + strlen(prefix);
    if (mst_reply_routes(ctx, req, rep)) {
        return;
    }
    if (strncmp(req->url, prefix, strlen(prefix)) != 0 || *tag == '\0' ||
        strchr(tag, '/') != NULL) {
        km_fake_reply_set(rep, 404, MST_TYPE, "{\"error\":\"Record not found\"}");
        return;
    }
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        km_fake_reply_set(rep, 405, MST_TYPE, "{\"error\":\"Method not allowed\"}");
        return;
    }
    mst_timeline(ctx, req, tag, rep);
}
