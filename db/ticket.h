/* Tickets: the numbered, routed, tracked record of a request (issue 5), in PostgreSQL
 * (db/migrations/003_tickets.sql).
 *
 * Every change is ONE transaction that updates the ticket (locked with SELECT ... FOR
 * UPDATE) and appends its ticket_events row; the trigger on ticket_events adds the
 * event_outbox row in the same transaction, and db/outbox.c publishes it to {ns}:events
 * after COMMIT. A rolled-back change therefore leaves neither an event nor an outbox row.
 *
 * Lifecycle (km_ticket_transition_ok()); anything else is refused with KM_EINPUT:
 *
 *     from \ to     assigned  in_progress  resolved  rejected  reopened
 *     new              yes        yes         yes       yes        -
 *     assigned          -         yes         yes       yes        -
 *     in_progress      yes         -          yes       yes        -
 *     reopened         yes        yes         yes       yes        -
 *     resolved          -          -           -         -        yes
 *     rejected          -          -           -         -        yes
 *
 * resolved_at is set on resolved/rejected and cleared on reopened. first_reaction_at is set
 * by the first status change, assignment or reply. km_ticket_assign() moves a new or
 * reopened ticket to assigned; a resolved or rejected ticket must be reopened first.
 *
 * Event types (ticket_events.type): created, status, assign, priority, category, agency,
 * note, reply, attach. before/after hold the changed fields' old and new values.
 *
 * A km_db is one connection: these functions are not thread-safe per handle; use one
 * handle per thread (concurrent creators on separate connections are safe: see
 * km_ticket_create()). */
#ifndef KM_DB_TICKET_H
#define KM_DB_TICKET_H

#include "common/err.h"
#include "db/db.h"
#include "triage/routing.h"

#include <stdbool.h>
#include <stddef.h>

/* Number prefix when the configuration sets no ticket_prefix: the city's 109 centre. */
#define KM_TICKET_DEFAULT_PREFIX "109"
/* Longest ticket number: prefix (<= 16 bytes), year, up to 19 digits. */
#define KM_TICKET_NUMBER_MAX 48
/* How far back km_ticket_auto_sweep() looks for posts without a ticket: a rule that was
 * off when a post arrived does not reach back further when switched on. */
#define KM_TICKET_SWEEP_WINDOW "2 days"

/* What a ticket is created from and with. Exactly one source: network + post_id, post
 * (posts.id) or incident. */
struct km_ticket_req {
    const char *network, *post_id; /* a stored post by its network id */
    long long post;                /* or posts.id (0 = not given) */
    const char *incident;          /* or an incident id */
    const char *actor;             /* operator login, "auto" or "komekctl:USER" */
    const char *category;          /* NULL = the post's / incident's triage category */
    const char *agency;            /* NULL = routing.conf's agency for the category */
    int priority;                  /* 1..4, 0 = the triage priority (P4 if not scored) */
    const char *note;              /* kept on the "created" event; may be NULL */
    const char *prefix;            /* number prefix, NULL = KM_TICKET_DEFAULT_PREFIX */
};

/* A ticket's identity. */
struct km_ticket_ref {
    long long id;
    char number[KM_TICKET_NUMBER_MAX]; /* "109-2026-000123" */
};

/* Creates a ticket from a post or an incident and attaches its posts (posts.ticket): the
 * post, or every post of the incident (posts joining the incident later attach by
 * trigger). A post that belongs to an incident gets the incident's ticket. Defaults come
 * from triage (category, priority) and r (agency, reaction_due = now + [sla], resolve_due
 * = now + [resolve]); place = place_of(post text); description = the post text. The
 * number is "PREFIX-YYYY-NNNNNN": the year in r's zone, NNNNNN = nextval('ticket_seq')
 * zero-padded to 6 digits (more when larger), never reused.
 *
 * If the post or incident already has a ticket (or one of the incident's posts has one,
 * which then becomes the incident's ticket and takes its other posts), no second ticket is
 * made: *out gets that ticket, *existed (may be NULL) is set to true, KM_OK. This holds
 * under concurrent creation on several connections (row locks on the incident or post,
 * unique constraints with ON CONFLICT as the backstop).
 *
 * Returns KM_OK, KM_EINPUT (no such post or incident, unknown category or agency, bad
 * priority; nothing written), KM_RETRY (PostgreSQL unreachable) or KM_ERR, with err set. */
int km_ticket_create(struct km_db *db, const struct km_routing *r, const struct km_ticket_req *req,
                     struct km_ticket_ref *out, bool *existed, struct km_err *err);

/* True if the lifecycle table above allows from -> to. */
bool km_ticket_transition_ok(const char *from, const char *to);
/* True for the six statuses of the schema. */
bool km_ticket_status_valid(const char *status);

/* Moves ticket number to status (one event "status", before/after {status}); note (may
 * be NULL) becomes status_notes and the event's note. KM_EINPUT for an unknown ticket or
 * status, or a move the table refuses (err says "cannot go from X to Y; allowed: ..."). */
int km_ticket_status(struct km_db *db, const char *number, const char *status, const char *actor,
                     const char *note, struct km_err *err);

/* Assigns ticket number to operator login (operators table, not disabled); new and
 * reopened tickets become assigned. One event "assign", before/after {assignee, status}.
 * KM_EINPUT for an unknown ticket or operator or a resolved/rejected ticket. */
int km_ticket_assign(struct km_db *db, const char *number, const char *login, const char *actor,
                     const char *note, struct km_err *err);

/* The fields km_ticket_set() changes. */
enum km_ticket_field { KM_TICKET_PRIORITY, KM_TICKET_CATEGORY, KM_TICKET_AGENCY };

/* Sets a field with a reason (the event's note, may be NULL): priority "1".."4" or "P1".."P4",
 * a category of the lexicon, an agency of the agencies table. One event named after the
 * field, before/after {field}. The deadlines stay as they were set at creation. Setting
 * the value a field already has writes nothing and returns KM_OK. KM_EINPUT for a bad
 * value or unknown ticket. */
int km_ticket_set(struct km_db *db, const char *number, enum km_ticket_field field,
                  const char *value, const char *actor, const char *reason, struct km_err *err);

/* Appends a note (event "note", note = text). */
int km_ticket_note(struct km_db *db, const char *number, const char *actor, const char *text,
                   struct km_err *err);

/* Records a reply sent to the author (event "reply", after {message_id}, note = text);
 * message_id (may be NULL) is the network's id of the reply. Counts as first reaction. */
int km_ticket_reply(struct km_db *db, const char *number, const char *actor, const char *text,
                    const char *message_id, struct km_err *err);

/* Attaches stored post network:post_id to ticket number (event "attach", after {posts}).
 * Attaching a post the ticket already has is KM_OK and writes nothing; a post on another
 * ticket is KM_EINPUT. */
int km_ticket_attach(struct km_db *db, const char *number, const char *network, const char *post_id,
                     const char *actor, struct km_err *err);

/* Mirrors routing.conf [agency] into the agencies table in one transaction: each agency
 * gets its categories and becomes active; agencies no longer named become inactive (never
 * deleted: they keep their tickets). *active (may be NULL) gets how many are active.
 * Call at start and after each routing reload. */
int km_ticket_sync_agencies(struct km_db *db, const struct km_routing *r, size_t *active,
                            struct km_err *err);

/* Creates the tickets that [auto_ticket] asks for: posts stored within
 * KM_TICKET_SWEEP_WINDOW without a ticket whose category and priority (an incident's own,
 * for its posts) the rules select; one ticket per incident. actor is the creator ("auto"),
 * prefix the number prefix (NULL = default). Idempotent: running it again creates nothing
 * new. *created (may be NULL) gets how many were made. Stops at the first failure (the
 * tickets made before it stay). */
int km_ticket_auto_sweep(struct km_db *db, const struct km_routing *r, const char *actor,
                         const char *prefix, size_t *created, struct km_err *err);

#endif
