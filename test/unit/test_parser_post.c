/* Unit tests for parser/post: hashtag folding, JSON encoding (exact shape), decoding,
 * round trips with Cyrillic, Kazakh and emoji text, and batches. */
#include "common/err.h"
#include "common/utf8.h"
#include "parser/post.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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
        cmocka_unit_test(test_from_json_errors),
        cmocka_unit_test(test_from_json_tolerant),
        cmocka_unit_test(test_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
