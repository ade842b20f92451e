/* The dedup window in Redis: triage/dedup.h's store, shared by every komekd using the same
 * Redis and kept across restarts (as far as Redis keeps its data).
 *
 * The window is an append-only log, one stream entry per post checked:
 *   {ns}:dedup:log  stream; each entry: k ("network:id"), t (Unix ms of the check),
 *                   f (fingerprint, 16 hex digits), i (incident id), d ("network:id" of the
 *                   first post, absent for an original), a (author, absent if unknown),
 *                   b (LSH band hashes, little-endian 64-bit values; absent for posts
 *                   outside the near index), s (shingle sketch, little-endian 32-bit
 *                   values), p (place keys, one per line; absent without any); or an
 *                   escalation mark: k, t, i and e (the level the post raised its
 *                   incident to: no komekd announces it again). Entries
 *                   older than the window (by their stream id: Redis's time of the
 *                   write) are trimmed on each write (XTRIM MINID).
 * Every komekd (and every committer in it) replays the log into its own in-memory store
 * (km_dedup_mem, triage/dedup.h) at start and reads the entries others appended before
 * each batch (XREAD after the last entry it applied). Every lookup of a check is answered
 * from that copy; a check's record goes to the copy at once and to the log with the
 * batch, in one MULTI/EXEC, before the batch's posts are written to the posts stream. So a
 * batch of any size costs two round trips and about one command per post, where a store
 * of keys per record and bucket cost four dependent round trips and ~60 commands a post.
 *
 * Consistency: two komekd see each other's posts from their next batch on; reports of one
 * event checked by two komekd within one batch's time may both become originals (and
 * an exact copy, too: there is no shared claim), and both may announce the same
 * escalation level. Incident sizes then jump, so an escalation fires at the highest level
 * reached and not yet announced, never skipped. An entry that does not parse, or whose time is more
 * than 10 minutes ahead of this machine's clock, is skipped and counted, never trusted. Memory:
 * Redis holds the log (about 0.5 KB a post); each process holds its copy (about 0.9 KB a post, at
 * most KM_DEDUP_MEM_MAX_POSTS). Not thread-safe: one store per thread. */
#ifndef KM_QUEUE_DEDUP_STORE_H
#define KM_QUEUE_DEDUP_STORE_H

#include "common/err.h"
#include "queue/queue.h"
#include "triage/dedup.h"

#include <stdint.h>

struct km_dedup_redis;

/* The ops to pass to km_dedup_new() with a struct km_dedup_redis * as store. Outside a
 * batch every op first writes what earlier puts left unwritten and reads new log entries,
 * and a put is written at once: each check sees every other komekd's posts at once, at
 * a few round trips per op. Every op returns KM_RETRY while Redis is unreachable (and
 * reconnects by itself later). */
extern const struct km_dedup_store_ops km_dedup_redis_ops;

/* Creates a store on its own connection from opts (url, password, ns, timeout_ms; the
 * other fields are ignored). window_ms (0: KM_DEDUP_WINDOW_MS) must be the deduplicator's:
 * the first km_dedup_redis_begin() replays the log's entries within it. Does not connect
 * yet. Returns KM_OK, or KM_EINPUT for a malformed URL. Free with km_dedup_redis_free(). */
int km_dedup_redis_new(const struct km_queue_opts *opts, int64_t window_ms,
                       struct km_dedup_redis **out, struct km_err *err);
/* Closes the connection; NULL is ignored. Puts not yet flushed are lost: their posts
 * were not committed either (flush before writing them). */
void km_dedup_redis_free(struct km_dedup_redis *s);

/* Begins a batch: writes the puts an earlier flush could not write, then reads every log
 * entry appended since the last read (at the first call: the whole window). Until
 * km_dedup_redis_flush(), ops answer from this process's copy and puts are only queued.
 * KM_OK, or KM_RETRY (Redis unreachable; the batch has not begun). */
int km_dedup_redis_begin(struct km_dedup_redis *s, struct km_err *err);
/* Ends the batch: appends its queued puts to the log in one MULTI/EXEC. KM_OK, or KM_RETRY
 * with the puts kept for the next begin or flush (the checks are already answered in this
 * process: checked again, their posts get the same answers). */
int km_dedup_redis_flush(struct km_dedup_redis *s, struct km_err *err);

/* km_dedup_redis_flush() in two halves, so that the caller can work while Redis appends
 * the entries: _send() sends the MULTI/EXEC without reading its replies, _wait() reads
 * them. Together they do what km_dedup_redis_flush() does, with the same codes and the
 * same guarantee: the entries are in Redis only once _wait() returned KM_OK. Between the
 * two, no other call may use s. _wait() after a failed _send() returns KM_OK and does
 * nothing (the puts stay queued). */
int km_dedup_redis_flush_send(struct km_dedup_redis *s, struct km_err *err);
int km_dedup_redis_flush_wait(struct km_dedup_redis *s, struct km_err *err);

/* Counts for /metrics and tests. */
struct km_dedup_redis_stats {
    uint64_t read;    /* log entries read: this process's own are read back only when
                         another process appended before them since the last read */
    uint64_t applied; /* log entries of other processes (or earlier runs) applied */
    uint64_t skipped; /* log entries that did not parse */
    uint64_t written; /* entries this store appended */
    size_t pending;   /* puts waiting for a flush */
    size_t posts;     /* posts in this process's copy of the window */
    size_t bytes;     /* its size (see km_dedup_mem_stats) */
};
void km_dedup_redis_stats(const struct km_dedup_redis *s, struct km_dedup_redis_stats *st);

#endif
