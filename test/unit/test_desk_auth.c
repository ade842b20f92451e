/* Unit tests for desk/auth.c (roles, the session cookie, CSRF and role decisions, yescrypt
 * passwords, tokens), desk/match.c (route matching) and the pure parts of desk/sse.c and
 * desk/assets.c. No server, no database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "desk/assets.h"
#include "desk/auth.h"
#include "desk/match.h"
#include "desk/sse.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_role_names(void **state)
{
    (void)state;
    assert_int_equal(km_desk_role_parse("operator"), KM_DESK_OPERATOR);
    assert_int_equal(km_desk_role_parse("supervisor"), KM_DESK_SUPERVISOR);
    assert_int_equal(km_desk_role_parse("admin"), KM_DESK_ADMIN);
    assert_int_equal(km_desk_role_parse("Admin"), KM_DESK_ANON);
    assert_int_equal(km_desk_role_parse("anonymous"), KM_DESK_ANON);
    assert_int_equal(km_desk_role_parse(""), KM_DESK_ANON);
    assert_int_equal(km_desk_role_parse(NULL), KM_DESK_ANON);
    assert_string_equal(km_desk_role_name(KM_DESK_SUPERVISOR), "supervisor");
    assert_string_equal(km_desk_role_name(KM_DESK_ANON), "anonymous");
    assert_string_equal(km_desk_role_name((enum km_desk_role)42), "anonymous");
}

static void test_cookie_get(void **state)
{
    (void)state;
    static const struct {
        const char *header;
        const char *want; /* NULL = not found */
    } cases[] = {
        {"komek_session=abc", "abc"},
        {"a=1; komek_session=abc; b=2", "abc"},
        {"a=1;komek_session=abc", "abc"},
        {"  komek_session=abc  ", "abc"},
        {"komek_session=\"abc\"", "abc"},
        {"komek_session=abc; komek_session=def", "abc"},
        {"xkomek_session=abc", NULL},
        {"komek_sessionx=abc", NULL},
        {"komek_session", NULL},
        {"komek_session=", NULL},
        {"a=komek_session=abc", NULL},
        {"", NULL},
        {NULL, NULL},
        {"komek_session=0123456789012345678901234567890123456789", NULL}, /* too long */
    };
    for (size_t i = 0; i < N(cases); i++) {
        char out[32] = "unchanged";
        bool got = km_desk_cookie_get(cases[i].header, KM_DESK_COOKIE, out, sizeof(out));
        if (got != (cases[i].want != NULL)) {
            fail_msg("case %zu (%s): found %d", i, cases[i].header ? cases[i].header : "NULL", got);
        }
        if (got && strcmp(out, cases[i].want) != 0) {
            fail_msg("case %zu: got '%s', want '%s'", i, out, cases[i].want);
        }
    }
}

static void test_csrf_needed(void **state)
{
    (void)state;
    static const struct {
        const char *method, *path;
        bool needed;
    } cases[] = {
        {"GET", "/api/queue", false},         {"HEAD", "/", false},
        {"POST", "/api/login", false},        {"POST", "/api/logout", true},
        {"POST", "/api/login/x", true},       {"PUT", "/api/login", true},
        {"DELETE", "/api/items/x", true},     {"PATCH", "/api/users/a", true},
        {"POST", "/api/items/x/claim", true},
    };
    for (size_t i = 0; i < N(cases); i++) {
        if (km_desk_csrf_needed(cases[i].method, cases[i].path) != cases[i].needed) {
            fail_msg("case %zu: %s %s", i, cases[i].method, cases[i].path);
        }
    }
}

static void test_access_check(void **state)
{
    (void)state;
    enum { A = KM_DESK_ANON, O = KM_DESK_OPERATOR, S = KM_DESK_SUPERVISOR, D = KM_DESK_ADMIN };
    static const char tok[] = "csrf-token-of-the-session";
    static const struct {
        int min, role;
        const char *method, *path, *given, *session;
        enum km_desk_access want;
    } cases[] = {
        /* no session */
        {O, A, "GET", "/api/queue", NULL, NULL, KM_DESK_DENY_SESSION},
        {O, A, "POST", "/api/items/x/claim", tok, NULL, KM_DESK_DENY_SESSION},
        {A, A, "POST", "/api/login", NULL, NULL, KM_DESK_ALLOW},
        {A, A, "GET", "/", NULL, NULL, KM_DESK_ALLOW},
        {A, A, "POST", "/api/other", tok, NULL, KM_DESK_DENY_CSRF},
        /* CSRF */
        {O, O, "GET", "/api/queue", NULL, tok, KM_DESK_ALLOW},
        {O, O, "POST", "/api/items/x/claim", NULL, tok, KM_DESK_DENY_CSRF},
        {O, O, "POST", "/api/items/x/claim", "", tok, KM_DESK_DENY_CSRF},
        {O, O, "POST", "/api/items/x/claim", "csrf-token-of-the-sessioN", tok, KM_DESK_DENY_CSRF},
        {O, O, "POST", "/api/items/x/claim", "csrf-token-of-the-session-", tok, KM_DESK_DENY_CSRF},
        {O, O, "POST", "/api/items/x/claim", tok, tok, KM_DESK_ALLOW},
        {O, O, "POST", "/api/logout", tok, tok, KM_DESK_ALLOW},
        /* roles: CSRF is checked before the role */
        {S, O, "GET", "/api/supervisor/overview", NULL, tok, KM_DESK_DENY_ROLE},
        {S, O, "POST", "/api/watch/reload", NULL, tok, KM_DESK_DENY_CSRF},
        {S, O, "POST", "/api/watch/reload", tok, tok, KM_DESK_DENY_ROLE},
        {S, S, "POST", "/api/watch/reload", tok, tok, KM_DESK_ALLOW},
        {S, D, "GET", "/api/supervisor/overview", NULL, tok, KM_DESK_ALLOW},
        {D, S, "GET", "/api/users", NULL, tok, KM_DESK_DENY_ROLE},
        {D, D, "GET", "/api/users", NULL, tok, KM_DESK_ALLOW},
    };
    for (size_t i = 0; i < N(cases); i++) {
        enum km_desk_access got =
            km_desk_access_check((enum km_desk_role)cases[i].min, (enum km_desk_role)cases[i].role,
                                 cases[i].method, cases[i].path, cases[i].given, cases[i].session);
        if (got != cases[i].want) {
            fail_msg("case %zu: %s %s gave %d, want %d", i, cases[i].method, cases[i].path, got,
                     cases[i].want);
        }
    }
}

static void test_path_min_role(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        enum km_desk_role want;
    } cases[] = {
        {"/", KM_DESK_ANON},
        {"/assets/app.js", KM_DESK_ANON},
        {"/apix", KM_DESK_ANON},
        {"/api/login", KM_DESK_ANON},
        {"/api", KM_DESK_OPERATOR},
        {"/api/", KM_DESK_OPERATOR},
        {"/api/login/more", KM_DESK_OPERATOR},
        {"/api/queue", KM_DESK_OPERATOR},
        {"/api/nonexistent", KM_DESK_OPERATOR},
        {"/api/supervisor/overview", KM_DESK_SUPERVISOR},
        {"/api/supervisor", KM_DESK_SUPERVISOR},
        {"/api/supervisors", KM_DESK_OPERATOR},
        {"/api/reports/agencies", KM_DESK_SUPERVISOR},
        {"/api/watch", KM_DESK_SUPERVISOR},
        {"/api/watch/reload", KM_DESK_SUPERVISOR},
        {"/api/users", KM_DESK_ADMIN},
        {"/api/users/bob/disable", KM_DESK_ADMIN},
        {"/api/usersx", KM_DESK_OPERATOR},
    };
    for (size_t i = 0; i < N(cases); i++) {
        if (km_desk_path_min_role(cases[i].path) != cases[i].want) {
            fail_msg("case %zu: %s", i, cases[i].path);
        }
    }
}

static void test_password(void **state)
{
    (void)state;
    char *hash = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_desk_password_hash("correct horse battery", &hash, &err), KM_OK);
    assert_non_null(hash);
    assert_memory_equal(hash, "$y$", 3);
    assert_true(km_desk_password_verify("correct horse battery", hash));
    assert_false(km_desk_password_verify("correct horse batterY", hash));
    assert_false(km_desk_password_verify("correct horse battery ", hash));
    assert_false(km_desk_password_verify("", hash));
    assert_false(km_desk_password_verify(NULL, hash));
    /* a second hash of the same password has its own salt */
    char *again = NULL;
    assert_int_equal(km_desk_password_hash("correct horse battery", &again, &err), KM_OK);
    assert_string_not_equal(hash, again);
    assert_true(km_desk_password_verify("correct horse battery", again));
    /* no hash, or not a crypt string: never matches */
    assert_false(km_desk_password_verify("x", NULL));
    assert_false(km_desk_password_verify("x", "x"));
    assert_false(km_desk_password_verify("", ""));
    assert_false(km_desk_password_verify("*0", "*0"));
    free(hash);
    free(again);
    assert_int_equal(km_desk_password_hash("", &hash, &err), KM_EINPUT);
    assert_null(hash);
    char *big = malloc(KM_DESK_PASSWORD_MAX + 2);
    memset(big, 'a', KM_DESK_PASSWORD_MAX + 1);
    big[KM_DESK_PASSWORD_MAX + 1] = '\0';
    assert_int_equal(km_desk_password_hash(big, &hash, &err), KM_EINPUT);
    free(big);
}

static void test_tokens(void **state)
{
    (void)state;
    char a[KM_DESK_TOKEN_LEN + 1], b[KM_DESK_TOKEN_LEN + 1];
    struct km_err err = {{0}};
    assert_int_equal(km_desk_token_new(a, &err), KM_OK);
    assert_int_equal(km_desk_token_new(b, &err), KM_OK);
    assert_int_equal(strlen(a), KM_DESK_TOKEN_LEN);
    assert_string_not_equal(a, b);
    assert_true(km_desk_token_valid(a));
    assert_true(km_desk_token_valid(b));
    a[5] = '+';
    assert_false(km_desk_token_valid(a));
    a[5] = '\0';
    assert_false(km_desk_token_valid(a));
    assert_false(km_desk_token_valid(NULL));
    assert_false(km_desk_token_valid(""));
}

/* ---- routes -------------------------------------------------------------------------- */

static void h_dummy(struct km_desk_req *req, struct km_desk_resp *resp)
{
    (void)req;
    (void)resp;
}

static const struct km_desk_route t_server[] = {
    {"POST", "/api/login", KM_DESK_ANON, h_dummy},
    {"GET", "/", KM_DESK_ANON, h_dummy},
    {"GET", "/assets/:name", KM_DESK_ANON, h_dummy},
    {NULL, NULL, KM_DESK_ANON, NULL},
};
static const struct km_desk_route t_api[] = {
    {"GET", "/api/queue", KM_DESK_OPERATOR, h_dummy},
    {"GET", "/api/items/:id", KM_DESK_OPERATOR, h_dummy},
    {"POST", "/api/items/:id/claim", KM_DESK_OPERATOR, h_dummy},
    {"POST", "/api/tickets/:number/:what", KM_DESK_OPERATOR, h_dummy},
    {"POST", "/api/login", KM_DESK_ADMIN, h_dummy}, /* shadowed by the server's */
    {NULL, NULL, KM_DESK_ANON, NULL},
};

static void test_route_find(void **state)
{
    (void)state;
    static const struct km_desk_route *const tables[] = {t_server, t_api, NULL};
    static const struct {
        const char *method, *path, *pattern; /* pattern NULL = no route */
        bool path_known;
        const char *p0, *p1;
    } cases[] = {
        {"GET", "/", "/", false, NULL, NULL},
        {"GET", "/api/queue", "/api/queue", false, NULL, NULL},
        {"POST", "/api/queue", NULL, true, NULL, NULL},
        {"GET", "/api/queue/", NULL, false, NULL, NULL},
        {"GET", "/api/queuex", NULL, false, NULL, NULL},
        {"GET", "/api/items/telegram%3A42", "/api/items/:id", false, "telegram:42", NULL},
        {"GET", "/api/items/a%2Fb", "/api/items/:id", false, "a/b", NULL},
        {"GET", "/api/items/%D0%B0", "/api/items/:id", false, "\xd0\xb0", NULL},
        {"GET", "/api/items/x+y", "/api/items/:id", false, "x+y", NULL},
        {"GET", "/api/items/", NULL, false, NULL, NULL},
        {"GET", "/api/items/%zz", NULL, false, NULL, NULL},
        {"GET", "/api/items/%4", NULL, false, NULL, NULL},
        {"GET", "/api/items/a%00b", NULL, false, NULL, NULL},
        {"GET", "/api/items//claim", NULL, false, NULL, NULL},
        {"POST", "/api/items/mastodon%3A9/claim", "/api/items/:id/claim", false, "mastodon:9",
         NULL},
        {"GET", "/api/items/mastodon%3A9/claim", NULL, true, NULL, NULL},
        {"POST", "/api/tickets/109-2026-000001/status", "/api/tickets/:number/:what", false,
         "109-2026-000001", "status"},
        {"GET", "/assets/app.js", "/assets/:name", false, "app.js", NULL},
        {"GET", "/assets/a/b.js", NULL, false, NULL, NULL},
        {"POST", "/api/login", "/api/login", false, NULL, NULL},
        {"GET", "", NULL, false, NULL, NULL},
    };
    for (size_t i = 0; i < N(cases); i++) {
        struct km_desk_match m;
        const struct km_desk_route *r =
            km_desk_route_find(tables, cases[i].method, cases[i].path, &m);
        if ((r == NULL) != (cases[i].pattern == NULL) ||
            (r != NULL && strcmp(r->pattern, cases[i].pattern) != 0)) {
            fail_msg("case %zu: %s %s matched %s", i, cases[i].method, cases[i].path,
                     r != NULL ? r->pattern : "nothing");
        }
        if (r == NULL && m.path_known != cases[i].path_known) {
            fail_msg("case %zu: path_known %d", i, m.path_known);
        }
        if (r != NULL && r == &t_api[4]) {
            fail_msg("case %zu: the API's route shadowed the server's", i);
        }
        size_t want_n = cases[i].p1 != NULL ? 2 : cases[i].p0 != NULL ? 1 : 0;
        if (r != NULL && m.n_params != want_n) {
            fail_msg("case %zu: %zu params", i, m.n_params);
        }
        if (want_n > 0 && strcmp(m.params[0], cases[i].p0) != 0) {
            fail_msg("case %zu: params[0] = '%s'", i, m.params[0]);
        }
        if (want_n > 1 && strcmp(m.params[1], cases[i].p1) != 0) {
            fail_msg("case %zu: params[1] = '%s'", i, m.params[1]);
        }
    }
}

static void test_percent_decode(void **state)
{
    (void)state;
    char out[8];
    assert_true(km_desk_percent_decode("a%41b", 5, out, sizeof(out)));
    assert_string_equal(out, "aAb");
    assert_true(km_desk_percent_decode("1234567", 7, out, sizeof(out)));
    assert_false(km_desk_percent_decode("12345678", 8, out, sizeof(out))); /* no room */
    assert_false(km_desk_percent_decode("%4", 2, out, sizeof(out)));
    assert_false(km_desk_percent_decode("%", 1, out, sizeof(out)));
    assert_true(km_desk_percent_decode("%41", 3, out, sizeof(out)));
    assert_string_equal(out, "A");
    assert_true(km_desk_percent_decode("%41", 2, out, sizeof(out)) == false);
}

/* ---- SSE and assets ------------------------------------------------------------------ */

static void test_sse_format(void **state)
{
    (void)state;
    char *fields[] = {"v",    "2",       "network", "telegram", "post", "{\"big\":1}",
                      "text", "a\"b\nc", "id",      "spoofed",  "bad",  "\xff"};
    struct km_buf b = KM_BUF_INIT;
    km_desk_sse_format(&b, "post", "1-0_0-0_0-0", "1-0", fields, 6, "post");
    assert_string_equal(b.data, "id: 1-0_0-0_0-0\nevent: post\ndata: {\"id\":\"1-0\",\"v\":\"2\","
                                "\"network\":\"telegram\",\"text\":\"a\\\"b\\u000ac\","
                                "\"bad\":\"\xef\xbf\xbd\"}\n\n");
    km_buf_reset(&b);
    km_desk_sse_format(&b, "ticket", "x", "5-1", fields, 1, NULL);
    assert_string_equal(b.data, "id: x\nevent: ticket\ndata: {\"id\":\"5-1\",\"v\":\"2\"}\n\n");
    km_buf_free(&b);
}

static void test_assets(void **state)
{
    (void)state;
    assert_true(km_desk_asset_name_ok("app.js"));
    assert_true(km_desk_asset_name_ok("style-2_x.css"));
    assert_false(km_desk_asset_name_ok(".htaccess"));
    assert_false(km_desk_asset_name_ok("a/b.js"));
    assert_false(km_desk_asset_name_ok(".."));
    assert_false(km_desk_asset_name_ok(""));
    assert_false(km_desk_asset_name_ok("a b"));
    assert_string_equal(km_desk_asset_type("index.html"), "text/html; charset=utf-8");
    assert_string_equal(km_desk_asset_type("app.js"), "text/javascript; charset=utf-8");
    assert_string_equal(km_desk_asset_type("x.svg"), "image/svg+xml");
    assert_string_equal(km_desk_asset_type("x.js.bak"), "application/octet-stream");
    assert_string_equal(km_desk_asset_type("noext"), "application/octet-stream");
    /* the page is built in: index.html exists once desk/web/ has it */
    const struct km_desk_asset *a = km_desk_asset_find("index.html");
    assert_non_null(a);
    assert_true(a->len > 0);
    assert_null(km_desk_asset_find("missing.js"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_role_names),     cmocka_unit_test(test_cookie_get),
        cmocka_unit_test(test_csrf_needed),    cmocka_unit_test(test_access_check),
        cmocka_unit_test(test_path_min_role),  cmocka_unit_test(test_password),
        cmocka_unit_test(test_tokens),         cmocka_unit_test(test_route_find),
        cmocka_unit_test(test_percent_decode), cmocka_unit_test(test_sse_format),
        cmocka_unit_test(test_assets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
