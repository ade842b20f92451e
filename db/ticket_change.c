/* Changes of an existing ticket (see ticket.h): status, assignment, fields, notes,
 * replies and attached posts, each one transaction with its ticket_events row. */
#include "db/ticket.h"

#include "common/alloc.h"
#include "common/log.h"
#include "db/sql.h"
#include "triage/lexicon.h"

#include <yajl/yajl_gen.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The ticket row as locked at the start of a change. */
struct tc_row {
    char id[24];
    char *status, *category, *agency, *assignee;
    int priority;
};

/* A change: what it updates (given the locked row) and the event it writes. */
struct tc_change {
    const char *type;         /* ticket_events.type */
    const char *actor, *note; /* borrowed */
    char *before, *after;     /* JSON objects or NULL, owned */
    bool skip;                /* nothing changes: no event, still KM_OK */
};

static const char TC_SQL_LOCK[] =
    "SELECT t.id, t.status, t.category, t.agency, o.login, t.priority FROM tickets t "
    "LEFT JOIN operators o ON o.id = t.assignee WHERE t.number = $1 FOR UPDATE OF t";
static const char TC_SQL_EVENT[] =
    "INSERT INTO ticket_events (ticket, actor, type, before, after, note) "
    "VALUES ($1::bigint, $2, $3, $4::jsonb, $5::jsonb, $6)";

/* ---- lifecycle ----------------------------------------------------------------------- */

static const char *const tc_statuses[] = {"new",      "assigned", "in_progress",
                                          "resolved", "rejected", "reopened"};

/* Allowed moves: tc_moves[from] is a bitmask over tc_statuses (see ticket.h). */
#define TC_BIT(i) (1u << (i))
static const unsigned tc_moves[] = {
    TC_BIT(1) | TC_BIT(2) | TC_BIT(3) | TC_BIT(4), /* new */
    TC_BIT(2) | TC_BIT(3) | TC_BIT(4),             /* assigned */
    TC_BIT(1) | TC_BIT(3) | TC_BIT(4),             /* in_progress */
    TC_BIT(5),                                     /* resolved */
    TC_BIT(5),                                     /* rejected */
    TC_BIT(1) | TC_BIT(2) | TC_BIT(3) | TC_BIT(4), /* reopened */
};

static int tc_status_index(const char *s)
{
    for (int i = 0; s != NULL && i < 6; i++) {
        if (strcmp(s, tc_statuses[i]) == 0) {
            return i;
        }
    }
    return -1;
}

bool km_ticket_status_valid(const char *status)
{
    return tc_status_index(status) >= 0;
}

bool km_ticket_transition_ok(const char *from, const char *to)
{
    int f = tc_status_index(from), t = tc_status_index(to);
    return f >= 0 && t >= 0 && (tc_moves[f] & TC_BIT(t)) != 0;
}

/* "assigned, in_progress" etc.: where a ticket in status from may go. */
static void tc_allowed(const char *from, char *out, size_t size)
{
    int f = tc_status_index(from);
    size_t len = 0;
    out[0] = '\0';
    for (int t = 0; f >= 0 && t < 6; t++) {
        if (tc_moves[f] & TC_BIT(t)) {
            len += (size_t)snprintf(out + len, len < size ? size - len : 0, "%s%s", len ? ", " : "",
                                    tc_statuses[t]);
        }
    }
}

/* ---- JSON of before/after ------------------------------------------------------------ */

/* {"k1": v1, ...}: string values, NULL as null; a key starting with '#' is written without
 * it and its value as a number. free() the result. */
static char *tc_json(size_t n, const char *const *kv)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    const unsigned char *buf = NULL;
    size_t len = 0;
    if (g == NULL) {
        KM_LOG_ERROR("yajl_gen_alloc failed: out of memory");
        abort();
    }
    yajl_gen_map_open(g);
    for (size_t i = 0; i < n; i++) {
        const char *k = kv[2 * i], *v = kv[2 * i + 1];
        bool num = k[0] == '#';
        k += num;
        yajl_gen_string(g, (const unsigned char *)k, strlen(k));
        if (v == NULL) {
            yajl_gen_null(g);
        } else if (num) {
            yajl_gen_number(g, v, strlen(v));
        } else {
            yajl_gen_string(g, (const unsigned char *)v, strlen(v));
        }
    }
    yajl_gen_map_close(g);
    yajl_gen_get_buf(g, &buf, &len);
    char *s = km_strndup((const char *)buf, len);
    yajl_gen_free(g);
    return s;
}

/* {"posts": [key]}, as the attach events of ticket.c write it. free() the result. */
static char *tc_json_posts(const char *key)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    const unsigned char *buf = NULL;
    size_t len = 0;
    if (g == NULL) {
        KM_LOG_ERROR("yajl_gen_alloc failed: out of memory");
        abort();
    }
    yajl_gen_map_open(g);
    yajl_gen_string(g, (const unsigned char *)"posts", 5);
    yajl_gen_array_open(g);
    yajl_gen_string(g, (const unsigned char *)key, strlen(key));
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
    yajl_gen_get_buf(g, &buf, &len);
    char *s = km_strndup((const char *)buf, len);
    yajl_gen_free(g);
    return s;
}

/* ---- the transaction ----------------------------------------------------------------- */

static void tc_row_clear(struct tc_row *r)
{
    free(r->status);
    free(r->category);
    free(r->agency);
    free(r->assignee);
    memset(r, 0, sizeof(*r));
}

static char *tc_value(const PGresult *res, int col)
{
    return PQgetisnull(res, 0, col) ? NULL : km_strdup(PQgetvalue(res, 0, col));
}

static int tc_lock(struct km_db *db, const char *number, struct tc_row *row, struct km_err *err)
{
    PGresult *res = NULL;
    const char *v[] = {number};
    int rc = km_sql_exec(km_db_conn(db), TC_SQL_LOCK, 1, v, &res, "lock ticket", err);
    if (rc == KM_OK && PQntuples(res) == 0) {
        rc = km_err_set(err, KM_EINPUT, "no ticket '%s'", number);
    }
    if (rc == KM_OK) {
        snprintf(row->id, sizeof(row->id), "%s", PQgetvalue(res, 0, 0));
        row->status = tc_value(res, 1);
        row->category = tc_value(res, 2);
        row->agency = tc_value(res, 3);
        row->assignee = tc_value(res, 4);
        row->priority = atoi(PQgetvalue(res, 0, 5));
    }
    PQclear(res);
    return rc;
}

/* Applies a change to the locked row; fills ch (type, before, after, skip). */
typedef int (*tc_apply_fn)(struct km_db *db, const struct tc_row *row, const void *arg,
                           struct tc_change *ch, struct km_err *err);

/* BEGIN, lock ticket number, apply, write the event, COMMIT (ROLLBACK on any failure). */
static int tc_run(struct km_db *db, const char *number, const char *actor, const char *note,
                  tc_apply_fn apply, const void *arg, struct km_err *err)
{
    struct tc_row row = {{0}};
    struct tc_change ch = {.actor = actor, .note = note};
    if (number == NULL || actor == NULL || actor[0] == '\0') {
        return km_err_set(err, KM_EINPUT, "a ticket change needs a ticket number and an actor");
    }
    int rc = km_sql_exec(km_db_conn(db), "BEGIN", 0, NULL, NULL, "begin", err);
    if (rc == KM_OK) {
        rc = tc_lock(db, number, &row, err);
    }
    if (rc == KM_OK) {
        rc = apply(db, &row, arg, &ch, err);
    }
    if (rc == KM_OK && !ch.skip) {
        const char *v[] = {row.id, actor, ch.type, ch.before, ch.after, note};
        rc = km_sql_exec(km_db_conn(db), TC_SQL_EVENT, 6, v, NULL, "ticket event", err);
    }
    if (rc == KM_OK) {
        rc = km_sql_exec(km_db_conn(db), "COMMIT", 0, NULL, NULL, "commit", err);
    } else {
        km_sql_rollback(km_db_conn(db));
    }
    tc_row_clear(&row);
    free(ch.before);
    free(ch.after);
    return rc;
}

/* Runs an UPDATE of the locked ticket with parameters $1 = id, $2.. = vals. */
static int tc_update(struct km_db *db, const struct tc_row *row, const char *sql, int n,
                     const char *const *vals, PGresult **out, struct km_err *err)
{
    const char *v[4] = {row->id};
    for (int i = 0; i < n && i < 3; i++) {
        v[i + 1] = vals[i];
    }
    return km_sql_exec(km_db_conn(db), sql, n + 1, v, out, "update ticket", err);
}

/* ---- status -------------------------------------------------------------------------- */

static const char TC_SQL_STATUS[] =
    "UPDATE tickets SET status = $2, status_notes = $3, updated_at = now(), "
    "resolved_at = CASE WHEN $2 IN ('resolved', 'rejected') THEN now() "
    "WHEN $2 = 'reopened' THEN NULL ELSE resolved_at END, "
    "first_reaction_at = coalesce(first_reaction_at, now()) WHERE id = $1::bigint";

struct tc_status_arg {
    const char *status, *note;
};

static int tc_apply_status(struct km_db *db, const struct tc_row *row, const void *arg,
                           struct tc_change *ch, struct km_err *err)
{
    const struct tc_status_arg *a = arg;
    if (!km_ticket_transition_ok(row->status, a->status)) {
        char allowed[128];
        tc_allowed(row->status, allowed, sizeof(allowed));
        return km_err_set(err, KM_EINPUT, "ticket cannot go from %s to %s; allowed: %s",
                          row->status, a->status, allowed[0] ? allowed : "none");
    }
    const char *vals[] = {a->status, a->note};
    int rc = tc_update(db, row, TC_SQL_STATUS, 2, vals, NULL, err);
    ch->type = "status";
    ch->before = tc_json(1, (const char *const[]){"status", row->status});
    ch->after = tc_json(1, (const char *const[]){"status", a->status});
    return rc;
}

int km_ticket_status(struct km_db *db, const char *number, const char *status, const char *actor,
                     const char *note, struct km_err *err)
{
    if (!km_ticket_status_valid(status)) {
        return km_err_set(err, KM_EINPUT,
                          "unknown status '%s' (new, assigned, in_progress, resolved, rejected, "
                          "reopened)",
                          status != NULL ? status : "");
    }
    struct tc_status_arg a = {status, note};
    return tc_run(db, number, actor, note, tc_apply_status, &a, err);
}

/* ---- assign -------------------------------------------------------------------------- */

static const char TC_SQL_OPERATOR[] = "SELECT id, disabled FROM operators WHERE login = $1";
static const char TC_SQL_ASSIGN[] =
    "UPDATE tickets SET assignee = $2::bigint, updated_at = now(), "
    "status = CASE WHEN status IN ('new', 'reopened') THEN 'assigned' ELSE status END, "
    "first_reaction_at = coalesce(first_reaction_at, now()) WHERE id = $1::bigint "
    "RETURNING status";

static int tc_apply_assign(struct km_db *db, const struct tc_row *row, const void *arg,
                           struct tc_change *ch, struct km_err *err)
{
    const char *login = arg;
    PGresult *res = NULL;
    if (strcmp(row->status, "resolved") == 0 || strcmp(row->status, "rejected") == 0) {
        return km_err_set(err, KM_EINPUT, "ticket is %s: reopen it before assigning it",
                          row->status);
    }
    int rc = km_sql_exec(km_db_conn(db), TC_SQL_OPERATOR, 1, (const char *const[]){login}, &res,
                         "operator", err);
    if (rc == KM_OK && (PQntuples(res) == 0 || PQgetvalue(res, 0, 1)[0] == 't')) {
        rc = km_err_set(err, KM_EINPUT, "no active operator '%s' (operators table)", login);
    }
    char op[24] = "";
    if (rc == KM_OK) {
        snprintf(op, sizeof(op), "%s", PQgetvalue(res, 0, 0));
    }
    PQclear(res);
    res = NULL;
    if (rc == KM_OK) {
        rc = tc_update(db, row, TC_SQL_ASSIGN, 1, (const char *const[]){op}, &res, err);
    }
    if (rc == KM_OK) {
        ch->type = "assign";
        ch->before =
            tc_json(2, (const char *const[]){"assignee", row->assignee, "status", row->status});
        ch->after =
            tc_json(2, (const char *const[]){"assignee", login, "status", PQgetvalue(res, 0, 0)});
    }
    PQclear(res);
    return rc;
}

int km_ticket_assign(struct km_db *db, const char *number, const char *login, const char *actor,
                     const char *note, struct km_err *err)
{
    if (login == NULL || login[0] == '\0') {
        return km_err_set(err, KM_EINPUT, "assign needs an operator login");
    }
    return tc_run(db, number, actor, note, tc_apply_assign, login, err);
}

/* ---- priority, category, agency ------------------------------------------------------ */

static const char *const tc_set_sql[] = {
    "UPDATE tickets SET priority = $2::smallint, updated_at = now() WHERE id = $1::bigint",
    "UPDATE tickets SET category = $2, updated_at = now() WHERE id = $1::bigint",
    "UPDATE tickets SET agency = $2, updated_at = now() WHERE id = $1::bigint",
};
static const char *const tc_set_name[] = {"priority", "category", "agency"};
static const char TC_SQL_AGENCY[] = "SELECT 1 FROM agencies WHERE name = $1";

struct tc_set_arg {
    enum km_ticket_field field;
    char value[KM_ROUTING_MAX_VALUE + 8]; /* normalised: priority as "1".."4" */
};

/* The field's current value as text ("" for NULL). */
static const char *tc_field_now(const struct tc_row *row, enum km_ticket_field f, char *buf,
                                size_t size)
{
    if (f == KM_TICKET_PRIORITY) {
        snprintf(buf, size, "%d", row->priority);
        return buf;
    }
    const char *v = f == KM_TICKET_CATEGORY ? row->category : row->agency;
    return v != NULL ? v : "";
}

static int tc_apply_set(struct km_db *db, const struct tc_row *row, const void *arg,
                        struct tc_change *ch, struct km_err *err)
{
    const struct tc_set_arg *a = arg;
    char buf[16];
    const char *before = tc_field_now(row, a->field, buf, sizeof(buf));
    if (strcmp(before, a->value) == 0) {
        ch->skip = true;
        return KM_OK;
    }
    int rc = KM_OK;
    if (a->field == KM_TICKET_AGENCY) {
        PGresult *res = NULL;
        rc = km_sql_exec(km_db_conn(db), TC_SQL_AGENCY, 1, (const char *const[]){a->value}, &res,
                         "agency", err);
        if (rc == KM_OK && PQntuples(res) == 0) {
            rc = km_err_set(err, KM_EINPUT, "unknown agency '%s' (see the agencies table)",
                            a->value);
        }
        PQclear(res);
    }
    if (rc == KM_OK) {
        rc =
            tc_update(db, row, tc_set_sql[a->field], 1, (const char *const[]){a->value}, NULL, err);
    }
    bool num = a->field == KM_TICKET_PRIORITY;
    const char *key = num ? "#priority" : tc_set_name[a->field];
    ch->type = tc_set_name[a->field];
    ch->before = tc_json(1, (const char *const[]){key, before[0] ? before : NULL});
    ch->after = tc_json(1, (const char *const[]){key, a->value});
    return rc;
}

int km_ticket_set(struct km_db *db, const char *number, enum km_ticket_field field,
                  const char *value, const char *actor, const char *reason, struct km_err *err)
{
    struct tc_set_arg a = {.field = field};
    const char *v = value != NULL ? value : "";
    if (field == KM_TICKET_PRIORITY) {
        v += v[0] == 'P' || v[0] == 'p';
        if (v[0] < '1' || v[0] > '4' || v[1] != '\0') {
            return km_err_set(err, KM_EINPUT, "priority '%s': want P1..P4", value ? value : "");
        }
    } else if (field == KM_TICKET_CATEGORY) {
        int c = km_lex_class_parse(v);
        if (c < 0 || c >= KM_CAT_COUNT) {
            return km_err_set(err, KM_EINPUT, "unknown category '%s'", v);
        }
    } else if (field != KM_TICKET_AGENCY || v[0] == '\0' || strlen(v) > KM_ROUTING_MAX_VALUE) {
        return km_err_set(err, KM_EINPUT, "bad agency '%s'", v);
    }
    snprintf(a.value, sizeof(a.value), "%s", v);
    return tc_run(db, number, actor, reason, tc_apply_set, &a, err);
}

/* ---- note, reply, attach ------------------------------------------------------------- */

static const char TC_SQL_TOUCH[] = "UPDATE tickets SET updated_at = now() WHERE id = $1::bigint";
static const char TC_SQL_REPLIED[] =
    "UPDATE tickets SET updated_at = now(), "
    "first_reaction_at = coalesce(first_reaction_at, now()) WHERE id = $1::bigint";

static int tc_apply_note(struct km_db *db, const struct tc_row *row, const void *arg,
                         struct tc_change *ch, struct km_err *err)
{
    (void)arg;
    ch->type = "note";
    return tc_update(db, row, TC_SQL_TOUCH, 0, NULL, NULL, err);
}

int km_ticket_note(struct km_db *db, const char *number, const char *actor, const char *text,
                   struct km_err *err)
{
    if (text == NULL || text[0] == '\0') {
        return km_err_set(err, KM_EINPUT, "empty note");
    }
    return tc_run(db, number, actor, text, tc_apply_note, NULL, err);
}

static int tc_apply_reply(struct km_db *db, const struct tc_row *row, const void *arg,
                          struct tc_change *ch, struct km_err *err)
{
    ch->type = "reply";
    ch->after = tc_json(1, (const char *const[]){"message_id", (const char *)arg});
    return tc_update(db, row, TC_SQL_REPLIED, 0, NULL, NULL, err);
}

int km_ticket_reply(struct km_db *db, const char *number, const char *actor, const char *text,
                    const char *message_id, struct km_err *err)
{
    if (text == NULL || text[0] == '\0') {
        return km_err_set(err, KM_EINPUT, "empty reply");
    }
    return tc_run(db, number, actor, text, tc_apply_reply, message_id, err);
}

static const char TC_SQL_POST[] =
    "SELECT id, (SELECT number FROM tickets WHERE id = p.ticket) FROM posts p "
    "WHERE network = $1 AND post_id = $2 FOR UPDATE";
static const char TC_SQL_ATTACH[] = "UPDATE posts SET ticket = $1::bigint WHERE id = $2::bigint";

struct tc_attach_arg {
    const char *network, *post_id, *number;
};

static int tc_apply_attach(struct km_db *db, const struct tc_row *row, const void *arg,
                           struct tc_change *ch, struct km_err *err)
{
    const struct tc_attach_arg *a = arg;
    PGresult *res = NULL;
    int rc = km_sql_exec(km_db_conn(db), TC_SQL_POST, 2,
                         (const char *const[]){a->network, a->post_id}, &res, "find post", err);
    if (rc == KM_OK && PQntuples(res) == 0) {
        rc = km_err_set(err, KM_EINPUT, "no stored post %s:%s", a->network, a->post_id);
    } else if (rc == KM_OK && !PQgetisnull(res, 0, 1)) {
        const char *on = PQgetvalue(res, 0, 1);
        ch->skip = strcmp(on, a->number) == 0;
        if (!ch->skip) {
            rc = km_err_set(err, KM_EINPUT, "post %s:%s is on ticket %s", a->network, a->post_id,
                            on);
        }
    } else if (rc == KM_OK) {
        rc = tc_update(db, row, TC_SQL_ATTACH, 1, (const char *const[]){PQgetvalue(res, 0, 0)},
                       NULL, err);
        char *key = km_asprintf("%s:%s", a->network, a->post_id);
        ch->after = tc_json_posts(key);
        free(key);
        ch->type = "attach";
    }
    PQclear(res);
    return rc;
}

int km_ticket_attach(struct km_db *db, const char *number, const char *network, const char *post_id,
                     const char *actor, struct km_err *err)
{
    if (network == NULL || post_id == NULL) {
        return km_err_set(err, KM_EINPUT, "attach needs a post NETWORK:POST_ID");
    }
    struct tc_attach_arg a = {network, post_id, number};
    return tc_run(db, number, actor, NULL, tc_apply_attach, &a, err);
}
