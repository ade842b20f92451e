/* Unit tests for the in-memory dedup store (triage/dedup_mem.c) through its ops: records
 * past the first block of the slot tables, indices reused after eviction (a stale link
 * must end a list, not jump into another), a record evicted while others of its incident,
 * bucket and place key stay, map keys that share a tag, and incidents' author lists. */
#include "common/alloc.h"
#include "triage/dedup.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define T0     1795372800000LL /* 2026-11-22T12:00:00Z */
#define HOUR   3600000LL
#define WINDOW (72 * HOUR)

static const struct km_dedup_store_ops *ops = &km_dedup_mem_ops;

/* What to put: bands are base + band number (0 bands when base is 0). */
struct put_case {
    const char *key, *incident, *author, *place;
    int64_t t;
    uint64_t base;
};

static struct km_dedup_size put(struct km_dedup_mem *m, const struct put_case *c)
{
    uint64_t bands[KM_DEDUP_BANDS];
    for (size_t b = 0; b < KM_DEDUP_BANDS; b++) {
        bands[b] = c->base + b;
    }
    uint32_t sketch[3] = {(uint32_t)c->t, (uint32_t)c->base, 7};
    char *places[1] = {(char *)c->place};
    struct km_dedup_rec rec = {
        .key = (char *)c->key,
        .incident = (char *)c->incident,
        .t_ms = c->t,
        .fingerprint = c->base + 1,
        .sketch = sketch,
        .n_sketch = 3,
        .places = places,
        .n_places = c->place != NULL,
    };
    struct km_dedup_size size;
    struct km_err err;
    assert_int_equal(ops->put(m, &rec, bands, c->base != 0 ? KM_DEDUP_BANDS : 0,
                              c->author != NULL ? c->author : c->key, c->t, WINDOW, &size, &err),
                     KM_OK);
    return size;
}

/* Asserts that bucket base + 0 lists n records at now, newest first, the first n_keys of
 * them keys[0..n_keys). */
static void assert_bucket_n(struct km_dedup_mem *m, uint64_t base, int64_t now,
                            const char *const *keys, size_t n_keys, size_t n)
{
    struct km_dedup_rec *recs = NULL;
    size_t nr = 0;
    struct km_err err;
    assert_int_equal(ops->band_candidates(m, &base, 1, 1000, now, WINDOW, &recs, &nr, &err), KM_OK);
    assert_int_equal(nr, n);
    for (size_t i = 0; i < n_keys; i++) {
        assert_string_equal(recs[i].key, keys[i]);
        assert_int_equal(recs[i].n_sketch, 3);
        assert_int_equal(recs[i].sketch[1], (uint32_t)base);
    }
    km_dedup_recs_free(recs, nr);
}

/* Asserts that bucket base + 0 lists exactly keys[0..n) at now, newest first. */
static void assert_bucket(struct km_dedup_mem *m, uint64_t base, int64_t now,
                          const char *const *keys, size_t n)
{
    assert_bucket_n(m, base, now, keys, n, n);
}

static bool found(struct km_dedup_mem *m, const char *key, int64_t now)
{
    struct km_dedup_rec rec = {0};
    bool is = false;
    struct km_err err;
    assert_int_equal(ops->get(m, key, now, WINDOW, &rec, &is, &err), KM_OK);
    km_dedup_rec_clear(&rec);
    return is;
}

/* 1,000 records (the slot tables start at 64), half evicted, 500 more in reused indices. */
static void test_growth_and_reuse(void **state)
{
    (void)state;
    struct km_dedup_mem *m = km_dedup_mem_new(0);
    char key[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "tg:%d", i);
        put(m, &(struct put_case){key, "inc-a", NULL, "p|1", T0 + i * 60000, 1000 + 100 * (i % 2)});
    }
    int64_t now = T0 + WINDOW + 499 * 60000; /* tg:0..499 leave */
    for (int i = 1000; i < 1500; i++) {
        snprintf(key, sizeof(key), "tg:%d", i);
        put(m, &(struct put_case){key, "inc-b", NULL, NULL, now, 3000});
    }
    struct km_dedup_mem_stats st;
    km_dedup_mem_stats(m, &st);
    assert_int_equal(st.posts, 1000);
    assert_int_equal(st.buckets, 3 * KM_DEDUP_BANDS);
    assert_int_equal(st.incidents, 2);
    assert_false(found(m, "tg:0", now));
    assert_false(found(m, "tg:499", now));
    assert_true(found(m, "tg:500", now));
    assert_true(found(m, "tg:1499", now));
    /* the even ones of 500..999, the odd ones, never the new ones */
    assert_bucket_n(m, 1000, now, (const char *const[]){"tg:998", "tg:996"}, 2, 250);
    assert_bucket_n(m, 1100, now, (const char *const[]){"tg:999", "tg:997"}, 2, 250);
    assert_bucket_n(m, 3000, now, (const char *const[]){"tg:1499", "tg:1498"}, 2, 500);
    struct km_err err;
    struct km_dedup_size size;
    assert_int_equal(ops->incident_get(m, "inc-a", now, WINDOW, &size, &err), KM_OK);
    assert_int_equal(size.posts, 1000);
    km_dedup_mem_free(m);
}

/* max_posts 2: each put evicts the oldest, whose index the new record takes over. Lists it
 * left must end where it was, never run on into the new record's. */
static void test_stale_links(void **state)
{
    (void)state;
    struct km_dedup_mem *m = km_dedup_mem_new(2);
    put(m, &(struct put_case){"a", "inc-x", NULL, "p|1", T0, 100});
    put(m, &(struct put_case){"b", "inc-x", NULL, "p|1", T0 + 1, 100});
    put(m, &(struct put_case){"c", "inc-y", NULL, "p|2", T0 + 2, 200}); /* takes a's index */
    assert_bucket(m, 100, T0 + 3, (const char *const[]){"b"}, 1);
    assert_bucket(m, 200, T0 + 3, (const char *const[]){"c"}, 1);
    struct km_dedup_rec rec = {0};
    bool is = false;
    struct km_err err;
    char *p1[] = {"p|1"};
    assert_int_equal(ops->place_candidate(m, p1, 1, "b", T0 + 3, WINDOW, &rec, &is, &err), KM_OK);
    assert_false(is); /* b is the only one left under p|1, and it is self */
    put(m, &(struct put_case){"d", "inc-x", NULL, "p|1", T0 + 3, 100}); /* takes b's index */
    assert_bucket(m, 100, T0 + 4, (const char *const[]){"d"}, 1);
    assert_int_equal(ops->place_candidate(m, p1, 1, "d", T0 + 4, WINDOW, &rec, &is, &err), KM_OK);
    assert_false(is);
    put(m, &(struct put_case){"e", "inc-y", NULL, "p|1", T0 + 4, 100}); /* takes c's index */
    assert_bucket(m, 100, T0 + 5, (const char *const[]){"e", "d"}, 2);
    assert_bucket(m, 200, T0 + 5, NULL, 0);
    assert_int_equal(ops->place_candidate(m, p1, 1, "e", T0 + 5, WINDOW, &rec, &is, &err), KM_OK);
    assert_true(is);
    assert_string_equal(rec.key, "d");
    assert_string_equal(rec.incident, "inc-x");
    km_dedup_rec_clear(&rec);
    struct km_dedup_mem_stats st;
    km_dedup_mem_stats(m, &st);
    assert_int_equal(st.posts, 2);
    assert_int_equal(st.buckets, KM_DEDUP_BANDS);
    assert_int_equal(st.incidents, 2);
    km_dedup_mem_free(m);
}

/* The oldest of an incident, bucket and place key leaves; the others keep all three. */
static void test_evict_one_of_many(void **state)
{
    (void)state;
    struct km_dedup_mem *m = km_dedup_mem_new(0);
    put(m, &(struct put_case){"a", "inc-x", "u1", "p|1", T0, 100});
    put(m, &(struct put_case){"b", "inc-x", "u2", "p|1", T0 + HOUR, 100});
    struct km_dedup_size size =
        put(m, &(struct put_case){"c", "inc-x", "u1", "p|1", T0 + 2 * HOUR, 100});
    assert_int_equal(size.posts, 3);
    assert_int_equal(size.authors, 2);
    assert_false(size.author_new);
    int64_t now = T0 + WINDOW; /* a leaves */
    assert_false(found(m, "a", now));
    assert_bucket(m, 100, now, (const char *const[]){"c", "b"}, 2);
    struct km_dedup_rec rec = {0};
    bool is = false;
    struct km_err err;
    char *p1[] = {"p|1"};
    assert_int_equal(ops->place_candidate(m, p1, 1, "c", now, WINDOW, &rec, &is, &err), KM_OK);
    assert_true(is);
    assert_string_equal(rec.key, "b");
    km_dedup_rec_clear(&rec);
    assert_int_equal(ops->escalated(m, "inc-x", "c", 1, now, WINDOW, &err), KM_OK);
    assert_int_equal(ops->incident_get(m, "inc-x", now, WINDOW, &size, &err), KM_OK);
    assert_int_equal(size.posts, 3);
    assert_int_equal(size.authors, 2);
    assert_int_equal(size.escalated, 1);
    now = T0 + 2 * HOUR + WINDOW; /* b and c leave, and the incident with them */
    assert_int_equal(ops->incident_get(m, "inc-x", now, WINDOW, &size, &err), KM_OK);
    assert_int_equal(size.posts, 0);
    struct km_dedup_mem_stats st;
    km_dedup_mem_stats(m, &st);
    assert_int_equal(st.posts + st.buckets + st.incidents, 0);
    km_dedup_mem_free(m);
}

/* Keys whose top bits alone differ share a map slot's tag: they stay apart. */
static void test_tag_collisions(void **state)
{
    (void)state;
    struct km_dedup_mem *m = km_dedup_mem_new(0);
    const uint64_t top = 1ULL << 61, base = 5000;
    put(m, &(struct put_case){"a", NULL, NULL, NULL, T0, base});
    put(m, &(struct put_case){"b", NULL, NULL, NULL, T0, base ^ top});
    put(m, &(struct put_case){"c", NULL, NULL, NULL, T0, base ^ (top << 1)});
    assert_bucket(m, base, T0, (const char *const[]){"a"}, 1);
    assert_bucket(m, base ^ top, T0, (const char *const[]){"b"}, 1);
    assert_bucket(m, base ^ (top << 2), T0, NULL, 0);
    struct km_dedup_rec rec = {0};
    bool is = false;
    struct km_err err;
    assert_int_equal(ops->get(m, "b", T0, WINDOW, &rec, &is, &err), KM_OK);
    assert_true(is);
    assert_null(rec.incident); /* put without one: the store names none */
    km_dedup_rec_clear(&rec);
    char *holder = NULL;
    assert_int_equal(ops->exact_claim(m, 42, "a", T0, WINDOW, &holder, &err), KM_OK);
    assert_null(holder);
    assert_int_equal(ops->exact_claim(m, 42 ^ (top << 2), "b", T0, WINDOW, &holder, &err), KM_OK);
    assert_null(holder);
    assert_int_equal(ops->exact_claim(m, 42, "c", T0, WINDOW, &holder, &err), KM_OK);
    assert_string_equal(holder, "a");
    free(holder);
    struct km_dedup_mem_stats st;
    km_dedup_mem_stats(m, &st);
    assert_int_equal(st.buckets, 3 * KM_DEDUP_BANDS);
    assert_int_equal(st.fingerprints, 2);
    km_dedup_mem_free(m);
}

/* An incident's first author is kept inline; more move to an array that grows. */
static void test_authors(void **state)
{
    (void)state;
    struct km_dedup_mem *m = km_dedup_mem_new(0);
    static const struct {
        const char *author;
        bool is_new;
        long authors;
    } cases[] = {{"u5", true, 1}, {"u5", false, 1}, {"u1", true, 2}, {"u9", true, 3},
                 {"u3", true, 4}, {"u1", false, 4}, {"u7", true, 5}, {"u0", true, 6},
                 {"u8", true, 7}, {"u2", true, 8},  {"u4", true, 9}, {"u9", false, 9}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char key[16];
        snprintf(key, sizeof(key), "k%zu", i);
        struct km_dedup_size size =
            put(m, &(struct put_case){key, "inc", cases[i].author, NULL, T0, 0});
        assert_int_equal(size.author_new, cases[i].is_new);
        assert_int_equal(size.authors, cases[i].authors);
        assert_int_equal(size.posts, (long)i + 1);
    }
    km_dedup_mem_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_growth_and_reuse),  cmocka_unit_test(test_stale_links),
        cmocka_unit_test(test_evict_one_of_many), cmocka_unit_test(test_tag_collisions),
        cmocka_unit_test(test_authors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
