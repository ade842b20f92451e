/* UTF-8 validation and repair for text that crosses a trust boundary (network payloads,
 * text stored in PostgreSQL, which rejects NUL and invalid UTF-8). */
#ifndef KM_COMMON_UTF8_H
#define KM_COMMON_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True if s[0..len) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF) without NUL.
 * On false and bad_offset != NULL, *bad_offset is the byte offset of the first problem. */
bool km_utf8_valid(const char *s, size_t len, size_t *bad_offset);

/* Returns a malloc'd NUL-terminated copy of s[0..len) with every invalid sequence replaced
 * by U+FFFD and every NUL byte removed. *changed (may be NULL) tells whether anything was
 * replaced. Caller frees. */
char *km_utf8_clean(const char *s, size_t len, bool *changed);

#endif
