/* The "tickets" role: moves posts from the Redis stream into PostgreSQL.
 *
 * It reads {ns}:posts with its consumer group, stores each batch in one transaction
 * (km_db_insert_posts, idempotent) and XACKs the batch only after COMMIT, so a crash at any
 * point loses nothing and doubles nothing: unacknowledged entries stay pending for this
 * consumer and are stored again (as duplicates) when it comes back. Entries left pending by
 * a consumer that died for good are claimed after KM_TICKETS_CLAIM_IDLE_MS. */
#ifndef KM_DB_TICKETS_H
#define KM_DB_TICKETS_H

#include "common/err.h"
#include "queue/queue.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An entry pending this long with another consumer belongs to a dead one: a live consumer
 * commits and acknowledges a batch within seconds. Taking over a slow but live consumer's
 * entries is harmless too (the insert is idempotent). */
#define KM_TICKETS_CLAIM_IDLE_MS (5LL * 60 * 1000)

struct km_tickets_opts {
    struct km_queue_opts queue;
    const char *conninfo; /* libpq conninfo of the database */
    const char *group;    /* consumer group, default "tickets" */
    const char *consumer; /* this consumer's name, stable across restarts, e.g. the host name */
    size_t batch;         /* entries per transaction, default 100 */
    int64_t block_ms;     /* XREADGROUP BLOCK while idle, default 5000; bounds stop latency */
};

/* Runs the role until *stop becomes non-zero (then returns KM_OK), or with once = true
 * stores everything available now (this consumer's pending entries, then new ones, without
 * blocking) and returns.
 *
 * At start it checks that the database schema is current (KM_ERR "... run komekctl
 * migrate" if not) and creates the group. While Redis or PostgreSQL is down it logs
 * (rate-limited), waits with a backoff of 1 s doubling to 30 s (checking *stop) and
 * reconnects; in once mode it returns KM_RETRY instead. Nothing is acknowledged that was
 * not committed. Returns KM_OK, KM_RETRY (once mode only), KM_EINPUT (bad Redis URL or
 * conninfo) or KM_ERR, with err set. Blocks; call from the thread that runs the role. */
int km_tickets_run(const struct km_tickets_opts *o, volatile sig_atomic_t *stop, bool once,
                   struct km_err *err);

#endif
