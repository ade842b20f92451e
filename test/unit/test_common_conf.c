/* Unit tests for common/conf.c: loading, validation with file:line, secrets, getters. */
#include "common/conf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const struct km_conf_key fake_keys[] = {
    {"token", KM_CONF_STR, NULL, 0, 0, KM_CONF_REQUIRED | KM_CONF_SECRET, "API token"},
    {"limit", KM_CONF_INT, "100", 1, 100, 0, "page size"},
    {NULL, 0, NULL, 0, 0, 0, NULL},
};

static const struct km_conf_key *fake_type_keys(const char *type)
{
    return strcmp(type, "fake") == 0 ? fake_keys : NULL;
}

static void test_good(void **state)
{
    (void)state;
    setenv("KM_TEST_TOKEN", "sekret-from-env", 1);
    struct km_config *cfg = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_config_load("test/fixtures/conf/good.conf", fake_type_keys, NULL, &cfg,
                                    &err),
                     KM_OK);
    assert_string_equal(km_section_get(cfg->global, "namespace"), "city");
    assert_string_equal(km_section_get(cfg->global, "log_level"), "info");
    assert_int_equal(cfg->n_sources, 3);
    assert_false(km_section_get_bool(cfg->sources[2], "enabled"));
    const struct km_section *s = cfg->sources[0];
    assert_string_equal(s->name, "city109");
    assert_string_equal(km_section_get(s, "token"), "sekret-from-env");
    assert_int_equal(km_section_get_ms(s, "interval"), 500);
    assert_int_equal(km_section_get_size(s, "max_body"), 65536);
    assert_int_equal(km_section_get_int(s, "limit"), 100);
    assert_true(km_section_get_bool(s, "require_tags"));
    assert_int_equal(km_section_line(s, "interval"), 10);
    s = cfg->sources[1];
    assert_string_equal(km_section_get(s, "token"), "sekret-from-file");
    assert_false(km_section_get_bool(s, "require_tags"));
    char *tags = km_config_path(cfg, km_section_get(cfg->global, "tags"));
    assert_string_equal(tags, "test/fixtures/conf/tags.list");
    free(tags);

    char *dump = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&dump, &len);
    km_config_dump(cfg, f);
    fclose(f);
    assert_null(strstr(dump, "sekret"));
    assert_non_null(strstr(dump, "token = ***"));
    free(dump);
    km_config_free(cfg);
}

static void test_bad_reports_every_error(void **state)
{
    (void)state;
    struct km_config *cfg = NULL;
    struct km_err err = {{0}};
    char *report = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&report, &len);
    int rc = km_config_load("test/fixtures/conf/bad.conf", fake_type_keys, f, &cfg, &err);
    fclose(f);
    assert_int_equal(rc, KM_EINPUT);
    assert_null(cfg);
    static const char *const expected[] = {
        "bad.conf:3: unknown key 'colour' in [komek]",
        "bad.conf:8: unknown key 'intervl' in [source tg]",
        "bad.conf:10: duplicate [source tg] (first at line 5)",
        "bad.conf:17: interval = 2d: out of range, must be between 0s and 1d",
        "bad.conf:18: max_body = 'lots': expected a size",
        "bad.conf:20: [source nokey] needs 'token'",
        "bad.conf:24: [source what]: unknown type 'carrier-pigeon'",
        "bad.conf:26: unknown section [weird]",
        "bad.conf:28: syntax error",
    };
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
        if (strstr(report, expected[i]) == NULL) {
            fail_msg("missing '%s' in report:\n%s", expected[i], report);
        }
    }
    assert_non_null(strstr(err.msg, "bad.conf:10: duplicate [source tg]"));
    assert_non_null(strstr(err.msg, "more errors"));
    free(report);
}

static void test_missing_env_and_file(void **state)
{
    (void)state;
    unsetenv("KM_TEST_TOKEN");
    struct km_config *cfg = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_config_load("test/fixtures/conf/good.conf", fake_type_keys, NULL, &cfg,
                                    &err),
                     KM_EINPUT);
    assert_non_null(strstr(err.msg, "good.conf:9: environment variable KM_TEST_TOKEN is not set"));
    assert_int_equal(km_config_load("test/fixtures/conf/nope.conf", fake_type_keys, NULL, &cfg,
                                    &err),
                     KM_ERR);
    assert_non_null(strstr(err.msg, "cannot open"));
}

/* libinih reads at most 200 bytes a line: a longer one is reported at its own line and the
 * lines after it keep their numbers. */
static void test_long_line(void **state)
{
    (void)state;
    struct km_config *cfg = NULL;
    struct km_err err = {{0}};
    char *report = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&report, &len);
    assert_int_equal(km_config_load("test/fixtures/conf/long.conf", fake_type_keys, f, &cfg,
                                    &err),
                     KM_EINPUT);
    fclose(f);
    assert_non_null(strstr(report, "long.conf:2: line longer than 198 characters"));
    assert_non_null(strstr(report, "long.conf:3: unknown key 'colour'"));
    assert_null(strstr(report, "syntax error"));
    free(report);
}

static void test_list_next(void **state)
{
    (void)state;
    static const char *const want[] = {"109", "iKomek", "", "Астана"};
    const char *cur = " 109 ,#iKomek,, \tАстана ", *item = NULL;
    size_t len = 0, n = 0;
    while (km_conf_list_next(&cur, &item, &len)) {
        assert_true(n < 4);
        assert_int_equal(len, strlen(want[n]));
        assert_memory_equal(item, want[n], len);
        n++;
    }
    assert_int_equal(n, 4);
    assert_null(cur);
}

static void test_parsers(void **state)
{
    (void)state;
    long long n = 0;
    bool b = false;
    assert_int_equal(km_conf_parse_size("8M", &n), KM_OK);
    assert_int_equal(n, 8 << 20);
    assert_int_equal(km_conf_parse_size("1kb", &n), KM_OK);
    assert_int_equal(n, 1024);
    assert_int_equal(km_conf_parse_size("1T", &n), KM_EINPUT);
    assert_int_equal(km_conf_parse_size("-1", &n), KM_EINPUT);
    assert_int_equal(km_conf_parse_bool("On", &b), KM_OK);
    assert_true(b);
    assert_int_equal(km_conf_parse_bool("nope", &b), KM_EINPUT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_bad_reports_every_error),
        cmocka_unit_test(test_missing_env_and_file),
        cmocka_unit_test(test_long_line),
        cmocka_unit_test(test_list_next),
        cmocka_unit_test(test_parsers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
