/* Bluesky collector: searches posts by hashtag with app.bsky.feed.searchPosts, logged in
 * with an app password (https://docs.bsky.app/docs/api/app-bsky-feed-search-posts).
 *
 * Every request goes to the account's PDS (`url`, bsky.social for most accounts): the login
 * (com.atproto.server.createSession), the token refresh (refreshSession) and the search,
 * which the PDS proxies to the AppView with the access token ("API Hosts and Auth" in the
 * Bluesky docs; the public AppView answers searchPosts with 403 since 2025). The access and
 * refresh tokens live in memory only, never in the cursor or a log. An expired or rejected
 * access token is refreshed, a failed refresh logs in again, and a rejected app password
 * stops the source.
 *
 * searchPosts ANDs its tag[] filters, so each tag is its own search, swept in turn: newest
 * first with sort=latest, paging back with the API's cursor until a page is not full or
 * reaches posts older than the tag's mark; the mark then becomes the newest post time seen
 * (min(createdAt, indexedAt), the AppView's sortAt) and is sent as `since` next time. The
 * cursor is JSON with, per tag, that mark ("since"), the sweep's newest time so far ("top")
 * and the API cursor of the next older page ("page"), and the tag being swept ("next"). */
#include "collectors/collector.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/time.h"
#include "common/utf8.h"
#include "parser/hashtag.h"
#include "parser/json.h"
#include "parser/post.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BSKY_NETWORK "bluesky"

/* The largest page searchPosts returns (lexicon: limit 1-100). */
#define BSKY_LIMIT_MAX 100

/* Tags per source: each is one request per poll, and 32 already makes a round of 32
 * searches; more belong in another [source]. */
#define BSKY_MAX_TAGS 32

/* Longest tag the lexicon accepts in tag[] (maxLength 640 bytes). */
#define BSKY_TAG_MAX_BYTES 640

/* How far back the first sweep of a tag pages (no mark yet): a day. Popular tags would
 * otherwise be paged back as far as the search index lets a client scroll. */
#define BSKY_FIRST_RUN_MS (24LL * 3600 * 1000)

/* `since` is sent this much before the mark. A post's sortAt is its client-set createdAt
 * when that is earlier than indexedAt, so a post composed before the newest one seen can be
 * indexed after it; the overlap fetches it, and the queue's seen-set drops the repeats. */
#define BSKY_SINCE_SLACK_MS (5LL * 60 * 1000)

/* Longest wait taken from RateLimit-Reset: a day (Bluesky's windows are 5 minutes to a day;
 * anything later is a broken header and must not park the source for years). */
#define BSKY_RESET_MAX_MS (24LL * 3600 * 1000)

/* Pause after 404/410: url is not a PDS, or the method is gone; that does not fix itself
 * within seconds, and it is not worth stopping the source for. */
#define BSKY_GONE_RETRY_MS (10 * 60 * 1000)

/* Rejected searches in a row after which a fresh session is not tried at once again: the
 * first refreshes the token, the second logs in, the third backs off. */
#define BSKY_AUTH_TRIES 3

static const struct km_conf_key bsky_keys[] = {
    {"url", KM_CONF_STR, "https://bsky.social", 0, 0, 0,
     "the account's PDS or entryway: login and every request (it proxies the search)"},
    {"appview", KM_CONF_STR, NULL, 0, 0, 0,
     "atproto-proxy service for the search, e.g. did:web:api.bsky.app#bsky_appview (default: "
     "the PDS's own AppView)"},
    {"identifier", KM_CONF_STR, NULL, 0, 0, KM_CONF_REQUIRED,
     "the account's handle (name.bsky.social) or DID"},
    {"password", KM_CONF_STR, NULL, 0, 0, KM_CONF_REQUIRED | KM_CONF_SECRET,
     "an app password (Settings > Privacy and security > App passwords); write env:VAR"},
    {"tags", KM_CONF_STR, NULL, 0, 0, KM_CONF_REQUIRED,
     "comma-separated hashtags without '#', one search each per poll"},
    {"limit", KM_CONF_INT, "50", 1, BSKY_LIMIT_MAX, 0, "posts per searchPosts page (1-100)"},
    {NULL, 0, NULL, 0, 0, 0, NULL},
};

/* The request the next exchange makes. */
enum bsky_step { BSKY_LOGIN = 0, BSKY_REFRESH, BSKY_SEARCH };

struct bsky_tag {
    char *name;       /* as configured, without '#' */
    int64_t since_ms; /* newest sortAt of the last finished sweep; 0 = none yet */
    int64_t top_ms;   /* newest sortAt of the sweep in progress; 0 = none */
    char *page;       /* API cursor of the next older page of the sweep, or NULL */
};

struct bsky_state {
    char *name;  /* [source NAME], for messages */
    char *scope; /* "collector:bluesky:NAME", for logs */
    char *url;   /* PDS root without trailing '/' */
    char *appview;
    char *identifier;
    char *password;
    struct bsky_tag tags[BSKY_MAX_TAGS];
    size_t n_tags;
    size_t cur; /* tag being swept */
    long long limit;
    enum bsky_step step; /* what next_request() asks for */
    enum bsky_step sent; /* what the response given to consume() answers */
    char *access;        /* session tokens: memory only */
    char *refresh;
    unsigned auth_fails; /* searches rejected in a row */
};

static void bsky_drop_session(struct bsky_state *st)
{
    free(st->access);
    free(st->refresh);
    st->access = NULL;
    st->refresh = NULL;
}

static void bsky_tags_reset(struct bsky_state *st)
{
    for (size_t i = 0; i < st->n_tags; i++) {
        st->tags[i].since_ms = 0;
        st->tags[i].top_ms = 0;
        free(st->tags[i].page);
        st->tags[i].page = NULL;
    }
    st->cur = 0;
}

static void bsky_destroy(void *state)
{
    struct bsky_state *st = state;
    if (st == NULL) {
        return;
    }
    bsky_tags_reset(st);
    for (size_t i = 0; i < st->n_tags; i++) {
        free(st->tags[i].name);
    }
    bsky_drop_session(st);
    free(st->name);
    free(st->scope);
    free(st->url);
    free(st->appview);
    free(st->identifier);
    free(st->password);
    free(st);
}

/* --- configuration --- */

/* Adds one tag of the list (s..e, '#' and blanks already trimmed). */
static int bsky_add_tag(struct bsky_state *st, const struct km_section *sec, const char *s,
                        size_t len, struct km_err *err)
{
    int line = km_section_line(sec, "tags");
    if (st->n_tags == BSKY_MAX_TAGS) {
        return km_err_set(err, KM_EINPUT,
                          "%s:%d: bluesky/%s: tags: at most %d tags per source; add another "
                          "[source] for more",
                          sec->file, line, st->name, BSKY_MAX_TAGS);
    }
    if (len > BSKY_TAG_MAX_BYTES || !km_utf8_valid(s, len, NULL) || memchr(s, ' ', len) != NULL) {
        return km_err_set(err, KM_EINPUT,
                          "%s:%d: bluesky/%s: tags: '%.*s' is not a hashtag (UTF-8, no blanks, "
                          "at most %d bytes)",
                          sec->file, line, st->name, (int)(len < 40 ? len : 40), s,
                          BSKY_TAG_MAX_BYTES);
    }
    st->tags[st->n_tags++].name = km_strndup(s, len);
    return KM_OK;
}

/* Splits "a, #b,c" into st->tags. Returns KM_OK or KM_EINPUT with err "FILE:LINE: ...". */
static int bsky_parse_tags(struct bsky_state *st, const struct km_section *sec, const char *list,
                           struct km_err *err)
{
    const char *cur = list, *s;
    size_t len;
    while (km_conf_list_next(&cur, &s, &len)) {
        if (len == 0) {
            return km_err_set(err, KM_EINPUT, "%s:%d: bluesky/%s: tags: empty tag in '%s'",
                              sec->file, km_section_line(sec, "tags"), st->name, list);
        }
        int rc = bsky_add_tag(st, sec, s, len, err);
        if (rc != KM_OK) {
            return rc;
        }
    }
    return KM_OK;
}

/* appview is a service reference "did:...#id" for the atproto-proxy header. */
static bool bsky_appview_valid(const char *v)
{
    const char *hash = strchr(v, '#');
    if (strncmp(v, "did:", 4) != 0 || hash == NULL || hash[1] == '\0' || hash == v + 4) {
        return false;
    }
    for (const char *p = v; *p != '\0'; p++) {
        if ((unsigned char)*p <= ' ' || *p == 0x7f) {
            return false;
        }
    }
    return true;
}

/* Checks url, appview, identifier and password and copies them into st. */
static int bsky_parse_account(struct bsky_state *st, const struct km_section *sec,
                              struct km_err *err)
{
    const char *url = km_section_get(sec, "url");
    const char *appview = km_section_get(sec, "appview");
    const char *id = km_section_get(sec, "identifier");
    const char *password = km_section_get(sec, "password");
    if (url == NULL || !km_url_secret_safe(url)) {
        return km_err_set(err, KM_EINPUT,
                          "%s:%d: bluesky/%s: url must be the PDS, like https://bsky.social "
                          "(http:// only on loopback: it carries the app password)",
                          sec->file, km_section_line(sec, "url"), st->name);
    }
    if (appview != NULL && *appview != '\0' && !bsky_appview_valid(appview)) {
        return km_err_set(err, KM_EINPUT,
                          "%s:%d: bluesky/%s: appview is a service DID like "
                          "did:web:api.bsky.app#bsky_appview (requests go through url)",
                          sec->file, km_section_line(sec, "appview"), st->name);
    }
    while (id != NULL && *id == '@') {
        id++;
    }
    if (id == NULL || *id == '\0' || !km_utf8_valid(id, strlen(id), NULL)) {
        return km_err_set(err, KM_EINPUT, "%s:%d: bluesky/%s: identifier must be a handle or a DID",
                          sec->file, km_section_line(sec, "identifier"), st->name);
    }
    if (password == NULL || *password == '\0' || !km_utf8_valid(password, strlen(password), NULL)) {
        return km_err_set(err, KM_EINPUT, "%s:%d: bluesky/%s: password is empty", sec->file,
                          km_section_line(sec, "password"), st->name);
    }
    size_t ulen = strlen(url);
    while (ulen > 0 && url[ulen - 1] == '/') {
        ulen--;
    }
    st->url = km_strndup(url, ulen);
    st->appview = appview != NULL && *appview != '\0' ? km_strdup(appview) : NULL;
    st->identifier = km_strdup(id);
    st->password = km_strdup(password);
    return KM_OK;
}

/* App passwords look like "abcd-efgh-ijkl-mnop". */
static bool bsky_is_app_password(const char *pw)
{
    if (strlen(pw) != 19) {
        return false;
    }
    for (size_t i = 0; i < 19; i++) {
        bool alnum = (pw[i] >= 'a' && pw[i] <= 'z') || (pw[i] >= '0' && pw[i] <= '9');
        if (i % 5 == 4 ? pw[i] != '-' : !alnum) {
            return false;
        }
    }
    return true;
}

static int bsky_create(const struct km_section *sec, void **state, struct km_err *err)
{
    int rc = KM_OK;
    struct bsky_state *st = km_calloc(1, sizeof(*st));
    st->name = km_strdup(sec->name != NULL ? sec->name : "?");
    st->scope = km_asprintf("collector:bluesky:%s", st->name);
    rc = bsky_parse_account(st, sec, err);
    if (rc != KM_OK) {
        goto out;
    }
    const char *tags = km_section_get(sec, "tags");
    if (tags == NULL) {
        rc = km_err_set(err, KM_EINPUT, "%s:%d: bluesky/%s: tags is required", sec->file, sec->line,
                        st->name);
        goto out;
    }
    rc = bsky_parse_tags(st, sec, tags, err);
    if (rc != KM_OK) {
        goto out;
    }
    st->limit = km_section_get_int(sec, "limit");
    if (st->limit < 1 || st->limit > BSKY_LIMIT_MAX) {
        st->limit = 50;
    }
    if (!bsky_is_app_password(st->password)) {
        KM_SLOG_WARN(st->scope, "password does not look like an app password (xxxx-xxxx-xxxx-"
                                "xxxx); the account password gives komek full access");
    }
out:
    if (rc != KM_OK) {
        bsky_destroy(st);
        st = NULL;
    }
    *state = st;
    return rc;
}

/* --- the cursor --- */

static int64_t bsky_json_time(yajl_val obj, const char *key)
{
    const char *s = km_json_str(obj, key);
    int64_t ms = 0;
    return s != NULL && km_time_parse_rfc3339(s, &ms) == KM_OK && ms > 0 ? ms : 0;
}

/* Reads the committed cursor into the tags' marks. A damaged cursor is dropped with a
 * warning: every tag then starts a first sweep, and the seen-set drops the repeats. */
static void bsky_cursor_load(struct bsky_state *st, const char *cursor)
{
    yajl_val root = NULL;
    struct km_err jerr = {{0}};
    bsky_tags_reset(st);
    if (cursor == NULL || *cursor == '\0') {
        return;
    }
    yajl_val tags = NULL;
    if (km_json_parse(cursor, strlen(cursor), &root, NULL, &jerr) != KM_OK ||
        !YAJL_IS_OBJECT(tags = km_json_get(root, "tags", NULL))) {
        KM_SLOG_WARN(st->scope, "ignoring invalid cursor '%.40s'", cursor);
        goto out;
    }
    const char *next = km_json_str(root, "next");
    for (size_t i = 0; i < st->n_tags; i++) {
        struct bsky_tag *t = &st->tags[i];
        yajl_val v = km_json_get(tags, t->name, NULL);
        t->since_ms = bsky_json_time(v, "since");
        t->top_ms = bsky_json_time(v, "top");
        t->page = km_strdup(km_json_str(v, "page"));
        if (next != NULL && strcmp(next, t->name) == 0) {
            st->cur = i;
        }
    }
out:
    km_json_free(root);
}

/* Appends ,"key":"RFC 3339 time" (or without the comma for the first field). */
static void bsky_put_time(struct km_buf *b, bool *first, const char *key, int64_t ms)
{
    char when[40];
    km_buf_printf(b, "%s\"%s\":\"%s\"", *first ? "" : ",", key,
                  km_time_format_rfc3339(ms, when, sizeof(when)));
    *first = false;
}

/* The marks of one tag: {"since":T,"top":T,"page":P} with the fields that are set. */
static void bsky_put_tag(struct km_buf *b, const struct bsky_tag *t)
{
    bool first = true;
    km_json_escape(b, t->name);
    km_buf_puts(b, ":{");
    if (t->since_ms > 0) {
        bsky_put_time(b, &first, "since", t->since_ms);
    }
    if (t->top_ms > 0) {
        bsky_put_time(b, &first, "top", t->top_ms);
    }
    if (t->page != NULL) {
        km_buf_puts(b, first ? "\"page\":" : ",\"page\":");
        km_json_escape(b, t->page);
    }
    km_buf_putc(b, '}');
}

/* {"v":1,"next":TAG,"tags":{TAG:{...},...}}; tags without marks are left out. Caller frees. */
static char *bsky_cursor_dump(const struct bsky_state *st)
{
    struct km_buf b = KM_BUF_INIT;
    km_buf_puts(&b, "{\"v\":1,\"next\":");
    km_json_escape(&b, st->tags[st->cur].name);
    km_buf_puts(&b, ",\"tags\":{");
    bool first = true;
    for (size_t i = 0; i < st->n_tags; i++) {
        const struct bsky_tag *t = &st->tags[i];
        if (t->since_ms == 0 && t->top_ms == 0 && t->page == NULL) {
            continue;
        }
        km_buf_puts(&b, first ? "" : ",");
        first = false;
        bsky_put_tag(&b, t);
    }
    km_buf_puts(&b, "}}");
    char *s = km_buf_take(&b);
    km_buf_free(&b);
    return s;
}

/* --- requests --- */

/* Bluesky makes a tag facet only of a tag with something besides digits and '_' (#109 is
 * plain text, as on Telegram and Mastodon), so tag[] would never match such a tag: it is
 * searched as text (q=#109) only, and the hashtag is found in the text. */
static bool bsky_tag_is_facet(const char *tag)
{
    for (const char *p = tag; *p != '\0'; p++) {
        if ((*p < '0' || *p > '9') && *p != '_') {
            return true;
        }
    }
    return false;
}

static int bsky_req_login(struct bsky_state *st, struct km_request *req)
{
    struct km_buf body = KM_BUF_INIT;
    km_buf_puts(&body, "{\"identifier\":");
    km_json_escape(&body, st->identifier);
    km_buf_puts(&body, ",\"password\":");
    km_json_escape(&body, st->password);
    km_buf_putc(&body, '}');
    req->method = KM_HTTP_POST;
    req->url = km_asprintf("%s/xrpc/com.atproto.server.createSession", st->url);
    req->body = km_buf_take(&body);
    req->content_type = km_strdup("application/json");
    km_buf_free(&body);
    return km_request_add_header(req, "Accept: application/json");
}

static int bsky_req_refresh(struct bsky_state *st, struct km_request *req)
{
    req->method = KM_HTTP_POST;
    req->url = km_asprintf("%s/xrpc/com.atproto.server.refreshSession", st->url);
    int rc = km_request_add_header(req, "Accept: application/json");
    if (rc == KM_OK) {
        rc = km_request_add_header(req, "Authorization: Bearer %s", st->refresh);
    }
    return rc;
}

static int bsky_req_search(struct bsky_state *st, struct km_request *req)
{
    const struct bsky_tag *t = &st->tags[st->cur];
    struct km_buf url = KM_BUF_INIT;
    km_buf_printf(&url, "%s/xrpc/app.bsky.feed.searchPosts?q=%%23", st->url);
    km_url_escape(&url, t->name);
    if (bsky_tag_is_facet(t->name)) {
        km_buf_puts(&url, "&tag=");
        km_url_escape(&url, t->name);
    }
    km_buf_printf(&url, "&sort=latest&limit=%lld", st->limit);
    if (t->since_ms > 0) {
        char when[40];
        km_time_format_rfc3339(t->since_ms - BSKY_SINCE_SLACK_MS, when, sizeof(when));
        km_buf_puts(&url, "&since=");
        km_url_escape(&url, when);
    }
    if (t->page != NULL) {
        km_buf_puts(&url, "&cursor=");
        km_url_escape(&url, t->page);
    }
    req->method = KM_HTTP_GET;
    req->url = km_buf_take(&url);
    km_buf_free(&url);
    int rc = km_request_add_header(req, "Accept: application/json");
    if (rc == KM_OK) {
        rc = km_request_add_header(req, "Authorization: Bearer %s", st->access);
    }
    if (rc == KM_OK && st->appview != NULL) {
        rc = km_request_add_header(req, "atproto-proxy: %s", st->appview);
    }
    return rc;
}

/* Logs in first, refreshes when the access token was rejected, otherwise searches the tag
 * the cursor names. */
static int bsky_next_request(void *state, const char *cursor, struct km_request *req)
{
    struct bsky_state *st = state;
    bsky_cursor_load(st, cursor);
    if (st->step == BSKY_REFRESH && st->refresh == NULL) {
        st->step = BSKY_LOGIN;
    }
    if (st->step == BSKY_SEARCH && st->access == NULL) {
        st->step = BSKY_LOGIN;
    }
    st->sent = st->step;
    switch (st->step) {
    case BSKY_LOGIN:
        return bsky_req_login(st, req);
    case BSKY_REFRESH:
        return bsky_req_refresh(st, req);
    default:
        return bsky_req_search(st, req);
    }
}

/* --- errors and rate limits --- */

/* The XRPC error body {"error":NAME,"message":TEXT}: name and message copied ("" if absent). */
static void bsky_error_body(const struct km_response *resp, char *name, size_t name_size, char *msg,
                            size_t msg_size)
{
    yajl_val root = NULL;
    struct km_err jerr = {{0}};
    name[0] = '\0';
    msg[0] = '\0';
    if (km_json_parse(resp->body, resp->body_len, &root, NULL, &jerr) == KM_OK) {
        const char *e = km_json_str(root, "error");
        const char *m = km_json_str(root, "message");
        snprintf(name, name_size, "%s", e != NULL ? e : "");
        snprintf(msg, msg_size, "%s", m != NULL ? m : "");
    }
    km_json_free(root);
}

/* Milliseconds until RateLimit-Reset (Unix seconds, as the atproto rate limiter sends it),
 * from when the response arrived, at most BSKY_RESET_MAX_MS; -1 if absent or invalid. */
static int64_t bsky_reset_ms(const struct km_response *resp)
{
    const char *v = km_response_header(resp, "RateLimit-Reset");
    if (v == NULL || *v < '0' || *v > '9') {
        return -1;
    }
    char *end = NULL;
    long long secs = strtoll(v, &end, 10);
    if (*end != '\0' || secs <= 0 || secs > INT64_MAX / 1000) {
        return -1;
    }
    int64_t now = resp->received_at_ms != 0 ? resp->received_at_ms : km_time_now_ms();
    int64_t at = (int64_t)secs * 1000;
    if (at <= now) {
        return 0;
    }
    return at - now < BSKY_RESET_MAX_MS ? at - now : BSKY_RESET_MAX_MS;
}

/* 429 and server trouble: KM_RETRY, waiting for RateLimit-Reset or Retry-After. */
static int bsky_retry(const struct bsky_state *st, const struct km_response *resp, const char *what,
                      struct km_post_batch *out, struct km_err *err)
{
    char name[64];
    char msg[128];
    bsky_error_body(resp, name, sizeof(name), msg, sizeof(msg));
    int64_t ms = resp->status == 429 ? bsky_reset_ms(resp) : -1;
    if (ms < 0) {
        ms = km_response_retry_after_ms(resp);
    }
    if (ms >= 0) {
        out->retry_after_ms = ms;
    }
    return km_err_set(err, KM_RETRY, "bluesky/%s: %s: HTTP %ld%s%s%s%s", st->name, what,
                      resp->status, resp->status == 429 ? ": rate limited" : "",
                      name[0] != '\0' ? " (" : "", name, name[0] != '\0' ? ")" : "");
}

/* --- login and refresh --- */

/* A 200 answer of createSession or refreshSession: keeps the tokens, searches next. */
static int bsky_session_ok(struct bsky_state *st, const struct km_response *resp,
                           struct km_post_batch *out, struct km_err *err)
{
    yajl_val root = NULL;
    struct km_err jerr = {{0}};
    int rc = KM_OK;
    const char *what = st->sent == BSKY_LOGIN ? "createSession" : "refreshSession";
    if (km_json_parse(resp->body, resp->body_len, &root, NULL, &jerr) != KM_OK) {
        rc = km_err_set(err, KM_EINPUT, "bluesky/%s: %s: %s", st->name, what, jerr.msg);
        goto out;
    }
    const char *access = km_json_str(root, "accessJwt");
    const char *refresh = km_json_str(root, "refreshJwt");
    if (access == NULL || *access == '\0' || refresh == NULL || *refresh == '\0') {
        rc = km_err_set(err, KM_EINPUT, "bluesky/%s: %s: answer without accessJwt/refreshJwt",
                        st->name, what);
        goto out;
    }
    bsky_drop_session(st);
    st->access = km_strdup(access);
    st->refresh = km_strdup(refresh);
    st->step = BSKY_SEARCH;
    out->more = true;
    if (st->sent == BSKY_LOGIN) {
        const char *handle = km_json_str(root, "handle");
        KM_SLOG_DEBUG(st->scope, "logged in as %s", handle != NULL ? handle : st->identifier);
    }
out:
    km_json_free(root);
    return rc;
}

/* Answers of createSession and refreshSession. A rejected login (400, 401, 403: wrong
 * identifier or app password, account taken down) is permanent; a rejected refresh logs in
 * again. */
static int bsky_on_session(struct bsky_state *st, const struct km_response *resp,
                           struct km_post_batch *out, struct km_err *err)
{
    const char *what = st->sent == BSKY_LOGIN ? "createSession" : "refreshSession";
    if (resp->status == 200) {
        return bsky_session_ok(st, resp, out, err);
    }
    if (resp->status == 429 || resp->status >= 500 || resp->status < 400) {
        return bsky_retry(st, resp, what, out, err);
    }
    if (st->sent == BSKY_REFRESH) {
        bsky_drop_session(st);
        st->step = BSKY_LOGIN;
        out->more = true;
        return KM_OK;
    }
    if (resp->status == 404 || resp->status == 410) {
        out->retry_after_ms = BSKY_GONE_RETRY_MS;
        return km_err_set(err, KM_RETRY,
                          "bluesky/%s: createSession: HTTP %ld: is url a PDS? "
                          "retrying in %d min",
                          st->name, resp->status, BSKY_GONE_RETRY_MS / 60000);
    }
    char name[64];
    char msg[128];
    bsky_error_body(resp, name, sizeof(name), msg, sizeof(msg));
    return km_err_set(err, KM_ERR,
                      "bluesky/%s: createSession: HTTP %ld %s: %s (check identifier and the app "
                      "password)",
                      st->name, resp->status, name[0] != '\0' ? name : "error",
                      msg[0] != '\0' ? msg : "login refused");
}

/* --- posts --- */

/* Adds the tag of a facet whose feature carries none: the text it covers, which must be a
 * whole UTF-8 slice of text starting with '#' or '＃' (byteStart/byteEnd are byte offsets,
 * end exclusive). Facets that do not fit the text are ignored. */
static void bsky_add_slice_tag(struct km_post *p, const char *text, yajl_val index)
{
    int64_t start = 0;
    int64_t end = 0;
    size_t len = strlen(text);
    if (!km_json_int(index, "byteStart", &start) || !km_json_int(index, "byteEnd", &end) ||
        start < 0 || end <= start || (uint64_t)end > len ||
        !km_utf8_valid(text + start, (size_t)(end - start), NULL)) {
        return;
    }
    const char *s = text + start;
    size_t n = (size_t)(end - start);
    size_t skip = s[0] == '#' ? 1 : (n >= 3 && memcmp(s, "\xEF\xBC\x83", 3) == 0) ? 3 : 0;
    if (skip == 0 || skip == n) {
        return;
    }
    char *tag = km_strndup(s + skip, n - skip);
    km_post_add_hashtag(p, tag);
    free(tag);
}

/* Tags of the app.bsky.richtext.facet#tag features. feature.tag is what the author tagged
 * and what the search matched; the covered text is used only when it is missing. */
static void bsky_add_facet_tags(struct km_post *p, const char *text, yajl_val facets)
{
    for (size_t i = 0; YAJL_IS_ARRAY(facets) && i < facets->u.array.len; i++) {
        yajl_val f = facets->u.array.values[i];
        yajl_val features = km_json_get(f, "features", NULL);
        for (size_t j = 0; YAJL_IS_ARRAY(features) && j < features->u.array.len; j++) {
            yajl_val feat = features->u.array.values[j];
            const char *type = km_json_str(feat, "$type");
            if (type == NULL || strcmp(type, "app.bsky.richtext.facet#tag") != 0) {
                continue;
            }
            const char *tag = km_json_str(feat, "tag");
            if (tag != NULL && *tag != '\0') {
                km_post_add_hashtag(p, tag);
            } else if (text != NULL) {
                bsky_add_slice_tag(p, text, km_json_get(f, "index", NULL));
            }
        }
    }
}

/* Hashtags: facet tags, the record's extra tags[] and #tags in the text (#109 has no facet). */
static void bsky_add_hashtags(struct km_post *p, yajl_val record)
{
    const char *text = km_json_str(record, "text");
    bsky_add_facet_tags(p, text, km_json_get(record, "facets", NULL));
    yajl_val tags = km_json_get(record, "tags", NULL);
    for (size_t i = 0; YAJL_IS_ARRAY(tags) && i < tags->u.array.len; i++) {
        const char *tag = YAJL_GET_STRING(tags->u.array.values[i]);
        if (tag != NULL) {
            km_post_add_hashtag(p, tag);
        }
    }
    if (text != NULL) {
        km_hashtags_extract(text, strlen(text), p);
    }
}

/* Images (full size) and video playlists of the embed view, also inside a quote post with
 * media (recordWithMedia). */
static void bsky_add_media(struct km_post *p, yajl_val embed)
{
    const char *type = km_json_str(embed, "$type");
    if (type != NULL && strcmp(type, "app.bsky.embed.recordWithMedia#view") == 0) {
        embed = km_json_get(embed, "media", NULL);
        type = km_json_str(embed, "$type");
    }
    if (type == NULL) {
        return;
    }
    if (strcmp(type, "app.bsky.embed.images#view") == 0) {
        yajl_val images = km_json_get(embed, "images", NULL);
        for (size_t i = 0; YAJL_IS_ARRAY(images) && i < images->u.array.len; i++) {
            const char *url = km_json_str(images->u.array.values[i], "fullsize");
            if (url != NULL) {
                km_post_add_media(p, url);
            }
        }
    } else if (strcmp(type, "app.bsky.embed.video#view") == 0) {
        const char *url = km_json_str(embed, "playlist");
        if (url != NULL) {
            km_post_add_media(p, url);
        }
    }
}

static int64_t bsky_count(yajl_val v, const char *key)
{
    int64_t n = -1;
    return km_json_int(v, key, &n) && n >= 0 ? n : -1;
}

/* author {did, displayName or handle, handle} and the web link
 * https://bsky.app/profile/<handle or did>/post/<rkey>. */
static void bsky_set_author(struct km_post *p, yajl_val author, const char *uri)
{
    const char *did = km_json_str(author, "did");
    const char *handle = km_json_str(author, "handle");
    const char *display = km_json_str(author, "displayName");
    if (handle != NULL && (*handle == '\0' || strcmp(handle, "handle.invalid") == 0)) {
        handle = NULL;
    }
    km_post_set(&p->author.id, did);
    km_post_set(&p->author.handle, handle);
    km_post_set(&p->author.name, display != NULL && *display != '\0' ? display : handle);
    const char *rkey = strrchr(uri, '/');
    if (rkey != NULL && rkey[1] != '\0' && strstr(uri, "/app.bsky.feed.post/") != NULL) {
        p->url = km_asprintf("https://bsky.app/profile/%s/post/%s", handle != NULL ? handle : did,
                             rkey + 1);
    }
}

/* The AppView's sortAt: the earlier of createdAt and indexedAt (0 if neither parses). */
static int64_t bsky_sort_at(yajl_val view)
{
    int64_t created = bsky_json_time(km_json_get(view, "record", NULL), "createdAt");
    int64_t indexed = bsky_json_time(view, "indexedAt");
    if (created == 0 || (indexed != 0 && indexed < created)) {
        return indexed;
    }
    return created;
}

/* Builds a post from a postView; NULL with *why when it lacks what a post needs. */
static struct km_post *bsky_post_from_view(const struct bsky_state *st, yajl_val v,
                                           int64_t collected_at, const char **why)
{
    const char *uri = km_json_str(v, "uri");
    yajl_val record = km_json_get(v, "record", NULL);
    yajl_val author = km_json_get(v, "author", NULL);
    if (uri == NULL || strncmp(uri, "at://", 5) != 0) {
        *why = "no at:// uri";
        return NULL;
    }
    if (!YAJL_IS_OBJECT(record) || km_json_str(author, "did") == NULL) {
        *why = !YAJL_IS_OBJECT(record) ? "no record" : "no author did";
        return NULL;
    }
    struct km_post *p = km_post_new();
    km_post_set(&p->network, BSKY_NETWORK);
    km_post_set(&p->source, st->name);
    km_post_set(&p->id, uri);
    bsky_set_author(p, author, uri);
    km_post_set(&p->text, km_json_str(record, "text"));
    yajl_val langs = km_json_get(record, "langs", NULL);
    if (YAJL_IS_ARRAY(langs) && langs->u.array.len > 0) {
        km_post_set(&p->lang, YAJL_GET_STRING(langs->u.array.values[0]));
    }
    p->created_at = bsky_json_time(record, "createdAt");
    if (p->created_at == 0) {
        p->created_at = bsky_json_time(v, "indexedAt");
    }
    p->collected_at = collected_at;
    bsky_add_hashtags(p, record);
    p->reply_to = km_strdup(km_json_str(km_json_get(record, "reply", "parent", NULL), "uri"));
    p->engagement.likes = bsky_count(v, "likeCount");
    p->engagement.reposts = bsky_count(v, "repostCount");
    p->engagement.replies = bsky_count(v, "replyCount");
    bsky_add_media(p, km_json_get(v, "embed", NULL));
    return p;
}

/* --- search --- */

/* Ends the sweep of the current tag: its mark moves to the newest post seen, and the next
 * tag is due at once unless the round of all tags is complete. */
static void bsky_sweep_done(struct bsky_state *st, struct km_post_batch *out)
{
    struct bsky_tag *t = &st->tags[st->cur];
    if (t->top_ms > t->since_ms) {
        t->since_ms = t->top_ms;
    }
    t->top_ms = 0;
    free(t->page);
    t->page = NULL;
    st->cur = (st->cur + 1) % st->n_tags;
    out->more = st->cur != 0;
}

/* Reads a 200 page (postViews, newest first) into out and decides whether to page on. */
static int bsky_page(struct bsky_state *st, yajl_val root, const struct km_response *resp,
                     struct km_post_batch *out, struct km_err *err)
{
    yajl_val posts = km_json_get(root, "posts", NULL);
    if (!YAJL_IS_ARRAY(posts)) {
        return km_err_set(err, KM_EINPUT, "bluesky/%s: response has no posts array", st->name);
    }
    struct bsky_tag *t = &st->tags[st->cur];
    int64_t floor = t->since_ms > 0 ? t->since_ms - BSKY_SINCE_SLACK_MS
                                    : resp->received_at_ms - BSKY_FIRST_RUN_MS;
    int64_t oldest = INT64_MAX;
    for (size_t i = 0; i < posts->u.array.len; i++) {
        yajl_val v = posts->u.array.values[i];
        const char *why = NULL;
        struct km_post *p = bsky_post_from_view(st, v, resp->received_at_ms, &why);
        if (p == NULL) {
            if (out->skipped++ == 0) {
                km_err_set(err, KM_EINPUT, "bluesky/%s: post #%zu: %s", st->name, i, why);
            }
            continue;
        }
        km_post_batch_add_take(out, p);
        int64_t at = bsky_sort_at(v);
        if (at > 0) {
            t->top_ms = at > t->top_ms ? at : t->top_ms;
            oldest = at < oldest ? at : oldest;
        }
    }
    const char *next = km_json_str(root, "cursor");
    if (next != NULL && *next != '\0' && posts->u.array.len >= (size_t)st->limit &&
        oldest != INT64_MAX && oldest >= floor) {
        km_post_set(&t->page, next);
        out->more = true;
    } else {
        bsky_sweep_done(st, out);
    }
    return KM_OK;
}

/* An access token the AppView or PDS refused (401, or 400 ExpiredToken/InvalidToken):
 * refresh, then log in again, then back off. */
static int bsky_search_refused(struct bsky_state *st, const struct km_response *resp,
                               struct km_post_batch *out, struct km_err *err)
{
    st->auth_fails++;
    if (st->auth_fails == 1 && st->refresh != NULL) {
        st->step = BSKY_REFRESH;
        out->more = true;
        return KM_OK;
    }
    bsky_drop_session(st);
    st->step = BSKY_LOGIN;
    if (st->auth_fails < BSKY_AUTH_TRIES) {
        out->more = true;
        return KM_OK;
    }
    return km_err_set(err, KM_RETRY,
                      "bluesky/%s: searchPosts: HTTP %ld: a fresh session was "
                      "refused too",
                      st->name, resp->status);
}

/* Non-200 answers of searchPosts: a refused token renews the session; nothing else stops
 * the source (only a refused login does). */
static int bsky_search_error(struct bsky_state *st, const struct km_response *resp,
                             struct km_post_batch *out, struct km_err *err)
{
    char name[64];
    char msg[128];
    bsky_error_body(resp, name, sizeof(name), msg, sizeof(msg));
    if (resp->status == 401 || (resp->status == 400 && (strcmp(name, "ExpiredToken") == 0 ||
                                                        strcmp(name, "InvalidToken") == 0))) {
        return bsky_search_refused(st, resp, out, err);
    }
    if (resp->status == 404 || resp->status == 410) {
        out->retry_after_ms = BSKY_GONE_RETRY_MS;
        return km_err_set(err, KM_RETRY,
                          "bluesky/%s: searchPosts: HTTP %ld: is url a PDS? "
                          "retrying in %d min",
                          st->name, resp->status, BSKY_GONE_RETRY_MS / 60000);
    }
    if (resp->status == 429 || resp->status >= 500 || resp->status < 400) {
        return bsky_retry(st, resp, "searchPosts", out, err);
    }
    /* Another refusal (a query the search does not take, a scope the app password lacks):
     * not the credentials, so retried with backoff rather than stopping the source. */
    int64_t ms = km_response_retry_after_ms(resp);
    if (ms >= 0) {
        out->retry_after_ms = ms;
    }
    return km_err_set(err, KM_RETRY, "bluesky/%s: searchPosts: HTTP %ld %s: %s", st->name,
                      resp->status, name[0] != '\0' ? name : "error",
                      msg[0] != '\0' ? msg : "request refused");
}

static int bsky_on_search(struct bsky_state *st, const struct km_response *resp,
                          struct km_post_batch *out, char **next_cursor, struct km_err *err)
{
    yajl_val root = NULL;
    struct km_err jerr = {{0}};
    int rc = KM_OK;
    if (resp->status != 200) {
        rc = bsky_search_error(st, resp, out, err);
        goto out;
    }
    if (km_json_parse(resp->body, resp->body_len, &root, NULL, &jerr) != KM_OK) {
        rc = km_err_set(err, KM_EINPUT, "bluesky/%s: %s", st->name, jerr.msg);
        goto out;
    }
    st->auth_fails = 0;
    rc = bsky_page(st, root, resp, out, err);
    if (rc != KM_OK) {
        goto out;
    }
    *next_cursor = bsky_cursor_dump(st);
    /* The last request of the window still succeeds; wait for the reset instead of a 429. */
    const char *remaining = km_response_header(resp, "RateLimit-Remaining");
    if (remaining != NULL && strcmp(remaining, "0") == 0 && bsky_reset_ms(resp) >= 0) {
        out->retry_after_ms = bsky_reset_ms(resp);
    }
out:
    km_json_free(root);
    return rc;
}

static int bsky_consume(void *state, const struct km_response *resp, struct km_post_batch *out,
                        char **next_cursor, struct km_err *err)
{
    struct bsky_state *st = state;
    *next_cursor = NULL;
    if (st->sent == BSKY_SEARCH) {
        return bsky_on_search(st, resp, out, next_cursor, err);
    }
    return bsky_on_session(st, resp, out, err);
}

const struct km_collector km_collector_bluesky = {
    .name = "bluesky",
    .keys = bsky_keys,
    .create = bsky_create,
    .next_request = bsky_next_request,
    .consume = bsky_consume,
    .destroy = bsky_destroy,
};
