/* The desk's live updates: one broadcaster thread follows {ns}:posts, {ns}:events and
 * {ns}:desk (queue/tail.h, XREAD BLOCK) and keeps the latest KM_DESK_SSE_RING events,
 * already formatted as server-sent events; every GET /api/stream connection is a client
 * that reads them from its own position.
 *
 * Events: `post` (an entry of {ns}:posts: its fields but the post JSON, plus "id", the
 * entry id), `ticket` (an entry of {ns}:events: its fields plus "id"), `claim` (an entry of
 * {ns}:desk: type, item, login, expires, plus "id"). Each carries an SSE id made of the
 * three streams' positions; a client that reconnects with Last-Event-ID gets what it
 * missed if that is still in the ring, else a `resync` event (reload the queue) and live
 * events from then on. A comment line goes out every KM_DESK_SSE_KEEPALIVE_S when there is
 * nothing to send. Thread-safe. */
#ifndef KM_DESK_SSE_H
#define KM_DESK_SSE_H

#include "common/buf.h"
#include "common/err.h"
#include "queue/queue.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Events kept for clients that fall behind or reconnect (a busy day has a few thousand
 * posts; this covers the last minutes of a burst). */
#define KM_DESK_SSE_RING 2048
/* Seconds between comment lines on an idle stream: proxies close connections idle for
 * 30 to 60 s. */
#define KM_DESK_SSE_KEEPALIVE_S 15

struct km_desk_sse;
struct km_desk_sse_client;

/* Starts the broadcaster on the Redis of qo (url, password, ns, timeout_ms). It does not
 * need Redis to be up: it retries every second and complains (rate-limited) meanwhile.
 * Returns KM_OK with *out (free with km_desk_sse_free()), KM_EINPUT (bad URL) or KM_ERR
 * (no thread). */
int km_desk_sse_new(const struct km_queue_opts *qo, struct km_desk_sse **out, struct km_err *err);
/* Tells every client to end its stream and the broadcaster to stop; returns at once. */
void km_desk_sse_stop(struct km_desk_sse *s);
/* Stops (if not yet), joins the broadcaster and frees s; NULL is ignored. Every client must
 * have been freed. */
void km_desk_sse_free(struct km_desk_sse *s);

/* A new client positioned after last_event_id (may be NULL = live from now). Its first
 * read returns "retry" and a ": connected" comment. Free with km_desk_sse_client_free(). */
struct km_desk_sse_client *km_desk_sse_client_new(struct km_desk_sse *s, const char *last_event_id);
void km_desk_sse_client_free(struct km_desk_sse_client *c);

/* Copies up to max bytes of the client's stream into buf, waiting up to
 * KM_DESK_SSE_KEEPALIVE_S for an event (then a comment line). Returns the byte count (> 0),
 * or -1 once the broadcaster stops. For a libmicrohttpd content reader. */
ssize_t km_desk_sse_client_read(struct km_desk_sse_client *c, char *buf, size_t max);

/* Number of clients connected now (for the metrics and tests). */
size_t km_desk_sse_clients(struct km_desk_sse *s);

/* Formats one event into out: "id: ID\nevent: EVENT\ndata: {"id":ENTRY_ID,NAME:VALUE...}\n\n"
 * from fields (name, value pairs, 2 * n strings), leaving out the field named skip (may be
 * NULL). Invalid UTF-8 in values is replaced. Pure; for tests too. */
void km_desk_sse_format(struct km_buf *out, const char *event, const char *id, const char *entry_id,
                        char *const *fields, size_t n, const char *skip);

#endif
