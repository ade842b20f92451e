/* The operator queue in PostgreSQL: the items (stored posts with no ticket and no
 * disposition) as the desk shows them, and the actions on one item that are not ticket
 * changes: dismissing it, overriding its priority, moving it into an incident
 * (db/migrations/006_desk_actions.sql). Ticket creation and attaching go through
 * db/ticket.h; its "attach" events add the posts' audit rows by trigger.
 *
 * Items are named "NETWORK:POST_ID" (the first ':' separates them). The JSON of an item is
 * built by PostgreSQL: {id, network, source, post_id, url, author {id, name, handle}, chat
 * {id, title}, text, lang, created_at, category, urgency, priority ("P1".."P4", the
 * operator's override if any, else triage's; null if not scored), triage_priority,
 * priority_reason, reasons [], sla_due, breached, agency, incident, incident_posts, dup_of,
 * dup_count (how many posts name it as dup_of), disposition, disposition_reason}; times
 * RFC 3339 UTC.
 *
 * Each action is ONE transaction that changes the post and appends its post_events row
 * (actor, type, before, after, note). Not thread-safe per km_db (one per thread). */
#ifndef KM_DB_DESK_ITEMS_H
#define KM_DB_DESK_ITEMS_H

#include "common/err.h"
#include "db/db.h"

#include <stdbool.h>
#include <stddef.h>

/* Default and largest number of items one queue request returns: a screen shows a few
 * dozen; more only costs the browser. */
#define KM_DESK_QUEUE_DEFAULT 100
#define KM_DESK_QUEUE_MAX     500
/* Most posts of an incident listed with an item (the incident's count is always given). */
#define KM_DESK_INCIDENT_ITEMS_MAX 100

/* Filters of the queue; NULL / 0 = any. */
struct km_desk_queue_query {
    const char *network, *category, *source, *lang;
    int priority; /* 1..4 */
    size_t limit; /* 0 = KM_DESK_QUEUE_DEFAULT; capped at KM_DESK_QUEUE_MAX */
};

/* Items as JSON objects, each with its id. */
struct km_desk_items {
    char **ids;  /* "NETWORK:POST_ID" */
    char **json; /* one JSON object each, ending with '}' */
    size_t n;
};
/* Frees the strings of items and zeroes it; NULL is ignored. */
void km_desk_items_clear(struct km_desk_items *items);

/* Splits "NETWORK:POST_ID" at its first ':' into network (size bytes) and *post_id
 * (borrowed from item). Returns KM_OK or KM_EINPUT. */
int km_desk_item_split(const char *item, char *network, size_t size, const char **post_id,
                       struct km_err *err);

/* The queue: posts with no ticket and no disposition that q selects, by priority (override
 * first) then sla_due, then age; a duplicate whose original is itself in the queue is
 * left out (it counts in the original's "dup_count"). *out is filled (clear it with
 * km_desk_items_clear()). Returns KM_OK, KM_RETRY or KM_ERR. */
int km_desk_queue(struct km_db *db, const struct km_desk_queue_query *q, struct km_desk_items *out,
                  struct km_err *err);

/* One item with everything the desk shows about it: the item fields plus "post" (the full
 * normalised post), "duplicates" and "incident_items" (items, at most
 * KM_DESK_INCIDENT_ITEMS_MAX), "ticket" ({number, status, category, priority, agency,
 * assignee, created_at, reaction_due, resolve_due} or null) and "events" (its post_events:
 * {id, at, actor, type, before, after, note}). *json is malloc'd (caller frees). Returns
 * KM_OK, KM_EINPUT (no such stored post: *json NULL), KM_RETRY or KM_ERR. */
int km_desk_item_json(struct km_db *db, const char *item, char **json, struct km_err *err);

/* Facts about an item the handlers check before acting. */
struct km_desk_item_state {
    long long id;          /* posts.id */
    char ticket[48];       /* its ticket's number, "" if none */
    char incident[128];    /* its incident, "" if none (longer ids are cut) */
    char disposition[16];  /* "" if not dismissed */
    char source[128];      /* the [source NAME] that collected it */
    char chat_id[128];     /* its chat, "" if none */
    char lang[16];         /* its language, "" if unknown */
    char category[64];     /* the ticket's category, else triage's; "" if neither */
    char agency[256];      /* the ticket's agency, else routing's; "" if neither */
    int priority_override; /* an operator's priority 1..4, 0 if none */
};
/* Reads the state of item. Returns KM_OK, KM_EINPUT (no such stored post), KM_RETRY or
 * KM_ERR. */
int km_desk_item_state(struct km_db *db, const char *item, struct km_desk_item_state *st,
                       struct km_err *err);

/* True for "duplicate", "spam" and "not_for_us". */
bool km_desk_disposition_valid(const char *kind);

/* Dismisses item as kind (see km_desk_disposition_valid()) with reason (required) by actor:
 * the post leaves the queue; post_events gets type "dismiss", before/after {disposition},
 * note = reason. KM_EINPUT for a bad kind, an empty reason, an unknown item, or an item that
 * has a ticket or was dismissed already (err says which). */
int km_desk_item_dismiss(struct km_db *db, const char *item, const char *kind, const char *reason,
                         const char *actor, struct km_err *err);

/* Overrides item's priority (1..4) with reason (required) by actor; post_events type
 * "priority", before/after {priority} ("P1".."P4" or null), note = reason. KM_EINPUT for a
 * bad priority, an empty reason or an unknown item. */
int km_desk_item_priority(struct km_db *db, const char *item, int priority, const char *reason,
                          const char *actor, struct km_err *err);

/* Moves item into incident (which must exist) by actor and recounts the incident it left
 * and the one it joined; a post joining an incident that has a ticket joins that ticket
 * (trigger of 003). post_events type "incident", before/after {incident}. KM_EINPUT for an
 * unknown item or incident. */
int km_desk_item_incident(struct km_db *db, const char *item, const char *incident,
                          const char *actor, struct km_err *err);

#endif
