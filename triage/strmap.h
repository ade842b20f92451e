/* A string -> list of uint32 values hash map (open addressing, XXH3), built once and then
 * read by any number of threads. Used by the lexicon for surface forms, stems and prefixes.
 * Keys are byte strings with explicit lengths; the map copies them. */
#ifndef KM_TRIAGE_STRMAP_H
#define KM_TRIAGE_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct km_strmap;

/* Returns a new empty map; free with km_strmap_free(). Never NULL. */
struct km_strmap *km_strmap_new(void);
void km_strmap_free(struct km_strmap *m);

/* Adds value to key's list unless it is already there. Not thread-safe. */
void km_strmap_add(struct km_strmap *m, const char *key, size_t len, uint32_t value);

/* Adds key with no value (if absent): a node of a prefix walk, see km_strmap_find(). */
void km_strmap_add_key(struct km_strmap *m, const char *key, size_t len);

/* Adds every proper prefix of key that ends at a UTF-8 character boundary as a key with no
 * value, so that a walk over a token's prefixes can stop at the first prefix that is not
 * in the map (a hash trie). Not thread-safe. */
void km_strmap_add_prefixes(struct km_strmap *m, const char *key, size_t len);

/* True if key is in the map (with or without values); *vals and *n get its values. */
bool km_strmap_find(const struct km_strmap *m, const char *key, size_t len, const uint32_t **vals,
                    size_t *n);

/* The values of key (borrowed, valid until the next add) and their count in *n; NULL and
 * *n = 0 when key is absent. Thread-safe while nobody adds. */
const uint32_t *km_strmap_get(const struct km_strmap *m, const char *key, size_t len, size_t *n);

/* Number of keys. */
size_t km_strmap_count(const struct km_strmap *m);

#endif
