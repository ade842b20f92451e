/* Sending limits for replies: token buckets keyed by network, source and chat.
 *
 * Each network has a few rules (collectors/reply_limit.c): a bucket of `capacity` tokens
 * refilled evenly over `period_ms`, scoped to the source (the bot or account) or to one chat.
 * Sending takes one token from every bucket that applies, or none if any is empty, in which
 * case the caller learns how long to wait. Times are passed in, so tests need no sleeps. */
#ifndef KM_COLLECTORS_REPLY_LIMIT_H
#define KM_COLLECTORS_REPLY_LIMIT_H

#include <stdint.h>

struct km_reply_limiter;

/* Returns a new limiter with no buckets. Free with km_reply_limiter_free(). */
struct km_reply_limiter *km_reply_limiter_new(void);
/* Frees l and every bucket. Accepts NULL. */
void km_reply_limiter_free(struct km_reply_limiter *l);

/* Takes one token from every bucket of network's rules for source (and chat_id, which may
 * be NULL) at monotonic time now_ms. Returns 0 if the message may go now (tokens taken),
 * else the milliseconds until it may (nothing taken). *rule, if not NULL, is set to a short
 * description of the limit that refused ("1 message per second per chat"), or NULL. Networks
 * without rules always get 0. Thread-safe. */
int64_t km_reply_limiter_take(struct km_reply_limiter *l, const char *network, const char *source,
                              const char *chat_id, int64_t now_ms, const char **rule);

/* Blocks network's most specific bucket for source / chat_id until until_ms (a 429 told us
 * to wait), so that later calls wait without asking the network. now_ms is the current
 * monotonic time. Thread-safe. */
void km_reply_limiter_block(struct km_reply_limiter *l, const char *network, const char *source,
                            const char *chat_id, int64_t now_ms, int64_t until_ms);

#endif
