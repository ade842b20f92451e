/* Constant-time comparison of secrets (webhook tokens, HMAC signatures).
 *
 * memcmp() and strcmp() return at the first differing byte, so the time they take tells an
 * attacker how many leading bytes of a guess were right, and a secret can be found one byte
 * at a time. These functions always look at every byte of the expected value. */
#ifndef KM_COMMON_CT_H
#define KM_COMMON_CT_H

#include <stdbool.h>
#include <stddef.h>

/* True if given[0..given_len) equals expected[0..expected_len). The time taken depends only
 * on expected_len (the length of the secret, which is not itself secret in komek: tokens
 * and hex signatures have documented lengths), never on the contents of either buffer or on
 * where they differ. Either pointer may be NULL when its length is 0. Thread-safe. */
bool km_ct_equal(const void *given, size_t given_len, const void *expected, size_t expected_len);

/* km_ct_equal() on two NUL-terminated strings; a NULL given never matches. Thread-safe. */
bool km_ct_streq(const char *given, const char *expected);

#endif
