#include "triage/strmap.h"

#include "common/alloc.h"

#include <stdlib.h>
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

struct sm_slot {
    uint64_t hash;
    char *key; /* NULL = empty slot */
    size_t len;
    uint32_t *vals;
    uint32_t n, cap;
};

/* tags[i] is 0 for an empty slot, else a 7-bit fingerprint of the slot's hash with the top
 * bit set: a probe scans this dense array and reads the (large) slot only on a tag match,
 * so a miss costs one small cache line. lens has bit l set when some key has l bytes
 * (l < 63; bit 63 stands for every longer key), so most absent keys are not even hashed. */
struct km_strmap {
    struct sm_slot *slots;
    uint8_t *tags;
    uint64_t lens;
    size_t cap, n; /* cap is a power of two; load kept under 1/2 */
};

static inline uint8_t sm_tag(uint64_t h)
{
    return (uint8_t)((h >> 57) | 0x80);
}

static inline uint64_t sm_len_bit(size_t len)
{
    return 1ull << (len < 63 ? len : 63);
}

struct km_strmap *km_strmap_new(void)
{
    struct km_strmap *m = km_calloc(1, sizeof(*m));
    m->cap = 64;
    m->slots = km_calloc(m->cap, sizeof(*m->slots));
    m->tags = km_calloc(m->cap, 1);
    return m;
}

void km_strmap_free(struct km_strmap *m)
{
    if (m == NULL) {
        return;
    }
    for (size_t i = 0; i < m->cap; i++) {
        free(m->slots[i].key);
        free(m->slots[i].vals);
    }
    free(m->slots);
    free(m->tags);
    free(m);
}

/* The slot of key, or the empty slot where it would go. */
static struct sm_slot *sm_find(const struct km_strmap *m, uint64_t h, const char *key, size_t len)
{
    size_t mask = m->cap - 1;
    uint8_t tag = sm_tag(h);
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        uint8_t t = m->tags[i];
        if (t == 0) {
            return &m->slots[i];
        }
        if (t == tag) {
            struct sm_slot *s = &m->slots[i];
            if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0) {
                return s;
            }
        }
    }
}

/* The slot of key, or NULL when it is absent. */
static const struct sm_slot *sm_lookup(const struct km_strmap *m, const char *key, size_t len)
{
    if ((m->lens & sm_len_bit(len)) == 0) {
        return NULL;
    }
    const struct sm_slot *s = sm_find(m, XXH3_64bits(key, len), key, len);
    return s->key != NULL ? s : NULL;
}

static void sm_grow(struct km_strmap *m)
{
    struct sm_slot *old = m->slots;
    size_t old_cap = m->cap;
    m->cap *= 2;
    m->slots = km_calloc(m->cap, sizeof(*m->slots));
    free(m->tags);
    m->tags = km_calloc(m->cap, 1);
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i].key != NULL) {
            struct sm_slot *s = sm_find(m, old[i].hash, old[i].key, old[i].len);
            *s = old[i];
            m->tags[s - m->slots] = sm_tag(old[i].hash);
        }
    }
    free(old);
}

static struct sm_slot *sm_insert(struct km_strmap *m, const char *key, size_t len)
{
    if ((m->n + 1) * 2 > m->cap) {
        sm_grow(m);
    }
    uint64_t h = XXH3_64bits(key, len);
    struct sm_slot *s = sm_find(m, h, key, len);
    if (s->key == NULL) {
        s->hash = h;
        s->key = km_strndup(key, len);
        s->len = len;
        m->tags[s - m->slots] = sm_tag(h);
        m->lens |= sm_len_bit(len);
        m->n++;
    }
    return s;
}

void km_strmap_add_key(struct km_strmap *m, const char *key, size_t len)
{
    sm_insert(m, key, len);
}

void km_strmap_add_prefixes(struct km_strmap *m, const char *key, size_t len)
{
    for (size_t i = 1; i < len; i++) {
        if (((unsigned char)key[i] & 0xC0) != 0x80) {
            sm_insert(m, key, i);
        }
    }
}

bool km_strmap_find(const struct km_strmap *m, const char *key, size_t len, const uint32_t **vals,
                    size_t *n)
{
    const struct sm_slot *s = sm_lookup(m, key, len);
    *vals = s != NULL ? s->vals : NULL;
    *n = s != NULL ? s->n : 0;
    return s != NULL;
}

void km_strmap_add(struct km_strmap *m, const char *key, size_t len, uint32_t value)
{
    struct sm_slot *s = sm_insert(m, key, len);
    for (uint32_t i = 0; i < s->n; i++) {
        if (s->vals[i] == value) {
            return;
        }
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 2;
        s->vals = km_realloc(s->vals, s->cap * sizeof(*s->vals));
    }
    s->vals[s->n++] = value;
}

const uint32_t *km_strmap_get(const struct km_strmap *m, const char *key, size_t len, size_t *n)
{
    const struct sm_slot *s = sm_lookup(m, key, len);
    *n = s != NULL ? s->n : 0;
    return s != NULL ? s->vals : NULL;
}

size_t km_strmap_count(const struct km_strmap *m)
{
    return m->n;
}
