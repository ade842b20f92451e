#include "db/places.h"

#include "common/alloc.h"
#include "common/buf.h"
#include "common/utf8.h"
#include "db/sql.h"
#include "parser/json.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* Kinds in the order of the [section] names; the strings are what the places table holds. */
static const char *const pl_kinds[] = {"district", "street", "microdistrict", "place"};
#define PL_N_KINDS (sizeof(pl_kinds) / sizeof(pl_kinds[0]))

/* State of one load. */
struct pl_loader {
    struct km_places *places;
    size_t cap;
    const char *kind;     /* current section's kind; NULL before the first section */
    struct km_place *cur; /* the latest NAME = line, which an indented line continues */
    char why[KM_ERR_MSG_MAX];
};

static char *pl_trim(char *s)
{
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) {
        s[--n] = '\0';
    }
    return s;
}

/* Lower case (simple case mapping) with ё read as е, as km_lower() in 004_reports.sql.
 * Returns a new string (free()) and its length in characters; s is valid UTF-8. */
static char *pl_normalise(const char *s, size_t *chars)
{
    struct km_buf b = KM_BUF_INIT;
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t len = 0;
    *chars = 0;
    while (*p != '\0' && (len = utf8proc_iterate(p, -1, &cp)) > 0) {
        cp = utf8proc_tolower(cp);
        cp = cp == 0x0451 ? 0x0435 : cp; /* ё -> е */
        utf8proc_uint8_t enc[4];
        km_buf_append(&b, enc, (size_t)utf8proc_encode_char(cp, enc));
        p += len;
        (*chars)++;
    }
    km_buf_putc(&b, '\0'); /* an empty pattern still gets a string */
    return km_buf_take(&b);
}

/* Adds one pattern (not trimmed yet) to place; NULL or why it is bad. */
static const char *pl_pattern(struct pl_loader *ld, struct km_place *place, char *raw)
{
    char *s = pl_trim(raw);
    if (*s == '\0') {
        return "empty pattern (two commas in a row, or nothing after =)";
    }
    if (strlen(s) > KM_PLACES_MAX_VALUE) {
        return "pattern longer than 200 bytes";
    }
    size_t chars = 0;
    char *norm = pl_normalise(s, &chars);
    if (chars < KM_PLACES_MIN_PATTERN) {
        snprintf(ld->why, sizeof(ld->why),
                 "pattern '%s' shorter than %d characters (it would match inside other words)", s,
                 KM_PLACES_MIN_PATTERN);
        free(norm);
        return ld->why;
    }
    for (size_t i = 0; i < place->n_patterns; i++) {
        if (strcmp(place->patterns[i], norm) == 0) {
            snprintf(ld->why, sizeof(ld->why), "pattern '%s' given twice for '%s'", s, place->name);
            free(norm);
            return ld->why;
        }
    }
    place->patterns = km_realloc(place->patterns, (place->n_patterns + 1) * sizeof(char *));
    place->patterns[place->n_patterns++] = norm;
    return NULL;
}

/* Adds the comma-separated patterns of list to ld->cur; NULL or why one is bad. A comma at
 * the end of the line is allowed (the list goes on on the next, indented line). */
static const char *pl_patterns(struct pl_loader *ld, char *list)
{
    char *item = list;
    for (;;) {
        char *comma = strchr(item, ',');
        if (comma != NULL) {
            *comma = '\0';
            if (*pl_trim(comma + 1) == '\0' && *pl_trim(item) != '\0') {
                comma = NULL; /* trailing comma */
            }
        }
        const char *bad = pl_pattern(ld, ld->cur, item);
        if (bad != NULL) {
            return bad;
        }
        if (comma == NULL) {
            return NULL;
        }
        item = comma + 1;
    }
}

/* Starts a place from "NAME = LIST" (s trimmed, eq at the '='); NULL or why it is bad. */
static const char *pl_entry(struct pl_loader *ld, char *s, char *eq, int lineno)
{
    *eq = '\0';
    char *name = pl_trim(s);
    if (*name == '\0') {
        return "want NAME = pattern, pattern, ...";
    }
    if (strlen(name) > KM_PLACES_MAX_VALUE) {
        return "name longer than 200 bytes";
    }
    struct km_places *pl = ld->places;
    for (size_t i = 0; i < pl->n; i++) {
        if (strcmp(pl->items[i].name, name) == 0) {
            snprintf(ld->why, sizeof(ld->why), "'%s' given twice (first on line %d)", name,
                     pl->items[i].line);
            return ld->why;
        }
    }
    if (pl->n == KM_PLACES_MAX) {
        return "more than 5000 places";
    }
    if (pl->n == ld->cap) {
        ld->cap = ld->cap ? 2 * ld->cap : 64;
        pl->items = km_realloc(pl->items, ld->cap * sizeof(*pl->items));
    }
    ld->cur = &pl->items[pl->n++];
    *ld->cur = (struct km_place){.name = km_strdup(name), .kind = ld->kind, .line = lineno};
    return pl_patterns(ld, eq + 1);
}

/* A [section] header; NULL or why it is bad. */
static const char *pl_section(struct pl_loader *ld, const char *s)
{
    size_t n = strlen(s);
    ld->kind = NULL;
    ld->cur = NULL;
    for (size_t i = 0; s[n - 1] == ']' && i < PL_N_KINDS; i++) {
        if (n == strlen(pl_kinds[i]) + 2 && strncmp(s + 1, pl_kinds[i], n - 2) == 0) {
            ld->kind = pl_kinds[i];
            return NULL;
        }
    }
    return "unknown section (district, street, microdistrict, place)";
}

/* Handles one line; returns NULL or why it is bad. */
static const char *pl_line(struct pl_loader *ld, char *line, int lineno)
{
    size_t len = strlen(line);
    if (!km_utf8_valid(line, len, NULL)) {
        ld->cur = NULL;
        return "invalid UTF-8";
    }
    bool indented = line[0] == ' ' || line[0] == '\t';
    char *s = pl_trim(line);
    if (*s == '\0') {
        ld->cur = NULL; /* a blank line ends a NAME = line's continuation */
        return NULL;
    }
    if (*s == '#' || *s == ';') {
        return NULL;
    }
    if (*s == '[') {
        return pl_section(ld, s);
    }
    char *eq = strchr(s, '=');
    if (indented && eq == NULL) {
        return ld->cur != NULL ? pl_patterns(ld, s) : "indented line continues no NAME = line";
    }
    ld->cur = NULL;
    if (eq == NULL) {
        return "want NAME = pattern, pattern, ...";
    }
    if (ld->kind == NULL) {
        return "NAME = outside a section ([district], [street], [microdistrict], [place])";
    }
    return pl_entry(ld, s, eq, lineno);
}

void km_places_free(struct km_places *places)
{
    if (places == NULL) {
        return;
    }
    for (size_t i = 0; i < places->n; i++) {
        for (size_t j = 0; j < places->items[i].n_patterns; j++) {
            free(places->items[i].patterns[j]);
        }
        free(places->items[i].patterns);
        free(places->items[i].name);
    }
    free(places->items);
    free(places->order);
    free(places->slots);
    free(places->by_key);
    free(places);
}

static int pl_rank(const char *kind)
{
    return strcmp(kind, "street") == 0          ? 0
           : strcmp(kind, "microdistrict") == 0 ? 1
           : strcmp(kind, "place") == 0         ? 2
                                                : 3;
}

/* place_of()'s ORDER BY: kind, longest pattern first, name (byte order: the database's
 * collation may break a tie of two names otherwise, which no shipped file has). */
static int pl_order_cmp(const void *a, const void *b)
{
    const struct km_place_pattern *x = a, *y = b;
    if (x->rank != y->rank) {
        return x->rank < y->rank ? -1 : 1;
    }
    if (x->chars != y->chars) {
        return x->chars > y->chars ? -1 : 1;
    }
    return strcmp(x->name, y->name);
}

static void pl_index(struct km_places *places);

/* Fills places->order from its items. */
static void pl_order(struct km_places *places)
{
    places->n_order = km_places_patterns(places);
    places->order = km_calloc(places->n_order + 1, sizeof(*places->order));
    size_t k = 0;
    for (size_t i = 0; i < places->n; i++) {
        const struct km_place *pl = &places->items[i];
        for (size_t j = 0; j < pl->n_patterns; j++) {
            size_t chars = 0;
            for (const char *c = pl->patterns[j]; *c != '\0'; c++) {
                chars += ((unsigned char)*c & 0xC0) != 0x80;
            }
            places->order[k++] = (struct km_place_pattern){.pattern = pl->patterns[j],
                                                           .name = pl->name,
                                                           .rank = pl_rank(pl->kind),
                                                           .chars = chars,
                                                           .bytes = strlen(pl->patterns[j])};
        }
    }
    qsort(places->order, places->n_order, sizeof(*places->order), pl_order_cmp);
    pl_index(places);
}

/* The first four bytes of s (at least four readable), as the index keys them. */
static uint32_t pl_key(const char *s)
{
    uint32_t k;
    memcpy(&k, s, sizeof(k));
    return k;
}

/* The slot of key: its own, or the free one where it would go. */
static struct km_places_slot *pl_slot(const struct km_places *places, uint32_t key)
{
    size_t mask = places->n_slots - 1;
    size_t i = (size_t)((key * 0x9E3779B1u) >> 7) & mask;
    while (places->slots[i].count != 0 && places->slots[i].key != key) {
        i = (i + 1) & mask;
    }
    return &places->slots[i];
}

/* Builds slots and by_key from order: counts per key, then each group's order indices in
 * ascending order (a counting sort over the slots). */
static void pl_index(struct km_places *places)
{
    places->n_slots = 8;
    while (places->n_slots < 2 * places->n_order) {
        places->n_slots *= 2;
    }
    places->slots = km_calloc(places->n_slots, sizeof(*places->slots));
    places->by_key = km_calloc(places->n_order + 1, sizeof(*places->by_key));
    for (size_t i = 0; i < places->n_order; i++) {
        struct km_places_slot *sl = pl_slot(places, pl_key(places->order[i].pattern));
        sl->key = pl_key(places->order[i].pattern);
        sl->count++;
    }
    uint32_t next = 0;
    for (size_t i = 0; i < places->n_slots; i++) {
        places->slots[i].first = next;
        next += places->slots[i].count;
        places->slots[i].count = 0; /* refilled below */
    }
    for (size_t i = 0; i < places->n_order; i++) {
        struct km_places_slot *sl = pl_slot(places, pl_key(places->order[i].pattern));
        places->by_key[sl->first + sl->count++] = (uint32_t)i;
    }
}

/* The smallest order index below best of a pattern that starts at low[at]. */
static size_t pl_match_at(const struct km_places *places, const char *low, size_t len, size_t at,
                          size_t best)
{
    const struct km_places_slot *sl = pl_slot(places, pl_key(low + at));
    for (uint32_t j = 0; j < sl->count; j++) {
        size_t i = places->by_key[sl->first + j];
        if (i >= best) {
            break;
        }
        const struct km_place_pattern *pat = &places->order[i];
        if (pat->bytes <= len - at && memcmp(low + at, pat->pattern, pat->bytes) == 0) {
            return i;
        }
    }
    return best;
}

/* Every pattern has at least four bytes, so one index lookup per byte of the text finds
 * each occurrence of every pattern: the same answer as trying strstr() with each pattern in
 * order, in one pass. */
const char *km_places_find(const struct km_places *places, const char *text)
{
    if (places == NULL || places->n_order == 0 || text == NULL) {
        return NULL;
    }
    size_t chars = 0;
    char *low = pl_normalise(text, &chars);
    size_t len = strlen(low), best = places->n_order;
    for (size_t at = 0; at + 4 <= len && best > 0; at++) {
        best = pl_match_at(places, low, len, at, best);
    }
    free(low);
    return best < places->n_order ? places->order[best].name : NULL;
}

size_t km_places_patterns(const struct km_places *places)
{
    size_t n = 0;
    for (size_t i = 0; places != NULL && i < places->n; i++) {
        n += places->items[i].n_patterns;
    }
    return n;
}

/* Reports one bad line; the first one also goes into err. */
static void pl_bad(const char *path, int lineno, const char *msg, FILE *report, int *bad,
                   struct km_err *err)
{
    if (report != NULL) {
        fprintf(report, "%s:%d: %s\n", path, lineno, msg);
    }
    if ((*bad)++ == 0) {
        km_err_set(err, KM_EINPUT, "%s:%d: %s", path, lineno, msg);
    }
}

int km_places_load(const char *path, FILE *report, struct km_places **out, struct km_err *err)
{
    struct pl_loader ld = {.places = km_calloc(1, sizeof(struct km_places))};
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, bad = 0, rc = KM_OK;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        rc = km_err_set(err, KM_ERR, "%s: cannot open: %s", path, strerror(errno));
        goto out;
    }
    while (getline(&line, &cap, f) >= 0) {
        const char *msg = pl_line(&ld, line, ++lineno);
        if (msg != NULL) {
            pl_bad(path, lineno, msg, report, &bad, err);
        }
    }
    rc = ferror(f) ? km_err_set(err, KM_ERR, "%s: read error", path) : bad ? KM_EINPUT : KM_OK;
    if (rc == KM_OK) {
        pl_order(ld.places);
    }
out:
    if (f != NULL) {
        fclose(f);
    }
    free(line);
    if (rc != KM_OK) {
        km_places_free(ld.places);
        ld.places = NULL;
    }
    *out = ld.places;
    return rc;
}

/* ---- sync ---------------------------------------------------------------------------- */

/* Whether the places table already holds exactly $1 (patterns in order). */
static const char PL_SQL_SAME[] =
    "SELECT coalesce((SELECT jsonb_agg(jsonb_build_array(name, kind, to_jsonb(patterns))"
    "                                  ORDER BY name) FROM places), '[]')"
    "     = coalesce((SELECT jsonb_agg(jsonb_build_array(x.n, x.k, x.p) ORDER BY x.n)"
    "                 FROM jsonb_to_recordset($1::jsonb) AS x(n text, k text, p jsonb)), '[]')";

static const char PL_SQL_INSERT[] =
    "INSERT INTO places (name, kind, patterns)"
    " SELECT x.n, x.k, ARRAY(SELECT jsonb_array_elements_text(x.p))"
    " FROM jsonb_to_recordset($1::jsonb) AS x(n text, k text, p jsonb)";

/* Recomputes posts.place (the BEFORE UPDATE OF text trigger does not fire: text is not
 * set). */
static const char PL_SQL_REPLACE[] =
    "UPDATE posts p SET place = x.pl FROM (SELECT id, place_of(text) AS pl FROM posts) x"
    " WHERE x.id = p.id AND p.place IS DISTINCT FROM x.pl";

/* places as [{"n": NAME, "k": KIND, "p": [PATTERN, ...]}, ...]; caller frees. */
static char *pl_json(const struct km_places *places)
{
    struct km_buf b = KM_BUF_INIT;
    km_buf_putc(&b, '[');
    for (size_t i = 0; i < places->n; i++) {
        const struct km_place *p = &places->items[i];
        km_buf_puts(&b, i > 0 ? ",{\"n\":" : "{\"n\":");
        km_json_escape(&b, p->name);
        km_buf_puts(&b, ",\"k\":");
        km_json_escape(&b, p->kind);
        km_buf_puts(&b, ",\"p\":[");
        for (size_t j = 0; j < p->n_patterns; j++) {
            if (j > 0) {
                km_buf_putc(&b, ',');
            }
            km_json_escape(&b, p->patterns[j]);
        }
        km_buf_puts(&b, "]}");
    }
    km_buf_putc(&b, ']');
    return km_buf_take(&b);
}

/* Replaces the table's content and re-places the posts, inside the caller's transaction. */
static int pl_replace(PGconn *c, const char *json, size_t *reclassified, struct km_err *err)
{
    PGresult *res = NULL;
    int rc = km_sql_exec(c, "DELETE FROM places", 0, NULL, NULL, "places: delete", err);
    if (rc == KM_OK) {
        rc = km_sql_exec(c, PL_SQL_INSERT, 1, &json, NULL, "places: insert", err);
    }
    if (rc == KM_OK) {
        rc = km_sql_exec(c, PL_SQL_REPLACE, 0, NULL, &res, "places: posts", err);
    }
    if (rc == KM_OK) {
        *reclassified = (size_t)strtoull(PQcmdTuples(res), NULL, 10);
    }
    PQclear(res);
    return rc;
}

int km_places_sync(struct km_db *db, const struct km_places *places, size_t *reclassified,
                   struct km_err *err)
{
    PGconn *c = km_db_conn(db);
    PGresult *res = NULL;
    char *json = pl_json(places);
    const char *param = json;
    size_t n = 0;
    int rc = km_sql_exec(c, "BEGIN", 0, NULL, NULL, "places: begin", err);
    if (rc == KM_OK) {
        rc = km_sql_exec(c, "LOCK TABLE places IN SHARE ROW EXCLUSIVE MODE", 0, NULL, NULL,
                         "places: lock", err);
    }
    if (rc == KM_OK) {
        rc = km_sql_exec(c, PL_SQL_SAME, 1, &param, &res, "places: compare", err);
    }
    if (rc == KM_OK && strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        rc = pl_replace(c, json, &n, err);
    }
    if (rc == KM_OK) {
        rc = km_sql_exec(c, "COMMIT", 0, NULL, NULL, "places: commit", err);
    } else {
        km_sql_rollback(c);
    }
    if (reclassified != NULL) {
        *reclassified = rc == KM_OK ? n : 0;
    }
    PQclear(res);
    free(json);
    return rc;
}
