/* The events outbox: ticket_events rows waiting in event_outbox (written by trigger in the
 * change's own transaction) are XADDed to {ns}:events after COMMIT, then marked published.
 *
 * Entry fields: v 1, type (created, status, assign, priority, category, agency, note,
 * reply, attach), ticket (tickets.id), number, status and agency (the ticket's, as of that
 * event), event (ticket_events.id) and body, a JSON object {event, type, actor, at,
 * before, after, note, ticket: {id, number, status, category, priority, agency, place,
 * created_at, reaction_due, resolve_due}} (times RFC 3339).
 *
 * Delivery is exactly once, in event order: Redis down -> nothing is marked and
 * everything is published later; an event XADDed by a transaction that failed before its
 * COMMIT (PostgreSQL stopped, a crash) is published again by a later one, and the XADD,
 * once per event id (km_events_xadd_once(), remembered KM_EVENTS_ONCE_TTL_S), adds nothing
 * the second time. Concurrent publishers (komekctl and the tickets role) serialise on the
 * outbox rows' locks. */
#ifndef KM_DB_OUTBOX_H
#define KM_DB_OUTBOX_H

#include "common/err.h"
#include "db/db.h"
#include "queue/events.h"

#include <stddef.h>

/* Outbox rows published per transaction when the caller gives max = 0. */
#define KM_OUTBOX_BATCH 500

/* Publishes up to max (0 = KM_OUTBOX_BATCH) unpublished events, oldest first, and marks
 * each published with its stream id, in one transaction. *published (may be NULL) gets
 * how many. Returns KM_OK (call again while *published == max to drain a backlog),
 * KM_RETRY (Redis or PostgreSQL down: what was published before the failure is marked,
 * the rest stays for the next call) or KM_ERR, with err set. */
int km_outbox_publish(struct km_db *db, struct km_events *ev, size_t max, size_t *published,
                      struct km_err *err);

/* Number of events not yet published into *n (for metrics and `komekctl events`). */
int km_outbox_pending(struct km_db *db, long long *n, struct km_err *err);

#endif
