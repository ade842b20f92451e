/* Tests of the reply templates (collectors/replies.c): the shipped etc/replies.conf in each
 * language, rendering and its missing values, and every kind of bad line reported as
 * FILE:LINE in one run. */
#include "collectors/replies.h"

#include "collectors/collector.h"
#include "common/alloc.h"
#include "common/conf.h"

#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static char dir[64];

/* Writes text to DIR/name and returns the path (caller frees). */
static char *write_file(const char *name, const char *text)
{
    char *path = km_asprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL) {
        fail_msg("'%s' does not contain '%s'", haystack, needle);
    }
}

static struct km_replies *load_shipped(void)
{
    struct km_replies *r = NULL;
    struct km_err err = {{0}};
    if (km_replies_load("etc/replies.conf", stderr, &r, &err) != KM_OK) {
        fail_msg("etc/replies.conf: %s", err.msg);
    }
    return r;
}

static void test_shipped_languages(void **state)
{
    (void)state;
    static const struct {
        const char *lang, *name, *want[3];
    } cases[] = {
        {"ru", "received", {"Здравствуйте", "109-2026-000042", NULL}},
        {"ru", "forwarded", {"109-2026-000042", "Астана Су Арнасы", "дороги"}},
        {"ru", "resolved", {"109-2026-000042", "Спасибо", NULL}},
        {"ru", "need_address", {"адрес", "109-2026-000042", NULL}},
        {"kk", "received", {"Сәлеметсіз бе", "109-2026-000042 нөмірімен", NULL}},
        {"kk", "forwarded", {"109-2026-000042", "Астана Су Арнасы", "дороги"}},
        {"kk", "resolved", {"109-2026-000042", "рақмет", NULL}},
        {"kk", "need_address", {"мекенжай", "109-2026-000042", NULL}},
        {"en", "received", {"Hello", "registered as 109-2026-000042", NULL}},
        {"en", "forwarded", {"109-2026-000042", "Астана Су Арнасы", "дороги"}},
        {"en", "resolved", {"109-2026-000042", "Thank you", NULL}},
        {"en", "need_address", {"exact address", "109-2026-000042", NULL}},
    };
    struct km_replies *r = load_shipped();
    struct km_reply_vars vars = {"109-2026-000042", "Астана Су Арнасы", "дороги"};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *text = NULL;
        struct km_err err = {{0}};
        assert_int_equal(km_replies_render(r, cases[i].name, cases[i].lang, &vars, &text, &err),
                         KM_OK);
        for (size_t k = 0; k < 3 && cases[i].want[k] != NULL; k++) {
            assert_contains(text, cases[i].want[k]);
        }
        assert_null(strchr(text, '{'));
        free(text);
    }
    size_t n = 0;
    const struct km_reply_template *all = km_replies_list(r, &n);
    assert_int_equal(n, 12);
    assert_string_equal(all[0].lang, "ru");
    assert_string_equal(all[0].name, "received");
    assert_string_equal(all[11].lang, "en");
    km_replies_free(r);
}

static void test_language_fallback(void **state)
{
    (void)state;
    struct km_replies *r = load_shipped();
    assert_string_equal(km_replies_lang(r, "kk"), "kk");
    assert_string_equal(km_replies_lang(r, "kk-KZ"), "kk");
    assert_string_equal(km_replies_lang(r, "EN_us"), "en");
    assert_string_equal(km_replies_lang(r, "de"), "ru"); /* the first section */
    assert_string_equal(km_replies_lang(r, "und"), "ru");
    assert_string_equal(km_replies_lang(r, NULL), "ru");
    assert_string_equal(km_replies_lang(r, ""), "ru");
    assert_null(km_replies_lang(NULL, "ru"));
    char *text = NULL;
    struct km_err err = {{0}};
    struct km_reply_vars vars = {.ticket = "109-1"};
    assert_int_equal(km_replies_render(r, "received", "de", &vars, &text, &err), KM_OK);
    assert_contains(text, "Здравствуйте");
    free(text);
    km_replies_free(r);
}

static void test_render_values(void **state)
{
    (void)state;
    struct km_replies *r = load_shipped();
    char *text = NULL;
    struct km_err err = {{0}};
    struct km_reply_vars vars = {.ticket = "109-1", .agency = NULL, .category = "roads"};
    assert_int_equal(km_replies_render(r, "forwarded", "en", &vars, &text, &err), KM_EINPUT);
    assert_null(text);
    assert_string_equal(err.msg, "template 'forwarded' needs {agency}");
    vars.agency = "";
    assert_int_equal(km_replies_render(r, "forwarded", "en", &vars, &text, &err), KM_EINPUT);
    assert_int_equal(km_replies_render(r, "received", "en", NULL, &text, &err), KM_EINPUT);
    assert_string_equal(err.msg, "template 'received' needs {ticket}");
    assert_int_equal(km_replies_render(r, "thanks", "en", &vars, &text, &err), KM_EINPUT);
    assert_string_equal(err.msg, "no reply template 'thanks' in [en]");
    assert_int_equal(km_replies_render(NULL, "received", "en", &vars, &text, &err), KM_EINPUT);
    km_replies_free(r);
    /* escapes and braces; extra templates must exist in every language */
    char *path = write_file("ok.conf", "# comment\n"
                                       "[en]\n"
                                       "received = a {ticket}\n"
                                       "forwarded = b {ticket} {agency}\n"
                                       "resolved = c {ticket}\n"
                                       "need_address = d {ticket}\n"
                                       "  ; indented comment\n"
                                       "braces = {{literal}} {ticket}\\nline 2 \\\\ end\n");
    assert_int_equal(km_replies_load(path, stderr, &r, &err), KM_OK);
    vars.agency = "Akimat";
    assert_int_equal(km_replies_render(r, "braces", "ru", &vars, &text, &err), KM_OK);
    assert_string_equal(text, "{literal} 109-1\nline 2 \\ end");
    free(text);
    km_replies_free(r);
    unlink(path);
    free(path);
}

/* Loads text and returns every reported line (caller frees); rc gets the result. */
static char *load_report(const char *text, int *rc, struct km_err *err)
{
    char *path = write_file("bad.conf", text);
    char *out = NULL;
    size_t len = 0;
    FILE *report = open_memstream(&out, &len);
    struct km_replies *r = NULL;
    *rc = km_replies_load(path, report, &r, err);
    fclose(report);
    assert_null(r == NULL ? NULL : "loaded");
    km_replies_free(r);
    unlink(path);
    free(path);
    return out;
}

#define STD_EN                                                                                     \
    "received = a {ticket}\nforwarded = b {ticket}\nresolved = c {ticket}\n"                       \
    "need_address = d {ticket}\n"

static void test_bad_lines(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"received = x {ticket}\n[en]\n" STD_EN,
         "bad.conf:1: template 'received' outside a [language] section"},
        {"[English]\n", "bad.conf:1: a section must be a language code in lower case"},
        {"[en]\n" STD_EN "[en]\n", "bad.conf:6: [en] again (first on line 1)"},
        {"[en]\n" STD_EN "received = again {ticket}\n",
         "bad.conf:6: template 'received' set again in [en] (first on line 2)"},
        {"[en]\n" STD_EN "no equals sign\n", "bad.conf:6: expected NAME = text"},
        {"[en]\n" STD_EN "Big Name = x {ticket}\n", "bad.conf:6: a template name is lower-case"},
        {"[en]\n" STD_EN "x =   \n", "bad.conf:6: template 'x' is empty"},
        {"[en]\n" STD_EN "x = {ticket} {name}\n",
         "bad.conf:6: unknown placeholder {name} (use {ticket}, {agency} or {category})"},
        {"[en]\n" STD_EN "x = {ticket} {agency\n", "bad.conf:6: unclosed '{agency'"},
        {"[en]\n" STD_EN "x = {ticket} }\n", "bad.conf:6: stray '}'"},
        {"[en]\n" STD_EN "x = {ticket} \\t\n", "bad.conf:6: unknown escape '\\t'"},
        {"[en]\n" STD_EN "x = no number\n", "bad.conf:6: template 'x' does not name {ticket}"},
        {"[en]\n" STD_EN "x = {ticket} \xff\n", "bad.conf:6: invalid UTF-8"},
        {"[en]\nreceived = a {ticket}\n", "bad.conf:1: [en] lacks template 'forwarded'"},
        {"[en]\n" STD_EN "extra = e {ticket}\n[kk]\n" STD_EN,
         "bad.conf:7: [kk] lacks template 'extra' (defined in [en] line 6)"},
        {"# nothing\n", "bad.conf:1: no [language] sections"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = 0;
        struct km_err err = {{0}};
        char *report = load_report(cases[i].text, &rc, &err);
        if (rc != KM_EINPUT || strstr(report, cases[i].want) == NULL ||
            strstr(err.msg, "bad.conf:") == NULL) {
            fail_msg("case %zu: rc %d, report:\n%s", i, rc, report);
        }
        free(report);
    }
}

static void test_all_errors_in_one_run(void **state)
{
    (void)state;
    int rc = 0;
    struct km_err err = {{0}};
    char *report = load_report("[en]\n"
                               "received = {tiket}\n"
                               "forwarded = no number\n"
                               "resolved = c {ticket}\n"
                               "need_address = d {ticket}\n"
                               "[xx-yy]\n",
                               &rc, &err);
    assert_int_equal(rc, KM_EINPUT);
    assert_contains(err.msg, "bad.conf:2: unknown placeholder {tiket}");
    assert_contains(report, "bad.conf:3: template 'forwarded' does not name {ticket}");
    assert_contains(report, "bad.conf:6: a section must be a language code");
    assert_contains(report, "bad.conf:1: [en] lacks template 'received'");
    size_t lines = 0;
    for (const char *p = report; *p != '\0'; p++) {
        lines += *p == '\n';
    }
    assert_int_equal(lines, 5);
    free(report);
    struct km_replies *r = NULL;
    assert_int_equal(km_replies_load("/nonexistent/replies.conf", NULL, &r, &err), KM_ERR);
    assert_contains(err.msg, "/nonexistent/replies.conf: cannot open");
    assert_null(r);
}

/* [komek] replies: relative to the config file; an absent default file means no templates. */
static void test_config_key(void **state)
{
    (void)state;
    static const struct {
        const char *komek, *file; /* [komek] lines; replies file written as DIR/file */
        int rc;
        bool loaded;
    } cases[] = {
        {"", NULL, KM_OK, false},
        {"", "replies.conf", KM_OK, true},
        {"replies = mine.conf\n", "mine.conf", KM_OK, true},
        {"replies = missing.conf\n", NULL, KM_ERR, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *conf_text = km_asprintf("[komek]\n%s", cases[i].komek);
        char *conf = write_file("komek.conf", conf_text);
        char *file = cases[i].file != NULL ? write_file(cases[i].file, "[en]\n" STD_EN) : NULL;
        struct km_config *cfg = NULL;
        struct km_replies *r = NULL;
        struct km_err err = {{0}};
        char *path = NULL;
        assert_int_equal(km_config_load(conf, km_collector_keys, stderr, &cfg, &err), KM_OK);
        assert_int_equal(km_replies_load_config(cfg, NULL, &r, &path, &err), cases[i].rc);
        assert_int_equal(r != NULL, cases[i].loaded);
        assert_true(strncmp(path, dir, strlen(dir)) == 0);
        km_replies_free(r);
        km_config_free(cfg);
        if (file != NULL) {
            unlink(file);
        }
        unlink(conf);
        free(file), free(conf), free(conf_text), free(path);
    }
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/komek-replies.XXXXXX");
    return mkdtemp(dir) != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_languages),     cmocka_unit_test(test_language_fallback),
        cmocka_unit_test(test_render_values),         cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_all_errors_in_one_run), cmocka_unit_test(test_config_key),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
