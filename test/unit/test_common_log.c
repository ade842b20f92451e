/* Unit tests for common/log.c: the text and JSON line formats (escaping, invalid UTF-8),
 * levels, folding of repeated lines, km_complain's rate limit, and a destination that fails
 * every write (the caller goes on; the loss is counted). stderr is redirected to a file. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"
#include "common/metrics.h"

static char capture_path[] = "/tmp/km-log-test-XXXXXX";
static int saved_stderr = -1;

static int capture_start(void **state)
{
    (void)state;
    int fd = mkstemp(capture_path);
    assert_true(fd >= 0);
    saved_stderr = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);
    km_log_set_ident("logtest");
    km_log_set_level(KM_LOG_LEVEL_INFO);
    return 0;
}

static int capture_end(void **state)
{
    (void)state;
    km_log_flush();
    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    unlink(capture_path);
    strcpy(capture_path, "/tmp/km-log-test-XXXXXX");
    km_log_set_format(KM_LOG_TEXT);
    km_metrics_reset();
    return 0;
}

/* Everything written so far. Caller frees. */
static char *captured(void)
{
    FILE *f = fopen(capture_path, "r");
    assert_non_null(f);
    char *buf = calloc(1, 65536);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_text(void **state)
{
    (void)state;
    KM_SLOG_WARN("collector:rss:news", "feed %s: %d items", "city", 3);
    KM_LOG_DEBUG("not printed at info");
    KM_LOG_ERROR("plain");
    char *out = captured();
    assert_non_null(strstr(out, " logtest["));
    assert_non_null(strstr(out, "] WARN [collector:rss:news] feed city: 3 items\n"));
    assert_non_null(strstr(out, "] ERROR plain\n"));
    assert_null(strstr(out, "not printed"));
    free(out);
}

static void test_json(void **state)
{
    (void)state;
    km_log_set_format(KM_LOG_JSON);
    KM_SLOG_INFO("db", "quote \" backslash \\ newline \n bad \xff end");
    char *out = captured();
    assert_non_null(strstr(out, "{\"ts\":\""));
    assert_non_null(strstr(out, "\"level\":\"info\",\"ident\":\"logtest\",\"pid\":"));
    assert_non_null(strstr(out, ",\"scope\":\"db\",\"msg\":\"quote \\\" backslash \\\\ newline "
                                "\\u000a bad \xef\xbf\xbd end\"}\n"));
    free(out);
}

static void test_repeats(void **state)
{
    (void)state;
    for (int i = 0; i < 5; i++) {
        KM_SLOG_WARN("redis", "connection refused");
    }
    KM_SLOG_WARN("redis", "back");
    char *out = captured();
    const char *first = strstr(out, "connection refused");
    assert_non_null(first);
    assert_null(strstr(first + 1, "connection refused")); /* printed once */
    const char *rep = strstr(out, "[redis] last message repeated 4 times\n");
    assert_non_null(rep);
    assert_true(rep < strstr(out, "[redis] back\n")); /* before the next, different line */
    free(out);
}

static void test_complain(void **state)
{
    (void)state;
    struct km_complaint c = {0};
    for (int i = 0; i < 3; i++) {
        km_complain(&c, "pg", "down: attempt %d", i); /* 1 and 2 fall in the interval */
    }
    km_complain_release(&c, "pg", "postgresql");
    char *out = captured();
    assert_non_null(strstr(out, "WARN [pg] down: attempt 0\n"));
    assert_null(strstr(out, "attempt 1"));
    assert_non_null(strstr(out, "INFO [pg] postgresql: recovered\n"));
    free(out);
}

static void test_failing_destination(void **state)
{
    (void)state;
    int full = open("/dev/full", O_WRONLY);
    if (full < 0) {
        skip();
    }
    int keep = dup(STDERR_FILENO);
    dup2(full, STDERR_FILENO);
    close(full);
    KM_LOG_ERROR("lost one");
    KM_LOG_ERROR("lost two");
    dup2(keep, STDERR_FILENO);
    close(keep);
    assert_true(km_metric_get("komek_log_write_errors_total", NULL) == 2);
    KM_LOG_ERROR("after");
    char *out = captured();
    assert_non_null(strstr(out, "ERROR after\n"));
    free(out);
}

static void test_parse(void **state)
{
    (void)state;
    assert_int_equal(km_log_format_parse("json"), KM_LOG_JSON);
    assert_int_equal(km_log_format_parse("TEXT"), KM_LOG_TEXT);
    assert_int_equal(km_log_format_parse("xml"), -1);
    assert_int_equal(km_log_target_parse("syslog"), KM_LOG_SYSLOG);
    assert_int_equal(km_log_target_parse("stderr"), KM_LOG_STDERR);
    assert_int_equal(km_log_target_parse("file"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_text, capture_start, capture_end),
        cmocka_unit_test_setup_teardown(test_json, capture_start, capture_end),
        cmocka_unit_test_setup_teardown(test_repeats, capture_start, capture_end),
        cmocka_unit_test_setup_teardown(test_complain, capture_start, capture_end),
        cmocka_unit_test_setup_teardown(test_failing_destination, capture_start, capture_end),
        cmocka_unit_test(test_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
