#include "common/utf8.h"

#include "common/buf.h"

#include <stdint.h>
#include <string.h>

/* Length of the valid sequence at s (1..4), or 0 if invalid. */
static size_t seq_len(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    if (c < 0x80) {
        return 1;
    }
    size_t n;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2, cp = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3, cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n > avail) {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return n;
}

/* Index of the first byte from i on that is not ASCII or is NUL, eight bytes at a time. */
static size_t ascii_run_end(const unsigned char *p, size_t i, size_t len)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    for (; i + 8 <= len; i += 8) {
        uint64_t x;
        memcpy(&x, p + i, 8);
        if (((x | (x - ones)) & highs) != 0) { /* a byte >= 0x80, or a NUL (its borrow) */
            break;
        }
    }
    while (i < len && p[i] - 1u < 0x7Fu) {
        i++;
    }
    return i;
}

/* Index of the first byte of p[i..len) that does not start a valid sequence (NUL counts as
 * invalid), or len. ASCII runs and two-byte sequences (Cyrillic, Kazakh) are checked inline:
 * they are most of every text. */
static size_t valid_until(const unsigned char *p, size_t i, size_t len)
{
    while (i < len) {
        unsigned char c = p[i];
        if (c - 1u < 0x7Fu) {
            i = ascii_run_end(p, i + 1, len);
        } else if (c >= 0xC2 && c <= 0xDF && i + 1 < len && (p[i + 1] & 0xC0) == 0x80) {
            i += 2;
        } else {
            size_t n = c == 0 ? 0 : seq_len(p + i, len - i);
            if (n == 0) {
                return i;
            }
            i += n;
        }
    }
    return len;
}

bool km_utf8_valid(const char *s, size_t len, size_t *bad_offset)
{
    size_t bad = valid_until((const unsigned char *)s, 0, len);
    if (bad < len && bad_offset != NULL) {
        *bad_offset = bad;
    }
    return bad == len;
}

char *km_utf8_clean(const char *s, size_t len, bool *changed)
{
    struct km_buf b = KM_BUF_INIT;
    const unsigned char *p = (const unsigned char *)s;
    bool dirty = false;
    size_t i = 0;
    km_buf_append(&b, "", 0);
    while (i < len) {
        size_t bad = valid_until(p, i, len);
        km_buf_append(&b, p + i, bad - i);
        if (bad == len) {
            break;
        }
        if (p[bad] != 0) { /* NUL is dropped, any other bad byte replaced */
            km_buf_append(&b, "\xEF\xBF\xBD", 3);
        }
        dirty = true;
        i = bad + 1;
    }
    if (changed != NULL) {
        *changed = dirty;
    }
    return km_buf_take(&b);
}
