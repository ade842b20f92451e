/* Generic JSON webhook (`type = webhook`): a portal, a form or a script POSTs JSON to komek's
 * intake at /webhook/NAME. Nothing is polled (next_request is NULL); the intake hands each
 * POST to consume() as a response with status 200.
 *
 * Every POST is signed: header signature_header = "sha256=" + hex HMAC-SHA256 of the raw
 * body under `secret`, the scheme of GitHub's X-Hub-Signature-256. The signature is checked
 * before the body is parsed. The body is either normalised posts (one object or an array,
 * DESIGN.md "Normalised post"), or, when `id` and `text` are set, any JSON whose items are
 * mapped by RFC 6901 JSON Pointers with the keys of `type = json`.
 *
 * A payload is taken whole or not at all: one malformed item refuses the POST (KM_EINPUT,
 * answered 400 naming the item), so a sender never gets 200 for posts komek dropped. */
#include "collectors/collector.h"
#include "common/alloc.h"
#include "common/hmac.h"
#include "common/time.h"
#include "parser/hashtag.h"
#include "parser/json.h"
#include "parser/post.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Shortest secret accepted: 16 characters of a random string (openssl rand -hex 32 gives 64)
 * keep a signature from being forged by guessing the key. */
#define WH_SECRET_MIN 16

/* Longest network name accepted (the same rule as type = json): it becomes a column value and
 * part of every seen-set key. */
#define WH_NETWORK_MAX 32

static const struct km_conf_key wh_keys[] = {
    {"secret", KM_CONF_STR, NULL, 0, 0, KM_CONF_REQUIRED | KM_CONF_SECRET,
     "shared HMAC-SHA256 key (16+ characters, e.g. openssl rand -hex 32); env:VAR or file:PATH"},
    {"signature_header", KM_CONF_STR, "X-Hub-Signature-256", 0, 0, 0,
     "request header that carries sha256=<hex HMAC-SHA256 of the raw body>"},
    {"network", KM_CONF_STR, "webhook", 0, 0, 0,
     "network name written into mapped posts (normalised posts keep their own)"},
    {"items", KM_CONF_STR, "", 0, 0, 0,
     "mapped payloads: JSON Pointer of the item array, or of one item (\"\" = the body)"},
    {"id", KM_CONF_STR, NULL, 0, 0, 0,
     "JSON Pointer of an item's unique id; with text, turns on mapping (else: normalised posts)"},
    {"text", KM_CONF_STR, NULL, 0, 0, 0, "JSON Pointer of an item's text (mapping)"},
    {"created_at", KM_CONF_STR, NULL, 0, 0, 0,
     "JSON Pointer of an item's time: an RFC 3339 string or Unix seconds (mapping)"},
    {"author", KM_CONF_STR, NULL, 0, 0, 0, "JSON Pointer of the author's name (mapping)"},
    {"url_field", KM_CONF_STR, NULL, 0, 0, 0, "JSON Pointer of the item's link (mapping)"},
    {"tags", KM_CONF_STR, NULL, 0, 0, 0,
     "JSON Pointer of an array of tag strings; without it #tags come from the text (mapping)"},
    {NULL, 0, NULL, 0, 0, 0, NULL},
};

/* The pointer keys, in the order of wh_ptr_keys. */
enum wh_ptr { WH_ITEMS, WH_ID, WH_TEXT, WH_CREATED, WH_AUTHOR, WH_URL, WH_TAGS, WH_NPTR };
static const char *const wh_ptr_keys[WH_NPTR] = {"items",  "id",        "text", "created_at",
                                                 "author", "url_field", "tags"};

struct wh_state {
    char *name; /* [source NAME], for messages */
    char *secret;
    char *header; /* signature header name */
    char *network;
    bool mapped;
    char *ptr[WH_NPTR]; /* NULL if unset */
};

static void wh_destroy(void *state)
{
    struct wh_state *st = state;
    if (st == NULL) {
        return;
    }
    if (st->secret != NULL) {
        memset(st->secret, 0, strlen(st->secret));
    }
    free(st->secret);
    free(st->name);
    free(st->header);
    free(st->network);
    for (size_t i = 0; i < WH_NPTR; i++) {
        free(st->ptr[i]);
    }
    free(st);
}

/* An RFC 9110 token: the characters a header name may have. */
static bool wh_header_name_valid(const char *s)
{
    size_t n = strspn(s, "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"
                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    return n > 0 && s[n] == '\0';
}

static bool wh_network_valid(const char *s)
{
    size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-");
    return n > 0 && n <= WH_NETWORK_MAX && s[n] == '\0';
}

/* Checks and stores the pointer keys; mapping is on when id or text is set. */
static int wh_create_pointers(struct wh_state *st, const struct km_section *sec, struct km_err *err)
{
    for (size_t i = 0; i < WH_NPTR; i++) {
        const char *v = km_section_get(sec, wh_ptr_keys[i]);
        if (v == NULL) {
            continue;
        }
        if (!km_json_pointer_valid(v)) {
            return km_err_set(err, KM_EINPUT,
                              "%s:%d: webhook/%s: %s: '%s' is not a JSON Pointer (RFC 6901): it "
                              "is empty or starts with '/', and '~' is followed by 0 or 1",
                              sec->file, km_section_line(sec, wh_ptr_keys[i]), st->name,
                              wh_ptr_keys[i], v);
        }
        st->ptr[i] = km_strdup(v);
    }
    st->mapped = st->ptr[WH_ID] != NULL || st->ptr[WH_TEXT] != NULL;
    if (st->mapped && (st->ptr[WH_ID] == NULL || st->ptr[WH_TEXT] == NULL)) {
        const char *missing = st->ptr[WH_ID] == NULL ? "id" : "text";
        return km_err_set(err, KM_EINPUT,
                          "%s:%d: webhook/%s: mapping needs both id and text: set %s too",
                          sec->file, sec->line, st->name, missing);
    }
    return KM_OK;
}

static int wh_create_keys(struct wh_state *st, const struct km_section *sec, struct km_err *err)
{
    const char *secret = km_section_get(sec, "secret");
    const char *header = km_section_get(sec, "signature_header");
    const char *network = km_section_get(sec, "network");
    if (secret == NULL || strlen(secret) < WH_SECRET_MIN) {
        return km_err_set(err, KM_EINPUT,
                          "%s:%d: webhook/%s: secret must be at least %d characters (e.g. the "
                          "output of openssl rand -hex 32)",
                          sec->file, km_section_line(sec, "secret"), st->name, WH_SECRET_MIN);
    }
    if (header == NULL || !wh_header_name_valid(header)) {
        return km_err_set(err, KM_EINPUT,
                          "%s:%d: webhook/%s: signature_header must be a header "
                          "name such as X-Hub-Signature-256",
                          sec->file, km_section_line(sec, "signature_header"), st->name);
    }
    if (network == NULL || !wh_network_valid(network)) {
        return km_err_set(err, KM_EINPUT,
                          "%s:%d: webhook/%s: network must be 1-%d of a-z, 0-9, "
                          "'_' and '-'",
                          sec->file, km_section_line(sec, "network"), st->name, WH_NETWORK_MAX);
    }
    st->secret = km_strdup(secret);
    st->header = km_strdup(header);
    st->network = km_strdup(network);
    return KM_OK;
}

static int wh_create(const struct km_section *sec, void **state, struct km_err *err)
{
    struct wh_state *st = km_calloc(1, sizeof(*st));
    st->name = km_strdup(sec->name != NULL ? sec->name : "?");
    int rc = wh_create_keys(st, sec, err);
    if (rc == KM_OK) {
        rc = wh_create_pointers(st, sec, err);
    }
    if (rc != KM_OK) {
        wh_destroy(st);
        st = NULL;
    }
    *state = st;
    return rc;
}

/* ---- normalised posts ---------------------------------------------------------------- */

/* Decodes one normalised post from json[0..len) into out; item is its index for messages
 * (-1 for a body that is one post). Returns KM_OK or KM_EINPUT. */
static int wh_post_add(const struct wh_state *st, const char *json, size_t len, long item,
                       int64_t now, struct km_post_batch *out, struct km_err *err)
{
    struct km_post *p = NULL;
    struct km_err perr = {{0}};
    if (km_post_from_json(json, len, &p, &perr) != KM_OK) {
        if (item < 0) {
            return km_err_set(err, KM_EINPUT, "webhook/%s: %s", st->name, perr.msg);
        }
        return km_err_set(err, KM_EINPUT, "webhook/%s: item #%ld: %s", st->name, item, perr.msg);
    }
    km_post_set(&p->source, st->name); /* the sender does not choose our source names */
    if (p->text != NULL) {
        km_hashtags_extract(p->text, strlen(p->text), p); /* for senders that list none */
    }
    if (p->collected_at == 0) {
        p->collected_at = now;
    }
    km_post_batch_add_take(out, p);
    return KM_OK;
}

/* Index of the first byte at or after i in body[0..len) that is not JSON white space. */
static size_t wh_skip_ws(const char *body, size_t i, size_t len)
{
    while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n')) {
        i++;
    }
    return i;
}

/* Decodes each element of the top-level JSON array body[0..len). The body is already known
 * to be valid JSON, so tracking strings and nesting is enough to find where elements end. */
static int wh_posts_array(const struct wh_state *st, const char *body, size_t len, int64_t now,
                          struct km_post_batch *out, struct km_err *err)
{
    size_t i = wh_skip_ws(body, 0, len) + 1; /* past '[' */
    size_t start = i;
    long item = 0;
    int depth = 0;
    bool in_str = false;
    for (; i < len; i++) {
        char c = body[i];
        if (in_str) {
            i += c == '\\';
            in_str = c != '"';
        } else if (c == '"') {
            in_str = true;
        } else if (c == '[' || c == '{') {
            depth++;
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        } else if ((c == ',' || c == ']') && depth == 0) {
            bool empty = c == ']' && item == 0 && wh_skip_ws(body, start, len) == i;
            if (!empty) {
                int rc = wh_post_add(st, body + start, i - start, item++, now, out, err);
                if (rc != KM_OK) {
                    return rc;
                }
            }
            start = i + 1;
            if (c == ']') {
                break;
            }
        }
    }
    return KM_OK;
}

/* ---- mapped items -------------------------------------------------------------------- */

static yajl_val wh_field(const struct wh_state *st, yajl_val item, enum wh_ptr k)
{
    return st->ptr[k] != NULL ? km_json_pointer(item, st->ptr[k]) : NULL;
}

/* Tags from the configured array (strings only), else #tags found in the text. */
static void wh_set_tags(const struct wh_state *st, struct km_post *p, yajl_val item)
{
    yajl_val tags = wh_field(st, item, WH_TAGS);
    if (YAJL_IS_ARRAY(tags)) {
        for (size_t i = 0; i < tags->u.array.len; i++) {
            if (YAJL_IS_STRING(tags->u.array.values[i])) {
                km_post_add_hashtag(p, tags->u.array.values[i]->u.string);
            }
        }
        return;
    }
    km_hashtags_extract(p->text, strlen(p->text), p);
}

/* Maps one item onto a post. Returns KM_OK, or KM_EINPUT if it has no id or text. */
static int wh_item(const struct wh_state *st, yajl_val item, size_t idx, int64_t now,
                   struct km_post_batch *out, struct km_err *err)
{
    char *id = km_json_value_dup(wh_field(st, item, WH_ID));
    yajl_val text = wh_field(st, item, WH_TEXT);
    if (id == NULL || *id == '\0' || !YAJL_IS_STRING(text)) {
        bool no_id = id == NULL || *id == '\0';
        free(id);
        return km_err_set(err, KM_EINPUT, "webhook/%s: item #%zu: no %s at '%s'", st->name, idx,
                          no_id ? "id" : "text", st->ptr[no_id ? WH_ID : WH_TEXT]);
    }
    struct km_post *p = km_post_new();
    km_post_set(&p->network, st->network);
    km_post_set(&p->source, st->name);
    p->id = id;
    km_post_set(&p->text, text->u.string);
    p->author.name = km_json_value_dup(wh_field(st, item, WH_AUTHOR));
    yajl_val url = wh_field(st, item, WH_URL);
    km_post_set(&p->url, YAJL_IS_STRING(url) ? url->u.string : NULL);
    p->created_at = km_json_time_ms(wh_field(st, item, WH_CREATED));
    p->collected_at = now;
    wh_set_tags(st, p, item);
    km_post_batch_add_take(out, p);
    return KM_OK;
}

/* The items of a mapped payload: an array at `items`, or one object there. */
static int wh_items(const struct wh_state *st, yajl_val root, int64_t now,
                    struct km_post_batch *out, struct km_err *err)
{
    const char *ptr = st->ptr[WH_ITEMS] != NULL ? st->ptr[WH_ITEMS] : "";
    yajl_val items = km_json_pointer(root, ptr);
    if (YAJL_IS_OBJECT(items)) {
        return wh_item(st, items, 0, now, out, err);
    }
    if (!YAJL_IS_ARRAY(items)) {
        return km_err_set(err, KM_EINPUT, "webhook/%s: items: '%s' is %s", st->name, ptr,
                          items == NULL ? "not in the body" : "neither an array nor an object");
    }
    for (size_t i = 0; i < items->u.array.len; i++) {
        int rc = wh_item(st, items->u.array.values[i], i, now, out, err);
        if (rc != KM_OK) {
            return rc;
        }
    }
    return KM_OK;
}

/* ---- consume ------------------------------------------------------------------------- */

/* KM_OK if the signature header holds the HMAC of the body, else KM_ERR with err. */
static int wh_verify(const struct wh_state *st, const struct km_response *resp, struct km_err *err)
{
    const char *sig = km_response_header(resp, st->header);
    if (sig == NULL) {
        return km_err_set(err, KM_ERR, "webhook/%s: no %s header", st->name, st->header);
    }
    if (!km_hmac_sha256_verify(st->secret, strlen(st->secret), resp->body, resp->body_len, sig)) {
        return km_err_set(err, KM_ERR,
                          "webhook/%s: %s is not sha256=<hex HMAC-SHA256 of the body> under "
                          "the configured secret",
                          st->name, st->header);
    }
    return KM_OK;
}

static int wh_consume(void *state, const struct km_response *resp, struct km_post_batch *out,
                      char **next_cursor, struct km_err *err)
{
    struct wh_state *st = state;
    yajl_val root = NULL;
    struct km_err jerr = {{0}};
    *next_cursor = NULL;
    int rc = wh_verify(st, resp, err);
    if (rc != KM_OK) {
        goto out;
    }
    if (km_json_parse(resp->body, resp->body_len, &root, NULL, &jerr) != KM_OK) {
        rc = km_err_set(err, KM_EINPUT, "webhook/%s: %s", st->name, jerr.msg);
        goto out;
    }
    if (st->mapped) {
        rc = wh_items(st, root, resp->received_at_ms, out, err);
    } else if (YAJL_IS_ARRAY(root)) {
        rc = wh_posts_array(st, resp->body, resp->body_len, resp->received_at_ms, out, err);
    } else if (YAJL_IS_OBJECT(root)) {
        rc = wh_post_add(st, resp->body, resp->body_len, -1, resp->received_at_ms, out, err);
    } else {
        rc = km_err_set(err, KM_EINPUT,
                        "webhook/%s: body is neither a post nor an array of "
                        "posts",
                        st->name);
    }
    if (rc != KM_OK) {
        km_post_batch_clear(out); /* all or nothing */
    }
out:
    km_json_free(root);
    return rc;
}

const struct km_collector km_collector_webhook = {
    .name = "webhook",
    .keys = wh_keys,
    .create = wh_create,
    .next_request = NULL,
    .consume = wh_consume,
    .destroy = wh_destroy,
};
