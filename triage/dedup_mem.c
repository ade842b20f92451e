/* The in-memory dedup store (see dedup.h): five hash maps (records by key, fingerprint
 * claims, LSH buckets, place keys, incidents) and two FIFO lists in arrival order. A
 * bucket is a doubly linked list threaded through its records, newest first, whose head
 * is the map's value: no allocation per bucket; a place key likewise, through the place
 * nodes inside its records. Every call first
 * evicts the records and claims that left the window (or exceed max_posts); an incident
 * goes with the last of its records. Times normally arrive in order; a record that
 * arrived out of order waits for those before it, but lookups check every time, so it is
 * never seen after it expired. */
#include "triage/dedup.h"

#include "common/alloc.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* u64 -> pointer, open addressing with linear probing and backward-shift deletion. The
 * keys are XXH3 hashes already; a NULL value marks an empty slot. */
struct dm_map {
    uint64_t *keys;
    void **vals;
    size_t cap, n; /* cap is 0 or a power of two */
};

struct dm_inc {
    char *id;
    uint64_t ih;
    long posts;
    int escalated;     /* highest level announced */
    uint64_t *authors; /* ascending hashes of distinct authors */
    size_t n_authors, cap_authors;
    size_t refs; /* records that belong to it */
};

struct dm_rec;

/* A record's membership of one place key's list (newest first). */
struct dm_pnode {
    uint64_t ph; /* XXH3 of the place key */
    struct dm_rec *rec;
    struct dm_pnode *newer, *older;
};

struct dm_rec {
    struct km_dedup_rec r;
    uint64_t kh;
    uint64_t bands[KM_DEDUP_BANDS];
    struct dm_rec *newer[KM_DEDUP_BANDS], *older[KM_DEDUP_BANDS]; /* bucket lists */
    size_t n_bands;
    struct dm_pnode *places; /* n_places of them (most posts name none) */
    size_t n_places;
    struct dm_inc *inc;
    struct dm_rec *next; /* FIFO */
};

struct dm_claim {
    uint64_t fp;
    char *key;
    int64_t t_ms;
    struct dm_claim *next;
};

struct km_dedup_mem {
    struct dm_map recs, claims, buckets, places, incs;
    struct dm_rec *head, *tail;
    struct dm_claim *chead, *ctail;
    size_t n_recs, n_claims, max_posts;
    size_t bytes; /* allocated for records, claims, buckets and incidents */
};

/* ---- the map ------------------------------------------------------------------------- */

static size_t dm_home(const struct dm_map *m, uint64_t k)
{
    return (size_t)(k ^ (k >> 29)) & (m->cap - 1);
}

static void *dm_get(const struct dm_map *m, uint64_t k)
{
    for (size_t i = m->cap != 0 ? dm_home(m, k) : 0; m->cap != 0; i = (i + 1) & (m->cap - 1)) {
        if (m->vals[i] == NULL) {
            return NULL;
        }
        if (m->keys[i] == k) {
            return m->vals[i];
        }
    }
    return NULL;
}

static void dm_put_slot(struct dm_map *m, uint64_t k, void *v)
{
    size_t i = dm_home(m, k);
    while (m->vals[i] != NULL && m->keys[i] != k) {
        i = (i + 1) & (m->cap - 1);
    }
    m->n += m->vals[i] == NULL;
    m->keys[i] = k;
    m->vals[i] = v;
}

/* Sets k to v (v not NULL), replacing an old value. Keeps the load under 3/4. */
static void dm_put(struct km_dedup_mem *mem, struct dm_map *m, uint64_t k, void *v)
{
    if (4 * (m->n + 1) > 3 * m->cap) {
        struct dm_map old = *m;
        m->cap = old.cap != 0 ? 2 * old.cap : 64;
        m->keys = km_malloc(m->cap * sizeof(*m->keys));
        m->vals = km_calloc(m->cap, sizeof(*m->vals));
        m->n = 0;
        for (size_t i = 0; i < old.cap; i++) {
            if (old.vals[i] != NULL) {
                dm_put_slot(m, old.keys[i], old.vals[i]);
            }
        }
        mem->bytes += (m->cap - old.cap) * (sizeof(*m->keys) + sizeof(*m->vals));
        free(old.keys);
        free(old.vals);
    }
    dm_put_slot(m, k, v);
}

/* Removes k if its value is v (a newer value under the same key stays). */
static void dm_del(struct dm_map *m, uint64_t k, const void *v)
{
    size_t i = m->cap != 0 ? dm_home(m, k) : 0;
    while (m->cap != 0 && m->vals[i] != NULL && m->keys[i] != k) {
        i = (i + 1) & (m->cap - 1);
    }
    if (m->cap == 0 || m->vals[i] == NULL || m->vals[i] != v) {
        return;
    }
    m->vals[i] = NULL;
    m->n--;
    for (size_t j = (i + 1) & (m->cap - 1); m->vals[j] != NULL; j = (j + 1) & (m->cap - 1)) {
        size_t h = dm_home(m, m->keys[j]);
        /* j's entry may fill the hole at i unless its home lies cyclically in (i, j] */
        bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
        if (!stays) {
            m->keys[i] = m->keys[j];
            m->vals[i] = m->vals[j];
            m->vals[j] = NULL;
            i = j;
        }
    }
}

static void dm_map_free(struct dm_map *m)
{
    free(m->keys);
    free(m->vals);
}

static uint64_t dm_hash(const char *s)
{
    return XXH3_64bits(s, strlen(s));
}

/* ---- eviction ------------------------------------------------------------------------ */

static void dm_inc_release(struct km_dedup_mem *m, struct dm_inc *inc)
{
    if (inc == NULL || --inc->refs > 0) {
        return;
    }
    dm_del(&m->incs, inc->ih, inc);
    m->bytes -= sizeof(*inc) + strlen(inc->id) + 1 + inc->cap_authors * sizeof(uint64_t);
    free(inc->authors);
    free(inc->id);
    free(inc);
}

/* Index of bucket band in rec's bands (the band number, barring a 64-bit collision). */
static size_t dm_band_slot(const struct dm_rec *rec, uint64_t band)
{
    size_t i = 0;
    while (i + 1 < rec->n_bands && rec->bands[i] != band) {
        i++;
    }
    return i;
}

static void dm_bucket_remove(struct km_dedup_mem *m, size_t b, struct dm_rec *rec)
{
    uint64_t band = rec->bands[b];
    struct dm_rec *newer = rec->newer[b], *older = rec->older[b];
    if (newer != NULL) {
        newer->older[dm_band_slot(newer, band)] = older;
    } else if (older != NULL) {
        dm_put(m, &m->buckets, band, older);
    } else {
        dm_del(&m->buckets, band, rec);
    }
    if (older != NULL) {
        older->newer[dm_band_slot(older, band)] = newer;
    }
    rec->newer[b] = rec->older[b] = NULL;
}

static void dm_place_remove(struct km_dedup_mem *m, struct dm_pnode *pn)
{
    if (pn->newer != NULL) {
        pn->newer->older = pn->older;
    } else if (pn->older != NULL) {
        dm_put(m, &m->places, pn->ph, pn->older);
    } else {
        dm_del(&m->places, pn->ph, pn);
    }
    if (pn->older != NULL) {
        pn->older->newer = pn->newer;
    }
    pn->newer = pn->older = NULL;
}

static size_t dm_rec_bytes(const struct dm_rec *rec)
{
    return sizeof(*rec) + strlen(rec->r.key) + 1 +
           (rec->r.dup_of != NULL ? strlen(rec->r.dup_of) + 1 : 0) +
           (rec->r.incident != NULL ? strlen(rec->r.incident) + 1 : 0) +
           rec->r.n_sketch * sizeof(uint32_t);
}

static void dm_evict_rec(struct km_dedup_mem *m)
{
    struct dm_rec *rec = m->head;
    m->head = rec->next;
    m->tail = m->head != NULL ? m->tail : NULL;
    m->n_recs--;
    dm_del(&m->recs, rec->kh, rec);
    for (size_t b = 0; b < rec->n_bands; b++) {
        dm_bucket_remove(m, b, rec);
    }
    for (size_t i = 0; i < rec->n_places; i++) {
        dm_place_remove(m, &rec->places[i]);
    }
    m->bytes -= rec->n_places * sizeof(*rec->places);
    free(rec->places);
    dm_inc_release(m, rec->inc);
    m->bytes -= dm_rec_bytes(rec);
    km_dedup_rec_clear(&rec->r);
    free(rec);
}

static void dm_evict_claim(struct km_dedup_mem *m)
{
    struct dm_claim *c = m->chead;
    m->chead = c->next;
    m->ctail = m->chead != NULL ? m->ctail : NULL;
    m->n_claims--;
    dm_del(&m->claims, c->fp, c);
    m->bytes -= sizeof(*c) + strlen(c->key) + 1;
    free(c->key);
    free(c);
}

/* Evicts what left the window by now, and the oldest beyond max_posts - room. */
static void dm_expire(struct km_dedup_mem *m, int64_t now, int64_t window, size_t room)
{
    while (m->head != NULL &&
           (m->head->r.t_ms + window <= now || m->n_recs + room > m->max_posts)) {
        dm_evict_rec(m);
    }
    while (m->chead != NULL &&
           (m->chead->t_ms + window <= now || m->n_claims + room > m->max_posts)) {
        dm_evict_claim(m);
    }
}

/* ---- the ops ------------------------------------------------------------------------- */

static void dm_copy_rec(struct km_dedup_rec *out, const struct km_dedup_rec *in)
{
    out->key = km_strdup(in->key);
    out->dup_of = km_strdup(in->dup_of);
    out->incident = km_strdup(in->incident);
    out->t_ms = in->t_ms;
    out->fingerprint = in->fingerprint;
    out->n_sketch = in->n_sketch;
    out->sketch = NULL;
    if (in->n_sketch != 0) {
        out->sketch = km_malloc(in->n_sketch * sizeof(*out->sketch));
        memcpy(out->sketch, in->sketch, in->n_sketch * sizeof(*out->sketch));
    }
}

static const struct dm_rec *dm_find(const struct km_dedup_mem *m, const char *key, int64_t now,
                                    int64_t window)
{
    const struct dm_rec *rec = dm_get(&m->recs, dm_hash(key));
    if (rec == NULL || strcmp(rec->r.key, key) != 0 || rec->r.t_ms + window <= now) {
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
        dm_copy_rec(out, &rec->r);
    }
    return KM_OK;
}

static int dm_op_exact_claim(void *store, uint64_t fp, const char *key, int64_t now, int64_t window,
                             char **holder, struct km_err *err)
{
    (void)err;
    struct km_dedup_mem *m = store;
    dm_expire(m, now, window, 1);
    const struct dm_claim *c = dm_get(&m->claims, fp);
    *holder = NULL;
    if (c != NULL && c->t_ms + window > now) {
        *holder = km_strdup(c->key);
        return KM_OK;
    }
    struct dm_claim *nc = km_calloc(1, sizeof(*nc));
    nc->fp = fp;
    nc->key = km_strdup(key);
    nc->t_ms = now;
    if (m->ctail != NULL) {
        m->ctail->next = nc;
    } else {
        m->chead = nc;
    }
    m->ctail = nc;
    m->n_claims++;
    m->bytes += sizeof(*nc) + strlen(key) + 1;
    dm_put(m, &m->claims, fp, nc);
    return KM_OK;
}

static bool dm_listed(struct dm_rec *const *list, size_t n, const struct dm_rec *rec)
{
    for (size_t i = 0; i < n; i++) {
        if (list[i] == rec) {
            return true;
        }
    }
    return false;
}

static int dm_op_band_candidates(void *store, const uint64_t *bands, size_t n_bands,
                                 size_t per_band, int64_t now, int64_t window,
                                 struct km_dedup_rec **out, size_t *n, struct km_err *err)
{
    (void)err;
    struct km_dedup_mem *m = store;
    dm_expire(m, now, window, 0);
    struct dm_rec **found = km_malloc((n_bands * per_band + 1) * sizeof(*found));
    size_t nf = 0;
    for (size_t b = 0; b < n_bands; b++) {
        size_t taken = 0;
        for (struct dm_rec *rec = dm_get(&m->buckets, bands[b]); rec != NULL && taken < per_band;
             rec = rec->older[dm_band_slot(rec, bands[b])]) {
            bool live = rec->r.t_ms + window > now;
            if (live && !dm_listed(found, nf, rec)) {
                found[nf++] = rec;
            }
            taken += live;
        }
    }
    *out = km_calloc(nf + 1, sizeof(**out));
    for (size_t i = 0; i < nf; i++) {
        dm_copy_rec(&(*out)[i], &found[i]->r);
    }
    *n = nf;
    free(found);
    return KM_OK;
}

/* Pushes rec onto the front of its b-th bucket. */
static void dm_bucket_add(struct km_dedup_mem *m, size_t b, struct dm_rec *rec)
{
    uint64_t band = rec->bands[b];
    struct dm_rec *head = dm_get(&m->buckets, band);
    if (head == rec) { /* two bands with one bucket id: listed once */
        return;
    }
    rec->older[b] = head;
    if (head != NULL) {
        head->newer[dm_band_slot(head, band)] = rec;
    }
    dm_put(m, &m->buckets, band, rec);
}

/* Pushes rec onto the front of the list of each of its place keys. */
static void dm_places_add(struct km_dedup_mem *m, struct dm_rec *rec, char *const *places, size_t n)
{
    n = n < KM_DEDUP_MAX_PLACES ? n : KM_DEDUP_MAX_PLACES;
    rec->places = n > 0 ? km_malloc(n * sizeof(*rec->places)) : NULL;
    for (size_t i = 0; i < n; i++) {
        uint64_t ph = dm_hash(places[i]);
        struct dm_pnode *head = dm_get(&m->places, ph);
        bool dup = false;
        for (size_t k = 0; k < rec->n_places; k++) {
            dup = dup || rec->places[k].ph == ph;
        }
        if (dup) {
            continue;
        }
        struct dm_pnode *pn = &rec->places[rec->n_places++];
        *pn = (struct dm_pnode){.ph = ph, .rec = rec, .older = head};
        if (head != NULL) {
            head->newer = pn;
        }
        dm_put(m, &m->places, ph, pn);
    }
    m->bytes += rec->n_places * sizeof(*rec->places);
}

/* The incident named id, created if needed; counts one more post by author. */
static struct dm_inc *dm_inc_add(struct km_dedup_mem *m, const char *id, const char *author,
                                 bool *author_new)
{
    uint64_t ih = dm_hash(id);
    struct dm_inc *inc = dm_get(&m->incs, ih);
    if (inc == NULL || strcmp(inc->id, id) != 0) {
        inc = km_calloc(1, sizeof(*inc));
        inc->id = km_strdup(id);
        inc->ih = ih;
        m->bytes += sizeof(*inc) + strlen(id) + 1;
        dm_put(m, &m->incs, ih, inc);
    }
    inc->posts++;
    inc->refs++;
    uint64_t ah = dm_hash(author);
    size_t lo = 0, hi = inc->n_authors;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        lo = inc->authors[mid] < ah ? mid + 1 : lo;
        hi = inc->authors[mid] < ah ? hi : mid;
    }
    *author_new = lo == inc->n_authors || inc->authors[lo] != ah;
    if (*author_new) {
        if (inc->n_authors == inc->cap_authors) {
            size_t cap = inc->cap_authors != 0 ? 2 * inc->cap_authors : 4;
            inc->authors = km_realloc(inc->authors, cap * sizeof(*inc->authors));
            m->bytes += (cap - inc->cap_authors) * sizeof(*inc->authors);
            inc->cap_authors = cap;
        }
        memmove(inc->authors + lo + 1, inc->authors + lo,
                (inc->n_authors - lo) * sizeof(*inc->authors));
        inc->authors[lo] = ah;
        inc->n_authors++;
    }
    return inc;
}

static int dm_op_put(void *store, const struct km_dedup_rec *in, const uint64_t *bands,
                     size_t n_bands, const char *author, int64_t now, int64_t window,
                     struct km_dedup_size *size, struct km_err *err)
{
    (void)err;
    struct km_dedup_mem *m = store;
    dm_expire(m, now, window, 1);
    struct dm_rec *rec = km_calloc(1, sizeof(*rec));
    dm_copy_rec(&rec->r, in);
    rec->kh = dm_hash(in->key);
    rec->n_bands = n_bands < KM_DEDUP_BANDS ? n_bands : KM_DEDUP_BANDS;
    memcpy(rec->bands, bands, rec->n_bands * sizeof(*bands));
    if (m->tail != NULL) {
        m->tail->next = rec;
    } else {
        m->head = rec;
    }
    m->tail = rec;
    m->n_recs++;
    m->bytes += dm_rec_bytes(rec);
    dm_put(m, &m->recs, rec->kh, rec);
    for (size_t b = 0; b < rec->n_bands; b++) {
        dm_bucket_add(m, b, rec);
    }
    dm_places_add(m, rec, in->places, in->n_places);
    rec->inc =
        dm_inc_add(m, in->incident != NULL ? in->incident : in->key, author, &size->author_new);
    size->posts = rec->inc->posts;
    size->escalated = rec->inc->escalated;
    size->authors = (long)rec->inc->n_authors;
    return KM_OK;
}

static int dm_op_incident_get(void *store, const char *incident, int64_t now, int64_t window,
                              struct km_dedup_size *size, struct km_err *err)
{
    (void)err;
    struct km_dedup_mem *m = store;
    dm_expire(m, now, window, 0);
    const struct dm_inc *inc = dm_get(&m->incs, dm_hash(incident));
    memset(size, 0, sizeof(*size));
    if (inc != NULL && strcmp(inc->id, incident) == 0) {
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
    struct dm_inc *inc = dm_get(&m->incs, dm_hash(incident));
    if (inc != NULL && strcmp(inc->id, incident) == 0 && level > inc->escalated) {
        inc->escalated = level;
    }
    return KM_OK;
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
        for (const struct dm_pnode *pn = dm_get(&m->places, dm_hash(places[i])); pn != NULL;
             pn = pn->older) {
            const struct dm_rec *rec = pn->rec;
            if (rec->r.t_ms + window > now && strcmp(rec->r.key, self) != 0) {
                best = best == NULL || rec->r.t_ms > best->r.t_ms ? rec : best;
                break;
            }
        }
    }
    *found = best != NULL;
    if (best != NULL) {
        dm_copy_rec(out, &best->r);
    }
    return KM_OK;
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
};

struct km_dedup_mem *km_dedup_mem_new(size_t max_posts)
{
    struct km_dedup_mem *m = km_calloc(1, sizeof(*m));
    m->max_posts = max_posts != 0 ? max_posts : KM_DEDUP_MEM_MAX_POSTS;
    return m;
}

void km_dedup_mem_free(struct km_dedup_mem *m)
{
    if (m == NULL) {
        return;
    }
    m->max_posts = 0; /* evicts everything, incidents and buckets with their records */
    while (m->head != NULL) {
        dm_evict_rec(m);
    }
    while (m->chead != NULL) {
        dm_evict_claim(m);
    }
    dm_map_free(&m->recs);
    dm_map_free(&m->claims);
    dm_map_free(&m->buckets);
    dm_map_free(&m->places);
    dm_map_free(&m->incs);
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
