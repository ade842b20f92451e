/* A text[] query parameter in PostgreSQL's binary array format (array_recv), so that a
 * batch of rows can travel as one array per column: no quoting on komek's side, no
 * parsing of a literal on the server's (the tickets role's multi-row INSERT, make bench).
 * Pass km_textarr_data() with length km_textarr_len() and format 1 (binary). */
#ifndef KM_DB_TEXTARR_H
#define KM_DB_TEXTARR_H

#include "common/buf.h"

#include <stddef.h>
#include <stdint.h>

struct km_textarr {
    struct km_buf buf; /* header, then each element: length (or -1 for NULL) and bytes */
    uint32_t n;        /* elements */
};

/* An empty array; release with km_textarr_free(). */
void km_textarr_init(struct km_textarr *a);

/* Appends s (NULL = SQL NULL) as the next element; s must be valid UTF-8 without NUL. */
void km_textarr_add(struct km_textarr *a, const char *s);

/* The array so far, ready to send: its bytes (owned by a) and their number. */
const char *km_textarr_data(struct km_textarr *a);
int km_textarr_len(const struct km_textarr *a);

void km_textarr_free(struct km_textarr *a);

#endif
