/* One synchronous HTTP exchange for the reply senders, on a libcurl easy handle.
 *
 * Unlike the collector runtime, redirects are not followed: every reply request carries a
 * token (in the path or a header), and a redirect is never part of these APIs. */
#include "collectors/reply_net.h"

#include "common/alloc.h"
#include "common/time.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <xxhash.h>

#ifndef KM_VERSION
#define KM_VERSION "dev"
#endif

/* Connecting should take well under this on any working network. */
#define RH_CONNECT_TIMEOUT_MS 5000

/* The headers kept from an answer (case-insensitive). */
static const char *const rh_kept[] = {"Retry-After", "X-RateLimit-Reset", "X-RateLimit-Remaining"};

struct rh_state {
    struct km_reply_http_resp *resp;
    bool too_big;
};

static size_t rh_on_body(char *data, size_t size, size_t n, void *userp)
{
    struct rh_state *st = userp;
    size_t len = size * n;
    if (st->resp->body.len + len > KM_REPLY_BODY_MAX) {
        st->too_big = true;
        return 0; /* aborts the transfer */
    }
    km_buf_append(&st->resp->body, data, len);
    return len;
}

static void rh_headers_clear(struct km_reply_http_resp *r)
{
    for (size_t i = 0; i < r->resp.n_headers; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    r->resp.n_headers = 0;
}

static size_t rh_on_header(char *data, size_t size, size_t n, void *userp)
{
    struct km_reply_http_resp *r = ((struct rh_state *)userp)->resp;
    size_t len = size * n;
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        rh_headers_clear(r); /* a new response (after 100 Continue) */
        return len;
    }
    const char *colon = memchr(data, ':', len);
    for (size_t k = 0; colon != NULL && k < sizeof(rh_kept) / sizeof(rh_kept[0]); k++) {
        size_t name_len = strlen(rh_kept[k]);
        if ((size_t)(colon - data) != name_len || strncasecmp(data, rh_kept[k], name_len) != 0 ||
            r->resp.n_headers == KM_REPLY_MAX_HEADERS) {
            continue;
        }
        const char *v = colon + 1, *end = data + len;
        while (v < end && (*v == ' ' || *v == '\t')) {
            v++;
        }
        while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ')) {
            end--;
        }
        r->headers[r->resp.n_headers].name = km_strdup(rh_kept[k]);
        r->headers[r->resp.n_headers].value = km_strndup(v, (size_t)(end - v));
        r->resp.n_headers++;
    }
    return len;
}

#define RH_SET(opt, val)                                                                           \
    do {                                                                                           \
        if (c == CURLE_OK) {                                                                       \
            c = curl_easy_setopt(e, opt, val);                                                     \
        }                                                                                          \
    } while (0)

static CURLcode rh_setup(CURL *e, const struct km_reply_target *t,
                         const struct km_reply_http_req *req, struct curl_slist *hdrs,
                         struct rh_state *st, char *errbuf)
{
    CURLcode c = CURLE_OK;
    int64_t timeout = t->timeout_ms > 0 && t->timeout_ms < KM_REPLY_TIMEOUT_MAX_MS
                          ? t->timeout_ms
                          : KM_REPLY_TIMEOUT_MAX_MS;
    RH_SET(CURLOPT_ERRORBUFFER, errbuf);
    RH_SET(CURLOPT_NOSIGNAL, 1L);
    RH_SET(CURLOPT_TIMEOUT_MS, (long)timeout);
    RH_SET(CURLOPT_CONNECTTIMEOUT_MS, (long)RH_CONNECT_TIMEOUT_MS);
    RH_SET(CURLOPT_SSL_VERIFYPEER, 1L);
    RH_SET(CURLOPT_SSL_VERIFYHOST, 2L);
    if (t->ca_file != NULL) {
        RH_SET(CURLOPT_CAINFO, t->ca_file);
    }
    RH_SET(CURLOPT_PROTOCOLS_STR, "http,https");
    RH_SET(CURLOPT_FOLLOWLOCATION, 0L);
    RH_SET(CURLOPT_USERAGENT, "komek/" KM_VERSION);
    RH_SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)KM_REPLY_BODY_MAX);
    RH_SET(CURLOPT_WRITEFUNCTION, rh_on_body);
    RH_SET(CURLOPT_WRITEDATA, (void *)st);
    RH_SET(CURLOPT_HEADERFUNCTION, rh_on_header);
    RH_SET(CURLOPT_HEADERDATA, (void *)st);
    RH_SET(CURLOPT_URL, req->url);
    RH_SET(CURLOPT_HTTPHEADER, hdrs);
    if (strcmp(req->method, "POST") == 0) {
        const char *body = req->body != NULL ? req->body : "";
        RH_SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
        RH_SET(CURLOPT_POSTFIELDS, body);
    }
    return c;
}

#undef RH_SET

static struct curl_slist *rh_headers(const struct km_reply_http_req *req)
{
    struct curl_slist *h = curl_slist_append(NULL, "Accept: application/json");
    char *line = NULL;
    if (req->content_type != NULL) {
        line = km_asprintf("Content-Type: %s", req->content_type);
        h = curl_slist_append(h, line);
        free(line);
    }
    if (req->auth != NULL) {
        line = km_asprintf("Authorization: %s", req->auth);
        h = curl_slist_append(h, line);
        free(line);
    }
    if (req->idempotency != NULL) {
        line = km_asprintf("Idempotency-Key: %s", req->idempotency);
        h = curl_slist_append(h, line);
        free(line);
    }
    return curl_slist_append(h, "Expect:"); /* no 100-continue round trip */
}

int km_reply_http(const struct km_reply_target *t, const struct km_reply_http_req *req,
                  struct km_reply_http_resp *resp, struct km_err *err)
{
    int rc = KM_OK;
    char errbuf[CURL_ERROR_SIZE] = "";
    struct rh_state st = {.resp = resp, .too_big = false};
    memset(resp, 0, sizeof(*resp));
    km_buf_init(&resp->body);
    CURL *e = curl_easy_init();
    struct curl_slist *hdrs = rh_headers(req);
    if (e == NULL || hdrs == NULL) {
        rc = km_err_set(err, KM_ERR, "curl_easy_init failed");
        goto out;
    }
    CURLcode c = rh_setup(e, t, req, hdrs, &st, errbuf);
    if (c == CURLE_OK) {
        c = curl_easy_perform(e);
    }
    if (c != CURLE_OK) {
        rc = km_err_set(err, KM_RETRY, "%s/%s: request failed: %s", t->network, t->source,
                        st.too_big ? "answer too large"
                                   : (errbuf[0] != '\0' ? errbuf : curl_easy_strerror(c)));
        km_reply_scrub(err, t->token);
        goto out;
    }
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &resp->resp.status);
    resp->resp.body = resp->body.data != NULL ? resp->body.data : "";
    resp->resp.body_len = resp->body.len;
    resp->resp.headers = resp->headers;
    resp->resp.received_at_ms = km_time_now_ms();
out:
    curl_slist_free_all(hdrs);
    if (e != NULL) {
        curl_easy_cleanup(e);
    }
    return rc;
}

void km_reply_http_resp_free(struct km_reply_http_resp *resp)
{
    if (resp == NULL) {
        return;
    }
    rh_headers_clear(resp);
    km_buf_free(&resp->body);
}

int64_t km_reply_retry_after(const struct km_reply_http_resp *resp, int64_t def_ms)
{
    int64_t ms = km_response_retry_after_ms(&resp->resp);
    if (ms < 0) {
        ms = def_ms;
    }
    return ms > KM_REPLY_RETRY_MAX_MS ? KM_REPLY_RETRY_MAX_MS : ms;
}

void km_reply_scrub(struct km_err *err, const char *secret)
{
    if (err == NULL || secret == NULL || *secret == '\0') {
        return;
    }
    size_t n = strlen(secret);
    struct km_buf b = KM_BUF_INIT;
    const char *cur = err->msg, *p;
    while ((p = strstr(cur, secret)) != NULL) {
        km_buf_append(&b, cur, (size_t)(p - cur));
        km_buf_puts(&b, "***");
        cur = p + n;
    }
    km_buf_puts(&b, cur);
    snprintf(err->msg, sizeof(err->msg), "%s", b.data);
    km_buf_free(&b);
}

void km_reply_idempotency_key(const char *source, const char *post_id, const char *text,
                              char out[17])
{
    XXH3_state_t *st = XXH3_createState();
    unsigned long long h = 0;
    if (st != NULL && XXH3_64bits_reset(st) == XXH_OK) {
        XXH3_64bits_update(st, source, strlen(source) + 1);
        XXH3_64bits_update(st, post_id, strlen(post_id) + 1);
        XXH3_64bits_update(st, text, strlen(text));
        h = XXH3_64bits_digest(st);
    }
    XXH3_freeState(st);
    snprintf(out, 17, "%016llx", h);
}
