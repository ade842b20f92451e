/* Fake city portal for the generic JSON collector (type = json), two endpoints:
 *
 *   GET /portal/api/reports?cursor=&limit=   (needs "Authorization: Bearer <--token>")
 *       {"data":{"total":N,"items":[{"report_id":"s001","body":"...","ts":1795372801,
 *        "user":{"name":"..."},"link":"http://127.0.0.1:PORT/portal/reports/s001"}]},
 *        "next":"r10"}
 *       Items oldest first, `limit` per page (default 10, at most 100). The cursor "r<n>"
 *       starts at the n-th released post; "next" is the cursor after the page's last item
 *       (the same cursor again when the page is empty), so new posts appear after it.
 *       A cursor of another form answers 400 {"error":"bad cursor"}; no or a wrong token
 *       401 {"error":"unauthorized","message":"..."}.
 *   GET /portal/api/feed?page=&per_page=     (public)
 *       A bare array [{"id","text","created" (RFC 3339),"author":{"login"},"url","tags":[...]}],
 *       `per_page` per page (default 10, at most 100), oldest first, with
 *       Link: <http://127.0.0.1:PORT/portal/api/feed?page=N+1&per_page=M>; rel="next" while
 *       later posts exist (the last page is fetched again as it fills up).
 *
 * Both serve every released sample post, whatever its "network". */
#ifndef KM_FAKE_JSON_H
#define KM_FAKE_JSON_H

#include "test/fake/fake_faults.h"
#include "test/fake/fake_http.h"

/* Answers a request whose path starts with "/portal/". Takes the store lock itself. */
void km_fake_json_handle(struct km_fake_ctx *ctx, struct km_fake_req *req,
                         struct km_fake_reply *rep);

/* The portal's version of the answer-replacing faults: 429 {"error":"too many requests"}
 * with Retry-After: 1, http500 and http503 JSON errors. Called by km_fake_fault_answer(). */
void km_fake_json_fault(enum km_fake_fault_kind kind, struct km_fake_reply *rep);

#endif
