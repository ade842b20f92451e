#include "test/fake/fake_http.h"

#include "common/alloc.h"
#include "parser/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Block size libmicrohttpd asks the streaming readers for. */
#define HTTP_STREAM_BLOCK (64 * 1024)

void km_fake_req_free(struct km_fake_req *r)
{
    if (r == NULL) {
        return;
    }
    for (size_t i = 0; i < r->n_form; i++) {
        free(r->form[i].key);
        free(r->form[i].value);
    }
    free(r->form);
    km_buf_free(&r->body);
    free(r);
}

static void http_form_add(struct km_fake_req *r, char *key, char *value)
{
    r->form = km_realloc(r->form, (r->n_form + 1) * sizeof(*r->form));
    r->form[r->n_form].key = key;
    r->form[r->n_form].value = value;
    r->n_form++;
}

static int http_hex(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Decodes application/x-www-form-urlencoded s[0..len) into a new string. */
static char *http_form_decode(const char *s, size_t len)
{
    char *out = km_malloc(len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '+') {
            out[o++] = ' ';
        } else if (s[i] == '%' && i + 2 < len && http_hex(s[i + 1]) >= 0 &&
                   http_hex(s[i + 2]) >= 0) {
            out[o++] = (char)(http_hex(s[i + 1]) * 16 + http_hex(s[i + 2]));
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}

static void http_parse_urlencoded(struct km_fake_req *r)
{
    const char *p = r->body.data, *end = r->body.data + r->body.len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp != NULL ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        if (eq != NULL) {
            http_form_add(r, http_form_decode(p, (size_t)(eq - p)),
                          http_form_decode(eq + 1, (size_t)(stop - eq - 1)));
        }
        p = stop + 1;
    }
}

static void http_parse_json(struct km_fake_req *r)
{
    yajl_val v = NULL;
    if (km_json_parse(r->body.data, r->body.len, &v, NULL, NULL) != KM_OK || !YAJL_IS_OBJECT(v)) {
        goto out;
    }
    for (size_t i = 0; i < v->u.object.len; i++) {
        char *value = km_json_scalar_dup(v, v->u.object.keys[i]);
        if (value != NULL) {
            http_form_add(r, km_strdup(v->u.object.keys[i]), value);
        }
    }
out:
    km_json_free(v);
}

static void http_parse_body(struct km_fake_req *r)
{
    r->form_parsed = true;
    if (r->body.len == 0) {
        return;
    }
    const char *type = km_fake_req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (type != NULL && strncasecmp(type, "application/json", 16) == 0) {
        http_parse_json(r);
    } else if (type == NULL || strncasecmp(type, "application/x-www-form-urlencoded", 33) == 0) {
        http_parse_urlencoded(r);
    }
    /* multipart/form-data is not supported: its parameters are simply not seen. */
}

const char *km_fake_req_param(struct km_fake_req *r, const char *name)
{
    const char *v = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
    if (v != NULL) {
        return v;
    }
    if (!r->form_parsed) {
        http_parse_body(r);
    }
    for (size_t i = 0; i < r->n_form; i++) {
        if (strcmp(r->form[i].key, name) == 0) {
            return r->form[i].value;
        }
    }
    return NULL;
}

struct http_collect {
    const char *name;
    const char **out;
    size_t max, n;
};

static enum MHD_Result http_collect_cb(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value)
{
    (void)kind;
    struct http_collect *c = cls;
    if (key != NULL && value != NULL && strcmp(key, c->name) == 0 && c->n < c->max) {
        c->out[c->n++] = value;
    }
    return MHD_YES;
}

size_t km_fake_req_params(struct km_fake_req *r, const char *name, const char **out, size_t max)
{
    struct http_collect c = {.name = name, .out = out, .max = max, .n = 0};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, http_collect_cb, &c);
    return c.n;
}

const char *km_fake_req_header(struct km_fake_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

void km_fake_reply_init(struct km_fake_reply *rep)
{
    memset(rep, 0, sizeof(*rep));
    rep->status = MHD_HTTP_OK;
    rep->content_type = "text/plain; charset=utf-8";
    km_buf_init(&rep->body);
}

void km_fake_reply_free(struct km_fake_reply *rep)
{
    for (size_t i = 0; i < rep->n_headers; i++) {
        free(rep->headers[i].name);
        free(rep->headers[i].value);
    }
    rep->n_headers = 0;
    km_buf_free(&rep->body);
}

void km_fake_reply_set(struct km_fake_reply *rep, unsigned status, const char *content_type,
                       const char *body)
{
    rep->status = status;
    rep->content_type = content_type;
    km_buf_reset(&rep->body);
    km_buf_puts(&rep->body, body);
}

void km_fake_reply_header(struct km_fake_reply *rep, const char *name, const char *fmt, ...)
{
    if (rep->n_headers == KM_FAKE_REPLY_MAX_HEADERS) {
        return;
    }
    char value[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof(value), fmt, ap);
    va_end(ap);
    rep->headers[rep->n_headers].name = km_strdup(name);
    rep->headers[rep->n_headers].value = km_strdup(value);
    rep->n_headers++;
}

/* --- streaming bodies --- */

struct http_cut {
    char *data;
    size_t len, cut_at;
};

static ssize_t http_cut_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct http_cut *c = cls;
    if (pos >= c->cut_at) {
        return MHD_CONTENT_READER_END_WITH_ERROR; /* closes the connection mid-body */
    }
    size_t n = c->cut_at - (size_t)pos;
    n = n < max ? n : max;
    memcpy(buf, c->data + pos, n);
    return (ssize_t)n;
}

static void http_cut_free(void *cls)
{
    struct http_cut *c = cls;
    free(c->data);
    free(c);
}

struct http_huge {
    const char *head, *tail; /* static */
    uint64_t total;
};

static void http_huge_parts(enum km_fake_net net, const char **head, const char **tail)
{
    switch (net) {
    case KM_FAKE_TELEGRAM:
        *head = "{\"ok\":true,\"result\":[],\"padding\":\"";
        *tail = "\"}";
        break;
    case KM_FAKE_MASTODON:
        *head = "[{\"id\":\"1\",\"content\":\"";
        *tail = "\"}]";
        break;
    default:
        *head = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>";
        *tail = "</title></channel></rss>\n";
        break;
    }
}

/* Byte at pos of the huge body: head, then 'x' filler, then tail. */
static ssize_t http_huge_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct http_huge *h = cls;
    if (pos >= h->total) {
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    uint64_t head_len = strlen(h->head), tail_len = strlen(h->tail);
    uint64_t tail_at = h->total > head_len + tail_len ? h->total - tail_len : head_len;
    size_t n = 0;
    for (; n < max && pos < h->total; n++, pos++) {
        if (pos < head_len) {
            buf[n] = h->head[pos];
        } else if (pos >= tail_at && pos - tail_at < tail_len) {
            buf[n] = h->tail[pos - tail_at];
        } else {
            buf[n] = 'x';
        }
    }
    return (ssize_t)n;
}

static struct MHD_Response *http_make_response(struct km_fake_reply *rep)
{
    if (rep->mode == KM_FAKE_BODY_CUT) {
        struct http_cut *c = km_calloc(1, sizeof(*c));
        c->len = rep->body.len;
        c->cut_at = rep->cut_at < c->len ? rep->cut_at : c->len;
        c->data = km_buf_take(&rep->body);
        return MHD_create_response_from_callback(c->len, HTTP_STREAM_BLOCK, http_cut_read, c,
                                                 http_cut_free);
    }
    if (rep->mode == KM_FAKE_BODY_HUGE) {
        struct http_huge *h = km_calloc(1, sizeof(*h));
        http_huge_parts(rep->huge_net, &h->head, &h->tail);
        h->total = rep->huge_total;
        return MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, HTTP_STREAM_BLOCK,
                                                 http_huge_read, h, free);
    }
    return MHD_create_response_from_buffer(rep->body.len, rep->body.data ? rep->body.data : "",
                                           MHD_RESPMEM_MUST_COPY);
}

enum MHD_Result km_fake_reply_send(struct MHD_Connection *conn, struct km_fake_reply *rep)
{
    struct MHD_Response *resp = http_make_response(rep);
    if (resp == NULL) {
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rep->content_type);
    for (size_t i = 0; i < rep->n_headers; i++) {
        MHD_add_response_header(resp, rep->headers[i].name, rep->headers[i].value);
    }
    enum MHD_Result ret = MHD_queue_response(conn, rep->status, resp);
    MHD_destroy_response(resp);
    return ret;
}
