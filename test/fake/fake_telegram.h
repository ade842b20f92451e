/* Fake Telegram Bot API: getUpdates (long poll, offset confirmation), getMe,
 * getWebhookInfo, deleteWebhook and sendMessage under /bot<TOKEN>/<method>.
 *
 * Wire format as api.telegram.org sends it: {"ok":true,"result":[Update...]}, non-ASCII
 * escaped as \uXXXX, '/' as "\/", "entities" with offsets in UTF-16 code units and only
 * where TDLib would mark them (so "#109", having no letter, is not a hashtag entity unless
 * --numeric-tags). Posts appear in three chats:
 *   - a public supergroup (most posts with hashtags) as "message",
 *   - a city channel (every third post with hashtags) as "channel_post" with sender_chat,
 *   - a private district group chat without username (posts without any hashtag).
 * The first Russian supergroup post with a watched hashtag is followed by an
 * "edited_message" with the same message_id and an "UPD:" line appended. */
#ifndef KM_FAKE_TELEGRAM_H
#define KM_FAKE_TELEGRAM_H

#include "test/fake/fake_http.h"
#include "test/fake/fake_posts.h"

/* Chooses the chat of every Telegram template and the edited one; sets the first ids.
 * Called once by km_fake_store_init(). */
void km_fake_tg_plan(struct km_fake_store *s);

/* Gives a released Telegram item its update_id(s) and message_id. Caller holds the lock. */
void km_fake_tg_assign(struct km_fake_store *s, struct km_fake_item *it);

/* Answers a request whose path starts with "/bot". Takes the store lock itself (and waits
 * for new posts in a long poll). */
void km_fake_tg_handle(struct km_fake_ctx *ctx, struct km_fake_req *req, struct km_fake_reply *rep);

#endif
