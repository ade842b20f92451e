/* Tests of queue/dedup_store (the dedup window in Redis) driven through triage/dedup,
 * against a real redis-server. test/integration/test_modules.sh starts one (lib.sh) and
 * sets KM_REDIS_URL and KM_REDIS_PORT; without them the tests that need a server are
 * skipped. Each test uses its own key namespace. */
#include "common/alloc.h"
#include "common/err.h"
#include "common/time.h"
#include "parser/post.h"
#include "queue/dedup_store.h"
#include "triage/dedup.h"

#include <hiredis/hiredis.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define MINUTE 60000LL
#define HOUR   (60 * MINUTE)

/* Texts of TRIAGE.md §5's pairs (the same as in test_triage_dedup.c). */
static const char TXT_FLOOD[] =
    "Пушкина 166 — подтопило всю улицу, талая вода по колено, машины глохнут, пешеходам не "
    "пройти #109";
static const char TXT_FLOOD_EDIT[] =
    "Пушкина 166 — затопило всю улицу, талая вода по колено, машины глохнут, пешеходам "
    "вообще не пройти никак #Астана";
static const char TXT_FLOOD_RELATED[] =
    "Пушкина 166 всю улицу подтопило, вода по колено, пешеходам не пройти, когда откачают "
    "воду? #Астана";
static const char TXT_OTHER[] =
    "на Кенесары у рынка затопило подземный переход, воды по щиколотку, насосы не работают #109";
static const char TXT_KK[] =
    "Қордай 7 маңында иттер үйірі таңертең мектепке бара жатқан қызға шабуыл жасап, аяғын "
    "тістеп алды! #109";

struct fx {
    char ns[64];
    struct km_queue_opts qo;
    struct km_dedup_redis *store;
    struct km_dedup *d;
    redisContext *raw; /* independent connection for checks */
    int64_t now;
};

static int fx_counter;

static struct km_dedup_redis *store_open(const struct km_queue_opts *qo)
{
    struct km_dedup_redis *s = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_dedup_redis_new(qo, 0, &s, &err), KM_OK);
    return s;
}

static int fx_setup(void **state)
{
    *state = NULL;
    const char *url = getenv("KM_REDIS_URL");
    if (url == NULL) {
        return 0;
    }
    struct fx *f = km_calloc(1, sizeof(*f));
    snprintf(f->ns, sizeof(f->ns), "d%d_%d", (int)getpid(), ++fx_counter);
    f->qo.url = url;
    f->qo.ns = f->ns;
    f->qo.timeout_ms = 2000;
    f->store = store_open(&f->qo);
    f->d = km_dedup_new(NULL, &km_dedup_redis_ops, f->store);
    const char *port = getenv("KM_REDIS_PORT");
    f->raw = redisConnect("127.0.0.1", port != NULL ? atoi(port) : 6379);
    assert_non_null(f->raw);
    assert_int_equal(f->raw->err, 0);
    f->now = km_time_now_ms(); /* keys expire by Redis's clock: use the real one */
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    if (f != NULL) {
        km_dedup_free(f->d);
        km_dedup_redis_free(f->store);
        redisFree(f->raw);
        free(f);
    }
    return 0;
}

/* komekd restarts: the fixture's store and deduplicator are made anew (on f->qo, whose
 * namespace the caller may have changed). */
static void fx_restart(struct fx *f)
{
    km_dedup_free(f->d);
    km_dedup_redis_free(f->store);
    f->store = store_open(&f->qo);
    f->d = km_dedup_new(NULL, &km_dedup_redis_ops, f->store);
}

/* A second komekd on the same Redis: its own store and deduplicator. */
struct peer {
    struct km_dedup_redis *s;
    struct km_dedup *d;
};

/* window_ms 0: the default window. */
static struct peer peer_open_window(const struct km_queue_opts *qo, int64_t window_ms)
{
    struct peer p = {NULL, NULL};
    struct km_err err = {{0}};
    assert_int_equal(km_dedup_redis_new(qo, window_ms, &p.s, &err), KM_OK);
    const struct km_dedup_opts o = {.window_ms = window_ms};
    p.d = km_dedup_new(&o, &km_dedup_redis_ops, p.s);
    return p;
}

static struct peer peer_open(const struct km_queue_opts *qo)
{
    return peer_open_window(qo, 0);
}

static void peer_close(struct peer *p)
{
    km_dedup_free(p->d);
    km_dedup_redis_free(p->s);
}

static struct fx *fx_get(void **state)
{
    if (*state == NULL) {
        skip(); /* no server: run through test/integration/test_modules.sh */
    }
    return *state;
}

static struct km_post *mkpost(const char *id, const char *author, const char *text,
                              const char *reply_to)
{
    struct km_post *p = km_post_new();
    km_post_set(&p->network, "telegram");
    km_post_set(&p->id, id);
    km_post_set(&p->author.id, author);
    km_post_set(&p->text, text);
    km_post_set(&p->reply_to, reply_to);
    return p;
}

static struct km_post *check(struct km_dedup *d, const char *id, const char *author,
                             const char *text, const char *reply_to, int64_t t,
                             struct km_dedup_result *r)
{
    struct km_post *p = mkpost(id, author, text, reply_to);
    struct km_err err = {{0}};
    int rc = km_dedup_check(d, p, t, r, &err);
    if (rc != KM_OK) {
        print_error("km_dedup_check: %s\n", err.msg);
    }
    assert_int_equal(rc, KM_OK);
    return p;
}

/* Runs a command given as NULL-terminated strings on c; caller frees the reply. */
static redisReply *rcmd(redisContext *c, ...)
{
    const char *argv[16];
    size_t lens[16];
    int argc = 0;
    va_list ap;
    va_start(ap, c);
    for (const char *a = va_arg(ap, const char *); a != NULL && argc < 16;
         a = va_arg(ap, const char *)) {
        lens[argc] = strlen(a);
        argv[argc++] = a;
    }
    va_end(ap);
    redisReply *r = redisCommandArgv(c, argc, argv, lens);
    assert_non_null(r);
    return r;
}

/* Number of keys matching pattern (KEYS: test namespaces are tiny). */
static size_t count_keys(redisContext *c, const char *pattern)
{
    redisReply *r = rcmd(c, "KEYS", pattern, NULL);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    size_t n = r->elements;
    freeReplyObject(r);
    return n;
}

/* ---- the pairs, through Redis -------------------------------------------------------- */

static void test_pairs(void **state)
{
    struct fx *f = fx_get(state);
    static const struct {
        const char *b;
        const char *reply_to;
        bool exact, near, related, repost;
    } cases[] = {
        {"RT @x: Пушкина 166 — подтопило всю улицу, талая вода по колено, машины глохнут, "
         "пешеходам не пройти 🌊 #iKomek",
         NULL, true, false, false, false},
        {TXT_FLOOD_EDIT, NULL, false, true, false, false},
        {TXT_FLOOD_RELATED, NULL, false, false, true, false},
        {TXT_OTHER, NULL, false, false, false, false},
        {"+1, у нас то же самое", "a", false, false, false, true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char ida[16], idb[16];
        snprintf(ida, sizeof(ida), "a%zu", i);
        snprintf(idb, sizeof(idb), "b%zu", i);
        struct km_dedup_result ra, rb;
        struct km_post *a = check(f->d, ida, "u1", TXT_FLOOD, NULL, f->now, &ra);
        char *reply = cases[i].reply_to != NULL ? ida : NULL;
        struct km_post *b = check(f->d, idb, "u2", cases[i].b, reply, f->now + MINUTE, &rb);
        /* every a after the first is itself an exact copy of a0 */
        assert_int_equal(ra.is_exact_dup, i > 0);
        assert_int_equal(rb.is_exact_dup, cases[i].exact);
        assert_int_equal(rb.is_near_dup, cases[i].near);
        assert_int_equal(rb.is_related, cases[i].related);
        assert_int_equal(rb.is_repost, cases[i].repost);
        bool linked = cases[i].exact || cases[i].near || cases[i].related || cases[i].repost;
        assert_int_equal(strcmp(a->triage.incident, b->triage.incident) == 0, linked);
        if (linked && !cases[i].related) {
            assert_string_equal(b->triage.dup_of, "telegram:a0");
        } else {
            assert_null(b->triage.dup_of);
        }
        km_post_free(a);
        km_post_free(b);
    }
}

/* The value of field of the log entry of post key into out (at most size - 1 bytes, NUL
 * terminated); returns its length, or -1 if the entry or the field is absent. */
static long log_field(struct fx *f, const char *key, const char *field, char *out, size_t size)
{
    char log[128];
    snprintf(log, sizeof(log), "{%s}:dedup:log", f->ns);
    redisReply *r = rcmd(f->raw, "XRANGE", log, "-", "+", NULL);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    long len = -1;
    for (size_t i = 0; i < r->elements && len < 0; i++) {
        const redisReply *fv = r->element[i]->element[1];
        bool mine = false;
        for (size_t j = 0; j + 1 < fv->elements; j += 2) {
            mine = mine || (strcmp(fv->element[j]->str, "k") == 0 &&
                            strcmp(fv->element[j + 1]->str, key) == 0);
        }
        for (size_t j = 0; mine && j + 1 < fv->elements; j += 2) {
            if (strcmp(fv->element[j]->str, field) == 0) {
                const redisReply *v = fv->element[j + 1];
                len = (long)v->len;
                size_t n = v->len < size - 1 ? v->len : size - 1;
                memcpy(out, v->str, n);
                out[n] = '\0';
            }
        }
    }
    freeReplyObject(r);
    return len;
}

static long long log_len(struct fx *f)
{
    char log[128];
    snprintf(log, sizeof(log), "{%s}:dedup:log", f->ns);
    redisReply *r = rcmd(f->raw, "XLEN", log, NULL);
    long long n = r->integer;
    freeReplyObject(r);
    return n;
}

/* The documented log: one entry a post, with the documented fields, and nothing else. */
static void test_log(void **state)
{
    struct fx *f = fx_get(state);
    char key[256];
    /* an entry written long before the window (by Redis's clock) goes with the next write */
    snprintf(key, sizeof(key), "{%s}:dedup:log", f->ns);
    freeReplyObject(rcmd(f->raw, "XADD", key, "1-1", "k", "telegram:old", NULL));
    struct km_dedup_result r;
    struct km_post *a = check(f->d, "1", "u1", TXT_KK, NULL, f->now, &r);
    char rt[512];
    snprintf(rt, sizeof(rt), "RT @kordai: %s", TXT_KK);
    struct km_post *b = check(f->d, "2", "u2", rt, NULL, f->now, &r);
    struct km_post *c = check(f->d, "3", "u3", "нет света", NULL, f->now, &r);
    char v[1024], want[64];
    assert_int_equal(log_len(f), 3);
    snprintf(want, sizeof(want), "%lld", (long long)f->now);
    assert_true(log_field(f, "telegram:1", "t", v, sizeof(v)) > 0);
    assert_string_equal(v, want);
    assert_int_equal(log_field(f, "telegram:1", "f", v, sizeof(v)), 16);
    assert_string_equal(v, a->triage.fingerprint);
    assert_true(log_field(f, "telegram:1", "i", v, sizeof(v)) > 0);
    assert_string_equal(v, a->triage.incident);
    assert_int_equal(log_field(f, "telegram:1", "d", v, sizeof(v)), -1); /* an original */
    assert_true(log_field(f, "telegram:1", "a", v, sizeof(v)) > 0);
    assert_string_equal(v, "telegram:u1");
    assert_int_equal(log_field(f, "telegram:1", "b", v, sizeof(v)), 8 * KM_DEDUP_BANDS);
    long sk = log_field(f, "telegram:1", "s", v, sizeof(v));
    assert_true(sk > 0 && sk % 4 == 0);
    assert_true(log_field(f, "telegram:1", "p", v, sizeof(v)) > 0);
    assert_non_null(strstr(v, "|7"));
    assert_true(log_field(f, "telegram:2", "d", v, sizeof(v)) > 0);
    assert_string_equal(v, "telegram:1");
    assert_int_equal(log_field(f, "telegram:2", "b", v, sizeof(v)), -1); /* not indexed */
    assert_int_equal(log_field(f, "telegram:3", "s", v, sizeof(v)), -1); /* short text */
    snprintf(key, sizeof(key), "{%s}:*", f->ns);
    assert_int_equal(count_keys(f->raw, key), 1);
    km_post_free(a);
    km_post_free(b);
    km_post_free(c);
}

static struct km_post *check_cat(struct km_dedup *d, const char *id, const char *category,
                                 const char *text, int64_t t, struct km_dedup_result *r)
{
    struct km_post *p = mkpost(id, id, text, NULL);
    struct km_err err = {{0}};
    km_post_set(&p->triage.category, category);
    int rc = km_dedup_check(d, p, t, r, &err);
    if (rc != KM_OK) {
        print_error("km_dedup_check: %s\n", err.msg);
    }
    assert_int_equal(rc, KM_OK);
    return p;
}

/* The place index is shared: a Kazakh report checked by a second komekd joins the Russian
 * one's incident through the place keys of its log entry; another house or category does
 * not; a post older than the window does not. */
static void test_place(void **state)
{
    struct fx *f = fx_get(state);
    struct peer p2 = peer_open(&f->qo);
    struct km_dedup_result r;
    struct km_post *old =
        check_cat(f->d, "0", "electricity", "Сыганак 15 опять без света", f->now - 73 * HOUR, &r);
    struct km_post *a =
        check_cat(f->d, "1", "electricity",
                  "Сыганак 15 — весь дом без света с 7 утра, лифты стоят #109", f->now, &r);
    assert_false(r.is_place); /* post 0 left the window */
    struct km_post *b = check_cat(p2.d, "2", "electricity",
                                  "Сығанақ 15-те таңғы сағат 7-ден бері жарық жоқ, балалар "
                                  "сабаққа дайындала алмай отыр",
                                  f->now + MINUTE, &r);
    assert_true(r.is_place);
    assert_true(r.is_related);
    assert_null(b->triage.dup_of);
    assert_string_equal(b->triage.incident, a->triage.incident);
    assert_int_equal(r.size.posts, 2);
    struct km_post *c = check_cat(p2.d, "3", "electricity", "на Сыганак 17 тоже нет света с утра",
                                  f->now + 2 * MINUTE, &r);
    assert_false(r.is_place);
    struct km_post *e = check_cat(f->d, "4", "water", "Сыганак 15 — с утра нет холодной воды",
                                  f->now + 3 * MINUTE, &r);
    assert_false(r.is_place);
    assert_string_not_equal(e->triage.incident, a->triage.incident);
    char v[512];
    assert_true(log_field(f, "telegram:1", "p", v, sizeof(v)) > 0);
    assert_non_null(strstr(v, "electricity|сгнк|15"));
    assert_true(log_field(f, "telegram:2", "p", v, sizeof(v)) > 0);
    assert_non_null(strstr(v, "electricity|сгнк|15"));
    km_post_free(old);
    km_post_free(a);
    km_post_free(b);
    km_post_free(c);
    km_post_free(e);
    peer_close(&p2);
}

/* Two komekd on one Redis share the window; a komekd that restarts finds it again. */
static void test_shared_and_restart(void **state)
{
    struct fx *f = fx_get(state);
    struct peer p2 = peer_open(&f->qo);
    struct km_dedup_result r;
    struct km_post *a = check(f->d, "1", "u1", TXT_FLOOD, NULL, f->now, &r);
    struct km_post *b = check(p2.d, "2", "u2", TXT_FLOOD_EDIT, NULL, f->now + MINUTE, &r);
    assert_true(r.is_near_dup);
    assert_string_equal(b->triage.incident, a->triage.incident);
    peer_close(&p2);
    /* "restart": a new store and deduplicator */
    fx_restart(f);
    struct km_post *c = check(f->d, "3", "u3", TXT_FLOOD, NULL, f->now + 2 * MINUTE, &r);
    assert_true(r.is_exact_dup);
    assert_int_equal(r.size.posts, 3);
    assert_int_equal(r.escalate, 1);
    struct km_post *b2 = check(f->d, "2", "u2", TXT_FLOOD_EDIT, NULL, f->now + 3 * MINUTE, &r);
    assert_true(r.replay);
    assert_int_equal(r.size.posts, 3);
    assert_int_equal(r.size.authors, 3);
    assert_string_equal(b2->triage.dup_of, "telegram:1");
    km_post_free(a);
    km_post_free(b);
    km_post_free(c);
    km_post_free(b2);
}

/* Redis itself restarts (kill -9, AOF): the window is still there. */
static void test_redis_restart(void **state)
{
    struct fx *f = fx_get(state);
    if (getenv("KM_HARNESS") == NULL) {
        skip();
    }
    struct km_dedup_result r;
    struct km_post *a = check(f->d, "1", "u1", TXT_FLOOD, NULL, f->now, &r);
    assert_int_equal(system("sh -c '. \"$KM_HARNESS\" && km_redis_restart KILL'"), 0);
    struct km_post *b = check(f->d, "2", "u2", TXT_FLOOD_EDIT, NULL, f->now + MINUTE, &r);
    assert_true(r.is_near_dup);
    assert_string_equal(b->triage.incident, a->triage.incident);
    redisFree(f->raw);
    const char *port = getenv("KM_REDIS_PORT");
    f->raw = redisConnect("127.0.0.1", port != NULL ? atoi(port) : 6379);
    assert_int_equal(f->raw->err, 0);
    km_post_free(a);
    km_post_free(b);
}

static void test_window(void **state)
{
    struct fx *f = fx_get(state);
    static const struct {
        int64_t a_at, b_at; /* relative to now */
        bool linked;
    } cases[] = {
        {-72 * HOUR + MINUTE, 0, true}, /* a leaves the window in a minute */
        {-72 * HOUR - 1, 0, false},     /* a left the window a millisecond ago */
        {0, 72 * HOUR, false},          /* the same, seen from a's time */
        {0, 72 * HOUR - 1, true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        /* a new namespace each: the cases go back and forth in time */
        snprintf(f->ns, sizeof(f->ns), "w%d_%zu", (int)getpid(), i);
        fx_restart(f);
        char ida[16], idb[16], text[200];
        snprintf(ida, sizeof(ida), "a%zu", i);
        snprintf(idb, sizeof(idb), "b%zu", i);
        snprintf(text, sizeof(text), "%s, случай %zu", TXT_FLOOD, i);
        struct km_dedup_result r;
        struct km_post *a = check(f->d, ida, "u1", text, NULL, f->now + cases[i].a_at, &r);
        struct km_post *b = check(f->d, idb, "u2", text, NULL, f->now + cases[i].b_at, &r);
        assert_int_equal(r.is_exact_dup, cases[i].linked);
        assert_int_equal(strcmp(a->triage.incident, b->triage.incident) == 0, cases[i].linked);
        char idc[16];
        snprintf(idc, sizeof(idc), "c%zu", i); /* a reply reads a's record itself */
        struct km_post *c = check(f->d, idc, "u3", "ответ", ida, f->now + cases[i].b_at, &r);
        assert_int_equal(r.is_repost, cases[i].linked);
        km_post_free(a);
        km_post_free(b);
        km_post_free(c);
    }
}

/* Two deduplicators adding to one incident alternately: each size is seen once, and the
 * thresholds escalate exactly once. */
static void test_escalation_shared(void **state)
{
    struct fx *f = fx_get(state);
    struct peer p2 = peer_open(&f->qo);
    int escalations[3] = {0, 0, 0};
    for (int i = 0; i < 12; i++) {
        char id[16], author[16];
        snprintf(id, sizeof(id), "%d", i);
        snprintf(author, sizeof(author), "u%d", i % 4);
        struct km_dedup_result r;
        km_post_free(check(i % 2 == 0 ? f->d : p2.d, id, author,
                           i % 3 == 0 ? TXT_FLOOD : TXT_FLOOD_EDIT, NULL, f->now + i, &r));
        assert_int_equal(r.size.posts, i + 1);
        assert_int_equal(r.size.authors, i < 4 ? i + 1 : 4);
        escalations[r.escalate]++;
        assert_int_equal(r.escalate != 0, i + 1 == 3 || i + 1 == 10);
    }
    assert_int_equal(escalations[1], 1);
    assert_int_equal(escalations[2], 1);
    peer_close(&p2);
}

/* An entry someone else wrote badly is skipped and counted, not trusted. */
static void test_malformed_record(void **state)
{
    struct fx *f = fx_get(state);
    char key[128];
    snprintf(key, sizeof(key), "{%s}:dedup:log", f->ns);
    freeReplyObject(
        rcmd(f->raw, "XADD", key, "*", "k", "telegram:1", "t", "soon", "f", "zz", "i", "x", NULL));
    freeReplyObject(rcmd(f->raw, "XADD", key, "*", "k", "telegram:1", "t", "5", "f",
                         "00000000000000ff", "i", "x", "b", "short", NULL));
    freeReplyObject(rcmd(f->raw, "XADD", key, "*", "t", "5", NULL));
    char t_future[32], t_now[32];
    snprintf(t_future, sizeof(t_future), "%lld", (long long)(f->now + HOUR));
    snprintf(t_now, sizeof(t_now), "%lld", (long long)f->now);
    freeReplyObject(rcmd(f->raw, "XADD", key, "*", "k", "telegram:8", "t", t_future, "f",
                         "00000000000000aa", "i", "inc-8", NULL)); /* a clock an hour ahead */
    freeReplyObject(rcmd(f->raw, "XADD", key, "*", "k", "telegram:9", "t", t_now, "f",
                         "00000000000000ab", "i", "inc-9", NULL)); /* no author: applied */
    freeReplyObject(rcmd(f->raw, "XADD", key, "*", "k", "telegram:7", "t", "99999999999999999999",
                         "f", "00000000000000ac", "i", "inc-7", NULL));
    struct km_dedup_result r;
    struct km_post *b = check(f->d, "2", "u2", "ответ", "1", f->now, &r);
    assert_false(r.is_repost);
    assert_null(b->triage.dup_of);
    km_post_free(b);
    struct km_post *c = check(f->d, "1", "u1", TXT_OTHER, NULL, f->now, &r);
    assert_false(r.replay); /* and the real check is logged */
    km_post_free(c);
    struct km_dedup_redis_stats st;
    km_dedup_redis_stats(f->store, &st);
    assert_int_equal(st.skipped, 5);
    assert_int_equal(st.applied, 1);
    assert_int_equal(st.written, 2);
    char v[64];
    assert_int_equal(log_len(f), 8);
    struct km_post *e = check(f->d, "10", "u10", "ответ", "9", f->now, &r);
    assert_true(r.is_repost); /* the entry without an author counts */
    assert_string_equal(e->triage.incident, "inc-9");
    km_post_free(e);
    assert_int_equal(log_field(f, "telegram:1", "f", v, sizeof(v)), 2); /* the first of two */
}

/* In a batch the copy answers and the log is written once, at the flush: a second komekd
 * sees the batch from its next batch on. A flush that fails keeps the entries for the
 * next one; a dropped connection is made again. */
static void test_batches(void **state)
{
    struct fx *f = fx_get(state);
    struct peer p2 = peer_open(&f->qo);
    struct km_err err = {{0}};
    struct km_dedup_result r;
    assert_int_equal(km_dedup_redis_begin(p2.s, &err), KM_OK);
    assert_int_equal(km_dedup_redis_begin(f->store, &err), KM_OK);
    struct km_post *a = check(f->d, "1", "u1", TXT_FLOOD, NULL, f->now, &r);
    struct km_post *b = check(f->d, "2", "u2", TXT_FLOOD_EDIT, NULL, f->now, &r);
    assert_true(r.is_near_dup); /* within the batch */
    assert_int_equal(log_len(f), 0);
    struct km_dedup_redis_stats st;
    km_dedup_redis_stats(f->store, &st);
    assert_int_equal(st.pending, 2);
    assert_int_equal(st.posts, 2);
    struct km_post *c = check(p2.d, "3", "u3", TXT_FLOOD, NULL, f->now, &r);
    assert_false(r.is_exact_dup); /* not yet written */
    assert_int_equal(km_dedup_redis_flush(p2.s, &err), KM_OK);
    /* Redis refuses writes (no replica for min-replicas-to-write): the first store's
     * flush fails and keeps the entries; its next batch writes them */
    freeReplyObject(rcmd(f->raw, "CONFIG", "SET", "min-replicas-to-write", "1", NULL));
    int rc = km_dedup_redis_flush(f->store, &err);
    freeReplyObject(rcmd(f->raw, "CONFIG", "SET", "min-replicas-to-write", "0", NULL));
    assert_int_not_equal(rc, KM_OK);
    assert_non_null(strstr(err.msg, "NOREPLICAS"));
    km_dedup_redis_stats(f->store, &st);
    assert_int_equal(st.pending, 2);
    assert_int_equal(log_len(f), 1); /* post 3 */
    freeReplyObject(rcmd(f->raw, "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes", NULL));
    assert_int_equal(km_dedup_redis_begin(f->store, &err), KM_OK);
    km_dedup_redis_stats(f->store, &st);
    assert_int_equal(st.pending, 0);
    assert_int_equal(st.written, 2);
    assert_int_equal(st.applied, 1); /* post 3 */
    assert_int_equal(km_dedup_redis_flush(f->store, &err), KM_OK);
    assert_int_equal(log_len(f), 3);
    km_dedup_redis_stats(f->store, &st);
    assert_int_equal(st.read, 3); /* post 3 came first, so its own two were read back */
    assert_int_equal(km_dedup_redis_begin(p2.s, &err), KM_OK);
    struct km_post *e = check(p2.d, "4", "u4", TXT_FLOOD_EDIT, NULL, f->now, &r);
    assert_true(r.is_exact_dup);
    assert_string_equal(e->triage.dup_of, "telegram:1"); /* 2 is a near copy of 1 */
    assert_int_equal(km_dedup_redis_flush(p2.s, &err), KM_OK);
    km_dedup_redis_stats(p2.s, &st);
    assert_int_equal(st.read, 2); /* 1 and 2; its own 4 followed what it had read */
    /* the first store reads post 4 (and the escalation mark after it); what it writes
     * next follows them, so is not read back */
    assert_int_equal(km_dedup_redis_begin(f->store, &err), KM_OK);
    km_dedup_redis_stats(f->store, &st);
    uint64_t read = st.read;
    assert_int_equal(read, 5);
    km_post_free(check(f->d, "5", "u5", TXT_FLOOD, NULL, f->now, &r));
    assert_int_equal(km_dedup_redis_flush(f->store, &err), KM_OK);
    assert_int_equal(km_dedup_redis_begin(f->store, &err), KM_OK);
    assert_int_equal(km_dedup_redis_flush(f->store, &err), KM_OK);
    km_dedup_redis_stats(f->store, &st);
    assert_int_equal(st.read, read);
    assert_int_equal(st.applied, 2); /* posts 3 and 4 */
    assert_int_equal(st.written, 3);
    /* and the second store still gets post 5 */
    assert_int_equal(km_dedup_redis_begin(p2.s, &err), KM_OK);
    struct km_post *g = check(p2.d, "7", "u7", TXT_FLOOD, NULL, f->now, &r);
    assert_true(r.is_exact_dup);
    assert_int_equal(km_dedup_redis_flush(p2.s, &err), KM_OK);
    km_dedup_redis_stats(p2.s, &st);
    assert_int_equal(st.read, 3);
    assert_int_equal(st.applied, 3);
    km_post_free(g);
    km_post_free(a);
    km_post_free(b);
    km_post_free(c);
    km_post_free(e);
    peer_close(&p2);
}

/* The flush in two halves: nothing is in the log before the wait; a connection lost in
 * between (Redis holds the EXEC, CLIENT PAUSE WRITE, and drops the client) fails the wait
 * with KM_RETRY and keeps the entries, which the next flush writes once; a peer then
 * finds them. An empty flush sends nothing. */
static void test_flush_send_wait(void **state)
{
    struct fx *f = fx_get(state);
    struct km_err err = {{0}};
    struct km_dedup_result r;
    struct km_dedup_redis_stats st;
    assert_int_equal(km_dedup_redis_begin(f->store, &err), KM_OK);
    struct km_post *a = check(f->d, "1", "u1", TXT_FLOOD, NULL, f->now, &r);
    struct km_post *b = check(f->d, "2", "u2", TXT_OTHER, NULL, f->now, &r);
    freeReplyObject(rcmd(f->raw, "CLIENT", "PAUSE", "10000", "WRITE", NULL));
    assert_int_equal(km_dedup_redis_flush_send(f->store, &err), KM_OK);
    freeReplyObject(rcmd(f->raw, "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes", NULL));
    freeReplyObject(rcmd(f->raw, "CLIENT", "UNPAUSE", NULL));
    assert_int_equal(km_dedup_redis_flush_wait(f->store, &err), KM_RETRY);
    assert_int_equal(log_len(f), 0);
    km_dedup_redis_stats(f->store, &st);
    assert_int_equal(st.pending, 2);
    assert_int_equal(st.written, 0);
    assert_int_equal(km_dedup_redis_begin(f->store, &err), KM_OK); /* writes them first */
    assert_int_equal(log_len(f), 2);
    struct km_post *c = check(f->d, "3", "u3", TXT_KK, NULL, f->now, &r);
    assert_int_equal(km_dedup_redis_flush_send(f->store, &err), KM_OK);
    assert_int_equal(km_dedup_redis_flush_wait(f->store, &err), KM_OK);
    assert_int_equal(log_len(f), 3);
    km_dedup_redis_stats(f->store, &st);
    assert_int_equal(st.pending, 0);
    assert_int_equal(st.written, 3);
    assert_int_equal(km_dedup_redis_begin(f->store, &err), KM_OK);
    assert_int_equal(km_dedup_redis_flush_send(f->store, &err), KM_OK); /* nothing queued */
    assert_int_equal(km_dedup_redis_flush_wait(f->store, &err), KM_OK);
    assert_int_equal(log_len(f), 3);
    km_dedup_redis_stats(f->store, &st);
    assert_int_equal(st.read, 0); /* its own entries were never read back */
    struct peer p2 = peer_open(&f->qo);
    struct km_post *e = check(p2.d, "4", "u4", TXT_KK, NULL, f->now, &r);
    assert_true(r.is_exact_dup);
    assert_string_equal(e->triage.dup_of, "telegram:3");
    km_post_free(a);
    km_post_free(b);
    km_post_free(c);
    km_post_free(e);
    peer_close(&p2);
}

/* Two komekd adding to one incident in the same batch interval make its size jump past a
 * threshold (9 and 9, then 11): the next post announces the level skipped, once. */
static void test_escalation_skipped(void **state)
{
    struct fx *f = fx_get(state);
    struct peer p2 = peer_open(&f->qo);
    struct km_err err = {{0}};
    struct km_dedup_result r;
    int announced[3] = {0, 0, 0};
    char id[16];
    for (int i = 1; i <= 8; i++) {
        snprintf(id, sizeof(id), "%d", i);
        km_post_free(check(f->d, id, id, TXT_FLOOD, NULL, f->now + i, &r));
        announced[r.escalate]++;
    }
    assert_int_equal(announced[1], 1); /* at 3 */
    assert_int_equal(km_dedup_redis_begin(f->store, &err), KM_OK);
    assert_int_equal(km_dedup_redis_begin(p2.s, &err), KM_OK);
    km_post_free(check(f->d, "9", "9", TXT_FLOOD, NULL, f->now + 9, &r));
    assert_int_equal(r.size.posts, 9);
    km_post_free(check(p2.d, "10", "10", TXT_FLOOD, NULL, f->now + 10, &r));
    assert_int_equal(r.size.posts, 9); /* it has not seen post 9 */
    assert_int_equal(r.escalate, 0);
    assert_int_equal(km_dedup_redis_flush(f->store, &err), KM_OK);
    assert_int_equal(km_dedup_redis_flush(p2.s, &err), KM_OK);
    assert_int_equal(km_dedup_redis_begin(f->store, &err), KM_OK);
    km_post_free(check(f->d, "11", "11", TXT_FLOOD, NULL, f->now + 11, &r));
    assert_int_equal(r.size.posts, 11);
    assert_int_equal(r.escalate, 2); /* 10 was passed without an announcement */
    assert_int_equal(r.escalate_at, 10);
    assert_int_equal(km_dedup_redis_flush(f->store, &err), KM_OK);
    assert_int_equal(km_dedup_redis_begin(p2.s, &err), KM_OK);
    km_post_free(check(p2.d, "12", "12", TXT_FLOOD, NULL, f->now + 12, &r));
    assert_int_equal(r.size.posts, 12);
    assert_int_equal(r.escalate, 0); /* the other komekd announced it */
    assert_int_equal(r.size.escalated, 2);
    assert_int_equal(km_dedup_redis_flush(p2.s, &err), KM_OK);
    peer_close(&p2);
}

/* A flush repeated after its reply was lost writes its entries twice: a komekd replaying
 * the log counts each post once. */
static void test_duplicate_entries(void **state)
{
    struct fx *f = fx_get(state);
    struct km_dedup_result r;
    km_post_free(check(f->d, "1", "u1", TXT_FLOOD, NULL, f->now, &r));
    km_post_free(check(f->d, "2", "u2", TXT_FLOOD_EDIT, NULL, f->now, &r));
    char key[128];
    snprintf(key, sizeof(key), "{%s}:dedup:log", f->ns);
    redisReply *all = rcmd(f->raw, "XRANGE", key, "-", "+", NULL);
    for (size_t i = 0; i < all->elements; i++) { /* append a copy of each entry */
        const redisReply *fv = all->element[i]->element[1];
        const char *argv[32] = {"XADD", key, "*"};
        size_t lens[32] = {4, strlen(key), 1};
        int argc = 3;
        for (size_t j = 0; j < fv->elements && argc < 32; j++, argc++) {
            argv[argc] = fv->element[j]->str;
            lens[argc] = fv->element[j]->len;
        }
        freeReplyObject(redisCommandArgv(f->raw, argc, argv, lens));
    }
    freeReplyObject(all);
    assert_int_equal(log_len(f), 4);
    struct peer p2 = peer_open(&f->qo);
    km_post_free(check(p2.d, "3", "u3", TXT_FLOOD, NULL, f->now + MINUTE, &r));
    assert_int_equal(r.size.posts, 3);
    assert_int_equal(r.size.authors, 3);
    struct km_dedup_redis_stats st;
    km_dedup_redis_stats(p2.s, &st);
    assert_int_equal(st.applied, 2);
    assert_int_equal(st.skipped, 0);
    peer_close(&p2);
}

/* A window longer than the default is replayed whole at start. */
static void test_long_window(void **state)
{
    struct fx *f = fx_get(state);
    const int64_t week = 7 * 24 * HOUR;
    struct peer p1 = peer_open_window(&f->qo, week), p2 = peer_open_window(&f->qo, week);
    struct peer p3 = peer_open(&f->qo);
    struct km_dedup_result r;
    km_post_free(check(p1.d, "1", "u1", TXT_FLOOD, NULL, f->now - 5 * 24 * HOUR, &r));
    km_post_free(check(p2.d, "2", "u2", TXT_FLOOD, NULL, f->now, &r));
    assert_true(r.is_exact_dup); /* five days back, in a week's window */
    km_post_free(check(p3.d, "3", "u3", TXT_FLOOD, NULL, f->now, &r));
    assert_true(r.is_exact_dup); /* post 2 */
    struct km_dedup_redis_stats st;
    km_dedup_redis_stats(p3.s, &st);
    assert_int_equal(st.posts, 2); /* post 1 is older than its 72 hours */
    peer_close(&p1);
    peer_close(&p2);
    peer_close(&p3);
}

/* A komekd starting on a long log reads it page by page. */
static void test_replay_pages(void **state)
{
    struct fx *f = fx_get(state);
    struct km_err err = {{0}};
    struct km_dedup_result r;
    assert_int_equal(km_dedup_redis_begin(f->store, &err), KM_OK);
    for (int i = 0; i < 4500; i++) {
        char id[16], text[64];
        snprintf(id, sizeof(id), "%d", i);
        snprintf(text, sizeof(text), "двор %d не убран", i); /* short: exact only */
        km_post_free(check(f->d, id, "u", text, NULL, f->now, &r));
    }
    assert_int_equal(km_dedup_redis_flush(f->store, &err), KM_OK);
    assert_int_equal(log_len(f), 4500);
    struct peer p2 = peer_open(&f->qo);
    struct km_post *p = check(p2.d, "x", "v", "двор 4499 не убран!", NULL, f->now + MINUTE, &r);
    assert_true(r.is_exact_dup);
    assert_string_equal(p->triage.dup_of, "telegram:4499");
    struct km_dedup_redis_stats st;
    km_dedup_redis_stats(p2.s, &st);
    assert_int_equal(st.applied, 4500);
    assert_int_equal(st.posts, 4501);
    km_post_free(p);
    peer_close(&p2);
}

/* Redis unreachable: KM_RETRY, no dedup fields; needs no server. */
static void test_unreachable(void **state)
{
    (void)state;
    struct km_queue_opts qo = {"redis://127.0.0.1:1", NULL, "x", 500, 0, 0, NULL};
    struct km_dedup_redis *s = store_open(&qo);
    struct km_dedup *d = km_dedup_new(NULL, &km_dedup_redis_ops, s);
    struct km_post *p = mkpost("1", "u", TXT_FLOOD, NULL);
    struct km_dedup_result r;
    struct km_err err = {{0}};
    assert_int_equal(km_dedup_check(d, p, km_time_now_ms(), &r, &err), KM_RETRY);
    assert_non_null(strstr(err.msg, "127.0.0.1:1"));
    assert_null(p->triage.incident);
    assert_null(p->triage.fingerprint);
    km_post_free(p);
    km_dedup_free(d);
    km_dedup_redis_free(s);
    struct km_queue_opts bad = {"http://x", NULL, "x", 500, 0, 0, NULL};
    assert_int_equal(km_dedup_redis_new(&bad, 0, &s, &err), KM_EINPUT);
    assert_null(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pairs, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_log, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_shared_and_restart, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_place, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_redis_restart, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_window, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_escalation_shared, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_malformed_record, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_batches, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_flush_send_wait, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_replay_pages, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_long_window, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_escalation_skipped, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_entries, fx_setup, fx_teardown),
        cmocka_unit_test(test_unreachable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
