#include "triage/routing.h"

#include "common/alloc.h"
#include "common/time.h"
#include "common/utf8.h"
#include "triage/lexicon.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Longest SLA accepted: a first reaction later than a week is a typo. */
#define RT_MAX_SLA_MS (7LL * 24 * 3600 * 1000)
/* Longest resolution time accepted: a year; anything later is no deadline at all. */
#define RT_MAX_RESOLVE_MS (365LL * 24 * 3600 * 1000)
/* Row of the duration tables that holds the keys naming no category (P1, default). */
#define RT_ANY KM_CAT_COUNT

/* Duplicate-key slots: the original keys, then CATEGORY[.PN] of [sla], then default, PN
 * and CATEGORY[.PN] of [resolve], then default and CATEGORY of [auto_ticket]. */
#define RT_SLOT_SLA_CAT (4 + 2 * KM_CAT_COUNT + 8)
#define RT_SLOT_RESOLVE (RT_SLOT_SLA_CAT + 5 * KM_CAT_COUNT)
#define RT_SLOT_AUTO    (RT_SLOT_RESOLVE + 5 * (KM_CAT_COUNT + 1))
#define RT_SLOTS        (RT_SLOT_AUTO + KM_CAT_COUNT + 1)

struct km_routing {
    char *zone;
    int night_from, night_to;   /* local hours: night is [from, to) across midnight */
    int winter_from, winter_to; /* months, inclusive, across the new year */
    /* [category or RT_ANY][0 = any priority, 1..4]: ms, 0 = not set */
    int64_t react[KM_CAT_COUNT + 1][5];
    int64_t resolve[KM_CAT_COUNT + 1][5];
    int auto_ticket[KM_CAT_COUNT + 1]; /* -1 not set, 0 off, else lowest priority 1..4 */
    char *agency[KM_CAT_COUNT];
    char *emergency[KM_CAT_COUNT];
    char *emergency_default;
    int seen_line[RT_SLOTS]; /* first line of each key, for duplicates */
};

enum rt_section { RT_NONE, RT_TIME, RT_SLA, RT_AGENCY, RT_EMERGENCY, RT_RESOLVE, RT_AUTO };

struct km_routing *km_routing_new(void)
{
    struct km_routing *r = km_calloc(1, sizeof(*r));
    r->zone = km_strdup("Asia/Almaty");
    r->night_from = 22;
    r->night_to = 6;
    r->winter_from = 11;
    r->winter_to = 3;
    for (int i = 1; i <= 4; i++) {
        r->react[RT_ANY][i] = KM_ROUTING_DEFAULT_SLA_MS;
    }
    for (int c = 0; c <= RT_ANY; c++) {
        r->auto_ticket[c] = -1;
    }
    r->emergency_default = km_strdup("112");
    return r;
}

void km_routing_free(struct km_routing *r)
{
    if (r == NULL) {
        return;
    }
    for (int i = 0; i < KM_CAT_COUNT; i++) {
        free(r->agency[i]);
        free(r->emergency[i]);
    }
    free(r->emergency_default);
    free(r->zone);
    free(r);
}

static char *rt_trim(char *s)
{
    while (isspace((unsigned char)*s)) {
        s++;
    }
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) {
        s[--n] = '\0';
    }
    return s;
}

/* "A-B" with both in lo..hi. */
static bool rt_range(const char *v, int lo, int hi, int *a, int *b)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (end == v || *end != '-') {
        return false;
    }
    const char *v2 = end + 1;
    long y = strtol(v2, &end, 10);
    if (end == v2 || *end != '\0' || x < lo || x > hi || y < lo || y > hi) {
        return false;
    }
    *a = (int)x;
    *b = (int)y;
    return true;
}

/* Marks key slot as seen on line; returns the earlier line or 0. */
static int rt_seen(struct km_routing *r, int slot, int line)
{
    int prev = r->seen_line[slot];
    if (prev == 0) {
        r->seen_line[slot] = line;
    }
    return prev;
}

static const char *rt_time_key(struct km_routing *r, const char *k, const char *v, int *slot)
{
    if (strcmp(k, "zone") == 0) {
        *slot = 2 * KM_CAT_COUNT + 4;
        if (*v == '\0' || strstr(v, "..") != NULL || strchr(v, ' ') != NULL) {
            return "zone wants a tz database name such as Asia/Almaty";
        }
        free(r->zone);
        r->zone = km_strdup(v);
        return NULL;
    }
    if (strcmp(k, "night") == 0) {
        *slot = 2 * KM_CAT_COUNT + 5;
        return rt_range(v, 0, 23, &r->night_from, &r->night_to) && r->night_from != r->night_to
                   ? NULL
                   : "night wants local hours FROM-TO, e.g. 22-6";
    }
    if (strcmp(k, "winter") == 0) {
        *slot = 2 * KM_CAT_COUNT + 6;
        return rt_range(v, 1, 12, &r->winter_from, &r->winter_to)
                   ? NULL
                   : "winter wants months FROM-TO, e.g. 11-3";
    }
    return "unknown key in [time] (zone, night, winter)";
}

/* Splits "P2", "default", "CATEGORY" or "CATEGORY.P2" into *cat (RT_ANY for none) and
 * *prio (0 for none). Returns false for anything else. */
static bool rt_cat_prio(const char *k, bool allow_default, int *cat, int *prio)
{
    char name[64];
    const char *dot = strchr(k, '.');
    const char *p = dot != NULL ? dot + 1 : k;
    *cat = RT_ANY;
    *prio = 0;
    if ((p[0] == 'P' || p[0] == 'p') && p[1] >= '1' && p[1] <= '4' && p[2] == '\0') {
        *prio = p[1] - '0';
    } else if (dot != NULL) {
        return false;
    }
    if (dot == NULL && *prio != 0) {
        return true;
    }
    size_t n = dot != NULL ? (size_t)(dot - k) : strlen(k);
    if (n == 0 || n >= sizeof(name)) {
        return false;
    }
    memcpy(name, k, n);
    name[n] = '\0';
    if (dot == NULL && allow_default && strcmp(name, "default") == 0) {
        return true;
    }
    *cat = km_lex_class_parse(name);
    return *cat >= 0 && *cat < KM_CAT_COUNT;
}

/* [sla] and [resolve]: P1..P4, default, CATEGORY and CATEGORY.PN = duration. */
static const char *rt_dur_key(struct km_routing *r, enum rt_section sec, const char *k,
                              const char *v, int *slot)
{
    bool sla = sec == RT_SLA;
    int cat, prio;
    if (!rt_cat_prio(k, true, &cat, &prio)) {
        return sla ? "unknown key in [sla] (P1..P4, default, CATEGORY, CATEGORY.P1..P4)"
                   : "unknown key in [resolve] (P1..P4, default, CATEGORY, CATEGORY.P1..P4)";
    }
    if (sla && cat == RT_ANY) {
        *slot = prio != 0 ? prio - 1 : 2 * KM_CAT_COUNT + 8;
    } else if (sla) {
        *slot = RT_SLOT_SLA_CAT + 5 * cat + prio;
    } else {
        *slot = RT_SLOT_RESOLVE + 5 * cat + prio;
    }
    int64_t ms = 0, max = sla ? RT_MAX_SLA_MS : RT_MAX_RESOLVE_MS;
    if (km_duration_parse(v, &ms) != KM_OK || ms <= 0 || ms > max) {
        return sla ? "SLA wants a duration between 1s and 7d, e.g. 10m"
                   : "resolution time wants a duration between 1s and 365d, e.g. 7d";
    }
    (sla ? r->react : r->resolve)[cat][prio] = ms;
    return NULL;
}

/* [auto_ticket]: default or CATEGORY = off | P1..P4. */
static const char *rt_auto_key(struct km_routing *r, const char *k, const char *v, int *slot)
{
    int cat, prio;
    if (!rt_cat_prio(k, true, &cat, &prio) || prio != 0) {
        return "unknown key in [auto_ticket] (default, CATEGORY)";
    }
    *slot = RT_SLOT_AUTO + cat;
    if (strcmp(v, "off") == 0) {
        r->auto_ticket[cat] = 0;
    } else if ((v[0] == 'P' || v[0] == 'p') && v[1] >= '1' && v[1] <= '4' && v[2] == '\0') {
        r->auto_ticket[cat] = v[1] - '0';
    } else {
        return "auto_ticket wants off or P1..P4 (a ticket for posts of that priority or higher)";
    }
    return NULL;
}

static const char *rt_cat_key(struct km_routing *r, enum rt_section sec, const char *k,
                              const char *v, int *slot)
{
    if (sec == RT_EMERGENCY && strcmp(k, "default") == 0) {
        *slot = 2 * KM_CAT_COUNT + 7;
        free(r->emergency_default);
        r->emergency_default = km_strdup(v);
        return *v ? NULL : "empty value";
    }
    int cat = km_lex_class_parse(k);
    if (cat < 0 || cat >= KM_CAT_COUNT) {
        return sec == RT_AGENCY ? "unknown category" : "unknown category (or default)";
    }
    if (*v == '\0') {
        return "empty value";
    }
    *slot = 4 + (sec == RT_AGENCY ? 0 : KM_CAT_COUNT) + cat;
    char **dst = sec == RT_AGENCY ? &r->agency[cat] : &r->emergency[cat];
    free(*dst);
    *dst = km_strdup(v);
    return NULL;
}

/* Handles one line; returns NULL or why it is bad (in why[] when formatted). */
static const char *rt_line(struct km_routing *r, char *line, int lineno, enum rt_section *sec,
                           char *why, size_t why_size)
{
    char *s = rt_trim(line);
    if (*s == '\0' || *s == '#' || *s == ';') {
        return NULL;
    }
    if (*s == '[') {
        static const char *const names[] = {"[time]",      "[sla]",     "[agency]",
                                            "[emergency]", "[resolve]", "[auto_ticket]"};
        for (int i = 0; i < 6; i++) {
            if (strcmp(s, names[i]) == 0) {
                *sec = (enum rt_section)(i + 1);
                return NULL;
            }
        }
        *sec = RT_NONE;
        return "unknown section (time, sla, agency, emergency, resolve, auto_ticket)";
    }
    char *eq = strchr(s, '=');
    if (eq == NULL) {
        return "want KEY = VALUE";
    }
    *eq = '\0';
    char *k = rt_trim(s), *v = rt_trim(eq + 1);
    if (strlen(v) > KM_ROUTING_MAX_VALUE) {
        return "value longer than 256 bytes";
    }
    size_t at = 0;
    if (!km_utf8_valid(s, strlen(s), &at) || !km_utf8_valid(v, strlen(v), &at)) {
        return "not valid UTF-8 (agency names go to PostgreSQL and the desk as text)";
    }
    int slot = -1;
    const char *bad = *sec == RT_NONE   ? "KEY = VALUE outside a section"
                      : *sec == RT_TIME ? rt_time_key(r, k, v, &slot)
                      : *sec == RT_SLA || *sec == RT_RESOLVE ? rt_dur_key(r, *sec, k, v, &slot)
                      : *sec == RT_AUTO ? rt_auto_key(r, k, v, &slot)
                                        : rt_cat_key(r, *sec, k, v, &slot);
    if (bad == NULL && slot >= 0) {
        int prev = rt_seen(r, slot, lineno);
        if (prev != 0) {
            snprintf(why, why_size, "'%s' set again (first on line %d)", k, prev);
            return why;
        }
    }
    if (bad != NULL) {
        snprintf(why, why_size, "'%s': %s", k, bad);
        return why;
    }
    return NULL;
}

int km_routing_load(const char *path, FILE *report, struct km_routing **out, struct km_err *err)
{
    struct km_routing *r = km_routing_new();
    char *line = NULL, why[KM_ERR_MSG_MAX];
    size_t cap = 0;
    int lineno = 0, bad = 0, rc = KM_OK;
    enum rt_section sec = RT_NONE;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        rc = km_err_set(err, KM_ERR, "%s: cannot open: %s", path, strerror(errno));
        goto out;
    }
    while (getline(&line, &cap, f) >= 0) {
        const char *msg = rt_line(r, line, ++lineno, &sec, why, sizeof(why));
        if (msg == NULL) {
            continue;
        }
        if (report != NULL) {
            fprintf(report, "%s:%d: %s\n", path, lineno, msg);
        }
        if (bad++ == 0) {
            km_err_set(err, KM_EINPUT, "%s:%d: %s", path, lineno, msg);
        }
    }
    rc = ferror(f) ? km_err_set(err, KM_ERR, "%s: read error", path) : bad ? KM_EINPUT : KM_OK;
out:
    if (f != NULL) {
        fclose(f);
    }
    free(line);
    if (rc != KM_OK) {
        km_routing_free(r);
        r = NULL;
    }
    *out = r;
    return rc;
}

const char *km_routing_agency(const struct km_routing *r, int category)
{
    return category >= 0 && category < KM_CAT_COUNT ? r->agency[category] : NULL;
}

const char *km_routing_emergency(const struct km_routing *r, int category)
{
    if (category >= 0 && category < KM_CAT_COUNT && r->emergency[category] != NULL) {
        return r->emergency[category];
    }
    return r->emergency_default;
}

/* Most specific of table[cat][prio], table[cat][0], table[RT_ANY][prio],
 * table[RT_ANY][0], else dflt. */
static int64_t rt_lookup(const int64_t (*table)[5], int category, int priority, int64_t dflt)
{
    int p = priority < 1 ? 4 : priority > 4 ? 4 : priority;
    if (category >= 0 && category < KM_CAT_COUNT) {
        if (table[category][p] != 0) {
            return table[category][p];
        }
        if (table[category][0] != 0) {
            return table[category][0];
        }
    }
    if (table[RT_ANY][p] != 0) {
        return table[RT_ANY][p];
    }
    return table[RT_ANY][0] != 0 ? table[RT_ANY][0] : dflt;
}

int64_t km_routing_sla_ms(const struct km_routing *r, int priority)
{
    return rt_lookup((const int64_t(*)[5])r->react, -1, priority, KM_ROUTING_DEFAULT_SLA_MS);
}

int64_t km_routing_reaction_ms(const struct km_routing *r, int category, int priority)
{
    return rt_lookup((const int64_t(*)[5])r->react, category, priority,
                     KM_ROUTING_DEFAULT_SLA_MS);
}

int64_t km_routing_resolve_ms(const struct km_routing *r, int category, int priority)
{
    return rt_lookup((const int64_t(*)[5])r->resolve, category, priority,
                     KM_ROUTING_DEFAULT_RESOLVE_MS);
}

int km_routing_auto_level(const struct km_routing *r, int category)
{
    if (category >= 0 && category < KM_CAT_COUNT && r->auto_ticket[category] >= 0) {
        return r->auto_ticket[category];
    }
    return r->auto_ticket[RT_ANY] > 0 ? r->auto_ticket[RT_ANY] : 0;
}

bool km_routing_auto_ticket(const struct km_routing *r, int category, int priority)
{
    int level = km_routing_auto_level(r, category);
    return level > 0 && priority >= 1 && priority <= level;
}

size_t km_routing_agencies(const struct km_routing *r, struct km_routing_agency *out, size_t max)
{
    size_t n = 0;
    for (int c = 0; c < KM_CAT_COUNT; c++) {
        if (r->agency[c] == NULL) {
            continue;
        }
        size_t i = 0;
        while (i < n && strcmp(out[i].name, r->agency[c]) != 0) {
            i++;
        }
        if (i == n) {
            if (n == max) {
                continue;
            }
            out[n].name = r->agency[c];
            out[n].categories = 0;
            n++;
        }
        out[i].categories |= (uint64_t)1 << c;
    }
    return n;
}

const char *km_routing_zone(const struct km_routing *r)
{
    return r->zone;
}

bool km_routing_is_night(const struct km_routing *r, int hour)
{
    if (r->night_from < r->night_to) {
        return hour >= r->night_from && hour < r->night_to;
    }
    return hour >= r->night_from || hour < r->night_to;
}

bool km_routing_is_winter(const struct km_routing *r, int month)
{
    if (r->winter_from <= r->winter_to) {
        return month >= r->winter_from && month <= r->winter_to;
    }
    return month >= r->winter_from || month <= r->winter_to;
}

void km_routing_ranges(const struct km_routing *r, int *night_from, int *night_to, int *winter_from,
                       int *winter_to)
{
    *night_from = r->night_from;
    *night_to = r->night_to;
    *winter_from = r->winter_from;
    *winter_to = r->winter_to;
}
