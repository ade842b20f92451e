/* The tickets role (see tickets.h): stream -> PostgreSQL, acknowledging only after COMMIT. */
#include "db/tickets.h"

#include "common/alloc.h"
#include "common/log.h"
#include "common/time.h"
#include "db/db.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Backoff while Redis or PostgreSQL is down: the first retry comes quickly (a restart
 * takes seconds), a long outage costs one attempt every 30 s. */
#define TK_BACKOFF_MIN_MS 1000
#define TK_BACKOFF_MAX_MS 30000
/* The backoff sleeps in slices this long so that a stop request is seen promptly. */
#define TK_STOP_POLL_MS 100
/* One transaction per 100 entries keeps COMMITs (an fsync each) well below the stream's
 * rate while a batch stays small enough to redo after a failure. */
#define TK_DEFAULT_BATCH    100
#define TK_DEFAULT_BLOCK_MS 5000
/* How often to look for entries left pending by a dead consumer. */
#define TK_CLAIM_EVERY_MS 60000
#define TK_SCOPE          "tickets"

struct tk_state {
    const struct km_tickets_opts *o;
    const char *group;
    size_t batch;
    int64_t block_ms;
    struct km_queue *q;
    struct km_db *db;      /* NULL until connected and the schema checked */
    bool ready;            /* group created since the last failure */
    bool pending;          /* draining this consumer's own pending entries first */
    bool db_failed;        /* the last failure came from PostgreSQL: reconnect it */
    int64_t next_claim_ms; /* monotonic time of the next look for a dead consumer's entries */
    int64_t backoff_ms;    /* 0 while all is well */
    struct km_complaint complaint;
};

/* Connects to PostgreSQL and checks that the schema is current. */
static int tk_open_db(struct tk_state *s, struct km_err *err)
{
    int current = 0, latest = 0;
    int rc = km_db_connect(s->o->conninfo, &s->db, err);
    if (rc == KM_OK) {
        rc = km_db_schema_status(s->db, &current, &latest, err);
    }
    if (rc == KM_OK && current < latest) {
        rc = km_err_set(err, KM_ERR,
                        "database schema is at version %d, this build needs %d: "
                        "run komekctl migrate",
                        current, latest);
    }
    if (rc == KM_OK && current > latest) {
        KM_SLOG_WARN(TK_SCOPE, "database schema version %d is newer than this build's %d", current,
                     latest);
    }
    if (rc != KM_OK) {
        km_db_free(s->db);
        s->db = NULL;
        s->db_failed = rc == KM_RETRY;
    }
    return rc;
}

/* Makes sure the database, the group and the claim of dead consumers' entries are done. */
static int tk_prepare(struct tk_state *s, struct km_err *err)
{
    int rc = KM_OK;
    if (s->db == NULL) {
        rc = tk_open_db(s, err);
    }
    if (rc == KM_OK && !s->ready) {
        rc = km_queue_group_create(s->q, s->group, err);
        s->ready = rc == KM_OK;
    }
    int64_t now = km_time_mono_ms();
    if (rc == KM_OK && now >= s->next_claim_ms) {
        size_t claimed = 0;
        rc = km_queue_claim_idle(s->q, s->group, s->o->consumer, KM_TICKETS_CLAIM_IDLE_MS, &claimed,
                                 err);
        if (rc == KM_OK && claimed > 0) {
            KM_SLOG_INFO(TK_SCOPE, "claimed %zu entries left pending by another consumer", claimed);
            s->pending = true;
        }
        s->next_claim_ms = rc == KM_OK ? now + TK_CLAIM_EVERY_MS : 0;
    }
    return rc;
}

/* Stores and acknowledges one batch of entries. */
static int tk_store(struct tk_state *s, const struct km_stream_entry *e, size_t n,
                    struct km_err *err)
{
    struct km_db_counts c = {0, 0, 0};
    int rc = km_db_insert_posts(s->db, e, n, &c, err);
    if (rc != KM_OK) {
        s->db_failed = rc == KM_RETRY;
        return rc; /* not committed: not acknowledged, the entries stay pending */
    }
    const char **ids = km_calloc(n, sizeof(*ids));
    for (size_t i = 0; i < n; i++) {
        ids[i] = e[i].id;
    }
    /* Committed: acknowledge. If the ack is lost, the entries are read again from the
     * pending list and stored again as duplicates, which changes nothing. */
    rc = km_queue_ack(s->q, s->group, ids, n, err);
    free(ids);
    KM_SLOG_DEBUG(TK_SCOPE, "batch of %zu: %zu stored, %zu duplicates, %zu rejected", n, c.inserted,
                  c.duplicates, c.rejected);
    return rc;
}

/* Reads and stores one batch. *idle tells that no new entry was available. */
static int tk_step(struct tk_state *s, bool once, bool *idle, struct km_err *err)
{
    struct km_stream_entry *e = NULL;
    size_t n = 0;
    *idle = false;
    int rc = tk_prepare(s, err);
    if (rc != KM_OK) {
        goto out;
    }
    int64_t block = s->pending || once ? 0 : s->block_ms;
    rc = km_queue_read_group(s->q, s->group, s->o->consumer, s->pending, s->batch, block, &e, &n,
                             err);
    if (rc != KM_OK) {
        goto out;
    }
    if (n == 0) {
        *idle = !s->pending;
        s->pending = false; /* own pending list drained: continue with new entries */
        goto out;
    }
    rc = tk_store(s, e, n, err);
out:
    km_stream_entries_free(e, n);
    return rc;
}

/* Sleeps for the next backoff step, waking early when *stop is set. */
static void tk_backoff(struct tk_state *s, volatile sig_atomic_t *stop)
{
    s->backoff_ms = s->backoff_ms == 0 ? TK_BACKOFF_MIN_MS : s->backoff_ms * 2;
    if (s->backoff_ms > TK_BACKOFF_MAX_MS) {
        s->backoff_ms = TK_BACKOFF_MAX_MS;
    }
    int64_t until = km_time_mono_ms() + s->backoff_ms;
    while (!*stop && km_time_mono_ms() < until) {
        struct timespec ts = {0, TK_STOP_POLL_MS * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* After a temporary failure: start again from a clean state on the next step. */
static void tk_reset(struct tk_state *s)
{
    if (s->db_failed) {
        km_db_free(s->db);
        s->db = NULL;
        s->db_failed = false;
    }
    s->ready = false;  /* Redis may have lost the group (no persistence) */
    s->pending = true; /* entries read but not acknowledged are pending again */
}

/* The main loop; err is the caller's or a local one. */
static int tk_loop(struct tk_state *s, volatile sig_atomic_t *stop, bool once, struct km_err *err)
{
    int rc = KM_OK;
    while (!*stop) {
        bool idle = false;
        rc = tk_step(s, once, &idle, err);
        if (rc == KM_OK) {
            if (s->backoff_ms != 0) {
                km_complain_release(&s->complaint, TK_SCOPE, "redis and postgresql");
                s->backoff_ms = 0;
            }
            if (once && idle) {
                break;
            }
            continue;
        }
        if (rc != KM_RETRY || once) {
            break;
        }
        km_complain(&s->complaint, TK_SCOPE, "%s", err->msg);
        tk_reset(s);
        tk_backoff(s, stop);
        rc = KM_OK;
    }
    return rc;
}

int km_tickets_run(const struct km_tickets_opts *o, volatile sig_atomic_t *stop, bool once,
                   struct km_err *err)
{
    struct tk_state s;
    struct km_err local = {{0}};
    memset(&s, 0, sizeof(s));
    s.o = o;
    s.group = o->group != NULL && o->group[0] != '\0' ? o->group : "tickets";
    s.batch = o->batch > 0 ? o->batch : TK_DEFAULT_BATCH;
    s.block_ms = o->block_ms > 0 ? o->block_ms : TK_DEFAULT_BLOCK_MS;
    s.pending = true;
    int rc = KM_OK;
    if (o->consumer == NULL || o->consumer[0] == '\0') {
        rc = km_err_set(&local, KM_EINPUT, "tickets: no consumer name");
        goto out;
    }
    rc = km_queue_new(&o->queue, &s.q, &local);
    if (rc == KM_OK) {
        rc = tk_loop(&s, stop, once, &local);
    }
out:
    km_queue_free(s.q);
    km_db_free(s.db);
    if (rc != KM_OK && err != NULL) {
        *err = local;
    }
    return rc;
}
