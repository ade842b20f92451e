/* Unit tests for collectors/rss.c: config checks, conditional GET, and consume() on
 * recorded RSS 2.0 and Atom feeds, a 304 and broken payloads (no network). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collectors/collector.h"
#include "test/unit/collectors_test.h"

extern const struct km_collector km_collector_rss;
#define RSS (&km_collector_rss)

#define FEED_URL "https://astana.example.kz/news/rss"

static const char *const rss_kv[] = {"type", "rss", "url", FEED_URL, NULL};

static void test_keys(void **state)
{
    (void)state;
    assert_string_equal(RSS->name, "rss");
    assert_string_equal(RSS->keys[0].name, "url");
    assert_int_equal(RSS->keys[0].flags, KM_CONF_REQUIRED);
    assert_null(RSS->keys[1].name);
}

static void test_create_errors(void **state)
{
    (void)state;
    static const char *const urls[] = {"ftp://example.kz/feed", "example.kz/feed", NULL};
    for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
        const char *kv[] = {"type", "rss", urls[i] != NULL ? "url" : NULL, urls[i], NULL};
        struct ct_section s;
        ct_section_init(&s, RSS, kv);
        void *st = (void *)&s;
        struct km_err err = {{0}};
        assert_int_equal(RSS->create(&s.sec, &st, &err), KM_EINPUT);
        assert_null(st);
        const char *want = urls[i] != NULL ? "komek.conf:3: rss/city109: url must start"
                                           : "komek.conf:1: rss/city109: url must start";
        if (!ct_starts(err.msg, want)) {
            fail_msg("case %zu: '%s'", i, err.msg);
        }
    }
    RSS->destroy(NULL);
}

static void test_next_request(void **state)
{
    (void)state;
    static const struct {
        const char *cursor;
        const char *inm; /* expected If-None-Match line or NULL */
        const char *ims;
    } cases[] = {
        {NULL, NULL, NULL},
        {"\t", NULL, NULL},
        {"", NULL, NULL},
        {"W/\"5f3a-17c\"\tSun, 22 Nov 2026 18:45:00 GMT", "If-None-Match: W/\"5f3a-17c\"",
         "If-Modified-Since: Sun, 22 Nov 2026 18:45:00 GMT"},
        {"\"abc\"\t", "If-None-Match: \"abc\"", NULL},
        {"\"abc\"", "If-None-Match: \"abc\"", NULL},
        {"\tSun, 22 Nov 2026 18:45:00 GMT", NULL,
         "If-Modified-Since: Sun, 22 Nov 2026 18:45:00 GMT"},
        /* A damaged cursor cannot inject a header. */
        {"\"a\"\r\nX-Evil: 1\tnow", NULL, "If-Modified-Since: now"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        void *st = ct_create(RSS, rss_kv);
        struct km_request req = {0};
        assert_int_equal(RSS->next_request(st, cases[i].cursor, &req), KM_OK);
        assert_int_equal(req.method, KM_HTTP_GET);
        assert_string_equal(req.url, FEED_URL);
        assert_null(req.body);
        assert_true(ct_starts(req.headers[0], "Accept: application/rss+xml"));
        size_t n = 1;
        if (cases[i].inm != NULL) {
            assert_string_equal(req.headers[n++], cases[i].inm);
        }
        if (cases[i].ims != NULL) {
            assert_string_equal(req.headers[n++], cases[i].ims);
        }
        assert_int_equal(req.n_headers, n);
        km_request_clear(&req);
        RSS->destroy(st);
    }
}

struct rss_want {
    const char *id, *url, *author, *text;
    int64_t created_at;
    const char *tags[4];
};

static void rss_check_post(const struct km_post *p, const struct rss_want *w, const char *title)
{
    ct_assert_str(p->network, "rss");
    ct_assert_str(p->source, "city109");
    ct_assert_str(p->id, w->id);
    ct_assert_str(p->url, w->url);
    ct_assert_str(p->author.id, NULL);
    ct_assert_str(p->author.name, w->author);
    ct_assert_str(p->author.handle, NULL);
    ct_assert_str(p->chat.id, FEED_URL);
    ct_assert_str(p->chat.title, title);
    ct_assert_str(p->text, w->text);
    ct_assert_str(p->reply_to, NULL);
    assert_int_equal(p->created_at, w->created_at);
    assert_int_equal(p->collected_at, CT_NOW_MS);
    ct_assert_tags(p, w->tags);
    assert_int_equal(p->n_media, 0);
    assert_int_equal(p->engagement.likes, -1);
}

static const struct rss_want rss2_posts[] = {
    /* A guid that is no URL or URN is made unique by the feed URL. */
    {FEED_URL "#astana-news-48213",
     "https://astana.example.kz/news/2026/11/22/otklyuchenie-vody",
     "Пресс-служба акимата",
     "Отключение горячей воды на Кенесары\n\nВ связи с аварией на теплотрассе 22 ноября "
     "отключена горячая вода. Вопросы — по номеру 109. #Астана",
     1795372861000LL,
     {"жкх", "ikomek", "астана", NULL}},
    /* The description only repeats the title. */
    {"https://astana.example.kz/news/2026/11/22/remont-saryarka",
     "https://astana.example.kz/news/2026/11/22/remont-saryarka",
     NULL,
     "Ремонт дороги на Сарыарке завершён",
     1795348800000LL,
     {NULL}},
    /* No guid: the link is the id. */
    {"https://astana.example.kz/news/2026/11/21/sneg",
     "https://astana.example.kz/news/2026/11/21/sneg",
     NULL,
     "График вывоза снега #снег\n\nСнег вывозят по ночам & в выходные.",
     0,
     {"снег", NULL}},
};

static const struct rss_want atom_posts[] = {
    {"urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a",
     "https://qala.example.kz/2026/11/zhol",
     "Асель Нурланова",
     "Жол жөнделді\n\nСарыарка даңғылындағы жол жөнделді. #iKomek",
     1795372861000LL,
     {"астана", "жол", "ikomek", NULL}},
    {"tag:qala.example.kz,2026:note-7",
     "https://qala.example.kz/2026/11/note",
     NULL,
     "Short note\n\nPlain xhtml content.",
     1795255200000LL,
     {NULL}},
};

static void test_consume_feeds(void **state)
{
    (void)state;
    static const char *const validators[] = {"ETag", "W/\"5f3a-17c\"", "Last-Modified",
                                             "Sun, 22 Nov 2026 18:45:00 GMT", NULL};
    static const char *const etag_only[] = {"etag", "\"v2\"", NULL};
    static const char *const bad_etag[] = {"ETag", "\"a\tb\"", "Last-Modified",
                                           "Sun, 22 Nov 2026 18:45:00 GMT", NULL};
    static const struct {
        const char *path;
        const char *const *headers;
        const char *title;
        const struct rss_want *posts;
        size_t n;
        const char *cursor;
    } cases[] = {
        {"rss/feed_rss2.xml", validators, "Новости Астаны — 109", rss2_posts, 3,
         "W/\"5f3a-17c\"\tSun, 22 Nov 2026 18:45:00 GMT"},
        {"rss/feed_atom.xml", etag_only, "Qala Blog", atom_posts, 2, "\"v2\"\t"},
        {"rss/feed_atom.xml", NULL, "Qala Blog", atom_posts, 2, "\t"},
        {"rss/feed_atom.xml", bad_etag, "Qala Blog", atom_posts, 2,
         "\tSun, 22 Nov 2026 18:45:00 GMT"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        void *st = ct_create(RSS, rss_kv);
        struct km_post_batch out;
        km_post_batch_init(&out);
        char *cursor = NULL;
        struct km_err err;
        assert_int_equal(
            ct_consume(RSS, st, 200, cases[i].path, cases[i].headers, &out, &cursor, &err), KM_OK);
        assert_int_equal(out.n, cases[i].n);
        for (size_t j = 0; j < out.n; j++) {
            rss_check_post(out.posts[j], &cases[i].posts[j], cases[i].title);
        }
        assert_int_equal(out.skipped, 0);
        assert_string_equal(err.msg, "");
        ct_assert_str(cursor, cases[i].cursor);
        free(cursor);
        km_post_batch_free(&out);
        RSS->destroy(st);
    }
}

/* An item with neither guid nor link has no identity: skipped and named, others kept. */
static void test_item_without_id(void **state)
{
    (void)state;
    void *st = ct_create(RSS, rss_kv);
    struct km_post_batch out;
    km_post_batch_init(&out);
    char *cursor = NULL;
    struct km_err err;
    assert_int_equal(ct_consume(RSS, st, 200,
                                "=<rss version=\"2.0\"><channel><title>T</title>"
                                "<item><title>a</title><guid>g1</guid></item>"
                                "<item><title>no identity #109</title></item>"
                                "</channel></rss>",
                                NULL, &out, &cursor, &err),
                     KM_OK);
    assert_int_equal(out.n, 1);
    assert_string_equal(out.posts[0]->id, FEED_URL "#g1");
    assert_string_equal(out.posts[0]->text, "a");
    assert_int_equal(out.skipped, 1);
    assert_string_equal(err.msg, "rss/city109: item 2: no guid, id or link");
    assert_string_equal(cursor, "\t");
    free(cursor);
    km_post_batch_free(&out);
    RSS->destroy(st);
}

/* Consumes a one-item feed whose guid is guid; returns the post id (caller frees). */
static char *rss_id_of(const char *const *kv, const char *guid)
{
    void *st = ct_create(RSS, kv);
    struct km_post_batch out;
    km_post_batch_init(&out);
    char *cursor = NULL;
    struct km_err err;
    char *body = km_asprintf("=<rss version=\"2.0\"><channel><title>T</title><item>"
                             "<title>t</title><guid>%s</guid></item></channel></rss>",
                             guid);
    assert_int_equal(ct_consume(RSS, st, 200, body, NULL, &out, &cursor, &err), KM_OK);
    assert_int_equal(out.n, 1);
    char *id = km_strdup(out.posts[0]->id);
    free(body);
    free(cursor);
    km_post_batch_free(&out);
    RSS->destroy(st);
    return id;
}

/* Ids are unique across feeds: local guids get the feed URL in front, global-looking ones
 * (URL, urn:, tag:) are kept, and ids over 1024 bytes become a hash of the guid. */
static void test_post_ids(void **state)
{
    (void)state;
    enum { KEEP, LOCAL, SHA };
    static const struct {
        const char *prefix;
        size_t fill_n; /* then this many 'x' */
        int want;
        const char *sha; /* XXH64 of the guid, for SHA */
    } cases[] = {
        {"123", 0, LOCAL, NULL},
        {"https://other.example.kz/p/1", 0, KEEP, NULL},
        {"http://other.example.kz/p/1", 0, KEEP, NULL},
        {"urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a", 0, KEEP, NULL},
        {"URN:ISBN:9965-00-000-0", 0, KEEP, NULL},
        {"tag:qala.example.kz,2026:note-7", 0, KEEP, NULL},
        {"mailto:news@example.kz", 0, LOCAL, NULL},
        {"/news/1", 0, LOCAL, NULL},
        {"tagged-1", 0, LOCAL, NULL},
        /* FEED_URL is 34 bytes: "<url>#" + 989 bytes is exactly 1024. */
        {"", 989, LOCAL, NULL},
        {"", 990, SHA, "0dae49b4a7bfe20a"},
        {"https://", 1016, KEEP, NULL},
        {"https://", 1017, SHA, "05aaded10b2f1fb4"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t plen = strlen(cases[i].prefix);
        char *guid = km_malloc(plen + cases[i].fill_n + 1);
        memcpy(guid, cases[i].prefix, plen);
        memset(guid + plen, 'x', cases[i].fill_n);
        guid[plen + cases[i].fill_n] = '\0';
        char *want = cases[i].want == KEEP    ? km_strdup(guid)
                     : cases[i].want == LOCAL ? km_asprintf("%s#%s", FEED_URL, guid)
                                              : km_asprintf("%s#sha:%s", FEED_URL, cases[i].sha);
        char *id = rss_id_of(rss_kv, guid);
        if (strcmp(id, want) != 0) {
            fail_msg("case %zu: id '%.80s...' (%zu bytes)", i, id, strlen(id));
        }
        assert_true(strlen(id) <= 1024);
        free(id);
        free(want);
        free(guid);
    }
    /* The same guid in two feeds names two posts. */
    static const char *const other_kv[] = {"type", "rss", "url", "http://qala.example.kz/feed",
                                           NULL};
    char *a = rss_id_of(rss_kv, "123");
    char *b = rss_id_of(other_kv, "123");
    assert_string_equal(a, FEED_URL "#123");
    assert_string_equal(b, "http://qala.example.kz/feed#123");
    free(a);
    free(b);
}

static void test_consume_status(void **state)
{
    (void)state;
    static const char *const retry_120[] = {"Retry-After", "120", NULL};
    static const char *const retry_date[] = {"Retry-After", "Sun, 22 Nov 2026 18:42:01 GMT", "Date",
                                             "Sun, 22 Nov 2026 18:41:01 GMT", NULL};
    static const struct {
        long status;
        const char *body;
        const char *const *headers;
        int rc;
        const char *err;
        int64_t retry_after_ms;
    } cases[] = {
        {304, NULL, retry_120, KM_OK, "", 0},
        {429, NULL, retry_120, KM_RETRY, "rss/city109: HTTP 429", 120000},
        {503, "rss/malformed.xml", retry_date, KM_RETRY, "rss/city109: HTTP 503", 60000},
        {500, NULL, retry_120, KM_RETRY, "rss/city109: HTTP 500", 0},
        {502, NULL, NULL, KM_RETRY, "rss/city109: HTTP 502", 0},
        {400, NULL, NULL, KM_RETRY, "rss/city109: HTTP 400", 0},
        {408, NULL, NULL, KM_RETRY, "rss/city109: HTTP 408", 0},
        {204, NULL, NULL, KM_RETRY, "rss/city109: HTTP 204", 0},
        /* A feed that is missing or locked is asked again, rarely. */
        {401, NULL, NULL, KM_RETRY, "rss/city109: HTTP 401 Unauthorized; retrying in 10 min",
         600000},
        {403, NULL, NULL, KM_RETRY, "rss/city109: HTTP 403 Forbidden; retrying in 10 min", 600000},
        {404, NULL, NULL, KM_RETRY, "rss/city109: HTTP 404 Not Found; retrying in 10 min", 600000},
        {410, NULL, retry_120, KM_RETRY, "rss/city109: HTTP 410 Gone; retrying in 10 min", 600000},
        {200, "rss/malformed.xml", NULL, KM_EINPUT, "rss/city109: line ", 0},
        {200, "mastodon/garbage.html", NULL, KM_EINPUT, "rss/city109: ", 0},
        {200, "=<html><body>moved</body></html>", NULL, KM_EINPUT,
         "rss/city109: not an RSS or Atom feed", 0},
        {200, NULL, NULL, KM_EINPUT, "rss/city109: empty body", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        void *st = ct_create(RSS, rss_kv);
        struct km_post_batch out;
        km_post_batch_init(&out);
        char *cursor = NULL;
        struct km_err err;
        int rc = ct_consume(RSS, st, cases[i].status, cases[i].body, cases[i].headers, &out,
                            &cursor, &err);
        if (rc != cases[i].rc || !ct_starts(err.msg, cases[i].err)) {
            fail_msg("case %zu: rc %d, err '%s'", i, rc, err.msg);
        }
        assert_int_equal(out.retry_after_ms, cases[i].retry_after_ms);
        assert_int_equal(out.n, 0);
        assert_null(cursor); /* keep the validators of the last good response */
        km_post_batch_free(&out);
        RSS->destroy(st);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_create_errors),
        cmocka_unit_test(test_next_request),
        cmocka_unit_test(test_consume_feeds),
        cmocka_unit_test(test_item_without_id),
        cmocka_unit_test(test_post_ids),
        cmocka_unit_test(test_consume_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
