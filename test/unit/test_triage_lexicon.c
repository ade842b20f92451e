/* Unit tests for triage/lexicon.h: every match mode in ru, kk and en, exclusions,
 * negation, the strict flag, transliteration (not of English words), proper names, phrases
 * within a clause, the token cache across lexicons, bad lines with FILE:LINE, and the
 * shipped etc/lexicon. */
#include "triage/lexicon.h"
#include "triage/norm.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

struct fx {
    struct km_lexicon *lx;
    struct km_lex_stemmers st;
};

/* Every entry of the table tests; its TERM is what the cases below look for. */
static const char *const fx_lines[] = {
    "# comment line",
    "",
    "gas          ru  stem    4  газ",
    "gas          ru  word    3  газовщик     # surface form only",
    "heating      ru  prefix  5  отоплен",
    "roads        ru  phrase  4  \"яма =на дорог*\"",
    "water        ru  phrase  5  \"нет воды\"   gap=0",
    "gas          ru  prefix  2  газо",
    "gas          ru  not     0  газон*",
    "*            ru  not     0  \"учебная тревога\"",
    "life         ru  stem    50 пожар        call=101",
    "life         ru  phrase  50 \"пахнет газом\"",
    "life         ru  phrase  50 \"газом пахнет\"",
    "garbage      ru  stem    5  мусор",
    "snow         kk  word    4  қар",
    "water        kk  stem    2  су",
    "roads        kk  prefix  3  шұңқыр",
    "life         kk  phrase  50 \"газ иіс*\"",
    "flooding     kk  phrase  5  \"су басып\"",
    "snow         kk  not     0  қарағанды",
    "elevator     kk  word    6  лифт",
    "transport    kk  word    3  метро        back",
    "manholes     kk  word    4  люк          front",
    "manholes     en  stem    5  manhole",
    "flooding     en  stem    5  flood",
    "electricity  en  prefix  4  electr",
    "life         en  phrase  50 \"smell* =of gas\"",
    "life         en  word    50 fire",
    "life         en  not     0  \"fire drill\"",
    "gratitude    en  word    3  thanks       strict",
    "negation     ru  word    0  не",
    "negation     kk  word    0  жоқ          after",
    "negation     en  word    0  no",
    "heating      *   base    25 -            winter=10 night=5",
    "life         *   cap     50 -",
    /* for test_post_hints (added last: line numbers above are asserted) */
    "stray_animals kk word    4  ит",
    "stray_animals ru prefix  2  кошк",
    "flooding     ru  phrase  2  \"=в воде\"",
    "elevator     kk  phrase  45 \"лифт* ішінде*\" gap=3",
    "consultation ru  phrase  4  \"=до сколк*\"",
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct km_err err = {{0}};
    f->lx = km_lexicon_new();
    for (size_t i = 0; i < sizeof(fx_lines) / sizeof(fx_lines[0]); i++) {
        if (km_lexicon_add_line(f->lx, fx_lines[i], "test.lex", (int)i + 1, stderr, &err) !=
            KM_OK) {
            return -1;
        }
    }
    if (km_lex_stemmers_init(&f->st, &err) != KM_OK) {
        return -1;
    }
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    km_lexicon_free(f->lx);
    km_lex_stemmers_free(&f->st);
    free(f);
    return 0;
}

/* Matches text; returns the hits and their count. */
static size_t fx_match(struct fx *f, const char *text, int lang, struct km_lex_hit *hits,
                       size_t cap)
{
    struct km_norm_text *nt = km_norm(text, strlen(text));
    size_t n = km_lexicon_match(f->lx, nt, lang, &f->st, hits, cap);
    km_norm_free(nt);
    return n < cap ? n : cap;
}

/* True if an entry whose term is `term` matched (negated or not as asked; -1 = either). */
static bool fx_has(struct fx *f, const char *text, int lang, const char *term, int negated)
{
    struct km_lex_hit hits[64];
    size_t n = fx_match(f, text, lang, hits, 64);
    for (size_t i = 0; i < n; i++) {
        const struct km_lex_entry *e = km_lexicon_entry(f->lx, hits[i].entry);
        if (strcmp(e->term, term) == 0 && (negated < 0 || hits[i].negated == (negated == 1))) {
            return true;
        }
    }
    return false;
}

static void test_match_modes(void **state)
{
    struct fx *f = *state;
    static const struct {
        const char *text;
        const char *term;
        bool want;
    } cases[] = {
        /* ru stem / word / prefix / phrase */
        {"сильно пахнет ГАЗОМ в подъезде", "газ", true},
        {"вызвали газовщика", "газовщик", false}, /* word: only that exact form */
        {"пришёл газовщик", "газовщик", true},
        {"нет отопления с утра", "отоплен", true},
        {"отопление", "отоплен", true},
        {"топление", "отоплен", false},
        {"яма на дороге у дома", "яма =на дорог*", true},
        {"ямы на дорогах", "яма =на дорог*", true},
        {"яма прямо на широкой дороге", "яма =на дорог*", true}, /* gap 2 */
        {"яма и дальше через три слова на дороге", "яма =на дорог*", false},
        {"яма в дороге", "яма =на дорог*", false}, /* =на is exact */
        {"нет горячей воды", "нет воды", false},   /* gap=0 */
        {"нет воды", "нет воды", true},
        /* ru not: газон is excluded from the gas prefix, but not газовый */
        {"машина на газоне", "газо", false},
        {"газовая плита", "газо", true},
        /* kk word = generated forms, with the loose key */
        {"аулада қар көп", "қар", true},
        {"қарды тазалаңыз", "қар", true},
        {"кар жауды", "қар", true},       /* typed with Russian letters */
        {"Қарағанды жолы", "қар", false}, /* exclusion */
        {"суға түсті", "су", true},       /* kk stem = generated forms */
        {"сурет", "су", false},
        {"жолда шұңқырлар бар", "шұңқыр", true},
        {"газдың иісі шығып тұр", "газ иіс*", true},
        {"көшені су басып қалды", "су басып", true},
        {"лифтте қамалып қалды", "лифт", true},   /* harmony from the root */
        {"метроға кірдім", "метро", true},        /* back, as the root says anyway */
        {"люкке түсті", "люк", true},              /* front given */
        {"люкқа түсті", "люк", false},
        {"aialdamada joq", "қар", false},
        {"qar joq", "қар", true},                  /* Kazakh in Latin letters */
        /* en stem / prefix / phrase / word */
        {"open manholes everywhere", "manhole", true},
        {"the street flooded again", "flood", true},
        {"no electricity since noon", "electr", true},
        {"a strong smell of gas", "smell* =of gas", true},
        {"it smells of gas", "smell* =of gas", true},
        {"fire on the 3rd floor", "fire", true},
        {"fire drill at school tomorrow", "fire", false}, /* en not */
        {"учебная пожарная тревога", "пожар", false},     /* '*' not blocks a span */
        {"в подвале пожар", "пожар", true},
        /* Russian typed in Latin letters is transliterated */
        {"musor ne vyvozyat", "мусор", true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool got = fx_has(f, cases[i].text, KM_LEX_ANY, cases[i].term, -1);
        if (got != cases[i].want) {
            fail_msg("case %zu: '%s' / '%s': got %d", i, cases[i].text, cases[i].term, got);
        }
    }
}

static void test_negation(void **state)
{
    struct fx *f = *state;
    static const struct {
        const char *text;
        const char *term;
        int negated;
    } cases[] = {
        {"в подъезде пахнет газом", "пахнет газом", 0},
        {"не пахнет газом", "пахнет газом", 1},         /* before */
        {"газом не пахнет, вопрос", "газом пахнет", 1}, /* inside the span */
        {"газ иісі жоқ", "газ иіс*", 1},                /* Kazakh: after */
        {"газ иісі шығып тұр", "газ иіс*", 0},
        {"no smell of gas here", "smell* =of gas", 1},
        {"smell of gas, no idea why", "smell* =of gas", 0}, /* "no" after: not an after-negator */
        /* a clause break (! ? ; newline, ". ") stops a negator's reach both ways */
        {"никто не! пахнет газом", "пахнет газом", 0},
        {"звоню не берут?? пахнет газом", "пахнет газом", 0},
        {"не\nпахнет газом", "пахнет газом", 0},
        {"газ иісі. жоқ па", "газ иіс*", 0},
        {"no. smell of gas", "smell* =of gas", 0},
        {"не.пахнет газом", "пахнет газом", 1}, /* '.' inside a word is no break */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (!fx_has(f, cases[i].text, KM_LEX_ANY, cases[i].term, cases[i].negated)) {
            fail_msg("case %zu: '%s' / '%s' not found with negated=%d", i, cases[i].text,
                     cases[i].term, cases[i].negated);
        }
    }
    /* categories' single words are never negated: "не горит газ" is still about gas */
    assert_true(fx_has(f, "не газ", KM_LEX_ANY, "газ", 0));
}

static void test_strict_and_hits(void **state)
{
    struct fx *f = *state;
    assert_true(fx_has(f, "thanks a lot", KM_LEX_EN, "thanks", -1));
    assert_true(fx_has(f, "thanks a lot", KM_LEX_ANY, "thanks", -1));
    assert_false(fx_has(f, "thanks a lot", KM_LEX_RU, "thanks", -1));
    /* token ranges of a hit */
    struct km_lex_hit hits[8];
    size_t n = fx_match(f, "ой, яма на дороге", KM_LEX_ANY, hits, 8);
    bool found = false;
    for (size_t i = 0; i < n; i++) {
        if (km_lexicon_entry(f->lx, hits[i].entry)->mode == KM_LEX_PHRASE) {
            assert_int_equal(hits[i].first, 1);
            assert_int_equal(hits[i].last, 3);
            found = true;
        }
    }
    assert_true(found);
    /* the count is returned even when the array is too small */
    assert_true(fx_match(f, "газ газ газ", KM_LEX_ANY, hits, 1) == 1);
    struct km_norm_text *nt = km_norm("газ газ газ", strlen("газ газ газ"));
    assert_int_equal(km_lexicon_match(f->lx, nt, KM_LEX_ANY, &f->st, hits, 1), 3);
    km_norm_free(nt);
}

/* True if the entry `term` matched text with the proper-name flags of names[] (a list of
 * token indices ended by -1; NULL = no flags). */
static bool fx_has_names(struct fx *f, const char *text, int lang, const int *names,
                         const char *term)
{
    struct km_norm_text *nt = km_norm(text, strlen(text));
    bool *flags = calloc(nt->n_tokens + 1, sizeof(*flags));
    for (size_t i = 0; names != NULL && names[i] >= 0; i++) {
        flags[names[i]] = true;
    }
    struct km_lex_post post = {.lang = lang, .name = names != NULL ? flags : NULL};
    struct km_lex_hit hits[64];
    size_t n = km_lexicon_match_post(f->lx, nt, &post, &f->st, hits, 64);
    bool found = false;
    for (size_t i = 0; i < n && i < 64; i++) {
        found = found || strcmp(km_lexicon_entry(f->lx, hits[i].entry)->term, term) == 0;
    }
    free(flags);
    km_norm_free(nt);
    return found;
}

/* What the matcher is told about a post: its language (no transliteration of English),
 * proper names (no prefixes); and phrases that keep within a clause. */
static void test_post_hints(void **state)
{
    struct fx *f = *state;
    /* English words are not read as transliterated Cyrillic: "it" is no "ит" (a dog) */
    assert_false(fx_has(f, "the dog did it again", KM_LEX_EN, "ит", -1));
    assert_false(fx_has(f, "and it is here", KM_LEX_ANY, "ит", -1)); /* English neighbours */
    assert_true(fx_has(f, "balalar it kusady", KM_LEX_ANY, "ит", -1)); /* Kazakh in Latin */
    assert_true(fx_has(f, "ne znaete do skolki rabotaet", KM_LEX_ANY, "=до сколк*", -1));
    assert_true(fx_has(f, "musor ne vyvozyat", KM_LEX_ANY, "мусор", -1));
    assert_false(fx_has(f, "musor ne vyvozyat", KM_LEX_EN, "мусор", -1));
    /* a street's name takes no prefix entries; whole words and stems still match */
    static const int first[] = {0, -1};
    assert_true(fx_has_names(f, "Кошкарбаева 34 кошки", KM_LEX_RU, NULL, "кошк"));
    assert_true(fx_has_names(f, "Кошкарбаева 34", KM_LEX_RU, NULL, "кошк"));
    assert_false(fx_has_names(f, "Кошкарбаева 34", KM_LEX_RU, first, "кошк"));
    assert_true(fx_has_names(f, "Кошкарбаева 34 кошки", KM_LEX_RU, first, "кошк"));
    assert_true(fx_has_names(f, "Koshkarbayeva 34", KM_LEX_ANY, NULL, "кошк"));
    assert_false(fx_has_names(f, "Koshkarbayeva 34", KM_LEX_ANY, first, "кошк"));
    assert_true(fx_has_names(f, "Газ 34", KM_LEX_RU, first, "газ")); /* a stem */
    /* a phrase of words in order stays within a clause; a wide gap= may cross one */
    assert_true(fx_has(f, "машина стоит в воде", KM_LEX_ANY, "=в воде", -1));
    assert_true(fx_has(f, "машина в холодной воде", KM_LEX_ANY, "=в воде", -1));
    assert_false(fx_has(f, "сын в порядке, попил воды", KM_LEX_ANY, "=в воде", -1));
    assert_false(fx_has(f, "сын в. воде", KM_LEX_ANY, "=в воде", -1));
    assert_true(fx_has(f, "лифт тоқтап қалды, ішінде бала", KM_LEX_ANY, "лифт* ішінде*", -1));
}

static void test_base_cap_names(void **state)
{
    struct fx *f = *state;
    const struct km_lex_entry *b = km_lexicon_base(f->lx, km_lex_class_parse("heating"));
    assert_non_null(b);
    assert_int_equal(b->weight, 25);
    assert_int_equal(b->winter, 10);
    assert_int_equal(b->night, 5);
    assert_null(km_lexicon_base(f->lx, km_lex_class_parse("gas")));
    assert_int_equal(km_lexicon_cap(f->lx, KM_CUE_LIFE), 50);
    assert_int_equal(km_lexicon_cap(f->lx, KM_CUE_HELP), -1);
    assert_string_equal(km_lex_class_name(KM_CAT_STRAY_ANIMALS), "stray_animals");
    assert_string_equal(km_lex_class_name(KM_CUE_NEGATION), "negation");
    assert_null(km_lex_class_name(KM_CLASS_COUNT));
    assert_int_equal(km_lex_class_parse("public_order"), KM_CAT_PUBLIC_ORDER);
    assert_int_equal(km_lex_class_parse("potholes"), -1);
    assert_string_equal(km_category_name(99), "other");
    const struct km_lex_entry *fire = NULL;
    for (size_t i = 0; i < km_lexicon_count(f->lx); i++) {
        const struct km_lex_entry *e = km_lexicon_entry(f->lx, i);
        if (e->term != NULL && strcmp(e->term, "пожар") == 0) {
            fire = e;
        }
    }
    assert_non_null(fire);
    assert_string_equal(fire->call, "101");
    assert_string_equal(fire->file, "test.lex");
    assert_int_equal(fire->line, 11);
}

/* The over flag (the danger is over, elsewhere or imagined) goes on fixed and calm lines. */
static void test_over_flag(void **state)
{
    (void)state;
    struct km_lexicon *lx = km_lexicon_new();
    struct km_err err = {{0}};
    static const struct {
        const char *line;
        int rc;
    } cases[] = {
        {"fixed ru prefix -40 потушил over", KM_OK},
        {"calm  en phrase -25 \"news =from\" gap=0 over", KM_OK},
        {"calm  en phrase 0   \"=what =if\" gap=0 over", KM_OK},
        {"life  ru stem   70  пожар over", KM_EINPUT},
        {"impact ru prefix 25 затопил over", KM_EINPUT},
        {"fixed ru prefix -40 потушил over=1", KM_EINPUT},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = km_lexicon_add_line(lx, cases[i].line, "over.lex", (int)i + 1, NULL, &err);
        if (rc != cases[i].rc) {
            fail_msg("case %zu: '%s': rc %d, want %d (%s)", i, cases[i].line, rc, cases[i].rc,
                     err.msg);
        }
    }
    assert_non_null(strstr(err.msg, "unknown flag"));
    assert_int_equal(km_lexicon_count(lx), 3);
    assert_true(km_lexicon_entry(lx, 0)->flags & KM_LEX_F_OVER);
    assert_true(km_lexicon_entry(lx, 1)->flags & KM_LEX_F_OVER);
    assert_int_equal(km_lexicon_entry(lx, 2)->weight, 0);
    assert_int_equal(
        km_lexicon_add_line(lx, "life ru stem 70 пожар over", "over.lex", 9, NULL, &err),
        KM_EINPUT);
    assert_non_null(strstr(err.msg, "over goes on fixed and calm lines"));
    km_lexicon_free(lx);
}

static void test_bad_lines(void **state)
{
    (void)state;
    static const struct {
        int line;
        const char *msg;
    } want[] = {
        {3, "unknown class 'snowfall'"},
        {4, "LANG must be"},
        {5, "MODE must be"},
        {6, "WEIGHT must be"},
        {7, "several words in TERM"},
        {8, "a prefix needs"},
        {9, "want CLASS LANG MODE WEIGHT TERM"},
        {11, "second base line for heating (first at"},
        {12, "winter=N and night=N go on base lines"},
        {13, "'sometimes': unknown flag"},
        {14, "unterminated quote"},
        {15, "'call=fire': call= wants an emergency number"},
        {16, "call= goes on life lines"},
        {17, "LANG '*' only on base/cap lines"},
        {18, "CLASS '*' only on not lines"},
        {20, "after goes on negation lines"},
    };
    char *report = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&report, &len);
    struct km_lexicon *lx = NULL;
    struct km_err err = {{0}};
    int rc = km_lexicon_load_dir("test/fixtures/triage/lexicon-bad", f, &lx, &err);
    fclose(f);
    assert_int_equal(rc, KM_EINPUT);
    assert_null(lx);
    assert_non_null(strstr(err.msg, "bad.lex:3: unknown class"));
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        char needle[128];
        snprintf(needle, sizeof(needle), "lexicon-bad/bad.lex:%d: ", want[i].line);
        const char *at = strstr(report, needle);
        if (at == NULL || strncmp(strchr(at, ' ') + 1, want[i].msg, strlen(want[i].msg)) != 0) {
            fail_msg("line %d: want '%s' in:\n%s", want[i].line, want[i].msg, report);
        }
    }
    /* the good lines of the file and the good file were not reported */
    assert_null(strstr(report, "bad.lex:2:"));
    assert_null(strstr(report, "bad.lex:10:"));
    assert_null(strstr(report, "bad.lex:19:"));
    assert_null(strstr(report, "good.lex"));
    free(report);
    assert_int_equal(km_lexicon_load_dir("test/fixtures/triage/missing", NULL, &lx, &err), KM_ERR);
    assert_non_null(strstr(err.msg, "cannot open"));
    assert_int_equal(km_lexicon_load_dir("test/fixtures/conf", NULL, &lx, &err), KM_EINPUT);
    assert_non_null(strstr(err.msg, "no .lex files"));
}

/* The stemmers' token cache keeps the atoms of words seen: a reloaded lexicon (or a line
 * added to one) must be matched afresh, not through the atoms of the old one. */
static void test_token_cache_follows_lexicon(void **state)
{
    struct fx *f = *state;
    struct km_err err = {{0}};
    assert_true(fx_has(f, "во дворе кошки", KM_LEX_RU, "кошк", -1));
    assert_false(fx_has(f, "во дворе кошки", KM_LEX_RU, "кошки", -1));
    struct km_lexicon *old = f->lx;
    f->lx = km_lexicon_new(); /* a reload: the same words mean something else */
    assert_int_equal(km_lexicon_add_line(f->lx, "gas ru word 5 кошки", "new.lex", 1, NULL, &err),
                     KM_OK);
    assert_true(fx_has(f, "во дворе кошки", KM_LEX_RU, "кошки", -1));
    assert_false(fx_has(f, "во дворе кошки", KM_LEX_RU, "кошк", -1));
    km_lexicon_free(f->lx);
    f->lx = old;
    assert_true(fx_has(f, "во дворе кошки", KM_LEX_RU, "кошк", -1));
    assert_int_equal(km_lexicon_add_line(f->lx, "gas ru word 5 дворе", "more.lex", 1, NULL, &err),
                     KM_OK);
    assert_true(fx_has(f, "во дворе кошки", KM_LEX_RU, "дворе", -1));
    /* a word met first as a street's name, then as a word, and the other way round */
    static const int second[] = {1, -1};
    assert_false(fx_has_names(f, "улица Кошкарбаева", KM_LEX_RU, second, "кошк"));
    assert_true(fx_has_names(f, "улица Кошкарбаева", KM_LEX_RU, NULL, "кошк"));
    assert_false(fx_has_names(f, "улица Кошкарбаева", KM_LEX_RU, second, "кошк"));
}

static void test_shipped_lexicon(void **state)
{
    (void)state;
    struct km_lexicon *lx = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_lexicon_load_dir("etc/lexicon", stderr, &lx, &err), KM_OK);
    assert_true(km_lexicon_count(lx) > 500);
    for (int c = 0; c < KM_CAT_COUNT; c++) {
        if (km_lexicon_base(lx, c) == NULL) {
            fail_msg("etc/lexicon has no base line for %s", km_category_name(c));
        }
    }
    km_lexicon_free(lx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_match_modes, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_negation, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_strict_and_hits, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_post_hints, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_base_cap_names, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_token_cache_follows_lexicon, fx_setup, fx_teardown),
        cmocka_unit_test(test_over_flag),
        cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_shipped_lexicon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
