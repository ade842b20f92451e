/* The in-memory dedup store (see dedup.h): five hash maps (records by key, fingerprint
 * claims, LSH buckets, place keys, incidents) and two FIFO lists in arrival order.
 *
 * Records, claims and incidents are reached through 32-bit indices into slot tables (index
 * 0 means none), so every link and every map value takes 4 bytes. A record is one
 * allocation: a small header, then its bands, place keys, links, sketch, key and dup_of;
 * its incident id is the incident's own string. A bucket is a list threaded through its
 * records, newest first, whose head is the map's value: no allocation per bucket; a place
 * key likewise, through the place slots inside its records.
 *
 * Every call first evicts the records and claims that left the window (or exceed
 * max_posts), always the oldest to arrive first; an incident goes with the last of its
 * records. A record evicted is therefore the oldest of each of its lists: it only leaves
 * the map when it is a list's last record, and a link from a newer record to it goes stale.
 * Each record carries its arrival number, and a link is followed only to a record that
 * arrived before the one it leaves (an evicted index reused later holds a newer record).
 * Times normally arrive in order; a record that arrived out of order waits for those
 * before it, but lookups check every time, so it is never seen after it expired. */
#include "triage/dedup.h"

#include "common/alloc.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* Records a store can hold: a bucket's map value packs a record index with a band slot (4
 * bits for KM_DEDUP_BANDS) into 32 bits, and arrival numbers are compared modulo 2^32,
 * which needs fewer than 2^31 records alive. 268 million records would take over 100 GB
 * anyway. */
#define DM_BAND_BITS  4
#define DM_PLACE_BITS 2
#define DM_MAX_RECS   ((1u << (32 - DM_BAND_BITS)) - 1)
_Static_assert(KM_DEDUP_BANDS <= (1 << DM_BAND_BITS), "band slot must fit its bits");
_Static_assert(KM_DEDUP_MAX_PLACES <= (1 << DM_PLACE_BITS), "place slot must fit its bits");

/* u64 -> u32, open addressing with linear probing and backward-shift deletion. A slot
 * keeps a 32-bit tag of its key (the bits that choose its home) and its value; the whole
 * key is read back from the object the value names (key_of), only when a tag matches. The
 * keys are XXH3 hashes already; a 0 value marks an empty slot. */
struct dm_slot {
    uint32_t tag, val;
};

struct km_dedup_mem;

struct dm_map {
    struct dm_slot *slots;
    size_t cap, n; /* cap is 0 or a power of two */
    uint64_t (*key_of)(const struct km_dedup_mem *mem, uint32_t val); /* the key val is under */
};

/* Objects by index: at[i] for i in 1..used (at[0] is unused: index 0 means none); freed
 * indices wait in spare and are handed out again, last freed first. */
struct dm_slots {
    void **at;
    uint32_t *spare;
    size_t cap, used, n_spare;
};

struct dm_inc {
    long posts;
    int escalated;     /* highest level announced */
    uint32_t refs;     /* records that belong to it */
    uint64_t *authors; /* ascending hashes of distinct authors: &first or malloc'd */
    size_t n_authors, cap_authors;
    uint64_t first; /* the only author of most incidents */
    char id[];
};

/* One record, then in the same allocation (see the accessors below):
 *   uint64_t bands[n_bands], place_hashes[n_places];
 *   uint32_t older[n_bands], place_older[n_places], sketch[n_sketch];
 *   char key[], and dup_of[] when has_dup_of.
 * older[b] is the next older record of bucket bands[b] (0 at the end); place_older[i] the
 * next older place slot (record index << DM_PLACE_BITS | slot) of place key i. */
struct dm_rec {
    int64_t t_ms;
    uint64_t fingerprint;
    uint32_t seq;  /* arrival number */
    uint32_t inc;  /* index of its incident */
    uint32_t next; /* FIFO: the record that arrived next, 0 for the newest */
    uint32_t n_sketch;
    uint8_t n_bands, n_places;
    bool has_incident; /* put() named the incident (rather than leaving it to the key) */
    bool has_dup_of;
    alignas(uint64_t) unsigned char tail[];
};

struct dm_claim {
    uint64_t fp;
    int64_t t_ms;
    uint32_t next; /* FIFO */
    char key[];
};

struct km_dedup_mem {
    struct dm_map recs, claims, buckets, places, incs;
    struct dm_slots rec_at, claim_at, inc_at;
    uint32_t head, tail, chead, ctail; /* FIFOs of records and claims */
    uint32_t seq;                      /* arrival number of the next record */
    size_t n_recs, n_claims, max_posts;
    size_t bytes; /* allocated for records, claims, buckets, incidents and their tables */
};

/* ---- the map ------------------------------------------------------------------------- */

static uint32_t dm_tag(uint64_t k)
{
    return (uint32_t)(k ^ (k >> 29));
}

static size_t dm_home(const struct dm_map *m, uint32_t tag)
{
    return tag & (m->cap - 1);
}

/* The slot of key k, or the empty slot that ends its run. cap is not 0. */
static size_t dm_find_slot(const struct km_dedup_mem *mem, const struct dm_map *m, uint64_t k)
{
    uint32_t tag = dm_tag(k);
    size_t i = dm_home(m, tag);
    while (m->slots[i].val != 0 &&
           (m->slots[i].tag != tag || m->key_of(mem, m->slots[i].val) != k)) {
        i = (i + 1) & (m->cap - 1);
    }
    return i;
}

static uint32_t dm_get(const struct km_dedup_mem *mem, const struct dm_map *m, uint64_t k)
{
    return m->cap != 0 ? m->slots[dm_find_slot(mem, m, k)].val : 0;
}

/* Puts s into the first empty slot from its home (its key is not in m). */
static void dm_put_new(struct dm_map *m, struct dm_slot s)
{
    size_t i = dm_home(m, s.tag);
    while (m->slots[i].val != 0) {
        i = (i + 1) & (m->cap - 1);
    }
    m->slots[i] = s;
    m->n++;
}

/* Sets k to v (v not 0), replacing an old value. Keeps the load under 3/4. */
static void dm_put(struct km_dedup_mem *mem, struct dm_map *m, uint64_t k, uint32_t v)
{
    if (4 * (m->n + 1) > 3 * m->cap) {
        struct dm_map old = *m;
        m->cap = old.cap != 0 ? 2 * old.cap : 64;
        m->slots = km_calloc(m->cap, sizeof(*m->slots));
        m->n = 0;
        for (size_t i = 0; i < old.cap; i++) {
            if (old.slots[i].val != 0) {
                dm_put_new(m, old.slots[i]);
            }
        }
        mem->bytes += (m->cap - old.cap) * sizeof(*m->slots);
        free(old.slots);
    }
    size_t i = dm_find_slot(mem, m, k);
    m->n += m->slots[i].val == 0;
    m->slots[i] = (struct dm_slot){.tag = dm_tag(k), .val = v};
}

/* Removes k if its value is v, the value it was put with (a newer value under the same key
 * stays). Every value is under one key only, so the slot holding v in k's run is k's. */
static void dm_del(struct dm_map *m, uint64_t k, uint32_t v)
{
    uint32_t tag = dm_tag(k);
    size_t i = m->cap != 0 ? dm_home(m, tag) : 0;
    while (m->cap != 0 && m->slots[i].val != 0 &&
           (m->slots[i].tag != tag || m->slots[i].val != v)) {
        i = (i + 1) & (m->cap - 1);
    }
    if (m->cap == 0 || m->slots[i].val == 0) {
        return;
    }
    m->slots[i].val = 0;
    m->n--;
    for (size_t j = (i + 1) & (m->cap - 1); m->slots[j].val != 0; j = (j + 1) & (m->cap - 1)) {
        size_t h = dm_home(m, m->slots[j].tag);
        /* j's entry may fill the hole at i unless its home lies cyclically in (i, j] */
        bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
        if (!stays) {
            m->slots[i] = m->slots[j];
            m->slots[j].val = 0;
            i = j;
        }
    }
}

static void dm_map_free(struct dm_map *m)
{
    free(m->slots);
}

static uint64_t dm_hash(const char *s)
{
    return XXH3_64bits(s, strlen(s));
}

/* ---- slot tables --------------------------------------------------------------------- */

/* Gives obj an index (a spare one if any). */
static uint32_t dm_slot_take(struct km_dedup_mem *m, struct dm_slots *s, void *obj)
{
    uint32_t i = 0;
    if (s->n_spare > 0) {
        i = s->spare[--s->n_spare];
    } else {
        if (s->used + 1 >= s->cap) {
            size_t cap = s->cap != 0 ? 2 * s->cap : 64;
            s->at = km_realloc(s->at, cap * sizeof(*s->at));
            s->spare = km_realloc(s->spare, cap * sizeof(*s->spare));
            m->bytes += (cap - s->cap) * (sizeof(*s->at) + sizeof(*s->spare));
            s->cap = cap;
        }
        i = (uint32_t)++s->used;
    }
    s->at[i] = obj;
    return i;
}

static void dm_slot_drop(struct dm_slots *s, uint32_t i)
{
    s->at[i] = NULL;
    s->spare[s->n_spare++] = i;
}

static void dm_slots_free(struct dm_slots *s)
{
    free(s->at);
    free(s->spare);
}

/* ---- records ------------------------------------------------------------------------- */

static struct dm_rec *dm_rec_at(const struct km_dedup_mem *m, uint32_t i)
{
    return m->rec_at.at[i];
}

static uint64_t *dm_bands(const struct dm_rec *rec)
{
    return (uint64_t *)rec->tail;
}

static uint64_t *dm_place_hashes(const struct dm_rec *rec)
{
    return dm_bands(rec) + rec->n_bands;
}

static uint32_t *dm_older(const struct dm_rec *rec)
{
    return (uint32_t *)(dm_place_hashes(rec) + rec->n_places);
}

static uint32_t *dm_place_older(const struct dm_rec *rec)
{
    return dm_older(rec) + rec->n_bands;
}

static uint32_t *dm_sketch(const struct dm_rec *rec)
{
    return dm_place_older(rec) + rec->n_places;
}

static char *dm_key(const struct dm_rec *rec)
{
    return (char *)(dm_sketch(rec) + rec->n_sketch);
}

static char *dm_dup_of(const struct dm_rec *rec)
{
    const char *key = dm_key(rec);
    return rec->has_dup_of ? dm_key(rec) + strlen(key) + 1 : NULL;
}

/* Bytes of a record with these counts, key length and dup_of size (with its NUL; 0 for
 * none). */
static size_t dm_rec_size(size_t n_bands, size_t n_places, size_t n_sketch, size_t key_len,
                          size_t dup_size)
{
    return sizeof(struct dm_rec) + (n_bands + n_places) * (sizeof(uint64_t) + sizeof(uint32_t)) +
           n_sketch * sizeof(uint32_t) + key_len + 1 + dup_size;
}

static size_t dm_rec_bytes(const struct dm_rec *rec)
{
    const char *dup_of = dm_dup_of(rec);
    return dm_rec_size(rec->n_bands, rec->n_places, rec->n_sketch, strlen(dm_key(rec)),
                       dup_of != NULL ? strlen(dup_of) + 1 : 0);
}

/* The record a link from rec leads to, or NULL at the end of the list: a link to an
 * index freed since, or given to a record that arrived after rec, is stale. */
static const struct dm_rec *dm_follow(const struct km_dedup_mem *m, const struct dm_rec *rec,
                                      uint32_t link)
{
    const struct dm_rec *to = link != 0 ? dm_rec_at(m, link) : NULL;
    return to != NULL && (int32_t)(to->seq - rec->seq) < 0 ? to : NULL;
}

/* ---- eviction ------------------------------------------------------------------------ */

static void dm_inc_release(struct km_dedup_mem *m, uint32_t i)
{
    struct dm_inc *inc = m->inc_at.at[i];
    if (--inc->refs > 0) {
        return;
    }
    dm_del(&m->incs, dm_hash(inc->id), i);
    dm_slot_drop(&m->inc_at, i);
    size_t heap = inc->authors != &inc->first ? inc->cap_authors * sizeof(uint64_t) : 0;
    m->bytes -= sizeof(*inc) + strlen(inc->id) + 1 + heap;
    if (inc->authors != &inc->first) {
        free(inc->authors);
    }
    free(inc);
}

/* Evicts the record that arrived first: the oldest of every list it is in, so it leaves a
 * map only where it is a list's last record. */
static void dm_evict_rec(struct km_dedup_mem *m)
{
    uint32_t i = m->head;
    struct dm_rec *rec = dm_rec_at(m, i);
    m->head = rec->next;
    m->tail = m->head != 0 ? m->tail : 0;
    m->n_recs--;
    dm_del(&m->recs, dm_hash(dm_key(rec)), i);
    for (size_t b = 0; b < rec->n_bands; b++) {
        dm_del(&m->buckets, dm_bands(rec)[b], i << DM_BAND_BITS | (uint32_t)b);
    }
    for (uint32_t k = 0; k < rec->n_places; k++) {
        dm_del(&m->places, dm_place_hashes(rec)[k], i << DM_PLACE_BITS | k);
    }
    dm_inc_release(m, rec->inc);
    m->bytes -= dm_rec_bytes(rec);
    dm_slot_drop(&m->rec_at, i);
    free(rec);
}

static void dm_evict_claim(struct km_dedup_mem *m)
{
    uint32_t i = m->chead;
    struct dm_claim *c = m->claim_at.at[i];
    m->chead = c->next;
    m->ctail = m->chead != 0 ? m->ctail : 0;
    m->n_claims--;
    dm_del(&m->claims, c->fp, i);
    dm_slot_drop(&m->claim_at, i);
    m->bytes -= sizeof(*c) + strlen(c->key) + 1;
    free(c);
}

/* Evicts what left the window by now, and the oldest beyond max_posts - room. */
static void dm_expire(struct km_dedup_mem *m, int64_t now, int64_t window, size_t room)
{
    while (m->head != 0 &&
           (dm_rec_at(m, m->head)->t_ms + window <= now || m->n_recs + room > m->max_posts)) {
        dm_evict_rec(m);
    }
    while (m->chead != 0) {
        const struct dm_claim *c = m->claim_at.at[m->chead];
        if (c->t_ms + window > now && m->n_claims + room <= m->max_posts) {
            break;
        }
        dm_evict_claim(m);
    }
}

/* ---- the ops ------------------------------------------------------------------------- */

static void dm_copy_rec(const struct km_dedup_mem *m, struct km_dedup_rec *out,
                        const struct dm_rec *rec)
{
    const struct dm_inc *inc = m->inc_at.at[rec->inc];
    out->key = km_strdup(dm_key(rec));
    out->dup_of = km_strdup(dm_dup_of(rec));
    out->incident = rec->has_incident ? km_strdup(inc->id) : NULL;
    out->t_ms = rec->t_ms;
    out->fingerprint = rec->fingerprint;
    out->n_sketch = rec->n_sketch;
    out->sketch = NULL;
    if (rec->n_sketch != 0) {
        out->sketch = km_malloc(rec->n_sketch * sizeof(*out->sketch));
        memcpy(out->sketch, dm_sketch(rec), rec->n_sketch * sizeof(*out->sketch));
    }
}

static const struct dm_rec *dm_find(const struct km_dedup_mem *m, const char *key, int64_t now,
                                    int64_t window)
{
    uint32_t i = dm_get(m, &m->recs, dm_hash(key));
    const struct dm_rec *rec = i != 0 ? dm_rec_at(m, i) : NULL;
    if (rec == NULL || strcmp(dm_key(rec), key) != 0 || rec->t_ms + window <= now) {
        return NULL;
    }
    return rec;
}

static int dm_op_get(void *store, const char *key, int64_t now, int64_t window,
                     struct km_dedup_rec *out, bool *found, struct km_err *err)
{
    (void)err;
    struct km_dedup_mem *m = store;
    dm_expire(m, now, window, 0);
    const struct dm_rec *rec = dm_find(m, key, now, window);
    *found = rec != NULL;
    if (rec != NULL) {
        dm_copy_rec(m, out, rec);
    }
    return KM_OK;
}

static int dm_op_exact_claim(void *store, uint64_t fp, const char *key, int64_t now, int64_t window,
                             char **holder, struct km_err *err)
{
    (void)err;
    struct km_dedup_mem *m = store;
    dm_expire(m, now, window, 1);
    uint32_t ci = dm_get(m, &m->claims, fp);
    const struct dm_claim *c = ci != 0 ? m->claim_at.at[ci] : NULL;
    *holder = NULL;
    if (c != NULL && c->t_ms + window > now) {
        *holder = km_strdup(c->key);
        return KM_OK;
    }
    size_t len = strlen(key);
    struct dm_claim *nc = km_malloc(sizeof(*nc) + len + 1);
    *nc = (struct dm_claim){.fp = fp, .t_ms = now};
    memcpy(nc->key, key, len + 1);
    uint32_t i = dm_slot_take(m, &m->claim_at, nc);
    if (m->ctail != 0) {
        ((struct dm_claim *)m->claim_at.at[m->ctail])->next = i;
    } else {
        m->chead = i;
    }
    m->ctail = i;
    m->n_claims++;
    m->bytes += sizeof(*nc) + len + 1;
    dm_put(m, &m->claims, fp, i);
    return KM_OK;
}

static bool dm_listed(const struct dm_rec *const *list, size_t n, const struct dm_rec *rec)
{
    for (size_t i = 0; i < n; i++) {
        if (list[i] == rec) {
            return true;
        }
    }
    return false;
}

/* Index of bucket band in rec's bands (the band number, barring a 64-bit collision). */
static size_t dm_band_slot(const struct dm_rec *rec, uint64_t band)
{
    size_t i = 0;
    while (i + 1 < rec->n_bands && dm_bands(rec)[i] != band) {
        i++;
    }
    return i;
}

/* Calls visit(rec, arg) for each of the newest per_band live records of bucket band,
 * newest first (a record may come again from another bucket). */
static void dm_bucket_each(const struct km_dedup_mem *m, uint64_t band, size_t per_band,
                           int64_t now, int64_t window,
                           void (*visit)(const struct dm_rec *rec, void *arg), void *arg)
{
    uint32_t head = dm_get(m, &m->buckets, band) >> DM_BAND_BITS;
    const struct dm_rec *rec = head != 0 ? dm_rec_at(m, head) : NULL;
    for (size_t taken = 0; rec != NULL && taken < per_band;
         rec = dm_follow(m, rec, dm_older(rec)[dm_band_slot(rec, band)])) {
        if (rec->t_ms + window > now) {
            visit(rec, arg);
            taken++;
        }
    }
}

/* The records band_candidates() lists, each once. */
struct dm_found {
    const struct dm_rec **recs;
    size_t n;
};

static void dm_found_add(const struct dm_rec *rec, void *arg)
{
    struct dm_found *f = arg;
    if (!dm_listed(f->recs, f->n, rec)) {
        f->recs[f->n++] = rec;
    }
}

static int dm_op_band_candidates(void *store, const uint64_t *bands, size_t n_bands,
                                 size_t per_band, int64_t now, int64_t window,
                                 struct km_dedup_rec **out, size_t *n, struct km_err *err)
{
    (void)err;
    struct km_dedup_mem *m = store;
    dm_expire(m, now, window, 0);
    struct dm_found f = {km_malloc((n_bands * per_band + 1) * sizeof(*f.recs)), 0};
    for (size_t b = 0; b < n_bands; b++) {
        dm_bucket_each(m, bands[b], per_band, now, window, dm_found_add, &f);
    }
    *out = km_calloc(f.n + 1, sizeof(**out));
    for (size_t i = 0; i < f.n; i++) {
        dm_copy_rec(m, &(*out)[i], f.recs[i]);
    }
    *n = f.n;
    free(f.recs);
    return KM_OK;
}

/* Records one near_best() call has looked at: an open-addressing set of their addresses,
 * on the stack up to DM_SEEN_STACK slots (twice the 16 x 8 candidates a check asks for). */
#define DM_SEEN_STACK 256

struct dm_seen {
    const struct dm_rec **slots;
    size_t cap; /* a power of two, at least twice the records that can be added */
};

/* Adds rec; false if it was there already. */
static bool dm_seen_add(struct dm_seen *s, const struct dm_rec *rec)
{
    size_t i = (size_t)(((uintptr_t)rec >> 4) * 0x9E3779B97F4A7C15u >> 32) & (s->cap - 1);
    while (s->slots[i] != NULL && s->slots[i] != rec) {
        i = (i + 1) & (s->cap - 1);
    }
    bool added = s->slots[i] == NULL;
    s->slots[i] = rec;
    return added;
}

/* The running choice of near_best(). */
struct dm_near {
    const struct km_dedup_near_query *q;
    struct dm_seen seen;
    const struct dm_rec *best;
    double best_j;
};

/* Weighs rec for near_best(), once per call, with the check's tie rule (see
 * dd_near_by_candidates()). */
static void dm_near_weigh(const struct dm_rec *rec, void *arg)
{
    struct dm_near *nr = arg;
    if (!dm_seen_add(&nr->seen, rec) || strcmp(dm_key(rec), nr->q->self) == 0) {
        return;
    }
    /* one that cannot reach the best so far (a tie can still win) or the floor is cut short */
    double floor = nr->best_j > nr->q->min_jaccard ? nr->best_j : nr->q->min_jaccard;
    double j = km_dedup_jaccard_bounded(nr->q->sketch, nr->q->n_sketch, dm_sketch(rec),
                                        rec->n_sketch, floor);
    if (j < nr->q->min_jaccard) {
        return;
    }
    if (j > nr->best_j || (j == nr->best_j && nr->best != NULL && rec->t_ms < nr->best->t_ms)) {
        nr->best = rec;
        nr->best_j = j;
    }
}

static int dm_op_near_best(void *store, const struct km_dedup_near_query *q, int64_t now,
                           int64_t window, struct km_dedup_rec *out, double *jaccard, bool *found,
                           struct km_err *err)
{
    (void)err;
    struct km_dedup_mem *m = store;
    dm_expire(m, now, window, 0);
    const struct dm_rec *stack[DM_SEEN_STACK] = {0};
    struct dm_near nr = {.q = q, .seen = {stack, DM_SEEN_STACK}};
    size_t most = q->n_bands * q->max_per_band;
    if (2 * most > DM_SEEN_STACK) {
        for (nr.seen.cap = DM_SEEN_STACK; nr.seen.cap < 2 * most; nr.seen.cap *= 2) {
        }
        nr.seen.slots = km_calloc(nr.seen.cap, sizeof(*nr.seen.slots));
    }
    for (size_t b = 0; b < q->n_bands; b++) {
        dm_bucket_each(m, q->bands[b], q->max_per_band, now, window, dm_near_weigh, &nr);
    }
    if (nr.seen.slots != stack) {
        free(nr.seen.slots);
    }
    *found = nr.best != NULL;
    *jaccard = nr.best_j;
    if (nr.best != NULL) {
        dm_copy_rec(m, out, nr.best);
    }
    return KM_OK;
}

/* Pushes record i onto the front of its b-th bucket. */
static void dm_bucket_add(struct km_dedup_mem *m, size_t b, uint32_t i)
{
    struct dm_rec *rec = dm_rec_at(m, i);
    uint64_t band = dm_bands(rec)[b];
    uint32_t head = dm_get(m, &m->buckets, band) >> DM_BAND_BITS;
    if (head == i) { /* two bands with one bucket id: listed once */
        return;
    }
    dm_older(rec)[b] = head;
    dm_put(m, &m->buckets, band, i << DM_BAND_BITS | (uint32_t)b);
}

/* Pushes record i onto the front of the list of each of its place keys. */
static void dm_places_add(struct km_dedup_mem *m, uint32_t i)
{
    struct dm_rec *rec = dm_rec_at(m, i);
    for (uint32_t k = 0; k < rec->n_places; k++) {
        uint64_t ph = dm_place_hashes(rec)[k];
        dm_place_older(rec)[k] = dm_get(m, &m->places, ph);
        dm_put(m, &m->places, ph, i << DM_PLACE_BITS | k);
    }
}

/* Hashes of the distinct keys among the first KM_DEDUP_MAX_PLACES of places into ph;
 * returns their count. */
static size_t dm_place_hashes_of(char *const *places, size_t n, uint64_t *ph)
{
    size_t distinct = 0;
    for (size_t i = 0; i < n && i < KM_DEDUP_MAX_PLACES; i++) {
        uint64_t h = dm_hash(places[i]);
        bool dup = false;
        for (size_t k = 0; k < distinct; k++) {
            dup = dup || ph[k] == h;
        }
        if (!dup) {
            ph[distinct++] = h;
        }
    }
    return distinct;
}

/* A new record holding in with these bands and place hashes; links are 0. */
static struct dm_rec *dm_rec_new(const struct km_dedup_rec *in, const uint64_t *bands,
                                 size_t n_bands, const uint64_t *ph, size_t n_places, size_t *bytes)
{
    size_t key_len = strlen(in->key), dup_len = in->dup_of != NULL ? strlen(in->dup_of) : 0;
    bool has_dup_of = in->dup_of != NULL;
    *bytes = dm_rec_size(n_bands, n_places, in->n_sketch, key_len, has_dup_of ? dup_len + 1 : 0);
    struct dm_rec *rec = km_calloc(1, *bytes);
    rec->t_ms = in->t_ms;
    rec->fingerprint = in->fingerprint;
    rec->n_sketch = (uint32_t)in->n_sketch;
    rec->n_bands = (uint8_t)n_bands;
    rec->n_places = (uint8_t)n_places;
    rec->has_incident = in->incident != NULL;
    rec->has_dup_of = has_dup_of;
    memcpy(dm_bands(rec), bands, n_bands * sizeof(*bands));
    memcpy(dm_place_hashes(rec), ph, n_places * sizeof(*ph));
    if (in->n_sketch != 0) {
        memcpy(dm_sketch(rec), in->sketch, in->n_sketch * sizeof(*in->sketch));
    }
    char *key = dm_key(rec);
    memcpy(key, in->key, key_len + 1);
    if (has_dup_of) {
        memcpy(key + key_len + 1, in->dup_of, dup_len + 1);
    }
    return rec;
}

/* Inserts ah into inc's ascending authors unless there; true if it was new. */
static bool dm_inc_author(struct km_dedup_mem *m, struct dm_inc *inc, uint64_t ah)
{
    size_t lo = 0, hi = inc->n_authors;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        lo = inc->authors[mid] < ah ? mid + 1 : lo;
        hi = inc->authors[mid] < ah ? hi : mid;
    }
    if (lo < inc->n_authors && inc->authors[lo] == ah) {
        return false;
    }
    if (inc->n_authors == inc->cap_authors) {
        bool inline_first = inc->authors == &inc->first;
        size_t cap = inline_first ? 4 : 2 * inc->cap_authors;
        uint64_t *grown = km_realloc(inline_first ? NULL : inc->authors, cap * sizeof(*grown));
        if (inline_first) {
            grown[0] = inc->first;
        }
        m->bytes += (cap - (inline_first ? 0 : inc->cap_authors)) * sizeof(*grown);
        inc->authors = grown;
        inc->cap_authors = cap;
    }
    memmove(inc->authors + lo + 1, inc->authors + lo,
            (inc->n_authors - lo) * sizeof(*inc->authors));
    inc->authors[lo] = ah;
    inc->n_authors++;
    return true;
}

/* The index of the incident named id, created if needed; counts one more post by author. */
static uint32_t dm_inc_add(struct km_dedup_mem *m, const char *id, const char *author,
                           bool *author_new)
{
    uint64_t ih = dm_hash(id);
    uint32_t i = dm_get(m, &m->incs, ih);
    struct dm_inc *inc = i != 0 ? m->inc_at.at[i] : NULL;
    if (inc == NULL || strcmp(inc->id, id) != 0) {
        size_t len = strlen(id);
        inc = km_calloc(1, sizeof(*inc) + len + 1);
        memcpy(inc->id, id, len + 1);
        inc->authors = &inc->first;
        inc->cap_authors = 1;
        i = dm_slot_take(m, &m->inc_at, inc);
        m->bytes += sizeof(*inc) + len + 1;
        dm_put(m, &m->incs, ih, i);
    }
    inc->posts++;
    inc->refs++;
    *author_new = dm_inc_author(m, inc, dm_hash(author));
    return i;
}

static int dm_op_put(void *store, const struct km_dedup_rec *in, const uint64_t *bands,
                     size_t n_bands, const char *author, int64_t now, int64_t window,
                     struct km_dedup_size *size, struct km_err *err)
{
    (void)err;
    struct km_dedup_mem *m = store;
    dm_expire(m, now, window, 1);
    uint64_t ph[KM_DEDUP_MAX_PLACES];
    size_t n_places = dm_place_hashes_of(in->places, in->n_places, ph), bytes = 0;
    n_bands = n_bands < KM_DEDUP_BANDS ? n_bands : KM_DEDUP_BANDS;
    struct dm_rec *rec = dm_rec_new(in, bands, n_bands, ph, n_places, &bytes);
    rec->seq = m->seq++;
    uint32_t i = dm_slot_take(m, &m->rec_at, rec);
    if (m->tail != 0) {
        dm_rec_at(m, m->tail)->next = i;
    } else {
        m->head = i;
    }
    m->tail = i;
    m->n_recs++;
    m->bytes += bytes;
    dm_put(m, &m->recs, dm_hash(in->key), i);
    for (size_t b = 0; b < n_bands; b++) {
        dm_bucket_add(m, b, i);
    }
    dm_places_add(m, i);
    rec->inc =
        dm_inc_add(m, in->incident != NULL ? in->incident : in->key, author, &size->author_new);
    const struct dm_inc *inc = m->inc_at.at[rec->inc];
    size->posts = inc->posts;
    size->escalated = inc->escalated;
    size->authors = (long)inc->n_authors;
    return KM_OK;
}

/* The incident named id, or NULL. */
static struct dm_inc *dm_inc_find(const struct km_dedup_mem *m, const char *id)
{
    uint32_t i = dm_get(m, &m->incs, dm_hash(id));
    struct dm_inc *inc = i != 0 ? m->inc_at.at[i] : NULL;
    return inc != NULL && strcmp(inc->id, id) == 0 ? inc : NULL;
}

static int dm_op_incident_get(void *store, const char *incident, int64_t now, int64_t window,
                              struct km_dedup_size *size, struct km_err *err)
{
    (void)err;
    struct km_dedup_mem *m = store;
    dm_expire(m, now, window, 0);
    const struct dm_inc *inc = dm_inc_find(m, incident);
    memset(size, 0, sizeof(*size));
    if (inc != NULL) {
        size->posts = inc->posts;
        size->authors = (long)inc->n_authors;
        size->escalated = inc->escalated;
    }
    return KM_OK;
}

static int dm_op_escalated(void *store, const char *incident, const char *key, int level,
                           int64_t now, int64_t window, struct km_err *err)
{
    (void)key;
    (void)err;
    struct km_dedup_mem *m = store;
    dm_expire(m, now, window, 0);
    struct dm_inc *inc = dm_inc_find(m, incident);
    if (inc != NULL && level > inc->escalated) {
        inc->escalated = level;
    }
    return KM_OK;
}

/* The newest live record other than self listed under place key hash ph, or NULL. */
static const struct dm_rec *dm_place_newest(const struct km_dedup_mem *m, uint64_t ph,
                                            const char *self, int64_t now, int64_t window)
{
    uint32_t link = dm_get(m, &m->places, ph);
    const struct dm_rec *rec = link != 0 ? dm_rec_at(m, link >> DM_PLACE_BITS) : NULL;
    while (rec != NULL) {
        if (rec->t_ms + window > now && strcmp(dm_key(rec), self) != 0) {
            return rec;
        }
        link = dm_place_older(rec)[link & ((1u << DM_PLACE_BITS) - 1)];
        rec = dm_follow(m, rec, link >> DM_PLACE_BITS);
    }
    return NULL;
}

static int dm_op_place_candidate(void *store, char *const *places, size_t n_places,
                                 const char *self, int64_t now, int64_t window,
                                 struct km_dedup_rec *out, bool *found, struct km_err *err)
{
    (void)err;
    struct km_dedup_mem *m = store;
    dm_expire(m, now, window, 0);
    const struct dm_rec *best = NULL;
    for (size_t i = 0; i < n_places; i++) {
        const struct dm_rec *rec = dm_place_newest(m, dm_hash(places[i]), self, now, window);
        if (rec != NULL) {
            best = best == NULL || rec->t_ms > best->t_ms ? rec : best;
        }
    }
    *found = best != NULL;
    if (best != NULL) {
        dm_copy_rec(m, out, best);
    }
    return KM_OK;
}

/* ---- the keys of the maps' values --------------------------------------------------- */

static uint64_t dm_rec_key_of(const struct km_dedup_mem *m, uint32_t val)
{
    return dm_hash(dm_key(dm_rec_at(m, val)));
}

static uint64_t dm_claim_key_of(const struct km_dedup_mem *m, uint32_t val)
{
    return ((const struct dm_claim *)m->claim_at.at[val])->fp;
}

static uint64_t dm_bucket_key_of(const struct km_dedup_mem *m, uint32_t val)
{
    return dm_bands(dm_rec_at(m, val >> DM_BAND_BITS))[val & ((1u << DM_BAND_BITS) - 1)];
}

static uint64_t dm_place_key_of(const struct km_dedup_mem *m, uint32_t val)
{
    return dm_place_hashes(dm_rec_at(m, val >> DM_PLACE_BITS))[val & ((1u << DM_PLACE_BITS) - 1)];
}

static uint64_t dm_inc_key_of(const struct km_dedup_mem *m, uint32_t val)
{
    return dm_hash(((const struct dm_inc *)m->inc_at.at[val])->id);
}

const struct km_dedup_store_ops km_dedup_mem_ops = {
    .name = "memory",
    .get = dm_op_get,
    .exact_claim = dm_op_exact_claim,
    .band_candidates = dm_op_band_candidates,
    .put = dm_op_put,
    .incident_get = dm_op_incident_get,
    .place_candidate = dm_op_place_candidate,
    .escalated = dm_op_escalated,
    .near_best = dm_op_near_best,
};

struct km_dedup_mem *km_dedup_mem_new(size_t max_posts)
{
    struct km_dedup_mem *m = km_calloc(1, sizeof(*m));
    m->max_posts = max_posts == 0            ? KM_DEDUP_MEM_MAX_POSTS
                   : max_posts < DM_MAX_RECS ? max_posts
                                             : DM_MAX_RECS;
    m->recs.key_of = dm_rec_key_of;
    m->claims.key_of = dm_claim_key_of;
    m->buckets.key_of = dm_bucket_key_of;
    m->places.key_of = dm_place_key_of;
    m->incs.key_of = dm_inc_key_of;
    return m;
}

void km_dedup_mem_free(struct km_dedup_mem *m)
{
    if (m == NULL) {
        return;
    }
    m->max_posts = 0; /* evicts everything, incidents and buckets with their records */
    while (m->head != 0) {
        dm_evict_rec(m);
    }
    while (m->chead != 0) {
        dm_evict_claim(m);
    }
    dm_map_free(&m->recs);
    dm_map_free(&m->claims);
    dm_map_free(&m->buckets);
    dm_map_free(&m->places);
    dm_map_free(&m->incs);
    dm_slots_free(&m->rec_at);
    dm_slots_free(&m->claim_at);
    dm_slots_free(&m->inc_at);
    free(m);
}

void km_dedup_mem_stats(const struct km_dedup_mem *m, struct km_dedup_mem_stats *st)
{
    st->posts = m->n_recs;
    st->fingerprints = m->n_claims;
    st->buckets = m->buckets.n;
    st->incidents = m->incs.n;
    st->bytes = m->bytes + sizeof(*m);
}
