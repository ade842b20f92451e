/* komekctl ticket and komekctl events (see ticket.h). */
#include "ctl/ticket.h"

#include "app/setup.h"
#include "common/alloc.h"
#include "db/db.h"
#include "db/open311.h"
#include "db/outbox.h"
#include "db/sql.h"
#include "db/ticket.h"
#include "queue/events.h"
#include "triage/routing.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TK_EXIT_FAIL  1
#define TK_EXIT_USAGE 2

/* Everything the sub-commands accept; each uses its part. */
struct tk_args {
    const char *sub, *post, *incident, *category, *agency, *priority, *note, *as;
    const char *status, *from, *to;
    bool json, overdue, open311;
    int npos;
    char **pos; /* positional arguments after SUB */
};

/* What a sub-command runs with. */
struct tk_ctx {
    const struct km_config *cfg;
    struct km_db *db;
    struct km_routing *routing;
    char *actor;
    const struct tk_args *a;
};

static const char tk_usage_text[] =
    "usage: komekctl [-c FILE] ticket create --post NETWORK:POST_ID | --incident ID\n"
    "                    [--category C] [--agency A] [--priority PN] [--note TEXT] [--as LOGIN]\n"
    "       komekctl ticket show NUMBER [--json]\n"
    "       komekctl ticket list [--status S] [--agency A] [--overdue] [--json]\n"
    "       komekctl ticket status NUMBER STATUS [--note TEXT] [--as LOGIN]\n"
    "       komekctl ticket assign NUMBER LOGIN [--note TEXT] [--as LOGIN]\n"
    "       komekctl ticket note NUMBER TEXT [--as LOGIN]\n"
    "       komekctl ticket export --open311 [--from RFC3339] [--to RFC3339] [--status S]\n"
    "       komekctl ticket sweep | agencies\n";

static int tk_parse(int argc, char **argv, struct tk_args *a)
{
    static const struct option longopts[] = {
        {"post", required_argument, NULL, 'p'},     {"incident", required_argument, NULL, 'i'},
        {"category", required_argument, NULL, 'c'}, {"agency", required_argument, NULL, 'a'},
        {"priority", required_argument, NULL, 'P'}, {"note", required_argument, NULL, 'n'},
        {"as", required_argument, NULL, 'u'},       {"status", required_argument, NULL, 's'},
        {"from", required_argument, NULL, 'f'},     {"to", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'},           {"overdue", no_argument, NULL, 'o'},
        {"open311", no_argument, NULL, 'O'},        {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof(*a));
    optind = 0; /* glibc: a fresh scan of the sub-command's arguments */
    int ch;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case 'p':
            a->post = optarg;
            break;
        case 'i':
            a->incident = optarg;
            break;
        case 'c':
            a->category = optarg;
            break;
        case 'a':
            a->agency = optarg;
            break;
        case 'P':
            a->priority = optarg;
            break;
        case 'n':
            a->note = optarg;
            break;
        case 'u':
            a->as = optarg;
            break;
        case 's':
            a->status = optarg;
            break;
        case 'f':
            a->from = optarg;
            break;
        case 't':
            a->to = optarg;
            break;
        case 'j':
            a->json = true;
            break;
        case 'o':
            a->overdue = true;
            break;
        case 'O':
            a->open311 = true;
            break;
        default:
            return TK_EXIT_USAGE; /* getopt_long said why */
        }
    }
    if (optind >= argc) {
        return TK_EXIT_USAGE;
    }
    a->sub = argv[optind]; /* getopt_long moved the operands behind the options */
    a->pos = argv + optind + 1;
    a->npos = argc - optind - 1;
    return 0;
}

/* Publishes the outbox after a change; a failure only warns (the tickets role retries). */
static void tk_publish(const struct km_config *cfg, struct km_db *db, bool quiet)
{
    struct km_queue_opts qo;
    struct km_events *ev = NULL;
    struct km_err err = {{0}};
    size_t n = 0, total = 0;
    km_app_queue_opts(cfg, &qo);
    int rc = km_events_new(&qo, &ev, &err);
    do {
        rc = rc == KM_OK ? km_outbox_publish(db, ev, 0, &n, &err) : rc;
        total += rc == KM_OK ? n : 0;
    } while (rc == KM_OK && n == KM_OUTBOX_BATCH);
    if (rc != KM_OK) {
        fprintf(stderr,
                "komekctl: events not published yet (%s); they stay in the outbox "
                "for the tickets role\n",
                err.msg);
    } else if (!quiet) {
        printf("published %zu event(s) to %s\n", total, km_events_key(ev));
    }
    km_events_free(ev);
}

/* Exit status for a library result, after printing err. */
static int tk_status(int rc, const struct km_err *err)
{
    if (rc != KM_OK) {
        fprintf(stderr, "komekctl: %s\n", err->msg);
    }
    return rc == KM_OK ? 0 : TK_EXIT_FAIL;
}

static int tk_create(struct tk_ctx *c)
{
    const struct tk_args *a = c->a;
    struct km_ticket_req req = {.incident = a->incident,
                                .actor = c->actor,
                                .category = a->category,
                                .agency = a->agency,
                                .note = a->note,
                                .prefix = km_section_get(c->cfg->global, "ticket_prefix")};
    char *net = NULL;
    if ((a->post == NULL) == (a->incident == NULL) || c->a->npos != 0) {
        fprintf(stderr, "komekctl ticket create: give --post NETWORK:POST_ID or --incident ID\n");
        return TK_EXIT_USAGE;
    }
    if (a->post != NULL) {
        const char *colon = strchr(a->post, ':');
        if (colon == NULL || colon == a->post || colon[1] == '\0') {
            fprintf(stderr, "komekctl ticket create: --post %s: want NETWORK:POST_ID\n", a->post);
            return TK_EXIT_USAGE;
        }
        net = km_strndup(a->post, (size_t)(colon - a->post));
        req.network = net;
        req.post_id = colon + 1;
    }
    if (a->priority != NULL) {
        const char *p = a->priority + (a->priority[0] == 'P' || a->priority[0] == 'p');
        req.priority = p[0] >= '1' && p[0] <= '4' && p[1] == '\0' ? p[0] - '0' : -1;
    }
    struct km_ticket_ref t;
    struct km_err err = {{0}};
    bool existed = false;
    int rc = req.priority < 0
                 ? km_err_set(&err, KM_EINPUT, "--priority %s: want P1..P4", a->priority)
                 : km_ticket_create(c->db, c->routing, &req, &t, &existed, &err);
    if (rc == KM_OK) {
        printf("%s %s\n", t.number, existed ? "already exists" : "created");
    }
    free(net);
    return tk_status(rc, &err);
}

static int tk_change(struct tk_ctx *c)
{
    const struct tk_args *a = c->a;
    struct km_err err = {{0}};
    const char *sub = a->sub;
    int want = strcmp(sub, "status") == 0 || strcmp(sub, "assign") == 0 || strcmp(sub, "note") == 0
                   ? 2
                   : -1;
    if (a->npos != want) {
        fputs(tk_usage_text, stderr);
        return TK_EXIT_USAGE;
    }
    const char *number = a->pos[0], *arg = a->pos[1];
    int rc =
        strcmp(sub, "status") == 0   ? km_ticket_status(c->db, number, arg, c->actor, a->note, &err)
        : strcmp(sub, "assign") == 0 ? km_ticket_assign(c->db, number, arg, c->actor, a->note, &err)
                                     : km_ticket_note(c->db, number, c->actor, arg, &err);
    if (rc == KM_OK) {
        printf("%s: %s done\n", number, sub);
    }
    return tk_status(rc, &err);
}

/* Prints rows of res as aligned text columns with a header. */
static void tk_table(const PGresult *res, const int *widths)
{
    int cols = PQnfields(res);
    for (int i = -1; i < PQntuples(res); i++) {
        for (int k = 0; k < cols; k++) {
            const char *v = i < 0 ? PQfname(res, k) : PQgetvalue(res, i, k);
            printf(k + 1 < cols ? "%-*s " : "%-*s\n", widths[k], v[0] ? v : "-");
        }
    }
}

static const char TK_SQL_SHOW[] =
    "SELECT number, status, 'P' || priority AS priority, category, agency, place, "
    "(SELECT login FROM operators WHERE id = t.assignee) AS assignee, created_by, "
    "created_at, reaction_due, first_reaction_at, resolve_due, resolved_at, status_notes, "
    "description FROM tickets t WHERE number = $1";
static const char TK_SQL_SHOW_EVENTS[] =
    "SELECT e.id, to_char(e.at, 'YYYY-MM-DD HH24:MI:SS') AS at, e.actor, e.type, "
    "coalesce(e.before::text, '') AS before, coalesce(e.after::text, '') AS after, "
    "coalesce(e.note, '') AS note FROM ticket_events e JOIN tickets t ON t.id = e.ticket "
    "WHERE t.number = $1 ORDER BY e.id";
static const char TK_SQL_SHOW_POSTS[] =
    "SELECT p.network || ':' || p.post_id AS post, coalesce(p.url, '') AS url, "
    "left(p.text, 60) AS text FROM posts p JOIN tickets t ON t.id = p.ticket "
    "WHERE t.number = $1 ORDER BY p.id";
static const char TK_SQL_SHOW_JSON[] =
    "SELECT jsonb_build_object('ticket', to_jsonb(t) - 'assignee' || jsonb_build_object("
    "'assignee', (SELECT login FROM operators WHERE id = t.assignee)), "
    "'events', coalesce((SELECT jsonb_agg(to_jsonb(e) ORDER BY e.id) FROM ticket_events e "
    "WHERE e.ticket = t.id), '[]'), 'posts', coalesce((SELECT jsonb_agg(jsonb_build_object("
    "'network', p.network, 'post_id', p.post_id, 'url', p.url, 'text', p.text) ORDER BY p.id) "
    "FROM posts p WHERE p.ticket = t.id), '[]'))::text FROM tickets t WHERE number = $1";

static int tk_show_text(struct tk_ctx *c, const char *number, struct km_err *err)
{
    PGconn *conn = km_db_conn(c->db);
    PGresult *res = NULL;
    const char *v[] = {number};
    int rc = km_sql_exec(conn, TK_SQL_SHOW, 1, v, &res, "show ticket", err);
    if (rc == KM_OK && PQntuples(res) == 0) {
        rc = km_err_set(err, KM_EINPUT, "no ticket '%s'", number);
    }
    for (int k = 0; rc == KM_OK && k < PQnfields(res); k++) {
        const char *val = PQgetvalue(res, 0, k);
        printf("%-18s %s\n", PQfname(res, k), val[0] ? val : "-");
    }
    PQclear(res);
    res = NULL;
    static const int ew[] = {6, 19, 16, 9, 24, 24, 0}, pw[] = {24, 32, 0};
    if (rc == KM_OK &&
        (rc = km_sql_exec(conn, TK_SQL_SHOW_EVENTS, 1, v, &res, "events", err)) == KM_OK) {
        printf("\nevents:\n");
        tk_table(res, ew);
    }
    PQclear(res);
    res = NULL;
    if (rc == KM_OK &&
        (rc = km_sql_exec(conn, TK_SQL_SHOW_POSTS, 1, v, &res, "posts", err)) == KM_OK) {
        printf("\nposts:\n");
        tk_table(res, pw);
    }
    PQclear(res);
    return rc;
}

static int tk_show(struct tk_ctx *c)
{
    struct km_err err = {{0}};
    PGresult *res = NULL;
    if (c->a->npos != 1) {
        fputs(tk_usage_text, stderr);
        return TK_EXIT_USAGE;
    }
    const char *v[] = {c->a->pos[0]};
    int rc = KM_OK;
    if (!c->a->json) {
        rc = tk_show_text(c, v[0], &err);
    } else if ((rc = km_sql_exec(km_db_conn(c->db), TK_SQL_SHOW_JSON, 1, v, &res, "show ticket",
                                 &err)) == KM_OK) {
        if (PQntuples(res) == 0) {
            rc = km_err_set(&err, KM_EINPUT, "no ticket '%s'", v[0]);
        } else {
            printf("%s\n", PQgetvalue(res, 0, 0));
        }
    }
    PQclear(res);
    return tk_status(rc, &err);
}

#define TK_LIST_WHERE                                                                              \
    "WHERE ($1::text IS NULL OR t.status = $1) AND ($2::text IS NULL OR t.agency = $2) "           \
    "AND (NOT $3::boolean OR t.id IN (SELECT id FROM tickets_overdue)) "
static const char TK_SQL_LIST[] =
    "SELECT number, status, 'P' || priority AS prio, category, "
    "to_char(created_at, 'YYYY-MM-DD HH24:MI') AS created, "
    "to_char(resolve_due, 'YYYY-MM-DD HH24:MI') AS resolve_due, "
    "CASE WHEN status NOT IN ('resolved', 'rejected') AND resolve_due < now() THEN 'OVERDUE' "
    "WHEN first_reaction_at IS NULL AND reaction_due < now() AND status NOT IN ('resolved', "
    "'rejected') THEN 'NO REACTION' ELSE '' END AS sla, coalesce(agency, '') AS agency "
    "FROM tickets t " TK_LIST_WHERE "ORDER BY t.id";
static const char TK_SQL_LIST_JSON[] = "SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.id), "
                                       "'[]')::text FROM tickets t " TK_LIST_WHERE;

static int tk_list(struct tk_ctx *c)
{
    struct km_err err = {{0}};
    PGresult *res = NULL;
    const struct tk_args *a = c->a;
    if (a->npos != 0) {
        fputs(tk_usage_text, stderr);
        return TK_EXIT_USAGE;
    }
    if (a->status != NULL && !km_ticket_status_valid(a->status)) {
        fprintf(stderr,
                "komekctl ticket list: --status %s: want new, assigned, in_progress, "
                "resolved, rejected or reopened\n",
                a->status);
        return TK_EXIT_USAGE;
    }
    const char *v[] = {a->status, a->agency, a->overdue ? "t" : "f"};
    int rc = km_sql_exec(km_db_conn(c->db), a->json ? TK_SQL_LIST_JSON : TK_SQL_LIST, 3, v, &res,
                         "list tickets", &err);
    if (rc == KM_OK && a->json) {
        printf("%s\n", PQgetvalue(res, 0, 0));
    } else if (rc == KM_OK) {
        static const int w[] = {16, 11, 4, 13, 16, 16, 11, 0};
        tk_table(res, w);
        printf("%d ticket(s)\n", PQntuples(res));
    }
    PQclear(res);
    return tk_status(rc, &err);
}

static int tk_export(struct tk_ctx *c)
{
    struct km_err err = {{0}};
    const struct tk_args *a = c->a;
    if (!a->open311 || a->npos != 0) {
        fprintf(stderr, "komekctl ticket export: --open311 is the only format\n");
        return TK_EXIT_USAGE;
    }
    struct km_ticket_filter f = {.status = a->status,
                                 .agency = a->agency,
                                 .overdue = a->overdue,
                                 .from = a->from,
                                 .to = a->to};
    char *json = NULL;
    int rc = km_open311_export(c->db, &f, &json, NULL, &err);
    if (rc == KM_OK) {
        printf("%s\n", json);
    }
    free(json);
    return tk_status(rc, &err);
}

static int tk_sweep(struct tk_ctx *c)
{
    struct km_err err = {{0}};
    size_t n = 0;
    int rc = km_ticket_auto_sweep(c->db, c->routing, "auto",
                                  km_section_get(c->cfg->global, "ticket_prefix"), &n, &err);
    if (rc == KM_OK) {
        printf("%zu ticket(s) created by [auto_ticket]\n", n);
    }
    return tk_status(rc, &err);
}

static int tk_agencies(struct tk_ctx *c)
{
    struct km_err err = {{0}};
    size_t n = 0;
    int rc = km_ticket_sync_agencies(c->db, c->routing, &n, &err);
    if (rc == KM_OK) {
        printf("%zu active agencies from routing.conf\n", n);
    }
    return tk_status(rc, &err);
}

/* Loads routing.conf, connects, picks the actor. 0 or an exit status. */
static int tk_open(const struct km_config *cfg, struct tk_ctx *c)
{
    struct km_err err = {{0}};
    char *path = km_config_path(cfg, km_section_get(cfg->global, "routing"));
    int rc = km_routing_load(path, stderr, &c->routing, &err);
    free(path);
    if (rc != KM_OK) {
        fprintf(stderr, "komekctl: routing: %s\n", err.msg);
        return TK_EXIT_USAGE;
    }
    if (km_db_connect(km_section_get(cfg->global, "postgres"), &c->db, &err) != KM_OK) {
        fprintf(stderr, "komekctl: %s\n", err.msg);
        return TK_EXIT_FAIL;
    }
    const char *user = getenv("USER");
    c->actor = c->a->as != NULL ? km_strdup(c->a->as)
                                : km_asprintf("komekctl:%s", user != NULL ? user : "unknown");
    return 0;
}

int km_ctl_ticket(const struct km_config *cfg, int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(struct tk_ctx *c);
        bool changes; /* publish the outbox afterwards */
    } subs[] = {
        {"create", tk_create, true},  {"status", tk_change, true}, {"assign", tk_change, true},
        {"note", tk_change, true},    {"show", tk_show, false},    {"list", tk_list, false},
        {"export", tk_export, false}, {"sweep", tk_sweep, true},   {"agencies", tk_agencies, false},
    };
    struct tk_args a;
    struct tk_ctx c = {.cfg = cfg, .a = &a};
    int status = tk_parse(argc, argv, &a);
    size_t i = 0;
    while (status == 0 && i < sizeof(subs) / sizeof(subs[0]) && strcmp(subs[i].name, a.sub) != 0) {
        i++;
    }
    if (status != 0 || i == sizeof(subs) / sizeof(subs[0])) {
        fputs(tk_usage_text, stderr);
        return TK_EXIT_USAGE;
    }
    status = tk_open(cfg, &c);
    if (status == 0) {
        status = subs[i].run(&c);
    }
    if (status == 0 && subs[i].changes) {
        tk_publish(cfg, c.db, true);
    }
    free(c.actor);
    km_db_free(c.db);
    km_routing_free(c.routing);
    return status;
}

int km_ctl_events(const struct km_config *cfg, int argc, char **argv)
{
    struct km_db *db = NULL;
    struct km_err err = {{0}};
    if (argc != 2 || strcmp(argv[1], "publish") != 0) {
        fprintf(stderr, "usage: komekctl [-c FILE] events publish\n");
        return TK_EXIT_USAGE;
    }
    if (km_db_connect(km_section_get(cfg->global, "postgres"), &db, &err) != KM_OK) {
        fprintf(stderr, "komekctl: %s\n", err.msg);
        return TK_EXIT_FAIL;
    }
    tk_publish(cfg, db, false);
    long long left = 0;
    int rc = km_outbox_pending(db, &left, &err);
    km_db_free(db);
    return rc == KM_OK && left == 0 ? 0 : TK_EXIT_FAIL;
}
