#include "test/fake/fake_telegram.h"

#include "common/alloc.h"
#include "common/time.h"
#include "parser/json.h"
#include "test/fake/fake_replies.h"
#include "test/fake/fake_text.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* getUpdates "limit": 1-100, default 100 (Bot API). */
#define TG_LIMIT_MAX 100
/* Bounds that keep arithmetic on client-supplied numbers from overflowing. */
#define TG_OFFSET_BACK_MAX 1000000000LL
#define TG_TIMEOUT_MAX_S   86400
/* First update_id: Telegram's start "from a certain positive number". */
#define TG_FIRST_UPDATE_ID 815000001
/* What the edited_message adds to the text of the edited post. */
#define TG_EDIT_SUFFIX "\n\nUPD: всё ещё актуально!"
/* The edit is dated this long after the message (never in the future). */
#define TG_EDIT_DELAY_S 120

#define TG_JSON KM_FAKE_JSON_ASCII

/* Hashtags komek watches (etc/tags.list); decides which posts go to the district chat. */
static const char *const tg_watched[] = {"109", "ikomek", "астана", "акиматастаны", "astana"};

static const struct tg_chat {
    int64_t id;
    const char *title, *username, *type; /* username NULL: a private chat */
    int64_t first_message_id;
} tg_chats[KM_FAKE_TG_NCHATS] = {
    [KM_FAKE_TG_GROUP] = {-1001467208111LL, "Астана 109 | жалобы и предложения",
                          "astana109_fake_chat", "supergroup", 48211},
    [KM_FAKE_TG_CHANNEL] = {-1001830456222LL, "Астана онлайн | новости города",
                            "astana_online_fake", "channel", 3301},
    [KM_FAKE_TG_HOUSE] = {-1001599001234LL, "Соседи Сарыарки | чат района", NULL, "supergroup",
                          120457},
};

static const struct tg_user {
    int64_t id;
    const char *first_name, *last_name, *username; /* last_name, username may be NULL */
} tg_users[] = {
    {5012345601LL, "Айгүл", "Сейтқали", "aigul_s_example"},
    {5012345602LL, "Ерлан", NULL, "erlan_k_example"},
    {5012345603LL, "Марина", "Ким", NULL},
    {5012345604LL, "Dana", NULL, "dana_astana_example"},
    {5012345605LL, "Нұрлан", NULL, "nurlan_b_example"},
    {5012345606LL, "Олег", "П.", "oleg_p_example"},
    {5012345607LL, "Жанар", NULL, "zhanar_example"},
    {5012345608LL, "Timur", "A", "timur_a_example"},
};
#define TG_NUSERS (sizeof(tg_users) / sizeof(tg_users[0]))

static const struct tg_user tg_bot = {7000000001LL, "komek fake bot", NULL, "komek_fake_bot"};

/* --- planning --- */

/* Sets *any to whether text has a hashtag at all (#109 included) and returns whether one
 * of them is watched. */
static bool tg_scan_tags(const char *text, bool *any)
{
    struct km_fake_span *spans = NULL;
    size_t n = km_fake_text_spans(text, KM_FAKE_TAGS_NUMERIC, &spans);
    bool watched = false;
    *any = false;
    for (size_t i = 0; i < n; i++) {
        if (spans[i].type != KM_FAKE_SPAN_HASHTAG) {
            continue;
        }
        *any = true;
        char *tag = km_strndup(text + spans[i].off + 1, spans[i].len - 1);
        char *folded = km_fake_casefold(tag);
        for (size_t w = 0; w < sizeof(tg_watched) / sizeof(tg_watched[0]); w++) {
            watched = watched || strcmp(folded, tg_watched[w]) == 0;
        }
        free(folded);
        free(tag);
    }
    free(spans);
    return watched;
}

void km_fake_tg_plan(struct km_fake_store *s)
{
    size_t tagged = 0;
    bool edit_chosen = false;
    for (size_t i = 0; i < s->n_tpls; i++) {
        struct km_fake_tpl *t = &s->tpls[i];
        if (t->net != KM_FAKE_TELEGRAM) {
            continue;
        }
        bool any = false;
        bool watched = tg_scan_tags(t->text, &any);
        if (!any) {
            t->tg_chat = KM_FAKE_TG_HOUSE;
        } else {
            t->tg_chat = tagged++ % 3 == 2 ? KM_FAKE_TG_CHANNEL : KM_FAKE_TG_GROUP;
        }
        if (!edit_chosen && t->tg_chat == KM_FAKE_TG_GROUP && watched && t->lang != NULL &&
            strcmp(t->lang, "ru") == 0) {
            t->tg_edit = true;
            edit_chosen = true;
        }
    }
    s->tg_next_update_id = TG_FIRST_UPDATE_ID;
    for (int c = 0; c < KM_FAKE_TG_NCHATS; c++) {
        s->tg_next_message_id[c] = tg_chats[c].first_message_id;
    }
}

void km_fake_tg_assign(struct km_fake_store *s, struct km_fake_item *it)
{
    it->tg_update_id = s->tg_next_update_id++;
    if (it->tpl->tg_edit) {
        it->tg_edit_update_id = s->tg_next_update_id++;
    }
    it->tg_message_id = s->tg_next_message_id[it->tpl->tg_chat]++;
}

/* --- rendering --- */

/* Appends a User object; extra (may be NULL) is more members, such as ",\"a\":1". */
static void tg_put_user(struct km_buf *b, const struct tg_user *u, bool is_bot, const char *extra)
{
    km_buf_printf(b, "{\"id\":%lld,\"is_bot\":%s,\"first_name\":", (long long)u->id,
                  is_bot ? "true" : "false");
    km_fake_json_str(b, u->first_name, TG_JSON);
    if (u->last_name != NULL) {
        km_buf_puts(b, ",\"last_name\":");
        km_fake_json_str(b, u->last_name, TG_JSON);
    }
    if (u->username != NULL) {
        km_buf_puts(b, ",\"username\":");
        km_fake_json_str(b, u->username, TG_JSON);
    }
    km_buf_puts(b, extra != NULL ? extra : "");
    km_buf_putc(b, '}');
}

static void tg_put_chat(struct km_buf *b, const struct tg_chat *c)
{
    km_buf_printf(b, "{\"id\":%lld,\"title\":", (long long)c->id);
    km_fake_json_str(b, c->title, TG_JSON);
    if (c->username != NULL) {
        km_buf_puts(b, ",\"username\":");
        km_fake_json_str(b, c->username, TG_JSON);
    }
    km_buf_printf(b, ",\"type\":\"%s\"}", c->type);
}

static const char *tg_entity_type(enum km_fake_span_type t)
{
    return t == KM_FAKE_SPAN_HASHTAG ? "hashtag" : t == KM_FAKE_SPAN_MENTION ? "mention" : "url";
}

/* ",\"entities\":[...]" with UTF-16 offsets, or nothing when the text has none. */
static void tg_put_entities(struct km_buf *b, const char *text, bool numeric_tags)
{
    struct km_fake_span *spans = NULL;
    size_t n = km_fake_text_spans(text, numeric_tags ? KM_FAKE_TAGS_NUMERIC : 0, &spans);
    for (size_t i = 0; i < n; i++) {
        km_buf_puts(b, i == 0 ? ",\"entities\":[" : ",");
        km_buf_printf(b, "{\"offset\":%zu,\"length\":%zu,\"type\":\"%s\"}",
                      km_fake_utf16_len(text, spans[i].off),
                      km_fake_utf16_len(text + spans[i].off, spans[i].len),
                      tg_entity_type(spans[i].type));
    }
    if (n > 0) {
        km_buf_putc(b, ']');
    }
    free(spans);
}

static void tg_put_message(struct km_buf *b, const struct km_fake_item *it, bool edit,
                           bool numeric_tags)
{
    const struct km_fake_tpl *t = it->tpl;
    const struct tg_chat *chat = &tg_chats[t->tg_chat];
    int64_t date = it->created_ms / 1000;
    km_buf_printf(b, "{\"message_id\":%lld,", (long long)it->tg_message_id);
    if (t->tg_chat == KM_FAKE_TG_CHANNEL) {
        km_buf_puts(b, "\"sender_chat\":");
        tg_put_chat(b, chat);
    } else {
        km_buf_puts(b, "\"from\":");
        tg_put_user(b, &tg_users[t->nth % TG_NUSERS], false, NULL);
    }
    km_buf_puts(b, ",\"chat\":");
    tg_put_chat(b, chat);
    km_buf_printf(b, ",\"date\":%lld", (long long)date);
    char *text = edit ? km_asprintf("%s%s", t->text, TG_EDIT_SUFFIX) : km_strdup(t->text);
    if (edit) {
        int64_t now = km_time_now_ms() / 1000;
        int64_t edit_date = date + TG_EDIT_DELAY_S < now ? date + TG_EDIT_DELAY_S : now;
        km_buf_printf(b, ",\"edit_date\":%lld", (long long)(edit_date > date ? edit_date : date));
    }
    km_buf_puts(b, ",\"text\":");
    km_fake_json_str(b, text, TG_JSON);
    tg_put_entities(b, text, numeric_tags);
    km_buf_putc(b, '}');
    free(text);
}

static void tg_put_update(struct km_buf *b, const struct km_fake_item *it, bool edit,
                          bool numeric_tags)
{
    const char *field = "message";
    if (edit) {
        field = "edited_message";
    } else if (it->tpl->tg_chat == KM_FAKE_TG_CHANNEL) {
        field = "channel_post";
    }
    /* api.telegram.org puts a newline after each update_id. */
    km_buf_printf(b, "{\"update_id\":%lld,\n\"%s\":",
                  (long long)(edit ? it->tg_edit_update_id : it->tg_update_id), field);
    tg_put_message(b, it, edit, numeric_tags);
    km_buf_putc(b, '}');
}

/* --- getUpdates --- */

struct tg_pick {
    struct km_fake_item *it;
    bool edit;
};

/* Collects up to max pending updates (update_id >= s->tg_confirmed) into out. */
static size_t tg_collect(struct km_fake_store *s, struct tg_pick *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_items && n < max; i++) {
        struct km_fake_item *it = s->items[i];
        if (it->tpl->net != KM_FAKE_TELEGRAM) {
            continue;
        }
        if (it->tg_update_id >= s->tg_confirmed) {
            out[n++] = (struct tg_pick){it, false};
        }
        if (n < max && it->tg_edit_update_id != 0 && it->tg_edit_update_id >= s->tg_confirmed) {
            out[n++] = (struct tg_pick){it, true};
        }
    }
    return n;
}

static size_t tg_pending(struct km_fake_store *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_items; i++) {
        const struct km_fake_item *it = s->items[i];
        if (it->tpl->net == KM_FAKE_TELEGRAM) {
            n += it->tg_update_id >= s->tg_confirmed;
            n += it->tg_edit_update_id != 0 && it->tg_edit_update_id >= s->tg_confirmed;
        }
    }
    return n;
}

/* Applies "offset": positive confirms every update below it; negative keeps only the last
 * -offset pending updates and forgets the others (Bot API). Caller holds the lock. */
static void tg_confirm(struct km_fake_store *s, int64_t offset)
{
    if (offset > s->tg_confirmed) {
        s->tg_confirmed = offset;
    } else if (offset < 0) {
        size_t pending = tg_pending(s), keep = (size_t)(-offset);
        if (pending <= keep) {
            return;
        }
        struct tg_pick *all = km_calloc(pending, sizeof(*all));
        tg_collect(s, all, pending);
        struct tg_pick *first = &all[pending - keep];
        s->tg_confirmed = first->edit ? first->it->tg_edit_update_id : first->it->tg_update_id;
        free(all);
    }
}

static bool tg_int_param(struct km_fake_req *req, const char *name, int64_t def, int64_t *out)
{
    const char *v = km_fake_req_param(req, name);
    *out = def;
    if (v == NULL || *v == '\0') {
        return true;
    }
    char *end = NULL;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno != 0 || *end != '\0') {
        return false;
    }
    *out = n;
    return true;
}

static void tg_bad_request(struct km_fake_reply *rep, const char *what)
{
    struct km_buf b = KM_BUF_INIT;
    km_buf_puts(&b, "{\"ok\":false,\"error_code\":400,\"description\":");
    char *msg = km_asprintf("Bad Request: %s", what);
    km_fake_json_str(&b, msg, TG_JSON);
    km_buf_putc(&b, '}');
    km_fake_reply_set(rep, 400, "application/json", b.data);
    free(msg);
    km_buf_free(&b);
}

/* Waits (long poll) until updates are pending or the wait ends, then renders them. */
static void tg_answer_updates(struct km_fake_ctx *ctx, int64_t offset, size_t limit,
                              int64_t wait_ms, struct km_fake_reply *rep)
{
    struct km_fake_store *s = &ctx->store;
    struct tg_pick *picks = km_calloc(limit, sizeof(*picks));
    struct km_buf b = KM_BUF_INIT;
    pthread_mutex_lock(&s->lock);
    km_fake_store_sync(s);
    tg_confirm(s, offset);
    int64_t deadline = km_time_mono_ms() + wait_ms;
    size_t n = tg_collect(s, picks, limit);
    while (n == 0 && !s->stopping && km_time_mono_ms() < deadline) {
        km_fake_store_wait(s, deadline);
        n = tg_collect(s, picks, limit);
    }
    km_buf_puts(&b, "{\"ok\":true,\"result\":[");
    for (size_t i = 0; i < n; i++) {
        km_buf_puts(&b, i > 0 ? "," : "");
        tg_put_update(&b, picks[i].it, picks[i].edit, ctx->numeric_tags);
        km_fake_store_served(s, picks[i].it);
    }
    pthread_mutex_unlock(&s->lock);
    km_buf_puts(&b, "]}");
    km_fake_reply_set(rep, 200, "application/json", b.data);
    km_buf_free(&b);
    free(picks);
}

static void tg_get_updates(struct km_fake_ctx *ctx, struct km_fake_req *req,
                           struct km_fake_reply *rep)
{
    int64_t offset, limit, timeout;
    if (!tg_int_param(req, "offset", 0, &offset)) {
        tg_bad_request(rep, "invalid offset specified");
        return;
    }
    if (!tg_int_param(req, "limit", TG_LIMIT_MAX, &limit)) {
        tg_bad_request(rep, "invalid limit specified");
        return;
    }
    if (!tg_int_param(req, "timeout", 0, &timeout)) {
        tg_bad_request(rep, "invalid timeout specified");
        return;
    }
    limit = limit < 1 ? 1 : limit > TG_LIMIT_MAX ? TG_LIMIT_MAX : limit;
    offset = offset < -TG_OFFSET_BACK_MAX ? -TG_OFFSET_BACK_MAX : offset;
    timeout = timeout > TG_TIMEOUT_MAX_S ? TG_TIMEOUT_MAX_S : timeout;
    int64_t wait_ms = timeout > 0 ? timeout * 1000 : 0;
    wait_ms = wait_ms < ctx->max_poll_ms ? wait_ms : ctx->max_poll_ms;
    tg_answer_updates(ctx, offset, (size_t)limit, wait_ms, rep);
}

/* --- other methods --- */

/* The chat with this id, or NULL. */
static const struct tg_chat *tg_chat_by_id(const char *chat_id)
{
    char *end = NULL;
    long long id = chat_id != NULL ? strtoll(chat_id, &end, 10) : 0;
    for (size_t i = 0; end != NULL && *end == '\0' && i < KM_FAKE_TG_NCHATS; i++) {
        if (tg_chats[i].id == id) {
            return &tg_chats[i];
        }
    }
    return NULL;
}

/* The message a sendMessage answers: reply_parameters.message_id (an object in a JSON body,
 * a JSON string in a form), else the deprecated reply_to_message_id; NULL if none. Caller
 * frees. */
static char *tg_reply_to(struct km_fake_req *req)
{
    const char *old = km_fake_req_param(req, "reply_to_message_id");
    if (old != NULL) {
        return km_strdup(old);
    }
    const char *form = km_fake_req_param(req, "reply_parameters");
    const char *src = form != NULL ? form : req->body.data;
    yajl_val root = NULL;
    char *id = NULL;
    if (src != NULL && km_json_parse(src, strlen(src), &root, NULL, NULL) == KM_OK) {
        yajl_val rp = form != NULL ? root : km_json_get(root, "reply_parameters", NULL);
        id = km_json_scalar_dup(rp, "message_id");
    }
    km_json_free(root);
    return id;
}

/* Whether the fake released a message msg in chat. */
static bool tg_message_exists(struct km_fake_store *s, int64_t chat, const char *msg)
{
    char *end = NULL;
    long long id = strtoll(msg, &end, 10);
    bool found = false;
    pthread_mutex_lock(&s->lock);
    km_fake_store_sync(s);
    for (size_t i = 0; *end == '\0' && !found && i < s->n_items; i++) {
        const struct km_fake_item *it = s->items[i];
        found = it->tpl->net == KM_FAKE_TELEGRAM && it->tg_message_id == id &&
                tg_chats[it->tpl->tg_chat].id == chat;
    }
    pthread_mutex_unlock(&s->lock);
    return found;
}

/* Records the message as a reply (GET /_fake/replies) and answers it like Telegram. */
static void tg_send_message(struct km_fake_ctx *ctx, struct km_fake_req *req,
                            struct km_fake_reply *rep)
{
    const char *chat_id = km_fake_req_param(req, "chat_id");
    const char *text = km_fake_req_param(req, "text");
    const struct tg_chat *chat = tg_chat_by_id(chat_id);
    char *reply_to = tg_reply_to(req);
    if (chat_id == NULL || *chat_id == '\0') {
        tg_bad_request(rep, "chat_id is empty");
    } else if (text == NULL || *text == '\0') {
        tg_bad_request(rep, "message text is empty");
    } else if (chat == NULL) {
        tg_bad_request(rep, "chat not found");
    } else if (reply_to != NULL && !tg_message_exists(&ctx->store, chat->id, reply_to)) {
        tg_bad_request(rep, "message to be replied not found");
    } else {
        km_fake_replies_add("telegram", chat_id, reply_to, text);
        struct km_fake_store *s = &ctx->store;
        pthread_mutex_lock(&s->lock);
        unsigned long n = ++s->tg_sent;
        pthread_mutex_unlock(&s->lock);
        struct km_buf b = KM_BUF_INIT;
        km_buf_printf(&b, "{\"ok\":true,\"result\":{\"message_id\":%lu,\"from\":", 900000 + n);
        tg_put_user(&b, &tg_bot, true, NULL);
        km_buf_puts(&b, ",\"chat\":");
        tg_put_chat(&b, chat);
        km_buf_printf(&b, ",\"date\":%lld,\"text\":", (long long)(km_time_now_ms() / 1000));
        km_fake_json_str(&b, text, TG_JSON);
        km_buf_puts(&b, "}}");
        km_fake_reply_set(rep, 200, "application/json", b.data);
        km_buf_free(&b);
    }
    free(reply_to);
}

static void tg_get_me(struct km_fake_reply *rep)
{
    struct km_buf b = KM_BUF_INIT;
    km_buf_puts(&b, "{\"ok\":true,\"result\":");
    tg_put_user(&b, &tg_bot, true,
                ",\"can_join_groups\":true,\"can_read_all_group_messages\":true,"
                "\"supports_inline_queries\":false");
    km_buf_putc(&b, '}');
    km_fake_reply_set(rep, 200, "application/json", b.data);
    km_buf_free(&b);
}

static void tg_webhook_info(struct km_fake_ctx *ctx, struct km_fake_reply *rep)
{
    pthread_mutex_lock(&ctx->store.lock);
    km_fake_store_sync(&ctx->store);
    size_t pending = tg_pending(&ctx->store);
    pthread_mutex_unlock(&ctx->store.lock);
    struct km_buf b = KM_BUF_INIT;
    km_buf_printf(&b,
                  "{\"ok\":true,\"result\":{\"url\":\"\",\"has_custom_certificate\":false,"
                  "\"pending_update_count\":%zu}}",
                  pending);
    km_fake_reply_set(rep, 200, "application/json", b.data);
    km_buf_free(&b);
}

/* Splits "/bot<TOKEN>/<method>"; returns false if the path has no method. */
static bool tg_split(const char *url, char **token, const char **method)
{
    const char *p = url + strlen("/bot");
    const char *slash = strchr(p, '/');
    if (slash == NULL) {
        return false;
    }
    *token = km_strndup(p, (size_t)(slash - p));
    *method = slash + 1;
    return true;
}

void km_fake_tg_handle(struct km_fake_ctx *ctx, struct km_fake_req *req, struct km_fake_reply *rep)
{
    const char *ct = "application/json", *method = NULL;
    char *token = NULL;
    if (!tg_split(req->url, &token, &method)) {
        km_fake_reply_set(rep, 404, ct,
                          "{\"ok\":false,\"error_code\":404,\"description\":\"Not Found\"}");
    } else if (strcmp(token, ctx->tg_token) != 0) {
        km_fake_reply_set(rep, 401, ct,
                          "{\"ok\":false,\"error_code\":401,\"description\":\"Unauthorized\"}");
    } else if (strcmp(method, "getUpdates") == 0) {
        tg_get_updates(ctx, req, rep);
    } else if (strcmp(method, "getMe") == 0) {
        tg_get_me(rep);
    } else if (strcmp(method, "getWebhookInfo") == 0) {
        tg_webhook_info(ctx, rep);
    } else if (strcmp(method, "deleteWebhook") == 0) {
        km_fake_reply_set(rep, 200, ct,
                          "{\"ok\":true,\"result\":true,\"description\":\"Webhook is already "
                          "deleted\"}");
    } else if (strcmp(method, "sendMessage") == 0) {
        tg_send_message(ctx, req, rep);
    } else {
        km_fake_reply_set(rep, 404, ct,
                          "{\"ok\":false,\"error_code\":404,\"description\":\"Not Found\"}");
    }
    free(token);
}
