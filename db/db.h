/* PostgreSQL, the system of record: connection, schema migrations and the idempotent
 * batch insert of posts read from the stream.
 *
 * Every query goes through PQexecParams/PQexecPrepared with parameters; the only SQL text
 * run as-is are the migrations compiled into the binary (db/migrations/NNN_name.sql).
 * A km_db wraps one connection: not thread-safe, one per thread. After KM_RETRY the
 * connection may be gone: free the handle and connect again (the tickets role does). */
#ifndef KM_DB_DB_H
#define KM_DB_DB_H

#include "common/err.h"
#include "queue/queue.h"

#include <libpq-fe.h>

#include <stddef.h>

struct km_db;

/* Connects with a libpq conninfo string ("host=... port=... dbname=..." or a
 * postgresql:// URI). A connect_timeout of 10 s applies unless conninfo sets one.
 * Returns KM_OK with *out (free with km_db_free()), KM_EINPUT for a malformed conninfo or
 * KM_RETRY when the server cannot be reached or refuses the login (err says why). */
int km_db_connect(const char *conninfo, struct km_db **out, struct km_err *err);
/* Closes the connection and frees db; NULL is ignored. */
void km_db_free(struct km_db *db);

struct km_places;

/* Makes every batch stored from now on carry each post's place as km_places_find() finds
 * it in places (borrowed: it must stay valid until the next call or km_db_free(); NULL
 * stops it), which must be what the places table holds (km_places_sync()). Without it the
 * posts_set_place trigger computes the place in PostgreSQL, ~100 µs a post. */
void km_db_set_places(struct km_db *db, const struct km_places *places);

/* Counts the changes of km_db_set_places(): rows decoded under another count are placed
 * again before they are stored. */
unsigned long km_db_places_gen(const struct km_db *db);

/* The places of km_db_set_places() (borrowed), or NULL. */
const struct km_places *km_db_places(const struct km_db *db);

/* The underlying connection, borrowed (valid until km_db_free()), for modules that run
 * their own parameterised queries. */
PGconn *km_db_conn(struct km_db *db);

/* Applies every embedded migration (km_migrations[]) newer than the database's version,
 * each in its own transaction together with its schema_migrations row, under a session
 * advisory lock so that concurrent migrators wait for each other. Idempotent. *applied
 * (may be NULL) gets how many were applied now. Returns KM_OK, KM_RETRY (connection
 * lost) or KM_ERR (a migration failed; it is rolled back and err names it). */
int km_db_migrate(struct km_db *db, int *applied, struct km_err *err);

/* Reads the version the database is at (*current, 0 if never migrated) and the newest
 * version this build carries (*latest). Either pointer may be NULL. */
int km_db_schema_status(struct km_db *db, int *current, int *latest, struct km_err *err);

/* Outcome of a batch insert; inserted + duplicates + rejected + escalated == entries
 * given. */
struct km_db_counts {
    size_t inserted;   /* new rows in posts */
    size_t duplicates; /* (network, post_id) already stored (an escalation that changes
                          nothing, e.g. applied before, counts here too) */
    size_t rejected;   /* undecodable or refused by PostgreSQL: stored in rejected_entries */
    size_t escalated;  /* escalation entries that raised a stored post's priority */
    size_t splits;     /* times a failing part of the batch was halved to isolate the rows
                          PostgreSQL refuses (0 on the normal path; not an entry count) */
};

/* Stores n stream entries in ONE transaction, idempotently (a (network, post_id) already
 * present is counted as a duplicate). The posts go in with one multi-row INSERT per batch
 * (escalation entries, rare, one by one between them) and the incidents they join are
 * locked and recounted with one statement each, so a batch costs a handful of round trips
 * whatever its size. The triage of a scored post (v 2) fills the triage
 * columns (NULL for a post not scored, v 1) and, when the post has an incident, creates or
 * recounts that incidents row (posts, authors, first/last seen, highest priority) and
 * links the original the post duplicates to it. An escalation entry (field escalation=1)
 * updates the stored post's priority, urgency, reasons, SLA and post JSON instead of
 * inserting it, only if that raises its priority (or keeps it without lowering urgency)
 * and changes something; if the post was never stored it is inserted. Each entry's "post"
 * JSON is decoded; text
 * PostgreSQL would refuse (NUL, invalid UTF-8) is repaired first and the jsonb column gets
 * the re-encoded, repaired post. An entry that cannot be decoded, or whose row PostgreSQL
 * refuses for any reason but a connection, server-resource or schema problem (invalid data,
 * a constraint, a size limit such as SQLSTATE 54000 for an over-long post_id), does not
 * abort the batch: the batch is redone in halves (savepoints, recursively) until that row
 * is alone, and it goes to rejected_entries with its stream id, a reason (with the
 * SQLSTATE) and the raw text, is logged once, and counts as rejected. After KM_OK every
 * entry is durably accounted for and may be acknowledged. Returns KM_OK, KM_RETRY
 * (PostgreSQL unreachable or short of resources: nothing committed) or KM_ERR (e.g. schema
 * missing or privilege revoked: nothing committed). */
int km_db_insert_posts(struct km_db *db, const struct km_stream_entry *entries, size_t n,
                       struct km_db_counts *counts, struct km_err *err);

/* km_db_insert_posts() of a batch decoded beforehand (db/rows.h), e.g. on another thread
 * while the previous batch was stored. Rows decoded with other places than db's current
 * ones (km_db_places_gen()) are placed again first. The rows may be changed (a refused
 * row gets its reason); free them with km_db_rows_free() after this call. */
struct km_db_rows;
int km_db_store_rows(struct km_db *db, struct km_db_rows *rows, struct km_db_counts *counts,
                     struct km_err *err);

#endif
