#include "triage/trie.h"

#include "common/alloc.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Children are found in O(1): a bit per byte value says whether the child exists, and its
 * index among the children is the number of set bits below it (rank[w] counts the bits of
 * words before w, at most 192, so one population count suffices). A node is one aligned
 * 64-byte cache line; a node with a single child keeps it inline (most nodes below the
 * first bytes are links of a chain), so a step reads one line. */
struct tr_node {
    uint64_t bits[4];
    uint8_t rank[4];
    uint16_t n_kids, cap_kids;
    uint32_t n_vals, cap_vals;
    union {
        uint32_t one;   /* n_kids == 1 */
        uint32_t *many; /* n_kids > 1: child nodes in byte order */
    } kids;
    uint32_t *vals;
};

_Static_assert(sizeof(struct tr_node) == 64, "a trie node is one cache line");

struct km_trie {
    struct tr_node *nodes; /* 64-byte aligned */
    size_t n, cap;
    uint32_t root[256]; /* children of the root, direct: most walks end after one byte */
};

/* A 64-byte aligned copy of the first n of old nodes with room for cap; frees old. */
static struct tr_node *tr_realloc_nodes(struct tr_node *old, size_t n, size_t cap)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, cap * sizeof(struct tr_node)) != 0) {
        abort();
    }
    if (n > 0) {
        memcpy(p, old, n * sizeof(struct tr_node));
    }
    free(old);
    return p;
}

static uint32_t tr_new_node(struct km_trie *t)
{
    if (t->n == t->cap) {
        t->cap *= 2;
        t->nodes = tr_realloc_nodes(t->nodes, t->n, t->cap);
    }
    memset(&t->nodes[t->n], 0, sizeof(t->nodes[0]));
    return (uint32_t)t->n++;
}

struct km_trie *km_trie_new(void)
{
    struct km_trie *t = km_calloc(1, sizeof(*t));
    t->cap = 256;
    t->nodes = tr_realloc_nodes(NULL, 0, t->cap);
    tr_new_node(t);
    return t;
}

void km_trie_free(struct km_trie *t)
{
    if (t == NULL) {
        return;
    }
    for (size_t i = 0; i < t->n; i++) {
        if (t->nodes[i].n_kids > 1) {
            free(t->nodes[i].kids.many);
        }
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
    if (!tr_has(nd, b)) {
        return 0;
    }
    return nd->n_kids == 1 ? nd->kids.one : nd->kids.many[tr_rank(nd, b)];
}

/* Inserts child c along b (absent so far) into nd's children. */
static void tr_link(struct tr_node *nd, unsigned char b, uint32_t c)
{
    if (nd->n_kids == 0) {
        nd->kids.one = c;
    } else {
        if (nd->n_kids == 1) {
            uint32_t one = nd->kids.one;
            nd->cap_kids = 4;
            nd->kids.many = km_malloc(nd->cap_kids * sizeof(uint32_t));
            nd->kids.many[0] = one;
        } else if (nd->n_kids == nd->cap_kids) {
            nd->cap_kids *= 2;
            nd->kids.many = km_realloc(nd->kids.many, nd->cap_kids * sizeof(uint32_t));
        }
        uint32_t k = tr_rank(nd, b);
        memmove(&nd->kids.many[k + 1], &nd->kids.many[k], (nd->n_kids - k) * sizeof(uint32_t));
        nd->kids.many[k] = c;
    }
    nd->n_kids++;
    nd->bits[b >> 6] |= 1ull << (b & 63);
    for (unsigned w = (b >> 6) + 1; w < 4; w++) {
        nd->rank[w]++;
    }
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
    tr_link(&t->nodes[node], b, c);
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
