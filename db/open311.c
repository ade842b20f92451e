/* Open311 GeoReport v2 JSON of tickets (see open311.h). */
#include "db/open311.h"

#include "common/alloc.h"
#include "common/log.h"
#include "common/time.h"
#include "db/sql.h"

#include <yajl/yajl_gen.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define O3_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

static const char O3_SQL[] =
    "SELECT t.number, t.status, t.status_notes, t.category, t.description, t.agency, "
    "'P' || t.priority || '; first reaction due ' || " O3_TS("t.reaction_due") ", " O3_TS(
        "t.created_at") ", " O3_TS("t.updated_at") ", " O3_TS("t.resolve_due") ", "
                                                                               "t.place, p.url, "
                                                                               "t.priority "
                                                                               "FROM tickets t "
                                                                               "LEFT JOIN posts p "
                                                                               "ON p.id = t.post "
                                                                               "WHERE ($1::text IS "
                                                                               "NULL OR t.number = "
                                                                               "$1) AND ($2::text "
                                                                               "IS NULL OR "
                                                                               "t.status = $2) "
                                                                               "AND ($3::text IS "
                                                                               "NULL OR t.agency = "
                                                                               "$3) "
                                                                               "AND (NOT "
                                                                               "$4::boolean OR "
                                                                               "t.id IN (SELECT id "
                                                                               "FROM "
                                                                               "tickets_overdue)) "
                                                                               "AND "
                                                                               "($5::timestamptz "
                                                                               "IS NULL OR "
                                                                               "t.created_at >= "
                                                                               "$5::timestamptz) "
                                                                               "AND "
                                                                               "($6::timestamptz "
                                                                               "IS NULL OR "
                                                                               "t.created_at < "
                                                                               "$6::timestamptz) "
                                                                               "ORDER BY t.id "
                                                                               "LIMIT $7::bigint";

/* Open311 keys of the columns 0..11 of O3_SQL, in order (NULL: written separately). */
static const char *const o3_keys[] = {
    "service_request_id", "detailed_status",    "status_notes",   "service_code",
    "description",        "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime",   "expected_datetime",  "address",        "media_url",
};

static void o3_str(yajl_gen g, const char *s)
{
    yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

/* One service request from row i. */
static void o3_request(yajl_gen g, const PGresult *res, int i)
{
    yajl_gen_map_open(g);
    for (int c = 0; c < 12; c++) {
        o3_str(g, o3_keys[c]);
        if (PQgetisnull(res, i, c)) {
            yajl_gen_null(g);
        } else {
            o3_str(g, PQgetvalue(res, i, c));
        }
    }
    const char *st = PQgetvalue(res, i, 1);
    bool closed = strcmp(st, "resolved") == 0 || strcmp(st, "rejected") == 0;
    o3_str(g, "status");
    o3_str(g, closed ? "closed" : "open");
    o3_str(g, "service_name");
    o3_str(g, PQgetvalue(res, i, 3));
    o3_str(g, "priority");
    yajl_gen_integer(g, atoi(PQgetvalue(res, i, 12)));
    yajl_gen_map_close(g);
}

/* Checks an RFC 3339 bound; NULL is fine. */
static int o3_time(const char *s, const char *name, struct km_err *err)
{
    int64_t ms = 0;
    if (s != NULL && km_time_parse_rfc3339(s, &ms) != KM_OK) {
        return km_err_set(err, KM_EINPUT, "--%s %s: want an RFC 3339 time", name, s);
    }
    return KM_OK;
}

int km_open311_export(struct km_db *db, const struct km_ticket_filter *f, char **json,
                      size_t *count, struct km_err *err)
{
    PGresult *res = NULL;
    yajl_gen g = NULL;
    char limit[24];
    *json = NULL;
    int rc = o3_time(f->from, "from", err);
    if (rc == KM_OK) {
        rc = o3_time(f->to, "to", err);
    }
    snprintf(limit, sizeof(limit), "%ld", f->limit > 0 ? f->limit : KM_OPEN311_MAX);
    const char *v[] = {f->number, f->status, f->agency, f->overdue ? "t" : "f",
                       f->from,   f->to,     limit};
    if (rc == KM_OK) {
        rc = km_sql_exec(km_db_conn(db), O3_SQL, 7, v, &res, "open311 export", err);
    }
    if (rc != KM_OK) {
        goto out;
    }
    if ((g = yajl_gen_alloc(NULL)) == NULL) {
        KM_LOG_ERROR("yajl_gen_alloc failed: out of memory");
        abort();
    }
    yajl_gen_config(g, yajl_gen_beautify, 1);
    yajl_gen_array_open(g);
    for (int i = 0; i < PQntuples(res); i++) {
        o3_request(g, res, i);
    }
    yajl_gen_array_close(g);
    const unsigned char *buf = NULL;
    size_t len = 0;
    yajl_gen_get_buf(g, &buf, &len);
    *json = km_strndup((const char *)buf, len);
    if (count != NULL) {
        *count = (size_t)PQntuples(res);
    }
out:
    if (g != NULL) {
        yajl_gen_free(g);
    }
    PQclear(res);
    return rc;
}
