/* Unit tests for collectors/instagram.c: config checks, the two-step request flow and its
 * JSON cursor, the 30-hashtag budget, usage headers, and consume() on Graph API answers
 * shaped as in Meta's documentation (no network). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collectors/collector.h"
#include "common/time.h"
#include "parser/json.h"
#include "test/unit/collectors_test.h"

extern const struct km_collector km_collector_instagram;
#define IG (&km_collector_instagram)

#define IG_TOKEN  "EAABsbCS1iHgBAKZC0ZD"
#define IG_USER   "17841405309211844"
#define IG_HTAG   "17843857450040591"
#define IG_DAY_MS (24LL * 3600 * 1000)

static const char *const ig_kv[] = {"type",  "instagram", "token",           IG_TOKEN, "user_id",
                                    IG_USER, "tags",      "Астана, #iKomek", NULL};

/* next_request for cursor, then consume of a response; returns consume's code. *url gets
 * the request URL (caller frees), *cursor the next cursor. */
static int ig_exchange(void *st, const char *cursor_in, long status, const char *body,
                       const char *const *headers, struct km_post_batch *out, char **url,
                       char **cursor, struct km_err *err)
{
    struct km_request req = {0};
    assert_int_equal(IG->next_request(st, cursor_in, &req), KM_OK);
    assert_int_equal(req.method, KM_HTTP_GET);
    assert_int_equal(req.n_headers, 1);
    assert_string_equal(req.headers[0], "Accept: application/json");
    *url = req.url;
    req.url = NULL;
    km_request_clear(&req);
    return ct_consume(IG, st, status, body, headers, out, cursor, err);
}

/* A field of a cursor (JSON) as an integer; -1 if absent. */
static int64_t ig_cursor_int(const char *cursor, const char *key)
{
    yajl_val root = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_json_parse(cursor, strlen(cursor), &root, NULL, &err), KM_OK);
    int64_t v = -1;
    km_json_int(root, key, &v);
    km_json_free(root);
    return v;
}

/* The "tags" entry q of a cursor: its id (copied into id, "" if null) and times. */
static bool ig_cursor_tag(const char *cursor, const char *q, char *id, size_t id_size, int64_t *at,
                          int64_t *seen, int64_t *miss)
{
    yajl_val root = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_json_parse(cursor, strlen(cursor), &root, NULL, &err), KM_OK);
    yajl_val tags = km_json_get(root, "tags", NULL);
    assert_true(YAJL_IS_ARRAY(tags));
    bool found = false;
    for (size_t i = 0; i < tags->u.array.len && !found; i++) {
        yajl_val t = tags->u.array.values[i];
        const char *tq = km_json_str(t, "q");
        if (tq != NULL && strcmp(tq, q) == 0) {
            const char *tid = km_json_str(t, "id");
            snprintf(id, id_size, "%s", tid != NULL ? tid : "");
            km_json_int(t, "at", at);
            km_json_int(t, "seen", seen);
            km_json_int(t, "miss", miss);
            found = true;
        }
    }
    km_json_free(root);
    return found;
}

static void test_keys(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *def;
        unsigned flags;
        long long min, max;
    } want[] = {
        {"url", "https://graph.facebook.com", 0, 0, 0},
        {"api_version", "v26.0", 0, 0, 0},
        {"token", NULL, KM_CONF_REQUIRED | KM_CONF_SECRET, 0, 0},
        {"user_id", NULL, KM_CONF_REQUIRED, 0, 0},
        {"tags", NULL, KM_CONF_REQUIRED, 0, 0},
        {"limit", "50", 0, 1, 50},
    };
    size_t n = 0;
    for (const struct km_conf_key *k = IG->keys; k->name != NULL; k++, n++) {
        assert_true(n < sizeof(want) / sizeof(want[0]));
        assert_string_equal(k->name, want[n].name);
        ct_assert_str(k->def, want[n].def);
        assert_int_equal(k->flags, want[n].flags);
        assert_int_equal(k->min, want[n].min);
        assert_int_equal(k->max, want[n].max);
    }
    assert_int_equal(n, sizeof(want) / sizeof(want[0]));
    assert_string_equal(IG->name, "instagram");
}

static void test_create_errors(void **state)
{
    (void)state;
    static const char tags31[] = "t1,t2,t3,t4,t5,t6,t7,t8,t9,t10,t11,t12,t13,t14,t15,t16,t17,"
                                 "t18,t19,t20,t21,t22,t23,t24,t25,t26,t27,t28,t29,t30,t31";
    static const struct {
        const char *key, *value;
        const char *msg;
    } cases[] = {
        {"tags", tags31, "komek.conf:5: instagram/city109: tags: at most 30 (Instagram allows"},
        {"tags", "a, ,b", "komek.conf:5: instagram/city109: tags: empty tag in 'a, ,b'"},
        {"tags", "a,", "komek.conf:5: instagram/city109: tags: empty tag"},
        {"tags", "##", "komek.conf:5: instagram/city109: tags: empty tag"},
        {"tags", "snow day", "komek.conf:5: instagram/city109: tags: 'snow day' is not a hashtag"},
        {"tags", "a#b", "komek.conf:5: instagram/city109: tags: 'a#b' is not a hashtag"},
        {"tags", "\xff\xfe", "komek.conf:5: instagram/city109: tags: '\xff\xfe' is not a"},
        {"tags", NULL, "komek.conf:1: instagram/city109: tags is required"},
        {"url", "graph.facebook.com", "komek.conf:5: instagram/city109: url must be the Graph"},
        {"api_version", "21.0", "komek.conf:5: instagram/city109: api_version must look like"},
        {"api_version", "v", "komek.conf:5: instagram/city109: api_version must look like"},
        {"token", "EAAB:x", "komek.conf:3: instagram/city109: token must be a user access token"},
        {"token", "", "komek.conf:3: instagram/city109: token must be a user access token"},
        {"user_id", "astana109", "komek.conf:4: instagram/city109: user_id must be the numeric"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *kv[16] = {"type", "instagram", "token", IG_TOKEN, "user_id", IG_USER};
        size_t n = 6;
        bool replaced = false;
        for (size_t j = 0; j < n; j += 2) {
            if (strcmp(kv[j], cases[i].key) == 0) {
                kv[j + 1] = cases[i].value;
                replaced = true;
            }
        }
        if (!replaced && cases[i].value != NULL) {
            kv[n++] = cases[i].key;
            kv[n++] = cases[i].value;
        }
        if (strcmp(cases[i].key, "tags") != 0) {
            kv[n++] = "tags";
            kv[n++] = "109";
        }
        kv[n] = NULL;
        struct ct_section s;
        ct_section_init(&s, IG, kv);
        void *st = (void *)&s;
        struct km_err err = {{0}};
        assert_int_equal(IG->create(&s.sec, &st, &err), KM_EINPUT);
        assert_null(st);
        if (!ct_starts(err.msg, cases[i].msg)) {
            fail_msg("case %zu: '%s'", i, err.msg);
        }
    }
    IG->destroy(NULL);
}

static void test_requests(void **state)
{
    (void)state;
    static const char *const kv[] = {"type",        "instagram",
                                     "token",       IG_TOKEN,
                                     "user_id",     IG_USER,
                                     "tags",        " #Астана , АСТАНА,iKomek, #астана",
                                     "url",         "http://127.0.0.1:9/",
                                     "api_version", "v21.0",
                                     "limit",       "20",
                                     NULL};
    void *st = ct_create(IG, kv);
    struct km_request req = {0};
    /* first run: search the first tag (duplicates in other cases count once) */
    assert_int_equal(IG->next_request(st, NULL, &req), KM_OK);
    assert_string_equal(req.url, "http://127.0.0.1:9/v21.0/ig_hashtag_search?user_id=" IG_USER
                                 "&q=%D0%90%D1%81%D1%82%D0%B0%D0%BD%D0%B0&access_token=" IG_TOKEN);
    km_request_clear(&req);
    /* a known id: the media request, with the paging cursor of the step */
    static const char cursor[] =
        "{\"tag\":0,\"after\":\"QVFI+/=\",\"top\":0,\"pages\":1,\"tags\":[{\"q\":\"астана\",\"id\":"
        "\"" IG_HTAG "\",\"at\":1,\"seen\":0,\"miss\":0}]}";
    assert_int_equal(IG->next_request(st, cursor, &req), KM_OK);
    assert_string_equal(req.url,
                        "http://127.0.0.1:9/v21.0/" IG_HTAG "/recent_media?user_id=" IG_USER
                        "&fields=id,caption,media_type,media_url,permalink,timestamp,"
                        "like_count,comments_count,children%7Bmedia_url%7D&limit=20"
                        "&after=QVFI%2B%2F%3D&access_token=" IG_TOKEN);
    km_request_clear(&req);
    /* the second tag of the round has no id yet: search it */
    static const char cursor2[] =
        "{\"tag\":1,\"after\":null,\"top\":0,\"tags\":[{\"q\":\"астана\",\"id\":\"" IG_HTAG "\"}]}";
    assert_int_equal(IG->next_request(st, cursor2, &req), KM_OK);
    assert_true(ct_starts(req.url, "http://127.0.0.1:9/v21.0/ig_hashtag_search?user_id=" IG_USER
                                   "&q=iKomek&access_token="));
    km_request_clear(&req);
    /* a damaged cursor is dropped: start again with the first tag */
    static const char *const bad[] = {"garbage", "{\"tag\":-1,\"tags\":[]}", "{\"tags\":[]}",
                                      "{\"tag\":0,\"tags\":{}}", "[]"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(IG->next_request(st, bad[i], &req), KM_OK);
        assert_true(strstr(req.url, "ig_hashtag_search?") != NULL);
        assert_true(strstr(req.url, "&q=%D0%90") != NULL);
        km_request_clear(&req);
    }
    /* the tags were reordered since the cursor was written: the step follows its tag */
    static const char moved[] =
        "{\"tag\":0,\"step\":\"ikomek\",\"after\":\"QVFIx\",\"pages\":2,\"tags\":[{\"q\":"
        "\"ikomek\",\"id\":\"17841562861090191\",\"at\":1}]}";
    assert_int_equal(IG->next_request(st, moved, &req), KM_OK);
    assert_true(strstr(req.url, "/17841562861090191/recent_media?") != NULL);
    assert_true(strstr(req.url, "&after=QVFIx&") != NULL);
    km_request_clear(&req);
    /* the step's tag was removed: its paging state is dropped */
    static const char gone[] =
        "{\"tag\":0,\"step\":\"gone\",\"after\":\"QVFIx\",\"tags\":[{\"q\":\"астана\","
        "\"id\":\"" IG_HTAG "\",\"at\":1}]}";
    assert_int_equal(IG->next_request(st, gone, &req), KM_OK);
    assert_true(strstr(req.url, "/" IG_HTAG "/recent_media?") != NULL);
    assert_null(strstr(req.url, "&after="));
    km_request_clear(&req);
    /* a tag index beyond the configured tags (the config shrank) starts over */
    assert_int_equal(IG->next_request(st, "{\"tag\":7,\"tags\":[]}", &req), KM_OK);
    assert_true(strstr(req.url, "&q=%D0%90") != NULL);
    km_request_clear(&req);
    IG->destroy(st);
}

struct ig_want {
    const char *id, *url, *text;
    int64_t created_at;
    int64_t likes, replies;
    const char *tags[4];
    const char *media[3];
};

static const struct ig_want ig_page1[] = {
    {"18027939643063587",
     "https://www.instagram.com/p/C4mQpL3Nx2a/",
     "Сарыарқа ауданында жарық жоқ 😡#Астана #қала\nЖеңіс даңғылы 45",
     1795372812000LL,
     12,
     3,
     {"астана", "қала", NULL},
     {"https://scontent.cdninstagram.com/v/t51.29350-15/431240011_n.jpg", NULL}},
    /* a carousel: the cover and the children, without repeating the cover; the searched
     * tag is added although the caption lacks it */
    {"17990123456789012",
     "https://www.instagram.com/p/C4mQ7aBNqW1/",
     "Snow not cleared on Kabanbay Batyr 🌨️#Astana #iKomek",
     1795372500000LL,
     0,
     0,
     {"astana", "ikomek", "астана", NULL},
     {"https://scontent.cdninstagram.com/v/t51.29350-15/431240012_n.jpg",
      "https://scontent.cdninstagram.com/v/t51.29350-15/431240014_n.jpg", NULL}},
    /* no caption, likes hidden, a +0500 offset */
    {"17912345678901234",
     "https://www.instagram.com/reel/C4mPzz0N9kE/",
     "",
     1795372200000LL,
     -1,
     7,
     {"астана", NULL},
     {"https://scontent.cdninstagram.com/o1/v/t16/f2/m69/AQN-video.mp4", NULL}},
};

static void ig_check_post(const struct km_post *p, const struct ig_want *w)
{
    ct_assert_str(p->network, "instagram");
    ct_assert_str(p->source, "city109");
    ct_assert_str(p->id, w->id);
    ct_assert_str(p->url, w->url);
    ct_assert_str(p->author.id, NULL);
    ct_assert_str(p->author.name, NULL);
    ct_assert_str(p->author.handle, NULL);
    ct_assert_str(p->chat.id, NULL);
    ct_assert_str(p->text, w->text);
    ct_assert_str(p->reply_to, NULL);
    assert_int_equal(p->created_at, w->created_at);
    assert_int_equal(p->collected_at, CT_NOW_MS);
    assert_int_equal(p->engagement.likes, w->likes);
    assert_int_equal(p->engagement.replies, w->replies);
    assert_int_equal(p->engagement.reposts, -1);
    assert_int_equal(p->engagement.views, -1);
    ct_assert_tags(p, w->tags);
    ct_assert_media(p, w->media);
    assert_false(p->has_geo);
}

/* One whole round over two tags: search, two pages, search, empty page; then the next
 * round stops at media already seen. */
static void test_round(void **state)
{
    (void)state;
    void *st = ct_create(IG, ig_kv);
    struct km_post_batch out;
    char *url = NULL;
    char *cur = NULL;
    char *prev = NULL;
    struct km_err err;
    char id[32];
    int64_t at = 0, seen = 0, miss = 0;
    /* 1: search #Астана */
    km_post_batch_init(&out);
    assert_int_equal(
        ig_exchange(st, NULL, 200, "instagram/hashtag_search.json", NULL, &out, &url, &cur, &err),
        KM_OK);
    assert_true(strstr(url, "/v26.0/ig_hashtag_search?") != NULL);
    assert_int_equal(out.n, 0);
    assert_true(out.more);
    assert_non_null(cur);
    assert_true(ig_cursor_tag(cur, "астана", id, sizeof(id), &at, &seen, &miss));
    assert_string_equal(id, IG_HTAG);
    assert_int_equal(at, CT_NOW_MS);
    assert_int_equal(ig_cursor_int(cur, "tag"), 0);
    km_post_batch_free(&out);
    free(url);
    /* 2: first page of recent media */
    prev = cur;
    km_post_batch_init(&out);
    assert_int_equal(ig_exchange(st, prev, 200, "instagram/recent_media_page1.json", NULL, &out,
                                 &url, &cur, &err),
                     KM_OK);
    assert_true(strstr(url, "/v26.0/" IG_HTAG "/recent_media?user_id=" IG_USER) != NULL);
    assert_null(strstr(url, "&after="));
    assert_int_equal(out.n, 3);
    for (size_t i = 0; i < out.n; i++) {
        ig_check_post(out.posts[i], &ig_page1[i]);
    }
    assert_true(out.more);
    assert_int_equal(ig_cursor_int(cur, "tag"), 0);
    assert_int_equal(ig_cursor_int(cur, "top"), 1795372812000LL);
    assert_int_equal(ig_cursor_int(cur, "pages"), 1);
    km_post_batch_free(&out);
    free(url);
    free(prev);
    /* 3: the last page; the step ends, the newest time becomes the tag's mark */
    prev = cur;
    km_post_batch_init(&out);
    assert_int_equal(ig_exchange(st, prev, 200, "instagram/recent_media_last.json", NULL, &out,
                                 &url, &cur, &err),
                     KM_OK);
    assert_true(strstr(url, "&after=QVFIUmx1WTBpMGpRdWpmNzdVbTRfc1FIQ0lGVHBkVUJpQWNjUkxfTklSeHpR"
                            "amVZ&access_token=" IG_TOKEN) != NULL);
    assert_int_equal(out.n, 1);
    assert_true(out.more); /* the round goes on with #iKomek */
    assert_int_equal(ig_cursor_int(cur, "tag"), 1);
    assert_non_null(strstr(cur, "\"step\":\"ikomek\",\"after\":null,"));
    assert_int_equal(ig_cursor_int(cur, "top"), 0);
    assert_true(ig_cursor_tag(cur, "астана", id, sizeof(id), &at, &seen, &miss));
    assert_int_equal(seen, 1795372812000LL);
    km_post_batch_free(&out);
    free(url);
    free(prev);
    /* 4: search #iKomek; 5: its page is empty: the round is complete */
    prev = cur;
    km_post_batch_init(&out);
    assert_int_equal(ig_exchange(st, prev, 200, "={\"data\":[{\"id\":\"17841562861090191\"}]}",
                                 NULL, &out, &url, &cur, &err),
                     KM_OK);
    assert_true(strstr(url, "&q=iKomek&") != NULL);
    km_post_batch_free(&out);
    free(url);
    free(prev);
    prev = cur;
    km_post_batch_init(&out);
    assert_int_equal(ig_exchange(st, prev, 200, "instagram/recent_media_empty.json", NULL, &out,
                                 &url, &cur, &err),
                     KM_OK);
    assert_true(strstr(url, "/17841562861090191/recent_media?") != NULL);
    assert_int_equal(out.n, 0);
    assert_false(out.more);
    assert_int_equal(ig_cursor_int(cur, "tag"), 0);
    km_post_batch_free(&out);
    free(url);
    free(prev);
    /* 6: the next round meets a media of the last round at once: new ones only, step ends */
    prev = cur;
    km_post_batch_init(&out);
    assert_int_equal(ig_exchange(st, prev, 200, "instagram/recent_media_page1.json", NULL, &out,
                                 &url, &cur, &err),
                     KM_OK);
    assert_int_equal(out.n, 0); /* 18:40:12 is the mark itself, the others are older */
    assert_true(out.more);
    assert_int_equal(ig_cursor_int(cur, "tag"), 1);
    km_post_batch_free(&out);
    free(url);
    free(prev);
    free(cur);
    IG->destroy(st);
}

/* A mark between the page's media: the newer ones are kept, paging stops. */
static void test_seen_mark(void **state)
{
    (void)state;
    void *st = ct_create(IG, ig_kv);
    static const char cursor[] =
        "{\"tag\":0,\"after\":null,\"top\":0,\"tags\":[{\"q\":\"астана\",\"id\":\"" IG_HTAG
        "\",\"at\":1795372000000,\"seen\":1795372500000,\"miss\":0},{\"q\":\"ikomek\",\"id\":"
        "\"17841562861090191\",\"at\":1795372000000,\"seen\":0,\"miss\":0}]}";
    struct km_post_batch out;
    km_post_batch_init(&out);
    char *url = NULL;
    char *cur = NULL;
    struct km_err err;
    assert_int_equal(ig_exchange(st, cursor, 200, "instagram/recent_media_page1.json", NULL, &out,
                                 &url, &cur, &err),
                     KM_OK);
    assert_int_equal(out.n, 1);
    assert_string_equal(out.posts[0]->id, "18027939643063587");
    assert_true(out.more);
    assert_int_equal(ig_cursor_int(cur, "tag"), 1);
    char id[32];
    int64_t at = 0, seen = 0, miss = 0;
    assert_true(ig_cursor_tag(cur, "астана", id, sizeof(id), &at, &seen, &miss));
    assert_int_equal(seen, 1795372812000LL);
    assert_int_equal(at, 1795372000000LL); /* the 7-day window keeps its start */
    km_post_batch_free(&out);
    free(url);
    free(cur);
    /* the 20th page of a step ends it even if Instagram offers more */
    static const char cursor20[] = "{\"tag\":0,\"after\":\"QVFI\",\"top\":5,\"pages\":19,\"tags\":["
                                   "{\"q\":\"астана\",\"id\":\"" IG_HTAG "\",\"at\":1}]}";
    km_post_batch_init(&out);
    assert_int_equal(ig_exchange(st, cursor20, 200, "instagram/recent_media_page1.json", NULL, &out,
                                 &url, &cur, &err),
                     KM_OK);
    assert_int_equal(out.n, 3);
    assert_int_equal(ig_cursor_int(cur, "tag"), 1);
    km_post_batch_free(&out);
    free(url);
    free(cur);
    IG->destroy(st);
}

/* Builds a cursor in buf at configured tag `tag`, with extra entries and n budget entries
 * "t<k>" (id "1784<k>") searched at `at`. */
static void ig_budget_cursor(char *buf, size_t size, int tag, size_t n, int64_t at,
                             const char *extra)
{
    size_t len = (size_t)snprintf(buf, size, "{\"tag\":%d,\"tags\":[%s", tag, extra);
    for (size_t k = 0; k < n; k++) {
        len += (size_t)snprintf(buf + len, size - len,
                                "%s{\"q\":\"t%zu\",\"id\":\"1784%zu\",\"at\":%lld,\"seen\":0}",
                                k > 0 || extra[0] != '\0' ? "," : "", k, k, (long long)at);
    }
    snprintf(buf + len, size - len, "]}");
}

static void test_budget(void **state)
{
    (void)state;
    int64_t now = km_time_now_ms();
    static const char *const kv[] = {"type",  "instagram", "token",  IG_TOKEN, "user_id",
                                     IG_USER, "tags",      "new,t0", NULL};
    void *st = ct_create(IG, kv);
    char cursor[4096];
    struct km_request req = {0};
    /* 30 tags searched an hour ago (t0..t29, no longer all configured): #new is refused */
    ig_budget_cursor(cursor, sizeof(cursor), 0, 30, now - 3600000, "");
    assert_int_equal(IG->next_request(st, cursor, &req), KM_ERR);
    assert_null(req.url);
    /* t0 is in the budget already and has an id: polled without a search */
    ig_budget_cursor(cursor, sizeof(cursor), 1, 30, now - 3600000, "");
    assert_int_equal(IG->next_request(st, cursor, &req), KM_OK);
    assert_true(strstr(req.url, "/17840/recent_media?") != NULL);
    km_request_clear(&req);
    /* 29 in the window: the search of #new is the 30th, allowed */
    ig_budget_cursor(cursor, sizeof(cursor), 0, 29, now - 3600000, "");
    assert_int_equal(IG->next_request(st, cursor, &req), KM_OK);
    assert_true(strstr(req.url, "ig_hashtag_search?") != NULL);
    km_request_clear(&req);
    /* 30 entries, but one window began 8 days ago: it has left the budget */
    char old[64];
    snprintf(old, sizeof(old), "{\"q\":\"old\",\"id\":\"1\",\"at\":%lld}",
             (long long)(now - 8 * IG_DAY_MS));
    ig_budget_cursor(cursor, sizeof(cursor), 0, 29, now - 3600000, old);
    assert_int_equal(IG->next_request(st, cursor, &req), KM_OK);
    assert_true(strstr(req.url, "ig_hashtag_search?") != NULL);
    km_request_clear(&req);
    IG->destroy(st);
}

/* The written cursor keeps unconfigured tags while they count and drops them after. */
static void test_budget_cursor(void **state)
{
    (void)state;
    void *st = ct_create(IG, ig_kv);
    static const char cursor[] =
        "{\"tag\":0,\"tags\":[{\"q\":\"gone\",\"id\":\"1\",\"at\":1794700000000},"
        "{\"q\":\"recent\",\"id\":\"2\",\"at\":1795300000000},{\"q\":\"\",\"id\":\"3\"},"
        "{\"q\":\"bad-id\",\"id\":\"17x\",\"at\":1795300000000},{\"id\":\"4\"}]}";
    struct km_post_batch out;
    km_post_batch_init(&out);
    char *url = NULL;
    char *cur = NULL;
    struct km_err err;
    assert_int_equal(
        ig_exchange(st, cursor, 200, "instagram/hashtag_search.json", NULL, &out, &url, &cur, &err),
        KM_OK);
    char id[32];
    int64_t at = 0, seen = 0, miss = 0;
    assert_false(ig_cursor_tag(cur, "gone", id, sizeof(id), &at, &seen, &miss));
    assert_true(ig_cursor_tag(cur, "recent", id, sizeof(id), &at, &seen, &miss));
    assert_true(ig_cursor_tag(cur, "bad-id", id, sizeof(id), &at, &seen, &miss));
    assert_string_equal(id, ""); /* an id that is not a number is forgotten */
    assert_true(ig_cursor_tag(cur, "астана", id, sizeof(id), &at, &seen, &miss));
    assert_string_equal(id, IG_HTAG);
    km_post_batch_free(&out);
    free(url);
    free(cur);
    IG->destroy(st);
}

/* A search that finds nothing: the next tag, and the missing one again after a day. */
static void test_missing_hashtag(void **state)
{
    (void)state;
    void *st = ct_create(IG, ig_kv);
    struct km_post_batch out;
    km_post_batch_init(&out);
    char *url = NULL;
    char *cur = NULL;
    struct km_err err;
    assert_int_equal(ig_exchange(st, NULL, 200, "instagram/hashtag_search_empty.json", NULL, &out,
                                 &url, &cur, &err),
                     KM_OK);
    assert_int_equal(out.n, 0);
    assert_true(out.more);
    assert_int_equal(ig_cursor_int(cur, "tag"), 1);
    char id[32];
    int64_t at = 0, seen = 0, miss = 0;
    assert_true(ig_cursor_tag(cur, "астана", id, sizeof(id), &at, &seen, &miss));
    assert_string_equal(id, "");
    assert_int_equal(miss, CT_NOW_MS);
    assert_int_equal(at, CT_NOW_MS);
    km_post_batch_free(&out);
    free(url);
    free(cur);
    /* both tags missing within the day: nothing to ask; after a day: search again */
    int64_t now = km_time_now_ms();
    char cursor[512];
    for (size_t i = 0; i < 2; i++) {
        int64_t recent = now - 3600000;
        int64_t old = i == 0 ? recent : now - IG_DAY_MS - 1000;
        snprintf(cursor, sizeof(cursor),
                 "{\"tag\":0,\"tags\":[{\"q\":\"астана\",\"id\":null,\"at\":%lld,\"miss\":%lld},"
                 "{\"q\":\"ikomek\",\"id\":null,\"at\":%lld,\"miss\":%lld}]}",
                 (long long)recent, (long long)recent, (long long)old, (long long)old);
        struct km_request req = {0};
        int rc = IG->next_request(st, cursor, &req);
        if (i == 0) {
            assert_int_equal(rc, KM_RETRY);
            assert_null(req.url);
        } else {
            assert_int_equal(rc, KM_OK);
            assert_true(strstr(req.url, "&q=iKomek&") != NULL);
        }
        km_request_clear(&req);
    }
    IG->destroy(st);
}

static void test_usage_header(void **state)
{
    (void)state;
    static const struct {
        const char *value;
        int64_t retry_after_ms;
    } cases[] = {
        {"{\"" IG_USER "\":[{\"type\":\"instagram\",\"call_count\":28,\"total_cputime\":25,"
         "\"total_time\":25,\"estimated_time_to_regain_access\":0}]}",
         0},
        {"{\"" IG_USER "\":[{\"type\":\"instagram\",\"call_count\":96,\"total_cputime\":25,"
         "\"total_time\":25,\"estimated_time_to_regain_access\":0}]}",
         300000},
        {"{\"" IG_USER "\":[{\"type\":\"instagram\",\"call_count\":40,\"total_cputime\":95.5,"
         "\"total_time\":25}]}",
         300000},
        {"{\"1\":[{\"type\":\"instagram\",\"call_count\":100,\"total_cputime\":25,"
         "\"total_time\":25,\"estimated_time_to_regain_access\":3}]}",
         180000},
        {"{\"1\":[{\"type\":\"pages\",\"call_count\":100,\"estimated_time_to_regain_access\":9}],"
         "\"2\":[{\"call_count\":10}]}",
         0},
        {"{\"1\":[{\"type\":\"instagram\",\"estimated_time_to_regain_access\":99999}]}", 86400000},
        {"not json", 0},
        {"[1,2]", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        void *st = ct_create(IG, ig_kv);
        const char *headers[] = {"X-Business-Use-Case-Usage", cases[i].value, NULL};
        struct km_post_batch out;
        km_post_batch_init(&out);
        char *url = NULL;
        char *cur = NULL;
        struct km_err err;
        assert_int_equal(ig_exchange(st, NULL, 200, "instagram/hashtag_search.json", headers, &out,
                                     &url, &cur, &err),
                         KM_OK);
        if (out.retry_after_ms != cases[i].retry_after_ms) {
            fail_msg("case %zu: %lld", i, (long long)out.retry_after_ms);
        }
        assert_non_null(cur); /* the search is committed all the same */
        km_post_batch_free(&out);
        free(url);
        free(cur);
        IG->destroy(st);
    }
}

static void test_errors(void **state)
{
    (void)state;
    static const char *const regain[] = {
        "X-Business-Use-Case-Usage",
        "{\"" IG_USER "\":[{\"type\":\"instagram\",\"call_count\":100,\"total_cputime\":12,"
        "\"total_time\":14,\"estimated_time_to_regain_access\":17}]}",
        NULL};
    static const char *const retry_after[] = {"Retry-After", "1", NULL};
    static const struct {
        long status;
        const char *body;
        const char *const *headers;
        int rc;
        const char *err;
        int64_t retry_after_ms;
    } cases[] = {
        {400, "instagram/error_190.json", NULL, KM_ERR,
         "instagram/city109: access token rejected: get a new user access token (code 190/463: "
         "Error validating access token",
         0},
        {403, "instagram/error_4.json", regain, KM_RETRY,
         "instagram/city109: HTTP 403: throttled (code 4: (#4) Application request limit "
         "reached; fbtrace_id FlQgl+5U8pF)",
         17 * 60000},
        {400, "instagram/error_80002.json", retry_after, KM_RETRY,
         "instagram/city109: HTTP 400: throttled (code 80002: There have been too many calls",
         1000},
        {400,
         "={\"error\":{\"message\":\"(#17) User request limit reached\",\"type\":"
         "\"OAuthException\",\"code\":17}}",
         NULL, KM_RETRY, "instagram/city109: HTTP 400: throttled (code 17", 0},
        {400, "={\"error\":{\"message\":\"(#32) Page request limit reached\",\"code\":32}}", NULL,
         KM_RETRY, "instagram/city109: HTTP 400: throttled (code 32", 0},
        {400,
         "={\"error\":{\"message\":\"(#613) Calls to this api have exceeded the rate "
         "limit.\",\"code\":613}}",
         NULL, KM_RETRY, "instagram/city109: HTTP 400: throttled (code 613", 0},
        {400, "instagram/error_hashtag_limit.json", NULL, KM_ERR,
         "instagram/city109: hashtag search refused: the account has used its 30 unique hashtags "
         "for 7 days (code 24/2207024",
         0},
        {400, "instagram/error_100.json", NULL, KM_ERR,
         "instagram/city109: HTTP 400: Graph API error (code 100/33: Unsupported get request.", 0},
        {500, "instagram/error_2.json", NULL, KM_RETRY,
         "instagram/city109: HTTP 500: temporary error (code 2: An unexpected error", 0},
        {400, "={\"error\":{\"message\":\"Please retry\",\"code\":-1,\"is_transient\":true}}", NULL,
         KM_RETRY, "instagram/city109: HTTP 400: temporary error (code -1: Please retry)", 0},
        {502, "instagram/garbage.html", NULL, KM_RETRY,
         "instagram/city109: HTTP 502: temporary "
         "error",
         0},
        {503, NULL, retry_after, KM_RETRY, "instagram/city109: HTTP 503: temporary error", 1000},
        {429, NULL, NULL, KM_RETRY, "instagram/city109: HTTP 429: throttled", 0},
        {404, "instagram/garbage.html", NULL, KM_ERR,
         "instagram/city109: HTTP 404: Graph API error", 0},
        {200, "instagram/error_4.json", NULL, KM_RETRY, "instagram/city109: HTTP 200: throttled",
         0},
        {200, "instagram/garbage.html", NULL, KM_EINPUT, "instagram/city109: offset 0", 0},
        {200, "instagram/truncated.json", NULL, KM_EINPUT, "instagram/city109: offset ", 0},
        {200, NULL, NULL, KM_EINPUT, "instagram/city109: empty body", 0},
        {200, "={}", NULL, KM_EINPUT, "instagram/city109: hashtag search answer has no data array",
         0},
        {200, "={\"data\":[{\"id\":\"../../me\"}]}", NULL, KM_EINPUT,
         "instagram/city109: hashtag id '../../me' is not a number", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        void *st = ct_create(IG, ig_kv);
        struct km_post_batch out;
        km_post_batch_init(&out);
        char *url = NULL;
        char *cur = NULL;
        struct km_err err;
        int rc = ig_exchange(st, NULL, cases[i].status, cases[i].body, cases[i].headers, &out, &url,
                             &cur, &err);
        if (rc != cases[i].rc || !ct_starts(err.msg, cases[i].err)) {
            fail_msg("case %zu: rc %d, err '%s'", i, rc, err.msg);
        }
        assert_int_equal(out.retry_after_ms, cases[i].retry_after_ms);
        assert_int_equal(out.n, 0);
        assert_null(cur);
        km_post_batch_free(&out);
        free(url);
        IG->destroy(st);
    }
    /* a media page without data; consume without a request */
    void *st = ct_create(IG, ig_kv);
    static const char cursor[] =
        "{\"tag\":0,\"tags\":[{\"q\":\"астана\",\"id\":\"" IG_HTAG "\",\"at\":1}]}";
    struct km_post_batch out;
    km_post_batch_init(&out);
    char *url = NULL;
    char *cur = NULL;
    struct km_err err;
    assert_int_equal(ig_exchange(st, cursor, 200, "={\"paging\":{}}", NULL, &out, &url, &cur, &err),
                     KM_EINPUT);
    assert_string_equal(err.msg, "instagram/city109: recent media answer has no data array");
    assert_int_equal(
        ct_consume(IG, st, 200, "instagram/hashtag_search.json", NULL, &out, &cur, &err), KM_ERR);
    assert_string_equal(err.msg, "instagram/city109: a response without a request");
    km_post_batch_free(&out);
    free(url);
    IG->destroy(st);
}

/* Media without an id are skipped; unparseable times are kept as unknown. */
static void test_malformed_media(void **state)
{
    (void)state;
    void *st = ct_create(IG, ig_kv);
    static const char cursor[] =
        "{\"tag\":0,\"tags\":[{\"q\":\"астана\",\"id\":\"" IG_HTAG "\",\"at\":1,\"seen\":5}]}";
    struct km_post_batch out;
    km_post_batch_init(&out);
    char *url = NULL;
    char *cur = NULL;
    struct km_err err;
    assert_int_equal(ig_exchange(st, cursor, 200, "instagram/recent_media_malformed.json", NULL,
                                 &out, &url, &cur, &err),
                     KM_OK);
    assert_int_equal(out.n, 2);
    assert_int_equal(out.skipped, 2);
    assert_string_equal(err.msg, "instagram/city109: media #0: no id");
    assert_string_equal(out.posts[0]->id, "17800000000000001");
    assert_int_equal(out.posts[0]->created_at, 0);
    static const char *const tags0[] = {"109", "астана", NULL};
    ct_assert_tags(out.posts[0], tags0);
    assert_string_equal(out.posts[1]->id, "17800000000000002");
    assert_string_equal(out.posts[1]->text, ""); /* a caption that is not a string */
    assert_int_equal(out.posts[1]->created_at, 1795372860123LL);
    assert_int_equal(out.posts[1]->engagement.likes, -1);
    assert_true(out.more); /* no media reached the mark: the next page */
    assert_non_null(strstr(cur, "\"after\":\"QVFI\""));
    km_post_batch_free(&out);
    free(url);
    free(cur);
    IG->destroy(st);
}

/* Invalid UTF-8 in a caption is repaired; tags next to emoji and Kazakh letters are found. */
static void test_bad_utf8(void **state)
{
    (void)state;
    void *st = ct_create(IG, ig_kv);
    static const char cursor[] =
        "{\"tag\":0,\"tags\":[{\"q\":\"астана\",\"id\":\"" IG_HTAG "\",\"at\":1}]}";
    struct km_post_batch out;
    km_post_batch_init(&out);
    char *url = NULL;
    char *cur = NULL;
    struct km_err err;
    assert_int_equal(
        ig_exchange(st, cursor, 200, "instagram/invalid_utf8.json", NULL, &out, &url, &cur, &err),
        KM_OK);
    assert_int_equal(out.n, 1);
    assert_string_equal(out.posts[0]->text, "Жол \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd( жоқ 🚧#жол");
    static const char *const tags[] = {"жол", "астана", NULL};
    ct_assert_tags(out.posts[0], tags);
    assert_true(out.more); /* no next page: on with the second tag */
    assert_int_equal(ig_cursor_int(cur, "tag"), 1);
    km_post_batch_free(&out);
    free(url);
    free(cur);
    IG->destroy(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_create_errors),
        cmocka_unit_test(test_requests),
        cmocka_unit_test(test_round),
        cmocka_unit_test(test_seen_mark),
        cmocka_unit_test(test_budget),
        cmocka_unit_test(test_budget_cursor),
        cmocka_unit_test(test_missing_hashtag),
        cmocka_unit_test(test_usage_header),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_malformed_media),
        cmocka_unit_test(test_bad_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
