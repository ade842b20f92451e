/* Unit tests for collectors/x.c: config checks, the recent-search request, the since_id /
 * next_token walk kept in the cursor, and consume() on recorded API v2 answers (no
 * network). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collectors/collector.h"
#include "test/unit/collectors_test.h"

extern const struct km_collector km_collector_x;
#define XC (&km_collector_x)

static const char *const x_kv[] = {"type", "x",          "token", "AAAA%2Fbearer",
                                   "tags", "Астана,109", NULL};

/* The query parameters every request carries after query and max_results. */
#define X_FIELDS_Q                                                                                 \
    "&tweet.fields=created_at,author_id,public_metrics,entities,referenced_tweets,lang,"           \
    "conversation_id,geo,attachments"                                                              \
    "&expansions=author_id,referenced_tweets.id,attachments.media_keys"                            \
    "&user.fields=username,name&media.fields=url,preview_image_url,type"

/* "#Астана OR #109" percent-encoded. */
#define X_Q_ASTANA_109 "%23%D0%90%D1%81%D1%82%D0%B0%D0%BD%D0%B0%20OR%20%23109"

static void test_keys(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *def;
        unsigned flags;
        long long min, max;
    } want[] = {
        {"url", "https://api.x.com", 0, 0, 0},
        {"token", NULL, KM_CONF_REQUIRED | KM_CONF_SECRET, 0, 0},
        {"tags", NULL, KM_CONF_REQUIRED, 0, 0},
        {"max_results", "100", 0, 10, 100},
    };
    size_t n = 0;
    for (const struct km_conf_key *k = XC->keys; k->name != NULL; k++, n++) {
        assert_true(n < sizeof(want) / sizeof(want[0]));
        assert_string_equal(k->name, want[n].name);
        ct_assert_str(k->def, want[n].def);
        assert_int_equal(k->flags, want[n].flags);
        assert_int_equal(k->min, want[n].min);
        assert_int_equal(k->max, want[n].max);
        assert_non_null(k->help);
    }
    assert_int_equal(n, sizeof(want) / sizeof(want[0]));
    assert_string_equal(XC->name, "x");
}

static void test_create_errors(void **state)
{
    (void)state;
    /* 52 tags of 10 letters: "#ааааааааааа" x 52 + " OR " x 51 = 776 characters (but
     * 1296 bytes: X counts characters). */
    static char many[52 * 21];
    many[0] = '\0';
    for (size_t i = 0; i < 52; i++) {
        strcat(many, i > 0 ? ",аааааааааа" : "аааааааааа");
    }
    static const struct {
        const char *url, *token, *tags;
        const char *msg;
    } cases[] = {
        {"api.x.com", "t", "a", "komek.conf:2: x/city109: url must use https://"},
        {"http://api.x.com", "t", "a", "komek.conf:2: x/city109: url must use https://"},
        {"http://127.0.0.1@evil.example/", "t", "a", "komek.conf:2: x/city109: url must use"},
        {"http://127.0.0.1.evil.example/", "t", "a", "komek.conf:2: x/city109: url must use"},
        {"http://128.0.0.1/", "t", "a", "komek.conf:2: x/city109: url must use"},
        {"http://+127.0.0.1/", "t", "a", "komek.conf:2: x/city109: url must use"},
        {NULL, "two words", "a", "komek.conf:3: x/city109: token must be the app's bearer"},
        {NULL, "bad\r\nX-Evil: 1", "a", "komek.conf:3: x/city109: token must be"},
        {NULL, "", "a", "komek.conf:3: x/city109: token must be"},
        {NULL, "t", "a, ,b", "komek.conf:4: x/city109: tags: empty tag ' '"},
        {NULL, "t", "a,", "komek.conf:4: x/city109: tags: empty tag"},
        {NULL, "t", "#", "komek.conf:4: x/city109: tags: empty tag '#'"},
        {NULL, "t", "a b", "komek.conf:4: x/city109: tags: invalid tag 'a b' (letters"},
        {NULL, "t", "a,x) OR (y", "komek.conf:4: x/city109: tags: invalid tag 'x) OR (y'"},
        {NULL, "t", many,
         "komek.conf:4: x/city109: tags: the query is 776 characters, X accepts "
         "512"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *kv[] = {"url",   cases[i].url != NULL ? cases[i].url : "https://api.x.com",
                            "token", cases[i].token,
                            "tags",  cases[i].tags,
                            NULL};
        struct ct_section s;
        ct_section_init(&s, XC, kv);
        void *st = (void *)&s;
        struct km_err err = {{0}};
        assert_int_equal(XC->create(&s.sec, &st, &err), KM_EINPUT);
        assert_null(st);
        if (!ct_starts(err.msg, cases[i].msg)) {
            fail_msg("case %zu: '%s'", i, err.msg);
        }
    }
    XC->destroy(NULL);
}

static void test_next_request(void **state)
{
    (void)state;
    static const struct {
        const char *url, *tags, *max_results, *cursor;
        const char *want;
    } cases[] = {
        /* First run: no since_id, the newest page. */
        {NULL, "Астана, #109", NULL, NULL,
         "https://api.x.com/2/tweets/search/recent?query=" X_Q_ASTANA_109
         "&max_results=100" X_FIELDS_Q},
        {"http://127.0.0.1:8080///", " iKomek ", "10", "1862504417254830999",
         "http://127.0.0.1:8080/2/tweets/search/recent?query=%23iKomek&max_results=10" X_FIELDS_Q
         "&since_id=1862504417254830999"},
        {NULL, "iKomek,қала", NULL, "{\"since_id\":\"1862504417254830999\"}",
         "https://api.x.com/2/tweets/search/"
         "recent?query=%23iKomek%20OR%20%23%D2%9B%D0%B0%D0%BB%D0%B0"
         "&max_results=100" X_FIELDS_Q "&since_id=1862504417254830999"},
        /* In a walk: the same since_id, the next older page. */
        {NULL, "iKomek", "50",
         "{\"since_id\":\"100\",\"next_token\":\"b26v89c1+/=\",\"walk_newest\":\"300\"}",
         "https://api.x.com/2/tweets/search/recent?query=%23iKomek&max_results=50" X_FIELDS_Q
         "&since_id=100&pagination_token=b26v89c1%2B%2F%3D"},
        /* Broken cursors start over with the newest page. */
        {NULL, "iKomek", NULL, "garbage&x=1",
         "https://api.x.com/2/tweets/search/recent?query=%23iKomek&max_results=100" X_FIELDS_Q},
        {NULL, "iKomek", NULL, "{\"since_id\":\"1&x=2\",\"next_token\":\"t\"}",
         "https://api.x.com/2/tweets/search/recent?query=%23iKomek&max_results=100" X_FIELDS_Q},
        {"http://localhost:9/", "iKomek", NULL, NULL,
         "http://localhost:9/2/tweets/search/recent?query=%23iKomek&max_results=100" X_FIELDS_Q},
        {"http://[::1]:9", "iKomek", NULL, NULL,
         "http://[::1]:9/2/tweets/search/recent?query=%23iKomek&max_results=100" X_FIELDS_Q},
        {NULL, "iKomek", NULL, "{}",
         "https://api.x.com/2/tweets/search/recent?query=%23iKomek&max_results=100" X_FIELDS_Q},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *kv[12] = {"token", "AAAA%2Fbearer", "tags", cases[i].tags};
        size_t n = 4;
        if (cases[i].url != NULL) {
            kv[n++] = "url";
            kv[n++] = cases[i].url;
        }
        if (cases[i].max_results != NULL) {
            kv[n++] = "max_results";
            kv[n++] = cases[i].max_results;
        }
        void *st = ct_create(XC, kv);
        struct km_request req = {0};
        assert_int_equal(XC->next_request(st, cases[i].cursor, &req), KM_OK);
        assert_int_equal(req.method, KM_HTTP_GET);
        if (strcmp(req.url, cases[i].want) != 0) {
            fail_msg("case %zu:\n got  %s\n want %s", i, req.url, cases[i].want);
        }
        assert_null(req.body);
        assert_int_equal(req.n_headers, 1);
        assert_string_equal(req.headers[0], "Authorization: Bearer AAAA%2Fbearer");
        km_request_clear(&req);
        XC->destroy(st);
    }
}

struct x_want {
    const char *id, *url, *author_id, *author_name, *author_handle, *text, *lang, *reply_to;
    int64_t created_at;
    int64_t likes, reposts, replies, views;
    const char *tags[5];
    const char *media[2];
    bool has_geo;
    double lat, lon;
};

static const struct x_want x_posts[] = {
    /* A reply; #iKomek from the entities, "№ 109-4711" is no hashtag. */
    {"1862504417254830999",
     "https://x.com/astana109/status/1862504417254830999",
     "3301234567",
     "Astana 109",
     "astana109",
     "@aigul_astana Здравствуйте! Заявка № 109-4711 передана в ГКП «Астана Су Арнасы» #iKomek",
     "ru",
     "1862504417254830080",
     1795372812000LL,
     2,
     0,
     0,
     87,
     {"ikomek", NULL},
     {NULL},
     false,
     0,
     0},
    /* Escaped & < > decoded; the emoji before #Астана is one code point; #109 has no entity
     * (no letter) and comes from the text; photo and a GeoJSON point [lon, lat]. */
    {"1862504417254830080",
     "https://x.com/aigul_astana/status/1862504417254830080",
     "1467891234",
     "Айгуль 🌷",
     "aigul_astana",
     "Кенесары 40: нет горячей воды 3-й день 😡 #Астана #ЖКХ & #109 <срочно>",
     "ru",
     NULL,
     1795372798000LL,
     12,
     5,
     3,
     1543,
     {"астана", "жкх", "109", NULL},
     {"https://pbs.twimg.com/media/GdK3nQbWAAA1x2y.jpg", NULL},
     true,
     51.1282,
     71.4304},
    /* A quote by an author missing from includes.users; lang "und" is no language; the
     * video's preview image. */
    {"1862504100000000004",
     "https://x.com/i/web/status/1862504100000000004",
     "1600000000000000001",
     NULL,
     NULL,
     "Ещё одна яма на Туран 🕳️ #Astana #дороги https://t.co/Qz3kLm9PwX",
     NULL,
     "1862400000000000005",
     1795372720000LL,
     0,
     0,
     0,
     12,
     {"astana", "дороги", NULL},
     {"https://pbs.twimg.com/ext_tw_video_thumb/1862504099000000000/pu/img/Zq8mNp2Lk4Rt7Vx1.jpg",
      NULL},
     false,
     0,
     0},
    /* A cut-short retweet: its own id, author and time, the original's full text after
     * "RT @user: ", its tags (not the partial "#қа…" entity) and counts. */
    {"1862504000000000001",
     "https://x.com/marat_kz/status/1862504000000000001",
     "1502233445",
     "Марат",
     "marat_kz",
     "RT @aigul_astana: Әкімдік жолды жөндеді 👷‍♂️#Астана #жол, бірақ "
     "Сарыарқа "
     "даңғылындағы "
     "шұңқырлар әлі тұр. Кім жауап береді? #қала #iKomek",
     "kk",
     "1862500000000000002",
     1795372625000LL,
     40,
     7,
     2,
     3100,
     {"астана", "жол", "қала", "ikomek", NULL},
     {NULL},
     false,
     0,
     0},
};

static void x_check_post(const struct km_post *p, const struct x_want *w)
{
    ct_assert_str(p->network, "x");
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
    assert_int_equal(p->engagement.views, w->views);
    ct_assert_tags(p, w->tags);
    ct_assert_media(p, w->media);
    assert_int_equal(p->has_geo, w->has_geo);
    if (w->has_geo) {
        assert_true(p->lat == w->lat && p->lon == w->lon);
    }
    assert_false(p->edited);
}

/* next_request() with cursor (it keeps the walk state), then consume() of the answer. */
static int x_exchange(void *st, const char *cursor, long status, const char *body,
                      const char *const *headers, struct km_post_batch *out, char **next,
                      struct km_err *err)
{
    struct km_request req = {0};
    assert_int_equal(XC->next_request(st, cursor, &req), KM_OK);
    km_request_clear(&req);
    return ct_consume(XC, st, status, body, headers, out, next, err);
}

static void test_consume_page(void **state)
{
    (void)state;
    void *st = ct_create(XC, x_kv);
    struct km_post_batch out;
    km_post_batch_init(&out);
    char *cursor = NULL;
    struct km_err err;
    static const char *const headers[] = {
        "x-rate-limit-limit", "450", "x-rate-limit-remaining", "449", "x-rate-limit-reset",
        "1795373100",         NULL};
    assert_int_equal(x_exchange(st, NULL, 200, "x/search_page.json", headers, &out, &cursor, &err),
                     KM_OK);
    assert_int_equal(out.n, sizeof(x_posts) / sizeof(x_posts[0]));
    for (size_t i = 0; i < out.n; i++) {
        x_check_post(out.posts[i], &x_posts[i]);
    }
    /* First run: the newest page only, although it points to older ones; then poll
     * forward from its newest tweet. The partial "Not Found Error" is not a failure. */
    assert_string_equal(cursor, "{\"since_id\":\"1862504417254830999\"}");
    assert_false(out.more);
    assert_int_equal(out.skipped, 0);
    assert_string_equal(err.msg, "");
    assert_int_equal(out.retry_after_ms, 0);
    free(cursor);
    km_post_batch_free(&out);
    XC->destroy(st);
}

/* Literal answers for the walk: a page with a newest id and maybe a next_token. */
#define X_PAGE(ids_json, newest, token)                                                            \
    "={\"data\":" ids_json ",\"meta\":{\"newest_id\":\"" newest "\",\"result_count\":1" token "}}"
#define X_ONE(id) "[{\"id\":\"" id "\",\"text\":\"#Астана\",\"author_id\":\"1\"}]"

static void test_cursor_walk(void **state)
{
    (void)state;
    static const struct {
        const char *cursor, *body, *want;
        bool more;
        size_t n;
    } cases[] = {
        /* First run, empty: keep the (absent) cursor. */
        {NULL, "x/empty.json", NULL, false, 0},
        /* Polling, nothing new: no change. */
        {"{\"since_id\":\"100\"}", "x/empty.json", NULL, false, 0},
        /* Polling, one page: since_id advances at once. */
        {"{\"since_id\":\"100\"}", X_PAGE(X_ONE("300"), "300", ""), "{\"since_id\":\"300\"}", false,
         1},
        /* Polling, more than a page new: walk back, keep since_id, remember the newest. */
        {"{\"since_id\":\"100\"}", X_PAGE(X_ONE("300"), "300", ",\"next_token\":\"T1\""),
         "{\"since_id\":\"100\",\"next_token\":\"T1\",\"walk_newest\":\"300\"}", true, 1},
        /* In the walk: an older page with yet another token. */
        {"{\"since_id\":\"100\",\"next_token\":\"T1\",\"walk_newest\":\"300\"}",
         X_PAGE(X_ONE("200"), "200", ",\"next_token\":\"T2\""),
         "{\"since_id\":\"100\",\"next_token\":\"T2\",\"walk_newest\":\"300\"}", true, 1},
        /* The last page of the walk: since_id jumps to the newest of the whole walk. */
        {"{\"since_id\":\"100\",\"next_token\":\"T2\",\"walk_newest\":\"300\"}",
         X_PAGE(X_ONE("150"), "150", ""), "{\"since_id\":\"300\"}", false, 1},
        {"{\"since_id\":\"100\",\"next_token\":\"T2\",\"walk_newest\":\"300\"}", "x/empty.json",
         "{\"since_id\":\"300\"}", false, 0},
        /* Ids compare by length: 1000 is newer than 999. */
        {"{\"since_id\":\"998\",\"next_token\":\"T\",\"walk_newest\":\"999\"}",
         X_PAGE(X_ONE("1000"), "1000", ""), "{\"since_id\":\"1000\"}", false, 1},
        /* A bare id is a since_id (cursor written by hand). */
        {"100", X_PAGE(X_ONE("300"), "300", ""), "{\"since_id\":\"300\"}", false, 1},
        /* No meta.newest_id: the highest id of the page. */
        {"{\"since_id\":\"100\"}",
         "={\"data\":[{\"id\":\"120\",\"text\":\"a\"},{\"id\":\"130\","
         "\"text\":\"b\"}],\"meta\":{\"result_count\":2}}",
         "{\"since_id\":\"130\"}", false, 2},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        void *st = ct_create(XC, x_kv);
        struct km_post_batch out;
        km_post_batch_init(&out);
        char *cursor = NULL;
        struct km_err err;
        int rc = x_exchange(st, cases[i].cursor, 200, cases[i].body, NULL, &out, &cursor, &err);
        if (rc != KM_OK) {
            fail_msg("case %zu: rc %d '%s'", i, rc, err.msg);
        }
        if ((cursor == NULL) != (cases[i].want == NULL) ||
            (cursor != NULL && strcmp(cursor, cases[i].want) != 0)) {
            fail_msg("case %zu: cursor %s, want %s", i, cursor ? cursor : "NULL",
                     cases[i].want ? cases[i].want : "NULL");
        }
        assert_int_equal(out.more, cases[i].more);
        assert_int_equal(out.n, cases[i].n);
        free(cursor);
        km_post_batch_free(&out);
        XC->destroy(st);
    }
}

static void test_consume_cases(void **state)
{
    (void)state;
    static const char *const last_call[] = {"x-rate-limit-remaining", "0", "x-rate-limit-reset",
                                            "1795373100", NULL};
    static const char *const last_no_reset[] = {"x-rate-limit-remaining", "0", NULL};
    static const struct {
        const char *body;
        const char *const *headers;
        size_t n_posts;
        unsigned skipped;
        const char *err;
        const char *cursor;
        int64_t retry_after_ms;
    } cases[] = {
        {"x/empty.json", NULL, 0, 0, "", NULL, 0},
        /* Three bad tweets skipped, the first reason kept; the one of an unknown author is
         * kept with a generic link. */
        {"x/malformed_tweets.json", NULL, 2, 3, "x/city109: tweet #1: no valid id",
         "{\"since_id\":\"1862504417254830500\"}", 0},
        /* The last request of the window: posts delivered, the runtime waits for the reset. */
        {"x/search_page.json", last_call, 4, 0, "", "{\"since_id\":\"1862504417254830999\"}",
         239000},
        {"x/search_page.json", last_no_reset, 4, 0, "", "{\"since_id\":\"1862504417254830999\"}",
         0},
        /* Invalid UTF-8 is repaired, not a reason to drop the page. */
        {"x/invalid_utf8.json", NULL, 4, 0, "", "{\"since_id\":\"1862504417254830999\"}", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        void *st = ct_create(XC, x_kv);
        struct km_post_batch out;
        km_post_batch_init(&out);
        char *cursor = NULL;
        struct km_err err;
        int rc = x_exchange(st, NULL, 200, cases[i].body, cases[i].headers, &out, &cursor, &err);
        if (rc != KM_OK || !ct_starts(err.msg, cases[i].err)) {
            fail_msg("case %zu: rc %d, err '%s'", i, rc, err.msg);
        }
        assert_int_equal(out.n, cases[i].n_posts);
        assert_int_equal(out.skipped, cases[i].skipped);
        ct_assert_str(cursor, cases[i].cursor);
        assert_int_equal(out.retry_after_ms, cases[i].retry_after_ms);
        if (i == 1) {
            ct_assert_str(out.posts[1]->url, "https://x.com/i/web/status/1862504417254830300");
            ct_assert_str(out.posts[1]->author.id, "999");
            static const char *const tags[] = {"109", NULL};
            ct_assert_tags(out.posts[1], tags);
        }
        if (i == 4) {
            assert_true(
                ct_starts(out.posts[0]->text, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd(@aigul"));
            static const char *const tags[] = {"ikomek", NULL}; /* from the tag field */
            ct_assert_tags(out.posts[0], tags);
        }
        free(cursor);
        km_post_batch_free(&out);
        XC->destroy(st);
    }
}

static void test_consume_errors(void **state)
{
    (void)state;
    static const char *const reset[] = {
        "x-rate-limit-limit", "450", "x-rate-limit-remaining", "0", "x-rate-limit-reset",
        "1795373100",         NULL};
    static const char *const reset_past[] = {"x-rate-limit-reset", "1795372800", NULL};
    static const char *const reset_far[] = {"x-rate-limit-reset", "4102444800", NULL};
    static const char *const retry_after[] = {"Retry-After", "120", NULL};
    static const char *const bad_reset[] = {"x-rate-limit-reset", "soon", "Retry-After", "3", NULL};
    static const struct {
        long status;
        const char *body;
        const char *const *headers;
        int rc;
        const char *err;
        int64_t retry_after_ms;
    } cases[] = {
        {429, "x/error_429.json", reset, KM_RETRY,
         "x/city109: HTTP 429: rate limited (Too Many Requests)", 239000},
        {429, "x/error_429_v1.json", reset, KM_RETRY,
         "x/city109: HTTP 429: rate limited (Rate limit exceeded)", 239000},
        {429, "x/error_429_cap.json", reset_far, KM_RETRY,
         "x/city109: HTTP 429: rate limited (UsageCapExceeded: Usage cap exceeded: Monthly "
         "product cap)",
         86400000},
        {429, "x/error_429.json", reset_past, KM_RETRY, "x/city109: HTTP 429", 0},
        {429, "x/error_429.json", retry_after, KM_RETRY, "x/city109: HTTP 429", 120000},
        {429, "x/garbage.html", bad_reset, KM_RETRY, "x/city109: HTTP 429: rate limited", 3000},
        {429, NULL, NULL, KM_RETRY, "x/city109: HTTP 429: rate limited", 0},
        {401, "x/error_401.json", NULL, KM_ERR,
         "x/city109: HTTP 401: bearer token rejected (Unauthorized)", 0},
        {403, "x/error_403.json", NULL, KM_ERR,
         "x/city109: HTTP 403: the app is not entitled to recent search (check its project and "
         "access tier) (Client Forbidden: client-not-enrolled; needs Appropriate Level of API "
         "Access)",
         0},
        {400, "x/error_400_query.json", NULL, KM_ERR,
         "x/city109: HTTP 400: request refused (There were errors processing your request: "
         "Missing closing parenthesis (at position 17))",
         0},
        /* A since_id refusal on a first run cannot be about the cursor. */
        {400, "x/error_400_since_id.json", NULL, KM_ERR,
         "x/city109: HTTP 400: request refused ('since_id' must be", 0},
        {404, "x/garbage.html", NULL, KM_RETRY,
         "x/city109: HTTP 404: no recent search at url; retrying in 10 min", 600000},
        {503, "x/error_503.json", retry_after, KM_RETRY,
         "x/city109: HTTP 503 (Service Unavailable)", 120000},
        {500, "x/garbage.html", NULL, KM_RETRY, "x/city109: HTTP 500", 0},
        {502, "x/garbage.html", NULL, KM_RETRY, "x/city109: HTTP 502", 0},
        {200, "x/garbage.html", NULL, KM_EINPUT, "x/city109: offset 0", 0},
        {200, "x/truncated.json", NULL, KM_EINPUT, "x/city109: offset ", 0},
        {200, NULL, NULL, KM_EINPUT, "x/city109: empty body", 0},
        {200, "=[1,2]", NULL, KM_EINPUT, "x/city109: response is not a search result", 0},
        {200, "x/error_401.json", NULL, KM_EINPUT, "x/city109: response is not a search result", 0},
        {200, "={\"data\":{\"id\":\"1\"}}", NULL, KM_EINPUT,
         "x/city109: response is not a search result", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        void *st = ct_create(XC, x_kv);
        struct km_post_batch out;
        km_post_batch_init(&out);
        char *cursor = NULL;
        struct km_err err;
        int rc = x_exchange(st, NULL, cases[i].status, cases[i].body, cases[i].headers, &out,
                            &cursor, &err);
        if (rc != cases[i].rc || !ct_starts(err.msg, cases[i].err)) {
            fail_msg("case %zu: rc %d, err '%s'", i, rc, err.msg);
        }
        assert_int_equal(out.retry_after_ms, cases[i].retry_after_ms);
        assert_int_equal(out.n, 0);
        assert_false(out.more);
        assert_null(cursor);
        km_post_batch_free(&out);
        XC->destroy(st);
    }
}

/* A 400 about the cursor is recovered from instead of stopping the source. */
static void test_consume_recover(void **state)
{
    (void)state;
    static const struct {
        const char *cursor, *body;
        const char *want;
    } cases[] = {
        /* since_id older than 7 days: go on from the oldest id X accepts. */
        {"{\"since_id\":\"1860000000000000000\"}", "x/error_400_since_id.json",
         "{\"since_id\":\"1857403981236224000\"}"},
        {"{\"since_id\":\"1860000000000000000\",\"next_token\":\"T\",\"walk_newest\":\"1\"}",
         "x/error_400_since_id.json", "{\"since_id\":\"1857403981236224000\"}"},
        /* ... and if the message does not say which: start over with the newest page. */
        {"{\"since_id\":\"5\"}",
         "={\"errors\":[{\"parameters\":{\"since_id\":[\"5\"]},\"message\":\"too old\"}],"
         "\"title\":\"Invalid Request\"}",
         "{}"},
        /* An invalid pagination_token: walk again from the newest page. */
        {"{\"since_id\":\"100\",\"next_token\":\"b26v89c19zqg8o3fr5qgqwc7b7pg6g2adijgq0dbgt6h9\","
         "\"walk_newest\":\"300\"}",
         "x/error_400_token.json", "{\"since_id\":\"100\"}"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        void *st = ct_create(XC, x_kv);
        struct km_post_batch out;
        km_post_batch_init(&out);
        char *cursor = NULL;
        struct km_err err;
        int rc = x_exchange(st, cases[i].cursor, 400, cases[i].body, NULL, &out, &cursor, &err);
        if (rc != KM_OK) {
            fail_msg("case %zu: rc %d '%s'", i, rc, err.msg);
        }
        ct_assert_str(cursor, cases[i].want);
        assert_true(out.more);
        assert_int_equal(out.n, 0);
        free(cursor);
        km_post_batch_free(&out);
        XC->destroy(st);
    }
    /* Without a walk, a refused pagination_token is a plain error. */
    void *st = ct_create(XC, x_kv);
    struct km_post_batch out;
    km_post_batch_init(&out);
    char *cursor = NULL;
    struct km_err err;
    assert_int_equal(x_exchange(st, "{\"since_id\":\"100\"}", 400, "x/error_400_token.json", NULL,
                                &out, &cursor, &err),
                     KM_ERR);
    assert_true(ct_starts(err.msg, "x/city109: HTTP 400: request refused (The `pagination_token`"));
    assert_null(cursor);
    km_post_batch_free(&out);
    XC->destroy(st);
}

/* Text and hashtag details on one-tweet pages. */
static void test_text_and_tags(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        const char *text;
        const char *tags[4];
    } cases[] = {
        /* No tag field: the text at start/end (code points; 🇰🇿 is two) is the tag. */
        {"={\"data\":[{\"id\":\"1\",\"text\":\"🇰🇿#Қала\",\"entities\":{\"hashtags\":[{\"start\":2,"
         "\"end\":7}]}}],\"meta\":{\"result_count\":1}}",
         "🇰🇿#Қала",
         {"қала", NULL}},
        /* Offsets that do not fit: the tag field still counts, nothing else. */
        {"={\"data\":[{\"id\":\"1\",\"text\":\"a &amp; "
         "#b\",\"entities\":{\"hashtags\":[{\"start\":40,"
         "\"end\":42,\"tag\":\"b\"},{\"start\":0,\"end\":1}]}}],\"meta\":{\"result_count\":1}}",
         "a & #b",
         {"b", NULL}},
        /* Escaping undone in one pass: "&amp;lt;" is the text "&lt;", "&#39;" stays. */
        {"={\"data\":[{\"id\":\"1\",\"text\":\"&amp;lt; &lt;b&gt; &#39;#x\"}],\"meta\":{}}",
         "&lt; <b> &#39;#x",
         {"x", NULL}},
        /* A cut retweet without its original: the partial tag before "…" is left out, in the
         * entities and in the text. */
        {"={\"data\":[{\"id\":\"2\",\"text\":\"RT @a: #Астана су жоқ #қа…\",\"referenced_tweets\":["
         "{\"type\":\"retweeted\",\"id\":\"1\"}],\"entities\":{\"hashtags\":[{\"start\":7,"
         "\"end\":14,\"tag\":\"Астана\"},{\"start\":22,\"end\":25,\"tag\":\"қа\"}]}}],"
         "\"meta\":{}}",
         "RT @a: #Астана су жоқ #қа…",
         {"астана", NULL}},
        /* ... also when the entity has only its offsets. */
        {"={\"data\":[{\"id\":\"2\",\"text\":\"RT @a: #Астана су жоқ #қа…\",\"entities\":{"
         "\"hashtags\":[{\"start\":7,\"end\":14},{\"start\":22,\"end\":25}]}}],\"meta\":{}}",
         "RT @a: #Астана су жоқ #қа…",
         {"астана", NULL}},
        /* A retweet that is not cut keeps its own text. */
        {"={\"data\":[{\"id\":\"2\",\"text\":\"RT @a: #109 ok\",\"referenced_tweets\":[{\"type\":"
         "\"retweeted\",\"id\":\"1\"}]}],\"includes\":{\"tweets\":[{\"id\":\"1\",\"text\":"
         "\"other\"}]},\"meta\":{}}",
         "RT @a: #109 ok",
         {"109", NULL}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        void *st = ct_create(XC, x_kv);
        struct km_post_batch out;
        km_post_batch_init(&out);
        char *cursor = NULL;
        struct km_err err;
        int rc = x_exchange(st, NULL, 200, cases[i].body, NULL, &out, &cursor, &err);
        if (rc != KM_OK || out.n != 1) {
            fail_msg("case %zu: rc %d, %zu posts, '%s'", i, rc, out.n, err.msg);
        }
        ct_assert_str(out.posts[0]->text, cases[i].text);
        ct_assert_tags(out.posts[0], cases[i].tags);
        free(cursor);
        km_post_batch_free(&out);
        XC->destroy(st);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),           cmocka_unit_test(test_create_errors),
        cmocka_unit_test(test_next_request),   cmocka_unit_test(test_consume_page),
        cmocka_unit_test(test_cursor_walk),    cmocka_unit_test(test_consume_cases),
        cmocka_unit_test(test_consume_errors), cmocka_unit_test(test_consume_recover),
        cmocka_unit_test(test_text_and_tags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
