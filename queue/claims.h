/* Claims of queue items at the operator desk: a lease in Redis that says which operator is
 * working on an item, so two operators never act on the same one.
 *
 * Keys (namespace ns as in queue.h):
 *   {ns}:claim:ITEM  string: the holder's login, with a PX lease (ITEM = "NETWORK:POST_ID")
 *   {ns}:claims      sorted set: "ITEM\tLOGIN" -> lease end (Unix ms), so that an expired
 *                    lease can be observed and announced (km_claim_sweep())
 *   {ns}:desk        stream of claim changes for live views, trimmed with MAXLEN ~
 *                    KM_CLAIM_DESK_MAXLEN: type (claim, release, expire), item, login and,
 *                    for claim, expires (RFC 3339 UTC)
 * Each operation is one Lua script (EVAL), so the check, the change and its stream entry
 * happen together. The scripts name the claim keys they touch only through the {ns} hash
 * tag, so they stay on one Redis Cluster slot.
 *
 * Functions take the caller's km_queue (one per thread, see queue.h) and return KM_OK,
 * KM_RETRY (Redis unreachable) or KM_ERR, with err set. */
#ifndef KM_QUEUE_CLAIMS_H
#define KM_QUEUE_CLAIMS_H

#include "common/err.h"
#include "queue/queue.h"

#include <stddef.h>
#include <stdint.h>

/* Room for a login (operators.login is at most 64 bytes) and its NUL. */
#define KM_CLAIM_LOGIN_MAX 72
/* Length of {ns}:desk kept: live views only need the last few minutes of claim changes;
 * 10,000 entries are several shifts' worth. */
#define KM_CLAIM_DESK_MAXLEN "10000"
/* Expired claims announced per km_claim_sweep() call, so one call stays short. */
#define KM_CLAIM_SWEEP_MAX "100"

/* Who holds an item. */
struct km_claim {
    char login[KM_CLAIM_LOGIN_MAX]; /* the holder; "" if nobody */
    int64_t expires_ms;             /* end of the lease, Unix ms; 0 if nobody */
};

/* Claims item for login for lease_ms, or renews login's own claim (the lease starts again
 * now). If another operator holds it nothing changes. Either way KM_OK and *out says who
 * holds the item now: login itself when it was taken or renewed. A take or renewal is
 * announced on {ns}:desk (type claim). */
int km_claim_take(struct km_queue *q, const char *item, const char *login, int64_t lease_ms,
                  struct km_claim *out, struct km_err *err);

/* Ends login's claim of item (announced as type release). If another operator holds it,
 * nothing changes and *held (may be NULL) names them; if nobody holds it, held->login is
 * "". KM_OK in every case. */
int km_claim_release(struct km_queue *q, const char *item, const char *login, struct km_claim *held,
                     struct km_err *err);

/* The holders of n items into out[0..n) (login "" for an item nobody holds), in one round
 * trip. */
int km_claim_get(struct km_queue *q, const char *const *items, size_t n, struct km_claim *out,
                 struct km_err *err);

/* Announces (type expire, with the login that held it) every lease that has ended since
 * the last sweep, at most KM_CLAIM_SWEEP_MAX per call; *expired (may be NULL) gets how
 * many. Safe to call from several threads and processes at once: each expiry is announced
 * once. */
int km_claim_sweep(struct km_queue *q, size_t *expired, struct km_err *err);

/* The stream key "{ns}:desk" of q as a malloc'd string (caller frees). */
char *km_claim_desk_key(const struct km_queue *q);

#endif
