/* Unit tests for the request/response helpers of collectors/collector.h. */
#include "collectors/collector.h"

#include "common/alloc.h"
#include "common/err.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_request_headers(void **state)
{
    (void)state;
    struct km_request req = {0};
    req.url = km_strdup("https://example.org/");
    req.body = km_strdup("{}");
    req.content_type = km_strdup("application/json");
    req.timeout_ms = 5000;
    assert_int_equal(km_request_add_header(&req, "Authorization: Bearer %s", "t0k"), KM_OK);
    assert_string_equal(req.headers[0], "Authorization: Bearer t0k");
    /* A CR or LF would inject a second header. */
    assert_int_equal(km_request_add_header(&req, "X-A: %s", "a\r\nX-Evil: 1"), KM_EINPUT);
    assert_int_equal(req.n_headers, 1);
    for (int i = 1; i < KM_REQ_MAX_HEADERS; i++) {
        assert_int_equal(km_request_add_header(&req, "X-%d: v", i), KM_OK);
    }
    assert_int_equal(km_request_add_header(&req, "X-Full: v"), KM_ERR);
    assert_int_equal(req.n_headers, KM_REQ_MAX_HEADERS);
    km_request_clear(&req);
    assert_null(req.url);
    assert_null(req.body);
    assert_int_equal(req.n_headers, 0);
    assert_int_equal(req.timeout_ms, 0);
    km_request_clear(&req); /* twice is fine */
    km_request_clear(NULL);
}

static void test_response_header(void **state)
{
    (void)state;
    struct km_header h[] = {{"Content-Type", "text/plain"}, {"x-rate", "1"}, {"X-Rate", "2"}};
    struct km_response resp = {.status = 200, .headers = h, .n_headers = 3};
    assert_string_equal(km_response_header(&resp, "content-type"), "text/plain");
    assert_string_equal(km_response_header(&resp, "X-RATE"), "1"); /* the first one */
    assert_null(km_response_header(&resp, "Retry-After"));
    struct km_response none = {.status = 200};
    assert_null(km_response_header(&none, "Content-Type"));
}

static void test_retry_after(void **state)
{
    (void)state;
    /* 1795372861000 = Sun, 22 Nov 2026 18:41:01 GMT */
    static const struct {
        const char *value, *date;
        int64_t received_at, want;
    } cases[] = {
        {"2", NULL, 0, 2000},
        {" 120 ", NULL, 0, 120000},
        {"0", NULL, 0, 0},
        {"-5", NULL, 0, -1},
        {"1.5", NULL, 0, -1},
        {"soon", NULL, 0, -1},
        {"", NULL, 0, -1},
        {"99999999999999999999", NULL, 0, -1},
        {"Sun, 22 Nov 2026 18:41:31 GMT", NULL, 1795372861000LL, 30000},
        /* In the past: no wait. */
        {"Sun, 22 Nov 2026 18:40:01 GMT", NULL, 1795372861000LL, 0},
        /* The server's Date wins over a local clock that is 10 minutes fast. */
        {"Sun, 22 Nov 2026 18:41:31 GMT", "Sun, 22 Nov 2026 18:41:01 GMT", 1795372861000LL + 600000,
         30000},
        {"Sun, 22 Nov 2026 25:41:31 GMT", NULL, 1795372861000LL, -1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct km_header h[2] = {{"retry-after", (char *)cases[i].value},
                                 {"Date", (char *)cases[i].date}};
        struct km_response resp = {.status = 429,
                                   .headers = h,
                                   .n_headers = cases[i].date != NULL ? 2 : 1,
                                   .received_at_ms = cases[i].received_at};
        int64_t got = km_response_retry_after_ms(&resp);
        if (got != cases[i].want) {
            fail_msg("case %zu '%s': got %lld, want %lld", i, cases[i].value, (long long)got,
                     (long long)cases[i].want);
        }
    }
    struct km_response none = {.status = 429};
    assert_int_equal(km_response_retry_after_ms(&none), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_headers),
        cmocka_unit_test(test_response_header),
        cmocka_unit_test(test_retry_after),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
