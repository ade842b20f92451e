/* Duplicates and incidents (TRIAGE.md §5): pure algorithm over posts, state behind a store.
 *
 * For each post, km_dedup_check() runs, in order:
 *   1. repost: a post whose reply_to names a post still in the window ("network:reply_to")
 *      is linked to it: dup_of = that post's original, same incident;
 *   2. exact: XXH3_64 of the normalised text (km_norm(): no hashtags, URLs, @mentions,
 *      emoji, punctuation) seen within the window -> exact duplicate of its first post;
 *   3. near: character 4-gram shingles hashed with XXH3, MinHash of 64 values, LSH of 16
 *      bands x 4 rows; candidates are confirmed by Jaccard over their stored shingle
 *      sketches: >= near (0.6) is a near duplicate (dup_of = the first post), >= related
 *      (0.4) joins the incident without dup_of. Short texts (fewer than 25 characters or
 *      4 content tokens) skip this stage: "нет света" and "нет воды" are templates, not
 *      reposts.
 *   4. place: a post none of the above linked, whose place key (km_dedup_place_keys():
 *      street key + house number, with the post's category when the caller scored it
 *      before the check; without a number, category + street) matches a post in the
 *      window, joins that post's incident without dup_of: reports of one event at one
 *      address are mostly paraphrases and ru/kk/en translations, too far apart in
 *      characters for MinHash ("Туран 24", "Тұран 24", "Turan ave 24").
 * Every post belongs to an incident: its own (size 1) unless it joined another one. The
 * id is "inc-" + 12 hex digits of XXH3_64 of the incident's first "network:id", so the
 * first post already carries the id its duplicates will share. An incident counts its
 * posts and distinct authors; when it reaches a configured threshold that was not
 * announced yet (sizes can jump when several komekd add to one incident at once), the
 * check reports an escalation to the highest level reached, so the caller can re-score and
 * emit the higher priority, and records it in the store.
 *
 * The window (every post seen in the last window_ms) lives in a store reached through
 * struct km_dedup_store_ops: km_dedup_mem_* below keeps it in this process (komekctl
 * score, tests); queue/dedup_store.h keeps it in Redis, shared by every komekd and kept
 * across restarts. triage/ never talks to Redis itself. */
#ifndef KM_TRIAGE_DEDUP_H
#define KM_TRIAGE_DEDUP_H

#include "common/err.h"
#include "parser/post.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* MinHash values per post and their LSH split: 16 bands of 4 rows put the candidate
 * threshold near (1/16)^(1/4) = 0.5, between "related" (0.4) and "near" (0.6). */
#define KM_DEDUP_MINHASH 64
#define KM_DEDUP_BANDS   16
#define KM_DEDUP_ROWS    (KM_DEDUP_MINHASH / KM_DEDUP_BANDS)
/* Shingle hashes kept per post (the smallest ones, a bottom-k sketch): texts up to about
 * 130 characters keep all of them, so their Jaccard is exact; longer texts get an unbiased
 * estimate (standard error <= 0.045) while a record stays under 512 bytes. */
#define KM_DEDUP_SKETCH_MAX 128
/* Levels of escalation thresholds (e.g. 3 and 10 posts); more would be noise. */
#define KM_DEDUP_MAX_LEVELS 4
/* Defaults (TRIAGE.md §5). */
#define KM_DEDUP_WINDOW_MS  (72LL * 3600 * 1000)
#define KM_DEDUP_NEAR       0.6
#define KM_DEDUP_RELATED    0.4
#define KM_DEDUP_MIN_CHARS  25
#define KM_DEDUP_MIN_TOKENS 4
/* Place keys kept per post: a report names one address, rarely two; more numbers in a
 * text are lists, not places. */
#define KM_DEDUP_MAX_PLACES 4

/* Options; a zero field takes the default. */
struct km_dedup_opts {
    int64_t window_ms; /* how long a post can be duplicated (0: 72 h) */
    double near;       /* Jaccard for a near duplicate (0: 0.6) */
    double related;    /* Jaccard for "possibly the same incident" (0: 0.4) */
    size_t min_chars;  /* shorter normalised texts are matched exactly only (0: 25) */
    size_t min_tokens; /* so are texts with fewer content tokens (0: 4) */
    long escalate[KM_DEDUP_MAX_LEVELS]; /* ascending incident sizes that escalate, ended
                                           by 0; all zero: {3, 10} */
    bool escalate_by_authors;           /* count distinct authors rather than posts */
};

/* One post in the window, as a store keeps it. Strings and sketch owned by the record. */
struct km_dedup_rec {
    char *key;      /* "network:id" */
    char *dup_of;   /* "network:id" of the first post it duplicates, NULL for an original */
    char *incident; /* incident id */
    int64_t t_ms;   /* when it was checked: it leaves the window at t_ms + window_ms */
    uint64_t fingerprint;
    uint32_t *sketch; /* ascending unique shingle hashes, at most KM_DEDUP_SKETCH_MAX;
                         NULL (n_sketch 0) for posts not in the near index */
    size_t n_sketch;
    char **places; /* put() only: place keys to index the record under (km_dedup_places());
                      records read back from a store have none */
    size_t n_places;
};

/* Frees r's strings and sketch and zeroes it. NULL is ignored. */
void km_dedup_rec_clear(struct km_dedup_rec *r);

/* Size of an incident after a store added a post to it (or as read back). */
struct km_dedup_size {
    long posts;      /* posts added since the incident began; it lasts until window_ms
                        after its newest post */
    long authors;    /* distinct authors among them (unknown authors count apart) */
    bool author_new; /* put() only: this post's author was not counted before */
    int escalated;   /* highest escalation level already announced for the incident (see
                        escalated()), 0 for none */
};

/* A post's near-duplicate lookup (see near_best below); everything borrowed. */
struct km_dedup_near_query {
    const uint64_t *bands; /* its LSH band hashes */
    size_t n_bands;
    size_t max_per_band;    /* the newest records of each bucket looked at */
    const uint32_t *sketch; /* its shingle sketch (km_dedup_rec.sketch) */
    size_t n_sketch;
    const char *self; /* its "network:id": its own record is not a candidate */
    double min_jaccard; /* a candidate below it cannot be chosen (the check's "related") */
};

/* The state behind deduplication. Every function returns KM_OK, KM_RETRY (store
 * unreachable: nothing was changed that a repeat of the same call would not repeat) or
 * KM_ERR, filling err. now_ms and window_ms come from km_dedup; a store keeps nothing
 * older than now_ms - window_ms visible. Strings and arrays handed out are malloc'd and
 * owned by the caller. A store object is used by one thread at a time. */
struct km_dedup_store_ops {
    const char *name; /* "memory", "redis": for messages */
    /* Reads the record of key. *found is false if there is none in the window. */
    int (*get)(void *store, const char *key, int64_t now_ms, int64_t window_ms,
               struct km_dedup_rec *out, bool *found, struct km_err *err);
    /* Atomically: if fingerprint fp has a holder in the window, sets *holder to its key
     * (possibly key itself, when a check is repeated); otherwise makes key the holder
     * until now_ms + window_ms and sets *holder to NULL. */
    int (*exact_claim)(void *store, uint64_t fp, const char *key, int64_t now_ms, int64_t window_ms,
                       char **holder, struct km_err *err);
    /* Records in the window that share at least one LSH bucket with bands[0..n_bands):
     * the newest max_per_band of each bucket, each record once, at most
     * n_bands * max_per_band. *out is an array of *n records (km_dedup_recs_free()). */
    int (*band_candidates)(void *store, const uint64_t *bands, size_t n_bands, size_t max_per_band,
                           int64_t now_ms, int64_t window_ms, struct km_dedup_rec **out, size_t *n,
                           struct km_err *err);
    /* Atomically stores rec (it stays until rec->t_ms + window_ms), adds it to the LSH
     * buckets bands[0..n_bands) (n_bands may be 0) and to the place index under each of
     * rec->places, adds it and author to incident rec->incident and fills *size with the
     * incident's new size. */
    int (*put)(void *store, const struct km_dedup_rec *rec, const uint64_t *bands, size_t n_bands,
               const char *author, int64_t now_ms, int64_t window_ms, struct km_dedup_size *size,
               struct km_err *err);
    /* Reads an incident's size; zero counts if it is not in the window. */
    int (*incident_get)(void *store, const char *incident, int64_t now_ms, int64_t window_ms,
                        struct km_dedup_size *size, struct km_err *err);
    /* The newest record in the window indexed under any of places[0..n_places), other
     * than the record of key self; *found is false if there is none. May be NULL in a
     * store without a place index: the place stage is then skipped. */
    int (*place_candidate)(void *store, char *const *places, size_t n_places, const char *self,
                           int64_t now_ms, int64_t window_ms, struct km_dedup_rec *out, bool *found,
                           struct km_err *err);
    /* Records that the post key just raised incident to escalation level (1-based), so
     * that no check, of this store or another sharing its state, announces that level or
     * a lower one again. May be NULL in a store without it: every check that reaches a
     * level then announces it. */
    int (*escalated)(void *store, const char *incident, const char *key, int level, int64_t now_ms,
                     int64_t window_ms, struct km_err *err);
    /* The best near candidate of q: of the records band_candidates() would list for
     * q->bands (in its order), other than the record of q->self, the one whose
     * km_dedup_jaccard() with q->sketch is highest, the earlier checked on a tie (the first
     * listed on an equal time). Copies only that record to out and its Jaccard to *jaccard;
     * *found is false if no candidate reaches q->min_jaccard (or, with a min_jaccard of 0,
     * has a Jaccard above 0). May be NULL: the check then
     * reads every candidate through band_candidates(), with the same answer. A store that
     * holds its records in this process saves copying each candidate out. */
    int (*near_best)(void *store, const struct km_dedup_near_query *q, int64_t now_ms,
                     int64_t window_ms, struct km_dedup_rec *out, double *jaccard, bool *found,
                     struct km_err *err);
};

/* Frees an array of n records from band_candidates(). NULL is ignored. */
void km_dedup_recs_free(struct km_dedup_rec *recs, size_t n);

/* What km_dedup_check() found. */
struct km_dedup_result {
    bool is_repost;            /* linked through reply_to */
    bool is_exact_dup;         /* same normalised text as dup_of */
    bool is_near_dup;          /* Jaccard >= near with dup_of */
    bool is_related;           /* joined an incident with related <= Jaccard < near, or by
                                  place, no dup_of */
    bool is_place;             /* joined through its place key (is_related is set too) */
    bool is_short;             /* short-text guard: the near stage did not run */
    bool replay;               /* the post had been checked before: its stored answer */
    double jaccard;            /* best confirmed candidate's Jaccard, 0 if none */
    struct km_dedup_size size; /* the incident's size including this post */
    int escalate;              /* 0, or the 1-based level of opts.escalate just reached */
    long escalate_at;          /* that threshold */
};

struct km_dedup;

/* Checks opts: probabilities in [0, 1] with related <= near, a window of at least a
 * second, escalation sizes ascending and >= 2. KM_OK or KM_EINPUT with err naming the
 * field. Pure. */
int km_dedup_opts_check(const struct km_dedup_opts *opts, struct km_err *err);

/* Creates a deduplicator over store (borrowed: it must outlive the deduplicator, and the
 * caller frees it). opts may be NULL (all defaults); invalid values (see
 * km_dedup_opts_check()) are replaced by the defaults. Free with km_dedup_free(). Not
 * thread-safe: one per thread, like its store. */
struct km_dedup *km_dedup_new(const struct km_dedup_opts *opts,
                              const struct km_dedup_store_ops *ops, void *store);
void km_dedup_free(struct km_dedup *d);

/* Deduplicates p at time now_ms (the wall clock in komekd; a replay passes each post's
 * created_at). p->triage.category, when the caller scored p first, is part of its place
 * keys. Sets p->triage.fingerprint (16 hex digits), simhash, incident and dup_of (NULL
 * for an original), records p in the store and fills *r. A post checked again (same
 * network and id) gets its stored answer (r->replay) and changes nothing.
 * Returns KM_OK; KM_EINPUT if p has no network or id; KM_RETRY or KM_ERR from the store
 * (p's dedup fields are then cleared and the post can be checked again later). */
int km_dedup_check(struct km_dedup *d, struct km_post *p, int64_t now_ms, struct km_dedup_result *r,
                   struct km_err *err);

/* Jaccard of two shingle sketches (ascending, as km_dedup_rec.sketch): exact when both
 * hold fewer than KM_DEDUP_SKETCH_MAX hashes (every shingle), else the bottom-k estimate
 * (of the k smallest hashes of the union, the share found in both). Pure. */
double km_dedup_jaccard(const uint32_t *a, size_t na, const uint32_t *b, size_t nb);
/* The same, or -1 as soon as the merge shows it is below floor (a candidate that cannot
 * win need not be merged to the end): the Jaccard itself whenever it is >= floor. Pure. */
double km_dedup_jaccard_bounded(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
                                double floor);

/* Exposed for tests and tools: 64-bit simhash and Jaccard (exact for unsaturated
 * sketches, the bottom-k estimate otherwise) of two normalised texts. Pure. */
uint64_t km_dedup_simhash(const char *normalised_text);
double km_dedup_similarity(const char *normalised_a, const char *normalised_b);
/* For tests: computes the text's MinHash signature with the portable loop and with the
 * CPU's vector instructions (AVX2; the portable loop again where there are none) and
 * returns true if the two agree. Pure. */
bool km_dedup_minhash_agree(const char *normalised_text);

/* The house keys of a post's text (addresses as triage/place.h reads them):
 * "street|number" ("трн|24" for "Тұран 24", "Turan ave 24", "на Туране 24"), prefixed with
 * "category|" when category is not NULL or empty ("water|" for heating, water and flooding:
 * one burst pipe at one house is told as all three; "roads|" for roads and manholes: an
 * open manhole and a hole in the road at one house are one hole). Numbers that are times,
 * phone numbers, temperatures, ranges, counts with a unit ("5 дней", "14 этаже") are not
 * house numbers.
 * Writes at most max malloc'd, distinct keys to out (the caller frees each) and returns
 * their count. Pure. */
size_t km_dedup_places(const char *text, const char *category, char **out, size_t max);

/* Every place key of a post: first its house keys as km_dedup_places() makes them
 * (*n_house of them), then, when category names a problem at a place (not other,
 * consultation, gratitude, transport or elevator: a bus route runs along many streets, a
 * lift is in one house of a long street), one street key per street it names:
 * "category|street|#" for the street of a house number ("Сарыарка 12"),
 * "category|street|+" for each street of a crossing ("Туран-Сыганак", "Kabanbay Batyr x
 * Dostyk"), "category|street|*" for a street or place named without a number otherwise
 * ("на Сарыарке у остановки", "Богенбай батыра", "в Коктале"). A post is
 * indexed under all its keys. A post with a house key joins through its house keys, else
 * through the "*" form of its street keys (a report without a number on its street); a
 * post without one joins through the "*" and "+" forms of its street keys, and through the
 * "#" form unless the key is a crossing's (a crossing and a house of one street are two
 * places). So reports of one event that give no number meet each other and the numbered
 * ones, while two houses of one street stay apart. Writes at most max malloc'd, distinct
 * keys to out (the caller frees each); returns their count. Pure. */
size_t km_dedup_place_keys(const char *text, const char *category, char **out, size_t max,
                           size_t *n_house);

/* Addresses read per post for its place keys: more than a few numbers in a text are
 * lists, not places. */
#define KM_DEDUP_MAX_REFS (2 * KM_DEDUP_MAX_PLACES)

/* What a scorer has already read from a post's text (borrowed): nt = km_norm() of it and,
 * when refs is not NULL, n_refs = km_place_find(text, nt, refs, KM_DEDUP_MAX_REFS). */
struct km_norm_text;
struct km_place_ref;
struct km_dedup_read {
    const struct km_norm_text *nt;
    const struct km_place_ref *refs;
    size_t n_refs;
};

/* As km_dedup_place_keys() with read->nt (and read->refs, when set) already made. Pure. */
size_t km_dedup_place_keys_read(const char *text, const struct km_dedup_read *read,
                                const char *category, char **out, size_t max, size_t *n_house);

/* As km_dedup_check() with what the caller has read from p->text already (a scorer has;
 * borrowed), or NULL to read it here. */
int km_dedup_check_read(struct km_dedup *d, struct km_post *p, const struct km_dedup_read *read,
                        int64_t now_ms, struct km_dedup_result *r, struct km_err *err);

/* ---- in-memory store ---------------------------------------------------------------- */

/* Hash maps with expiry by time: every call first evicts what left the window; at most
 * max_posts records are kept (0: KM_DEDUP_MEM_MAX_POSTS), the oldest go first. The default
 * bounds the store near 450 MB (about 0.9 KB a post), far beyond 72 hours of a city's
 * posts (Astana's centre gets ~5,000 requests a day). */
#define KM_DEDUP_MEM_MAX_POSTS 500000

struct km_dedup_mem;
extern const struct km_dedup_store_ops km_dedup_mem_ops;

/* Returns a new empty store; free with km_dedup_mem_free() after every km_dedup using it.
 * Not thread-safe. */
struct km_dedup_mem *km_dedup_mem_new(size_t max_posts);
void km_dedup_mem_free(struct km_dedup_mem *m);

/* Counts for tests and `make bench`: records, fingerprints, LSH buckets, incidents held,
 * and bytes allocated for them (approximate: the allocator's overhead is not included). */
struct km_dedup_mem_stats {
    size_t posts, fingerprints, buckets, incidents, bytes;
};
void km_dedup_mem_stats(const struct km_dedup_mem *m, struct km_dedup_mem_stats *st);

#endif
