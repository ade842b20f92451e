/* Fake VK API: newsfeed.search (dev.vk.com/method/newsfeed.search, API 5.199) at
 * GET|POST /method/newsfeed.search with q, extended, count (default 30, max 200),
 * start_time (default 24 h ago), end_time, start_from and v (required). The token is taken
 * from "Authorization: Bearer" or access_token and must equal --token.
 *
 * Every sample post, whatever its "network", is served as a VK wall post: on a user's wall
 * (positive owner_id) or a community's (negative), some written by a user on a community
 * wall, some reposts (the text in copy_history[0], the repost's own text empty or a short
 * comment), some with a photo (three sizes) or a geo point. @mentions are written as VK
 * markup "[id600000012|@name]"; posts of one community write their hashtags as
 * "#tag@astana_overheard". q = "#tag" finds the posts with that hashtag (case-folded, #109
 * included), any other q those whose text contains it. Answers are newest first; a
 * page holds `count` posts and, when more match, next_from "<served>/<owner>_<id>" that
 * continues after that post (keyset paging, so posts released meanwhile shift nothing).
 * extended=1 adds profiles[] and groups[] for the authors, walls and reposted authors.
 * Errors are HTTP 200 with {"error":{"error_code":N,"error_msg":...,"request_params":[...]}}:
 * 5 for a missing or wrong token, 8 without v, 3 for other methods. */
#ifndef KM_FAKE_VK_H
#define KM_FAKE_VK_H

#include "test/fake/fake_faults.h"
#include "test/fake/fake_http.h"

/* Answers a request whose path starts with "/method/". Takes the store lock itself. */
void km_fake_vk_handle(struct km_fake_ctx *ctx, struct km_fake_req *req, struct km_fake_reply *rep);

/* VK's version of the answer-replacing faults: 429 becomes API error 6 in a 200 body,
 * vkauth/vkflood/vkcaptcha/vkquota/vkinternal errors 5/9/14/29/10, http500 and http503
 * nginx error pages. Called by km_fake_fault_answer(). */
void km_fake_vk_fault(enum km_fake_fault_kind kind, struct km_fake_reply *rep);

#endif
