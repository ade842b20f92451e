/* Tests of the ticket rules of triage/routing.c: first-reaction and resolution times per
 * category and priority (most specific wins), [auto_ticket] levels, the agency list, and
 * FILE:LINE errors for bad lines of the new sections. */
#include "common/err.h"
#include "triage/lexicon.h"
#include "triage/routing.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define MIN  (60LL * 1000)
#define HOUR (60 * MIN)
#define DAY  (24 * HOUR)

static struct km_routing *load_good(void)
{
    struct km_routing *r = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_routing_load("test/fixtures/triage/routing-tickets.conf", stderr, &r, &err),
                     KM_OK);
    return r;
}

static void test_reaction(void **state)
{
    (void)state;
    struct km_routing *r = load_good();
    static const struct {
        int cat, prio;
        int64_t want;
    } cases[] = {
        {KM_CAT_GAS, 1, 2 * MIN},    /* CATEGORY beats PN */
        {KM_CAT_GAS, 4, 2 * MIN},    /* CATEGORY */
        {KM_CAT_ROADS, 3, 30 * MIN}, /* CATEGORY.PN */
        {KM_CAT_ROADS, 1, 5 * MIN},  /* no roads line for P1: PN */
        {KM_CAT_ROADS, 2, 10 * MIN}, /* nothing: built-in default */
        {KM_CAT_SNOW, 4, HOUR},      /* PN */
        {-1, 1, 5 * MIN},            /* no category */
        {KM_CAT_SNOW, 9, HOUR},      /* out-of-range priority counts as P4 */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(km_routing_reaction_ms(r, cases[i].cat, cases[i].prio), cases[i].want);
    }
    assert_int_equal(km_routing_sla_ms(r, 1), 5 * MIN);
    assert_int_equal(km_routing_sla_ms(r, 2), 10 * MIN);
    km_routing_free(r);
}

static void test_resolve(void **state)
{
    (void)state;
    struct km_routing *r = load_good();
    static const struct {
        int cat, prio;
        int64_t want;
    } cases[] = {
        {KM_CAT_ROADS, 1, 2 * DAY},  /* CATEGORY.PN */
        {KM_CAT_ROADS, 2, 10 * DAY}, /* CATEGORY */
        {KM_CAT_GAS, 1, 12 * HOUR},  /* CATEGORY beats PN */
        {KM_CAT_SNOW, 1, DAY},       /* PN */
        {KM_CAT_SNOW, 3, 5 * DAY},   /* default */
        {-1, 2, 5 * DAY},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(km_routing_resolve_ms(r, cases[i].cat, cases[i].prio), cases[i].want);
    }
    km_routing_free(r);
    r = km_routing_new();
    assert_int_equal(km_routing_resolve_ms(r, KM_CAT_GAS, 1), KM_ROUTING_DEFAULT_RESOLVE_MS);
    assert_int_equal(km_routing_resolve_ms(r, KM_CAT_GAS, 1), 7 * DAY);
    assert_int_equal(km_routing_reaction_ms(r, KM_CAT_GAS, 1), 10 * MIN);
    km_routing_free(r);
}

static void test_auto_ticket(void **state)
{
    (void)state;
    struct km_routing *r = load_good();
    static const struct {
        int cat, prio;
        bool want;
    } cases[] = {
        {KM_CAT_SNOW, 1, true},
        {KM_CAT_SNOW, 2, true},
        {KM_CAT_SNOW, 3, false},
        {KM_CAT_GAS, 4, true},
        {KM_CAT_GRATITUDE, 1, false},
        {KM_CAT_ROADS, 0, false},
        {-1, 2, true},
        {-1, 3, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(km_routing_auto_ticket(r, cases[i].cat, cases[i].prio), cases[i].want);
    }
    assert_int_equal(km_routing_auto_level(r, KM_CAT_GAS), 4);
    assert_int_equal(km_routing_auto_level(r, KM_CAT_GRATITUDE), 0);
    assert_int_equal(km_routing_auto_level(r, KM_CAT_SNOW), 2);
    km_routing_free(r);
    r = km_routing_new(); /* default: off */
    assert_false(km_routing_auto_ticket(r, KM_CAT_GAS, 1));
    assert_int_equal(km_routing_auto_level(r, KM_CAT_GAS), 0);
    km_routing_free(r);
}

static void test_agencies(void **state)
{
    (void)state;
    struct km_routing *r = load_good();
    struct km_routing_agency a[KM_CAT_COUNT];
    size_t n = km_routing_agencies(r, a, KM_CAT_COUNT);
    assert_int_equal(n, 2);
    /* category order: snow (0) comes first, so "Roads department" is listed first */
    assert_string_equal(a[0].name, "Roads department");
    assert_int_equal(a[0].categories, ((uint64_t)1 << KM_CAT_SNOW) | ((uint64_t)1 << KM_CAT_ROADS));
    assert_string_equal(a[1].name, "Gas service");
    assert_int_equal(a[1].categories, (uint64_t)1 << KM_CAT_GAS);
    assert_int_equal(km_routing_agencies(r, a, 1), 1);
    km_routing_free(r);
}

static void test_bad_lines(void **state)
{
    (void)state;
    struct km_routing *r = NULL;
    struct km_err err = {{0}};
    char *report = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&report, &len);
    assert_int_equal(km_routing_load("test/fixtures/triage/routing-tickets-bad.conf", f, &r, &err),
                     KM_EINPUT);
    fclose(f);
    assert_null(r);
    static const char *const want[] = {
        "routing-tickets-bad.conf:3: 'P5': unknown key in [resolve]",
        "routing-tickets-bad.conf:4: 'gas.P9': unknown key in [resolve]",
        "routing-tickets-bad.conf:5: 'potholes': unknown key in [resolve]",
        "routing-tickets-bad.conf:6: 'default': resolution time wants a duration",
        "routing-tickets-bad.conf:7: 'roads': resolution time wants a duration",
        "routing-tickets-bad.conf:9: 'gas.P1': SLA wants a duration",
        "routing-tickets-bad.conf:11: 'gas.P1' set again (first on line 10)",
        "routing-tickets-bad.conf:13: 'default': auto_ticket wants off or P1..P4",
        "routing-tickets-bad.conf:14: 'gas.P1': unknown key in [auto_ticket]",
        "routing-tickets-bad.conf:15: 'roads': auto_ticket wants off or P1..P4",
        "routing-tickets-bad.conf:17: 'default' set again (first on line 16)",
        "routing-tickets-bad.conf:19: not valid UTF-8",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        if (strstr(report, want[i]) == NULL) {
            fail_msg("missing \"%s\" in:\n%s", want[i], report);
        }
    }
    size_t lines = 0;
    for (const char *p = report; *p; p++) {
        lines += *p == '\n';
    }
    assert_int_equal(lines, sizeof(want) / sizeof(want[0]));
    assert_non_null(strstr(err.msg, "routing-tickets-bad.conf:3:"));
    free(report);
}

static void test_shipped(void **state)
{
    (void)state;
    struct km_routing *r = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_routing_load("etc/routing.conf", stderr, &r, &err), KM_OK);
    assert_int_equal(km_routing_reaction_ms(r, KM_CAT_GAS, 1), 10 * MIN);
    assert_int_equal(km_routing_resolve_ms(r, KM_CAT_SNOW, 3), 7 * DAY);
    assert_false(km_routing_auto_ticket(r, KM_CAT_GAS, 4));
    km_routing_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reaction),    cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_auto_ticket), cmocka_unit_test(test_agencies),
        cmocka_unit_test(test_bad_lines),   cmocka_unit_test(test_shipped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
