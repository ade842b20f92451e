/* Helpers of the collector interface shared by every collector and by the runtime:
 * building requests and reading response headers (Retry-After in particular). */
#include "collectors/collector.h"

#include "common/alloc.h"
#include "common/buf.h"
#include "common/time.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A Retry-After beyond this is treated as invalid: no network asks for a pause of a year,
 * and larger values would overflow the millisecond arithmetic of callers. */
#define RETRY_AFTER_MAX_S (365LL * 24 * 3600)

void km_request_clear(struct km_request *req)
{
    if (req == NULL) {
        return;
    }
    free(req->url);
    free(req->body);
    free(req->content_type);
    for (size_t i = 0; i < req->n_headers; i++) {
        free(req->headers[i]);
    }
    memset(req, 0, sizeof(*req));
}

int km_request_add_header(struct km_request *req, const char *fmt, ...)
{
    if (req->n_headers >= KM_REQ_MAX_HEADERS) {
        return KM_ERR;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return KM_ERR;
    }
    char *line = km_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(line, (size_t)n + 1, fmt, ap);
    va_end(ap);
    /* A CR or LF (say, from a token in the config) would let a value inject headers. */
    if (strpbrk(line, "\r\n") != NULL) {
        free(line);
        return KM_EINPUT;
    }
    req->headers[req->n_headers++] = line;
    return KM_OK;
}

const char *km_response_header(const struct km_response *resp, const char *name)
{
    for (size_t i = 0; resp->headers != NULL && i < resp->n_headers; i++) {
        if (strcasecmp(resp->headers[i].name, name) == 0) {
            return resp->headers[i].value;
        }
    }
    return NULL;
}

/* Parses delta-seconds: digits only, surrounding blanks allowed. Returns -1 if s is not
 * a number (so that the caller tries an HTTP date) or is absurdly large. */
static int64_t parse_delta_seconds(const char *s)
{
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    if (!isdigit((unsigned char)*s)) {
        return -1;
    }
    long long v = 0;
    for (; isdigit((unsigned char)*s); s++) {
        v = v * 10 + (*s - '0');
        if (v > RETRY_AFTER_MAX_S) {
            return -1;
        }
    }
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    return *s == '\0' ? v * 1000 : -1;
}

int64_t km_response_retry_after_ms(const struct km_response *resp)
{
    const char *v = km_response_header(resp, "Retry-After");
    if (v == NULL) {
        return -1;
    }
    if (isdigit((unsigned char)v[strspn(v, " \t")])) {
        return parse_delta_seconds(v);
    }
    int64_t at = 0;
    if (km_time_parse_rfc822(v, &at) != KM_OK) {
        return -1;
    }
    /* Measure against the server's own Date when it sent one, so that a skewed local
     * clock does not stretch or cancel the pause. */
    int64_t now = resp->received_at_ms != 0 ? resp->received_at_ms : km_time_now_ms();
    int64_t server_now = 0;
    const char *date = km_response_header(resp, "Date");
    if (date != NULL && km_time_parse_rfc822(date, &server_now) == KM_OK) {
        now = server_now;
    }
    int64_t delta = at - now;
    if (delta > RETRY_AFTER_MAX_S * 1000) {
        return -1;
    }
    return delta > 0 ? delta : 0;
}

/* True if s[0..len) is a dotted-quad IPv4 address in 127.0.0.0/8. */
static bool ipv4_loopback(const char *s, size_t len)
{
    unsigned octets[4] = {0};
    size_t n = 0;
    size_t digits = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] >= '0' && s[i] <= '9' && digits < 3) {
            octets[n] = octets[n] * 10 + (unsigned)(s[i] - '0');
            digits++;
        } else if (s[i] == '.' && digits > 0 && n < 3) {
            n++;
            digits = 0;
        } else {
            return false;
        }
    }
    bool in_range = octets[0] <= 255 && octets[1] <= 255 && octets[2] <= 255 && octets[3] <= 255;
    return n == 3 && digits > 0 && in_range && octets[0] == 127;
}

bool km_url_secret_safe(const char *url)
{
    if (strncmp(url, "https://", 8) == 0) {
        return true;
    }
    if (strncmp(url, "http://", 7) != 0) {
        return false;
    }
    const char *host = url + 7;
    size_t len = strcspn(host, "/?#");
    for (const char *at = memchr(host, '@', len); at != NULL; at = memchr(host, '@', len)) {
        len -= (size_t)(at + 1 - host);
        host = at + 1;
    }
    if (len >= 5 && strncmp(host, "[::1]", 5) == 0) {
        return len == 5 || host[5] == ':';
    }
    len = strcspn(host, ":/?#");
    return (len == 9 && strncasecmp(host, "localhost", 9) == 0) || ipv4_loopback(host, len);
}


void km_url_escape(struct km_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~';
        if (plain) {
            km_buf_putc(b, (char)*p);
        } else {
            char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            km_buf_append(b, enc, sizeof(enc));
        }
    }
}
