/* The dedup window in Redis: triage/dedup.h's store, shared by every komekd using the same
 * Redis and kept across restarts (as far as Redis keeps its data).
 *
 * Keys (namespace ns; every key expires on its own, PEXPIREAT / PXAT, at the checking
 * komekd's time + the window, so nothing needs a sweeper):
 *   {ns}:dedup:post:<network:id>  hash: t (Unix ms of the check), fp (16 hex digits),
 *                                 inc (incident id), dup ("network:id" of the first post;
 *                                 absent for an original), sk (the shingle sketch,
 *                                 little-endian 32-bit values; absent for posts outside
 *                                 the near index); expires at t + window
 *   {ns}:dedup:fp:<16 hex>        string: "t:network:id" of the first post with that
 *                                 normalised text (SET NX GET PXAT: claimed atomically;
 *                                 a claim older than the window by the caller's clock is
 *                                 taken over)
 *   {ns}:dedup:lsh:<16 hex>       sorted set, one per LSH bucket (the band is part of the
 *                                 hash): "network:id" -> t; members older than the window
 *                                 are trimmed on each write; expires window after the
 *                                 newest member
 *   {ns}:dedup:place:<place key>  sorted set, one per place key (km_dedup_places():
 *                                 "street|number" or "category|street|number"):
 *                                 "network:id" -> t; trimmed and expiring like an LSH
 *                                 bucket
 *   {ns}:dedup:inc:<id>           hash: posts (count), first ("network:id"), t_first,
 *                                 t_last; expires window after t_last
 *   {ns}:dedup:inc:<id>:authors   set of distinct authors ("network:author"); same expiry
 * Redis holds about 3.8 KB per post of the window (measured: 20,000 posts, 73 MB), most of
 * it the 16 bucket keys; a 72-hour window of 5,000 posts a day is about 60 MB.
 * Reads go in one MULTI/EXEC per stage and a post is written in one MULTI/EXEC, so a
 * komekd that dies between two checks leaves nothing half-written. Two komekd checking
 * exact copies at the same moment agree on the first (SET NX GET); two near duplicates
 * checked in the same millisecond may both become originals.
 * Needs Redis >= 7.0 (SET NX GET). Not thread-safe: one store per thread. */
#ifndef KM_QUEUE_DEDUP_STORE_H
#define KM_QUEUE_DEDUP_STORE_H

#include "common/err.h"
#include "queue/queue.h"
#include "triage/dedup.h"

struct km_dedup_redis;

/* The ops to pass to km_dedup_new() with a struct km_dedup_redis * as store. Every op
 * returns KM_RETRY while Redis is unreachable (and reconnects by itself later). */
extern const struct km_dedup_store_ops km_dedup_redis_ops;

/* Creates a store on its own connection from opts (url, password, ns, timeout_ms; the
 * other fields are ignored). Does not connect yet. Returns KM_OK, or KM_EINPUT for a
 * malformed URL. Free with km_dedup_redis_free(). */
int km_dedup_redis_new(const struct km_queue_opts *opts, struct km_dedup_redis **out,
                       struct km_err *err);
/* Closes the connection; NULL is ignored. */
void km_dedup_redis_free(struct km_dedup_redis *s);

#endif
