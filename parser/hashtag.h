/* Hashtags in UTF-8 text, Telegram's UTF-16 and X's code point entity offsets.
 *
 * A hashtag is '#' followed by letters, combining marks, decimal digits or connector
 * punctuation ('_') in any script (Unicode categories L*, M*, Nd, Pc via utf8proc), so
 * "#Астана", "#акиматАстаны", "#қала", "#109" and "#iKomek" are found. A tag ends at
 * anything else: space, punctuation, symbols, emoji. A '#' does not start a tag when it
 * follows a tag character, '&' or another '#' ("C#", "a#b", "&#39;", "##"), nor inside a URL
 * ("https://x.kz/a#b", "www.gov.kz/#x"). */
#ifndef KM_PARSER_HASHTAG_H
#define KM_PARSER_HASHTAG_H

#include "parser/post.h"

#include <stddef.h>

/* Longest tag kept, in code points; longer runs are cut here. Bluesky caps tags at 64
 * graphemes and no watched tag comes near it, so longer runs are noise or abuse. */
#define KM_HASHTAG_MAX_CHARS 64

/* Finds the hashtags in text[0..len) (need not be NUL-terminated; invalid UTF-8 bytes act
 * as separators) and adds each to p with km_post_add_hashtag() (folded, no duplicates).
 * Returns how many tags the text contains, counting repeats and tags p already had.
 * Does not keep text or p. Thread-safe. */
size_t km_hashtags_extract(const char *text, size_t len, struct km_post *p);

/* Converts a range given in UTF-16 code units (Telegram entity offset and length; a
 * character outside the BMP, such as most emoji, counts 2) into byte offsets of the UTF-8
 * text utf8[0..len): on KM_OK, [*byte_start, *byte_end) is the range. An invalid UTF-8 byte
 * counts as one unit, as the U+FFFD it is repaired to would. Returns KM_EINPUT when the
 * range ends beyond the text or either end splits a surrogate pair (outputs untouched). */
int km_utf16_slice(const char *utf8, size_t len, size_t off16, size_t len16, size_t *byte_start,
                   size_t *byte_end);

/* Converts the range [cp_start, cp_end) given in Unicode code points (X entity start/end)
 * into byte offsets of the UTF-8 text utf8[0..len): on KM_OK, [*byte_start, *byte_end) is
 * the range. An invalid UTF-8 byte counts as one code point, as the U+FFFD it is repaired
 * to would. Returns KM_EINPUT when cp_end < cp_start or the range ends beyond the text
 * (outputs untouched). Thread-safe. */
int km_codepoint_slice(const char *utf8, size_t len, size_t cp_start, size_t cp_end,
                       size_t *byte_start, size_t *byte_end);

#endif
