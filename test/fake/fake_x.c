#include "test/fake/fake_x.h"

#include "common/alloc.h"
#include "common/time.h"
#include "test/fake/fake_text.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define X_TYPE "application/json; charset=utf-8"
/* Twitter's snowflake epoch, and the bits below the timestamp. */
#define X_TWEPOCH_MS 1288834974657LL
#define X_SEQ_BITS   22
/* max_results: default 10, between 10 and 100 (recent search reference). */
#define X_RESULTS_DEFAULT 10
#define X_RESULTS_MIN     10
#define X_RESULTS_MAX     100
/* Longest query of the standard tiers, in characters. */
#define X_QUERY_MAX_CHARS 512
/* Distinct tags kept per query and per tweet; 512 characters hold fewer query tags and the
 * sample posts have at most 4. */
#define X_TAGS_MAX 32
/* App-level recent search limit: 450 requests per 15-minute window. */
#define X_RATE_LIMIT     450
#define X_RATE_WINDOW_MS (15 * 60 * 1000)
/* Recent search reaches 7 days back; retweeted originals are older than that. */
#define X_REACH_MS    (7LL * 24 * 3600 * 1000)
#define X_ORIG_AGE_MS (8LL * 24 * 3600 * 1000)
/* A retweet's text is cut to the old 140-character limit. */
#define X_RT_CHARS 140
/* Seconds a faulted client is told to wait. */
#define X_FAULT_RETRY_S 1
#define X_ELLIPSIS      "\xe2\x80\xa6"
#define X_TOKEN_PREFIX  "xpt_"

static const struct x_account {
    const char *id, *username, *name;
} x_accounts[] = {
    {"1467891234", "aigul_example", "Айгуль 🌷"},
    {"1502233445", "marat_example", "Марат"},
    {"3301234567", "astana109_example", "Astana 109"},
    {"1600000000000000001", "daniyar_example", "Daniyar T."},
    {"1234567890123456789", "gulnara_example", "Гүлнара"},
};
#define X_NACCOUNTS (sizeof(x_accounts) / sizeof(x_accounts[0]))

/* The current rate window; guarded by the store lock (one fake server per process). */
static int64_t x_window_ms;
static unsigned x_used;

struct x_tags {
    char *name[X_TAGS_MAX]; /* case-folded, unique */
    size_t n;
};

struct x_query {
    struct x_tags want;
    bool no_retweets;
    size_t max;
    uint64_t since_id, until_id, below; /* 0 = not given; below comes from the token */
};

/* What one answer shows: its tweets and the users they name. */
struct x_page {
    struct km_fake_item **items;
    size_t n;
    bool more;
    bool users[X_NACCOUNTS];
};

/* ---- ids and kinds of tweets ------------------------------------------------------- */

static uint64_t x_snowflake(int64_t ms, size_t seq)
{
    int64_t rel = ms > X_TWEPOCH_MS ? ms - X_TWEPOCH_MS : 0;
    return ((uint64_t)rel << X_SEQ_BITS) | (seq & ((1u << X_SEQ_BITS) - 1));
}

static uint64_t x_id(const struct km_fake_item *it)
{
    return x_snowflake(it->created_ms, it->seq);
}

static bool x_is_retweet(const struct km_fake_item *it)
{
    return it->seq % 4 == 3;
}

static bool x_is_reply(const struct km_fake_item *it)
{
    return it->seq % 4 == 1;
}

static size_t x_author(const struct km_fake_item *it)
{
    return it->seq % X_NACCOUNTS;
}

/* The author of a retweeted original. */
static size_t x_orig_author(const struct km_fake_item *it)
{
    return (it->seq + 1) % X_NACCOUNTS;
}

static uint64_t x_orig_id(const struct km_fake_item *it)
{
    return x_snowflake(it->created_ms - X_ORIG_AGE_MS, it->seq);
}

/* Code points in s[0..len), as X counts offsets and lengths. */
static size_t x_cps(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        n += ((unsigned char)s[i] & 0xc0) != 0x80;
    }
    return n;
}

/* "RT @user: text", cut to X_RT_CHARS characters with "…" when longer. Caller frees. */
static char *x_rt_text(const struct km_fake_item *it)
{
    char *full = km_asprintf("RT @%s: %s", x_accounts[x_orig_author(it)].username, it->tpl->text);
    size_t len = strlen(full);
    if (x_cps(full, len) <= X_RT_CHARS) {
        return full;
    }
    size_t keep = 0, cps = 0;
    while (keep < len && cps < X_RT_CHARS - 1) {
        keep++;
        while (keep < len && ((unsigned char)full[keep] & 0xc0) == 0x80) {
            keep++;
        }
        cps++;
    }
    char *cut = km_asprintf("%.*s" X_ELLIPSIS, (int)keep, full);
    free(full);
    return cut;
}

/* ---- hashtags ---------------------------------------------------------------------- */

static unsigned x_rules(const struct km_fake_ctx *ctx)
{
    return ctx->numeric_tags ? KM_FAKE_TAGS_NUMERIC : 0;
}

static void x_tags_add(struct x_tags *t, const char *tag, size_t len)
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
    if (t->n == X_TAGS_MAX) {
        free(folded);
        return;
    }
    t->name[t->n++] = folded;
}

static void x_tags_free(struct x_tags *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->name[i]);
    }
    t->n = 0;
}

static bool x_matches(const struct km_fake_item *it, const struct x_query *q, unsigned rules)
{
    struct km_fake_span *spans = NULL;
    size_t n = km_fake_text_spans(it->tpl->text, rules, &spans);
    struct x_tags tags = {{0}, 0};
    for (size_t i = 0; i < n; i++) {
        if (spans[i].type == KM_FAKE_SPAN_HASHTAG) {
            x_tags_add(&tags, it->tpl->text + spans[i].off + 1, spans[i].len - 1);
        }
    }
    free(spans);
    bool hit = false;
    for (size_t i = 0; i < tags.n && !hit; i++) {
        for (size_t j = 0; j < q->want.n && !hit; j++) {
            hit = strcmp(tags.name[i], q->want.name[j]) == 0;
        }
    }
    x_tags_free(&tags);
    return hit;
}

/* ---- errors ------------------------------------------------------------------------ */

/* 400 Invalid Request naming the refused parameter and its value. */
static void x_invalid(struct km_fake_reply *rep, const char *param, const char *value,
                      const char *message)
{
    struct km_buf b = KM_BUF_INIT;
    km_buf_printf(&b, "{\"errors\":[{\"parameters\":{\"%s\":[", param);
    km_fake_json_str(&b, value != NULL ? value : "", 0);
    km_buf_puts(&b, "]},\"message\":");
    km_fake_json_str(&b, message, 0);
    km_buf_puts(&b, "}],\"title\":\"Invalid Request\",\"detail\":\"One or more parameters to your "
                    "request was invalid.\",\"type\":\"https://api.twitter.com/2/problems/"
                    "invalid-request\"}");
    km_fake_reply_set(rep, 400, X_TYPE, b.data);
    km_buf_free(&b);
}

static void x_invalid_value(struct km_fake_reply *rep, const char *param, const char *value)
{
    char *msg = km_asprintf("The `%s` query parameter value [%s] is not valid", param, value);
    x_invalid(rep, param, value, msg);
    free(msg);
}

/* ---- the query --------------------------------------------------------------------- */

/* An id parameter: absent is 0; false (400 in rep) when it is not a decimal id. */
static bool x_id_param(struct km_fake_req *req, const char *name, uint64_t *out,
                       struct km_fake_reply *rep)
{
    const char *v = km_fake_req_param(req, name);
    *out = 0;
    if (v == NULL) {
        return true;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno != 0 || *v < '0' || *v > '9' || *end != '\0' || n == 0) {
        x_invalid_value(rep, name, v);
        return false;
    }
    *out = (uint64_t)n;
    return true;
}

/* A since_id older than the 7-day reach is refused with the oldest id accepted, as X does. */
static bool x_since_in_reach(uint64_t since_id, struct km_fake_reply *rep)
{
    int64_t oldest_ms = km_time_now_ms() - X_REACH_MS;
    if (since_id == 0 || (int64_t)(since_id >> X_SEQ_BITS) + X_TWEPOCH_MS >= oldest_ms) {
        return true;
    }
    char when[40], value[24];
    km_fake_time_iso_ms(oldest_ms, when, sizeof(when));
    snprintf(value, sizeof(value), "%" PRIu64, since_id);
    char *msg = km_asprintf("'since_id' must be a tweet id created after %.16sZ. Please use a "
                            "'since_id' that is larger than %" PRIu64,
                            when, x_snowflake(oldest_ms, 0));
    x_invalid(rep, "since_id", value, msg);
    free(msg);
    return false;
}

/* "#a OR (#b OR #c) -is:retweet". Returns false with a 400 in rep for anything else. */
static bool x_query_terms(const char *query, struct x_query *q, struct km_fake_reply *rep)
{
    char *copy = km_strdup(query), *save = NULL;
    bool ok = true;
    for (char *w = strtok_r(copy, " ", &save); w != NULL && ok; w = strtok_r(NULL, " ", &save)) {
        while (*w == '(') {
            w++;
        }
        size_t len = strlen(w);
        while (len > 0 && w[len - 1] == ')') {
            w[--len] = '\0';
        }
        if (len == 0 || strcmp(w, "OR") == 0) {
            continue;
        }
        if (strcmp(w, "-is:retweet") == 0) {
            q->no_retweets = true;
        } else if (w[0] == '#' && len > 1) {
            x_tags_add(&q->want, w + 1, len - 1);
        } else {
            char *msg = km_asprintf("There were errors processing your request: this fake "
                                    "knows only #hashtags, OR and -is:retweet, not '%s'",
                                    w);
            x_invalid(rep, "query", query, msg);
            free(msg);
            ok = false;
        }
    }
    free(copy);
    if (ok && q->want.n == 0) {
        x_invalid(rep, "query", query, "There were errors processing your request: no hashtag");
        ok = false;
    }
    return ok;
}

static bool x_query_max(struct km_fake_req *req, struct x_query *q, struct km_fake_reply *rep)
{
    const char *v = km_fake_req_param(req, "max_results");
    char *end = NULL;
    long n = v != NULL ? strtol(v, &end, 10) : X_RESULTS_DEFAULT;
    if (v != NULL && (*end != '\0' || n < X_RESULTS_MIN || n > X_RESULTS_MAX)) {
        char *msg = km_asprintf("The `max_results` query parameter value [%s] is not between "
                                "%d and %d",
                                v, X_RESULTS_MIN, X_RESULTS_MAX);
        x_invalid(rep, "max_results", v, msg);
        free(msg);
        return false;
    }
    q->max = (size_t)n;
    return true;
}

/* The pagination token (either parameter name): "xpt_" and the id to page below. */
static bool x_query_token(struct km_fake_req *req, struct x_query *q, struct km_fake_reply *rep)
{
    const char *name = "pagination_token";
    const char *v = km_fake_req_param(req, name);
    if (v == NULL) {
        name = "next_token";
        v = km_fake_req_param(req, name);
    }
    if (v == NULL) {
        return true;
    }
    char *end = NULL;
    size_t plen = strlen(X_TOKEN_PREFIX);
    errno = 0;
    unsigned long long below = strncmp(v, X_TOKEN_PREFIX, plen) == 0 && strlen(v) == plen + 16
                                   ? strtoull(v + plen, &end, 16)
                                   : 0;
    if (below == 0 || errno != 0 || *end != '\0') {
        x_invalid_value(rep, name, v);
        return false;
    }
    q->below = (uint64_t)below;
    return true;
}

static bool x_query_parse(struct km_fake_req *req, struct x_query *q, struct km_fake_reply *rep)
{
    memset(q, 0, sizeof(*q));
    const char *query = km_fake_req_param(req, "query");
    if (query == NULL || *query == '\0') {
        x_invalid(rep, "query", "", "The `query` query parameter can not be empty");
        return false;
    }
    if (x_cps(query, strlen(query)) > X_QUERY_MAX_CHARS) {
        x_invalid(rep, "query", query,
                  "There were errors processing your request: Query is too long (max 512)");
        return false;
    }
    return x_query_terms(query, q, rep) && x_query_max(req, q, rep) &&
           x_id_param(req, "since_id", &q->since_id, rep) &&
           x_id_param(req, "until_id", &q->until_id, rep) && x_query_token(req, q, rep) &&
           x_since_in_reach(q->since_id, rep);
}

/* ---- tweet JSON -------------------------------------------------------------------- */

/* The text as X sends it: & < > escaped. */
static void x_put_text(struct km_buf *b, const char *text)
{
    struct km_buf e = KM_BUF_INIT;
    km_buf_append(&e, "", 0);
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '&') {
            km_buf_puts(&e, "&amp;");
        } else if (*p == '<') {
            km_buf_puts(&e, "&lt;");
        } else if (*p == '>') {
            km_buf_puts(&e, "&gt;");
        } else {
            km_buf_putc(&e, *p);
        }
    }
    km_fake_json_str(b, e.data, 0);
    km_buf_free(&e);
}

/* One entities array, "hashtags" (tag), "mentions" (username) or "urls" (url, ...), with
 * start/end in code points of the unescaped text, after sep; nothing if text has none. */
static bool x_put_entity_list(struct km_buf *b, const char *sep, const char *text,
                              const struct km_fake_span *sp, size_t n, enum km_fake_span_type type)
{
    static const char *const names[] = {"hashtags", "mentions", "urls"};
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (sp[i].type != type) {
            continue;
        }
        size_t start = x_cps(text, sp[i].off), end = start + x_cps(text + sp[i].off, sp[i].len);
        if (k++ == 0) {
            km_buf_printf(b, "%s\"%s\":[", sep, names[type]);
        } else {
            km_buf_putc(b, ',');
        }
        km_buf_printf(b, "{\"start\":%zu,\"end\":%zu,", start, end);
        if (type == KM_FAKE_SPAN_URL) {
            km_buf_puts(b, "\"url\":");
            km_fake_json_strn(b, text + sp[i].off, sp[i].len, 0);
            km_buf_puts(b, ",\"expanded_url\":");
            km_fake_json_strn(b, text + sp[i].off, sp[i].len, 0);
        } else {
            km_buf_puts(b, type == KM_FAKE_SPAN_HASHTAG ? "\"tag\":" : "\"username\":");
            km_fake_json_strn(b, text + sp[i].off + 1, sp[i].len - 1, 0);
        }
        km_buf_putc(b, '}');
    }
    if (k > 0) {
        km_buf_putc(b, ']');
    }
    return k > 0;
}

static void x_put_entities(struct km_buf *b, const char *text, unsigned rules)
{
    struct km_fake_span *sp = NULL;
    size_t n = km_fake_text_spans(text, rules, &sp);
    if (n > 0) {
        km_buf_puts(b, ",\"entities\":{");
        bool any = x_put_entity_list(b, "", text, sp, n, KM_FAKE_SPAN_HASHTAG);
        any = x_put_entity_list(b, any ? "," : "", text, sp, n, KM_FAKE_SPAN_MENTION) || any;
        x_put_entity_list(b, any ? "," : "", text, sp, n, KM_FAKE_SPAN_URL);
        km_buf_putc(b, '}');
    }
    free(sp);
}

static void x_put_metrics(struct km_buf *b, size_t nth)
{
    km_buf_printf(b,
                  ",\"public_metrics\":{\"retweet_count\":%zu,\"reply_count\":%zu,"
                  "\"like_count\":%zu,\"quote_count\":0,\"bookmark_count\":0,"
                  "\"impression_count\":%zu}",
                  (nth * 7) % 11, nth % 4, (nth * 13) % 23, 100 + nth * 37);
}

/* Fields every tweet has: id, text, author, time, language, counts, entities. */
static void x_put_common(struct km_buf *b, uint64_t id, const char *text, size_t author,
                         int64_t created_ms, const struct km_fake_item *it, unsigned rules)
{
    char created[40];
    km_fake_time_iso_ms(created_ms, created, sizeof(created));
    const char *lang = it->tpl->lang;
    if (lang == NULL || strcmp(lang, "mixed") == 0) {
        lang = "und";
    }
    km_buf_printf(b,
                  "{\"id\":\"%" PRIu64 "\",\"edit_history_tweet_ids\":[\"%" PRIu64 "\"],"
                  "\"conversation_id\":\"%" PRIu64 "\",\"author_id\":\"%s\",\"created_at\":\"%s\","
                  "\"lang\":\"%s\",\"text\":",
                  id, id, id, x_accounts[author].id, created, lang);
    x_put_text(b, text);
    x_put_metrics(b, it->tpl->nth);
    x_put_entities(b, text, rules);
}

static void x_put_tweet(struct km_buf *b, struct km_fake_store *s, struct km_fake_item *it,
                        unsigned rules, struct x_page *page)
{
    uint64_t id = x_id(it);
    page->users[x_author(it)] = true;
    if (x_is_retweet(it)) {
        char *text = x_rt_text(it);
        x_put_common(b, id, text, x_author(it), it->created_ms, it, rules);
        free(text);
        km_buf_printf(b,
                      ",\"referenced_tweets\":[{\"type\":\"retweeted\",\"id\":\"%" PRIu64 "\"}]}",
                      x_orig_id(it));
        page->users[x_orig_author(it)] = true;
        return;
    }
    x_put_common(b, id, it->tpl->text, x_author(it), it->created_ms, it, rules);
    if (x_is_reply(it) && it->seq > 0) {
        const struct km_fake_item *parent = s->items[it->seq - 1];
        km_buf_printf(b,
                      ",\"referenced_tweets\":[{\"type\":\"replied_to\",\"id\":\"%" PRIu64 "\"}],"
                      "\"in_reply_to_user_id\":\"%s\"",
                      x_id(parent), x_accounts[x_author(parent)].id);
    }
    if (it->seq % 5 == 4) {
        km_buf_printf(b, ",\"attachments\":{\"media_keys\":[\"3_%" PRIu64 "\"]}", id);
    }
    if (it->seq % 7 == 6) {
        km_buf_printf(b,
                      ",\"geo\":{\"coordinates\":{\"type\":\"Point\",\"coordinates\":[%.4f,%.4f]},"
                      "\"place_id\":\"0128d2a8e1c56bb2\"}",
                      71.4000 + (double)(it->seq % 10) * 0.01,
                      51.1300 - (double)(it->seq % 10) * 0.005);
    }
    km_buf_putc(b, '}');
}

/* includes: users named by the page, originals of its retweets, media of its tweets. */
static void x_put_includes(struct km_buf *b, const struct x_page *page, unsigned rules)
{
    km_buf_puts(b, ",\"includes\":{\"users\":[");
    for (size_t i = 0, k = 0; i < X_NACCOUNTS; i++) {
        if (page->users[i]) {
            km_buf_printf(b, "%s{\"id\":\"%s\",\"name\":", k++ > 0 ? "," : "", x_accounts[i].id);
            km_fake_json_str(b, x_accounts[i].name, 0);
            km_buf_printf(b, ",\"username\":\"%s\"}", x_accounts[i].username);
        }
    }
    km_buf_puts(b, "],\"tweets\":[");
    for (size_t i = 0, k = 0; i < page->n; i++) {
        const struct km_fake_item *it = page->items[i];
        if (x_is_retweet(it)) {
            km_buf_puts(b, k++ > 0 ? "," : "");
            x_put_common(b, x_orig_id(it), it->tpl->text, x_orig_author(it),
                         it->created_ms - X_ORIG_AGE_MS, it, rules);
            km_buf_putc(b, '}');
        }
    }
    km_buf_puts(b, "],\"media\":[");
    for (size_t i = 0, k = 0; i < page->n; i++) {
        const struct km_fake_item *it = page->items[i];
        if (!x_is_retweet(it) && it->seq % 5 == 4) {
            uint64_t id = x_id(it);
            km_buf_printf(b,
                          "%s{\"media_key\":\"3_%" PRIu64 "\",\"type\":\"photo\","
                          "\"url\":\"https://pbs.twimg.com/media/fake%" PRIu64 ".jpg\"}",
                          k++ > 0 ? "," : "", id, id);
        }
    }
    km_buf_puts(b, "]}");
}

static void x_put_page(struct km_buf *b, struct km_fake_store *s, struct x_page *page,
                       unsigned rules)
{
    if (page->n == 0) {
        km_buf_puts(b, "{\"meta\":{\"result_count\":0}}");
        return;
    }
    km_buf_puts(b, "{\"data\":[");
    for (size_t i = 0; i < page->n; i++) {
        km_buf_puts(b, i > 0 ? "," : "");
        x_put_tweet(b, s, page->items[i], rules, page);
        km_fake_store_served(s, page->items[i]);
    }
    km_buf_putc(b, ']');
    x_put_includes(b, page, rules);
    km_buf_printf(b,
                  ",\"meta\":{\"newest_id\":\"%" PRIu64 "\",\"oldest_id\":\"%" PRIu64 "\","
                  "\"result_count\":%zu",
                  x_id(page->items[0]), x_id(page->items[page->n - 1]), page->n);
    if (page->more) {
        km_buf_printf(b, ",\"next_token\":\"" X_TOKEN_PREFIX "%016" PRIx64 "\"",
                      x_id(page->items[page->n - 1]));
    }
    km_buf_puts(b, "}}");
}

/* ---- the search -------------------------------------------------------------------- */

/* Newest first, at most q->max matching items; page->more when older ones match too.
 * Caller holds the lock. */
static void x_select(struct km_fake_store *s, const struct x_query *q, unsigned rules,
                     struct x_page *page)
{
    for (size_t i = s->n_items; i > 0; i--) {
        struct km_fake_item *it = s->items[i - 1];
        uint64_t id = x_id(it);
        if ((q->since_id != 0 && id <= q->since_id) || (q->until_id != 0 && id >= q->until_id) ||
            (q->below != 0 && id >= q->below) || (q->no_retweets && x_is_retweet(it)) ||
            !x_matches(it, q, rules)) {
            continue;
        }
        if (page->n == q->max) {
            page->more = true;
            return;
        }
        page->items[page->n++] = it;
    }
}

/* Counts the request in the current window and adds the x-rate-limit-* headers; false
 * (with a 429 in rep) when the window is used up. Caller holds the lock. */
static bool x_rate(struct km_fake_reply *rep)
{
    int64_t now = km_time_now_ms();
    int64_t window = now - now % X_RATE_WINDOW_MS;
    if (window != x_window_ms) {
        x_window_ms = window;
        x_used = 0;
    }
    bool ok = x_used < X_RATE_LIMIT;
    x_used += ok;
    km_fake_reply_header(rep, "x-rate-limit-limit", "%d", X_RATE_LIMIT);
    km_fake_reply_header(rep, "x-rate-limit-remaining", "%u", X_RATE_LIMIT - x_used);
    km_fake_reply_header(rep, "x-rate-limit-reset", "%lld",
                         (long long)((window + X_RATE_WINDOW_MS) / 1000));
    if (!ok) {
        km_fake_reply_set(rep, 429, X_TYPE,
                          "{\"title\":\"Too Many Requests\",\"detail\":\"Too Many Requests\","
                          "\"type\":\"about:blank\",\"status\":429}");
    }
    return ok;
}

static void x_search(struct km_fake_ctx *ctx, struct km_fake_req *req, struct km_fake_reply *rep)
{
    struct x_query q;
    if (!x_query_parse(req, &q, rep)) {
        x_tags_free(&q.want);
        return;
    }
    unsigned rules = x_rules(ctx);
    struct x_page page = {.items = km_calloc(q.max, sizeof(*page.items))};
    struct km_buf b = KM_BUF_INIT;
    struct km_fake_store *s = &ctx->store;
    pthread_mutex_lock(&s->lock);
    km_fake_store_sync(s);
    if (x_rate(rep)) {
        x_select(s, &q, rules, &page);
        x_put_page(&b, s, &page, rules);
        km_fake_reply_set(rep, 200, X_TYPE, b.data);
    }
    pthread_mutex_unlock(&s->lock);
    km_buf_free(&b);
    free(page.items);
    x_tags_free(&q.want);
}

void km_fake_x_handle(struct km_fake_ctx *ctx, struct km_fake_req *req, struct km_fake_reply *rep)
{
    const char *auth = km_fake_req_header(req, "Authorization");
    if (strcmp(req->url, "/2/tweets/search/recent") != 0) {
        km_fake_reply_set(rep, 404, X_TYPE,
                          "{\"errors\":[{\"message\":\"Sorry, that page does not exist\","
                          "\"code\":34}]}");
    } else if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        km_fake_reply_set(rep, 405, X_TYPE,
                          "{\"title\":\"Method Not Allowed\",\"type\":\"about:blank\","
                          "\"status\":405,\"detail\":\"Method Not Allowed\"}");
    } else if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0 ||
               strcmp(auth + 7, ctx->tg_token) != 0) {
        km_fake_reply_set(rep, 401, X_TYPE,
                          "{\"title\":\"Unauthorized\",\"type\":\"about:blank\",\"status\":401,"
                          "\"detail\":\"Unauthorized\"}");
    } else {
        x_search(ctx, req, rep);
    }
}

/* ---- faults ------------------------------------------------------------------------ */

void km_fake_x_fault(enum km_fake_fault_kind kind, struct km_fake_reply *rep)
{
    if (kind == KM_FAKE_FAULT_429) {
        km_fake_reply_set(rep, 429, X_TYPE,
                          "{\"title\":\"Too Many Requests\",\"detail\":\"Too Many Requests\","
                          "\"type\":\"about:blank\",\"status\":429}");
        km_fake_reply_header(rep, "x-rate-limit-limit", "%d", X_RATE_LIMIT);
        km_fake_reply_header(rep, "x-rate-limit-remaining", "0");
        km_fake_reply_header(rep, "x-rate-limit-reset", "%lld",
                             (long long)(km_time_now_ms() / 1000 + X_FAULT_RETRY_S));
    } else if (kind == KM_FAKE_FAULT_HTTP500) {
        km_fake_reply_set(rep, 500, X_TYPE,
                          "{\"title\":\"Internal Server Error\",\"detail\":\"Internal Server "
                          "Error\",\"type\":\"about:blank\",\"status\":500}");
    } else {
        km_fake_reply_set(rep, 503, X_TYPE,
                          "{\"title\":\"Service Unavailable\",\"detail\":\"Service "
                          "Unavailable\",\"type\":\"about:blank\",\"status\":503}");
    }
}
