/* Sources shared by several komekd on one Redis: leases, so each source is polled from one
 * place at a time, and published status, for `komekctl sources`.
 *
 * Keys (namespace ns):
 *   {ns}:lease:<source>   string: the holder's instance id, expiring (PX) with the lease
 *   {ns}:source:<source>  hash: state, instance, last_success, last_error, last_error_at,
 *                         polls, posts, errors_http, errors_input, rate_limited, backoff_ms,
 *                         updated_at (times RFC 3339 UTC)
 *   {ns}:posts:<day>      hash: source -> posts added to the stream that day (UTC), kept
 *                         for KM_SOURCES_DAYS_KEPT days
 * A km_sources owns its own Redis connection: not thread-safe, one per thread. */
#ifndef KM_QUEUE_SOURCES_H
#define KM_QUEUE_SOURCES_H

#include "common/err.h"
#include "queue/queue.h"

#include <stdint.h>

/* Daily counters are kept this long, so a week can be compared. */
#define KM_SOURCES_DAYS_KEPT 8

struct km_sources;

/* Creates a handle for instance (a name unique among running komekd, e.g.
 * "host:pid:random"). lease_ms is the shortest lease taken. Does not connect yet.
 * Returns KM_OK or KM_EINPUT (bad URL). Free with km_sources_free(). */
int km_sources_new(const struct km_queue_opts *opts, const char *instance, int64_t lease_ms,
                   struct km_sources **out, struct km_err *err);
void km_sources_free(struct km_sources *s);

/* Takes or renews this instance's lease on source for max(lease_ms, hint_ms).
 * KM_OK: ours. KM_RETRY: another instance holds it (err says which). KM_ERR: Redis is
 * unreachable or failed (err says why). */
int km_sources_claim(struct km_sources *s, const char *source, int64_t hint_ms,
                     struct km_err *err);
/* Gives the lease up if this instance holds it (best effort). */
void km_sources_release(struct km_sources *s, const char *source);

/* One source's status as published. Strings are NULL when unknown. */
struct km_source_status {
    char *state, *instance, *last_success, *last_error, *last_error_at, *updated_at;
    long long polls, posts, errors_http, errors_input, rate_limited, backoff_ms;
    long long posts_today;
    char *lease_holder; /* current holder of the lease, NULL if none */
};

void km_source_status_clear(struct km_source_status *st);

/* Publishes st's fields (strings may be NULL: left out) for source. */
int km_sources_publish(struct km_sources *s, const char *source,
                       const struct km_source_status *st, struct km_err *err);
/* Adds n to source's count of posts today (UTC). */
int km_sources_count_posts(struct km_sources *s, const char *source, long long n,
                           struct km_err *err);
/* Reads what was published for source, the lease holder and today's count into *st
 * (fields malloc'd; release with km_source_status_clear()). KM_OK even if nothing was
 * published (all NULL / 0). */
int km_sources_read(struct km_sources *s, const char *source, struct km_source_status *st,
                    struct km_err *err);

#endif
