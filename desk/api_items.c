/* The queue and the actions on one item: claim, release, ticket, attach, dismiss,
 * priority (see api.h and README "Desk API"). */
#include "desk/api.h"

#include "app/shared.h"
#include "app/watch.h"
#include "common/alloc.h"
#include "common/time.h"
#include "db/desk_items.h"
#include "db/ticket.h"
#include "parser/json.h"
#include "triage/routing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Answers {"ok":true,"item":ID} (status 200). */
static void it_ok(struct km_desk_resp *resp, const char *item)
{
    km_buf_reset(&resp->body);
    km_buf_puts(&resp->body, "{\"ok\":true,\"item\":");
    km_json_escape(&resp->body, item);
    km_buf_puts(&resp->body, "}");
}

/* Writes items as a JSON array with each one's claim. */
static int it_items_json(struct km_desk_req *req, const struct km_desk_items *items,
                         struct km_buf *b, struct km_err *err)
{
    struct km_claim *claims = km_calloc(items->n + 1, sizeof(*claims));
    int rc = km_claim_get(req->q, (const char *const *)items->ids, items->n, claims, err);
    km_buf_putc(b, '[');
    for (size_t i = 0; rc == KM_OK && i < items->n; i++) {
        const char *j = items->json[i];
        size_t len = strlen(j);
        km_buf_puts(b, i > 0 ? "," : "");
        km_buf_append(b, j, len > 0 ? len - 1 : 0); /* without its closing brace */
        km_desk_api_claim_fields(b, &claims[i]);
        km_buf_putc(b, '}');
    }
    km_buf_putc(b, ']');
    free(claims);
    return rc;
}

void km_desk_api_queue(struct km_desk_req *req, struct km_desk_resp *resp)
{
    struct km_desk_items items = {0};
    struct km_err err = {{0}};
    const char *limit = km_desk_req_query(req, "limit");
    const char *prio = km_desk_req_query(req, "priority");
    struct km_desk_queue_query q = {
        .network = km_desk_req_query(req, "network"),
        .category = km_desk_req_query(req, "category"),
        .source = km_desk_req_query(req, "source"),
        .lang = km_desk_req_query(req, "lang"),
        .priority = km_desk_api_priority_str(prio),
        .limit = limit != NULL ? strtoul(limit, NULL, 10) : 0,
    };
    if ((prio != NULL && prio[0] != '\0' && q.priority == 0) ||
        (limit != NULL && (limit[0] < '1' || limit[0] > '9'))) {
        km_desk_resp_error(resp, 400, "priority wants 1..4 or P1..P4, limit a positive number");
        return;
    }
    km_claim_sweep(req->q, NULL, &err); /* announce lapsed leases; a failure shows below */
    int rc = km_desk_queue(req->db, &q, &items, &err);
    char now[40];
    km_buf_reset(&resp->body);
    km_buf_printf(&resp->body, "{\"now\":\"%s\",\"items\":",
                  km_time_format_rfc3339(km_time_now_ms(), now, sizeof(now)));
    if (rc == KM_OK) {
        rc = it_items_json(req, &items, &resp->body, &err);
    }
    km_buf_putc(&resp->body, '}');
    if (rc != KM_OK) {
        km_desk_resp_from_err(resp, rc, &err);
    }
    km_desk_items_clear(&items);
}

void km_desk_api_item(struct km_desk_req *req, struct km_desk_resp *resp)
{
    char *json = NULL;
    struct km_claim c;
    struct km_err err = {{0}};
    const char *item = req->n_params > 0 ? req->params[0] : "";
    int rc = km_desk_item_json(req->db, item, &json, &err);
    if (rc == KM_OK) {
        rc = km_claim_get(req->q, &item, 1, &c, &err);
    }
    if (rc == KM_EINPUT) {
        km_desk_resp_error(resp, 404, "%s", err.msg);
    } else if (rc != KM_OK) {
        km_desk_resp_from_err(resp, rc, &err);
    } else {
        km_buf_reset(&resp->body);
        km_buf_append(&resp->body, json, strlen(json) - 1);
        km_desk_api_claim_fields(&resp->body, &c);
        km_buf_putc(&resp->body, '}');
    }
    free(json);
}

void km_desk_api_claim(struct km_desk_req *req, struct km_desk_resp *resp)
{
    struct km_desk_item_state st;
    struct km_claim c;
    struct km_err err = {{0}};
    if (!km_desk_api_item_stored(req, resp, &st)) {
        return;
    }
    const char *login = km_desk_api_actor(req);
    int rc = km_claim_take(req->q, req->params[0], login, km_desk_api_lease_ms(req->cfg), &c, &err);
    if (rc != KM_OK) {
        km_desk_resp_from_err(resp, rc, &err);
    } else if (strcmp(c.login, login) != 0) {
        km_desk_api_claim_conflict(resp, "another operator holds this item", &c);
    } else {
        km_buf_reset(&resp->body);
        km_buf_puts(&resp->body, "{\"item\":");
        km_json_escape(&resp->body, req->params[0]);
        km_desk_api_claim_fields(&resp->body, &c);
        km_buf_putc(&resp->body, '}');
    }
}

void km_desk_api_release(struct km_desk_req *req, struct km_desk_resp *resp)
{
    struct km_claim held;
    struct km_err err = {{0}};
    const char *item = req->n_params > 0 ? req->params[0] : "";
    int rc = km_claim_release(req->q, item, km_desk_api_actor(req), &held, &err);
    if (rc != KM_OK) {
        km_desk_resp_from_err(resp, rc, &err);
    } else if (held.login[0] != '\0') {
        km_desk_api_claim_conflict(resp, "another operator holds this item", &held);
    } else {
        it_ok(resp, item);
    }
}

/* The routing in use (the reloadable watch's), else routing.conf loaded now into *owned. */
static const struct km_routing *it_routing(struct km_desk_req *req, struct km_shared_ref **ref,
                                           struct km_routing **owned, struct km_err *err)
{
    struct km_watch *w = req->watch != NULL ? km_shared_acquire(req->watch, ref) : NULL;
    if (w != NULL && w->triage != NULL) {
        return km_triage_routing(w->triage);
    }
    char *path = km_config_path(req->cfg, km_section_get(req->cfg->global, "routing"));
    if (km_routing_load(path, NULL, owned, err) != KM_OK) {
        *owned = NULL;
    }
    free(path);
    return *owned;
}

/* Fills a ticket request from the body; false (and a 400/422 answer) when it is bad. */
static bool it_ticket_req(struct km_desk_req *req, struct km_desk_resp *resp,
                          const struct km_desk_item_state *st, struct km_ticket_req *t,
                          char *network, size_t size)
{
    struct km_err err = {{0}};
    bool incident = false;
    yajl_val prio = req->body != NULL ? km_json_get(req->body, "priority", NULL) : NULL;
    if (req->body != NULL) {
        km_json_bool(req->body, "incident", &incident);
    }
    t->category = km_desk_api_body_str(req, "category");
    t->agency = km_desk_api_body_str(req, "agency");
    t->note = km_desk_api_body_str(req, "note");
    t->priority = km_desk_api_priority(prio);
    if (prio == NULL || YAJL_IS_NULL(prio)) {
        t->priority = st->priority_override; /* the operator's, else triage's (0) */
    }
    t->actor = km_desk_api_actor(req);
    t->prefix = km_section_get(req->cfg->global, "ticket_prefix");
    if (prio != NULL && !YAJL_IS_NULL(prio) && t->priority == 0) {
        km_desk_resp_error(resp, 422, "priority wants 1..4 or P1..P4");
        return false;
    }
    if (incident && st->incident[0] == '\0') {
        km_desk_resp_error(resp, 422, "%s belongs to no incident", req->params[0]);
        return false;
    }
    if (incident) {
        t->incident = st->incident;
        return true;
    }
    int rc = km_desk_item_split(req->params[0], network, size, &t->post_id, &err);
    t->network = network;
    if (rc != KM_OK) {
        km_desk_resp_from_err(resp, rc, &err);
    }
    return rc == KM_OK;
}

void km_desk_api_ticket(struct km_desk_req *req, struct km_desk_resp *resp)
{
    struct km_desk_item_state st;
    struct km_ticket_req t = {0};
    struct km_ticket_ref ref = {0};
    struct km_shared_ref *wref = NULL;
    struct km_routing *owned = NULL;
    struct km_err err = {{0}};
    char network[64];
    bool existed = false;
    if (!km_desk_api_item_held(req, resp, &st) ||
        !it_ticket_req(req, resp, &st, &t, network, sizeof(network))) {
        return;
    }
    const struct km_routing *r = it_routing(req, &wref, &owned, &err);
    int rc = r != NULL ? km_ticket_create(req->db, r, &t, &ref, &existed, &err) : KM_ERR;
    if (wref != NULL) {
        km_shared_release(req->watch, wref);
    }
    km_routing_free(owned);
    if (rc != KM_OK) {
        km_desk_resp_from_err(resp, rc, &err);
        return;
    }
    km_desk_api_publish(req);
    resp->status = existed ? 200 : 201;
    km_buf_reset(&resp->body);
    km_buf_puts(&resp->body, "{\"number\":");
    km_json_escape(&resp->body, ref.number);
    km_buf_printf(&resp->body, ",\"existed\":%s,\"item\":", existed ? "true" : "false");
    km_json_escape(&resp->body, req->params[0]);
    km_buf_putc(&resp->body, '}');
}

void km_desk_api_attach(struct km_desk_req *req, struct km_desk_resp *resp)
{
    struct km_desk_item_state st;
    struct km_err err = {{0}};
    char network[64];
    const char *post_id = NULL;
    if (!km_desk_api_item_held(req, resp, &st)) {
        return;
    }
    const char *number = km_desk_api_body_str(req, "ticket");
    const char *incident = km_desk_api_body_str(req, "incident");
    if ((number == NULL) == (incident == NULL)) {
        km_desk_resp_error(resp, 400, "give either ticket (a number) or incident (an id)");
        return;
    }
    int rc = km_desk_item_split(req->params[0], network, sizeof(network), &post_id, &err);
    if (rc == KM_OK && number != NULL) {
        rc = km_ticket_attach(req->db, number, network, post_id, km_desk_api_actor(req), &err);
    } else if (rc == KM_OK) {
        rc = km_desk_item_incident(req->db, req->params[0], incident, km_desk_api_actor(req), &err);
    }
    if (rc != KM_OK) {
        km_desk_resp_from_err(resp, rc, &err);
        return;
    }
    if (number != NULL) {
        km_desk_api_publish(req);
    }
    it_ok(resp, req->params[0]);
}

void km_desk_api_dismiss(struct km_desk_req *req, struct km_desk_resp *resp)
{
    struct km_desk_item_state st;
    struct km_err err = {{0}};
    if (!km_desk_api_item_held(req, resp, &st)) {
        return;
    }
    const char *login = km_desk_api_actor(req);
    int rc = km_desk_item_dismiss(req->db, req->params[0], km_desk_api_body_str(req, "kind"),
                                  km_desk_api_body_str(req, "reason"), login, &err);
    if (rc != KM_OK) {
        km_desk_resp_from_err(resp, rc, &err);
        return;
    }
    /* The item left the queue: its claim has nothing left to guard. */
    km_claim_release(req->q, req->params[0], login, NULL, &err);
    it_ok(resp, req->params[0]);
}

void km_desk_api_set_priority(struct km_desk_req *req, struct km_desk_resp *resp)
{
    struct km_desk_item_state st;
    struct km_err err = {{0}};
    if (!km_desk_api_item_held(req, resp, &st)) {
        return;
    }
    yajl_val v = req->body != NULL ? km_json_get(req->body, "priority", NULL) : NULL;
    int prio = km_desk_api_priority(v);
    if (prio == 0) {
        km_desk_resp_error(resp, 422, "priority wants 1..4 or P1..P4");
        return;
    }
    int rc =
        km_desk_item_priority(req->db, req->params[0], prio, km_desk_api_body_str(req, "reason"),
                              km_desk_api_actor(req), &err);
    if (rc != KM_OK) {
        km_desk_resp_from_err(resp, rc, &err);
        return;
    }
    it_ok(resp, req->params[0]);
}
