#include "db/report.h"

#include "common/alloc.h"
#include "common/buf.h"
#include "common/time.h"
#include "db/sql.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

/* The effective range first; a LEFT JOIN LATERAL keeps it when there is no row (received is
 * NULL then; a real row has a count). */
static const char RP_SQL_AGENCIES[] =
    "WITH r AS (SELECT coalesce($1::timestamptz, now() - interval '30 days') AS f,"
    "                  coalesce($2::timestamptz, now()) AS t)"
    " SELECT floor(extract(epoch FROM r.f) * 1000)::bigint,"
    "        floor(extract(epoch FROM r.t) * 1000)::bigint,"
    "        x.agency, x.received, x.resolved, x.rejected, x.resolved_on_time, x.overdue,"
    "        x.open, x.open_overdue, x.reaction_overdue, extract(epoch FROM x.median_resolve),"
    "        x.reaction_on_time_share, x.score"
    " FROM r LEFT JOIN LATERAL agency_report(r.f, r.t) x ON true"
    " ORDER BY x.score DESC NULLS LAST, x.received DESC, x.agency NULLS LAST";

static const char RP_SQL_PROBLEMS[] =
    "WITH r AS (SELECT coalesce($1::timestamptz, now() - interval '30 days') AS f,"
    "                  coalesce($2::timestamptz, now()) AS t)"
    " SELECT floor(extract(epoch FROM r.f) * 1000)::bigint,"
    "        floor(extract(epoch FROM r.t) * 1000)::bigint,"
    "        x.category, x.place, x.posts, x.authors, x.days, x.engagement, x.top_priority,"
    "        x.p12_share, x.tickets, x.tickets_open,"
    "        floor(extract(epoch FROM x.first_seen) * 1000)::bigint,"
    "        floor(extract(epoch FROM x.last_seen) * 1000)::bigint, x.score"
    " FROM r LEFT JOIN LATERAL ("
    "     SELECT p.* FROM problems_report(r.f, r.t) p"
    "     WHERE $3::text IS NULL OR p.category = $3::text"
    "     ORDER BY p.score DESC, p.posts DESC, p.category, p.place LIMIT $4::bigint) x ON true"
    " ORDER BY x.score DESC, x.posts DESC, x.category, x.place";

/* ---- range bounds -------------------------------------------------------------------- */

/* Days in month m (1..12) of year y. */
static int rp_mdays(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return days[m - 1] + (m == 2 && leap ? 1 : 0);
}

/* Parses "YYYY-MM-DD" exactly (a real calendar day), the day after it if next. */
static bool rp_date(const char *s, bool next, int *y, int *m, int *d)
{
    int used = 0;
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
        sscanf(s, "%4d-%2d-%2d%n", y, m, d, &used) != 3 || used != 10 || *y < 1970 || *m < 1 ||
        *m > 12 || *d < 1 || *d > rp_mdays(*y, *m)) {
        return false;
    }
    if (next && ++*d > rp_mdays(*y, *m)) {
        *d = 1;
        if (++*m > 12) {
            *m = 1;
            ++*y;
        }
    }
    return true;
}

int km_report_time(const char *s, bool end, char out[KM_REPORT_TIME_MAX], struct km_err *err)
{
    int y = 0, m = 0, d = 0;
    int64_t ms = 0;
    if (s != NULL && rp_date(s, end, &y, &m, &d)) {
        snprintf(out, KM_REPORT_TIME_MAX, "%04d-%02d-%02d 00:00:00 %s", y, m, d, KM_REPORT_ZONE);
        return KM_OK;
    }
    if (s != NULL && strlen(s) < KM_REPORT_TIME_MAX && km_time_parse_rfc3339(s, &ms) == KM_OK) {
        km_time_format_rfc3339(ms, out, KM_REPORT_TIME_MAX);
        return KM_OK;
    }
    return km_err_set(err, KM_EINPUT,
                      "'%s': expected a date YYYY-MM-DD (%s) or an RFC 3339 "
                      "time such as 2026-01-15T09:30:00+05:00",
                      s ? s : "", KM_REPORT_ZONE);
}

/* ---- reading ------------------------------------------------------------------------- */

static long long rp_ll(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* A number cell as double; dflt when NULL. */
static double rp_dbl(const PGresult *res, int row, int col, double dflt)
{
    return PQgetisnull(res, row, col) ? dflt : strtod(PQgetvalue(res, row, col), NULL);
}

static char *rp_str(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : km_strdup(PQgetvalue(res, row, col));
}

/* The range of row 0 (columns 0 and 1); KM_EINPUT if it is empty. */
static int rp_range(const PGresult *res, int64_t *from_ms, int64_t *to_ms, struct km_err *err)
{
    *from_ms = rp_ll(res, 0, 0);
    *to_ms = rp_ll(res, 0, 1);
    if (*from_ms >= *to_ms) {
        return km_err_set(err, KM_EINPUT, "the range is empty: from is not before to");
    }
    return KM_OK;
}

static void rp_agency_row(const PGresult *res, int i, struct km_agency_rating *a)
{
    a->agency = rp_str(res, i, 2);
    a->received = rp_ll(res, i, 3);
    a->resolved = rp_ll(res, i, 4);
    a->rejected = rp_ll(res, i, 5);
    a->on_time = rp_ll(res, i, 6);
    a->overdue = rp_ll(res, i, 7);
    a->open = rp_ll(res, i, 8);
    a->open_overdue = rp_ll(res, i, 9);
    a->reaction_overdue = rp_ll(res, i, 10);
    a->median_resolve_s = rp_dbl(res, i, 11, -1);
    a->reaction_share = rp_dbl(res, i, 12, -1);
    a->score = rp_dbl(res, i, 13, -1);
}

int km_report_agencies(struct km_db *db, const char *from, const char *to,
                       struct km_agency_report **out, struct km_err *err)
{
    PGresult *res = NULL;
    struct km_agency_report *r = km_calloc(1, sizeof(*r));
    const char *vals[2] = {from, to};
    int rc = km_sql_exec(km_db_conn(db), RP_SQL_AGENCIES, 2, vals, &res, "agency report", err);
    if (rc == KM_OK) {
        rc = rp_range(res, &r->from_ms, &r->to_ms, err);
    }
    int rows = rc == KM_OK ? PQntuples(res) : 0;
    r->rows = km_calloc((size_t)rows + 1, sizeof(*r->rows));
    for (int i = 0; i < rows; i++) {
        if (!PQgetisnull(res, i, 3)) {
            rp_agency_row(res, i, &r->rows[r->n++]);
        }
    }
    PQclear(res);
    if (rc != KM_OK) {
        km_agency_report_free(r);
        r = NULL;
    }
    *out = r;
    return rc;
}

void km_agency_report_free(struct km_agency_report *r)
{
    if (r == NULL) {
        return;
    }
    for (size_t i = 0; i < r->n; i++) {
        free(r->rows[i].agency);
    }
    free(r->rows);
    free(r);
}

static void rp_problem_row(const PGresult *res, int i, struct km_problem *p)
{
    p->category = rp_str(res, i, 2);
    p->place = rp_str(res, i, 3);
    p->posts = rp_ll(res, i, 4);
    p->authors = rp_ll(res, i, 5);
    p->days = rp_ll(res, i, 6);
    p->engagement = rp_ll(res, i, 7);
    p->top_priority = (int)rp_ll(res, i, 8);
    p->p12_share = rp_dbl(res, i, 9, 0);
    p->tickets = rp_ll(res, i, 10);
    p->tickets_open = rp_ll(res, i, 11);
    p->first_seen_ms = rp_ll(res, i, 12);
    p->last_seen_ms = rp_ll(res, i, 13);
    p->score = rp_dbl(res, i, 14, 0);
}

int km_report_problems(struct km_db *db, const struct km_problem_query *q,
                       struct km_problem_report **out, struct km_err *err)
{
    PGresult *res = NULL;
    struct km_problem_report *r = km_calloc(1, sizeof(*r));
    char limit[24];
    snprintf(limit, sizeof(limit), "%zu", q->limit);
    const char *vals[4] = {q->from, q->to, q->category, q->limit > 0 ? limit : NULL};
    int rc = km_sql_exec(km_db_conn(db), RP_SQL_PROBLEMS, 4, vals, &res, "problems report", err);
    if (rc == KM_OK) {
        rc = rp_range(res, &r->from_ms, &r->to_ms, err);
    }
    int rows = rc == KM_OK ? PQntuples(res) : 0;
    r->rows = km_calloc((size_t)rows + 1, sizeof(*r->rows));
    for (int i = 0; i < rows; i++) {
        if (!PQgetisnull(res, i, 4)) {
            rp_problem_row(res, i, &r->rows[r->n++]);
        }
    }
    PQclear(res);
    if (rc != KM_OK) {
        km_problem_report_free(r);
        r = NULL;
    }
    *out = r;
    return rc;
}

void km_problem_report_free(struct km_problem_report *r)
{
    if (r == NULL) {
        return;
    }
    for (size_t i = 0; i < r->n; i++) {
        free(r->rows[i].category);
        free(r->rows[i].place);
    }
    free(r->rows);
    free(r);
}

/* ---- JSON ---------------------------------------------------------------------------- */

static void rp_key(yajl_gen g, const char *k)
{
    yajl_gen_string(g, (const unsigned char *)k, strlen(k));
}

static void rp_kstr(yajl_gen g, const char *k, const char *v)
{
    rp_key(g, k);
    if (v == NULL) {
        yajl_gen_null(g);
    } else {
        yajl_gen_string(g, (const unsigned char *)v, strlen(v));
    }
}

static void rp_kint(yajl_gen g, const char *k, long long v)
{
    rp_key(g, k);
    yajl_gen_integer(g, v);
}

/* A number with that many decimals, or null when v < 0 (unknown). */
static void rp_knum(yajl_gen g, const char *k, int decimals, double v)
{
    char num[64];
    rp_key(g, k);
    if (v < 0 || !isfinite(v)) {
        yajl_gen_null(g);
        return;
    }
    int n = snprintf(num, sizeof(num), "%.*f", decimals, v);
    yajl_gen_number(g, num, (size_t)n);
}

static void rp_ktime(yajl_gen g, const char *k, int64_t ms)
{
    char t[40];
    rp_kstr(g, k, km_time_format_rfc3339(ms, t, sizeof(t)));
}

/* Opens the report object with its range and the key of its array; returns the generator. */
static yajl_gen rp_open(int64_t from_ms, int64_t to_ms, const char *array)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (g == NULL) {
        fprintf(stderr, "komek: out of memory (yajl_gen_alloc)\n"); /* as km_malloc */
        abort();
    }
    yajl_gen_map_open(g);
    rp_ktime(g, "from", from_ms);
    rp_ktime(g, "to", to_ms);
    rp_key(g, array);
    yajl_gen_array_open(g);
    return g;
}

/* Closes the array and the object, appends the text to out and frees g. */
static void rp_close(yajl_gen g, struct km_buf *out)
{
    const unsigned char *buf = NULL;
    size_t len = 0;
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
    yajl_gen_get_buf(g, &buf, &len);
    km_buf_append(out, buf, len);
    yajl_gen_free(g);
}

void km_agency_report_json(const struct km_agency_report *r, struct km_buf *out)
{
    yajl_gen g = rp_open(r->from_ms, r->to_ms, "agencies");
    for (size_t i = 0; i < r->n; i++) {
        const struct km_agency_rating *a = &r->rows[i];
        yajl_gen_map_open(g);
        rp_kstr(g, "agency", a->agency);
        rp_kint(g, "received", a->received);
        rp_kint(g, "resolved", a->resolved);
        rp_kint(g, "rejected", a->rejected);
        rp_kint(g, "resolved_on_time", a->on_time);
        rp_kint(g, "overdue", a->overdue);
        rp_kint(g, "open", a->open);
        rp_kint(g, "open_overdue", a->open_overdue);
        rp_kint(g, "reaction_overdue", a->reaction_overdue);
        rp_knum(g, "median_resolve_s", 0, a->median_resolve_s);
        rp_knum(g, "reaction_on_time_share", 4, a->reaction_share);
        rp_knum(g, "score", 1, a->score);
        yajl_gen_map_close(g);
    }
    rp_close(g, out);
}

void km_problem_report_json(const struct km_problem_report *r, struct km_buf *out)
{
    yajl_gen g = rp_open(r->from_ms, r->to_ms, "problems");
    for (size_t i = 0; i < r->n; i++) {
        const struct km_problem *p = &r->rows[i];
        char prio[8];
        snprintf(prio, sizeof(prio), "P%d", p->top_priority);
        yajl_gen_map_open(g);
        rp_kint(g, "rank", (long long)i + 1);
        rp_kstr(g, "category", p->category);
        rp_kstr(g, "place", p->place != NULL && strcmp(p->place, "—") != 0 ? p->place : NULL);
        rp_kint(g, "posts", p->posts);
        rp_kint(g, "authors", p->authors);
        rp_kint(g, "days", p->days);
        rp_kint(g, "engagement", p->engagement);
        rp_kstr(g, "top_priority", p->top_priority > 0 ? prio : NULL);
        rp_knum(g, "p12_share", 4, p->p12_share);
        rp_kint(g, "tickets", p->tickets);
        rp_kint(g, "tickets_open", p->tickets_open);
        rp_ktime(g, "first_seen", p->first_seen_ms);
        rp_ktime(g, "last_seen", p->last_seen_ms);
        rp_knum(g, "score", 1, p->score);
        yajl_gen_map_close(g);
    }
    rp_close(g, out);
}
