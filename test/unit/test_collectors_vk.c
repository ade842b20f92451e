/* Unit tests for collectors/vk.c: config checks, the newsfeed.search request, the cursor
 * across pages, tags and restarts, and consume() on recorded API answers (no network). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collectors/collector.h"
#include "common/time.h"
#include "test/unit/collectors_test.h"

extern const struct km_collector km_collector_vk;
#define VK (&km_collector_vk)

#define VK_TOKEN "vk1.a.s3rvic3-T0ken_x"
#define VK_HOST  "https://api.vk.com/method/newsfeed.search"
/* %D0%90%D1%81%D1%82%D0%B0%D0%BD%D0%B0 is "Астана" percent-encoded. */
#define VK_ASTANA_ENC "%D0%90%D1%81%D1%82%D0%B0%D0%BD%D0%B0"

static const char *const vk_kv[] = {"type", "vk", "token", VK_TOKEN, "tags", "109, Астана", NULL};

static void test_keys(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *def;
        unsigned flags;
        long long min, max;
    } want[] = {
        {"url", "https://api.vk.com", 0, 0, 0},
        {"token", NULL, KM_CONF_REQUIRED | KM_CONF_SECRET, 0, 0},
        {"tags", NULL, KM_CONF_REQUIRED, 0, 0},
        {"count", "100", 0, 1, 200},
        {"lookback", "24h", 0, 60000, 30LL * 86400000},
        {"api_version", "5.199", 0, 0, 0},
    };
    size_t n = 0;
    for (const struct km_conf_key *k = VK->keys; k->name != NULL; k++, n++) {
        assert_true(n < sizeof(want) / sizeof(want[0]));
        assert_string_equal(k->name, want[n].name);
        ct_assert_str(k->def, want[n].def);
        assert_int_equal(k->flags, want[n].flags);
        assert_int_equal(k->min, want[n].min);
        assert_int_equal(k->max, want[n].max);
        assert_non_null(k->help);
    }
    assert_int_equal(n, sizeof(want) / sizeof(want[0]));
    assert_string_equal(VK->name, "vk");
}

static void test_create_errors(void **state)
{
    (void)state;
    static const char many[] = "a1,a2,a3,a4,a5,a6,a7,a8,a9,b1,b2,b3,b4,b5,b6,b7,b8,b9,c1,c2,c3,"
                               "c4,c5,c6,c7,c8,c9,d1,d2,d3,d4,d5,d6";
    static const struct {
        const char *url, *token, *version, *tags;
        const char *msg;
    } cases[] = {
        {"api.vk.com", VK_TOKEN, NULL, "109", "komek.conf:3: vk/city109: url must start with"},
        {NULL, "two words", NULL, "109", "komek.conf:4: vk/city109: token must be the app's"},
        {NULL, "", NULL, "109", "komek.conf:4: vk/city109: token must be"},
        {NULL, "tok\r\nX-Evil: 1", NULL, "109", "komek.conf:4: vk/city109: token must be"},
        {NULL, VK_TOKEN, "5.199&x=1", "109", "komek.conf:5: vk/city109: api_version must"},
        {NULL, VK_TOKEN, "five", "109", "komek.conf:5: vk/city109: api_version must"},
        {NULL, VK_TOKEN, NULL, "109, ,a", "komek.conf:6: vk/city109: tags: empty tag in"},
        {NULL, VK_TOKEN, NULL, "#", "komek.conf:6: vk/city109: tags: empty tag"},
        {NULL, VK_TOKEN, NULL, "a,", "komek.conf:6: vk/city109: tags: empty tag"},
        {NULL, VK_TOKEN, NULL, "Астана, #Астана", "komek.conf:6: vk/city109: tags: tag listed"},
        {NULL, VK_TOKEN, NULL, "a\xff", "komek.conf:6: vk/city109: tags: invalid UTF-8"},
        {NULL, VK_TOKEN, NULL, many, "komek.conf:6: vk/city109: tags: too many tags"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *kv[] = {
            "type",        "vk",
            "url",         cases[i].url != NULL ? cases[i].url : "https://api.vk.com",
            "token",       cases[i].token,
            "api_version", cases[i].version != NULL ? cases[i].version : "5.199",
            "tags",        cases[i].tags,
            NULL};
        struct ct_section s;
        ct_section_init(&s, VK, kv);
        void *st = (void *)&s;
        struct km_err err = {{0}};
        assert_int_equal(VK->create(&s.sec, &st, &err), KM_EINPUT);
        assert_null(st);
        if (!ct_starts(err.msg, cases[i].msg)) {
            fail_msg("case %zu: '%s'", i, err.msg);
        }
    }
    VK->destroy(NULL);
}

/* The value of start_time in url, or -1. */
static long long vk_url_start(const char *url)
{
    const char *p = strstr(url, "&start_time=");
    return p != NULL ? strtoll(p + strlen("&start_time="), NULL, 10) : -1;
}

/* Checks a request: GET, the URL (want_tpl with "{start}" standing for start_time), both
 * headers, and start_time: want_start, or now - lookback when want_start is 0. */
static void vk_check_request(const struct km_request *req, const char *want_tpl,
                             long long want_start, long long lookback_s)
{
    long long start = vk_url_start(req->url);
    if (want_start > 0) {
        assert_int_equal(start, want_start);
    } else {
        long long expect = km_time_now_ms() / 1000 - lookback_s;
        assert_true(start >= expect - 5 && start <= expect + 1);
    }
    const char *hole = strstr(want_tpl, "{start}");
    assert_non_null(hole);
    char want[512];
    snprintf(want, sizeof(want), "%.*s%lld%s", (int)(hole - want_tpl), want_tpl, start,
             hole + strlen("{start}"));
    assert_string_equal(req->url, want);
    assert_int_equal(req->method, KM_HTTP_GET);
    assert_null(req->body);
    assert_int_equal(req->n_headers, 2);
    assert_string_equal(req->headers[0], "Accept: application/json");
    assert_string_equal(req->headers[1], "Authorization: Bearer " VK_TOKEN);
    assert_null(strstr(req->url, VK_TOKEN));
}

static void test_next_request(void **state)
{
    (void)state;
    static const struct {
        const char *url, *count, *lookback, *version, *cursor;
        const char *want_q; /* the q= value */
        const char *want_count;
        const char *want_tail; /* after start_time */
        long long want_start, lookback_s;
    } cases[] = {
        {NULL, NULL, NULL, NULL, NULL, "%23109", "100", "&v=5.199", 0, 86400},
        {"http://127.0.0.1:8080/", "7", "2h", "5.131", NULL, "%23109", "7", "&v=5.131", 0, 7200},
        {NULL, NULL, NULL, NULL, "{\"tag\":\"Астана\",\"since\":{\"Астана\":1795372000}}",
         "%23" VK_ASTANA_ENC, "100", "&v=5.199", 1795372000, 0},
        {NULL, NULL, NULL, NULL,
         "{\"tag\":\"Астана\",\"start\":1795300000,\"from\":\"4/-218000001_1519\",\"since\":{}}",
         "%23" VK_ASTANA_ENC, "100", "&start_from=4%2F-218000001_1519&v=5.199", 1795300000, 0},
        /* Damaged or foreign cursors restart the round at the first tag. */
        {NULL, NULL, NULL, NULL, "4711", "%23109", "100", "&v=5.199", 0, 86400},
        {NULL, NULL, NULL, NULL,
         "{\"tag\":\"gone\",\"from\":\"x\",\"start\":5,\"since\":"
         "{\"109\":1795000000,\"gone\":9}}",
         "%23109", "100", "&v=5.199", 1795000000, 0},
        {NULL, NULL, NULL, NULL, "{\"tag\":\"109\",\"from\":\"x\",\"since\":{\"109\":\"soon\"}}",
         "%23109", "100", "&v=5.199", 0, 86400},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *kv[16] = {"type", "vk", "token", VK_TOKEN, "tags", "109, Астана"};
        size_t n = 6;
        const char *opt[][2] = {{"url", cases[i].url},
                                {"count", cases[i].count},
                                {"lookback", cases[i].lookback},
                                {"api_version", cases[i].version}};
        for (size_t j = 0; j < 4; j++) {
            if (opt[j][1] != NULL) {
                kv[n++] = opt[j][0];
                kv[n++] = opt[j][1];
            }
        }
        void *st = ct_create(VK, kv);
        struct km_request req = {0};
        assert_int_equal(VK->next_request(st, cases[i].cursor, &req), KM_OK);
        char tpl[512];
        snprintf(tpl, sizeof(tpl),
                 "%s/method/newsfeed.search?q=%s&extended=1&fields=screen_name&count=%s"
                 "&start_time={start}%s",
                 cases[i].url != NULL ? "http://127.0.0.1:8080" : "https://api.vk.com",
                 cases[i].want_q, cases[i].want_count, cases[i].want_tail);
        vk_check_request(&req, tpl, cases[i].want_start, cases[i].lookback_s);
        km_request_clear(&req);
        VK->destroy(st);
    }
}

struct vk_want {
    const char *id, *url, *author_id, *author_name, *author_handle, *chat_id, *chat_title;
    const char *text, *reply_to;
    int64_t created_at;
    int64_t likes, reposts, replies, views;
    bool edited, has_geo;
    double lat, lon;
    const char *tags[4];
    const char *media[2];
};

static const struct vk_want vk_posts[] = {
    /* A community post: photo (largest size), geo, a community-scoped #tag@community. */
    {"-218000001_1520",
     "https://vk.com/wall-218000001_1520",
     "-218000001",
     "Астана | Подслушано",
     "astana_overheard",
     NULL,
     NULL,
     "Прорыв трубы на Кенесары 40, вода хлещет на дорогу! #Астана@astana_overheard #109",
     NULL,
     1795372800000LL,
     41,
     5,
     7,
     1873,
     false,
     true,
     51.169392,
     71.449074,
     {"астана", "109", NULL},
     {"https://sun9-21.userapi.com/impg/aa/z.jpg?size=1280x960&quality=96&type=album", NULL}},
    /* Mention markup becomes the shown names; tags right after emoji, Kazakh letters. */
    {"512340001_88",
     "https://vk.com/wall512340001_88",
     "512340001",
     "Айгерим Сапарова",
     "aigerim_s",
     NULL,
     NULL,
     "Дмитрий Ким, Жители Сарыарки смотрите 🆘#Астана\nЖол жөнделмеді ⚠️#қала "
     "#жол",
     NULL,
     1795372740000LL,
     3,
     0,
     0,
     54,
     false,
     false,
     0,
     0,
     {"астана", "қала", "жол", NULL},
     {NULL}},
    /* A repost without its own text: the original's text, tags and photo; reply_to. */
    {"-218000002_301",
     "https://vk.com/wall-218000002_301",
     "-218000002",
     "Жители Сарыарки",
     "saryarka_residents",
     NULL,
     NULL,
     "Спасибо оператору #iKomek, помогли с пособием 🙏",
     "512340003_61",
     1795372680000LL,
     12,
     1,
     2,
     640,
     false,
     false,
     0,
     0,
     {"ikomek", NULL},
     {"https://sun9-77.userapi.com/impg/bb/x.jpg", NULL}},
    /* A user's post on a community wall: the wall is the chat; edited. */
    {"-218000001_1519",
     "https://vk.com/wall-218000001_1519",
     "512340004",
     "Ольга Петренко",
     "olga.p",
     "-218000001",
     "Астана | Подслушано",
     "Лифт стоит третий день, Туркестан 10 #акиматАстаны",
     NULL,
     1795372620000LL,
     0,
     0,
     1,
     -1,
     true,
     false,
     0,
     0,
     {"акиматастаны", NULL},
     {NULL}},
};

static void vk_check_post(const struct km_post *p, const struct vk_want *w)
{
    ct_assert_str(p->network, "vk");
    ct_assert_str(p->source, "city109");
    ct_assert_str(p->id, w->id);
    ct_assert_str(p->url, w->url);
    ct_assert_str(p->author.id, w->author_id);
    ct_assert_str(p->author.name, w->author_name);
    ct_assert_str(p->author.handle, w->author_handle);
    ct_assert_str(p->chat.id, w->chat_id);
    ct_assert_str(p->chat.title, w->chat_title);
    ct_assert_str(p->text, w->text);
    ct_assert_str(p->lang, NULL);
    ct_assert_str(p->reply_to, w->reply_to);
    assert_int_equal(p->created_at, w->created_at);
    assert_int_equal(p->collected_at, CT_NOW_MS);
    assert_int_equal(p->engagement.likes, w->likes);
    assert_int_equal(p->engagement.reposts, w->reposts);
    assert_int_equal(p->engagement.replies, w->replies);
    assert_int_equal(p->engagement.views, w->views);
    assert_int_equal(p->edited, w->edited);
    assert_int_equal(p->has_geo, w->has_geo);
    if (w->has_geo) {
        assert_true(p->lat == w->lat && p->lon == w->lon);
    }
    ct_assert_tags(p, w->tags);
    ct_assert_media(p, w->media);
}

static void test_consume_page(void **state)
{
    (void)state;
    void *st = ct_create(VK, vk_kv);
    struct km_post_batch out;
    km_post_batch_init(&out);
    char *cursor = NULL;
    struct km_err err;
    assert_int_equal(ct_consume(VK, st, 200, "vk/search_page.json", NULL, &out, &cursor, &err),
                     KM_OK);
    assert_int_equal(out.n, sizeof(vk_posts) / sizeof(vk_posts[0]));
    for (size_t i = 0; i < out.n; i++) {
        vk_check_post(out.posts[i], &vk_posts[i]);
    }
    assert_int_equal(out.skipped, 0);
    assert_true(out.more);
    assert_int_equal(out.retry_after_ms, 340); /* about 3 requests a second */
    assert_string_equal(cursor, "{\"tag\":\"109\",\"start\":0,\"from\":\"4/-218000001_1519\","
                                "\"since\":{\"109\":1795372800}}");
    free(cursor);
    km_post_batch_free(&out);
    VK->destroy(st);
}

/* One round over two tags, each step on a fresh state (as after a restart): the cursor
 * alone must say where to go on. */
static void test_cursor_flow(void **state)
{
    (void)state;
    static const struct {
        const char *cursor;
        const char *want_url; /* "{start}" stands for start_time */
        long long want_start; /* 0: now - 24 h */
        const char *body;
        size_t n_posts;
        bool more;
        const char *next;
    } steps[] = {
        {"{\"tag\":\"109\",\"since\":{\"109\":1795300000}}",
         VK_HOST "?q=%23109&extended=1&fields=screen_name&count=100&start_time={start}&v=5.199",
         1795300000, "vk/search_page.json", 4, true,
         "{\"tag\":\"109\",\"start\":1795300000,\"from\":\"4/-218000001_1519\",\"since\":"
         "{\"109\":1795372800}}"},
        {NULL,
         VK_HOST "?q=%23109&extended=1&fields=screen_name&count=100&start_time={start}"
                 "&start_from=4%2F-218000001_1519&v=5.199",
         1795300000, "vk/search_last.json", 1, true,
         "{\"tag\":\"Астана\",\"since\":{\"109\":1795372800}}"},
        {NULL,
         VK_HOST "?q=%23" VK_ASTANA_ENC
                 "&extended=1&fields=screen_name&count=100&start_time={start}&v=5.199",
         0, "vk/search_last.json", 1, false,
         "{\"tag\":\"109\",\"since\":{\"109\":1795372800,\"Астана\":1795372500}}"},
        {NULL,
         VK_HOST "?q=%23109&extended=1&fields=screen_name&count=100&start_time={start}&v=5.199",
         1795372800, "vk/search_empty.json", 0, true,
         "{\"tag\":\"Астана\",\"since\":{\"109\":1795372800,\"Астана\":1795372500}}"},
        {NULL,
         VK_HOST "?q=%23" VK_ASTANA_ENC
                 "&extended=1&fields=screen_name&count=100&start_time={start}&v=5.199",
         1795372500, "vk/search_empty.json", 0, false,
         "{\"tag\":\"109\",\"since\":{\"109\":1795372800,\"Астана\":1795372500}}"},
    };
    char *cursor = km_strdup(steps[0].cursor);
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        void *st = ct_create(VK, vk_kv);
        struct km_request req = {0};
        assert_int_equal(VK->next_request(st, cursor, &req), KM_OK);
        vk_check_request(&req, steps[i].want_url, steps[i].want_start, 86400);
        km_request_clear(&req);
        free(cursor);
        struct km_post_batch out;
        km_post_batch_init(&out);
        struct km_err err;
        assert_int_equal(ct_consume(VK, st, 200, steps[i].body, NULL, &out, &cursor, &err), KM_OK);
        assert_int_equal(out.n, steps[i].n_posts);
        assert_int_equal(out.more, steps[i].more);
        assert_int_equal(out.retry_after_ms, steps[i].more ? 340 : 0);
        if (strcmp(cursor, steps[i].next) != 0) {
            fail_msg("step %zu: cursor %s", i, cursor);
        }
        km_post_batch_free(&out);
        VK->destroy(st);
    }
    free(cursor);
}

/* A next_from equal to the one just used, on an empty page, or absurdly long ends the
 * tag's paging instead of looping. */
static void test_paging_ends(void **state)
{
    (void)state;
    char longfrom[400];
    memset(longfrom, 'a', sizeof(longfrom) - 1);
    longfrom[sizeof(longfrom) - 1] = '\0';
    char body_long[700];
    snprintf(
        body_long, sizeof(body_long),
        "={\"response\":{\"items\":[{\"id\":1,\"owner_id\":1,\"date\":5}],\"next_from\":\"%s\"}}",
        longfrom);
    static const char *const cur = "{\"tag\":\"Астана\",\"start\":7,\"from\":\"p2\",\"since\":{}}";
    const struct {
        const char *body;
        const char *next;
    } cases[] = {
        {"={\"response\":{\"items\":[{\"id\":1,\"owner_id\":1,\"date\":5}],\"next_from\":\"p2\"}}",
         "{\"tag\":\"109\",\"since\":{\"Астана\":5}}"},
        {"={\"response\":{\"items\":[],\"next_from\":\"p3\"}}", "{\"tag\":\"109\",\"since\":{}}"},
        {body_long, "{\"tag\":\"109\",\"since\":{\"Астана\":5}}"},
        {"={\"response\":{\"items\":[{\"id\":1,\"owner_id\":1,\"date\":5}],\"next_from\":\"p3\"}}",
         "{\"tag\":\"Астана\",\"start\":7,\"from\":\"p3\",\"since\":{\"Астана\":5}}"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        void *st = ct_create(VK, vk_kv);
        struct km_request req = {0};
        assert_int_equal(VK->next_request(st, cur, &req), KM_OK);
        km_request_clear(&req);
        struct km_post_batch out;
        km_post_batch_init(&out);
        char *cursor = NULL;
        struct km_err err;
        assert_int_equal(ct_consume(VK, st, 200, cases[i].body, NULL, &out, &cursor, &err), KM_OK);
        if (strcmp(cursor, cases[i].next) != 0) {
            fail_msg("case %zu: cursor %s", i, cursor);
        }
        free(cursor);
        km_post_batch_free(&out);
        VK->destroy(st);
    }
}

static void test_consume_errors(void **state)
{
    (void)state;
    static const char *const retry_after[] = {"Retry-After", "2", NULL};
    static const struct {
        long status;
        const char *body;
        const char *const *headers;
        int rc;
        const char *err;
        int64_t retry_after_ms;
    } cases[] = {
        {200, "vk/error_5.json", NULL, KM_ERR,
         "vk/city109: token rejected (error 5: User authorization failed: invalid access_token "
         "(4).)",
         0},
        {200, "vk/error_6.json", NULL, KM_RETRY,
         "vk/city109: rate limited (error 6: Too many requests per second)", 1000},
        {200, "vk/error_9.json", NULL, KM_RETRY,
         "vk/city109: flood control (error 9: Flood "
         "control)",
         60000},
        {200, "vk/error_29.json", NULL, KM_RETRY,
         "vk/city109: daily quota of newsfeed.search used up (error 29: Rate limit reached); "
         "retrying in an hour",
         3600000},
        {200, "vk/error_14.json", NULL, KM_RETRY,
         "vk/city109: VK asks for a captcha (error 14: Captcha needed)", 600000},
        {200, "vk/error_10.json", NULL, KM_RETRY,
         "vk/city109: VK internal error (error 10: Internal server error: Unknown error, try "
         "later)",
         0},
        {200, "vk/error_100.json", NULL, KM_RETRY,
         "vk/city109: API error 100: One of the parameters specified was missing", 0},
        {200, "={\"error\":{\"error_code\":5,\"error_msg\":\"invalid token " VK_TOKEN "!\"}}", NULL,
         KM_ERR, "vk/city109: token rejected (error 5: invalid token ***!)", 0},
        {200, "={\"error\":{}}", NULL, KM_RETRY, "vk/city109: API error 0: no error_msg", 0},
        {500, "vk/garbage.html", NULL, KM_RETRY, "vk/city109: HTTP 500 from the VK API", 0},
        {502, "vk/garbage.html", NULL, KM_RETRY, "vk/city109: HTTP 502 from the VK API", 0},
        {503, NULL, retry_after, KM_RETRY, "vk/city109: HTTP 503 from the VK API", 2000},
        {429, NULL, retry_after, KM_RETRY, "vk/city109: HTTP 429 from the VK API", 2000},
        {404, "vk/garbage.html", NULL, KM_ERR,
         "vk/city109: HTTP 404: no VK API at https://api.vk.com (check url)", 0},
        {200, "vk/garbage.html", NULL, KM_EINPUT, "vk/city109: offset 0", 0},
        {200, NULL, NULL, KM_EINPUT, "vk/city109: empty body", 0},
        {200, "=[[[", NULL, KM_EINPUT, "vk/city109: offset ", 0},
        {200, "vk/no_items.json", NULL, KM_EINPUT, "vk/city109: response has no items array", 0},
        {200, "={\"ok\":true}", NULL, KM_EINPUT, "vk/city109: answer has neither response nor", 0},
        {200, "=[]", NULL, KM_EINPUT, "vk/city109: answer has neither response nor error", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        void *st = ct_create(VK, vk_kv);
        struct km_post_batch out;
        km_post_batch_init(&out);
        char *cursor = NULL;
        struct km_err err;
        int rc = ct_consume(VK, st, cases[i].status, cases[i].body, cases[i].headers, &out, &cursor,
                            &err);
        if (rc != cases[i].rc || !ct_starts(err.msg, cases[i].err)) {
            fail_msg("case %zu: rc %d, err '%s'", i, rc, err.msg);
        }
        assert_null(strstr(err.msg, VK_TOKEN));
        assert_int_equal(out.retry_after_ms, cases[i].retry_after_ms);
        assert_int_equal(out.n, 0);
        assert_false(out.more);
        assert_null(cursor);
        km_post_batch_free(&out);
        VK->destroy(st);
    }
}

static void test_consume_cases(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        size_t n_posts;
        unsigned skipped;
        const char *err;
        const char *text;
        const char *tags[3];
    } cases[] = {
        {"vk/search_empty.json", 0, 0, "", NULL, {NULL}},
        /* No id, not an object, id as a string: skipped; the good one keeps unknown counts
         * at -1, ignores out-of-range geo and photos without sizes. */
        {"vk/malformed_items.json",
         1,
         3,
         "vk/city109: item #0: no owner_id or id",
         "fine #Астана",
         {"астана", NULL}},
        {"vk/bad_utf8.json",
         1,
         0,
         "",
         "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd( Астана #Астана",
         {"астана", NULL}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        void *st = ct_create(VK, vk_kv);
        struct km_post_batch out;
        km_post_batch_init(&out);
        char *cursor = NULL;
        struct km_err err;
        assert_int_equal(ct_consume(VK, st, 200, cases[i].body, NULL, &out, &cursor, &err), KM_OK);
        assert_int_equal(out.n, cases[i].n_posts);
        assert_int_equal(out.skipped, cases[i].skipped);
        assert_string_equal(err.msg, cases[i].err);
        assert_non_null(cursor);
        if (out.n > 0) {
            const struct km_post *p = out.posts[0];
            ct_assert_str(p->text, cases[i].text);
            ct_assert_tags(p, cases[i].tags);
            assert_int_equal(p->engagement.likes, -1);
            assert_false(p->has_geo);
            assert_int_equal(p->n_media, 0);
        }
        free(cursor);
        km_post_batch_free(&out);
        VK->destroy(st);
    }
}

/* Mention markup, hashtags beside emoji and Kazakh letters, #tag@community. */
static void test_text(void **state)
{
    (void)state;
    static const struct {
        const char *json_text; /* as it appears in the JSON string */
        const char *text;
        const char *tags[4];
    } cases[] = {
        {"[id1|Павел Дуров] и [club1|ВКонтакте] #Астана",
         "Павел Дуров и ВКонтакте #Астана",
         {"астана", NULL}},
        {"[id123:bp-45_67|Ответ] спасибо #109", "Ответ спасибо #109", {"109", NULL}},
        {"[public555|Паблик], [event9|Субботник] #iKomek",
         "Паблик, Субботник #iKomek",
         {"ikomek", NULL}},
        {"[id|x] [idx1|y] [id1|] [id1 z] [club12|a[b] [https://vk.com/a|b] #Astana [",
         "[id|x] [idx1|y] [id1|] [id1 z] [club12|a[b] [https://vk.com/a|b] #Astana [",
         {"astana", NULL}},
        {"🆘#Астана🙏#қала\\n⚠️#ЖКХ",
         "🆘#Астана🙏#қала\n⚠️#ЖКХ",
         {"астана", "қала", "жкх", NULL}},
        {"#Астана@astana_overheard, #ЖКХ@saryarka",
         "#Астана@astana_overheard, #ЖКХ@saryarka",
         {"астана", "жкх", NULL}},
        {"C#, a#b, https://vk.com/#x, #109!", "C#, a#b, https://vk.com/#x, #109!", {"109", NULL}},
        {"", "", {NULL}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char body[512];
        snprintf(body, sizeof(body),
                 "={\"response\":{\"items\":[{\"id\":7,\"owner_id\":9,\"from_id\":9,\"date\":1,"
                 "\"text\":\"%s\"}],\"profiles\":[],\"groups\":[]}}",
                 cases[i].json_text);
        void *st = ct_create(VK, vk_kv);
        struct km_post_batch out;
        km_post_batch_init(&out);
        char *cursor = NULL;
        struct km_err err;
        assert_int_equal(ct_consume(VK, st, 200, body, NULL, &out, &cursor, &err), KM_OK);
        assert_int_equal(out.n, 1);
        ct_assert_str(out.posts[0]->text, cases[i].text);
        ct_assert_tags(out.posts[0], cases[i].tags);
        ct_assert_str(out.posts[0]->author.id, "9");
        ct_assert_str(out.posts[0]->author.name, NULL); /* not in profiles */
        free(cursor);
        km_post_batch_free(&out);
        VK->destroy(st);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),           cmocka_unit_test(test_create_errors),
        cmocka_unit_test(test_next_request),   cmocka_unit_test(test_consume_page),
        cmocka_unit_test(test_cursor_flow),    cmocka_unit_test(test_paging_ends),
        cmocka_unit_test(test_consume_errors), cmocka_unit_test(test_consume_cases),
        cmocka_unit_test(test_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
