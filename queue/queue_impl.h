/* Internals of a km_queue shared by queue.c (writes, reads) and group.c (claiming, dead
 * letters, trimming). Not for other modules: use queue.h and group.h. */
#ifndef KM_QUEUE_QUEUE_IMPL_H
#define KM_QUEUE_QUEUE_IMPL_H

#include "queue/queue.h"
#include "queue/redis.h"

#include <stdbool.h>
#include <stdint.h>

struct km_queue {
    struct km_redis *r;
    char *k_posts, *k_seen, *k_cursors, *k_dead;
    long long maxlen; /* km_queue_trim() starts above this length; 0 = never */
    int64_t window_ms;
    int64_t (*now_ms)(void);
    bool legacy; /* Redis < 6.2: no XAUTOCLAIM, no XTRIM MINID (or forced by a test) */
};

/* Runs a command built from argc NUL-terminated strings on q's connection (reconnecting
 * once if it was dropped, as km_redis_call() does: only for commands safe to repeat). On
 * KM_OK *out is the reply, never an error reply (freeReplyObject()). */
int km_queue_command(struct km_queue *q, int argc, const char **argv, redisReply **out,
                     struct km_err *err);

#endif
