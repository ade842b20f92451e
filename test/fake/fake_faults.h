/* Scheduled failures of the fake networks.
 *
 * A fault spec is NETWORK:KIND[:N] (N defaults to 1): the next N requests to NETWORK
 * ("telegram", "mastodon", "rss", "vk", "x", "bluesky", "instagram", "json" or "all") fail in
 * the way KIND says, then service is normal again. Faults queue up in the order they were added; admin requests never
 * consume one. NETWORK-reply ("telegram-reply:429") fails only the requests that send a
 * reply (sendMessage, POST /api/v1/statuses, wall.createComment), so that a poller running
 * at the same time does not use the fault up. Kinds:
 *
 *   429        Telegram: {"ok":false,"error_code":429,...,"parameters":{"retry_after":1}}
 *              Mastodon: {"error":"Too many requests"}, X-RateLimit-Remaining: 0
 *              RSS: 429 with Retry-After: 1
 *              X: {"title":"Too Many Requests",...}, x-rate-limit-remaining: 0, reset in 1 s
 *              Bluesky: {"error":"RateLimitExceeded",...}, RateLimit-Remaining: 0, reset in 1 s
 *              VK: HTTP 200 with {"error":{"error_code":6,"error_msg":"Too many requests per
 *              second",...}}
 *              Instagram: 403 {"error":{"code":4,...}}, X-Business-Use-Case-Usage at 100 %
 *              JSON portal: {"error":"too many requests"} with Retry-After: 1
 *   409        Telegram only: Conflict, "terminated by other getUpdates request; ..."
 *   vkauth vkflood vkcaptcha vkquota vkinternal
 *              VK only: HTTP 200 with API error 5, 9, 14, 29 or 10
 *   http500    500 with the network's error body
 *   http503    503 with Retry-After: 1
 *   garbage    200 with an HTML gateway page, then (next use) a truncated real body,
 *              alternating; "html" and "truncated" pick one of the two
 *   badutf8    the real body with invalid UTF-8 bytes put into the first post's text
 *   huge       200 streaming 10 x --huge-size bytes, chunked
 *   hang       no answer until the client goes away (or 60 s)
 *   cut        Content-Length of the real body, half of it sent, then the connection closed
 *
 * Thread-safe: a mutex guards the queue. */
#ifndef KM_FAKE_FAULTS_H
#define KM_FAKE_FAULTS_H

#include "common/err.h"
#include "test/fake/fake_posts.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum km_fake_fault_kind {
    KM_FAKE_FAULT_NONE = 0,
    KM_FAKE_FAULT_429,
    KM_FAKE_FAULT_409,
    KM_FAKE_FAULT_HTTP500,
    KM_FAKE_FAULT_HTTP503,
    KM_FAKE_FAULT_GARBAGE, /* resolved to HTML or TRUNCATED when taken */
    KM_FAKE_FAULT_HTML,
    KM_FAKE_FAULT_TRUNCATED,
    KM_FAKE_FAULT_BADUTF8,
    KM_FAKE_FAULT_HUGE,
    KM_FAKE_FAULT_HANG,
    KM_FAKE_FAULT_CUT,
    KM_FAKE_FAULT_VK_AUTH, /* VK only: API errors 5, 9, 14, 29, 10 */
    KM_FAKE_FAULT_VK_FLOOD,
    KM_FAKE_FAULT_VK_CAPTCHA,
    KM_FAKE_FAULT_VK_QUOTA,
    KM_FAKE_FAULT_VK_INTERNAL,
};

/* The network a fault applies to: one of enum km_fake_net, or every network. */
#define KM_FAKE_FAULT_ALL (-1)

struct km_fake_fault {
    int net;
    bool reply_only; /* NETWORK-reply: only requests that send a reply */
    enum km_fake_fault_kind kind;
    unsigned long remaining;
};

struct km_fake_faults {
    pthread_mutex_t lock;
    struct km_fake_fault *v;
    size_t n, cap;
    unsigned long garbage_uses; /* alternates the two garbage bodies */
    unsigned long applied;      /* faults served so far */
};

void km_fake_faults_init(struct km_fake_faults *f);
void km_fake_faults_fini(struct km_fake_faults *f);

/* Parses spec and queues the fault. Returns KM_OK or KM_EINPUT with err set. */
int km_fake_faults_add(struct km_fake_faults *f, const char *spec, struct km_err *err);

/* Consumes one use of the first queued fault that applies to net (and to a reply-sending
 * request, if reply); returns its kind (GARBAGE already resolved) or KM_FAKE_FAULT_NONE. */
enum km_fake_fault_kind km_fake_faults_take(struct km_fake_faults *f, enum km_fake_net net,
                                            bool reply);

/* Requests still to be failed (sum of the remaining counts) and faults applied so far. */
void km_fake_faults_counts(struct km_fake_faults *f, unsigned long *pending,
                           unsigned long *applied);

/* Name of a kind as written in specs. */
const char *km_fake_fault_name(enum km_fake_fault_kind kind);

struct km_fake_reply;

/* For the kinds that replace the answer (429, 409, http500, http503, html, huge): fills
 * rep with the network's version of it and returns true. For the others returns false
 * and leaves rep alone. huge_total is the size of a huge body. */
bool km_fake_fault_answer(enum km_fake_fault_kind kind, enum km_fake_net net, uint64_t huge_total,
                          struct km_fake_reply *rep);

/* For the kinds that damage a real answer (truncated, badutf8, cut): changes the reply
 * the handler built. Other kinds leave it alone. */
void km_fake_fault_damage(enum km_fake_fault_kind kind, enum km_fake_net net,
                          struct km_fake_reply *rep);

#endif
