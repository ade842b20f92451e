/* Publishes the event outbox to {ns}:events (see outbox.h). */
#include "db/outbox.h"

#include "common/alloc.h"
#include "db/sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OB_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* The latest value of a field set by events up to e (the ticket's as of that event). */
#define OB_AS_OF(field)                                                                            \
    "coalesce((SELECT e2.after ->> '" field "' FROM ticket_events e2 WHERE e2.ticket = "           \
    "e.ticket AND e2.id <= e.id AND e2.after ? '" field "' ORDER BY e2.id DESC LIMIT 1), t." field \
    ")"

/* Unpublished rows in order, locked so that a concurrent publisher waits and then skips
 * what this one published. */
static const char OB_SQL_NEXT[] =
    "SELECT o.id, e.type, e.ticket, t.number, " OB_AS_OF("status") ", " OB_AS_OF(
        "agency") ", "
                  "e.id, jsonb_build_object('event', e.id, 'type', e.type, 'actor', e.actor, "
                  "'at', " OB_TS(
                      "e.at") ", 'before', e.before, 'after', e.after, 'note', e.note, "
                              "'ticket', jsonb_build_object('id', t.id, 'number', t.number, "
                              "'status', t.status, "
                              "'category', t.category, 'priority', t.priority, 'agency', t.agency, "
                              "'place', t.place, "
                              "'created_at', " OB_TS("t.created_at") ", 'reaction_due', " OB_TS(
                                  "t.reaction_due") ", "
                                                    "'resolve_due', " OB_TS(
                                                        "t.resolve_due") "))::text "
                                                                         "FROM event_outbox o JOIN "
                                                                         "ticket_events e ON e.id "
                                                                         "= o.event "
                                                                         "JOIN tickets t ON t.id = "
                                                                         "e.ticket WHERE "
                                                                         "o.published_at IS NULL "
                                                                         "ORDER BY o.id LIMIT "
                                                                         "$1::bigint FOR UPDATE OF "
                                                                         "o";
static const char OB_SQL_MARK[] =
    "UPDATE event_outbox SET published_at = now(), stream_id = $2 WHERE id = $1::bigint";
static const char OB_SQL_PENDING[] = "SELECT count(*) FROM event_outbox WHERE published_at IS NULL";

/* XADDs row i and marks it published. The XADD is once per event (its "event" field): an
 * event XADDed in a transaction that then failed (PostgreSQL stopped before the UPDATE or the
 * COMMIT) is not added again when the next transaction publishes it. */
static int ob_publish_row(PGconn *conn, struct km_events *ev, const PGresult *res, int i,
                          struct km_err *err)
{
    static const char *const fields[] = {"v",      "type",   "ticket", "number",
                                         "status", "agency", "event",  "body"};
    const char *values[8] = {"1"};
    char *id = NULL;
    for (int c = 1; c < 8; c++) {
        values[c] = PQgetisnull(res, i, c) ? NULL : PQgetvalue(res, i, c);
    }
    int rc = km_events_xadd_once(ev, values[6], fields, values, 8, &id, err);
    if (rc == KM_OK) {
        const char *v[] = {PQgetvalue(res, i, 0), id};
        rc = km_sql_exec(conn, OB_SQL_MARK, 2, v, NULL, "mark published", err);
    }
    free(id);
    return rc;
}

int km_outbox_publish(struct km_db *db, struct km_events *ev, size_t max, size_t *published,
                      struct km_err *err)
{
    PGconn *conn = km_db_conn(db);
    PGresult *res = NULL;
    size_t n = 0;
    char limit[24];
    snprintf(limit, sizeof(limit), "%zu", max > 0 ? max : (size_t)KM_OUTBOX_BATCH);
    int rc = km_sql_exec(conn, "BEGIN", 0, NULL, NULL, "begin", err);
    if (rc == KM_OK) {
        rc = km_sql_exec(conn, OB_SQL_NEXT, 1, (const char *const[]){limit}, &res, "read outbox",
                         err);
    }
    for (int i = 0; rc == KM_OK && i < PQntuples(res); i++) {
        rc = ob_publish_row(conn, ev, res, i, err);
        n += rc == KM_OK;
    }
    /* What went out before a Redis failure is marked, so it is not sent again. */
    struct km_err cerr = {{0}};
    if (PQtransactionStatus(conn) == PQTRANS_INERROR) {
        n = 0; /* a failed UPDATE: nothing of this transaction stays */
    }
    int crc =
        n > 0 || rc == KM_OK ? km_sql_exec(conn, "COMMIT", 0, NULL, NULL, "commit", &cerr) : KM_OK;
    if (crc != KM_OK || (rc != KM_OK && n == 0)) {
        km_sql_rollback(conn);
    }
    if (rc == KM_OK && crc != KM_OK) {
        rc = crc;
        *err = cerr;
    }
    PQclear(res);
    if (published != NULL) {
        *published = crc == KM_OK ? n : 0;
    }
    return rc;
}

int km_outbox_pending(struct km_db *db, long long *n, struct km_err *err)
{
    PGresult *res = NULL;
    int rc = km_sql_exec(km_db_conn(db), OB_SQL_PENDING, 0, NULL, &res, "outbox pending", err);
    *n = rc == KM_OK ? atoll(PQgetvalue(res, 0, 0)) : 0;
    PQclear(res);
    return rc;
}
