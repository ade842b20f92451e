/* X (Twitter) collector: polls the API v2 recent search for the watched hashtags
 * (GET /2/tweets/search/recent, https://docs.x.com/x-api/posts/recent-search).
 *
 * The query is "#a OR #b ..." with retweets kept: a retweet becomes a post of its own whose
 * reply_to is the original. The first run reads the newest page only. After that every poll
 * asks for tweets newer than since_id; search answers newest first, so when more than a page
 * is new the walk goes back with pagination_token and since_id advances to the newest id of
 * the whole walk only once the walk is done. The cursor is JSON,
 * {"since_id":..,"next_token":..,"walk_newest":..}, so a restart in the middle of a walk goes
 * on with it (a page seen twice is dropped by the queue's dedup). Tweet text arrives with
 * & < > HTML-escaped, and entity start/end count code points of the unescaped text. */
#include "collectors/collector.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/time.h"
#include "parser/hashtag.h"
#include "parser/json.h"
#include "parser/post.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define X_NETWORK "x"

/* Longest query the standard (Basic/Pro) tiers accept, in characters; a longer one is
 * refused with 400 on every poll, so it is refused in the config instead. */
#define X_QUERY_MAX_CHARS 512

/* Page size bounds of recent search (max_results). */
#define X_RESULTS_MIN 10
#define X_RESULTS_MAX 100

/* Longest wait taken from x-rate-limit-reset: a day (the longest X window, the 24-hour app
 * caps). A reset further away is a broken clock or header and must not park the source. */
#define X_RESET_MAX_MS (24LL * 3600 * 1000)

/* Wait after 404: a wrong url or a moved endpoint is fixed by a config reload or by X, so
 * keep asking, but rarely. */
#define X_GONE_RETRY_MS (10 * 60 * 1000)

/* "…", the end of a retweet text that X cut to fit the old 140-character limit. */
#define X_ELLIPSIS "\xe2\x80\xa6"

/* Everything a post needs besides the tweet itself, in one request. */
#define X_FIELDS                                                                                   \
    "&tweet.fields=created_at,author_id,public_metrics,entities,referenced_tweets,lang,"           \
    "conversation_id,geo,attachments"                                                              \
    "&expansions=author_id,referenced_tweets.id,attachments.media_keys"                            \
    "&user.fields=username,name&media.fields=url,preview_image_url,type"

static const struct km_conf_key x_keys[] = {
    {"url", KM_CONF_STR, "https://api.x.com", 0, 0, 0,
     "API root (https://api.x.com; https://api.twitter.com is the same service)"},
    {"token", KM_CONF_STR, NULL, 0, 0, KM_CONF_REQUIRED | KM_CONF_SECRET,
     "app-only bearer token of a project with recent search access; write env:VAR or "
     "file:PATH"},
    {"tags", KM_CONF_STR, NULL, 0, 0, KM_CONF_REQUIRED,
     "comma-separated hashtags without '#', searched as \"#a OR #b\" (retweets included); "
     "the query may have at most 512 characters"},
    {"max_results", KM_CONF_INT, "100", X_RESULTS_MIN, X_RESULTS_MAX, 0,
     "tweets per request (10-100)"},
    {NULL, 0, NULL, 0, 0, 0, NULL},
};

/* The walk state kept in the cursor; every field may be NULL. */
struct x_cursor {
    char *since_id;    /* poll for tweets newer than this */
    char *next_token;  /* a walk back through older pages is under way */
    char *walk_newest; /* newest id seen so far in that walk */
};

struct x_state {
    char *name;  /* [source NAME], for messages */
    char *scope; /* "collector:x:NAME", for logs */
    char *url;   /* API root without trailing '/' */
    char *token;
    char *query; /* "#a OR #b" */
    long long max_results;
    struct x_cursor cur; /* the cursor of the request under way (set by next_request) */
};

static void x_cursor_free(struct x_cursor *c)
{
    free(c->since_id);
    free(c->next_token);
    free(c->walk_newest);
    memset(c, 0, sizeof(*c));
}

static void x_destroy(void *state)
{
    struct x_state *st = state;
    if (st == NULL) {
        return;
    }
    free(st->name);
    free(st->scope);
    free(st->url);
    free(st->token);
    free(st->query);
    x_cursor_free(&st->cur);
    free(st);
}

/* ---- configuration ----------------------------------------------------------------- */

/* A tag becomes "#tag" in the query, so ASCII punctuation, spaces and operators would change
 * its meaning; letters of every script, digits and '_' are what X accepts in a hashtag. */
static bool x_tag_valid(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        bool ok = c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '_';
        if (!ok) {
            return false;
        }
    }
    return true;
}

/* Characters (code points) of a UTF-8 string, as X counts the query length. */
static size_t x_chars(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++) {
        n += ((unsigned char)*s & 0xc0) != 0x80;
    }
    return n;
}

/* Turns "a, #b,c" into the query "#a OR #b OR #c". Returns KM_OK or KM_EINPUT with err
 * "FILE:LINE: ...". */
static int x_build_query(struct x_state *st, const struct km_section *sec, const char *list,
                         struct km_err *err)
{
    int line = km_section_line(sec, "tags");
    struct km_buf q = KM_BUF_INIT;
    int rc = KM_OK;
    const char *cur = list, *s;
    size_t len;
    for (const char *raw = cur; km_conf_list_next(&cur, &s, &len); raw = cur) {
        if (len == 0 || !x_tag_valid(s, len)) {
            rc = km_err_set(err, KM_EINPUT,
                            "%s:%d: x/%s: tags: %s tag '%.*s' (letters, digits and '_' only)",
                            sec->file, line, st->name, len == 0 ? "empty" : "invalid",
                            (int)strcspn(raw, ","), raw);
            goto out;
        }
        km_buf_printf(&q, "%s#%.*s", q.len > 0 ? " OR " : "", (int)len, s);
    }
    if (q.len == 0) {
        rc = km_err_set(err, KM_EINPUT, "%s:%d: x/%s: tags: none given", sec->file, line,
                        st->name);
        goto out;
    }
    if (x_chars(q.data) > X_QUERY_MAX_CHARS) {
        rc = km_err_set(err, KM_EINPUT,
                        "%s:%d: x/%s: tags: the query is %zu characters, X accepts %d; split "
                        "the tags over several [source] sections",
                        sec->file, line, st->name, x_chars(q.data), X_QUERY_MAX_CHARS);
        goto out;
    }
    st->query = km_buf_take(&q);
out:
    km_buf_free(&q);
    return rc;
}

/* A bearer token goes into a header line: printable ASCII without spaces only. */
static bool x_token_valid(const char *token)
{
    for (const char *p = token; *p != '\0'; p++) {
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
            return false;
        }
    }
    return *token != '\0';
}

static int x_create(const struct km_section *sec, void **state, struct km_err *err)
{
    int rc = KM_OK;
    struct x_state *st = km_calloc(1, sizeof(*st));
    st->name = km_strdup(sec->name != NULL ? sec->name : "?");
    st->scope = km_asprintf("collector:x:%s", st->name);
    const char *url = km_section_get(sec, "url");
    const char *token = km_section_get(sec, "token");
    const char *tags = km_section_get(sec, "tags");
    if (url == NULL || !km_url_secret_safe(url)) {
        rc = km_err_set(err, KM_EINPUT,
                        "%s:%d: x/%s: url must use https:// (http:// only on loopback: the "
                        "bearer token goes with every request)",
                        sec->file, km_section_line(sec, "url"), st->name);
        goto out;
    }
    if (token == NULL || !x_token_valid(token)) {
        rc = km_err_set(err, KM_EINPUT,
                        "%s:%d: x/%s: token must be the app's bearer token (printable, no spaces)",
                        sec->file, km_section_line(sec, "token"), st->name);
        goto out;
    }
    if (tags == NULL) {
        rc = km_err_set(err, KM_EINPUT, "%s:%d: x/%s: tags is required", sec->file, sec->line,
                        st->name);
        goto out;
    }
    rc = x_build_query(st, sec, tags, err);
    if (rc != KM_OK) {
        goto out;
    }
    size_t ulen = strlen(url);
    while (ulen > 0 && url[ulen - 1] == '/') {
        ulen--;
    }
    st->url = km_strndup(url, ulen);
    st->token = km_strdup(token);
    st->max_results = km_section_get_int(sec, "max_results");
    if (st->max_results < X_RESULTS_MIN || st->max_results > X_RESULTS_MAX) {
        st->max_results = X_RESULTS_MAX;
    }
out:
    if (rc != KM_OK) {
        x_destroy(st);
        st = NULL;
    }
    *state = st;
    return rc;
}

/* ---- ids and the cursor ------------------------------------------------------------ */

/* Tweet ids are decimal strings (snowflakes). */
static bool x_id_valid(const char *s)
{
    if (s == NULL || *s == '\0' || strlen(s) > 20) {
        return false;
    }
    return strspn(s, "0123456789") == strlen(s);
}

/* Longer is newer, equal lengths compare lexically; NULL is older than any id. */
static int x_id_cmp(const char *a, const char *b)
{
    if (a == NULL || b == NULL) {
        return (a != NULL) - (b != NULL);
    }
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb) {
        return la < lb ? -1 : 1;
    }
    return strcmp(a, b);
}

static const char *x_id_max(const char *a, const char *b)
{
    return x_id_cmp(a, b) >= 0 ? a : b;
}

/* Reads a committed cursor. A bare id (hand-written) counts as since_id; anything that is
 * not a cursor is dropped with a warning, which starts over with the newest page. */
static void x_cursor_parse(const struct x_state *st, const char *s, struct x_cursor *c)
{
    yajl_val root = NULL;
    struct km_err jerr = {{0}};
    memset(c, 0, sizeof(*c));
    if (s == NULL || *s == '\0') {
        return;
    }
    if (x_id_valid(s)) {
        c->since_id = km_strdup(s);
        return;
    }
    if (km_json_parse(s, strlen(s), &root, NULL, &jerr) != KM_OK || !YAJL_IS_OBJECT(root)) {
        KM_SLOG_WARN(st->scope, "ignoring invalid cursor '%.60s'", s);
        goto out;
    }
    const char *since = km_json_str(root, "since_id");
    const char *token = km_json_str(root, "next_token");
    const char *newest = km_json_str(root, "walk_newest");
    if (x_id_valid(since)) {
        c->since_id = km_strdup(since);
        if (token != NULL && *token != '\0') {
            c->next_token = km_strdup(token);
            c->walk_newest = x_id_valid(newest) ? km_strdup(newest) : NULL;
        }
    }
out:
    km_json_free(root);
}

/* The cursor as JSON; since_id must be set. Caller frees. */
static char *x_cursor_format(const char *since_id, const char *next_token, const char *walk_newest)
{
    struct km_buf b = KM_BUF_INIT;
    km_buf_puts(&b, "{\"since_id\":");
    km_json_escape(&b, since_id);
    if (next_token != NULL) {
        km_buf_puts(&b, ",\"next_token\":");
        km_json_escape(&b, next_token);
        km_buf_puts(&b, ",\"walk_newest\":");
        km_json_escape(&b, walk_newest != NULL ? walk_newest : since_id);
    }
    km_buf_putc(&b, '}');
    return km_buf_take(&b);
}

/* The cursor to commit after a page whose newest id is newest (NULL when empty) and that
 * points to older pages with next_token (NULL when none). */
static char *x_cursor_next(const struct x_cursor *cur, const char *newest, const char *next_token,
                           bool *more)
{
    if (cur->since_id == NULL) {
        /* First run: the newest page only; poll forward from it. */
        return newest != NULL ? x_cursor_format(newest, NULL, NULL) : NULL;
    }
    const char *top = x_id_max(cur->next_token != NULL ? cur->walk_newest : NULL, newest);
    top = x_id_max(top, cur->since_id);
    if (next_token != NULL && *next_token != '\0') {
        *more = true;
        return x_cursor_format(cur->since_id, next_token, top);
    }
    if (cur->next_token == NULL && x_id_cmp(top, cur->since_id) == 0) {
        return NULL; /* nothing new, nothing to change */
    }
    return x_cursor_format(top, NULL, NULL);
}

/* ---- the request ------------------------------------------------------------------- */

/* Remembers the parsed cursor in the state: consume() of this request's answer needs it. */
static int x_next_request(void *state, const char *cursor, struct km_request *req)
{
    struct x_state *st = state;
    const struct x_cursor *cur = &st->cur;
    struct km_buf url = KM_BUF_INIT;
    x_cursor_free(&st->cur);
    x_cursor_parse(st, cursor, &st->cur);
    km_buf_printf(&url, "%s/2/tweets/search/recent?query=", st->url);
    km_url_escape(&url, st->query);
    km_buf_printf(&url, "&max_results=%lld" X_FIELDS, st->max_results);
    if (cur->since_id != NULL) {
        km_buf_puts(&url, "&since_id=");
        km_buf_puts(&url, cur->since_id);
        if (cur->next_token != NULL) {
            km_buf_puts(&url, "&pagination_token=");
            km_url_escape(&url, cur->next_token);
        }
    }
    req->method = KM_HTTP_GET;
    req->url = km_buf_take(&url);
    int rc = km_request_add_header(req, "Authorization: Bearer %s", st->token);
    km_buf_free(&url);
    return rc;
}

/* ---- errors and rate limits -------------------------------------------------------- */

/* Milliseconds until x-rate-limit-reset (Unix seconds), measured from when the response
 * arrived, at most X_RESET_MAX_MS; -1 if the header is absent or not a number. */
static int64_t x_reset_ms(const struct km_response *resp)
{
    const char *v = km_response_header(resp, "x-rate-limit-reset");
    char *end = NULL;
    if (v == NULL) {
        return -1;
    }
    errno = 0;
    long long secs = strtoll(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || secs < 0 || secs > INT64_MAX / 1000) {
        return -1;
    }
    int64_t now = resp->received_at_ms != 0 ? resp->received_at_ms : km_time_now_ms();
    int64_t at = (int64_t)secs * 1000;
    if (at <= now) {
        return 0;
    }
    return at - now < X_RESET_MAX_MS ? at - now : X_RESET_MAX_MS;
}

/* What an error body says, as " (...)" in buf ("" if it says nothing): the first
 * errors[].message (v1 errors, invalid parameters), else title, detail, reason and
 * required_enrollment of a v2 problem. */
static void x_problem(yajl_val root, char *buf, size_t size)
{
    yajl_val errs = km_json_get(root, "errors", NULL);
    const char *msg = YAJL_IS_ARRAY(errs) && errs->u.array.len > 0
                          ? km_json_str(errs->u.array.values[0], "message")
                          : NULL;
    const char *title = km_json_str(root, "title");
    const char *detail = km_json_str(root, "detail");
    const char *reason = km_json_str(root, "reason");
    const char *needs = km_json_str(root, "required_enrollment");
    buf[0] = '\0';
    if (msg != NULL) {
        snprintf(buf, size, " (%s)", msg);
    } else if (reason != NULL || needs != NULL) {
        snprintf(buf, size, " (%s: %s%s%s)", title != NULL ? title : "forbidden",
                 reason != NULL ? reason : "", needs != NULL ? "; needs " : "",
                 needs != NULL ? needs : "");
    } else if (title != NULL && detail != NULL && strcmp(title, detail) != 0) {
        snprintf(buf, size, " (%s: %s)", title, detail);
    } else if (title != NULL || detail != NULL) {
        snprintf(buf, size, " (%s)", title != NULL ? title : detail);
    }
}

/* Maps a response other than 200 to a result code and err; root is its parsed body or
 * NULL. */
static int x_http_error(const struct x_state *st, const struct km_response *resp, yajl_val root,
                        struct km_post_batch *out, struct km_err *err)
{
    char why[200];
    long status = resp->status;
    x_problem(root, why, sizeof(why));
    if (status == 429) {
        int64_t ms = x_reset_ms(resp);
        out->retry_after_ms = ms >= 0 ? ms : km_response_retry_after_ms(resp);
        out->retry_after_ms = out->retry_after_ms > 0 ? out->retry_after_ms : 0;
        return km_err_set(err, KM_RETRY, "x/%s: HTTP 429: rate limited%s", st->name, why);
    }
    if (status == 401) {
        return km_err_set(err, KM_ERR, "x/%s: HTTP 401: bearer token rejected%s", st->name, why);
    }
    if (status == 403) {
        return km_err_set(err, KM_ERR,
                          "x/%s: HTTP 403: the app is not entitled to recent search (check "
                          "its project and access tier)%s",
                          st->name, why);
    }
    if (status == 400) {
        return km_err_set(err, KM_ERR, "x/%s: HTTP 400: request refused%s", st->name, why);
    }
    if (status == 404) {
        out->retry_after_ms = X_GONE_RETRY_MS;
        return km_err_set(err, KM_RETRY,
                          "x/%s: HTTP 404: no recent search at url%s; retrying in "
                          "%d min",
                          st->name, why, X_GONE_RETRY_MS / 60000);
    }
    int64_t ms = km_response_retry_after_ms(resp);
    if (ms >= 0) {
        out->retry_after_ms = ms;
    }
    return km_err_set(err, KM_RETRY, "x/%s: HTTP %ld%s", st->name, status, why);
}

/* True if a 400 body refuses param ("since_id", "pagination_token"); *msg is its message. */
static bool x_refused_param(yajl_val root, const char *param, const char **msg)
{
    yajl_val errs = km_json_get(root, "errors", NULL);
    for (size_t i = 0; YAJL_IS_ARRAY(errs) && i < errs->u.array.len; i++) {
        yajl_val e = errs->u.array.values[i];
        if (km_json_get(e, "parameters", param, NULL) != NULL) {
            *msg = km_json_str(e, "message");
            return true;
        }
    }
    return false;
}

/* A 400 that refuses the cursor rather than the query is recovered from: a since_id older
 * than the 7-day window is replaced by the oldest id X still accepts (its message names it),
 * an invalid pagination_token restarts the walk. Returns KM_OK with *next_cursor set, or
 * KM_ERR if the 400 is about something else. */
static int x_recover_400(const struct x_state *st, yajl_val root, const struct x_cursor *cur,
                         struct km_post_batch *out, char **next_cursor)
{
    const char *msg = NULL;
    if (cur->since_id != NULL && cur->next_token != NULL &&
        x_refused_param(root, "pagination_token", &msg)) {
        KM_SLOG_WARN(st->scope, "pagination_token refused, walking again from the newest page");
        *next_cursor = x_cursor_format(cur->since_id, NULL, NULL);
    } else if (cur->since_id != NULL && x_refused_param(root, "since_id", &msg)) {
        const char *larger = msg != NULL ? strstr(msg, "larger than ") : NULL;
        char id[24] = "";
        if (larger != NULL) {
            larger += strlen("larger than ");
            snprintf(id, sizeof(id), "%.*s", (int)strspn(larger, "0123456789"), larger);
        }
        KM_SLOG_WARN(st->scope, "since_id %s is older than X's 7-day window; %s", cur->since_id,
                     x_id_valid(id) ? "reading the whole window" : "starting from the newest");
        *next_cursor = x_id_valid(id) ? x_cursor_format(id, NULL, NULL) : km_strdup("{}");
    } else {
        return KM_ERR;
    }
    out->more = true;
    return KM_OK;
}

/* ---- tweets to posts --------------------------------------------------------------- */

/* The element of array arr whose string at key equals value, or NULL. */
static yajl_val x_find(yajl_val arr, const char *key, const char *value)
{
    for (size_t i = 0; value != NULL && YAJL_IS_ARRAY(arr) && i < arr->u.array.len; i++) {
        const char *v = km_json_str(arr->u.array.values[i], key);
        if (v != NULL && strcmp(v, value) == 0) {
            return arr->u.array.values[i];
        }
    }
    return NULL;
}

/* Undoes X's escaping of the text (&amp; &lt; &gt;), in one pass so that "&amp;lt;" stays
 * "&lt;". Caller frees; NULL for NULL. */
static char *x_unescape(const char *s)
{
    static const struct {
        const char *ref, *ch;
    } refs[] = {{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}};
    if (s == NULL) {
        return NULL;
    }
    struct km_buf b = KM_BUF_INIT;
    km_buf_append(&b, "", 0);
    while (*s != '\0') {
        size_t i = 0;
        while (i < 3 && strncmp(s, refs[i].ref, strlen(refs[i].ref)) != 0) {
            i++;
        }
        if (i < 3) {
            km_buf_puts(&b, refs[i].ch);
            s += strlen(refs[i].ref);
        } else {
            km_buf_putc(&b, *s++);
        }
    }
    return km_buf_take(&b);
}

/* True for a retweet text that X cut short: "RT @user: ...…". */
static bool x_rt_truncated(const char *text)
{
    size_t len = strlen(text), el = strlen(X_ELLIPSIS);
    return strncmp(text, "RT @", 4) == 0 && len > el && strcmp(text + len - el, X_ELLIPSIS) == 0;
}

/* The hashtag at an entity's start/end (code points of the unescaped text) without its
 * '#', or NULL if the range does not fit the text or is no hashtag. Caller frees. */
static char *x_entity_slice(const char *text, yajl_val h)
{
    int64_t start = -1, end = -1;
    size_t bs = 0, be = 0;
    if (!km_json_int(h, "start", &start) || !km_json_int(h, "end", &end) || start < 0 ||
        end <= start + 1 ||
        km_codepoint_slice(text, strlen(text), (size_t)start, (size_t)end, &bs, &be) != KM_OK ||
        text[bs] != '#') {
        return NULL;
    }
    return km_strndup(text + bs + 1, be - bs - 1);
}

/* True if text ends with "#tag…": in a cut-short text that tag is incomplete. */
static bool x_tag_at_cut(const char *text, const char *tag)
{
    size_t len = strlen(text), tl = strlen(tag), el = strlen(X_ELLIPSIS);
    return len >= tl + 1 + el && text[len - el - tl - 1] == '#' &&
           strncmp(text + len - el - tl, tag, tl) == 0;
}

/* Adds the hashtags of entities.hashtags[]: the tag field, or the text at start/end when
 * the tag field is missing (the tag field wins when they disagree: offsets are the fragile
 * part). In a cut-short text the tag right before "…" is incomplete and left out. */
static void x_add_entity_tags(struct km_post *p, const char *text, yajl_val entities, bool cut)
{
    yajl_val tags = km_json_get(entities, "hashtags", NULL);
    for (size_t i = 0; YAJL_IS_ARRAY(tags) && i < tags->u.array.len; i++) {
        yajl_val h = tags->u.array.values[i];
        const char *tag = km_json_str(h, "tag");
        char *sliced = tag == NULL || *tag == '\0' ? x_entity_slice(text, h) : NULL;
        const char *use = sliced != NULL ? sliced : tag;
        if (use != NULL && *use != '\0' && !(cut && x_tag_at_cut(text, use))) {
            km_post_add_hashtag(p, use);
        }
        free(sliced);
    }
}

/* Hashtags written in the text; in a cut-short text, up to the last space before "…". */
static void x_extract_tags(struct km_post *p, const char *text, bool cut)
{
    size_t len = strlen(text);
    if (cut) {
        len -= strlen(X_ELLIPSIS);
        while (len > 0 && text[len - 1] != ' ' && text[len - 1] != '\n') {
            len--;
        }
    }
    km_hashtags_extract(text, len, p);
}

/* text and hashtags. A cut-short retweet takes the full text of the original (from
 * includes.tweets) after its own "RT @user: ". */
static void x_set_text(struct km_post *p, yajl_val t, yajl_val orig)
{
    char *own = x_unescape(km_json_str(t, "text"));
    bool cut = x_rt_truncated(own);
    const char *full_raw = cut ? km_json_str(orig, "text") : NULL;
    if (full_raw != NULL) {
        char *full = x_unescape(full_raw);
        const char *colon = strstr(own, ": ");
        int prefix = colon != NULL ? (int)(colon + 2 - own) : 0;
        x_add_entity_tags(p, full, km_json_get(orig, "entities", NULL), false);
        p->text = km_asprintf("%.*s%s", prefix, own, full);
        x_extract_tags(p, p->text, false);
        free(full);
        free(own);
        return;
    }
    x_add_entity_tags(p, own, km_json_get(t, "entities", NULL), cut);
    x_extract_tags(p, own, cut);
    p->text = own;
}

/* X's language codes for "no language": und, zxx (media only) and q* (qme, qht, qam, qct,
 * qst: only media, hashtags, mentions, cashtags, or too short). */
static void x_set_lang(struct km_post *p, const char *lang)
{
    if (lang == NULL || strcmp(lang, "und") == 0 || strcmp(lang, "zxx") == 0 ||
        (lang[0] == 'q' && strlen(lang) == 3)) {
        return;
    }
    km_post_set(&p->lang, lang);
}

static int64_t x_count(yajl_val metrics, const char *key)
{
    int64_t v = -1;
    return km_json_int(metrics, key, &v) && v >= 0 ? v : -1;
}

static void x_set_engagement(struct km_post *p, yajl_val t)
{
    yajl_val m = km_json_get(t, "public_metrics", NULL);
    p->engagement.likes = x_count(m, "like_count");
    p->engagement.reposts = x_count(m, "retweet_count");
    p->engagement.replies = x_count(m, "reply_count");
    p->engagement.views = x_count(m, "impression_count");
}

/* Media of attachments.media_keys from includes.media: the photo URL, or the preview image
 * of a video or GIF. */
static void x_add_media(struct km_post *p, yajl_val t, yajl_val media)
{
    yajl_val keys = km_json_get(t, "attachments", "media_keys", NULL);
    for (size_t i = 0; YAJL_IS_ARRAY(keys) && i < keys->u.array.len; i++) {
        yajl_val k = keys->u.array.values[i];
        yajl_val m = YAJL_IS_STRING(k) ? x_find(media, "media_key", YAJL_GET_STRING(k)) : NULL;
        const char *url = km_json_str(m, "url");
        if (url == NULL) {
            url = km_json_str(m, "preview_image_url");
        }
        if (url != NULL) {
            km_post_add_media(p, url);
        }
    }
}

/* geo.coordinates, a GeoJSON Point: [longitude, latitude]. */
static void x_set_geo(struct km_post *p, yajl_val t)
{
    yajl_val point = km_json_get(t, "geo", "coordinates", NULL);
    const char *type = km_json_str(point, "type");
    yajl_val c = km_json_get(point, "coordinates", NULL);
    if (type == NULL || strcmp(type, "Point") != 0 || !YAJL_IS_ARRAY(c) || c->u.array.len != 2 ||
        !YAJL_IS_DOUBLE(c->u.array.values[0]) || !YAJL_IS_DOUBLE(c->u.array.values[1])) {
        return;
    }
    double lon = YAJL_GET_DOUBLE(c->u.array.values[0]);
    double lat = YAJL_GET_DOUBLE(c->u.array.values[1]);
    if (lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) {
        p->has_geo = true;
        p->lat = lat;
        p->lon = lon;
    }
}

/* The id a tweet retweets, else replies to, else quotes (NULL if none); *rt tells whether it
 * is a retweet. Borrowed from t. */
static const char *x_referenced(yajl_val t, bool *rt)
{
    static const char *const kinds[] = {"retweeted", "replied_to", "quoted"};
    yajl_val refs = km_json_get(t, "referenced_tweets", NULL);
    for (size_t k = 0; k < 3; k++) {
        yajl_val r = x_find(refs, "type", kinds[k]);
        const char *id = km_json_str(r, "id");
        if (id != NULL) {
            *rt = k == 0;
            return id;
        }
    }
    return NULL;
}

/* author {id, name, username} from includes.users, and the link to the tweet. */
static void x_set_author(struct km_post *p, yajl_val t, yajl_val users)
{
    p->author.id = km_json_scalar_dup(t, "author_id");
    yajl_val u = x_find(users, "id", p->author.id);
    const char *username = km_json_str(u, "username");
    km_post_set(&p->author.name, km_json_str(u, "name"));
    km_post_set(&p->author.handle, username);
    if (username != NULL && x_tag_valid(username, strlen(username)) && *username != '\0') {
        p->url = km_asprintf("https://x.com/%s/status/%s", username, p->id);
    } else {
        p->url = km_asprintf("https://x.com/i/web/status/%s", p->id);
    }
}

/* Builds a post from a Tweet with a valid id and text. A retweet keeps its own id, author and
 * time, points reply_to at the original and takes the original's counts and media when
 * includes.tweets has it. */
static struct km_post *x_post_from_tweet(const struct x_state *st, yajl_val t, yajl_val includes,
                                         const char *id, int64_t collected_at)
{
    struct km_post *p = km_post_new();
    km_post_set(&p->network, X_NETWORK);
    km_post_set(&p->source, st->name);
    km_post_set(&p->id, id);
    x_set_author(p, t, km_json_get(includes, "users", NULL));
    int64_t ms = 0;
    const char *created = km_json_str(t, "created_at");
    if (created != NULL && km_time_parse_rfc3339(created, &ms) == KM_OK) {
        p->created_at = ms;
    }
    p->collected_at = collected_at;
    x_set_lang(p, km_json_str(t, "lang"));
    bool rt = false;
    km_post_set(&p->reply_to, x_referenced(t, &rt));
    yajl_val orig = rt ? x_find(km_json_get(includes, "tweets", NULL), "id", p->reply_to) : NULL;
    x_set_text(p, t, orig);
    x_set_engagement(p, orig != NULL ? orig : t);
    yajl_val media = km_json_get(includes, "media", NULL);
    x_add_media(p, t, media);
    if (p->n_media == 0 && orig != NULL) {
        x_add_media(p, orig, media);
    }
    x_set_geo(p, t);
    return p;
}

/* Reads the tweets of a 200 page into out; *newest ends as the newest id of the page
 * (borrowed from root) or NULL if it is empty. Malformed tweets are counted in
 * out->skipped, err keeps the first reason. */
static void x_page(const struct x_state *st, yajl_val root, const struct km_response *resp,
                   struct km_post_batch *out, const char **newest, struct km_err *err)
{
    yajl_val data = km_json_get(root, "data", NULL);
    yajl_val includes = km_json_get(root, "includes", NULL);
    const char *meta_newest = km_json_str(km_json_get(root, "meta", NULL), "newest_id");
    *newest = x_id_valid(meta_newest) ? meta_newest : NULL;
    for (size_t i = 0; YAJL_IS_ARRAY(data) && i < data->u.array.len; i++) {
        yajl_val t = data->u.array.values[i];
        const char *id = km_json_str(t, "id");
        const char *why = !YAJL_IS_OBJECT(t)               ? "not an object"
                          : !x_id_valid(id)                ? "no valid id"
                          : km_json_str(t, "text") == NULL ? "no text"
                                                           : NULL;
        if (x_id_valid(id)) {
            *newest = x_id_max(*newest, id);
        }
        if (why == NULL) {
            km_post_batch_add_take(out,
                                   x_post_from_tweet(st, t, includes, id, resp->received_at_ms));
        } else if (out->skipped++ == 0) {
            km_err_set(err, KM_EINPUT, "x/%s: tweet #%zu: %s", st->name, i, why);
        }
    }
}

/* ---- consume ----------------------------------------------------------------------- */

/* Reads a 200 answer: posts, the next cursor, and the pause that x-rate-limit-remaining: 0
 * asks for. */
static int x_consume_ok(const struct x_state *st, yajl_val root, const struct km_response *resp,
                        const struct x_cursor *cur, struct km_post_batch *out, char **next_cursor,
                        struct km_err *err)
{
    yajl_val data = km_json_get(root, "data", NULL);
    yajl_val meta = km_json_get(root, "meta", NULL);
    if (!YAJL_IS_OBJECT(root) || (data != NULL && !YAJL_IS_ARRAY(data)) ||
        (data == NULL && !YAJL_IS_OBJECT(meta))) {
        return km_err_set(err, KM_EINPUT, "x/%s: response is not a search result", st->name);
    }
    const char *newest = NULL;
    x_page(st, root, resp, out, &newest, err);
    *next_cursor = x_cursor_next(cur, newest, km_json_str(meta, "next_token"), &out->more);
    const char *remaining = km_response_header(resp, "x-rate-limit-remaining");
    if (remaining != NULL && strcmp(remaining, "0") == 0 && x_reset_ms(resp) >= 0) {
        out->retry_after_ms = x_reset_ms(resp);
    }
    return KM_OK;
}

/* The walk state is the cursor next_request() was given for this exchange (st->cur). */
static int x_consume(void *state, const struct km_response *resp, struct km_post_batch *out,
                     char **next_cursor, struct km_err *err)
{
    const struct x_state *st = state;
    int rc = KM_OK;
    yajl_val root = NULL;
    struct km_err jerr = {{0}};
    *next_cursor = NULL;
    bool parsed = km_json_parse(resp->body, resp->body_len, &root, NULL, &jerr) == KM_OK;
    if (resp->status == 400 && parsed &&
        x_recover_400(st, root, &st->cur, out, next_cursor) == KM_OK) {
        goto out;
    }
    if (resp->status != 200) {
        rc = x_http_error(st, resp, parsed ? root : NULL, out, err);
        goto out;
    }
    if (!parsed) {
        rc = km_err_set(err, KM_EINPUT, "x/%s: %s", st->name, jerr.msg);
        goto out;
    }
    rc = x_consume_ok(st, root, resp, &st->cur, out, next_cursor, err);
out:
    km_json_free(root);
    return rc;
}

const struct km_collector km_collector_x = {
    .name = "x",
    .keys = x_keys,
    .create = x_create,
    .next_request = x_next_request,
    .consume = x_consume,
    .destroy = x_destroy,
};
