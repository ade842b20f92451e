/* Unit tests for collectors/telegram.c and collectors/registry.c: config checks, the
 * getUpdates request, and consume() on recorded Bot API responses (no network). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collectors/collector.h"
#include "test/unit/collectors_test.h"

extern const struct km_collector km_collector_telegram;
#define TG (&km_collector_telegram)

static const char *const tg_kv[] = {"type", "telegram", "token", "123456789:AAE-test_Token", NULL};

static void test_registry(void **state)
{
    (void)state;
    assert_ptr_equal(km_collector_find("telegram"), TG);
    assert_non_null(km_collector_find("mastodon"));
    assert_non_null(km_collector_find("rss"));
    assert_null(km_collector_find("myspace"));
    assert_null(km_collector_find(NULL));
    assert_ptr_equal(km_collector_keys("telegram"), TG->keys);
    assert_null(km_collector_keys("myspace"));
    const struct km_collector *const *all = km_collector_all();
    size_t n = 0;
    for (; all[n] != NULL; n++) {
        assert_ptr_equal(km_collector_find(all[n]->name), all[n]);
        assert_non_null(all[n]->keys);
        for (const struct km_conf_key *k = all[n]->keys; k->name != NULL; k++) {
            assert_non_null(k->help);
        }
    }
    /* Every type the README documents, each once. */
    static const char *const types[] = {"telegram", "mastodon", "rss", "vk", "bluesky", "x",
                                        "instagram", "json", "telegram_webhook", "webhook"};
    assert_int_equal(n, sizeof(types) / sizeof(types[0]));
    for (size_t i = 0; i < n; i++) {
        assert_non_null(km_collector_find(types[i]));
    }
}

static void test_keys(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *def;
        unsigned flags;
    } want[] = {
        {"url", "https://api.telegram.org", 0},
        {"token", NULL, KM_CONF_REQUIRED | KM_CONF_SECRET},
        {"poll_timeout", "25s", 0},
        {"limit", "100", 0},
    };
    size_t n = 0;
    for (const struct km_conf_key *k = TG->keys; k->name != NULL; k++, n++) {
        assert_true(n < sizeof(want) / sizeof(want[0]));
        assert_string_equal(k->name, want[n].name);
        ct_assert_str(k->def, want[n].def);
        assert_int_equal(k->flags, want[n].flags);
    }
    assert_int_equal(n, sizeof(want) / sizeof(want[0]));
}

static void test_create_errors(void **state)
{
    (void)state;
    static const struct {
        const char *token;
        const char *url;
        const char *msg;
    } cases[] = {
        {"nonsense", NULL, "komek.conf:3: telegram/city109: token must look like"},
        {"123:", NULL, "komek.conf:3: telegram/city109: token must look like"},
        {":abc", NULL, "komek.conf:3: telegram/city109: token must look like"},
        {"123:abc/../getMe?", NULL, "komek.conf:3: telegram/city109: token must look like"},
        {"123:abc", "ftp://api.telegram.org", "komek.conf:4: telegram/city109: telegram url must"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *kv[] = {
            "type",       "telegram", "token", cases[i].token, cases[i].url != NULL ? "url" : NULL,
            cases[i].url, NULL};
        struct ct_section s;
        ct_section_init(&s, TG, kv);
        void *st = (void *)&s;
        struct km_err err = {{0}};
        assert_int_equal(TG->create(&s.sec, &st, &err), KM_EINPUT);
        assert_null(st);
        if (!ct_starts(err.msg, cases[i].msg)) {
            fail_msg("case %zu: '%s'", i, err.msg);
        }
        if (strlen(cases[i].token) > 6) {
            assert_null(strstr(err.msg, cases[i].token + 4)); /* the secret is not echoed */
        }
    }
    TG->destroy(NULL);
}

/* The token is part of the URL: http:// (clear text) only to a loopback host. */
static void test_create_url(void **state)
{
    (void)state;
    static const struct {
        const char *url;
        bool ok;
    } cases[] = {
        {"https://api.telegram.org", true},
        {"https://tg.example.kz:8443/", true},
        {"http://127.0.0.1:8081/", true},
        {"http://127.0.0.1", true},
        {"http://127.255.3.4:80", true},
        {"http://localhost:8081", true},
        {"http://LocalHost/", true},
        {"http://[::1]:8081/", true},
        {"http://[::1]", true},
        {"http://user@127.0.0.1:8081/", true},
        {"http://api.telegram.org", false},
        {"http://10.0.0.1:8081/", false},
        {"http://128.0.0.1/", false},
        {"http://127.0.0.1.evil.example/", false},
        {"http://127.evil.example/", false},
        {"http://127.0.0/", false},
        {"http://127.0.0.256/", false},
        {"http://127.0.0.1@evil.example/", false},
        {"http://localhost.evil.example/", false},
        {"http://[::1].evil.example/", false},
        {"http://[::2]:8081/", false},
        {"http://", false},
        {"ftp://127.0.0.1/", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *kv[] = {"type", "telegram", "token", "123:abc", "url", cases[i].url, NULL};
        struct ct_section s;
        ct_section_init(&s, TG, kv);
        void *st = NULL;
        struct km_err err = {{0}};
        int rc = TG->create(&s.sec, &st, &err);
        if (rc != (cases[i].ok ? KM_OK : KM_EINPUT)) {
            fail_msg("case %zu (%s): rc %d '%s'", i, cases[i].url, rc, err.msg);
        }
        if (cases[i].ok) {
            assert_non_null(st);
        } else {
            assert_null(st);
            assert_string_equal(err.msg, "komek.conf:4: telegram/city109: telegram url must use "
                                         "https:// (http:// only on loopback)");
        }
        TG->destroy(st);
    }
}

static void test_next_request(void **state)
{
    (void)state;
    static const struct {
        const char *poll_timeout; /* NULL = default */
        const char *limit;
        const char *cursor;
        const char *body;
        int64_t timeout_ms;
    } cases[] = {
        {NULL, NULL, NULL,
         "{\"limit\":100,\"timeout\":25,\"allowed_updates\":[\"message\",\"edited_message\","
         "\"channel_post\",\"edited_channel_post\"]}",
         35000},
        {NULL, NULL, "721450010",
         "{\"offset\":721450010,\"limit\":100,\"timeout\":25,\"allowed_updates\":[\"message\","
         "\"edited_message\",\"channel_post\",\"edited_channel_post\"]}",
         35000},
        {"50s", "7", "9007199254740993",
         "{\"offset\":9007199254740993,\"limit\":7,\"timeout\":50,\"allowed_updates\":["
         "\"message\",\"edited_message\",\"channel_post\",\"edited_channel_post\"]}",
         60000},
        {"0s", "1", "garbage",
         "{\"limit\":1,\"timeout\":0,\"allowed_updates\":[\"message\",\"edited_message\","
         "\"channel_post\",\"edited_channel_post\"]}",
         10000},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *kv[12] = {"type", "telegram", "token", "123456789:AAE-test_Token"};
        size_t n = 4;
        kv[n++] = "url";
        kv[n++] = "http://127.0.0.1:8081/";
        if (cases[i].poll_timeout != NULL) {
            kv[n++] = "poll_timeout";
            kv[n++] = cases[i].poll_timeout;
        }
        if (cases[i].limit != NULL) {
            kv[n++] = "limit";
            kv[n++] = cases[i].limit;
        }
        void *st = ct_create(TG, kv);
        struct km_request req = {0};
        assert_int_equal(TG->next_request(st, cases[i].cursor, &req), KM_OK);
        assert_int_equal(req.method, KM_HTTP_POST);
        assert_string_equal(req.url,
                            "http://127.0.0.1:8081/bot123456789:AAE-test_Token/getUpdates");
        assert_string_equal(req.content_type, "application/json");
        assert_string_equal(req.body, cases[i].body);
        assert_int_equal(req.timeout_ms, cases[i].timeout_ms);
        km_request_clear(&req);
        TG->destroy(st);
    }
}

/* What each post of updates.json must look like, in order. */
struct tg_want {
    const char *id, *url, *author_id, *author_name, *author_handle, *chat_id, *chat_title;
    const char *text, *reply_to;
    int64_t created_at;
    bool edited;
    const char *tags[4];
    const char *media[2];
    bool has_geo;
    double lat, lon;
};

static const struct tg_want tg_posts[] = {
    {"-1001234567890:4711",
     "https://t.me/astana109chat/4711",
     "123456789",
     "Айгерим Садыкова",
     "aigerim_s",
     "-1001234567890",
     "Астана 109 — жалобы жителей",
     "🚨 #Астана прорыв трубы на Кенесары 40, вода заливает двор #ЖКХ #109",
     "-1001234567890:4700",
     1795372861000LL,
     false,
     {"астана", "жкх", "109", NULL},
     {NULL},
     false,
     0,
     0},
    {"-1009876543210:1200",
     "https://t.me/akimat_astana/1200",
     "-1009876543210",
     "Пресс-служба",
     "akimat_astana",
     "-1009876543210",
     "Акимат Астаны",
     "Бригада выехала на Кенесары 40. #iKomek #Астана",
     NULL,
     1795373000000LL,
     false,
     {"ikomek", "астана", NULL},
     {NULL},
     false,
     0,
     0},
    {"-1005555555555:88",
     "https://t.me/c/5555555555/88",
     "987654321",
     "Daniyar",
     NULL,
     "-1005555555555",
     "ЖК Нурсая, 3 подъезд",
     "Во дворе 👷‍♂️ третий день нет света #свет "
     "#Нурсая",
     NULL,
     1795374000000LL,
     true,
     {"свет", "нурсая", NULL},
     {NULL},
     false,
     0,
     0},
    {"-1001234567890:4712",
     "https://t.me/astana109chat/4712",
     "987654321",
     "Daniyar",
     NULL,
     "-1001234567890",
     "Астана 109 — жалобы жителей",
     "Яма на дороге 😡😡 #дороги",
     NULL,
     1795373100000LL,
     false,
     {"дороги", NULL},
     {"AgACAgIAAxkBAAIBZ2Large", NULL},
     false,
     0,
     0},
    {"-1001234567890:4713",
     "https://t.me/astana109chat/4713",
     "123456789",
     "Айгерим Садыкова",
     "aigerim_s",
     "-1001234567890",
     "Астана 109 — жалобы жителей",
     "Спасибо, всё починили!",
     NULL,
     1795373200000LL,
     false,
     {NULL},
     {NULL},
     false,
     0,
     0},
    {"-1005555555555:89",
     "https://t.me/c/5555555555/89",
     "987654321",
     "Daniyar",
     NULL,
     "-1005555555555",
     "ЖК Нурсая, 3 подъезд",
     NULL,
     NULL,
     1795373300000LL,
     false,
     {NULL},
     {NULL},
     true,
     51.128207,
     71.430411},
    {"-1009876543210:1200",
     "https://t.me/akimat_astana/1200",
     "-1009876543210",
     "Пресс-служба",
     "akimat_astana",
     "-1009876543210",
     "Акимат Астаны",
     "Бригада на месте. #iKomek",
     NULL,
     1795373600000LL,
     true,
     {"ikomek", NULL},
     {NULL},
     false,
     0,
     0},
};

static void tg_check_post(const struct km_post *p, const struct tg_want *w)
{
    ct_assert_str(p->network, "telegram");
    ct_assert_str(p->source, "city109");
    ct_assert_str(p->id, w->id);
    ct_assert_str(p->url, w->url);
    ct_assert_str(p->author.id, w->author_id);
    ct_assert_str(p->author.name, w->author_name);
    ct_assert_str(p->author.handle, w->author_handle);
    ct_assert_str(p->chat.id, w->chat_id);
    ct_assert_str(p->chat.title, w->chat_title);
    ct_assert_str(p->text, w->text);
    ct_assert_str(p->reply_to, w->reply_to);
    ct_assert_str(p->lang, NULL);
    assert_int_equal(p->created_at, w->created_at);
    assert_int_equal(p->collected_at, CT_NOW_MS);
    assert_int_equal(p->edited, w->edited);
    ct_assert_tags(p, w->tags);
    ct_assert_media(p, w->media);
    assert_int_equal(p->has_geo, w->has_geo);
    if (w->has_geo) {
        assert_true(p->lat == w->lat && p->lon == w->lon);
    }
    assert_int_equal(p->engagement.likes, -1);
    assert_int_equal(p->engagement.reposts, -1);
    assert_int_equal(p->engagement.replies, -1);
    assert_int_equal(p->engagement.views, -1);
}

static void test_consume_updates(void **state)
{
    (void)state;
    void *st = ct_create(TG, tg_kv);
    struct km_post_batch out;
    km_post_batch_init(&out);
    char *cursor = NULL;
    struct km_err err;
    assert_int_equal(ct_consume(TG, st, 200, "telegram/updates.json", NULL, &out, &cursor, &err),
                     KM_OK);
    assert_int_equal(out.n, sizeof(tg_posts) / sizeof(tg_posts[0]));
    for (size_t i = 0; i < out.n; i++) {
        tg_check_post(out.posts[i], &tg_posts[i]);
    }
    /* my_chat_member is ignored; the message without chat is skipped and named; the cursor
     * moves past both, to max(update_id) + 1. */
    assert_int_equal(out.skipped, 1);
    assert_string_equal(err.msg, "telegram/city109: update 721450009: message without chat");
    assert_string_equal(cursor, "721450010");
    assert_int_equal(out.retry_after_ms, 0);
    free(cursor);
    km_post_batch_free(&out);
    TG->destroy(st);
}

/* Inline payloads for the corner cases of one update each. */
static void test_consume_cases(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        const char *cursor;
        size_t n_posts;
        unsigned skipped;
        const char *err;
        const char *tags[4];
        int64_t created_at;
    } cases[] = {
        /* Entity bounds come from the UTF-16 offsets (emoji = 2 units), not from a text
         * scan: the entity covers only "#Астана" of "#Астанаxyz". */
        {"={\"ok\":true,\"result\":[{\"update_id\":5,\"message\":{\"message_id\":1,\"date\":1,"
         "\"chat\":{\"id\":42,\"type\":\"private\"},\"text\":\"😡😡 #Астанаxyz\","
         "\"entities\":[{\"offset\":5,\"length\":7,\"type\":\"hashtag\"}]}}]}",
         "6",
         1,
         0,
         "",
         {"астана", "астанаxyz", NULL},
         1000},
        /* An entity beyond the text (or splitting a surrogate pair) is ignored. */
        {"={\"ok\":true,\"result\":[{\"update_id\":5,\"message\":{\"message_id\":1,\"date\":1,"
         "\"chat\":{\"id\":42,\"type\":\"private\"},\"text\":\"😡 hi\","
         "\"entities\":[{\"offset\":1,\"length\":2,\"type\":\"hashtag\"},"
         "{\"offset\":3,\"length\":90,\"type\":\"hashtag\"},"
         "{\"offset\":-1,\"length\":2,\"type\":\"hashtag\"}]}}]}",
         "6",
         1,
         0,
         "",
         {NULL},
         1000},
        /* No entities at all: the text is scanned. */
        {"={\"ok\":true,\"result\":[{\"update_id\":5,\"message\":{\"message_id\":1,\"date\":1,"
         "\"chat\":{\"id\":42,\"type\":\"private\"},\"text\":\"#109 #iKomek\"}}]}",
         "6",
         1,
         0,
         "",
         {"109", "ikomek", NULL},
         1000},
        /* A date that would overflow as milliseconds is left unknown. */
        {"={\"ok\":true,\"result\":[{\"update_id\":5,\"message\":{\"message_id\":1,"
         "\"date\":9223372036854775807,\"chat\":{\"id\":42,\"type\":\"private\"}}}]}",
         "6",
         1,
         0,
         "",
         {NULL},
         0},
        /* The cursor is the maximum update_id + 1, whatever the order. */
        {"={\"ok\":true,\"result\":[{\"update_id\":9,\"poll\":{}},{\"update_id\":12,"
         "\"callback_query\":{}},{\"update_id\":3,\"message\":{}}]}",
         "13",
         0,
         1,
         "telegram/city109: update 3: message without chat",
         {NULL}},
        {"={\"ok\":true,\"result\":[{\"update_id\":7,\"message\":{\"chat\":{\"id\":1}}},"
         "{\"message\":{}},{\"update_id\":8,\"channel_post\":17}]}",
         "9",
         0,
         3,
         "telegram/city109: update 7: message without message_id",
         {NULL}},
        {"={\"ok\":true,\"result\":[{\"update_id\":8,\"channel_post\":17}]}",
         "9",
         0,
         1,
         "telegram/city109: update 8: message is not an object",
         {NULL}},
        {"={\"ok\":true,\"result\":[\"x\"]}",
         NULL,
         0,
         1,
         "telegram/city109: update without update_id",
         {NULL}},
        {"telegram/empty.json", NULL, 0, 0, "", {NULL}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        void *st = ct_create(TG, tg_kv);
        struct km_post_batch out;
        km_post_batch_init(&out);
        char *cursor = NULL;
        struct km_err err;
        assert_int_equal(ct_consume(TG, st, 200, cases[i].body, NULL, &out, &cursor, &err), KM_OK);
        ct_assert_str(cursor, cases[i].cursor);
        assert_int_equal(out.n, cases[i].n_posts);
        assert_int_equal(out.skipped, cases[i].skipped);
        assert_string_equal(err.msg, cases[i].err);
        if (out.n > 0) {
            ct_assert_tags(out.posts[0], cases[i].tags);
            assert_int_equal(out.posts[0]->created_at, cases[i].created_at);
            assert_null(out.posts[0]->url); /* private chat: no public link */
        }
        free(cursor);
        km_post_batch_free(&out);
        TG->destroy(st);
    }
}

static void test_consume_errors(void **state)
{
    (void)state;
    static const char *const retry_after_7[] = {"Retry-After", "7", NULL};
    static const struct {
        long status;
        const char *body;
        const char *const *headers;
        int rc;
        const char *err;
        int64_t retry_after_ms;
    } cases[] = {
        {429, "telegram/error_429.json", retry_after_7, KM_RETRY,
         "telegram/city109: rate limited: Too Many Requests: retry after 35", 35000},
        {409, "telegram/error_409.json", NULL, KM_RETRY,
         "telegram/city109: 409 conflict: a webhook is set for this bot or another process "
         "polls it",
         30000},
        {409, "telegram/error_409_webhook.json", NULL, KM_RETRY,
         "telegram/city109: 409 conflict: a webhook is set", 30000},
        {401, "telegram/error_401.json", NULL, KM_ERR,
         "telegram/city109: token rejected (401 Unauthorized)", 0},
        {404, "telegram/error_404.json", NULL, KM_ERR,
         "telegram/city109: token rejected (404 Not Found)", 0},
        {400, "telegram/error_400.json", NULL, KM_RETRY,
         "telegram/city109: API error 400: Bad Request: wrong parameter", 0},
        {502, "telegram/bad_gateway.html", retry_after_7, KM_RETRY,
         "telegram/city109: HTTP 502 from the Bot API", 7000},
        {500, "={\"ok\":false,\"error_code\":500,\"description\":\"Internal Server Error\"}", NULL,
         KM_RETRY, "telegram/city109: HTTP 500", 0},
        {429, "telegram/bad_gateway.html", retry_after_7, KM_RETRY,
         "telegram/city109: rate limited: no description", 7000},
        {401, NULL, NULL, KM_ERR, "telegram/city109: token rejected (401 no description)", 0},
        {429,
         "={\"ok\":false,\"error_code\":429,\"description\":\"Too Many Requests: retry after "
         "99999999999\",\"parameters\":{\"retry_after\":99999999999}}",
         NULL, KM_RETRY, "telegram/city109: rate limited", 86400000},
        {200, "telegram/truncated.json", NULL, KM_EINPUT,
         "telegram/city109: offset 2471: parse error: premature EOF", 0},
        /* 70 nested arrays: refused before yajl builds (and later overflows freeing) a tree. */
        {200, "telegram/deep_nesting.json", NULL, KM_EINPUT,
         "telegram/city109: offset 176: nesting deeper than 64", 0},
        {200, "telegram/bad_gateway.html", NULL, KM_EINPUT,
         "telegram/city109: offset 0: lexical error", 0},
        {200, NULL, NULL, KM_EINPUT, "telegram/city109: empty body", 0},
        {200, "=[1,2]", NULL, KM_EINPUT, "telegram/city109: HTTP 200: response is not a Bot API",
         0},
        {200, "={\"ok\":true,\"result\":{}}", NULL, KM_EINPUT,
         "telegram/city109: response has no result array", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        void *st = ct_create(TG, tg_kv);
        struct km_post_batch out;
        km_post_batch_init(&out);
        char *cursor = NULL;
        struct km_err err;
        int rc = ct_consume(TG, st, cases[i].status, cases[i].body, cases[i].headers, &out, &cursor,
                            &err);
        if (rc != cases[i].rc || !ct_starts(err.msg, cases[i].err)) {
            fail_msg("case %zu: rc %d, err '%s'", i, rc, err.msg);
        }
        assert_int_equal(out.retry_after_ms, cases[i].retry_after_ms);
        assert_int_equal(out.n, 0);
        assert_null(cursor);
        km_post_batch_free(&out);
        TG->destroy(st);
    }
}

/* Invalid UTF-8 in one message is repaired (U+FFFD), not a reason to drop the batch. */
static void test_invalid_utf8(void **state)
{
    (void)state;
    void *st = ct_create(TG, tg_kv);
    struct km_post_batch out;
    km_post_batch_init(&out);
    char *cursor = NULL;
    struct km_err err;
    assert_int_equal(
        ct_consume(TG, st, 200, "telegram/invalid_utf8.json", NULL, &out, &cursor, &err), KM_OK);
    assert_int_equal(out.n, 1);
    assert_non_null(strstr(out.posts[0]->text, "\xEF\xBF\xBD"));
    assert_non_null(strstr(out.posts[0]->text, "#Астана"));
    static const char *const tags[] = {"астана", NULL};
    ct_assert_tags(out.posts[0], tags);
    assert_string_equal(cursor, "721450011");
    free(cursor);
    km_post_batch_free(&out);
    TG->destroy(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry),      cmocka_unit_test(test_keys),
        cmocka_unit_test(test_create_errors), cmocka_unit_test(test_create_url),
        cmocka_unit_test(test_next_request),  cmocka_unit_test(test_consume_updates),
        cmocka_unit_test(test_consume_cases), cmocka_unit_test(test_consume_errors),
        cmocka_unit_test(test_invalid_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
