/* The tickets role (see tickets.h): stream -> PostgreSQL, acknowledging only after COMMIT. */
#include "db/tickets.h"

#include "common/alloc.h"
#include "common/log.h"
#include "common/time.h"
#include "db/db.h"
#include "db/rows.h"
#include "queue/group.h"

#include <pthread.h>
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

/* The next batch, read while the current one is stored and decoded on a thread of its own
 * meanwhile (decoding is about a fifth of the time a batch takes, PostgreSQL the rest). Its
 * entries are delivered to this consumer, so if the current batch fails they are simply
 * read again from the pending list. */
struct tk_ahead {
    struct km_stream_entry *e; /* owned; NULL when nothing was read ahead */
    size_t n;
    struct km_db_rows *rows;        /* decoded once the thread is joined */
    const struct km_places *places; /* the decoder's inputs, read on the main thread */
    unsigned long places_gen;
    pthread_t thread;
    bool running;
};

struct tk_state {
    const struct km_tickets_opts *o;
    const char *group;
    size_t batch;
    int64_t block_ms;
    int64_t claim_idle_ms;
    long long max_deliveries;
    struct km_tickets_stats *stats; /* the caller's, or own_stats */
    struct km_tickets_stats own_stats;
    int64_t next_trim_ms; /* monotonic time of the next trim of the posts stream */
    struct km_queue *q;
    struct km_db *db;      /* NULL until connected and the schema checked */
    bool ready;            /* group created since the last failure */
    bool pending;          /* draining this consumer's own pending entries first */
    bool db_failed;        /* the last failure came from PostgreSQL: reconnect it */
    int64_t next_claim_ms; /* monotonic time of the next look for a dead consumer's entries */
    int64_t backoff_ms;    /* 0 while all is well */
    struct km_complaint complaint;
    struct tk_ahead ahead;
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

/* Trims the posts stream if it is time. A reply komek does not understand is logged and
 * trimming tried again next time: it must not stop the storing of posts. */
static int tk_trim(struct tk_state *s, int64_t now, struct km_err *err)
{
    long long removed = 0;
    struct km_err terr = {{0}};
    int rc = km_queue_trim(s->q, &removed, &terr);
    if (rc == KM_OK && removed > 0) {
        atomic_fetch_add(&s->stats->trimmed, (unsigned long long)removed);
        KM_SLOG_DEBUG(TK_SCOPE, "trimmed %lld acknowledged entries from the stream", removed);
    } else if (rc == KM_ERR) {
        KM_SLOG_WARN(TK_SCOPE, "cannot trim the posts stream: %s", terr.msg);
        rc = KM_OK;
    } else if (rc != KM_OK) {
        *err = terr;
    }
    s->next_trim_ms = rc == KM_OK ? now + KM_TICKETS_TRIM_EVERY_MS : 0;
    return rc;
}

/* Makes sure the database, the group, the claim of dead consumers' entries and the trim of
 * the stream are done. */
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
        rc = km_queue_claim_idle(s->q, s->group, s->o->consumer, s->claim_idle_ms, &claimed, err);
        if (rc == KM_OK && claimed > 0) {
            KM_SLOG_INFO(TK_SCOPE, "claimed %zu entries left pending by another consumer", claimed);
            atomic_fetch_add(&s->stats->claimed, claimed);
            s->pending = true;
        }
        s->next_claim_ms = rc == KM_OK ? now + TK_CLAIM_EVERY_MS : 0;
    }
    if (rc == KM_OK && now >= s->next_trim_ms) {
        rc = tk_trim(s, now, err);
    }
    return rc;
}

/* Stores and acknowledges entries e[0..n) as one transaction. *refused tells that
 * PostgreSQL failed the batch with KM_ERR (not a connection problem, not a row's data). */
static int tk_commit(struct tk_state *s, const struct km_stream_entry *e, size_t n,
                     struct km_db_rows *rows, bool *refused, struct km_err *err)
{
    struct km_db_counts c = {0, 0, 0, 0, 0};
    int rc = rows != NULL ? km_db_store_rows(s->db, rows, &c, err)
                          : km_db_insert_posts(s->db, e, n, &c, err);
    *refused = rc == KM_ERR;
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
    struct km_tickets_stats *st = s->stats;
    atomic_fetch_add(&st->batches, 1);
    atomic_fetch_add(&st->stored, c.inserted);
    atomic_fetch_add(&st->duplicates, c.duplicates);
    atomic_fetch_add(&st->escalated, c.escalated);
    atomic_fetch_add(&st->rejected, c.rejected);
    atomic_fetch_add(&st->splits, c.splits);
    KM_SLOG_DEBUG(TK_SCOPE, "batch of %zu: %zu stored, %zu duplicates, %zu rejected", n, c.inserted,
                  c.duplicates, c.rejected);
    return rc;
}

/* Entries of a batch that PostgreSQL refused one by one (see tk_store()). */
struct tk_iso {
    const struct km_stream_entry **bad;
    struct km_err *why; /* why[i]: the error of bad[i] */
    size_t n_bad;
};

/* Stores e[0..n) (rows: decoded already, or NULL), halving a part PostgreSQL refuses down
 * to the single entries that fail alone, which go to iso. KM_OK: every entry was stored or
 * isolated. */
static int tk_store_part(struct tk_state *s, const struct km_stream_entry *e, size_t n,
                         struct km_db_rows *rows, struct tk_iso *iso, struct km_err *err)
{
    bool refused = false;
    struct km_err perr = {{0}};
    int rc = tk_commit(s, e, n, rows, &refused, &perr);
    if (rc == KM_OK || !refused) {
        if (rc != KM_OK) {
            *err = perr;
        }
        return rc;
    }
    if (n == 1) {
        iso->bad[iso->n_bad] = e;
        iso->why[iso->n_bad++] = perr;
        return KM_OK;
    }
    atomic_fetch_add(&s->stats->splits, 1);
    rc = tk_store_part(s, e, n / 2, NULL, iso, err);
    return rc == KM_OK ? tk_store_part(s, e + n / 2, n - n / 2, NULL, iso, err) : rc;
}

/* Counts a failed attempt of isolated entry e: it goes to {ns}:dead once delivered
 * max_deliveries times. *waiting tells that it stays pending for another attempt. */
static int tk_failed(struct tk_state *s, const struct km_stream_entry *e, const struct km_err *why,
                     bool *waiting, struct km_err *err)
{
    long long deliveries = 0;
    bool done = false;
    int rc = km_queue_deliveries(s->q, s->group, e->id, &deliveries, err);
    atomic_fetch_add(&s->stats->failed, 1);
    if (rc == KM_OK && deliveries == 0) {
        return KM_OK; /* no longer pending here: another consumer took it over */
    }
    if (rc == KM_OK && deliveries < s->max_deliveries) {
        KM_SLOG_WARN(TK_SCOPE, "stream entry %s failed (delivery %lld of %lld): %s", e->id,
                     deliveries, s->max_deliveries, why->msg);
        *waiting = true;
        return KM_OK;
    }
    if (rc == KM_OK) {
        rc = km_queue_dead_letter(s->q, s->group, e, why->msg, deliveries, &done, err);
    }
    if (rc == KM_OK && done) {
        atomic_fetch_add(&s->stats->dead, 1);
        KM_SLOG_ERROR(TK_SCOPE,
                      "stream entry %s moved to the dead letters after %lld deliveries: %s", e->id,
                      deliveries, why->msg);
    }
    return rc;
}

/* Stores and acknowledges one batch of entries (see tickets.h for what happens to entries
 * PostgreSQL refuses). KM_RETRY also when an isolated entry was left for another attempt. */
static int tk_store(struct tk_state *s, const struct km_stream_entry *e, size_t n,
                    struct km_db_rows *rows, struct km_err *err)
{
    struct tk_iso iso = {km_calloc(n, sizeof(*iso.bad)), km_calloc(n, sizeof(*iso.why)), 0};
    bool waiting = false;
    int rc = tk_store_part(s, e, n, rows, &iso, err);
    if (rc == KM_OK && iso.n_bad > 1 && iso.n_bad == n) {
        rc = km_err_set(err, KM_ERR, "every entry of a batch fails: %s", iso.why[0].msg);
    }
    for (size_t i = 0; rc == KM_OK && i < iso.n_bad; i++) {
        rc = tk_failed(s, iso.bad[i], &iso.why[i], &waiting, err);
    }
    if (rc == KM_OK && waiting) {
        rc = km_err_set(err, KM_RETRY,
                        "%zu stream entries failed and stay pending for another "
                        "attempt (first: %s)",
                        iso.n_bad, iso.why[0].msg);
    }
    free(iso.bad);
    free(iso.why);
    return rc;
}

/* The caller's work after a batch or when idle (km_tickets_opts.after). */
static int tk_after(struct tk_state *s, size_t stored, struct km_err *err)
{
    if (s->o->after == NULL) {
        return KM_OK;
    }
    int rc = s->o->after(s->o->after_ctx, s->db, stored, err);
    s->db_failed = s->db_failed || rc == KM_RETRY;
    return rc;
}

static void *tk_decode_thread(void *arg)
{
    struct tk_ahead *a = arg;
    a->rows = km_db_rows_decode(a->e, a->n, a->places, a->places_gen);
    return NULL;
}

/* Reads the next batch of new entries without waiting and starts decoding it. Only new
 * entries: the pending list would hand out the current batch again. After a failed read
 * (its reply may have been lost after Redis delivered entries) the next step drains this
 * consumer's pending list, and reports the error if Redis is still in trouble. */
static void tk_ahead_start(struct tk_state *s)
{
    struct tk_ahead *a = &s->ahead;
    struct km_err rerr = {{0}};
    int rc = km_queue_read_group(s->q, s->group, s->o->consumer, false, s->batch, 0, &a->e, &a->n,
                                 &rerr);
    if (rc != KM_OK) {
        KM_SLOG_DEBUG(TK_SCOPE, "reading ahead failed: %s", rerr.msg);
        s->pending = true;
    }
    if (rc != KM_OK || a->n == 0) {
        km_stream_entries_free(a->e, a->n);
        a->e = NULL;
        a->n = 0;
        return;
    }
    a->places = km_db_places(s->db);
    a->places_gen = km_db_places_gen(s->db);
    a->running = pthread_create(&a->thread, NULL, tk_decode_thread, a) == 0;
    if (!a->running) {
        tk_decode_thread(a);
    }
}

/* Waits for the decoder: before the places it reads can change (tk_after()). */
static void tk_ahead_join(struct tk_state *s)
{
    if (s->ahead.running) {
        pthread_join(s->ahead.thread, NULL);
        s->ahead.running = false;
    }
}

/* Forgets the batch read ahead (after a failure: it is still pending in Redis). */
static void tk_ahead_drop(struct tk_state *s)
{
    tk_ahead_join(s);
    km_db_rows_free(s->ahead.rows);
    km_stream_entries_free(s->ahead.e, s->ahead.n);
    memset(&s->ahead, 0, sizeof(s->ahead));
}

/* The batch to store: the one read ahead (*rows decoded), else one read now (*rows NULL). */
static int tk_read(struct tk_state *s, bool once, struct km_stream_entry **e, size_t *n,
                   struct km_db_rows **rows, struct km_err *err)
{
    *rows = NULL;
    if (s->ahead.e != NULL) {
        tk_ahead_join(s);
        *e = s->ahead.e;
        *n = s->ahead.n;
        *rows = s->ahead.rows;
        memset(&s->ahead, 0, sizeof(s->ahead));
        return KM_OK;
    }
    int64_t block = s->pending || once ? 0 : s->block_ms;
    return km_queue_read_group(s->q, s->group, s->o->consumer, s->pending, s->batch, block, e, n,
                               err);
}

/* Reads and stores one batch. *idle tells that no new entry was available. */
static int tk_step(struct tk_state *s, bool once, bool *idle, struct km_err *err)
{
    struct km_stream_entry *e = NULL;
    struct km_db_rows *rows = NULL;
    size_t n = 0;
    *idle = false;
    int rc = tk_prepare(s, err);
    if (rc != KM_OK) {
        goto out;
    }
    rc = tk_read(s, once, &e, &n, &rows, err);
    if (rc != KM_OK) {
        goto out;
    }
    if (n == 0) {
        *idle = !s->pending;
        s->pending = false; /* own pending list drained: continue with new entries */
        rc = tk_after(s, 0, err);
        goto out;
    }
    if (!s->pending) {
        tk_ahead_start(s);
    }
    unsigned long long before = atomic_load(&s->stats->stored);
    rc = tk_store(s, e, n, rows, err);
    tk_ahead_join(s);
    if (rc == KM_OK) {
        rc = tk_after(s, (size_t)(atomic_load(&s->stats->stored) - before), err);
    }
out:
    if (rc != KM_OK) {
        tk_ahead_drop(s);
    }
    km_db_rows_free(rows);
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
    s.claim_idle_ms = o->claim_idle_ms > 0 ? o->claim_idle_ms : KM_TICKETS_CLAIM_IDLE_MS;
    s.max_deliveries = o->max_deliveries > 0 ? o->max_deliveries : KM_TICKETS_MAX_DELIVERIES;
    s.stats = o->stats != NULL ? o->stats : &s.own_stats;
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
    tk_ahead_drop(&s);
    km_queue_free(s.q);
    km_db_free(s.db);
    if (rc != KM_OK && err != NULL) {
        *err = local;
    }
    return rc;
}
