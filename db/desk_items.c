/* The operator queue and the item actions (see desk_items.h). The JSON is built by
 * PostgreSQL from one SQL expression per shape, so that every reader (queue, item,
 * duplicates, incident) shows an item the same way. */
#include "db/desk_items.h"

#include "common/alloc.h"
#include "db/sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A timestamptz as RFC 3339 UTC text (NULL stays NULL). */
#define DK_TS(x) "to_char((" x ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* The JSON of the item in row alias a (a posts row). */
#define DK_ITEM(a)                                                                                 \
    "json_build_object('id', " a ".network || ':' || " a ".post_id, 'network', " a                 \
    ".network, 'source', " a ".source, 'post_id', " a ".post_id, 'url', " a ".url, "               \
    "'author', json_build_object('id', " a ".author_id, 'name', " a ".author_name, "               \
    "'handle', " a ".author_handle), 'chat', json_build_object('id', " a ".chat_id, "              \
    "'title', " a ".chat_title), 'text', " a ".text, 'lang', " a ".lang, 'created_at', " DK_TS(    \
        a ".created_at") ", 'category', " a ".category, 'urgency', " a ".urgency, "                \
                         "'priority', 'P' || coalesce(" a ".priority_override, " a ".priority), "  \
                         "'triage_priority', 'P' || " a ".priority, 'priority_reason', " a         \
                         ".priority_reason, "                                                      \
                         "'reasons', coalesce(to_json(" a                                          \
                         ".reasons), '[]'::json), 'sla_due', " DK_TS(                              \
                             a ".sla_due") ", 'breached', coalesce(" a                             \
                                           ".sla_due < now(), false), 'agency', " a                \
                                           ".agency, 'incident', " a                               \
                                           ".incident, 'incident_posts', (SELECT ii.posts FROM "   \
                                           "incidents ii WHERE ii.id = " a                         \
                                           ".incident), 'dup_of', " a ".dup_of, 'dup_count', "     \
                                           "(SELECT count(*) FROM posts dd WHERE dd.dup_of = " a   \
                                           ".network || ':' || " a ".post_id), 'disposition', " a  \
                                           ".disposition, 'disposition_reason', " a                \
                                           ".disposition_reason)"

/* Effective priority, for ordering. */
#define DK_PRIO(a)  "coalesce(" a ".priority_override, " a ".priority)"
#define DK_ORDER(a) DK_PRIO(a) " NULLS LAST, " a ".sla_due NULLS LAST, " a ".id"

static const char DK_SQL_QUEUE[] = "SELECT p.network || ':' || p.post_id, " DK_ITEM(
    "p") " FROM posts p "
         "WHERE p.ticket IS NULL AND p.disposition IS NULL "
         "AND ($1::text IS NULL OR p.network = $1) AND ($2::text IS NULL OR p.category = $2) "
         "AND ($3::text IS NULL OR p.source = $3) AND ($4::text IS NULL OR p.lang = $4) "
         "AND ($5::int IS NULL OR " DK_PRIO(
             "p") " = $5::int) "
                  "AND NOT EXISTS (SELECT 1 FROM posts o WHERE p.dup_of IS NOT NULL AND "
                  "o.network = split_part(p.dup_of, ':', 1) AND o.post_id = substr(p.dup_of, "
                  "strpos(p.dup_of, ':') + 1) AND o.ticket IS NULL AND o.disposition IS NULL) "
                  "ORDER BY " DK_ORDER("p") " LIMIT $6::int";

/* The post_events row of alias e. */
#define DK_EVENT(e)                                                                                \
    "json_build_object('id', " e ".id, 'at', " DK_TS(e ".at") ", 'actor', " e ".actor, "           \
                                                              "'type', " e ".type, 'before', " e   \
                                                              ".before, 'after', " e               \
                                                              ".after, 'note', " e ".note)"

static const char DK_SQL_ITEM[] = "SELECT (" DK_ITEM(
    "p") "::jsonb || jsonb_build_object('post', p.post, "
         "'duplicates', coalesce((SELECT jsonb_agg(" DK_ITEM(
             "d") " ORDER BY d.id) "
                  "FROM posts d WHERE d.dup_of = p.network || ':' || p.post_id), '[]'), "
                  "'incident_items', coalesce((SELECT jsonb_agg(x.j ORDER BY x.o) FROM "
                  "(SELECT " DK_ITEM("i") "::jsonb AS j, row_number() OVER (ORDER BY " DK_ORDER(
                      "i") ") AS o FROM posts i "
                           "WHERE p.incident IS NOT NULL AND i.incident = p.incident AND i.id <> "
                           "p.id ORDER BY " DK_ORDER(
                               "i") " LIMIT $3::int) x), '[]'), "
                                    "'ticket', (SELECT jsonb_build_object('number', t.number, "
                                    "'status', t.status, "
                                    "'category', t.category, 'priority', 'P' || t.priority, "
                                    "'agency', t.agency, 'assignee', "
                                    "(SELECT login FROM operators o WHERE o.id = t.assignee), "
                                    "'created_at', " DK_TS(
                                        "t.created_at") ", "
                                                        "'reaction_due', " DK_TS("t.reaction_due") ", 'resolve_due', " DK_TS(
                                                            "t.resolve_due") ") "
                                                                             "FR"
                                                                             "OM"
                                                                             " t"
                                                                             "ic"
                                                                             "ke"
                                                                             "ts"
                                                                             " t"
                                                                             " W"
                                                                             "HE"
                                                                             "RE"
                                                                             " t"
                                                                             ".i"
                                                                             "d "
                                                                             "= "
                                                                             "p."
                                                                             "ti"
                                                                             "ck"
                                                                             "et"
                                                                             "),"
                                                                             " "
                                                                             "'e"
                                                                             "ve"
                                                                             "nt"
                                                                             "s'"
                                                                             ", "
                                                                             "co"
                                                                             "al"
                                                                             "es"
                                                                             "ce"
                                                                             "(("
                                                                             "SE"
                                                                             "LE"
                                                                             "CT"
                                                                             " j"
                                                                             "so"
                                                                             "nb"
                                                                             "_a"
                                                                             "gg"
                                                                             "(" DK_EVENT(
                                                                                 "e") " ORDER BY "
                                                                                      "e.id) FROM "
                                                                                      "post_events "
                                                                                      "e "
                                                                                      "WHERE "
                                                                                      "e.post = "
                                                                                      "p.id), "
                                                                                      "'[]')))::"
                                                                                      "text "
                                                                                      "FROM posts "
                                                                                      "p WHERE "
                                                                                      "p.network = "
                                                                                      "$1 AND "
                                                                                      "p.post_id = "
                                                                                      "$2";

static const char DK_SQL_STATE[] =
    "SELECT p.id, t.number, p.incident, p.disposition, p.source, p.chat_id, p.lang, "
    "coalesce(t.category, p.category), CASE WHEN t.id IS NULL THEN p.agency ELSE t.agency END, "
    "coalesce(p.priority_override, 0) "
    "FROM posts p "
    "LEFT JOIN tickets t ON t.id = p.ticket WHERE p.network = $1 AND p.post_id = $2";

/* One statement, so one transaction: lock, change if allowed, append the event; the
 * result row tells what stood in the way. */
static const char DK_SQL_DISMISS[] =
    "WITH old AS (SELECT id, disposition, ticket FROM posts WHERE network = $1 AND "
    "post_id = $2 FOR UPDATE), "
    "upd AS (UPDATE posts p SET disposition = $3, disposition_reason = $4, disposition_by = "
    "$5, disposition_at = now() FROM old WHERE p.id = old.id AND old.ticket IS NULL AND "
    "old.disposition IS NULL RETURNING p.id), "
    "ev AS (INSERT INTO post_events (post, actor, type, before, after, note) SELECT upd.id, "
    "$5, 'dismiss', jsonb_build_object('disposition', NULL), jsonb_build_object("
    "'disposition', $3::text), $4 FROM upd RETURNING id) "
    "SELECT old.ticket IS NOT NULL, old.disposition, (SELECT count(*) FROM ev) FROM old";

static const char DK_SQL_PRIORITY[] =
    "WITH old AS (SELECT id, 'P' || coalesce(priority_override, priority) AS prio FROM posts "
    "WHERE network = $1 AND post_id = $2 FOR UPDATE), "
    "upd AS (UPDATE posts p SET priority_override = $3::smallint, priority_reason = $4, "
    "priority_by = $5, priority_at = now() FROM old WHERE p.id = old.id RETURNING p.id), "
    "ev AS (INSERT INTO post_events (post, actor, type, before, after, note) SELECT old.id, "
    "$5, 'priority', jsonb_build_object('priority', old.prio), jsonb_build_object("
    "'priority', 'P' || $3), $4 FROM old JOIN upd ON upd.id = old.id RETURNING id) "
    "SELECT (SELECT count(*) FROM ev) FROM old";

/* Locks the incident a post moves to and the one it leaves, in id order as the tickets role
 * locks incidents (no deadlock with it); returns the ids locked. */
static const char DK_SQL_LOCK_INCIDENT[] =
    "SELECT id FROM incidents WHERE id = $1 OR id = (SELECT incident FROM posts WHERE "
    "network = $2 AND post_id = $3) ORDER BY id FOR UPDATE";

static const char DK_SQL_MOVE[] =
    "WITH old AS (SELECT id, incident FROM posts WHERE network = $1 AND post_id = $2 "
    "FOR UPDATE), "
    "upd AS (UPDATE posts p SET incident = $3 FROM old WHERE p.id = old.id AND "
    "old.incident IS DISTINCT FROM $3 RETURNING p.id), "
    "ev AS (INSERT INTO post_events (post, actor, type, before, after) SELECT old.id, $4, "
    "'incident', jsonb_build_object('incident', old.incident), jsonb_build_object("
    "'incident', $3::text) FROM old JOIN upd ON upd.id = old.id RETURNING id) "
    "SELECT old.incident FROM old";

/* As db.c's recount of an incident from its posts (migration 009's incident_recount()):
 * exact, and it rebuilds the incidents' author and category counts. */
static const char DK_SQL_RECOUNT[] = "SELECT incident_recount(ARRAY[$1, $2]::text[], false)";

void km_desk_items_clear(struct km_desk_items *items)
{
    if (items == NULL) {
        return;
    }
    for (size_t i = 0; i < items->n; i++) {
        free(items->ids[i]);
        free(items->json[i]);
    }
    free(items->ids);
    free(items->json);
    memset(items, 0, sizeof(*items));
}

int km_desk_item_split(const char *item, char *network, size_t size, const char **post_id,
                       struct km_err *err)
{
    const char *colon = item != NULL ? strchr(item, ':') : NULL;
    if (colon == NULL || colon == item || colon[1] == '\0' || (size_t)(colon - item) >= size) {
        return km_err_set(err, KM_EINPUT, "item '%s': want NETWORK:POST_ID",
                          item != NULL ? item : "");
    }
    memcpy(network, item, (size_t)(colon - item));
    network[colon - item] = '\0';
    *post_id = colon + 1;
    return KM_OK;
}

int km_desk_queue(struct km_db *db, const struct km_desk_queue_query *q, struct km_desk_items *out,
                  struct km_err *err)
{
    PGresult *res = NULL;
    char prio[8], limit[24];
    size_t n = q->limit == 0 ? KM_DESK_QUEUE_DEFAULT : q->limit;
    snprintf(prio, sizeof(prio), "%d", q->priority);
    snprintf(limit, sizeof(limit), "%zu", n > KM_DESK_QUEUE_MAX ? KM_DESK_QUEUE_MAX : n);
    const char *v[] = {q->network, q->category, q->source, q->lang, q->priority > 0 ? prio : NULL,
                       limit};
    memset(out, 0, sizeof(*out));
    int rc = km_sql_exec(km_db_conn(db), DK_SQL_QUEUE, 6, v, &res, "desk queue", err);
    if (rc == KM_OK) {
        size_t rows = (size_t)PQntuples(res);
        out->ids = km_calloc(rows + 1, sizeof(*out->ids));
        out->json = km_calloc(rows + 1, sizeof(*out->json));
        for (size_t i = 0; i < rows; i++) {
            out->ids[i] = km_strdup(PQgetvalue(res, (int)i, 0));
            out->json[i] = km_strdup(PQgetvalue(res, (int)i, 1));
        }
        out->n = rows;
    }
    PQclear(res);
    return rc;
}

int km_desk_item_json(struct km_db *db, const char *item, char **json, struct km_err *err)
{
    PGresult *res = NULL;
    char network[64], max[24];
    const char *post_id = NULL;
    *json = NULL;
    int rc = km_desk_item_split(item, network, sizeof(network), &post_id, err);
    snprintf(max, sizeof(max), "%d", KM_DESK_INCIDENT_ITEMS_MAX);
    const char *v[] = {network, post_id, max};
    if (rc == KM_OK) {
        rc = km_sql_exec(km_db_conn(db), DK_SQL_ITEM, 3, v, &res, "desk item", err);
    }
    if (rc == KM_OK && PQntuples(res) == 0) {
        rc = km_err_set(err, KM_EINPUT, "no stored post %s", item);
    }
    if (rc == KM_OK) {
        *json = km_strdup(PQgetvalue(res, 0, 0));
    }
    PQclear(res);
    return rc;
}

/* Copies a cell into out (size bytes), "" for NULL. */
static void dk_cell(const PGresult *res, int col, char *out, size_t size)
{
    snprintf(out, size, "%s", PQgetisnull(res, 0, col) ? "" : PQgetvalue(res, 0, col));
}

int km_desk_item_state(struct km_db *db, const char *item, struct km_desk_item_state *st,
                       struct km_err *err)
{
    PGresult *res = NULL;
    char network[64];
    const char *post_id = NULL;
    memset(st, 0, sizeof(*st));
    int rc = km_desk_item_split(item, network, sizeof(network), &post_id, err);
    const char *v[] = {network, post_id};
    if (rc == KM_OK) {
        rc = km_sql_exec(km_db_conn(db), DK_SQL_STATE, 2, v, &res, "desk item", err);
    }
    if (rc == KM_OK && PQntuples(res) == 0) {
        rc = km_err_set(err, KM_EINPUT, "no stored post %s", item);
    }
    if (rc == KM_OK) {
        st->id = atoll(PQgetvalue(res, 0, 0));
        dk_cell(res, 1, st->ticket, sizeof(st->ticket));
        dk_cell(res, 2, st->incident, sizeof(st->incident));
        dk_cell(res, 3, st->disposition, sizeof(st->disposition));
        dk_cell(res, 4, st->source, sizeof(st->source));
        dk_cell(res, 5, st->chat_id, sizeof(st->chat_id));
        dk_cell(res, 6, st->lang, sizeof(st->lang));
        dk_cell(res, 7, st->category, sizeof(st->category));
        dk_cell(res, 8, st->agency, sizeof(st->agency));
        st->priority_override = atoi(PQgetvalue(res, 0, 9));
    }
    PQclear(res);
    return rc;
}

bool km_desk_disposition_valid(const char *kind)
{
    return kind != NULL && (strcmp(kind, "duplicate") == 0 || strcmp(kind, "spam") == 0 ||
                            strcmp(kind, "not_for_us") == 0);
}

/* Checks the reason and actor every action needs. */
static int dk_check(const char *reason, bool need_reason, const char *actor, struct km_err *err)
{
    if (need_reason && (reason == NULL || reason[strspn(reason, " \t\r\n")] == '\0')) {
        return km_err_set(err, KM_EINPUT, "a reason is required");
    }
    if (actor == NULL || actor[0] == '\0') {
        return km_err_set(err, KM_EINPUT, "an action needs an actor");
    }
    return KM_OK;
}

int km_desk_item_dismiss(struct km_db *db, const char *item, const char *kind, const char *reason,
                         const char *actor, struct km_err *err)
{
    PGresult *res = NULL;
    char network[64];
    const char *post_id = NULL;
    int rc = km_desk_item_split(item, network, sizeof(network), &post_id, err);
    if (rc == KM_OK && !km_desk_disposition_valid(kind)) {
        rc = km_err_set(err, KM_EINPUT, "kind '%s': want duplicate, spam or not_for_us",
                        kind != NULL ? kind : "");
    }
    rc = rc == KM_OK ? dk_check(reason, true, actor, err) : rc;
    const char *v[] = {network, post_id, kind, reason, actor};
    if (rc == KM_OK) {
        rc = km_sql_exec(km_db_conn(db), DK_SQL_DISMISS, 5, v, &res, "dismiss", err);
    }
    if (rc == KM_OK && PQntuples(res) == 0) {
        rc = km_err_set(err, KM_EINPUT, "no stored post %s", item);
    } else if (rc == KM_OK && strcmp(PQgetvalue(res, 0, 0), "t") == 0) {
        rc = km_err_set(err, KM_EINPUT, "%s has a ticket: it is not in the queue", item);
    } else if (rc == KM_OK && !PQgetisnull(res, 0, 1)) {
        rc = km_err_set(err, KM_EINPUT, "%s was dismissed already (%s)", item,
                        PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    return rc;
}

int km_desk_item_priority(struct km_db *db, const char *item, int priority, const char *reason,
                          const char *actor, struct km_err *err)
{
    PGresult *res = NULL;
    char network[64], prio[8];
    const char *post_id = NULL;
    int rc = km_desk_item_split(item, network, sizeof(network), &post_id, err);
    if (rc == KM_OK && (priority < 1 || priority > 4)) {
        rc = km_err_set(err, KM_EINPUT, "priority %d: want 1..4", priority);
    }
    rc = rc == KM_OK ? dk_check(reason, true, actor, err) : rc;
    snprintf(prio, sizeof(prio), "%d", priority);
    const char *v[] = {network, post_id, prio, reason, actor};
    if (rc == KM_OK) {
        rc = km_sql_exec(km_db_conn(db), DK_SQL_PRIORITY, 5, v, &res, "priority", err);
    }
    if (rc == KM_OK && PQntuples(res) == 0) {
        rc = km_err_set(err, KM_EINPUT, "no stored post %s", item);
    }
    PQclear(res);
    return rc;
}

/* The steps of km_desk_item_incident() inside its transaction. */
static int dk_move(PGconn *c, const char *network, const char *post_id, const char *item,
                   const char *incident, const char *actor, struct km_err *err)
{
    PGresult *res = NULL;
    const char *vi[] = {incident, network, post_id};
    int rc = km_sql_exec(c, DK_SQL_LOCK_INCIDENT, 3, vi, &res, "lock incident", err);
    bool found = false;
    for (int i = 0; rc == KM_OK && i < PQntuples(res); i++) {
        found = found || (incident != NULL && strcmp(PQgetvalue(res, i, 0), incident) == 0);
    }
    if (rc == KM_OK && !found) {
        rc = km_err_set(err, KM_EINPUT, "no incident '%s'", incident);
    }
    PQclear(res);
    res = NULL;
    const char *v[] = {network, post_id, incident, actor};
    if (rc == KM_OK) {
        rc = km_sql_exec(c, DK_SQL_MOVE, 4, v, &res, "move to incident", err);
    }
    if (rc == KM_OK && PQntuples(res) == 0) {
        rc = km_err_set(err, KM_EINPUT, "no stored post %s", item);
    }
    const char *vr[] = {incident,
                        rc == KM_OK && !PQgetisnull(res, 0, 0) ? PQgetvalue(res, 0, 0) : NULL};
    if (rc == KM_OK) {
        rc = km_sql_exec(c, DK_SQL_RECOUNT, 2, vr, NULL, "recount incidents", err);
    }
    PQclear(res);
    return rc;
}

int km_desk_item_incident(struct km_db *db, const char *item, const char *incident,
                          const char *actor, struct km_err *err)
{
    PGconn *c = km_db_conn(db);
    char network[64];
    const char *post_id = NULL;
    int rc = km_desk_item_split(item, network, sizeof(network), &post_id, err);
    if (rc == KM_OK && (incident == NULL || incident[0] == '\0')) {
        rc = km_err_set(err, KM_EINPUT, "an incident id is required");
    }
    rc = rc == KM_OK ? dk_check(NULL, false, actor, err) : rc;
    if (rc == KM_OK) {
        rc = km_sql_exec(c, "BEGIN", 0, NULL, NULL, "begin", err);
        if (rc == KM_OK) {
            rc = dk_move(c, network, post_id, item, incident, actor, err);
        }
        if (rc == KM_OK) {
            rc = km_sql_exec(c, "COMMIT", 0, NULL, NULL, "commit", err);
        } else {
            km_sql_rollback(c);
        }
    }
    return rc;
}
