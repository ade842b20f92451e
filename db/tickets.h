/* The "tickets" role: moves posts from the Redis stream into PostgreSQL.
 *
 * It reads {ns}:posts with its consumer group, stores each batch in one transaction
 * (km_db_insert_posts, idempotent) and XACKs the batch only after COMMIT, so a crash at any
 * point loses nothing and doubles nothing: unacknowledged entries stay pending for this
 * consumer and are stored again (as duplicates) when it comes back. Entries left pending by
 * a consumer that died for good are claimed once idle for claim_idle_ms.
 *
 * A batch PostgreSQL refuses for a reason that is not a row's data (km_db_insert_posts
 * returns KM_ERR, e.g. a trigger raising an error for one post) is split in halves, each
 * stored and acknowledged on its own, until the entries that fail alone are isolated. Such
 * an entry stays pending and is retried after a backoff; once it has been delivered
 * max_deliveries times it goes to {ns}:dead (km_queue_dead_letter) and is acknowledged, so
 * it never blocks the group. If every entry of a batch of two or more fails alone, the
 * fault is the database's, not the entries': the role stops with KM_ERR as before.
 *
 * Every KM_TICKETS_TRIM_EVERY_MS the role trims the posts stream (km_queue_trim): never
 * below what any consumer group still needs. */
#ifndef KM_DB_TICKETS_H
#define KM_DB_TICKETS_H

#include "common/err.h"
#include "queue/queue.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Default of claim_idle_ms. An entry pending this long with another consumer belongs to a
 * dead one: a live consumer commits and acknowledges a batch within seconds. Taking over a
 * slow but live consumer's entries is harmless too (the insert is idempotent). */
#define KM_TICKETS_CLAIM_IDLE_MS (5LL * 60 * 1000)
/* Default of max_deliveries: a few retries over backoffs of 1, 2, 4, 8 s ride out a
 * transient fault (a lock timeout, a trigger being fixed) before an entry is given up. */
#define KM_TICKETS_MAX_DELIVERIES 5
/* How often the role trims the posts stream: trimming is cheap, the stream grows by a few
 * thousand entries a day. */
#define KM_TICKETS_TRIM_EVERY_MS (60LL * 1000)

/* What the role did since it started, for metrics (issue 7). Each counter is written only
 * by the role's thread, atomically, so another thread may read it at any time. */
struct km_tickets_stats {
    atomic_ullong batches;    /* batches committed and acknowledged */
    atomic_ullong stored;     /* new posts */
    atomic_ullong duplicates; /* entries already stored */
    atomic_ullong escalated;  /* escalations applied */
    atomic_ullong rejected;   /* entries put in rejected_entries */
    atomic_ullong splits;     /* batch halvings, in PostgreSQL (refused rows) or by the role */
    atomic_ullong failed;     /* failed attempts of an entry isolated by the role */
    atomic_ullong dead;       /* entries moved to {ns}:dead */
    atomic_ullong claimed;    /* entries taken over from a dead consumer */
    atomic_ullong trimmed;    /* entries trimmed from the posts stream */
};

struct km_db;

struct km_tickets_opts {
    struct km_queue_opts queue;
    const char *conninfo;    /* libpq conninfo of the database */
    const char *group;       /* consumer group, default "tickets" */
    const char *consumer;    /* this consumer's name, stable across restarts, e.g. the host name */
    size_t batch;            /* entries per transaction, default 100 */
    int64_t block_ms;        /* XREADGROUP BLOCK while idle, default 5000; bounds stop latency */
    int64_t claim_idle_ms;   /* take over another consumer's entries pending this long;
                              * 0 = KM_TICKETS_CLAIM_IDLE_MS ([komek] claim_idle) */
    unsigned max_deliveries; /* deliveries of a failing entry before it goes to {ns}:dead;
                              * 0 = KM_TICKETS_MAX_DELIVERIES ([komek] max_deliveries) */
    struct km_tickets_stats *stats; /* optional, zeroed by the caller; the role adds to it */
    /* Optional work on the role's thread and connection after every committed batch
     * (stored = new posts in it) and when the stream has nothing new (stored = 0): the
     * ticket rules and the events outbox (app/ticketing.h). KM_RETRY is handled like any
     * outage of PostgreSQL or Redis (backoff, reconnect, call again); another failure stops
     * the role. The batch it follows is committed and acknowledged whatever it returns. */
    int (*after)(void *ctx, struct km_db *db, size_t stored, struct km_err *err);
    void *after_ctx;
};

/* Runs the role until *stop becomes non-zero (then returns KM_OK), or with once = true
 * stores everything available now (this consumer's pending entries, then new ones, without
 * blocking) and returns: KM_RETRY if an isolated failing entry was left pending for a later
 * attempt (running again retries it; after max_deliveries it goes to {ns}:dead).
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
