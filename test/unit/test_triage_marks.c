/* Unit tests for triage/marks.h: laughter, phone numbers (Kazakhstan's +7 / 8 formats, and
 * what is no phone: service numbers, dates, long and short digit runs) and lyrics between
 * music marks (paired, unpaired at a line start, decorations that enclose nothing). */
#include "triage/marks.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_laugh(void **state)
{
    (void)state;
    static const struct {
        const char *text, *laugh;
    } cases[] = {
        {"горю на работе \xF0\x9F\x98\x82\xF0\x9F\x98\x82", "\xF0\x9F\x98\x82"},
        {"\xF0\x9F\xA4\xA3 начальник дымится", "\xF0\x9F\xA4\xA3"},
        {"кот \xF0\x9F\x98\xB9", "\xF0\x9F\x98\xB9"},
        /* a sweating smile, fire and a crying face are no laughter */
        {"газ иісі жоқ \xF0\x9F\x98\x85 \xF0\x9F\x94\xA5 \xF0\x9F\x98\xAD", NULL},
        {"", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct km_marks m;
        km_marks_find(cases[i].text, &m);
        if (cases[i].laugh == NULL) {
            assert_null(m.laugh);
            continue;
        }
        assert_non_null(m.laugh);
        assert_int_equal(m.laugh_len, strlen(cases[i].laugh));
        assert_memory_equal(m.laugh, cases[i].laugh, m.laugh_len);
        assert_ptr_equal(m.laugh, strstr(cases[i].text, cases[i].laugh));
    }
    struct km_marks m;
    km_marks_find(NULL, &m);
    assert_null(m.laugh);
    assert_null(m.phone);
    assert_false(m.lyrics);
}

static void test_phone(void **state)
{
    (void)state;
    static const struct {
        const char *text, *phone;
    } cases[] = {
        {"звоните +7 700 000 00 00 #109", "+7 700 000 00 00"},
        {"тел: 8 (7172) 55-55-55.", "8 (7172) 55-55-55"},
        {"87011234567", "87011234567"},
        {"☎ +7(701)123-45-67 без выходных", "+7(701)123-45-67"},
        {"+77011234567, пишите", "+77011234567"},
        /* service numbers, times, dates, counts, other countries */
        {"звонили в 109 и 112, 104 занято", NULL},
        {"с 8 утра до 8 вечера", NULL},
        {"2024-01-31 и 31.01.2024", NULL},
        {"+1 555 123 4567", NULL},
        {"8 800 123 45 67", NULL},
        {"+7 700 000 00", NULL},
        {"+7 700 000 00 000", NULL},
        {"номер 188701234567", NULL},
        {"Туран 8, 7 этаж, 701 квартира", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct km_marks m;
        km_marks_find(cases[i].text, &m);
        bool ok = cases[i].phone == NULL
                      ? m.phone == NULL
                      : m.phone != NULL && m.phone_len == strlen(cases[i].phone) &&
                            memcmp(m.phone, cases[i].phone, m.phone_len) == 0;
        if (!ok) {
            fail_msg("case %zu: '%s': got '%.*s'", i, cases[i].text,
                     m.phone != NULL ? (int)m.phone_len : 0, m.phone != NULL ? m.phone : "");
        }
    }
}

#define NOTES "\xF0\x9F\x8E\xB6" /* 🎶 */
#define NOTE  "\xE2\x99\xAA"     /* ♪ */

/* Joins before + lyric + after into text, and before + spaces + after into want. */
static void join(const char *before, const char *lyric, const char *after, char *text, char *want,
                 size_t cap)
{
    snprintf(text, cap, "%s%s%s", before, lyric, after);
    snprintf(want, cap, "%s%*s%s", before, (int)strlen(lyric), "", after);
}

static void test_lyrics(void **state)
{
    (void)state;
    static const struct {
        const char *before, *lyric, *after; /* lyric NULL: nothing is blanked */
    } cases[] = {
        {NOTES " ", "сен жоқта жүрегім өртеніп барады ", NOTES " кешкі Есіл"},
        {"вечер " NOTE, "горит огонь", NOTE " и всё"},
        {NOTE NOTE " ", "la la la ", NOTES NOTES " вечер"}, /* a run of marks is one */
        /* unpaired: to the end of the line only when it opens the line */
        {"  " NOTE " ", "пожар в сердце", "\nяма на дороге"},
        {"музыка орёт до 3 ночи " NOTE NOTE, NULL, ""},
        {"музыка " NOTES " до 3 ночи", NULL, ""},
        {NOTES NOTES, NULL, ""},
        {"no marks at all", NULL, ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[256], want[256];
        join(cases[i].before, cases[i].lyric != NULL ? cases[i].lyric : "", cases[i].after, text,
             want, sizeof(text));
        struct km_marks m;
        km_marks_find(text, &m);
        assert_true(m.lyrics == (strstr(text, NOTE) != NULL || strstr(text, NOTES) != NULL));
        char *got = km_marks_blank_lyrics(text);
        if (cases[i].lyric == NULL) {
            assert_null(got);
            continue;
        }
        assert_non_null(got);
        if (strcmp(got, want) != 0) {
            fail_msg("case %zu: got '%s', want '%s'", i, got, want);
        }
        free(got);
    }
    assert_null(km_marks_blank_lyrics(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_laugh),
        cmocka_unit_test(test_phone),
        cmocka_unit_test(test_lyrics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
