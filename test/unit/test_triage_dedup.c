/* Unit tests for triage/dedup: exact, near and repost links, the short-text guard, the
 * window, incidents and their escalation, and store failures, over the in-memory store. */
#include "common/alloc.h"
#include "parser/post.h"
#include "triage/dedup.h"
#include "triage/norm.h"
#include "triage/place.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define T0     1795372800000LL /* 2026-11-22T12:00:00Z */
#define MINUTE 60000LL
#define HOUR   (60 * MINUTE)

struct fx {
    struct km_dedup_mem *mem;
    struct km_dedup *d;
};

static int fx_setup(void **state)
{
    struct fx *f = km_calloc(1, sizeof(*f));
    f->mem = km_dedup_mem_new(0);
    f->d = km_dedup_new(NULL, &km_dedup_mem_ops, f->mem);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    km_dedup_free(f->d);
    km_dedup_mem_free(f->mem);
    free(f);
    return 0;
}

static struct km_post *mkpost(const char *id, const char *author, const char *text)
{
    struct km_post *p = km_post_new();
    km_post_set(&p->network, "telegram");
    km_post_set(&p->id, id);
    km_post_set(&p->author.id, author);
    km_post_set(&p->text, text);
    return p;
}

/* When set, check() hands km_dedup_check_read() the normalised text and its addresses, as a
 * scorer does. */
static bool check_with_norm;

/* Checks a post that must succeed; returns it (caller frees). */
static struct km_post *check(struct km_dedup *d, const char *id, const char *author,
                             const char *text, const char *reply_to, int64_t t,
                             struct km_dedup_result *r)
{
    struct km_post *p = mkpost(id, author, text);
    km_post_set(&p->reply_to, reply_to);
    struct km_err err = {{0}};
    struct km_norm_text *nt = check_with_norm ? km_norm(text, strlen(text)) : NULL;
    struct km_place_ref refs[KM_DEDUP_MAX_REFS];
    struct km_dedup_read read = {.nt = nt, .refs = refs};
    if (nt != NULL) {
        read.n_refs = km_place_find(text, nt, refs, KM_DEDUP_MAX_REFS);
    }
    assert_int_equal(km_dedup_check_read(d, p, nt != NULL ? &read : NULL, t, r, &err), KM_OK);
    km_norm_free(nt);
    assert_non_null(p->triage.fingerprint);
    assert_non_null(p->triage.incident);
    return p;
}

enum rel { REL_NONE, REL_EXACT, REL_NEAR, REL_RELATED, REL_REPOST };

/* The pairs of TRIAGE.md §5 and the guards around them. */
static const struct pair_case {
    const char *name;
    const char *a, *b;
    bool b_replies; /* b's reply_to names a */
    enum rel rel;
    bool is_short;
} pair_cases[] = {
    {"RT repost",
     "Туран 24 — открытый люк у остановки 🚧 вечером совсем не видно, кто-нибудь упадёт #109",
     "RT @astana_news: Туран 24 — открытый люк у остановки 🚧 вечером совсем не видно, "
     "кто-нибудь упадёт #109 https://t.co/abc",
     false, REL_EXACT, false},
    {"cross-post, other hashtags and emoji",
     "яма на Абая 38 напротив аптеки, за неделю два колеса пробил. када заделают?? #109 #Астана",
     "яма на Абая 38 напротив аптеки, за неделю два колеса пробил 😡😡 када заделают?? "
     "#iKomek #акиматАстаны #дороги",
     false, REL_EXACT, false},
    {"light edit",
     "Пушкина 166 — подтопило всю улицу, талая вода по колено, машины глохнут, пешеходам не "
     "пройти #109",
     "Пушкина 166 — затопило всю улицу, талая вода по колено, машины глохнут, пешеходам "
     "вообще не пройти никак #Астана",
     false, REL_NEAR, false},
    {"same topic, different incident",
     "Пушкина 166 — подтопило всю улицу, талая вода по колено, машины глохнут, пешеходам не "
     "пройти #109",
     "на Кенесары у рынка затопило подземный переход, воды по щиколотку, насосы не работают "
     "#109",
     false, REL_NONE, false},
    {"Kazakh RT repost",
     "Қордай 7 маңында иттер үйірі таңертең мектепке бара жатқан қызға шабуыл жасап, аяғын "
     "тістеп алды! #109",
     "RT @kordai_example: Қордай 7 маңында иттер үйірі таңертең мектепке бара жатқан қызға "
     "шабуыл жасап, аяғын тістеп алды! #109 #Астана",
     false, REL_EXACT, false},
    {"Kazakh light edit",
     "Сауран 3 үйінде таңертеңнен бері су жоқ, ешқандай ескерту болған жоқ. қашан береді? "
     "#акиматАстаны",
     "Сауран 3 үйінде кешеден бері су жоқ, ешқандай ескерту болған жоқ. су қашан береді? #109",
     false, REL_NEAR, false},
    {"Kazakh, different problem",
     "Сауран 3 үйінде таңертеңнен бері су жоқ, ешқандай ескерту болған жоқ. қашан береді?",
     "Бейбітшілік 14 ауласындағы балалар алаңында шамдар жанбайды, кешке қап-қараңғы", false,
     REL_NONE, false},
    {"possibly the same incident",
     "Пушкина 166 — подтопило всю улицу, талая вода по колено, машины глохнут, пешеходам не "
     "пройти #109",
     "Пушкина 166 всю улицу подтопило, вода по колено, пешеходам не пройти, когда откачают "
     "воду? #Астана", /* J 0.51: LSH finds such a pair 65 % of the time; this one it does */
     false, REL_RELATED, false},
    {"short templates: нет света / нет воды", "Нет света #109", "нет воды #109", false, REL_NONE,
     true},
    {"short template, exact copy", "нет света!!! #Астана 😡", "Нет Света #109", false, REL_EXACT,
     true},
    {"short words are never duplicates", "спасибо! #iKomek", "Спасибо 🙏 #109", false, REL_NONE,
     true},
    {"few content tokens", "да да да да да да да да да да да да да",
     "да да да да да да да да да да да да", false, REL_NONE, true},
    {"reply with other words (a repost with a comment)",
     "Туран 24 — открытый люк у остановки 🚧 вечером совсем не видно, кто-нибудь упадёт #109",
     "+1, сегодня там чуть ребёнок не упал", true, REL_REPOST, false},
};

static void run_pair(const struct pair_case *c)
{
    struct km_dedup_mem *mem = km_dedup_mem_new(0);
    struct km_dedup *d = km_dedup_new(NULL, &km_dedup_mem_ops, mem);
    struct km_dedup_result ra, rb;
    struct km_post *a = check(d, "-100:1", "u1", c->a, NULL, T0, &ra);
    struct km_post *b =
        check(d, "-100:2", "u2", c->b, c->b_replies ? "-100:1" : NULL, T0 + MINUTE, &rb);
    print_message("pair: %s (jaccard %.2f)\n", c->name, rb.jaccard);
    assert_null(a->triage.dup_of);
    assert_int_equal(ra.size.posts, 1);
    assert_int_equal(rb.is_exact_dup, c->rel == REL_EXACT);
    assert_int_equal(rb.is_near_dup, c->rel == REL_NEAR);
    assert_int_equal(rb.is_related, c->rel == REL_RELATED);
    assert_int_equal(rb.is_repost, c->rel == REL_REPOST);
    assert_int_equal(rb.is_short, c->is_short);
    bool linked = c->rel != REL_NONE;
    bool dup = linked && c->rel != REL_RELATED;
    assert_int_equal(strcmp(a->triage.incident, b->triage.incident) == 0, linked);
    assert_int_equal(rb.size.posts, linked ? 2 : 1);
    if (dup) {
        assert_string_equal(b->triage.dup_of, "telegram:-100:1");
    } else {
        assert_null(b->triage.dup_of);
    }
    if (c->rel == REL_EXACT) {
        assert_string_equal(a->triage.fingerprint, b->triage.fingerprint);
    }
    km_post_free(a);
    km_post_free(b);
    km_dedup_free(d);
    km_dedup_mem_free(mem);
}

static void test_pairs(void **state)
{
    (void)state;
    for (int with_norm = 0; with_norm <= 1; with_norm++) { /* the same answers either way */
        check_with_norm = with_norm;
        for (size_t i = 0; i < sizeof(pair_cases) / sizeof(pair_cases[0]); i++) {
            run_pair(&pair_cases[i]);
        }
    }
    check_with_norm = false;
}

/* Fingerprints are 16 hex digits; simhash tells a light edit from another text. */
static void test_fingerprint_simhash(void **state)
{
    struct fx *f = *state;
    struct km_dedup_result r;
    struct km_post *a = check(f->d, "1", "u1", pair_cases[2].a, NULL, T0, &r);
    struct km_post *b = check(f->d, "2", "u2", pair_cases[2].b, NULL, T0, &r);
    struct km_post *c = check(f->d, "3", "u3", pair_cases[3].b, NULL, T0, &r);
    assert_int_equal(strlen(a->triage.fingerprint), 16);
    assert_int_equal(strspn(a->triage.fingerprint, "0123456789abcdef"), 16);
    int near_bits = __builtin_popcountll(a->triage.simhash ^ b->triage.simhash);
    int far_bits = __builtin_popcountll(a->triage.simhash ^ c->triage.simhash);
    assert_true(near_bits <= 16);
    assert_true(far_bits >= 20);
    assert_int_equal(km_dedup_simhash("пушкина 166"), km_dedup_simhash("пушкина 166"));
    /* the AVX2 MinHash gives the portable loop's values: texts of 0 to 700 characters */
    char text[1024] = "";
    for (size_t k = 0; k < sizeof(pair_cases) / sizeof(pair_cases[0]); k++) {
        assert_true(km_dedup_minhash_agree(pair_cases[k].a));
        assert_true(km_dedup_minhash_agree(pair_cases[k].b));
        if (strlen(text) + strlen(pair_cases[k].a) + 2 < sizeof(text)) {
            strcat(text, pair_cases[k].a);
            strcat(text, " ");
            assert_true(km_dedup_minhash_agree(text));
        }
    }
    assert_true(km_dedup_minhash_agree(""));
    km_post_free(a);
    km_post_free(b);
    km_post_free(c);
}

static void test_similarity(void **state)
{
    (void)state;
    static const struct {
        const char *a, *b;
        double lo, hi;
    } cases[] = {
        {"нет света", "нет света", 1.0, 1.0},
        {"нет света", "нет воды", 0.0, 0.2},
        {"", "", 0.0, 0.0},
        {"abcd", "abce", 0.0, 0.0},
        {"abcde", "abcdf", 0.3, 0.4}, /* {abcd, bcde} vs {abcd, bcdf}: 1/3 */
        {"ab", "ab", 1.0, 1.0},       /* shorter than a shingle: the whole text */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        double j = km_dedup_similarity(cases[i].a, cases[i].b);
        assert_true(j >= cases[i].lo - 1e-9 && j <= cases[i].hi + 1e-9);
    }
    /* long texts saturate the sketch: the estimate stays close to the truth */
    char a[4096], b[4096];
    size_t na = 0, nb = 0;
    for (int w = 0; w < 300; w++) { /* b shares a's first half: exact J 0.560 (Python) */
        na += (size_t)snprintf(a + na, sizeof(a) - na, "a%03d ", w);
        nb += (size_t)snprintf(b + nb, sizeof(b) - nb, "%c%03d ", w < 150 ? 'a' : 'b', w);
    }
    double j = km_dedup_similarity(a, a);
    assert_true(j == 1.0);
    j = km_dedup_similarity(a, b);
    print_message("saturated sketches: %.3f\n", j);
    assert_true(j > 0.46 && j < 0.66); /* the sketch's standard error is 0.044 */
}

/* A repost of a near duplicate points to the first post; exact copies of a near duplicate
 * too; all share one incident. */
static void test_chains(void **state)
{
    struct fx *f = *state;
    struct km_dedup_result r;
    struct km_post *p[4];
    p[0] = check(f->d, "1", "u1", pair_cases[2].a, NULL, T0, &r);
    p[1] = check(f->d, "2", "u2", pair_cases[2].b, NULL, T0 + MINUTE, &r);
    assert_true(r.is_near_dup);
    p[2] = check(f->d, "3", "u3", "RT: что-то своё про это", "2", T0 + 2 * MINUTE, &r);
    assert_true(r.is_repost);
    p[3] = check(f->d, "4", "u4", pair_cases[2].b, NULL, T0 + 3 * MINUTE, &r);
    assert_true(r.is_exact_dup);
    for (size_t i = 1; i < 4; i++) {
        assert_string_equal(p[i]->triage.dup_of, "telegram:1");
        assert_string_equal(p[i]->triage.incident, p[0]->triage.incident);
    }
    assert_int_equal(r.size.posts, 4);
    assert_int_equal(r.size.authors, 4);
    /* the incident id comes from the first post's key */
    assert_int_equal(strncmp(p[0]->triage.incident, "inc-", 4), 0);
    assert_int_equal(strlen(p[0]->triage.incident), 16);
    for (size_t i = 0; i < 4; i++) {
        km_post_free(p[i]);
    }
}

/* A reply to a post that is not (or no longer) in the window falls through to the text. */
static void test_reply_unknown(void **state)
{
    struct fx *f = *state;
    struct km_dedup_result r;
    struct km_post *a = check(f->d, "1", "u1", pair_cases[0].a, NULL, T0, &r);
    struct km_post *b = check(f->d, "2", "u2", pair_cases[0].b, "999", T0 + MINUTE, &r);
    assert_false(r.is_repost);
    assert_true(r.is_exact_dup);
    struct km_post *c =
        check(f->d, "3", "u3", "совсем другое: на Абая 10 нет воды с утра, весь дом", "998",
              T0 + MINUTE, &r);
    assert_false(r.is_repost);
    assert_null(c->triage.dup_of);
    km_post_free(a);
    km_post_free(b);
    km_post_free(c);
}

static void test_window(void **state)
{
    struct fx *f = *state;
    static const struct {
        int64_t after;
        bool dup;
    } cases[] = {
        {72 * HOUR - 1, true},
        {72 * HOUR, false},
        {100 * HOUR, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct km_dedup_mem *mem = km_dedup_mem_new(0);
        struct km_dedup *d = km_dedup_new(NULL, &km_dedup_mem_ops, mem);
        struct km_dedup_result r;
        struct km_post *a = check(d, "1", "u1", pair_cases[2].a, NULL, T0, &r);
        struct km_post *b = check(d, "2", "u2", pair_cases[2].a, NULL, T0 + cases[i].after, &r);
        struct km_post *c = check(d, "3", "u3", pair_cases[2].b, "1", T0 + cases[i].after, &r);
        assert_int_equal(b->triage.dup_of != NULL, cases[i].dup);
        assert_int_equal(c->triage.dup_of != NULL, true); /* near dup of 2 if 1 expired */
        assert_string_equal(c->triage.dup_of, cases[i].dup ? "telegram:1" : "telegram:2");
        struct km_dedup_mem_stats st;
        km_dedup_mem_stats(mem, &st);
        assert_int_equal(st.posts, cases[i].dup ? 3 : 2); /* post 1 evicted */
        assert_int_equal(st.incidents, 1);
        km_post_free(a);
        km_post_free(b);
        km_post_free(c);
        km_dedup_free(d);
        km_dedup_mem_free(mem);
    }
    (void)f;
}

/* Everything leaves memory with the window: records, claims, buckets and incidents. */
static void test_eviction(void **state)
{
    struct fx *f = *state;
    struct km_dedup_result r;
    for (int i = 0; i < 200; i++) {
        char id[16], text[160];
        snprintf(id, sizeof(id), "%d", i);
        unsigned h = (unsigned)i * 2654435761u;
        snprintf(text, sizeof(text), "пост %08x про двор %08x, там %08x уже %08x", h, h * 7, h * 13,
                 h * 31);
        km_post_free(check(f->d, id, id, text, NULL, T0 + i * HOUR, &r));
    }
    struct km_dedup_mem_stats st;
    km_dedup_mem_stats(f->mem, &st);
    assert_int_equal(st.posts, 72);
    assert_int_equal(st.fingerprints, 72);
    assert_int_equal(st.incidents, 72);
    assert_true(st.buckets <= 72 * KM_DEDUP_BANDS && st.buckets >= 72);
    size_t bytes = st.bytes;
    km_post_free(check(f->d, "x", "x", "нет воды", NULL, T0 + 1000 * HOUR, &r));
    km_dedup_mem_stats(f->mem, &st);
    assert_int_equal(st.posts, 1);
    assert_int_equal(st.buckets, 0); /* a short text is not in the near index */
    assert_true(st.bytes < bytes);
    /* max_posts bounds the store whatever the times */
    struct km_dedup_mem *mem = km_dedup_mem_new(10);
    struct km_dedup *d = km_dedup_new(NULL, &km_dedup_mem_ops, mem);
    for (int i = 0; i < 50; i++) {
        char id[16];
        snprintf(id, sizeof(id), "%d", i);
        km_post_free(
            check(d, id, id, "одинаковый текст про открытый люк на Туран 24", NULL, T0, &r));
    }
    km_dedup_mem_stats(mem, &st);
    assert_int_equal(st.posts, 10);
    assert_true(st.fingerprints <= 10);
    km_dedup_free(d);
    km_dedup_mem_free(mem);
}

static void test_escalation(void **state)
{
    (void)state;
    static const struct {
        bool by_authors;
        long levels[3];
        int n_authors;  /* posts cycle through this many authors */
        int expect[12]; /* escalate level after post i (1-based sizes) */
    } cases[] = {
        {false, {0}, 12, {0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 0, 0}},
        {false, {2, 5, 0}, 1, {0, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0}},
        {true, {3, 0, 0}, 2, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
        {true, {3, 0, 0}, 12, {0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct km_dedup_opts o = {0};
        o.escalate_by_authors = cases[c].by_authors;
        memcpy(o.escalate, cases[c].levels, sizeof(cases[c].levels));
        struct km_dedup_mem *mem = km_dedup_mem_new(0);
        struct km_dedup *d = km_dedup_new(&o, &km_dedup_mem_ops, mem);
        for (int i = 0; i < 12; i++) {
            char id[16], author[16];
            snprintf(id, sizeof(id), "%d", i);
            snprintf(author, sizeof(author), "a%d", i % cases[c].n_authors);
            struct km_dedup_result r;
            km_post_free(check(d, id, author, i % 3 == 0 ? pair_cases[2].a : pair_cases[2].b,
                               i == 5 ? "4" : NULL, T0 + i * MINUTE, &r));
            assert_int_equal(r.size.posts, i + 1);
            assert_int_equal(r.escalate, cases[c].expect[i]);
            if (r.escalate != 0) {
                long at = cases[c].levels[0] != 0 ? cases[c].levels[r.escalate - 1]
                                                  : (r.escalate == 1 ? 3 : 10);
                assert_int_equal(r.escalate_at, at);
            }
        }
        km_dedup_free(d);
        km_dedup_mem_free(mem);
    }
}

/* A post checked twice gets its stored answer and counts once. */
static void test_replay(void **state)
{
    struct fx *f = *state;
    struct km_dedup_result r;
    km_post_free(check(f->d, "1", "u1", pair_cases[2].a, NULL, T0, &r));
    struct km_post *b = check(f->d, "2", "u2", pair_cases[2].b, NULL, T0 + MINUTE, &r);
    assert_int_equal(r.size.posts, 2);
    struct km_post *b2 = check(f->d, "2", "u2", pair_cases[2].b, NULL, T0 + 2 * MINUTE, &r);
    assert_true(r.replay);
    assert_int_equal(r.escalate, 0);
    assert_int_equal(r.size.posts, 2);
    assert_string_equal(b2->triage.dup_of, "telegram:1");
    assert_string_equal(b2->triage.incident, b->triage.incident);
    assert_string_equal(b2->triage.fingerprint, b->triage.fingerprint);
    km_post_free(b);
    km_post_free(b2);
}

static void test_bad_input(void **state)
{
    struct fx *f = *state;
    struct km_dedup_result r;
    struct km_err err = {{0}};
    struct km_post *p = mkpost("1", "u", "текст");
    km_post_set(&p->id, NULL);
    assert_int_equal(km_dedup_check(f->d, p, T0, &r, &err), KM_EINPUT);
    assert_non_null(strstr(err.msg, "network or id"));
    assert_null(p->triage.fingerprint);
    km_post_free(p);
    /* no text, only hashtags or emoji: an original with its own incident */
    static const char *const empties[] = {NULL, "", "#109 #Астана", "🙏🙏🙏", "\xff\xfe"};
    for (size_t i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
        char id[8];
        snprintf(id, sizeof(id), "e%zu", i);
        p = mkpost(id, "u", empties[i]);
        assert_int_equal(km_dedup_check(f->d, p, T0, &r, &err), KM_OK);
        assert_null(p->triage.dup_of);
        assert_true(r.is_short);
        assert_int_equal(r.size.posts, 1);
        km_post_free(p);
    }
}

static void test_opts_check(void **state)
{
    (void)state;
    static const struct {
        struct km_dedup_opts o;
        int rc;
        const char *msg;
    } cases[] = {
        {{0}, KM_OK, NULL},
        {{.window_ms = 500}, KM_EINPUT, "window"},
        {{.near = 1.5}, KM_EINPUT, "within 0..1"},
        {{.near = 0.5, .related = 0.7}, KM_EINPUT, "above near"},
        {{.related = 0.7}, KM_EINPUT, "above near"},
        {{.escalate = {3, 3}}, KM_EINPUT, "ascending"},
        {{.escalate = {1}}, KM_EINPUT, "ascending"},
        {{.escalate = {2, 5, 20, 100}}, KM_OK, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct km_err err = {{0}};
        assert_int_equal(km_dedup_opts_check(&cases[i].o, &err), cases[i].rc);
        if (cases[i].msg != NULL) {
            assert_non_null(strstr(err.msg, cases[i].msg));
        }
    }
    /* invalid options fall back to the defaults */
    struct km_dedup_opts bad = {.near = 7.0};
    struct km_dedup_mem *mem = km_dedup_mem_new(0);
    struct km_dedup *d = km_dedup_new(&bad, &km_dedup_mem_ops, mem);
    struct km_dedup_result r;
    km_post_free(check(d, "1", "u1", pair_cases[2].a, NULL, T0, &r));
    km_post_free(check(d, "2", "u2", pair_cases[2].b, NULL, T0, &r));
    assert_true(r.is_near_dup);
    km_dedup_free(d);
    km_dedup_mem_free(mem);
}

/* ---- a store that fails on demand ---------------------------------------------------- */

struct flaky {
    struct km_dedup_mem *mem;
    int calls;   /* calls so far */
    int fail_at; /* the call number that fails (1-based), 0 = none */
};

static int flaky_fail(struct flaky *s, struct km_err *err)
{
    s->calls++;
    if (s->calls == s->fail_at) {
        return km_err_set(err, KM_RETRY, "redis 127.0.0.1:1: connection refused");
    }
    return KM_OK;
}

static int fl_get(void *st, const char *key, int64_t now, int64_t w, struct km_dedup_rec *out,
                  bool *found, struct km_err *err)
{
    struct flaky *s = st;
    int rc = flaky_fail(s, err);
    return rc != KM_OK ? rc : km_dedup_mem_ops.get(s->mem, key, now, w, out, found, err);
}

static int fl_claim(void *st, uint64_t fp, const char *key, int64_t now, int64_t w, char **holder,
                    struct km_err *err)
{
    struct flaky *s = st;
    int rc = flaky_fail(s, err);
    return rc != KM_OK ? rc : km_dedup_mem_ops.exact_claim(s->mem, fp, key, now, w, holder, err);
}

static int fl_cand(void *st, const uint64_t *bands, size_t nb, size_t per, int64_t now, int64_t w,
                   struct km_dedup_rec **out, size_t *n, struct km_err *err)
{
    struct flaky *s = st;
    int rc = flaky_fail(s, err);
    return rc != KM_OK
               ? rc
               : km_dedup_mem_ops.band_candidates(s->mem, bands, nb, per, now, w, out, n, err);
}

static int fl_put(void *st, const struct km_dedup_rec *rec, const uint64_t *bands, size_t nb,
                  const char *author, int64_t now, int64_t w, struct km_dedup_size *size,
                  struct km_err *err)
{
    struct flaky *s = st;
    int rc = flaky_fail(s, err);
    return rc != KM_OK ? rc
                       : km_dedup_mem_ops.put(s->mem, rec, bands, nb, author, now, w, size, err);
}

static int fl_inc(void *st, const char *id, int64_t now, int64_t w, struct km_dedup_size *size,
                  struct km_err *err)
{
    struct flaky *s = st;
    int rc = flaky_fail(s, err);
    return rc != KM_OK ? rc : km_dedup_mem_ops.incident_get(s->mem, id, now, w, size, err);
}

static int fl_place(void *st, char *const *places, size_t n, const char *self, int64_t now,
                    int64_t w, struct km_dedup_rec *out, bool *found, struct km_err *err)
{
    struct flaky *s = st;
    int rc = flaky_fail(s, err);
    return rc != KM_OK
               ? rc
               : km_dedup_mem_ops.place_candidate(s->mem, places, n, self, now, w, out, found, err);
}

static int fl_near(void *st, const struct km_dedup_near_query *q, int64_t now, int64_t w,
                   struct km_dedup_rec *out, double *jaccard, bool *found, struct km_err *err)
{
    struct flaky *s = st;
    int rc = flaky_fail(s, err);
    return rc != KM_OK
               ? rc
               : km_dedup_mem_ops.near_best(s->mem, q, now, w, out, jaccard, found, err);
}

static const struct km_dedup_store_ops flaky_ops = {"flaky", fl_get, fl_claim, fl_cand,
                                                    fl_put,  fl_inc, fl_place};
/* The same with near_best: the near stage's one call is that op instead of the candidates */
static const struct km_dedup_store_ops flaky_near_ops = {
    "flaky", fl_get, fl_claim, fl_cand, fl_put, fl_inc, fl_place, NULL, fl_near};

/* An ascending sketch of n distinct values drawn from [0, range). */
static size_t random_sketch(uint32_t *out, size_t n, uint32_t range, unsigned *seed)
{
    size_t k = 0;
    for (uint32_t v = 0; v < range && k < n; v++) {
        if ((uint32_t)rand_r(seed) % (range - v) < n - k) { /* selection sampling */
            out[k++] = v;
        }
    }
    return k;
}

/* The bounded Jaccard is the Jaccard whenever that reaches the floor, and below the floor
 * otherwise, for exact (unsaturated) and estimated (saturated) sketches alike. */
static void test_jaccard_bounded(void **state)
{
    (void)state;
    unsigned seed = 11;
    size_t cut = 0;
    for (int t = 0; t < 20000; t++) {
        uint32_t a[KM_DEDUP_SKETCH_MAX], b[KM_DEDUP_SKETCH_MAX];
        uint32_t range = 130 + (uint32_t)rand_r(&seed) % 300;
        size_t na = random_sketch(a, 1 + (size_t)rand_r(&seed) % KM_DEDUP_SKETCH_MAX, range, &seed);
        size_t nb = random_sketch(b, 1 + (size_t)rand_r(&seed) % KM_DEDUP_SKETCH_MAX, range, &seed);
        double floor = (rand_r(&seed) % 101) / 100.0;
        double exact = km_dedup_jaccard(a, na, b, nb);
        double bounded = km_dedup_jaccard_bounded(a, na, b, nb, floor);
        if (exact >= floor) {
            assert_true(bounded == exact);
        } else {
            assert_true(bounded < floor);
            cut += bounded == -1.0;
        }
    }
    assert_true(cut > 1000); /* the merges were cut short, not only run to the end */
}

/* The in-memory store without near_best: the check then reads every candidate through
 * band_candidates(). */
static const struct km_dedup_store_ops *mem_ops_without_near_best(void)
{
    static struct km_dedup_store_ops ops;
    ops = km_dedup_mem_ops;
    ops.near_best = NULL;
    return &ops;
}

/* A text of n words from a small vocabulary, so that texts share many shingles. */
static void random_text(char *out, size_t cap, unsigned *seed, int n)
{
    static const char *const words[] = {
        "вода",   "нет",     "свет",   "подъезд", "третий", "день",  "холодно", "батареи",
        "яма",    "дорога",  "люк",    "открыт",  "Туран",  "Кенесары", "жалоба", "аким",
        "мусор",  "двор",    "лифт",   "стоит",   "снег",   "лёд",   "дети",    "школа",
        "su",     "jarық",   "жоқ",    "үй",      "көше",   "апта",  "қар",     "жол"};
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < n && len + 24 < cap; i++) {
        len += (size_t)snprintf(out + len, cap - len, "%s%s %d", i > 0 ? " " : "",
                                words[(size_t)rand_r(seed) % (sizeof(words) / sizeof(*words))],
                                rand_r(seed) % 4);
    }
}

/* near_best gives the answer reading every candidate gives: the same first post, incident
 * and Jaccard for every post of a stream with near copies, templates filling buckets past
 * the newest eight looked at, and texts long enough to saturate the sketch. */
static void test_near_best_same_answer(void **state)
{
    (void)state;
    struct km_dedup_mem *m1 = km_dedup_mem_new(0), *m2 = km_dedup_mem_new(0);
    struct km_dedup *d1 = km_dedup_new(NULL, &km_dedup_mem_ops, m1);
    struct km_dedup *d2 = km_dedup_new(NULL, mem_ops_without_near_best(), m2);
    enum { POSTS = 3000 };
    static char texts[POSTS][1200];
    unsigned seed = 7;
    size_t near = 0, related = 0;
    for (int k = 0; k < POSTS; k++) {
        if (k > 0 && k % 3 == 0) { /* an earlier text with a few words added */
            char tail[200];
            random_text(tail, sizeof(tail), &seed, 1 + rand_r(&seed) % 6);
            const char *earlier = texts[(size_t)rand_r(&seed) % k];
            size_t n = strlen(earlier); /* copied apart: the compiler cannot see j < k */
            memcpy(texts[k], earlier, n);
            snprintf(texts[k] + n, sizeof(texts[k]) - n, " %s", tail);
        } else {
            random_text(texts[k], sizeof(texts[k]), &seed, k % 7 == 0 ? 90 : 6 + k % 20);
        }
        char id[16];
        snprintf(id, sizeof(id), "%d", k);
        struct km_dedup_result r1, r2;
        struct km_post *p1 = check(d1, id, id, texts[k], NULL, T0 + k * 1000, &r1);
        struct km_post *p2 = check(d2, id, id, texts[k], NULL, T0 + k * 1000, &r2);
        assert_string_equal(p1->triage.incident, p2->triage.incident);
        assert_true((p1->triage.dup_of == NULL) == (p2->triage.dup_of == NULL));
        if (p1->triage.dup_of != NULL) {
            assert_string_equal(p1->triage.dup_of, p2->triage.dup_of);
        }
        assert_true(r1.jaccard == r2.jaccard);
        assert_int_equal(r1.is_near_dup, r2.is_near_dup);
        assert_int_equal(r1.is_related, r2.is_related);
        near += r1.is_near_dup;
        related += r1.is_related && !r1.is_place;
        km_post_free(p1);
        km_post_free(p2);
    }
    assert_true(near > 300); /* the comparison covered both kinds of link */
    assert_true(related > 20);
    km_dedup_free(d1);
    km_dedup_free(d2);
    km_dedup_mem_free(m1);
    km_dedup_mem_free(m2);
}

/* Whichever store call fails, the check reports KM_RETRY with the store's message and no
 * dedup fields, and checking the post again gives the answer an undisturbed run gives. */
static void test_store_errors(void **state)
{
    (void)state;
    /* a near duplicate of post 1 calls get, get(reply_to), claim, candidates (or
     * near_best), put */
    for (int fail_at = 1; fail_at <= 10; fail_at++) {
        struct flaky s = {km_dedup_mem_new(0), 0, 0};
        struct km_dedup *d =
            km_dedup_new(NULL, fail_at <= 5 ? &flaky_ops : &flaky_near_ops, &s);
        int at = fail_at <= 5 ? fail_at : fail_at - 5;
        struct km_dedup_result r;
        km_post_free(check(d, "1", "u1", pair_cases[2].a, NULL, T0, &r));
        s.calls = 0;
        s.fail_at = at;
        struct km_post *p = mkpost("2", "u2", pair_cases[2].b);
        km_post_set(&p->reply_to, "777");
        struct km_err err = {{0}};
        assert_int_equal(km_dedup_check(d, p, T0 + MINUTE, &r, &err), KM_RETRY);
        assert_non_null(strstr(err.msg, "connection refused"));
        assert_null(p->triage.fingerprint);
        assert_null(p->triage.incident);
        assert_null(p->triage.dup_of);
        assert_int_equal(r.size.posts, 0);
        s.fail_at = 0;
        assert_int_equal(km_dedup_check(d, p, T0 + 2 * MINUTE, &r, &err), KM_OK);
        assert_true(r.is_near_dup);
        assert_string_equal(p->triage.dup_of, "telegram:1");
        assert_int_equal(r.size.posts, 2);
        km_post_free(p);
        km_dedup_free(d);
        km_dedup_mem_free(s.mem);
    }
    /* a replayed post's incident read fails too */
    struct flaky s = {km_dedup_mem_new(0), 0, 0};
    struct km_dedup *d = km_dedup_new(NULL, &flaky_ops, &s);
    struct km_dedup_result r;
    km_post_free(check(d, "1", "u1", pair_cases[2].a, NULL, T0, &r));
    s.calls = 0;
    s.fail_at = 2;
    struct km_post *p = mkpost("1", "u1", pair_cases[2].a);
    struct km_err err = {{0}};
    assert_int_equal(km_dedup_check(d, p, T0, &r, &err), KM_RETRY);
    assert_null(p->triage.incident);
    km_post_free(p);
    km_dedup_free(d);
    km_dedup_mem_free(s.mem);
}

/* Place keys: street key (Kazakh folded, Latin transliterated, leading vowel and
 * consonants) + house number; numbers that are times, phones, temperatures, counts,
 * floors, ranges, institutions' or service numbers are not houses. */
static void test_places(void **state)
{
    (void)state;
    static const struct {
        const char *text, *category, *want; /* want: keys joined by ' ', "" for none */
    } cases[] = {
        {"Туран 24, открытый люк", NULL, "трн|24"},
        {"Тұран 24, люк ашық тұр", NULL, "трн|24"},
        {"Open manhole on Turan ave 24 #Astana", NULL, "трн|24"},
        {"на Туране 24 люк", "manholes", "roads|трн|24"},
        {"Сыганак 15 без света", NULL, "сгнк|15"},
        {"Сығанақ 15-те жарық жоқ", NULL, "сгнк|15"},
        {"Пушкин көшесі 166 маңын су басып", NULL, "пшкн|166"},
        {"Zhenis ave 45 has no power", NULL, "жнс|45"},
        {"Мәңгілік Ел 53, Б блок", NULL, "мнгл|53"},
        {"5 мкр дом 12 отопления нет", NULL, "мкр5|12"},
        {"5 шағын аудан, 12 үй. жылу жоқ", NULL, "мкр5|12"},
        {"Петрова 18, кв. 40 прорвало", NULL, "птрв|18"},
        {"Абая 12а и Абая 12a", NULL, "аб|12а"},
        {"Saryarka 12 and Сарыарка 12", NULL, "сррк|12"},
        {"Seifullin st 31, Сейфуллина 31", NULL, "сфлн|31"},
        {"по вчерашнему на Иманова 19: пожарные", NULL, "имнв|19"},
        {"на Сарыарке у остановки напротив дома 12", NULL, "сррк|12"},
        /* not house numbers */
        {"звоните +7 701 123 45 67, Абая", NULL, ""},
        {"тел Абая 8 701 555-12-34", NULL, ""},
        {"сейчас 8:40, трактора нет", NULL, ""},
        {"на улице -31, в квартире +13", NULL, ""},
        {"мороз 25° уже", NULL, ""},
        {"нет света 3 дня, ждали 40 минут", NULL, ""},
        {"у людей на 14 этаже дети", NULL, ""},
        {"u nas net sveta uzhe 3 chasa", NULL, ""},
        {"дозвониться в 104 не можем, оператор 109 молчит", NULL, ""},
        {"автобус 32 проехал мимо", NULL, ""},
        {"Абая 0 и Абая 12345", NULL, ""},
        {"#Абая 38 #109", NULL, ""},
        {"висим между 7 и 8 этажом", NULL, ""},
        {"родители 45 школы", NULL, ""},
        /* streets without a number give no house key */
        {"под мостом на Богенбай батыра", "flooding", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out[KM_DEDUP_MAX_PLACES];
        size_t n = km_dedup_places(cases[i].text, cases[i].category, out, KM_DEDUP_MAX_PLACES);
        char got[256] = "";
        for (size_t k = 0; k < n; k++) {
            snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", k > 0 ? " " : "",
                     out[k]);
            free(out[k]);
        }
        print_message("places: %s -> %s\n", cases[i].text, got);
        assert_string_equal(got, cases[i].want);
    }
    assert_int_equal(km_dedup_places(NULL, NULL, NULL, 0), 0);
}

/* All place keys: house keys, then street keys with a category of a problem at a place,
 * "#" for the street of a numbered address, "*" without a number. */
static void test_place_keys(void **state)
{
    (void)state;
    static const struct {
        const char *text, *category, *want;
        size_t n_house;
    } cases[] = {
        {"на Сарыарке 12 люк открыт", "manholes", "roads|сррк|12 manholes|сррк|#", 1},
        {"на Сарыарке у остановки люк", "manholes", "manholes|сррк|*", 0},
        {"Bogenbay batyr underpass is flooded", "flooding", "flooding|бгнб|*", 0},
        {"в Коктале света нет", "electricity", "electricity|кктл|*", 0},
        {"Көкталда жарық жоқ", "electricity", "electricity|кктл|*", 0},
        {"на Есиле возле Триатлон парка", "medical", "medical|есл|* medical|тртл|*", 0},
        {"5 мкр дом 12 отопления нет", "heating", "water|мкр5|12", 1},
        /* heating, water and flooding at one house share a house key; streets keep theirs */
        {"Петрова 18 прорвало батарею", "heating", "water|птрв|18 heating|птрв|#", 1},
        {"Петрова 18, воду откачали", "flooding", "water|птрв|18 flooding|птрв|#", 1},
        {"Петрова 18 нет света", "electricity", "electricity|птрв|18 electricity|птрв|#", 1},
        /* an open manhole and a hole in the road at one house share a house key */
        {"Open manhole on Turan ave 24", "manholes", "roads|трн|24 manholes|трн|#", 1},
        {"та самая дыра на Туране 24", "roads", "roads|трн|24 roads|трн|#", 1},
        /* a crossing: both streets, without a number, in the crossing form "+" */
        {"Туран-Сыганак светофоры сдохли", "roads", "roads|трн|+ roads|сгнк|+", 0},
        {"Turan / Syganak intersection, lights dead", "roads", "roads|трн|+ roads|сгнк|+", 0},
        {"lights dead at Kabanbay Batyr x Dostyk junction", "roads", "roads|кбнб|+ roads|дстк|+",
         0},
        /* two streets far apart in one post are no crossing */
        {"на Сарыарке люк, а на Туране тоже", "manholes", "manholes|сррк|* manholes|трн|*", 0},
        /* "голов 8" is a count, not a house */
        {"в Кулагере стая голов 8 покусала", "stray_animals", "stray_animals|клгр|*", 0},
        /* no category, or one that is no event at a place: house keys only */
        {"на Сарыарке 12 люк открыт", NULL, "сррк|12", 1},
        {"в Коктале света нет", NULL, "", 0},
        {"bus 10 skipped the stop at Kenesary", "transport", "", 0},
        {"Kenesary 52 aialdamasynda 21 avtobus", "transport", "transport|кнср|52", 1},
        {"сколько стоит справка в ЦОН на Кенесары", "consultation", "", 0},
        /* a place heading ("Коктал, ..."), a name before a Kazakh postposition */
        {"Коктал, трансформаторная будка искрит", "electricity", "electricity|кктл|*", 0},
        {"Люди, помогите, света нет", "electricity", "", 0},
        {"Магнум артындағы иттер баланы тістеді", "stray_animals", "stray_animals|мгнм|*", 0},
        /* a Kazakh crossing "X мен Y ... қиылысы"; Победы / Pobedy is Жеңіс avenue */
        {"Абай мен Женис дангылынын киылысындагы отпелде су", "flooding",
         "flooding|аб|+ flooding|жнс|+", 0},
        {"переход под Абая-Победы опять как бассейн", "flooding", "flooding|аб|+ flooding|жнс|+",
         0},
        {"underpass at Abay/Pobedy flooded", "flooding", "flooding|аб|+ flooding|жнс|+", 0},
        /* a crossing of two two-word names, keyed by their first words, in ru and en */
        {"на перекрёстке Мангилик Ел — Улы Дала пробка", "roads", "roads|мнгл|+ roads|ул|+", 0},
        {"Traffic lights at Mangilik El / Uly Dala dead", "roads", "roads|мнгл|+ roads|ул|+", 0},
        /* a Kazakh locative without a Kazakh letter, before a Kazakh word */
        {"Талапкерде мектептің жанында иттер", "stray_animals", "stray_animals|тлпк|*", 0},
        /* a village named before "ауылы", a heading quoted after "переслано:" */
        {"Талапкер ауылы, мектептің жанында иттер", "stray_animals", "stray_animals|тлпк|*", 0},
        {"переслано: «Талапкер, стая собак у школы»", "stray_animals", "stray_animals|тлпк|*", 0},
        /* a lift without a house number is nowhere in particular: no street key */
        {"The lift on Turan jerks between floors", "elevator", "", 0},
        {"застряли в лифте Туран 19", "elevator", "elevator|трн|19", 1},
        /* "Қосшыдағы" (which is in Kosshy) is keyed as "Косшы" */
        {"Қосшыдағы жаңа мектептің жанында иттер", "stray_animals", "stray_animals|ксш|*", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out[KM_DEDUP_MAX_PLACES];
        size_t n_house = 99;
        size_t n = km_dedup_place_keys(cases[i].text, cases[i].category, out, KM_DEDUP_MAX_PLACES,
                                       &n_house);
        char got[256] = "";
        for (size_t k = 0; k < n; k++) {
            snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", k > 0 ? " " : "",
                     out[k]);
            free(out[k]);
        }
        if (strcmp(got, cases[i].want) != 0 || n_house != cases[i].n_house) {
            fail_msg("case %zu: '%s': got '%s' (%zu house), want '%s'", i, cases[i].text, got,
                     n_house, cases[i].want);
        }
    }
    char *one[1];
    size_t n_house = 0;
    assert_int_equal(km_dedup_place_keys("Абая 12, улица Кенесары", "roads", one, 1, &n_house), 1);
    assert_string_equal(one[0], "roads|аб|12");
    free(one[0]);
}

/* Checks a post whose category the caller scored before the check. */
static struct km_post *check_cat(struct km_dedup *d, const char *id, const char *category,
                                 const char *text, int64_t t, struct km_dedup_result *r)
{
    struct km_post *p = mkpost(id, id, text);
    struct km_err err = {{0}};
    km_post_set(&p->triage.category, category);
    assert_int_equal(km_dedup_check(d, p, t, r, &err), KM_OK);
    return p;
}

/* One address in ru / kk / en joins one incident (related, no dup_of); another house of
 * the street, another category, or a post after the window does not. */
static void test_place_join(void **state)
{
    struct fx *f = *state;
    static const struct {
        const char *id, *category, *text;
        int joins; /* index of the post whose incident it joins, -1: its own */
    } cases[] = {
        {"1", "electricity",
         "Сыганак 15 — весь дом без света с 7 утра, лифты стоят, холодильники текут #109", -1},
        {"2", "electricity",
         "Сығанақ 15-те таңғы сағат 7-ден бері жарық жоқ, балалар сабаққа дайындала алмай отыр", 0},
        {"3", "electricity", "Whole building at Syganak 15 has no power since 7 am, any ETA?", 0},
        {"4", "electricity", "на Сыганак 17 тоже нет света с утра, соседи звонили в РЭК", -1},
        {"5", "water", "Сыганак 15, второй подъезд — с утра нет холодной воды, никто не знает?",
         -1},
        {"6", "manholes", "Туран 24, прямо на тротуаре у остановки открытый люк без крышки", -1},
        {"7", "manholes", "Open manhole with no cover on Turan ave 24, right next to the stop", 5},
        {"8", "manholes", "Тұран 24, аялдаманың дәл жанында люк ашық тұр, қақпағы жоқ", 5},
    };
    struct km_post *p[8];
    size_t root[8]; /* the first post of each one's incident */
    struct km_dedup_result r;
    for (size_t i = 0; i < 8; i++) {
        p[i] = check_cat(f->d, cases[i].id, cases[i].category, cases[i].text,
                         T0 + (int64_t)i * MINUTE, &r);
        int j = cases[i].joins; /* always an earlier post */
        print_message("place: %s joins %d (%s)\n", cases[i].id, j, p[i]->triage.incident);
        assert_int_equal(r.is_place, j >= 0);
        assert_int_equal(r.is_related, j >= 0);
        assert_null(p[i]->triage.dup_of);
        root[i] = j >= 0 ? root[j] : i;
        for (size_t k = 0; k < i; k++) {
            bool same = strcmp(p[k]->triage.incident, p[i]->triage.incident) == 0;
            assert_int_equal(same, root[k] == root[i]);
        }
    }
    assert_int_equal(r.size.posts, 3);
    /* the same address after the window starts a new incident */
    struct km_post *late =
        check_cat(f->d, "9", "manholes", "Туран 24 люк опять открыт", T0 + 73 * HOUR, &r);
    assert_false(r.is_place);
    assert_string_not_equal(late->triage.incident, p[5]->triage.incident);
    km_post_free(late);
    for (size_t i = 0; i < 8; i++) {
        km_post_free(p[i]);
    }
}

/* A post of a join test and the earlier post whose incident it joins by place (-1: its own). */
struct join_case {
    const char *id, *category, *text;
    int joins;
};

/* Checks cases in order, a minute apart: each joins by place exactly when it names an earlier
 * post, and two posts share an incident exactly when they should. */
static void check_joins(struct km_dedup *d, const struct join_case *cases, size_t n)
{
    struct km_post **p = km_calloc(n, sizeof(*p));
    size_t *root = km_calloc(n, sizeof(*root));
    struct km_dedup_result r;
    for (size_t i = 0; i < n; i++) {
        p[i] = check_cat(d, cases[i].id, cases[i].category, cases[i].text,
                         T0 + (int64_t)i * MINUTE, &r);
        int j = cases[i].joins;
        print_message("join: %s joins %d (%s)\n", cases[i].id, j, p[i]->triage.incident);
        assert_int_equal(r.is_place, j >= 0);
        root[i] = j >= 0 ? root[j] : i;
        for (size_t k = 0; k < i; k++) {
            bool same = strcmp(p[k]->triage.incident, p[i]->triage.incident) == 0;
            if (same != (root[k] == root[i])) {
                fail_msg("posts %zu and %zu: same incident %d", k + 1, i + 1, same);
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        km_post_free(p[i]);
    }
    free(root);
    free(p);
}

/* Streets without a house number: a report that names no number joins the newest report
 * of its category on that street, numbered or not; a numbered report joins an earlier one
 * without a number; two numbered houses of one street stay apart; buses are not joined by
 * street; a crossing and a house on one of its streets stay apart. */
static void test_street_join(void **state)
{
    struct fx *f = *state;
    static const struct join_case cases[] = {
        {"1", "manholes", "ребенок упал в открытый колодец на Сарыарке у остановки!!!", -1},
        {"2", "manholes", "на Сарыарке у остановки напротив дома 12 люк открыт второй день", 0},
        {"3", "manholes", "Сарыарқа көшесі, 12 үйдің қасындағы аялдама, құдыққа бала түсті", 0},
        {"4", "electricity", "Сыганак 15 — весь подъезд без электричества с обеда", -1},
        {"5", "electricity", "а у нас на Сыганак 17 свет моргает и гаснет каждые полчаса", -1},
        {"6", "electricity", "на Сыганак вообще нет света с утра, что случилось?", 4},
        {"7", "water", "на Сарыарке второй день течёт ржавая вода из крана", -1},
        {"8", "transport", "Bus 10 skipped the stop at Kenesary twice this morning", -1},
        {"9", "transport", "на Кенесары автобус 21 опять не пришёл, ждали час", -1},
        /* ru / kk / en reports of one place: a heading, a locative, "in" */
        {"10", "electricity", "Коктал, трансформаторная будка искрит, света нет у всей улицы", -1},
        {"11", "electricity", "Көктал, мектеп маңындағы көшеде жарық жоқ", 9},
        {"12", "electricity", "Power's back in Koktal since 6am", 9},
        {"13", "electricity", "Люди, помогите, света нет с утра", -1},
        /* a name before a Kazakh postposition and after a Russian preposition */
        {"14", "stray_animals", "Магнум артындағы гараждардың жанында иттер баланы тістеді", -1},
        {"15", "stray_animals", "у гаражей за Магнумом стая собак покусала мальчика", 13},
        /* a crossing and a house of one of its streets are two places, either way round;
         * two reports of one crossing meet */
        {"16", "roads", "Traffic lights dead at Kabanbay Batyr x Dostyk junction, chaos", -1},
        {"17", "roads", "на Кабанбай батыра 40 раскопали траншею поперёк тротуара", -1},
        {"18", "roads", "Dostyk x Kabanbay Batyr lights still dead", 15},
        {"19", "roads", "Кабанбай батыра 40, траншея так и стоит без ограждения", 16},
        /* a lift is in one house: a street alone does not place it on a long avenue */
        {"20", "elevator", "The lift in our building on Turan jerks between floors", -1},
        {"21", "elevator", "мы застряли в лифте Туран 19 второй подъезд, диспетчер молчит", -1},
        {"22", "elevator", "дочь застряла в лифте Туран 19/2 уже 40 минут", 20},
        /* a Kazakh "-дағы" place ("Қосшыдағы") is the place named without it */
        {"23", "stray_animals", "возле новой школы в Косшы бегает стая собак, дети обходят", -1},
        {"24", "stray_animals", "Қосшыдағы жаңа мектептің жанында иттер баланы талады", 22},
    };
    check_joins(f->d, cases, sizeof(cases) / sizeof(cases[0]));
}

/* Reports of one landmark under its ru / kk / en names join; two landmarks stay apart. */
static void test_landmark_join(void **state)
{
    struct fx *f = *state;
    static const struct join_case cases[] = {
        {"1", "flooding", "Хан Шатыр жанындағы жер асты өткелін су басып қалды", -1},
        {"2", "flooding", "переход у Хан Шатыра опять по колено, люди по перилам лезут", 0},
        {"3", "flooding", "the underpass by Khan Shatyr is knee deep again", 0},
        {"4", "flooding", "у Байтерека подземный переход затопило", -1},
        {"5", "manholes", "возле Меги люк без крышки, чуть не наступила", -1},
        {"6", "manholes", "Мега Силк Уэй жанында құдықтың қақпағы жоқ", 4},
        {"7", "manholes", "у Керуена люк открыт", -1},
        {"8", "water", "у EXPO фонтан из-под асфальта бьёт", -1},
        {"9", "water", "Burst water main right next to EXPO, the road is underwater", 7},
    };
    check_joins(f->d, cases, sizeof(cases) / sizeof(cases[0]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pairs),
        cmocka_unit_test_setup_teardown(test_fingerprint_simhash, fx_setup, fx_teardown),
        cmocka_unit_test(test_similarity),
        cmocka_unit_test_setup_teardown(test_chains, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_reply_unknown, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_window, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_eviction, fx_setup, fx_teardown),
        cmocka_unit_test(test_escalation),
        cmocka_unit_test_setup_teardown(test_replay, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, fx_setup, fx_teardown),
        cmocka_unit_test(test_opts_check),
        cmocka_unit_test(test_store_errors),
        cmocka_unit_test(test_near_best_same_answer),
        cmocka_unit_test(test_jaccard_bounded),
        cmocka_unit_test(test_places),
        cmocka_unit_test(test_place_keys),
        cmocka_unit_test_setup_teardown(test_place_join, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_street_join, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_landmark_join, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
