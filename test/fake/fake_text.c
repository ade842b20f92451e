#include "test/fake/fake_text.h"

#include "common/alloc.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utf8proc.h>

/* Longest hashtag body Telegram marks (TDLib cuts at 256 code points). */
#define TEXT_TAG_MAX 256
/* Telegram mentions are 2 to 32 of [A-Za-z0-9_] (TDLib match_mentions). */
#define TEXT_MENTION_MIN 2
#define TEXT_MENTION_MAX 32

/* Decodes the code point at s[0..len); *n gets its byte length (1 for an invalid byte,
 * which yields -1). */
static int32_t text_cp(const char *s, size_t len, size_t *n)
{
    utf8proc_int32_t cp = -1;
    utf8proc_ssize_t r = utf8proc_iterate((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &cp);
    if (r <= 0) {
        *n = 1;
        return -1;
    }
    *n = (size_t)r;
    return cp;
}

static bool text_is_letter(int32_t cp)
{
    if (cp < 0) {
        return false;
    }
    utf8proc_category_t c = utf8proc_category(cp);
    return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO;
}

/* TDLib is_hashtag_letter(): letters, decimal digits, '_', ZWNJ, middle dot, Sinhala. */
static bool text_is_tag_char(int32_t cp)
{
    if (cp == '_' || cp == 0x200c || cp == 0xb7 || (cp >= 0xd80 && cp <= 0xdff)) {
        return true;
    }
    return text_is_letter(cp) || (cp >= 0 && utf8proc_category(cp) == UTF8PROC_CATEGORY_ND);
}

/* TDLib is_word_character(): letters, any number, '_'. */
static bool text_is_word(int32_t cp)
{
    if (cp == '_') {
        return true;
    }
    if (cp < 0) {
        return false;
    }
    utf8proc_category_t c = utf8proc_category(cp);
    return text_is_letter(cp) || c == UTF8PROC_CATEGORY_ND || c == UTF8PROC_CATEGORY_NL ||
           c == UTF8PROC_CATEGORY_NO;
}

static bool text_is_space(int32_t cp)
{
    if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r') {
        return true;
    }
    return cp > 0x7f && utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS;
}

/* Length in bytes of the hashtag at s ('#' included), or 0 if none starts there. */
static size_t text_scan_tag(const char *s, size_t len, unsigned rules)
{
    size_t i = 1, n = 0, count = 0;
    bool letter = false;
    while (i < len && count < TEXT_TAG_MAX) {
        int32_t cp = text_cp(s + i, len - i, &n);
        if (!text_is_tag_char(cp)) {
            break;
        }
        letter = letter || text_is_letter(cp);
        i += n;
        count++;
    }
    if (count == 0 || (i < len && s[i] == '#')) {
        return 0;
    }
    if (!letter && !(rules & KM_FAKE_TAGS_NUMERIC)) {
        return 0;
    }
    return i;
}

static size_t text_scan_mention(const char *s, size_t len)
{
    size_t i = 1;
    while (i < len && (s[i] == '_' || (s[i] >= '0' && s[i] <= '9') ||
                       (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))) {
        i++;
    }
    size_t n = 0;
    if (i - 1 < TEXT_MENTION_MIN || i - 1 > TEXT_MENTION_MAX ||
        (i < len && text_is_word(text_cp(s + i, len - i, &n)))) {
        return 0;
    }
    return i;
}

/* "http://" or "https://" up to white space, without trailing punctuation (TDLib's
 * bad_path_end_chars). */
static size_t text_scan_url(const char *s, size_t len)
{
    size_t i;
    if (len > 8 && strncmp(s, "https://", 8) == 0) {
        i = 8;
    } else if (len > 7 && strncmp(s, "http://", 7) == 0) {
        i = 7;
    } else {
        return 0;
    }
    size_t start = i, n = 0;
    while (i < len && !text_is_space(text_cp(s + i, len - i, &n)) && s[i] != '<' && s[i] != '>' &&
           s[i] != '"') {
        i += n;
    }
    while (i > start && strchr(".:;,('?!`", s[i - 1]) != NULL) {
        i--;
    }
    return i > start ? i : 0;
}

static size_t text_scan_at(const char *s, size_t len, unsigned rules, enum km_fake_span_type *type)
{
    if (s[0] == '#') {
        *type = KM_FAKE_SPAN_HASHTAG;
        return text_scan_tag(s, len, rules);
    }
    if (s[0] == '@') {
        *type = KM_FAKE_SPAN_MENTION;
        return text_scan_mention(s, len);
    }
    *type = KM_FAKE_SPAN_URL;
    return text_scan_url(s, len);
}

/* May an entity start after the code point prev (-2 at the start of the text)? */
static bool text_may_start(int32_t prev, char c, unsigned rules)
{
    if (prev == -2) {
        return true;
    }
    if (c == '#' && (rules & KM_FAKE_TAGS_AFTER_SPACE)) {
        return text_is_space(prev);
    }
    return c == '#' ? !text_is_tag_char(prev) : !text_is_word(prev);
}

size_t km_fake_text_spans(const char *text, unsigned rules, struct km_fake_span **out)
{
    size_t len = strlen(text), i = 0, count = 0, cap = 0;
    struct km_fake_span *v = NULL;
    int32_t prev = -2;
    while (i < len) {
        size_t n = 0;
        int32_t cp = text_cp(text + i, len - i, &n);
        enum km_fake_span_type type = KM_FAKE_SPAN_URL;
        size_t elen = 0;
        if ((cp == '#' || cp == '@' || cp == 'h') && text_may_start(prev, (char)cp, rules)) {
            elen = text_scan_at(text + i, len - i, rules, &type);
        }
        if (elen == 0) {
            prev = cp;
            i += n;
            continue;
        }
        if (count == cap) {
            cap = cap ? cap * 2 : 8;
            v = km_realloc(v, cap * sizeof(*v));
        }
        v[count++] = (struct km_fake_span){.type = type, .off = i, .len = elen};
        i += elen;
        prev = 'a'; /* an entity ends in a word character */
    }
    *out = v;
    return count;
}

size_t km_fake_utf16_len(const char *s, size_t len)
{
    size_t units = 0, i = 0;
    while (i < len) {
        size_t n = 0;
        int32_t cp = text_cp(s + i, len - i, &n);
        units += cp > 0xffff ? 2 : 1;
        i += n;
    }
    return units;
}

static void text_json_u(struct km_buf *b, unsigned v)
{
    km_buf_printf(b, "\\u%04x", v);
}

/* Appends the code point cp (already decoded, n bytes at s) in JSON. */
static void text_json_cp(struct km_buf *b, const char *s, size_t n, int32_t cp, unsigned flags)
{
    if (cp < 0) {
        if (flags & KM_FAKE_JSON_ASCII) {
            text_json_u(b, 0xfffd);
        } else {
            km_buf_append(b, s, 1);
        }
    } else if (cp >= 0x80 && (flags & KM_FAKE_JSON_ASCII)) {
        if (cp > 0xffff) {
            unsigned v = (unsigned)cp - 0x10000;
            text_json_u(b, 0xd800 + (v >> 10));
            text_json_u(b, 0xdc00 + (v & 0x3ff));
        } else {
            text_json_u(b, (unsigned)cp);
        }
    } else {
        km_buf_append(b, s, n);
    }
}

static bool text_json_special(struct km_buf *b, char c, unsigned flags)
{
    switch (c) {
    case '"':
        km_buf_puts(b, "\\\"");
        return true;
    case '\\':
        km_buf_puts(b, "\\\\");
        return true;
    case '\n':
        km_buf_puts(b, "\\n");
        return true;
    case '\r':
        km_buf_puts(b, "\\r");
        return true;
    case '\t':
        km_buf_puts(b, "\\t");
        return true;
    case '/':
        km_buf_puts(b, (flags & KM_FAKE_JSON_ASCII) ? "\\/" : "/");
        return true;
    case '<':
    case '>':
    case '&':
        if (flags & KM_FAKE_JSON_HTMLSAFE) {
            text_json_u(b, (unsigned char)c);
            return true;
        }
        return false;
    default:
        if ((unsigned char)c < 0x20) {
            text_json_u(b, (unsigned char)c);
            return true;
        }
        return false;
    }
}

void km_fake_json_strn(struct km_buf *b, const char *s, size_t len, unsigned flags)
{
    km_buf_putc(b, '"');
    size_t i = 0;
    while (i < len) {
        if ((unsigned char)s[i] < 0x80) {
            if (!text_json_special(b, s[i], flags)) {
                km_buf_putc(b, s[i]);
            }
            i++;
            continue;
        }
        size_t n = 0;
        int32_t cp = text_cp(s + i, len - i, &n);
        text_json_cp(b, s + i, n, cp, flags);
        i += n;
    }
    km_buf_putc(b, '"');
}

void km_fake_json_str(struct km_buf *b, const char *s, unsigned flags)
{
    if (s == NULL) {
        km_buf_puts(b, "null");
        return;
    }
    km_fake_json_strn(b, s, strlen(s), flags);
}

void km_fake_xml_escape(struct km_buf *b, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        switch (s[i]) {
        case '&':
            km_buf_puts(b, "&amp;");
            break;
        case '<':
            km_buf_puts(b, "&lt;");
            break;
        case '>':
            km_buf_puts(b, "&gt;");
            break;
        case '"':
            km_buf_puts(b, "&quot;");
            break;
        case '\'':
            km_buf_puts(b, "&#39;");
            break;
        default:
            km_buf_putc(b, s[i]);
            break;
        }
    }
}

void km_fake_url_encode(struct km_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p) != NULL) {
            km_buf_putc(b, (char)*p);
        } else {
            km_buf_printf(b, "%%%02X", *p);
        }
    }
}

char *km_fake_casefold(const char *s)
{
    utf8proc_uint8_t *folded = NULL;
    utf8proc_ssize_t r =
        utf8proc_map((const utf8proc_uint8_t *)s, 0, &folded,
                     UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD);
    if (r < 0) {
        return km_strdup(s);
    }
    char *copy = km_strdup((const char *)folded);
    free(folded);
    return copy;
}

char *km_fake_text_head(const char *text, size_t max_bytes)
{
    size_t len = strlen(text);
    if (len <= max_bytes) {
        return km_strdup(text);
    }
    size_t cut = max_bytes;
    while (cut > 0 && ((unsigned char)text[cut] & 0xc0) == 0x80) {
        cut--; /* do not split a UTF-8 sequence */
    }
    size_t space = cut;
    while (space > 0 && text[space] != ' ') {
        space--;
    }
    if (space > max_bytes / 2) {
        cut = space;
    }
    while (cut > 0 && strchr(" .,;:!?-", text[cut - 1]) != NULL) {
        cut--; /* "…" after a full stop or a comma looks odd */
    }
    return km_asprintf("%.*s…", (int)cut, text);
}

static struct tm *text_gmtime(int64_t unix_ms, struct tm *tm)
{
    time_t t = (time_t)(unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000);
    return gmtime_r(&t, tm);
}

char *km_fake_time_iso_ms(int64_t unix_ms, char *out, size_t size)
{
    struct tm tm;
    text_gmtime(unix_ms, &tm);
    int ms = (int)(((unix_ms % 1000) + 1000) % 1000);
    snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
    return out;
}

char *km_fake_time_iso_us(int64_t unix_ms, char *out, size_t size)
{
    struct tm tm;
    text_gmtime(unix_ms, &tm);
    int ms = (int)(((unix_ms % 1000) + 1000) % 1000);
    snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03d000Z", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
    return out;
}

char *km_fake_time_rfc822(int64_t unix_ms, int http, char *out, size_t size)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    text_gmtime(unix_ms, &tm);
    snprintf(out, size, "%s, %02d %s %04d %02d:%02d:%02d %s", days[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
             http ? "GMT" : "+0000");
    return out;
}
