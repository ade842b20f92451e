/* Route matching for the desk server (desk/route.h): method and path against the patterns
 * of the route tables, ":name" segments captured percent-decoded. Pure functions. */
#ifndef KM_DESK_MATCH_H
#define KM_DESK_MATCH_H

#include "desk/route.h"

#include <stdbool.h>
#include <stddef.h>

/* Room for the decoded parameters of one path (paths longer than this do not match). */
#define KM_DESK_PATH_MAX 2048

/* The captured parameters of a match; params point into buf. */
struct km_desk_match {
    const char *params[KM_DESK_MAX_PARAMS];
    size_t n_params;
    bool path_known; /* some route has this path with another method (405, not 404) */
    char buf[KM_DESK_PATH_MAX];
};

/* Decodes %XX escapes of s[0..len) into out (size bytes with the NUL). Returns false for a
 * malformed escape, an escaped NUL, or output that does not fit. '+' is kept. */
bool km_desk_percent_decode(const char *s, size_t len, char *out, size_t size);

/* True if path matches pattern; fills m's params (at most KM_DESK_MAX_PARAMS) when it does.
 * A ":name" segment matches one non-empty path segment; every other segment must be equal.
 * A parameter that does not decode does not match. */
bool km_desk_pattern_match(const char *pattern, const char *path, struct km_desk_match *m);

/* The first route of tables (an array of route tables each ending with {NULL}, itself
 * ending with NULL) whose method and pattern match. NULL if none; then m->path_known says
 * whether the path exists with another method. */
const struct km_desk_route *km_desk_route_find(const struct km_desk_route *const *tables,
                                               const char *method, const char *path,
                                               struct km_desk_match *m);

#endif
