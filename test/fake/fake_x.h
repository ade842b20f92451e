/* Fake X (Twitter) API v2 recent search: GET /2/tweets/search/recent with query,
 * max_results (10-100, default 10), since_id, until_id and pagination_token (or next_token),
 * behind "Authorization: Bearer <--token>" (docs.x.com, x-api/posts/recent-search).
 *
 * Every released sample post, whatever its "network", is a tweet. The query is hashtags
 * joined by OR ("#a OR #b", parentheses allowed, "-is:retweet" honoured); a tweet matches
 * when one of its hashtags (X's rules: at least one letter, unless --numeric-tags) equals a
 * query tag, case-insensitively. Answers are newest first: data[], includes.users,
 * includes.tweets (originals of retweets), includes.media, and meta{newest_id, oldest_id,
 * result_count, next_token}. The text has & < > escaped as &amp; &lt; &gt;, and
 * entities.hashtags/mentions/urls count code points of the unescaped text.
 *
 * Ids are snowflakes ((created_ms - 1288834974657) << 22 | sequence) that grow with release
 * order. Every fourth post (sequence 3, 7, ...) is served as a retweet: "RT @author: text",
 * cut at 140 characters with "…" (its entities computed on the cut text, so a tag may be
 * partial), of an original eight days old that only includes.tweets carries (outside the
 * 7-day window, so the search never returns it itself). Every fourth post from sequence 1
 * replies to the post released before it; every fifth has a photo, every seventh a point in
 * Astana. Every answer carries x-rate-limit-limit/remaining/reset (450 per 15-minute
 * window, enforced with a 429). Errors use X's bodies: 401 Unauthorized, 400 Invalid
 * Request with errors[].parameters (a since_id older than 7 days names the oldest id
 * accepted), 404 for other paths. */
#ifndef KM_FAKE_X_H
#define KM_FAKE_X_H

#include "test/fake/fake_faults.h"
#include "test/fake/fake_http.h"
#include "test/fake/fake_posts.h"

/* Answers a request whose path starts with "/2/". Takes the store lock itself. */
void km_fake_x_handle(struct km_fake_ctx *ctx, struct km_fake_req *req, struct km_fake_reply *rep);

/* X's version of the faults that replace an answer (fake_faults.c calls it): 429
 * ({"title":"Too Many Requests",...} with x-rate-limit-remaining: 0 and a reset one second
 * ahead), http500, and http503 for anything else (the caller adds Retry-After). */
void km_fake_x_fault(enum km_fake_fault_kind kind, struct km_fake_reply *rep);

#endif
