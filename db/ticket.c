/* Ticket creation, agencies sync and the auto-ticket sweep (see ticket.h); the changes of
 * an existing ticket are in ticket_change.c. */
#include "db/ticket.h"

#include "common/alloc.h"
#include "common/log.h"
#include "db/sql.h"
#include "triage/lexicon.h"

#include <yajl/yajl_gen.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest prefix accepted: the number must stay short enough to read out on the phone. */
#define TK_PREFIX_MAX 16

/* The post a request names, without locking it yet. */
static const char TK_SQL_FIND_POST[] = "SELECT id, incident FROM posts WHERE id = $1::bigint OR "
                                       "(network = $2 AND post_id = $3) LIMIT 1";

/* Locks the source so concurrent creators for it run one after the other; the second
 * then sees the first one's ticket. */
static const char TK_SQL_LOCK_INCIDENT[] =
    "SELECT category, priority FROM incidents WHERE id = $1 FOR UPDATE";
static const char TK_SQL_LOCK_POST[] =
    "SELECT category, priority, ticket FROM posts WHERE id = $1::bigint FOR UPDATE";

/* The ticket an incident already has: its own, else one of its posts'. */
static const char TK_SQL_INCIDENT_TICKET[] =
    "SELECT coalesce((SELECT id FROM tickets WHERE incident = $1), "
    "(SELECT ticket FROM posts WHERE incident = $1 AND ticket IS NOT NULL "
    "ORDER BY id LIMIT 1))";
static const char TK_SQL_ADOPT[] =
    "UPDATE tickets SET incident = $2, updated_at = now() WHERE id = $1::bigint AND "
    "incident IS NULL AND NOT EXISTS (SELECT 1 FROM tickets WHERE incident = $2)";

/* Attaches the source's posts that have no ticket yet, with one "attach" event if any. */
static const char TK_SQL_ATTACH[] =
    "WITH a AS (UPDATE posts SET ticket = $1::bigint WHERE ticket IS NULL AND "
    "(id = $2::bigint OR incident = $3) RETURNING network || ':' || post_id AS k) "
    "INSERT INTO ticket_events (ticket, actor, type, after) "
    "SELECT $1::bigint, $4, 'attach', jsonb_build_object('posts', jsonb_agg(k ORDER BY k)) "
    "FROM a HAVING count(*) > 0";

/* The incident's first report: most urgent, then earliest. */
static const char TK_SQL_FIRST_POST[] =
    "SELECT id FROM posts WHERE incident = $1 AND ticket IS NULL "
    "ORDER BY priority NULLS LAST, coalesce(created_at, collected_at, stored_at), id LIMIT 1";

static const char TK_SQL_INSERT[] =
    "INSERT INTO tickets (number, category, priority, agency, description, place, post, "
    "incident, created_by, reaction_due, resolve_due) "
    "SELECT $1 || '-' || to_char(now() AT TIME ZONE $2, 'YYYY') || '-' || "
    "lpad(s.n::text, greatest(6, length(s.n::text)), '0'), $3, $4::smallint, $5, "
    "coalesce(p.text, ''), place_of(p.text), $6::bigint, $7, $8, "
    "now() + $9::bigint * interval '1 millisecond', "
    "now() + $10::bigint * interval '1 millisecond' "
    "FROM (SELECT nextval('ticket_seq') AS n) s LEFT JOIN posts p ON p.id = $6::bigint "
    "ON CONFLICT DO NOTHING RETURNING id, number";

static const char TK_SQL_CREATED_EVENT[] =
    "INSERT INTO ticket_events (ticket, actor, type, after, note) "
    "SELECT t.id, $2, 'created', jsonb_build_object('number', t.number, 'status', t.status, "
    "'category', t.category, 'priority', t.priority, 'agency', t.agency, 'place', t.place, "
    "'post', (SELECT network || ':' || post_id FROM posts WHERE id = t.post), "
    "'incident', t.incident, 'reaction_due', t.reaction_due, 'resolve_due', t.resolve_due), "
    "$3 FROM tickets t WHERE t.id = $1::bigint";

static const char TK_SQL_NUMBER[] = "SELECT number FROM tickets WHERE id = $1::bigint";

/* Where a request stands while it is being created. */
struct tk_src {
    char post[24];    /* posts.id as text, "" if none */
    char *incident;   /* NULL if none */
    char *category;   /* triage's, NULL if not scored */
    int priority;     /* triage's, 0 if not scored */
    long long ticket; /* a ticket it already has, 0 if none */
};

static void tk_src_clear(struct tk_src *s)
{
    free(s->incident);
    free(s->category);
    memset(s, 0, sizeof(*s));
}

static char *tk_value(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : km_strdup(PQgetvalue(res, row, col));
}

/* Finds the post (or takes the incident) the request names. */
static int tk_find(struct km_db *db, const struct km_ticket_req *req, struct tk_src *s,
                   struct km_err *err)
{
    PGresult *res = NULL;
    if (req->incident != NULL) {
        s->incident = km_strdup(req->incident);
        return KM_OK;
    }
    char id[24];
    snprintf(id, sizeof(id), "%lld", req->post);
    const char *vals[] = {req->post > 0 ? id : NULL, req->network, req->post_id};
    int rc = km_sql_exec(km_db_conn(db), TK_SQL_FIND_POST, 3, vals, &res, "find post", err);
    if (rc == KM_OK && PQntuples(res) == 0) {
        rc = req->post > 0
                 ? km_err_set(err, KM_EINPUT, "no stored post with id %lld", req->post)
                 : km_err_set(err, KM_EINPUT, "no stored post %s:%s",
                              req->network ? req->network : "", req->post_id ? req->post_id : "");
    }
    if (rc == KM_OK) {
        snprintf(s->post, sizeof(s->post), "%s", PQgetvalue(res, 0, 0));
        s->incident = tk_value(res, 0, 1);
    }
    PQclear(res);
    return rc;
}

/* Locks the incident or the post and reads its triage and any ticket it has. */
static int tk_lock(struct km_db *db, struct tk_src *s, struct km_err *err)
{
    PGresult *res = NULL;
    const char *v[] = {s->incident != NULL ? s->incident : s->post};
    int rc =
        km_sql_exec(km_db_conn(db), s->incident != NULL ? TK_SQL_LOCK_INCIDENT : TK_SQL_LOCK_POST,
                    1, v, &res, "lock source", err);
    if (rc == KM_OK && PQntuples(res) == 0) {
        rc = s->incident != NULL ? km_err_set(err, KM_EINPUT, "no incident '%s'", v[0])
                                 : km_err_set(err, KM_EINPUT, "post %s vanished", v[0]);
    }
    if (rc == KM_OK) {
        s->category = tk_value(res, 0, 0);
        s->priority = PQgetisnull(res, 0, 1) ? 0 : atoi(PQgetvalue(res, 0, 1));
        s->ticket =
            s->incident == NULL && !PQgetisnull(res, 0, 2) ? atoll(PQgetvalue(res, 0, 2)) : 0;
    }
    PQclear(res);
    if (rc == KM_OK && s->incident != NULL) {
        rc =
            km_sql_exec(km_db_conn(db), TK_SQL_INCIDENT_TICKET, 1, v, &res, "incident ticket", err);
        if (rc == KM_OK && !PQgetisnull(res, 0, 0)) {
            s->ticket = atoll(PQgetvalue(res, 0, 0));
        }
        PQclear(res);
    }
    return rc;
}

/* Attaches the source's unattached posts to ticket id (one "attach" event if any). */
static int tk_attach_src(struct km_db *db, long long id, const struct tk_src *s, const char *actor,
                         struct km_err *err)
{
    char tid[24];
    snprintf(tid, sizeof(tid), "%lld", id);
    const char *v[] = {tid, s->post[0] ? s->post : NULL, s->incident, actor};
    return km_sql_exec(km_db_conn(db), TK_SQL_ATTACH, 4, v, NULL, "attach posts", err);
}

/* The source already has ticket s->ticket: it becomes the incident's ticket if it has
 * none, takes the posts not attached yet, and is returned. */
static int tk_existing(struct km_db *db, const struct tk_src *s, const char *actor,
                       struct km_ticket_ref *out, struct km_err *err)
{
    PGresult *res = NULL;
    char tid[24];
    snprintf(tid, sizeof(tid), "%lld", s->ticket);
    const char *v[] = {tid, s->incident};
    int rc = KM_OK;
    if (s->incident != NULL) {
        rc = km_sql_exec(km_db_conn(db), TK_SQL_ADOPT, 2, v, NULL, "adopt ticket", err);
    }
    if (rc == KM_OK) {
        rc = tk_attach_src(db, s->ticket, s, actor, err);
    }
    if (rc == KM_OK) {
        rc = km_sql_exec(km_db_conn(db), TK_SQL_NUMBER, 1, v, &res, "ticket number", err);
    }
    if (rc == KM_OK && PQntuples(res) == 1) {
        out->id = s->ticket;
        snprintf(out->number, sizeof(out->number), "%s", PQgetvalue(res, 0, 0));
    }
    PQclear(res);
    return rc;
}

/* The values a new ticket gets: overrides, else triage and routing. */
struct tk_fields {
    const char *category;
    int cat, priority;
    const char *agency;
    int64_t react_ms, resolve_ms;
};

static const char TK_SQL_AGENCY_KNOWN[] = "SELECT 1 FROM agencies WHERE name = $1";
/* routing.conf's agency may not be mirrored yet (no sync since the file changed). */
static const char TK_SQL_AGENCY_ENSURE[] =
    "INSERT INTO agencies (name, categories) VALUES ($1, ARRAY[$2]) ON CONFLICT DO NOTHING";

static int tk_fields(struct km_db *db, const struct km_routing *r, const struct km_ticket_req *req,
                     const struct tk_src *s, struct tk_fields *f, struct km_err *err)
{
    PGresult *res = NULL;
    f->category = req->category != NULL ? req->category
                  : s->category != NULL ? s->category
                                        : km_lex_class_name(KM_CAT_OTHER);
    f->cat = km_lex_class_parse(f->category);
    if (f->cat < 0 || f->cat >= KM_CAT_COUNT) {
        return km_err_set(err, KM_EINPUT, "unknown category '%s'", f->category);
    }
    f->priority = req->priority != 0 ? req->priority : s->priority != 0 ? s->priority : 4;
    if (f->priority < 1 || f->priority > 4) {
        return km_err_set(err, KM_EINPUT, "priority %d: want 1..4", f->priority);
    }
    f->react_ms = km_routing_reaction_ms(r, f->cat, f->priority);
    f->resolve_ms = km_routing_resolve_ms(r, f->cat, f->priority);
    f->agency = req->agency != NULL ? req->agency : km_routing_agency(r, f->cat);
    if (f->agency == NULL) {
        return KM_OK;
    }
    const char *v[] = {f->agency, f->category};
    int rc = req->agency != NULL
                 ? km_sql_exec(km_db_conn(db), TK_SQL_AGENCY_KNOWN, 1, v, &res, "agency", err)
                 : km_sql_exec(km_db_conn(db), TK_SQL_AGENCY_ENSURE, 2, v, NULL, "agency", err);
    if (rc == KM_OK && req->agency != NULL && PQntuples(res) == 0) {
        rc = km_err_set(err, KM_EINPUT, "unknown agency '%s' (see the agencies table)", f->agency);
    }
    PQclear(res);
    return rc;
}

/* Inserts the ticket; *made = false if a concurrent creator won (ON CONFLICT). */
static int tk_insert(struct km_db *db, const struct km_routing *r, const struct km_ticket_req *req,
                     const struct tk_src *s, const struct tk_fields *f, struct km_ticket_ref *out,
                     bool *made, struct km_err *err)
{
    PGresult *res = NULL;
    char post[24] = "", prio[8], react[24], resolve[24];
    int rc = KM_OK;
    if (s->post[0] != '\0') {
        snprintf(post, sizeof(post), "%s", s->post);
    } else if ((rc = km_sql_exec(km_db_conn(db), TK_SQL_FIRST_POST, 1,
                                 (const char *const[]){s->incident}, &res, "first post", err)) ==
                   KM_OK &&
               PQntuples(res) == 1) {
        snprintf(post, sizeof(post), "%s", PQgetvalue(res, 0, 0));
    }
    PQclear(res);
    res = NULL;
    snprintf(prio, sizeof(prio), "%d", f->priority);
    snprintf(react, sizeof(react), "%lld", (long long)f->react_ms);
    snprintf(resolve, sizeof(resolve), "%lld", (long long)f->resolve_ms);
    const char *prefix = req->prefix != NULL ? req->prefix : KM_TICKET_DEFAULT_PREFIX;
    const char *v[] = {
        prefix,      km_routing_zone(r), f->category, prio,   f->agency, post[0] ? post : NULL,
        s->incident, req->actor,         react,       resolve};
    if (rc == KM_OK) {
        rc = km_sql_exec(km_db_conn(db), TK_SQL_INSERT, 10, v, &res, "insert ticket", err);
    }
    *made = rc == KM_OK && PQntuples(res) == 1;
    if (*made) {
        out->id = atoll(PQgetvalue(res, 0, 0));
        snprintf(out->number, sizeof(out->number), "%s", PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    return rc;
}

/* The new ticket's posts and its "created" event. */
static int tk_created(struct km_db *db, const struct km_ticket_req *req, const struct tk_src *s,
                      const struct km_ticket_ref *t, struct km_err *err)
{
    char tid[24];
    snprintf(tid, sizeof(tid), "%lld", t->id);
    const char *v[] = {tid, req->actor, req->note};
    int rc = km_sql_exec(km_db_conn(db), TK_SQL_CREATED_EVENT, 3, v, NULL, "created event", err);
    return rc == KM_OK ? tk_attach_src(db, t->id, s, req->actor, err) : rc;
}

/* One attempt in one transaction; *again when a concurrent creator won the insert. */
static int tk_create_tx(struct km_db *db, const struct km_routing *r,
                        const struct km_ticket_req *req, struct km_ticket_ref *out, bool *existed,
                        bool *again, struct km_err *err)
{
    struct tk_src s = {{0}};
    struct tk_fields f = {0};
    bool made = false;
    int rc = km_sql_exec(km_db_conn(db), "BEGIN", 0, NULL, NULL, "begin", err);
    if (rc == KM_OK) {
        rc = tk_find(db, req, &s, err);
    }
    if (rc == KM_OK) {
        rc = tk_lock(db, &s, err);
    }
    if (rc == KM_OK && s.ticket != 0) {
        *existed = true;
        rc = tk_existing(db, &s, req->actor, out, err);
        goto out;
    }
    if (rc == KM_OK) {
        rc = tk_fields(db, r, req, &s, &f, err);
    }
    if (rc == KM_OK) {
        rc = tk_insert(db, r, req, &s, &f, out, &made, err);
    }
    if (rc == KM_OK && made) {
        rc = tk_created(db, req, &s, out, err);
    }
    *again = rc == KM_OK && !made;
out:
    if (rc == KM_OK && !*again) {
        rc = km_sql_exec(km_db_conn(db), "COMMIT", 0, NULL, NULL, "commit", err);
    } else {
        km_sql_rollback(km_db_conn(db));
    }
    tk_src_clear(&s);
    return rc;
}

/* Checks a request before any SQL runs. */
static int tk_req_check(const struct km_ticket_req *req, struct km_err *err)
{
    int sources =
        (req->network != NULL || req->post_id != NULL) + (req->post > 0) + (req->incident != NULL);
    if (sources != 1 || ((req->network == NULL) != (req->post_id == NULL))) {
        return km_err_set(err, KM_EINPUT,
                          "a ticket needs exactly one source: network + post id, post or incident");
    }
    if (req->actor == NULL || req->actor[0] == '\0') {
        return km_err_set(err, KM_EINPUT, "a ticket needs an actor (operator login or auto)");
    }
    if (req->prefix != NULL && (req->prefix[0] == '\0' || strlen(req->prefix) > TK_PREFIX_MAX)) {
        return km_err_set(err, KM_EINPUT, "ticket prefix '%s': want 1 to %d characters",
                          req->prefix, TK_PREFIX_MAX);
    }
    return KM_OK;
}

int km_ticket_create(struct km_db *db, const struct km_routing *r, const struct km_ticket_req *req,
                     struct km_ticket_ref *out, bool *existed, struct km_err *err)
{
    bool ex = false, again = false;
    memset(out, 0, sizeof(*out));
    int rc = tk_req_check(req, err);
    /* A lost ON CONFLICT race means the other ticket is committed: the second attempt
     * finds it. A third is never needed; the bound only guards against a bug looping. */
    for (int attempt = 0; rc == KM_OK && attempt < 3; attempt++) {
        rc = tk_create_tx(db, r, req, out, &ex, &again, err);
        if (!again) {
            break;
        }
    }
    if (rc == KM_OK && again) {
        rc = km_err_set(err, KM_ERR, "ticket creation kept conflicting");
    }
    if (existed != NULL) {
        *existed = ex;
    }
    return rc;
}

/* ---- agencies ------------------------------------------------------------------------ */

static const char TK_SQL_AGENCY_UPSERT[] =
    "INSERT INTO agencies (name, categories, active) "
    "VALUES ($1, ARRAY(SELECT jsonb_array_elements_text($2::jsonb)), true) "
    "ON CONFLICT (name) DO UPDATE SET categories = EXCLUDED.categories, active = true, "
    "updated_at = now() WHERE (agencies.categories, agencies.active) IS DISTINCT FROM "
    "(EXCLUDED.categories, true)";
static const char TK_SQL_AGENCY_RETIRE[] =
    "UPDATE agencies SET active = false, updated_at = now() WHERE active AND "
    "NOT (name = ANY (ARRAY(SELECT jsonb_array_elements_text($1::jsonb))))";

/* JSON array of strings (yajl escapes them); free() the result. */
static char *tk_json_strings(const char *const *items, size_t n)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    const unsigned char *buf = NULL;
    size_t len = 0;
    if (g == NULL) {
        KM_LOG_ERROR("yajl_gen_alloc failed: out of memory");
        abort();
    }
    yajl_gen_array_open(g);
    for (size_t i = 0; i < n; i++) {
        yajl_gen_string(g, (const unsigned char *)items[i], strlen(items[i]));
    }
    yajl_gen_array_close(g);
    yajl_gen_get_buf(g, &buf, &len);
    char *s = km_strndup((const char *)buf, len);
    yajl_gen_free(g);
    return s;
}

/* Upserts one agency with its categories. */
static int tk_agency_upsert(struct km_db *db, const struct km_routing_agency *a, struct km_err *err)
{
    const char *cats[KM_CAT_COUNT];
    size_t n = 0;
    for (int c = 0; c < KM_CAT_COUNT; c++) {
        if (a->categories & ((uint64_t)1 << c)) {
            cats[n++] = km_lex_class_name(c);
        }
    }
    char *json = tk_json_strings(cats, n);
    const char *v[] = {a->name, json};
    int rc = km_sql_exec(km_db_conn(db), TK_SQL_AGENCY_UPSERT, 2, v, NULL, "upsert agency", err);
    free(json);
    return rc;
}

int km_ticket_sync_agencies(struct km_db *db, const struct km_routing *r, size_t *active,
                            struct km_err *err)
{
    struct km_routing_agency a[KM_CAT_COUNT];
    const char *names[KM_CAT_COUNT];
    char *json = NULL;
    size_t n = km_routing_agencies(r, a, KM_CAT_COUNT);
    int rc = km_sql_exec(km_db_conn(db), "BEGIN", 0, NULL, NULL, "begin", err);
    for (size_t i = 0; rc == KM_OK && i < n; i++) {
        names[i] = a[i].name;
        rc = tk_agency_upsert(db, &a[i], err);
    }
    if (rc == KM_OK) {
        json = tk_json_strings(names, n);
        const char *v[] = {json};
        rc = km_sql_exec(km_db_conn(db), TK_SQL_AGENCY_RETIRE, 1, v, NULL, "retire agencies", err);
    }
    if (rc == KM_OK) {
        rc = km_sql_exec(km_db_conn(db), "COMMIT", 0, NULL, NULL, "commit", err);
    } else {
        km_sql_rollback(km_db_conn(db));
    }
    free(json);
    if (active != NULL) {
        *active = rc == KM_OK ? n : 0;
    }
    return rc;
}

/* ---- auto-ticket sweep --------------------------------------------------------------- */

/* Posts of the window without a ticket, with their incident's triage when they have one;
 * an incident's posts come together so it is considered once. */
static const char TK_SQL_SWEEP[] =
    "SELECT p.id, p.incident, coalesce(i.category, p.category), "
    "coalesce(i.priority, p.priority) FROM posts p LEFT JOIN incidents i ON i.id = p.incident "
    "WHERE p.ticket IS NULL AND p.stored_at > now() - interval '" KM_TICKET_SWEEP_WINDOW "' "
    "AND coalesce(i.priority, p.priority) IS NOT NULL ORDER BY p.incident NULLS LAST, p.id";

/* Creates the ticket of row i of the sweep if the rules want one. */
static int tk_sweep_row(struct km_db *db, const struct km_routing *r, const PGresult *res, int i,
                        const char *actor, const char *prefix, size_t *created, struct km_err *err)
{
    int cat = PQgetisnull(res, i, 2) ? -1 : km_lex_class_parse(PQgetvalue(res, i, 2));
    int prio = atoi(PQgetvalue(res, i, 3));
    if (!km_routing_auto_ticket(r, cat, prio)) {
        return KM_OK;
    }
    struct km_ticket_req req = {.post = atoll(PQgetvalue(res, i, 0)),
                                .actor = actor,
                                .prefix = prefix,
                                .note = "auto_ticket rule"};
    struct km_ticket_ref t;
    bool existed = false;
    int rc = km_ticket_create(db, r, &req, &t, &existed, err);
    if (rc == KM_OK && !existed) {
        (*created)++;
        KM_SLOG_INFO("tickets", "auto ticket %s for post %s (P%d)", t.number, PQgetvalue(res, i, 0),
                     prio);
    }
    return rc;
}

int km_ticket_auto_sweep(struct km_db *db, const struct km_routing *r, const char *actor,
                         const char *prefix, size_t *created, struct km_err *err)
{
    PGresult *res = NULL;
    size_t n = 0;
    int rc = KM_OK;
    bool any = km_routing_auto_level(r, -1) > 0;
    for (int c = 0; c < KM_CAT_COUNT && !any; c++) {
        any = km_routing_auto_level(r, c) > 0;
    }
    if (any) {
        rc = km_sql_exec(km_db_conn(db), TK_SQL_SWEEP, 0, NULL, &res, "auto-ticket sweep", err);
    }
    const char *last_incident = NULL;
    for (int i = 0; rc == KM_OK && res != NULL && i < PQntuples(res); i++) {
        const char *inc = PQgetisnull(res, i, 1) ? NULL : PQgetvalue(res, i, 1);
        if (inc != NULL && last_incident != NULL && strcmp(inc, last_incident) == 0) {
            continue; /* the incident's first post decided for all of them */
        }
        last_incident = inc;
        rc = tk_sweep_row(db, r, res, i, actor, prefix, &n, err);
    }
    PQclear(res);
    if (created != NULL) {
        *created = n;
    }
    return rc;
}
