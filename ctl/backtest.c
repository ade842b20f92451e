/* komekctl backtest: the stored posts re-triaged with a candidate lexicon, compared with
 * what triage said when they were stored. */
#include "ctl/backtest.h"

#include "common/alloc.h"
#include "common/buf.h"
#include "common/time.h"
#include "db/db.h"
#include "parser/json.h"
#include "parser/post.h"
#include "triage/score.h"

#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define BT_EXIT_FAIL 1
#define BT_EXIT_USAGE 2
#define BT_DEFAULT_LIMIT 20
/* Rows fetched per query: bounded memory whatever the size of the table. */
#define BT_BATCH "500"
#define BT_MAX_PAIRS 64

/* Scored posts after $1 (posts.id) in id order, one batch. The incident size is the number
 * of the incident's posts written up to the post (or up to its last escalation), which is
 * what triage counted when it scored it. "Now" is the post's created_at. */
static const char BT_SQL[] =
    "SELECT p.id, p.network || ':' || p.post_id, p.category, p.priority, p.urgency, "
    "p.post::text, (extract(epoch FROM coalesce(p.created_at, p.collected_at, p.stored_at))"
    " * 1000)::bigint, "
    "CASE WHEN p.incident IS NULL THEN 1 ELSE (SELECT count(*) FROM posts q "
    "WHERE q.incident = p.incident AND q.created_at <= coalesce(p.escalated_at, p.created_at))"
    " END "
    "FROM posts p WHERE p.id > $1::bigint AND p.priority IS NOT NULL "
    "AND ($2::timestamptz IS NULL OR p.created_at >= $2::timestamptz) "
    "ORDER BY p.id LIMIT " BT_BATCH;

enum { BT_C_ROWID, BT_C_ID, BT_C_CAT, BT_C_PRIO, BT_C_URG, BT_C_POST, BT_C_NOW, BT_C_SIZE };

struct bt_args {
    const char *lexicon, *routing, *since;
    long limit;
    bool json;
};

/* One category move (from -> to) and how many posts made it. */
struct bt_pair {
    char *from, *to;
    size_t posts;
};

struct bt_stats {
    size_t compared, changed, cat_moves, up, down, urgency_moves, bad;
    size_t matrix[4][4]; /* [old priority - 1][new priority - 1] */
    struct bt_pair pairs[BT_MAX_PAIRS];
    size_t n_pairs, other_pairs; /* other_pairs: moves beyond BT_MAX_PAIRS kinds */
    size_t n_shown;
    struct km_buf shown; /* the changed posts shown, text or JSON array elements */
};

static int bt_usage(void)
{
    fprintf(stderr, "usage: komekctl [-c FILE] backtest --lexicon DIR [--routing FILE] "
                    "[--since RFC3339] [--limit N] [--json]\n");
    return BT_EXIT_USAGE;
}

/* Parses the options after argv[0] = "backtest". Returns 0 or BT_EXIT_USAGE. */
static int bt_args_parse(int argc, char **argv, struct bt_args *a)
{
    static const struct option longopts[] = {
        {"lexicon", required_argument, NULL, 'x'}, {"routing", required_argument, NULL, 'r'},
        {"since", required_argument, NULL, 's'},   {"limit", required_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'},          {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof(*a));
    a->limit = BT_DEFAULT_LIMIT;
    optind = 0; /* glibc: start a fresh scan of the sub-command's arguments */
    int64_t t;
    char *end;
    int ch;
    while ((ch = getopt_long(argc, argv, "x:r:s:n:j", longopts, NULL)) != -1) {
        if (ch == 'x') {
            a->lexicon = optarg;
        } else if (ch == 'r') {
            a->routing = optarg;
        } else if (ch == 's' && km_time_parse_rfc3339(optarg, &t) == KM_OK) {
            a->since = optarg;
        } else if (ch == 'n' && (a->limit = strtol(optarg, &end, 10)) >= 0 && *end == '\0' &&
                   end != optarg && a->limit < INT_MAX) {
            continue;
        } else if (ch == 'j') {
            a->json = true;
        } else {
            if (ch == 's' || ch == 'n') {
                fprintf(stderr, "komekctl backtest: --%s %s: expected %s\n",
                        ch == 's' ? "since" : "limit", optarg,
                        ch == 's' ? "RFC 3339" : "a number >= 0");
            }
            return bt_usage();
        }
    }
    return a->lexicon == NULL || optind != argc ? bt_usage() : 0;
}

/* Counts the move from -> to in s->pairs (copies the names on first sight). */
static void bt_pair_count(struct bt_stats *s, const char *from, const char *to)
{
    for (size_t i = 0; i < s->n_pairs; i++) {
        if (strcmp(s->pairs[i].from, from) == 0 && strcmp(s->pairs[i].to, to) == 0) {
            s->pairs[i].posts++;
            return;
        }
    }
    if (s->n_pairs == BT_MAX_PAIRS) {
        s->other_pairs++;
        return;
    }
    s->pairs[s->n_pairs++] = (struct bt_pair){km_strdup(from), km_strdup(to), 1};
}

/* Appends one changed post to s->shown, as text lines or as a JSON object. */
static void bt_show(struct bt_stats *s, bool json, const char *id, const char *old_cat,
                    int old_prio, int old_urg, const struct km_post *p)
{
    const struct km_post_triage *t = &p->triage;
    struct km_buf *b = &s->shown;
    if (!json) {
        km_buf_printf(b, "%s  %s→%s  %s→%s  urgency %d→%d\n", id, old_cat, t->category,
                      km_priority_name(old_prio), km_priority_name(t->priority), old_urg,
                      t->urgency);
        for (size_t i = 0; i < t->n_reasons; i++) {
            km_buf_printf(b, "    %s\n", t->reasons[i]);
        }
        return;
    }
    km_buf_puts(b, s->n_shown > 0 ? ",{\"id\":" : "{\"id\":");
    km_json_escape(b, id);
    km_buf_puts(b, ",\"category\":{\"from\":");
    km_json_escape(b, old_cat);
    km_buf_puts(b, ",\"to\":");
    km_json_escape(b, t->category);
    km_buf_printf(b, "},\"priority\":{\"from\":\"%s\",\"to\":\"%s\"},"
                     "\"urgency\":{\"from\":%d,\"to\":%d},\"reasons\":[",
                  km_priority_name(old_prio), km_priority_name(t->priority), old_urg, t->urgency);
    for (size_t i = 0; i < t->n_reasons; i++) {
        km_buf_puts(b, i > 0 ? "," : "");
        km_json_escape(b, t->reasons[i]);
    }
    km_buf_puts(b, "]}");
}

/* Compares the new verdict in p with the stored one and counts it. */
static void bt_compare(struct bt_stats *s, const struct bt_args *a, PGresult *res, int row,
                       const struct km_post *p)
{
    const char *id = PQgetvalue(res, row, BT_C_ID);
    const char *old_cat = PQgetisnull(res, row, BT_C_CAT) ? "-" : PQgetvalue(res, row, BT_C_CAT);
    int old_prio = atoi(PQgetvalue(res, row, BT_C_PRIO));
    int old_urg = atoi(PQgetvalue(res, row, BT_C_URG));
    int new_prio = p->triage.priority;
    const char *new_cat = p->triage.category != NULL ? p->triage.category : "-";
    bool cat_moved = strcmp(old_cat, new_cat) != 0;
    s->compared++;
    if (old_prio >= 1 && old_prio <= 4 && new_prio >= 1 && new_prio <= 4) {
        s->matrix[old_prio - 1][new_prio - 1]++;
    }
    s->up += new_prio < old_prio;
    s->down += new_prio > old_prio;
    s->urgency_moves += old_urg != p->triage.urgency;
    if (cat_moved) {
        s->cat_moves++;
        bt_pair_count(s, old_cat, new_cat);
    }
    if (!cat_moved && new_prio == old_prio) {
        return;
    }
    s->changed++;
    if (s->n_shown < (size_t)a->limit) {
        bt_show(s, a->json, id, old_cat, old_prio, old_urg, p);
        s->n_shown++;
    }
}

/* Decodes and re-scores row `row`; a row that cannot be decoded is reported and counted. */
static int bt_row(const struct km_triage *t, struct bt_stats *s, const struct bt_args *a,
                  PGresult *res, int row, struct km_err *err)
{
    struct km_post *p = NULL;
    struct km_err perr = {{0}};
    const char *json = PQgetvalue(res, row, BT_C_POST);
    if (km_post_from_json(json, (size_t)PQgetlength(res, row, BT_C_POST), &p, &perr) != KM_OK) {
        fprintf(stderr, "komekctl backtest: post %s: %s\n", PQgetvalue(res, row, BT_C_ID),
                perr.msg);
        s->bad++;
        return KM_OK;
    }
    int64_t now = strtoll(PQgetvalue(res, row, BT_C_NOW), NULL, 10);
    int size = atoi(PQgetvalue(res, row, BT_C_SIZE));
    int rc = km_triage_score(t, p, size > 1 ? size : 1, now);
    if (rc == KM_OK) {
        bt_compare(s, a, res, row, p);
    } else {
        km_err_set(err, rc, "cannot create the stemmers");
    }
    km_post_free(p);
    return rc;
}

/* Runs the batches until a short one. Returns KM_OK, or KM_RETRY / KM_ERR with err set. */
static int bt_scan(PGconn *conn, const struct km_triage *t, struct bt_stats *s,
                   const struct bt_args *a, struct km_err *err)
{
    char last[32] = "0";
    int rc = KM_OK, n;
    do {
        const char *params[2] = {last, a->since};
        PGresult *res = PQexecParams(conn, BT_SQL, 2, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            const char *msg = PQerrorMessage(conn);
            rc = km_err_set(err, PQstatus(conn) == CONNECTION_OK ? KM_ERR : KM_RETRY,
                            "reading posts: %.*s", (int)strcspn(msg, "\n"), msg);
            PQclear(res);
            break;
        }
        n = PQntuples(res);
        for (int i = 0; rc == KM_OK && i < n; i++) {
            rc = bt_row(t, s, a, res, i, err);
        }
        if (n > 0) {
            snprintf(last, sizeof(last), "%s", PQgetvalue(res, n - 1, BT_C_ROWID));
        }
        PQclear(res);
    } while (rc == KM_OK && n == atoi(BT_BATCH));
    return rc;
}

static void bt_print_text(const struct bt_stats *s, const struct bt_args *a)
{
    printf("backtest of %s: %zu scored post(s) compared, %zu would change\n", a->lexicon,
           s->compared, s->changed);
    if (s->bad > 0) {
        printf("%zu stored post(s) could not be decoded (reported above)\n", s->bad);
    }
    printf("category moves: %zu\n", s->cat_moves);
    for (size_t i = 0; i < s->n_pairs; i++) {
        printf("  %-16s → %-16s %zu\n", s->pairs[i].from, s->pairs[i].to, s->pairs[i].posts);
    }
    if (s->other_pairs > 0) {
        printf("  (%zu more of other kinds)\n", s->other_pairs);
    }
    printf("priority moves: %zu up, %zu down (urgency changed for %zu)\n", s->up, s->down,
           s->urgency_moves);
    printf("  from\\to %6s %6s %6s %6s\n", "P1", "P2", "P3", "P4");
    for (int i = 0; i < 4; i++) {
        printf("  %-7s %6zu %6zu %6zu %6zu\n", km_priority_name(i + 1), s->matrix[i][0],
               s->matrix[i][1], s->matrix[i][2], s->matrix[i][3]);
    }
    if (s->changed > 0) {
        printf("changed posts (%zu of %zu):\n%s", s->n_shown, s->changed,
               s->shown.data != NULL ? s->shown.data : "");
    }
}

static void bt_print_json(const struct bt_stats *s)
{
    struct km_buf b = KM_BUF_INIT;
    km_buf_printf(&b, "{\"compared\":%zu,\"changed\":%zu,\"undecodable\":%zu,"
                      "\"category_moves\":%zu,\"category_pairs\":[",
                  s->compared, s->changed, s->bad, s->cat_moves);
    for (size_t i = 0; i < s->n_pairs; i++) {
        km_buf_puts(&b, i > 0 ? ",{\"from\":" : "{\"from\":");
        km_json_escape(&b, s->pairs[i].from);
        km_buf_puts(&b, ",\"to\":");
        km_json_escape(&b, s->pairs[i].to);
        km_buf_printf(&b, ",\"posts\":%zu}", s->pairs[i].posts);
    }
    km_buf_printf(&b, "],\"up\":%zu,\"down\":%zu,\"urgency_moves\":%zu,\"priority\":[",
                  s->up, s->down, s->urgency_moves);
    for (int i = 0; i < 4; i++) {
        km_buf_printf(&b, "%s[%zu,%zu,%zu,%zu]", i > 0 ? "," : "", s->matrix[i][0],
                      s->matrix[i][1], s->matrix[i][2], s->matrix[i][3]);
    }
    km_buf_printf(&b, "],\"changes\":[%s]}\n", s->shown.data != NULL ? s->shown.data : "");
    fwrite(b.data, 1, b.len, stdout);
    km_buf_free(&b);
}

/* Loads the candidate triage: --routing, else the configuration's routing.conf. */
static int bt_load(const struct km_config *cfg, const struct bt_args *a, struct km_triage **t)
{
    struct km_err err = {{0}};
    char *routing = a->routing != NULL
                        ? km_strdup(a->routing)
                        : km_config_path(cfg, km_section_get(cfg->global, "routing"));
    int rc = km_triage_load(a->lexicon, routing, stderr, t, &err);
    if (rc != KM_OK) {
        fprintf(stderr, "komekctl backtest: triage: %s\n", err.msg);
    }
    free(routing);
    return rc;
}

int km_ctl_backtest(const struct km_config *cfg, int argc, char **argv)
{
    struct bt_args a;
    struct bt_stats s = {0};
    struct km_triage *t = NULL;
    struct km_db *db = NULL;
    struct km_err err = {{0}};
    int status = bt_args_parse(argc, argv, &a);
    if (status != 0) {
        goto out;
    }
    if (bt_load(cfg, &a, &t) != KM_OK) {
        status = BT_EXIT_USAGE;
        goto out;
    }
    if (km_db_connect(km_section_get(cfg->global, "postgres"), &db, &err) != KM_OK ||
        bt_scan(km_db_conn(db), t, &s, &a, &err) != KM_OK) {
        fprintf(stderr, "komekctl backtest: %s\n", err.msg);
        status = BT_EXIT_FAIL;
        goto out;
    }
    if (a.json) {
        bt_print_json(&s);
    } else {
        bt_print_text(&s, &a);
    }
    status = s.bad > 0 ? BT_EXIT_FAIL : 0;
out:
    for (size_t i = 0; i < s.n_pairs; i++) {
        free(s.pairs[i].from);
        free(s.pairs[i].to);
    }
    km_buf_free(&s.shown);
    km_db_free(db);
    km_triage_free(t);
    km_triage_thread_end();
    return status;
}
