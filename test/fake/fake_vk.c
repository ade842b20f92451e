#include "test/fake/fake_vk.h"

#include "common/alloc.h"
#include "common/time.h"
#include "test/fake/fake_replies.h"
#include "test/fake/fake_text.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* newsfeed.search "count": default 30, maximum 200 (vk-api-schema, newsfeed/methods.json). */
#define VK_COUNT_DEFAULT 30
#define VK_COUNT_MAX     200
/* start_time defaults to 24 hours ago (same schema). */
#define VK_WINDOW_DEFAULT_S 86400
/* Post ids are VK_POST_ID_BASE + release order, so next_from can name the post it follows;
 * reposted originals and photos get ids of their own ranges. */
#define VK_POST_ID_BASE  4000
#define VK_ORIG_ID_BASE  70000
#define VK_PHOTO_ID_BASE 457239000
/* Ids given to @mentions in "[id...|@name]" markup (the mention's byte offset is added). */
#define VK_MENTION_ID_BASE 600000000LL
/* A reposted original was published this long before the repost. */
#define VK_ORIG_AGE_S 3600
/* Owners recorded per page for profiles[]/groups[]. */
#define VK_MAX_USERS  4
#define VK_MAX_GROUPS 2

#define VK_TYPE "application/json; charset=utf-8"

struct vk_owner {
    long long id; /* negative for communities */
    const char *first, *last, *name, *screen;
};

static const struct vk_owner vk_users[VK_MAX_USERS] = {
    {512340001, "Айгерим", "Сапарова", NULL, "aigerim_s"},
    {512340002, "Дмитрий", "Ким", NULL, "dkim_astana"},
    {512340003, "Нурлан", "", NULL, "id512340003"},
    {512340004, "Ольга", "Петренко", NULL, "olga.p"},
};

static const struct vk_owner vk_groups[VK_MAX_GROUPS] = {
    {-218000001, NULL, NULL, "Астана | Подслушано", "astana_overheard"},
    {-218000002, NULL, NULL, "Жители Сарыарки", "saryarka_residents"},
};

/* How a sample post appears on VK; fixed per line of the posts file. */
struct vk_plan {
    const struct vk_owner *wall, *author;
    const struct vk_owner *orig; /* author of the reposted original, or NULL */
    const char *comment;         /* a repost's own text */
    const char *tag_scope;       /* screen name for "#tag@community", or NULL */
    bool photo, geo;
};

static void vk_plan_of(const struct km_fake_tpl *t, struct vk_plan *p)
{
    size_t k = t->line;
    memset(p, 0, sizeof(*p));
    p->author = &vk_users[k % VK_MAX_USERS];
    p->wall = p->author;
    switch (k % 6) {
    case 0:
        p->wall = p->author = &vk_groups[0];
        p->tag_scope = vk_groups[0].screen;
        break;
    case 3:
        p->wall = p->author = &vk_groups[1];
        p->orig = &vk_users[k % VK_MAX_USERS];
        p->comment = k % 12 == 3 ? "Репост 👇" : "";
        break;
    case 4:
        p->wall = &vk_groups[0];
        break;
    default:
        break;
    }
    p->photo = k % 3 == 0;
    p->geo = k % 7 == 0;
}

/* --- errors --- */

/* An API error as VK sends it: HTTP 200, error_code, error_msg and request_params echoing
 * the method, q and v of req (NULL for a fault, which echoes only the method). */
static void vk_error(struct km_fake_reply *rep, int code, const char *msg, struct km_fake_req *req)
{
    struct km_buf b = KM_BUF_INIT;
    km_buf_printf(&b, "{\"error\":{\"error_code\":%d,\"error_msg\":", code);
    km_fake_json_str(&b, msg, 0);
    km_buf_puts(&b, ",\"request_params\":[{\"key\":\"method\",\"value\":");
    km_fake_json_str(&b, req != NULL ? req->url + strlen("/method/") : "newsfeed.search", 0);
    km_buf_puts(&b, "},{\"key\":\"oauth\",\"value\":\"1\"}");
    static const char *const keys[] = {"q", "v"};
    for (size_t i = 0; req != NULL && i < 2; i++) {
        const char *val = km_fake_req_param(req, keys[i]);
        if (val != NULL) {
            km_buf_printf(&b, ",{\"key\":\"%s\",\"value\":", keys[i]);
            km_fake_json_str(&b, val, 0);
            km_buf_putc(&b, '}');
        }
    }
    km_buf_putc(&b, ']');
    if (code == 14) {
        km_buf_puts(&b, ",\"captcha_sid\":\"718926425830\",\"captcha_img\":\"https:\\/\\/api.vk.com"
                        "\\/captcha.php?sid=718926425830&s=1\"");
    }
    km_buf_puts(&b, "}}");
    km_fake_reply_set(rep, 200, VK_TYPE, b.data);
    km_buf_free(&b);
}

void km_fake_vk_fault(enum km_fake_fault_kind kind, struct km_fake_reply *rep)
{
    static const char page500[] = "<html>\r\n<head><title>500 Internal Server Error</title></head>"
                                  "\r\n<body>\r\n<center><h1>500 Internal Server Error</h1>"
                                  "</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>";
    static const char page503[] = "<html>\r\n<head><title>503 Service Temporarily Unavailable"
                                  "</title></head>\r\n<body>\r\n<center><h1>503 Service "
                                  "Temporarily Unavailable</h1></center>\r\n<hr><center>nginx"
                                  "</center>\r\n</body>\r\n</html>";
    switch (kind) {
    case KM_FAKE_FAULT_429:
        vk_error(rep, 6, "Too many requests per second", NULL);
        break;
    case KM_FAKE_FAULT_VK_AUTH:
        vk_error(rep, 5, "User authorization failed: invalid access_token (4).", NULL);
        break;
    case KM_FAKE_FAULT_VK_FLOOD:
        vk_error(rep, 9, "Flood control", NULL);
        break;
    case KM_FAKE_FAULT_VK_CAPTCHA:
        vk_error(rep, 14, "Captcha needed", NULL);
        break;
    case KM_FAKE_FAULT_VK_QUOTA:
        vk_error(rep, 29, "Rate limit reached", NULL);
        break;
    case KM_FAKE_FAULT_VK_INTERNAL:
        vk_error(rep, 10, "Internal server error: Unknown error, try later", NULL);
        break;
    case KM_FAKE_FAULT_HTTP500:
        km_fake_reply_set(rep, 500, "text/html", page500);
        break;
    default:
        km_fake_reply_set(rep, 503, "text/html", page503);
        break;
    }
}

/* --- post JSON --- */

/* The text as VK stores it: @mentions as "[id...|@name]", hashtags as "#tag@scope". */
static char *vk_text(const char *text, const char *tag_scope)
{
    struct km_buf b = KM_BUF_INIT;
    struct km_fake_span *spans = NULL;
    size_t n = km_fake_text_spans(text, KM_FAKE_TAGS_NUMERIC, &spans);
    size_t at = 0;
    km_buf_puts(&b, "");
    for (size_t i = 0; i < n; i++) {
        const struct km_fake_span *sp = &spans[i];
        km_buf_append(&b, text + at, sp->off - at);
        at = sp->off + sp->len;
        if (sp->type == KM_FAKE_SPAN_MENTION) {
            km_buf_printf(&b, "[id%lld|%.*s]", VK_MENTION_ID_BASE + (long long)sp->off,
                          (int)sp->len, text + sp->off);
            continue;
        }
        km_buf_append(&b, text + sp->off, sp->len);
        if (sp->type == KM_FAKE_SPAN_HASHTAG && tag_scope != NULL) {
            km_buf_printf(&b, "@%s", tag_scope);
        }
    }
    km_buf_puts(&b, text + at);
    free(spans);
    return km_buf_take(&b);
}

static void vk_put_photo(struct km_buf *b, long long owner, long long id, long long date)
{
    static const struct {
        const char *type;
        int w, h;
    } sizes[] = {{"s", 100, 75}, {"x", 604, 453}, {"z", 1280, 960}};
    km_buf_printf(b,
                  "{\"type\":\"photo\",\"photo\":{\"album_id\":-7,\"date\":%lld,\"id\":%lld,"
                  "\"owner_id\":%lld,\"access_key\":\"a%llx\",\"sizes\":[",
                  date, id, owner, id);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        km_buf_printf(b,
                      "%s{\"height\":%d,\"type\":\"%s\",\"width\":%d,\"url\":\"https:\\/\\/"
                      "sun9-%lld.userapi.com\\/impg\\/fake\\/%lld_%s.jpg?size=%dx%d\"}",
                      i > 0 ? "," : "", sizes[i].h, sizes[i].type, sizes[i].w, id % 90, id,
                      sizes[i].type, sizes[i].w, sizes[i].h);
    }
    km_buf_puts(b, "],\"text\":\"\",\"has_tags\":false}}");
}

/* The original of a repost (copy_history[0]). */
static void vk_put_original(struct km_buf *b, const struct km_fake_item *it,
                            const struct vk_plan *p, long long date)
{
    long long id = VK_ORIG_ID_BASE + (long long)it->seq;
    char *text = vk_text(it->tpl->text, NULL);
    km_buf_printf(b,
                  ",\"copy_history\":[{\"type\":\"post\",\"id\":%lld,\"owner_id\":%lld,"
                  "\"from_id\":%lld,\"date\":%lld,\"text\":",
                  id, p->orig->id, p->orig->id, date - VK_ORIG_AGE_S);
    km_fake_json_str(b, text, 0);
    km_buf_puts(b, ",\"attachments\":[");
    if (p->photo) {
        vk_put_photo(b, p->orig->id, VK_PHOTO_ID_BASE + id, date - VK_ORIG_AGE_S);
    }
    km_buf_puts(b, "],\"post_source\":{\"type\":\"vk\"},\"post_type\":\"post\"}]");
    free(text);
}

/* One wall post of response.items. "text" comes first, where the badutf8 fault looks. */
static void vk_put_post(struct km_buf *b, const struct km_fake_item *it, const struct vk_plan *p)
{
    long long id = VK_POST_ID_BASE + (long long)it->seq;
    long long date = it->created_ms / 1000;
    size_t nth = it->tpl->line;
    char *text = p->orig != NULL ? km_strdup(p->comment) : vk_text(it->tpl->text, p->tag_scope);
    km_buf_puts(b, "{\"text\":");
    km_fake_json_str(b, text, 0);
    km_buf_printf(b,
                  ",\"inner_type\":\"wall_wallpost\",\"id\":%lld,\"owner_id\":%lld,"
                  "\"from_id\":%lld,\"date\":%lld,\"comments\":{\"can_post\":1,\"count\":%zu},"
                  "\"marked_as_ads\":0,\"hash\":\"h%llx\",\"type\":\"post\",\"post_type\":"
                  "\"post\",\"is_favorite\":false,\"likes\":{\"can_like\":1,\"count\":%zu,"
                  "\"user_likes\":0,\"can_publish\":1},\"post_source\":{\"type\":\"vk\"},"
                  "\"reposts\":{\"count\":%zu,\"user_reposted\":0},\"views\":{\"count\":%zu},"
                  "\"attachments\":[",
                  id, p->wall->id, p->author->id, date, nth % 5, (unsigned long long)id,
                  (nth * 13) % 47, (nth * 7) % 11, 40 + nth * 31);
    if (p->photo && p->orig == NULL) {
        vk_put_photo(b, p->wall->id, VK_PHOTO_ID_BASE + id, date);
    }
    km_buf_putc(b, ']');
    if (p->geo) {
        km_buf_printf(b,
                      ",\"geo\":{\"type\":\"point\",\"coordinates\":\"51.%06zu 71.%06zu\","
                      "\"showmap\":1}",
                      100000 + nth * 1237 % 99999, 400000 + nth * 3571 % 99999);
    }
    if (p->orig != NULL) {
        vk_put_original(b, it, p, date);
    }
    km_buf_putc(b, '}');
    free(text);
}

/* --- owners (extended=1) --- */

struct vk_seen {
    bool user[VK_MAX_USERS], group[VK_MAX_GROUPS];
};

static void vk_seen_add(struct vk_seen *seen, const struct vk_owner *o)
{
    if (o == NULL) {
        return;
    }
    if (o->id < 0) {
        seen->group[o - vk_groups] = true;
    } else {
        seen->user[o - vk_users] = true;
    }
}

static void vk_put_owners(struct km_buf *b, const struct vk_seen *seen)
{
    size_t k = 0;
    km_buf_puts(b, ",\"profiles\":[");
    for (size_t i = 0; i < VK_MAX_USERS; i++) {
        const struct vk_owner *u = &vk_users[i];
        if (seen->user[i]) {
            km_buf_printf(b, "%s{\"id\":%lld,\"sex\":0,\"screen_name\":\"%s\",", k++ ? "," : "",
                          u->id, u->screen);
            km_buf_puts(b, "\"photo_50\":\"https:\\/\\/vk.com\\/images\\/camera_50.png\","
                           "\"online\":0,\"first_name\":");
            km_fake_json_str(b, u->first, 0);
            km_buf_puts(b, ",\"last_name\":");
            km_fake_json_str(b, u->last, 0);
            km_buf_puts(b, ",\"can_access_closed\":true,\"is_closed\":false}");
        }
    }
    k = 0;
    km_buf_puts(b, "],\"groups\":[");
    for (size_t i = 0; i < VK_MAX_GROUPS; i++) {
        const struct vk_owner *g = &vk_groups[i];
        if (seen->group[i]) {
            km_buf_printf(b, "%s{\"id\":%lld,\"name\":", k++ ? "," : "", -g->id);
            km_fake_json_str(b, g->name, 0);
            km_buf_printf(b,
                          ",\"screen_name\":\"%s\",\"is_closed\":0,\"type\":\"page\","
                          "\"photo_50\":\"https:\\/\\/vk.com\\/images\\/community_50.png\"}",
                          g->screen);
        }
    }
    km_buf_putc(b, ']');
}

/* --- search --- */

struct vk_query {
    char *tag;    /* q without '#', case-folded, when q is a hashtag */
    char *phrase; /* q case-folded otherwise */
    long long start_s, end_s;
    size_t count;
    bool extended;
    size_t after_seq; /* start_from: only posts older than this item */
    bool has_after;
    size_t served; /* posts of this search served on earlier pages */
};

static bool vk_has_tag(const char *text, const char *folded_tag)
{
    struct km_fake_span *spans = NULL;
    size_t n = km_fake_text_spans(text, KM_FAKE_TAGS_NUMERIC, &spans);
    bool hit = false;
    for (size_t i = 0; i < n && !hit; i++) {
        if (spans[i].type == KM_FAKE_SPAN_HASHTAG) {
            char *raw = km_strndup(text + spans[i].off + 1, spans[i].len - 1);
            char *folded = km_fake_casefold(raw);
            hit = strcmp(folded, folded_tag) == 0;
            free(folded);
            free(raw);
        }
    }
    free(spans);
    return hit;
}

/* a is older than b in the answer's order (newest first). */
static bool vk_older(const struct km_fake_item *a, const struct km_fake_item *b)
{
    return a->created_ms < b->created_ms || (a->created_ms == b->created_ms && a->seq < b->seq);
}

static bool vk_matches(const struct km_fake_store *s, const struct km_fake_item *it,
                       const struct vk_query *q)
{
    long long date = it->created_ms / 1000;
    if (date < q->start_s || date > q->end_s ||
        (q->has_after && !vk_older(it, s->items[q->after_seq]))) {
        return false;
    }
    if (q->tag != NULL) {
        return vk_has_tag(it->tpl->text, q->tag);
    }
    char *folded = km_fake_casefold(it->tpl->text);
    bool hit = strstr(folded, q->phrase) != NULL;
    free(folded);
    return hit;
}

static int vk_cmp_newest(const void *a, const void *b)
{
    const struct km_fake_item *x = *(const struct km_fake_item *const *)a;
    const struct km_fake_item *y = *(const struct km_fake_item *const *)b;
    return vk_older(x, y) ? 1 : vk_older(y, x) ? -1 : 0;
}

/* A numeric parameter; def if absent or not a number. */
static long long vk_num_param(struct km_fake_req *req, const char *name, long long def)
{
    const char *v = km_fake_req_param(req, name);
    char *end = NULL;
    if (v == NULL || *v == '\0') {
        return def;
    }
    errno = 0;
    long long n = strtoll(v, &end, 10);
    return errno != 0 || *end != '\0' ? def : n;
}

/* start_from "<served>/<owner>_<post id>": the post to continue after. Anything else (or a
 * post that does not exist) starts from the newest, as VK does with a stale value. */
static void vk_parse_from(const struct km_fake_store *s, const char *from, struct vk_query *q)
{
    const char *us = from != NULL ? strrchr(from, '_') : NULL;
    if (us == NULL) {
        return;
    }
    char *end = NULL;
    long long id = strtoll(us + 1, &end, 10);
    unsigned long served = strtoul(from, NULL, 10);
    if (*end != '\0' || id < VK_POST_ID_BASE || (size_t)(id - VK_POST_ID_BASE) >= s->n_items) {
        return;
    }
    q->after_seq = (size_t)(id - VK_POST_ID_BASE);
    q->has_after = true;
    q->served = served;
}

static void vk_query_parse(struct km_fake_req *req, struct vk_query *q)
{
    const char *text = km_fake_req_param(req, "q");
    long long now_s = km_time_now_ms() / 1000;
    const char *ext = km_fake_req_param(req, "extended");
    memset(q, 0, sizeof(*q));
    if (text != NULL && text[0] == '#') {
        q->tag = km_fake_casefold(text + 1);
    } else {
        q->phrase = km_fake_casefold(text != NULL ? text : "");
    }
    q->start_s = vk_num_param(req, "start_time", now_s - VK_WINDOW_DEFAULT_S);
    q->end_s = vk_num_param(req, "end_time", now_s);
    long long count = vk_num_param(req, "count", VK_COUNT_DEFAULT);
    q->count = count < 1 ? VK_COUNT_DEFAULT : count > VK_COUNT_MAX ? VK_COUNT_MAX : (size_t)count;
    q->extended = ext != NULL && strcmp(ext, "1") == 0;
}

/* The matching items, newest first; *n_out of them. Caller holds the lock and frees. */
static struct km_fake_item **vk_select(struct km_fake_store *s, const struct vk_query *q,
                                       size_t *n_out)
{
    struct km_fake_item **hits = km_calloc(s->n_items + 1, sizeof(*hits));
    size_t n = 0;
    for (size_t i = 0; i < s->n_items; i++) {
        if (vk_matches(s, s->items[i], q)) {
            hits[n++] = s->items[i];
        }
    }
    qsort(hits, n, sizeof(*hits), vk_cmp_newest);
    *n_out = n;
    return hits;
}

/* Renders one page of the answer. Caller holds the lock. */
static void vk_page(struct km_fake_store *s, const struct vk_query *q, struct km_buf *b)
{
    size_t n = 0;
    struct km_fake_item **hits = vk_select(s, q, &n);
    size_t page = n < q->count ? n : q->count;
    struct vk_seen seen;
    memset(&seen, 0, sizeof(seen));
    km_buf_puts(b, "{\"response\":{\"items\":[");
    for (size_t i = 0; i < page; i++) {
        struct vk_plan p;
        vk_plan_of(hits[i]->tpl, &p);
        km_buf_puts(b, i > 0 ? "," : "");
        vk_put_post(b, hits[i], &p);
        vk_seen_add(&seen, p.wall);
        vk_seen_add(&seen, p.author);
        vk_seen_add(&seen, p.orig);
        km_fake_store_served(s, hits[i]);
    }
    km_buf_putc(b, ']');
    if (q->extended) {
        vk_put_owners(b, &seen);
    }
    km_buf_printf(b, ",\"count\":%zu,\"total_count\":%zu", q->served + n, q->served + n);
    if (page < n) {
        struct vk_plan last;
        vk_plan_of(hits[page - 1]->tpl, &last);
        km_buf_printf(b, ",\"next_from\":\"%zu\\/%lld_%lld\"", q->served + page, last.wall->id,
                      VK_POST_ID_BASE + (long long)hits[page - 1]->seq);
    }
    km_buf_puts(b, "}}");
    free(hits);
}

/* The token of the request, or NULL: "Authorization: Bearer X" or access_token=X. */
static const char *vk_token(struct km_fake_req *req)
{
    const char *auth = km_fake_req_header(req, "Authorization");
    if (auth != NULL && strncmp(auth, "Bearer ", 7) == 0) {
        return auth + 7;
    }
    return km_fake_req_param(req, "access_token");
}

static void vk_search(struct km_fake_ctx *ctx, struct km_fake_req *req, struct km_fake_reply *rep)
{
    const char *token = vk_token(req);
    const char *v = km_fake_req_param(req, "v");
    if (token == NULL || *token == '\0') {
        vk_error(rep, 5, "User authorization failed: no access_token passed.", req);
        return;
    }
    if (strcmp(token, ctx->tg_token) != 0) {
        vk_error(rep, 5, "User authorization failed: invalid access_token (4).", req);
        return;
    }
    if (v == NULL || strtod(v, NULL) < 5.0) {
        vk_error(rep, 8, "Invalid request: v (version) is required or not supported", req);
        return;
    }
    struct vk_query q;
    struct km_buf b = KM_BUF_INIT;
    struct km_fake_store *s = &ctx->store;
    vk_query_parse(req, &q);
    pthread_mutex_lock(&s->lock);
    km_fake_store_sync(s);
    vk_parse_from(s, km_fake_req_param(req, "start_from"), &q);
    vk_page(s, &q, &b);
    pthread_mutex_unlock(&s->lock);
    km_fake_reply_set(rep, 200, VK_TYPE, b.data);
    km_buf_free(&b);
    free(q.tag);
    free(q.phrase);
}

/* Whether the token and version of req are good; else answers the API error. */
static bool vk_authorized(struct km_fake_ctx *ctx, struct km_fake_req *req,
                          struct km_fake_reply *rep)
{
    const char *token = vk_token(req);
    const char *v = km_fake_req_param(req, "v");
    if (token == NULL || *token == '\0') {
        vk_error(rep, 5, "User authorization failed: no access_token passed.", req);
    } else if (strcmp(token, ctx->tg_token) != 0) {
        vk_error(rep, 5, "User authorization failed: invalid access_token (4).", req);
    } else if (v == NULL || strtod(v, NULL) < 5.0) {
        vk_error(rep, 8, "Invalid request: v (version) is required or not supported", req);
    } else {
        return true;
    }
    return false;
}

/* wall.createComment: records the comment (GET /_fake/replies) and answers its id. */
static void vk_create_comment(struct km_fake_ctx *ctx, struct km_fake_req *req,
                              struct km_fake_reply *rep)
{
    static unsigned long comments = 0;
    const char *owner = km_fake_req_param(req, "owner_id");
    const char *post = km_fake_req_param(req, "post_id");
    const char *message = km_fake_req_param(req, "message");
    char *end = NULL;
    if (!vk_authorized(ctx, req, rep)) {
        return;
    }
    if (post == NULL || strtoll(post, &end, 10) <= 0 || *end != '\0') {
        vk_error(rep, 100,
                 "One of the parameters specified was missing or invalid: post_id is "
                 "undefined",
                 req);
        return;
    }
    if (message == NULL || *message == '\0') {
        vk_error(rep, 100,
                 "One of the parameters specified was missing or invalid: message is "
                 "undefined",
                 req);
        return;
    }
    km_fake_replies_add("vk", owner, post, message);
    pthread_mutex_lock(&ctx->store.lock);
    unsigned long id = ++comments;
    pthread_mutex_unlock(&ctx->store.lock);
    struct km_buf b = KM_BUF_INIT;
    km_buf_printf(&b, "{\"response\":{\"comment_id\":%lu,\"parents_stack\":[]}}", 9000 + id);
    km_fake_reply_set(rep, 200, VK_TYPE, b.data);
    km_buf_free(&b);
}

void km_fake_vk_handle(struct km_fake_ctx *ctx, struct km_fake_req *req, struct km_fake_reply *rep)
{
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "POST") != 0) {
        km_fake_reply_set(rep, 405, "text/html", "<html>405 Not Allowed</html>");
        return;
    }
    if (strcmp(req->url, "/method/wall.createComment") == 0) {
        vk_create_comment(ctx, req, rep);
        return;
    }
    if (strcmp(req->url, "/method/newsfeed.search") != 0) {
        vk_error(rep, 3, "Unknown method passed", req);
        return;
    }
    vk_search(ctx, req, rep);
}
