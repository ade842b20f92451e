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
 * it every key is always present). Strings are escaped as yajl_gen escaped them (this file
 * used yajl_gen until the hand-written writer below, which is byte for byte the same).
 *
 * km_post_from_json() builds no tree: km_json_parse_events() hands each key and value over
 * as the parse goes, and the member tables below say where a value goes, so only the post's
 * own strings are copied. It reads exactly as the yajl_tree reader before it did: the first
 * of repeated keys counts, values of the wrong type are ignored, and the checks that fail a
 * post (required strings, then times) run once the whole document has parsed. */
#include "parser/post.h"

#include "common/alloc.h"
#include "common/buf.h"
#include "common/time.h"
#include "common/utf8.h"
#include "parser/json.h"

#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

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

/* Appends reason r (malloc'd) to p; p takes it. */
static void post_add_reason_take(struct km_post *p, char *r)
{
    p->triage.reasons =
        km_realloc(p->triage.reasons, (p->triage.n_reasons + 1) * sizeof(*p->triage.reasons));
    p->triage.reasons[p->triage.n_reasons++] = r;
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
    post_add_reason_take(p, r);
}

void km_post_set(char **field, const char *value)
{
    char *copy = km_strdup(value);
    free(*field);
    *field = copy;
}

static bool post_is_ascii(const char *s)
{
    for (; *s != '\0'; s++) {
        if ((unsigned char)*s >= 0x80) {
            return false;
        }
    }
    return true;
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
    if (post_is_ascii(tag)) {
        /* "109", "iKomek": folding and NFC change only A-Z in ASCII, so skip utf8proc */
        char *lower = tag[0] != '\0' ? km_strdup(tag) : NULL;
        for (char *c = lower; c != NULL && *c != '\0'; c++) {
            *c = *c >= 'A' && *c <= 'Z' ? (char)(*c - 'A' + 'a') : *c;
        }
        return lower;
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

/* Appends a string literal: punctuation and keys, which need no escaping. */
#define PG_LIT(b, lit) km_buf_append((b), (lit), sizeof(lit) - 1)

/* A string value (null for NULL), repaired first if it is not valid UTF-8. */
static void pg_str(struct km_buf *b, const char *s)
{
    if (s == NULL) {
        PG_LIT(b, "null");
        return;
    }
    size_t len = strlen(s);
    if (km_utf8_valid(s, len, NULL)) {
        km_json_escape_gen(b, s, len);
        return;
    }
    char *clean = km_utf8_clean(s, len, NULL);
    km_json_escape_gen(b, clean, strlen(clean));
    free(clean);
}

/* A key (a literal with its punctuation) and a string value. */
#define PG_KSTR(b, lit, s)                                                                         \
    do {                                                                                           \
        PG_LIT(b, lit);                                                                            \
        pg_str(b, s);                                                                              \
    } while (0)

/* An integer as yajl_gen_integer() writes it ("%lld"). */
static void pg_int(struct km_buf *b, int64_t v)
{
    char digits[KM_FMT_I64_MAX];
    km_buf_append(b, digits, km_fmt_i64(digits, v));
}

/* Latest time a four-digit RFC 3339 year can say (9999-12-31T23:59:59.999Z): what
 * km_time_parse_rfc3339() reads back, from 1970 on. */
#define PG_TIME_MAX_MS 253402300799999LL

/* An RFC 3339 UTC time, or null when unknown (0) or outside 1970..9999: a network's date
 * of year 56895037 would otherwise make a post that no reader (km_post_from_json) accepts. */
static void pg_time(struct km_buf *b, int64_t ms)
{
    char tbuf[40];
    if (ms <= 0 || ms > PG_TIME_MAX_MS) {
        PG_LIT(b, "null");
        return;
    }
    km_buf_putc(b, '"');
    km_buf_puts(b, km_time_format_rfc3339(ms, tbuf, sizeof(tbuf)));
    km_buf_putc(b, '"');
}

/* The shortest decimal that reads back as the same double ("51.1282", not yajl's %.20g). */
static void pg_double(struct km_buf *b, double d)
{
    char nbuf[40];
    int n = snprintf(nbuf, sizeof(nbuf), "%.15g", d);
    if (strtod(nbuf, NULL) != d) {
        n = snprintf(nbuf, sizeof(nbuf), "%.17g", d);
    }
    km_buf_append(b, nbuf, (size_t)n);
}

static void pg_strings(struct km_buf *b, char *const *list, size_t n)
{
    km_buf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            km_buf_putc(b, ',');
        }
        pg_str(b, list[i]);
    }
    km_buf_putc(b, ']');
}

/* engagement{}: the counters that are known (not -1), in a fixed order. */
static void pg_engagement(struct km_buf *b, const struct km_post *p)
{
    static const char *const keys[] = {"\"likes\":", "\"reposts\":", "\"replies\":", "\"views\":"};
    const int64_t values[] = {p->engagement.likes, p->engagement.reposts, p->engagement.replies,
                              p->engagement.views};
    bool first = true;
    PG_LIT(b, ",\"engagement\":{");
    for (size_t i = 0; i < 4; i++) {
        if (values[i] >= 0) {
            if (!first) {
                km_buf_putc(b, ',');
            }
            km_buf_puts(b, keys[i]);
            pg_int(b, values[i]);
            first = false;
        }
    }
    km_buf_putc(b, '}');
}

static void pg_people(struct km_buf *b, const struct km_post *p)
{
    PG_KSTR(b, ",\"author\":{\"id\":", p->author.id);
    PG_KSTR(b, ",\"name\":", p->author.name);
    PG_KSTR(b, ",\"handle\":", p->author.handle);
    PG_KSTR(b, "},\"chat\":{\"id\":", p->chat.id);
    PG_KSTR(b, ",\"title\":", p->chat.title);
    km_buf_putc(b, '}');
}

/* simhash as 16 lower-case hex digits in quotes (a JSON number cannot carry 64 bits exactly). */
static void pg_hex64(struct km_buf *b, uint64_t v)
{
    char out[18];
    out[0] = out[17] = '"';
    km_fmt_hex64(out + 1, v);
    km_buf_append(b, out, sizeof(out));
}

/* triage{...} (only for a scored post): priority as "P1".."P4", sla_due as RFC 3339, simhash
 * as hex; null for what is unknown. */
static void pg_triage(struct km_buf *b, const struct km_post_triage *t)
{
    PG_KSTR(b, ",\"triage\":{\"category\":", t->category);
    PG_LIT(b, ",\"urgency\":");
    pg_int(b, t->urgency);
    PG_LIT(b, ",\"priority\":");
    if (t->priority >= 1 && t->priority <= 4) {
        char prio[4] = {'"', 'P', (char)('0' + t->priority), '"'};
        km_buf_append(b, prio, sizeof(prio));
    } else {
        PG_LIT(b, "null");
    }
    PG_LIT(b, ",\"reasons\":");
    pg_strings(b, t->reasons, t->n_reasons);
    PG_LIT(b, ",\"sla_due\":");
    pg_time(b, t->sla_due);
    PG_KSTR(b, ",\"agency\":", t->agency);
    PG_KSTR(b, ",\"fingerprint\":", t->fingerprint);
    PG_LIT(b, ",\"simhash\":");
    pg_hex64(b, t->simhash);
    PG_KSTR(b, ",\"incident\":", t->incident);
    PG_KSTR(b, ",\"dup_of\":", t->dup_of);
    km_buf_putc(b, '}');
}

static void pg_post(struct km_buf *b, const struct km_post *p)
{
    PG_KSTR(b, "{\"network\":", p->network);
    PG_KSTR(b, ",\"source\":", p->source);
    PG_KSTR(b, ",\"id\":", p->id);
    PG_KSTR(b, ",\"url\":", p->url);
    pg_people(b, p);
    PG_KSTR(b, ",\"text\":", p->text);
    PG_KSTR(b, ",\"lang\":", p->lang);
    PG_LIT(b, ",\"created_at\":");
    pg_time(b, p->created_at);
    PG_LIT(b, ",\"collected_at\":");
    pg_time(b, p->collected_at);
    PG_LIT(b, ",\"hashtags\":");
    pg_strings(b, p->hashtags, p->n_hashtags);
    PG_KSTR(b, ",\"reply_to\":", p->reply_to);
    pg_engagement(b, p);
    if (p->has_geo && isfinite(p->lat) && isfinite(p->lon)) {
        PG_LIT(b, ",\"geo\":{\"lat\":");
        pg_double(b, p->lat);
        PG_LIT(b, ",\"lon\":");
        pg_double(b, p->lon);
        km_buf_putc(b, '}');
    }
    PG_LIT(b, ",\"media\":");
    pg_strings(b, p->media, p->n_media);
    if (p->edited) {
        PG_LIT(b, ",\"edited\":true");
    }
    if (p->triage.scored) {
        pg_triage(b, &p->triage);
    }
    km_buf_putc(b, '}');
}

/* Room reserved for a post's JSON: most are 400-900 bytes, so one allocation instead of the
 * buffer doubling from 64 bytes four or five times. */
#define PG_JSON_RESERVE 1024

char *km_post_to_json(const struct km_post *p)
{
    struct km_buf b = KM_BUF_INIT;
    km_buf_reserve(&b, PG_JSON_RESERVE);
    pg_post(&b, p);
    return km_buf_take(&b);
}

/* ---- decoding ---------------------------------------------------------------------- */

/* How the value of a member the reader knows is read (post.h's rules). A value of another
 * type than the kind takes leaves the field unset. */
enum pd_kind {
    PD_TEXT,     /* string or number (ids may be numbers): the char * at offset */
    PD_TIME,     /* RFC 3339 string: the int64_t at offset; null leaves 0, else an error */
    PD_SLA,      /* triage.sla_due: an RFC 3339 string, anything else leaves 0 */
    PD_HASHTAGS, /* array: its strings through km_post_add_hashtag() */
    PD_MEDIA,    /* array: its strings through km_post_add_media() */
    PD_REASONS,  /* array: its strings as triage reasons */
    PD_COUNT,    /* engagement counter at offset: an integer >= 0 */
    PD_URGENCY,  /* an integer, clamped to 0..100 */
    PD_PRIORITY, /* "P1".."P4" ("p" too) or 1..4 */
    PD_SIMHASH,  /* exactly 16 hex digits */
    PD_LAT,      /* a number; geo{} counts only with lat and lon both in range */
    PD_LON,      /* a number */
    PD_EDITED,   /* true */
    PD_OBJECT,   /* an object with the members of .object */
};

struct pd_object;

/* A member the reader knows. */
struct pd_member {
    const char *name;
    size_t len;
    enum pd_kind kind;
    size_t offset;                  /* PD_TEXT, PD_TIME, PD_COUNT: the field in struct km_post */
    const struct pd_object *object; /* PD_OBJECT */
};

struct pd_object {
    const struct pd_member *members; /* at most 32: struct pd_level's seen */
    size_t n;
};

/* A member's name and its length (the first two fields of struct pd_member); a field's offset. */
#define PD_NAME(s)   s, sizeof(s) - 1
#define PD_AT(field) offsetof(struct km_post, field)
#define PD_ELEMS(a)  (sizeof(a) / sizeof((a)[0]))

static const struct pd_member pd_author_members[] = {
    {PD_NAME("id"), PD_TEXT, PD_AT(author.id), NULL},
    {PD_NAME("name"), PD_TEXT, PD_AT(author.name), NULL},
    {PD_NAME("handle"), PD_TEXT, PD_AT(author.handle), NULL},
};
static const struct pd_member pd_chat_members[] = {
    {PD_NAME("id"), PD_TEXT, PD_AT(chat.id), NULL},
    {PD_NAME("title"), PD_TEXT, PD_AT(chat.title), NULL},
};
static const struct pd_member pd_engagement_members[] = {
    {PD_NAME("likes"), PD_COUNT, PD_AT(engagement.likes), NULL},
    {PD_NAME("reposts"), PD_COUNT, PD_AT(engagement.reposts), NULL},
    {PD_NAME("replies"), PD_COUNT, PD_AT(engagement.replies), NULL},
    {PD_NAME("views"), PD_COUNT, PD_AT(engagement.views), NULL},
};
static const struct pd_member pd_geo_members[] = {
    {PD_NAME("lat"), PD_LAT, 0, NULL},
    {PD_NAME("lon"), PD_LON, 0, NULL},
};
static const struct pd_member pd_triage_members[] = {
    {PD_NAME("category"), PD_TEXT, PD_AT(triage.category), NULL},
    {PD_NAME("urgency"), PD_URGENCY, 0, NULL},
    {PD_NAME("priority"), PD_PRIORITY, 0, NULL},
    {PD_NAME("reasons"), PD_REASONS, 0, NULL},
    {PD_NAME("sla_due"), PD_SLA, 0, NULL},
    {PD_NAME("agency"), PD_TEXT, PD_AT(triage.agency), NULL},
    {PD_NAME("fingerprint"), PD_TEXT, PD_AT(triage.fingerprint), NULL},
    {PD_NAME("simhash"), PD_SIMHASH, 0, NULL},
    {PD_NAME("incident"), PD_TEXT, PD_AT(triage.incident), NULL},
    {PD_NAME("dup_of"), PD_TEXT, PD_AT(triage.dup_of), NULL},
};
static const struct pd_object pd_author = {pd_author_members, PD_ELEMS(pd_author_members)};
static const struct pd_object pd_chat = {pd_chat_members, PD_ELEMS(pd_chat_members)};
static const struct pd_object pd_engagement = {pd_engagement_members,
                                               PD_ELEMS(pd_engagement_members)};
static const struct pd_object pd_geo = {pd_geo_members, PD_ELEMS(pd_geo_members)};
static const struct pd_object pd_triage = {pd_triage_members, PD_ELEMS(pd_triage_members)};

/* The post's members. created_at comes before collected_at: the first of them that is not a
 * time is the one reported. */
static const struct pd_member pd_post_members[] = {
    {PD_NAME("network"), PD_TEXT, PD_AT(network), NULL},
    {PD_NAME("source"), PD_TEXT, PD_AT(source), NULL},
    {PD_NAME("id"), PD_TEXT, PD_AT(id), NULL},
    {PD_NAME("url"), PD_TEXT, PD_AT(url), NULL},
    {PD_NAME("author"), PD_OBJECT, 0, &pd_author},
    {PD_NAME("chat"), PD_OBJECT, 0, &pd_chat},
    {PD_NAME("text"), PD_TEXT, PD_AT(text), NULL},
    {PD_NAME("lang"), PD_TEXT, PD_AT(lang), NULL},
    {PD_NAME("created_at"), PD_TIME, PD_AT(created_at), NULL},
    {PD_NAME("collected_at"), PD_TIME, PD_AT(collected_at), NULL},
    {PD_NAME("hashtags"), PD_HASHTAGS, 0, NULL},
    {PD_NAME("reply_to"), PD_TEXT, PD_AT(reply_to), NULL},
    {PD_NAME("engagement"), PD_OBJECT, 0, &pd_engagement},
    {PD_NAME("geo"), PD_OBJECT, 0, &pd_geo},
    {PD_NAME("media"), PD_MEDIA, 0, NULL},
    {PD_NAME("edited"), PD_EDITED, 0, NULL},
    {PD_NAME("triage"), PD_OBJECT, 0, &pd_triage},
};
static const struct pd_object pd_post = {pd_post_members, PD_ELEMS(pd_post_members)};
_Static_assert(PD_ELEMS(pd_post_members) <= 32, "struct pd_level's seen has a bit per member");

/* Containers the reader follows at once: the post, triage{} and its reasons[]. */
#define PD_MAX_LEVELS 3

/* An open container the reader follows. */
struct pd_level {
    const struct pd_object *object; /* NULL for an array */
    enum pd_kind array;             /* an array's kind: PD_HASHTAGS, PD_MEDIA or PD_REASONS */
    uint32_t seen; /* members met: a repeated key is skipped, as the tree's look-ups found the
                      first */
};

/* One km_post_from_json(): the post being filled and where in the document the parse is. */
struct pd_reader {
    struct km_post *p;
    struct pd_level levels[PD_MAX_LEVELS];
    size_t n_levels;
    size_t skip;                      /* > 0 inside a value nobody reads: its open brackets */
    const struct pd_member *next;     /* the member whose value comes next; NULL: skip it */
    bool object;                      /* the document is an object */
    const struct pd_member *bad_time; /* the first time member that is not RFC 3339 */
    bool has_lat, has_lon;
    double lat, lon;
    struct km_buf scratch; /* a NUL-terminated copy of the current string */
};

/* A NUL-terminated copy of text[0..len), valid until the next call. */
static const char *pd_cstr(struct pd_reader *r, const char *text, size_t len)
{
    km_buf_reset(&r->scratch);
    km_buf_append(&r->scratch, text, len);
    return r->scratch.data;
}

/* An RFC 3339 time at text[0..len) into *ms; false (*ms untouched) if it is not one. */
static bool pd_time(struct pd_reader *r, const char *text, size_t len, int64_t *ms)
{
    int64_t v = 0;
    if (km_time_parse_rfc3339(pd_cstr(r, text, len), &v) != KM_OK) {
        return false;
    }
    *ms = v;
    return true;
}

/* "P1".."P4" (or "p1".., or a bare 1..4) into 1..4; 0 for anything else. */
static int pd_priority(enum km_json_event ev, const char *text, size_t len)
{
    int64_t n = 0;
    if (ev == KM_JSON_NUMBER) {
        km_json_number_int(text, len, &n);
    } else if (ev == KM_JSON_STRING && len == 2 && (text[0] == 'P' || text[0] == 'p') &&
               text[1] >= '1' && text[1] <= '4') {
        n = text[1] - '0';
    }
    return n >= 1 && n <= 4 ? (int)n : 0;
}

/* Exactly 16 hex digits into *out; anything else leaves it 0. */
static void pd_simhash(const char *text, size_t len, uint64_t *out)
{
    char hex[17];
    if (len != 16) {
        return;
    }
    for (size_t i = 0; i < 16; i++) {
        if (!isxdigit((unsigned char)text[i])) {
            return;
        }
    }
    memcpy(hex, text, 16);
    hex[16] = '\0';
    *out = (uint64_t)strtoull(hex, NULL, 16);
}

static void pd_push(struct pd_reader *r, const struct pd_object *object, enum pd_kind array)
{
    assert(r->n_levels < PD_MAX_LEVELS); /* the tables above nest no deeper */
    struct pd_level *l = &r->levels[r->n_levels++];
    l->object = object;
    l->array = array;
    l->seen = 0;
}

/* The numbers: engagement counters, urgency and the coordinates. */
static void pd_number(struct pd_reader *r, const struct pd_member *m, const char *text, size_t len)
{
    struct km_post *p = r->p;
    int64_t n = 0;
    switch (m->kind) {
    case PD_COUNT:
        if (km_json_number_int(text, len, &n) && n >= 0) {
            *(int64_t *)(void *)((char *)p + m->offset) = n;
        }
        break;
    case PD_URGENCY:
        if (km_json_number_int(text, len, &n)) {
            p->triage.urgency = n < 0 ? 0 : n > 100 ? 100 : (int)n;
        }
        break;
    case PD_LAT:
        r->has_lat = km_json_number_double(text, len, &r->lat);
        break;
    case PD_LON:
        r->has_lon = km_json_number_double(text, len, &r->lon);
        break;
    default:
        break;
    }
}

/* The value of member m of the innermost object. */
static void pd_value(struct pd_reader *r, const struct pd_member *m, enum km_json_event ev,
                     const char *text, size_t len)
{
    struct km_post *p = r->p;
    bool string = ev == KM_JSON_STRING;
    switch (m->kind) {
    case PD_TEXT:
        if (string || ev == KM_JSON_NUMBER) {
            *(char **)(void *)((char *)p + m->offset) = km_strndup(text, len);
        }
        break;
    case PD_TIME:
        if (ev != KM_JSON_NULL &&
            (!string || !pd_time(r, text, len, (int64_t *)(void *)((char *)p + m->offset))) &&
            (r->bad_time == NULL || m < r->bad_time)) {
            r->bad_time = m;
        }
        break;
    case PD_SLA:
        if (string) {
            pd_time(r, text, len, &p->triage.sla_due);
        }
        break;
    case PD_HASHTAGS:
    case PD_MEDIA:
    case PD_REASONS:
        if (ev == KM_JSON_ARRAY_START) {
            pd_push(r, NULL, m->kind);
        }
        break;
    case PD_OBJECT:
        if (ev == KM_JSON_OBJECT_START) {
            pd_push(r, m->object, PD_OBJECT);
            p->triage.scored = p->triage.scored || m->object == &pd_triage;
        }
        break;
    case PD_PRIORITY:
        p->triage.priority = pd_priority(ev, text, len);
        break;
    case PD_SIMHASH:
        if (string) {
            pd_simhash(text, len, &p->triage.simhash);
        }
        break;
    case PD_EDITED:
        p->edited = ev == KM_JSON_TRUE;
        break;
    default:
        if (ev == KM_JSON_NUMBER) {
            pd_number(r, m, text, len);
        }
        break;
    }
}

/* A string element of hashtags[], media[] or triage.reasons[]; other elements are skipped. */
static void pd_element(struct pd_reader *r, enum pd_kind array, enum km_json_event ev,
                       const char *text, size_t len)
{
    if (ev != KM_JSON_STRING) {
        return;
    }
    if (array == PD_HASHTAGS) {
        km_post_add_hashtag(r->p, pd_cstr(r, text, len));
    } else if (array == PD_MEDIA) {
        km_post_add_media(r->p, pd_cstr(r, text, len));
    } else {
        post_add_reason_take(r->p, km_strndup(text, len)); /* km_post_add_reason(p, "%s", ...) */
    }
}

/* A key of the innermost object: its member, unless unknown or met before. */
static void pd_key(struct pd_reader *r, const char *key, size_t len)
{
    struct pd_level *l = &r->levels[r->n_levels - 1];
    const struct pd_object *o = l->object;
    r->next = NULL;
    for (size_t i = 0; i < o->n; i++) {
        const struct pd_member *m = &o->members[i];
        if (m->len == len && memcmp(m->name, key, len) == 0) {
            if ((l->seen & (UINT32_C(1) << i)) == 0) {
                l->seen |= UINT32_C(1) << i;
                r->next = m;
            }
            return;
        }
    }
}

static bool pd_opens(enum km_json_event ev)
{
    return ev == KM_JSON_OBJECT_START || ev == KM_JSON_ARRAY_START;
}

static bool pd_closes(enum km_json_event ev)
{
    return ev == KM_JSON_OBJECT_END || ev == KM_JSON_ARRAY_END;
}

/* km_json_parse_events() handler: fills r->p as the document goes by. A container that no
 * rule reads (unknown member, wrong type, nested in an array) is skipped whole. */
static void pd_event(void *ctx, enum km_json_event ev, const char *text, size_t len)
{
    struct pd_reader *r = ctx;
    if (r->skip > 0) {
        r->skip += pd_opens(ev) ? 1 : 0;
        r->skip -= pd_closes(ev) ? 1 : 0;
        return;
    }
    if (pd_closes(ev)) {
        r->n_levels--;
        return;
    }
    if (ev == KM_JSON_KEY) {
        pd_key(r, text, len);
        return;
    }
    size_t levels = r->n_levels;
    const struct pd_member *m = r->next;
    r->next = NULL;
    if (levels == 0) {
        r->object = ev == KM_JSON_OBJECT_START;
        if (r->object) {
            pd_push(r, &pd_post, PD_OBJECT);
        }
    } else if (r->levels[levels - 1].object == NULL) {
        pd_element(r, r->levels[levels - 1].array, ev, text, len);
    } else if (m != NULL) {
        pd_value(r, m, ev, text, len);
    }
    if (pd_opens(ev) && r->n_levels == levels) {
        r->skip = 1;
    }
}

/* What only the end tells: the document was an object with network, id and text, its times
 * were RFC 3339 (checked in that order, as the tree reader did), and geo{} had both
 * coordinates in range. */
static int pd_finish(struct pd_reader *r, struct km_err *err)
{
    struct km_post *p = r->p;
    const char *const required[] = {"network", "id", "text"};
    const char *const values[] = {p->network, p->id, p->text};
    if (!r->object) {
        return km_err_set(err, KM_EINPUT, "post: not a JSON object");
    }
    for (size_t i = 0; i < 3; i++) {
        if (values[i] == NULL) {
            return km_err_set(err, KM_EINPUT, "post: missing or non-string \"%s\"", required[i]);
        }
    }
    if (r->bad_time != NULL) {
        return km_err_set(err, KM_EINPUT, "post: \"%s\" is not an RFC 3339 time",
                          r->bad_time->name);
    }
    if (r->has_lat && r->has_lon && fabs(r->lat) <= 90.0 && fabs(r->lon) <= 180.0) {
        p->has_geo = true;
        p->lat = r->lat;
        p->lon = r->lon;
    }
    return KM_OK;
}

int km_post_from_json(const char *json, size_t len, struct km_post **out, struct km_err *err)
{
    struct pd_reader r = {.p = km_post_new(), .scratch = KM_BUF_INIT};
    *out = NULL;
    int rc = km_json_parse_events(json, len, pd_event, &r, err);
    if (rc == KM_OK) {
        rc = pd_finish(&r, err);
    }
    if (rc == KM_OK) {
        *out = r.p;
        r.p = NULL;
    }
    km_post_free(r.p);
    km_buf_free(&r.scratch);
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
