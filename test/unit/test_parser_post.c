/* Unit tests for parser/post: hashtag folding, JSON encoding (exact shape), decoding,
 * round trips with Cyrillic, Kazakh and emoji text, the triage object, and batches. */
#include "common/alloc.h"
#include "common/err.h"
#include "common/utf8.h"
#include "parser/json.h"
#include "parser/post.h"

#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_new_free(void **state)
{
    (void)state;
    struct km_post *p = km_post_new();
    assert_int_equal(p->engagement.likes, -1);
    assert_int_equal(p->engagement.reposts, -1);
    assert_int_equal(p->engagement.replies, -1);
    assert_int_equal(p->engagement.views, -1);
    assert_null(p->text);
    assert_int_equal(p->n_hashtags, 0);
    km_post_set(&p->text, "first");
    km_post_set(&p->text, "second");
    assert_string_equal(p->text, "second");
    km_post_set(&p->text, NULL);
    assert_null(p->text);
    km_post_free(p);
    km_post_free(NULL);
}

static void test_add_hashtag(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *folded; /* NULL: ignored */
    } cases[] = {
        {"#\xd0\x90\xd1\x81\xd1\x82\xd0\xb0\xd0\xbd\xd0\xb0", /* #Астана */
         "\xd0\xb0\xd1\x81\xd1\x82\xd0\xb0\xd0\xbd\xd0\xb0"},
        {"\xd0\x90\xd0\xa1\xd0\xa2\xd0\x90\xd0\x9d\xd0\x90", NULL}, /* АСТАНА: duplicate */
        {"#109", "109"},
        {"iKomek", "ikomek"},
        {"#\xd2\x9a\xd0\x90\xd0\x9b\xd0\x90", "\xd2\x9b\xd0\xb0\xd0\xbb\xd0\xb0"}, /* ҚАЛА */
        {"\xd3\x98\xd2\xa2\xd2\xae\xd0\x86", "\xd3\x99\xd2\xa3\xd2\xaf\xd1\x96"},  /* ӘҢҮІ */
        {"Stra\xc3\x9f"
         "e",
         "strasse"},
        {"\xd0\xb5\xcc\x88lka", "\xd1\x91lka"}, /* е + combining diaeresis -> ё */
        {"##x", "#x"},
        {"#", NULL},
        {"", NULL},
        {NULL, NULL},
        {"bad\xff", "bad\xef\xbf\xbd"},
    };
    struct km_post *p = km_post_new();
    size_t want_n = 0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        km_post_add_hashtag(p, cases[i].in);
        if (cases[i].folded != NULL) {
            want_n++;
            assert_string_equal(p->hashtags[want_n - 1], cases[i].folded);
            assert_true(km_post_has_hashtag(p, cases[i].folded));
        }
        assert_int_equal(p->n_hashtags, want_n);
    }
    assert_false(km_post_has_hashtag(p, "#109"));
    assert_false(km_post_has_hashtag(p, "10"));
    km_post_free(p);
}

/* Tags are kept up to KM_HASHTAG_MAX_BYTES bytes as folded, so that a huge tag never
 * reaches PostgreSQL's index; the limit is counted after '#' is stripped and folding. */
static void test_add_hashtag_length(void **state)
{
    (void)state;
    static const struct {
        const char *prefix; /* once, before the repeated unit */
        const char *unit;   /* repeated count times */
        size_t count;
        size_t want_len; /* 0: ignored */
    } cases[] = {
        {"", "a", KM_HASHTAG_MAX_BYTES, KM_HASHTAG_MAX_BYTES},
        {"", "b", KM_HASHTAG_MAX_BYTES + 1, 0},
        {"#", "c", KM_HASHTAG_MAX_BYTES, KM_HASHTAG_MAX_BYTES}, /* '#' not counted */
        {"", "D", KM_HASHTAG_MAX_BYTES + 1, 0},
        {"", "\xd0\x96", KM_HASHTAG_MAX_BYTES / 2, KM_HASHTAG_MAX_BYTES}, /* Ж x 320 */
        {"", "\xd0\x97", KM_HASHTAG_MAX_BYTES / 2 + 1, 0},                /* З x 321 */
        {"", "\xc3\x9f", KM_HASHTAG_MAX_BYTES / 2, KM_HASHTAG_MAX_BYTES}, /* ß -> ss */
        {"x", "\xc3\x9f", KM_HASHTAG_MAX_BYTES / 2, 0},                   /* 641 folded */
        {"", "e", 1 << 20, 0},                                            /* 1 MiB */
    };
    struct km_post *p = km_post_new();
    size_t want_n = 0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t plen = strlen(cases[i].prefix), ulen = strlen(cases[i].unit);
        char *tag = malloc(plen + ulen * cases[i].count + 1);
        assert_non_null(tag);
        memcpy(tag, cases[i].prefix, plen);
        for (size_t k = 0; k < cases[i].count; k++) {
            memcpy(tag + plen + k * ulen, cases[i].unit, ulen);
        }
        tag[plen + ulen * cases[i].count] = '\0';
        km_post_add_hashtag(p, tag);
        free(tag);
        if (cases[i].want_len > 0) {
            want_n++;
            assert_int_equal(p->n_hashtags, want_n);
            assert_int_equal(strlen(p->hashtags[want_n - 1]), cases[i].want_len);
        }
        assert_int_equal(p->n_hashtags, want_n);
    }
    km_post_free(p);
}

/* A Telegram-like post with every field set. */
static struct km_post *full_post(void)
{
    struct km_post *p = km_post_new();
    km_post_set(&p->network, "telegram");
    km_post_set(&p->source, "city109");
    km_post_set(&p->id, "-1001234567890:4711");
    km_post_set(&p->url, "https://t.me/astana109/4711");
    km_post_set(&p->author.id, "987654");
    km_post_set(&p->author.name, "\xd0\x90\xd0\xb9\xd0\xb3\xd1\x83\xd0\xbb\xd1\x8c"); /* Айгуль */
    km_post_set(&p->author.handle, "aigul_kz");
    km_post_set(&p->chat.id, "-1001234567890");
    km_post_set(&p->chat.title, "\xd0\x90\xd1\x81\xd1\x82\xd0\xb0\xd0\xbd\xd0\xb0 109");
    /* "Открытый люк "quote" на Туран 24 🚧\n#109 Қала" */
    km_post_set(&p->text, "\xd0\x9e\xd1\x82\xd0\xba\xd1\x80\xd1\x8b\xd1\x82\xd1\x8b\xd0\xb9 "
                          "\xd0\xbb\xd1\x8e\xd0\xba \"quote\" \\ "
                          "\xd0\xbd\xd0\xb0 \xd0\xa2\xd1\x83\xd1\x80\xd0\xb0\xd0\xbd 24 "
                          "\xf0\x9f\x9a\xa7\n#109 \xd2\x9a\xd0\xb0\xd0\xbb\xd0\xb0");
    km_post_set(&p->lang, "ru");
    p->created_at = 1795372861000LL;
    p->collected_at = 1795372862250LL;
    km_post_add_hashtag(p, "#109");
    km_post_add_hashtag(p, "#\xd2\x9a\xd0\xb0\xd0\xbb\xd0\xb0");
    km_post_set(&p->reply_to, "-1001234567890:4700");
    p->engagement.likes = 3;
    p->engagement.views = 1200;
    p->has_geo = true;
    p->lat = 51.1282;
    p->lon = 71.4304;
    km_post_add_media(p, "AgACAgIAAxkBAAIBZ2Zx");
    p->edited = true;
    return p;
}

static const char full_json[] =
    "{\"network\":\"telegram\",\"source\":\"city109\",\"id\":\"-1001234567890:4711\","
    "\"url\":\"https://t.me/astana109/4711\",\"author\":{\"id\":\"987654\",\"name\":"
    "\"\xd0\x90\xd0\xb9\xd0\xb3\xd1\x83\xd0\xbb\xd1\x8c\",\"handle\":\"aigul_kz\"},"
    "\"chat\":{\"id\":\"-1001234567890\",\"title\":\"\xd0\x90\xd1\x81\xd1\x82\xd0\xb0\xd0\xbd"
    "\xd0\xb0 109\"},\"text\":\"\xd0\x9e\xd1\x82\xd0\xba\xd1\x80\xd1\x8b\xd1\x82\xd1\x8b\xd0\xb9 "
    "\xd0\xbb\xd1\x8e\xd0\xba \\\"quote\\\" \\\\ \xd0\xbd\xd0\xb0 "
    "\xd0\xa2\xd1\x83\xd1\x80\xd0\xb0\xd0\xbd 24 \xf0\x9f\x9a\xa7\\n#109 "
    "\xd2\x9a\xd0\xb0\xd0\xbb\xd0\xb0\",\"lang\":\"ru\",\"created_at\":\"2026-11-22T18:41:01Z\","
    "\"collected_at\":\"2026-11-22T18:41:02.250Z\",\"hashtags\":[\"109\","
    "\"\xd2\x9b\xd0\xb0\xd0\xbb\xd0\xb0\"],\"reply_to\":\"-1001234567890:4700\","
    "\"engagement\":{\"likes\":3,\"views\":1200},\"geo\":{\"lat\":51.1282,\"lon\":71.4304},"
    "\"media\":[\"AgACAgIAAxkBAAIBZ2Zx\"],\"edited\":true}";

static const char empty_json[] =
    "{\"network\":null,\"source\":null,\"id\":null,\"url\":null,\"author\":{\"id\":null,"
    "\"name\":null,\"handle\":null},\"chat\":{\"id\":null,\"title\":null},\"text\":null,"
    "\"lang\":null,\"created_at\":null,\"collected_at\":null,\"hashtags\":[],"
    "\"reply_to\":null,\"engagement\":{},\"media\":[]}";

static void test_to_json_shape(void **state)
{
    (void)state;
    struct km_post *p = full_post();
    char *json = km_post_to_json(p);
    assert_string_equal(json, full_json);
    free(json);
    km_post_free(p);

    p = km_post_new();
    json = km_post_to_json(p);
    assert_string_equal(json, empty_json);
    free(json);
    km_post_free(p);
}

static void assert_str_eq_null(const char *a, const char *b)
{
    if (a == NULL || b == NULL) {
        assert_ptr_equal(a, b);
    } else {
        assert_string_equal(a, b);
    }
}

static void assert_posts_equal(const struct km_post *a, const struct km_post *b)
{
    const char *const sa[] = {
        a->network,       a->source,  a->id,         a->url,  a->author.id, a->author.name,
        a->author.handle, a->chat.id, a->chat.title, a->text, a->lang,      a->reply_to};
    const char *const sb[] = {
        b->network,       b->source,  b->id,         b->url,  b->author.id, b->author.name,
        b->author.handle, b->chat.id, b->chat.title, b->text, b->lang,      b->reply_to};
    for (size_t i = 0; i < sizeof(sa) / sizeof(sa[0]); i++) {
        assert_str_eq_null(sa[i], sb[i]);
    }
    assert_true(a->created_at == b->created_at);
    assert_true(a->collected_at == b->collected_at);
    assert_int_equal(a->n_hashtags, b->n_hashtags);
    for (size_t i = 0; i < a->n_hashtags; i++) {
        assert_string_equal(a->hashtags[i], b->hashtags[i]);
    }
    assert_int_equal(a->n_media, b->n_media);
    for (size_t i = 0; i < a->n_media; i++) {
        assert_string_equal(a->media[i], b->media[i]);
    }
    assert_true(a->engagement.likes == b->engagement.likes);
    assert_true(a->engagement.reposts == b->engagement.reposts);
    assert_true(a->engagement.replies == b->engagement.replies);
    assert_true(a->engagement.views == b->engagement.views);
    assert_int_equal(a->has_geo, b->has_geo);
    assert_true(a->lat == b->lat && a->lon == b->lon);
    assert_int_equal(a->edited, b->edited);
}

static void test_round_trip(void **state)
{
    (void)state;
    static const char *texts[] = {
        /* Russian, Kazakh (ә ғ қ ң ө ұ ү һ і), emoji incl. ZWJ sequence and astral */
        "\xd0\x9d\xd0\xb5\xd1\x82 \xd0\xb2\xd0\xbe\xd0\xb4\xd1\x8b \xd0\xbd\xd0\xb0 "
        "\xd0\x9a\xd0\xb5\xd0\xbd\xd0\xb5\xd1\x81\xd0\xb0\xd1\x80\xd1\x8b 40 #109",
        "\xd3\x99 \xd2\x93 \xd2\x9b \xd2\xa3 \xd3\xa9 \xd2\xb1 \xd2\xaf \xd2\xbb \xd1\x96 "
        "\xd0\xb6\xd0\xbe\xd0\xbb \xd0\xb6\xd3\xa9\xd0\xbd\xd0\xb4\xd0\xb5\xd1\x83 \xd0\xba\xd0\xb5"
        "\xd1\x80\xd0\xb5\xd0\xba",
        "Broken street light \xf0\x9f\x92\xa1\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x94\xa7 "
        "\xf0\x9f\x87\xb0\xf0\x9f\x87\xbf\ttab\r\n\x01",
        "",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        struct km_post *p = full_post();
        km_post_set(&p->text, texts[i]);
        p->edited = i % 2 == 0;
        p->has_geo = i != 1;
        p->lat = i == 2 ? -33.868820000000001 : p->lat;
        p->engagement.replies = (int64_t)i;
        char *json = km_post_to_json(p);
        struct km_post *q = NULL;
        struct km_err err = {""};
        assert_int_equal(km_post_from_json(json, strlen(json), &q, &err), KM_OK);
        if (!p->has_geo) {
            p->lat = p->lon = 0; /* not encoded */
        }
        assert_posts_equal(p, q);
        char *again = km_post_to_json(q);
        assert_string_equal(json, again);
        free(again);
        free(json);
        km_post_free(q);
        km_post_free(p);
    }
}

static void test_to_json_repairs_utf8(void **state)
{
    (void)state;
    struct km_post *p = km_post_new();
    km_post_set(&p->network, "vk");
    km_post_set(&p->id, "-1_2");
    km_post_set(&p->text, "bad \xff\xfe byte \xd0");
    km_post_set(&p->author.name, "\xc0\xaf");
    char *json = km_post_to_json(p);
    assert_true(km_utf8_valid(json, strlen(json), NULL));
    struct km_post *q = NULL;
    struct km_err err = {""};
    assert_int_equal(km_post_from_json(json, strlen(json), &q, &err), KM_OK);
    assert_string_equal(q->text, "bad \xef\xbf\xbd\xef\xbf\xbd byte \xef\xbf\xbd");
    assert_string_equal(q->author.name, "\xef\xbf\xbd\xef\xbf\xbd");
    km_post_free(q);
    free(json);
    km_post_free(p);
}

/* Times RFC 3339 cannot write (found by fuzz_telegram: a "date" of 1.8e15 seconds gave
 * "56895037-05-07T03:46:40Z", which km_post_from_json refused) are written as null, so that
 * the post still reads back; the last representable millisecond is kept. */
static void test_to_json_time_range(void **state)
{
    (void)state;
    static const struct {
        int64_t ms;
        const char *want; /* NULL: written as null */
    } cases[] = {
        {1795372861000LL, "\"created_at\":\"2026-11-22T18:41:01Z\""},
        {1795372861000000000LL, NULL},
        {INT64_MAX, NULL},
        {-5000, NULL},
        {INT64_MIN, NULL},
        {253402300799999LL, "\"created_at\":\"9999-12-31T23:59:59.999Z\""},
        {253402300800000LL, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct km_post *p = km_post_new();
        km_post_set(&p->network, "telegram");
        km_post_set(&p->id, "1:2");
        km_post_set(&p->text, "x");
        p->created_at = cases[i].ms;
        p->triage.scored = true;
        p->triage.sla_due = cases[i].ms;
        char *json = km_post_to_json(p);
        assert_non_null(
            strstr(json, cases[i].want != NULL ? cases[i].want : "\"created_at\":null"));
        struct km_post *q = NULL;
        struct km_err err = {""};
        if (km_post_from_json(json, strlen(json), &q, &err) != KM_OK) {
            fail_msg("case %zu: %s: %s", i, json, err.msg);
        }
        assert_int_equal(q->created_at, cases[i].want != NULL ? cases[i].ms : 0);
        assert_int_equal(q->triage.sla_due, cases[i].want != NULL ? cases[i].ms : 0);
        km_post_free(q);
        free(json);
        km_post_free(p);
    }
}

static void test_from_json_errors(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *msg;
    } cases[] = {
        {"", "empty body"},
        {"{\"network\":\"rss\",\"id\":\"x\"", "offset 25: parse error: premature EOF"},
        {"[1,2]", "post: not a JSON object"},
        {"\"text\"", "post: not a JSON object"},
        {"{\"id\":\"1\",\"text\":\"t\"}", "post: missing or non-string \"network\""},
        {"{\"network\":\"rss\",\"text\":\"t\"}", "post: missing or non-string \"id\""},
        {"{\"network\":\"rss\",\"id\":\"1\"}", "post: missing or non-string \"text\""},
        {"{\"network\":\"rss\",\"id\":\"1\",\"text\":null}",
         "post: missing or non-string \"text\""},
        {"{\"network\":\"rss\",\"id\":{},\"text\":\"t\"}", "post: missing or non-string \"id\""},
        {"{\"network\":\"rss\",\"id\":\"1\",\"text\":\"t\",\"created_at\":\"yesterday\"}",
         "post: \"created_at\" is not an RFC 3339 time"},
        {"{\"network\":\"rss\",\"id\":\"1\",\"text\":\"t\",\"collected_at\":1795372861}",
         "post: \"collected_at\" is not an RFC 3339 time"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct km_post *p = (struct km_post *)&cases[i]; /* must be reset to NULL */
        struct km_err err = {""};
        assert_int_equal(km_post_from_json(cases[i].in, strlen(cases[i].in), &p, &err), KM_EINPUT);
        assert_null(p);
        assert_string_equal(err.msg, cases[i].msg);
    }
}

/* A hand-written post: numeric ids, wrong-typed optional fields, a triage object. */
static void test_from_json_tolerant(void **state)
{
    (void)state;
    static const char in[] =
        "{\"network\":\"mastodon\",\"id\":113456789012345678,\"text\":\"#iKomek "
        "\xd0\xbc\xd1\x83\xd1\x81\xd0\xbe\xd1\x80\",\"author\":\"not an object\","
        "\"chat\":{\"id\":42},\"url\":7,\"hashtags\":[\"#IKOMEK\",3,null,\"iKomek\"],"
        "\"media\":\"x\",\"engagement\":{\"likes\":\"5\",\"views\":-3,\"reposts\":2},"
        "\"geo\":{\"lat\":91,\"lon\":10},\"edited\":\"yes\",\"created_at\":null,"
        "\"triage\":{\"urgency\":80},\"extra\":[1]}";
    struct km_post *p = NULL;
    struct km_err err = {""};
    assert_int_equal(km_post_from_json(in, strlen(in), &p, &err), KM_OK);
    assert_string_equal(p->network, "mastodon");
    assert_string_equal(p->id, "113456789012345678");
    assert_string_equal(p->chat.id, "42");
    assert_string_equal(p->url, "7");
    assert_null(p->author.id);
    assert_null(p->source);
    assert_int_equal(p->n_hashtags, 1);
    assert_string_equal(p->hashtags[0], "ikomek");
    assert_int_equal(p->n_media, 0);
    assert_true(p->engagement.likes == -1 && p->engagement.views == -1);
    assert_true(p->engagement.reposts == 2 && p->engagement.replies == -1);
    assert_false(p->has_geo);
    assert_false(p->edited);
    assert_true(p->created_at == 0);
    km_post_free(p);
}

/* ---- triage{} ------------------------------------------------------------------------ */

/* Sets every triage field of p. */
static void set_triage(struct km_post *p)
{
    struct km_post_triage *t = &p->triage;
    t->scored = true;
    km_post_set(&t->category, "gas");
    t->urgency = 87;
    t->priority = 1;
    km_post_add_reason(p, "+40 category gas");
    /* +25 life-safety: "запах газа" */
    km_post_add_reason(p, "+25 life-safety: \"\xd0\xb7\xd0\xb0\xd0\xbf\xd0\xb0\xd1\x85 "
                          "\xd0\xb3\xd0\xb0\xd0\xb7\xd0\xb0\"");
    t->sla_due = 1795373461000LL;
    km_post_set(&t->agency, "QazaqGaz Aimaq");
    km_post_set(&t->fingerprint, "9f86d081884c7d65");
    t->simhash = 0xfedcba9876543210ULL;
    km_post_set(&t->incident, "inc-20261122-0007");
    km_post_set(&t->dup_of, "telegram:-1001234567890:4700");
}

static const char triage_json[] =
    ",\"triage\":{\"category\":\"gas\",\"urgency\":87,\"priority\":\"P1\",\"reasons\":["
    "\"+40 category gas\",\"+25 life-safety: \\\"\xd0\xb7\xd0\xb0\xd0\xbf\xd0\xb0\xd1\x85 "
    "\xd0\xb3\xd0\xb0\xd0\xb7\xd0\xb0\\\"\"],\"sla_due\":\"2026-11-22T18:51:01Z\","
    "\"agency\":\"QazaqGaz Aimaq\",\"fingerprint\":\"9f86d081884c7d65\","
    "\"simhash\":\"fedcba9876543210\",\"incident\":\"inc-20261122-0007\","
    "\"dup_of\":\"telegram:-1001234567890:4700\"}}";

static const char triage_empty_json[] =
    ",\"triage\":{\"category\":null,\"urgency\":0,\"priority\":null,\"reasons\":[],"
    "\"sla_due\":null,\"agency\":null,\"fingerprint\":null,\"simhash\":\"0000000000000000\","
    "\"incident\":null,\"dup_of\":null}}";

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* The triage object comes last, every key present; a post not scored has none. */
static void test_triage_to_json(void **state)
{
    (void)state;
    struct km_post *p = full_post();
    set_triage(p);
    char *json = km_post_to_json(p);
    assert_true(ends_with(json, triage_json));
    assert_int_equal(strlen(json), strlen(full_json) - 1 + strlen(triage_json));
    assert_memory_equal(json, full_json, strlen(full_json) - 1);
    free(json);
    km_post_triage_clear(&p->triage);
    assert_false(p->triage.scored);
    json = km_post_to_json(p);
    assert_string_equal(json, full_json);
    free(json);
    p->triage.scored = true; /* scored, nothing known yet: nulls, not missing keys */
    p->triage.priority = 7;  /* out of band: null */
    json = km_post_to_json(p);
    assert_true(ends_with(json, triage_empty_json));
    free(json);
    km_post_free(p);
}

static void assert_triage_equal(const struct km_post_triage *a, const struct km_post_triage *b)
{
    assert_int_equal(a->scored, b->scored);
    assert_str_eq_null(a->category, b->category);
    assert_int_equal(a->urgency, b->urgency);
    assert_int_equal(a->priority, b->priority);
    assert_int_equal(a->n_reasons, b->n_reasons);
    for (size_t i = 0; i < a->n_reasons; i++) {
        assert_string_equal(a->reasons[i], b->reasons[i]);
    }
    assert_true(a->sla_due == b->sla_due);
    assert_str_eq_null(a->agency, b->agency);
    assert_str_eq_null(a->fingerprint, b->fingerprint);
    assert_true(a->simhash == b->simhash);
    assert_str_eq_null(a->incident, b->incident);
    assert_str_eq_null(a->dup_of, b->dup_of);
}

static void test_triage_round_trip(void **state)
{
    (void)state;
    for (int i = 0; i < 6; i++) {
        struct km_post *p = full_post();
        if (i > 0) {
            set_triage(p);
        }
        switch (i) {
        case 2: /* an original: no incident, no duplicate, no agency */
            km_post_set(&p->triage.incident, NULL);
            km_post_set(&p->triage.dup_of, NULL);
            km_post_set(&p->triage.agency, NULL);
            break;
        case 3: /* every bit of the simhash, P4, a deadline with milliseconds */
            p->triage.simhash = UINT64_MAX;
            p->triage.priority = 4;
            p->triage.urgency = 0;
            p->triage.sla_due = 1795373461123LL;
            break;
        case 4: /* no reasons, no deadline, simhash 0 */
            km_post_triage_clear(&p->triage);
            p->triage.scored = true;
            p->triage.priority = 2;
            break;
        case 5: /* a reason with invalid UTF-8 is repaired on the way */
            km_post_add_reason(p, "+5 night: \xff");
            break;
        }
        char *json = km_post_to_json(p);
        struct km_post *q = NULL;
        struct km_err err = {""};
        assert_int_equal(km_post_from_json(json, strlen(json), &q, &err), KM_OK);
        if (i == 5) {
            km_post_set(&p->triage.reasons[2], "+5 night: \xef\xbf\xbd");
        }
        assert_posts_equal(p, q);
        assert_triage_equal(&p->triage, &q->triage);
        char *again = km_post_to_json(q);
        assert_string_equal(json, again);
        free(again);
        free(json);
        km_post_free(q);
        km_post_free(p);
    }
}

/* Hand-written or foreign triage objects: wrong types and ranges are left unset. */
static void test_triage_from_json_tolerant(void **state)
{
    (void)state;
    static const struct {
        const char *triage; /* the value of "triage", or NULL for no key */
        bool scored;
        int urgency, priority;
        int64_t sla_due;
        uint64_t simhash;
        size_t n_reasons;
        const char *category;
    } cases[] = {
        {NULL, false, 0, 0, 0, 0, 0, NULL},
        {"null", false, 0, 0, 0, 0, 0, NULL},
        {"[1]", false, 0, 0, 0, 0, 0, NULL},
        {"{}", true, 0, 0, 0, 0, 0, NULL},
        {"{\"priority\":\"P5\",\"urgency\":150}", true, 100, 0, 0, 0, 0, NULL},
        {"{\"priority\":2,\"urgency\":-4}", true, 0, 2, 0, 0, 0, NULL},
        {"{\"priority\":\"p3\",\"urgency\":\"80\"}", true, 0, 3, 0, 0, 0, NULL},
        {"{\"priority\":\"P1x\",\"urgency\":55.5}", true, 0, 0, 0, 0, 0, NULL},
        {"{\"sla_due\":\"soon\",\"simhash\":\"xyz\"}", true, 0, 0, 0, 0, 0, NULL},
        {"{\"sla_due\":\"2026-11-22T23:51:01+05:00\",\"simhash\":\"00000000000000fF\"}", true, 0, 0,
         1795373461000LL, 255, 0, NULL},
        {"{\"simhash\":\"000000000000000ff\",\"sla_due\":17}", true, 0, 0, 0, 0, 0, NULL},
        {"{\"simhash\":12,\"reasons\":[\"a\",3,null,\"b\"],\"category\":7}", true, 0, 0, 0, 0, 2,
         "7"},
        {"{\"reasons\":\"a\",\"category\":{}}", true, 0, 0, 0, 0, 0, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *in = cases[i].triage != NULL
                       ? km_asprintf("{\"network\":\"rss\",\"id\":\"1\",\"text\":\"t\","
                                     "\"triage\":%s}",
                                     cases[i].triage)
                       : km_strdup("{\"network\":\"rss\",\"id\":\"1\",\"text\":\"t\"}");
        struct km_post *p = NULL;
        struct km_err err = {""};
        assert_int_equal(km_post_from_json(in, strlen(in), &p, &err), KM_OK);
        const struct km_post_triage *t = &p->triage;
        assert_int_equal(t->scored, cases[i].scored);
        assert_int_equal(t->urgency, cases[i].urgency);
        assert_int_equal(t->priority, cases[i].priority);
        assert_true(t->sla_due == cases[i].sla_due);
        assert_true(t->simhash == cases[i].simhash);
        assert_int_equal(t->n_reasons, cases[i].n_reasons);
        assert_str_eq_null(t->category, cases[i].category);
        assert_null(t->incident);
        km_post_free(p);
        free(in);
    }
}

/* ---- decoding edge cases (pinned from the yajl_tree reader, kept by the streaming one) -- */

/* Decodes in[0..len), failing the test on an error. */
static struct km_post *decode(const char *in, size_t len)
{
    struct km_post *p = NULL;
    struct km_err err = {""};
    if (km_post_from_json(in, len, &p, &err) != KM_OK) {
        fail_msg("%s: %s", in, err.msg);
    }
    return p;
}

/* Decodes in[0..len), which must fail with message want. */
static void decode_fails(const char *in, size_t len, const char *want)
{
    struct km_post *p = NULL;
    struct km_err err = {""};
    assert_int_equal(km_post_from_json(in, len, &p, &err), KM_EINPUT);
    assert_null(p);
    assert_string_equal(err.msg, want);
}

/* A repeated key: the first one counts, even when its value is null or of the wrong type
 * (yajl_tree_get() found the first member); a key cut short by "\u0000" is that key. */
static void test_from_json_duplicate_keys(void **state)
{
    (void)state;
    static const char in[] =
        "{\"network\":\"rss\",\"network\":\"vk\",\"id\":\"1\",\"text\":\"first\","
        "\"text\":\"second\",\"url\":null,\"url\":\"u\",\"author\":{\"name\":\"a\",\"name\":\"b\"},"
        "\"author\":{\"handle\":\"h\"},\"chat\":5,\"chat\":{\"id\":\"c\"},"
        "\"lang\\u0000x\":\"kk\",\"lang\":\"ru\",\"hashtags\":[\"one\"],\"hashtags\":[\"two\"],"
        "\"created_at\":\"2026-11-22T18:41:01Z\",\"created_at\":\"bad\","
        "\"engagement\":{\"likes\":1,\"likes\":2,\"views\":\"3\",\"views\":4},"
        "\"geo\":{\"lat\":1,\"lat\":2,\"lon\":3},\"edited\":false,\"edited\":true,"
        "\"triage\":{\"urgency\":10,\"urgency\":20,\"reasons\":[\"r1\"],\"reasons\":[\"r2\"]},"
        "\"triage\":{\"urgency\":30}}";
    struct km_post *p = decode(in, strlen(in));
    assert_string_equal(p->network, "rss");
    assert_string_equal(p->text, "first");
    assert_null(p->url);
    assert_string_equal(p->author.name, "a");
    assert_null(p->author.handle);
    assert_null(p->chat.id);
    assert_string_equal(p->lang, "kk");
    assert_int_equal(p->n_hashtags, 1);
    assert_string_equal(p->hashtags[0], "one");
    assert_true(p->created_at == 1795372861000LL);
    assert_true(p->engagement.likes == 1 && p->engagement.views == -1);
    assert_true(p->has_geo && p->lat == 1.0 && p->lon == 3.0);
    assert_false(p->edited);
    assert_int_equal(p->triage.urgency, 10);
    assert_int_equal(p->triage.n_reasons, 1);
    assert_string_equal(p->triage.reasons[0], "r1");
    km_post_free(p);

    static const char null_first[] = "{\"text\":null,\"text\":\"t\",\"network\":\"rss\",\"id\":1}";
    decode_fails(null_first, strlen(null_first), "post: missing or non-string \"text\"");
    static const char bad_first[] =
        "{\"network\":\"rss\",\"id\":1,\"text\":\"t\",\"collected_at\":1,"
        "\"collected_at\":\"2026-11-22T18:41:01Z\",\"created_at\":[],\"created_at\":null}";
    decode_fails(bad_first, strlen(bad_first), "post: \"created_at\" is not an RFC 3339 time");
}

/* Nesting: KM_JSON_MAX_DEPTH counts the post's own object, brackets in strings and comments
 * do not count, and too deep is refused wherever it is, even after a syntax error. Members
 * of unknown objects are not the post's, even with the post's names. */
static void test_from_json_depth(void **state)
{
    (void)state;
    static const char head[] = "{\"network\":\"rss\",\"id\":\"1\",\"text\":\"[{[{\",/*[[*/\"x\":";
    size_t hlen = strlen(head);
    for (size_t deep = KM_JSON_MAX_DEPTH - 1; deep <= 100000; deep += 100000 - KM_JSON_MAX_DEPTH) {
        for (size_t k = deep; k <= deep + 1; k++) {
            char *in = km_malloc(hlen + 2 * k + 2);
            memcpy(in, head, hlen);
            memset(in + hlen, '[', k);
            memset(in + hlen + k, ']', k);
            memcpy(in + hlen + 2 * k, "}", 2);
            if (k + 1 <= KM_JSON_MAX_DEPTH) {
                struct km_post *p = decode(in, strlen(in));
                assert_string_equal(p->text, "[{[{");
                km_post_free(p);
            } else {
                char want[64];
                snprintf(want, sizeof(want), "offset %zu: nesting deeper than %d",
                         hlen + KM_JSON_MAX_DEPTH - 1, KM_JSON_MAX_DEPTH);
                decode_fails(in, strlen(in), want);
            }
            free(in);
        }
    }
    char after[200] = "{\"network\":\"rss\"}}";
    size_t n = strlen(after);
    memset(after + n, '{', KM_JSON_MAX_DEPTH + 1);
    after[n + KM_JSON_MAX_DEPTH + 1] = '\0';
    char want[64];
    snprintf(want, sizeof(want), "offset %zu: nesting deeper than %d", n + KM_JSON_MAX_DEPTH,
             KM_JSON_MAX_DEPTH);
    decode_fails(after, strlen(after), want);

    static const char nested[] =
        "{\"network\":\"rss\",\"x\":{\"text\":\"no\",\"id\":[\"no\"],\"y\":{\"network\":\"no\"}},"
        "\"id\":\"1\",\"author\":{\"name\":{\"name\":\"no\"},\"id\":\"a\"},\"text\":\"yes\"}";
    struct km_post *p = decode(nested, strlen(nested));
    assert_string_equal(p->network, "rss");
    assert_string_equal(p->id, "1");
    assert_string_equal(p->text, "yes");
    assert_null(p->author.name);
    assert_string_equal(p->author.id, "a");
    km_post_free(p);
}

/* Invalid UTF-8 is repaired before parsing: each bad byte becomes U+FFFD wherever it is
 * (values, keys, hashtags), a raw NUL byte is dropped, and an error offset counts the
 * original bytes. */
static void test_from_json_utf8(void **state)
{
    (void)state;
    static const char in[] = "{\"network\":\"rss\",\"id\":\"1\",\"text\":\"a\xff"
                             "b\xc0\",\"hashtags\":[\"#B\xfe\",\"#\xd0\"],\"te\xffxt\":\"no\","
                             "\"la\0ng\":\"k\0k\",\"author\":{\"name\":\"\xe2\x82\"}}";
    struct km_post *p = decode(in, sizeof(in) - 1);
    assert_string_equal(p->text, "a\xef\xbf\xbd"
                                 "b\xef\xbf\xbd");
    assert_int_equal(p->n_hashtags, 2);
    assert_string_equal(p->hashtags[0], "b\xef\xbf\xbd");
    assert_string_equal(p->hashtags[1], "\xef\xbf\xbd");
    assert_string_equal(p->lang, "kk");
    assert_string_equal(p->author.name, "\xef\xbf\xbd\xef\xbf\xbd");
    km_post_free(p);

    static const char key[] = "{\"network\":\"rss\",\"id\":\"1\",\"te\xffxt\":\"t\"}";
    decode_fails(key, strlen(key), "post: missing or non-string \"text\"");
    static const char outside[] = "{\"network\":\"\xff\xff\",\"id\":\"1\",\xff\"text\":\"t\"}";
    decode_fails(outside, strlen(outside), "offset 25: lexical error: invalid char in json text.");
}

/* Escapes as yajl decodes them, made UTF-8: a lone low surrogate becomes U+FFFD, a high one
 * without a pair '?'; a pair is the character; "\u0000" ends the string. */
static void test_from_json_escapes(void **state)
{
    (void)state;
    static const char in[] =
        "{\"network\":\"\\u0072ss\",\"id\":\"1\\u00002\",\"text\":\"\\udc00x\\ud800y"
        "\\ud83d\\ude00\\u00e9\\/\\b\\f\\n\\r\\t\\\"\\\\\",\"hashtags\":[\"#\\uDFFF\","
        "\"#\\u0000\",\"#a\\u0000b\"],\"author\":{\"name\":\"\\udfff\\udfff\"},"
        "\"triage\":{\"priority\":\"P2\\u0000x\",\"simhash\":\"00000000000000ff\\u0000\"}}";
    struct km_post *p = decode(in, strlen(in));
    assert_string_equal(p->network, "rss");
    assert_string_equal(p->id, "1");
    assert_string_equal(p->text, "\xef\xbf\xbdx?y\xf0\x9f\x98\x80\xc3\xa9/\b\f\n\r\t\"\\");
    assert_int_equal(p->n_hashtags, 2);
    assert_string_equal(p->hashtags[0], "\xef\xbf\xbd");
    assert_string_equal(p->hashtags[1], "a");
    assert_string_equal(p->author.name, "\xef\xbf\xbd\xef\xbf\xbd");
    assert_int_equal(p->triage.priority, 2);
    assert_true(p->triage.simhash == 255);
    km_post_free(p);
}

/* Numbers: integers as yajl_tree read them (digits within +-LLONG_MAX, no fraction or
 * exponent), coordinates as strtod() reads them; ids keep the number as written. */
static void test_from_json_numbers(void **state)
{
    (void)state;
    static const char in[] =
        "{\"network\":\"rss\",\"id\":-1.5e-3,\"text\":\"t\",\"reply_to\":"
        "123456789012345678901234567890,"
        "\"engagement\":{\"likes\":9223372036854775807,\"reposts\":9223372036854775808,"
        "\"replies\":-0,\"views\":1e3},\"triage\":{\"urgency\":9223372036854775807,"
        "\"priority\":4.0}}";
    struct km_post *p = decode(in, strlen(in));
    assert_string_equal(p->id, "-1.5e-3");
    assert_string_equal(p->reply_to, "123456789012345678901234567890");
    assert_true(p->engagement.likes == INT64_MAX);
    assert_true(p->engagement.reposts == -1);
    assert_true(p->engagement.replies == 0);
    assert_true(p->engagement.views == -1);
    assert_int_equal(p->triage.urgency, 100);
    assert_int_equal(p->triage.priority, 0);
    km_post_free(p);

    static const struct {
        const char *engagement, *urgency;
        int64_t likes;
        int want_urgency;
    } cases[] = {
        {"{\"likes\":5.0}", "-9223372036854775807", -1, 0},
        {"{\"likes\":-1}", "-9223372036854775808", -1, 0},
        {"{\"likes\":92233720368547758070}", "99.9", -1, 0},
        {"{\"likes\":0}", "1e2", 0, 0},
        {"[{\"likes\":7}]", "100", -1, 100},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *json = km_asprintf("{\"network\":\"rss\",\"id\":\"1\",\"text\":\"t\","
                                 "\"engagement\":%s,\"triage\":{\"urgency\":%s}}",
                                 cases[i].engagement, cases[i].urgency);
        p = decode(json, strlen(json));
        assert_true(p->engagement.likes == cases[i].likes);
        assert_int_equal(p->triage.urgency, cases[i].want_urgency);
        km_post_free(p);
        free(json);
    }
}

/* geo{} is kept only with both coordinates numbers in range; otherwise has_geo is false. */
static void test_from_json_geo(void **state)
{
    (void)state;
    static const struct {
        const char *geo;
        bool has_geo;
        double lat, lon;
    } cases[] = {
        {"{\"lat\":90,\"lon\":180}", true, 90, 180},
        {"{\"lat\":-90,\"lon\":-180}", true, -90, -180},
        {"{\"lon\":71.4304,\"lat\":51.1282}", true, 51.1282, 71.4304},
        {"{\"lat\":-0,\"lon\":0.0}", true, 0, 0},
        {"{\"lat\":90.000001,\"lon\":0}", false, 0, 0},
        {"{\"lat\":0,\"lon\":180.5}", false, 0, 0},
        {"{\"lat\":1e400,\"lon\":0}", false, 0, 0},
        {"{\"lat\":1e-400,\"lon\":0}", false, 0, 0},
        {"{\"lat\":51,\"lon\":\"71\"}", false, 0, 0},
        {"{\"lat\":51}", false, 0, 0},
        {"[51,71]", false, 0, 0},
        {"{\"lat\":51,\"lon\":71,\"lat\":null}", true, 51, 71},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *json = km_asprintf("{\"network\":\"rss\",\"id\":\"1\",\"text\":\"t\",\"geo\":%s}",
                                 cases[i].geo);
        struct km_post *p = decode(json, strlen(json));
        assert_int_equal(p->has_geo, cases[i].has_geo);
        assert_true(p->lat == cases[i].lat && p->lon == cases[i].lon);
        km_post_free(p);
        free(json);
    }
}

/* Comments are accepted (yajl_tree_parse() allowed them); malformed JSON is reported with
 * its offset. */
static void test_from_json_syntax(void **state)
{
    (void)state;
    static const char comments[] =
        "/* head */{\"network\":\"rss\",// line\n\"id\":\"1\",\"text\":\"t\"/**/}// tail";
    struct km_post *p = decode(comments, strlen(comments));
    assert_string_equal(p->text, "t");
    km_post_free(p);
    static const struct {
        const char *in, *msg;
    } cases[] = {
        {"{\"network\":\"rss\",\"id\":\"1\",\"text\":\"t\"} x",
         "offset 38: parse error: trailing garbage"},
        {"{\"network\":\"rss\",\"id\":\"1\",\"text\":\"t\"}{}",
         "offset 37: parse error: trailing garbage"},
        {"{\"network\":\"rss\",\"id\":\"1\",\"text\":\"t\",}",
         "offset 37: parse error: invalid object key (must be a string)"},
        {"{\"network\":\"rss\",\"id\":01,\"text\":\"t\"}",
         "offset 22: parse error: after key and value, inside map, I expect ',' or '}'"},
        {"{\"network\":\"rss\",\"id\":\"1\",\"text\":\"a\x01\"}",
         "offset 34: lexical error: invalid character inside string."},
        {"{\"network\":\"rss\",\"id\":\"1\",\"text\":\"\\x\"}",
         "offset 34: lexical error: inside a string, '\\' occurs before a character which it "
         "may not."},
        {"  ", "offset 2: parse error: premature EOF"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        decode_fails(cases[i].in, strlen(cases[i].in), cases[i].msg);
    }
    static const char only_nul[] = "\0\0";
    decode_fails(only_nul, 2, "offset 0: parse error: premature EOF");
}

static void test_batch(void **state)
{
    (void)state;
    struct km_post_batch b;
    km_post_batch_init(&b);
    assert_int_equal(b.n, 0);
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 40; i++) {
            struct km_post *p = km_post_new();
            km_post_set(&p->text, "x");
            km_post_batch_add_take(&b, p);
        }
        b.retry_after_ms = 30000;
        b.skipped = 2;
        assert_int_equal(b.n, 40);
        assert_true(b.cap >= 40);
        assert_string_equal(b.posts[39]->text, "x");
        size_t cap = b.cap;
        km_post_batch_clear(&b);
        assert_int_equal(b.n, 0);
        assert_int_equal(b.cap, cap);
        assert_true(b.retry_after_ms == 0 && b.skipped == 0);
    }
    km_post_batch_add_take(&b, km_post_new());
    km_post_batch_free(&b);
    assert_null(b.posts);
    assert_int_equal(b.n, 0);
    km_post_batch_free(&b); /* twice is harmless */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_free),
        cmocka_unit_test(test_add_hashtag),
        cmocka_unit_test(test_add_hashtag_length),
        cmocka_unit_test(test_to_json_shape),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_to_json_repairs_utf8),
        cmocka_unit_test(test_to_json_time_range),
        cmocka_unit_test(test_from_json_errors),
        cmocka_unit_test(test_from_json_tolerant),
        cmocka_unit_test(test_triage_to_json),
        cmocka_unit_test(test_triage_round_trip),
        cmocka_unit_test(test_triage_from_json_tolerant),
        cmocka_unit_test(test_from_json_duplicate_keys),
        cmocka_unit_test(test_from_json_depth),
        cmocka_unit_test(test_from_json_utf8),
        cmocka_unit_test(test_from_json_escapes),
        cmocka_unit_test(test_from_json_numbers),
        cmocka_unit_test(test_from_json_geo),
        cmocka_unit_test(test_from_json_syntax),
        cmocka_unit_test(test_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
