/* Generic JSON collector (`type = json`): any HTTP API that answers with a JSON list of items,
 * mapped onto posts by RFC 6901 JSON Pointers from the config, so that a new city portal
 * needs a [source] section and no C code.
 *
 * Paging has two forms. With `cursor = /pointer` the value found there in a response is sent
 * with the next request as the query parameter `cursor_param`; the committed cursor is that
 * value. With `cursor = link` the collector follows the `Link: <...>; rel="next"` header
 * (RFC 8288); the committed cursor is the URL of the next page, and a page without a next
 * link is fetched again on the next poll (new items are appended to it). Link targets must
 * stay on the origin of `url`: the token is sent with every request. */
#include "collectors/collector.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/time.h"
#include "parser/hashtag.h"
#include "parser/json.h"
#include "parser/post.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest network name accepted: it becomes a column value and part of every post id key. */
#define JS_NETWORK_MAX 32

/* Longest body excerpt quoted in an error message. */
#define JS_EXCERPT 80

static const struct km_conf_key js_keys[] = {
    {"url", KM_CONF_STR, NULL, 0, 0, KM_CONF_REQUIRED,
     "the API endpoint that lists items, e.g. https://portal.example.kz/api/reports"},
    {"token", KM_CONF_STR, NULL, 0, 0, KM_CONF_SECRET, "sent as Authorization: Bearer TOKEN"},
    {"header", KM_CONF_STR, NULL, 0, 0, 0, "one extra request header, \"Name: value\""},
    {"items", KM_CONF_STR, "", 0, 0, 0,
     "JSON Pointer of the array of items in a response (\"\" = the response itself)"},
    {"id", KM_CONF_STR, NULL, 0, 0, KM_CONF_REQUIRED,
     "JSON Pointer of an item's unique id inside the item, e.g. /id"},
    {"text", KM_CONF_STR, NULL, 0, 0, KM_CONF_REQUIRED, "JSON Pointer of the item's text"},
    {"created_at", KM_CONF_STR, NULL, 0, 0, 0,
     "JSON Pointer of the item's time: an RFC 3339 string or Unix seconds"},
    {"author", KM_CONF_STR, NULL, 0, 0, 0, "JSON Pointer of the author's name"},
    {"url_field", KM_CONF_STR, NULL, 0, 0, 0, "JSON Pointer of the item's link"},
    {"tags", KM_CONF_STR, NULL, 0, 0, 0,
     "JSON Pointer of an array of tag strings; without it #tags are taken from the text"},
    {"cursor", KM_CONF_STR, NULL, 0, 0, 0,
     "JSON Pointer of the next cursor in a response, or \"link\" to follow Link: rel=\"next\""},
    {"cursor_param", KM_CONF_STR, "cursor", 0, 0, 0,
     "query parameter that carries the cursor value"},
    {"network", KM_CONF_STR, "json", 0, 0, 0, "network name written into the posts"},
    {NULL, 0, NULL, 0, 0, 0, NULL},
};

/* The pointer keys, in the order they are checked and stored. */
enum js_ptr { JS_ITEMS, JS_ID, JS_TEXT, JS_CREATED, JS_AUTHOR, JS_URL, JS_TAGS, JS_NPTR };
static const char *const js_ptr_keys[JS_NPTR] = {"items",  "id",        "text", "created_at",
                                                 "author", "url_field", "tags"};

struct js_state {
    char *name;  /* [source NAME], for messages */
    char *scope; /* "collector:json:NAME", for logs */
    char *url;
    char *origin; /* "scheme://host[:port]" of url: where Link targets may point */
    char *token;  /* NULL if unset */
    char *header; /* NULL if unset */
    char *network;
    char *ptr[JS_NPTR]; /* NULL if unset (items is never NULL) */
    char *cursor;       /* pointer of the next cursor; NULL if unset or link */
    char *cursor_param;
    bool link;
    char *sent; /* cursor of the request in flight (for "did it move?"), or NULL */
};

static void js_destroy(void *state)
{
    struct js_state *st = state;
    if (st == NULL) {
        return;
    }
    free(st->name);
    free(st->scope);
    free(st->url);
    free(st->origin);
    free(st->token);
    free(st->header);
    free(st->network);
    for (size_t i = 0; i < JS_NPTR; i++) {
        free(st->ptr[i]);
    }
    free(st->cursor);
    free(st->cursor_param);
    free(st->sent);
    free(st);
}

/* True if s has no control characters (CR or LF would split a header). */
static bool js_printable(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            return false;
        }
    }
    return true;
}

/* "Name: value" with an RFC 9110 token as the name. */
static bool js_header_valid(const char *h)
{
    size_t n = strspn(h, "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"
                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    return n > 0 && h[n] == ':' && js_printable(h);
}

/* Lower-case letters, digits, '_' and '-', 1 to JS_NETWORK_MAX of them. */
static bool js_network_valid(const char *s)
{
    size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-");
    return n > 0 && n <= JS_NETWORK_MAX && s[n] == '\0';
}

/* Checks the pointer keys and stores them. Returns KM_OK or KM_EINPUT with err. */
static int js_create_pointers(struct js_state *st, const struct km_section *sec, struct km_err *err)
{
    for (size_t i = 0; i < JS_NPTR; i++) {
        const char *v = km_section_get(sec, js_ptr_keys[i]);
        if (v == NULL) {
            if (i == JS_ID || i == JS_TEXT) {
                return km_err_set(err, KM_EINPUT,
                                  "%s:%d: json/%s: %s is required (a JSON Pointer such as /%s)",
                                  sec->file, sec->line, st->name, js_ptr_keys[i], js_ptr_keys[i]);
            }
            continue;
        }
        if (!km_json_pointer_valid(v)) {
            return km_err_set(err, KM_EINPUT,
                              "%s:%d: json/%s: %s: '%s' is not a JSON Pointer (RFC 6901): it is "
                              "empty or starts with '/', and '~' is followed by 0 or 1",
                              sec->file, km_section_line(sec, js_ptr_keys[i]), st->name,
                              js_ptr_keys[i], v);
        }
        st->ptr[i] = km_strdup(v);
    }
    const char *cur = km_section_get(sec, "cursor");
    if (cur != NULL && strcmp(cur, "link") == 0) {
        st->link = true;
    } else if (cur != NULL && !km_json_pointer_valid(cur)) {
        return km_err_set(err, KM_EINPUT,
                          "%s:%d: json/%s: cursor: '%s' is neither \"link\" nor a JSON "
                          "Pointer (RFC 6901)",
                          sec->file, km_section_line(sec, "cursor"), st->name, cur);
    } else if (cur != NULL) {
        st->cursor = km_strdup(cur);
    }
    return KM_OK;
}

/* Checks url, token, header, network and cursor_param. Returns KM_OK or KM_EINPUT. */
static int js_create_request(struct js_state *st, const struct km_section *sec, struct km_err *err)
{
    const char *url = km_section_get(sec, "url");
    const char *token = km_section_get(sec, "token");
    const char *header = km_section_get(sec, "header");
    const char *network = km_section_get(sec, "network");
    const char *param = km_section_get(sec, "cursor_param");
    size_t scheme = url == NULL                        ? 0
                    : strncmp(url, "https://", 8) == 0 ? 8
                    : strncmp(url, "http://", 7) == 0  ? 7
                                                       : 0;
    if (scheme == 0 || url[scheme] == '\0' || url[scheme] == '/' || !js_printable(url) ||
        strchr(url, ' ') != NULL) {
        return km_err_set(err, KM_EINPUT, "%s:%d: json/%s: url must be an http:// or https:// URL",
                          sec->file, km_section_line(sec, "url"), st->name);
    }
    if (token != NULL && (!js_printable(token) || strchr(token, ' ') != NULL)) {
        return km_err_set(err, KM_EINPUT,
                          "%s:%d: json/%s: token must not contain spaces or control characters",
                          sec->file, km_section_line(sec, "token"), st->name);
    }
    if (header != NULL && !js_header_valid(header)) {
        return km_err_set(err, KM_EINPUT, "%s:%d: json/%s: header must look like \"Name: value\"",
                          sec->file, km_section_line(sec, "header"), st->name);
    }
    if (network == NULL || !js_network_valid(network)) {
        return km_err_set(err, KM_EINPUT,
                          "%s:%d: json/%s: network must be 1-%d of a-z, 0-9, '_' and '-'",
                          sec->file, km_section_line(sec, "network"), st->name, JS_NETWORK_MAX);
    }
    if (param == NULL || *param == '\0') {
        return km_err_set(err, KM_EINPUT, "%s:%d: json/%s: cursor_param must not be empty",
                          sec->file, km_section_line(sec, "cursor_param"), st->name);
    }
    st->url = km_strdup(url);
    st->origin = km_strndup(url, scheme + strcspn(url + scheme, "/?#"));
    st->token = token != NULL && *token != '\0' ? km_strdup(token) : NULL;
    st->header = header != NULL ? km_strdup(header) : NULL;
    st->network = km_strdup(network);
    st->cursor_param = km_strdup(param);
    return KM_OK;
}

static int js_create(const struct km_section *sec, void **state, struct km_err *err)
{
    struct js_state *st = km_calloc(1, sizeof(*st));
    st->name = km_strdup(sec->name != NULL ? sec->name : "?");
    st->scope = km_asprintf("collector:json:%s", st->name);
    int rc = js_create_request(st, sec, err);
    if (rc == KM_OK) {
        rc = js_create_pointers(st, sec, err);
    }
    if (rc != KM_OK) {
        js_destroy(st);
        st = NULL;
    }
    *state = st;
    return rc;
}

/* True if url is on the origin of the configured url (same scheme, host and port). */
static bool js_same_origin(const struct js_state *st, const char *url)
{
    size_t n = strlen(st->origin);
    return strncmp(url, st->origin, n) == 0 &&
           (url[n] == '\0' || url[n] == '/' || url[n] == '?' || url[n] == '#');
}

/* The URL of the request for a committed cursor. Caller frees. */
static char *js_request_url(struct js_state *st, const char *cursor)
{
    if (cursor == NULL || *cursor == '\0' || (!st->link && st->cursor == NULL)) {
        return km_strdup(st->url);
    }
    if (st->link) {
        if (js_same_origin(st, cursor) && js_printable(cursor)) {
            return km_strdup(cursor);
        }
        KM_SLOG_WARN(st->scope, "ignoring a cursor that is not a URL of %s: '%.60s'", st->origin,
                     cursor);
        return km_strdup(st->url);
    }
    struct km_buf b = KM_BUF_INIT;
    km_buf_puts(&b, st->url);
    km_buf_putc(&b, strchr(st->url, '?') != NULL ? '&' : '?');
    km_url_escape(&b, st->cursor_param);
    km_buf_putc(&b, '=');
    km_url_escape(&b, cursor);
    return km_buf_take(&b);
}

static int js_next_request(void *state, const char *cursor, struct km_request *req)
{
    struct js_state *st = state;
    free(st->sent);
    st->sent = cursor != NULL ? km_strdup(cursor) : NULL;
    req->method = KM_HTTP_GET;
    req->url = js_request_url(st, cursor);
    int rc = km_request_add_header(req, "Accept: application/json");
    if (rc == KM_OK && st->token != NULL) {
        rc = km_request_add_header(req, "Authorization: Bearer %s", st->token);
    }
    if (rc == KM_OK && st->header != NULL) {
        rc = km_request_add_header(req, "%s", st->header);
    }
    return rc;
}

/* " (message)" from an error body's "message", "error" or "error.message", or the start
 * of the body; "" if there is nothing printable. */
static void js_error_text(const struct km_response *resp, char *buf, size_t size)
{
    yajl_val root = NULL;
    struct km_err jerr = {{0}};
    buf[0] = '\0';
    if (km_json_parse(resp->body, resp->body_len, &root, NULL, &jerr) == KM_OK) {
        const char *m = km_json_str(root, "message");
        m = m != NULL ? m : km_json_str(root, "error");
        m = m != NULL ? m : km_json_str(km_json_get(root, "error", NULL), "message");
        if (m != NULL) {
            snprintf(buf, size, " (%s)", m);
        }
    } else if (resp->body_len > 0 && resp->body[0] != '<') {
        size_t n = 0;
        while (n < resp->body_len && n < JS_EXCERPT && resp->body[n] >= 0x20) {
            n++;
        }
        if (n > 0) {
            snprintf(buf, size, " (%.*s)", (int)n, resp->body);
        }
    }
    km_json_free(root);
}

/* Maps a response that is not a success to a result code and err. */
static int js_http_error(const struct js_state *st, const struct km_response *resp,
                         struct km_post_batch *out, struct km_err *err)
{
    char detail[128];
    long status = resp->status;
    js_error_text(resp, detail, sizeof(detail));
    int64_t ms = km_response_retry_after_ms(resp);
    if (status == 429 || status == 408 || status >= 500) {
        if (ms >= 0) {
            out->retry_after_ms = ms;
        }
        return km_err_set(err, KM_RETRY, "json/%s: HTTP %ld%s%s", st->name, status,
                          status == 429 ? ": rate limited" : "", detail);
    }
    if (status == 401 || status == 403) {
        return km_err_set(err, KM_ERR, "json/%s: HTTP %ld: %s%s", st->name, status,
                          st->token != NULL ? "token rejected"
                                            : "the API requires a token: set "
                                              "token =",
                          detail);
    }
    if (status == 404 || status == 410) {
        return km_err_set(err, KM_ERR, "json/%s: HTTP %ld: no such endpoint, check url%s", st->name,
                          status, detail);
    }
    return km_err_set(err, KM_ERR, "json/%s: HTTP %ld%s", st->name, status, detail);
}

/* Tags from the configured array (strings only), else #tags found in the text. */
static void js_set_tags(const struct js_state *st, struct km_post *p, yajl_val item)
{
    yajl_val tags = st->ptr[JS_TAGS] != NULL ? km_json_pointer(item, st->ptr[JS_TAGS]) : NULL;
    if (YAJL_IS_ARRAY(tags)) {
        for (size_t i = 0; i < tags->u.array.len; i++) {
            yajl_val t = tags->u.array.values[i];
            if (YAJL_IS_STRING(t)) {
                km_post_add_hashtag(p, t->u.string);
            }
        }
        return;
    }
    km_hashtags_extract(p->text, strlen(p->text), p);
}

/* The value at the optional pointer key k of item, or NULL. */
static yajl_val js_field(const struct js_state *st, yajl_val item, enum js_ptr k)
{
    return st->ptr[k] != NULL ? km_json_pointer(item, st->ptr[k]) : NULL;
}

/* Builds a post from one item, or counts it in out->skipped when it has no id or text. */
static void js_item(const struct js_state *st, yajl_val item, size_t idx, int64_t now,
                    struct km_post_batch *out, struct km_err *err)
{
    char *id = km_json_value_dup(km_json_pointer(item, st->ptr[JS_ID]));
    yajl_val text = km_json_pointer(item, st->ptr[JS_TEXT]);
    if (id == NULL || *id == '\0' || !YAJL_IS_STRING(text)) {
        if (out->skipped++ == 0) {
            km_err_set(err, KM_EINPUT, "json/%s: item #%zu: no %s at '%s'", st->name, idx,
                       id == NULL || *id == '\0' ? "id" : "text",
                       id == NULL || *id == '\0' ? st->ptr[JS_ID] : st->ptr[JS_TEXT]);
        }
        free(id);
        return;
    }
    struct km_post *p = km_post_new();
    km_post_set(&p->network, st->network);
    km_post_set(&p->source, st->name);
    p->id = id;
    km_post_set(&p->text, text->u.string);
    p->author.name = km_json_value_dup(js_field(st, item, JS_AUTHOR));
    yajl_val url = js_field(st, item, JS_URL);
    km_post_set(&p->url, YAJL_IS_STRING(url) ? url->u.string : NULL);
    p->created_at = km_json_time_ms(js_field(st, item, JS_CREATED));
    p->collected_at = now;
    js_set_tags(st, p, item);
    km_post_batch_add_take(out, p);
}

/* Reads the items array of a parsed response into out. */
static int js_items(const struct js_state *st, yajl_val root, int64_t now,
                    struct km_post_batch *out, struct km_err *err)
{
    yajl_val items = km_json_pointer(root, st->ptr[JS_ITEMS]);
    if (items == NULL) {
        return km_err_set(err, KM_EINPUT, "json/%s: items: '%s' names nothing in the response",
                          st->name, st->ptr[JS_ITEMS]);
    }
    if (YAJL_IS_NULL(items)) {
        return KM_OK;
    }
    if (!YAJL_IS_ARRAY(items)) {
        return km_err_set(err, KM_EINPUT, "json/%s: items: '%s' is not an array", st->name,
                          st->ptr[JS_ITEMS]);
    }
    for (size_t i = 0; i < items->u.array.len; i++) {
        js_item(st, items->u.array.values[i], i, now, out, err);
    }
    return KM_OK;
}

/* True if one link-value's parameters (params[0..len)) include rel="next"; rel holds a
 * space-separated list of relation types, compared case-insensitively (RFC 8288). */
static bool js_rel_next(const char *params, size_t len)
{
    char *s = km_strndup(params, len);
    bool found = false;
    for (char *c = s; *c != '\0'; c++) {
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
    }
    for (char *r = strstr(s, "rel"); r != NULL && !found; r = strstr(r + 3, "rel")) {
        char *v = r + 3 + strspn(r + 3, " \t");
        if ((r > s && strchr("; \t", r[-1]) == NULL) || *v != '=') {
            continue;
        }
        v += 1 + strspn(v + 1, " \t");
        bool quoted = *v == '"';
        v += quoted;
        v[strcspn(v, quoted ? "\"" : ";, \t")] = '\0';
        char *save = NULL;
        for (char *t = strtok_r(v, " \t", &save); t != NULL && !found;
             t = strtok_r(NULL, " \t", &save)) {
            found = strcmp(t, "next") == 0;
        }
        break;
    }
    free(s);
    return found;
}

/* The target of the rel="next" link-value of a Link header, as written; NULL if none. */
static char *js_link_next(const char *h)
{
    for (const char *p = strchr(h, '<'); p != NULL; p = strchr(p, '<')) {
        const char *gt = strchr(p, '>');
        if (gt == NULL) {
            return NULL;
        }
        const char *params = gt + 1;
        if (js_rel_next(params, strcspn(params, "<"))) {
            return km_strndup(p + 1, (size_t)(gt - p - 1));
        }
        p = params;
    }
    return NULL;
}

/* Resolves a link target against url: absolute on the same origin, "/path" or "?query".
 * Returns a malloc'd URL, or NULL for anything else (another host must not get the token). */
static char *js_resolve(const struct js_state *st, const char *ref)
{
    if (!js_printable(ref) || strchr(ref, ' ') != NULL) {
        return NULL;
    }
    if (strncmp(ref, "http://", 7) == 0 || strncmp(ref, "https://", 8) == 0) {
        return js_same_origin(st, ref) ? km_strdup(ref) : NULL;
    }
    if (ref[0] == '/' && ref[1] != '/') {
        return km_asprintf("%s%s", st->origin, ref);
    }
    if (ref[0] == '?') {
        return km_asprintf("%.*s%s", (int)strcspn(st->url, "?#"), st->url, ref);
    }
    return NULL;
}

/* cursor = link: the next page's URL becomes the cursor, fetched at once. */
static void js_next_link(const struct js_state *st, const struct km_response *resp,
                         struct km_post_batch *out, char **next_cursor)
{
    const char *h = km_response_header(resp, "Link");
    char *ref = h != NULL ? js_link_next(h) : NULL;
    if (ref == NULL) {
        return; /* the last page: poll it again next time */
    }
    char *url = js_resolve(st, ref);
    if (url == NULL) {
        KM_SLOG_WARN(st->scope, "not following Link rel=\"next\" '%.80s': not a URL of %s", ref,
                     st->origin);
    } else {
        out->more = st->sent == NULL || strcmp(url, st->sent) != 0;
        *next_cursor = url;
    }
    free(ref);
}

/* cursor = /pointer: the value there is the next cursor; a page that had items and moved
 * the cursor may have more behind it. */
static void js_next_value(const struct js_state *st, yajl_val root, struct km_post_batch *out,
                          char **next_cursor)
{
    char *v = km_json_value_dup(km_json_pointer(root, st->cursor));
    if (v == NULL || *v == '\0') {
        free(v);
        return; /* keep the current cursor */
    }
    out->more = out->n + out->skipped > 0 && (st->sent == NULL || strcmp(v, st->sent) != 0);
    *next_cursor = v;
}

static int js_consume(void *state, const struct km_response *resp, struct km_post_batch *out,
                      char **next_cursor, struct km_err *err)
{
    struct js_state *st = state;
    int rc = KM_OK;
    yajl_val root = NULL;
    struct km_err jerr = {{0}};
    *next_cursor = NULL;
    if (resp->status == 204) {
        goto out; /* no content: nothing new */
    }
    if (resp->status < 200 || resp->status > 299) {
        rc = js_http_error(st, resp, out, err);
        goto out;
    }
    if (km_json_parse(resp->body, resp->body_len, &root, NULL, &jerr) != KM_OK) {
        rc = km_err_set(err, KM_EINPUT, "json/%s: %s", st->name, jerr.msg);
        goto out;
    }
    int64_t now = resp->received_at_ms != 0 ? resp->received_at_ms : km_time_now_ms();
    rc = js_items(st, root, now, out, err);
    if (rc != KM_OK) {
        goto out;
    }
    if (st->link) {
        js_next_link(st, resp, out, next_cursor);
    } else if (st->cursor != NULL) {
        js_next_value(st, root, out, next_cursor);
    }
out:
    km_json_free(root);
    return rc;
}

const struct km_collector km_collector_json = {
    .name = "json",
    .keys = js_keys,
    .create = js_create,
    .next_request = js_next_request,
    .consume = js_consume,
    .destroy = js_destroy,
};
