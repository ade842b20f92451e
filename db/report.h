/* The ratings of issue 5 read from PostgreSQL: agency ratings (agency_report()) and the
 * systemic problems rating (problems_report()) of db/migrations/004_reports.sql, where the
 * figures and score formulas are defined. komekctl report prints them; the desk can serve
 * the same structs or their JSON.
 *
 * Ranges are [from, to): a missing from is 30 days before now, a missing to is now. Not
 * thread-safe with other use of the same km_db. */
#ifndef KM_DB_REPORT_H
#define KM_DB_REPORT_H

#include "common/err.h"
#include "db/db.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct km_buf;

/* Local zone of dates given as YYYY-MM-DD (the city's; routing.conf [time] zone). */
#define KM_REPORT_ZONE "Asia/Almaty"
/* Longest range bound accepted, in bytes (an RFC 3339 time is 35 at most). */
#define KM_REPORT_TIME_MAX 64

/* Turns a range bound as a user writes it into a PostgreSQL timestamptz literal in out:
 * "YYYY-MM-DD" is local midnight in KM_REPORT_ZONE, and with end = true the midnight after
 * it, so that --to 2026-01-31 includes that day; an RFC 3339 time is taken as it is (end
 * has no effect). Returns KM_OK or KM_EINPUT (err says what is expected). */
int km_report_time(const char *s, bool end, char out[KM_REPORT_TIME_MAX], struct km_err *err);

struct km_agency_rating {
    char *agency; /* NULL: tickets routed to no agency */
    long long received, resolved, rejected, on_time, overdue, open, open_overdue;
    long long reaction_overdue;
    double median_resolve_s; /* median seconds from creation to closing; -1 if none closed */
    double reaction_share;   /* first reaction on time, 0..1; -1 if none decided yet */
    double score;            /* 0..100; -1 if no ticket decided yet */
};

struct km_agency_report {
    int64_t from_ms, to_ms;        /* the effective range, Unix ms */
    struct km_agency_rating *rows; /* best score first (no score last), then most received */
    size_t n;
};

/* Reads agency_report() over [from, to) (timestamptz literals from km_report_time(), or
 * NULL for the defaults). Returns KM_OK with *out owned by the caller
 * (km_agency_report_free()), KM_EINPUT (from is not before to), KM_RETRY (PostgreSQL
 * unreachable) or KM_ERR (schema older than 004: run komekctl migrate), with err set. */
int km_report_agencies(struct km_db *db, const char *from, const char *to,
                       struct km_agency_report **out, struct km_err *err);
/* Frees r; NULL is ignored. */
void km_agency_report_free(struct km_agency_report *r);

struct km_problem {
    char *category;
    char *place; /* "—" when the posts name no known place */
    long long posts, authors, days, engagement, tickets, tickets_open;
    int top_priority; /* 1 = P1 .. 4 */
    double p12_share; /* share of P1-P2 posts, 0..1 */
    double score;
    int64_t first_seen_ms, last_seen_ms;
};

struct km_problem_query {
    const char *from, *to; /* timestamptz literals (km_report_time()) or NULL */
    const char *category;  /* only this category; NULL = all */
    size_t limit;          /* at most this many rows; 0 = all */
};

struct km_problem_report {
    int64_t from_ms, to_ms;
    struct km_problem *rows; /* highest score first, then most posts, category, place */
    size_t n;
};

/* Reads problems_report() as q asks. Returns KM_OK with *out owned by the caller
 * (km_problem_report_free()), KM_EINPUT, KM_RETRY or KM_ERR as km_report_agencies(). */
int km_report_problems(struct km_db *db, const struct km_problem_query *q,
                       struct km_problem_report **out, struct km_err *err);
/* Frees r; NULL is ignored. */
void km_problem_report_free(struct km_problem_report *r);

/* Append r to out as one JSON object: {"from", "to" (RFC 3339 UTC), "agencies": [{"agency",
 * "received", "resolved", "rejected", "resolved_on_time", "overdue", "open", "open_overdue",
 * "reaction_overdue", "median_resolve_s", "reaction_on_time_share", "score"}]} with null for
 * an unknown agency, median, share or score. */
void km_agency_report_json(const struct km_agency_report *r, struct km_buf *out);

/* Append r to out as {"from", "to", "problems": [{"rank", "category", "place" (null when
 * unknown), "posts", "authors", "days", "engagement", "top_priority" ("P1".."P4"),
 * "p12_share", "tickets", "tickets_open", "first_seen", "last_seen", "score"}]}. */
void km_problem_report_json(const struct km_problem_report *r, struct km_buf *out);

#endif
