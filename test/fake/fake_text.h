/* Text helpers shared by the fake networks: finding hashtags, mentions and URLs in a post,
 * UTF-16 lengths for Telegram entities, escaping for JSON, HTML and XML, case folding,
 * percent-encoding and the date formats each network uses.
 *
 * Everything here is pure and thread-safe. Inputs are the UTF-8 texts of the sample posts;
 * invalid UTF-8 never crashes a function, it is passed through or replaced as noted. */
#ifndef KM_FAKE_TEXT_H
#define KM_FAKE_TEXT_H

#include "common/buf.h"

#include <stddef.h>
#include <stdint.h>

enum km_fake_span_type {
    KM_FAKE_SPAN_HASHTAG, /* "#word": '#' plus letters, digits, marks or '_' */
    KM_FAKE_SPAN_MENTION, /* "@name": 5-32 of [A-Za-z0-9_], as Telegram usernames */
    KM_FAKE_SPAN_URL,     /* "http://..." or "https://..." up to a space */
};

/* One entity of a text, in bytes of the UTF-8 string. */
struct km_fake_span {
    enum km_fake_span_type type;
    size_t off, len;
};

/* Rules for km_fake_text_spans(). With none, the rules are Telegram's (TDLib
 * match_hashtags): '#' not preceded by a letter or digit, then letters, digits or '_',
 * at least one of them a letter, and not followed by another '#'. So "#109" is NOT a
 * hashtag on the real networks, and an emoji right before '#' does not prevent one. */
#define KM_FAKE_TAGS_NUMERIC 1u /* also accept digit-only tags such as #109 */
#define KM_FAKE_TAGS_AFTER_SPACE                                                                   \
    2u /* '#' must follow the start or white space (Mastodon                                       \
        * 4.x Tag::HASHTAG_RE) */

/* Finds the hashtags, mentions and URLs of text, in order, following rules (bits above).
 * Returns how many were found; *out is a malloc'd array (NULL when none) that the caller
 * frees with free(). */
size_t km_fake_text_spans(const char *text, unsigned rules, struct km_fake_span **out);

/* Number of UTF-16 code units in s[0..len): 2 for code points above U+FFFF, 1 otherwise
 * (an invalid byte counts as one unit, as U+FFFD would). */
size_t km_fake_utf16_len(const char *s, size_t len);

/* Escape modes for km_fake_json_str(). */
#define KM_FAKE_JSON_ASCII                                                                         \
    1u /* \uXXXX for every non-ASCII code point, "\/" for '/':                                     \
        * the Telegram Bot API's style */
#define KM_FAKE_JSON_HTMLSAFE                                                                      \
    2u /* \u003c \u003e \u0026 for < > &: the Rails (Mastodon)                                     \
        * style */

/* Appends s as a quoted JSON string literal. Without KM_FAKE_JSON_ASCII, bytes >= 0x80 are
 * copied unchanged (valid or not, which the badutf8 fault relies on); with it, invalid
 * bytes become \ufffd. s == NULL appends null. */
void km_fake_json_str(struct km_buf *b, const char *s, unsigned flags);
/* Same for the first len bytes of s. */
void km_fake_json_strn(struct km_buf *b, const char *s, size_t len, unsigned flags);

/* Appends s[0..len) with & < > " ' escaped as XML/HTML character references. */
void km_fake_xml_escape(struct km_buf *b, const char *s, size_t len);

/* Appends s percent-encoded for a URL path or query value (unreserved bytes kept). */
void km_fake_url_encode(struct km_buf *b, const char *s);

/* Returns s case-folded (Unicode, NFC), as Mastodon compares tag names; the tags are
 * compared after this. malloc'd, caller frees; never NULL (falls back to a copy). */
char *km_fake_casefold(const char *s);

/* Copies at most max_bytes of text, cut at the last space that keeps it valid UTF-8, and
 * appends "…" when it had to cut. For RSS titles. Caller frees. */
char *km_fake_text_head(const char *text, size_t max_bytes);

/* "2026-11-22T18:41:01.123Z" with milliseconds always present (Mastodon created_at).
 * out needs 32 bytes. Returns out. */
char *km_fake_time_iso_ms(int64_t unix_ms, char *out, size_t size);
/* "2026-11-22T18:45:00.000000Z" (Mastodon's X-RateLimit-Reset). out needs 32 bytes. */
char *km_fake_time_iso_us(int64_t unix_ms, char *out, size_t size);
/* "Sun, 22 Nov 2026 18:41:01 +0000" (RSS pubDate) or, with http != 0,
 * "Sun, 22 Nov 2026 18:41:01 GMT" (HTTP dates). out needs 40 bytes. */
char *km_fake_time_rfc822(int64_t unix_ms, int http, char *out, size_t size);

#endif
