/* Duplicates and incidents: the algorithm (see dedup.h). The in-memory store is in
 * dedup_mem.c.
 *
 * From the normalised text (km_norm()) come the fingerprint (XXH3_64 of the whole text),
 * the character 4-gram shingles (one XXH3_64 each, over code points, not bytes), a 64-bit
 * simhash of them, a bottom-k sketch (the KM_DEDUP_SKETCH_MAX smallest upper halves, kept
 * in the store for the Jaccard confirmation) and a MinHash of 64 values cut into 16 LSH
 * bands. Nothing depends on a random seed or the clock: every komekd sharing a Redis must
 * derive the same buckets from the same text. */
#include "triage/dedup.h"

#include "common/alloc.h"
#include "common/buf.h"
#include "triage/norm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

/* Code points of a text that are shingled: a post is at most a few thousand characters
 * (Telegram 4096); anything longer is a document whose start identifies it well enough,
 * and the bound keeps the per-check work and buffers fixed. */
#define DD_MAX_CHARS 8192
#define DD_SHINGLE   4
/* Newest records read per LSH bucket: a bucket crowded by one incident's copies needs only
 * its latest members to find the incident; the bound keeps a check's work constant. */
#define DD_PER_BAND 8
/* Shorter normalised texts ("ок", "+1", "спасибо") are never duplicates of anything:
 * thousands of people write them about thousands of unrelated things. */
#define DD_MIN_EXACT_CHARS 8

struct dd_work {
    uint64_t *sh;      /* shingle hashes */
    uint32_t *v, *tmp; /* room for sorting their upper halves */
    size_t n_sh, cap_sh;
};

struct km_dedup {
    struct km_dedup_opts o;
    const struct km_dedup_store_ops *ops;
    void *store;
    struct dd_work w;
};

/* What the check computes from one post's text. */
struct dd_post {
    char *key;    /* "network:id" */
    char *author; /* "network:author" or "post:network:id" when unknown */
    uint64_t fp, simhash;
    size_t chars, tokens; /* code points of the normalised text; content tokens */
    bool exact_ok, near_ok;
    uint32_t sketch[KM_DEDUP_SKETCH_MAX];
    size_t n_sketch;
    uint64_t bands[KM_DEDUP_BANDS];
    char *places[KM_DEDUP_MAX_PLACES]; /* house keys, then street keys */
    size_t n_places, n_house;
};

/* Where a post goes: its first post (NULL: it is one) and its incident. */
struct dd_link {
    char *dup_of;
    char *incident;
};

/* ---- hashing ------------------------------------------------------------------------- */

/* Eight 32-bit lanes (GCC/Clang vector extension: two SSE2 registers on x86-64, or one
 * AVX2 register where the CPU has it, NEON on ARM, plain code elsewhere), for the MinHash
 * loop, which is most of a check's work. */
typedef uint32_t dd_v8 __attribute__((vector_size(32)));

static bool dd_is_lead(unsigned char c)
{
    return (c & 0xC0) != 0x80;
}

static void dd_work_free(struct dd_work *w)
{
    free(w->sh);
    free(w->v);
    free(w->tmp);
}

static void dd_push(struct dd_work *w, const char *s, size_t n)
{
    if (w->n_sh == w->cap_sh) {
        w->cap_sh = w->cap_sh != 0 ? 2 * w->cap_sh : 256;
        w->sh = km_realloc(w->sh, w->cap_sh * sizeof(*w->sh));
        w->v = km_realloc(w->v, w->cap_sh * sizeof(*w->v));
        w->tmp = km_realloc(w->tmp, w->cap_sh * sizeof(*w->tmp));
    }
    w->sh[w->n_sh++] = XXH3_64bits(s, n);
}

/* Hashes every DD_SHINGLE-code-point window of text into w->sh (one shingle of the whole
 * text when it is shorter, none when empty). Returns the number of code points used. */
static size_t dd_shingle(struct dd_work *w, const char *text)
{
    size_t ring[DD_SHINGLE]; /* ring[c % DD_SHINGLE]: offset of code point c */
    size_t chars = 0, i = 0;
    w->n_sh = 0;
    for (; text[i] != '\0'; i++) {
        if (!dd_is_lead((unsigned char)text[i])) {
            continue;
        }
        if (chars == DD_MAX_CHARS) {
            break;
        }
        if (chars >= DD_SHINGLE) { /* code points chars-4 .. chars-1 */
            size_t from = ring[chars % DD_SHINGLE];
            dd_push(w, text + from, i - from);
        }
        ring[chars % DD_SHINGLE] = i;
        chars++;
    }
    if (chars >= DD_SHINGLE) {
        size_t from = ring[chars % DD_SHINGLE];
        dd_push(w, text + from, i - from);
    } else if (chars > 0) {
        dd_push(w, text, i);
    }
    return chars;
}

/* Counts, for each of the 64 bits, the shingles that set it: eight byte-wide counters per
 * word (bits b, b+8, ... b+56 of every hash go to acc[b]), flushed before they overflow. */
static uint64_t dd_simhash(const uint64_t *sh, size_t n)
{
    const uint64_t lsb = 0x0101010101010101ULL;
    uint32_t ones[64] = {0};
    uint64_t acc[8] = {0};
    for (size_t i = 0; i < n; i++) {
        for (unsigned b = 0; b < 8; b++) {
            acc[b] += (sh[i] >> b) & lsb;
        }
        if ((i + 1) % 255 != 0 && i + 1 != n) {
            continue;
        }
        for (unsigned b = 0; b < 8; b++) {
            for (unsigned byte = 0; byte < 8; byte++) {
                ones[8 * byte + b] += (uint32_t)((acc[b] >> (8 * byte)) & 0xff);
            }
            acc[b] = 0;
        }
    }
    uint64_t out = 0;
    for (unsigned b = 0; b < 64; b++) {
        if (2 * (size_t)ones[b] > n) {
            out |= 1ULL << b;
        }
    }
    return out;
}

/* Sorts v[0..n) of uniformly distributed hashes ascending: one counting pass by the top
 * byte into tmp, then insertion sort, which has little left to do (buckets average
 * n / 256 values). The result is in tmp; returns it. */
static uint32_t *dd_sort(uint32_t *v, uint32_t *tmp, size_t n)
{
    size_t count[257] = {0};
    for (size_t i = 0; i < n; i++) {
        count[(v[i] >> 24) + 1]++;
    }
    for (size_t c = 1; c < 257; c++) {
        count[c] += count[c - 1];
    }
    for (size_t i = 0; i < n; i++) {
        tmp[count[v[i] >> 24]++] = v[i];
    }
    for (size_t i = 1; i < n; i++) {
        uint32_t x = tmp[i];
        size_t j = i;
        for (; j > 0 && tmp[j - 1] > x; j--) {
            tmp[j] = tmp[j - 1];
        }
        tmp[j] = x;
    }
    return tmp;
}

/* The bottom-k sketch of w's shingles into out: ascending unique upper halves of the
 * hashes, at most KM_DEDUP_SKETCH_MAX. Returns the count. */
static size_t dd_sketch(struct dd_work *w, uint32_t *out)
{
    for (size_t i = 0; i < w->n_sh; i++) {
        w->v[i] = (uint32_t)(w->sh[i] >> 32);
    }
    const uint32_t *sorted = dd_sort(w->v, w->tmp, w->n_sh);
    size_t k = 0;
    for (size_t i = 0; i < w->n_sh && k < KM_DEDUP_SKETCH_MAX; i++) {
        if (k == 0 || sorted[i] != out[k - 1]) {
            out[k++] = sorted[i];
        }
    }
    return k;
}

/* The highest Jaccard a merge can still end with, after k union elements of which both
 * were common, with ra and rb elements of each sketch left and at most limit in all: the
 * rest of the union has at least max(ra, rb) elements (up to the limit), at most
 * min(ra, rb) of them common. */
static double dd_jaccard_bound(size_t k, size_t both, size_t ra, size_t rb, size_t limit)
{
    size_t rest = ra > rb ? ra : rb, common = ra < rb ? ra : rb;
    rest = rest < limit - k ? rest : limit - k;
    common = common < rest ? common : rest;
    return k + rest != 0 ? (double)(both + common) / (double)(k + rest) : 0.0;
}

double km_dedup_jaccard_bounded(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
                                double floor)
{
    size_t limit =
        na >= KM_DEDUP_SKETCH_MAX || nb >= KM_DEDUP_SKETCH_MAX ? KM_DEDUP_SKETCH_MAX : SIZE_MAX;
    size_t i = 0, j = 0, k = 0, both = 0;
    while ((i < na || j < nb) && k < limit) {
        if (j >= nb || (i < na && a[i] < b[j])) {
            i++;
        } else if (i >= na || b[j] < a[i]) {
            j++;
        } else {
            both++;
            i++;
            j++;
        }
        k++;
        /* every 16 elements: stop once even the best ending stays under floor */
        if (k % 16 == 0 && dd_jaccard_bound(k, both, na - i, nb - j, limit) < floor) {
            return -1.0;
        }
    }
    return k != 0 ? (double)both / (double)k : 0.0;
}

double km_dedup_jaccard(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
    return km_dedup_jaccard_bounded(a, na, b, nb, 0.0);
}

/* MinHash of the shingles, then one bucket id per band (the band's index is the seed, so
 * equal rows in different bands are different buckets). The i-th of the 64 hash functions
 * is lo + i * hi (mod 2^32) of the shingle's XXH3 halves (Kirsch-Mitzenmacher double
 * hashing): each is a random function of the shingle, and over 20,000 random set pairs
 * per Jaccard value the band collision rate matched 1 - (1 - J^4)^16 within 0.005, the
 * same as 64 independent multiply-shift hashes, at a fraction of the cost. */
static void dd_minhash_body(const uint64_t *sh, size_t n, uint32_t *sig)
{
    dd_v8 acc[KM_DEDUP_MINHASH / 8];
    for (size_t k = 0; k < KM_DEDUP_MINHASH / 8; k++) {
        acc[k] = ~(dd_v8){0};
    }
    for (size_t s = 0; s < n; s++) {
        uint32_t lo = (uint32_t)sh[s], hi = (uint32_t)(sh[s] >> 32) | 1;
        dd_v8 v = lo + hi * (dd_v8){0, 1, 2, 3, 4, 5, 6, 7};
        dd_v8 step = (dd_v8){0} + 8 * hi;
        for (size_t k = 0; k < KM_DEDUP_MINHASH / 8; k++) { /* acc = min(acc, v) */
            dd_v8 less = (dd_v8)(v < acc[k]);
            acc[k] = (v & less) | (acc[k] & ~less);
            v += step;
        }
    }
    _Static_assert(sizeof(acc) == KM_DEDUP_MINHASH * sizeof(uint32_t),
                   "the vector lanes are the signature");
    memcpy(sig, acc, sizeof(acc));
}

#if defined(__x86_64__) && defined(__GNUC__)
/* The same loop in AVX2 (one unsigned-min instruction per eight values, which the vector
 * extension cannot express), used when the CPU has it; the values are the same. */
__attribute__((target("avx2"))) static void dd_minhash_avx2(const uint64_t *sh, size_t n,
                                                            uint32_t *sig)
{
    __m256i acc[KM_DEDUP_MINHASH / 8];
    for (size_t k = 0; k < KM_DEDUP_MINHASH / 8; k++) {
        acc[k] = _mm256_set1_epi32(-1);
    }
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (size_t s = 0; s < n; s++) {
        uint32_t lo = (uint32_t)sh[s], hi = (uint32_t)(sh[s] >> 32) | 1;
        __m256i v = _mm256_add_epi32(_mm256_set1_epi32((int)lo),
                                     _mm256_mullo_epi32(_mm256_set1_epi32((int)hi), lane));
        const __m256i step = _mm256_set1_epi32((int)(8 * hi));
        for (size_t k = 0; k < KM_DEDUP_MINHASH / 8; k++) {
            acc[k] = _mm256_min_epu32(acc[k], v);
            v = _mm256_add_epi32(v, step);
        }
    }
    for (size_t k = 0; k < KM_DEDUP_MINHASH / 8; k++) {
        _mm256_storeu_si256((__m256i *)(void *)(sig + 8 * k), acc[k]);
    }
}
#endif

/* The 64 MinHash values of the shingles into sig. */
static void dd_minhash(const uint64_t *sh, size_t n, uint32_t *sig)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_cpu_supports("avx2")) {
        dd_minhash_avx2(sh, n, sig);
        return;
    }
#endif
    dd_minhash_body(sh, n, sig);
}

static void dd_bands(const uint64_t *sh, size_t n, uint64_t *bands)
{
    uint32_t sig[KM_DEDUP_MINHASH];
    dd_minhash(sh, n, sig);
    for (size_t b = 0; b < KM_DEDUP_BANDS; b++) {
        unsigned char row[4 * KM_DEDUP_ROWS];
        for (size_t r = 0; r < KM_DEDUP_ROWS; r++) {
            uint32_t v = sig[b * KM_DEDUP_ROWS + r];
            for (size_t byte = 0; byte < 4; byte++) { /* little-endian on every host */
                row[4 * r + byte] = (unsigned char)(v >> (8 * byte));
            }
        }
        bands[b] = XXH3_64bits_withSeed(row, sizeof(row), b + 1);
    }
}

/* ---- options ------------------------------------------------------------------------- */

int km_dedup_opts_check(const struct km_dedup_opts *o, struct km_err *err)
{
    if (o->window_ms != 0 && o->window_ms < 1000) {
        return km_err_set(err, KM_EINPUT, "dedup window must be at least 1s");
    }
    if (!(o->near >= 0.0 && o->near <= 1.0) || !(o->related >= 0.0 && o->related <= 1.0)) {
        return km_err_set(err, KM_EINPUT, "dedup near and related must be within 0..1");
    }
    double near = o->near != 0.0 ? o->near : KM_DEDUP_NEAR;
    double related = o->related != 0.0 ? o->related : KM_DEDUP_RELATED;
    if (related > near) {
        return km_err_set(err, KM_EINPUT, "dedup related (%.2f) above near (%.2f)", related, near);
    }
    long prev = 1;
    for (size_t i = 0; i < KM_DEDUP_MAX_LEVELS && o->escalate[i] != 0; i++) {
        if (o->escalate[i] <= prev) {
            return km_err_set(err, KM_EINPUT,
                              "dedup escalation sizes must be ascending and at least 2");
        }
        prev = o->escalate[i];
    }
    return KM_OK;
}

static void dd_resolve_opts(struct km_dedup_opts *o, const struct km_dedup_opts *in)
{
    static const long def_levels[KM_DEDUP_MAX_LEVELS] = {3, 10, 0, 0};
    struct km_err err;
    if (in != NULL && km_dedup_opts_check(in, &err) == KM_OK) {
        *o = *in;
    } else {
        memset(o, 0, sizeof(*o));
    }
    o->window_ms = o->window_ms != 0 ? o->window_ms : KM_DEDUP_WINDOW_MS;
    o->near = o->near != 0.0 ? o->near : KM_DEDUP_NEAR;
    o->related = o->related != 0.0 ? o->related : KM_DEDUP_RELATED;
    o->min_chars = o->min_chars != 0 ? o->min_chars : KM_DEDUP_MIN_CHARS;
    o->min_tokens = o->min_tokens != 0 ? o->min_tokens : KM_DEDUP_MIN_TOKENS;
    if (o->escalate[0] == 0) {
        memcpy(o->escalate, def_levels, sizeof(def_levels));
    }
}

struct km_dedup *km_dedup_new(const struct km_dedup_opts *opts,
                              const struct km_dedup_store_ops *ops, void *store)
{
    struct km_dedup *d = km_calloc(1, sizeof(*d));
    dd_resolve_opts(&d->o, opts);
    d->ops = ops;
    d->store = store;
    return d;
}

void km_dedup_free(struct km_dedup *d)
{
    if (d == NULL) {
        return;
    }
    dd_work_free(&d->w);
    free(d);
}

void km_dedup_rec_clear(struct km_dedup_rec *r)
{
    if (r == NULL) {
        return;
    }
    free(r->key);
    free(r->dup_of);
    free(r->incident);
    free(r->sketch);
    for (size_t i = 0; i < r->n_places; i++) {
        free(r->places[i]);
    }
    free(r->places);
    memset(r, 0, sizeof(*r));
}

void km_dedup_recs_free(struct km_dedup_rec *recs, size_t n)
{
    for (size_t i = 0; recs != NULL && i < n; i++) {
        km_dedup_rec_clear(&recs[i]);
    }
    free(recs);
}

/* ---- analysis of one post ------------------------------------------------------------ */

/* Content tokens: words of the text (not hashtags) of 3+ characters or with a digit. */
static size_t dd_content_tokens(const struct km_norm_text *nt)
{
    size_t n = 0;
    for (size_t i = 0; i < nt->n_tokens; i++) {
        const struct km_norm_token *t = &nt->tokens[i];
        size_t chars = 0;
        bool digit = false;
        for (size_t j = 0; j < t->len; j++) {
            chars += dd_is_lead((unsigned char)t->text[j]);
            digit = digit || (t->text[j] >= '0' && t->text[j] <= '9');
        }
        n += !t->hashtag && (chars >= 3 || digit);
    }
    return n;
}

static char *dd_author(const struct km_post *p, const char *key)
{
    const char *a = p->author.id != NULL       ? p->author.id
                    : p->author.handle != NULL ? p->author.handle
                                               : p->author.name;
    return a != NULL ? km_strjoin(p->network, ":", a, NULL) : km_strjoin("post:", key, NULL);
}

/* Fills dp from p's text: fingerprint, simhash, guards, sketch and LSH bands, place keys.
 * given is what the caller read from the text, or NULL. */
static void dd_analyse(struct km_dedup *d, const struct km_post *p,
                       const struct km_dedup_read *given, struct dd_post *dp)
{
    const char *text = p->text != NULL ? p->text : "";
    struct km_norm_text *own = given == NULL ? km_norm(text, strlen(text)) : NULL;
    struct km_dedup_read read = given != NULL ? *given : (struct km_dedup_read){.nt = own};
    const struct km_norm_text *nt = read.nt;
    dp->key = km_strjoin(p->network, ":", p->id, NULL);
    dp->author = dd_author(p, dp->key);
    dp->fp = XXH3_64bits(nt->text, strlen(nt->text));
    dp->chars = dd_shingle(&d->w, nt->text);
    dp->tokens = dd_content_tokens(nt);
    dp->simhash = dd_simhash(d->w.sh, d->w.n_sh);
    dp->exact_ok = dp->chars >= DD_MIN_EXACT_CHARS;
    dp->near_ok = dp->chars >= d->o.min_chars && dp->tokens >= d->o.min_tokens;
    if (dp->near_ok) {
        dp->n_sketch = dd_sketch(&d->w, dp->sketch);
        dd_bands(d->w.sh, d->w.n_sh, dp->bands);
    }
    dp->n_places = km_dedup_place_keys_read(text, &read, p->triage.category, dp->places,
                                            KM_DEDUP_MAX_PLACES, &dp->n_house);
    km_norm_free(own);
}

static char *dd_incident_id(const char *first_key)
{
    char id[4 + 12 + 1] = "inc-";
    char hex[16];
    km_fmt_hex64(hex, XXH3_64bits(first_key, strlen(first_key)));
    memcpy(id + 4, hex, 12);
    id[16] = '\0';
    return km_strdup(id);
}

/* Links to rec: its first post (rec itself when it is an original) and its incident. */
static void dd_link_to(struct dd_link *ln, const struct km_dedup_rec *rec)
{
    ln->dup_of = km_strdup(rec->dup_of != NULL ? rec->dup_of : rec->key);
    ln->incident = rec->incident != NULL ? km_strdup(rec->incident) : dd_incident_id(ln->dup_of);
}

/* ---- the four stages ----------------------------------------------------------------- */

static int dd_stage_repost(struct km_dedup *d, const struct km_post *p, int64_t now,
                           struct dd_link *ln, bool *linked, struct km_err *err)
{
    struct km_dedup_rec rec = {0};
    bool found = false;
    char *key = km_strjoin(p->network, ":", p->reply_to, NULL);
    int rc = d->ops->get(d->store, key, now, d->o.window_ms, &rec, &found, err);
    if (rc == KM_OK && found) {
        dd_link_to(ln, &rec);
        *linked = true;
    }
    km_dedup_rec_clear(&rec);
    free(key);
    return rc;
}

static int dd_stage_exact(struct km_dedup *d, const struct dd_post *dp, int64_t now,
                          struct dd_link *ln, bool *linked, struct km_err *err)
{
    struct km_dedup_rec rec = {0};
    char *holder = NULL;
    bool found = false;
    int rc = d->ops->exact_claim(d->store, dp->fp, dp->key, now, d->o.window_ms, &holder, err);
    if (rc != KM_OK || holder == NULL || strcmp(holder, dp->key) == 0) {
        goto out;
    }
    rc = d->ops->get(d->store, holder, now, d->o.window_ms, &rec, &found, err);
    if (rc != KM_OK) {
        goto out;
    }
    if (!found) { /* claimed by a check still running elsewhere: the holder is first */
        rec.key = holder;
        holder = NULL;
    }
    dd_link_to(ln, &rec);
    *linked = true;
out:
    km_dedup_rec_clear(&rec);
    free(holder);
    return rc;
}

/* Finds the most similar candidate (the earliest of equals) and links to it by the
 * thresholds. */
/* The best near candidate through band_candidates(), for a store without near_best:
 * the same choice, made on copies of every candidate (*best gets a copy of the chosen). */
static int dd_near_by_candidates(struct km_dedup *d, const struct km_dedup_near_query *q,
                                 int64_t now, struct km_dedup_rec *best, double *best_j,
                                 bool *found, struct km_err *err)
{
    struct km_dedup_rec *cand = NULL;
    size_t n = 0, b = SIZE_MAX;
    int rc = d->ops->band_candidates(d->store, q->bands, q->n_bands, q->max_per_band, now,
                                     d->o.window_ms, &cand, &n, err);
    *best_j = 0.0;
    for (size_t i = 0; rc == KM_OK && i < n; i++) {
        if (strcmp(cand[i].key, q->self) == 0) {
            continue;
        }
        double j = km_dedup_jaccard(q->sketch, q->n_sketch, cand[i].sketch, cand[i].n_sketch);
        if (j > *best_j || (j == *best_j && b != SIZE_MAX && cand[i].t_ms < cand[b].t_ms)) {
            b = i;
            *best_j = j;
        }
    }
    *found = b != SIZE_MAX;
    if (*found) { /* moved out of the array */
        *best = cand[b];
        memset(&cand[b], 0, sizeof(cand[b]));
    }
    km_dedup_recs_free(cand, n);
    return rc;
}

static int dd_stage_near(struct km_dedup *d, const struct dd_post *dp, int64_t now,
                         struct dd_link *ln, struct km_dedup_result *r, struct km_err *err)
{
    struct km_dedup_near_query q = {.bands = dp->bands,
                                    .n_bands = KM_DEDUP_BANDS,
                                    .max_per_band = DD_PER_BAND,
                                    .sketch = dp->sketch,
                                    .n_sketch = dp->n_sketch,
                                    .self = dp->key,
                                    .min_jaccard = d->o.related};
    struct km_dedup_rec best = {0};
    double best_j = 0.0;
    bool found = false;
    int rc = d->ops->near_best != NULL
                 ? d->ops->near_best(d->store, &q, now, d->o.window_ms, &best, &best_j, &found, err)
                 : dd_near_by_candidates(d, &q, now, &best, &best_j, &found, err);
    if (rc == KM_OK && found && best_j >= d->o.related) {
        r->jaccard = best_j;
        dd_link_to(ln, &best);
        r->is_near_dup = best_j >= d->o.near;
        r->is_related = !r->is_near_dup;
        if (r->is_related) {
            free(ln->dup_of);
            ln->dup_of = NULL;
        }
    }
    km_dedup_rec_clear(&best);
    return rc;
}

/* A copy of street key k with its last character (the form: '*', '#' or '+') set to form. */
static char *dd_street_form(const char *k, char form)
{
    char *s = km_strdup(k);
    s[strlen(s) - 1] = form;
    return s;
}

/* The lookups of dp's place keys (see km_dedup_place_keys()): a post with a house number
 * looks up its house keys, then the "*" forms of its street keys (a street named alone); one
 * without looks up the "*" and "+" (a crossing on it) forms of its street keys, and the "#"
 * form (a house on it) unless the key is itself a crossing's: "Kabanbay x Dostyk" and
 * "Кабанбай батыра 40" are two places. Fills keys[] (3 * KM_DEDUP_MAX_PLACES, to free) and
 * the size of each stage. */
static void dd_place_lookups(const struct dd_post *dp, char **keys, size_t *first, size_t *second)
{
    size_t n = 0;
    for (size_t i = 0; i < dp->n_house; i++) {
        keys[n++] = km_strdup(dp->places[i]);
    }
    *first = n;
    for (size_t i = dp->n_house; i < dp->n_places; i++) {
        const char *k = dp->places[i];
        keys[n++] = dd_street_form(k, '*');
        if (dp->n_house == 0) {
            keys[n++] = dd_street_form(k, '+');
            if (k[strlen(k) - 1] != '+') {
                keys[n++] = dd_street_form(k, '#');
            }
        }
    }
    *second = n - *first;
}

/* Joins the incident of the newest post in the window found by dd_place_lookups(): through
 * its house keys first, else through its street keys. */
static int dd_stage_place(struct km_dedup *d, const struct dd_post *dp, int64_t now,
                          struct dd_link *ln, struct km_dedup_result *r, struct km_err *err)
{
    struct km_dedup_rec rec = {0};
    bool found = false;
    char *keys[3 * KM_DEDUP_MAX_PLACES];
    size_t first = 0, second = 0;
    dd_place_lookups(dp, keys, &first, &second);
    int rc = first > 0 ? d->ops->place_candidate(d->store, keys, first, dp->key, now,
                                                 d->o.window_ms, &rec, &found, err)
                       : KM_OK;
    if (rc == KM_OK && !found && second > 0) {
        rc = d->ops->place_candidate(d->store, keys + first, second, dp->key, now, d->o.window_ms,
                                     &rec, &found, err);
    }
    for (size_t i = 0; i < first + second; i++) {
        free(keys[i]);
    }
    if (rc == KM_OK && found) {
        dd_link_to(ln, &rec);
        free(ln->dup_of);
        ln->dup_of = NULL;
        r->is_related = true;
        r->is_place = true;
    }
    km_dedup_rec_clear(&rec);
    return rc;
}

static int dd_link(struct km_dedup *d, const struct km_post *p, const struct dd_post *dp,
                   int64_t now, struct dd_link *ln, struct km_dedup_result *r, struct km_err *err)
{
    bool linked = false;
    int rc = KM_OK;
    if (p->reply_to != NULL && p->reply_to[0] != '\0') {
        rc = dd_stage_repost(d, p, now, ln, &linked, err);
        r->is_repost = linked;
    }
    if (rc == KM_OK && !linked && dp->exact_ok) {
        rc = dd_stage_exact(d, dp, now, ln, &linked, err);
        r->is_exact_dup = linked;
    }
    if (rc == KM_OK && !linked && dp->near_ok) {
        rc = dd_stage_near(d, dp, now, ln, r, err);
    }
    if (rc == KM_OK && !linked && ln->incident == NULL && dp->n_places > 0 &&
        d->ops->place_candidate != NULL) {
        rc = dd_stage_place(d, dp, now, ln, r, err);
    }
    if (rc == KM_OK && ln->incident == NULL) {
        ln->incident = dd_incident_id(dp->key);
    }
    return rc;
}

/* ---- the check ----------------------------------------------------------------------- */

/* The highest level the incident has reached and nobody announced yet, if this post made
 * it grow; recorded in the store. */
static int dd_escalation(const struct km_dedup *d, const struct dd_post *dp,
                         const struct dd_link *ln, int64_t now, struct km_dedup_result *r,
                         struct km_err *err)
{
    long measure = d->o.escalate_by_authors ? r->size.authors : r->size.posts;
    bool grew = d->o.escalate_by_authors ? r->size.author_new : true;
    int level = 0;
    for (size_t i = 0; grew && i < KM_DEDUP_MAX_LEVELS && d->o.escalate[i] != 0; i++) {
        level = measure >= d->o.escalate[i] ? (int)i + 1 : level;
    }
    if (level <= r->size.escalated) {
        return KM_OK;
    }
    r->escalate = level;
    r->escalate_at = d->o.escalate[level - 1];
    r->size.escalated = level;
    return d->ops->escalated != NULL
               ? d->ops->escalated(d->store, ln->incident, dp->key, level, now, d->o.window_ms, err)
               : KM_OK;
}

/* Stores the post: in the near index unless it is an exact copy or short. */
static int dd_store(struct km_dedup *d, const struct dd_post *dp, const struct dd_link *ln,
                    int64_t now, struct km_dedup_result *r, struct km_err *err)
{
    bool indexed = dp->near_ok && !r->is_exact_dup;
    struct km_dedup_rec rec = {
        .key = dp->key,
        .dup_of = ln->dup_of,
        .incident = ln->incident,
        .t_ms = now,
        .fingerprint = dp->fp,
        .sketch = indexed ? (uint32_t *)dp->sketch : NULL,
        .n_sketch = indexed ? dp->n_sketch : 0,
        .places = (char **)dp->places,
        .n_places = dp->n_places,
    };
    return d->ops->put(d->store, &rec, dp->bands, indexed ? KM_DEDUP_BANDS : 0, dp->author, now,
                       d->o.window_ms, &r->size, err);
}

static void dd_publish(struct km_post *p, const struct dd_post *dp, struct dd_link *ln)
{
    char hex[17];
    km_fmt_hex64(hex, dp->fp);
    hex[16] = '\0';
    km_post_set(&p->triage.fingerprint, hex);
    p->triage.simhash = dp->simhash;
    free(p->triage.incident);
    free(p->triage.dup_of);
    p->triage.incident = ln->incident;
    p->triage.dup_of = ln->dup_of;
    ln->incident = NULL;
    ln->dup_of = NULL;
}

static void dd_unpublish(struct km_post *p)
{
    free(p->triage.fingerprint);
    free(p->triage.incident);
    free(p->triage.dup_of);
    p->triage.fingerprint = p->triage.incident = p->triage.dup_of = NULL;
    p->triage.simhash = 0;
}

/* A post checked before: its stored answer and its incident's current size. */
static int dd_replay(struct km_dedup *d, const struct dd_post *dp, struct km_dedup_rec *own,
                     int64_t now, struct dd_link *ln, struct km_dedup_result *r, struct km_err *err)
{
    r->replay = true;
    ln->dup_of = own->dup_of;
    ln->incident = own->incident != NULL ? own->incident : dd_incident_id(dp->key);
    own->dup_of = NULL;
    own->incident = NULL;
    return d->ops->incident_get(d->store, ln->incident, now, d->o.window_ms, &r->size, err);
}

int km_dedup_check(struct km_dedup *d, struct km_post *p, int64_t now_ms, struct km_dedup_result *r,
                   struct km_err *err)
{
    return km_dedup_check_read(d, p, NULL, now_ms, r, err);
}

int km_dedup_check_read(struct km_dedup *d, struct km_post *p, const struct km_dedup_read *read,
                        int64_t now_ms, struct km_dedup_result *r, struct km_err *err)
{
    struct dd_post dp = {0};
    struct dd_link ln = {NULL, NULL};
    struct km_dedup_rec own = {0};
    bool found = false;
    int rc = KM_OK;
    memset(r, 0, sizeof(*r));
    dd_unpublish(p);
    if (p->network == NULL || p->id == NULL) {
        rc = km_err_set(err, KM_EINPUT, "dedup: post without network or id");
        goto out;
    }
    dd_analyse(d, p, read, &dp);
    r->is_short = !dp.near_ok;
    rc = d->ops->get(d->store, dp.key, now_ms, d->o.window_ms, &own, &found, err);
    if (rc == KM_OK && found) {
        rc = dd_replay(d, &dp, &own, now_ms, &ln, r, err);
    } else if (rc == KM_OK) {
        rc = dd_link(d, p, &dp, now_ms, &ln, r, err);
        rc = rc == KM_OK ? dd_store(d, &dp, &ln, now_ms, r, err) : rc;
        rc = rc == KM_OK ? dd_escalation(d, &dp, &ln, now_ms, r, err) : rc;
    }
    if (rc == KM_OK) {
        dd_publish(p, &dp, &ln);
    } else {
        memset(r, 0, sizeof(*r));
    }
out:
    km_dedup_rec_clear(&own);
    free(ln.dup_of);
    free(ln.incident);
    free(dp.key);
    free(dp.author);
    for (size_t i = 0; i < dp.n_places; i++) {
        free(dp.places[i]);
    }
    return rc;
}

/* ---- pure helpers for tests and tools ------------------------------------------------ */

uint64_t km_dedup_simhash(const char *normalised_text)
{
    struct dd_work w = {0};
    dd_shingle(&w, normalised_text);
    uint64_t h = dd_simhash(w.sh, w.n_sh);
    dd_work_free(&w);
    return h;
}

/* Sketch of a normalised text into out; returns its size. */
static size_t dd_text_sketch(const char *text, uint32_t *out)
{
    struct dd_work w = {0};
    dd_shingle(&w, text);
    size_t n = dd_sketch(&w, out);
    dd_work_free(&w);
    return n;
}

bool km_dedup_minhash_agree(const char *normalised_text)
{
    struct dd_work w = {0};
    uint32_t portable[KM_DEDUP_MINHASH], chosen[KM_DEDUP_MINHASH];
    dd_shingle(&w, normalised_text);
    dd_minhash_body(w.sh, w.n_sh, portable);
    dd_minhash(w.sh, w.n_sh, chosen);
    dd_work_free(&w);
    return memcmp(portable, chosen, sizeof(portable)) == 0;
}

double km_dedup_similarity(const char *normalised_a, const char *normalised_b)
{
    uint32_t a[KM_DEDUP_SKETCH_MAX], b[KM_DEDUP_SKETCH_MAX];
    size_t na = dd_text_sketch(normalised_a, a);
    size_t nb = dd_text_sketch(normalised_b, b);
    return km_dedup_jaccard(a, na, b, nb);
}
