/* Stream entries decoded for the posts table: each post parsed, repaired where PostgreSQL
 * would refuse its text, re-encoded for the jsonb column and placed (db/places.h). This is
 * the CPU part of storing a batch and touches no connection, so the tickets role decodes
 * the next batch on another thread while PostgreSQL stores the current one. */
#ifndef KM_DB_ROWS_H
#define KM_DB_ROWS_H

#include "db/places.h"
#include "parser/post.h"
#include "queue/queue.h"

#include <stdbool.h>
#include <stddef.h>

/* One stream entry on its way into the database. */
struct km_db_row {
    const struct km_stream_entry *e; /* borrowed: the entries must outlive the rows */
    struct km_post *post; /* decoded and repaired; NULL when rejected before the insert */
    char *json;           /* the repaired post re-encoded, for the jsonb column */
    char *place;          /* the place of its text, "" for none; NULL: not placed */
    char *reason;         /* why the entry is rejected, or NULL */
    bool recorded;        /* rejected_entries got a new row for it (log it once) */
};

/* A decoded batch. places_gen tells which places placed it (km_db_places_gen()). */
struct km_db_rows {
    struct km_db_row *rows;
    size_t n;
    unsigned long places_gen;
};

/* Decodes entries[0..n) (borrowed until km_db_rows_free()); places (may be NULL: rows not
 * placed) is read only during the call, and places_gen is recorded with the rows. An entry
 * that cannot be decoded gets a reason. Thread-safe for distinct entries. Free with
 * km_db_rows_free(). */
struct km_db_rows *km_db_rows_decode(const struct km_stream_entry *entries, size_t n,
                                     const struct km_places *places, unsigned long places_gen);

/* Places every decoded row again with places (NULL: unplaced) and records places_gen. */
void km_db_rows_place(struct km_db_rows *r, const struct km_places *places,
                      unsigned long places_gen);

/* Frees r and what its rows own; NULL is ignored. */
void km_db_rows_free(struct km_db_rows *r);

#endif
