/* What the fake networks received as replies (Telegram sendMessage, Mastodon POST
 * /api/v1/statuses, VK wall.createComment), for tests to read back through
 * GET /_fake/replies:
 *   [{"network":"telegram","chat_id":"-1001467208111","reply_to":"48211","text":"..."}, ...]
 * chat_id is the Telegram chat or the VK wall owner (null for Mastodon); reply_to is the
 * message, status or post answered (null if none). DELETE /_fake/replies forgets them.
 * Thread-safe (a mutex of its own); one list per process. */
#ifndef KM_FAKE_REPLIES_H
#define KM_FAKE_REPLIES_H

#include "common/buf.h"

#include <stdbool.h>

/* Most replies remembered; later ones are counted but dropped (a runaway client). */
#define KM_FAKE_REPLIES_MAX 10000

/* Records one reply; every string is copied and may be NULL. */
void km_fake_replies_add(const char *network, const char *chat_id, const char *reply_to,
                         const char *text);
/* Appends the JSON array of every recorded reply, oldest first. */
void km_fake_replies_json(struct km_buf *b);
/* Forgets every recorded reply. */
void km_fake_replies_clear(void);
/* Frees what the list holds (at exit, for valgrind). */
void km_fake_replies_fini(void);

/* Whether a request sends a reply (so that "NETWORK-reply" faults apply to it). */
bool km_fake_replies_path(const char *method, const char *url);

#endif
