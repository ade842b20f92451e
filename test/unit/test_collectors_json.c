/* Unit tests for collectors/json_api.c (type = json): config checks with located errors,
 * request URLs for both cursor forms, and consume() on portal-style payloads (no network). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collectors/collector.h"
#include "test/unit/collectors_test.h"

extern const struct km_collector km_collector_json;
#define JS (&km_collector_json)

/* The sections used by most tests: the reports endpoint (cursor in the body) and the feed
 * endpoint (Link header). */
static const char *const js_reports[] = {
    "type",   "json",        "url",        "https://portal.example.kz/api/reports?lang=ru",
    "items",  "/data/items", "id",         "/report_id",
    "text",   "/body",       "created_at", "/ts",
    "author", "/user/name",  "url_field",  "/link",
    "cursor", "/next",       "network",    "eotinish",
    NULL};
static const char *const js_feed[] = {
    "type",       "json",     "url",    "https://city.example.kz/api/feed",
    "id",         "/id",      "text",   "/text",
    "created_at", "/created", "author", "/author/login",
    "url_field",  "/url",     "tags",   "/tags",
    "cursor",     "link",     NULL};

static void test_keys(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *def;
        unsigned flags;
    } want[] = {
        {"url", NULL, KM_CONF_REQUIRED},
        {"token", NULL, KM_CONF_SECRET},
        {"header", NULL, 0},
        {"items", "", 0},
        {"id", NULL, KM_CONF_REQUIRED},
        {"text", NULL, KM_CONF_REQUIRED},
        {"created_at", NULL, 0},
        {"author", NULL, 0},
        {"url_field", NULL, 0},
        {"tags", NULL, 0},
        {"cursor", NULL, 0},
        {"cursor_param", "cursor", 0},
        {"network", "json", 0},
    };
    size_t n = 0;
    for (const struct km_conf_key *k = JS->keys; k->name != NULL; k++, n++) {
        assert_true(n < sizeof(want) / sizeof(want[0]));
        assert_string_equal(k->name, want[n].name);
        ct_assert_str(k->def, want[n].def);
        assert_int_equal(k->flags, want[n].flags);
        assert_int_equal(k->type, KM_CONF_STR);
        assert_non_null(k->help);
    }
    assert_int_equal(n, sizeof(want) / sizeof(want[0]));
    assert_string_equal(JS->name, "json");
}

static void test_create_errors(void **state)
{
    (void)state;
    /* key, value (replacing or adding to a minimal valid section), expected message */
    static const struct {
        const char *key, *value;
        const char *msg;
    } cases[] = {
        {"id", "report_id",
         "komek.conf:4: json/city109: id: 'report_id' is not a JSON Pointer (RFC 6901)"},
        {"text", "/body/~2", "komek.conf:5: json/city109: text: '/body/~2' is not a JSON Pointer"},
        {"items", "data/items", "komek.conf:6: json/city109: items: 'data/items' is not a JSON"},
        {"created_at", "/ts~", "komek.conf:6: json/city109: created_at: '/ts~' is not a JSON"},
        {"author", "#/user", "komek.conf:6: json/city109: author: '#/user' is not a JSON"},
        {"url_field", "link", "komek.conf:6: json/city109: url_field: 'link' is not a JSON"},
        {"tags", "~1tags", "komek.conf:6: json/city109: tags: '~1tags' is not a JSON"},
        {"cursor", "next", "komek.conf:6: json/city109: cursor: 'next' is neither \"link\" nor"},
        {"url", "portal.example.kz/api", "komek.conf:3: json/city109: url must be an http://"},
        {"url", "https:///api", "komek.conf:3: json/city109: url must be an http://"},
        {"url", "https://portal.example.kz/a b", "komek.conf:3: json/city109: url must be"},
        {"header", "X-Api-Key abc", "komek.conf:6: json/city109: header must look like"},
        {"header", ": abc", "komek.conf:6: json/city109: header must look like"},
        {"header", "X-Api-Key: a\r\nHost: evil", "komek.conf:6: json/city109: header must look"},
        {"token", "abc def", "komek.conf:6: json/city109: token must not contain spaces"},
        {"network", "City Portal", "komek.conf:6: json/city109: network must be 1-32 of a-z"},
        {"network", "", "komek.conf:6: json/city109: network must be 1-32"},
        {"network", "abcdefghijklmnopqrstuvwxyz0123456", "komek.conf:6: json/city109: network"},
        {"cursor_param", "", "komek.conf:6: json/city109: cursor_param must not be empty"},
        {"id", NULL, "komek.conf:1: json/city109: id is required (a JSON Pointer such as /id)"},
        {"text", NULL, "komek.conf:1: json/city109: text is required"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *kv[16] = {"type", "json", "url",  "https://portal.example.kz/api",
                              "id",   "/id",  "text", "/text"};
        size_t n = 8;
        bool replaced = false;
        for (size_t j = 0; j < n; j += 2) {
            if (strcmp(kv[j], cases[i].key) == 0) {
                kv[j + 1] = cases[i].value;
                replaced = true;
            }
        }
        if (!replaced) {
            kv[n++] = cases[i].key;
            kv[n++] = cases[i].value;
        }
        /* A NULL value removes the pair (the section then lacks the key). */
        for (size_t j = 0; j < n; j += 2) {
            if (kv[j + 1] == NULL) {
                memmove(&kv[j], &kv[j + 2], (n - j - 2) * sizeof(kv[0]));
                n -= 2;
            }
        }
        kv[n] = NULL;
        struct ct_section s;
        ct_section_init(&s, JS, kv);
        void *st = (void *)&s;
        struct km_err err = {{0}};
        assert_int_equal(JS->create(&s.sec, &st, &err), KM_EINPUT);
        assert_null(st);
        if (!ct_starts(err.msg, cases[i].msg)) {
            fail_msg("case %zu: '%s'", i, err.msg);
        }
    }
    JS->destroy(NULL);
}

static void test_next_request(void **state)
{
    (void)state;
    static const struct {
        const char *const *kv;
        const char *cursor;
        const char *url;
    } cases[] = {
        {js_reports, NULL, "https://portal.example.kz/api/reports?lang=ru"},
        {js_reports, "", "https://portal.example.kz/api/reports?lang=ru"},
        {js_reports, "eyJvZmZzZXQiOjN9",
         "https://portal.example.kz/api/reports?lang=ru&cursor="
         "eyJvZmZzZXQiOjN9"},
        {js_reports, "a b&c=d/é",
         "https://portal.example.kz/api/reports?lang=ru&cursor="
         "a%20b%26c%3Dd%2F%C3%A9"},
        {js_feed, NULL, "https://city.example.kz/api/feed"},
        {js_feed, "https://city.example.kz/api/feed?page=2",
         "https://city.example.kz/api/feed?page=2"},
        /* A cursor that points elsewhere (a damaged store) is not followed with the token. */
        {js_feed, "https://evil.example.com/api/feed?page=2", "https://city.example.kz/api/feed"},
        {js_feed, "https://city.example.kz.evil.com/x", "https://city.example.kz/api/feed"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        void *st = ct_create(JS, cases[i].kv);
        struct km_request req = {0};
        assert_int_equal(JS->next_request(st, cases[i].cursor, &req), KM_OK);
        assert_int_equal(req.method, KM_HTTP_GET);
        assert_string_equal(req.url, cases[i].url);
        assert_null(req.body);
        assert_int_equal(req.n_headers, 1);
        assert_string_equal(req.headers[0], "Accept: application/json");
        km_request_clear(&req);
        JS->destroy(st);
    }
    /* token, extra header and a custom cursor parameter */
    static const char *const kv[] = {"type",
                                     "json",
                                     "url",
                                     "http://127.0.0.1:8080/r",
                                     "id",
                                     "/id",
                                     "text",
                                     "/t",
                                     "cursor",
                                     "/meta/next_cursor",
                                     "cursor_param",
                                     "since token",
                                     "token",
                                     "s3cr3t",
                                     "header",
                                     "X-Api-Key: k-42",
                                     NULL};
    void *st = ct_create(JS, kv);
    struct km_request req = {0};
    assert_int_equal(JS->next_request(st, "77", &req), KM_OK);
    assert_string_equal(req.url, "http://127.0.0.1:8080/r?since%20token=77");
    assert_int_equal(req.n_headers, 3);
    assert_string_equal(req.headers[1], "Authorization: Bearer s3cr3t");
    assert_string_equal(req.headers[2], "X-Api-Key: k-42");
    km_request_clear(&req);
    JS->destroy(st);
}

struct js_want {
    const char *id, *url, *author, *text;
    int64_t created_at;
    const char *tags[4];
};

static void js_check_post(const struct km_post *p, const char *network, const struct js_want *w)
{
    ct_assert_str(p->network, network);
    ct_assert_str(p->source, "city109");
    ct_assert_str(p->id, w->id);
    ct_assert_str(p->url, w->url);
    ct_assert_str(p->author.name, w->author);
    ct_assert_str(p->author.id, NULL);
    ct_assert_str(p->author.handle, NULL);
    ct_assert_str(p->text, w->text);
    assert_int_equal(p->created_at, w->created_at);
    assert_int_equal(p->collected_at, CT_NOW_MS);
    assert_int_equal(p->engagement.likes, -1);
    ct_assert_tags(p, w->tags);
    assert_int_equal(p->n_media, 0);
}

static void test_consume_reports(void **state)
{
    (void)state;
    static const struct js_want want[] = {
        {"r-1001",
         "https://portal.example.kz/reports/r-1001",
         "Айгерім",
         "Сарыарқа ауданында су жоқ 🚱#Астана #қала",
         1795372800000LL,
         {"астана", "қала", NULL}},
        {"1002",
         "https://portal.example.kz/reports/1002",
         "Dana",
         "Streetlight out on Kabanbay Batyr 🔦 #Astana #109",
         1795354830000LL,
         {"astana", "109", NULL}},
        {"r-1003",
         NULL,
         NULL,
         "Яма на Туран 24, машины объезжают по встречке!! #акиматАстаны",
         1795372845000LL,
         {"акиматастаны", NULL}},
    };
    void *st = ct_create(JS, js_reports);
    struct km_request req = {0};
    assert_int_equal(JS->next_request(st, "r0", &req), KM_OK);
    km_request_clear(&req);
    struct km_post_batch out;
    km_post_batch_init(&out);
    char *cursor = NULL;
    struct km_err err;
    assert_int_equal(ct_consume(JS, st, 200, "json/reports_page.json", NULL, &out, &cursor, &err),
                     KM_OK);
    assert_int_equal(out.n, 3);
    for (size_t i = 0; i < out.n; i++) {
        js_check_post(out.posts[i], "eotinish", &want[i]);
    }
    assert_string_equal(cursor, "eyJvZmZzZXQiOjN9");
    assert_true(out.more); /* items and a moved cursor: ask for the next page at once */
    assert_int_equal(out.skipped, 0);
    assert_int_equal(out.retry_after_ms, 0);
    assert_string_equal(err.msg, "");
    free(cursor);
    km_post_batch_free(&out);
    JS->destroy(st);
}

static void test_consume_cases(void **state)
{
    (void)state;
    static const struct {
        const char *sent; /* cursor of the request */
        const char *body;
        size_t n_posts;
        unsigned skipped;
        const char *err;
        const char *cursor;
        bool more;
    } cases[] = {
        {"eyJvZmZzZXQiOjN9", "json/reports_empty.json", 0, 0, "", "eyJvZmZzZXQiOjN9", false},
        {"r0", "json/reports_empty.json", 0, 0, "", "eyJvZmZzZXQiOjN9", false},
        {"r0", "json/reports_null.json", 0, 0, "", NULL, false},
        /* the same page again (the portal did not move the cursor): no busy loop */
        {"eyJvZmZzZXQiOjN9", "json/reports_page.json", 3, 0, "", "eyJvZmZzZXQiOjN9", false},
        {"r0", "json/reports_malformed.json", 1, 5, "json/city109: item #0: no id at '/report_id'",
         "n6", true},
        {NULL, "={\"data\":{\"items\":[]},\"next\":17}", 0, 0, "", "17", false},
        {NULL, "={\"data\":{\"items\":[{\"report_id\":1,\"body\":\"x\"}]},\"next\":\"\"}", 1, 0, "",
         NULL, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        void *st = ct_create(JS, js_reports);
        struct km_request req = {0};
        assert_int_equal(JS->next_request(st, cases[i].sent, &req), KM_OK);
        km_request_clear(&req);
        struct km_post_batch out;
        km_post_batch_init(&out);
        char *cursor = NULL;
        struct km_err err;
        assert_int_equal(ct_consume(JS, st, 200, cases[i].body, NULL, &out, &cursor, &err), KM_OK);
        assert_int_equal(out.n, cases[i].n_posts);
        assert_int_equal(out.skipped, cases[i].skipped);
        if (!ct_starts(err.msg, cases[i].err)) {
            fail_msg("case %zu: '%s'", i, err.msg);
        }
        ct_assert_str(cursor, cases[i].cursor);
        assert_int_equal(out.more, cases[i].more);
        free(cursor);
        km_post_batch_free(&out);
        JS->destroy(st);
    }
}

/* The one good item of reports_malformed.json: a negative time is no time, a numeric
 * author is taken as text. */
static void test_consume_malformed_item(void **state)
{
    (void)state;
    void *st = ct_create(JS, js_reports);
    struct km_post_batch out;
    km_post_batch_init(&out);
    char *cursor = NULL;
    struct km_err err;
    assert_int_equal(
        ct_consume(JS, st, 200, "json/reports_malformed.json", NULL, &out, &cursor, &err), KM_OK);
    assert_int_equal(out.n, 1);
    const struct js_want w = {"r-6",           NULL, "12", "Мусор не вывозят неделю #Астана", 0,
                              {"астана", NULL}};
    js_check_post(out.posts[0], "eotinish", &w);
    free(cursor);
    km_post_batch_free(&out);
    JS->destroy(st);
}

static void test_consume_feed(void **state)
{
    (void)state;
    static const struct js_want want[] = {
        {"s014",
         "https://city.example.kz/feed/s014",
         "nurlan_kz",
         "Газ иісі шығып тұр, Жеңіс 45 подъезд 2 #Астана",
         1795372740000LL,
         {"астана", "газ", NULL}},
        /* the tags array wins over the text; non-strings in it are ignored */
        {"s015",
         NULL,
         "anon",
         "No hashtags in the text but tags in the array",
         1795372790500LL,
         {"ikomek", "жкх", NULL}},
        /* no tags array: tags come from the text, also right after an emoji */
        {"s016",
         NULL,
         NULL,
         "Tags array missing here #Astana 🌨️#снег",
         0,
         {"astana", "снег", NULL}},
    };
    static const char *const link[] = {"Link",
                                       "<https://city.example.kz/api/feed?page=2>; rel=\"next\", "
                                       "<https://city.example.kz/api/feed?page=9>; rel=\"last\"",
                                       NULL};
    void *st = ct_create(JS, js_feed);
    struct km_post_batch out;
    km_post_batch_init(&out);
    char *cursor = NULL;
    struct km_err err;
    assert_int_equal(ct_consume(JS, st, 200, "json/feed_page.json", link, &out, &cursor, &err),
                     KM_OK);
    assert_int_equal(out.n, 3);
    for (size_t i = 0; i < out.n; i++) {
        js_check_post(out.posts[i], "json", &want[i]);
    }
    assert_string_equal(cursor, "https://city.example.kz/api/feed?page=2");
    assert_true(out.more);
    free(cursor);
    km_post_batch_free(&out);
    JS->destroy(st);
}

static void test_consume_link(void **state)
{
    (void)state;
    static const struct {
        const char *sent;
        const char *link; /* NULL: no Link header */
        const char *cursor;
        bool more;
    } cases[] = {
        {NULL, NULL, NULL, false},
        {NULL, "<https://city.example.kz/api/feed?page=2>; rel=\"next\"",
         "https://city.example.kz/api/feed?page=2", true},
        {NULL, "<https://city.example.kz/api/feed?page=2>; rel=next",
         "https://city.example.kz/api/feed?page=2", true},
        {NULL,
         "<https://city.example.kz/api/feed?page=1>; rel=\"prev first\", "
         "</api/feed?page=3>; REL=\"Next Last\"",
         "https://city.example.kz/api/feed?page=3", true},
        {NULL, "<?page=4>;rel=\"next\"", "https://city.example.kz/api/feed?page=4", true},
        {NULL, "<https://city.example.kz/api/feed?page=1>; rel=\"prev\"", NULL, false},
        {NULL, "<https://city.example.kz/api/feed?page=1>; title=\"nextpage\"; rel=\"prefetch\"",
         NULL, false},
        /* other hosts, schemes and protocol-relative links are not followed */
        {NULL, "<https://evil.example.com/api/feed?page=2>; rel=\"next\"", NULL, false},
        {NULL, "<http://city.example.kz/api/feed?page=2>; rel=\"next\"", NULL, false},
        {NULL, "<//evil.example.com/x>; rel=\"next\"", NULL, false},
        {NULL, "<page=2>; rel=\"next\"", NULL, false},
        {NULL, "<https://city.example.kz/api/feed?page=2; rel=\"next\"", NULL, false},
        /* the next page is the page just fetched: commit it, but do not ask again at once */
        {"https://city.example.kz/api/feed?page=2",
         "<https://city.example.kz/api/feed?page=2>; rel=\"next\"",
         "https://city.example.kz/api/feed?page=2", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        void *st = ct_create(JS, js_feed);
        struct km_request req = {0};
        assert_int_equal(JS->next_request(st, cases[i].sent, &req), KM_OK);
        km_request_clear(&req);
        const char *headers[] = {"Link", cases[i].link, NULL};
        struct km_post_batch out;
        km_post_batch_init(&out);
        char *cursor = NULL;
        struct km_err err;
        assert_int_equal(ct_consume(JS, st, 200, "=[]", cases[i].link != NULL ? headers : NULL,
                                    &out, &cursor, &err),
                         KM_OK);
        if (cases[i].cursor == NULL ? cursor != NULL
                                    : cursor == NULL || strcmp(cursor, cases[i].cursor) != 0) {
            fail_msg("case %zu: cursor '%s'", i, cursor != NULL ? cursor : "(null)");
        }
        assert_int_equal(out.more, cases[i].more);
        free(cursor);
        km_post_batch_free(&out);
        JS->destroy(st);
    }
}

static void test_consume_errors(void **state)
{
    (void)state;
    static const char *const retry_after[] = {"Retry-After", "30", NULL};
    static const struct {
        bool token;
        long status;
        const char *body;
        const char *const *headers;
        int rc;
        const char *err;
        int64_t retry_after_ms;
    } cases[] = {
        {false, 429, "json/error_429.json", retry_after, KM_RETRY,
         "json/city109: HTTP 429: rate limited (Too Many Requests: slow down)", 30000},
        {false, 503, "json/garbage.html", retry_after, KM_RETRY, "json/city109: HTTP 503", 30000},
        {false, 500, NULL, NULL, KM_RETRY, "json/city109: HTTP 500", 0},
        {false, 502, "json/garbage.html", NULL, KM_RETRY, "json/city109: HTTP 502", 0},
        {false, 408, "=request timeout", NULL, KM_RETRY, "json/city109: HTTP 408 (request timeout)",
         0},
        {false, 401, "json/error_401.json", NULL, KM_ERR,
         "json/city109: HTTP 401: the API requires a token: set token = (Invalid or expired "
         "token)",
         0},
        {true, 401, "json/error_401.json", NULL, KM_ERR,
         "json/city109: HTTP 401: token rejected (Invalid or expired token)", 0},
        {true, 403, NULL, NULL, KM_ERR, "json/city109: HTTP 403: token rejected", 0},
        {false, 404, "json/garbage.html", NULL, KM_ERR,
         "json/city109: HTTP 404: no such endpoint, check url", 0},
        {false, 400, "json/error_400.json", NULL, KM_ERR, "json/city109: HTTP 400 (bad cursor)", 0},
        {false, 200, "json/garbage.html", NULL, KM_EINPUT, "json/city109: offset 0", 0},
        {false, 200, "json/truncated.json", NULL, KM_EINPUT, "json/city109: offset ", 0},
        {false, 200, NULL, NULL, KM_EINPUT, "json/city109: empty body", 0},
        {false, 200, "=[1,2]", NULL, KM_EINPUT,
         "json/city109: items: '/data/items' names nothing in the response", 0},
        {false, 200, "json/reports_not_array.json", NULL, KM_EINPUT,
         "json/city109: items: '/data/items' is not an array", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *kv[24];
        size_t n = 0;
        for (; js_reports[n] != NULL; n++) {
            kv[n] = js_reports[n];
        }
        if (cases[i].token) {
            kv[n++] = "token";
            kv[n++] = "s3cr3t";
        }
        kv[n] = NULL;
        void *st = ct_create(JS, kv);
        struct km_post_batch out;
        km_post_batch_init(&out);
        char *cursor = NULL;
        struct km_err err;
        int rc = ct_consume(JS, st, cases[i].status, cases[i].body, cases[i].headers, &out, &cursor,
                            &err);
        if (rc != cases[i].rc || !ct_starts(err.msg, cases[i].err)) {
            fail_msg("case %zu: rc %d, err '%s'", i, rc, err.msg);
        }
        assert_int_equal(out.retry_after_ms, cases[i].retry_after_ms);
        assert_int_equal(out.n, 0);
        assert_null(cursor);
        km_post_batch_free(&out);
        JS->destroy(st);
    }
    /* 204 No Content: nothing new, not an error */
    void *st = ct_create(JS, js_reports);
    struct km_post_batch out;
    km_post_batch_init(&out);
    char *cursor = NULL;
    struct km_err err;
    assert_int_equal(ct_consume(JS, st, 204, NULL, NULL, &out, &cursor, &err), KM_OK);
    assert_int_equal(out.n, 0);
    assert_null(cursor);
    km_post_batch_free(&out);
    JS->destroy(st);
}

/* Invalid UTF-8 in an item is repaired (U+FFFD), the item is kept, the tag after it found. */
static void test_consume_bad_utf8(void **state)
{
    (void)state;
    void *st = ct_create(JS, js_reports);
    struct km_post_batch out;
    km_post_batch_init(&out);
    char *cursor = NULL;
    struct km_err err;
    assert_int_equal(ct_consume(JS, st, 200, "json/invalid_utf8.json", NULL, &out, &cursor, &err),
                     KM_OK);
    assert_int_equal(out.n, 1);
    assert_string_equal(out.posts[0]->text, "Су \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd( жоқ #қала");
    static const char *const tags[] = {"қала", NULL};
    ct_assert_tags(out.posts[0], tags);
    assert_string_equal(cursor, "n9");
    free(cursor);
    km_post_batch_free(&out);
    JS->destroy(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),           cmocka_unit_test(test_create_errors),
        cmocka_unit_test(test_next_request),   cmocka_unit_test(test_consume_reports),
        cmocka_unit_test(test_consume_cases),  cmocka_unit_test(test_consume_malformed_item),
        cmocka_unit_test(test_consume_feed),   cmocka_unit_test(test_consume_link),
        cmocka_unit_test(test_consume_errors), cmocka_unit_test(test_consume_bad_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
