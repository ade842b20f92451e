/* VK collector: searches public wall posts by hashtag with newsfeed.search
 * (https://dev.vk.com/method/newsfeed.search; schema: VKCOM/vk-api-schema, newsfeed/ and
 * wall/objects.json).
 *
 * One search per tag (q = "#tag"), newest first, paged with response.next_from sent back as
 * start_from. A round walks the tags in order; when the last tag's pages are exhausted the
 * round ends and the next one starts after the interval. For each tag the newest post date
 * seen is kept, and the next round asks only for posts from that second on (start_time is
 * inclusive, so a post published in the same second is not lost; the queue drops the one
 * seen before). The first round looks back `lookback`.
 *
 * The cursor holds all of this, so that a restart continues where the last committed
 * page ended:
 *   {"tag":"астана","start":1795300000,"from":"10/-1_1","since":{"109":1795372800}}
 * "start" and "from" are present only while a tag is being paged.
 *
 * Errors come as HTTP 200 with {"error":{"error_code":N,"error_msg":"..."}}. The token goes
 * in the Authorization header (dev.vk.com accepts it there or as access_token), so it never
 * appears in a URL; error messages are scrubbed of it all the same. */
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

#define VK_NETWORK "vk"

/* The largest page newsfeed.search returns (schema: count maximum 200). */
#define VK_COUNT_MAX 200

/* Each tag costs at least one request per round against newsfeed.search's daily quota
 * (error 29); more tags than this belong in separate sources with their own tokens. */
#define VK_MAX_TAGS 32

/* Longest next_from kept in the cursor. VK's are short ("10/5_-12345_678"); a longer one
 * is not VK's and would bloat every stored cursor, so paging of that tag stops there. */
#define VK_FROM_MAX 256

/* Pause between the requests of one round: VK allows about 3 requests per second per
 * token (error 6 beyond that), and each error would cost a full backoff. */
#define VK_PACE_MS 340

/* Waits for VK's rate-limit errors. 6 is per second; 9 (flood control) is measured in
 * minutes; 29 is a daily method quota, retried hourly; 14 (captcha) means VK wants a human
 * check for this token, which a daemon cannot give, so it waits long and says so. */
#define VK_WAIT_TOO_MANY_MS (1000LL)
#define VK_WAIT_FLOOD_MS    (60LL * 1000)
#define VK_WAIT_QUOTA_MS    (3600LL * 1000)
#define VK_WAIT_CAPTCHA_MS  (600LL * 1000)

/* VK API error codes (errors.json). */
enum {
    VK_E_AUTH = 5,
    VK_E_TOO_MANY = 6,
    VK_E_FLOOD = 9,
    VK_E_SERVER = 10,
    VK_E_CAPTCHA = 14,
    VK_E_RATE_LIMIT = 29,
};

static const struct km_conf_key vk_keys[] = {
    {"url", KM_CONF_STR, "https://api.vk.com", 0, 0, 0, "API root"},
    {"token", KM_CONF_STR, NULL, 0, 0, KM_CONF_REQUIRED | KM_CONF_SECRET,
     "service token of a VK app (user tokens work too); write env:VAR or file:PATH"},
    {"tags", KM_CONF_STR, NULL, 0, 0, KM_CONF_REQUIRED,
     "comma-separated hashtags without '#'; one search per tag and round"},
    {"count", KM_CONF_INT, "100", 1, VK_COUNT_MAX, 0, "posts per request (1-200)"},
    {"lookback", KM_CONF_DURATION, "24h", 60000, 30LL * 86400000, 0,
     "how far back the first round searches"},
    {"api_version", KM_CONF_STR, "5.199", 0, 0, 0, "VK API version sent as v="},
    {NULL, 0, NULL, 0, 0, 0, NULL},
};

/* Where the source stands, as read from the cursor by next_request(). */
struct vk_pos {
    size_t tag;     /* index into tags */
    char *from;     /* start_from of the next page; NULL on a tag's first page */
    int64_t start;  /* start_time (Unix s) of the tag's current search */
    int64_t *since; /* per tag: newest post date seen (Unix s), 0 = none yet */
};

struct vk_state {
    char *name;
    char *scope; /* "collector:vk:NAME", for logs */
    char *url;   /* API root without trailing '/' */
    char *token;
    char *version;
    char **tags;
    size_t n_tags;
    long long count;
    int64_t lookback_s;
    struct vk_pos cur;
};

static void vk_destroy(void *state)
{
    struct vk_state *st = state;
    if (st == NULL) {
        return;
    }
    free(st->name);
    free(st->scope);
    free(st->url);
    free(st->token);
    free(st->version);
    for (size_t i = 0; i < st->n_tags; i++) {
        free(st->tags[i]);
    }
    free(st->tags);
    free(st->cur.from);
    free(st->cur.since);
    free(st);
}

/* Checks one trimmed tag s[0..len) against those before it. Returns NULL or the problem. */
static const char *vk_tag_problem(const struct vk_state *st, const char *s, size_t len)
{
    if (len == 0) {
        return "empty tag";
    }
    if (!km_utf8_valid(s, len, NULL)) {
        return "invalid UTF-8";
    }
    for (size_t i = 0; i < st->n_tags; i++) {
        if (strlen(st->tags[i]) == len && strncmp(st->tags[i], s, len) == 0) {
            return "tag listed twice";
        }
    }
    return st->n_tags == VK_MAX_TAGS ? "too many tags (at most 32 per source)" : NULL;
}

/* Splits "a, #b,c" into st->tags. Returns KM_OK or KM_EINPUT with err "FILE:LINE: ...". */
static int vk_parse_tags(struct vk_state *st, const struct km_section *sec, const char *list,
                         struct km_err *err)
{
    st->tags = km_calloc(VK_MAX_TAGS, sizeof(*st->tags));
    const char *cur = list, *s;
    size_t len;
    while (km_conf_list_next(&cur, &s, &len)) {
        const char *why = vk_tag_problem(st, s, len);
        if (why != NULL) {
            return km_err_set(err, KM_EINPUT, "%s:%d: vk/%s: tags: %s in '%s'", sec->file,
                              km_section_line(sec, "tags"), st->name, why, list);
        }
        st->tags[st->n_tags++] = km_strndup(s, len);
    }
    return KM_OK;
}

/* A token goes into a header line: printable ASCII without spaces only. */
static bool vk_token_valid(const char *token)
{
    for (const char *p = token; *p != '\0'; p++) {
        if (*p <= ' ' || *p > '~') {
            return false;
        }
    }
    return *token != '\0';
}

/* "5.199": digits with at most one dot, as every API version is. */
static bool vk_version_valid(const char *v)
{
    size_t digits = strspn(v, "0123456789");
    if (digits == 0) {
        return false;
    }
    if (v[digits] == '.') {
        v += digits + 1;
        digits = strspn(v, "0123456789");
        return digits > 0 && v[digits] == '\0';
    }
    return v[digits] == '\0';
}

/* Checks url, token and api_version; returns KM_OK or KM_EINPUT with a located err. */
static int vk_check_keys(const struct vk_state *st, const struct km_section *sec,
                         struct km_err *err)
{
    const char *url = km_section_get(sec, "url");
    const char *token = km_section_get(sec, "token");
    const char *version = km_section_get(sec, "api_version");
    if (url == NULL || (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)) {
        return km_err_set(err, KM_EINPUT, "%s:%d: vk/%s: url must start with https://", sec->file,
                          km_section_line(sec, "url"), st->name);
    }
    if (token == NULL || !vk_token_valid(token)) {
        return km_err_set(err, KM_EINPUT,
                          "%s:%d: vk/%s: token must be the app's service token (no spaces)",
                          sec->file, km_section_line(sec, "token"), st->name);
    }
    if (version == NULL || !vk_version_valid(version)) {
        return km_err_set(err, KM_EINPUT, "%s:%d: vk/%s: api_version must look like 5.199",
                          sec->file, km_section_line(sec, "api_version"), st->name);
    }
    const char *tags = km_section_get(sec, "tags");
    if (tags == NULL) {
        return km_err_set(err, KM_EINPUT, "%s:%d: vk/%s: tags is required", sec->file, sec->line,
                          st->name);
    }
    return KM_OK;
}

static int vk_create(const struct km_section *sec, void **state, struct km_err *err)
{
    struct vk_state *st = km_calloc(1, sizeof(*st));
    st->name = km_strdup(sec->name != NULL ? sec->name : "?");
    st->scope = km_asprintf("collector:vk:%s", st->name);
    int rc = vk_check_keys(st, sec, err);
    if (rc == KM_OK) {
        rc = vk_parse_tags(st, sec, km_section_get(sec, "tags"), err);
    }
    if (rc != KM_OK) {
        goto out;
    }
    const char *url = km_section_get(sec, "url");
    size_t ulen = strlen(url);
    while (ulen > 0 && url[ulen - 1] == '/') {
        ulen--;
    }
    st->url = km_strndup(url, ulen);
    st->token = km_strdup(km_section_get(sec, "token"));
    st->version = km_strdup(km_section_get(sec, "api_version"));
    st->count = km_section_get_int(sec, "count");
    if (st->count < 1 || st->count > VK_COUNT_MAX) {
        st->count = 100;
    }
    st->lookback_s = km_section_get_ms(sec, "lookback") / 1000;
    if (st->lookback_s <= 0) {
        st->lookback_s = 86400;
    }
    st->cur.since = km_calloc(st->n_tags, sizeof(*st->cur.since));
out:
    if (rc != KM_OK) {
        vk_destroy(st);
        st = NULL;
    }
    *state = st;
    return rc;
}

/* ---- cursor --------------------------------------------------------------------------- */

static void vk_pos_reset(struct vk_state *st)
{
    st->cur.tag = 0;
    free(st->cur.from);
    st->cur.from = NULL;
    st->cur.start = 0;
    memset(st->cur.since, 0, st->n_tags * sizeof(*st->cur.since));
}

/* Index of tag in st->tags, or -1. */
static long vk_tag_index(const struct vk_state *st, const char *tag)
{
    for (size_t i = 0; tag != NULL && i < st->n_tags; i++) {
        if (strcmp(st->tags[i], tag) == 0) {
            return (long)i;
        }
    }
    return -1;
}

/* Reads the "since" object; dates of tags no longer configured are dropped. */
static void vk_cursor_since(struct vk_state *st, yajl_val since)
{
    for (size_t i = 0; YAJL_IS_OBJECT(since) && i < since->u.object.len; i++) {
        long t = vk_tag_index(st, since->u.object.keys[i]);
        yajl_val v = since->u.object.values[i];
        if (t >= 0 && YAJL_IS_INTEGER(v) && YAJL_GET_INTEGER(v) > 0) {
            st->cur.since[t] = YAJL_GET_INTEGER(v);
        }
    }
}

/* Sets st->cur from a committed cursor. A cursor that is not ours (damaged in the store,
 * or its tag was removed from the config) restarts the round at the first tag and keeps
 * what it can; the queue drops the posts seen before. */
static void vk_cursor_parse(struct vk_state *st, const char *cursor)
{
    yajl_val root = NULL;
    struct km_err jerr = {{0}};
    vk_pos_reset(st);
    if (cursor == NULL || *cursor == '\0') {
        return;
    }
    if (km_json_parse(cursor, strlen(cursor), &root, NULL, &jerr) != KM_OK ||
        !YAJL_IS_OBJECT(root)) {
        KM_SLOG_WARN(st->scope, "ignoring invalid cursor '%.40s'", cursor);
        goto out;
    }
    vk_cursor_since(st, km_json_get(root, "since", NULL));
    long t = vk_tag_index(st, km_json_str(root, "tag"));
    if (t < 0) {
        goto out; /* the tag is gone: start the round again */
    }
    st->cur.tag = (size_t)t;
    const char *from = km_json_str(root, "from");
    int64_t start = 0;
    if (from != NULL && *from != '\0' && km_json_int(root, "start", &start) && start > 0) {
        st->cur.from = km_strdup(from);
        st->cur.start = start;
    }
out:
    km_json_free(root);
}

/* The cursor for continuing at tag (with from and start while paging it). Caller frees. */
static char *vk_cursor_build(const struct vk_state *st, size_t tag, const char *from, int64_t start)
{
    struct km_buf b = KM_BUF_INIT;
    km_buf_puts(&b, "{\"tag\":");
    km_json_escape(&b, st->tags[tag]);
    if (from != NULL) {
        km_buf_printf(&b, ",\"start\":%lld,\"from\":", (long long)start);
        km_json_escape(&b, from);
    }
    km_buf_puts(&b, ",\"since\":{");
    bool first = true;
    for (size_t i = 0; i < st->n_tags; i++) {
        if (st->cur.since[i] > 0) {
            km_buf_puts(&b, first ? "" : ",");
            km_json_escape(&b, st->tags[i]);
            km_buf_printf(&b, ":%lld", (long long)st->cur.since[i]);
            first = false;
        }
    }
    km_buf_puts(&b, "}}");
    return km_buf_take(&b);
}

/* ---- request -------------------------------------------------------------------------- */

/* GET {url}/method/newsfeed.search for the tag and page the cursor names. */
static int vk_next_request(void *state, const char *cursor, struct km_request *req)
{
    struct vk_state *st = state;
    struct km_buf url = KM_BUF_INIT;
    vk_cursor_parse(st, cursor);
    if (st->cur.from == NULL) {
        int64_t since = st->cur.since[st->cur.tag];
        st->cur.start = since > 0 ? since : km_time_now_ms() / 1000 - st->lookback_s;
    }
    km_buf_printf(&url, "%s/method/newsfeed.search?q=%%23", st->url);
    km_url_escape(&url, st->tags[st->cur.tag]);
    km_buf_printf(&url, "&extended=1&fields=screen_name&count=%lld&start_time=%lld", st->count,
                  (long long)st->cur.start);
    if (st->cur.from != NULL) {
        km_buf_puts(&url, "&start_from=");
        km_url_escape(&url, st->cur.from);
    }
    km_buf_printf(&url, "&v=%s", st->version);
    req->method = KM_HTTP_GET;
    req->url = km_buf_take(&url);
    int rc = km_request_add_header(req, "Accept: application/json");
    if (rc == KM_OK) {
        rc = km_request_add_header(req, "Authorization: Bearer %s", st->token);
    }
    km_buf_free(&url);
    return rc;
}

/* ---- errors --------------------------------------------------------------------------- */

/* Copies msg into buf with every occurrence of the token replaced by "***". */
static void vk_scrub(const char *msg, const char *token, char *buf, size_t size)
{
    size_t tlen = strlen(token);
    size_t n = 0;
    for (const char *p = msg; *p != '\0' && n + 1 < size;) {
        if (tlen > 0 && strncmp(p, token, tlen) == 0) {
            n += (size_t)snprintf(buf + n, size - n, "***");
            p += tlen;
        } else {
            buf[n++] = *p++;
        }
    }
    buf[n < size ? n : size - 1] = '\0';
}

/* Maps {"error":{...}} to a result code, err and the wait. */
static int vk_api_error(const struct vk_state *st, yajl_val error, struct km_post_batch *out,
                        struct km_err *err)
{
    int64_t code = 0;
    const char *raw = km_json_str(error, "error_msg");
    char msg[160];
    km_json_int(error, "error_code", &code);
    vk_scrub(raw != NULL ? raw : "no error_msg", st->token, msg, sizeof(msg));
    switch (code) {
    case VK_E_AUTH:
        return km_err_set(err, KM_ERR, "vk/%s: token rejected (error 5: %s)", st->name, msg);
    case VK_E_TOO_MANY:
        out->retry_after_ms = VK_WAIT_TOO_MANY_MS;
        return km_err_set(err, KM_RETRY, "vk/%s: rate limited (error 6: %s)", st->name, msg);
    case VK_E_FLOOD:
        out->retry_after_ms = VK_WAIT_FLOOD_MS;
        return km_err_set(err, KM_RETRY, "vk/%s: flood control (error 9: %s)", st->name, msg);
    case VK_E_RATE_LIMIT:
        out->retry_after_ms = VK_WAIT_QUOTA_MS;
        return km_err_set(err, KM_RETRY,
                          "vk/%s: daily quota of newsfeed.search used up (error 29: %s); "
                          "retrying in an hour",
                          st->name, msg);
    case VK_E_CAPTCHA:
        out->retry_after_ms = VK_WAIT_CAPTCHA_MS;
        return km_err_set(err, KM_RETRY,
                          "vk/%s: VK asks for a captcha (error 14: %s): this token is making "
                          "too many requests; waiting 10 min (fewer tags or a longer interval "
                          "help)",
                          st->name, msg);
    case VK_E_SERVER:
        return km_err_set(err, KM_RETRY, "vk/%s: VK internal error (error 10: %s)", st->name, msg);
    default:
        return km_err_set(err, KM_RETRY, "vk/%s: API error %lld: %s", st->name, (long long)code,
                          msg);
    }
}

/* A status other than 200 (VK reports its own errors in 200 bodies, so these come from
 * the servers or proxies in front of it). */
static int vk_http_error(const struct vk_state *st, const struct km_response *resp,
                         struct km_post_batch *out, struct km_err *err)
{
    int64_t ms = km_response_retry_after_ms(resp);
    if (ms >= 0) {
        out->retry_after_ms = ms;
    }
    if (resp->status == 404) {
        return km_err_set(err, KM_ERR, "vk/%s: HTTP 404: no VK API at %s (check url)", st->name,
                          st->url);
    }
    return km_err_set(err, KM_RETRY, "vk/%s: HTTP %ld from the VK API", st->name, resp->status);
}

/* ---- posts ---------------------------------------------------------------------------- */

/* Length of VK mention markup "[id123|Name]", "[club123|Name]" ("public", "event" too, and
 * "[id123:bp-1_2|Name]" in replies) at s, or 0; *name and *name_len locate Name. */
static size_t vk_mention(const char *s, const char **name, size_t *name_len)
{
    static const char *const kinds[] = {"id", "club", "public", "event"};
    const size_t n_kinds = sizeof(kinds) / sizeof(kinds[0]);
    size_t k = 0;
    if (s[0] != '[') {
        return 0;
    }
    while (k < n_kinds && strncmp(s + 1, kinds[k], strlen(kinds[k])) != 0) {
        k++;
    }
    if (k == n_kinds) {
        return 0;
    }
    const char *p = s + 1 + strlen(kinds[k]);
    size_t digits = strspn(p, "0123456789");
    if (digits == 0) {
        return 0;
    }
    p += digits;
    if (*p == ':') {
        p += strcspn(p, "|][\n");
    }
    if (*p != '|') {
        return 0;
    }
    const char *start = ++p;
    p += strcspn(p, "][\n");
    if (*p != ']' || p == start) {
        return 0;
    }
    *name = start;
    *name_len = (size_t)(p - start);
    return (size_t)(p + 1 - s);
}

/* The post text with mention markup replaced by the shown name. Caller frees. */
static char *vk_plain_text(const char *text)
{
    struct km_buf b = KM_BUF_INIT;
    km_buf_puts(&b, "");
    for (const char *p = text; *p != '\0';) {
        const char *name = NULL;
        size_t name_len = 0;
        size_t n = *p == '[' ? vk_mention(p, &name, &name_len) : 0;
        if (n > 0) {
            km_buf_append(&b, name, name_len);
            p += n;
        } else {
            size_t plain = strcspn(p + 1, "[") + 1;
            km_buf_append(&b, p, plain);
            p += plain;
        }
    }
    return km_buf_take(&b);
}

/* The profile (id > 0) or community (id < 0) with this id from response.profiles/groups. */
static yajl_val vk_owner(yajl_val response, int64_t id)
{
    yajl_val list = km_json_get(response, id > 0 ? "profiles" : "groups", NULL);
    int64_t want = id > 0 ? id : -id;
    for (size_t i = 0; YAJL_IS_ARRAY(list) && i < list->u.array.len; i++) {
        int64_t v = 0;
        if (km_json_int(list->u.array.values[i], "id", &v) && v == want) {
            return list->u.array.values[i];
        }
    }
    return NULL;
}

/* "First Last" of a profile, or a community's name; NULL if unknown. Caller frees. */
static char *vk_owner_name(yajl_val owner, int64_t id)
{
    if (id < 0) {
        return km_strdup(km_json_str(owner, "name"));
    }
    const char *first = km_json_str(owner, "first_name");
    const char *last = km_json_str(owner, "last_name");
    if (first != NULL && last != NULL && *last != '\0') {
        return km_asprintf("%s %s", first, last);
    }
    return km_strdup(first != NULL ? first : last);
}

/* author from from_id; chat = the wall when someone posted on a wall not their own. */
static void vk_set_author(struct km_post *p, yajl_val response, int64_t from, int64_t owner)
{
    yajl_val who = vk_owner(response, from);
    p->author.id = km_asprintf("%lld", (long long)from);
    p->author.name = vk_owner_name(who, from);
    km_post_set(&p->author.handle, km_json_str(who, "screen_name"));
    if (owner != from) {
        p->chat.id = km_asprintf("%lld", (long long)owner);
        p->chat.title = vk_owner_name(vk_owner(response, owner), owner);
    }
}

/* The URL of the largest size of a photo attachment, or NULL (borrowed). */
static const char *vk_photo_url(yajl_val photo)
{
    yajl_val sizes = km_json_get(photo, "sizes", NULL);
    const char *best = NULL;
    int64_t best_area = -1;
    for (size_t i = 0; YAJL_IS_ARRAY(sizes) && i < sizes->u.array.len; i++) {
        yajl_val s = sizes->u.array.values[i];
        const char *url = km_json_str(s, "url");
        int64_t w = 0;
        int64_t h = 0;
        if (url == NULL) {
            url = km_json_str(s, "src");
        }
        km_json_int(s, "width", &w);
        km_json_int(s, "height", &h);
        if (url != NULL && w >= 0 && h >= 0 && w <= INT32_MAX && h <= INT32_MAX &&
            w * h > best_area) {
            best = url;
            best_area = w * h;
        }
    }
    return best;
}

static void vk_add_media(struct km_post *p, yajl_val post)
{
    yajl_val att = km_json_get(post, "attachments", NULL);
    for (size_t i = 0; YAJL_IS_ARRAY(att) && i < att->u.array.len; i++) {
        const char *type = km_json_str(att->u.array.values[i], "type");
        if (type != NULL && strcmp(type, "photo") == 0) {
            const char *url = vk_photo_url(km_json_get(att->u.array.values[i], "photo", NULL));
            if (url != NULL) {
                km_post_add_media(p, url);
            }
        }
    }
}

/* geo.coordinates "lat lon" (wall_geo). */
static void vk_set_geo(struct km_post *p, yajl_val post)
{
    const char *c = km_json_str(km_json_get(post, "geo", NULL), "coordinates");
    char *end = NULL;
    if (c == NULL) {
        return;
    }
    double lat = strtod(c, &end);
    if (end == c || *end != ' ') {
        return;
    }
    const char *lon_at = end;
    double lon = strtod(lon_at, &end);
    if (end != lon_at && *end == '\0' && lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) {
        p->has_geo = true;
        p->lat = lat;
        p->lon = lon;
    }
}

/* {"count": N} under key, or -1. */
static int64_t vk_count(yajl_val post, const char *key)
{
    int64_t v = -1;
    return km_json_int(km_json_get(post, key, NULL), "count", &v) && v >= 0 ? v : -1;
}

/* "<owner_id>_<id>" of a post; false if either is missing. */
static bool vk_post_key(yajl_val post, int64_t *owner, int64_t *id)
{
    return km_json_int(post, "owner_id", owner) && km_json_int(post, "id", id);
}

/* Text, hashtags, media and reply_to. A repost (copy_history[0]) points reply_to at the
 * original, shows the original's text when it adds none, and carries its tags. */
static void vk_fill_content(struct km_post *p, yajl_val item)
{
    yajl_val hist = km_json_get(item, "copy_history", NULL);
    yajl_val orig = YAJL_IS_ARRAY(hist) && hist->u.array.len > 0 ? hist->u.array.values[0] : NULL;
    const char *text = km_json_str(item, "text");
    p->text = vk_plain_text(text != NULL ? text : "");
    km_hashtags_extract(p->text, strlen(p->text), p);
    vk_add_media(p, item);
    int64_t owner = 0;
    int64_t id = 0;
    if (!YAJL_IS_OBJECT(orig) || !vk_post_key(orig, &owner, &id)) {
        return;
    }
    p->reply_to = km_asprintf("%lld_%lld", (long long)owner, (long long)id);
    const char *otext = km_json_str(orig, "text");
    char *plain = vk_plain_text(otext != NULL ? otext : "");
    km_hashtags_extract(plain, strlen(plain), p);
    if (p->text[0] == '\0') {
        free(p->text);
        p->text = plain;
        plain = NULL;
    }
    free(plain);
    if (p->n_media == 0) {
        vk_add_media(p, orig);
    }
}

/* Builds a post from a wall post of response.items; NULL (with *why) if it has no
 * owner_id or id. */
static struct km_post *vk_post_from_item(const struct vk_state *st, yajl_val item,
                                         yajl_val response, int64_t collected_at, const char **why)
{
    int64_t owner = 0;
    int64_t id = 0;
    int64_t from = 0;
    int64_t t = 0;
    if (!YAJL_IS_OBJECT(item) || !vk_post_key(item, &owner, &id)) {
        *why = "no owner_id or id";
        return NULL;
    }
    struct km_post *p = km_post_new();
    km_post_set(&p->network, VK_NETWORK);
    km_post_set(&p->source, st->name);
    p->id = km_asprintf("%lld_%lld", (long long)owner, (long long)id);
    p->url = km_asprintf("https://vk.com/wall%lld_%lld", (long long)owner, (long long)id);
    if (!km_json_int(item, "from_id", &from) || from == 0) {
        from = owner;
    }
    vk_set_author(p, response, from, owner);
    if (km_json_int(item, "date", &t) && t > 0 && t < INT64_MAX / 1000) {
        p->created_at = t * 1000;
    }
    p->collected_at = collected_at;
    p->edited = km_json_int(item, "edited", &t) && t > 0;
    vk_fill_content(p, item);
    p->engagement.likes = vk_count(item, "likes");
    p->engagement.reposts = vk_count(item, "reposts");
    p->engagement.replies = vk_count(item, "comments");
    p->engagement.views = vk_count(item, "views");
    vk_set_geo(p, item);
    return p;
}

/* Reads response.items into out; *newest ends as the latest date among them (or stays). */
static int vk_items(const struct vk_state *st, yajl_val response, const struct km_response *resp,
                    struct km_post_batch *out, int64_t *newest, struct km_err *err)
{
    yajl_val items = km_json_get(response, "items", NULL);
    if (!YAJL_IS_ARRAY(items)) {
        return km_err_set(err, KM_EINPUT, "vk/%s: response has no items array", st->name);
    }
    for (size_t i = 0; i < items->u.array.len; i++) {
        yajl_val item = items->u.array.values[i];
        const char *why = NULL;
        struct km_post *p = vk_post_from_item(st, item, response, resp->received_at_ms, &why);
        if (p == NULL) {
            if (out->skipped++ == 0) {
                km_err_set(err, KM_EINPUT, "vk/%s: item #%zu: %s", st->name, i, why);
            }
            continue;
        }
        km_post_batch_add_take(out, p);
        int64_t date = 0;
        if (km_json_int(item, "date", &date) && date > *newest) {
            *newest = date;
        }
    }
    return KM_OK;
}

/* The cursor after this page: the next page of the tag while next_from is given, else the
 * next tag, else (the round is over) the first tag. Sets out->more unless the round ends. */
static char *vk_advance(struct vk_state *st, yajl_val response, struct km_post_batch *out)
{
    const char *next = km_json_str(response, "next_from");
    yajl_val items = km_json_get(response, "items", NULL);
    bool page_more = next != NULL && *next != '\0' && items->u.array.len > 0 &&
                     (st->cur.from == NULL || strcmp(next, st->cur.from) != 0);
    if (page_more && strlen(next) > VK_FROM_MAX) {
        KM_SLOG_WARN(st->scope, "next_from of %zu bytes: not paging '%s' further", strlen(next),
                     st->tags[st->cur.tag]);
        page_more = false;
    }
    char *cursor = NULL;
    if (page_more) {
        cursor = vk_cursor_build(st, st->cur.tag, next, st->cur.start);
    } else if (st->cur.tag + 1 < st->n_tags) {
        cursor = vk_cursor_build(st, st->cur.tag + 1, NULL, 0);
    } else {
        return vk_cursor_build(st, 0, NULL, 0);
    }
    out->more = true;
    out->retry_after_ms = VK_PACE_MS;
    return cursor;
}

static int vk_consume(void *state, const struct km_response *resp, struct km_post_batch *out,
                      char **next_cursor, struct km_err *err)
{
    struct vk_state *st = state;
    int rc = KM_OK;
    yajl_val root = NULL;
    struct km_err jerr = {{0}};
    *next_cursor = NULL;
    if (resp->status != 200) {
        rc = vk_http_error(st, resp, out, err);
        goto out;
    }
    if (km_json_parse(resp->body, resp->body_len, &root, NULL, &jerr) != KM_OK) {
        rc = km_err_set(err, KM_EINPUT, "vk/%s: %s", st->name, jerr.msg);
        goto out;
    }
    yajl_val error = km_json_get(root, "error", NULL);
    yajl_val response = km_json_get(root, "response", NULL);
    if (YAJL_IS_OBJECT(error)) {
        rc = vk_api_error(st, error, out, err);
        goto out;
    }
    if (!YAJL_IS_OBJECT(response)) {
        rc = km_err_set(err, KM_EINPUT, "vk/%s: answer has neither response nor error", st->name);
        goto out;
    }
    int64_t newest = st->cur.since[st->cur.tag];
    rc = vk_items(st, response, resp, out, &newest, err);
    if (rc != KM_OK) {
        goto out;
    }
    st->cur.since[st->cur.tag] = newest;
    *next_cursor = vk_advance(st, response, out);
out:
    km_json_free(root);
    return rc;
}

const struct km_collector km_collector_vk = {
    .name = "vk",
    .keys = vk_keys,
    .create = vk_create,
    .next_request = vk_next_request,
    .consume = vk_consume,
    .destroy = vk_destroy,
};
