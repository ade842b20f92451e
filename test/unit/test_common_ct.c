/* Unit tests for common/ct.c (constant-time comparison) and common/hmac.c (HMAC-SHA256 on
 * libcrypto, with the test vectors of RFC 4231, and "sha256=<hex>" signature checks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/ct.h"
#include "common/hmac.h"

static void test_ct_equal(void **state)
{
    (void)state;
    static const struct {
        const char *given;
        size_t given_len;
        const char *expected;
        size_t expected_len;
        bool equal;
    } cases[] = {
        {"secret", 6, "secret", 6, true},
        {"", 0, "", 0, true},
        {NULL, 0, NULL, 0, true},
        {NULL, 0, "x", 1, false},
        {"x", 1, NULL, 0, false},
        {"secreT", 6, "secret", 6, false},
        {"Secret", 6, "secret", 6, false},
        {"secre", 5, "secret", 6, false},   /* a prefix is not enough */
        {"secrets", 7, "secret", 6, false}, /* nor a longer string */
        {"a\0b", 3, "a\0c", 3, false},      /* bytes after a NUL count */
        {"a\0b", 3, "a\0b", 3, true},
        {"\xff\x80", 2, "\xff\x80", 2, true},
        {"\xff\x80", 2, "\xff\x81", 2, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool got = km_ct_equal(cases[i].given, cases[i].given_len, cases[i].expected,
                               cases[i].expected_len);
        if (got != cases[i].equal) {
            fail_msg("case %zu: km_ct_equal gave %d", i, got);
        }
    }
}

static void test_ct_streq(void **state)
{
    (void)state;
    assert_true(km_ct_streq("token_1-A", "token_1-A"));
    assert_false(km_ct_streq("token_1-a", "token_1-A"));
    assert_false(km_ct_streq("token_1", "token_1-A"));
    assert_false(km_ct_streq("", "token"));
    assert_true(km_ct_streq("", ""));
    assert_false(km_ct_streq(NULL, "token"));
    assert_false(km_ct_streq("token", NULL));
}

/* The seven test cases of RFC 4231 section 4 (HMAC-SHA-256 column). Keys and data given as
 * a repeated byte are expanded by the test. */
struct rfc4231 {
    unsigned char key_byte; /* 0: key is key_text */
    size_t key_len;
    const char *key_text;
    unsigned char data_byte; /* 0: data is data_text */
    size_t data_len;
    const char *data_text;
    const char *mac_hex; /* case 5 gives only the first 128 bits */
};

static const struct rfc4231 rfc4231[] = {
    {0x0b, 20, NULL, 0, 0, "Hi There",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
    {0, 0, "Jefe", 0, 0, "what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    {0xaa, 20, NULL, 0xdd, 50, NULL,
     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
    {1, 25, NULL, 0xcd, 50, NULL, /* key 0x01, 0x02, ..., 0x19 */
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
    {0x0c, 20, NULL, 0, 0, "Test With Truncation", "a3b6167473100ee06e0c796c2955552b"},
    {0xaa, 131, NULL, 0, 0, "Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
    {0xaa, 131, NULL, 0, 0,
     "This is a test using a larger than block-size key and a larger than block-size data. "
     "The key needs to be hashed before being used by the HMAC algorithm.",
     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
};

/* Expands case c into key and data; returns their lengths. */
static void rfc4231_inputs(const struct rfc4231 *c, unsigned char *key, size_t *key_len,
                           unsigned char *data, size_t *data_len)
{
    if (c->key_text != NULL) {
        *key_len = strlen(c->key_text);
        memcpy(key, c->key_text, *key_len);
    } else {
        *key_len = c->key_len;
        for (size_t i = 0; i < c->key_len; i++) {
            key[i] = c->key_byte == 1 ? (unsigned char)(i + 1) : c->key_byte;
        }
    }
    if (c->data_text != NULL) {
        *data_len = strlen(c->data_text);
        memcpy(data, c->data_text, *data_len);
    } else {
        *data_len = c->data_len;
        memset(data, c->data_byte, c->data_len);
    }
}

static void to_hex(const unsigned char *mac, char *hex)
{
    for (size_t i = 0; i < KM_SHA256_LEN; i++) {
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    }
}

static void test_hmac_rfc4231(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rfc4231) / sizeof(rfc4231[0]); i++) {
        unsigned char key[256];
        unsigned char data[256];
        size_t key_len = 0;
        size_t data_len = 0;
        rfc4231_inputs(&rfc4231[i], key, &key_len, data, &data_len);
        unsigned char mac[KM_SHA256_LEN];
        assert_true(km_hmac_sha256(key, key_len, data, data_len, mac));
        char hex[KM_SHA256_HEX_LEN + 1];
        to_hex(mac, hex);
        size_t want = strlen(rfc4231[i].mac_hex);
        if (strncmp(hex, rfc4231[i].mac_hex, want) != 0) {
            fail_msg("RFC 4231 case %zu: got %s", i + 1, hex);
        }
        /* The full-length cases also pass as a signature header. */
        char sig[8 + KM_SHA256_HEX_LEN];
        snprintf(sig, sizeof(sig), "sha256=%s", rfc4231[i].mac_hex);
        assert_int_equal(km_hmac_sha256_verify(key, key_len, data, data_len, sig),
                         want == KM_SHA256_HEX_LEN);
    }
}

static void test_hmac_verify(void **state)
{
    (void)state;
    /* RFC 4231 case 2. */
    static const char key[] = "Jefe";
    static const char data[] = "what do ya want for nothing?";
    static const struct {
        const char *sig;
        bool ok;
    } cases[] = {
        {"sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", true},
        {"sha256=5BDCC146BF60754E6A042426089575C75A003F089D2739839DEC58B964EC3843", true},
        {"sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3844", false},
        {"sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec384", false},
        {"sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec38430", false},
        {"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", false},
        {"sha1=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", false},
        {"SHA256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", false},
        {"sha256=", false},
        {"", false},
        {NULL, false},
        /* 'G'..'Z' must not fold onto valid digits. */
        {"sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec384S", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool got = km_hmac_sha256_verify(key, strlen(key), data, strlen(data), cases[i].sig);
        if (got != cases[i].ok) {
            fail_msg("case %zu (%s): got %d", i, cases[i].sig ? cases[i].sig : "NULL", got);
        }
    }
    /* A different body or key fails with the same signature. */
    const char *sig = cases[0].sig;
    assert_false(km_hmac_sha256_verify(key, strlen(key), data, strlen(data) - 1, sig));
    assert_false(km_hmac_sha256_verify("jefe", 4, data, strlen(data), sig));
    /* An empty key and an empty body are valid inputs. */
    unsigned char mac[KM_SHA256_LEN];
    assert_true(km_hmac_sha256("", 0, "", 0, mac));
    char hex[KM_SHA256_HEX_LEN + 1];
    to_hex(mac, hex);
    assert_string_equal(hex, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ct_equal),
        cmocka_unit_test(test_ct_streq),
        cmocka_unit_test(test_hmac_rfc4231),
        cmocka_unit_test(test_hmac_verify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
