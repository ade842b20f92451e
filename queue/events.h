/* The {ns}:events stream: one entry per ticket change, for integrators (README "The events
 * stream"). Written by db/outbox.c after the change committed; queue/ stays the only module
 * that talks to Redis.
 *
 * The stream is not trimmed: ticket changes are few (thousands a day) and integrators may
 * read it from the start; trim it with XTRIM MINID once every consumer group is past. */
#ifndef KM_QUEUE_EVENTS_H
#define KM_QUEUE_EVENTS_H

#include "common/err.h"
#include "queue/queue.h"

#include <stddef.h>

/* Largest number of field-value pairs of one event entry (v, type, ticket, number, status,
 * agency, event, body and room to grow). */
#define KM_EVENTS_MAX_FIELDS 12

struct km_events;

/* A handle on {ns}:events of the Redis that opts names (url, password, ns, timeout_ms; the
 * other fields are ignored). Does not connect yet, so it succeeds while Redis is down.
 * Returns KM_OK with *out (free with km_events_free()) or KM_EINPUT for a malformed URL.
 * Not thread-safe: one per thread. */
int km_events_new(const struct km_queue_opts *opts, struct km_events **out, struct km_err *err);
/* Closes the connection and frees ev; NULL is ignored. */
void km_events_free(struct km_events *ev);

/* XADD {ns}:events * with n field-value pairs (n <= KM_EVENTS_MAX_FIELDS; a NULL value
 * leaves its field out). If the connection drops just as the entry is sent, the command is
 * repeated once on a new connection and the entry may be added twice: consumers
 * deduplicate by the "event" field. *id (may be NULL) gets the new entry id (free()).
 * Returns KM_OK, KM_RETRY (Redis unreachable: nothing added) or KM_ERR/KM_EINPUT. */
int km_events_xadd(struct km_events *ev, const char *const *fields, const char *const *values,
                   size_t n, char **id, struct km_err *err);

/* How long km_events_xadd_once() remembers an entry: a repeat within this time adds nothing. */
#define KM_EVENTS_ONCE_TTL_S (7 * 24 * 3600)

/* Like km_events_xadd(), but at most once per `once` (an event id): the entry and a marker
 * key {ns}:events:sent:ONCE holding its id are written by one script, and a repeat within
 * KM_EVENTS_ONCE_TTL_S adds nothing and gets the first entry's id in *id. So a publisher
 * that cannot tell whether its XADD went through (reply lost, or PostgreSQL failing before
 * the event is marked published) just sends it again. */
int km_events_xadd_once(struct km_events *ev, const char *once, const char *const *fields,
                        const char *const *values, size_t n, char **id, struct km_err *err);

/* The stream key, "{ns}:events" (borrowed from ev). */
const char *km_events_key(const struct km_events *ev);

#endif
