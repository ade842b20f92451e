/* Consumer-group maintenance of the posts stream, for the tickets role: taking over the
 * entries of a dead consumer, delivery counts, dead letters ({ns}:dead) and trimming that
 * never removes what a group has not acknowledged. Works on a km_queue (queue.h): same
 * threading rules (one handle per thread), KM_RETRY while Redis is unreachable.
 *
 * Redis 6.2 added XAUTOCLAIM and XTRIM MINID. On an older server the first "unknown
 * command" or syntax error switches the handle to XPENDING + XCLAIM and XRANGE + XDEL for
 * its lifetime (struct km_queue_opts.legacy_redis forces that from the start, for tests). */
#ifndef KM_QUEUE_GROUP_H
#define KM_QUEUE_GROUP_H

#include "common/err.h"
#include "queue/queue.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Moves to consumer every entry of group pending for more than min_idle_ms with another
 * (presumably dead) consumer (XAUTOCLAIM ... JUSTID, Redis 6.2+; on older servers, which
 * answer "unknown command", XPENDING + XCLAIM ... JUSTID, remembered for the handle's
 * lifetime); they are then read with pending = true. *claimed (may be NULL) gets how many
 * were moved. Entries already trimmed from the stream are dropped from the pending list by
 * Redis 7 and logged here. Returns KM_OK, KM_RETRY or KM_ERR. */
int km_queue_claim_idle(struct km_queue *q, const char *group, const char *consumer,
                        int64_t min_idle_ms, size_t *claimed, struct km_err *err);

/* How many times entry id was delivered to group (XPENDING's delivery counter: the first
 * read and every re-read of the pending entry count) into *count; 0 if it is not pending
 * (acknowledged, or never delivered). Returns KM_OK, KM_RETRY or KM_ERR. */
int km_queue_deliveries(struct km_queue *q, const char *group, const char *id, long long *count,
                        struct km_err *err);

/* Gives up on entry e of group: reads the entry's original fields back (XRANGE; none if it
 * was trimmed), then in one Lua script XACKs e in group and, only if that acknowledged it,
 * XADDs to {ns}:dead those fields plus error (why it failed; may be NULL), stream_id
 * (e->id), deliveries and group. So a retry after a lost reply never adds it twice, and if
 * the entry is no longer pending (another consumer stored or dead-lettered it meanwhile)
 * nothing is written and *done (may be NULL) is false. {ns}:dead is never trimmed by komek.
 * Returns KM_OK, KM_RETRY or KM_ERR. */
int km_queue_dead_letter(struct km_queue *q, const char *group, const struct km_stream_entry *e,
                         const char *error, long long deliveries, bool *done, struct km_err *err);

/* Trims the posts stream once it is longer than opts.maxlen, never removing an entry that a
 * consumer group has not acknowledged: the cut is the oldest entry any group still needs
 * (its smallest pending id, else the entry after its last-delivered-id), and XTRIM MINID ~
 * removes whole macro nodes below it (Redis 6.2+; older servers: XRANGE + XDEL, exact).
 * With no group at all it trims with MAXLEN ~ maxlen. Cheap when nothing is due (XLEN).
 * *removed (may be NULL) gets how many entries went. Returns KM_OK, KM_RETRY or KM_ERR. */
int km_queue_trim(struct km_queue *q, long long *removed, struct km_err *err);

#endif
