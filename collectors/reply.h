/* Replies to citizens on the network a post came from (the desk's "reply" action).
 *
 * km_reply_send() finds the [source NAME] section that collected the post, takes its url and
 * token (secrets already resolved by the config loader, never logged), checks the source's
 * in-process sending limits and sends one message synchronously with a libcurl easy handle:
 *   telegram  POST {url}/bot{token}/sendMessage, JSON {chat_id, text, reply_parameters:
 *             {message_id}}: a reply to the message in its chat.
 *   mastodon  the post's status is looked up on the source's instance (GET /api/v2/search
 *             ?q=URI&resolve=true, or /api/v1/statuses/ID), then POST /api/v1/statuses
 *             {status: "@author text", in_reply_to_id, visibility of the original} with the
 *             source's bearer token and an Idempotency-Key.
 *   vk        POST {url}/method/wall.createComment owner_id, post_id, message, guid, v: a
 *             comment under the wall post.
 * Other networks cannot be answered: KM_EINPUT "replies are not supported for NETWORK".
 *
 * Sending limits (token buckets, per process, keyed by source): Telegram 1 message per second
 * per chat, 20 per minute per group or channel, 30 per second per bot; Mastodon 300 statuses
 * per 3 hours per account; VK 3 requests per second per token. A network's own 429 / rate
 * limit answer also blocks the bucket until the time it names. */
#ifndef KM_COLLECTORS_REPLY_H
#define KM_COLLECTORS_REPLY_H

#include "common/conf.h"
#include "common/err.h"

#include <stdbool.h>
#include <stdint.h>

/* Sends text as a reply to post_id (a komek post id: Telegram "CHAT:MESSAGE", Mastodon the
 * status URI, VK "OWNER_POST") on network through [source NAME] of cfg. chat_id is the
 * post's chat (Telegram; NULL = taken from post_id) and is ignored by other networks.
 * Returns:
 *   KM_OK      sent; *message_id is the network's id of the new message (Telegram
 *              "CHAT:MESSAGE", Mastodon the new status's id, VK "OWNER_COMMENT"), malloc'd,
 *              the caller frees it.
 *   KM_RETRY   not sent now: a sending limit is reached, the network said 429 / "too many
 *              requests", answered 5xx or could not be reached; *retry_after_ms says how
 *              long to wait (> 0).
 *   KM_EINPUT  cannot be sent as asked: unknown source, network mismatch, unsupported
 *              network, malformed post id, empty or invalid text.
 *   KM_ERR     the network refused it (400/401/403/404/422 or an API error); err holds the
 *              network's description, e.g. "telegram/city109: Bad Request: message to be
 *              replied not found".
 * err never contains the token. message_id and retry_after_ms may not be NULL. Thread-safe
 * (the limits are guarded by a mutex); curl_global_init() must have run. Blocks for up to
 * the source's timeout, at most 15 s per request (Mastodon makes two: lookup, post). */
int km_reply_send(const struct km_config *cfg, const char *source, const char *network,
                  const char *chat_id, const char *post_id, const char *text, char **message_id,
                  int64_t *retry_after_ms, struct km_err *err);

/* Whether km_reply_send() can answer posts of network ("telegram", "mastodon", "vk"). */
bool km_reply_supported(const char *network);

/* For tests: replaces the monotonic clock of the sending limits (NULL restores
 * km_time_mono_ms) and forgets every bucket. Not thread-safe against concurrent sends. */
void km_reply_set_clock(int64_t (*mono_ms)(void));

#endif
