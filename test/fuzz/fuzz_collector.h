/* The harness of the collector fuzz targets: drives a collector's next_request() and
 * consume() the way the runtime does, with responses taken from the fuzz input.
 *
 * Input format (plain text, so that fixtures are seeds as they are):
 *
 *     [#N\n]                        optional: use configuration variant N (mod count)
 *     record [\n--next--\n record]  up to FZ_MAX_RECORDS exchanges in a row
 *
 * A record that starts with "HTTP " is "HTTP <status>\n", then "Name: value" header lines,
 * a blank line and the body; any other record is the body of a 200 answer without headers.
 * Between records the cursor that consume() returned (on KM_OK) is handed to the next
 * next_request(), as the runtime commits it; that reaches multi-step collectors' later
 * states (Bluesky's search after its login, Instagram's media after the id lookup).
 *
 * Push collectors (next_request NULL) authenticate each body: the target names a header
 * that the harness adds unless the record carries it, with the secret or the body's
 * HMAC-SHA256 ("sha256=<hex>"), so that the fuzzer spends its time behind the check. */
#ifndef KM_TEST_FUZZ_COLLECTOR_H
#define KM_TEST_FUZZ_COLLECTOR_H

#include "collectors/collector.h"
#include "common/hmac.h"
#include "test/fuzz/fuzz.h"

#include <stdbool.h>
#include <strings.h>

/* Exchanges per input: login + search + a further page + one more is enough for every
 * collector's states. */
#define FZ_MAX_RECORDS 4
/* Headers per record (the rate-limit trios use three). */
#define FZ_MAX_HEADERS 8
/* Configuration variants per target. */
#define FZ_MAX_VARIANTS 4

/* When the responses "arrive": 2026-11-22T18:41:01Z, as in the unit tests. */
#define FZ_NOW_MS 1795372861000LL

static const char fz_sep[] = "\n--next--\n";

enum fz_auth { FZ_AUTH_NONE = 0, FZ_AUTH_TOKEN, FZ_AUTH_HMAC };

struct fz_target {
    const struct km_collector *c;
    const char *const *variants[FZ_MAX_VARIANTS]; /* key/value lists; NULL-terminated */
    enum fz_auth auth;
    const char *auth_header; /* header the harness adds */
    const char *secret;      /* its value (TOKEN) or the HMAC key (HMAC) */
};

/* One parsed record; strings point into the (writable) input copy. */
struct fz_record {
    long status;
    struct km_header headers[FZ_MAX_HEADERS + 1];
    size_t n_headers;
    const char *body;
    size_t body_len;
};

/* Splits "Name: value\n" lines off *p (up to end) until a blank line. */
static void fz_headers(char **p, char *end, struct fz_record *r)
{
    while (*p < end && **p != '\n') {
        char *nl = memchr(*p, '\n', (size_t)(end - *p));
        char *line_end = nl != NULL ? nl : end;
        char *colon = memchr(*p, ':', (size_t)(line_end - *p));
        if (colon != NULL && r->n_headers < FZ_MAX_HEADERS) {
            *colon = '\0';
            char *v = colon + 1;
            while (v < line_end && *v == ' ') {
                v++;
            }
            *line_end = '\0';
            r->headers[r->n_headers].name = *p;
            r->headers[r->n_headers].value = v;
            r->n_headers++;
        }
        *p = nl != NULL ? nl + 1 : end;
    }
    if (*p < end) {
        (*p)++; /* the blank line */
    }
}

/* memmem(), which is not POSIX. */
static char *fz_find(char *hay, size_t len, const char *needle, size_t n)
{
    for (size_t i = 0; n <= len && i <= len - n; i++) {
        if (hay[i] == needle[0] && memcmp(hay + i, needle, n) == 0) {
            return hay + i;
        }
    }
    return NULL;
}

/* Parses the record s[0..len) (which it may modify). */
static void fz_record_parse(char *s, size_t len, struct fz_record *r)
{
    memset(r, 0, sizeof(*r));
    r->status = 200;
    char *p = s;
    char *end = s + len;
    if (len >= 5 && memcmp(s, "HTTP ", 5) == 0) {
        char *nl = memchr(s, '\n', len);
        long st = 0;
        for (char *q = s + 5; q < (nl != NULL ? nl : end) && *q >= '0' && *q <= '9'; q++) {
            st = st < 1000 ? st * 10 + (*q - '0') : st;
        }
        r->status = st;
        p = nl != NULL ? nl + 1 : end;
        fz_headers(&p, end, r);
    }
    r->body = p;
    r->body_len = (size_t)(end - p);
}

/* Adds the push source's secret or signature unless the record carries that header. */
static void fz_authenticate(const struct fz_target *t, struct fz_record *r, char *sig,
                            size_t sig_size)
{
    if (t->auth == FZ_AUTH_NONE || r->n_headers >= FZ_MAX_HEADERS + 1) {
        return;
    }
    for (size_t i = 0; i < r->n_headers; i++) {
        if (strcasecmp(r->headers[i].name, t->auth_header) == 0) {
            return;
        }
    }
    const char *value = t->secret;
    if (t->auth == FZ_AUTH_HMAC) {
        unsigned char mac[KM_SHA256_LEN];
        fz_check(km_hmac_sha256(t->secret, strlen(t->secret), r->body, r->body_len, mac), "hmac");
        snprintf(sig, sig_size, "sha256=");
        for (size_t i = 0; i < KM_SHA256_LEN && 7 + 2 * i + 2 < sig_size; i++) {
            snprintf(sig + 7 + 2 * i, 3, "%02x", mac[i]);
        }
        value = sig;
    }
    r->headers[r->n_headers].name = (char *)t->auth_header;
    r->headers[r->n_headers].value = (char *)value;
    r->n_headers++;
}

/* Creates the state of variant v; aborts if the target's own configuration is refused. */
static void *fz_create(const struct fz_target *t, size_t v)
{
    const char *const *kv = t->variants[v];
    struct km_conf_entry entries[32];
    struct km_section sec = {0};
    size_t n = 0;
    for (; kv[2 * n] != NULL; n++) {
        fz_check(n < sizeof(entries) / sizeof(entries[0]), "too many keys");
        entries[n].key = (char *)kv[2 * n];
        entries[n].value = (char *)kv[2 * n + 1];
        entries[n].line = (int)n + 2;
        entries[n].secret = false;
    }
    sec.kind = (char *)"source";
    sec.name = (char *)"fuzz";
    sec.file = (char *)"komek.conf";
    sec.line = 1;
    sec.entries = entries;
    sec.n_entries = n;
    sec.keys = km_conf_source_keys;
    sec.extra_keys = t->c->keys;
    void *state = NULL;
    struct km_err err = {{0}};
    fz_check(t->c->create(&sec, &state, &err) == KM_OK, "create: %s", err.msg);
    return state;
}

/* One exchange: next_request (pull collectors), then consume. Returns false when the
 * collector has no request to make (the runtime would not fetch anything). */
static bool fz_exchange(const struct fz_target *t, void *state, char **cursor, struct fz_record *r)
{
    if (t->c->next_request != NULL) {
        struct km_request req = {0};
        int rc = t->c->next_request(state, *cursor, &req);
        km_request_clear(&req);
        if (rc != KM_OK) {
            return false;
        }
    }
    char sig[8 + 2 * KM_SHA256_LEN + 1];
    fz_authenticate(t, r, sig, sizeof(sig));
    struct km_response resp = {.status = r->status,
                               .body = r->body,
                               .body_len = r->body_len,
                               .headers = r->headers,
                               .n_headers = r->n_headers,
                               .received_at_ms = FZ_NOW_MS};
    struct km_post_batch out;
    km_post_batch_init(&out);
    char *next = NULL;
    struct km_err err = {{0}};
    int rc = t->c->consume(state, &resp, &out, &next, &err);
    fz_check(rc == KM_OK || rc == KM_RETRY || rc == KM_EINPUT || rc == KM_ERR, "rc %d", rc);
    if (rc == KM_OK) {
        fz_check_batch(&out);
    }
    if (rc == KM_OK && next != NULL) {
        fz_check_str("cursor", next);
        free(*cursor);
        *cursor = next;
        next = NULL;
    }
    free(next); /* the runtime drops a cursor that comes with an error */
    km_post_batch_free(&out);
    return true;
}

/* Runs one fuzz input against the target. */
static inline int fz_collector_run(const struct fz_target *t, const uint8_t *data, size_t size)
{
    char *in = fz_strndup(data, size);
    char *p = in;
    char *end = in + size;
    size_t n_var = 0;
    while (n_var < FZ_MAX_VARIANTS && t->variants[n_var] != NULL) {
        n_var++;
    }
    size_t v = 0;
    if (size >= 3 && p[0] == '#' && p[1] >= '0' && p[1] <= '9' && p[2] == '\n') {
        v = (size_t)(p[1] - '0') % n_var;
        p += 3;
    }
    void *state = fz_create(t, v);
    char *cursor = NULL;
    for (size_t i = 0; i < FZ_MAX_RECORDS && p <= end; i++) {
        char *sep = fz_find(p, (size_t)(end - p), fz_sep, sizeof(fz_sep) - 1);
        char *rec_end = sep != NULL ? sep : end;
        struct fz_record r;
        fz_record_parse(p, (size_t)(rec_end - p), &r);
        if (!fz_exchange(t, state, &cursor, &r) || sep == NULL) {
            break;
        }
        p = sep + sizeof(fz_sep) - 1;
    }
    free(cursor);
    t->c->destroy(state);
    free(in);
    return 0;
}

#endif
