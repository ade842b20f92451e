/* Marks in a post's raw text: laughter, lyrics, a phone number (see marks.h). */
#include "triage/marks.h"

#include "common/alloc.h"

#include <string.h>

/* Separators allowed in a row between the digit groups of a phone number ("+7 (701) "). */
#define MK_MAX_SEPS 2

/* One emoji or symbol, as UTF-8. */
struct mk_sym {
    const char *utf8;
    size_t len;
};

#define MK_SYM(s) {s, sizeof(s) - 1}

/* 😂 🤣 😹 */
static const struct mk_sym mk_laugh[] = {MK_SYM("\xF0\x9F\x98\x82"), MK_SYM("\xF0\x9F\xA4\xA3"),
                                         MK_SYM("\xF0\x9F\x98\xB9")};

/* 🎶 🎵 🎼 ♪ ♫ */
static const struct mk_sym mk_music[] = {MK_SYM("\xF0\x9F\x8E\xB6"), MK_SYM("\xF0\x9F\x8E\xB5"),
                                         MK_SYM("\xF0\x9F\x8E\xBC"), MK_SYM("\xE2\x99\xAA"),
                                         MK_SYM("\xE2\x99\xAB")};

/* Length of the symbol of list (n entries) at s, or 0. */
static size_t mk_sym_at(const struct mk_sym *list, size_t n, const char *s)
{
    unsigned char c = (unsigned char)s[0];
    if (c != 0xF0 && c != 0xE2) {
        return 0;
    }
    for (size_t k = 0; k < n; k++) {
        if (strncmp(s, list[k].utf8, list[k].len) == 0) {
            return list[k].len;
        }
    }
    return 0;
}

static size_t mk_music_at(const char *s)
{
    return mk_sym_at(mk_music, sizeof(mk_music) / sizeof(mk_music[0]), s);
}

static bool mk_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool mk_alnum(char c)
{
    return mk_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Length of a phone number starting at t + i ("+7 700 000 00 00", "8 (7172) 55-55-55"),
 * or 0: +7 or 8 at a word start, then digits in groups joined by at most MK_MAX_SEPS of
 * " -()" in a row, KM_MARKS_PHONE_DIGITS digits in all, the second a 7 (Kazakhstan's
 * mobile and city codes), and no digit right after. */
static size_t mk_phone_at(const char *t, size_t i)
{
    size_t k = i;
    if ((i > 0 && mk_alnum(t[i - 1])) || (t[k] == '+' && t[k + 1] != '7') ||
        (t[k] != '+' && t[k] != '8')) {
        return 0;
    }
    k += t[k] == '+';
    size_t digits = 0, seps = 0, end = k;
    bool seven = false;
    while (digits < KM_MARKS_PHONE_DIGITS && t[k] != '\0') {
        if (mk_digit(t[k])) {
            seven = digits == 1 ? t[k] == '7' : seven;
            digits++;
            seps = 0;
            end = ++k;
        } else if (digits > 0 && seps < MK_MAX_SEPS && strchr(" -()", t[k]) != NULL) {
            seps++;
            k++;
        } else {
            break;
        }
    }
    return digits == KM_MARKS_PHONE_DIGITS && seven && !mk_digit(t[end]) ? end - i : 0;
}

void km_marks_find(const char *text, struct km_marks *m)
{
    const char *t = text != NULL ? text : "";
    *m = (struct km_marks){0};
    /* Only these bytes can start a mark: skip to them (strcspn() is vectorised). */
    static const char starts[] = "+8\xE2\xF0";
    for (size_t i = strcspn(t, starts); t[i] != '\0'; i += 1 + strcspn(t + i + 1, starts)) {
        unsigned char c = (unsigned char)t[i];
        if (c == '+' || c == '8') {
            size_t n = m->phone == NULL ? mk_phone_at(t, i) : 0;
            m->phone = n > 0 ? t + i : m->phone;
            m->phone_len = n > 0 ? n : m->phone_len;
        } else if (c == 0xF0 || c == 0xE2) {
            size_t n = m->laugh == NULL
                           ? mk_sym_at(mk_laugh, sizeof(mk_laugh) / sizeof(mk_laugh[0]), t + i)
                           : 0;
            m->laugh = n > 0 ? t + i : m->laugh;
            m->laugh_len = n > 0 ? n : m->laugh_len;
            m->lyrics = m->lyrics || mk_music_at(t + i) > 0;
        }
    }
}

/* The end of the run of music marks and blanks (and emoji variation selectors) at t + i. */
static size_t mk_marks_end(const char *t, size_t i)
{
    for (;;) {
        size_t n = mk_music_at(t + i);
        if (n == 0 && (t[i] == ' ' || t[i] == '\t')) {
            n = 1;
        } else if (n == 0 && strncmp(t + i, "\xEF\xB8\x8F", 3) == 0) {
            n = 3;
        }
        if (n == 0) {
            return i;
        }
        i += n;
    }
}

/* Only blanks before t + i on its line. */
static bool mk_line_start(const char *t, size_t i)
{
    while (i > 0 && (t[i - 1] == ' ' || t[i - 1] == '\t')) {
        i--;
    }
    return i == 0 || t[i - 1] == '\n';
}

char *km_marks_blank_lyrics(const char *text)
{
    char *out = NULL;
    const char *t = text != NULL ? text : "";
    size_t i = 0;
    while (t[i] != '\0') {
        if (mk_music_at(t + i) == 0) {
            i++;
            continue;
        }
        bool opens_line = mk_line_start(t, i);
        size_t start = mk_marks_end(t, i), j = start;
        while (t[j] != '\0' && t[j] != '\n' && mk_music_at(t + j) == 0) {
            j++;
        }
        bool closed = mk_music_at(t + j) > 0;
        if (j > start && (closed || opens_line)) {
            out = out != NULL ? out : km_strdup(t);
            memset(out + start, ' ', j - start);
        }
        i = closed ? mk_marks_end(t, j) : j;
    }
    return out;
}
