/* Hashtag extraction from UTF-8 text, UTF-16 and code point offset conversion (see
 * hashtag.h). */
#include "parser/hashtag.h"

#include "common/alloc.h"
#include "common/err.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* Decodes the code point at s; an invalid byte gives -1 and is skipped alone. */
static size_t ht_decode(const char *s, size_t len, int32_t *cp)
{
    utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, cp);
    if (n < 1) {
        *cp = -1;
        return 1;
    }
    return (size_t)n;
}

static bool ht_is_alnum(int32_t cp)
{
    if (cp < 0) {
        return false;
    }
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_ND:
        return true;
    default:
        return false;
    }
}

/* Combining marks, including emoji variation selectors (U+FE0F is Mn). */
static bool ht_is_mark(int32_t cp)
{
    if (cp < 0x300 || (cp >= 0x400 && cp <= 0x52F && (cp < 0x483 || cp > 0x489))) {
        return false; /* below the combining block, or a Cyrillic letter */
    }
    utf8proc_category_t c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_MC || c == UTF8PROC_CATEGORY_ME;
}

/* Letters and digits, plus combining marks and connector punctuation inside a tag. */
static bool ht_is_tag_char(int32_t cp)
{
    return ht_is_alnum(cp) || ht_is_mark(cp) ||
           (cp >= 0 && utf8proc_category(cp) == UTF8PROC_CATEGORY_PC);
}

/* Separates words, and so ends a URL. */
static bool ht_is_space(int32_t cp)
{
    if (cp >= 0 && cp <= 0x20) {
        return true;
    }
    if (cp < 0x80 || (cp >= 0x400 && cp <= 0x52F)) {
        return false; /* other ASCII, Cyrillic: no separator there */
    }
    utf8proc_category_t c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_ZS || c == UTF8PROC_CATEGORY_ZL || c == UTF8PROC_CATEGORY_ZP;
}

/* Reads the tag after the '#' at text[start - 1]. Returns the byte just past the run of
 * tag characters and sets *end to the end of its first KM_HASHTAG_MAX_CHARS code points
 * and *valid when the run holds a letter or digit. */
static size_t ht_scan_tag(const char *text, size_t len, size_t start, size_t *end, bool *valid)
{
    size_t i = start, count = 0;
    *end = start;
    *valid = false;
    while (i < len) {
        int32_t cp;
        size_t n = ht_decode(text + i, len - i, &cp);
        if (!ht_is_tag_char(cp)) {
            break;
        }
        if (count < KM_HASHTAG_MAX_CHARS) {
            *valid = *valid || ht_is_alnum(cp);
            *end = i + n;
            count++;
        }
        i += n;
    }
    return i;
}

/* Whether text[i] starts a URL scheme separator "://" or a "www." host at a word start. */
static bool ht_url_mark(const char *text, size_t len, size_t i, bool word_start)
{
    if (len - i >= 3 && memcmp(text + i, "://", 3) == 0) {
        return true;
    }
    return word_start && len - i >= 4 &&
           (memcmp(text + i, "www.", 4) == 0 || memcmp(text + i, "WWW.", 4) == 0);
}

static void ht_add(struct km_post *p, const char *text, size_t start, size_t end)
{
    char *tag = km_strndup(text + start, end - start);
    km_post_add_hashtag(p, tag);
    free(tag);
}

size_t km_hashtags_extract(const char *text, size_t len, struct km_post *p)
{
    size_t found = 0, i = 0;
    int32_t prev = ' '; /* the start of the text acts as a space */
    bool in_url = false;
    while (i < len) {
        int32_t cp;
        size_t n = ht_decode(text + i, len - i, &cp);
        if (ht_is_space(cp)) {
            in_url = false;
        } else if (ht_url_mark(text, len, i, ht_is_space(prev))) {
            in_url = true;
        } else if (cp == '#' && !in_url && !ht_is_tag_char(prev) && prev != '&' && prev != '#') {
            size_t end = 0;
            bool valid = false;
            size_t next = ht_scan_tag(text, len, i + 1, &end, &valid);
            if (valid) {
                ht_add(p, text, i + 1, end);
                found++;
            }
            if (next > i + 1) {
                prev = 'a'; /* a tag character: "#a#b" holds one tag */
                i = next;
                continue;
            }
        }
        if (!ht_is_mark(cp)) {
            prev = cp; /* a mark belongs to the character before it: "👷‍♂️#tag", "á#b" */
        }
        i += n;
    }
    return found;
}

int km_utf16_slice(const char *utf8, size_t len, size_t off16, size_t len16, size_t *byte_start,
                   size_t *byte_end)
{
    if (len16 > SIZE_MAX - off16) {
        return KM_EINPUT;
    }
    size_t end16 = off16 + len16, units = 0, i = 0, start = 0;
    bool have_start = false;
    for (;;) {
        if (units == off16) {
            start = i;
            have_start = true;
        }
        if (units == end16 && have_start) {
            *byte_start = start;
            *byte_end = i;
            return KM_OK;
        }
        if (units > end16 || i >= len) {
            return KM_EINPUT;
        }
        int32_t cp;
        i += ht_decode(utf8 + i, len - i, &cp);
        units += cp >= 0x10000 ? 2 : 1;
    }
}

int km_codepoint_slice(const char *utf8, size_t len, size_t cp_start, size_t cp_end,
                       size_t *byte_start, size_t *byte_end)
{
    if (cp_end < cp_start) {
        return KM_EINPUT;
    }
    size_t cps = 0, i = 0, start = 0;
    for (;;) {
        if (cps == cp_start) {
            start = i;
        }
        if (cps == cp_end) {
            *byte_start = start;
            *byte_end = i;
            return KM_OK;
        }
        if (i >= len) {
            return KM_EINPUT;
        }
        int32_t cp;
        i += ht_decode(utf8 + i, len - i, &cp);
        cps++;
    }
}
