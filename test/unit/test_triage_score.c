/* Unit tests for triage/score.h, triage/routing.h and triage/tz.h: every reason kind, the
 * priority bands, night and winter in Asia/Almaty, negation, resonance, SLA and agency,
 * scoring from several threads, routing.conf with bad lines, and the shipped lexicon. */
#include "common/time.h"
#include "parser/post.h"
#include "triage/lexicon.h"
#include "triage/routing.h"
#include "triage/score.h"
#include "triage/tz.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const char *const sc_lines[] = {
    "roads         *  base   25 -",
    "roads         ru stem   4  яма",
    "heating       *  base   25 -  winter=10 night=5",
    "heating       ru prefix 5  отоплен",
    "heating       ru word   3  холодно  winter",
    "gas           *  base   30 -",
    "gas           ru stem   4  газ",
    "gratitude     *  base   0  -",
    "gratitude     ru stem   3  спасибо",
    "consultation  *  base   0  -",
    "consultation  ru prefix 4  подскаж",
    "cold          *  base   10 -  below=-25",
    "life          ru phrase 50 \"пахн* газ\"  call=104",
    "life          ru stem   50 пожар  call=101",
    "life          ru phrase 50 \"газ пахн*\"  call=104",
    "life          *  cap    60 -",
    "impact        ru phrase 25 \"нет отоплени*\"",
    "impact        ru phrase 20 \"весь дом\"",
    "impact        *  cap    25 -",
    "help          ru stem   10 срочно",
    "vulnerable    ru stem   8  дети",
    "duration      ru phrase 5  \"трет* день\"",
    "question      ru prefix -10 подскаж",
    "thanks        ru stem   -10 спасибо",
    "fixed         ru prefix -40 починил",
    "fixed         ru prefix -40 потушил  over",
    "suggestion    ru prefix -30 предлага",
    "calm          ru phrase -25 \"не срочно\"  gap=0",
    "negation      ru word   0  не",
    /* band probes: "other" has no base, so the urgency is the word's weight */
    "help          en word   19 wa",
    "help          en word   20 wb",
    "help          en word   49 wc",
    "help          en word   50 wd",
    "help          en word   69 we",
    /* P1 needs a life-safety cue or a vulnerable person */
    "vulnerable    en word   70 wf",
    /* a rescue before an injury, a city name as a street, the addressee of thanks */
    "life          ru phrase 40 \"=в крови\"  call=103",
    "fixed         ru prefix -30 вытащил",
    "other         ru word   6  алматы",
    "calm          ru word   -25 алматы",
    "water         *  base   25 -",
    "water         ru prefix 5  водоканал",
    "roads         kk word   3  жол",
    "gratitude     kk word   2  рахмет",
    "thanks        kk word   -10 рахмет",
    /* a danger that is itself a strong word of its category (a bare wire) */
    "electricity   *  base   25 -",
    "electricity   ru phrase 4  \"оголен* провод*\"",
    "life          ru phrase 45 \"оголен* провод*\"",
    "electricity   ru word   4  щиток",
    "life          ru word   45 щиток  call=103",
    "parking       *  base   25 -",
    "parking       ru prefix 5  парковк",
};

static int64_t at(const char *rfc3339)
{
    int64_t ms = 0;
    assert_int_equal(km_time_parse_rfc3339(rfc3339, &ms), KM_OK);
    return ms;
}

static int sc_setup(void **state)
{
    struct km_lexicon *lx = km_lexicon_new();
    struct km_routing *r = NULL;
    struct km_triage *t = NULL;
    struct km_err err = {{0}};
    for (size_t i = 0; i < sizeof(sc_lines) / sizeof(sc_lines[0]); i++) {
        if (km_lexicon_add_line(lx, sc_lines[i], "score.lex", (int)i + 1, stderr, &err) != KM_OK) {
            km_lexicon_free(lx);
            return -1;
        }
    }
    if (km_routing_load("test/fixtures/triage/routing-good.conf", stderr, &r, &err) != KM_OK ||
        km_triage_new_take(lx, r, &t, &err) != KM_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    *state = t;
    return 0;
}

static int sc_teardown(void **state)
{
    km_triage_free(*state);
    km_triage_thread_end();
    return 0;
}

/* Scores text created at `when` (RFC 3339, NULL = unknown) and returns the post. */
static struct km_post *score(const struct km_triage *t, const char *text, const char *when,
                             int incident)
{
    struct km_post *p = km_post_new();
    km_post_set(&p->text, text);
    p->created_at = when != NULL ? at(when) : 0;
    assert_int_equal(km_triage_score(t, p, incident, at("2026-07-15T12:00:00+05:00")), KM_OK);
    assert_true(p->triage.scored);
    return p;
}

static bool has_reason(const struct km_post *p, const char *text)
{
    for (size_t i = 0; i < p->triage.n_reasons; i++) {
        if (strstr(p->triage.reasons[i], text) != NULL) {
            return true;
        }
    }
    return false;
}

static void dump(const struct km_post *p)
{
    fprintf(stderr, "  %s u=%d P%d\n", p->triage.category, p->triage.urgency, p->triage.priority);
    for (size_t i = 0; i < p->triage.n_reasons; i++) {
        fprintf(stderr, "    %s\n", p->triage.reasons[i]);
    }
}

static const char *const summer = "2026-07-15T12:00:00+05:00";

static void test_reason_kinds(void **state)
{
    const struct km_triage *t = *state;
    static const struct {
        const char *text, *when;
        const char *category;
        int urgency, priority;
        const char *reason1, *reason2;
    } cases[] = {
        {"яма на дороге", NULL, "roads", 25, 3, "+25 base: roads",
         "category roads: 4 points (\"яма\" +4)"},
        {"в подъезде пахнет газом!", NULL, "gas", 80, 1, "+50 life-safety: \"пахнет газом\"",
         "P1 emergency: call 104 gas, 112"},
        {"пожар, пахнет газом", NULL, "gas", 90, 1, "+10 life-safety: \"пахнет газом\"",
         "P1 emergency: call 101 fire, 104 gas, 112"},
        {"нет отопления, весь дом", NULL, "heating", 50, 2, "+25 impact: \"нет отопления\"",
         "+25 base: heating"},
        {"яма, срочно", NULL, "roads", 35, 3, "+10 help request: \"срочно\"", NULL},
        {"яма, тут дети", NULL, "roads", 33, 3, "+8 vulnerable: \"дети\"", NULL},
        {"яма уже третий день", NULL, "roads", 30, 3, "+5 duration: \"третий день\"", NULL},
        {"нет отопления, на улице -31", NULL, "heating", 60, 2,
         "+10 extreme cold: \"-31\" (at or below -25)", NULL},
        {"нет отопления, на улице -20, 2024-01-31", NULL, "heating", 50, 2, NULL, NULL},
        {"нет отопления, на улице −32, а вчера -27", NULL, "heating", 60, 2, /* U+2212 minus */
         "+10 extreme cold: \"−32\" (at or below -25)", NULL},
        {"нет отопления, на улице 5−30 градусов", NULL, "heating", 50, 2, NULL, NULL},
        /* the minus written as a word, in Russian or English */
        {"нет отопления, на улице минус 31", NULL, "heating", 60, 2,
         "+10 extreme cold: \"минус 31\" (at or below -25)", NULL},
        {"нет отопления, на улице minus 30", NULL, "heating", 60, 2,
         "+10 extreme cold: \"minus 30\" (at or below -25)", NULL},
        {"нет отопления, на улице минус 20", NULL, "heating", 50, 2, NULL, NULL},
        {"нет отопления, оплата минус 3000 тенге", NULL, "heating", 50, 2, NULL, NULL},
        {"подскажите, как быть", NULL, "consultation", 0, 4, "-10 question: \"подскажите\"",
         "= -10 clamped to 0"},
        {"яму починили, спасибо", NULL, "roads", 0, 4, "-40 already fixed: \"починили\"",
         "-10 thanks: \"спасибо\""},
        {"спасибо, яма огромная", NULL, "roads", 25, 3, NULL, NULL}, /* thanks ignored */
        {"предлагаю засыпать яму", NULL, "roads", 0, 4, "-30 suggestion: \"предлагаю\"", NULL},
        {"яма, не срочно", NULL, "roads", 0, 4, "-25 not urgent: \"не срочно\"", NULL},
        {"газом не пахнет", NULL, "gas", 30, 3, "+0 negated life-safety: \"газом не пахнет\"",
         NULL},
        /* the gas leak's cue makes it gas's (heating would win on words alone) */
        {"пожар пахнет газом нет отопления весь дом срочно дети третий день -40", NULL, "gas",
         100, 1, "clamped to 100", NULL},
        {"нет отопления", "2026-01-15T23:30:00+05:00", "heating", 65, 2,
         "+10 winter: heating in January", "+5 night: heating at 23:30 Asia/Almaty"},
        {"дома холодно", "2026-01-15T12:00:00+05:00", "heating", 35, 3, "\"холодно\" +3", NULL},
        {"дома холодно", summer, "other", 0, 4, "category other: 0 points", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct km_post *p = score(t, cases[i].text, cases[i].when ? cases[i].when : summer, 1);
        bool ok = strcmp(p->triage.category, cases[i].category) == 0 &&
                  p->triage.urgency == cases[i].urgency &&
                  p->triage.priority == cases[i].priority &&
                  (cases[i].reason1 == NULL || has_reason(p, cases[i].reason1)) &&
                  (cases[i].reason2 == NULL || has_reason(p, cases[i].reason2));
        if (!ok) {
            dump(p);
            fail_msg("case %zu: '%s'", i, cases[i].text);
        }
        assert_false(p->triage.priority != 1 && has_reason(p, "P1 emergency"));
        km_post_free(p);
    }
}

/* Structural rules beyond the word lists: an `over` cue or laughter takes life-safety back
 * whole, lyrics between music marks are not read, a phone number is evidence for `other`
 * and damps an `other` post, and P1 needs a life-safety cue or a vulnerable person. */
static void test_structural_rules(void **state)
{
    const struct km_triage *t = *state;
    static const char *const winter_night = "2026-01-15T23:30:00+05:00";
    static const struct {
        const char *text, *when;
        const char *category;
        int urgency, priority;
        const char *reason, *absent;
    } cases[] = {
        {"пожар, потушили", NULL, "other", 0, 4, "-50 danger over: \"потушили\"", NULL},
        {"пожар, не потушили", NULL, "other", 50, 2, "+50 life-safety", "danger over"},
        {"пожар \xF0\x9F\x98\x82", NULL, "other", 0, 4, "-50 joke: \"\xF0\x9F\x98\x82\"", NULL},
        {"яма \xF0\x9F\x98\x82", NULL, "roads", 25, 3, "+25 base: roads", "joke"},
        {"\xF0\x9F\x8E\xB6 пахнет газом \xF0\x9F\x8E\xB6 яма", NULL, "roads", 25, 3, NULL,
         "life-safety"},
        {"весь дом, звоните 8 (7172) 55-55-55", NULL, "other", 0, 4,
         "-25 not urgent: \"8 (7172) 55-55-55\" (a phone number", NULL},
        {"весь дом, звоните 8 (7172) 55-55-55", NULL, "other", 0, 4, "phone number +4", NULL},
        {"газ, звоните +7 701 123 45 67", NULL, "gas", 30, 3, NULL, "not urgent"},
        {"нет отопления, весь дом, срочно, на улице -31", winter_night, "heating", 69, 2,
         "= 85 capped at 69: no danger to a person named", NULL},
        {"нет отопления, весь дом, срочно, дети, на улице -31", winter_night, "heating", 93, 1,
         "+8 vulnerable", "capped"},
        /* a rescue told before a person hurt ends nothing for them; told after, it counts */
        {"упал в яму, вытащили, нога в крови", NULL, "roads", 65, 2,
         "+0 already fixed (a person hurt after it): \"вытащили\"", "-30 already fixed"},
        {"нога в крови, упал в яму, вытащили", NULL, "roads", 35, 3,
         "-30 already fixed: \"вытащили\"", "a person hurt after it"},
        /* a city's name as the street of a numbered address is here; "в Алматы" is not */
        {"на Алматы 13 яма", NULL, "roads", 25, 3, "+25 base: roads", "not urgent"},
        {"Алматы 13, яма", NULL, "roads", 25, 3, "+25 base: roads", "not urgent"},
        {"в Алматы 13 яма", NULL, "other", 0, 4, "-25 not urgent: \"Алматы\"", NULL},
        /* whom thanks go to is no topic; what they are thanked for, or a new clause, is */
        {"спасибо водоканалу", NULL, "gratitude", 0, 4, "category gratitude: 3 points", NULL},
        {"спасибо, водоканал", NULL, "water", 25, 3, "+25 base: water", NULL},
        {"спасибо за водоканал", NULL, "water", 25, 3, "+25 base: water", NULL},
        /* a capitalised name that reaches past the span is one addressee, to its end */
        {"спасибо аварийной бригаде Астана Водоканал", NULL, "gratitude", 0, 4,
         "category gratitude: 3 points", NULL},
        {"спасибо аварийной бригаде астана водоканал", NULL, "water", 25, 3, "+25 base: water",
         NULL},
        {"спасибо аварийной бригаде Астана, Водоканал", NULL, "water", 25, 3, "+25 base: water",
         NULL},
        {"жол жөндеушілерге рахмет", NULL, "gratitude", 0, 4, "-10 thanks: \"рахмет\"", NULL},
        {"рахмет жол", NULL, "roads", 25, 3, "+25 base: roads", NULL},
        /* a gas leak's life-safety cue makes the post gas's, whatever else it names (roads
         * wins the tie of 4 points otherwise); a negated one does not */
        {"яма, пахнет газом", NULL, "gas", 80, 1, "+50 life-safety: \"пахнет газом\"", NULL},
        {"яма, газом не пахнет", NULL, "roads", 25, 3, "+25 base: roads", "+50 life-safety"},
        /* a strong life-safety cue that is a strong word of its category makes the post that
         * category's (parking wins 5 to 4 on words alone); negated, a joke, or a person hurt
         * (call=103) it does not */
        {"на парковке оголенный провод", NULL, "electricity", 70, 1,
         "category electricity: 9 points (\"оголенный провод\" +4, a danger named by its "
         "words +5; next parking 5)",
         NULL},
        {"на парковке не оголенный провод", NULL, "parking", 25, 3, "+25 base: parking",
         "a danger named"},
        {"на парковке оголенный провод \xF0\x9F\x98\x82", NULL, "parking", 25, 3,
         "+25 base: parking", "a danger named"},
        {"на парковке щиток", NULL, "parking", 70, 1, "+45 life-safety: \"щиток\"",
         "a danger named"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct km_post *p = score(t, cases[i].text, cases[i].when ? cases[i].when : summer, 1);
        bool ok = strcmp(p->triage.category, cases[i].category) == 0 &&
                  p->triage.urgency == cases[i].urgency &&
                  p->triage.priority == cases[i].priority &&
                  (cases[i].reason == NULL || has_reason(p, cases[i].reason)) &&
                  (cases[i].absent == NULL || !has_reason(p, cases[i].absent));
        if (!ok) {
            dump(p);
            fail_msg("case %zu: '%s'", i, cases[i].text);
        }
        km_post_free(p);
    }
}

static void test_bands(void **state)
{
    const struct km_triage *t = *state;
    static const struct {
        const char *word;
        int urgency, priority;
    } cases[] = {
        {"wa", 19, 4}, {"wb", 20, 3}, {"wc", 49, 3}, {"wd", 50, 2}, {"we", 69, 2}, {"wf", 70, 1},
    };
    assert_int_equal(KM_TRIAGE_P1_MIN, 70);
    assert_int_equal(KM_TRIAGE_P2_MIN, 50);
    assert_int_equal(KM_TRIAGE_P3_MIN, 20);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct km_post *p = score(t, cases[i].word, summer, 1);
        assert_int_equal(p->triage.urgency, cases[i].urgency);
        assert_int_equal(p->triage.priority, cases[i].priority);
        assert_string_equal(p->triage.category, "other");
        assert_int_equal(has_reason(p, "P1 emergency: call 112 "), cases[i].priority == 1);
        km_post_free(p);
    }
    assert_string_equal(km_priority_name(1), "P1");
    assert_string_equal(km_priority_name(9), "P4");
}

/* Asia/Almaty moved from UTC+6 to UTC+5 on 1 March 2024: 16:30 UTC is 22:30 (night)
 * in February 2024 and 21:30 (evening) three weeks later. */
static void test_night_zone(void **state)
{
    const struct km_triage *t = *state;
    struct km_post *p = score(t, "нет отопления", "2024-02-20T16:30:00Z", 1);
    assert_true(has_reason(p, "+5 night: heating at 22:30 Asia/Almaty"));
    assert_true(has_reason(p, "+10 winter: heating in February"));
    assert_int_equal(p->triage.urgency, 65);
    km_post_free(p);
    p = score(t, "нет отопления", "2024-03-20T16:30:00Z", 1);
    assert_false(has_reason(p, "night"));
    assert_true(has_reason(p, "+10 winter: heating in March"));
    km_post_free(p);
    p = score(t, "нет отопления", "2026-07-16T05:59:00+05:00", 1);
    assert_true(has_reason(p, "+5 night: heating at 05:59"));
    km_post_free(p);
    p = score(t, "нет отопления", "2026-07-16T06:00:00+05:00", 1);
    assert_false(has_reason(p, "night"));
    km_post_free(p);
}

static void test_resonance_sla_agency(void **state)
{
    const struct km_triage *t = *state;
    struct km_post *p = km_post_new();
    km_post_set(&p->text, "яма на дороге");
    p->engagement.likes = 100;
    p->engagement.reposts = 10;
    p->engagement.replies = 5;
    p->created_at = at(summer);
    assert_int_equal(km_triage_score(t, p, 4, 0), KM_OK);
    assert_true(has_reason(p, "+8 resonance: 100 likes, 10 reposts, 5 replies"));
    assert_true(has_reason(p, "+10 resonance: incident of 4 posts"));
    assert_int_equal(p->triage.urgency, 43);
    assert_int_equal(p->triage.sla_due, at(summer) + 3600 * 1000); /* P3 = 1h */
    assert_string_equal(p->triage.agency, "Roads department");
    assert_string_equal(p->lang, "ru");
    /* scoring again replaces the earlier result and keeps the dedup fields */
    km_post_set(&p->triage.incident, "inc-1");
    km_post_set(&p->text, "пахнет газом");
    p->created_at = 0;
    assert_int_equal(km_triage_score(t, p, 1, at(summer)), KM_OK);
    assert_int_equal(p->triage.priority, 1);
    assert_int_equal(p->triage.sla_due, at(summer) + 5 * 60 * 1000); /* P1 = 5m, from now */
    assert_string_equal(p->triage.agency, "Gas service");
    assert_string_equal(p->triage.incident, "inc-1");
    assert_false(has_reason(p, "resonance: incident"));
    km_post_free(p);
    p = score(t, "wa", summer, 1);
    assert_null(p->triage.agency); /* other is not routed in routing-good.conf */
    km_post_free(p);
    /* resonance lifts within P2 but never into P1: 69 + 10 stays 69 ... */
    p = score(t, "we", summer, 4);
    assert_true(has_reason(p, "+10 resonance: incident of 4 posts"));
    assert_true(has_reason(p, "= 79 capped at 69: resonance alone does not make P1"));
    assert_int_equal(p->triage.urgency, 69);
    assert_int_equal(p->triage.priority, 2);
    km_post_free(p);
    /* ... while a post that is P1 on its own keeps what resonance adds */
    p = score(t, "wf", summer, 4);
    assert_int_equal(p->triage.urgency, 80);
    assert_int_equal(p->triage.priority, 1);
    assert_false(has_reason(p, "capped"));
    km_post_free(p);
}

struct thread_arg {
    const struct km_triage *t;
    int urgency[4];
};

static void *thread_main(void *arg)
{
    struct thread_arg *a = arg;
    static const char *const texts[] = {"пахнет газом", "яма срочно", "нет отопления",
                                        "газом не пахнет"};
    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < 4; i++) {
            struct km_post *p = km_post_new();
            km_post_set(&p->text, texts[i]);
            km_triage_score(a->t, p, 1, at(summer));
            a->urgency[i] = p->triage.urgency;
            km_post_free(p);
        }
    }
    return NULL;
}

static void test_threads(void **state)
{
    struct thread_arg a[3] = {{.t = *state}, {.t = *state}, {.t = *state}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pthread_create(&th[i], NULL, thread_main, &a[i]), 0);
    }
    thread_main(&a[2]);
    for (int i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
        assert_memory_equal(a[i].urgency, a[2].urgency, sizeof(a[2].urgency));
    }
    assert_int_equal(a[2].urgency[0], 80);
    assert_int_equal(a[2].urgency[3], 30);
}

static void test_routing(void **state)
{
    (void)state;
    struct km_routing *r = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_routing_load("test/fixtures/triage/routing-good.conf", NULL, &r, &err),
                     KM_OK);
    assert_int_equal(km_routing_sla_ms(r, 1), 5 * 60 * 1000);
    assert_int_equal(km_routing_sla_ms(r, 4), 24 * 3600 * 1000);
    assert_string_equal(km_routing_emergency(r, KM_CAT_GAS), "104 gas, 112");
    assert_string_equal(km_routing_emergency(r, KM_CAT_ROADS), "112");
    assert_true(km_routing_is_night(r, 22) && km_routing_is_night(r, 5));
    assert_false(km_routing_is_night(r, 6) || km_routing_is_night(r, 21));
    assert_true(km_routing_is_winter(r, 11) && km_routing_is_winter(r, 3));
    assert_false(km_routing_is_winter(r, 4) || km_routing_is_winter(r, 10));
    km_routing_free(r);
    r = km_routing_new();
    assert_int_equal(km_routing_sla_ms(r, 2), KM_ROUTING_DEFAULT_SLA_MS);
    assert_string_equal(km_routing_zone(r), "Asia/Almaty");
    assert_null(km_routing_agency(r, KM_CAT_GAS));
    km_routing_free(r);

    char *report = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&report, &len);
    assert_int_equal(km_routing_load("test/fixtures/triage/routing-bad.conf", f, &r, &err),
                     KM_EINPUT);
    fclose(f);
    assert_null(r);
    static const char *const want[] = {
        "routing-bad.conf:3: 'P5': unknown key in [sla]",
        "routing-bad.conf:4: 'P1': SLA wants a duration",
        "routing-bad.conf:6: 'potholes': unknown category",
        "routing-bad.conf:7: want KEY = VALUE",
        "routing-bad.conf:9: 'night': night wants local hours",
        "routing-bad.conf:10: 'zone': zone wants a tz database name",
        "routing-bad.conf:11: unknown section",
        "routing-bad.conf:12: 'P1': KEY = VALUE outside a section",
        "routing-bad.conf:15: 'gas' set again (first on line 14)",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        if (strstr(report, want[i]) == NULL) {
            fail_msg("want '%s' in:\n%s", want[i], report);
        }
    }
    assert_non_null(strstr(err.msg, "routing-bad.conf:3:"));
    free(report);
    assert_int_equal(km_routing_load("test/fixtures/triage/none.conf", NULL, &r, &err), KM_ERR);
}

static void test_tz(void **state)
{
    (void)state;
    struct km_tz *tz = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_tz_load("Asia/Almaty", &tz, &err), KM_OK);
    assert_int_equal(km_tz_offset(tz, at("2024-02-29T12:00:00Z")), 6 * 3600);
    assert_int_equal(km_tz_offset(tz, at("2024-03-01T12:00:00Z")), 5 * 3600);
    assert_int_equal(km_tz_offset(tz, at("2030-06-01T00:00:00Z")), 5 * 3600);
    struct km_tz_local lt;
    km_tz_localtime(tz, at("2025-12-31T19:30:00Z"), &lt);
    assert_int_equal(lt.year, 2026);
    assert_int_equal(lt.month, 1);
    assert_int_equal(lt.day, 1);
    assert_int_equal(lt.hour, 0);
    assert_int_equal(lt.minute, 30);
    assert_string_equal(km_tz_name(tz), "Asia/Almaty");
    km_tz_free(tz);
    assert_int_equal(km_tz_load("UTC", &tz, &err), KM_OK);
    assert_int_equal(km_tz_offset(tz, at("2024-03-01T12:00:00Z")), 0);
    km_tz_free(tz);
    assert_int_equal(km_tz_load("../../etc/passwd", &tz, &err), KM_EINPUT);
    assert_null(tz);
    assert_int_equal(km_tz_load("Asia/Atlantis", &tz, &err), KM_ERR);
    assert_int_equal(km_tz_load("/etc/hostname", &tz, &err), KM_EINPUT);
    assert_non_null(strstr(err.msg, "not a valid TZif"));
}

/* A text scored in January with the shipped lexicon and routing, and what it must get. */
struct shipped_case {
    const char *text, *category;
    int priority;
    bool night; /* at 23:30, else at noon */
};

static void check_shipped(const struct shipped_case *cases, size_t n)
{
    struct km_triage *t = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_triage_load("etc/lexicon", "etc/routing.conf", stderr, &t, &err), KM_OK);
    for (size_t i = 0; i < n; i++) {
        const char *when =
            cases[i].night ? "2026-01-15T23:30:00+05:00" : "2026-01-15T12:00:00+05:00";
        struct km_post *p = score(t, cases[i].text, when, 1);
        if (strcmp(p->triage.category, cases[i].category) != 0 ||
            p->triage.priority != cases[i].priority) {
            dump(p);
            fail_msg("case %zu: '%s': want %s P%d", i, cases[i].text, cases[i].category,
                     cases[i].priority);
        }
        km_post_free(p);
    }
    km_triage_free(t);
}

/* The shipped lexicon and routing on posts of the kind the corpus has. */
static void test_shipped(void **state)
{
    (void)state;
    struct km_triage *t = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_triage_load("etc/lexicon", "etc/routing.conf", stderr, &t, &err), KM_OK);
    static const struct {
        const char *text;
        const char *category;
        int priority;
    } cases[] = {
        {"срочно!!! в подъезде на Кошкарбаева 34 очень сильно пахнет газом, дети дома", "gas", 1},
        {"газом не пахнет, всё норм 😅 просто вопрос: когда будет поверка газовых счётчиков?",
         "consultation", 4},
        {"Қошқарбаев 34, 2-подъезд, газдың иісі қатты шығып тұр!", "gas", 1},
        {"Сығанақ 15-те таңғы сағат 7-ден бері жарық жоқ", "electricity", 2},
        {"Open manhole with no cover on Turan ave 24, right next to the bus stop", "manholes", 2},
        {"u nas na Seifullina 12 musor ne vyvozyat uzhe 4 dnya", "garbage", 3},
        {"свет уже дали, спасибо 🙏", "electricity", 4},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct km_post *p = score(t, cases[i].text, "2026-01-15T12:00:00+05:00", 1);
        if (strcmp(p->triage.category, cases[i].category) != 0 ||
            p->triage.priority != cases[i].priority) {
            dump(p);
            fail_msg("case %zu: '%s'", i, cases[i].text);
        }
        assert_non_null(p->triage.agency);
        km_post_free(p);
    }
    km_triage_free(t);
    assert_int_equal(km_triage_load("test/fixtures/triage/lexicon-bad", NULL, NULL, &t, &err),
                     KM_EINPUT);
    assert_null(t);
}

/* Families of the shipped lexicon (issue 4): danger told by symptoms, stuck lifts, drills,
 * news and resolved updates, Kazakh tenses, hypotheticals, likenesses; and the structural
 * rules: a street's name is no topical word, English words are not transliterated. Texts
 * are not those of the eval files. */
static void test_shipped_families(void **state)
{
    (void)state;
    static const struct shipped_case cases[] = {
        /* street names and English words are no topical evidence */
        {"Кошкарбаева 34, лифт не работает третий день", "elevator", 2},
        {"the lift at Koshkarbayev 12 is broken again", "elevator", 3},
        {"it's -28 and the heating is off, it's been 2 days", "heating", 2},
        /* a person described by symptoms */
        {"на остановке мужчина лежит и не встаёт, губы синие", "medical", 1},
        {"әжем құлап қалды, басынан қан кетіп жатыр", "medical", 1},
        {"my neighbour collapsed and isn't responding", "medical", 1},
        {"ребёнок провалился под лёд на пруду", "medical", 1},
        {"бабушка не встаёт с кровати, нужна справка", "medical", 2},
        /* stuck lifts, and lifts that only misbehave */
        {"застряли в лифте, висим между 9 и 10 этажом уже час", "elevator", 1},
        {"the lift stopped between floors with two kids inside", "elevator", 1},
        {"лифт иногда стоит между этажами, страшно ездить", "elevator", 3},
        {"лифт застрял между этажами, внутри никого", "elevator", 3},
        /* gas by sound and symptoms; a hissing heating pipe is no gas leak */
        {"плита шипит, у всех болит голова и тошнит", "gas", 1},
        {"шипит труба отопления в подвале", "heating", 3},
        {"газ иісі жоқ, бірақ плита әрең жанады", "gas", 3},
        /* dogs closing in, boiling water from the ceiling */
        {"собаки окружили ребёнка у школы", "stray_animals", 1},
        {"у соседей сверху сорвало батарею, с потолка хлещет горячая вода", "heating", 1},
        /* drills, news, over and done */
        {"завтра учебная эвакуация в школе, будет дым, не паникуйте", "schools", 4},
        {"видели в новостях? в Караганде ребенок упал в люк, ужас", "other", 4},
        {"мусорный бак горел, пожарные потушили, никто не пострадал", "garbage", 4},
        {"лифт починили, сын в порядке, спасибо всем", "elevator", 4},
        /* Kazakh: "when will you fix" is no repair, "fixed it" is */
        {"жолда шұңқыр көп, қашан жөндейсіздер?", "roads", 3},
        {"жолдағы шұңқырды жөндеп қойды, рахмет", "roads", 4},
        /* what has not happened; a likeness; "back on" that is no repair */
        {"stray dogs chase kids here daily, act before someone gets bitten", "stray_animals", 3},
        {"the sunset looks like the whole sky is on fire", "other", 4},
        {"underpass under water, cars turning back on the wrong side", "flooding", 2},
        {"power is back on, thank you", "electricity", 4},
        /* a street or district affected now */
        {"света нет на нескольких улицах, сидим в темноте", "electricity", 2},
    };
    check_shipped(cases, sizeof(cases) / sizeof(cases[0]));
}

/* More families of the shipped lexicon (holdout5 review): figures of speech, songs and
 * jokes, Kazakh drills, false alarms, news from elsewhere, hypotheticals and adverts are no
 * emergency; danger told by what is seen, heard or smelt is; the category follows the
 * source. Texts are not those of the eval files. */
static void test_shipped_families5(void **state)
{
    (void)state;
    static const struct shipped_case cases[] = {
        /* figures of speech, songs, jokes */
        {"сгораю на работе, дедлайн горит, помогите", "other", 4},
        {"I'm drowning in paperwork this week, send help", "other", 4},
        {"голова дымится от этих отчётов \xF0\x9F\x98\x82", "other", 4},
        {"♪ горит огонь, пожар в моём сердце ♪ вечерняя Астана", "other", 4},
        /* Kazakh drills, false alarms, news from elsewhere, hypotheticals, adverts */
        {"ертең мектепте өрт қауіпсіздігі бойынша жаттығу өтеді, өрт дабылы қосылады", "schools",
         4},
        {"сработала пожарная сигнализация, дым на кухне, оказалось ложная тревога, все целы",
         "other", 4},
        {"smoke all over the kitchen, turned out to be toast, all fine now", "other", 4},
        {"terrible news from Shymkent: a fire in a school this morning", "other", 4},
        {"гипотетически: если дома запахнет газом, куда звонить?", "consultation", 4},
        {"Вывоз мусора недорого, без выходных, звоните +7 705 111 22 33", "other", 4},
        {"в подвале всё горело, пожарные приехали и потушили, никто не пострадал", "other", 4},
        {"Көмір сатамыз, жеткізу тегін, +7 (701) 555-44-33", "other", 4},
        /* "nobody hurt yet", "what if": a warning, not over */
        {"open manhole on our street, nobody hurt yet but please cover it", "manholes", 2},
        {"what if a kid falls into this open manhole? cover it please", "manholes", 2},
        /* danger told by what is seen, heard or smelt */
        {"the transformer behind our block is fizzing and flashing blue", "electricity", 1},
        {"в подъезде электрощит трещит и воняет палёной резиной", "electricity", 1},
        {"it smells like rotten eggs in our stairwell, the stove is off", "gas", 1},
        {"a woman fell on the stairs, hit her head, there is a lot of blood", "medical", 1},
        {"кабель висит у дома, из него синие вспышки", "electricity", 1},
        {"ребёнок упал в открытый люк на Сарыарке, кричит от боли", "manholes", 1},
        /* cold with an infant; at night with nobody at risk named it stays P2 */
        {"батареялар мұздай, үйде сәби бар, далада -32", "heating", 1},
        {"нет отопления во всём доме, на улице -31, срочно", "heating", 2, true},
        {"нет отопления во всём доме, на улице -31, срочно, дома грудной ребёнок", "heating", 1,
         true},
        /* the category follows the source */
        {"на остановке разбили стекло и разрисовали стены", "public_order", 3},
        {"мүгедектерге арналған орынға тағы көлік қойып кеткен", "parking", 3},
        {"lost my bus card, is there any way to get the balance back?", "consultation", 4},
        {"thx to the crew who fixed our streetlight so fast, shoutout", "gratitude", 4},
        {"whole block lost power after a loud bang, lifts stopped too", "electricity", 2},
        {"жертөлені ыстық су басып қалды, бу шығып жатыр, батареялар суып қалды", "heating", 2},
        {"во дворе подрались, у одного нож, лежит и не встаёт", "public_order", 1},
    };
    check_shipped(cases, sizeof(cases) / sizeof(cases[0]));
}

/* Families of the shipped lexicon (holdout6 review): a fire named by what burns, a knife
 * in a fight, someone taken ill in the street, a fever, ice from roofs; no water at all
 * without the word; resolved updates, tea that is brewed, suggestions, questions, planned
 * shut-offs; bulky waste, cars at entrances, trees by their kind, thanks to a crew, news
 * located in another city, a city's name as a street. Texts are not those of the eval
 * files. */
static void test_shipped_families6(void **state)
{
    (void)state;
    static const struct shipped_case cases[] = {
        /* danger now */
        {"за нашим домом горит трансформаторная подстанция, валит чёрный дым", "electricity", 1},
        {"у магазина на Абая 20 драка, один размахивает ножом", "public_order", 1},
        {"во дворе мужик с ножом кидается на прохожих", "public_order", 1},
        {"на остановке женщине плохо, скорую вызвали", "medical", 1},
        {"у ребёнка температура не сбивается третий день, врач не пришёл", "medical", 1},
        {"Ұлымның қызуы түспей жатыр, жедел жәрдем келмей жатыр", "medical", 1},
        {"с крыши над входом в магазин летят глыбы льда", "snow", 1},
        {"упал с велосипеда, вытащили из-под машины, голова в крови", "medical", 1},
        /* an outage without the word, a building or road affected */
        {"на Абая 10 с утра ни холодной ни горячей, ничего не объявляли", "water", 2},
        {"Құбыр жарылып кетті, көшені су басты", "water", 2},
        {"лифт трясёт, двери открываются на ходу, ездить страшно", "elevator", 2},
        {"the underpass is a lake again, people wade through", "flooding", 2},
        /* resolved, brewed, proposed, asked, planned */
        {"подземный переход откачали, уже сухо", "flooding", 4},
        {"вода из крана как крепко заваренный чай, вторую неделю", "water", 3},
        {"было бы круто сделать велодорожку вдоль набережной", "roads", 4},
        {"а правда что летом отключат горячую воду на месяц?", "consultation", 4},
        {"planned power shutoff tomorrow 10-17 in our district", "electricity", 4},
        /* the category follows the thing */
        {"во дворе кто-то выбросил старый диван и шкаф, лежат неделю", "garbage", 3},
        {"біреу ауламызға ескі диван тастап кетіпті", "garbage", 3},
        {"Біреу көлігін қақпаның алдына тұрғызып кетіпті", "parking", 3},
        {"у Иманова 12 вырубили все берёзы, пилили всю ночь", "greenery", 3},
        {"the new saplings in our yard died, nobody waters them", "greenery", 3},
        {"the bins stink in this heat, not emptied for a week", "garbage", 3},
        {"Подъезде жарық жоқ, кешке қараңғы", "lighting", 3},
        {"пересадки с двумя автобусами по часу, сделайте прямой маршрут", "transport", 3},
        /* thanks to a crew, news from another city, a city's name as a street */
        {"спасибо бригаде водоканала, быстро починили трубу", "gratitude", 4},
        {"Қар тазалаушыларға үлкен рахмет!", "gratitude", 4},
        {"в Павлодаре прорвало трубу, пол района без воды", "other", 4},
        {"на Алматы 7 открытый люк, дети рядом ходят", "manholes", 2},
    };
    check_shipped(cases, sizeof(cases) / sizeof(cases[0]));
}

/* Wording first met in holdout7, said another way: hypotheticals, sarcastic thanks, a
 * district named after a city, Kazakh suggestions and burst radiators. */
static void test_shipped_families7(void **state)
{
    (void)state;
    static const struct shipped_case cases[] = {
        {"а если ночью запахнет газом, куда звонить?", "gas", 3},
        {"if I ever smell gas at night, who do I call?", "consultation", 4},
        {"ну спасибо ЖКХ, третью неделю мусор не вывозят", "garbage", 3},
        {"Алматы ауданының әкімдігіне рақмет!", "gratitude", 4},
        {"ауламызға орындық қойса жақсы болар еді", "other", 4},
        {"Сейфуллин 10 үйде батарея жарылып, ыстық су ағып жатыр, балалар бар", "heating", 1},
        {"лифт встал с бабушкой внутри уже полчаса", "elevator", 1},
        {"во дворе тротуар не тротуар а каток, хоть бы песком посыпали", "snow", 3},
        {"кто-то изрисовал стены подъезда краской", "public_order", 3},
        {"our radiators are ice cold, -30 outside, 2 month old baby at home", "heating", 1},
        {"после ветра провода провисли над дорогой", "electricity", 2},
    };
    check_shipped(cases, sizeof(cases) / sizeof(cases[0]));
}

/* Wording first met in holdout13, said another way: a drunk driver, gas told by its smell
 * in Kazakh, smoke that is no fire, steam taken for a fire, children under a hanging
 * branch, a burst heating main, planned pressure tests. */
static void test_shipped_families13(void **state)
{
    (void)state;
    static const struct shipped_case cases[] = {
        {"водитель маршрутки пьяный, виляет по Кенесары, в автобусе полно людей", "transport", 1},
        {"подъезде шіріген жұмыртқа иісі шығып тұр, газ болуы мүмкін", "gas", 1},
        {"сосед жжёт мусор со старыми покрышками во дворе, чёрный дым в окна", "garbage", 3},
        {"во дворе Сарыарки 5 сосед пускает петарды, весь подъезд в дыму от петард",
         "public_order", 3},
        {"из колодца на Сейфуллина 8 пар столбом, это пожар?", "manholes", 4},
        {"сухая ветка висит над дорожкой, под ней дети ходят в школу", "greenery", 1},
        {"прорвало теплотрассу на Абая, кипяток хлещет на тротуар", "heating", 1},
        {"опрессовка, нет горячей воды во всём доме", "water", 3},
        {"у нас свет пропал во всём доме", "electricity", 2},
        {"котёнок сидит на дереве второй день, сердце разрывается", "stray_animals", 3},
    };
    check_shipped(cases, sizeof(cases) / sizeof(cases[0]));
}

/* Wording first met in holdout14, said another way: a lift opening onto an empty shaft,
 * bare or snapped wires, boiling water from the ceiling, a fall with a hurting hip; and
 * what is no danger: a smoking driver, hot radiators, rubbish burnt in a barrel, a pack
 * that "is back", heating given to everyone but us. */
static void test_shipped_families14(void **state)
{
    (void)state;
    static const struct shipped_case cases[] = {
        {"лифт приехал, двери открылись, а кабины нет, срочно", "elevator", 1},
        {"a cable snapped over the playground on Turan 5, kids nearby", "electricity", 1},
        {"аулада жалаңаш сым салбырап тұр, балалар ойнайды", "electricity", 1},
        {"запустили отопление, у нас с потолка полилось горячее, пар", "heating", 1},
        {"my grandmother fell, her hip hurts, called 103, nobody has come", "medical", 1},
        {"the driver was smoking with the window shut on bus 12", "transport", 3},
        {"radiators scalding in our flat, +28, windows open", "heating", 3},
        {"сосед жжёт мусор в бочке, дым чёрный идёт к нам", "garbage", 3},
        {"the same pack of dogs is back near the school, growling at people", "stray_animals", 3},
        {"отопление дали всем соседним домам кроме нас, весь дом мёрзнет", "heating", 2},
        {"человек лежит на снегу у остановки, не двигается", "medical", 1},
        {"подскажите, как сделать перерасчёт за отопление", "consultation", 4},
    };
    check_shipped(cases, sizeof(cases) / sizeof(cases[0]));
}

/* holdout16's causes, reworded: carbon monoxide, thin ice, a falling balcony, a door to
 * break open, a pedestrian hit, a bare wire, gas cylinders by a fire, frost in words; and
 * dramatic words used loosely stay routine. A strong life-safety cue in a post without a
 * topical word makes it medical ("someone in danger"), so it takes medical's base. */
static void test_shipped_families16(void **state)
{
    (void)state;
    static const struct shipped_case cases[] = {
        {"в гараже мужик угорел, машина работала, вызвали скорую", "medical", 1},
        {"дети катаются на тонком льду на Есиле у моста", "medical", 1},
        {"бабушка живёт одна, третий день не открывает, надо вскрыть дверь", "medical", 1},
        {"на Абая 12 балкон вот-вот упадёт на тротуар, там люди ходят", "roads", 1},
        {"у Сауран 5 мужчину сбила машина у перехода, лежит на дороге", "roads", 1},
        {"у подстанции оголённый провод лежит прямо на земле, дети рядом", "electricity", 1},
        {"газовые баллоны стоят рядом с костром во дворе Кенесары 40", "gas", 1},
        {"на улице минус 32 а у нас батареи холодные, дети болеют", "heating", 1},
        {"умираю от жары в автобусе 12, кондиционер не работает", "transport", 3},
        {"кошмар какой-то, опять мусор не вывезли на Иманова 11", "garbage", 3},
    };
    check_shipped(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_shipped_families17(void **state)
{
    (void)state;
    static const struct shipped_case cases[] = {
        {"в 47 школе на 2 этаже газом воняет, училка говорит это из столовой", "gas", 1},
        {"мусорка не вывезена с четверга, и в третьем подъезде сильно пахнет газом", "gas", 1},
        {"в подъезде чем то воняет как будто конфорку забыли выключить", "gas", 1},
        {"ветка висит над качелями, дети под ней качаются", "greenery", 1},
        {"elderly neighbour isn't opening, we can hear her moaning through the door", "medical",
         1},
        /* irony (the upside-down face) is not taken for a joke: an exasperated report of a
         * real danger ends with it as often; "дышать нечем" keeps its life-safety points */
        {"спасибо ОСИ за ароматерапию \xF0\x9F\x99\x83 мусоропровод забит, дышать нечем",
         "garbage", 2},
        {"Power just died across Koktal, fridge dead", "electricity", 2},
        {"во дворе Кенесары 65 талая вода, из подъезда не выйти", "flooding", 2},
    };
    check_shipped(cases, sizeof(cases) / sizeof(cases[0]));
}

/* holdout18 wording: a danger told in the next sentence or another clause, the writer in
 * another city, meltwater, a danger that is itself its category's word. */
static void test_shipped_families18(void **state)
{
    (void)state;
    static const struct shipped_case cases[] = {
        {"над входом висят сосульки по метру. только что одна грохнулась в метре от женщины",
         "snow", 1},
        {"ребёнок проглотил батарейку, скорая едет 40 минут", "medical", 1},
        {"бабушка одна дома, упала, встать не может, я в Караганде, помогите", "medical", 1},
        {"мектептің жанында иттер баланы талады!!", "stray_animals", 1},
        {"во дворе урны не вывозят, на парковке машины на газоне, и провод оголённый висит над "
         "площадкой",
         "electricity", 1},
        {"Республика мен Абай қиылысындағы өткелді қар суы басып қалды", "flooding", 2},
        {"тополь лёг поперёк Желтоксан, перекрыл две полосы", "greenery", 2},
        {"на территории школы котлован открытый, дети туда прыгают", "schools", 2},
        {"в переходе вода по щиколотку, люди по перилам лезут", "flooding", 2},
        {"как сделать перерасчёт за отопление, если в январе неделю батареи были холодные? "
         "куда писать, нужен акт?",
         "consultation", 4},
    };
    check_shipped(cases, sizeof(cases) / sizeof(cases[0]));
}

/* Odd input never crashes and still yields a scored post. */
static void test_odd_input(void **state)
{
    const struct km_triage *t = *state;
    size_t n = 20000;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i += 10) {
        memcpy(big + i, "газ пожар ", 10); /* 4000 tokens, thousands of hits */
    }
    big[n] = '\0';
    static const char bad_utf8[] = "\xff\xfe пахнет \xd0 газом \"\n\t\" \xe2\x82";
    const char *texts[] = {"",
                           big,
                           bad_utf8,
                           "#109 #газ",
                           "-",
                           "-999999 -",
                           "\xe2\x88\x92"
                           "30"};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        struct km_post *p = score(t, texts[i], summer, 1000000);
        assert_true(p->triage.urgency >= 0 && p->triage.urgency <= 100);
        assert_true(p->triage.n_reasons <= KM_TRIAGE_MAX_REASONS + 1);
        for (size_t k = 0; k < p->triage.n_reasons; k++) {
            assert_null(strchr(p->triage.reasons[k], '\n'));
        }
        km_post_free(p);
    }
    free(big);
    struct km_post *p = km_post_new(); /* no text at all */
    assert_int_equal(km_triage_score(t, p, 0, 0), KM_OK);
    assert_string_equal(p->triage.category, "other");
    assert_int_equal(p->triage.priority, 4);
    km_post_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reason_kinds, sc_setup, sc_teardown),
        cmocka_unit_test_setup_teardown(test_structural_rules, sc_setup, sc_teardown),
        cmocka_unit_test_setup_teardown(test_bands, sc_setup, sc_teardown),
        cmocka_unit_test_setup_teardown(test_night_zone, sc_setup, sc_teardown),
        cmocka_unit_test_setup_teardown(test_resonance_sla_agency, sc_setup, sc_teardown),
        cmocka_unit_test_setup_teardown(test_threads, sc_setup, sc_teardown),
        cmocka_unit_test_setup_teardown(test_odd_input, sc_setup, sc_teardown),
        cmocka_unit_test(test_routing),
        cmocka_unit_test(test_tz),
        cmocka_unit_test(test_shipped),
        cmocka_unit_test(test_shipped_families),
        cmocka_unit_test(test_shipped_families5),
        cmocka_unit_test(test_shipped_families6),
        cmocka_unit_test(test_shipped_families7),
        cmocka_unit_test(test_shipped_families13),
        cmocka_unit_test(test_shipped_families14),
        cmocka_unit_test(test_shipped_families16),
        cmocka_unit_test(test_shipped_families17),
        cmocka_unit_test(test_shipped_families18),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    km_triage_thread_end();
    return rc;
}
