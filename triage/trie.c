#include "triage/trie.h"

#include "common/alloc.h"

#include <stdlib.h>
#include <string.h>

struct tr_kid {
    unsigned char byte;
    uint32_t node;
};

struct tr_node {
    struct tr_kid *kids; /* sorted by byte */
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

/* Index of the first kid of nd whose byte is >= b. */
static uint32_t tr_lower(const struct tr_node *nd, unsigned char b)
{
    uint32_t lo = 0, hi = nd->n_kids;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (nd->kids[mid].byte < b) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

uint32_t km_trie_step(const struct km_trie *t, uint32_t node, unsigned char b)
{
    if (node == 0) {
        return t->root[b];
    }
    const struct tr_node *nd = &t->nodes[node];
    uint32_t k = tr_lower(nd, b);
    return k < nd->n_kids && nd->kids[k].byte == b ? nd->kids[k].node : 0;
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
    uint32_t k = tr_lower(nd, b);
    memmove(&nd->kids[k + 1], &nd->kids[k], (nd->n_kids - k) * sizeof(*nd->kids));
    nd->kids[k].byte = b;
    nd->kids[k].node = c;
    nd->n_kids++;
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
