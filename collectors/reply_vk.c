/* Replies on VK: a comment under the wall post with wall.createComment
 * (https://dev.vk.com/method/wall.createComment; schema VKCOM/vk-api-schema wall/methods.json:
 * user or community tokens only, not service tokens).
 *
 * VK answers HTTP 200 with {"response":{"comment_id":N,"parents_stack":[]}} or
 * {"error":{"error_code":N,"error_msg":"..."}}. The token goes in the Authorization header,
 * as the collector sends it; guid (derived from source, post and text) makes VK drop a
 * repeated comment. */
#include "collectors/reply_net.h"

#include "common/alloc.h"
#include "common/buf.h"
#include "parser/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Waits for VK's rate-limit errors, as the collector uses them: 6 is per second, 9 (flood
 * control) is measured in minutes, 29 is a daily method quota retried hourly. */
#define VKR_WAIT_TOO_MANY_MS 1000
#define VKR_WAIT_FLOOD_MS    (60LL * 1000)
#define VKR_WAIT_QUOTA_MS    (3600LL * 1000)

/* VK API error codes (errors.json). */
enum {
    VKR_E_AUTH = 5,
    VKR_E_TOO_MANY = 6,
    VKR_E_FLOOD = 9,
    VKR_E_SERVER = 10,
    VKR_E_CAPTCHA = 14,
    VKR_E_ACCESS = 15,
    VKR_E_GROUP_AUTH = 27,
    VKR_E_APP_AUTH = 28,
    VKR_E_RATE_LIMIT = 29,
};

/* Splits "OWNER_POST" (owner negative for communities). */
static bool vkr_split(const char *post_id, long long *owner, long long *post)
{
    char *end = NULL;
    errno = 0;
    *owner = strtoll(post_id, &end, 10);
    if (errno != 0 || end == post_id || *end != '_' || *owner == 0) {
        return false;
    }
    const char *p = end + 1;
    *post = strtoll(p, &end, 10);
    return errno == 0 && end != p && *end == '\0' && *post > 0 && *p != '-' && *p != '+';
}

static char *vkr_body(const char *version, long long owner, long long post, const char *text,
                      const char *guid)
{
    struct km_buf b = KM_BUF_INIT;
    km_buf_printf(&b, "owner_id=%lld&post_id=%lld&message=", owner, post);
    km_url_escape(&b, text);
    km_buf_printf(&b, "&guid=%s&v=", guid);
    km_url_escape(&b, version);
    return km_buf_take(&b);
}

/* Maps {"error":{...}} to a result. */
static int vkr_api_error(const struct km_reply_target *t, yajl_val error,
                         struct km_reply_outcome *out, struct km_err *err)
{
    int64_t code = 0;
    km_json_int(error, "error_code", &code);
    const char *msg = km_json_str(error, "error_msg");
    msg = msg != NULL ? msg : "unknown error";
    int64_t wait = code == VKR_E_TOO_MANY     ? VKR_WAIT_TOO_MANY_MS
                   : code == VKR_E_FLOOD      ? VKR_WAIT_FLOOD_MS
                   : code == VKR_E_RATE_LIMIT ? VKR_WAIT_QUOTA_MS
                   : code == VKR_E_SERVER     ? KM_REPLY_RETRY_DEFAULT_MS
                                              : 0;
    if (wait > 0) {
        out->retry_after_ms = wait;
        out->blocked = code != VKR_E_SERVER;
        return km_err_set(err, KM_RETRY, "vk/%s: error %lld: %s", t->source, (long long)code, msg);
    }
    const char *hint = "";
    if (code == VKR_E_AUTH) {
        hint = " (the token was rejected)";
    } else if (code == VKR_E_CAPTCHA) {
        hint = " (VK wants a human check for this token; open VK with it in a browser)";
    } else if (code == VKR_E_ACCESS || code == VKR_E_GROUP_AUTH || code == VKR_E_APP_AUTH) {
        hint = " (replies need a user or community token allowed to comment, not a service "
               "token)";
    }
    return km_err_set(err, KM_ERR, "vk/%s: error %lld: %s%s", t->source, (long long)code, msg,
                      hint);
}

static int vkr_answer(const struct km_reply_target *t, const struct km_reply_http_resp *r,
                      long long owner, struct km_reply_outcome *out, struct km_err *err)
{
    yajl_val root = NULL;
    int rc;
    int64_t comment = 0;
    if (km_json_parse(r->resp.body, r->resp.body_len, &root, NULL, NULL) != KM_OK) {
        root = NULL;
    }
    yajl_val error = km_json_get(root, "error", NULL);
    if (r->resp.status == 429 || r->resp.status >= 500) {
        out->retry_after_ms = km_reply_retry_after(r, KM_REPLY_RETRY_DEFAULT_MS);
        out->blocked = r->resp.status == 429;
        rc = km_err_set(err, KM_RETRY, "vk/%s: HTTP %ld", t->source, r->resp.status);
    } else if (YAJL_IS_OBJECT(error)) {
        rc = vkr_api_error(t, error, out, err);
    } else if (r->resp.status == 200 &&
               km_json_int(km_json_get(root, "response", NULL), "comment_id", &comment)) {
        out->message_id = km_asprintf("%lld_%lld", owner, (long long)comment);
        rc = KM_OK;
    } else {
        rc = km_err_set(err, KM_ERR,
                        "vk/%s: HTTP %ld with an unreadable answer; the comment "
                        "may have been posted",
                        t->source, r->resp.status);
    }
    km_json_free(root);
    return rc;
}

int km_reply_vk(const struct km_reply_target *t, const char *post_id, const char *text,
                struct km_reply_outcome *out, struct km_err *err)
{
    int rc = KM_OK;
    char *url = NULL, *body = NULL, *auth = NULL;
    struct km_reply_http_resp resp = {0};
    long long owner = 0, post = 0;
    char guid[17];
    if (t->token == NULL || *t->token == '\0' || !km_url_secret_safe(t->url)) {
        rc = km_err_set(err, KM_EINPUT, "vk/%s: replies need token = and an https:// url",
                        t->source);
        goto out;
    }
    if (post_id == NULL || !vkr_split(post_id, &owner, &post)) {
        rc = km_err_set(err, KM_EINPUT,
                        "vk/%s: cannot reply to '%s': expected a post id "
                        "OWNER_POST",
                        t->source, post_id != NULL ? post_id : "");
        goto out;
    }
    km_reply_idempotency_key(t->source, post_id, text, guid);
    url = km_asprintf("%s/method/wall.createComment", t->url);
    body = vkr_body(t->api_version != NULL ? t->api_version : "5.199", owner, post, text, guid);
    auth = km_asprintf("Bearer %s", t->token);
    struct km_reply_http_req req = {.method = "POST",
                                    .url = url,
                                    .body = body,
                                    .auth = auth,
                                    .content_type = "application/x-www-form-urlencoded"};
    rc = km_reply_http(t, &req, &resp, err);
    if (rc == KM_OK) {
        rc = vkr_answer(t, &resp, owner, out, err);
    } else {
        out->retry_after_ms = KM_REPLY_RETRY_DEFAULT_MS;
    }
out:
    km_reply_http_resp_free(&resp);
    free(url);
    free(body);
    free(auth);
    km_reply_scrub(err, t->token);
    return rc;
}
