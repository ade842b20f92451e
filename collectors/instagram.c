/* Instagram collector: hashtag search of the Instagram Graph API (Instagram API with
 * Facebook Login, https://developers.facebook.com/docs/instagram-platform/instagram-api-with-
 * facebook-login/hashtag-search).
 *
 * Two steps per tag: GET /{v}/ig_hashtag_search?user_id=&q= gives the hashtag's id (static and
 * global), then GET /{v}/{hashtag-id}/recent_media pages through the media of the last 24 hours,
 * newest first (mostly: the order is not guaranteed), with paging.cursors.after. A round visits
 * every tag once; within it the collector pages until it meets media no newer than the newest
 * one of the previous round for that tag, then moves to the next tag.
 *
 * Instagram allows an account 30 unique hashtag searches per rolling 7 days; a tag counts for
 * 7 days from its first search. The cursor is a JSON object that keeps, per tag, the hashtag
 * id (so a restart does not search again), when its 7-day window began and the newest media
 * time seen, plus the round's position: everything needed to continue after a restart. */
#include "collectors/collector.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/time.h"
#include "parser/hashtag.h"
#include "parser/json.h"
#include "parser/post.h"
#include "triage/tags.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IG_NETWORK "instagram"

/* Unique hashtags an Instagram account may search within IG_BUDGET_WINDOW_MS. */
#define IG_BUDGET           30
#define IG_BUDGET_WINDOW_MS (7LL * 24 * 3600 * 1000)

/* Largest page of recent_media (documented maximum of `limit`). */
#define IG_LIMIT_MAX 50

/* A search that found no hashtag is repeated after a day: a tag nobody has used yet exists
 * as soon as someone does. */
#define IG_MISS_RETRY_MS (24LL * 3600 * 1000)

/* X-Business-Use-Case-Usage percentages at which calls are paused before Instagram throttles
 * (it does at 100), and the pause when the header gives no estimate of its own. */
#define IG_USAGE_HIGH     95
#define IG_USAGE_PAUSE_MS (5LL * 60 * 1000)

/* Longest estimated_time_to_regain_access taken (minutes): a day. A larger value is a broken
 * header and must not park the source for longer. */
#define IG_REGAIN_MAX_MIN (24LL * 60)

/* Most pages read for one tag in one round (50 media each). recent_media covers 24 hours and
 * documents an `after` cursor that is the same on every page, so a server that kept
 * answering `next` must not keep the source paging forever. */
#define IG_PAGES_MAX 20

/* Fields of each media; braces are percent-encoded for the URL. */
#define IG_FIELDS                                                                                  \
    "id,caption,media_type,media_url,permalink,timestamp,like_count,comments_count,"               \
    "children%7Bmedia_url%7D"

static const struct km_conf_key ig_keys[] = {
    {"url", KM_CONF_STR, "https://graph.facebook.com", 0, 0, 0, "Graph API root"},
    {"api_version", KM_CONF_STR, "v26.0", 0, 0, 0, "Graph API version, e.g. v26.0"},
    {"token", KM_CONF_STR, NULL, 0, 0, KM_CONF_REQUIRED | KM_CONF_SECRET,
     "user access token (Facebook Login for Business; Instagram Public Content Access)"},
    {"user_id", KM_CONF_STR, NULL, 0, 0, KM_CONF_REQUIRED,
     "id of the Instagram business or creator account that searches"},
    {"tags", KM_CONF_STR, NULL, 0, 0, KM_CONF_REQUIRED,
     "comma-separated hashtags without '#', at most 30 (Instagram's 7-day budget)"},
    {"limit", KM_CONF_INT, "50", 1, IG_LIMIT_MAX, 0, "media per request (1-50)"},
    {NULL, 0, NULL, 0, 0, 0, NULL},
};

/* What the cursor remembers of one tag. */
struct ig_tag {
    char *q;      /* folded tag: the key */
    char *id;     /* hashtag id; NULL until found */
    int64_t at;   /* start of its 7-day budget window; 0 = never searched */
    int64_t seen; /* newest media time of finished rounds; 0 = none */
    int64_t miss; /* when a search last found nothing; 0 = not missing */
};

/* The decoded cursor. */
struct ig_cursor {
    size_t i;      /* configured tag of the current round step */
    char *after;   /* paging cursor within tag i's step; NULL at its start */
    int64_t top;   /* newest media time seen so far in tag i's step */
    int64_t pages; /* pages read so far in tag i's step */
    char *step;    /* folded tag i as written in the cursor (the tags may have changed since) */
    struct ig_tag *tags;
    size_t n, cap;
};

enum ig_step { IG_STEP_NONE = 0, IG_STEP_LOOKUP, IG_STEP_MEDIA };

struct ig_state {
    char *name;  /* [source NAME], for messages */
    char *scope; /* "collector:instagram:NAME", for logs */
    char *url;   /* Graph API root without trailing '/' */
    char *version;
    char *token;
    char *user_id;
    char *tags[IG_BUDGET];   /* as configured: sent as q */
    char *folded[IG_BUDGET]; /* case-folded: keys of the cursor */
    size_t n_tags;
    long long limit;
    struct ig_cursor cur; /* decoded by next_request, advanced by consume */
    enum ig_step step;    /* what the request in flight asks */
};

static void ig_cursor_clear(struct ig_cursor *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->tags[i].q);
        free(c->tags[i].id);
    }
    free(c->tags);
    free(c->after);
    free(c->step);
    memset(c, 0, sizeof(*c));
}

static void ig_destroy(void *state)
{
    struct ig_state *st = state;
    if (st == NULL) {
        return;
    }
    free(st->name);
    free(st->scope);
    free(st->url);
    free(st->version);
    free(st->token);
    free(st->user_id);
    for (size_t i = 0; i < st->n_tags; i++) {
        free(st->tags[i]);
        free(st->folded[i]);
    }
    ig_cursor_clear(&st->cur);
    free(st);
}

/* True if s is non-empty and every byte is in set. */
static bool ig_only(const char *s, const char *set)
{
    return s != NULL && *s != '\0' && strspn(s, set) == strlen(s);
}

/* Adds tag[0..len) unless its folded form is already there. Returns KM_OK or KM_EINPUT. */
static int ig_add_tag(struct ig_state *st, const struct km_section *sec, const char *tag,
                      size_t len, struct km_err *err)
{
    int line = km_section_line(sec, "tags");
    char *raw = km_strndup(tag, len);
    char *folded = km_tag_fold(raw);
    int rc = KM_OK;
    if (folded == NULL || strpbrk(raw, " \t#") != NULL) {
        rc = km_err_set(err, KM_EINPUT, "%s:%d: instagram/%s: tags: '%s' is not a hashtag",
                        sec->file, line, st->name, raw);
        goto out;
    }
    for (size_t i = 0; i < st->n_tags; i++) {
        if (strcmp(st->folded[i], folded) == 0) {
            goto out; /* the same hashtag twice: one search */
        }
    }
    if (st->n_tags == IG_BUDGET) {
        rc = km_err_set(err, KM_EINPUT,
                        "%s:%d: instagram/%s: tags: at most %d (Instagram allows an account %d "
                        "unique hashtag searches per 7 days)",
                        sec->file, line, st->name, IG_BUDGET, IG_BUDGET);
        goto out;
    }
    st->tags[st->n_tags] = raw;
    st->folded[st->n_tags++] = folded;
    raw = NULL;
    folded = NULL;
out:
    free(raw);
    free(folded);
    return rc;
}

/* Splits "a, #b,c" into st->tags. Returns KM_OK or KM_EINPUT with err "FILE:LINE: ...". */
static int ig_parse_tags(struct ig_state *st, const struct km_section *sec, const char *list,
                         struct km_err *err)
{
    const char *cur = list, *s;
    size_t len;
    while (km_conf_list_next(&cur, &s, &len)) {
        if (len == 0) {
            return km_err_set(err, KM_EINPUT, "%s:%d: instagram/%s: tags: empty tag in '%s'",
                              sec->file, km_section_line(sec, "tags"), st->name, list);
        }
        int rc = ig_add_tag(st, sec, s, len, err);
        if (rc != KM_OK) {
            return rc;
        }
    }
    return KM_OK;
}

/* Checks url, api_version, token and user_id. Returns KM_OK or KM_EINPUT. */
static int ig_create_keys(struct ig_state *st, const struct km_section *sec, struct km_err *err)
{
    const char *url = km_section_get(sec, "url");
    const char *version = km_section_get(sec, "api_version");
    const char *token = km_section_get(sec, "token");
    const char *user = km_section_get(sec, "user_id");
    const char *key = NULL;
    const char *why = NULL;
    if (url == NULL || (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)) {
        key = "url", why = "must be the Graph API root, like https://graph.facebook.com";
    } else if (version == NULL || version[0] != 'v' || !ig_only(version + 1, "0123456789.")) {
        key = "api_version", why = "must look like v26.0";
    } else if (!ig_only(token,
                        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")) {
        key = "token", why = "must be a user access token (letters and digits, as EAAB...)";
    } else if (!ig_only(user, "0123456789")) {
        key = "user_id", why = "must be the numeric id of the Instagram business account";
    }
    if (key != NULL) {
        return km_err_set(err, KM_EINPUT, "%s:%d: instagram/%s: %s %s", sec->file,
                          km_section_line(sec, key), st->name, key, why);
    }
    size_t ulen = strlen(url);
    while (ulen > 0 && url[ulen - 1] == '/') {
        ulen--;
    }
    st->url = km_strndup(url, ulen);
    st->version = km_strdup(version);
    st->token = km_strdup(token);
    st->user_id = km_strdup(user);
    return KM_OK;
}

static int ig_create(const struct km_section *sec, void **state, struct km_err *err)
{
    struct ig_state *st = km_calloc(1, sizeof(*st));
    st->name = km_strdup(sec->name != NULL ? sec->name : "?");
    st->scope = km_asprintf("collector:instagram:%s", st->name);
    int rc = ig_create_keys(st, sec, err);
    const char *tags = km_section_get(sec, "tags");
    if (rc == KM_OK && tags == NULL) {
        rc = km_err_set(err, KM_EINPUT, "%s:%d: instagram/%s: tags is required", sec->file,
                        sec->line, st->name);
    }
    if (rc == KM_OK) {
        rc = ig_parse_tags(st, sec, tags, err);
    }
    st->limit = km_section_get_int(sec, "limit");
    if (st->limit < 1 || st->limit > IG_LIMIT_MAX) {
        st->limit = IG_LIMIT_MAX;
    }
    if (rc != KM_OK) {
        ig_destroy(st);
        st = NULL;
    }
    *state = st;
    return rc;
}

/* ---- the cursor -------------------------------------------------------------------- */

/* The entry of folded tag q, or NULL. */
static struct ig_tag *ig_tag_find(const struct ig_cursor *c, const char *q)
{
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->tags[i].q, q) == 0) {
            return &c->tags[i];
        }
    }
    return NULL;
}

/* The entry of q, added empty if absent. */
static struct ig_tag *ig_tag_get(struct ig_cursor *c, const char *q)
{
    struct ig_tag *t = ig_tag_find(c, q);
    if (t != NULL) {
        return t;
    }
    if (c->n == c->cap) {
        c->cap = c->cap > 0 ? 2 * c->cap : 8;
        c->tags = km_realloc(c->tags, c->cap * sizeof(*c->tags));
    }
    t = &c->tags[c->n++];
    memset(t, 0, sizeof(*t));
    t->q = km_strdup(q);
    return t;
}

static int64_t ig_json_ms(yajl_val obj, const char *key)
{
    int64_t v = 0;
    return km_json_int(obj, key, &v) && v > 0 ? v : 0;
}

/* Decodes one entry of "tags". An entry without a usable key is dropped, an id that is not
 * a number is forgotten (the tag is then searched again). */
static void ig_cursor_tag(struct ig_cursor *c, yajl_val e)
{
    const char *q = km_json_str(e, "q");
    const char *id = km_json_str(e, "id");
    if (q == NULL || *q == '\0' || ig_tag_find(c, q) != NULL) {
        return;
    }
    struct ig_tag *t = ig_tag_get(c, q);
    t->id = ig_only(id, "0123456789") ? km_strdup(id) : NULL;
    t->at = ig_json_ms(e, "at");
    t->seen = ig_json_ms(e, "seen");
    t->miss = ig_json_ms(e, "miss");
}

/* Decodes a cursor written by ig_cursor_format(). Returns KM_OK or KM_EINPUT. */
static int ig_cursor_parse(const char *s, struct ig_cursor *c)
{
    yajl_val root = NULL;
    struct km_err jerr = {{0}};
    int rc = km_json_parse(s, strlen(s), &root, NULL, &jerr);
    yajl_val tags = km_json_get(root, "tags", NULL);
    int64_t i = 0;
    if (rc != KM_OK || !YAJL_IS_ARRAY(tags) || !km_json_int(root, "tag", &i) || i < 0) {
        rc = KM_EINPUT;
        goto out;
    }
    c->i = (size_t)i;
    const char *after = km_json_str(root, "after");
    c->after = after != NULL && *after != '\0' ? km_strdup(after) : NULL;
    c->top = ig_json_ms(root, "top");
    c->pages = ig_json_ms(root, "pages");
    const char *step = km_json_str(root, "step");
    c->step = step != NULL ? km_strdup(step) : NULL;
    for (size_t k = 0; k < tags->u.array.len; k++) {
        ig_cursor_tag(c, tags->u.array.values[k]);
    }
out:
    km_json_free(root);
    return rc;
}

/* True if tag t is one of the configured ones. */
static bool ig_configured(const struct ig_state *st, const struct ig_tag *t)
{
    for (size_t i = 0; i < st->n_tags; i++) {
        if (strcmp(st->folded[i], t->q) == 0) {
            return true;
        }
    }
    return false;
}

/* True if t counts against the budget at now. */
static bool ig_in_budget(const struct ig_tag *t, int64_t now)
{
    return t->at > 0 && now - t->at < IG_BUDGET_WINDOW_MS;
}

/* Encodes the cursor. Tags no longer configured are kept while they count against the
 * budget and dropped after that. Returns a malloc'd string. */
static char *ig_cursor_format(const struct ig_state *st, int64_t now)
{
    const struct ig_cursor *c = &st->cur;
    struct km_buf b = KM_BUF_INIT;
    km_buf_printf(&b, "{\"tag\":%zu,\"step\":", c->i);
    km_json_escape(&b, c->i < st->n_tags ? st->folded[c->i] : NULL);
    km_buf_puts(&b, ",\"after\":");
    km_json_escape(&b, c->after);
    km_buf_printf(&b, ",\"top\":%lld,\"pages\":%lld,\"tags\":[", (long long)c->top,
                  (long long)c->pages);
    bool first = true;
    for (size_t i = 0; i < c->n; i++) {
        const struct ig_tag *t = &c->tags[i];
        if (!ig_configured(st, t) && !ig_in_budget(t, now)) {
            continue;
        }
        km_buf_puts(&b, first ? "{\"q\":" : ",{\"q\":");
        km_json_escape(&b, t->q);
        km_buf_puts(&b, ",\"id\":");
        km_json_escape(&b, t->id);
        km_buf_printf(&b, ",\"at\":%lld,\"seen\":%lld,\"miss\":%lld}", (long long)t->at,
                      (long long)t->seen, (long long)t->miss);
        first = false;
    }
    km_buf_puts(&b, "]}");
    return km_buf_take(&b);
}

/* Unique hashtags searched within the last 7 days. */
static size_t ig_budget_used(const struct ig_cursor *c, int64_t now)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++) {
        n += ig_in_budget(&c->tags[i], now);
    }
    return n;
}

/* Starts a new 7-day window for t if its last one has ended: a query now counts again. */
static void ig_touch(struct ig_tag *t, int64_t now)
{
    if (!ig_in_budget(t, now)) {
        t->at = now;
    }
}

/* Makes tag i the current step of the round, at its first page. */
static void ig_step_start(struct ig_cursor *c, size_t i)
{
    c->i = i;
    free(c->after);
    c->after = NULL;
    c->top = 0;
    c->pages = 0;
}

/* Ends the current tag's step and moves to the next tag. Returns true while the round goes
 * on (the next step is due at once), false when it is complete. */
static bool ig_next_tag(struct ig_state *st)
{
    ig_step_start(&st->cur, (st->cur.i + 1) % st->n_tags);
    return st->cur.i != 0;
}

/* ---- requests ---------------------------------------------------------------------- */

/* After a change of `tags`, finds the tag of the cursor's step again by name (its paging
 * state goes with it), or starts that position afresh if the tag is gone. */
static void ig_cursor_align(struct ig_state *st)
{
    struct ig_cursor *c = &st->cur;
    if (c->step == NULL || (c->i < st->n_tags && strcmp(c->step, st->folded[c->i]) == 0)) {
        return;
    }
    for (size_t i = 0; i < st->n_tags; i++) {
        if (strcmp(c->step, st->folded[i]) == 0) {
            c->i = i;
            return;
        }
    }
    ig_step_start(c, c->i < st->n_tags ? c->i : 0);
}

/* The first tag from cur.i on (wrapping) that has an id or may be searched: never searched,
 * or its last miss is a day old. Returns st->n_tags if every tag is a recent miss. */
static size_t ig_pick(const struct ig_state *st, int64_t now)
{
    size_t start = st->cur.i < st->n_tags ? st->cur.i : 0;
    for (size_t k = 0; k < st->n_tags; k++) {
        size_t i = (start + k) % st->n_tags;
        const struct ig_tag *t = ig_tag_find(&st->cur, st->folded[i]);
        if (t == NULL || t->id != NULL || t->miss == 0 || now - t->miss >= IG_MISS_RETRY_MS) {
            return i;
        }
    }
    return st->n_tags;
}

/* Refuses (logs, KM_ERR) a search of tag i that would be unique hashtag 31 in 7 days. */
static int ig_budget_check(const struct ig_state *st, size_t i, int64_t now)
{
    const struct ig_cursor *c = &st->cur;
    const struct ig_tag *t = ig_tag_find(c, st->folded[i]);
    if ((t != NULL && ig_in_budget(t, now)) || ig_budget_used(c, now) < IG_BUDGET) {
        return KM_OK;
    }
    int64_t frees = INT64_MAX;
    for (size_t k = 0; k < c->n; k++) {
        if (ig_in_budget(&c->tags[k], now) && c->tags[k].at + IG_BUDGET_WINDOW_MS < frees) {
            frees = c->tags[k].at + IG_BUDGET_WINDOW_MS;
        }
    }
    char when[32];
    km_time_format_rfc3339(frees, when, sizeof(when));
    KM_SLOG_ERROR(st->scope,
                  "not searching #%s: the account has searched %d unique hashtags within 7 days, "
                  "Instagram's budget (the next one frees at %s); configure fewer tags or wait",
                  st->tags[i], IG_BUDGET, when);
    return KM_ERR;
}

/* The hashtag search for tag i, or the next page of tag i's recent media. */
static char *ig_url(const struct ig_state *st, size_t i, const struct ig_tag *t)
{
    struct km_buf b = KM_BUF_INIT;
    km_buf_printf(&b, "%s/%s/", st->url, st->version);
    if (t == NULL || t->id == NULL) {
        km_buf_printf(&b, "ig_hashtag_search?user_id=%s&q=", st->user_id);
        km_url_escape(&b, st->tags[i]);
    } else {
        km_buf_printf(&b, "%s/recent_media?user_id=%s&fields=", t->id, st->user_id);
        km_buf_puts(&b, IG_FIELDS);
        km_buf_printf(&b, "&limit=%lld", st->limit);
        if (st->cur.after != NULL) {
            km_buf_puts(&b, "&after=");
            km_url_escape(&b, st->cur.after);
        }
    }
    km_buf_puts(&b, "&access_token=");
    km_url_escape(&b, st->token);
    return km_buf_take(&b);
}

static int ig_next_request(void *state, const char *cursor, struct km_request *req)
{
    struct ig_state *st = state;
    struct ig_cursor *c = &st->cur;
    int64_t now = km_time_now_ms();
    st->step = IG_STEP_NONE;
    ig_cursor_clear(c);
    if (cursor != NULL && ig_cursor_parse(cursor, c) != KM_OK) {
        ig_cursor_clear(c);
        KM_SLOG_WARN(st->scope, "ignoring invalid cursor '%.40s'", cursor);
    }
    ig_cursor_align(st);
    size_t i = ig_pick(st, now);
    if (i == st->n_tags) {
        KM_SLOG_WARN(st->scope, "Instagram has none of the hashtags yet; searching each again a "
                                "day after it was missing");
        return KM_RETRY;
    }
    if (i != c->i) {
        ig_step_start(c, i);
    }
    const struct ig_tag *t = ig_tag_find(c, st->folded[i]);
    if ((t == NULL || t->id == NULL) && ig_budget_check(st, i, now) != KM_OK) {
        return KM_ERR;
    }
    st->step = t == NULL || t->id == NULL ? IG_STEP_LOOKUP : IG_STEP_MEDIA;
    req->method = KM_HTTP_GET;
    req->url = ig_url(st, i, t);
    return km_request_add_header(req, "Accept: application/json");
}

/* ---- responses --------------------------------------------------------------------- */

/* A number at key as an integer (fractions cut); 0 if absent or not a number. */
static int64_t ig_number(yajl_val obj, const char *key)
{
    yajl_val v = km_json_get(obj, key, NULL);
    if (YAJL_IS_INTEGER(v)) {
        return (int64_t)YAJL_GET_INTEGER(v);
    }
    return YAJL_IS_DOUBLE(v) && YAJL_GET_DOUBLE(v) < 1e9 ? (int64_t)YAJL_GET_DOUBLE(v) : 0;
}

/* The highest usage percentage and regain estimate (minutes) over the instagram entries of
 * X-Business-Use-Case-Usage: {"<business id>":[{"type":"instagram","call_count":N,...}]}. */
static void ig_usage_scan(yajl_val root, int64_t *pct, int64_t *regain)
{
    static const char *const pcts[] = {"call_count", "total_cputime", "total_time"};
    for (size_t b = 0; YAJL_IS_OBJECT(root) && b < root->u.object.len; b++) {
        yajl_val list = root->u.object.values[b];
        for (size_t k = 0; YAJL_IS_ARRAY(list) && k < list->u.array.len; k++) {
            yajl_val e = list->u.array.values[k];
            const char *type = km_json_str(e, "type");
            if (!YAJL_IS_OBJECT(e) || (type != NULL && strcmp(type, IG_NETWORK) != 0)) {
                continue;
            }
            for (size_t j = 0; j < sizeof(pcts) / sizeof(pcts[0]); j++) {
                int64_t v = ig_number(e, pcts[j]);
                *pct = v > *pct ? v : *pct;
            }
            int64_t r = ig_number(e, "estimated_time_to_regain_access");
            *regain = r > *regain ? r : *regain;
        }
    }
}

/* Reads X-Business-Use-Case-Usage: a regain estimate, or usage at IG_USAGE_HIGH % or more,
 * sets out->retry_after_ms. Returns the highest usage percentage (0 without the header). */
static int64_t ig_usage(const struct km_response *resp, struct km_post_batch *out)
{
    const char *h = km_response_header(resp, "X-Business-Use-Case-Usage");
    yajl_val root = NULL;
    struct km_err jerr = {{0}};
    int64_t pct = 0;
    int64_t regain = 0;
    if (h != NULL && km_json_parse(h, strlen(h), &root, NULL, &jerr) == KM_OK) {
        ig_usage_scan(root, &pct, &regain);
    }
    km_json_free(root);
    if (regain > 0) {
        out->retry_after_ms = (regain < IG_REGAIN_MAX_MIN ? regain : IG_REGAIN_MAX_MIN) * 60000;
    } else if (pct >= IG_USAGE_HIGH) {
        out->retry_after_ms = IG_USAGE_PAUSE_MS;
    }
    return pct;
}

/* Graph API throttling codes: application (4), user (17), page (32), custom (613) and
 * Instagram business use case (80002) request limits. */
static bool ig_throttled(int64_t code)
{
    return code == 4 || code == 17 || code == 32 || code == 613 || code == 80002;
}

/* " (code C/SUB: message; fbtrace_id T)" from an error object, "" without one. */
static void ig_error_detail(yajl_val e, int64_t code, int64_t sub, char *buf, size_t size)
{
    char subcode[24] = "";
    const char *msg = km_json_str(e, "message");
    const char *trace = km_json_str(e, "fbtrace_id");
    buf[0] = '\0';
    if (e == NULL) {
        return;
    }
    if (sub >= 0) {
        snprintf(subcode, sizeof(subcode), "/%lld", (long long)sub);
    }
    snprintf(buf, size, " (code %lld%s: %s%s%s)", (long long)code, subcode, msg != NULL ? msg : "",
             trace != NULL ? "; fbtrace_id " : "", trace != NULL ? trace : "");
}

/* Maps an error answer ({"error":{"message","type","code","error_subcode","fbtrace_id"}};
 * e is NULL when the body is not one) to a result code and err. */
static int ig_api_error(const struct ig_state *st, const struct km_response *resp, yajl_val e,
                        struct km_post_batch *out, struct km_err *err)
{
    int64_t code = -1;
    int64_t sub = -1;
    bool transient = false;
    char detail[200];
    long status = resp->status;
    km_json_int(e, "code", &code);
    km_json_int(e, "error_subcode", &sub);
    km_json_bool(e, "is_transient", &transient);
    ig_error_detail(e, code, sub, detail, sizeof(detail));
    if (code == 190) {
        return km_err_set(err, KM_ERR,
                          "instagram/%s: access token rejected: get a new user access token%s",
                          st->name, detail);
    }
    if (code == 24 || sub == 2207024) {
        return km_err_set(err, KM_ERR,
                          "instagram/%s: hashtag search refused: the account has used its %d "
                          "unique hashtags for 7 days%s",
                          st->name, IG_BUDGET, detail);
    }
    bool throttled = ig_throttled(code) || status == 429;
    if (throttled || code == 1 || code == 2 || transient || status >= 500) {
        if (out->retry_after_ms <= 0 && km_response_retry_after_ms(resp) >= 0) {
            out->retry_after_ms = km_response_retry_after_ms(resp);
        }
        return km_err_set(err, KM_RETRY, "instagram/%s: HTTP %ld: %s%s", st->name, status,
                          throttled ? "throttled" : "temporary error", detail);
    }
    return km_err_set(err, KM_ERR, "instagram/%s: HTTP %ld: Graph API error%s", st->name, status,
                      detail);
}

/* Parses a timestamp: RFC 3339, or the Graph API's "2026-11-22T18:41:01+0000" (offset
 * without a colon, which common/time does not accept). */
static int ig_time_parse(const char *s, int64_t *ms)
{
    if (km_time_parse_rfc3339(s, ms) == KM_OK) {
        return KM_OK;
    }
    size_t n = strlen(s);
    char fixed[48];
    if (n < 5 || n + 2 > sizeof(fixed) || (s[n - 5] != '+' && s[n - 5] != '-') ||
        !ig_only(s + n - 4, "0123456789")) {
        return KM_EINPUT;
    }
    snprintf(fixed, sizeof(fixed), "%.*s:%s", (int)(n - 2), s, s + n - 2);
    return km_time_parse_rfc3339(fixed, ms);
}

static int64_t ig_count(yajl_val m, const char *key)
{
    int64_t v = -1;
    return km_json_int(m, key, &v) && v >= 0 ? v : -1;
}

/* media_url, then the media_url of each carousel child (no duplicates). */
static void ig_add_media(struct km_post *p, yajl_val m)
{
    const char *url = km_json_str(m, "media_url");
    if (url != NULL && *url != '\0') {
        km_post_add_media(p, url);
    }
    yajl_val kids = km_json_get(m, "children", "data", NULL);
    for (size_t i = 0; YAJL_IS_ARRAY(kids) && i < kids->u.array.len; i++) {
        const char *u = km_json_str(kids->u.array.values[i], "media_url");
        bool dup = u == NULL || *u == '\0';
        for (size_t k = 0; k < p->n_media && !dup; k++) {
            dup = strcmp(p->media[k], u) == 0;
        }
        if (!dup) {
            km_post_add_media(p, u);
        }
    }
}

/* Builds a post from an IG Media. The author is unknown: the API does not give the username
 * of hashtag media. The searched tag is added because Instagram also finds media by tags in
 * the author's first comment, which the caption does not show. */
static struct km_post *ig_post(const struct ig_state *st, yajl_val m, char *id, int64_t t,
                               int64_t now)
{
    struct km_post *p = km_post_new();
    const char *caption = km_json_str(m, "caption");
    km_post_set(&p->network, IG_NETWORK);
    km_post_set(&p->source, st->name);
    p->id = id;
    km_post_set(&p->url, km_json_str(m, "permalink"));
    km_post_set(&p->text, caption != NULL ? caption : "");
    p->created_at = t;
    p->collected_at = now;
    p->engagement.likes = ig_count(m, "like_count");
    p->engagement.replies = ig_count(m, "comments_count");
    ig_add_media(p, m);
    km_hashtags_extract(p->text, strlen(p->text), p);
    km_post_add_hashtag(p, st->tags[st->cur.i]);
    return p;
}

/* Adds one media of the current tag to out unless it is not newer than seen (then *old);
 * one without an id is counted in out->skipped. */
static void ig_media(struct ig_state *st, yajl_val m, size_t idx, int64_t seen, int64_t now,
                     struct km_post_batch *out, bool *old, struct km_err *err)
{
    char *id = km_json_scalar_dup(m, "id");
    if (id == NULL || *id == '\0') {
        if (out->skipped++ == 0) {
            km_err_set(err, KM_EINPUT, "instagram/%s: media #%zu: no id", st->name, idx);
        }
        free(id);
        return;
    }
    int64_t t = 0;
    const char *ts = km_json_str(m, "timestamp");
    if (ts == NULL || ig_time_parse(ts, &t) != KM_OK) {
        t = 0;
    }
    if (t > 0 && t <= seen) {
        *old = true;
        free(id);
        return;
    }
    if (t > st->cur.top) {
        st->cur.top = t;
    }
    km_post_batch_add_take(out, ig_post(st, m, id, t, now));
}

/* The answer of a hashtag search: {"data":[{"id":"17843..."}]}, or an empty data array when
 * Instagram has no such hashtag (then the round goes on with the next tag). */
static int ig_lookup_done(struct ig_state *st, yajl_val root, int64_t now,
                          struct km_post_batch *out, char **next_cursor, struct km_err *err)
{
    yajl_val data = km_json_get(root, "data", NULL);
    if (!YAJL_IS_ARRAY(data)) {
        return km_err_set(err, KM_EINPUT, "instagram/%s: hashtag search answer has no data array",
                          st->name);
    }
    char *id = data->u.array.len > 0 ? km_json_scalar_dup(data->u.array.values[0], "id") : NULL;
    if (id != NULL && !ig_only(id, "0123456789")) {
        km_err_set(err, KM_EINPUT, "instagram/%s: hashtag id '%.40s' is not a number", st->name,
                   id);
        free(id);
        return KM_EINPUT;
    }
    size_t i = st->cur.i;
    struct ig_tag *t = ig_tag_get(&st->cur, st->folded[i]);
    ig_touch(t, now);
    free(t->id);
    t->id = id;
    t->miss = id == NULL ? now : 0;
    size_t used = ig_budget_used(&st->cur, now);
    size_t left = used < IG_BUDGET ? IG_BUDGET - used : 0;
    if (id != NULL) {
        KM_SLOG_INFO(st->scope, "#%s is hashtag %s; %zu of %d hashtag searches left for 7 days",
                     st->tags[i], id, left, IG_BUDGET);
        out->more = true;
    } else {
        KM_SLOG_WARN(st->scope,
                     "Instagram has no hashtag #%s; searching again in a day; %zu of "
                     "%d hashtag searches left for 7 days",
                     st->tags[i], left, IG_BUDGET);
        out->more = ig_next_tag(st);
    }
    *next_cursor = ig_cursor_format(st, now);
    return KM_OK;
}

/* A page of recent media: {"data":[IG Media...],"paging":{"cursors":{"after"},"next"}}. The
 * step goes on with the next page unless this one reached media seen in an earlier round,
 * had no next page or was the IG_PAGES_MAX-th. */
static int ig_media_done(struct ig_state *st, yajl_val root, int64_t now, struct km_post_batch *out,
                         char **next_cursor, struct km_err *err)
{
    yajl_val data = km_json_get(root, "data", NULL);
    if (!YAJL_IS_ARRAY(data)) {
        return km_err_set(err, KM_EINPUT, "instagram/%s: recent media answer has no data array",
                          st->name);
    }
    struct ig_cursor *c = &st->cur;
    struct ig_tag *t = ig_tag_get(c, st->folded[c->i]);
    bool old = false;
    for (size_t k = 0; k < data->u.array.len; k++) {
        ig_media(st, data->u.array.values[k], k, t->seen, now, out, &old, err);
    }
    ig_touch(t, now);
    const char *after = km_json_str(km_json_get(root, "paging", "cursors", NULL), "after");
    bool next = YAJL_IS_STRING(km_json_get(root, "paging", "next", NULL)) && after != NULL &&
                *after != '\0';
    if (!old && next && data->u.array.len > 0 && ++c->pages < IG_PAGES_MAX) {
        free(c->after);
        c->after = km_strdup(after);
        out->more = true;
    } else {
        t->seen = c->top > t->seen ? c->top : t->seen;
        out->more = ig_next_tag(st);
    }
    *next_cursor = ig_cursor_format(st, now);
    return KM_OK;
}

static int ig_consume(void *state, const struct km_response *resp, struct km_post_batch *out,
                      char **next_cursor, struct km_err *err)
{
    struct ig_state *st = state;
    int rc = KM_OK;
    yajl_val root = NULL;
    struct km_err jerr = {{0}};
    int64_t now = resp->received_at_ms != 0 ? resp->received_at_ms : km_time_now_ms();
    *next_cursor = NULL;
    int64_t usage = ig_usage(resp, out);
    bool parsed = km_json_parse(resp->body, resp->body_len, &root, NULL, &jerr) == KM_OK;
    yajl_val e = parsed ? km_json_get(root, "error", NULL) : NULL;
    if (resp->status != 200 || YAJL_IS_OBJECT(e)) {
        rc = ig_api_error(st, resp, YAJL_IS_OBJECT(e) ? e : NULL, out, err);
        goto out;
    }
    if (!parsed) {
        rc = km_err_set(err, KM_EINPUT, "instagram/%s: %s", st->name, jerr.msg);
        goto out;
    }
    if (st->step == IG_STEP_LOOKUP) {
        rc = ig_lookup_done(st, root, now, out, next_cursor, err);
    } else if (st->step == IG_STEP_MEDIA) {
        rc = ig_media_done(st, root, now, out, next_cursor, err);
    } else {
        rc = km_err_set(err, KM_ERR, "instagram/%s: a response without a request", st->name);
    }
    if (rc == KM_OK && out->retry_after_ms > 0) {
        KM_SLOG_WARN(st->scope,
                     "X-Business-Use-Case-Usage at %lld%% or access to regain "
                     "later: pausing %lld s",
                     (long long)usage, (long long)(out->retry_after_ms / 1000));
    }
out:
    st->step = IG_STEP_NONE;
    km_json_free(root);
    return rc;
}

const struct km_collector km_collector_instagram = {
    .name = "instagram",
    .keys = ig_keys,
    .create = ig_create,
    .next_request = ig_next_request,
    .consume = ig_consume,
    .destroy = ig_destroy,
};
