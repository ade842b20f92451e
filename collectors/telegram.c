/* Telegram Bot API collector: long-polls getUpdates for the chats and channels the bot is a
 * member of (https://core.telegram.org/bots/api#getupdates).
 *
 * The cursor is the next `offset` as a decimal string. Asking for offset N confirms every
 * update below N, so Telegram never sends them again: the cursor is max(update_id) + 1 over
 * every update of a response, including ignored and malformed ones, so that one poison
 * update cannot block the bot. Entity offsets are in UTF-16 code units and are converted to
 * byte offsets before a hashtag is cut out of the UTF-8 text. */
#include "collectors/telegram.h"

#include "collectors/collector.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/ct.h"
#include "common/log.h"
#include "parser/hashtag.h"
#include "parser/json.h"
#include "parser/post.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TG_NETWORK "telegram"

/* Added to the long-poll timeout for the whole request: Telegram answers an idle long poll
 * only when the timeout expires, so the runtime must wait a little longer than that. */
#define TG_TIMEOUT_MARGIN_MS 10000

/* Pause after 409 Conflict (a webhook is set or another process polls the same bot). The
 * conflict does not resolve itself within seconds; polling faster only adds to it. */
#define TG_CONFLICT_RETRY_MS 30000

/* Longest long poll the Bot API server honours (telegram-bot-api clamps `timeout` to
 * LONG_POLL_MAX_TIMEOUT = 50 s). */
#define TG_POLL_TIMEOUT_MAX_MS 50000

/* Longest pause accepted from retry_after: a day. Larger values are not a real rate limit
 * and would overflow the millisecond arithmetic. */
#define TG_RETRY_AFTER_MAX_S 86400

/* The update types komek turns into posts; fixed because every other type is ignored. */
static const char *const tg_update_types[] = {"message", "edited_message", "channel_post",
                                              "edited_channel_post"};

static const struct km_conf_key tg_keys[] = {
    {"url", KM_CONF_STR, "https://api.telegram.org", 0, 0, 0,
     "Bot API server root (a self-hosted telegram-bot-api server works too)"},
    {"token", KM_CONF_STR, NULL, 0, 0, KM_CONF_REQUIRED | KM_CONF_SECRET,
     "bot token from @BotFather (123456789:AA...); write env:VAR or file:PATH"},
    {"poll_timeout", KM_CONF_DURATION, "25s", 0, TG_POLL_TIMEOUT_MAX_MS, 0,
     "getUpdates long-poll timeout: how long Telegram holds a request when nothing is new"},
    {"limit", KM_CONF_INT, "100", 1, 100, 0, "most updates per getUpdates call (1-100)"},
    {NULL, 0, NULL, 0, 0, 0, NULL},
};

struct tg_state {
    char *name;  /* [source NAME], for messages */
    char *scope; /* "collector:telegram:NAME", for logs */
    char *url;   /* API root without trailing '/' */
    char *token;
    int64_t poll_timeout_s;
    long long limit;
};

static void tg_destroy(void *state)
{
    struct tg_state *st = state;
    if (st == NULL) {
        return;
    }
    free(st->name);
    free(st->scope);
    free(st->url);
    free(st->token);
    free(st);
}

bool km_telegram_token_valid(const char *token)
{
    const char *p = token;
    while (*p >= '0' && *p <= '9') {
        p++;
    }
    if (p == token || *p != ':' || p[1] == '\0') {
        return false;
    }
    for (p++; *p != '\0'; p++) {
        bool ok = (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
                  (*p >= 'A' && *p <= 'Z') || *p == '_' || *p == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

static int tg_create(const struct km_section *sec, void **state, struct km_err *err)
{
    int rc = KM_OK;
    struct tg_state *st = km_calloc(1, sizeof(*st));
    st->name = km_strdup(sec->name != NULL ? sec->name : "?");
    st->scope = km_asprintf("collector:telegram:%s", st->name);
    const char *url = km_section_get(sec, "url");
    const char *token = km_section_get(sec, "token");
    if (url == NULL || !km_url_secret_safe(url)) {
        rc = km_err_set(err, KM_EINPUT,
                        "%s:%d: telegram/%s: telegram url must use https:// (http:// only on "
                        "loopback)",
                        sec->file, km_section_line(sec, "url"), st->name);
        goto out;
    }
    if (token == NULL || !km_telegram_token_valid(token)) {
        rc = km_err_set(
            err, KM_EINPUT,
            "%s:%d: telegram/%s: token must look like 123456789:AAE... (from @BotFather)",
            sec->file, km_section_line(sec, "token"), st->name);
        goto out;
    }
    size_t ulen = strlen(url);
    while (ulen > 0 && url[ulen - 1] == '/') {
        ulen--;
    }
    st->url = km_strndup(url, ulen);
    st->token = km_strdup(token);
    st->poll_timeout_s = km_section_get_ms(sec, "poll_timeout") / 1000;
    st->limit = km_section_get_int(sec, "limit");
    if (st->limit < 1 || st->limit > 100) {
        st->limit = 100;
    }
out:
    if (rc != KM_OK) {
        tg_destroy(st);
        st = NULL;
    }
    *state = st;
    return rc;
}

/* Parses a committed cursor; false if it is not a decimal int64. */
static bool tg_cursor_parse(const char *cursor, long long *offset)
{
    if (cursor == NULL || *cursor == '\0') {
        return false;
    }
    char *end = NULL;
    errno = 0;
    long long v = strtoll(cursor, &end, 10);
    if (errno != 0 || *end != '\0') {
        return false;
    }
    *offset = v;
    return true;
}

/* POST {url}/bot{token}/getUpdates with a JSON body. A cursor that is not a number (it was
 * damaged in the store) is dropped with a warning: Telegram then resends the pending
 * updates, and the queue's seen-set discards those already delivered. */
static int tg_next_request(void *state, const char *cursor, struct km_request *req)
{
    struct tg_state *st = state;
    struct km_buf body = KM_BUF_INIT;
    long long offset = 0;
    km_buf_putc(&body, '{');
    if (tg_cursor_parse(cursor, &offset)) {
        km_buf_printf(&body, "\"offset\":%lld,", offset);
    } else if (cursor != NULL) {
        KM_SLOG_WARN(st->scope, "ignoring invalid cursor '%.40s'", cursor);
    }
    km_buf_printf(&body, "\"limit\":%lld,\"timeout\":%lld,\"allowed_updates\":[", st->limit,
                  (long long)st->poll_timeout_s);
    for (size_t i = 0; i < sizeof(tg_update_types) / sizeof(tg_update_types[0]); i++) {
        km_buf_printf(&body, "%s\"%s\"", i > 0 ? "," : "", tg_update_types[i]);
    }
    km_buf_puts(&body, "]}");
    req->method = KM_HTTP_POST;
    req->url = km_asprintf("%s/bot%s/getUpdates", st->url, st->token);
    req->body = km_buf_take(&body);
    req->content_type = km_strdup("application/json");
    req->timeout_ms = st->poll_timeout_s * 1000 + TG_TIMEOUT_MARGIN_MS;
    km_buf_free(&body);
    return KM_OK;
}

/* Maps an API error (error_code from {"ok":false,...}, or the HTTP status when the body is
 * not JSON) to a result code. desc and params may be NULL. */
static int tg_api_error(const struct tg_state *st, const struct km_response *resp, long code,
                        const char *desc, yajl_val params, struct km_post_batch *out,
                        struct km_err *err)
{
    const char *d = desc != NULL ? desc : "no description";
    int64_t secs = 0;
    if (code == 429) {
        if (params != NULL && km_json_int(params, "retry_after", &secs) && secs >= 0) {
            out->retry_after_ms =
                (secs < TG_RETRY_AFTER_MAX_S ? secs : TG_RETRY_AFTER_MAX_S) * 1000;
        } else if (km_response_retry_after_ms(resp) >= 0) {
            out->retry_after_ms = km_response_retry_after_ms(resp);
        }
        return km_err_set(err, KM_RETRY, "telegram/%s: rate limited: %s", st->name, d);
    }
    if (code == 409) {
        out->retry_after_ms = TG_CONFLICT_RETRY_MS;
        return km_err_set(err, KM_RETRY,
                          "telegram/%s: 409 conflict: a webhook is set for this bot or another "
                          "process polls it (delete the webhook, run one poller): %s",
                          st->name, d);
    }
    if (code == 401 || code == 404) {
        return km_err_set(err, KM_ERR, "telegram/%s: token rejected (%ld %s)", st->name, code, d);
    }
    return km_err_set(err, KM_RETRY, "telegram/%s: API error %ld: %s", st->name, code, d);
}

/* Converts the entity [off16, off16 + len16) in UTF-16 units to bytes of text and adds it as
 * a hashtag. Entities that do not fit the text are ignored. */
static void tg_add_entity_tag(struct km_post *p, const char *text, int64_t off16, int64_t len16)
{
    size_t start = 0;
    size_t end = 0;
    if (off16 < 0 || len16 <= 0 ||
        km_utf16_slice(text, strlen(text), (size_t)off16, (size_t)len16, &start, &end) != KM_OK) {
        return;
    }
    char *tag = km_strndup(text + start, end - start);
    km_post_add_hashtag(p, tag);
    free(tag);
}

/* Hashtags from "hashtag" entities, then from the text itself: Telegram marks a hashtag
 * only if it contains a letter, so "#109" never has an entity (tdlib's match_hashtags). */
static void tg_add_hashtags(struct km_post *p, const char *text, yajl_val entities)
{
    if (text == NULL) {
        return;
    }
    if (YAJL_IS_ARRAY(entities)) {
        for (size_t i = 0; i < entities->u.array.len; i++) {
            yajl_val e = entities->u.array.values[i];
            const char *type = km_json_str(e, "type");
            int64_t off = 0;
            int64_t len = 0;
            if (type != NULL && strcmp(type, "hashtag") == 0 && km_json_int(e, "offset", &off) &&
                km_json_int(e, "length", &len)) {
                tg_add_entity_tag(p, text, off, len);
            }
        }
    }
    km_hashtags_extract(text, strlen(text), p);
}

/* author from sender_chat (channel posts, anonymous admins) or from (a user);
 * author_signature names the person behind a channel post. */
static void tg_set_author(struct km_post *p, yajl_val msg)
{
    yajl_val sc = km_json_get(msg, "sender_chat", NULL);
    yajl_val from = km_json_get(msg, "from", NULL);
    if (YAJL_IS_OBJECT(sc)) {
        p->author.id = km_json_scalar_dup(sc, "id");
        km_post_set(&p->author.name, km_json_str(sc, "title"));
        km_post_set(&p->author.handle, km_json_str(sc, "username"));
    } else if (YAJL_IS_OBJECT(from)) {
        p->author.id = km_json_scalar_dup(from, "id");
        km_post_set(&p->author.handle, km_json_str(from, "username"));
        const char *first = km_json_str(from, "first_name");
        const char *last = km_json_str(from, "last_name");
        if (first != NULL && last != NULL && *last != '\0') {
            p->author.name = km_asprintf("%s %s", first, last);
        } else {
            km_post_set(&p->author.name, first != NULL ? first : last);
        }
    }
    const char *sig = km_json_str(msg, "author_signature");
    if (sig != NULL && *sig != '\0') {
        km_post_set(&p->author.name, sig);
    }
}

/* chat {id, title} and the public link: t.me/<username>/<id> for public chats,
 * t.me/c/<id without -100>/<id> for private supergroups and channels, none otherwise. */
static void tg_set_chat(struct km_post *p, yajl_val chat, const char *chat_id, int64_t msg_id)
{
    const char *type = km_json_str(chat, "type");
    const char *username = km_json_str(chat, "username");
    const char *title = km_json_str(chat, "title");
    p->chat.id = km_strdup(chat_id);
    km_post_set(&p->chat.title, title != NULL ? title : username);
    if (username != NULL && *username != '\0') {
        p->url = km_asprintf("https://t.me/%s/%lld", username, (long long)msg_id);
    } else if (type != NULL && (strcmp(type, "supergroup") == 0 || strcmp(type, "channel") == 0) &&
               strncmp(chat_id, "-100", 4) == 0 && chat_id[4] != '\0') {
        p->url = km_asprintf("https://t.me/c/%s/%lld", chat_id + 4, (long long)msg_id);
    }
}

/* The file_id of the largest photo size, of a document and of a video. */
static void tg_add_media(struct km_post *p, yajl_val msg)
{
    yajl_val photo = km_json_get(msg, "photo", NULL);
    if (YAJL_IS_ARRAY(photo) && photo->u.array.len > 0) {
        const char *id = km_json_str(photo->u.array.values[photo->u.array.len - 1], "file_id");
        if (id != NULL) {
            km_post_add_media(p, id);
        }
    }
    static const char *const kinds[] = {"document", "video", "animation", "voice"};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        const char *id = km_json_str(km_json_get(msg, kinds[i], NULL), "file_id");
        if (id != NULL) {
            km_post_add_media(p, id);
        }
    }
}

static bool tg_json_double(yajl_val obj, const char *key, double *out)
{
    yajl_val v = km_json_get(obj, key, NULL);
    if (!YAJL_IS_DOUBLE(v)) {
        return false;
    }
    *out = YAJL_GET_DOUBLE(v);
    return true;
}

/* Location (also inside a venue) as geo. */
static void tg_set_geo(struct km_post *p, yajl_val msg)
{
    yajl_val loc = km_json_get(msg, "location", NULL);
    if (!YAJL_IS_OBJECT(loc)) {
        loc = km_json_get(msg, "venue", "location", NULL);
    }
    double lat = 0;
    double lon = 0;
    if (tg_json_double(loc, "latitude", &lat) && tg_json_double(loc, "longitude", &lon) &&
        lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) {
        p->has_geo = true;
        p->lat = lat;
        p->lon = lon;
    }
}

/* Fills the fields that only need the message, once its chat and id are known good. */
static void tg_fill(struct km_post *p, yajl_val msg, const char *chat_id, bool edited)
{
    const char *text = km_json_str(msg, "text");
    yajl_val entities = km_json_get(msg, "entities", NULL);
    if (text == NULL) {
        text = km_json_str(msg, "caption");
        entities = km_json_get(msg, "caption_entities", NULL);
    }
    km_post_set(&p->text, text);
    tg_add_hashtags(p, text, entities);
    tg_set_author(p, msg);
    int64_t t = 0;
    bool have = (edited && km_json_int(msg, "edit_date", &t)) || km_json_int(msg, "date", &t);
    if (have && t > 0 && t < INT64_MAX / 1000) {
        p->created_at = t * 1000;
    }
    p->edited = edited;
    int64_t reply = 0;
    if (km_json_int(km_json_get(msg, "reply_to_message", NULL), "message_id", &reply)) {
        p->reply_to = km_asprintf("%s:%lld", chat_id, (long long)reply);
    }
    tg_add_media(p, msg);
    tg_set_geo(p, msg);
}

/* Builds a post from a Message. Returns KM_OK with *out, or KM_EINPUT with a short reason
 * in *why when the message lacks what a post needs. */
static int tg_post_from_message(const struct tg_state *st, yajl_val msg, bool edited,
                                int64_t collected_at, struct km_post **out, const char **why)
{
    int rc = KM_OK;
    char *chat_id = NULL;
    int64_t msg_id = 0;
    yajl_val chat = km_json_get(msg, "chat", NULL);
    if (!YAJL_IS_OBJECT(msg)) {
        *why = "message is not an object";
        rc = KM_EINPUT;
        goto out;
    }
    chat_id = YAJL_IS_OBJECT(chat) ? km_json_scalar_dup(chat, "id") : NULL;
    if (chat_id == NULL) {
        *why = "message without chat";
        rc = KM_EINPUT;
        goto out;
    }
    if (!km_json_int(msg, "message_id", &msg_id)) {
        *why = "message without message_id";
        rc = KM_EINPUT;
        goto out;
    }
    struct km_post *p = km_post_new();
    km_post_set(&p->network, TG_NETWORK);
    km_post_set(&p->source, st->name);
    p->id = km_asprintf("%s:%lld", chat_id, (long long)msg_id);
    p->collected_at = collected_at;
    tg_set_chat(p, chat, chat_id, msg_id);
    tg_fill(p, msg, chat_id, edited);
    *out = p;
out:
    free(chat_id);
    return rc;
}

/* Handles one Update: adds its post to out, ignores other update types, counts a malformed
 * one in out->skipped (err keeps the first such message). Tracks the highest update_id. */
static void tg_update(const struct tg_state *st, yajl_val upd, const struct km_response *resp,
                      struct km_post_batch *out, int64_t *max_id, bool *have_id, struct km_err *err)
{
    int64_t uid = 0;
    if (!km_json_int(upd, "update_id", &uid)) {
        if (out->skipped++ == 0) {
            km_err_set(err, KM_EINPUT, "telegram/%s: update without update_id", st->name);
        }
        return;
    }
    if (!*have_id || uid > *max_id) {
        *max_id = uid;
        *have_id = true;
    }
    for (size_t i = 0; i < sizeof(tg_update_types) / sizeof(tg_update_types[0]); i++) {
        yajl_val msg = km_json_get(upd, tg_update_types[i], NULL);
        if (msg == NULL) {
            continue;
        }
        struct km_post *p = NULL;
        const char *why = NULL;
        bool edited = strncmp(tg_update_types[i], "edited_", 7) == 0;
        if (tg_post_from_message(st, msg, edited, resp->received_at_ms, &p, &why) == KM_OK) {
            km_post_batch_add_take(out, p);
        } else if (out->skipped++ == 0) {
            km_err_set(err, KM_EINPUT, "telegram/%s: update %lld: %s", st->name, (long long)uid,
                       why);
        }
        return;
    }
}

/* Reads the updates of a successful response into out and computes the next offset. */
static int tg_updates(const struct tg_state *st, yajl_val root, const struct km_response *resp,
                      struct km_post_batch *out, char **next_cursor, struct km_err *err)
{
    yajl_val result = km_json_get(root, "result", NULL);
    if (!YAJL_IS_ARRAY(result)) {
        return km_err_set(err, KM_EINPUT, "telegram/%s: response has no result array", st->name);
    }
    int64_t max_id = 0;
    bool have_id = false;
    for (size_t i = 0; i < result->u.array.len; i++) {
        tg_update(st, result->u.array.values[i], resp, out, &max_id, &have_id, err);
    }
    if (have_id && max_id < INT64_MAX) {
        *next_cursor = km_asprintf("%lld", (long long)max_id + 1);
    }
    return KM_OK;
}

static int tg_consume(void *state, const struct km_response *resp, struct km_post_batch *out,
                      char **next_cursor, struct km_err *err)
{
    struct tg_state *st = state;
    int rc = KM_OK;
    yajl_val root = NULL;
    struct km_err jerr = {{0}};
    *next_cursor = NULL;
    if (resp->status >= 500) {
        int64_t ms = km_response_retry_after_ms(resp);
        if (ms >= 0) {
            out->retry_after_ms = ms;
        }
        rc = km_err_set(err, KM_RETRY, "telegram/%s: HTTP %ld from the Bot API", st->name,
                        resp->status);
        goto out;
    }
    if (km_json_parse(resp->body, resp->body_len, &root, NULL, &jerr) != KM_OK) {
        if (resp->status != 200) {
            rc = tg_api_error(st, resp, resp->status, NULL, NULL, out, err);
        } else {
            rc = km_err_set(err, KM_EINPUT, "telegram/%s: %s", st->name, jerr.msg);
        }
        goto out;
    }
    bool ok = false;
    if (!YAJL_IS_OBJECT(root) || !km_json_bool(root, "ok", &ok)) {
        rc = km_err_set(err, resp->status == 200 ? KM_EINPUT : KM_RETRY,
                        "telegram/%s: HTTP %ld: response is not a Bot API reply", st->name,
                        resp->status);
        goto out;
    }
    if (!ok) {
        int64_t code = resp->status;
        km_json_int(root, "error_code", &code);
        rc = tg_api_error(st, resp, (long)code, km_json_str(root, "description"),
                          km_json_get(root, "parameters", NULL), out, err);
        goto out;
    }
    rc = tg_updates(st, root, resp, out, next_cursor, err);
out:
    km_json_free(root);
    return rc;
}

const struct km_collector km_collector_telegram = {
    .name = "telegram",
    .keys = tg_keys,
    .create = tg_create,
    .next_request = tg_next_request,
    .consume = tg_consume,
    .destroy = tg_destroy,
};

/* ---- telegram_webhook: Telegram POSTs one Update per request to komek's intake --------
 * (setWebhook). Nothing is polled (next_request is NULL); the intake hands each POST to
 * consume() as a response with status 200. Telegram repeats an update until it gets a 2xx,
 * and the queue's (network, id) seen-set drops the repeats. */

/* Longest secret_token setWebhook accepts. */
#define TGW_SECRET_MAX    256
#define TGW_SECRET_HEADER "X-Telegram-Bot-Api-Secret-Token"

static const struct km_conf_key tgw_keys[] = {
    {"secret_token", KM_CONF_STR, NULL, 0, 0, KM_CONF_REQUIRED | KM_CONF_SECRET,
     "the secret_token given to setWebhook (1-256 of A-Z a-z 0-9 _ -), checked against the "
     "X-Telegram-Bot-Api-Secret-Token header of every POST; write env:VAR or file:PATH"},
    {NULL, 0, NULL, 0, 0, 0, NULL},
};

struct tgw_state {
    struct tg_state *tg; /* name and scope, for the update parsing shared with polling */
    char *secret;
};

static void tgw_destroy(void *state)
{
    struct tgw_state *st = state;
    if (st == NULL) {
        return;
    }
    tg_destroy(st->tg);
    if (st->secret != NULL) {
        memset(st->secret, 0, strlen(st->secret));
        free(st->secret);
    }
    free(st);
}

/* setWebhook's rule for secret_token: 1-256 characters A-Z, a-z, 0-9, '_' and '-'. */
static bool tgw_secret_valid(const char *s)
{
    size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");
    return n > 0 && n <= TGW_SECRET_MAX && s[n] == '\0';
}

static int tgw_create(const struct km_section *sec, void **state, struct km_err *err)
{
    int rc = KM_OK;
    struct tgw_state *st = km_calloc(1, sizeof(*st));
    st->tg = km_calloc(1, sizeof(*st->tg));
    st->tg->name = km_strdup(sec->name != NULL ? sec->name : "?");
    st->tg->scope = km_asprintf("collector:telegram_webhook:%s", st->tg->name);
    const char *secret = km_section_get(sec, "secret_token");
    if (secret == NULL || !tgw_secret_valid(secret)) {
        rc = km_err_set(err, KM_EINPUT,
                        "%s:%d: telegram_webhook/%s: secret_token must be 1-%d characters of "
                        "A-Z, a-z, 0-9, '_' and '-' (the rule of setWebhook)",
                        sec->file, km_section_line(sec, "secret_token"), st->tg->name,
                        TGW_SECRET_MAX);
        goto out;
    }
    st->secret = km_strdup(secret);
out:
    if (rc != KM_OK) {
        tgw_destroy(st);
        st = NULL;
    }
    *state = st;
    return rc;
}

/* One Update per POST, after the secret token matched. KM_ERR means the sender is not
 * Telegram (or not our webhook): the intake answers 401 and keeps nothing. */
static int tgw_consume(void *state, const struct km_response *resp, struct km_post_batch *out,
                       char **next_cursor, struct km_err *err)
{
    struct tgw_state *st = state;
    int rc = KM_OK;
    yajl_val root = NULL;
    struct km_err jerr = {{0}};
    *next_cursor = NULL;
    const char *given = km_response_header(resp, TGW_SECRET_HEADER);
    if (!km_ct_streq(given, st->secret)) {
        rc = km_err_set(err, KM_ERR, "telegram_webhook/%s: %s %s header", st->tg->name,
                        given == NULL ? "no" : "wrong", TGW_SECRET_HEADER);
        goto out;
    }
    if (km_json_parse(resp->body, resp->body_len, &root, NULL, &jerr) != KM_OK) {
        rc = km_err_set(err, KM_EINPUT, "telegram_webhook/%s: %s", st->tg->name, jerr.msg);
        goto out;
    }
    int64_t uid = 0;
    if (!YAJL_IS_OBJECT(root) || !km_json_int(root, "update_id", &uid)) {
        rc = km_err_set(err, KM_EINPUT,
                        "telegram_webhook/%s: not a Telegram Update (no "
                        "update_id)",
                        st->tg->name);
        goto out;
    }
    bool have_id = false;
    tg_update(st->tg, root, resp, out, &uid, &have_id, err);
out:
    km_json_free(root);
    return rc;
}

const struct km_collector km_collector_telegram_webhook = {
    .name = "telegram_webhook",
    .keys = tgw_keys,
    .create = tgw_create,
    .next_request = NULL,
    .consume = tgw_consume,
    .destroy = tgw_destroy,
};
