/* Unit tests for collectors/bluesky.c: config checks, the login / refresh / search flow
 * driven through next_request() and consume(), the cursor, and consume() on recorded
 * searchPosts answers (no network). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collectors/collector.h"
#include "test/unit/collectors_test.h"

extern const struct km_collector km_collector_bluesky;
#define BSKY (&km_collector_bluesky)

#define PDS    "https://bsky.social/xrpc/"
#define SEARCH PDS "app.bsky.feed.searchPosts?q=%23"
/* "Астана" percent-encoded */
#define ASTANA "%D0%90%D1%81%D1%82%D0%B0%D0%BD%D0%B0"
#define ACCESS                                                                                     \
    "Bearer "                                                                                      \
    "eyJ0eXAiOiJhdCtqd3QiLCJhbGciOiJFUzI1NksifQ."                                                  \
    "eyJzY29wZSI6ImNvbS5hdHByb3RvLmFwcFBhc3MiLCJzdWIiOiJkaWQ6cGxjOmttazEwOWFzdGFuYSIsImlhdCI6MTc5" \
    "NTM3Mjg2MCwiZXhwIjoxNzk1MzgwMDYwLCJhdWQiOiJkaWQ6d2ViOnB1ZmZiYWxsLnVzLWVhc3QuaG9zdC5ic2t5Lm5l" \
    "dHdvcmsifQ.access-signature-"
#define ACCESS1 ACCESS "1"
#define ACCESS2 ACCESS "2"
#define REFRESH                                                                                    \
    "Bearer "                                                                                      \
    "eyJ0eXAiOiJyZWZyZXNoK2p3dCIsImFsZyI6IkVTMjU2SyJ9."                                            \
    "eyJzY29wZSI6ImNvbS5hdHByb3RvLnJlZnJlc2giLCJzdWIiOiJkaWQ6cGxjOmttazEwOWFzdGFuYSIsImF1ZCI6ImRp" \
    "ZDp3ZWI6YnNreS5zb2NpYWwiLCJqdGkiOiJyZWZyZXNoLTEifQ.refresh-signature-"
#define REFRESH1 REFRESH "1"
#define REFRESH2 REFRESH "2"

static const char *const bsky_kv[] = {
    "type", "bluesky", "identifier", "komek109.bsky.social", "password", "abcd-efgh-ijkl-mnop",
    "tags", "Астана",  NULL};

static void test_keys(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *def;
        unsigned flags;
        long long min, max;
    } want[] = {
        {"url", "https://bsky.social", 0, 0, 0},
        {"appview", NULL, 0, 0, 0},
        {"identifier", NULL, KM_CONF_REQUIRED, 0, 0},
        {"password", NULL, KM_CONF_REQUIRED | KM_CONF_SECRET, 0, 0},
        {"tags", NULL, KM_CONF_REQUIRED, 0, 0},
        {"limit", "50", 0, 1, 100},
    };
    size_t n = 0;
    for (const struct km_conf_key *k = BSKY->keys; k->name != NULL; k++, n++) {
        assert_true(n < sizeof(want) / sizeof(want[0]));
        assert_string_equal(k->name, want[n].name);
        ct_assert_str(k->def, want[n].def);
        assert_int_equal(k->flags, want[n].flags);
        assert_int_equal(k->min, want[n].min);
        assert_int_equal(k->max, want[n].max);
        assert_non_null(k->help);
    }
    assert_int_equal(n, sizeof(want) / sizeof(want[0]));
    assert_string_equal(BSKY->name, "bluesky");
}

static void test_create_errors(void **state)
{
    (void)state;
    static const char many[] = "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z,aa,bb,cc,dd,"
                               "ee,ff,gg";
    static const struct {
        const char *url, *appview, *id, *password, *tags;
        const char *msg;
    } cases[] = {
        {"bsky.social", NULL, "a.bsky.social", "pw", "x",
         "komek.conf:3: bluesky/city109: url must be the PDS"},
        {"http://pds.example.kz", NULL, "a.bsky.social", "pw", "x",
         "komek.conf:3: bluesky/city109: url must be the PDS, like https://bsky.social (http:// "
         "only on loopback"},
        {"http://127.0.0.1@evil.example", NULL, "a.bsky.social", "pw", "x",
         "komek.conf:3: bluesky/city109: url must be the PDS"},
        {"http://127.0.0.1.evil.example", NULL, "a.bsky.social", "pw", "x",
         "komek.conf:3: bluesky/city109: url must be the PDS"},
        {"http://128.0.0.1:80", NULL, "a.bsky.social", "pw", "x",
         "komek.conf:3: bluesky/city109: url must be the PDS"},
        {"https://bsky.social", "https://api.bsky.app", "a.bsky.social", "pw", "x",
         "komek.conf:4: bluesky/city109: appview is a service DID"},
        {"https://bsky.social", "did:web:api.bsky.app", "a.bsky.social", "pw", "x",
         "komek.conf:4: bluesky/city109: appview is a service DID"},
        {"https://bsky.social", NULL, "@", "pw", "x",
         "komek.conf:5: bluesky/city109: identifier must be a handle or a DID"},
        {"https://bsky.social", NULL, "a.bsky.social", "", "x",
         "komek.conf:6: bluesky/city109: password is empty"},
        {"https://bsky.social", NULL, "a.bsky.social", "pw", "a, ,b",
         "komek.conf:7: bluesky/city109: tags: empty tag"},
        {"https://bsky.social", NULL, "a.bsky.social", "pw", "#",
         "komek.conf:7: bluesky/city109: tags: empty tag"},
        {"https://bsky.social", NULL, "a.bsky.social", "pw", "two words",
         "komek.conf:7: bluesky/city109: tags: 'two words' is not a hashtag"},
        {"https://bsky.social", NULL, "a.bsky.social", "pw", "bad\xff",
         "komek.conf:7: bluesky/city109: tags: 'bad"},
        {"https://bsky.social", NULL, "a.bsky.social", "pw", many,
         "komek.conf:7: bluesky/city109: tags: at most 32 tags per source"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *kv[] = {"type",     "bluesky",         "url",        cases[i].url,
                            "appview",  cases[i].appview,  "identifier", cases[i].id,
                            "password", cases[i].password, "tags",       cases[i].tags,
                            NULL};
        if (cases[i].appview == NULL) {
            kv[4] = "limit"; /* keep the line numbers: limit has a default */
            kv[5] = "50";
        }
        struct ct_section s;
        ct_section_init(&s, BSKY, kv);
        void *st = (void *)&s;
        struct km_err err = {{0}};
        assert_int_equal(BSKY->create(&s.sec, &st, &err), KM_EINPUT);
        assert_null(st);
        if (!ct_starts(err.msg, cases[i].msg)) {
            fail_msg("case %zu: '%s'", i, err.msg);
        }
    }
    BSKY->destroy(NULL);
}

/* Runs next_request() and checks the request; returns it (caller clears). */
static void bsky_check_request(void *st, const char *cursor, const char *url, const char *auth,
                               struct km_request *req)
{
    memset(req, 0, sizeof(*req));
    assert_int_equal(BSKY->next_request(st, cursor, req), KM_OK);
    if (strcmp(req->url, url) != 0) {
        fail_msg("request URL\n  got  %s\n  want %s", req->url, url);
    }
    bool post = strstr(url, "Session") != NULL;
    assert_int_equal(req->method, post ? KM_HTTP_POST : KM_HTTP_GET);
    assert_string_equal(req->headers[0], "Accept: application/json");
    if (auth != NULL) {
        assert_true(req->n_headers >= 2);
        if (!ct_starts(req->headers[1] + strlen("Authorization: "), auth) ||
            !ct_starts(req->headers[1], "Authorization: ")) {
            fail_msg("auth header '%s', want '%s'", req->headers[1], auth);
        }
    } else {
        assert_int_equal(req->n_headers, 1);
    }
}

static void test_login_request(void **state)
{
    (void)state;
    static const char *const kv[] = {"type",       "bluesky",
                                     "url",        "http://127.0.0.1:8080//",
                                     "identifier", "@komek\"109\".bsky.social",
                                     "password",   "pa\\ss\"word",
                                     "tags",       "109",
                                     NULL};
    void *st = ct_create(BSKY, kv);
    struct km_request req;
    bsky_check_request(st, NULL, "http://127.0.0.1:8080/xrpc/com.atproto.server.createSession",
                       NULL, &req);
    assert_string_equal(req.body, "{\"identifier\":\"komek\\\"109\\\".bsky.social\","
                                  "\"password\":\"pa\\\\ss\\\"word\"}");
    assert_string_equal(req.content_type, "application/json");
    km_request_clear(&req);
    BSKY->destroy(st);
}

/* Plain http:// is fine on loopback (the fake, a local PDS); the login goes to url. */
static void test_url_allowed(void **state)
{
    (void)state;
    static const struct {
        const char *url, *login;
    } cases[] = {
        {"http://localhost:2583", "http://localhost:2583/xrpc/com.atproto.server.createSession"},
        {"http://[::1]:2583/", "http://[::1]:2583/xrpc/com.atproto.server.createSession"},
        {"http://127.1.2.3", "http://127.1.2.3/xrpc/com.atproto.server.createSession"},
        {"https://pds.example.kz", "https://pds.example.kz/xrpc/com.atproto.server.createSession"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *kv[] = {"type",       "bluesky",
                            "url",        cases[i].url,
                            "identifier", "k.bsky.social",
                            "password",   "abcd-efgh-ijkl-mnop",
                            "tags",       "x",
                            NULL};
        void *st = ct_create(BSKY, kv);
        struct km_request req;
        bsky_check_request(st, NULL, cases[i].login, NULL, &req);
        km_request_clear(&req);
        BSKY->destroy(st);
    }
}

/* One exchange of a scripted session: the request expected, the answer, the outcome. */
struct bsky_exchange {
    const char *url;  /* expected request URL */
    const char *auth; /* expected Authorization value prefix, or NULL for none */
    long status;
    const char *body;
    const char *const *headers;
    int rc;
    size_t n_posts;
    bool more;
    int64_t retry_after_ms;
    const char *cursor; /* the cursor committed with the answer, NULL: none */
};

static const char *const last_call[] = {
    "RateLimit-Limit", "3000", "RateLimit-Remaining", "0", "RateLimit-Reset", "1795372921", NULL};
static const char *const limited[] = {
    "RateLimit-Limit", "3000", "RateLimit-Remaining", "0", "RateLimit-Reset", "1795372891", NULL};

/* clang-format off */
#define CUR_PAGE1 \
    "{\"v\":1,\"next\":\"Астана\",\"tags\":{\"Астана\":{\"top\":\"2026-11-22T18:40:12.345Z\"," \
    "\"page\":\"4\"}}}"
/* clang-format on */
#define CUR_SWEPT                                                                                  \
    "{\"v\":1,\"next\":\"109\",\"tags\":{\"Астана\":{\"since\":\"2026-11-22T18:40:12.345Z\"}}}"
#define CUR_ROUND                                                                                  \
    "{\"v\":1,\"next\":\"Астана\",\"tags\":{\"Астана\":{\"since\":\"2026-11-22T18:40:12.345Z\"}}}"
#define SINCE "&since=2026-11-22T18%3A35%3A12.345Z"

static const struct bsky_exchange bsky_script[] = {
    /* Login, then the first sweep of the first tag: a full page pages back at once. */
    {PDS "com.atproto.server.createSession", NULL, 200, "bluesky/session.json", NULL, KM_OK, 0,
     true, 0, NULL},
    {SEARCH ASTANA "&tag=" ASTANA "&sort=latest&limit=4", ACCESS1, 200, "bluesky/search_page.json",
     NULL, KM_OK, 4, true, 0, CUR_PAGE1},
    {SEARCH ASTANA "&tag=" ASTANA "&sort=latest&limit=4&cursor=4", ACCESS1, 200,
     "bluesky/search_empty.json", NULL, KM_OK, 0, true, 0, CUR_SWEPT},
    /* #109 is no facet on Bluesky: text search only. The token expired: refresh, retry. */
    {SEARCH "109&sort=latest&limit=4", ACCESS1, 400, "bluesky/error_400_expired.json", NULL, KM_OK,
     0, true, 0, NULL},
    {PDS "com.atproto.server.refreshSession", REFRESH1, 200, "bluesky/refresh.json", NULL, KM_OK, 0,
     true, 0, NULL},
    {SEARCH "109&sort=latest&limit=4", ACCESS2, 200, "bluesky/search_empty.json", NULL, KM_OK, 0,
     false, 0, CUR_ROUND},
    /* Next round: since = the mark minus the slack. A refused token whose refresh fails
     * logs in again. */
    {SEARCH ASTANA "&tag=" ASTANA "&sort=latest&limit=4" SINCE, ACCESS2, 401,
     "bluesky/error_400_invalid_token.json", NULL, KM_OK, 0, true, 0, NULL},
    {PDS "com.atproto.server.refreshSession", REFRESH2, 400, "bluesky/error_400_expired.json", NULL,
     KM_OK, 0, true, 0, NULL},
    {PDS "com.atproto.server.createSession", NULL, 429, "bluesky/error_429.json", limited, KM_RETRY,
     0, false, 30000, NULL},
    {PDS "com.atproto.server.createSession", NULL, 200, "bluesky/session.json", NULL, KM_OK, 0,
     true, 0, NULL},
    /* The last request of the window: posts kept, a pause until the reset. */
    {SEARCH ASTANA "&tag=" ASTANA "&sort=latest&limit=4" SINCE, ACCESS1, 200,
     "bluesky/search_page.json", last_call, KM_OK, 4, true, 60000,
     "{\"v\":1,\"next\":\"Астана\",\"tags\":{\"Астана\":{\"since\":\"2026-11-22T18:40:12.345Z\","
     "\"top\":\"2026-11-22T18:40:12.345Z\",\"page\":\"4\"}}}"},
    {SEARCH ASTANA "&tag=" ASTANA "&sort=latest&limit=4" SINCE "&cursor=4", ACCESS1, 429,
     "bluesky/error_429.json", limited, KM_RETRY, 0, false, 30000, NULL},
    {SEARCH ASTANA "&tag=" ASTANA "&sort=latest&limit=4" SINCE "&cursor=4", ACCESS1, 503,
     "bluesky/garbage.html", NULL, KM_RETRY, 0, false, 0, NULL},
    {SEARCH ASTANA "&tag=" ASTANA "&sort=latest&limit=4" SINCE "&cursor=4", ACCESS1, 200,
     "bluesky/search_empty.json", NULL, KM_OK, 0, true, 0, CUR_SWEPT},
};

/* Plays a script against one collector state, committing cursors as the runtime would. */
static void bsky_play(void *st, char **committed, const struct bsky_exchange *script, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct bsky_exchange *x = &script[i];
        struct km_request req;
        print_message("exchange %zu\n", i);
        bsky_check_request(st, *committed, x->url, x->auth, &req);
        km_request_clear(&req);
        struct km_post_batch out;
        km_post_batch_init(&out);
        char *cursor = NULL;
        struct km_err err;
        int rc = ct_consume(BSKY, st, x->status, x->body, x->headers, &out, &cursor, &err);
        if (rc != x->rc) {
            fail_msg("exchange %zu: rc %d, err '%s'", i, rc, err.msg);
        }
        assert_int_equal(out.n, x->n_posts);
        assert_int_equal(out.more, x->more);
        assert_int_equal(out.retry_after_ms, x->retry_after_ms);
        ct_assert_str(cursor, x->cursor);
        if (cursor != NULL) {
            free(*committed);
            *committed = cursor;
        }
        km_post_batch_free(&out);
    }
}

static void test_session_flow(void **state)
{
    (void)state;
    static const char *const kv[] = {"type",       "bluesky",
                                     "identifier", "komek109.bsky.social",
                                     "password",   "abcd-efgh-ijkl-mnop",
                                     "tags",       "#Астана, 109",
                                     "limit",      "4",
                                     NULL};
    void *st = ct_create(BSKY, kv);
    char *committed = NULL;
    bsky_play(st, &committed, bsky_script, sizeof(bsky_script) / sizeof(bsky_script[0]));
    BSKY->destroy(st);

    /* A restart continues with the committed cursor: log in, then the tag it names. */
    static const struct bsky_exchange restart[] = {
        {PDS "com.atproto.server.createSession", NULL, 200, "bluesky/session.json", NULL, KM_OK, 0,
         true, 0, NULL},
        {SEARCH "109&sort=latest&limit=4", ACCESS1, 200, "bluesky/search_empty.json", NULL, KM_OK,
         0, false, 0, CUR_ROUND},
    };
    st = ct_create(BSKY, kv);
    bsky_play(st, &committed, restart, sizeof(restart) / sizeof(restart[0]));
    free(committed);
    BSKY->destroy(st);
}

static void test_refused(void **state)
{
    (void)state;
    /* Searches refused again and again: refresh, log in, then back off (no busy loop). */
    static const struct bsky_exchange refused[] = {
        {PDS "com.atproto.server.createSession", NULL, 200, "bluesky/session.json", NULL, KM_OK, 0,
         true, 0, NULL},
        {SEARCH ASTANA "&tag=" ASTANA "&sort=latest&limit=50", ACCESS1, 401,
         "bluesky/error_400_invalid_token.json", NULL, KM_OK, 0, true, 0, NULL},
        {PDS "com.atproto.server.refreshSession", REFRESH1, 200, "bluesky/refresh.json", NULL,
         KM_OK, 0, true, 0, NULL},
        {SEARCH ASTANA "&tag=" ASTANA "&sort=latest&limit=50", ACCESS2, 400,
         "bluesky/error_400_invalid_token.json", NULL, KM_OK, 0, true, 0, NULL},
        {PDS "com.atproto.server.createSession", NULL, 200, "bluesky/session.json", NULL, KM_OK, 0,
         true, 0, NULL},
        {SEARCH ASTANA "&tag=" ASTANA "&sort=latest&limit=50", ACCESS1, 401, NULL, NULL, KM_RETRY,
         0, false, 0, NULL},
        {PDS "com.atproto.server.createSession", NULL, 200, "bluesky/session.json", NULL, KM_OK, 0,
         true, 0, NULL},
    };
    void *st = ct_create(BSKY, bsky_kv);
    char *committed = NULL;
    bsky_play(st, &committed, refused, sizeof(refused) / sizeof(refused[0]));
    assert_null(committed);
    BSKY->destroy(st);
}

static void test_login_errors(void **state)
{
    (void)state;
    static const char *const retry_after[] = {"Retry-After", "7", NULL};
    static const struct {
        long status;
        const char *body;
        const char *const *headers;
        int rc;
        const char *err;
        int64_t retry_after_ms;
    } cases[] = {
        {401, "bluesky/error_401_login.json", NULL, KM_ERR,
         "bluesky/city109: createSession: HTTP 401 AuthenticationRequired: Invalid identifier or "
         "password (check identifier and the app password)",
         0},
        {401, "bluesky/error_401_takedown.json", NULL, KM_ERR,
         "bluesky/city109: createSession: HTTP 401 AccountTakedown: Account has been taken down",
         0},
        {400, "bluesky/garbage.html", NULL, KM_ERR,
         "bluesky/city109: createSession: HTTP 400 error: login refused", 0},
        {429, "bluesky/error_429.json", limited, KM_RETRY,
         "bluesky/city109: createSession: HTTP 429: rate limited (RateLimitExceeded)", 30000},
        {502, "bluesky/garbage.html", retry_after, KM_RETRY,
         "bluesky/city109: createSession: HTTP 502", 7000},
        {404, "bluesky/garbage.html", NULL, KM_RETRY,
         "bluesky/city109: createSession: HTTP 404: is url a PDS? retrying in 10 min", 600000},
        {200, "bluesky/garbage.html", NULL, KM_EINPUT, "bluesky/city109: createSession: offset 0",
         0},
        {200, "bluesky/error_429.json", NULL, KM_EINPUT,
         "bluesky/city109: createSession: answer without accessJwt/refreshJwt", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        void *st = ct_create(BSKY, bsky_kv);
        struct km_request req;
        bsky_check_request(st, NULL, PDS "com.atproto.server.createSession", NULL, &req);
        km_request_clear(&req);
        struct km_post_batch out;
        km_post_batch_init(&out);
        char *cursor = NULL;
        struct km_err err;
        int rc = ct_consume(BSKY, st, cases[i].status, cases[i].body, cases[i].headers, &out,
                            &cursor, &err);
        if (rc != cases[i].rc || !ct_starts(err.msg, cases[i].err)) {
            fail_msg("case %zu: rc %d, err '%s'", i, rc, err.msg);
        }
        assert_int_equal(out.retry_after_ms, cases[i].retry_after_ms);
        assert_false(out.more);
        assert_null(cursor);
        /* The secret never appears in a message. */
        assert_null(strstr(err.msg, "abcd-efgh"));
        km_post_batch_free(&out);
        BSKY->destroy(st);
    }
}

/* Logs st in (one exchange) so that the next request is a search. */
static void bsky_login(void *st)
{
    struct km_request req;
    memset(&req, 0, sizeof(req));
    assert_int_equal(BSKY->next_request(st, NULL, &req), KM_OK);
    km_request_clear(&req);
    struct km_post_batch out;
    km_post_batch_init(&out);
    char *cursor = NULL;
    struct km_err err;
    assert_int_equal(ct_consume(BSKY, st, 200, "bluesky/session.json", NULL, &out, &cursor, &err),
                     KM_OK);
    km_post_batch_free(&out);
}

/* Searches once with cursor and consumes the answer. */
static int bsky_search(void *st, const char *cursor, long status, const char *body,
                       const char *const *headers, struct km_post_batch *out, char **next,
                       struct km_err *err)
{
    struct km_request req;
    memset(&req, 0, sizeof(req));
    assert_int_equal(BSKY->next_request(st, cursor, &req), KM_OK);
    assert_int_equal(req.method, KM_HTTP_GET);
    km_request_clear(&req);
    return ct_consume(BSKY, st, status, body, headers, out, next, err);
}

struct bsky_want {
    const char *id, *url, *author_id, *author_name, *author_handle, *text, *lang, *reply_to;
    int64_t created_at;
    int64_t likes, reposts, replies;
    const char *tags[4];
    const char *media[2];
};

static const struct bsky_want bsky_posts[] = {
    {"at://did:plc:w4xbfzo7kqfes5zb7r6qv3rw/app.bsky.feed.post/3m6b2xzq7ks2c",
     "https://bsky.app/profile/aigerim.bsky.social/post/3m6b2xzq7ks2c",
     "did:plc:w4xbfzo7kqfes5zb7r6qv3rw",
     "Әйгерім 🌸",
     "aigerim.bsky.social",
     "Сарыарқа ауданында жарық жоқ 😡 #Астана #жарық\n@akimat-astana.bsky.social қашан "
     "қосасыздар? #109",
     "kk",
     NULL,
     1795372812345LL,
     17,
     5,
     2,
     {"астана", "жарық", "109", NULL},
     {"https://cdn.bsky.app/img/feed_fullsize/plain/did:plc:w4xbfzo7kqfes5zb7r6qv3rw/"
      "bafkreiaxq5yfzw6w3qh2cpz3hhrxrdgizqlsjbxnsclkp2ewdk4rr6l3iy@jpeg",
      NULL}},
    /* A reply; an empty displayName falls back to the handle. */
    {"at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3m6b2wq4dmc2r",
     "https://bsky.app/profile/marat.kz/post/3m6b2wq4dmc2r",
     "did:plc:ewvi7nxzyoun6zhxrhs64oiz",
     "marat.kz",
     "marat.kz",
     "Отопление не работает третий день 🥶 #Астана #ЖКХ\n"
     "ул. Кенесары 40 https://example.org/kenesary40",
     "ru",
     "at://did:plc:w4xbfzo7kqfes5zb7r6qv3rw/app.bsky.feed.post/3m6b2xzq7ks2c",
     1795372770000LL,
     3,
     0,
     0,
     {"астана", "жкх", NULL},
     {NULL}},
    /* handle.invalid: no handle, the link uses the DID; record.tags adds #iKomek; a quote
     * post with media. */
    {"at://did:plc:3jpt2mvvsumj2r7eqk4gzzjz/app.bsky.feed.post/3m6b2tlmvvk2u",
     "https://bsky.app/profile/did:plc:3jpt2mvvsumj2r7eqk4gzzjz/post/3m6b2tlmvvk2u",
     "did:plc:3jpt2mvvsumj2r7eqk4gzzjz",
     NULL,
     NULL,
     "Бул да солай: жол жөнделмеген #акиматАстаны",
     "kk",
     NULL,
     1795372685000LL,
     0,
     1,
     0,
     {"акиматастаны", "ikomek", NULL},
     {"https://cdn.bsky.app/img/feed_fullsize/plain/did:plc:3jpt2mvvsumj2r7eqk4gzzjz/"
      "bafkreibbjdjyemxxwpzjn4hbyjsmv3xc6gkcvitthmcutwbffrfx4yq3xa@jpeg",
      NULL}},
    /* No langs; a video; createdAt later than indexedAt (sortAt is indexedAt). */
    {"at://did:plc:vwzwgnygau7ed7b7wt5ux7y2/app.bsky.feed.post/3m6b2rzbexs2a",
     "https://bsky.app/profile/dana.example.com/post/3m6b2rzbexs2a",
     "did:plc:vwzwgnygau7ed7b7wt5ux7y2",
     "Dana",
     "dana.example.com",
     "Flooded underpass on Kenesary again, cars stuck #Astana #109",
     NULL,
     NULL,
     1795372890000LL,
     40,
     9,
     4,
     {"astana", "109", NULL},
     {"https://video.bsky.app/watch/did%3Aplc%3Avwzwgnygau7ed7b7wt5ux7y2/"
      "bafkreifsjvzzq2ct3oouu6fqmbkhlbuvjdnd4gqmpkpf5f4mlthwgiu5ki/playlist.m3u8",
      NULL}},
};

static void bsky_check_post(const struct km_post *p, const struct bsky_want *w)
{
    ct_assert_str(p->network, "bluesky");
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
    void *st = ct_create(BSKY, bsky_kv);
    bsky_login(st);
    struct km_post_batch out;
    km_post_batch_init(&out);
    char *cursor = NULL;
    struct km_err err;
    static const char *const headers[] = {
        "RateLimit-Limit", "3000", "RateLimit-Remaining", "2999", "RateLimit-Policy",
        "3000;w=300",      NULL};
    assert_int_equal(
        bsky_search(st, NULL, 200, "bluesky/search_page.json", headers, &out, &cursor, &err),
        KM_OK);
    assert_int_equal(out.n, sizeof(bsky_posts) / sizeof(bsky_posts[0]));
    for (size_t i = 0; i < out.n; i++) {
        bsky_check_post(out.posts[i], &bsky_posts[i]);
    }
    /* 4 of 50: the sweep is over, the mark is the newest sortAt, the round is complete. */
    assert_string_equal(cursor, CUR_ROUND);
    assert_int_equal(out.skipped, 0);
    assert_int_equal(out.retry_after_ms, 0);
    assert_false(out.more);
    free(cursor);
    km_post_batch_free(&out);
    BSKY->destroy(st);
}

static void test_consume_cases(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        size_t n_posts;
        unsigned skipped;
        const char *err;
        const char *text0; /* prefix of the first post's text */
    } cases[] = {
        {"bluesky/search_empty.json", 0, 0, "", NULL},
        {"bluesky/malformed_posts.json", 1, 4, "bluesky/city109: post #1: no at:// uri",
         "Сарыарқа"},
        /* Invalid UTF-8 is repaired, the post kept. */
        {"bluesky/invalid_utf8.json", 1, 0, "", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD(Отопление"},
        {"={\"posts\":[{\"uri\":\"at://did:plc:q/app.bsky.feed.post/1\",\"author\":{\"did\":"
         "\"did:plc:q\"},\"record\":{}}]}",
         1, 0, "", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        void *st = ct_create(BSKY, bsky_kv);
        bsky_login(st);
        struct km_post_batch out;
        km_post_batch_init(&out);
        char *cursor = NULL;
        struct km_err err;
        assert_int_equal(bsky_search(st, NULL, 200, cases[i].body, NULL, &out, &cursor, &err),
                         KM_OK);
        assert_int_equal(out.n, cases[i].n_posts);
        assert_int_equal(out.skipped, cases[i].skipped);
        assert_string_equal(err.msg, cases[i].err);
        if (cases[i].text0 != NULL) {
            assert_true(ct_starts(out.posts[0]->text, cases[i].text0));
        }
        assert_non_null(cursor);
        free(cursor);
        km_post_batch_free(&out);
        BSKY->destroy(st);
    }
}

static void test_search_errors(void **state)
{
    (void)state;
    static const char *const retry_after[] = {"Retry-After", "120", NULL};
    static const char *const reset_far[] = {"RateLimit-Reset", "4102444800", NULL};
    static const char *const reset_past[] = {"RateLimit-Reset", "1795372800", NULL};
    static const char *const bad_reset[] = {"RateLimit-Reset", "2026-11-22T18:45:00Z",
                                            "Retry-After", "3", NULL};
    static const struct {
        long status;
        const char *body;
        const char *const *headers;
        int rc;
        const char *err;
        int64_t retry_after_ms;
    } cases[] = {
        {429, "bluesky/error_429.json", limited, KM_RETRY,
         "bluesky/city109: searchPosts: HTTP 429: rate limited (RateLimitExceeded)", 30000},
        {429, "bluesky/error_429.json", reset_far, KM_RETRY,
         "bluesky/city109: searchPosts: HTTP 429", 86400000},
        {429, "bluesky/error_429.json", reset_past, KM_RETRY,
         "bluesky/city109: searchPosts: HTTP 429", 0},
        {429, "bluesky/garbage.html", bad_reset, KM_RETRY,
         "bluesky/city109: searchPosts: HTTP 429: rate limited", 3000},
        {500, "bluesky/error_500.json", NULL, KM_RETRY,
         "bluesky/city109: searchPosts: HTTP 500 (InternalServerError)", 0},
        {503, "bluesky/garbage.html", retry_after, KM_RETRY,
         "bluesky/city109: searchPosts: HTTP 503", 120000},
        {400, "bluesky/error_400_query.json", NULL, KM_RETRY,
         "bluesky/city109: searchPosts: HTTP 400 BadQueryString: query string too long", 0},
        {403, "bluesky/garbage.html", retry_after, KM_RETRY,
         "bluesky/city109: searchPosts: HTTP 403 error: request refused", 120000},
        {404, "bluesky/garbage.html", NULL, KM_RETRY,
         "bluesky/city109: searchPosts: HTTP 404: is url a PDS? retrying in 10 min", 600000},
        {200, "bluesky/garbage.html", NULL, KM_EINPUT, "bluesky/city109: offset 0", 0},
        {200, "bluesky/truncated.json", NULL, KM_EINPUT, "bluesky/city109: offset ", 0},
        {200, NULL, NULL, KM_EINPUT, "bluesky/city109: empty body", 0},
        {200, "bluesky/error_429.json", NULL, KM_EINPUT,
         "bluesky/city109: response has no posts array", 0},
        {200, "=[{\"posts\":[]}]", NULL, KM_EINPUT, "bluesky/city109: response has no posts array",
         0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        void *st = ct_create(BSKY, bsky_kv);
        bsky_login(st);
        struct km_post_batch out;
        km_post_batch_init(&out);
        char *cursor = NULL;
        struct km_err err;
        int rc = bsky_search(st, NULL, cases[i].status, cases[i].body, cases[i].headers, &out,
                             &cursor, &err);
        if (rc != cases[i].rc || !ct_starts(err.msg, cases[i].err)) {
            fail_msg("case %zu: rc %d, err '%s'", i, rc, err.msg);
        }
        assert_int_equal(out.retry_after_ms, cases[i].retry_after_ms);
        assert_int_equal(out.n, 0);
        assert_null(cursor);
        km_post_batch_free(&out);
        BSKY->destroy(st);
    }
}

static void test_cursor(void **state)
{
    (void)state;
    static const struct {
        const char *tags, *limit, *cursor; /* config and committed cursor */
        const char *url;                   /* the search it leads to */
        bool more;                         /* after search_page.json */
        const char *next;                  /* the cursor committed with it */
    } cases[] = {
        /* A mark after the page's oldest post (minus the slack): stop paging back. */
        {"Астана", "4",
         "{\"v\":1,\"next\":\"Астана\",\"tags\":{\"Астана\":{\"since\":\"2026-11-22T18:43:00Z\"}}}",
         SEARCH ASTANA "&tag=" ASTANA "&sort=latest&limit=4&since=2026-11-22T18%3A38%3A00Z", false,
         "{\"v\":1,\"next\":\"Астана\",\"tags\":{\"Астана\":"
         "{\"since\":\"2026-11-22T18:43:00Z\"}}}"},
        /* No mark: the first sweep pages back a day; tags keep their marks by name, an
         * unknown "next" and unknown tags are ignored. */
        {"iKomek,Астана", "4",
         "{\"v\":1,\"next\":\"gone\",\"tags\":{\"gone\":{\"since\":\"2026-11-22T18:00:00Z\"},"
         "\"Астана\":{\"since\":\"2026-11-22T18:00:00Z\"}}}",
         SEARCH "iKomek&tag=iKomek&sort=latest&limit=4", true,
         "{\"v\":1,\"next\":\"iKomek\",\"tags\":{\"iKomek\":{\"top\":\"2026-11-22T18:40:12.345Z\","
         "\"page\":\"4\"},\"Астана\":{\"since\":\"2026-11-22T18:00:00Z\"}}}"},
        /* A damaged cursor is dropped; a page cursor is percent-encoded. */
        {"a&b=c", "50", "{not json", SEARCH "a%26b%3Dc&tag=a%26b%3Dc&sort=latest&limit=50", false,
         "{\"v\":1,\"next\":\"a&b=c\",\"tags\":{\"a&b=c\":{\"since\":\"2026-11-22T18:40:12.345Z\"}}"
         "}"},
        {"a", "4", "{\"v\":1,\"next\":\"a\",\"tags\":{\"a\":{\"page\":\"x&y=1 2\",\"since\":7}}}",
         SEARCH "a&tag=a&sort=latest&limit=4&cursor=x%26y%3D1%202", true,
         "{\"v\":1,\"next\":\"a\",\"tags\":{\"a\":{\"top\":\"2026-11-22T18:40:12.345Z\","
         "\"page\":\"4\"}}}"},
        /* Digits and '_' only: searched as text, without tag[]. */
        {"1_09", "50", NULL, SEARCH "1_09&sort=latest&limit=50", false,
         "{\"v\":1,\"next\":\"1_09\",\"tags\":{\"1_09\":{\"since\":\"2026-11-22T18:40:12.345Z\"}}"
         "}"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *kv[] = {
            "type", "bluesky",     "identifier", "k.bsky.social", "password", "abcd-efgh-ijkl-mnop",
            "tags", cases[i].tags, "limit",      cases[i].limit,  NULL};
        void *st = ct_create(BSKY, kv);
        bsky_login(st);
        struct km_request req;
        bsky_check_request(st, cases[i].cursor, cases[i].url, ACCESS1, &req);
        km_request_clear(&req);
        struct km_post_batch out;
        km_post_batch_init(&out);
        char *cursor = NULL;
        struct km_err err;
        assert_int_equal(
            ct_consume(BSKY, st, 200, "bluesky/search_page.json", NULL, &out, &cursor, &err),
            KM_OK);
        assert_int_equal(out.n, 4);
        if (out.more != cases[i].more) {
            fail_msg("case %zu: more %d", i, out.more);
        }
        ct_assert_str(cursor, cases[i].next);
        free(cursor);
        km_post_batch_free(&out);
        BSKY->destroy(st);
    }
}

static void test_appview(void **state)
{
    (void)state;
    static const char *const kv[] = {"type",       "bluesky",
                                     "url",        "https://pds.example.kz/",
                                     "appview",    "did:web:api.bsky.app#bsky_appview",
                                     "identifier", "did:plc:kmk109",
                                     "password",   "abcd-efgh-ijkl-mnop",
                                     "tags",       "Astana",
                                     NULL};
    void *st = ct_create(BSKY, kv);
    bsky_login(st);
    struct km_request req;
    memset(&req, 0, sizeof(req));
    assert_int_equal(BSKY->next_request(st, NULL, &req), KM_OK);
    assert_string_equal(req.url, "https://pds.example.kz/xrpc/app.bsky.feed.searchPosts?q=%23Astana"
                                 "&tag=Astana&sort=latest&limit=50");
    assert_int_equal(req.n_headers, 3);
    assert_string_equal(req.headers[2], "atproto-proxy: did:web:api.bsky.app#bsky_appview");
    km_request_clear(&req);
    BSKY->destroy(st);
}

/* Hashtags from facets next to emoji and Kazakh letters, with byte offsets. */
static void test_hashtags(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int start, end;
        const char *feature_tag; /* NULL: the feature has no tag, the covered text counts */
        const char *tags[3];
    } cases[] = {
        /* "жол" is 6 bytes; '#' follows a letter, so only the facet marks it. */
        {"жол#жөндеу", 6, 19, NULL, {"жөндеу", NULL}},
        {"жол#жөндеу", 6, 18, NULL, {NULL}},              /* ends inside "у" */
        {"жол#жөндеу", 7, 19, NULL, {NULL}},              /* does not start with '#' */
        {"жол#жөндеу", 1, 19, NULL, {NULL}},              /* starts inside "ж" */
        {"жол#жөндеу", 6, 25, NULL, {NULL}},              /* beyond the text */
        {"жол#жөндеу", 6, 7, NULL, {NULL}},               /* '#' alone */
        {"жол#жөндеу", 19, 6, NULL, {NULL}},              /* reversed */
        {"🆘＃Астана бар", 4, 19, NULL, {"астана", NULL}}, /* fullwidth ＃ after an emoji */
        /* The feature's tag wins over offsets that are wrong (UTF-16 units here). */
        {"🆘 #Қала", 3, 9, "Қала", {"қала", NULL}},
        {"😡 #Астана #жарық", 5, 18, "Астана", {"астана", "жарық", NULL}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char body[1024];
        char feature[128] = "";
        if (cases[i].feature_tag != NULL) {
            snprintf(feature, sizeof(feature), ",\"tag\":\"%s\"", cases[i].feature_tag);
        }
        snprintf(
            body, sizeof(body),
            "={\"posts\":[{\"uri\":\"at://did:plc:q/app.bsky.feed.post/3m\",\"author\":"
            "{\"did\":\"did:plc:q\",\"handle\":\"q.bsky.social\"},\"record\":{\"text\":\"%s\","
            "\"facets\":[{\"index\":{\"byteStart\":%d,\"byteEnd\":%d},\"features\":[{\"$type\":"
            "\"app.bsky.richtext.facet#mention\",\"did\":\"did:plc:x\"},{\"$type\":"
            "\"app.bsky.richtext.facet#tag\"%s}]}]},\"indexedAt\":\"2026-11-22T18:40:00Z\"}]}",
            cases[i].text, cases[i].start, cases[i].end, feature);
        void *st = ct_create(BSKY, bsky_kv);
        bsky_login(st);
        struct km_post_batch out;
        km_post_batch_init(&out);
        char *cursor = NULL;
        struct km_err err;
        assert_int_equal(bsky_search(st, NULL, 200, body, NULL, &out, &cursor, &err), KM_OK);
        assert_int_equal(out.n, 1);
        print_message("case %zu\n", i);
        ct_assert_tags(out.posts[0], cases[i].tags);
        free(cursor);
        km_post_batch_free(&out);
        BSKY->destroy(st);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),          cmocka_unit_test(test_create_errors),
        cmocka_unit_test(test_login_request), cmocka_unit_test(test_url_allowed),
        cmocka_unit_test(test_session_flow),  cmocka_unit_test(test_refused),
        cmocka_unit_test(test_login_errors),  cmocka_unit_test(test_consume_page),
        cmocka_unit_test(test_consume_cases), cmocka_unit_test(test_search_errors),
        cmocka_unit_test(test_cursor),        cmocka_unit_test(test_appview),
        cmocka_unit_test(test_hashtags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
