#include "common/ct.h"

#include <string.h>

bool km_ct_equal(const void *given, size_t given_len, const void *expected, size_t expected_len)
{
    const volatile unsigned char *g = given;
    const volatile unsigned char *e = expected;
    /* Differences are OR-ed together and looked at once, after the loop. A length mismatch
     * already fails, yet the loop still runs over all of expected, so a short guess costs as
     * much time as a full one. Bytes of given past its end are read as 0. */
    size_t diff = given_len ^ expected_len;
    for (size_t i = 0; i < expected_len; i++) {
        unsigned char gb = i < given_len ? g[i] : 0;
        diff |= (size_t)(gb ^ e[i]);
    }
    return diff == 0;
}

bool km_ct_streq(const char *given, const char *expected)
{
    if (given == NULL || expected == NULL) {
        return false;
    }
    return km_ct_equal(given, strlen(given), expected, strlen(expected));
}
