/* The collector runtime: schedules every configured source on one libcurl multi handle.
 *
 * It owns the HTTP side for all collectors: TLS verification, timeouts, a body-size cap
 * enforced while receiving (libcurl's CURLOPT_MAXFILESIZE misses chunked and compressed
 * bodies), Retry-After and collector-reported rate limits, exponential backoff with jitter
 * that resets on success. Posts go to a sink; a source's cursor advances only when the sink
 * says the batch and the cursor were committed together. One thread runs km_runtime_run(). */
#ifndef KM_COLLECTORS_RUNTIME_H
#define KM_COLLECTORS_RUNTIME_H

#include "collectors/collector.h"
#include "common/conf.h"
#include "common/err.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/* What the runtime knows about one [source NAME], readable by the sink. */
struct km_source_info {
    const char *name;
    const char *type;
    bool require_tags;
};

struct km_source_stats;

struct km_runtime_sink {
    /* Returns the committed cursor of a source (*cursor malloc'd, or NULL if none).
     * KM_RETRY if the store is unreachable: the runtime tries again later. */
    int (*load_cursor)(void *ctx, const struct km_source_info *src, char **cursor);
    /* Commits the posts of one response together with next_cursor (NULL = keep).
     * KM_OK: committed, the runtime adopts next_cursor. KM_RETRY: nothing committed; the
     * runtime keeps the old cursor and repeats the request after backoff. */
    int (*deliver)(void *ctx, const struct km_source_info *src, struct km_post_batch *batch,
                   const char *next_cursor);
    /* Optional (NULL = a single instance). Claims or renews this instance's lease on the
     * source for at least hint_ms before each exchange, so that several komekd on one Redis
     * poll each source from one place. KM_OK: ours, go on. KM_RETRY: another instance holds
     * it (or the store is down); the runtime waits in standby and asks again later. */
    int (*claim)(void *ctx, const struct km_source_info *src, int64_t hint_ms);
    /* Optional: gives up the lease when the runtime stops. */
    void (*release)(void *ctx, const struct km_source_info *src);
    /* Optional: called after every exchange (and standby check) with the source's stats,
     * e.g. to publish them for `komekctl sources`. */
    void (*report)(void *ctx, const struct km_source_info *src,
                   const struct km_source_stats *stats);
    void *ctx;
};

struct km_runtime;

/* Creates a runtime with one source per [source NAME] of cfg (collectors looked up in the
 * registry and created; "enabled = no" sources are skipped). Returns KM_OK, or
 * KM_EINPUT/KM_ERR with err set. Free with km_runtime_free(). The runtime borrows cfg and
 * sink->ctx: both must outlive it. Before deliver() the runtime fills in post->source and
 * post->collected_at where the collector left them empty. */
int km_runtime_new(const struct km_config *cfg, const struct km_runtime_sink *sink,
                   struct km_runtime **out, struct km_err *err);
/* Finds the collector for a "type =" value; NULL if unknown. km_collector_find() is one. */
typedef const struct km_collector *(*km_collector_lookup_fn)(const char *type);

/* As km_runtime_new(), but resolves types with lookup instead of the registry (tests and
 * embedders bring their own collectors). lookup must be non-NULL. */
int km_runtime_new_with(const struct km_config *cfg, const struct km_runtime_sink *sink,
                        km_collector_lookup_fn lookup, struct km_runtime **out, struct km_err *err);
/* Stops every transfer still in flight (nothing is delivered), destroys the collectors'
 * state and frees rt. Accepts NULL. */
void km_runtime_free(struct km_runtime *rt);

/* Runs until *stop becomes non-zero. With once, runs exactly one successful or failed
 * exchange per source (following immediately-available follow-up pages is not done) and
 * returns. A request in flight when stop is set is finished and delivered, within its
 * timeout. Returns KM_OK, or KM_ERR if every source has stopped on a permanent error.
 * With once, every source that has not stopped starts its exchange at once, whatever its
 * schedule says; a backoff or Retry-After pause is reported (and kept in the stats for a
 * later run), never slept through. An exchange is: load the cursor (first time only),
 * request, consume, deliver. *stop is checked at least once a second. */
int km_runtime_run(struct km_runtime *rt, volatile sig_atomic_t *stop, bool once);

/* Counters per source, for logs, `komekctl` and later /metrics. */
struct km_source_stats {
    uint64_t polls, posts, errors_http, errors_input, rate_limited, deliver_retries;
    int64_t backoff_ms;   /* current extra delay, 0 when healthy */
    bool stopped;         /* permanent error (e.g. credentials rejected) */
    int64_t next_poll_ms; /* km_time_mono_ms() at which the next request is due */
    bool standby;         /* another komekd holds this source's lease */
    int64_t last_success_ms, last_error_ms; /* wall clock, 0 = never */
    char last_error[KM_ERR_MSG_MAX];        /* the latest failure, as logged */
};
/* Copies the stats of source i (0 <= i < km_runtime_source_count()). Returns its name.
 * Not synchronised: call it from the thread that runs km_runtime_run(), or while it does
 * not run. Sources with "enabled = no" are not part of the runtime. */
const char *km_runtime_source_stats(const struct km_runtime *rt, size_t i,
                                    struct km_source_stats *out);
size_t km_runtime_source_count(const struct km_runtime *rt);

#endif
