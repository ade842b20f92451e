#include "test/fake/fake_bluesky.h"

#include "common/alloc.h"
#include "common/time.h"
#include "test/fake/fake_text.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* searchPosts "limit": 1-100, default 25 (lexicon). */
#define BSKY_LIMIT_DEFAULT 25
#define BSKY_LIMIT_MAX     100
/* tag[] values and q words looked at; the lexicon has no limit, the collector sends one. */
#define BSKY_QUERY_TERMS_MAX 8
/* Facet tags kept per post; the sample posts have at most 4. */
#define BSKY_POST_TAGS_MAX 16
/* The AppView's general limit: 3000 requests per 5 minutes. */
#define BSKY_RATE_LIMIT     3000
#define BSKY_RATE_WINDOW_MS (5 * 60 * 1000)
/* The 429 fault's RateLimit-Reset is this far ahead: short, so tests stay fast. */
#define BSKY_FAULT_RETRY_S 1
/* indexedAt follows createdAt by this much (plus up to 600 ms). */
#define BSKY_INDEX_DELAY_MS 300

#define BSKY_TYPE "application/json; charset=utf-8"
#define BSKY_CDN  "https://cdn.bsky.app/img"
/* The header of every fake JWT (base64url of {"typ":"at+jwt","alg":"ES256K"}). */
#define BSKY_JWT_HEAD "eyJ0eXAiOiJhdCtqd3QiLCJhbGciOiJFUzI1NksifQ"

static const struct bsky_account {
    const char *did, *handle, *display_name; /* display_name "" is allowed, as on Bluesky */
} bsky_accounts[] = {
    {"did:plc:a7qkdzwz3rfkyd2blvyfzxqp", "aliya-n.bsky.social", "Алия Н."},
    {"did:plc:bq4vmy2ahtfrjvkm3ikcdjwz", "bauyrzhan.kz", "Бауыржан"},
    {"did:plc:c5xwrgqprkxjmnp4ydyb2l6s", "ksenia-astana.bsky.social", "Ксения 🌿"},
    {"did:plc:d3lvvyfzjkp6a2tc7qwynzqo", "daniyar.example.com", ""},
    {"did:plc:e2jmuq3ykcn7xwhnpbdmzv5r", "handle.invalid", "Гүлнара"},
    {"did:plc:f6o4wsobjx3p7qkz2gtr5vnm", "astana-watch.bsky.social", "Astana Watch"},
};
#define BSKY_NACCOUNTS (sizeof(bsky_accounts) / sizeof(bsky_accounts[0]))

/* --- sessions --- */

/* One issued token. Tokens are "<head>.<kind><serial>.<sig>"; kind 'A' access, 'R' refresh. */
struct bsky_token {
    unsigned long serial;
    char kind;
    unsigned uses;      /* access: searches made with it */
    unsigned refreshes; /* refresh: refreshes of its session so far */
    bool revoked;
};

static struct {
    pthread_mutex_t lock;
    struct bsky_token *v;
    size_t n, cap;
    unsigned long next_serial;
    int64_t login_window_ms, search_window_ms;
    unsigned logins, searches;
} bsky_auth = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Issues a token. Caller holds bsky_auth.lock. */
static struct bsky_token *bsky_issue(char kind, unsigned refreshes)
{
    if (bsky_auth.n == bsky_auth.cap) {
        bsky_auth.cap = bsky_auth.cap ? bsky_auth.cap * 2 : 64;
        bsky_auth.v = km_realloc(bsky_auth.v, bsky_auth.cap * sizeof(*bsky_auth.v));
    }
    struct bsky_token *t = &bsky_auth.v[bsky_auth.n++];
    *t = (struct bsky_token){
        .serial = ++bsky_auth.next_serial, .kind = kind, .refreshes = refreshes};
    return t;
}

/* The token of an "Authorization: Bearer ..." header, or NULL. Caller holds the lock. */
static struct bsky_token *bsky_find(struct km_fake_req *req, char kind)
{
    const char *auth = km_fake_req_header(req, "Authorization");
    static const char prefix[] = "Bearer " BSKY_JWT_HEAD ".";
    if (auth == NULL || strncmp(auth, prefix, strlen(prefix)) != 0) {
        return NULL;
    }
    const char *p = auth + strlen(prefix);
    char *end = NULL;
    if (*p != kind || p[1] < '0' || p[1] > '9') {
        return NULL;
    }
    unsigned long serial = strtoul(p + 1, &end, 10);
    if (strcmp(end, ".fakesig") != 0) {
        return NULL;
    }
    for (size_t i = 0; i < bsky_auth.n; i++) {
        if (bsky_auth.v[i].serial == serial && bsky_auth.v[i].kind == kind) {
            return &bsky_auth.v[i];
        }
    }
    return NULL;
}

static void bsky_error(struct km_fake_reply *rep, unsigned status, const char *name,
                       const char *msg)
{
    struct km_buf b = KM_BUF_INIT;
    km_buf_printf(&b, "{\"error\":\"%s\",\"message\":", name);
    km_fake_json_str(&b, msg, 0);
    km_buf_putc(&b, '}');
    km_fake_reply_set(rep, status, BSKY_TYPE, b.data);
    km_buf_free(&b);
}

/* Counts a request in its 5-minute window and adds the RateLimit-* headers (atproto's
 * rate limiter: Reset in Unix seconds). Returns false when the window is used up. Caller
 * holds the lock. */
static bool bsky_rate(int64_t *window_ms, unsigned *used, unsigned limit, struct km_fake_reply *rep)
{
    int64_t now = km_time_now_ms();
    int64_t window = now - now % BSKY_RATE_WINDOW_MS;
    if (window != *window_ms) {
        *window_ms = window;
        *used = 0;
    }
    bool ok = *used < limit;
    *used += ok ? 1 : 0;
    km_fake_reply_header(rep, "RateLimit-Limit", "%u", limit);
    km_fake_reply_header(rep, "RateLimit-Remaining", "%u", limit - *used);
    km_fake_reply_header(rep, "RateLimit-Reset", "%lld",
                         (long long)((window + BSKY_RATE_WINDOW_MS) / 1000));
    km_fake_reply_header(rep, "RateLimit-Policy", "%u;w=%d", limit, BSKY_RATE_WINDOW_MS / 1000);
    return ok;
}

/* A session answer with a fresh pair of tokens. Caller holds the lock. */
static void bsky_session(struct km_fake_reply *rep, unsigned refreshes, bool login)
{
    struct bsky_token *access = bsky_issue('A', 0);
    unsigned long access_serial = access->serial; /* bsky_issue may move the array */
    struct bsky_token *refresh = bsky_issue('R', refreshes);
    struct km_buf b = KM_BUF_INIT;
    km_buf_printf(&b,
                  "{\"did\":\"" FAKE_BSKY_DID "\",\"didDoc\":{\"@context\":["
                  "\"https://www.w3.org/ns/did/v1\"],\"id\":\"" FAKE_BSKY_DID "\","
                  "\"alsoKnownAs\":[\"at://" FAKE_BSKY_HANDLE "\"],\"service\":[{\"id\":"
                  "\"#atproto_pds\",\"type\":\"AtprotoPersonalDataServer\",\"serviceEndpoint\":"
                  "\"https://puffball.us-east.host.bsky.network\"}]},\"handle\":\"" FAKE_BSKY_HANDLE
                  "\",%s\"accessJwt\":\"" BSKY_JWT_HEAD ".A%lu.fakesig\","
                  "\"refreshJwt\":\"" BSKY_JWT_HEAD ".R%lu.fakesig\",\"active\":true}",
                  login ? "\"email\":\"ops@example.org\",\"emailConfirmed\":true,"
                          "\"emailAuthFactor\":false,"
                        : "",
                  access_serial, refresh->serial);
    km_fake_reply_set(rep, 200, BSKY_TYPE, b.data);
    km_buf_free(&b);
}

static void bsky_create_session(struct km_fake_req *req, struct km_fake_reply *rep)
{
    const char *id = km_fake_req_param(req, "identifier");
    const char *password = km_fake_req_param(req, "password");
    if (id == NULL || password == NULL) {
        bsky_error(rep, 400, "InvalidRequest",
                   id == NULL ? "Input must have the property \"identifier\""
                              : "Input must have the property \"password\"");
        return;
    }
    pthread_mutex_lock(&bsky_auth.lock);
    if (!bsky_rate(&bsky_auth.login_window_ms, &bsky_auth.logins, FAKE_BSKY_LOGINS_PER_WINDOW,
                   rep)) {
        bsky_error(rep, 429, "RateLimitExceeded", "Rate Limit Exceeded");
    } else if ((strcasecmp(id, FAKE_BSKY_HANDLE) != 0 && strcmp(id, FAKE_BSKY_DID) != 0) ||
               strcmp(password, FAKE_BSKY_PASSWORD) != 0) {
        bsky_error(rep, 401, "AuthenticationRequired", "Invalid identifier or password");
    } else {
        bsky_session(rep, 0, true);
    }
    pthread_mutex_unlock(&bsky_auth.lock);
}

static void bsky_refresh_session(struct km_fake_req *req, struct km_fake_reply *rep)
{
    pthread_mutex_lock(&bsky_auth.lock);
    struct bsky_token *t = bsky_find(req, 'R');
    if (km_fake_req_header(req, "Authorization") == NULL) {
        bsky_error(rep, 401, "AuthMissing", "Authentication Required");
    } else if (t == NULL || t->revoked) {
        bsky_error(rep, 400, "InvalidToken", "Token could not be verified");
    } else if (t->refreshes >= FAKE_BSKY_REFRESHES) {
        bsky_error(rep, 400, "ExpiredToken", "Token has expired");
    } else {
        t->revoked = true;
        bsky_session(rep, t->refreshes + 1, false);
    }
    pthread_mutex_unlock(&bsky_auth.lock);
}

/* Checks the access token of a search and counts its use. Returns false with rep set. */
static bool bsky_search_auth(struct km_fake_req *req, struct km_fake_reply *rep)
{
    bool ok = false;
    pthread_mutex_lock(&bsky_auth.lock);
    struct bsky_token *t = bsky_find(req, 'A');
    if (km_fake_req_header(req, "Authorization") == NULL) {
        bsky_error(rep, 401, "AuthMissing", "Authentication Required");
    } else if (t == NULL) {
        bsky_error(rep, 400, "InvalidToken", "Token could not be verified");
    } else if (t->uses >= FAKE_BSKY_ACCESS_USES) {
        bsky_error(rep, 400, "ExpiredToken", "Token has expired");
    } else {
        t->uses++;
        ok = true;
        bsky_rate(&bsky_auth.search_window_ms, &bsky_auth.searches, BSKY_RATE_LIMIT, rep);
    }
    pthread_mutex_unlock(&bsky_auth.lock);
    return ok;
}

/* --- post views --- */

/* Appends the TID of (time, clock id): 13 base32-sortable characters of
 * (microseconds << 10 | clock id), as atproto record keys are made. */
static void bsky_put_tid(struct km_buf *b, int64_t ms, unsigned clock_id)
{
    static const char alphabet[] = "234567abcdefghijklmnopqrstuvwxyz";
    uint64_t v = (((uint64_t)ms * 1000) << 10 | (clock_id & 1023)) & ~(1ULL << 63);
    char s[14];
    for (int i = 12; i >= 0; i--) {
        s[i] = alphabet[v & 31];
        v >>= 5;
    }
    s[13] = '\0';
    km_buf_puts(b, s);
}

static const struct bsky_account *bsky_author(const struct km_fake_store *s,
                                              const struct km_fake_item *it)
{
    return &bsky_accounts[(size_t)(it->tpl - s->tpls) % BSKY_NACCOUNTS];
}

/* "at://<did>/app.bsky.feed.post/<rkey>" */
static void bsky_put_uri(struct km_buf *b, const struct km_fake_store *s,
                         const struct km_fake_item *it)
{
    km_buf_printf(b, "at://%s/app.bsky.feed.post/", bsky_author(s, it)->did);
    bsky_put_tid(b, it->created_ms, (unsigned)it->seq);
}

/* A CID-shaped string (bafyrei + 52 base32 characters) that differs per item and salt. */
static void bsky_put_cid(struct km_buf *b, const struct km_fake_item *it, unsigned salt)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
    uint64_t x = (uint64_t)it->seq * 0x9E3779B97F4A7C15ULL + salt * 0xBF58476D1CE4E5B9ULL + 1;
    km_buf_puts(b, "bafyrei");
    for (int i = 0; i < 52; i++) {
        x ^= x >> 31;
        x *= 0x94D049BB133111EBULL;
        km_buf_putc(b, alphabet[(x >> 59) & 31]);
    }
}

static unsigned bsky_rules(const struct km_fake_ctx *ctx)
{
    return KM_FAKE_TAGS_AFTER_SPACE | (ctx->numeric_tags ? KM_FAKE_TAGS_NUMERIC : 0);
}

/* record.facets: a tag feature for each hashtag, a link feature for each URL; the index
 * is in bytes of the UTF-8 text, end exclusive. */
static void bsky_put_facets(struct km_buf *b, const char *text, unsigned rules)
{
    struct km_fake_span *spans = NULL;
    size_t n = km_fake_text_spans(text, rules, &spans), k = 0;
    for (size_t i = 0; i < n; i++) {
        const struct km_fake_span *sp = &spans[i];
        if (sp->type == KM_FAKE_SPAN_MENTION) {
            continue; /* Bluesky mentions are handles with a domain; the samples have none */
        }
        km_buf_puts(b, k++ == 0 ? ",\"facets\":[" : ",");
        km_buf_puts(b, "{\"$type\":\"app.bsky.richtext.facet\",\"features\":[{\"$type\":");
        if (sp->type == KM_FAKE_SPAN_HASHTAG) {
            km_buf_puts(b, "\"app.bsky.richtext.facet#tag\",\"tag\":");
            km_fake_json_strn(b, text + sp->off + 1, sp->len - 1, 0);
        } else {
            km_buf_puts(b, "\"app.bsky.richtext.facet#link\",\"uri\":");
            km_fake_json_strn(b, text + sp->off, sp->len, 0);
        }
        km_buf_printf(b, "}],\"index\":{\"byteEnd\":%zu,\"byteStart\":%zu}}", sp->off + sp->len,
                      sp->off);
    }
    km_buf_puts(b, k > 0 ? "]" : "");
    free(spans);
}

static void bsky_put_image_blob(struct km_buf *b, const struct km_fake_item *it)
{
    km_buf_puts(b, "{\"$type\":\"app.bsky.embed.images\",\"images\":[{\"alt\":\"\","
                   "\"aspectRatio\":{\"height\":1600,\"width\":1200},\"image\":{\"$type\":"
                   "\"blob\",\"ref\":{\"$link\":\"");
    bsky_put_cid(b, it, 2);
    km_buf_puts(b, "\"},\"mimeType\":\"image/jpeg\",\"size\":412311}}]}");
}

static void bsky_put_image_view(struct km_buf *b, const struct bsky_account *a,
                                const struct km_fake_item *it)
{
    static const char *const kinds[] = {"feed_thumbnail", "feed_fullsize"};
    km_buf_puts(b, ",\"embed\":{\"$type\":\"app.bsky.embed.images#view\",\"images\":[{");
    for (size_t i = 0; i < 2; i++) {
        km_buf_printf(b, "\"%s\":\"" BSKY_CDN "/%s/plain/%s/", i == 0 ? "thumb" : "fullsize",
                      kinds[i], a->did);
        bsky_put_cid(b, it, 2);
        km_buf_puts(b, "@jpeg\",");
    }
    km_buf_puts(b, "\"alt\":\"\",\"aspectRatio\":{\"height\":1600,\"width\":1200}}]}");
}

/* record.reply pointing at the previous item (every seventh post is a reply). */
static void bsky_put_reply(struct km_buf *b, const struct km_fake_store *s,
                           const struct km_fake_item *it)
{
    const struct km_fake_item *parent = s->items[it->seq - 1];
    km_buf_puts(b, ",\"reply\":{");
    for (int i = 0; i < 2; i++) {
        km_buf_puts(b, i == 0 ? "\"parent\":{\"cid\":\"" : ",\"root\":{\"cid\":\"");
        bsky_put_cid(b, parent, 0);
        km_buf_puts(b, "\",\"uri\":\"");
        bsky_put_uri(b, s, parent);
        km_buf_puts(b, "\"}");
    }
    km_buf_putc(b, '}');
}

static void bsky_put_record(struct km_buf *b, const struct km_fake_ctx *ctx,
                            const struct km_fake_item *it)
{
    const struct km_fake_tpl *t = it->tpl;
    char created[40];
    km_fake_time_iso_ms(it->created_ms, created, sizeof(created));
    km_buf_printf(b, ",\"record\":{\"$type\":\"app.bsky.feed.post\",\"createdAt\":\"%s\"", created);
    if (it->seq % 5 == 4) {
        km_buf_puts(b, ",\"embed\":");
        bsky_put_image_blob(b, it);
    }
    bsky_put_facets(b, t->text, bsky_rules(ctx));
    if (t->lang != NULL && strcmp(t->lang, "mixed") != 0) {
        km_buf_printf(b, ",\"langs\":[\"%s\"]", t->lang);
    }
    if (it->seq % 7 == 6) {
        bsky_put_reply(b, &ctx->store, it);
    }
    km_buf_puts(b, ",\"text\":");
    km_fake_json_str(b, t->text, 0);
    km_buf_putc(b, '}');
}

static void bsky_put_post(struct km_buf *b, const struct km_fake_ctx *ctx,
                          const struct km_fake_item *it)
{
    const struct km_fake_store *s = &ctx->store;
    const struct bsky_account *a = bsky_author(s, it);
    size_t nth = it->tpl->nth;
    char indexed[40];
    km_buf_puts(b, "{\"uri\":\"");
    bsky_put_uri(b, s, it);
    km_buf_puts(b, "\",\"cid\":\"");
    bsky_put_cid(b, it, 0);
    km_buf_printf(b, "\",\"author\":{\"did\":\"%s\",\"handle\":\"%s\",\"displayName\":", a->did,
                  a->handle);
    km_fake_json_str(b, a->display_name, 0);
    km_buf_puts(b, ",\"labels\":[],\"createdAt\":\"2023-09-01T00:00:00.000Z\"}");
    bsky_put_record(b, ctx, it);
    if (it->seq % 5 == 4) {
        bsky_put_image_view(b, a, it);
    }
    km_fake_time_iso_ms(it->created_ms + BSKY_INDEX_DELAY_MS + (int64_t)(it->seq % 7) * 100,
                        indexed, sizeof(indexed));
    km_buf_printf(b,
                  ",\"bookmarkCount\":0,\"replyCount\":%zu,\"repostCount\":%zu,\"likeCount\":%zu,"
                  "\"quoteCount\":0,\"indexedAt\":\"%s\",\"viewer\":{\"bookmarked\":false,"
                  "\"threadMuted\":false,\"embeddingDisabled\":false},\"labels\":[]}",
                  nth % 4, (nth * 7) % 11, (nth * 13) % 23, indexed);
}

/* --- search --- */

struct bsky_query {
    char *tags[BSKY_QUERY_TERMS_MAX]; /* tag[] values, case-folded */
    size_t n_tags;
    char *words[BSKY_QUERY_TERMS_MAX]; /* q split at blanks, case-folded */
    size_t n_words;
    int64_t since_ms, until_ms; /* 0: not given */
    size_t limit, offset;
};

static void bsky_query_free(struct bsky_query *q)
{
    for (size_t i = 0; i < q->n_tags; i++) {
        free(q->tags[i]);
    }
    for (size_t i = 0; i < q->n_words; i++) {
        free(q->words[i]);
    }
}

/* Splits q at blanks into folded words. */
static void bsky_query_words(struct bsky_query *q, const char *text)
{
    const char *p = text;
    while (*p != '\0' && q->n_words < BSKY_QUERY_TERMS_MAX) {
        size_t n = strcspn(p, " \t");
        if (n > 0) {
            char *raw = km_strndup(p, n);
            q->words[q->n_words++] = km_fake_casefold(raw);
            free(raw);
        }
        p += n + (p[n] != '\0');
    }
}

/* A time parameter: RFC 3339 or YYYY-MM-DD. Returns false if given but not a time. */
static bool bsky_time_param(struct km_fake_req *req, const char *name, int64_t *out)
{
    const char *v = km_fake_req_param(req, name);
    *out = 0;
    if (v == NULL) {
        return true;
    }
    char full[40];
    if (strlen(v) == 10) {
        snprintf(full, sizeof(full), "%sT00:00:00Z", v);
        v = full;
    }
    return km_time_parse_rfc3339(v, out) == KM_OK;
}

/* Reads the parameters; returns false with rep set to the XRPC error. */
static bool bsky_query_parse(struct km_fake_req *req, struct bsky_query *q,
                             struct km_fake_reply *rep)
{
    memset(q, 0, sizeof(*q));
    const char *text = km_fake_req_param(req, "q");
    const char *limit = km_fake_req_param(req, "limit");
    const char *cursor = km_fake_req_param(req, "cursor");
    char *end = NULL;
    if (text == NULL) {
        bsky_error(rep, 400, "InvalidRequest", "Error: Params must have the property \"q\"");
        return false;
    }
    long n = limit != NULL ? strtol(limit, &end, 10) : BSKY_LIMIT_DEFAULT;
    if (limit != NULL && (*end != '\0' || n < 1 || n > BSKY_LIMIT_MAX)) {
        bsky_error(rep, 400, "InvalidRequest", "Error: limit must be an integer from 1 to 100");
        return false;
    }
    q->limit = (size_t)n;
    unsigned long off = cursor != NULL ? strtoul(cursor, &end, 10) : 0;
    if (cursor != NULL && (*end != '\0' || *cursor < '0' || *cursor > '9' || off > 100000)) {
        bsky_error(rep, 400, "InvalidRequest", "invalid cursor");
        return false;
    }
    q->offset = (size_t)off;
    if (!bsky_time_param(req, "since", &q->since_ms) ||
        !bsky_time_param(req, "until", &q->until_ms)) {
        bsky_error(rep, 400, "InvalidRequest", "Error: since/until must be a datetime");
        return false;
    }
    const char *tags[BSKY_QUERY_TERMS_MAX];
    q->n_tags = km_fake_req_params(req, "tag", tags, BSKY_QUERY_TERMS_MAX);
    for (size_t i = 0; i < q->n_tags; i++) {
        q->tags[i] = km_fake_casefold(tags[i]);
    }
    bsky_query_words(q, text);
    return true;
}

/* Whether text has a hashtag (found with rules) that folds to want. */
static bool bsky_has_tag(const char *text, unsigned rules, const char *want)
{
    struct km_fake_span *spans = NULL;
    size_t n = km_fake_text_spans(text, rules, &spans);
    bool hit = false;
    for (size_t i = 0; i < n && !hit; i++) {
        if (spans[i].type == KM_FAKE_SPAN_HASHTAG) {
            char *raw = km_strndup(text + spans[i].off + 1, spans[i].len - 1);
            char *folded = km_fake_casefold(raw);
            hit = strcmp(folded, want) == 0;
            free(folded);
            free(raw);
        }
    }
    free(spans);
    return hit;
}

static bool bsky_matches(const struct km_fake_item *it, const struct bsky_query *q, unsigned rules)
{
    const char *text = it->tpl->text;
    if ((q->since_ms != 0 && it->created_ms < q->since_ms) ||
        (q->until_ms != 0 && it->created_ms >= q->until_ms)) {
        return false;
    }
    for (size_t i = 0; i < q->n_tags; i++) {
        if (!bsky_has_tag(text, rules, q->tags[i])) {
            return false;
        }
    }
    char *folded = NULL;
    bool hit = true;
    for (size_t i = 0; i < q->n_words && hit; i++) {
        if (q->words[i][0] == '#') {
            hit = bsky_has_tag(text, KM_FAKE_TAGS_NUMERIC, q->words[i] + 1);
        } else {
            folded = folded != NULL ? folded : km_fake_casefold(text);
            hit = strstr(folded, q->words[i]) != NULL;
        }
    }
    free(folded);
    return hit;
}

/* The matching items, newest first, into *out (malloc'd); returns how many. Caller holds
 * the store lock. */
static size_t bsky_select(struct km_fake_store *s, const struct bsky_query *q, unsigned rules,
                          struct km_fake_item ***out)
{
    struct km_fake_item **v = km_calloc(s->n_items + 1, sizeof(*v));
    size_t n = 0;
    for (size_t i = s->n_items; i > 0; i--) {
        if (bsky_matches(s->items[i - 1], q, rules)) {
            v[n++] = s->items[i - 1];
        }
    }
    *out = v;
    return n;
}

static void bsky_search(struct km_fake_ctx *ctx, struct km_fake_req *req, struct km_fake_reply *rep)
{
    struct bsky_query q;
    if (!bsky_query_parse(req, &q, rep)) {
        bsky_query_free(&q);
        return;
    }
    struct km_fake_store *s = &ctx->store;
    struct km_fake_item **hits = NULL;
    struct km_buf b = KM_BUF_INIT;
    pthread_mutex_lock(&s->lock);
    km_fake_store_sync(s);
    size_t n = bsky_select(s, &q, bsky_rules(ctx), &hits);
    size_t end = q.offset + q.limit < n ? q.offset + q.limit : n;
    km_buf_puts(&b, "{\"posts\":[");
    for (size_t i = q.offset; i < end; i++) {
        km_buf_puts(&b, i > q.offset ? "," : "");
        bsky_put_post(&b, ctx, hits[i]);
        km_fake_store_served(s, hits[i]);
    }
    pthread_mutex_unlock(&s->lock);
    km_buf_putc(&b, ']');
    if (end < n) {
        km_buf_printf(&b, ",\"cursor\":\"%zu\"", end);
    }
    km_buf_printf(&b, ",\"hitsTotal\":%zu}", n);
    km_fake_reply_set(rep, 200, BSKY_TYPE, b.data);
    km_buf_free(&b);
    free(hits);
    bsky_query_free(&q);
}

/* An atproto-proxy header, when present, must name a service: "did:...#id". */
static bool bsky_proxy_ok(struct km_fake_req *req)
{
    const char *v = km_fake_req_header(req, "atproto-proxy");
    return v == NULL || (strncmp(v, "did:", 4) == 0 && strchr(v, '#') != NULL);
}

void km_fake_bsky_handle(struct km_fake_ctx *ctx, struct km_fake_req *req,
                         struct km_fake_reply *rep)
{
    static const char prefix[] = "/xrpc/";
    const char *method = req->url + strlen(prefix);
    bool get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
    bool post = strcmp(req->method, "POST") == 0;
    if (strcmp(method, "com.atproto.server.createSession") == 0 && post) {
        bsky_create_session(req, rep);
    } else if (strcmp(method, "com.atproto.server.refreshSession") == 0 && post) {
        bsky_refresh_session(req, rep);
    } else if (strcmp(method, "app.bsky.feed.searchPosts") == 0 && get) {
        if (!bsky_proxy_ok(req)) {
            bsky_error(rep, 400, "InvalidRequest", "could not resolve proxy did service url");
        } else if (bsky_search_auth(req, rep)) {
            bsky_search(ctx, req, rep);
        }
    } else if (strcmp(method, "com.atproto.server.createSession") == 0 ||
               strcmp(method, "com.atproto.server.refreshSession") == 0 ||
               strcmp(method, "app.bsky.feed.searchPosts") == 0) {
        bsky_error(rep, 400, "InvalidRequest", "Incorrect HTTP method");
    } else {
        bsky_error(rep, 501, "MethodNotImplemented", "Method Not Implemented");
    }
}

void km_fake_bsky_fault(enum km_fake_fault_kind kind, struct km_fake_reply *rep)
{
    if (kind == KM_FAKE_FAULT_429) {
        bsky_error(rep, 429, "RateLimitExceeded", "Rate Limit Exceeded");
        km_fake_reply_header(rep, "RateLimit-Limit", "%d", BSKY_RATE_LIMIT);
        km_fake_reply_header(rep, "RateLimit-Remaining", "0");
        km_fake_reply_header(rep, "RateLimit-Reset", "%lld",
                             (long long)(km_time_now_ms() / 1000 + BSKY_FAULT_RETRY_S));
        km_fake_reply_header(rep, "RateLimit-Policy", "%d;w=%d", BSKY_RATE_LIMIT,
                             BSKY_RATE_WINDOW_MS / 1000);
    } else if (kind == KM_FAKE_FAULT_HTTP500) {
        bsky_error(rep, 500, "InternalServerError", "Internal Server Error");
    } else {
        bsky_error(rep, 503, "NotEnoughResources", "Service Unavailable");
    }
}
