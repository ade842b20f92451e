/* The desk's JSON API handlers (desk/api_*.c) and the helpers they share (desk/api.c).
 * The route table km_desk_api_routes[] (route.h) connects them to the server; the server
 * has already checked the session, CSRF token and role when a handler runs.
 *
 * Every item action requires the caller to hold the item's claim (queue/claims.h): 409
 * {"error", "claimed_by"} otherwise. Errors are answered with km_desk_resp_error() or
 * km_desk_resp_from_err() (route.h). */
#ifndef KM_DESK_API_H
#define KM_DESK_API_H

#include "desk/route.h"
#include "queue/claims.h"

#include <stdbool.h>
#include <stdint.h>

/* Default claim lease when desk_claim_lease is not set: long enough to read a post and
 * write a ticket, short enough that an abandoned item returns within the 10-minute SLA. */
#define KM_DESK_LEASE_DEFAULT_MS (5LL * 60 * 1000)

/* ---- helpers (api.c) ----------------------------------------------------------------- */

/* The claim lease from desk_claim_lease ([komek]), else KM_DESK_LEASE_DEFAULT_MS. */
int64_t km_desk_api_lease_ms(const struct km_config *cfg);

/* The logged-in operator's login (borrowed from the session). */
const char *km_desk_api_actor(const struct km_desk_req *req);

/* A string member of the request body (borrowed), NULL if absent or not a string. */
const char *km_desk_api_body_str(const struct km_desk_req *req, const char *key);

/* A priority given as 1..4, "1".."4" or "P1".."P4" (member key of the body, or a query
 * string value); 0 if absent or anything else. */
int km_desk_api_priority(yajl_val v);
int km_desk_api_priority_str(const char *s);

/* True if the caller holds item's claim. Otherwise fills resp (409 {"error",
 * "claimed_by"} when someone else or nobody holds it, 503 when Redis is down) and
 * returns false. */
bool km_desk_api_need_claim(struct km_desk_req *req, struct km_desk_resp *resp, const char *item);

/* The stored post of a /api/items/:id route (params[0]) into *st; false after answering
 * 404 (not stored) or 503. */
struct km_desk_item_state;
bool km_desk_api_item_stored(struct km_desk_req *req, struct km_desk_resp *resp,
                             struct km_desk_item_state *st);
/* km_desk_api_item_stored() and km_desk_api_need_claim(): what every item action checks. */
bool km_desk_api_item_held(struct km_desk_req *req, struct km_desk_resp *resp,
                           struct km_desk_item_state *st);

/* Answers 409 {"error": msg, "claimed_by": c->login or null, "claim_expires"}. */
void km_desk_api_claim_conflict(struct km_desk_resp *resp, const char *msg,
                                const struct km_claim *c);

/* Appends ,"claimed_by":...,"claim_expires":... for c (nulls when nobody holds it). */
void km_desk_api_claim_fields(struct km_buf *b, const struct km_claim *c);

/* Publishes the ticket events a change left in the outbox to {ns}:events; a failure only
 * logs (the tickets role publishes what is left). */
void km_desk_api_publish(struct km_desk_req *req);

/* ---- handlers (route.h km_desk_handler) ---------------------------------------------- */

/* api_items.c: queue, item, claim, release, ticket, attach, dismiss, priority. */
void km_desk_api_queue(struct km_desk_req *req, struct km_desk_resp *resp);
void km_desk_api_item(struct km_desk_req *req, struct km_desk_resp *resp);
void km_desk_api_claim(struct km_desk_req *req, struct km_desk_resp *resp);
void km_desk_api_release(struct km_desk_req *req, struct km_desk_resp *resp);
void km_desk_api_ticket(struct km_desk_req *req, struct km_desk_resp *resp);
void km_desk_api_attach(struct km_desk_req *req, struct km_desk_resp *resp);
void km_desk_api_dismiss(struct km_desk_req *req, struct km_desk_resp *resp);
void km_desk_api_set_priority(struct km_desk_req *req, struct km_desk_resp *resp);

/* api_reply.c: reply to the author, templates. */
void km_desk_api_reply(struct km_desk_req *req, struct km_desk_resp *resp);
void km_desk_api_templates(struct km_desk_req *req, struct km_desk_resp *resp);

/* api_tickets.c: list, show, status, assign, note. */
void km_desk_api_tickets(struct km_desk_req *req, struct km_desk_resp *resp);
void km_desk_api_ticket_show(struct km_desk_req *req, struct km_desk_resp *resp);
void km_desk_api_ticket_status(struct km_desk_req *req, struct km_desk_resp *resp);
void km_desk_api_ticket_assign(struct km_desk_req *req, struct km_desk_resp *resp);
void km_desk_api_ticket_note(struct km_desk_req *req, struct km_desk_resp *resp);

/* api_super.c: supervisor overview, reports, watched tags and lexicon. */
void km_desk_api_overview(struct km_desk_req *req, struct km_desk_resp *resp);
void km_desk_api_report_agencies(struct km_desk_req *req, struct km_desk_resp *resp);
void km_desk_api_report_problems(struct km_desk_req *req, struct km_desk_resp *resp);
void km_desk_api_watch(struct km_desk_req *req, struct km_desk_resp *resp);
void km_desk_api_watch_validate(struct km_desk_req *req, struct km_desk_resp *resp);
void km_desk_api_watch_reload(struct km_desk_req *req, struct km_desk_resp *resp);

/* api_users.c: accounts (admin). */
void km_desk_api_users(struct km_desk_req *req, struct km_desk_resp *resp);
void km_desk_api_user_add(struct km_desk_req *req, struct km_desk_resp *resp);
void km_desk_api_user_disable(struct km_desk_req *req, struct km_desk_resp *resp);
void km_desk_api_user_password(struct km_desk_req *req, struct km_desk_resp *resp);

#endif
