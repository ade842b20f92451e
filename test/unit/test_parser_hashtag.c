/* Unit tests for parser/hashtag: extraction from Russian, Kazakh and English text with
 * punctuation, emoji, URLs and broken bytes around the tags; UTF-16 entity offsets. */
#include "common/buf.h"
#include "common/err.h"
#include "parser/hashtag.h"
#include "parser/post.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Joins the post's tags with ',' for comparison. */
static char *joined(const struct km_post *p)
{
    struct km_buf b = KM_BUF_INIT;
    for (size_t i = 0; i < p->n_hashtags; i++) {
        if (i > 0) {
            km_buf_putc(&b, ',');
        }
        km_buf_puts(&b, p->hashtags[i]);
    }
    return km_buf_take(&b);
}

#define A70 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define A64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static void test_extract(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t found;
        const char *tags;
    } cases[] = {
        {"#Астана", 1, "астана"},
        {"Открытый люк на Туран 24 #109, срочно!", 1, "109"},
        {"Снова нет света (#Астана)", 1, "астана"},
        {"#акиматАстаны ответьте #iKomek", 2, "акиматастаны,ikomek"},
        {"Көшеде жарық жоқ #ҚалаҚызметі #Астана_әкімдігі", 2, "қалақызметі,астана_әкімдігі"},
        {"#ӘҒҚҢӨҰҮҺІ #әғқңөұүһі", 2, "әғқңөұүһі"},
        {"Жол жөндеу керек!#жол.", 1, "жол"},
        {"🚧#109🚧 #Астана🔥 🔥#iKomek", 3, "109,астана,ikomek"},
        {"#️⃣ keycap, not a tag", 0, ""},
        {"I write C# and a#b and 5#6", 0, ""},
        {"https://x.kz/a#b https://x.kz/#c www.gov.kz/#d WWW.GOV.KZ/#e", 0, ""},
        {"see https://x.kz/a #109 https://t.me/s/astana#top", 1, "109"},
        {"# alone, ## and #_ and #", 0, ""},
        {"##109 &#39; #a#b", 1, "a"},
        {"#109#110", 1, "109"},
        {"line1\n#109\t#110\r\n#111", 3, "109,110,111"},
        {"#109 #109 #Астана #АСТАНА", 4, "109,астана"},
        {"текст\xc2\xa0#109", 1, "109"},
        {"\xff#109 \xd0#110 #11\xff"
         "1",
         3, "109,110,11"},
        {"#е\xcc\x88лка", 1, "ёлка"},
        {"#2024год жылы", 1, "2024год"},
        {"Tag #" A70 " end", 1, A64},
        {"", 0, ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct km_post *p = km_post_new();
        size_t n = km_hashtags_extract(cases[i].text, strlen(cases[i].text), p);
        char *got = joined(p);
        if (strcmp(got, cases[i].tags) != 0 || n != cases[i].found) {
            print_error("case %zu: \"%s\": got %zu [%s]\n", i, cases[i].text, n, got);
        }
        assert_string_equal(got, cases[i].tags);
        assert_int_equal(n, cases[i].found);
        free(got);
        km_post_free(p);
    }
}

/* Explicit lengths: NUL bytes and a tag cut by the end of the buffer. */
static void test_extract_lengths(void **state)
{
    (void)state;
    struct km_post *p = km_post_new();
    static const char nul[] = "a\0#109";
    assert_int_equal(km_hashtags_extract(nul, sizeof(nul) - 1, p), 1);
    /* "#Астана" cut in the middle of "а" (2 bytes): the broken byte ends the tag */
    static const char cut[] = "#\xd0\x90\xd1\x81\xd1\x82\xd0\xb0\xd0\xbd\xd0\xb0";
    assert_int_equal(km_hashtags_extract(cut, sizeof(cut) - 2, p), 1);
    assert_int_equal(km_hashtags_extract(cut, 1, p), 0);
    assert_int_equal(km_hashtags_extract(NULL, 0, p), 0);
    char *got = joined(p);
    assert_string_equal(got, "109,астан");
    free(got);
    km_post_free(p);
}

/* A long run of '(#' must stay linear: no tag, no re-scanning of the word for URLs. */
static void test_extract_long(void **state)
{
    (void)state;
    size_t n = 400000;
    char *s = malloc(n + 1);
    assert_non_null(s);
    for (size_t i = 0; i < n; i += 2) {
        s[i] = '(';
        s[i + 1] = '#';
    }
    s[n] = '\0';
    struct km_post *p = km_post_new();
    assert_int_equal(km_hashtags_extract(s, n, p), 0);
    memset(s, 'x', n);
    s[0] = '#';
    assert_int_equal(km_hashtags_extract(s, n, p), 1);
    assert_int_equal(strlen(p->hashtags[0]), KM_HASHTAG_MAX_CHARS);
    km_post_free(p);
    free(s);
}

static void test_utf16_slice(void **state)
{
    (void)state;
    /* 🚧 = 4 bytes / 2 units; Астана = 12 bytes / 6 units; 🇰🇿 = 8 bytes / 4 units */
    static const char text[] = "🚧 #109 Астана 🇰🇿#iKomek";
    static const struct {
        size_t off16, len16;
        int rc;
        size_t start, end;
    } cases[] = {
        {3, 4, KM_OK, 5, 9},      /* #109 after the emoji */
        {8, 6, KM_OK, 10, 22},    /* Астана */
        {0, 2, KM_OK, 0, 4},      /* the emoji itself */
        {15, 4, KM_OK, 23, 31},   /* the flag */
        {19, 7, KM_OK, 31, 38},   /* #iKomek right after the flag */
        {26, 0, KM_OK, 38, 38},   /* empty range at the very end */
        {0, 26, KM_OK, 0, 38},    /* everything */
        {1, 1, KM_EINPUT, 0, 0},  /* starts inside the surrogate pair */
        {0, 1, KM_EINPUT, 0, 0},  /* ends inside it */
        {16, 4, KM_EINPUT, 0, 0}, /* inside the flag */
        {19, 8, KM_EINPUT, 0, 0}, /* one past the end */
        {27, 0, KM_EINPUT, 0, 0}, /* starts past the end */
        {SIZE_MAX, 2, KM_EINPUT, 0, 0},
        {3, SIZE_MAX, KM_EINPUT, 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t start = 777, end = 777;
        int rc =
            km_utf16_slice(text, sizeof(text) - 1, cases[i].off16, cases[i].len16, &start, &end);
        assert_int_equal(rc, cases[i].rc);
        if (rc == KM_OK) {
            assert_int_equal(start, cases[i].start);
            assert_int_equal(end, cases[i].end);
        } else {
            assert_true(start == 777 && end == 777);
        }
    }
    /* an invalid byte counts as one unit */
    size_t s = 0, e = 0;
    assert_int_equal(km_utf16_slice("\xff#109", 5, 1, 4, &s, &e), KM_OK);
    assert_true(s == 1 && e == 5);
    assert_int_equal(km_utf16_slice("", 0, 0, 0, &s, &e), KM_OK);
    assert_true(s == 0 && e == 0);
}

/* The Telegram path: entity offsets -> bytes -> tag; same tags as free-text extraction. */
static void test_utf16_entities(void **state)
{
    (void)state;
    static const char text[] =
        "🔥🔥 Авария на #Кенесары40, звоните #109 👷‍♂️#iKomek";
    static const struct {
        size_t off16, len16;
    } entities[] = {{15, 11}, {36, 4}, {46, 7}};
    struct km_post *a = km_post_new(), *b = km_post_new();
    for (size_t i = 0; i < sizeof(entities) / sizeof(entities[0]); i++) {
        size_t s = 0, e = 0;
        assert_int_equal(
            km_utf16_slice(text, sizeof(text) - 1, entities[i].off16, entities[i].len16, &s, &e),
            KM_OK);
        assert_int_equal(text[s], '#');
        char tag[64] = "";
        memcpy(tag, text + s, e - s);
        km_post_add_hashtag(a, tag);
    }
    assert_int_equal(km_hashtags_extract(text, sizeof(text) - 1, b), 3);
    char *ja = joined(a), *jb = joined(b);
    assert_string_equal(ja, "кенесары40,109,ikomek");
    assert_string_equal(ja, jb);
    free(ja);
    free(jb);
    km_post_free(a);
    km_post_free(b);
}

/* X entities count code points: an emoji is one, whatever its UTF-16 or UTF-8 length. */
static void test_codepoint_slice(void **state)
{
    (void)state;
    /* 🚧 = 4 bytes / 1 cp; Астана = 12 bytes / 6 cps; 🇰🇿 = 8 bytes / 2 cps; қ = 2 bytes */
    static const char text[] = "🚧 #109 Астана 🇰🇿#iKomek #қала";
    static const struct {
        size_t cp_start, cp_end;
        int rc;
        size_t start, end;
    } cases[] = {
        {2, 6, KM_OK, 5, 9},      /* #109 after the emoji */
        {7, 13, KM_OK, 10, 22},   /* Астана */
        {0, 1, KM_OK, 0, 4},      /* the emoji itself */
        {14, 16, KM_OK, 23, 31},  /* the flag (two regional indicators) */
        {16, 23, KM_OK, 31, 38},  /* #iKomek right after the flag */
        {24, 29, KM_OK, 39, 48},  /* #қала at the very end */
        {29, 29, KM_OK, 48, 48},  /* empty range at the end */
        {0, 29, KM_OK, 0, 48},    /* everything */
        {15, 16, KM_OK, 27, 31},  /* half a flag is still whole code points */
        {24, 30, KM_EINPUT, 0, 0}, /* one past the end */
        {30, 30, KM_EINPUT, 0, 0}, /* starts past the end */
        {6, 2, KM_EINPUT, 0, 0},   /* end before start */
        {SIZE_MAX, SIZE_MAX, KM_EINPUT, 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t start = 777, end = 777;
        int rc = km_codepoint_slice(text, sizeof(text) - 1, cases[i].cp_start, cases[i].cp_end,
                                    &start, &end);
        if (rc != cases[i].rc) {
            fail_msg("case %zu: rc %d", i, rc);
        }
        if (rc == KM_OK) {
            assert_int_equal(start, cases[i].start);
            assert_int_equal(end, cases[i].end);
        } else {
            assert_true(start == 777 && end == 777);
        }
    }
    /* an invalid byte counts as one code point */
    size_t s = 0, e = 0;
    assert_int_equal(km_codepoint_slice("\xff#109", 5, 1, 5, &s, &e), KM_OK);
    assert_true(s == 1 && e == 5);
    assert_int_equal(km_codepoint_slice("", 0, 0, 0, &s, &e), KM_OK);
    assert_true(s == 0 && e == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extract),        cmocka_unit_test(test_extract_lengths),
        cmocka_unit_test(test_extract_long),   cmocka_unit_test(test_utf16_slice),
        cmocka_unit_test(test_utf16_entities), cmocka_unit_test(test_codepoint_slice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
