/* Unit tests for common/: time and duration parsing, UTF-8 repair, buffers. */
#include "common/alloc.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/time.h"
#include "common/utf8.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

static void test_duration(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int rc;
        int64_t ms;
    } cases[] = {
        {"500ms", KM_OK, 500}, {"30s", KM_OK, 30000}, {"5m", KM_OK, 300000},
        {"1h", KM_OK, 3600000}, {"2d", KM_OK, 172800000}, {"15", KM_OK, 15000},
        {"0s", KM_OK, 0}, {"", KM_EINPUT, 0}, {"-1s", KM_EINPUT, 0}, {"5 m", KM_EINPUT, 0},
        {"1w", KM_EINPUT, 0}, {"s", KM_EINPUT, 0}, {"99999999999s", KM_EINPUT, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t ms = -1;
        int rc = km_duration_parse(cases[i].in, &ms);
        assert_int_equal(rc, cases[i].rc);
        if (rc == KM_OK) {
            assert_int_equal(ms, cases[i].ms);
        }
    }
}

static void test_rfc3339(void **state)
{
    (void)state;
    int64_t ms = 0;
    assert_int_equal(km_time_parse_rfc3339("2026-11-22T18:41:01Z", &ms), KM_OK);
    assert_int_equal(ms, 1795372861000LL);
    assert_int_equal(km_time_parse_rfc3339("2026-11-22T23:41:01.250+05:00", &ms), KM_OK);
    assert_int_equal(ms, 1795372861250LL);
    assert_int_equal(km_time_parse_rfc3339("2026-13-22T18:41:01Z", &ms), KM_EINPUT);
    assert_int_equal(km_time_parse_rfc3339("yesterday", &ms), KM_EINPUT);
    assert_int_equal(km_time_parse_rfc3339("2026-11-22T18:41:01", &ms), KM_EINPUT);
    assert_int_equal(km_time_parse_rfc3339("2026-11-22T13:41:01-05:00", &ms), KM_OK);
    assert_int_equal(ms, 1795372861000LL);
    /* Offsets shorter than "+HH:MM" (found by fuzz_json_api): refused, and read no further
     * than their NUL (each is copied to the heap so that ASan and valgrind see over-reads). */
    static const char *const short_off[] = {
        "2026-11-22T18:41:01+0 :00", "2026-11-22T18:41:01+5:0",   "2026-11-22T18:41:01+05:0",
        "2026-11-22T18:41:01-",      "2026-11-22T18:41:01+ 5:00", "2026-11-22T18:41:01+0500"};
    for (size_t i = 0; i < sizeof(short_off) / sizeof(short_off[0]); i++) {
        char *s = km_strdup(short_off[i]);
        assert_int_equal(km_time_parse_rfc3339(s, &ms), KM_EINPUT);
        free(s);
    }
    char out[40];
    assert_string_equal(km_time_format_rfc3339(1795372861000LL, out, sizeof(out)),
                        "2026-11-22T18:41:01Z");
    assert_string_equal(km_time_format_rfc3339(1795372861250LL, out, sizeof(out)),
                        "2026-11-22T18:41:01.250Z");
    assert_string_equal(km_time_format_rfc3339(0, out, sizeof(out)), "1970-01-01T00:00:00Z");
    assert_string_equal(km_time_format_rfc3339(5, out, sizeof(out)), "1970-01-01T00:00:00.005Z");
    assert_string_equal(km_time_format_rfc3339(253402300799999LL, out, sizeof(out)),
                        "9999-12-31T23:59:59.999Z");
    assert_string_equal(km_time_format_rfc3339(253402300800000LL, out, sizeof(out)),
                        "10000-01-01T00:00:00Z");
    assert_string_equal(km_time_format_rfc3339(1795372861250LL, out, 12), "2026-11-22T");
    assert_string_equal(km_time_format_rfc3339(-1, out, sizeof(out)), "1969-12-31T23:59:59.999Z");
    assert_non_null(km_time_format_rfc3339(INT64_MIN, out, sizeof(out))); /* no overflow */
    /* every field against gmtime over a spread of times */
    for (int64_t t = 0; t < 253402300799999LL; t += 9876543210123LL / 7) {
        time_t secs = (time_t)(t / 1000);
        struct tm tm;
        char want[96], frac[8] = "";
        gmtime_r(&secs, &tm);
        if (t % 1000 != 0) {
            snprintf(frac, sizeof(frac), ".%03d", (int)(t % 1000));
        }
        snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
        assert_string_equal(km_time_format_rfc3339(t, out, sizeof(out)), want);
    }
}

static void test_rfc822(void **state)
{
    (void)state;
    int64_t ms = 0;
    assert_int_equal(km_time_parse_rfc822("Sun, 22 Nov 2026 18:41:01 GMT", &ms), KM_OK);
    assert_int_equal(ms, 1795372861000LL);
    assert_int_equal(km_time_parse_rfc822("22 Nov 2026 23:41:01 +0500", &ms), KM_OK);
    assert_int_equal(ms, 1795372861000LL);
    assert_int_equal(km_time_parse_rfc822("Sun, 22 Foo 2026 18:41:01 GMT", &ms), KM_EINPUT);
    assert_int_equal(km_time_parse_rfc822("", &ms), KM_EINPUT);
}

static void test_utf8(void **state)
{
    (void)state;
    size_t off = 0;
    const char good[] = "Астана #109 🚨";
    assert_true(km_utf8_valid(good, strlen(good), NULL));
    const char bad[] = "ab\xC3\x28" "cd";
    assert_false(km_utf8_valid(bad, strlen(bad), &off));
    assert_int_equal(off, 2);
    const char overlong[] = "\xC0\xAF";
    assert_false(km_utf8_valid(overlong, 2, NULL));
    const char surrogate[] = "\xED\xA0\x80";
    assert_false(km_utf8_valid(surrogate, 3, NULL));
    bool changed = false;
    char *clean = km_utf8_clean("a\0b\xFF" "c", 5, &changed);
    assert_true(changed);
    assert_string_equal(clean, "ab\xEF\xBF\xBD" "c");
    free(clean);
    clean = km_utf8_clean(good, strlen(good), &changed);
    assert_false(changed);
    assert_string_equal(clean, good);
    free(clean);
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"\xD0\xBF\xD1", "\xD0\xBF\xEF\xBF\xBD"},              /* cut at the end */
        {"\xD0\xBF\xFF\xD1\x80", "\xD0\xBF\xEF\xBF\xBD\xD1\x80"}, /* bad byte between */
        {"\xED\xA0\x80x", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDx"}, /* a surrogate */
        {"\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD"},                 /* overlong */
        {"", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        clean = km_utf8_clean(cases[i].in, strlen(cases[i].in), &changed);
        assert_string_equal(clean, cases[i].out);
        assert_int_equal(changed, strcmp(cases[i].in, cases[i].out) != 0);
        assert_int_equal(km_utf8_valid(cases[i].in, strlen(cases[i].in), NULL), !changed);
        free(clean);
    }
    /* a bad byte or a NUL at every offset of long ASCII and Cyrillic runs (read eight
     * ASCII bytes at a time) */
    for (size_t at = 0; at < 40; at++) {
        char text[41];
        memset(text, 'a', 40);
        text[40] = '\0';
        for (size_t k = 0; k + 1 < 16; k += 2) {
            memcpy(text + 20 + k, "\xD0\xB0", 2); /* а */
        }
        for (int kind = 0; kind < 2; kind++) {
            char copy[41];
            memcpy(copy, text, sizeof(copy));
            copy[at] = kind == 0 ? '\xFF' : '\0';
            bool cyr = at >= 20 && at < 36; /* both bytes of а become U+FFFD or go */
            off = 99;
            assert_false(km_utf8_valid(copy, 40, &off));
            assert_int_equal(off, cyr && at % 2 == 1 ? at - 1 : at); /* а's lead is cut */
            clean = km_utf8_clean(copy, 40, &changed);
            assert_true(changed);
            assert_int_equal(strlen(clean), kind == 0 ? (cyr ? 44 : 42) : (cyr ? 41 : 39));
            assert_true(km_utf8_valid(clean, strlen(clean), NULL));
            free(clean);
        }
    }
}

static void test_strjoin(void **state)
{
    (void)state;
    char *s = km_strjoin("telegram", ":", "-100:42", NULL);
    assert_string_equal(s, "telegram:-100:42");
    free(s);
    s = km_strjoin("", NULL);
    assert_string_equal(s, "");
    free(s);
    char long_part[600];
    memset(long_part, 'x', sizeof(long_part) - 1);
    long_part[sizeof(long_part) - 1] = '\0';
    s = km_strjoin("Алматы|", long_part, "|#", NULL);
    assert_int_equal(strlen(s), strlen("Алматы|") + 599 + 2);
    assert_int_equal(strncmp(s + strlen(s) - 3, "x|#", 3), 0);
    free(s);
}

static void test_fmt(void **state)
{
    (void)state;
    static const int64_t values[] = {0, 7, -1, 42, 1795372861000LL, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        char got[KM_FMT_I64_MAX + 1], want[32];
        got[km_fmt_i64(got, values[i])] = '\0';
        snprintf(want, sizeof(want), "%lld", (long long)values[i]);
        assert_string_equal(got, want);
        char hex[17];
        km_fmt_hex64(hex, (uint64_t)values[i]);
        hex[16] = '\0';
        snprintf(want, sizeof(want), "%016llx", (unsigned long long)values[i]);
        assert_string_equal(hex, want);
    }
}

static void test_buf(void **state)
{
    (void)state;
    struct km_buf b = KM_BUF_INIT;
    for (int i = 0; i < 1000; i++) {
        km_buf_printf(&b, "%d,", i);
    }
    assert_int_equal(b.len, strlen(b.data));
    assert_memory_equal(b.data, "0,1,2,", 6);
    char *s = km_buf_take(&b);
    assert_null(b.data);
    free(s);
    km_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration), cmocka_unit_test(test_rfc3339),
        cmocka_unit_test(test_rfc822),   cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_strjoin),
        cmocka_unit_test(test_fmt),
        cmocka_unit_test(test_buf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
