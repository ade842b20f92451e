/* Internal to the reply senders (collectors/reply*.c): one synchronous HTTP exchange and the
 * per-network senders that km_reply_send() dispatches to. Not for other modules. */
#ifndef KM_COLLECTORS_REPLY_NET_H
#define KM_COLLECTORS_REPLY_NET_H

#include "collectors/collector.h"
#include "common/buf.h"
#include "common/err.h"

#include <stdbool.h>
#include <stdint.h>

/* Largest answer read from a network: a sent message or a search result is a few KB. */
#define KM_REPLY_BODY_MAX (1024 * 1024)
/* Longest a reply request may take, whatever the source's timeout: an operator waits on
 * it in the browser. */
#define KM_REPLY_TIMEOUT_MAX_MS 15000
/* Wait suggested after a 5xx or a transport failure that named no time. */
#define KM_REPLY_RETRY_DEFAULT_MS 5000
/* Longest wait taken from a network's answer: a day. A longer one is a broken header. */
#define KM_REPLY_RETRY_MAX_MS (86400LL * 1000)

/* Where and as whom to send: from [source NAME]. Strings borrowed. */
struct km_reply_target {
    const char *network; /* "telegram", "mastodon", "vk" */
    const char *source;
    const char *url;   /* API root without trailing '/' */
    const char *token; /* secret; NULL if the section has none */
    const char *ca_file;
    const char *api_version; /* VK's v=; NULL elsewhere */
    int64_t timeout_ms;
};

struct km_reply_http_req {
    const char *method;       /* "GET" or "POST" */
    const char *url;          /* may contain the token: never shown */
    const char *content_type; /* of body, or NULL */
    const char *body;         /* POST body, or NULL */
    const char *auth;         /* Authorization header value, or NULL */
    const char *idempotency;  /* Idempotency-Key header value, or NULL */
};

/* Most response headers kept: only the rate-limit ones are looked at. */
#define KM_REPLY_MAX_HEADERS 4

struct km_reply_http_resp {
    struct km_response resp; /* status, body and the kept headers, as collectors see them */
    struct km_header headers[KM_REPLY_MAX_HEADERS];
    struct km_buf body;
};

/* Runs one exchange. Returns KM_OK with *resp filled (any HTTP status), or KM_RETRY when
 * the network could not be reached or the answer was cut or too big (err "NETWORK/SOURCE:
 * request failed: ...", with the token scrubbed). Free resp with km_reply_http_resp_free() either
 * way. */
int km_reply_http(const struct km_reply_target *t, const struct km_reply_http_req *req,
                  struct km_reply_http_resp *resp, struct km_err *err);
void km_reply_http_resp_free(struct km_reply_http_resp *resp);

/* Wait named by a Retry-After header of resp, else def_ms; capped at a day. */
int64_t km_reply_retry_after(const struct km_reply_http_resp *resp, int64_t def_ms);

/* Replaces every occurrence of secret in err->msg with "***". secret may be NULL. */
void km_reply_scrub(struct km_err *err, const char *secret);

/* A stable key for one reply (source, post, text): Mastodon's Idempotency-Key and VK's
 * guid, so that a retry after a lost answer does not post twice. Writes 16 hex digits. */
void km_reply_idempotency_key(const char *source, const char *post_id, const char *text,
                              char out[17]);

/* What a sender reports besides its return code. */
struct km_reply_outcome {
    char *message_id;       /* KM_OK: malloc'd id of the new message */
    int64_t retry_after_ms; /* KM_RETRY: wait; > 0 */
    bool blocked;           /* the network itself said to wait: block the limiter */
};

/* The senders: same return codes as km_reply_send(); err starts with "NETWORK/SOURCE: ". */
int km_reply_telegram(const struct km_reply_target *t, const char *chat_id, const char *post_id,
                      const char *text, struct km_reply_outcome *out, struct km_err *err);
int km_reply_mastodon(const struct km_reply_target *t, const char *post_id, const char *text,
                      struct km_reply_outcome *out, struct km_err *err);
int km_reply_vk(const struct km_reply_target *t, const char *post_id, const char *text,
                struct km_reply_outcome *out, struct km_err *err);

/* Splits a Telegram post id "CHAT:MESSAGE" (chat_id, if given, wins over the chat part).
 * Returns KM_OK with *chat (malloc'd) and *message, or KM_EINPUT. Exposed for the limiter
 * key, which is per chat. */
int km_reply_tg_target(const char *chat_id, const char *post_id, char **chat, int64_t *message);

#endif
