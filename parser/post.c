/* The normalised post, its JSON encoding (DESIGN.md "Normalised post") and batches.
 *
 * JSON shape written by km_post_to_json(), one line, keys always in this order:
 *   network, source, id, url, author{id,name,handle}, chat{id,title}, text, lang,
 *   created_at, collected_at, hashtags[], reply_to, engagement{likes,reposts,replies,views},
 *   geo{lat,lon}, media[], edited,
 *   triage{category, urgency, priority, reasons[], sla_due, agency, fingerprint, simhash,
 *          incident, dup_of}
 * Absent strings and unknown times (0) are written as null, so every key above is present
 * except: engagement counters that are -1 (omitted, the object itself is always there), geo
 * (only when has_geo), edited (only when true) and triage (only when triage.scored; inside
 * it every key is always present). */
#include "parser/post.h"

#include "common/alloc.h"
#include "common/log.h"
#include "common/time.h"
#include "common/utf8.h"
#include "parser/json.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include <yajl/yajl_gen.h>

struct km_post *km_post_new(void)
{
    struct km_post *p = km_calloc(1, sizeof(*p));
    p->engagement.likes = -1;
    p->engagement.reposts = -1;
    p->engagement.replies = -1;
    p->engagement.views = -1;
    return p;
}

static void post_free_list(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(list[i]);
    }
    free(list);
}

void km_post_free(struct km_post *p)
{
    if (p == NULL) {
        return;
    }
    free(p->network);
    free(p->source);
    free(p->id);
    free(p->url);
    free(p->author.id);
    free(p->author.name);
    free(p->author.handle);
    free(p->chat.id);
    free(p->chat.title);
    free(p->text);
    free(p->lang);
    post_free_list(p->hashtags, p->n_hashtags);
    free(p->reply_to);
    post_free_list(p->media, p->n_media);
    km_post_triage_clear(&p->triage);
    free(p);
}

void km_post_triage_clear(struct km_post_triage *t)
{
    free(t->category);
    post_free_list(t->reasons, t->n_reasons);
    free(t->agency);
    free(t->fingerprint);
    free(t->incident);
    free(t->dup_of);
    memset(t, 0, sizeof(*t));
}

void km_post_add_reason(struct km_post *p, const char *fmt, ...)
{
    char small[256]; /* most reasons fit: one formatting pass, no size probe */
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    char *r;
    if ((size_t)n < sizeof(small)) {
        r = km_strndup(small, (size_t)n);
    } else {
        r = km_malloc((size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf(r, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    p->triage.reasons =
        km_realloc(p->triage.reasons, (p->triage.n_reasons + 1) * sizeof(*p->triage.reasons));
    p->triage.reasons[p->triage.n_reasons++] = r;
}

void km_post_set(char **field, const char *value)
{
    char *copy = km_strdup(value);
    free(*field);
    *field = copy;
}

/* Strips one '#', repairs UTF-8 and case-folds (NFC). Returns a malloc'd tag, or NULL
 * when nothing is left. */
static char *post_fold_tag(const char *tag)
{
    char *clean = NULL;
    utf8proc_uint8_t *folded = NULL;
    if (tag[0] == '#') {
        tag++;
    }
    clean = km_utf8_clean(tag, strlen(tag), NULL);
    utf8proc_ssize_t n =
        utf8proc_map((const utf8proc_uint8_t *)clean, 0, &folded,
                     UTF8PROC_NULLTERM | UTF8PROC_CASEFOLD | UTF8PROC_COMPOSE | UTF8PROC_STABLE);
    if (n <= 0) {
        free(folded); /* utf8proc allocates with malloc() */
        folded = NULL;
    }
    free(clean);
    return (char *)folded;
}

void km_post_add_hashtag(struct km_post *p, const char *tag)
{
    if (tag == NULL) {
        return;
    }
    char *folded = post_fold_tag(tag);
    if (folded == NULL || strlen(folded) > KM_HASHTAG_MAX_BYTES || km_post_has_hashtag(p, folded)) {
        free(folded);
        return;
    }
    p->hashtags = km_realloc(p->hashtags, (p->n_hashtags + 1) * sizeof(*p->hashtags));
    p->hashtags[p->n_hashtags++] = km_strdup(folded);
    free(folded); /* re-copied so that everything in a post comes from km_malloc */
}

void km_post_add_media(struct km_post *p, const char *url)
{
    if (url == NULL || url[0] == '\0') {
        return;
    }
    p->media = km_realloc(p->media, (p->n_media + 1) * sizeof(*p->media));
    p->media[p->n_media++] = km_strdup(url);
}

bool km_post_has_hashtag(const struct km_post *p, const char *folded_tag)
{
    for (size_t i = 0; i < p->n_hashtags; i++) {
        if (strcmp(p->hashtags[i], folded_tag) == 0) {
            return true;
        }
    }
    return false;
}

/* ---- encoding ---------------------------------------------------------------------- */

/* A yajl generator and whether any call failed (only a bug can make it fail). */
struct post_gen {
    yajl_gen g;
    bool bad;
};

static void pg_check(struct post_gen *pg, yajl_gen_status st)
{
    if (st != yajl_gen_status_ok) {
        pg->bad = true;
    }
}

/* A string value (null for NULL), repaired first if it is not valid UTF-8. */
static void pg_str(struct post_gen *pg, const char *s)
{
    if (s == NULL) {
        pg_check(pg, yajl_gen_null(pg->g));
        return;
    }
    size_t len = strlen(s);
    if (km_utf8_valid(s, len, NULL)) {
        pg_check(pg, yajl_gen_string(pg->g, (const unsigned char *)s, len));
        return;
    }
    char *clean = km_utf8_clean(s, len, NULL);
    pg_check(pg, yajl_gen_string(pg->g, (const unsigned char *)clean, strlen(clean)));
    free(clean);
}

static void pg_key(struct post_gen *pg, const char *key)
{
    pg_check(pg, yajl_gen_string(pg->g, (const unsigned char *)key, strlen(key)));
}

static void pg_kstr(struct post_gen *pg, const char *key, const char *s)
{
    pg_key(pg, key);
    pg_str(pg, s);
}

/* Latest time a four-digit RFC 3339 year can say (9999-12-31T23:59:59.999Z): what
 * km_time_parse_rfc3339() reads back, from 1970 on. */
#define PG_TIME_MAX_MS 253402300799999LL

/* An RFC 3339 UTC time, or null when unknown (0) or outside 1970..9999: a network's date
 * of year 56895037 would otherwise make a post that no reader (km_post_from_json) accepts. */
static void pg_ktime(struct post_gen *pg, const char *key, int64_t ms)
{
    char tbuf[40];
    bool known = ms > 0 && ms <= PG_TIME_MAX_MS;
    pg_kstr(pg, key, known ? km_time_format_rfc3339(ms, tbuf, sizeof(tbuf)) : NULL);
}

/* The shortest decimal that reads back as the same double ("51.1282", not yajl's %.20g). */
static void pg_double(struct post_gen *pg, double d)
{
    char nbuf[40];
    int n = snprintf(nbuf, sizeof(nbuf), "%.15g", d);
    if (strtod(nbuf, NULL) != d) {
        n = snprintf(nbuf, sizeof(nbuf), "%.17g", d);
    }
    pg_check(pg, yajl_gen_number(pg->g, nbuf, (size_t)n));
}

static void pg_kstrings(struct post_gen *pg, const char *key, char *const *list, size_t n)
{
    pg_key(pg, key);
    pg_check(pg, yajl_gen_array_open(pg->g));
    for (size_t i = 0; i < n; i++) {
        pg_str(pg, list[i]);
    }
    pg_check(pg, yajl_gen_array_close(pg->g));
}

static void pg_engagement(struct post_gen *pg, const struct km_post *p)
{
    const char *names[] = {"likes", "reposts", "replies", "views"};
    const int64_t values[] = {p->engagement.likes, p->engagement.reposts, p->engagement.replies,
                              p->engagement.views};
    pg_key(pg, "engagement");
    pg_check(pg, yajl_gen_map_open(pg->g));
    for (size_t i = 0; i < 4; i++) {
        if (values[i] >= 0) {
            pg_key(pg, names[i]);
            pg_check(pg, yajl_gen_integer(pg->g, (long long)values[i]));
        }
    }
    pg_check(pg, yajl_gen_map_close(pg->g));
}

static void pg_people(struct post_gen *pg, const struct km_post *p)
{
    pg_key(pg, "author");
    pg_check(pg, yajl_gen_map_open(pg->g));
    pg_kstr(pg, "id", p->author.id);
    pg_kstr(pg, "name", p->author.name);
    pg_kstr(pg, "handle", p->author.handle);
    pg_check(pg, yajl_gen_map_close(pg->g));
    pg_key(pg, "chat");
    pg_check(pg, yajl_gen_map_open(pg->g));
    pg_kstr(pg, "id", p->chat.id);
    pg_kstr(pg, "title", p->chat.title);
    pg_check(pg, yajl_gen_map_close(pg->g));
}

/* triage{...} (only for a scored post): priority as "P1".."P4", sla_due as RFC 3339, simhash
 * as 16 hex digits (a JSON number cannot carry 64 bits exactly); null for what is unknown. */
static void pg_triage(struct post_gen *pg, const struct km_post_triage *t)
{
    char prio[4] = "P0", hash[20];
    prio[1] = (char)('0' + (t->priority >= 1 && t->priority <= 4 ? t->priority : 0));
    snprintf(hash, sizeof(hash), "%016" PRIx64, t->simhash);
    pg_key(pg, "triage");
    pg_check(pg, yajl_gen_map_open(pg->g));
    pg_kstr(pg, "category", t->category);
    pg_key(pg, "urgency");
    pg_check(pg, yajl_gen_integer(pg->g, t->urgency));
    pg_kstr(pg, "priority", prio[1] != '0' ? prio : NULL);
    pg_kstrings(pg, "reasons", t->reasons, t->n_reasons);
    pg_ktime(pg, "sla_due", t->sla_due);
    pg_kstr(pg, "agency", t->agency);
    pg_kstr(pg, "fingerprint", t->fingerprint);
    pg_kstr(pg, "simhash", hash);
    pg_kstr(pg, "incident", t->incident);
    pg_kstr(pg, "dup_of", t->dup_of);
    pg_check(pg, yajl_gen_map_close(pg->g));
}

static void pg_post(struct post_gen *pg, const struct km_post *p)
{
    pg_check(pg, yajl_gen_map_open(pg->g));
    pg_kstr(pg, "network", p->network);
    pg_kstr(pg, "source", p->source);
    pg_kstr(pg, "id", p->id);
    pg_kstr(pg, "url", p->url);
    pg_people(pg, p);
    pg_kstr(pg, "text", p->text);
    pg_kstr(pg, "lang", p->lang);
    pg_ktime(pg, "created_at", p->created_at);
    pg_ktime(pg, "collected_at", p->collected_at);
    pg_kstrings(pg, "hashtags", p->hashtags, p->n_hashtags);
    pg_kstr(pg, "reply_to", p->reply_to);
    pg_engagement(pg, p);
    if (p->has_geo && isfinite(p->lat) && isfinite(p->lon)) {
        pg_key(pg, "geo");
        pg_check(pg, yajl_gen_map_open(pg->g));
        pg_key(pg, "lat");
        pg_double(pg, p->lat);
        pg_key(pg, "lon");
        pg_double(pg, p->lon);
        pg_check(pg, yajl_gen_map_close(pg->g));
    }
    pg_kstrings(pg, "media", p->media, p->n_media);
    if (p->edited) {
        pg_key(pg, "edited");
        pg_check(pg, yajl_gen_bool(pg->g, 1));
    }
    if (p->triage.scored) {
        pg_triage(pg, &p->triage);
    }
    pg_check(pg, yajl_gen_map_close(pg->g));
}

char *km_post_to_json(const struct km_post *p)
{
    struct post_gen pg = {yajl_gen_alloc(NULL), false};
    if (pg.g == NULL) {
        KM_LOG_ERROR("yajl_gen_alloc failed: out of memory");
        abort();
    }
    /* Strings are repaired by pg_str(); validation would only fail the whole post. */
    yajl_gen_config(pg.g, yajl_gen_validate_utf8, 0);
    pg_post(&pg, p);
    const unsigned char *out = NULL;
    size_t len = 0;
    if (pg.bad || yajl_gen_get_buf(pg.g, &out, &len) != yajl_gen_status_ok) {
        KM_LOG_ERROR("km_post_to_json: yajl_gen failed (bug)"); /* an invariant, not input */
        abort();
    }
    char *json = km_strndup((const char *)out, len);
    yajl_gen_free(pg.g);
    return json;
}

/* ---- decoding ---------------------------------------------------------------------- */

/* Copies the string (or number) at key into *field; KM_EINPUT if required and absent. */
static int pd_scalar(yajl_val obj, const char *key, char **field, bool required, struct km_err *err)
{
    char *v = km_json_scalar_dup(obj, key);
    if (v == NULL && required) {
        return km_err_set(err, KM_EINPUT, "post: missing or non-string \"%s\"", key);
    }
    free(*field);
    *field = v;
    return KM_OK;
}

/* An RFC 3339 time at key; absent or null leaves 0, anything else unparseable is an error. */
static int pd_time(yajl_val obj, const char *key, int64_t *ms, struct km_err *err)
{
    yajl_val v = km_json_get(obj, key, NULL);
    if (v == NULL || YAJL_IS_NULL(v)) {
        return KM_OK;
    }
    if (!YAJL_IS_STRING(v) || km_time_parse_rfc3339(v->u.string, ms) != KM_OK) {
        return km_err_set(err, KM_EINPUT, "post: \"%s\" is not an RFC 3339 time", key);
    }
    return KM_OK;
}

static void pd_strings(yajl_val obj, const char *key, struct km_post *p,
                       void (*add)(struct km_post *, const char *))
{
    yajl_val arr = km_json_get(obj, key, NULL);
    if (!YAJL_IS_ARRAY(arr)) {
        return;
    }
    for (size_t i = 0; i < arr->u.array.len; i++) {
        const char *s = YAJL_GET_STRING(arr->u.array.values[i]);
        if (s != NULL) {
            add(p, s);
        }
    }
}

static void pd_engagement(yajl_val obj, struct km_post *p)
{
    yajl_val e = km_json_get(obj, "engagement", NULL);
    int64_t *fields[] = {&p->engagement.likes, &p->engagement.reposts, &p->engagement.replies,
                         &p->engagement.views};
    const char *names[] = {"likes", "reposts", "replies", "views"};
    for (size_t i = 0; i < 4; i++) {
        int64_t v = -1;
        *fields[i] = km_json_int(e, names[i], &v) && v >= 0 ? v : -1;
    }
}

/* geo{lat,lon} with both numbers in range sets has_geo; anything else is ignored. */
static void pd_geo(yajl_val obj, struct km_post *p)
{
    yajl_val lat = km_json_get(obj, "geo", "lat", NULL);
    yajl_val lon = km_json_get(obj, "geo", "lon", NULL);
    if (!YAJL_IS_DOUBLE(lat) || !YAJL_IS_DOUBLE(lon)) {
        return;
    }
    double la = YAJL_GET_DOUBLE(lat), lo = YAJL_GET_DOUBLE(lon);
    if (fabs(la) <= 90.0 && fabs(lo) <= 180.0) {
        p->has_geo = true;
        p->lat = la;
        p->lon = lo;
    }
}

static int pd_strings_all(yajl_val root, struct km_post *p, struct km_err *err)
{
    int rc = KM_OK;
    if ((rc = pd_scalar(root, "network", &p->network, true, err)) != KM_OK ||
        (rc = pd_scalar(root, "id", &p->id, true, err)) != KM_OK ||
        (rc = pd_scalar(root, "text", &p->text, true, err)) != KM_OK) {
        return rc;
    }
    yajl_val author = km_json_get(root, "author", NULL);
    yajl_val chat = km_json_get(root, "chat", NULL);
    pd_scalar(root, "source", &p->source, false, err);
    pd_scalar(root, "url", &p->url, false, err);
    pd_scalar(author, "id", &p->author.id, false, err);
    pd_scalar(author, "name", &p->author.name, false, err);
    pd_scalar(author, "handle", &p->author.handle, false, err);
    pd_scalar(chat, "id", &p->chat.id, false, err);
    pd_scalar(chat, "title", &p->chat.title, false, err);
    pd_scalar(root, "lang", &p->lang, false, err);
    pd_scalar(root, "reply_to", &p->reply_to, false, err);
    return KM_OK;
}

/* "P1".."P4" (or a bare 1..4) into 1..4; 0 for anything else. */
static int pd_priority(yajl_val v)
{
    int64_t n = 0;
    if (YAJL_IS_INTEGER(v)) {
        n = YAJL_GET_INTEGER(v);
    } else if (YAJL_IS_STRING(v) && (v->u.string[0] == 'P' || v->u.string[0] == 'p') &&
               v->u.string[1] >= '1' && v->u.string[1] <= '4' && v->u.string[2] == '\0') {
        n = v->u.string[1] - '0';
    }
    return n >= 1 && n <= 4 ? (int)n : 0;
}

/* Exactly 16 hex digits into *out; anything else leaves it 0. */
static void pd_simhash(const char *s, uint64_t *out)
{
    if (s == NULL || strlen(s) != 16) {
        return;
    }
    for (size_t i = 0; i < 16; i++) {
        if (!isxdigit((unsigned char)s[i])) {
            return;
        }
    }
    *out = (uint64_t)strtoull(s, NULL, 16);
}

static void pd_reason(struct km_post *p, const char *r)
{
    km_post_add_reason(p, "%s", r);
}

/* triage{...}: present (an object) means scored. Tolerant like the optional fields above:
 * a value of the wrong type or out of range is left unset (urgency is clamped to 0..100,
 * an unparseable sla_due stays 0) rather than failing a post that is otherwise fine. */
static void pd_triage(yajl_val root, struct km_post *p)
{
    yajl_val t = km_json_get(root, "triage", NULL);
    if (!YAJL_IS_OBJECT(t)) {
        return;
    }
    struct km_post_triage *tr = &p->triage;
    struct km_err ignored = {{0}};
    tr->scored = true;
    pd_scalar(t, "category", &tr->category, false, &ignored);
    pd_scalar(t, "agency", &tr->agency, false, &ignored);
    pd_scalar(t, "fingerprint", &tr->fingerprint, false, &ignored);
    pd_scalar(t, "incident", &tr->incident, false, &ignored);
    pd_scalar(t, "dup_of", &tr->dup_of, false, &ignored);
    int64_t urgency = 0;
    if (km_json_int(t, "urgency", &urgency)) {
        tr->urgency = urgency < 0 ? 0 : urgency > 100 ? 100 : (int)urgency;
    }
    tr->priority = pd_priority(km_json_get(t, "priority", NULL));
    pd_strings(t, "reasons", p, pd_reason);
    if (pd_time(t, "sla_due", &tr->sla_due, &ignored) != KM_OK) {
        tr->sla_due = 0;
    }
    pd_simhash(km_json_str(t, "simhash"), &tr->simhash);
}

int km_post_from_json(const char *json, size_t len, struct km_post **out, struct km_err *err)
{
    yajl_val root = NULL;
    struct km_post *p = NULL;
    *out = NULL;
    int rc = km_json_parse(json, len, &root, NULL, err);
    if (rc != KM_OK) {
        goto out;
    }
    if (!YAJL_IS_OBJECT(root)) {
        rc = km_err_set(err, KM_EINPUT, "post: not a JSON object");
        goto out;
    }
    p = km_post_new();
    if ((rc = pd_strings_all(root, p, err)) != KM_OK ||
        (rc = pd_time(root, "created_at", &p->created_at, err)) != KM_OK ||
        (rc = pd_time(root, "collected_at", &p->collected_at, err)) != KM_OK) {
        goto out;
    }
    pd_strings(root, "hashtags", p, km_post_add_hashtag);
    pd_strings(root, "media", p, km_post_add_media);
    pd_engagement(root, p);
    pd_geo(root, p);
    pd_triage(root, p);
    bool edited = false;
    p->edited = km_json_bool(root, "edited", &edited) && edited;
    *out = p;
    p = NULL;
out:
    km_post_free(p);
    km_json_free(root);
    return rc;
}

/* ---- batches ----------------------------------------------------------------------- */

void km_post_batch_init(struct km_post_batch *b)
{
    memset(b, 0, sizeof(*b));
}

void km_post_batch_add_take(struct km_post_batch *b, struct km_post *p)
{
    if (b->n == b->cap) {
        b->cap = b->cap == 0 ? 16 : b->cap * 2;
        b->posts = km_realloc(b->posts, b->cap * sizeof(*b->posts));
    }
    b->posts[b->n++] = p;
}

void km_post_batch_clear(struct km_post_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        km_post_free(b->posts[i]);
    }
    b->n = 0;
    b->retry_after_ms = 0;
    b->skipped = 0;
    b->more = false;
}

void km_post_batch_free(struct km_post_batch *b)
{
    km_post_batch_clear(b);
    free(b->posts);
    memset(b, 0, sizeof(*b));
}
