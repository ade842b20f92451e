/* The desk API's route table and the helpers its handlers share (see api.h). */
#include "desk/api.h"

#include "app/setup.h"
#include "common/alloc.h"
#include "common/log.h"
#include "common/time.h"
#include "db/desk_items.h"
#include "db/outbox.h"
#include "parser/json.h"
#include "queue/events.h"

#include <stdlib.h>
#include <string.h>

/* Roles here document intent; the server also enforces km_desk_path_min_role(). */
const struct km_desk_route km_desk_api_routes[] = {
    {"GET", "/api/queue", KM_DESK_OPERATOR, km_desk_api_queue},
    {"GET", "/api/items/:id", KM_DESK_OPERATOR, km_desk_api_item},
    {"POST", "/api/items/:id/claim", KM_DESK_OPERATOR, km_desk_api_claim},
    {"POST", "/api/items/:id/release", KM_DESK_OPERATOR, km_desk_api_release},
    {"POST", "/api/items/:id/ticket", KM_DESK_OPERATOR, km_desk_api_ticket},
    {"POST", "/api/items/:id/attach", KM_DESK_OPERATOR, km_desk_api_attach},
    {"POST", "/api/items/:id/dismiss", KM_DESK_OPERATOR, km_desk_api_dismiss},
    {"POST", "/api/items/:id/priority", KM_DESK_OPERATOR, km_desk_api_set_priority},
    {"POST", "/api/items/:id/reply", KM_DESK_OPERATOR, km_desk_api_reply},
    {"GET", "/api/templates", KM_DESK_OPERATOR, km_desk_api_templates},
    {"GET", "/api/tickets", KM_DESK_OPERATOR, km_desk_api_tickets},
    {"GET", "/api/tickets/:number", KM_DESK_OPERATOR, km_desk_api_ticket_show},
    {"POST", "/api/tickets/:number/status", KM_DESK_OPERATOR, km_desk_api_ticket_status},
    {"POST", "/api/tickets/:number/assign", KM_DESK_OPERATOR, km_desk_api_ticket_assign},
    {"POST", "/api/tickets/:number/note", KM_DESK_OPERATOR, km_desk_api_ticket_note},
    {"GET", "/api/supervisor/overview", KM_DESK_SUPERVISOR, km_desk_api_overview},
    {"GET", "/api/reports/agencies", KM_DESK_SUPERVISOR, km_desk_api_report_agencies},
    {"GET", "/api/reports/problems", KM_DESK_SUPERVISOR, km_desk_api_report_problems},
    {"GET", "/api/watch", KM_DESK_SUPERVISOR, km_desk_api_watch},
    {"POST", "/api/watch/validate", KM_DESK_SUPERVISOR, km_desk_api_watch_validate},
    {"POST", "/api/watch/reload", KM_DESK_SUPERVISOR, km_desk_api_watch_reload},
    {"GET", "/api/users", KM_DESK_ADMIN, km_desk_api_users},
    {"POST", "/api/users", KM_DESK_ADMIN, km_desk_api_user_add},
    {"POST", "/api/users/:login/disable", KM_DESK_ADMIN, km_desk_api_user_disable},
    {"POST", "/api/users/:login/password", KM_DESK_ADMIN, km_desk_api_user_password},
    {NULL, NULL, KM_DESK_ANON, NULL},
};

int64_t km_desk_api_lease_ms(const struct km_config *cfg)
{
    int64_t ms = cfg != NULL ? km_section_get_ms(cfg->global, "desk_claim_lease") : 0;
    return ms > 0 ? ms : KM_DESK_LEASE_DEFAULT_MS;
}

const char *km_desk_api_actor(const struct km_desk_req *req)
{
    return req->session != NULL && req->session->login != NULL ? req->session->login : "";
}

const char *km_desk_api_body_str(const struct km_desk_req *req, const char *key)
{
    return req->body != NULL ? km_json_str(req->body, key) : NULL;
}

int km_desk_api_priority_str(const char *s)
{
    if (s == NULL) {
        return 0;
    }
    if (s[0] == 'P' || s[0] == 'p') {
        s++;
    }
    return s[0] >= '1' && s[0] <= '4' && s[1] == '\0' ? s[0] - '0' : 0;
}

int km_desk_api_priority(yajl_val v)
{
    if (YAJL_IS_INTEGER(v)) {
        long long n = YAJL_GET_INTEGER(v);
        return n >= 1 && n <= 4 ? (int)n : 0;
    }
    return YAJL_IS_STRING(v) ? km_desk_api_priority_str(YAJL_GET_STRING(v)) : 0;
}

void km_desk_api_claim_fields(struct km_buf *b, const struct km_claim *c)
{
    char when[40];
    km_buf_puts(b, ",\"claimed_by\":");
    km_json_escape(b, c->login[0] != '\0' ? c->login : NULL);
    km_buf_puts(b, ",\"claim_expires\":");
    if (c->login[0] != '\0') {
        km_time_format_rfc3339(c->expires_ms, when, sizeof(when));
        km_json_escape(b, when);
    } else {
        km_buf_puts(b, "null");
    }
}

void km_desk_api_claim_conflict(struct km_desk_resp *resp, const char *msg,
                                const struct km_claim *c)
{
    resp->status = 409;
    km_buf_reset(&resp->body);
    km_buf_puts(&resp->body, "{\"error\":");
    km_json_escape(&resp->body, msg);
    km_desk_api_claim_fields(&resp->body, c);
    km_buf_puts(&resp->body, "}");
}

bool km_desk_api_need_claim(struct km_desk_req *req, struct km_desk_resp *resp, const char *item)
{
    struct km_claim c;
    struct km_err err = {{0}};
    const char *items[1] = {item};
    int rc = km_claim_get(req->q, items, 1, &c, &err);
    if (rc != KM_OK) {
        km_desk_resp_from_err(resp, rc, &err);
        return false;
    }
    if (strcmp(c.login, km_desk_api_actor(req)) == 0) {
        return true;
    }
    km_desk_api_claim_conflict(
        resp, c.login[0] != '\0' ? "another operator holds this item" : "claim the item first", &c);
    return false;
}

bool km_desk_api_item_stored(struct km_desk_req *req, struct km_desk_resp *resp,
                             struct km_desk_item_state *st)
{
    struct km_err err = {{0}};
    int rc = req->n_params > 0 ? km_desk_item_state(req->db, req->params[0], st, &err)
                               : km_err_set(&err, KM_EINPUT, "no item in the path");
    if (rc == KM_EINPUT) {
        km_desk_resp_error(resp, 404, "%s", err.msg);
    } else if (rc != KM_OK) {
        km_desk_resp_from_err(resp, rc, &err);
    }
    return rc == KM_OK;
}

bool km_desk_api_item_held(struct km_desk_req *req, struct km_desk_resp *resp,
                           struct km_desk_item_state *st)
{
    return km_desk_api_item_stored(req, resp, st) &&
           km_desk_api_need_claim(req, resp, req->params[0]);
}

void km_desk_api_publish(struct km_desk_req *req)
{
    struct km_queue_opts qo;
    struct km_events *ev = NULL;
    struct km_err err = {{0}};
    size_t n = 0;
    km_app_queue_opts(req->cfg, &qo);
    int rc = km_events_new(&qo, &ev, &err);
    do {
        rc = rc == KM_OK ? km_outbox_publish(req->db, ev, 0, &n, &err) : rc;
    } while (rc == KM_OK && n == KM_OUTBOX_BATCH);
    if (rc != KM_OK) {
        KM_SLOG_WARN("desk", "ticket events left in the outbox for the tickets role: %s", err.msg);
    }
    km_events_free(ev);
}
