/* The Telegram Desktop export reader of komekctl import (app/import_telegram.h).
 *
 * yajl's streaming parser calls back for every token; the reader keeps the path to the
 * current value (its depth, and the key or array at each of the levels it looks into) and
 * builds one message at a time, so memory does not grow with the export. The layout is
 * tdesktop's Telegram/SourceFiles/export/output/export_output_json.cpp: a chat object
 * {name, type, id, messages[]}, each message {id, type, date, date_unixtime, edited,
 * edited_unixtime, from, from_id, author, reply_to_message_id, reply_to_peer_id, photo,
 * file, location_information{latitude, longitude}, text, text_entities[]}, where text is a
 * string, or an array of strings and entity objects {type, text, ...} when it has entities. */
#include "app/import_telegram.h"

#include "common/alloc.h"
#include "common/buf.h"
#include "common/utf8.h"
#include "parser/hashtag.h"
#include "parser/json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_parse.h>

/* Bytes handed to yajl per call. */
#define TI_CHUNK (64 * 1024)

/* Levels of a Telegram export the reader looks into: 1 the chat, 2 messages[], 3 a message,
 * 4 its text[], text_entities[] or location_information{}, 5 an entity {type, text}.
 * Deeper values are skipped (only counted for the depth limit). */
#define TI_LEVELS 6

/* Longest object key compared; longer keys are none of those the reader wants. */
#define TI_KEY_MAX 32

/* Parses a decimal int64 (optional leading '-'); false for anything else. */
static bool ti_int(const char *s, int64_t *out)
{
    if (s == NULL || *s == '\0') {
        return false;
    }
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || !(s[0] == '-' || (s[0] >= '0' && s[0] <= '9'))) {
        return false;
    }
    *out = v;
    return true;
}

/* The message being read. Strings are repaired copies (km_utf8_clean), NULL if absent. */
struct ti_msg {
    struct km_post *p; /* hashtags of entities and media go straight in */
    char *id, *type, *date_unix, *date, *edited, *edited_unix, *from, *from_id, *sig;
    char *reply_id, *reply_peer, *lat, *lon;
    char *ent_type, *ent_text; /* the entity object being read */
    struct km_buf text, alt;   /* from "text", from "text_entities" */
    bool has_text;
    size_t line;
};

struct ti {
    const struct km_import_opts *o;
    struct km_import_stats *st;
    struct km_err *err;
    int rc;           /* KM_OK, or why the parse was cancelled */
    bool sink_failed; /* rc came from the sink: do not flush again */
    yajl_handle h;
    const unsigned char *chunk; /* for line numbers: the bytes yajl is parsing */
    size_t chunk_len, counted, line;
    int depth;
    char kind[TI_LEVELS]; /* '{' or '[' per level */
    char key[TI_LEVELS][TI_KEY_MAX];
    char *chat_type, *chat_bare, *chat_name, *chat_id;
    bool t_me_c; /* links are https://t.me/c/<bare id>/<message id> */
    bool saw_messages, in_msg;
    struct ti_msg m;
    struct km_post_batch batch;
};

/* Current line: counts the newlines yajl has consumed since the last call. */
static size_t ti_line(struct ti *t)
{
    size_t pos = yajl_get_bytes_consumed(t->h);
    pos = pos < t->chunk_len ? pos : t->chunk_len;
    for (; t->counted < pos; t->counted++) {
        t->line += t->chunk[t->counted] == '\n';
    }
    return t->line;
}

static int ti_fatal(struct ti *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Stops the parse with KM_EINPUT and "LABEL:LINE: message". Returns 0 for yajl. */
static int ti_fatal(struct ti *t, const char *fmt, ...)
{
    char msg[KM_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    t->rc = km_err_set(t->err, KM_EINPUT, "%s:%zu: %s", t->o->label, ti_line(t), msg);
    return 0;
}

static bool ti_key_is(const struct ti *t, int level, const char *key)
{
    return strcmp(t->key[level], key) == 0;
}

/* Inside messages[] (level 2 is the array under the root key "messages"). */
static bool ti_in_messages(const struct ti *t)
{
    return t->depth >= 2 && ti_key_is(t, 1, "messages") && t->kind[2] == '[';
}

/* Inside text[] or text_entities[] of the current message, at level 4 or deeper. */
static bool ti_in_text(const struct ti *t)
{
    return t->in_msg && t->depth >= 4 && t->kind[4] == '[' &&
           (ti_key_is(t, 3, "text") || ti_key_is(t, 3, "text_entities"));
}

static void ti_msg_reset(struct ti_msg *m)
{
    char **strs[] = {&m->id,          &m->type, &m->date_unix, &m->date,     &m->edited,
                     &m->edited_unix, &m->from, &m->from_id,   &m->sig,      &m->reply_id,
                     &m->reply_peer,  &m->lat,  &m->lon,       &m->ent_type, &m->ent_text};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        free(*strs[i]);
        *strs[i] = NULL;
    }
    km_post_free(m->p);
    m->p = NULL;
    km_buf_reset(&m->text);
    km_buf_reset(&m->alt);
    m->has_text = false;
}

/* Bot API form of a peer of the export: "user123" -> "123", "channel123" -> "-100123",
 * "chat123" -> "-123". NULL if s is none of these. Caller frees. */
static char *ti_peer_id(const char *s)
{
    static const struct {
        const char *prefix, *bot_api;
    } forms[] = {{"user", ""}, {"channel", "-100"}, {"chat", "-"}};
    for (size_t i = 0; s != NULL && i < sizeof(forms) / sizeof(forms[0]); i++) {
        size_t n = strlen(forms[i].prefix);
        int64_t id = 0;
        if (strncmp(s, forms[i].prefix, n) == 0 && s[n] >= '0' && s[n] <= '9' &&
            ti_int(s + n, &id) && id > 0) {
            return km_asprintf("%s%lld", forms[i].bot_api, (long long)id);
        }
    }
    return NULL;
}

/* "2024-03-01T10:15:00" in this machine's time zone (exports before date_unixtime existed
 * wrote only local time). False if malformed. */
static bool ti_local_time(const char *s, int64_t *ms)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    char tail = '\0';
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &tail) != 6) {
        return false;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    tm.tm_isdst = -1;
    time_t secs = mktime(&tm);
    if (secs == (time_t)-1) {
        return false;
    }
    *ms = (int64_t)secs * 1000;
    return true;
}

/* created_at from date_unixtime, else from date; 0 if neither. NULL or why not. */
static const char *ti_created(const struct ti_msg *m, int64_t *ms)
{
    int64_t secs = 0;
    *ms = 0;
    if (m->date_unix != NULL) {
        if (!ti_int(m->date_unix, &secs) || secs <= 0 || secs >= INT64_MAX / 1000) {
            return "date_unixtime is not a Unix time";
        }
        *ms = secs * 1000;
    } else if (m->date != NULL && !ti_local_time(m->date, ms)) {
        return "date is not a date";
    }
    return NULL;
}

/* Author, geo and reply of the finished message. */
static void ti_fill_meta(const struct ti *t, struct ti_msg *m, struct km_post *p)
{
    p->author.id = ti_peer_id(m->from_id);
    km_post_set(&p->author.name, m->sig != NULL && *m->sig != '\0' ? m->sig : m->from);
    int64_t reply = 0;
    if (ti_int(m->reply_id, &reply) && reply > 0) {
        char *peer = m->reply_peer != NULL ? ti_peer_id(m->reply_peer) : NULL;
        p->reply_to = km_asprintf("%s:%lld", peer != NULL ? peer : t->chat_id, (long long)reply);
        free(peer);
    }
    char *end1 = NULL;
    char *end2 = NULL;
    double lat = m->lat != NULL ? strtod(m->lat, &end1) : 0;
    double lon = m->lon != NULL ? strtod(m->lon, &end2) : 0;
    if (end1 != NULL && end2 != NULL && *end1 == '\0' && *end2 == '\0' && lat >= -90 && lat <= 90 &&
        lon >= -180 && lon <= 180) {
        p->has_geo = true;
        p->lat = lat;
        p->lon = lon;
    }
}

/* Completes the post of message id and adds it to the batch. */
static void ti_fill(struct ti *t, struct ti_msg *m, int64_t id, int64_t created)
{
    struct km_post *p = m->p;
    m->p = NULL;
    km_post_set(&p->network, "telegram");
    km_post_set(&p->source, t->o->source);
    p->id = km_asprintf("%s:%lld", t->chat_id, (long long)id);
    if (t->t_me_c) {
        p->url = km_asprintf("https://t.me/c/%s/%lld", t->chat_bare, (long long)id);
    }
    km_post_set(&p->chat.id, t->chat_id);
    km_post_set(&p->chat.title, t->chat_name);
    const struct km_buf *text = m->has_text ? &m->text : &m->alt;
    if (text->len > 0) {
        km_post_set(&p->text, text->data);
        km_hashtags_extract(p->text, strlen(p->text), p);
    }
    p->created_at = created;
    p->collected_at = km_import_collected_at(t->o);
    p->edited = m->edited_unix != NULL || m->edited != NULL; /* the text is the last version */
    ti_fill_meta(t, m, p);
    km_post_batch_add_take(&t->batch, p);
}

/* End of a message object: a post, an ignored service message or a skipped one. */
static int ti_msg_end(struct ti *t)
{
    struct ti_msg *m = &t->m;
    const char *why = NULL;
    int64_t id = 0;
    int64_t created = 0;
    if (m->type != NULL && strcmp(m->type, "message") != 0) {
        t->st->ignored++;
        goto out;
    }
    t->st->read++;
    if (m->type == NULL) {
        why = "no type";
    } else if (!ti_int(m->id, &id) || id <= 0) {
        why = "no valid id";
    } else {
        why = ti_created(m, &created);
    }
    if (why != NULL) {
        t->st->skipped++;
        km_import_report(t->o, m->line, "message %s: %s", m->id != NULL ? m->id : "?", why);
        goto out;
    }
    ti_fill(t, m, id, created);
    t->rc = km_import_emit(t->o, &t->batch, false, t->err);
    t->sink_failed = t->rc != KM_OK;
out:
    ti_msg_reset(m);
    return t->rc == KM_OK;
}

/* Start of messages[]: the chat's Bot API id from its type and bare id. */
static int ti_chat_begin(struct ti *t)
{
    static const char *const channels[] = {"private_supergroup", "public_supergroup",
                                           "private_channel", "public_channel"};
    int64_t bare = 0;
    const char *type = t->chat_type;
    if (t->saw_messages) {
        return ti_fatal(t, "a second \"messages\" array");
    }
    if (type == NULL || t->chat_bare == NULL) {
        return ti_fatal(t, "\"messages\" before the chat's \"type\" and \"id\": not a Telegram "
                           "Desktop export of one chat");
    }
    if (!ti_int(t->chat_bare, &bare) || bare <= 0) {
        return ti_fatal(t, "chat id '%.40s' is not a positive integer", t->chat_bare);
    }
    for (size_t i = 0; i < sizeof(channels) / sizeof(channels[0]); i++) {
        if (strcmp(type, channels[i]) == 0) {
            t->chat_id = km_asprintf("-100%lld", (long long)bare);
            t->t_me_c = true;
        }
    }
    if (strcmp(type, "private_group") == 0) {
        t->chat_id = km_asprintf("-%lld", (long long)bare);
    } else if (strcmp(type, "personal_chat") == 0 || strcmp(type, "bot_chat") == 0) {
        t->chat_id = km_asprintf("%lld", (long long)bare);
    } else if (t->chat_id == NULL) {
        return ti_fatal(t,
                        "chat type '%.40s' cannot be imported (supergroups, channels, groups "
                        "and personal chats can)",
                        type);
    }
    t->saw_messages = true;
    return 1;
}

/* Moves *v into *field (freeing its old value); nothing if field is NULL. */
static void ti_take(char **field, char **v)
{
    if (field != NULL) {
        free(*field);
        *field = *v;
        *v = NULL;
    }
}

/* A value at the root: the chat's name, type and id. */
static void ti_root_value(struct ti *t, char **v)
{
    char **field = ti_key_is(t, 1, "name")   ? &t->chat_name
                   : ti_key_is(t, 1, "type") ? &t->chat_type
                   : ti_key_is(t, 1, "id")   ? &t->chat_bare
                                             : NULL;
    ti_take(field, v);
}

/* A value of the message itself (level 3). Takes *v when it keeps it. */
static void ti_msg_value(struct ti *t, char **v)
{
    struct ti_msg *m = &t->m;
    static const struct {
        const char *key;
        size_t off;
    } fields[] = {
        {"id", offsetof(struct ti_msg, id)},
        {"type", offsetof(struct ti_msg, type)},
        {"date_unixtime", offsetof(struct ti_msg, date_unix)},
        {"date", offsetof(struct ti_msg, date)},
        {"edited", offsetof(struct ti_msg, edited)},
        {"edited_unixtime", offsetof(struct ti_msg, edited_unix)},
        {"from", offsetof(struct ti_msg, from)},
        {"from_id", offsetof(struct ti_msg, from_id)},
        {"author", offsetof(struct ti_msg, sig)},
        {"reply_to_message_id", offsetof(struct ti_msg, reply_id)},
        {"reply_to_peer_id", offsetof(struct ti_msg, reply_peer)},
    };
    if (ti_key_is(t, 3, "text") && *v != NULL) {
        km_buf_puts(&m->text, *v);
        m->has_text = true;
    } else if ((ti_key_is(t, 3, "photo") || ti_key_is(t, 3, "file")) && *v != NULL && **v != '(' &&
               **v != '\0') {
        km_post_add_media(m->p, *v); /* "(File not included. ...)" is no file */
    }
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (ti_key_is(t, 3, fields[i].key)) {
            ti_take((char **)((char *)m + fields[i].off), v);
        }
    }
}

/* A value below a message: a text part, an entity's type or text, a coordinate. */
static void ti_sub_value(struct ti *t, char **v)
{
    struct ti_msg *m = &t->m;
    bool entities = ti_key_is(t, 3, "text_entities");
    if (t->depth == 4 && ti_in_text(t) && *v != NULL) {
        km_buf_puts(entities ? &m->alt : &m->text, *v);
        m->has_text |= !entities;
    } else if (t->depth == 4 && ti_key_is(t, 3, "location_information") && t->kind[4] == '{') {
        char **field = ti_key_is(t, 4, "latitude")    ? &m->lat
                       : ti_key_is(t, 4, "longitude") ? &m->lon
                                                      : NULL;
        ti_take(field, v);
    } else if (t->depth == 5 && ti_in_text(t) && t->kind[5] == '{') {
        char **field = ti_key_is(t, 5, "type")   ? &m->ent_type
                       : ti_key_is(t, 5, "text") ? &m->ent_text
                                                 : NULL;
        ti_take(field, v);
    }
}

/* End of an entity object {type, text}: its text joins the message's text (or the copy
 * rebuilt from text_entities), a hashtag entity also joins the hashtags. */
static void ti_entity_end(struct ti *t)
{
    struct ti_msg *m = &t->m;
    bool entities = ti_key_is(t, 3, "text_entities");
    if (m->ent_text != NULL) {
        km_buf_puts(entities ? &m->alt : &m->text, m->ent_text);
        if (m->ent_type != NULL && strcmp(m->ent_type, "hashtag") == 0) {
            km_post_add_hashtag(m->p, m->ent_text);
        }
    }
    m->has_text |= !entities;
    free(m->ent_type);
    free(m->ent_text);
    m->ent_type = NULL;
    m->ent_text = NULL;
}

/* Every scalar; s == NULL for null, true and false. */
static int ti_scalar(struct ti *t, const char *s, size_t len)
{
    char *v = s != NULL ? km_utf8_clean(s, len, NULL) : NULL;
    if (t->depth == 1) {
        ti_root_value(t, &v);
    } else if (t->depth == 2 && ti_in_messages(t)) {
        t->st->read++;
        t->st->skipped++;
        km_import_report(t->o, ti_line(t), "a message that is not an object");
    } else if (t->in_msg && t->depth == 3) {
        ti_msg_value(t, &v);
    } else if (t->in_msg && t->depth <= 5) {
        ti_sub_value(t, &v);
    }
    free(v);
    return 1;
}

static int ti_null(void *ctx)
{
    return ti_scalar(ctx, NULL, 0);
}

static int ti_bool(void *ctx, int b)
{
    (void)b;
    return ti_scalar(ctx, NULL, 0);
}

static int ti_number(void *ctx, const char *s, size_t len)
{
    return ti_scalar(ctx, s, len);
}

static int ti_string(void *ctx, const unsigned char *s, size_t len)
{
    return ti_scalar(ctx, (const char *)s, len);
}

/* Opens a container; refuses nesting deeper than KM_JSON_MAX_DEPTH (yajl itself would
 * follow any depth). */
static int ti_open(struct ti *t, char kind)
{
    if (t->depth >= KM_JSON_MAX_DEPTH) {
        return ti_fatal(t, "JSON nested deeper than %d levels", KM_JSON_MAX_DEPTH);
    }
    t->depth++;
    if (t->depth < TI_LEVELS) {
        t->kind[t->depth] = kind;
        t->key[t->depth][0] = '\0';
    }
    return 1;
}

static int ti_start_map(void *ctx)
{
    struct ti *t = ctx;
    if (ti_open(t, '{') == 0) {
        return 0;
    }
    if (t->depth == 2 && ti_key_is(t, 1, "messages")) {
        return ti_fatal(t, "\"messages\" is not an array");
    }
    if (t->depth == 3 && ti_in_messages(t)) {
        t->in_msg = true;
        t->m.p = km_post_new();
        t->m.line = ti_line(t);
    }
    return 1;
}

static int ti_start_array(void *ctx)
{
    struct ti *t = ctx;
    if (ti_open(t, '[') == 0) {
        return 0;
    }
    if (t->depth == 1) {
        return ti_fatal(t, "a JSON array, not a Telegram Desktop export");
    }
    if (t->depth == 2 && ti_key_is(t, 1, "messages")) {
        return ti_chat_begin(t);
    }
    if (t->depth == 3 && ti_in_messages(t)) {
        t->st->read++;
        t->st->skipped++;
        km_import_report(t->o, ti_line(t), "a message that is not an object");
    }
    return 1;
}

static int ti_map_key(void *ctx, const unsigned char *key, size_t len)
{
    struct ti *t = ctx;
    if (t->depth < TI_LEVELS) {
        size_t n = len < TI_KEY_MAX ? len : 0; /* an over-long key matches nothing */
        memcpy(t->key[t->depth], key, n);
        t->key[t->depth][n] = '\0';
    }
    if (t->depth == 1 && (ti_key_is(t, 1, "chats") || ti_key_is(t, 1, "left_chats") ||
                          ti_key_is(t, 1, "personal_information"))) {
        return ti_fatal(t, "a full Telegram Desktop export (all chats); export one chat instead "
                           "(chat menu, Export chat history, format JSON)");
    }
    return 1;
}

static int ti_end_map(void *ctx)
{
    struct ti *t = ctx;
    int ok = 1;
    if (t->depth == 5 && ti_in_text(t) && t->kind[5] == '{') {
        ti_entity_end(t);
    } else if (t->depth == 3 && t->in_msg) {
        t->in_msg = false;
        ok = ti_msg_end(t);
    }
    t->depth--;
    return ok;
}

static int ti_end_array(void *ctx)
{
    struct ti *t = ctx;
    t->depth--;
    return 1;
}

static const yajl_callbacks ti_callbacks = {
    .yajl_null = ti_null,
    .yajl_boolean = ti_bool,
    .yajl_number = ti_number,
    .yajl_string = ti_string,
    .yajl_start_map = ti_start_map,
    .yajl_map_key = ti_map_key,
    .yajl_end_map = ti_end_map,
    .yajl_start_array = ti_start_array,
    .yajl_end_array = ti_end_array,
};

/* Reports a yajl syntax error (status s) at the current line. */
static void ti_syntax(struct ti *t, yajl_status s)
{
    if (s != yajl_status_error || t->rc != KM_OK) {
        return; /* ok, or cancelled by a callback that set rc */
    }
    unsigned char *e = yajl_get_error(t->h, 0, NULL, 0);
    size_t n = e != NULL ? strcspn((const char *)e, "\n") : 0;
    ti_fatal(t, "not valid JSON (%.*s); if this is JSON lines, pass --format jsonl", (int)n,
             e != NULL ? (const char *)e : "");
    yajl_free_error(t->h, e);
}

/* Feeds buf[0..n) to yajl, counting the lines of the previous chunk first. */
static void ti_feed(struct ti *t, const unsigned char *buf, size_t n)
{
    for (; t->counted < t->chunk_len; t->counted++) {
        t->line += t->chunk[t->counted] == '\n';
    }
    t->chunk = buf;
    t->chunk_len = n;
    t->counted = 0;
    if (n > 0) {
        ti_syntax(t, yajl_parse(t->h, buf, n));
    } else {
        ti_syntax(t, yajl_complete_parse(t->h));
    }
}

/* Reads f to its end through yajl; leaves the outcome in t->rc. */
static void ti_run(struct ti *t, FILE *f)
{
    unsigned char *buf = km_malloc(TI_CHUNK);
    bool first = true;
    size_t n = 0;
    while (t->rc == KM_OK && (n = fread(buf, 1, TI_CHUNK, f)) > 0) {
        size_t bom = first && n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
        first = false;
        ti_feed(t, buf + bom, n - bom);
    }
    if (t->rc == KM_OK && ferror(f)) {
        t->rc = km_err_set(t->err, KM_ERR, "%s: read error: %s", t->o->label, strerror(errno));
    } else if (t->rc == KM_OK) {
        ti_feed(t, buf, 0);
    }
    if (t->rc == KM_OK && !t->saw_messages) {
        ti_fatal(t, "no \"messages\" array: not a Telegram Desktop export of one chat");
    }
    free(buf);
}

static void ti_free(struct ti *t)
{
    ti_msg_reset(&t->m);
    km_buf_free(&t->m.text);
    km_buf_free(&t->m.alt);
    free(t->chat_type);
    free(t->chat_bare);
    free(t->chat_name);
    free(t->chat_id);
    km_post_batch_free(&t->batch);
    if (t->h != NULL) {
        yajl_free(t->h);
    }
}

int km_import_telegram(FILE *f, const struct km_import_opts *o, struct km_import_stats *st,
                       struct km_err *err)
{
    struct ti t = {.o = o, .st = st, .err = err, .line = 1};
    memset(st, 0, sizeof(*st));
    km_post_batch_init(&t.batch);
    t.h = yajl_alloc(&ti_callbacks, NULL, &t);
    if (t.h == NULL) {
        t.rc = km_err_set(err, KM_ENOMEM, "%s: yajl_alloc failed", o->label);
        goto out;
    }
    /* Invalid UTF-8 is repaired string by string (km_utf8_clean) instead of failing the
     * whole export, as km_json_parse() does for API payloads. */
    yajl_config(t.h, yajl_dont_validate_strings, 1);
    ti_run(&t, f);
    if (!t.sink_failed && (t.rc == KM_OK || t.rc == KM_EINPUT)) {
        struct km_err ferr = {{0}};
        int frc = km_import_emit(o, &t.batch, true, &ferr); /* a truncated export's too */
        if (frc != KM_OK) {
            t.rc = frc;
            *err = ferr;
        }
    }
out:
    ti_free(&t);
    return t.rc;
}
