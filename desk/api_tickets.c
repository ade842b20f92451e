/* Tickets at the desk: list, show, status, assign, note (see api.h). Changes go through
 * db/ticket.h, each one transaction with its ticket_events row, then to {ns}:events. */
#include "desk/api.h"

#include "db/desk_views.h"
#include "db/ticket.h"

#include <stdlib.h>
#include <string.h>

/* Answers with json (taken over and freed) or the error of rc; missing -> 404. */
static void tk_answer(struct km_desk_resp *resp, int rc, char *json, const struct km_err *err,
                      unsigned missing)
{
    if (rc == KM_OK) {
        km_buf_reset(&resp->body);
        km_buf_puts(&resp->body, json);
    } else if (rc == KM_EINPUT && missing != 0) {
        km_desk_resp_error(resp, missing, "%s", err->msg);
    } else {
        km_desk_resp_from_err(resp, rc, err);
    }
    free(json);
}

void km_desk_api_tickets(struct km_desk_req *req, struct km_desk_resp *resp)
{
    char *json = NULL;
    struct km_err err = {{0}};
    const char *overdue = km_desk_req_query(req, "overdue");
    struct km_desk_ticket_query q = {
        .status = km_desk_req_query(req, "status"),
        .agency = km_desk_req_query(req, "agency"),
        .overdue = overdue != NULL && (strcmp(overdue, "1") == 0 || strcmp(overdue, "true") == 0),
    };
    if (q.status != NULL && !km_ticket_status_valid(q.status)) {
        km_desk_resp_error(resp, 400, "unknown status '%s'", q.status);
        return;
    }
    int rc = km_desk_tickets_json(req->db, &q, &json, &err);
    tk_answer(resp, rc, json, &err, 0);
}

void km_desk_api_ticket_show(struct km_desk_req *req, struct km_desk_resp *resp)
{
    char *json = NULL;
    struct km_err err = {{0}};
    int rc = km_desk_ticket_json(req->db, req->params[0], &json, &err);
    tk_answer(resp, rc, json, &err, 404);
}

/* Answers a change: the ticket as it is now, after publishing its events. */
static void tk_changed(struct km_desk_req *req, struct km_desk_resp *resp, int rc,
                       const struct km_err *err)
{
    if (rc != KM_OK) {
        km_desk_resp_from_err(resp, rc, err);
        return;
    }
    km_desk_api_publish(req);
    km_desk_api_ticket_show(req, resp);
}

void km_desk_api_ticket_status(struct km_desk_req *req, struct km_desk_resp *resp)
{
    struct km_err err = {{0}};
    const char *status = km_desk_api_body_str(req, "status");
    if (status == NULL) {
        km_desk_resp_error(resp, 400, "status is required");
        return;
    }
    int rc = km_ticket_status(req->db, req->params[0], status, km_desk_api_actor(req),
                              km_desk_api_body_str(req, "note"), &err);
    tk_changed(req, resp, rc, &err);
}

void km_desk_api_ticket_assign(struct km_desk_req *req, struct km_desk_resp *resp)
{
    struct km_err err = {{0}};
    const char *login = km_desk_api_body_str(req, "login");
    if (login == NULL) {
        km_desk_resp_error(resp, 400, "login is required");
        return;
    }
    int rc = km_ticket_assign(req->db, req->params[0], login, km_desk_api_actor(req),
                              km_desk_api_body_str(req, "note"), &err);
    tk_changed(req, resp, rc, &err);
}

void km_desk_api_ticket_note(struct km_desk_req *req, struct km_desk_resp *resp)
{
    struct km_err err = {{0}};
    const char *text = km_desk_api_body_str(req, "text");
    if (text == NULL || text[0] == '\0') {
        km_desk_resp_error(resp, 400, "text is required");
        return;
    }
    int rc = km_ticket_note(req->db, req->params[0], km_desk_api_actor(req), text, &err);
    tk_changed(req, resp, rc, &err);
}
