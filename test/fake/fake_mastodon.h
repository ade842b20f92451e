/* Fake Mastodon: GET /api/v1/timelines/tag/:hashtag with min_id, max_id, since_id, limit
 * and any[] (docs.joinmastodon.org, methods/timelines).
 *
 * Answers an array of Status entities, newest first. Ids are snowflake-like strings
 * ((created_ms << 16) | sequence) that grow with release order. "content" is sanitised
 * HTML as Mastodon renders it (<p>, <br>, hashtag and mention anchors, shortened links),
 * and the JSON escapes < > & as \u003c \u003e \u0026 like Rails does. Tag names follow
 * Mastodon's rules: lower-cased, at least one letter (so #109 is plain text unless
 * --numeric-tags), '#' after white space. A status is served for a request when one of
 * its tags equals the path tag or one of the any[] tags. Every answer carries
 * X-RateLimit-Limit/Remaining/Reset (300 per 5-minute window, counted but not enforced)
 * and, when not empty, a Link header with rel="next" (max_id) and rel="prev" (min_id).
 * For the desk's replies: GET /api/v2/search?q=URI (resolve=true needs the bearer token),
 * GET /api/v1/statuses/:id and POST /api/v1/statuses (recorded for GET /_fake/replies). */
#ifndef KM_FAKE_MASTODON_H
#define KM_FAKE_MASTODON_H

#include "test/fake/fake_http.h"
#include "test/fake/fake_posts.h"

/* Called once by km_fake_store_init(). */
void km_fake_mst_plan(struct km_fake_store *s);

/* Gives a released Mastodon item its status id. Caller holds the lock. */
void km_fake_mst_assign(struct km_fake_store *s, struct km_fake_item *it);

/* Answers a request whose path starts with "/api/v1/". Takes the store lock itself. */
void km_fake_mst_handle(struct km_fake_ctx *ctx, struct km_fake_req *req,
                        struct km_fake_reply *rep);

#endif
