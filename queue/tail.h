/* Following several streams of one namespace at once (XREAD BLOCK), from their end at the
 * first read onwards: the desk's live view reads {ns}:posts, {ns}:events and {ns}:desk
 * this way. No consumer group: every reader sees every entry, nothing is acknowledged.
 *
 * A km_tail wraps one Redis connection (queue/redis.h): not thread-safe, one per thread.
 * It reconnects by itself and keeps its position across reconnections. */
#ifndef KM_QUEUE_TAIL_H
#define KM_QUEUE_TAIL_H

#include "common/err.h"
#include "queue/queue.h"

#include <stddef.h>
#include <stdint.h>

/* Most streams one tail follows. */
#define KM_TAIL_MAX_STREAMS 8

/* One entry read. */
struct km_tail_entry {
    size_t stream; /* index of its stream in the names given to km_tail_new() */
    char *id;      /* "1700000000000-0" */
    char **fields; /* name, value, name, value, ... (2 * n_fields strings) */
    size_t n_fields;
};

struct km_tail;

/* A tail of the streams "{ns}:NAME" for each of names[0..n) (n <= KM_TAIL_MAX_STREAMS), on
 * the Redis of opts (url, password, ns, timeout_ms). Does not connect yet. Returns KM_OK
 * with *out (free with km_tail_free()) or KM_EINPUT (malformed URL, too many streams). */
int km_tail_new(const struct km_queue_opts *opts, const char *const *names, size_t n,
                struct km_tail **out, struct km_err *err);
/* Closes the connection and frees t; NULL is ignored. */
void km_tail_free(struct km_tail *t);

/* Waits up to block_ms (0 = do not wait) for entries after the tail's position in any of
 * its streams, and returns up to count per stream in *entries (malloc'd, free with
 * km_tail_entries_free(); *n may be 0 after a timeout), advancing the position. The first
 * call starts at each stream's current last entry (XREVRANGE), so only entries added after
 * it are returned. Returns KM_OK, KM_RETRY (Redis unreachable; position kept) or KM_ERR. */
int km_tail_read(struct km_tail *t, int64_t block_ms, size_t count, struct km_tail_entry **entries,
                 size_t *n, struct km_err *err);
void km_tail_entries_free(struct km_tail_entry *e, size_t n);

/* The id of the last entry returned from stream i ("0-0" for an empty stream; NULL before
 * the first read), borrowed until the next km_tail_read(). */
const char *km_tail_position(const struct km_tail *t, size_t i);

/* The key of stream i, "{ns}:NAME" (borrowed). */
const char *km_tail_key(const struct km_tail *t, size_t i);

#endif
