/* Replies on Telegram: sendMessage with reply_parameters (Bot API 7.0+; reply_to_message_id
 * is the deprecated form), https://core.telegram.org/bots/api#sendmessage.
 *
 * The answer is {"ok":true,"result":Message} or {"ok":false,"error_code":N,"description":
 * "...","parameters":{"retry_after":S}}; a 429 names its wait in parameters.retry_after. */
#include "collectors/reply_net.h"
#include "collectors/telegram.h"

#include "common/alloc.h"
#include "common/buf.h"
#include "parser/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* sendMessage's text limit: 1-4096 characters (counted in UTF-16 code units). */
#define TGR_TEXT_MAX 4096
/* Wait after a 429 that names no time. */
#define TGR_RETRY_DEFAULT_MS 1000
/* Longest chat username (@name: 5-32 characters). */
#define TGR_USERNAME_MAX 32

static bool tgr_int(const char *s, size_t len, int64_t *out)
{
    char buf[24];
    if (len == 0 || len >= sizeof(buf)) {
        return false;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end = NULL;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (errno != 0 || *end != '\0' || buf[0] == '+' || buf[0] == ' ') {
        return false;
    }
    *out = v;
    return true;
}

/* A chat is a (possibly negative) integer id or "@username". */
static bool tgr_chat_valid(const char *chat)
{
    int64_t id;
    if (tgr_int(chat, strlen(chat), &id)) {
        return id != 0;
    }
    size_t n = strlen(chat);
    if (chat[0] != '@' || n < 2 || n > TGR_USERNAME_MAX + 1) {
        return false;
    }
    for (const char *p = chat + 1; *p != '\0'; p++) {
        bool ok = (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
                  (*p >= 'A' && *p <= 'Z') || *p == '_';
        if (!ok) {
            return false;
        }
    }
    return true;
}

int km_reply_tg_target(const char *chat_id, const char *post_id, char **chat, int64_t *message)
{
    *chat = NULL;
    const char *colon = post_id != NULL ? strrchr(post_id, ':') : NULL;
    const char *msg = colon != NULL ? colon + 1 : post_id;
    if (msg == NULL || !tgr_int(msg, strlen(msg), message) || *message <= 0) {
        return KM_EINPUT;
    }
    if (chat_id != NULL && *chat_id != '\0') {
        *chat = km_strdup(chat_id);
    } else if (colon != NULL) {
        *chat = km_strndup(post_id, (size_t)(colon - post_id));
    }
    if (*chat == NULL || !tgr_chat_valid(*chat)) {
        free(*chat);
        *chat = NULL;
        return KM_EINPUT;
    }
    return KM_OK;
}

/* Length in UTF-16 code units, as Telegram counts (text is valid UTF-8). */
static size_t tgr_utf16_len(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if ((*p & 0xC0) != 0x80) {
            n += *p >= 0xF0 ? 2 : 1;
        }
    }
    return n;
}

static char *tgr_body(const char *chat, int64_t message, const char *text)
{
    struct km_buf b = KM_BUF_INIT;
    int64_t id;
    km_buf_puts(&b, "{\"chat_id\":");
    if (tgr_int(chat, strlen(chat), &id)) {
        km_buf_printf(&b, "%lld", (long long)id);
    } else {
        km_json_escape(&b, chat);
    }
    km_buf_puts(&b, ",\"text\":");
    km_json_escape(&b, text);
    km_buf_printf(&b, ",\"reply_parameters\":{\"message_id\":%lld}}", (long long)message);
    return km_buf_take(&b);
}

/* An {"ok":false} answer (or an HTTP error without one). */
static int tgr_refused(const struct km_reply_target *t, const struct km_reply_http_resp *r,
                       yajl_val root, struct km_reply_outcome *out, struct km_err *err)
{
    int64_t code = r->resp.status, retry_s = -1, migrate = 0;
    km_json_int(root, "error_code", &code);
    const char *desc = km_json_str(root, "description");
    yajl_val params = km_json_get(root, "parameters", NULL);
    km_json_int(params, "retry_after", &retry_s);
    if (code == 429 || r->resp.status == 429) {
        out->retry_after_ms =
            retry_s >= 0 ? retry_s * 1000 : km_reply_retry_after(r, TGR_RETRY_DEFAULT_MS);
        if (out->retry_after_ms > KM_REPLY_RETRY_MAX_MS || out->retry_after_ms <= 0) {
            out->retry_after_ms =
                out->retry_after_ms <= 0 ? TGR_RETRY_DEFAULT_MS : KM_REPLY_RETRY_MAX_MS;
        }
        out->blocked = true;
        return km_err_set(err, KM_RETRY, "telegram/%s: %s", t->source,
                          desc != NULL ? desc : "Too Many Requests");
    }
    if (r->resp.status >= 500 || code >= 500) {
        out->retry_after_ms = km_reply_retry_after(r, KM_REPLY_RETRY_DEFAULT_MS);
        return km_err_set(err, KM_RETRY, "telegram/%s: HTTP %ld: %s", t->source, r->resp.status,
                          desc != NULL ? desc : "server error");
    }
    if (code == 401) {
        return km_err_set(err, KM_ERR, "telegram/%s: %s (the bot token was rejected)", t->source,
                          desc != NULL ? desc : "Unauthorized");
    }
    km_json_int(params, "migrate_to_chat_id", &migrate);
    if (migrate != 0) {
        return km_err_set(err, KM_ERR, "telegram/%s: %s (the group is now chat %lld)", t->source,
                          desc != NULL ? desc : "group migrated", (long long)migrate);
    }
    return km_err_set(err, KM_ERR, "telegram/%s: %s", t->source,
                      desc != NULL ? desc : "request refused");
}

static int tgr_answer(const struct km_reply_target *t, const struct km_reply_http_resp *r,
                      const char *chat, struct km_reply_outcome *out, struct km_err *err)
{
    yajl_val root = NULL;
    bool ok = false;
    int rc;
    int64_t msg = 0;
    if (km_json_parse(r->resp.body, r->resp.body_len, &root, NULL, NULL) != KM_OK) {
        root = NULL;
    }
    km_json_bool(root, "ok", &ok);
    yajl_val result = km_json_get(root, "result", NULL);
    if (ok && r->resp.status == 200 && km_json_int(result, "message_id", &msg)) {
        char *sent_chat = km_json_scalar_dup(km_json_get(result, "chat", NULL), "id");
        out->message_id =
            km_asprintf("%s:%lld", sent_chat != NULL ? sent_chat : chat, (long long)msg);
        free(sent_chat);
        rc = KM_OK;
    } else if (ok || (root == NULL && r->resp.status < 300)) {
        rc = km_err_set(err, KM_ERR,
                        "telegram/%s: HTTP %ld with an unreadable answer; the "
                        "message may have been sent",
                        t->source, r->resp.status);
    } else {
        rc = tgr_refused(t, r, root, out, err);
    }
    km_json_free(root);
    return rc;
}

int km_reply_telegram(const struct km_reply_target *t, const char *chat_id, const char *post_id,
                      const char *text, struct km_reply_outcome *out, struct km_err *err)
{
    int rc = KM_OK;
    char *chat = NULL, *url = NULL, *body = NULL;
    struct km_reply_http_resp resp = {0};
    int64_t message = 0;
    if (t->token == NULL || !km_telegram_token_valid(t->token)) {
        rc = km_err_set(err, KM_EINPUT,
                        "telegram/%s: token must look like 123456789:AAE... "
                        "(from @BotFather)",
                        t->source);
        goto out;
    }
    if (km_reply_tg_target(chat_id, post_id, &chat, &message) != KM_OK) {
        rc = km_err_set(err, KM_EINPUT,
                        "telegram/%s: cannot reply to '%s': expected a post id "
                        "CHAT:MESSAGE",
                        t->source, post_id);
        goto out;
    }
    if (tgr_utf16_len(text) > TGR_TEXT_MAX) {
        rc = km_err_set(err, KM_EINPUT, "telegram/%s: text longer than %d characters", t->source,
                        TGR_TEXT_MAX);
        goto out;
    }
    url = km_asprintf("%s/bot%s/sendMessage", t->url, t->token);
    body = tgr_body(chat, message, text);
    struct km_reply_http_req req = {
        .method = "POST", .url = url, .content_type = "application/json", .body = body};
    rc = km_reply_http(t, &req, &resp, err);
    if (rc == KM_OK) {
        rc = tgr_answer(t, &resp, chat, out, err);
    } else {
        out->retry_after_ms = KM_REPLY_RETRY_DEFAULT_MS;
    }
out:
    km_reply_http_resp_free(&resp);
    free(chat);
    free(url);
    free(body);
    km_reply_scrub(err, t->token);
    return rc;
}
