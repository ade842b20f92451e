/* INI configuration (libinih) checked against key tables.
 *
 * A file has one [komek] section and any number of [source NAME] sections. Each section is
 * validated against a table of struct km_conf_key: unknown keys, missing required keys,
 * values of the wrong type or out of bounds are all reported in one run, each as
 * "FILE:LINE: message". Secrets given as "env:VAR" or "file:PATH" are resolved at load
 * time and are only ever printed as "***". */
#ifndef KM_COMMON_CONF_H
#define KM_COMMON_CONF_H

#include "common/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum km_conf_type {
    KM_CONF_STR,      /* any string */
    KM_CONF_INT,      /* integer within [min, max] */
    KM_CONF_BOOL,     /* yes/no, true/false, on/off, 1/0 */
    KM_CONF_DURATION, /* "500ms", "30s", "5m", "1h"; bare number = seconds; min/max in ms */
    KM_CONF_SIZE,     /* "512", "64k", "8M", "1G" bytes; min/max in bytes */
};

#define KM_CONF_REQUIRED 1u
#define KM_CONF_SECRET   2u /* value may be env:VAR / file:PATH; printed as *** */

struct km_conf_key {
    const char *name;
    enum km_conf_type type;
    const char *def; /* default as it would be written in the file; NULL = none */
    long long min, max;
    unsigned flags;
    const char *help; /* one line for --help and README */
};

/* One "key = value" line as read (value already resolved if it was a secret). */
struct km_conf_entry {
    char *key;
    char *value;
    int line;
    bool secret;
};

struct km_section {
    char *kind; /* "komek" or "source" */
    char *name; /* NAME of [source NAME]; NULL for [komek] */
    char *file;
    int line;   /* line of the [section] header */
    struct km_conf_entry *entries;
    size_t n_entries;
    /* Tables the section was validated against (generic keys, then type-specific keys). */
    const struct km_conf_key *keys;
    const struct km_conf_key *extra_keys;
};

/* Resolves the key table for "type = X" of a [source] section; NULL if the type is
 * unknown. Supplied by the caller so that common/ does not depend on collectors/. */
typedef const struct km_conf_key *(*km_conf_type_keys_fn)(const char *type);

struct km_config {
    char *path;
    struct km_section *global; /* the [komek] section (an empty one if absent) */
    struct km_section **sources;
    size_t n_sources;
};

/* Keys of [komek] and the generic keys of every [source NAME]. {0}-terminated. */
extern const struct km_conf_key km_conf_global_keys[];
extern const struct km_conf_key km_conf_source_keys[];

/* Loads and validates path. Every problem is written to `report` (may be NULL) as one
 * "FILE:LINE: message" line; err gets the first one and the count. Returns KM_OK,
 * KM_EINPUT (file invalid) or KM_ERR (cannot read). On success *out belongs to the caller:
 * free with km_config_free(). */
int km_config_load(const char *path, km_conf_type_keys_fn type_keys, FILE *report,
                   struct km_config **out, struct km_err *err);
void km_config_free(struct km_config *cfg);

/* Value of key in sec, or the table default, or NULL. Borrowed from sec. */
const char *km_section_get(const struct km_section *sec, const char *key);
/* Typed getters; the value was validated at load time, so they cannot fail. Missing
 * values without default give 0 / false / NULL. */
long long km_section_get_int(const struct km_section *sec, const char *key);
bool km_section_get_bool(const struct km_section *sec, const char *key);
int64_t km_section_get_ms(const struct km_section *sec, const char *key);
long long km_section_get_size(const struct km_section *sec, const char *key);
/* Line of key in the file (or of the section header if the key is absent): for located
 * errors found after loading, such as by a collector's create(). */
int km_section_line(const struct km_section *sec, const char *key);

/* Resolves a path value relative to the folder of the config file (absolute paths are
 * kept). Returns a malloc'd string (caller frees), or NULL if value is NULL. */
char *km_config_path(const struct km_config *cfg, const char *value);

/* Walks a comma-separated list value ("109, #iKomek, Астана"): start with *cursor = the
 * value; each call sets *item and *len to the next entry with blanks and leading '#' trimmed
 * (an empty entry has len 0, for the caller to refuse) and returns true; false after the
 * last entry. *item points into the value. */
bool km_conf_list_next(const char **cursor, const char **item, size_t *len);

/* Parsers shared with command-line options. Return KM_OK or KM_EINPUT. */
int km_conf_parse_bool(const char *s, bool *out);
int km_conf_parse_size(const char *s, long long *out);

/* Writes the effective configuration (defaults filled in, secrets as ***) to f. */
void km_config_dump(const struct km_config *cfg, FILE *f);
/* Writes a table's keys with type, default and help, for --help and the README. */
void km_conf_keys_describe(const struct km_conf_key *keys, FILE *f);

#endif
