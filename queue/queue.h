/* The Redis side of komek: the posts stream, source cursors and the seen-set that makes
 * delivery exactly-once per (network, id).
 *
 * Keys (namespace ns, default "komek", always in braces so one MULTI/EXEC can touch all of
 * them on a Redis Cluster too):
 *   {ns}:posts    stream of triaged posts (fields in README "The posts stream"): v 1 for a
 *                 post triage has not scored, v 2 with the flat triage fields priority,
 *                 category, urgency, incident, dup_of (and escalation 1 on an escalation).
 *                 Never trimmed on XADD: km_queue_trim() removes only entries every
 *                 consumer group has acknowledged
 *   {ns}:dead     dead letters: posts entries a consumer gave up on (km_queue_dead_letter)
 *   {ns}:cursors  hash: source name -> cursor
 *   {ns}:seen     sorted set: "network:id" -> last-seen Unix ms; a member not seen again
 *                 for the whole window is trimmed, so an item a feed keeps serving is never
 *                 forgotten (and never delivered twice) however long it stays there
 * A km_queue wraps one hiredis connection: not thread-safe, one per thread. It reconnects
 * by itself; every call returns KM_RETRY while Redis is unreachable. */
#ifndef KM_QUEUE_QUEUE_H
#define KM_QUEUE_QUEUE_H

#include "common/err.h"
#include "parser/post.h"

#include <stdbool.h>

#include <stddef.h>
#include <stdint.h>

struct km_queue_opts {
    const char *url;         /* redis://[:password@]host:port[/db] or a unix socket path */
    const char *password;    /* optional, overrides one in the URL */
    const char *ns;          /* key namespace without braces, default "komek" */
    int64_t timeout_ms;      /* connect and command timeout */
    long long maxlen;        /* length of the posts stream at which km_queue_trim() starts
                              * trimming; 0 = never trim */
    int64_t seen_window_ms;  /* how long (network, id) pairs are remembered after their
                              * last sighting; 0 = the default, 7 days */
    int64_t (*now_ms)(void); /* wall clock for seen-set scores; NULL = km_time_now_ms.
                              * Only tests set it, to move time without sleeping. */
    bool legacy_redis;       /* act as on Redis < 6.2 from the start: claim with XPENDING +
                              * XCLAIM, trim with XRANGE + XDEL. Only tests set it, to cover
                              * those paths; otherwise the first "unknown command" or syntax
                              * error reply switches a handle over by itself. */
};

struct km_queue;

/* Creates a queue handle; does not fail if Redis is down (first command will retry).
 * Returns KM_EINPUT for a malformed URL. Free with km_queue_free(). */
int km_queue_new(const struct km_queue_opts *opts, struct km_queue **out, struct km_err *err);
void km_queue_free(struct km_queue *q);

/* Reads the committed cursor of source; *cursor malloc'd or NULL if none. */
int km_queue_get_cursor(struct km_queue *q, const char *source, char **cursor, struct km_err *err);

/* Atomically (one MULTI/EXEC, guarded by WATCH on the seen-set) appends to the posts
 * stream every post of batch whose (network, id) was not seen within the window (v 2 with
 * the flat triage fields if the post is scored, else v 1 without them), records
 * every post of the batch, new or repeated, as seen now (so the window counts from its last
 * sighting), trims the seen-set and sets source's cursor (if cursor != NULL). Either all of
 * it happens or none.
 * *added / *dups (may be NULL) get the counts. Returns KM_OK or KM_RETRY. */
int km_queue_write_batch(struct km_queue *q, const char *source, const struct km_post_batch *batch,
                         const char *cursor, size_t *added, size_t *dups, struct km_err *err);

/* km_queue_write_batch() in two halves, so that the caller can work while Redis runs the
 * write: km_queue_send_batch() does the first attempt up to sending MULTI ... EXEC (WATCH
 * and the seen-set lookup wait for their replies) and returns without reading EXEC's;
 * km_queue_finish_batch() reads them and, if WATCH fired, makes the remaining attempts.
 * Together they do exactly what km_queue_write_batch() does, with the same return codes.
 * Between the two, q must not be used for anything else, and batch, source and the posts
 * must stay as they are (borrowed until the finish). json (may be NULL) is an array of
 * batch->n strings, km_post_to_json() of each post, encoded ahead by the caller; it is
 * taken (freed here in every case; the caller sets its pointer to NULL). On KM_OK *sent
 * is the pending write, which km_queue_finish_batch() always frees (whatever it
 * returns); on any other code nothing was sent and *sent is NULL. */
struct km_queue_sent;
int km_queue_send_batch(struct km_queue *q, const char *source, const struct km_post_batch *batch,
                        char **json, const char *cursor, struct km_queue_sent **sent,
                        struct km_err *err);
int km_queue_finish_batch(struct km_queue *q, struct km_queue_sent *sent, size_t *added,
                          size_t *dups, struct km_err *err);

/* Appends one escalation entry for p to the posts stream: v 2, the flat triage fields of p
 * (its new, higher priority), escalation 1 and p re-encoded as the post JSON. Used when an
 * incident grows past its thresholds and p was re-scored; the tickets role then updates the
 * stored post instead of inserting it. Not a batch write: no cursor, no seen-set check (the
 * post was delivered before). p must have network, id and triage.scored with a priority
 * 1..4 (else KM_EINPUT). If the connection fails just as the entry is sent, a retry may add
 * it twice, which is harmless: applying an escalation is idempotent. *entry_id (may be NULL)
 * gets the new stream id (caller frees). Returns KM_OK, KM_EINPUT, KM_RETRY or KM_ERR. */
int km_queue_write_escalation(struct km_queue *q, const struct km_post *p, char **entry_id,
                              struct km_err *err);

/* km_queue_write_escalation() for each of posts[0..n) (borrowed), in one round trip: the
 * XADDs are pipelined and their replies read in order, so the entries are appended in the
 * order of posts[]. rcs[i] gets each entry's code as km_queue_write_escalation() would
 * return it (KM_OK, KM_EINPUT for a post without network, id or priority, KM_RETRY when
 * the connection failed before its reply arrived, KM_ERR for an unexpected or error
 * reply), and errs[i] (errs may be NULL) the message of each that failed. As with one
 * entry, a connection that went stale while idle is replaced once, so an entry whose reply
 * was lost may be added twice (harmless). Returns KM_OK if every entry was written, else
 * the first failed entry's code. rcs has n elements; so has errs if not NULL. */
int km_queue_write_escalations(struct km_queue *q, struct km_post *const *posts, size_t n, int *rcs,
                               struct km_err *errs);

/* One entry read from the posts stream by a consumer group. */
struct km_stream_entry {
    char *id; /* stream entry id "1700000000000-0" */
    char *network;
    char *post_id;
    char *post_json; /* the "post" field */
    size_t post_len;
    int v;           /* the "v" field (schema version); 0 if absent */
    bool escalation; /* "escalation" is 1: re-scored post, update the stored one */
};

void km_stream_entries_free(struct km_stream_entry *e, size_t n);

/* Creates consumer group (at "0", MKSTREAM) if it does not exist. */
int km_queue_group_create(struct km_queue *q, const char *group, struct km_err *err);

/* XREADGROUP of up to count entries for consumer. pending = true reads this consumer's
 * own pending entries (id 0) instead of new ones (">"). block_ms 0 = do not block.
 * *entries is malloc'd (free with km_stream_entries_free()); *n may be 0. */
int km_queue_read_group(struct km_queue *q, const char *group, const char *consumer, bool pending,
                        size_t count, int64_t block_ms, struct km_stream_entry **entries, size_t *n,
                        struct km_err *err);

/* XACK ids in group. */
int km_queue_ack(struct km_queue *q, const char *group, const char *const *ids, size_t n,
                 struct km_err *err);

/* PING; KM_OK or KM_RETRY. */
int km_queue_ping(struct km_queue *q, struct km_err *err);

/* XLEN of the posts stream into *len (0 if the stream does not exist). */
int km_queue_stream_len(struct km_queue *q, long long *len, struct km_err *err);

/* Number of entries delivered to group but not yet acknowledged (all consumers). */
int km_queue_pending_count(struct km_queue *q, const char *group, long long *count,
                           struct km_err *err);

/* Claiming, delivery counts, dead letters and trimming: queue/group.h. */

#endif
