/* Replies to the citizen and the templates they come from (see api.h). A reply goes out on
 * the item's network through the source that collected it (collectors/reply.h), always
 * names the item's ticket number, and is recorded as the ticket's "reply" event. */
#include "desk/api.h"

#include "collectors/replies.h"
#include "collectors/reply.h"
#include "common/alloc.h"
#include "common/log.h"
#include "db/desk_items.h"
#include "db/ticket.h"
#include "parser/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The templates of [komek] replies; NULL after answering 422 (none) or 500 (invalid). */
static struct km_replies *rp_load(struct km_desk_req *req, struct km_desk_resp *resp)
{
    struct km_replies *r = NULL;
    struct km_err err = {{0}};
    int rc = km_replies_load_config(req->cfg, NULL, &r, NULL, &err);
    if (rc != KM_OK) {
        km_desk_resp_error(resp, 500, "replies: %s", err.msg);
    } else if (r == NULL) {
        km_desk_resp_error(resp, 422, "no reply templates: set replies in the configuration");
    }
    return rc == KM_OK ? r : NULL;
}

void km_desk_api_templates(struct km_desk_req *req, struct km_desk_resp *resp)
{
    struct km_replies *r = rp_load(req, resp);
    if (r == NULL) {
        return;
    }
    const char *want = km_desk_req_query(req, "lang");
    const char *lang = want != NULL && want[0] != '\0' ? km_replies_lang(r, want) : NULL;
    size_t n = 0;
    const struct km_reply_template *t = km_replies_list(r, &n);
    struct km_buf *b = &resp->body;
    bool first = true;
    km_buf_reset(b);
    km_buf_puts(b, "{\"templates\":[");
    for (size_t i = 0; i < n; i++) {
        if (lang != NULL && strcmp(t[i].lang, lang) != 0) {
            continue;
        }
        km_buf_puts(b, first ? "{\"name\":" : ",{\"name\":");
        km_json_escape(b, t[i].name);
        km_buf_puts(b, ",\"lang\":");
        km_json_escape(b, t[i].lang);
        km_buf_puts(b, ",\"text\":");
        km_json_escape(b, t[i].text);
        km_buf_putc(b, '}');
        first = false;
    }
    km_buf_puts(b, "]}");
    km_replies_free(r);
}

/* The reply's text into *text (malloc'd): the template rendered in the post's language, or
 * the operator's text, with the ticket number appended if the text lacks it. False after
 * answering 400/422. */
static bool rp_text(struct km_desk_req *req, struct km_desk_resp *resp,
                    const struct km_desk_item_state *st, char **text)
{
    const char *name = km_desk_api_body_str(req, "template");
    const char *given = km_desk_api_body_str(req, "text");
    const char *lang = km_desk_api_body_str(req, "lang");
    struct km_err err = {{0}};
    *text = NULL;
    if ((name == NULL) == (given == NULL || given[0] == '\0')) {
        km_desk_resp_error(resp, 400, "give either template (a name) or text");
        return false;
    }
    if (given != NULL) {
        *text = strstr(given, st->ticket) != NULL ? km_strdup(given)
                                                  : km_asprintf("%s\n%s", given, st->ticket);
        return true;
    }
    struct km_replies *r = rp_load(req, resp);
    if (r == NULL) {
        return false;
    }
    struct km_reply_vars vars = {st->ticket, st->agency, st->category};
    lang = lang != NULL && lang[0] != '\0' ? lang : st->lang[0] != '\0' ? st->lang : "ru";
    int rc = km_replies_render(r, name, lang, &vars, text, &err);
    km_replies_free(r);
    if (rc != KM_OK) {
        km_desk_resp_from_err(resp, rc, &err);
    }
    return rc == KM_OK;
}

/* Sends text; answers 429 (with Retry-After), 422 or 502 and returns false if not sent. */
static bool rp_send(struct km_desk_req *req, struct km_desk_resp *resp,
                    const struct km_desk_item_state *st, const char *text, char **message_id)
{
    char network[64];
    const char *post_id = NULL;
    int64_t retry_ms = 0;
    struct km_err err = {{0}};
    int rc = km_desk_item_split(req->params[0], network, sizeof(network), &post_id, &err);
    if (rc == KM_OK) {
        rc = km_reply_send(req->cfg, st->source, network,
                           st->chat_id[0] != '\0' ? st->chat_id : NULL, post_id, text, message_id,
                           &retry_ms, &err);
    }
    if (rc == KM_RETRY) {
        resp->retry_after = (unsigned)((retry_ms + 999) / 1000);
        resp->retry_after = resp->retry_after > 0 ? resp->retry_after : 1;
        km_desk_resp_error(resp, 429, "not sent now, retry in %u s: %s", resp->retry_after,
                           err.msg);
    } else if (rc == KM_ERR) {
        km_desk_resp_error(resp, 502, "the network refused the reply: %s", err.msg);
    } else if (rc != KM_OK) {
        km_desk_resp_from_err(resp, rc, &err);
    }
    return rc == KM_OK;
}

void km_desk_api_reply(struct km_desk_req *req, struct km_desk_resp *resp)
{
    struct km_desk_item_state st;
    char *text = NULL, *message_id = NULL;
    struct km_err err = {{0}};
    if (!km_desk_api_item_held(req, resp, &st)) {
        return;
    }
    if (st.ticket[0] == '\0') {
        km_desk_resp_error(resp, 422, "%s has no ticket: create one first", req->params[0]);
        return;
    }
    if (!rp_text(req, resp, &st, &text) || !rp_send(req, resp, &st, text, &message_id)) {
        free(text);
        return;
    }
    /* Sent: a failure to record it must not look like a failure to send (no retry). */
    int rc = km_ticket_reply(req->db, st.ticket, km_desk_api_actor(req), text, message_id, &err);
    if (rc != KM_OK) {
        KM_SLOG_ERROR("desk", "reply %s sent on %s but not recorded on %s: %s", message_id,
                      req->params[0], st.ticket, err.msg);
    } else {
        km_desk_api_publish(req);
    }
    km_buf_reset(&resp->body);
    km_buf_puts(&resp->body, "{\"message_id\":");
    km_json_escape(&resp->body, message_id);
    km_buf_puts(&resp->body, ",\"text\":");
    km_json_escape(&resp->body, text);
    km_buf_puts(&resp->body, ",\"ticket\":");
    km_json_escape(&resp->body, st.ticket);
    km_buf_printf(&resp->body, ",\"recorded\":%s}", rc == KM_OK ? "true" : "false");
    free(text);
    free(message_id);
}
