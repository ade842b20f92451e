/* The webhook intake: an HTTP server (libmicrohttpd) through which push sources deliver.
 *
 * It listens on [komek] listen (default 127.0.0.1:8088) and serves POST /webhook/NAME for
 * every enabled [source NAME] whose collector is a push type (next_request == NULL:
 * telegram_webhook, webhook). The body goes to that collector's consume() as a response
 * with status 200 and the request's headers; the collector checks the secret or signature
 * and returns posts. They are filtered with the watched tags and written to Redis
 * (km_collect_commit) BEFORE the answer, so a sender that got 200 may forget the payload.
 *
 * Answers (every refusal has no side effect, a body {"ok":false,"error":"..."}, a counter
 * and a rate-limited log line):
 *   200 stored (or repeats, or nothing with a watched tag): {"ok":true,"posts":N,...}
 *   400 malformed payload (the error names the offset or the item)
 *   401 wrong or missing secret token / signature
 *   404 no push source of that name (unknown path too)
 *   405 not POST (Allow: POST)
 *   413 body larger than the source's max_body (checked while receiving)
 *   415 Content-Type is not application/json
 *   503 Redis unreachable: Retry-After: 5, the sender retries
 *   500 anything else (a bug)
 * The intake speaks plain HTTP: it refuses a non-loopback listen address unless
 * listen_public = yes, for which a TLS-terminating proxy belongs in front. */
#ifndef KM_INTAKE_SERVER_H
#define KM_INTAKE_SERVER_H

#include "collectors/collector.h"
#include "common/conf.h"
#include "common/err.h"
#include "triage/tags.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* Seconds a sender is asked to wait (Retry-After) while Redis is unreachable. */
#define KM_INTAKE_RETRY_AFTER_S 5

/* The kinds of answer, for the counters. */
enum km_intake_answer {
    KM_INTAKE_OK = 0,       /* 200 */
    KM_INTAKE_BAD_REQUEST,  /* 400 */
    KM_INTAKE_UNAUTHORIZED, /* 401 */
    KM_INTAKE_NOT_FOUND,    /* 404 */
    KM_INTAKE_BAD_METHOD,   /* 405 */
    KM_INTAKE_TOO_LARGE,    /* 413 */
    KM_INTAKE_BAD_TYPE,     /* 415 */
    KM_INTAKE_UNAVAILABLE,  /* 503 */
    KM_INTAKE_FAILED,       /* 500 */
    KM_INTAKE_NANSWERS
};

struct km_intake_stats {
    uint64_t answers[KM_INTAKE_NANSWERS]; /* requests answered, by kind */
    uint64_t posts, added, dups, dropped; /* over the 200 answers, as km_commit_counts */
};

struct km_intake;

/* HTTP status of an answer kind. */
unsigned km_intake_answer_status(enum km_intake_answer a);

/* True if c is a push collector (it has no request to make: next_request == NULL). */
bool km_intake_is_push(const struct km_collector *c);

/* True if value turns the intake off: NULL, "" or "off". */
bool km_intake_listen_off(const char *value);

/* Parses a listen value: "host:port" with a numeric IPv4 host or "localhost", or
 * "[IPv6]:port"; port 0 to 65535 (0 = any free port). The address must be loopback
 * (127.0.0.0/8, ::1) unless allow_public. Returns KM_OK with *addr and *addr_len, or
 * KM_EINPUT with err ("listen: ..."). Thread-safe. */
int km_intake_parse_listen(const char *value, bool allow_public, struct sockaddr_storage *addr,
                           socklen_t *addr_len, struct km_err *err);

/* km_intake_parse_listen() of [komek] key (listen, metrics_listen, desk_listen) with
 * listen_public, its error located "FILE:LINE: KEY: ...". */
int km_intake_listen_key(const struct km_config *cfg, const char *key,
                         struct sockaddr_storage *addr, socklen_t *addr_len, struct km_err *err);

/* True if komekd should run the intake: listen is not off and some enabled source has a
 * push collector (looked up in the registry). */
bool km_intake_wanted(const struct km_config *cfg);

/* For --check-config: validates [komek] listen when the intake would run, printing a
 * located error to stderr. Returns KM_OK or KM_EINPUT. */
int km_intake_check_config(const struct km_config *cfg);

/* Creates the push sources' collectors and a Redis handle, and starts serving on [komek]
 * listen (which must not be off) with its own threads. Returns KM_OK with *out (free with
 * km_intake_free()), KM_EINPUT (bad listen value, a collector refused its section; err is
 * located "FILE:LINE: ...") or KM_ERR (cannot listen). Borrows cfg and tags: both must
 * outlive the intake. */
int km_intake_new(const struct km_config *cfg, const struct km_tags *tags, struct km_intake **out,
                  struct km_err *err);

/* The TCP port served (the real one when listen asked for port 0). */
unsigned km_intake_port(const struct km_intake *in);

/* Copies the counters. Thread-safe. */
void km_intake_get_stats(struct km_intake *in, struct km_intake_stats *out);

/* Stops accepting connections, lets the requests in flight finish (up to
 * KM_INTAKE_DRAIN_MS), stops the server (MHD_stop_daemon), destroys the collectors' state
 * and frees in. Accepts NULL. Call from the thread that created it. */
#define KM_INTAKE_DRAIN_MS 10000
void km_intake_free(struct km_intake *in);

/* The intake role of komekd: km_intake_new(), serve until *stop becomes non-zero (checked
 * every 100 ms), km_intake_free(). Returns KM_OK, or the code of km_intake_new() with err. */
struct km_shared;
int km_intake_run(const struct km_config *cfg, struct km_shared *watch,
                  volatile sig_atomic_t *stop, struct km_err *err);

#endif
