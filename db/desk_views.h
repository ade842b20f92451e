/* Read-only views of the desk built as JSON by PostgreSQL (tickets, the supervisor's
 * overview). Accounts are desk/users.h's. Times are RFC 3339
 * UTC, priorities "P1".."P4". Not thread-safe per km_db (one per thread). */
#ifndef KM_DB_DESK_VIEWS_H
#define KM_DB_DESK_VIEWS_H

#include "common/err.h"
#include "db/db.h"

#include <stdbool.h>
#include <stddef.h>

/* Most tickets one list returns, newest first: a list longer than this needs a filter. */
#define KM_DESK_TICKETS_MAX 500

/* Filters of the tickets list; NULL / false = any. */
struct km_desk_ticket_query {
    const char *status, *agency;
    bool overdue; /* only tickets in the tickets_overdue view */
};

/* {"tickets": [{number, status, category, priority, agency, place, assignee, created_by,
 * created_at, reaction_due, first_reaction_at, resolve_due, resolved_at, overdue}]},
 * newest first, at most KM_DESK_TICKETS_MAX. *json malloc'd (caller frees). KM_OK,
 * KM_RETRY or KM_ERR. */
int km_desk_tickets_json(struct km_db *db, const struct km_desk_ticket_query *q, char **json,
                         struct km_err *err);

/* One ticket as in the list plus description, status_notes, incident, "posts" (items of
 * db/desk_items.h: id, network, post_id, url, author, text, created_at, priority) and
 * "events" ({id, at, actor, type, before, after, note}). KM_EINPUT if no such ticket
 * (*json NULL). */
int km_desk_ticket_json(struct km_db *db, const char *number, char **json, struct km_err *err);

/* The supervisor's overview: {breaches_now (queue items past sla_due), breaches_today
 * (posts whose sla_due fell today in zone, before now, that were not handled by then),
 * depth {P1, P2, P3, P4} (queue items by priority), operators on shift (a live session, or an
 * action today) [{login, name, role, handled_today (distinct posts acted on today),
 * last_seen (last action or session activity, or null)}]}.
 * zone: the city's time zone name (e.g. "Asia/Almaty"). */
int km_desk_overview_json(struct km_db *db, const char *zone, char **json, struct km_err *err);

#endif
