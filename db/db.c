/* PostgreSQL access for komek (see db.h): connection, migrations, idempotent batch insert. */
#include "db/db.h"

#include "common/alloc.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/time.h"
#include "common/utf8.h"
#include "db/migrations.h"
#include "db/places.h"
#include "db/rows.h"
#include "db/sql.h"
#include "db/textarr.h"
#include "parser/post.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Seconds libpq may spend connecting; without it a host that drops packets blocks the
 * tickets role forever instead of letting it back off and retry. */
#define DB_CONNECT_TIMEOUT "10"
/* Key of the session advisory lock that serialises concurrent `komekctl migrate` runs
 * ("komek" in ASCII). */
#define DB_LOCK_KEY "461430941035"
/* Latest instant written as a timestamp (9999-12-31T23:59:59.999Z): later values from a
 * broken payload would be refused by PostgreSQL's input and abort the whole batch. */
#define DB_MAX_TS_MS 253402300799999LL
/* The columns a stored post gets from its entry, in the order of db_row_values(). */
#define DB_POST_PARAMS 27
#define DB_POST_COLUMNS                                                                            \
    "network, post_id, source, author_id, author_name, author_handle, chat_id, chat_title, "       \
    "url, text, lang, created_at, collected_at, hashtags, reply_to, post, stream_id, "             \
    "category, urgency, priority, reasons, sla_due, agency, fingerprint, incident, dup_of, "       \
    "place"

static const char DB_SQL_INSERT_POST[] =
    "INSERT INTO posts (" DB_POST_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
    "$12::timestamptz, $13::timestamptz, $14::text[], $15, $16::jsonb, $17, $18, "
    "$19::smallint, $20::smallint, $21::text[], $22::timestamptz, $23, $24, $25, $26, $27) "
    "ON CONFLICT (network, post_id) DO NOTHING";

/* An escalation entry: the stored post takes the re-scored triage if that raises its
 * priority (or keeps it and does not lower its urgency) and changes something, so applying
 * the same entry again updates nothing. */
#define DB_ESCALATE_PARAMS 12
static const char DB_SQL_ESCALATE_POST[] =
    "UPDATE posts SET priority = $3::smallint, urgency = $4::smallint, reasons = $5::text[], "
    "sla_due = coalesce($6::timestamptz, sla_due), category = coalesce($7, category), "
    "agency = coalesce($8, agency), incident = coalesce(incident, $9), "
    "dup_of = coalesce(dup_of, $10), post = $11::jsonb, "
    "fingerprint = coalesce(fingerprint, $12), escalated_at = now() "
    "WHERE network = $1 AND post_id = $2 AND (priority IS NULL OR priority > $3::smallint OR "
    "(priority = $3::smallint AND coalesce(urgency, -1) <= $4::smallint)) AND "
    "(priority, urgency, reasons) IS DISTINCT FROM ($3::smallint, $4::smallint, $5::text[])";

/* Creates the incident row if needed and locks it until COMMIT, so that the recount that
 * follows (a new snapshot under READ COMMITTED) sees every post a concurrent tickets
 * consumer committed for it. The placeholder values are replaced by the recount. "WHERE
 * false" still locks an existing row but writes no new version of it. */
static const char DB_SQL_INCIDENT_LOCK[] =
    "INSERT INTO incidents (id, first_seen, last_seen) VALUES ($1, now(), now()) "
    "ON CONFLICT (id) DO UPDATE SET updated_at = now() WHERE false";

/* The original a duplicate names ("network:post_id") joins the duplicate's incident if it
 * has none yet: triage knows the incident only once the second report arrives. */
static const char DB_SQL_INCIDENT_LINK[] =
    "UPDATE posts SET incident = $1 WHERE network = split_part($2, ':', 1) AND "
    "post_id = substr($2, strpos($2, ':') + 1) AND incident IS NULL";

/* Recomputes an incident from its posts, exactly (migration 009's incident_recount()),
 * and the incident the post ($3, $4) is in if that is another one (the desk moved it); $2
 * tells that an escalation caused it. */
static const char DB_SQL_INCIDENT_RECOUNT[] =
    "SELECT incident_recount(ARRAY[$1::text, (SELECT incident FROM posts WHERE network = $3 "
    "AND post_id = $4)], $2::boolean)";

/* The posts of a run of plain entries (see db_store_run()) in one statement: each column
 * comes as one binary text[] parameter (db/textarr.h), in DB_POST_COLUMNS' order, so a
 * batch is one round trip whatever its size and nothing is quoted or parsed twice.
 * ON CONFLICT DO NOTHING also drops the second of two entries of one post in the same
 * batch; ORDER BY keeps the first. The returned stream ids tell which rows are new. */
static const char DB_SQL_INSERT_RUN[] =
    "INSERT INTO posts (" DB_POST_COLUMNS ") SELECT network, post_id, source, author_id, "
    "author_name, author_handle, chat_id, chat_title, url, text, lang, "
    "created_at::timestamptz, collected_at::timestamptz, hashtags::text[], reply_to, "
    "post::jsonb, stream_id, category, urgency::smallint, priority::smallint, "
    "reasons::text[], sla_due::timestamptz, agency, fingerprint, incident, dup_of, place "
    "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], "
    "$7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], "
    "$14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[], "
    "$20::text[], $21::text[], $22::text[], $23::text[], $24::text[], $25::text[], "
    "$26::text[], $27::text[]) WITH ORDINALITY AS x(" DB_POST_COLUMNS ", i) "
    "ORDER BY i ON CONFLICT (network, post_id) DO NOTHING RETURNING stream_id";

/* DB_SQL_INCIDENT_LOCK and DB_SQL_INCIDENT_LINK for every incident a run's new posts joined
 * ($1) and the originals they duplicate ($2, NULL for none; the first entry naming an
 * original wins); returns the originals linked. Rows are locked in id order so that two
 * consumers cannot deadlock on them. The count (a separate statement: a new snapshot
 * after the locks) follows. */
static const char DB_SQL_INCIDENTS_LOCK_LINK[] =
    "WITH l AS (INSERT INTO incidents (id, first_seen, last_seen) SELECT DISTINCT id, now(), "
    "now() FROM unnest($1::text[]) AS u(id) ORDER BY id ON CONFLICT (id) DO UPDATE SET "
    "updated_at = now() WHERE false RETURNING id) UPDATE posts p SET incident = x.inc FROM (SELECT "
    "DISTINCT ON (dup) inc, dup FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS "
    "u(inc, dup, o) WHERE dup IS NOT NULL ORDER BY dup, o) x WHERE p.network = "
    "split_part(x.dup, ':', 1) AND p.post_id = substr(x.dup, strpos(x.dup, ':') + 1) AND "
    "p.incident IS NULL RETURNING p.network || ':' || p.post_id";

/* Counts the posts that joined their incidents in a run ($1: "network:post_id" of the new
 * rows and of the originals linked; $2: their incidents): incremental (migration 009), so
 * a batch costs the same whatever the size of its incidents. */
static const char DB_SQL_INCIDENTS_ADD[] = "SELECT incident_members_add($1::text[], $2::text[])";

/* Statements prepared once per connection. */
static const struct {
    const char *name, *sql;
    int n;
} db_statements[] = {
    {"km_insert_post", DB_SQL_INSERT_POST, DB_POST_PARAMS},
    {"km_escalate_post", DB_SQL_ESCALATE_POST, DB_ESCALATE_PARAMS},
    {"km_incident_lock", DB_SQL_INCIDENT_LOCK, 1},
    {"km_incident_link", DB_SQL_INCIDENT_LINK, 2},
    {"km_incident_recount", DB_SQL_INCIDENT_RECOUNT, 4},
    {"km_insert_run", DB_SQL_INSERT_RUN, DB_POST_PARAMS},
    {"km_incidents_lock_link", DB_SQL_INCIDENTS_LOCK_LINK, 2},
    {"km_incidents_add", DB_SQL_INCIDENTS_ADD, 2},
};

static const char DB_SQL_INSERT_REJECT[] =
    "INSERT INTO rejected_entries (stream_id, reason, raw) VALUES ($1, $2, $3) "
    "ON CONFLICT (stream_id) DO NOTHING";

struct km_db {
    PGconn *conn;
    bool prepared;                  /* db_statements[] are prepared on this connection */
    const struct km_places *places; /* km_db_set_places(), borrowed */
    unsigned long places_gen;       /* counts the changes of places */
};

void km_db_set_places(struct km_db *db, const struct km_places *places)
{
    if (db->places != places) {
        db->places = places;
        db->places_gen++;
    }
}

unsigned long km_db_places_gen(const struct km_db *db)
{
    return db->places_gen;
}

const struct km_places *km_db_places(const struct km_db *db)
{
    return db->places;
}

/* ---- results and errors -------------------------------------------------------------- */

/* Checks res; on failure fills err with "postgresql: what: first line of the message
 * (SQLSTATE xxxxx)". */
static int db_check(struct km_db *db, const PGresult *res, const char *what, struct km_err *err)
{
    int rc = km_sql_code(db->conn, res);
    if (rc != KM_OK) {
        const char *msg = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
        const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
        if (msg == NULL || msg[0] == '\0') {
            msg = PQerrorMessage(db->conn);
        }
        km_err_set(err, rc, "postgresql: %s: %.*s%s%s%s", what, (int)strcspn(msg, "\n"), msg,
                   state != NULL ? " (SQLSTATE " : "", state != NULL ? state : "",
                   state != NULL ? ")" : "");
    }
    return rc;
}

/* Classifies a failed insert of one row by the code db_check() gave it. Besides invalid
 * data (KM_EINPUT already), anything that is not temporary (KM_RETRY) is the row's fault
 * too, e.g. SQLSTATE 54000 for a post_id longer than the btree index row limit: KM_EINPUT,
 * so the row is rejected instead of failing the batch forever. Not so the classes no row
 * can cause: 42 (table or column missing, privilege revoked), 25 (transaction state) and
 * 26 (prepared statement missing) stay KM_ERR, or every entry would end up rejected. */
static int db_row_code(const PGresult *res, int rc)
{
    const char *s = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (rc != KM_ERR || s == NULL) {
        return rc;
    }
    if (strncmp(s, "42", 2) == 0 || strncmp(s, "25", 2) == 0 || strncmp(s, "26", 2) == 0) {
        return KM_ERR;
    }
    return KM_EINPUT;
}

/* Runs one parameterised statement (text parameters, NULL = SQL NULL). On KM_OK and out !=
 * NULL, *out is the result (PQclear it). */
static int db_exec(struct km_db *db, const char *sql, int n, const char *const *vals,
                   PGresult **out, const char *what, struct km_err *err)
{
    PGresult *res = PQexecParams(db->conn, sql, n, NULL, vals, NULL, NULL, 0);
    int rc = db_check(db, res, what, err);
    if (rc == KM_OK && out != NULL) {
        *out = res;
        res = NULL;
    }
    PQclear(res);
    return rc;
}

/* Ends a failed transaction if the connection still lives; the error is already reported. */
static void db_rollback(struct km_db *db)
{
    if (PQstatus(db->conn) == CONNECTION_OK) {
        PQclear(PQexecParams(db->conn, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0));
    }
}

/* Re-establishes a connection that was lost since the last call. */
static int db_ensure(struct km_db *db, struct km_err *err)
{
    if (PQstatus(db->conn) == CONNECTION_OK) {
        return KM_OK;
    }
    PQreset(db->conn);
    db->prepared = false;
    if (PQstatus(db->conn) != CONNECTION_OK) {
        const char *msg = PQerrorMessage(db->conn);
        return km_err_set(err, KM_RETRY, "postgresql: reconnect: %.*s", (int)strcspn(msg, "\n"),
                          msg);
    }
    return KM_OK;
}

/* ---- connection ---------------------------------------------------------------------- */

/* Server notices ("relation already exists, skipping") go to the debug log, not stderr. */
static void db_notice(void *arg, const char *msg)
{
    (void)arg;
    KM_SLOG_DEBUG("db", "%.*s", (int)strcspn(msg, "\n"), msg);
}

int km_db_connect(const char *conninfo, struct km_db **out, struct km_err *err)
{
    struct km_db *db = NULL;
    char *perr = NULL;
    int rc = KM_OK;
    const char *info = conninfo != NULL ? conninfo : "";
    PQconninfoOption *opts = PQconninfoParse(info, &perr);
    if (opts == NULL) {
        const char *why = perr != NULL ? perr : "out of memory";
        rc = km_err_set(err, KM_EINPUT, "postgresql: bad conninfo: %.*s", (int)strcspn(why, "\n"),
                        why);
        goto out;
    }
    /* Keywords after the expanded dbname override it: the client encoding is forced to
     * UTF-8 because every string komek sends is UTF-8; the timeout is only a default. */
    const char *keys[] = {"connect_timeout", "fallback_application_name", "dbname",
                          "client_encoding", NULL};
    const char *vals[] = {DB_CONNECT_TIMEOUT, "komek", info, "UTF8", NULL};
    db = km_calloc(1, sizeof(*db));
    db->conn = PQconnectdbParams(keys, vals, 1);
    if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
        const char *msg = db->conn != NULL ? PQerrorMessage(db->conn) : "out of memory";
        rc = km_err_set(err, KM_RETRY, "postgresql: connect: %.*s", (int)strcspn(msg, "\n"), msg);
        goto out;
    }
    PQsetNoticeProcessor(db->conn, db_notice, NULL);
out:
    PQconninfoFree(opts);
    PQfreemem(perr);
    if (rc != KM_OK) {
        km_db_free(db);
        db = NULL;
    }
    *out = db;
    return rc;
}

void km_db_free(struct km_db *db)
{
    if (db == NULL) {
        return;
    }
    PQfinish(db->conn);
    free(db);
}

PGconn *km_db_conn(struct km_db *db)
{
    return db->conn;
}

/* ---- migrations ---------------------------------------------------------------------- */

/* Newest embedded version; KM_ERR if the table is not strictly increasing. */
static int db_latest(int *latest, struct km_err *err)
{
    int v = 0;
    for (const struct km_migration *m = km_migrations; m->name != NULL; m++) {
        if (m->version <= v) {
            return km_err_set(err, KM_ERR, "migration %s: version %d is not above %d", m->name,
                              m->version, v);
        }
        v = m->version;
    }
    *latest = v;
    return KM_OK;
}

/* Version recorded in schema_migrations; 0 when the table does not exist yet. */
static int db_current(struct km_db *db, int *current, struct km_err *err)
{
    PGresult *res = NULL;
    *current = 0;
    int rc = db_exec(db, "SELECT to_regclass('schema_migrations') IS NOT NULL", 0, NULL, &res,
                     "schema version", err);
    bool exists = rc == KM_OK && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    res = NULL;
    if (exists) {
        rc = db_exec(db, "SELECT coalesce(max(version), 0) FROM schema_migrations", 0, NULL, &res,
                     "schema version", err);
    }
    if (exists && rc == KM_OK) {
        *current = atoi(PQgetvalue(res, 0, 0));
    }
    PQclear(res);
    return rc;
}

/* Applies one migration and records it, in one transaction. */
static int db_apply(struct km_db *db, const struct km_migration *m, struct km_err *err)
{
    int rc = db_exec(db, "BEGIN", 0, NULL, NULL, "begin", err);
    if (rc == KM_OK) {
        /* A migration is SQL text compiled into the binary, not built from any input; it
         * may hold several statements, which only PQexec accepts. */
        PGresult *res = PQexec(db->conn, m->sql);
        rc = db_check(db, res, m->name, err);
        PQclear(res);
    }
    if (rc == KM_OK) {
        char ver[16];
        snprintf(ver, sizeof(ver), "%d", m->version);
        const char *vals[2] = {ver, m->name};
        rc = db_exec(db, "INSERT INTO schema_migrations (version, name) VALUES ($1::int, $2)", 2,
                     vals, NULL, m->name, err);
    }
    if (rc == KM_OK) {
        rc = db_exec(db, "COMMIT", 0, NULL, NULL, m->name, err);
    }
    if (rc != KM_OK) {
        db_rollback(db);
        return rc == KM_RETRY ? KM_RETRY : KM_ERR;
    }
    KM_SLOG_INFO("db", "applied migration %s", m->name);
    return KM_OK;
}

int km_db_migrate(struct km_db *db, int *applied, struct km_err *err)
{
    bool locked = false;
    int count = 0, current = 0, latest = 0;
    int rc = db_latest(&latest, err);
    if (rc == KM_OK) {
        rc = db_ensure(db, err);
    }
    if (rc == KM_OK) {
        const char *key[1] = {DB_LOCK_KEY};
        rc = db_exec(db, "SELECT pg_advisory_lock($1::bigint)", 1, key, NULL, "lock", err);
        locked = rc == KM_OK;
    }
    if (rc == KM_OK) {
        rc = db_exec(db,
                     "CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, "
                     "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
                     0, NULL, NULL, "schema_migrations", err);
    }
    if (rc == KM_OK) {
        rc = db_current(db, &current, err);
    }
    for (const struct km_migration *m = km_migrations; rc == KM_OK && m->name != NULL; m++) {
        if (m->version > current) {
            rc = db_apply(db, m, err);
            count += rc == KM_OK;
        }
    }
    if (locked && PQstatus(db->conn) == CONNECTION_OK) {
        const char *key[1] = {DB_LOCK_KEY};
        PQclear(PQexecParams(db->conn, "SELECT pg_advisory_unlock($1::bigint)", 1, NULL, key, NULL,
                             NULL, 0));
    }
    if (applied != NULL) {
        *applied = count;
    }
    return rc;
}

int km_db_schema_status(struct km_db *db, int *current, int *latest, struct km_err *err)
{
    int cur = 0, lat = 0;
    int rc = db_latest(&lat, err);
    if (rc == KM_OK) {
        rc = db_ensure(db, err);
    }
    if (rc == KM_OK) {
        rc = db_current(db, &cur, err);
    }
    if (current != NULL) {
        *current = cur;
    }
    if (latest != NULL) {
        *latest = lat;
    }
    return rc;
}

/* ---- inserting ----------------------------------------------------------------------- */

/* Appends a text[] literal {"a","b",NULL} of items (NULL items are SQL NULL) to b. */
/* Appends s escaped for a double-quoted element of a text[] literal. */
static void db_array_str(struct km_buf *b, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\') {
            km_buf_putc(b, '\\');
        }
        km_buf_putc(b, *s);
    }
}

/* Appends the element "head:tail" (or "head" when tail is NULL) of a text[] literal. */
static void db_array_item2(struct km_buf *b, const char *head, const char *tail)
{
    km_buf_putc(b, '"');
    db_array_str(b, head);
    if (tail != NULL) {
        km_buf_putc(b, ':');
        db_array_str(b, tail);
    }
    km_buf_putc(b, '"');
}

static void db_text_array(struct km_buf *b, char *const *items, size_t n)
{
    km_buf_putc(b, '{');
    for (size_t i = 0; i < n; i++) {
        km_buf_puts(b, i > 0 ? "," : "");
        if (items[i] == NULL) {
            km_buf_puts(b, "NULL");
        } else {
            db_array_item2(b, items[i], NULL);
        }
    }
    km_buf_putc(b, '}');
}

/* Formats a timestamp parameter; NULL (SQL NULL) when unknown or out of range. */
static const char *db_ts(int64_t ms, char *out, size_t size)
{
    if (ms <= 0 || ms > DB_MAX_TS_MS) {
        return NULL;
    }
    return km_time_format_rfc3339(ms, out, size);
}

/* A post's formatted column values (text parameters; NULL is SQL NULL). */
struct db_params {
    char created[40], collected[40], sla_due[40], urgency[16], prio[4];
    const char *created_at, *collected_at, *sla, *urg, *priority, *reasons;
    struct km_buf tags, reason_buf;
};

/* Formats p's columns into x; release with db_params_free(). A post triage has not scored
 * gets NULL in every triage column. */
static void db_params_init(struct db_params *x, const struct km_post *p)
{
    const struct km_post_triage *t = &p->triage;
    memset(x, 0, sizeof(*x));
    x->created_at = db_ts(p->created_at, x->created, sizeof(x->created));
    x->collected_at = db_ts(p->collected_at, x->collected, sizeof(x->collected));
    db_text_array(&x->tags, p->hashtags, p->n_hashtags);
    if (!t->scored) {
        return;
    }
    x->sla = db_ts(t->sla_due, x->sla_due, sizeof(x->sla_due));
    snprintf(x->urgency, sizeof(x->urgency), "%d",
             t->urgency < 0     ? 0
             : t->urgency > 100 ? 100
                                : t->urgency);
    x->urg = x->urgency;
    if (t->priority >= 1 && t->priority <= 4) {
        snprintf(x->prio, sizeof(x->prio), "%d", t->priority);
        x->priority = x->prio;
    }
    db_text_array(&x->reason_buf, t->reasons, t->n_reasons);
    x->reasons = x->reason_buf.data;
}

static void db_params_free(struct db_params *x)
{
    km_buf_free(&x->tags);
    km_buf_free(&x->reason_buf);
}

/* Runs prepared statement stmt for one row. *changed (may be NULL) tells whether it
 * touched a row. KM_EINPUT: the row's data is refused (db_row_code()); KM_RETRY: the
 * connection or server is in trouble. */
static int db_run(struct km_db *db, const char *stmt, int n, const char *const *vals, bool *changed,
                  struct km_err *err)
{
    PGresult *res = PQexecPrepared(db->conn, stmt, n, vals, NULL, NULL, 0);
    int rc = db_row_code(res, db_check(db, res, stmt, err));
    if (rc == KM_OK && changed != NULL) {
        *changed = strcmp(PQcmdTuples(res), "0") != 0;
    }
    PQclear(res);
    return rc;
}

/* The values of row r for the columns of DB_SQL_INSERT_POST and DB_SQL_INSERT_RUN (the
 * same order), x its formatted ones (borrowed by vals). A post triage has not scored gets
 * NULL in every triage column; an unplaced row gets a NULL place (the trigger finds it). */
static void db_row_values(const struct km_db_row *r, const struct db_params *x,
                          const char *vals[DB_POST_PARAMS])
{
    const struct km_post *p = r->post;
    const struct km_post_triage *t = &p->triage;
    bool s = t->scored;
    const char *v[DB_POST_PARAMS] = {p->network,
                                     p->id,
                                     p->source != NULL ? p->source : "",
                                     p->author.id,
                                     p->author.name,
                                     p->author.handle,
                                     p->chat.id,
                                     p->chat.title,
                                     p->url,
                                     p->text != NULL ? p->text : "",
                                     p->lang,
                                     x->created_at,
                                     x->collected_at,
                                     x->tags.data,
                                     p->reply_to,
                                     r->json,
                                     r->e->id,
                                     s ? t->category : NULL,
                                     x->urg,
                                     x->priority,
                                     x->reasons,
                                     x->sla,
                                     s ? t->agency : NULL,
                                     s ? t->fingerprint : NULL,
                                     s ? t->incident : NULL,
                                     s ? t->dup_of : NULL,
                                     r->place};
    memcpy(vals, v, sizeof(v));
}

/* INSERT ... ON CONFLICT DO NOTHING of the row; *fresh tells whether it was new. */
static int db_insert_post(struct km_db *db, const struct km_db_row *r, const struct db_params *x,
                          bool *fresh, struct km_err *err)
{
    const char *vals[DB_POST_PARAMS];
    db_row_values(r, x, vals);
    return db_run(db, "km_insert_post", DB_POST_PARAMS, vals, fresh, err);
}

/* Applies an escalation entry to the stored post; *applied is false when there is no such
 * post or it already has this (or a higher) priority. */
static int db_escalate_post(struct km_db *db, const struct km_db_row *r, const struct db_params *x,
                            bool *applied, struct km_err *err)
{
    const struct km_post *p = r->post;
    const struct km_post_triage *t = &p->triage;
    const char *vals[DB_ESCALATE_PARAMS] = {p->network,  p->id,     x->priority, x->urg,
                                            x->reasons,  x->sla,    t->category, t->agency,
                                            t->incident, t->dup_of, r->json,     t->fingerprint};
    return db_run(db, "km_escalate_post", DB_ESCALATE_PARAMS, vals, applied, err);
}

/* Brings incident id up to date after post p of it was stored or escalated: creates and
 * locks its row, links the original the post duplicates (dup_of, may be NULL), then
 * recounts it (and the incident p is stored in, if another) from its posts. */
static int db_incident_update(struct km_db *db, const struct km_post *p, const char *id,
                              const char *dup_of, bool escalated, struct km_err *err)
{
    const char *lock[1] = {id};
    int rc = db_run(db, "km_incident_lock", 1, lock, NULL, err);
    if (rc == KM_OK && dup_of != NULL) {
        const char *link[2] = {id, dup_of};
        rc = db_run(db, "km_incident_link", 2, link, NULL, err);
    }
    if (rc == KM_OK) {
        const char *recount[4] = {id, escalated ? "true" : "false", p->network, p->id};
        rc = db_run(db, "km_incident_recount", 4, recount, NULL, err);
    }
    return rc;
}

/* Stores one decoded row and counts it: an escalation entry updates the stored post (and
 * is inserted like any other entry if that post was never stored); anything else is
 * inserted, or found to be a duplicate. A post that joined or raised an incident then
 * updates the incident. Counts change only when every statement succeeded. */
static int db_insert_row(struct km_db *db, const struct km_db_row *r, struct km_db_counts *c,
                         struct km_err *err)
{
    const struct km_post_triage *t = &r->post->triage;
    struct db_params x;
    db_params_init(&x, r->post);
    bool escalated = false, fresh = false;
    int rc = KM_OK;
    if (r->e->escalation && x.priority != NULL) {
        rc = db_escalate_post(db, r, &x, &escalated, err);
    }
    if (rc == KM_OK && !escalated) {
        rc = db_insert_post(db, r, &x, &fresh, err);
    }
    if (rc == KM_OK && (fresh || escalated) && t->scored && t->incident != NULL) {
        rc = db_incident_update(db, r->post, t->incident, t->dup_of, escalated, err);
    }
    if (rc == KM_OK) {
        c->escalated += escalated;
        c->inserted += fresh;
        c->duplicates += !fresh && !escalated;
    }
    db_params_free(&x);
    return rc;
}

/* Records a rejected entry (idempotently, by stream id) and counts it. */
static int db_insert_reject(struct km_db *db, struct km_db_row *r, struct km_db_counts *c,
                            struct km_err *err)
{
    const struct km_stream_entry *e = r->e;
    char *raw = e->post_json != NULL ? km_utf8_clean(e->post_json, e->post_len, NULL) : NULL;
    const char *why = r->reason != NULL ? r->reason : "entry has no post";
    char *reason = km_utf8_clean(why, strlen(why), NULL);
    const char *vals[3] = {e->id, reason, raw};
    PGresult *res = NULL;
    int rc = db_exec(db, DB_SQL_INSERT_REJECT, 3, vals, &res, "insert rejected entry", err);
    if (rc == KM_OK) {
        r->recorded = strcmp(PQcmdTuples(res), "1") == 0;
        c->rejected++;
    }
    PQclear(res);
    free(raw);
    free(reason);
    return rc == KM_EINPUT ? KM_ERR : rc;
}

/* Adds the counts of part to c. */
static void db_counts_add(struct km_db_counts *c, const struct km_db_counts *part)
{
    c->inserted += part->inserted;
    c->duplicates += part->duplicates;
    c->rejected += part->rejected;
    c->escalated += part->escalated;
    c->splits += part->splits;
}

/* Whether decoded row r goes into the multi-row insert: anything but an escalation entry
 * to apply (one whose post triage did not band is stored like any other, as
 * db_insert_row() does). */
static bool db_row_plain(const struct km_db_row *r)
{
    if (r->post == NULL) {
        return true; /* undecodable: it has a reason and goes to rejected_entries */
    }
    const struct km_post_triage *t = &r->post->triage;
    return !r->e->escalation || !t->scored || t->priority < 1 || t->priority > 4;
}

/* Appends row r to the run's columns (DB_POST_COLUMNS' order): the same values
 * db_insert_post() binds, and its place when it was placed (its name, or "" for none: the
 * trigger then keeps it rather than computing it). */
static void db_run_row(struct km_textarr *col, const struct km_db_row *r)
{
    struct db_params x;
    db_params_init(&x, r->post);
    const char *vals[DB_POST_PARAMS];
    db_row_values(r, &x, vals);
    for (size_t k = 0; k < DB_POST_PARAMS; k++) {
        km_textarr_add(&col[k], vals[k]);
    }
    db_params_free(&x);
}

/* Runs DB_SQL_INSERT_RUN with the columns col[DB_POST_PARAMS]; *res as PQexecPrepared's. */
static PGresult *db_run_exec(struct km_db *db, struct km_textarr *col)
{
    const char *vals[DB_POST_PARAMS];
    int lens[DB_POST_PARAMS], formats[DB_POST_PARAMS];
    for (size_t k = 0; k < DB_POST_PARAMS; k++) {
        vals[k] = km_textarr_data(&col[k]);
        lens[k] = km_textarr_len(&col[k]);
        formats[k] = 1;
    }
    return PQexecPrepared(db->conn, "km_insert_run", DB_POST_PARAMS, vals, lens, formats, 0);
}

/* A stream id and the row it belongs to, for finding the rows an INSERT returned. */
struct db_idx {
    const char *id;
    size_t i;
};

static int db_idx_cmp(const void *a, const void *b)
{
    return strcmp(((const struct db_idx *)a)->id, ((const struct db_idx *)b)->id);
}

/* Marks in fresh[] the rows of the run whose stream id res (RETURNING stream_id) holds. */
static void db_mark_fresh(const struct km_db_row *rows, size_t n, const PGresult *res, bool *fresh)
{
    struct db_idx *idx = km_calloc(n, sizeof(*idx));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (rows[i].reason == NULL) {
            idx[k].id = rows[i].e->id;
            idx[k++].i = i;
        }
    }
    qsort(idx, k, sizeof(*idx), db_idx_cmp);
    for (int t = 0; t < PQntuples(res); t++) {
        struct db_idx key = {PQgetvalue(res, t, 0), 0};
        const struct db_idx *hit = bsearch(&key, idx, k, sizeof(*idx), db_idx_cmp);
        if (hit != NULL) {
            fresh[hit->i] = true;
        }
    }
    free(idx);
}

/* Brings up to date every incident the new rows of a run joined: lock and link (as
 * db_incident_update() for all of them at once), then count the new rows and the linked
 * originals in. */
static int db_incidents_update(struct km_db *db, const struct km_db_row *rows, size_t n,
                               const bool *fresh, struct km_err *err)
{
    char **inc = km_calloc(n, sizeof(*inc)), **dup = km_calloc(n, sizeof(*dup));
    struct km_buf members = KM_BUF_INIT;
    size_t k = 0;
    km_buf_putc(&members, '{');
    for (size_t i = 0; i < n; i++) {
        const struct km_post *p = rows[i].post;
        const struct km_post_triage *t = p != NULL ? &p->triage : NULL;
        if (fresh[i] && t != NULL && t->scored && t->incident != NULL) {
            inc[k] = t->incident;
            dup[k++] = t->dup_of;
            km_buf_puts(&members, k > 1 ? "," : "");
            db_array_item2(&members, p->network, p->id);
        }
    }
    int rc = KM_OK;
    if (k > 0) {
        struct km_buf a = KM_BUF_INIT, b = KM_BUF_INIT;
        db_text_array(&a, inc, k);
        db_text_array(&b, dup, k);
        const char *vals[2] = {a.data, b.data};
        PGresult *res = PQexecPrepared(db->conn, "km_incidents_lock_link", 2, vals, NULL, NULL, 0);
        rc = db_row_code(res, db_check(db, res, "km_incidents_lock_link", err));
        for (int r = 0; rc == KM_OK && r < PQntuples(res); r++) {
            km_buf_putc(&members, ',');
            db_array_item2(&members, PQgetvalue(res, r, 0), NULL);
        }
        PQclear(res);
        km_buf_putc(&members, '}');
        const char *add[2] = {members.data, a.data};
        rc = rc == KM_OK ? db_run(db, "km_incidents_add", 2, add, NULL, err) : rc;
        km_buf_free(&a);
        km_buf_free(&b);
    }
    km_buf_free(&members);
    free(inc);
    free(dup);
    return rc;
}

/* Stores a run of rows none of which is an escalation to apply: the undecodable ones into
 * rejected_entries, all the others with one multi-row INSERT, then the incidents their new
 * posts joined. KM_EINPUT: PostgreSQL refuses some row's data (which one is unknown). */
static int db_store_run(struct km_db *db, struct km_db_row *rows, size_t n, struct km_db_counts *c,
                        struct km_err *err)
{
    struct km_textarr col[DB_POST_PARAMS];
    PGresult *res = NULL;
    bool *fresh = NULL;
    size_t k = 0;
    int rc = KM_OK;
    for (size_t j = 0; j < DB_POST_PARAMS; j++) {
        km_textarr_init(&col[j]);
    }
    for (size_t i = 0; i < n && rc == KM_OK; i++) {
        if (rows[i].reason != NULL || rows[i].post == NULL) { /* a reason means no post */
            rc = db_insert_reject(db, &rows[i], c, err);
            continue;
        }
        db_run_row(col, &rows[i]);
        k++;
    }
    if (rc != KM_OK || k == 0) {
        goto out;
    }
    res = db_run_exec(db, col);
    rc = db_row_code(res, db_check(db, res, "insert posts", err));
    if (rc != KM_OK) {
        goto out;
    }
    fresh = km_calloc(n, sizeof(*fresh));
    db_mark_fresh(rows, n, res, fresh);
    rc = db_incidents_update(db, rows, n, fresh, err);
    if (rc == KM_OK) {
        c->inserted += (size_t)PQntuples(res);
        c->duplicates += k - (size_t)PQntuples(res);
    }
out:
    PQclear(res);
    for (size_t j = 0; j < DB_POST_PARAMS; j++) {
        km_textarr_free(&col[j]);
    }
    free(fresh);
    return rc;
}

/* Stores rows in their order: each run of rows that are not escalations to apply with
 * db_store_run() (normally the whole batch: one statement), each escalation on its own. */
static int db_store_range(struct km_db *db, struct km_db_row *rows, size_t n,
                          struct km_db_counts *c, struct km_err *err)
{
    int rc = KM_OK;
    size_t i = 0;
    while (rc == KM_OK && i < n) {
        size_t j = i;
        while (j < n && (rows[j].reason != NULL || db_row_plain(&rows[j]))) {
            j++;
        }
        if (j > i) {
            rc = db_store_run(db, rows + i, j - i, c, err);
            i = j;
        } else {
            rc = db_insert_row(db, &rows[i], c, err);
            i++;
        }
    }
    return rc;
}

static int db_store_halves(struct km_db *db, struct km_db_row *rows, size_t n,
                           struct km_db_counts *c, struct km_err *err);

/* Stores rows inside a savepoint. If PostgreSQL refuses some row's data (KM_EINPUT, see
 * db_row_code()), rolls them back and stores each half the same way, down to the single
 * row that is refused: that one goes to rejected_entries with the SQLSTATE and message
 * instead of failing the batch. Counts into c only what stays. */
static int db_store_split(struct km_db *db, struct km_db_row *rows, size_t n,
                          struct km_db_counts *c, struct km_err *err)
{
    struct km_db_counts part = {0, 0, 0, 0, 0};
    struct km_err rerr = {{0}};
    int rc = db_exec(db, "SAVEPOINT km_part", 0, NULL, NULL, "savepoint", err);
    if (rc != KM_OK) {
        return rc;
    }
    rc = db_store_range(db, rows, n, &part, &rerr);
    if (rc == KM_OK) {
        db_counts_add(c, &part);
        return db_exec(db, "RELEASE SAVEPOINT km_part", 0, NULL, NULL, "savepoint", err);
    }
    if (rc != KM_EINPUT) {
        return km_err_set(err, rc, "%s", rerr.msg);
    }
    rc = db_exec(db, "ROLLBACK TO SAVEPOINT km_part", 0, NULL, NULL, "savepoint", err);
    if (rc == KM_OK) {
        rc = db_exec(db, "RELEASE SAVEPOINT km_part", 0, NULL, NULL, "savepoint", err);
    }
    if (rc != KM_OK) {
        return rc;
    }
    if (n > 1) {
        return db_store_halves(db, rows, n, c, err);
    }
    rows[0].reason = km_asprintf("refused by PostgreSQL: %s", rerr.msg);
    return db_insert_reject(db, &rows[0], c, err);
}

/* Stores the two halves of rows with db_store_split(). */
static int db_store_halves(struct km_db *db, struct km_db_row *rows, size_t n,
                           struct km_db_counts *c, struct km_err *err)
{
    c->splits++;
    int rc = db_store_split(db, rows, n / 2, c, err);
    return rc == KM_OK ? db_store_split(db, rows + n / 2, n - n / 2, c, err) : rc;
}

/* Stores every row in one transaction: the fast path (split = false) in as few statements
 * as the batch allows, or isolating the rows PostgreSQL refuses (split = true). */
static int db_store(struct km_db *db, struct km_db_row *rows, size_t n, bool split,
                    struct km_db_counts *c, struct km_err *err)
{
    memset(c, 0, sizeof(*c));
    int rc = db_exec(db, "BEGIN", 0, NULL, NULL, "begin", err);
    if (rc == KM_OK) {
        rc = !split  ? db_store_range(db, rows, n, c, err)
             : n > 1 ? db_store_halves(db, rows, n, c, err)
                     : db_store_split(db, rows, n, c, err);
    }
    if (rc == KM_OK) {
        /* If the connection dies during COMMIT the outcome is unknown; the entries stay
         * unacknowledged and storing them again only finds duplicates. */
        rc = db_exec(db, "COMMIT", 0, NULL, NULL, "commit", err);
    }
    if (rc != KM_OK) {
        db_rollback(db);
        memset(c, 0, sizeof(*c));
    }
    return rc;
}

static int db_prepare(struct km_db *db, struct km_err *err)
{
    int rc = KM_OK;
    size_t n = sizeof(db_statements) / sizeof(db_statements[0]);
    for (size_t i = 0; !db->prepared && rc == KM_OK && i < n; i++) {
        PGresult *res = PQprepare(db->conn, db_statements[i].name, db_statements[i].sql,
                                  db_statements[i].n, NULL);
        rc = db_check(db, res, "prepare", err);
        PQclear(res);
    }
    if (rc != KM_OK && PQstatus(db->conn) == CONNECTION_OK) {
        /* Start from nothing next time rather than fail on the ones that did exist. */
        PQclear(PQexecParams(db->conn, "DEALLOCATE ALL", 0, NULL, NULL, NULL, NULL, 0));
    }
    db->prepared = rc == KM_OK;
    return rc == KM_EINPUT ? KM_ERR : rc;
}

int km_db_store_rows(struct km_db *db, struct km_db_rows *r, struct km_db_counts *counts,
                     struct km_err *err)
{
    struct km_db_counts c = {0, 0, 0, 0, 0};
    if (r->places_gen != db->places_gen) { /* decoded before the places changed */
        km_db_rows_place(r, db->places, db->places_gen);
    }
    int rc = db_ensure(db, err);
    if (rc == KM_OK) {
        rc = db_prepare(db, err);
    }
    if (rc == KM_OK) {
        rc = db_store(db, r->rows, r->n, false, &c, err);
    }
    if (rc == KM_EINPUT) {
        /* Some row holds data PostgreSQL refuses (invalid input, a constraint, a size
         * limit): redo the batch, splitting it until that row is isolated. */
        rc = db_store(db, r->rows, r->n, true, &c, err);
        rc = rc == KM_EINPUT ? KM_ERR : rc;
    }
    for (size_t i = 0; rc == KM_OK && i < r->n; i++) {
        if (r->rows[i].recorded) {
            KM_SLOG_WARN("db", "stream entry %s rejected: %s", r->rows[i].e->id, r->rows[i].reason);
        }
    }
    if (counts != NULL) {
        *counts = c;
    }
    return rc;
}

int km_db_insert_posts(struct km_db *db, const struct km_stream_entry *entries, size_t n,
                       struct km_db_counts *counts, struct km_err *err)
{
    struct km_db_rows *r = km_db_rows_decode(entries, n, db->places, db->places_gen);
    int rc = km_db_store_rows(db, r, counts, err);
    km_db_rows_free(r);
    return rc;
}
