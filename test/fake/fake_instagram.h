/* Fake Instagram Graph API, hashtag search (Instagram API with Facebook Login):
 *
 *   GET /vN.M/ig_hashtag_search?user_id=&q=&access_token=
 *       {"data":[{"id":"17843..."}]}; ids are static: "17843" and 12 digits of a hash of the
 *       case-folded tag; a tag no sample post has answers {"data":[]}
 *   GET /vN.M/<hashtag-id>/recent_media?user_id=&fields=&limit=&after=&access_token=
 *
 * recent_media serves every released sample post, whatever its "network", of the last
 * 24 hours whose text has the hashtag (case-folded; #109 counts), newest first, `limit` per
 * page (default 25, at most 50). paging.cursors.after names the last media of the page (keyset
 * paging: posts released meanwhile shift nothing) and paging.next is present while more
 * match. Only the requested fields are written (id without `fields`): id, caption,
 * media_type (IMAGE, VIDEO, CAROUSEL_ALBUM by turns), media_url, permalink, timestamp
 * ("2026-11-22T18:41:01+0000"), like_count (omitted for every fifth post: hidden likes),
 * comments_count and children{media_url} for albums. Every answer carries
 * X-Business-Use-Case-Usage for the user, call_count rising with the requests up to 60 %.
 *
 * Errors are HTTP 400 with {"error":{"message","type","code","error_subcode","fbtrace_id"}}:
 * 190 for a token other than KM_FAKE_IG_TOKEN, 100 for a user_id that is not a number, an
 * unknown hashtag id (subcode 33) or another path, 24/2207024 for the 31st distinct tag
 * searched. */
#ifndef KM_FAKE_INSTAGRAM_H
#define KM_FAKE_INSTAGRAM_H

#include "test/fake/fake_faults.h"
#include "test/fake/fake_http.h"

#include <stdbool.h>

/* The user access token the fake accepts (letters and digits, as real ones). */
#define KM_FAKE_IG_TOKEN "EAAKomekFakeInstagramToken109"

/* True if url is an Instagram Graph API path ("/v" and a digit). */
bool km_fake_ig_route(const char *url);

/* Answers a Graph API request. Takes the store lock itself. */
void km_fake_ig_handle(struct km_fake_ctx *ctx, struct km_fake_req *req, struct km_fake_reply *rep);

/* The Graph API's version of the answer-replacing faults: 429 becomes HTTP 403 with error 4
 * and a usage header at 100 % asking to wait a minute, http500 error 1 and http503 error 2
 * (transient). Called by km_fake_fault_answer(). */
void km_fake_ig_fault(enum km_fake_fault_kind kind, struct km_fake_reply *rep);

#endif
