/* Open311 GeoReport v2 JSON of tickets, for `komekctl ticket export --open311` and for the
 * lead's HTTP API: an array of service requests, as GET requests.json returns them.
 *
 * Fields: service_request_id (the ticket number), status ("open", or "closed" for resolved
 * and rejected), status_notes, service_name and service_code (the category), description,
 * agency_responsible, service_notice ("P2; first reaction due ..."),
 * requested_datetime (created), updated_datetime, expected_datetime (resolve_due), address
 * (the place named in the text, else null), media_url (the post's URL, else null), and
 * komek's own detailed_status (new, assigned, in_progress, resolved, rejected, reopened)
 * and priority. Times are UTC, "2026-01-15T18:30:00Z". Strings are escaped by yajl. */
#ifndef KM_DB_OPEN311_H
#define KM_DB_OPEN311_H

#include "common/err.h"
#include "db/db.h"

#include <stdbool.h>
#include <stddef.h>

/* Most requests in one export: a larger range is narrowed with --from/--to. */
#define KM_OPEN311_MAX 10000

/* Which tickets: every field may be NULL/false/0 (no condition). */
struct km_ticket_filter {
    const char *number; /* one ticket */
    const char *status; /* komek status */
    const char *agency;
    bool overdue;          /* only tickets in the tickets_overdue view */
    const char *from, *to; /* created_at in [from, to), RFC 3339 */
    long limit;            /* 0 = KM_OPEN311_MAX */
};

/* Writes the tickets f selects, oldest first, as an Open311 JSON array into *json (free()),
 * *count (may be NULL) gets how many. Returns KM_OK (an empty array if none match),
 * KM_EINPUT (bad from/to), KM_RETRY or KM_ERR. */
int km_open311_export(struct km_db *db, const struct km_ticket_filter *f, char **json,
                      size_t *count, struct km_err *err);

#endif
