/* Tickets and the supervisor's overview as JSON (see desk_views.h). */
#include "db/desk_views.h"

#include "common/alloc.h"
#include "db/sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A timestamptz as RFC 3339 UTC text (NULL stays NULL). */
#define DV_TS(x) "to_char((" x ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* Open and past its first-reaction or resolution deadline (as the tickets_overdue view). */
#define DV_OVERDUE(t)                                                                              \
    "(" t ".status NOT IN ('resolved', 'rejected') AND ((" t ".first_reaction_at IS NULL AND " t   \
    ".reaction_due < now()) OR " t ".resolve_due < now()))"

/* The list fields of ticket alias t. */
#define DV_TICKET(t)                                                                                                       \
    "jsonb_build_object('number', " t ".number, 'status', " t ".status, 'category', " t                                    \
    ".category, 'priority', 'P' || " t ".priority, 'agency', " t ".agency, 'place', " t                                    \
    ".place, 'assignee', (SELECT login FROM operators o WHERE o.id = " t ".assignee), "                                    \
    "'created_by', " t ".created_by, 'created_at', " DV_TS(                                                                \
        t ".created_at") ", "                                                                                              \
                         "'reaction_due', " DV_TS(t ".reaction_due") ", "                                                  \
                                                                     "'first_reaction_at',"                                \
                                                                     " " DV_TS(t ".first_"                                 \
                                                                                 "reaction_at") ", 'resolve_due', " DV_TS( \
                                                                         t                                                 \
                                                                         ".resolve_due") ", "                              \
                                                                                         "'resolv"                         \
                                                                                         "ed_at',"                         \
                                                                                         " " DV_TS(                        \
                                                                                             t                             \
                                                                                             ".re"                         \
                                                                                             "sol"                         \
                                                                                             "ved"                         \
                                                                                             "_a"                          \
                                                                                             "t") ", 'overdue', " DV_OVERDUE(t) ")"

static const char DV_SQL_TICKETS[] =
    "SELECT json_build_object('tickets', coalesce(json_agg(x.j ORDER BY x.id DESC), '[]'))"
    "::text FROM (SELECT t.id, " DV_TICKET(
        "t") " AS j FROM tickets t "
             "WHERE ($1::text IS NULL OR t.status = $1) AND ($2::text IS NULL OR t.agency = $2) "
             "AND (NOT $3::boolean OR " DV_OVERDUE("t") ") ORDER BY t.id DESC LIMIT $4::int) x";

static const char DV_SQL_TICKET[] = "SELECT (" DV_TICKET(
    "t") " || jsonb_build_object('description', t.description, "
         "'status_notes', t.status_notes, 'incident', t.incident, "
         "'posts', coalesce((SELECT jsonb_agg(jsonb_build_object('id', p.network || ':' || "
         "p.post_id, 'network', p.network, 'post_id', p.post_id, 'url', p.url, 'author', "
         "jsonb_build_object('id', p.author_id, 'name', p.author_name, 'handle', p.author_handle), "
         "'text', p.text, 'lang', p.lang, 'created_at', " DV_TS(
             "p.created_at") ", 'priority', "
                             "'P' || coalesce(p.priority_override, p.priority)) ORDER BY p.id) "
                             "FROM posts p "
                             "WHERE p.ticket = t.id), '[]'), "
                             "'events', coalesce((SELECT jsonb_agg(jsonb_build_object('id', e.id, "
                             "'at', " DV_TS(
                                 "e.at") ", 'actor', e.actor, 'type', e.type, 'before', e.before, "
                                         "'after', e.after, "
                                         "'note', e.note) ORDER BY e.id) FROM ticket_events e "
                                         "WHERE e.ticket = t.id), '[]')))"
                                         "::text FROM tickets t WHERE t.number = $1";

/* Start of today in zone $1, as a timestamptz. */
#define DV_TODAY "(date_trunc('day', now() AT TIME ZONE $1) AT TIME ZONE $1)"
/* Queue items (no ticket, no disposition). */
#define DV_QUEUE "posts q WHERE q.ticket IS NULL AND q.disposition IS NULL"

static const char DV_SQL_OVERVIEW[] =
    "SELECT json_build_object("
    "'breaches_now', (SELECT count(*) FROM " DV_QUEUE " AND q.sla_due < now()), "
    "'breaches_today', (SELECT count(*) FROM posts b LEFT JOIN tickets t ON t.id = b.ticket "
    "WHERE b.sla_due >= " DV_TODAY " AND b.sla_due < now() AND coalesce(least("
    "b.disposition_at, t.created_at), 'infinity') > b.sla_due), "
    "'depth', (SELECT json_build_object('P1', count(*) FILTER (WHERE d.p = 1), 'P2', "
    "count(*) FILTER (WHERE d.p = 2), 'P3', count(*) FILTER (WHERE d.p = 3), 'P4', "
    "count(*) FILTER (WHERE d.p = 4 OR d.p IS NULL)) FROM (SELECT coalesce("
    "q.priority_override, q.priority) AS p FROM " DV_QUEUE ") d), "
    "'operators', coalesce((SELECT json_agg(json_build_object('login', o.login, 'name', "
    "o.name, 'role', o.role, 'handled_today', o.handled, 'last_seen', " DV_TS(
        "o.seen") ") "
                  "ORDER BY o.seen DESC NULLS LAST, o.login) FROM (SELECT o.login, o.name, o.role, "
                  "(SELECT count(DISTINCT e.post) FROM post_events e WHERE e.actor = o.login AND "
                  "e.at >= " DV_TODAY
                  ") AS handled, greatest((SELECT max(at) FROM post_events e WHERE e.actor = "
                  "o.login), (SELECT max(at) FROM ticket_events e WHERE e.actor = o.login), "
                  "(SELECT "
                  "max(last_seen_at) FROM desk_sessions s WHERE s.operator = o.id)) AS seen, "
                  "EXISTS ("
                  "SELECT 1 FROM desk_sessions s WHERE s.operator = o.id AND s.expires_at > now()) "
                  "AS live "
                  "FROM operators o WHERE NOT o.disabled) o WHERE o.live OR o.seen >= " DV_TODAY
                  "), "
                  "'[]'))::text";

/* Runs sql, expecting one row whose first cell is the answer: *json gets it (malloc'd),
 * or KM_EINPUT with missing as the message when there is no row. */
static int dv_one(struct km_db *db, const char *sql, int n, const char *const *v, char **json,
                  const char *what, const char *missing, struct km_err *err)
{
    PGresult *res = NULL;
    int rc = km_sql_exec(km_db_conn(db), sql, n, v, &res, what, err);
    if (json != NULL) {
        *json = NULL;
    }
    if (rc == KM_OK && PQntuples(res) == 0) {
        rc = km_err_set(err, KM_EINPUT, "%s", missing);
    }
    if (rc == KM_OK && json != NULL) {
        *json = km_strdup(PQgetvalue(res, 0, 0));
    }
    PQclear(res);
    return rc;
}

int km_desk_tickets_json(struct km_db *db, const struct km_desk_ticket_query *q, char **json,
                         struct km_err *err)
{
    char max[24];
    snprintf(max, sizeof(max), "%d", KM_DESK_TICKETS_MAX);
    const char *v[] = {q->status, q->agency, q->overdue ? "true" : "false", max};
    return dv_one(db, DV_SQL_TICKETS, 4, v, json, "tickets", "no tickets", err);
}

int km_desk_ticket_json(struct km_db *db, const char *number, char **json, struct km_err *err)
{
    char missing[128];
    snprintf(missing, sizeof(missing), "no ticket %s", number);
    const char *v[] = {number};
    return dv_one(db, DV_SQL_TICKET, 1, v, json, "ticket", missing, err);
}

int km_desk_overview_json(struct km_db *db, const char *zone, char **json, struct km_err *err)
{
    const char *v[] = {zone};
    return dv_one(db, DV_SQL_OVERVIEW, 1, v, json, "overview", "no overview", err);
}
