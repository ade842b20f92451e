/* Accounts (admin): list, add, disable, set a password (see api.h), through desk/users.h
 * (yescrypt hashes; disabling or a new password signs the operator out). */
#include "desk/api.h"

#include "desk/users.h"
#include "parser/json.h"

#include <stdlib.h>
#include <string.h>

/* Answers {"ok":true,"login":LOGIN} with status, or the error of rc (no such login and
 * a taken login are 404 and 409). */
static void us_answer(struct km_desk_resp *resp, int rc, const struct km_err *err, unsigned status,
                      const char *login)
{
    if (rc == KM_EINPUT && strstr(err->msg, "no operator") != NULL) {
        km_desk_resp_error(resp, 404, "%s", err->msg);
    } else if (rc == KM_EINPUT &&
               (strstr(err->msg, "taken") != NULL || strstr(err->msg, "exists") != NULL)) {
        km_desk_resp_error(resp, 409, "%s", err->msg);
    } else if (rc != KM_OK) {
        km_desk_resp_from_err(resp, rc, err);
    } else {
        resp->status = status;
        km_buf_reset(&resp->body);
        km_buf_puts(&resp->body, "{\"ok\":true,\"login\":");
        km_json_escape(&resp->body, login);
        km_buf_puts(&resp->body, "}");
    }
}

void km_desk_api_users(struct km_desk_req *req, struct km_desk_resp *resp)
{
    struct km_err err = {{0}};
    km_buf_reset(&resp->body);
    km_buf_puts(&resp->body, "{\"users\":");
    int rc = km_desk_user_list_json(req->db, &resp->body, &err);
    km_buf_puts(&resp->body, "}");
    if (rc != KM_OK) {
        km_desk_resp_from_err(resp, rc, &err);
    }
}

void km_desk_api_user_add(struct km_desk_req *req, struct km_desk_resp *resp)
{
    struct km_err err = {{0}};
    const char *login = km_desk_api_body_str(req, "login");
    const char *role = km_desk_api_body_str(req, "role");
    const char *password = km_desk_api_body_str(req, "password");
    if (login == NULL || password == NULL) {
        km_desk_resp_error(resp, 400, "login and password are required");
        return;
    }
    int rc = km_desk_user_add(req->db, login, km_desk_api_body_str(req, "name"),
                              role != NULL ? role : "operator", password, &err);
    us_answer(resp, rc, &err, 201, login);
}

void km_desk_api_user_disable(struct km_desk_req *req, struct km_desk_resp *resp)
{
    struct km_err err = {{0}};
    int rc = km_desk_user_set_disabled(req->db, req->params[0], true, &err);
    us_answer(resp, rc, &err, 200, req->params[0]);
}

void km_desk_api_user_password(struct km_desk_req *req, struct km_desk_resp *resp)
{
    struct km_err err = {{0}};
    const char *password = km_desk_api_body_str(req, "password");
    if (password == NULL) {
        km_desk_resp_error(resp, 400, "password is required");
        return;
    }
    int rc = km_desk_user_passwd(req->db, req->params[0], password, &err);
    us_answer(resp, rc, &err, 200, req->params[0]);
}
