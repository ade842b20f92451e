/* Whether Redis keeps what komek writes across its own restart. The source cursors live in
 * Redis: a cursor that advanced past posts which Redis then lost (no AOF, or AOF without
 * fsync) means those posts are gone for good once the network has dropped them. komekd asks
 * at start and says so loudly when Redis would lose writes. */
#ifndef KM_QUEUE_PERSIST_H
#define KM_QUEUE_PERSIST_H

#include "common/err.h"
#include "queue/queue.h"

#include <stdbool.h>

struct km_redis_persistence {
    bool aof;             /* appendonly yes (INFO persistence: aof_enabled:1) */
    char appendfsync[16]; /* always, everysec, no; "" when CONFIG GET is refused */
    bool rdb;             /* RDB snapshots configured (CONFIG GET save non-empty) */
};

/* Asks the Redis of o (its own short-lived connection) how it persists. CONFIG may be
 * renamed or refused by an ACL: appendfsync and rdb are then unknown ("" / false) while aof
 * still comes from INFO. Returns KM_OK, KM_EINPUT (bad URL) or KM_RETRY (unreachable). */
int km_redis_persistence_get(const struct km_queue_opts *o, struct km_redis_persistence *out,
                             struct km_err *err);

/* One line for the log: NULL when Redis persists every write (AOF with appendfsync always),
 * else a static explanation of what a Redis restart would lose; *severe is true when
 * writes can be lost for more than a second (no AOF, or appendfsync no). */
const char *km_redis_persistence_warning(const struct km_redis_persistence *p, bool *severe);

#endif
