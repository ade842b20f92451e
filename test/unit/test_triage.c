/* Unit tests for triage/: the watched-tags list and the keep/drop filter. */
#include "triage/filter.h"
#include "triage/tags.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_tags_load(void **state)
{
    (void)state;
    struct km_tags *t = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_tags_load("test/fixtures/triage/tags-good.list", NULL, &t, &err), KM_OK);
    assert_int_equal(km_tags_count(t), 5);
    static const struct {
        const char *tag;
        bool watched;
    } cases[] = {
        {"109", true},         {"ikomek", true},   {"астана", true},
        {"акиматастаны", true}, {"astana", true},   {"погода", false},
        {"10", false},         {"ikomek2", false}, {"", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *folded = km_tag_fold(cases[i].tag);
        assert_int_equal(km_tags_contains(t, folded), cases[i].watched);
        free(folded);
    }
    km_tags_free(t);
}

static void test_tags_bad_lines(void **state)
{
    (void)state;
    struct km_tags *t = NULL;
    struct km_err err = {{0}};
    char *report = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&report, &len);
    assert_int_equal(km_tags_load("test/fixtures/triage/tags-bad.list", f, &t, &err), KM_EINPUT);
    fclose(f);
    assert_null(t);
    assert_non_null(strstr(report, "tags-bad.list:3: 'два слова'"));
    assert_non_null(strstr(report, "tags-bad.list:4: 'iKomek!'"));
    assert_null(strstr(report, ":5:"));
    assert_null(strstr(report, ":2:")); /* a comment with words is just a comment */
    assert_non_null(strstr(report, "tags-bad.list:6: warning: '#iKomek' is a comment"));
    assert_non_null(strstr(err.msg, "tags-bad.list:3:"));
    free(report);
    assert_int_equal(km_tags_load("test/fixtures/triage/missing.list", NULL, &t, &err), KM_ERR);
    assert_non_null(strstr(err.msg, "cannot open"));
}

static struct km_post *post_with(const char *text, const char *const *tags, size_t n)
{
    static int next_id;
    char id[16];
    snprintf(id, sizeof(id), "%d", ++next_id);
    struct km_post *p = km_post_new();
    km_post_set(&p->network, "telegram");
    km_post_set(&p->id, id);
    km_post_set(&p->text, text);
    for (size_t i = 0; i < n; i++) {
        km_post_add_hashtag(p, tags[i]);
    }
    return p;
}

static void test_filter(void **state)
{
    (void)state;
    static const char *const watched[] = {"109", "#Астана"};
    struct km_tags *t = km_tags_from_array(watched, 2);
    static const char *const tagged[] = {"погода", "АСТАНА"};
    static const char *const other[] = {"travel"};
    struct km_post *a = post_with("снег на Кенесары #АСТАНА", tagged, 2);
    struct km_post *b = post_with("nice view #travel", other, 1);
    struct km_post *c = post_with("в чате: нет воды на Ауэзова 50", NULL, 0);
    struct km_post *d = post_with("", NULL, 0);
    const char *m = NULL;
    assert_int_equal(km_triage_filter(t, a, true, &m), KM_KEEP_TAGGED);
    assert_string_equal(m, "астана");
    assert_int_equal(km_triage_filter(t, b, true, &m), KM_DROP_UNTAGGED);
    assert_null(m);
    assert_int_equal(km_triage_filter(t, c, true, NULL), KM_DROP_UNTAGGED);
    assert_int_equal(km_triage_filter(t, c, false, NULL), KM_KEEP_CHAT);
    assert_int_equal(km_triage_filter(t, d, false, NULL), KM_DROP_EMPTY);
    d->has_geo = true; /* a shared location in a monitored chat counts */
    assert_int_equal(km_triage_filter(t, d, false, NULL), KM_KEEP_CHAT);
    d->has_geo = false;
    struct km_post *e = post_with("нет id #109", watched, 1);
    km_post_set(&e->id, NULL);
    assert_int_equal(km_triage_filter(t, e, false, NULL), KM_DROP_INVALID);
    km_post_free(e);

    struct km_post_batch batch;
    km_post_batch_init(&batch);
    km_post_batch_add_take(&batch, a);
    km_post_batch_add_take(&batch, b);
    km_post_batch_add_take(&batch, c);
    km_post_batch_add_take(&batch, d);
    assert_int_equal(km_triage_filter_batch(t, &batch, true), 3);
    assert_int_equal(batch.n, 1);
    assert_ptr_equal(batch.posts[0], a);
    km_post_batch_free(&batch);
    km_tags_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tags_load),
        cmocka_unit_test(test_tags_bad_lines),
        cmocka_unit_test(test_filter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
