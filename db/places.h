/* etc/places.conf: the districts, streets and microdistricts the problems report groups
 * posts by, and its mirror in PostgreSQL (the places table of 003, read by place_of()).
 *
 * The file is INI-like, as routing.conf:
 *
 *     [district]                      (or [street], [microdistrict], [place])
 *     район Есиль = есильск район, есіл аудан, yesil district
 *     пр. Республики = проспект республики, пр. республики,
 *                      республика даңғыл          (an indented line continues the list)
 *
 * Patterns are lower-cased (Unicode simple case mapping) and ё becomes е, as km_lower() does
 * in SQL, so a pattern matches whatever the case of the post. */
#ifndef KM_DB_PLACES_H
#define KM_DB_PLACES_H

#include "common/err.h"
#include "db/db.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A pattern shorter than this (in characters) would match inside unrelated words. */
#define KM_PLACES_MIN_PATTERN 4
/* Longest name or pattern in bytes: a street name, not a paragraph. */
#define KM_PLACES_MAX_VALUE 200
/* Most places in one file: a city has hundreds of streets, not hundreds of thousands, and
 * place_of() tries every pattern for every post stored. */
#define KM_PLACES_MAX 5000

struct km_place {
    char *name;       /* what reports print, unique */
    const char *kind; /* "district", "street", "microdistrict" or "place" (static string) */
    char **patterns;  /* normalised (lower case, ё -> е) */
    size_t n_patterns;
    int line; /* line of "NAME =" in the file */
};

/* One pattern in the order place_of() tries them (see km_places_find()). */
struct km_place_pattern {
    const char *pattern; /* borrowed from its place */
    const char *name;    /* the place's name, borrowed */
    int rank;            /* street 0, microdistrict 1, place 2, district 3 */
    size_t chars;        /* length in characters */
    size_t bytes;        /* strlen(pattern) */
};

/* km_places_find()'s index: the patterns by their first four bytes (every pattern has at
 * least KM_PLACES_MIN_PATTERN characters), so that a text is read once instead of once per
 * pattern. */
struct km_places_slot {
    uint32_t key;          /* the first four bytes */
    uint32_t first, count; /* their order indices: by_key[first .. first + count) */
};

struct km_places {
    struct km_place *items; /* in file order */
    size_t n;
    struct km_place_pattern *order; /* every pattern, in place_of()'s order (load fills it) */
    size_t n_order;
    struct km_places_slot *slots; /* open addressing, n_slots a power of two; count 0 = free */
    size_t n_slots;
    uint32_t *by_key; /* order indices grouped by first four bytes, ascending in a group */
};

/* Reads and validates path. Every bad line is written to report (may be NULL) as
 * "FILE:LINE: message" (unknown section, NAME = outside a section, a name given twice, an
 * empty or too short pattern, a pattern given twice for one place, invalid UTF-8), and err
 * gets the first one. Returns KM_OK with *out owned by the caller (km_places_free()),
 * KM_EINPUT (bad lines; *out NULL) or KM_ERR (cannot read the file). */
int km_places_load(const char *path, FILE *report, struct km_places **out, struct km_err *err);

/* Frees places and everything in it; NULL is ignored. */
void km_places_free(struct km_places *places);

/* The place text names, as place_of() in PostgreSQL answers it for a places table that
 * holds places: the first pattern found in the lower-cased text (ё read as е), trying
 * streets, then microdistricts, other places and districts, the longest pattern first,
 * then by name. Returns the place's name (borrowed from places) or NULL for none. The
 * tickets role stores it with each post so that PostgreSQL need not try every pattern in
 * a trigger (about 100 µs a post there, make bench). Pure. */
const char *km_places_find(const struct km_places *places, const char *text);

/* Total number of patterns, for messages. */
size_t km_places_patterns(const struct km_places *places);

/* Makes the places table hold exactly places, in ONE transaction (concurrent syncs wait
 * for each other). If that changed the table, every stored post's place is recomputed
 * (posts.place = place_of(text)) in the same transaction — one pass over posts, so run it
 * when places.conf changed, e.g. at the tickets role's start and on SIGHUP; an unchanged
 * file costs one comparison. *reclassified (may be NULL) gets how many posts changed place.
 * Returns KM_OK, KM_RETRY (connection lost or server short of resources; nothing changed)
 * or KM_ERR (schema missing: run komekctl migrate), with err set. Not thread-safe with
 * other use of db. */
int km_places_sync(struct km_db *db, const struct km_places *places, size_t *reclassified,
                   struct km_err *err);

#endif
