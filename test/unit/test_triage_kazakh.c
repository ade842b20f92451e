/* Unit tests for triage/kazakh: generated noun forms (TRIAGE.md section 3 examples), and
 * forms that must never be generated. */
#include "triage/kazakh.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static bool kz_has(char **forms, const char *form)
{
    for (size_t i = 0; forms[i] != NULL; i++) {
        if (strcmp(forms[i], form) == 0) {
            return true;
        }
    }
    return false;
}

static const struct {
    const char *root;
    const char *yes; /* space-separated forms that must be generated */
    const char *no;  /* ... and forms that must not */
} cases[] = {
    {"ит", "ит иттер итке итте иттен иттің итті итпен иті итіне итінде иттері иттерге итім",
     "итка иттар итлер итмен иттын итсі итың"},
    {"жарық", "жарық жарығы жарыққа жарықта жарығын жарығында жарықтар жарықтары жарығымыз",
     "жарықы жарыкы жарықға жарықка жарықлар жарығсы"},
    {"құдық", "құдыққа құдығы құдығына құдықта құдықтар құдығында",
     "құдықа құдыққе құдықы құдықға"},
    {"мектеп", "мектеп мектепке мектебі мектебінде мектептер мектептің мектебім мектеппен",
     "мектепі мектептың мектепка мектепта мектепләр"},
    {"су", "су суға суда судан судың суды сумен суы суында суын сулар сулары суымыз",
     "сусы суның суны суге сулер суке"},
    {"бала", "бала балаға баланың баланы баласы баласына балалар балама балаларға",
     "балаы балалер баласі баладың"},
    {"үй", "үй үйге үйде үйлер үйі үйіне үйіме үйімізде үймен", "үйға үйлар үйы үйсі"},
    {"газ", "газ газға газда газдың газбен газы газында газдар", "газге газмен газсы газтар"},
    {"жол", "жол жолға жолдан жолмен жолы жолдар жолында", "жолбен жолтар жолге"},
    {"лифт", "лифт лифтке лифтте лифті лифттер", "лифтқа лифтта лифтлер"},
    {"қар", "қар қарға қарда қары қарлар", "қара қарау қарсы"},
};

/* Splits list on spaces and checks each word's presence against want. */
static void kz_check(char **forms, const char *root, const char *list, bool want)
{
    char buf[512];
    strncpy(buf, list, sizeof(buf) - 1);
    buf[sizeof(buf) - 1] = '\0';
    char *save = NULL;
    for (char *w = strtok_r(buf, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save)) {
        if (kz_has(forms, w) != want) {
            fail_msg("%s: '%s' %s", root, w, want ? "missing" : "generated");
        }
    }
}

static void test_kazakh_forms(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char **forms = NULL;
        size_t n = km_kazakh_forms(cases[i].root, &forms);
        assert_int_equal(n, 56);
        assert_non_null(forms);
        assert_null(forms[n]);
        assert_string_equal(forms[0], cases[i].root);
        for (size_t a = 0; a < n; a++) {
            for (size_t b = a + 1; b < n; b++) {
                assert_string_not_equal(forms[a], forms[b]);
            }
        }
        kz_check(forms, cases[i].root, cases[i].yes, true);
        kz_check(forms, cases[i].root, cases[i].no, false);
        km_kazakh_forms_free(forms);
    }
}

static void test_kazakh_harmony(void **state)
{
    (void)state;
    static const struct {
        const char *root;
        enum km_kazakh_harmony h;
    } c[] = {
        {"ит", KM_KAZAKH_FRONT},        {"су", KM_KAZAKH_BACK},     {"автобус", KM_KAZAKH_BACK},
        {"жылу", KM_KAZAKH_BACK},       {"келу", KM_KAZAKH_FRONT},  {"электр", KM_KAZAKH_FRONT},
        {"ашық құдық", KM_KAZAKH_BACK}, {"емхана", KM_KAZAKH_BACK},
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        assert_int_equal(km_kazakh_harmony_of(c[i].root), c[i].h);
    }
    char **forms = NULL;
    km_kazakh_forms_harmony("люк", KM_KAZAKH_FRONT, &forms);
    assert_true(kz_has(forms, "люкке"));
    assert_false(kz_has(forms, "люкқа"));
    km_kazakh_forms_free(forms);
    km_kazakh_forms_harmony("люк", KM_KAZAKH_BACK, &forms);
    assert_true(kz_has(forms, "люкқа"));
    km_kazakh_forms_free(forms);
    /* a phrase inflects its last word */
    km_kazakh_forms("ашық құдық", &forms);
    assert_true(kz_has(forms, "ашық құдыққа"));
    km_kazakh_forms_free(forms);
}

static void test_kazakh_edges(void **state)
{
    (void)state;
    char **forms = (char **)1;
    assert_int_equal(km_kazakh_forms("", &forms), 0);
    assert_null(forms);
    assert_int_equal(km_kazakh_forms(NULL, &forms), 0);
    assert_null(forms);
    assert_int_equal(km_kazakh_forms("104", &forms), 1);
    assert_string_equal(forms[0], "104");
    assert_null(forms[1]);
    km_kazakh_forms_free(forms);
    km_kazakh_forms_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kazakh_forms),
        cmocka_unit_test(test_kazakh_harmony),
        cmocka_unit_test(test_kazakh_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
