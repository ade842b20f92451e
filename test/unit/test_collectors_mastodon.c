/* Unit tests for collectors/mastodon.c: config checks, the tag-timeline request, and
 * consume() on recorded API responses (no network). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collectors/collector.h"
#include "test/unit/collectors_test.h"

extern const struct km_collector km_collector_mastodon;
#define MST (&km_collector_mastodon)

static const char *const mst_kv[] = {"type", "mastodon", "url", "https://mastodon.social",
                                     "tags", "Астана",   NULL};

static void test_keys(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *def;
        unsigned flags;
        long long min, max;
    } want[] = {
        {"url", NULL, KM_CONF_REQUIRED, 0, 0},
        {"tags", NULL, KM_CONF_REQUIRED, 0, 0},
        {"token", NULL, KM_CONF_SECRET, 0, 0},
        {"limit", "40", 0, 1, 40},
        {"local", "no", 0, 0, 0},
    };
    size_t n = 0;
    for (const struct km_conf_key *k = MST->keys; k->name != NULL; k++, n++) {
        assert_true(n < sizeof(want) / sizeof(want[0]));
        assert_string_equal(k->name, want[n].name);
        ct_assert_str(k->def, want[n].def);
        assert_int_equal(k->flags, want[n].flags);
        assert_int_equal(k->min, want[n].min);
        assert_int_equal(k->max, want[n].max);
    }
    assert_int_equal(n, sizeof(want) / sizeof(want[0]));
    assert_string_equal(MST->name, "mastodon");
}

static void test_create_errors(void **state)
{
    (void)state;
    static const struct {
        const char *url;
        const char *tags;
        const char *msg;
    } cases[] = {
        {"https://mastodon.social", "a,b,c,d,e",
         "komek.conf:4: mastodon/city109: tags: at most 4 tags per source"},
        {"https://mastodon.social", "a, ,b", "komek.conf:4: mastodon/city109: tags: empty tag"},
        {"https://mastodon.social", "a,", "komek.conf:4: mastodon/city109: tags: empty tag"},
        {"https://mastodon.social", "#", "komek.conf:4: mastodon/city109: tags: empty tag"},
        {"mastodon.social", "a", "komek.conf:3: mastodon/city109: url must be the instance root"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *kv[] = {"type", "mastodon", "url", cases[i].url, "tags", cases[i].tags, NULL};
        struct ct_section s;
        ct_section_init(&s, MST, kv);
        void *st = (void *)&s;
        struct km_err err = {{0}};
        assert_int_equal(MST->create(&s.sec, &st, &err), KM_EINPUT);
        assert_null(st);
        if (!ct_starts(err.msg, cases[i].msg)) {
            fail_msg("case %zu: '%s'", i, err.msg);
        }
    }
    MST->destroy(NULL);
}

static void test_next_request(void **state)
{
    (void)state;
    static const struct {
        const char *tags, *token, *limit, *local, *cursor;
        const char *url;
        const char *auth;
    } cases[] = {
        {"Астана", NULL, NULL, NULL, NULL,
         "https://mastodon.social/api/v1/timelines/tag/%D0%90%D1%81%D1%82%D0%B0%D0%BD%D0%B0"
         "?limit=40",
         NULL},
        {" #109 , iKomek,#акиматАстаны, қала ", "s3cr3t", "20", "yes", "113501234567890123",
         "https://mastodon.social/api/v1/timelines/tag/109?limit=20&local=true&any[]=iKomek"
         "&any[]=%D0%B0%D0%BA%D0%B8%D0%BC%D0%B0%D1%82%D0%90%D1%81%D1%82%D0%B0%D0%BD%D1%8B"
         "&any[]=%D2%9B%D0%B0%D0%BB%D0%B0&min_id=113501234567890123",
         "Authorization: Bearer s3cr3t"},
        {"a&b=c/d", "", NULL, "no", "12&x=1",
         "https://mastodon.social/api/v1/timelines/tag/a%26b%3Dc%2Fd?limit=40&min_id=12%26x%3D1",
         NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *kv[16] = {"type", "mastodon",   "url", "https://mastodon.social/",
                              "tags", cases[i].tags};
        size_t n = 6;
        const char *opt[][2] = {
            {"token", cases[i].token}, {"limit", cases[i].limit}, {"local", cases[i].local}};
        for (size_t j = 0; j < 3; j++) {
            if (opt[j][1] != NULL) {
                kv[n++] = opt[j][0];
                kv[n++] = opt[j][1];
            }
        }
        void *st = ct_create(MST, kv);
        struct km_request req = {0};
        assert_int_equal(MST->next_request(st, cases[i].cursor, &req), KM_OK);
        assert_int_equal(req.method, KM_HTTP_GET);
        assert_string_equal(req.url, cases[i].url);
        assert_null(req.body);
        assert_int_equal(req.n_headers, cases[i].auth != NULL ? 2 : 1);
        assert_string_equal(req.headers[0], "Accept: application/json");
        if (cases[i].auth != NULL) {
            assert_string_equal(req.headers[1], cases[i].auth);
        }
        km_request_clear(&req);
        MST->destroy(st);
    }
}

struct mst_want {
    const char *id, *url, *author_id, *author_name, *author_handle, *text, *lang, *reply_to;
    int64_t created_at;
    int64_t likes, reposts, replies;
    const char *tags[4];
    const char *media[2];
};

static const struct mst_want mst_posts[] = {
    /* A reblog: its own id, booster and time; the original's content, tags, counts, media
     * and link; reply_to points at the original. Ids are status URIs, not local ids. */
    {"https://qazaq.social/users/astana_news/statuses/113501234567890123/activity",
     "https://mastodon.kz/@aigul/113500000000000001",
     "111222333444555666",
     "Astana News",
     "astana_news@qazaq.social",
     "Третий день нет горячей воды, ул. Кенесары 40 #Астана #ЖКХ\nЗвонили в 109 — обещают "
     "\"завтра\" & молчат\n\n#iKomek",
     "ru",
     "https://mastodon.kz/users/aigul/statuses/113500000000000001",
     1795372800000LL,
     12,
     5,
     3,
     {"астана", "жкх", "ikomek", NULL},
     {"https://files.mastodon.social/cache/media_attachments/files/113/499/999/999/999/990/"
      "original/8a1b2c3d4e5f6a7b.jpg",
      NULL}},
    /* A reply with a content warning; empty display_name falls back to username. */
    /* in_reply_to_id is local to the instance polled. */
    {"https://mastodon.social/users/marat/statuses/113501234567890100",
     "https://mastodon.social/@marat/113501234567890100",
     "110000000000000001",
     "marat",
     "marat",
     "Отключение воды\n\n@aigul у нас на Сарыарке тоже #Астана",
     "ru",
     "mastodon.social/113500000000000001",
     1795372770123LL,
     1,
     0,
     0,
     {"астана", NULL},
     {NULL}},
    {"https://mastodon.kz/users/aigul/statuses/9876543210987654",
     "https://mastodon.kz/@aigul/9876543210987654",
     "109876543210987654",
     "Айгуль 🌷",
     "aigul@mastodon.kz",
     "Әкімдік жолды жөндеді #Астана\n#жол",
     "kk",
     NULL,
     1795372682500LL,
     0,
     0,
     0,
     {"астана", "жол", NULL},
     {NULL}},
};

static void mst_check_post(const struct km_post *p, const struct mst_want *w)
{
    ct_assert_str(p->network, "mastodon");
    ct_assert_str(p->source, "city109");
    ct_assert_str(p->id, w->id);
    ct_assert_str(p->url, w->url);
    ct_assert_str(p->author.id, w->author_id);
    ct_assert_str(p->author.name, w->author_name);
    ct_assert_str(p->author.handle, w->author_handle);
    ct_assert_str(p->chat.id, NULL);
    ct_assert_str(p->text, w->text);
    ct_assert_str(p->lang, w->lang);
    ct_assert_str(p->reply_to, w->reply_to);
    assert_int_equal(p->created_at, w->created_at);
    assert_int_equal(p->collected_at, CT_NOW_MS);
    assert_int_equal(p->engagement.likes, w->likes);
    assert_int_equal(p->engagement.reposts, w->reposts);
    assert_int_equal(p->engagement.replies, w->replies);
    assert_int_equal(p->engagement.views, -1);
    ct_assert_tags(p, w->tags);
    ct_assert_media(p, w->media);
    assert_false(p->has_geo);
    assert_false(p->edited);
}

static void test_consume_page(void **state)
{
    (void)state;
    void *st = ct_create(MST, mst_kv);
    struct km_post_batch out;
    km_post_batch_init(&out);
    char *cursor = NULL;
    struct km_err err;
    static const char *const headers[] = {
        "X-RateLimit-Limit",           "300", "X-RateLimit-Remaining", "299", "X-RateLimit-Reset",
        "2026-11-22T18:45:00.000000Z", NULL};
    assert_int_equal(
        ct_consume(MST, st, 200, "mastodon/tag_page.json", headers, &out, &cursor, &err), KM_OK);
    assert_int_equal(out.n, sizeof(mst_posts) / sizeof(mst_posts[0]));
    for (size_t i = 0; i < out.n; i++) {
        mst_check_post(out.posts[i], &mst_posts[i]);
    }
    /* The longest id is the newest, although "9876..." sorts higher as text. */
    assert_string_equal(cursor, "113501234567890123");
    assert_int_equal(out.skipped, 0);
    assert_int_equal(out.retry_after_ms, 0);
    assert_false(out.more); /* 3 of 40: nothing more waiting */
    free(cursor);
    km_post_batch_free(&out);
    MST->destroy(st);

    /* A full page (limit = 3): more statuses may follow, ask for the next page at once. */
    static const char *const kv3[] = {
        "type", "mastodon", "url", "https://mastodon.social", "tags", "Астана", "limit", "3", NULL};
    st = ct_create(MST, kv3);
    km_post_batch_init(&out);
    cursor = NULL;
    assert_int_equal(
        ct_consume(MST, st, 200, "mastodon/tag_page.json", headers, &out, &cursor, &err), KM_OK);
    assert_int_equal(out.n, 3);
    assert_true(out.more);
    free(cursor);
    km_post_batch_free(&out);
    MST->destroy(st);
}

static void test_consume_cases(void **state)
{
    (void)state;
    static const char *const last_call[] = {"X-RateLimit-Remaining", "0", "X-RateLimit-Reset",
                                            "2026-11-22T18:45:00.000000Z", NULL};
    static const struct {
        const char *body;
        const char *const *headers;
        size_t n_posts;
        unsigned skipped;
        const char *err;
        const char *cursor;
        int64_t retry_after_ms;
    } cases[] = {
        {"mastodon/empty.json", NULL, 0, 0, "", NULL, 0},
        {"mastodon/malformed_statuses.json", NULL, 1, 2, "mastodon/city109: status #1: no id",
         "113501234567890300", 0},
        /* The last request of the window: posts delivered, the runtime waits for the reset. */
        {"mastodon/tag_page.json", last_call, 3, 0, "", "113501234567890123", 239000},
        {"=[{\"id\":\"5\",\"account\":{\"id\":\"1\"}},{\"id\":\"40\",\"account\":{}}]", NULL, 2, 0,
         "", "40", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        void *st = ct_create(MST, mst_kv);
        struct km_post_batch out;
        km_post_batch_init(&out);
        char *cursor = NULL;
        struct km_err err;
        assert_int_equal(
            ct_consume(MST, st, 200, cases[i].body, cases[i].headers, &out, &cursor, &err), KM_OK);
        assert_int_equal(out.n, cases[i].n_posts);
        assert_int_equal(out.skipped, cases[i].skipped);
        assert_string_equal(err.msg, cases[i].err);
        ct_assert_str(cursor, cases[i].cursor);
        assert_int_equal(out.retry_after_ms, cases[i].retry_after_ms);
        free(cursor);
        km_post_batch_free(&out);
        MST->destroy(st);
    }
}

/* Without a uri, ids and reply_to are "<instance host>/<local id>"; the cursor stays the
 * local id. */
static void test_ids_without_uri(void **state)
{
    (void)state;
    static const struct {
        const char *url;
        const char *body;
        const char *id, *reply_to, *cursor;
    } cases[] = {
        {"https://mastodon.social",
         "=[{\"id\":\"7\",\"account\":{\"id\":\"1\"},\"in_reply_to_id\":\"5\"}]",
         "mastodon.social/7", "mastodon.social/5", "7"},
        {"http://127.0.0.1:8443/",
         "=[{\"id\":\"8\",\"uri\":\"\",\"account\":{\"id\":\"1\"},\"in_reply_to_id\":6}]",
         "127.0.0.1:8443/8", "127.0.0.1:8443/6", "8"},
        /* A reblog: reply_to is the original's uri, else its id on this instance. */
        {"https://qazaq.social",
         "=[{\"id\":\"9\",\"uri\":\"https://qazaq.social/users/a/statuses/9/activity\","
         "\"account\":{\"id\":\"1\"},\"reblog\":{\"id\":\"4\",\"account\":{}}}]",
         "https://qazaq.social/users/a/statuses/9/activity", "qazaq.social/4", "9"},
        {"https://qazaq.social",
         "=[{\"id\":\"10\",\"account\":{\"id\":\"1\"},\"reblog\":{\"id\":\"4\","
         "\"uri\":\"https://mastodon.kz/users/b/statuses/4\"}}]",
         "qazaq.social/10", "https://mastodon.kz/users/b/statuses/4", "10"},
        {"https://qazaq.social",
         "=[{\"id\":\"11\",\"account\":{\"id\":\"1\"},\"in_reply_to_id\":null,"
         "\"reblog\":null}]",
         "qazaq.social/11", NULL, "11"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *kv[] = {"type", "mastodon", "url", cases[i].url, "tags", "109", NULL};
        void *st = ct_create(MST, kv);
        struct km_post_batch out;
        km_post_batch_init(&out);
        char *cursor = NULL;
        struct km_err err;
        assert_int_equal(ct_consume(MST, st, 200, cases[i].body, NULL, &out, &cursor, &err), KM_OK);
        assert_int_equal(out.n, 1);
        ct_assert_str(out.posts[0]->id, cases[i].id);
        ct_assert_str(out.posts[0]->reply_to, cases[i].reply_to);
        ct_assert_str(cursor, cases[i].cursor);
        free(cursor);
        km_post_batch_free(&out);
        MST->destroy(st);
    }
}

static void test_consume_errors(void **state)
{
    (void)state;
    static const char *const reset[] = {"X-RateLimit-Remaining", "0", "X-RateLimit-Reset",
                                        "2026-11-22T18:45:00.000000Z", NULL};
    static const char *const reset_past[] = {"X-RateLimit-Reset", "2026-11-22T18:40:00.000Z", NULL};
    static const char *const retry_after[] = {"Retry-After", "120", NULL};
    static const char *const reset_far[] = {"X-RateLimit-Reset", "2126-11-22T18:40:00.000Z", NULL};
    static const char *const bad_reset[] = {"X-RateLimit-Reset", "soon", "Retry-After", "3", NULL};
    static const struct {
        const char *token;
        long status;
        const char *body;
        const char *const *headers;
        int rc;
        const char *err;
        int64_t retry_after_ms;
    } cases[] = {
        {NULL, 429, "mastodon/error_429.json", reset, KM_RETRY,
         "mastodon/city109: HTTP 429: rate limited (Too many requests)", 239000},
        {NULL, 429, "mastodon/error_429.json", reset_past, KM_RETRY,
         "mastodon/city109: HTTP 429: rate limited", 0},
        {NULL, 429, "mastodon/error_429.json", reset_far, KM_RETRY, "mastodon/city109: HTTP 429",
         86400000},
        {NULL, 429, "mastodon/error_429.json", retry_after, KM_RETRY, "mastodon/city109: HTTP 429",
         120000},
        {NULL, 429, "mastodon/garbage.html", bad_reset, KM_RETRY,
         "mastodon/city109: HTTP 429: rate limited", 3000},
        {NULL, 401, "mastodon/error_401.json", NULL, KM_ERR,
         "mastodon/city109: HTTP 401: instance requires a token: set token = (The access token "
         "is invalid)",
         0},
        {"s3cr3t", 401, "mastodon/error_401.json", NULL, KM_ERR,
         "mastodon/city109: HTTP 401: token rejected by the instance (The access token is "
         "invalid)",
         0},
        {NULL, 403, "mastodon/error_403.json", NULL, KM_ERR,
         "mastodon/city109: HTTP 403: instance requires a token", 0},
        /* A tag or timeline that is missing today is asked again, rarely. */
        {NULL, 404, "mastodon/error_404.json", NULL, KM_RETRY,
         "mastodon/city109: HTTP 404: tag not found / timeline disabled (Record not found); "
         "retrying in 10 min",
         600000},
        {NULL, 410, NULL, retry_after, KM_RETRY,
         "mastodon/city109: HTTP 410: gone; retrying in 10 min", 600000},
        {NULL, 503, "mastodon/garbage.html", retry_after, KM_RETRY, "mastodon/city109: HTTP 503",
         120000},
        {NULL, 500, "mastodon/garbage.html", NULL, KM_RETRY, "mastodon/city109: HTTP 500", 0},
        {NULL, 200, "mastodon/garbage.html", NULL, KM_EINPUT, "mastodon/city109: offset 0", 0},
        {NULL, 200, NULL, NULL, KM_EINPUT, "mastodon/city109: empty body", 0},
        {NULL, 200, "=[[[", NULL, KM_EINPUT, "mastodon/city109: offset ", 0},
        {NULL, 200, "mastodon/error_404.json", NULL, KM_EINPUT,
         "mastodon/city109: response is not an array of statuses", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *kv[] = {"type",
                            "mastodon",
                            "url",
                            "https://mastodon.social",
                            "tags",
                            "109",
                            cases[i].token != NULL ? "token" : NULL,
                            cases[i].token,
                            NULL};
        void *st = ct_create(MST, kv);
        struct km_post_batch out;
        km_post_batch_init(&out);
        char *cursor = NULL;
        struct km_err err;
        int rc = ct_consume(MST, st, cases[i].status, cases[i].body, cases[i].headers, &out,
                            &cursor, &err);
        if (rc != cases[i].rc || !ct_starts(err.msg, cases[i].err)) {
            fail_msg("case %zu: rc %d, err '%s'", i, rc, err.msg);
        }
        assert_int_equal(out.retry_after_ms, cases[i].retry_after_ms);
        assert_int_equal(out.n, 0);
        assert_null(cursor);
        km_post_batch_free(&out);
        MST->destroy(st);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),           cmocka_unit_test(test_create_errors),
        cmocka_unit_test(test_next_request),   cmocka_unit_test(test_consume_page),
        cmocka_unit_test(test_consume_cases),  cmocka_unit_test(test_ids_without_uri),
        cmocka_unit_test(test_consume_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
