/* Unit tests for triage/norm: normalised text, tokens, loose keys, byte ranges, counts. */
#include "triage/norm.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Tokens joined by spaces, hashtag tokens written with '#'; loose keys likewise. */
static void norm_describe(const struct km_norm_text *t, char *toks, char *loose, size_t cap)
{
    toks[0] = loose[0] = '\0';
    for (size_t k = 0; k < t->n_tokens; k++) {
        const struct km_norm_token *tok = &t->tokens[k];
        assert_int_equal(strlen(tok->text), tok->len);
        assert_int_equal(strlen(tok->loose), tok->len);
        size_t n = strlen(toks), m = strlen(loose);
        snprintf(toks + n, cap - n, "%s%s%s", k ? " " : "", tok->hashtag ? "#" : "", tok->text);
        snprintf(loose + m, cap - m, "%s%s", k ? " " : "", tok->loose);
    }
}

static const struct {
    const char *in;
    const char *text;   /* expected dedup key */
    const char *tokens; /* expected tokens, '#' marks a hashtag token */
    const char *loose;  /* expected loose keys */
} cases[] = {
    {"Свет НЕ горит уже 3 часа!!!", "свет не горит уже 3 часа", "свет не горит уже 3 часа",
     "свет не горит уже 3 часа"},
    {"Жарық жоқ, үйде суық. Һ Ң Ә Ғ Қ Ө Ұ Ү І", "жарық жоқ үйде суық һ ң ә ғ қ ө ұ ү і",
     "жарық жоқ үйде суық һ ң ә ғ қ ө ұ ү і", "жарык жок уйде суык х н а г к о у у и"},
    {"No heating in our building, kids are cold.", "no heating in our building kids are cold",
     "no heating in our building kids are cold", "no heating in our building kids are cold"},
    {"🔥🔥Пожар!🚒 во дворе ❤️ #Астана", "пожар во дворе",
     "пожар во дворе #астана", "пожар во дворе астана"},
    {"газ👃пахнет", "газ пахнет", "газ пахнет", "газ пахнет"},
    {"кофе\u200dмашина сло\u00adво", "кофемашина слово", "кофемашина слово", "кофемашина слово"},
    {"фото: https://example.com/a?b=1, ещё www.example.org и t.me/chan/12 тут", "фото еще и тут",
     "фото еще и тут", "фото еще и тут"},
    {"bit.ly/zaim-fast24 займ go.2gis.com astana.gov.kz 22.30 г.Астана", "займ 22 30 г астана",
     "займ 22 30 г астана", "займ 22 30 г астана"},
    {"@akimat_astana помогите, @user@mastodon.social тоже.", "помогите тоже", "помогите тоже",
     "помогите тоже"},
    {"RT @astana_rek: нет воды", "нет воды", "нет воды", "нет воды"},
    {"cвет в пoдъезде", "свет в подъезде", "свет в подъезде", "свет в подъезде"},
    {"Iшiнде CBET KOT", "ішінде cbet kot", "ішінде cbet kot", "ишинде cbet kot"},
    {"Cвет ПOЛ", "свет пол", "свет пол", "свет пол"},
    {"iPhoneда сынды", "iphoneда сынды", "iphoneда сынды", "iphoneда сынды"},
    {"Ёлка, ЁЖ и е\xcc\x88лочка; ЙОД и\xcc\x86од", "елка еж и елочка йод йод",
     "елка еж и елочка йод йод", "елка еж и елочка йод йод"},
    {"за\xcc\x81мок café ﬁx Ｔｅｓｔ", "замок café fix test", "замок café fix test",
     "замок café fix test"},
    {"#109 #iKomek #ЖарықЖоқ #astana_109 текст", "текст",
     "#109 #ikomek #жарықжоқ #astana #109 текст", "109 ikomek жарыкжок astana 109 текст"},
    {"bad\xff\xfe utf8 \xc3", "bad utf8", "bad utf8", "bad utf8"},
    {"", "", "", ""},
    {"🔥 !!! @only https://x.org", "", "", ""},
};

static void test_norm_table(void **state)
{
    (void)state;
    char toks[512], loose[512];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *in = cases[i].in;
        struct km_norm_text *t = km_norm(in, strlen(in));
        assert_non_null(t);
        norm_describe(t, toks, loose, sizeof(toks));
        assert_string_equal(t->text, cases[i].text);
        assert_string_equal(toks, cases[i].tokens);
        assert_string_equal(loose, cases[i].loose);
        /* Each byte range holds the original word: normalising it gives the token back. */
        for (size_t k = 0; k < t->n_tokens; k++) {
            const struct km_norm_token *tok = &t->tokens[k];
            assert_true(tok->start < tok->end && tok->end <= strlen(in));
            char slice[256];
            snprintf(slice, sizeof(slice), "%.*s", (int)(tok->end - tok->start), in + tok->start);
            char *again = km_norm_phrase(slice);
            assert_string_equal(again, tok->text);
            free(again);
        }
        km_norm_free(t);
    }
}

static void test_norm_ranges(void **state)
{
    (void)state;
    const char *in = "🔥 Свет, #Астана cвет";
    struct km_norm_text *t = km_norm(in, strlen(in));
    assert_int_equal(t->n_tokens, 3);
    static const char *const want[] = {"Свет", "Астана", "cвет"};
    for (size_t k = 0; k < 3; k++) {
        size_t n = t->tokens[k].end - t->tokens[k].start;
        assert_int_equal(n, strlen(want[k]));
        assert_memory_equal(in + t->tokens[k].start, want[k], n);
    }
    assert_false(t->tokens[0].hashtag);
    assert_true(t->tokens[1].hashtag);
    km_norm_free(t);
}

static void test_norm_counts(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t len; /* 0: strlen */
        size_t letters;
        unsigned cyr, lat, kk;
        bool repaired;
    } c[] = {
        {"нет света 2 дня #Astana", 0, 11, 11, 0, 0, false},
        {"жарық жоқ", 0, 8, 8, 0, 2, false},
        {"svet net uzhe", 0, 11, 0, 11, 0, false},
        {"cвет и water", 0, 10, 5, 5, 0, false},
        {"ok\xff", 0, 2, 0, 2, 0, true},
        {"a\0b", 3, 2, 0, 2, 0, true},
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        size_t len = c[i].len ? c[i].len : strlen(c[i].in);
        struct km_norm_text *t = km_norm(c[i].in, len);
        assert_int_equal(t->n_letters, c[i].letters);
        assert_int_equal(t->cyrillic, c[i].cyr);
        assert_int_equal(t->latin, c[i].lat);
        assert_int_equal(t->kazakh_letters, c[i].kk);
        assert_int_equal(t->repaired, c[i].repaired);
        km_norm_free(t);
    }
}

static void test_norm_phrase_loose(void **state)
{
    (void)state;
    static const struct {
        const char *in, *phrase;
    } c[] = {
        {"Запах  ГАЗА!", "запах газа"},
        {"Газ иісі", "газ иісі"},
        {"Жарық", "жарық"},
        {"#109", "109"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        char *p = km_norm_phrase(c[i].in);
        assert_string_equal(p, c[i].phrase);
        free(p);
    }
    char *l = km_norm_loose("жарық");
    assert_string_equal(l, "жарык");
    free(l);
    l = km_norm_loose("әғқңөұүһі abc");
    assert_string_equal(l, "агкноуухи abc");
    free(l);
    l = km_norm_loose("");
    assert_string_equal(l, "");
    free(l);
    char *p = km_norm_phrase(NULL);
    assert_string_equal(p, "");
    free(p);
}

/* 100 KB of text, and one 100 KB "word": no crash, every byte accounted for. */
/* Clause breaks: which tokens follow ! ? ; a newline or ". " (never the first token). */
static void test_norm_clauses(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *marks; /* one char per token: 'c' clause break before it, '-' none */
    } clauses[] = {
        {"Не берут! Помогите", "--c"},
        {"?? газ; свет\nвода", "-cc"},
        {"ул. Кенесары 3.5 м", "-c---"},
        {"один…два", "--"},
        {"да!!! да?", "-c"},
    };
    for (size_t i = 0; i < sizeof(clauses) / sizeof(clauses[0]); i++) {
        struct km_norm_text *t = km_norm(clauses[i].text, strlen(clauses[i].text));
        char got[16] = {0};
        for (size_t k = 0; k < t->n_tokens && k + 1 < sizeof(got); k++) {
            got[k] = t->tokens[k].clause ? 'c' : '-';
        }
        if (strcmp(got, clauses[i].marks) != 0) {
            fail_msg("case %zu '%s': got %s, want %s", i, clauses[i].text, got, clauses[i].marks);
        }
        km_norm_free(t);
    }
}

static void test_norm_large(void **state)
{
    (void)state;
    size_t n = 100 * 1024;
    char *big = malloc(n + 1);
    const char *unit = "свет газ ";
    size_t u = strlen(unit), i = 0;
    for (; i + u <= n; i += u) {
        memcpy(big + i, unit, u);
    }
    memset(big + i, ' ', n - i);
    big[n] = '\0';
    struct km_norm_text *t = km_norm(big, n);
    assert_int_equal(t->n_tokens, 2 * (n / u));
    assert_int_equal(strncmp(t->text, "свет газ свет", strlen("свет газ свет")), 0);
    km_norm_free(t);
    memset(big, 'a', n);
    t = km_norm(big, n);
    assert_true(t->n_tokens >= n / 256);
    assert_int_equal(strlen(t->text), n + t->n_tokens - 1);
    assert_int_equal(t->tokens[t->n_tokens - 1].end, n);
    km_norm_free(t);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_norm_table),  cmocka_unit_test(test_norm_ranges),
        cmocka_unit_test(test_norm_counts), cmocka_unit_test(test_norm_phrase_loose),
        cmocka_unit_test(test_norm_large),  cmocka_unit_test(test_norm_clauses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
