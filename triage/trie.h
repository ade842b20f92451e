/* A byte trie: key -> list of uint32 values, for walking every prefix of a token in one
 * pass over its bytes (the lexicon's prefix entries and its stem triggers). Built once at
 * load time, then read by any number of threads. */
#ifndef KM_TRIAGE_TRIE_H
#define KM_TRIAGE_TRIE_H

#include <stddef.h>
#include <stdint.h>

struct km_trie;

/* Returns a new empty trie (its root is node 0); free with km_trie_free(). Never NULL. */
struct km_trie *km_trie_new(void);
void km_trie_free(struct km_trie *t);

/* Adds value to the list of key (no duplicates). Not thread-safe. */
void km_trie_add(struct km_trie *t, const char *key, size_t len, uint32_t value);

/* The child of node along byte b, or 0 when there is none. Thread-safe. */
uint32_t km_trie_step(const struct km_trie *t, uint32_t node, unsigned char b);

/* The values of the key that ends at node (borrowed) and their count in *n. */
const uint32_t *km_trie_values(const struct km_trie *t, uint32_t node, size_t *n);

/* Number of nodes, root included (for memory figures). */
size_t km_trie_nodes(const struct km_trie *t);

#endif
