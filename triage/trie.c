#include "triage/trie.h"

#include "common/alloc.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Children are found in O(1): a bit per byte value says whether the child exists, and its
 * index in kids is the number of set bits below it (rank[w] counts the bits of words
 * before w, so one population count suffices). */
struct tr_node {
    uint64_t bits[4];
    uint16_t rank[4];
    uint32_t *kids; /* child nodes in byte order */
    uint32_t n_kids, cap_kids;
    uint32_t *vals;
    uint32_t n_vals, cap_vals;
};

struct km_trie {
    struct tr_node *nodes;
    size_t n, cap;
    uint32_t root[256]; /* children of the root, direct: most walks end after one byte */
};

static uint32_t tr_new_node(struct km_trie *t)
{
    if (t->n == t->cap) {
        t->cap *= 2;
        t->nodes = km_realloc(t->nodes, t->cap * sizeof(*t->nodes));
    }
    memset(&t->nodes[t->n], 0, sizeof(t->nodes[0]));
    return (uint32_t)t->n++;
}

struct km_trie *km_trie_new(void)
{
    struct km_trie *t = km_calloc(1, sizeof(*t));
    t->cap = 256;
    t->nodes = km_malloc(t->cap * sizeof(*t->nodes));
    tr_new_node(t);
    return t;
}

void km_trie_free(struct km_trie *t)
{
    if (t == NULL) {
        return;
    }
    for (size_t i = 0; i < t->n; i++) {
        free(t->nodes[i].kids);
        free(t->nodes[i].vals);
    }
    free(t->nodes);
    free(t);
}

/* Set bits of x (portable: no popcnt instruction is assumed). */
static inline unsigned tr_popcount(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Full;
    return (unsigned)((x * 0x0101010101010101ull) >> 56);
}

/* Index in nd->kids of the child along b (or where it would go). */
static inline uint32_t tr_rank(const struct tr_node *nd, unsigned char b)
{
    unsigned w = b >> 6;
    uint64_t below = nd->bits[w] & ((1ull << (b & 63)) - 1);
    return nd->rank[w] + tr_popcount(below);
}

static inline bool tr_has(const struct tr_node *nd, unsigned char b)
{
    return (nd->bits[b >> 6] >> (b & 63)) & 1;
}

uint32_t km_trie_step(const struct km_trie *t, uint32_t node, unsigned char b)
{
    if (node == 0) {
        return t->root[b];
    }
    const struct tr_node *nd = &t->nodes[node];
    return tr_has(nd, b) ? nd->kids[tr_rank(nd, b)] : 0;
}

/* The child of node along b, created when missing. */
static uint32_t tr_child(struct km_trie *t, uint32_t node, unsigned char b)
{
    uint32_t c = km_trie_step(t, node, b);
    if (c != 0) {
        return c;
    }
    c = tr_new_node(t); /* may move t->nodes: take nd afterwards */
    if (node == 0) {
        t->root[b] = c;
        return c;
    }
    struct tr_node *nd = &t->nodes[node];
    if (nd->n_kids == nd->cap_kids) {
        nd->cap_kids = nd->cap_kids ? nd->cap_kids * 2 : 2;
        nd->kids = km_realloc(nd->kids, nd->cap_kids * sizeof(*nd->kids));
    }
    uint32_t k = tr_rank(nd, b);
    memmove(&nd->kids[k + 1], &nd->kids[k], (nd->n_kids - k) * sizeof(*nd->kids));
    nd->kids[k] = c;
    nd->n_kids++;
    nd->bits[b >> 6] |= 1ull << (b & 63);
    for (unsigned w = (b >> 6) + 1; w < 4; w++) {
        nd->rank[w]++;
    }
    return c;
}

void km_trie_add(struct km_trie *t, const char *key, size_t len, uint32_t value)
{
    uint32_t node = 0;
    for (size_t i = 0; i < len; i++) {
        node = tr_child(t, node, (unsigned char)key[i]);
    }
    struct tr_node *nd = &t->nodes[node];
    for (uint32_t i = 0; i < nd->n_vals; i++) {
        if (nd->vals[i] == value) {
            return;
        }
    }
    if (nd->n_vals == nd->cap_vals) {
        nd->cap_vals = nd->cap_vals ? nd->cap_vals * 2 : 1;
        nd->vals = km_realloc(nd->vals, nd->cap_vals * sizeof(*nd->vals));
    }
    nd->vals[nd->n_vals++] = value;
}

const uint32_t *km_trie_values(const struct km_trie *t, uint32_t node, size_t *n)
{
    *n = t->nodes[node].n_vals;
    return t->nodes[node].vals;
}

size_t km_trie_nodes(const struct km_trie *t)
{
    return t->n;
}
