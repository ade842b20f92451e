/* Mastodon collector: polls the hashtag timeline of one instance
 * (GET /api/v1/timelines/tag/:hashtag, https://docs.joinmastodon.org/methods/timelines/#tag).
 *
 * Up to four tags share one request: the first in the path, the others as any[]. The
 * cursor is the highest status id seen, sent as min_id, which pages forward from it (since_id
 * would return the newest page and could skip statuses). Ids are strings of digits of
 * growing length, so they compare by length, then lexically.
 *
 * Those ids are local to the instance (the same status has another id on every instance
 * that knows it), so a post's id is the status's `uri`, its global ActivityPub id, or
 * "<instance host>/<id>" when the uri is missing. The cursor stays a local id. */
#include "collectors/collector.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/time.h"
#include "parser/html.h"
#include "parser/json.h"
#include "parser/post.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MST_NETWORK "mastodon"

/* Mastodon applies at most 4 tags per hashtag-timeline query (path tag plus any[]); more
 * would be dropped silently by the instance, so they are refused in the config. */
#define MST_MAX_TAGS 4

/* The largest page the API returns (documented maximum of `limit`). */
#define MST_LIMIT_MAX 40

/* Longest wait taken from X-RateLimit-Reset: a day. Mastodon's windows last 5 minutes; a
 * reset further away is a broken clock or header and must not park the source for years. */
#define MST_RESET_MAX_MS (24LL * 3600 * 1000)

/* Wait after 404/410: a timeline that is disabled or a tag that is unknown today may be
 * back after an admin change or the first post, so keep asking, but rarely. */
#define MST_GONE_RETRY_MS (10 * 60 * 1000)

static const struct km_conf_key mst_keys[] = {
    {"url", KM_CONF_STR, NULL, 0, 0, KM_CONF_REQUIRED,
     "instance root, e.g. https://mastodon.social"},
    {"tags", KM_CONF_STR, NULL, 0, 0, KM_CONF_REQUIRED,
     "comma-separated hashtags without '#', at most 4 (one request per poll)"},
    {"token", KM_CONF_STR, NULL, 0, 0, KM_CONF_SECRET,
     "bearer token for instances that require login for timelines (read:statuses)"},
    {"limit", KM_CONF_INT, "40", 1, MST_LIMIT_MAX, 0, "statuses per request (1-40)"},
    {"local", KM_CONF_BOOL, "no", 0, 0, 0, "only statuses posted on this instance"},
    {NULL, 0, NULL, 0, 0, 0, NULL},
};

struct mst_state {
    char *name;
    char *url;  /* instance root without trailing '/' */
    char *host; /* host[:port] of url, to qualify local ids */
    char *tags[MST_MAX_TAGS];
    size_t n_tags;
    char *token; /* NULL if unset */
    long long limit;
    bool local;
};

static void mst_destroy(void *state)
{
    struct mst_state *st = state;
    if (st == NULL) {
        return;
    }
    free(st->name);
    free(st->url);
    free(st->host);
    for (size_t i = 0; i < st->n_tags; i++) {
        free(st->tags[i]);
    }
    free(st->token);
    free(st);
}

/* Splits "a, #b,c" into st->tags. Returns KM_OK or KM_EINPUT with err "FILE:LINE: ...". */
static int mst_parse_tags(struct mst_state *st, const struct km_section *sec, const char *list,
                          struct km_err *err)
{
    int line = km_section_line(sec, "tags");
    const char *cur = list, *s;
    size_t len;
    while (km_conf_list_next(&cur, &s, &len)) {
        if (len == 0) {
            return km_err_set(err, KM_EINPUT, "%s:%d: mastodon/%s: tags: empty tag in '%s'",
                              sec->file, line, st->name, list);
        }
        if (st->n_tags == MST_MAX_TAGS) {
            return km_err_set(err, KM_EINPUT,
                              "%s:%d: mastodon/%s: tags: at most %d tags per source (the "
                              "instance ignores the rest); add another [source] for more",
                              sec->file, line, st->name, MST_MAX_TAGS);
        }
        st->tags[st->n_tags++] = km_strndup(s, len);
    }
    return KM_OK;
}

static int mst_create(const struct km_section *sec, void **state, struct km_err *err)
{
    int rc = KM_OK;
    struct mst_state *st = km_calloc(1, sizeof(*st));
    st->name = km_strdup(sec->name != NULL ? sec->name : "?");
    const char *url = km_section_get(sec, "url");
    const char *tags = km_section_get(sec, "tags");
    if (url == NULL || (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)) {
        rc = km_err_set(err, KM_EINPUT,
                        "%s:%d: mastodon/%s: url must be the instance root, like "
                        "https://mastodon.social",
                        sec->file, km_section_line(sec, "url"), st->name);
        goto out;
    }
    if (tags == NULL) {
        rc = km_err_set(err, KM_EINPUT, "%s:%d: mastodon/%s: tags is required", sec->file,
                        sec->line, st->name);
        goto out;
    }
    rc = mst_parse_tags(st, sec, tags, err);
    if (rc != KM_OK) {
        goto out;
    }
    size_t ulen = strlen(url);
    while (ulen > 0 && url[ulen - 1] == '/') {
        ulen--;
    }
    st->url = km_strndup(url, ulen);
    const char *host = strstr(st->url, "://") + 3;
    st->host = km_strndup(host, strcspn(host, "/?#"));
    const char *token = km_section_get(sec, "token");
    st->token = token != NULL && *token != '\0' ? km_strdup(token) : NULL;
    st->limit = km_section_get_int(sec, "limit");
    if (st->limit < 1 || st->limit > MST_LIMIT_MAX) {
        st->limit = MST_LIMIT_MAX;
    }
    st->local = km_section_get_bool(sec, "local");
out:
    if (rc != KM_OK) {
        mst_destroy(st);
        st = NULL;
    }
    *state = st;
    return rc;
}

static int mst_next_request(void *state, const char *cursor, struct km_request *req)
{
    struct mst_state *st = state;
    int rc = KM_OK;
    struct km_buf url = KM_BUF_INIT;
    km_buf_printf(&url, "%s/api/v1/timelines/tag/", st->url);
    km_url_escape(&url, st->tags[0]);
    km_buf_printf(&url, "?limit=%lld", st->limit);
    if (st->local) {
        km_buf_puts(&url, "&local=true");
    }
    for (size_t i = 1; i < st->n_tags; i++) {
        km_buf_puts(&url, "&any[]=");
        km_url_escape(&url, st->tags[i]);
    }
    if (cursor != NULL && *cursor != '\0') {
        km_buf_puts(&url, "&min_id=");
        km_url_escape(&url, cursor);
    }
    req->method = KM_HTTP_GET;
    req->url = km_buf_take(&url);
    rc = km_request_add_header(req, "Accept: application/json");
    if (rc == KM_OK && st->token != NULL) {
        rc = km_request_add_header(req, "Authorization: Bearer %s", st->token);
    }
    km_buf_free(&url);
    return rc;
}

/* Mastodon status ids are decimal strings: longer is newer, equal lengths compare
 * lexically. Returns <0, 0 or >0 like strcmp. */
static int mst_id_cmp(const char *a, const char *b)
{
    size_t la = strlen(a);
    size_t lb = strlen(b);
    if (la != lb) {
        return la < lb ? -1 : 1;
    }
    return strcmp(a, b);
}

/* Milliseconds until X-RateLimit-Reset (an ISO 8601 time), measured from when the response
 * arrived, at most MST_RESET_MAX_MS; -1 if the header is absent or not a time. */
static int64_t mst_reset_ms(const struct km_response *resp)
{
    const char *v = km_response_header(resp, "X-RateLimit-Reset");
    int64_t at = 0;
    if (v == NULL || km_time_parse_rfc3339(v, &at) != KM_OK) {
        return -1;
    }
    int64_t now = resp->received_at_ms != 0 ? resp->received_at_ms : km_time_now_ms();
    if (at <= now) {
        return 0;
    }
    return at - now < MST_RESET_MAX_MS ? at - now : MST_RESET_MAX_MS;
}

/* The "error" string of an error body, copied into buf ("" if the body is not one). */
static void mst_error_text(const struct km_response *resp, char *buf, size_t size)
{
    yajl_val root = NULL;
    struct km_err jerr = {{0}};
    buf[0] = '\0';
    if (km_json_parse(resp->body, resp->body_len, &root, NULL, &jerr) == KM_OK) {
        const char *e = km_json_str(root, "error");
        if (e != NULL) {
            snprintf(buf, size, " (%s)", e);
        }
    }
    km_json_free(root);
}

/* Maps a non-200 response to a result code and err. */
static int mst_http_error(const struct mst_state *st, const struct km_response *resp,
                          struct km_post_batch *out, struct km_err *err)
{
    char detail[128];
    long status = resp->status;
    mst_error_text(resp, detail, sizeof(detail));
    if (status == 429) {
        int64_t ms = mst_reset_ms(resp);
        if (ms < 0) {
            ms = km_response_retry_after_ms(resp);
        }
        if (ms >= 0) {
            out->retry_after_ms = ms;
        }
        return km_err_set(err, KM_RETRY, "mastodon/%s: HTTP 429: rate limited%s", st->name, detail);
    }
    if (status == 401 || status == 403) {
        return km_err_set(err, KM_ERR, "mastodon/%s: HTTP %ld: %s%s", st->name, status,
                          st->token != NULL ? "token rejected by the instance"
                                            : "instance requires a token: set token =",
                          detail);
    }
    if (status == 404 || status == 410) {
        out->retry_after_ms = MST_GONE_RETRY_MS;
        return km_err_set(err, KM_RETRY, "mastodon/%s: HTTP %ld: %s%s; retrying in %d min",
                          st->name, status,
                          status == 404 ? "tag not found / timeline disabled" : "gone", detail,
                          MST_GONE_RETRY_MS / 60000);
    }
    int64_t ms = km_response_retry_after_ms(resp);
    if (ms >= 0) {
        out->retry_after_ms = ms;
    }
    return km_err_set(err, KM_RETRY, "mastodon/%s: HTTP %ld%s", st->name, status, detail);
}

/* author {id, display_name or username, acct} */
static void mst_set_author(struct km_post *p, yajl_val account)
{
    const char *display = km_json_str(account, "display_name");
    p->author.id = km_json_scalar_dup(account, "id");
    km_post_set(&p->author.name,
                display != NULL && *display != '\0' ? display : km_json_str(account, "username"));
    km_post_set(&p->author.handle, km_json_str(account, "acct"));
}

/* text = spoiler_text (if any), a blank line, then the content as plain text. */
static void mst_set_text(struct km_post *p, yajl_val s)
{
    const char *spoiler = km_json_str(s, "spoiler_text");
    const char *html = km_json_str(s, "content");
    char *body = html != NULL ? km_html_to_text(html, strlen(html)) : NULL;
    if (spoiler != NULL && *spoiler != '\0') {
        p->text = km_asprintf("%s\n\n%s", spoiler, body != NULL ? body : "");
        free(body);
    } else {
        p->text = body;
    }
}

static int64_t mst_count(yajl_val s, const char *key)
{
    int64_t v = -1;
    return km_json_int(s, key, &v) && v >= 0 ? v : -1;
}

/* Fields taken from the status whose content is shown: the status itself, or the
 * original of a reblog. */
static void mst_fill_content(struct km_post *p, yajl_val s)
{
    mst_set_text(p, s);
    km_post_set(&p->lang, km_json_str(s, "language"));
    yajl_val tags = km_json_get(s, "tags", NULL);
    for (size_t i = 0; YAJL_IS_ARRAY(tags) && i < tags->u.array.len; i++) {
        const char *name = km_json_str(tags->u.array.values[i], "name");
        if (name != NULL) {
            km_post_add_hashtag(p, name);
        }
    }
    p->engagement.likes = mst_count(s, "favourites_count");
    p->engagement.reposts = mst_count(s, "reblogs_count");
    p->engagement.replies = mst_count(s, "replies_count");
    yajl_val media = km_json_get(s, "media_attachments", NULL);
    for (size_t i = 0; YAJL_IS_ARRAY(media) && i < media->u.array.len; i++) {
        yajl_val m = media->u.array.values[i];
        const char *url = km_json_str(m, "url");
        if (url == NULL) {
            url = km_json_str(m, "remote_url");
        }
        if (url != NULL) {
            km_post_add_media(p, url);
        }
    }
}

/* A global id for status s: its uri, else "<instance host>/<id>"; NULL if s has
 * neither. Caller frees. */
static char *mst_status_ref(const struct mst_state *st, yajl_val s)
{
    const char *uri = km_json_str(s, "uri");
    if (uri != NULL && *uri != '\0') {
        return km_strdup(uri);
    }
    char *id = km_json_scalar_dup(s, "id");
    char *ref = id != NULL && *id != '\0' ? km_asprintf("%s/%s", st->host, id) : NULL;
    free(id);
    return ref;
}

/* "<instance host>/<in_reply_to_id>": the API gives only the local id of the parent. */
static char *mst_reply_ref(const struct mst_state *st, yajl_val s)
{
    char *id = km_json_scalar_dup(s, "in_reply_to_id");
    char *ref = id != NULL && *id != '\0' ? km_asprintf("%s/%s", st->host, id) : NULL;
    free(id);
    return ref;
}

/* Builds a post from a Status. A reblog keeps its own id, author and time, takes the
 * content of the original and points reply_to at it (that is how a repost is marked). */
static struct km_post *mst_post_from_status(const struct mst_state *st, yajl_val s,
                                            int64_t collected_at)
{
    struct km_post *p = km_post_new();
    yajl_val reblog = km_json_get(s, "reblog", NULL);
    yajl_val shown = YAJL_IS_OBJECT(reblog) ? reblog : s;
    km_post_set(&p->network, MST_NETWORK);
    km_post_set(&p->source, st->name);
    p->id = mst_status_ref(st, s);
    const char *url = km_json_str(shown, "url");
    km_post_set(&p->url, url != NULL ? url : km_json_str(shown, "uri"));
    mst_set_author(p, km_json_get(s, "account", NULL));
    int64_t t = 0;
    const char *created = km_json_str(s, "created_at");
    if (created != NULL && km_time_parse_rfc3339(created, &t) == KM_OK) {
        p->created_at = t;
    }
    p->collected_at = collected_at;
    mst_fill_content(p, shown);
    p->reply_to = shown != s ? mst_status_ref(st, shown) : mst_reply_ref(st, s);
    return p;
}

/* Reads a 200 page (an array of Status, newest first) into out; *max_id ends as the
 * highest id of the page (borrowed from root) or NULL if the page is empty. */
static int mst_page(const struct mst_state *st, yajl_val root, const struct km_response *resp,
                    struct km_post_batch *out, const char **max_id, struct km_err *err)
{
    if (!YAJL_IS_ARRAY(root)) {
        return km_err_set(err, KM_EINPUT, "mastodon/%s: response is not an array of statuses",
                          st->name);
    }
    for (size_t i = 0; i < root->u.array.len; i++) {
        yajl_val s = root->u.array.values[i];
        const char *id = km_json_str(s, "id");
        if (id == NULL || *id == '\0' || !YAJL_IS_OBJECT(km_json_get(s, "account", NULL))) {
            if (out->skipped++ == 0) {
                km_err_set(err, KM_EINPUT, "mastodon/%s: status #%zu: %s", st->name, i,
                           id == NULL || *id == '\0' ? "no id" : "no account");
            }
        } else {
            km_post_batch_add_take(out, mst_post_from_status(st, s, resp->received_at_ms));
        }
        if (id != NULL && *id != '\0' && (*max_id == NULL || mst_id_cmp(id, *max_id) > 0)) {
            *max_id = id;
        }
    }
    return KM_OK;
}

static int mst_consume(void *state, const struct km_response *resp, struct km_post_batch *out,
                       char **next_cursor, struct km_err *err)
{
    struct mst_state *st = state;
    int rc = KM_OK;
    yajl_val root = NULL;
    struct km_err jerr = {{0}};
    const char *max_id = NULL;
    *next_cursor = NULL;
    if (resp->status != 200) {
        rc = mst_http_error(st, resp, out, err);
        goto out;
    }
    if (km_json_parse(resp->body, resp->body_len, &root, NULL, &jerr) != KM_OK) {
        rc = km_err_set(err, KM_EINPUT, "mastodon/%s: %s", st->name, jerr.msg);
        goto out;
    }
    rc = mst_page(st, root, resp, out, &max_id, err);
    if (rc != KM_OK) {
        goto out;
    }
    *next_cursor = km_strdup(max_id);
    /* A full page: more statuses may be waiting after it, fetch them at once. */
    out->more = root->u.array.len >= (size_t)st->limit;
    /* The last request of the window still succeeds; make the runtime wait for the reset
     * instead of running into a 429. */
    const char *remaining = km_response_header(resp, "X-RateLimit-Remaining");
    if (remaining != NULL && strcmp(remaining, "0") == 0 && mst_reset_ms(resp) >= 0) {
        out->retry_after_ms = mst_reset_ms(resp);
    }
out:
    km_json_free(root);
    return rc;
}

const struct km_collector km_collector_mastodon = {
    .name = "mastodon",
    .keys = mst_keys,
    .create = mst_create,
    .next_request = mst_next_request,
    .consume = mst_consume,
    .destroy = mst_destroy,
};
