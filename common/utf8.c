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

/* Eight bytes of ASCII other than NUL (no high bit set, no zero byte). */
static bool ascii8(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof(w));
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    return ((w | ((w - ones) & ~w)) & highs) == 0;
}

/* The end of the valid run of p[i..len): the offset of the first NUL or invalid sequence,
 * or len. ASCII (most of every text) goes eight bytes at a time, two-byte sequences
 * (Cyrillic) without a call. */
static size_t valid_run(const unsigned char *p, size_t i, size_t len)
{
    while (i < len) {
        if (len - i >= 8 && ascii8(p + i)) {
            i += 8;
        } else if (p[i] - 1u < 0x7Fu) { /* ASCII other than NUL */
            i++;
        } else if (p[i] >= 0xC2 && p[i] <= 0xDF && i + 1 < len && (p[i + 1] & 0xC0) == 0x80) {
            i += 2; /* U+0080..U+07FF: always valid */
        } else {
            size_t n = p[i] == 0 ? 0 : seq_len(p + i, len - i);
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
    size_t i = valid_run((const unsigned char *)s, 0, len);
    if (i < len && bad_offset != NULL) {
        *bad_offset = i;
    }
    return i >= len;
}

char *km_utf8_clean(const char *s, size_t len, bool *changed)
{
    struct km_buf b = KM_BUF_INIT;
    const unsigned char *p = (const unsigned char *)s;
    bool dirty = false;
    size_t i = 0, run = 0; /* p[run..i) is valid and not copied yet */
    km_buf_append(&b, "", 0);
    while ((i = valid_run(p, i, len)) < len) {
        km_buf_append(&b, p + run, i - run);
        if (p[i] != 0) { /* NUL is dropped, any other bad byte replaced */
            km_buf_append(&b, "\xEF\xBF\xBD", 3);
        }
        dirty = true;
        run = ++i;
    }
    km_buf_append(&b, p + run, len - run);
    if (changed != NULL) {
        *changed = dirty;
    }
    return km_buf_take(&b);
}
