/* The collector plugin interface (STYLE.md "Collector interface").
 *
 * A collector describes the next HTTP request for a source and consumes the response into
 * posts and the next cursor. It never touches the network itself: the runtime
 * (collectors/runtime.c) owns libcurl, TLS, timeouts, the body-size cap and backoff. That
 * keeps consume() a pure function of (state, response) that unit tests drive on fixtures. */
#ifndef KM_COLLECTORS_COLLECTOR_H
#define KM_COLLECTORS_COLLECTOR_H

#include "common/conf.h"
#include "common/err.h"
#include "parser/post.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most headers a request carries (Authorization, If-None-Match, ...). */
#define KM_REQ_MAX_HEADERS 8

enum km_http_method { KM_HTTP_GET = 0, KM_HTTP_POST };

/* Filled by next_request(); strings are owned by the request and freed by
 * km_request_clear(). */
struct km_request {
    enum km_http_method method;
    char *url;
    char *body;         /* POST body or NULL */
    char *content_type; /* of body, or NULL */
    char *headers[KM_REQ_MAX_HEADERS]; /* "Name: value" lines */
    size_t n_headers;
    int64_t timeout_ms; /* whole-request timeout; long polls set poll time + margin; 0 = default */
};

void km_request_clear(struct km_request *req);
/* Adds a "Name: value" header (copied). Returns KM_ERR if the request is full. */
int km_request_add_header(struct km_request *req, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

struct km_header {
    char *name; /* as received */
    char *value;
};

/* A complete response, body already checked against the size cap. Borrowed by consume(). */
struct km_response {
    long status; /* HTTP status code */
    const char *body;
    size_t body_len;
    const struct km_header *headers;
    size_t n_headers;
    int64_t received_at_ms; /* wall clock */
};

/* Value of the first header with this name (case-insensitive), or NULL. */
const char *km_response_header(const struct km_response *resp, const char *name);
/* Retry-After as milliseconds (delta-seconds or HTTP date); -1 if absent or invalid. */
int64_t km_response_retry_after_ms(const struct km_response *resp);

/* True if a secret sent with requests to url (a token in its path or a header, a password
 * in a login body) stays off the wire in clear text: https://, or http:// to this machine
 * only (localhost, 127.0.0.0/8, [::1]). The host is what follows any "user@" and precedes
 * the port, so "http://127.0.0.1@evil.example" is refused. */
bool km_url_secret_safe(const char *url);

/* Appends s to b percent-encoded (RFC 3986: every byte but the unreserved characters), so
 * that Cyrillic tags and stray characters in a query value cannot change the URL. */
struct km_buf;
void km_url_escape(struct km_buf *b, const char *s);

struct km_collector {
    const char *name;               /* value of "type =" in [source NAME] */
    const struct km_conf_key *keys; /* accepted type-specific keys; {0}-terminated */
    /* Builds per-source state from a validated section. On failure cleans up after itself
     * and returns KM_EINPUT (with a "file:line: ..." err) or KM_ERR. */
    int (*create)(const struct km_section *sec, void **state, struct km_err *err);
    /* Describes the next request given the last committed cursor (NULL on first run). */
    int (*next_request)(void *state, const char *cursor, struct km_request *req);
    /* Turns a response into posts and the next cursor.
     * Returns KM_OK: out holds the posts (possibly none), *next_cursor a malloc'd cursor to
     *   commit with them (or NULL to keep the current one); out->skipped counts malformed
     *   items that were skipped (err says which).
     * KM_RETRY: rate-limited or server trouble; out->retry_after_ms set if the network said.
     * KM_EINPUT: the payload as a whole is malformed (err names the offset).
     * KM_ERR: permanent failure such as rejected credentials; the source stops. */
    int (*consume)(void *state, const struct km_response *resp, struct km_post_batch *out,
                   char **next_cursor, struct km_err *err);
    void (*destroy)(void *state); /* accepts NULL; frees all create() made */
};

/* The registry (collectors/registry.c). Returns NULL if no collector has this name. */
const struct km_collector *km_collector_find(const char *name);
/* Type-specific keys for the config loader (km_conf_type_keys_fn). */
const struct km_conf_key *km_collector_keys(const char *type);
/* NULL-terminated list of all collectors, for --help. */
const struct km_collector *const *km_collector_all(void);

#endif
