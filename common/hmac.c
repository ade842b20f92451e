#include "common/hmac.h"

#include "common/ct.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

/* What precedes the hex digest in a signature header. */
#define SIG_PREFIX "sha256="

bool km_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                    unsigned char mac[KM_SHA256_LEN])
{
    unsigned int mac_len = 0;
    /* HMAC() takes an int key length; an empty key must still be a valid pointer. */
    static const unsigned char empty = 0;
    if (key_len > (size_t)0x7fffffff ||
        HMAC(EVP_sha256(), key_len > 0 ? key : &empty, (int)key_len, data, len, mac, &mac_len) ==
            NULL ||
        mac_len != KM_SHA256_LEN) {
        memset(mac, 0, KM_SHA256_LEN);
        return false;
    }
    return true;
}

bool km_hmac_sha256_verify(const void *key, size_t key_len, const void *data, size_t len,
                           const char *sig)
{
    static const char hex[] = "0123456789abcdef";
    size_t plen = sizeof(SIG_PREFIX) - 1;
    if (sig == NULL || strncmp(sig, SIG_PREFIX, plen) != 0) {
        return false;
    }
    unsigned char mac[KM_SHA256_LEN];
    if (!km_hmac_sha256(key, key_len, data, len, mac)) {
        return false;
    }
    char want[KM_SHA256_HEX_LEN];
    for (size_t i = 0; i < KM_SHA256_LEN; i++) {
        want[2 * i] = hex[mac[i] >> 4];
        want[2 * i + 1] = hex[mac[i] & 15];
    }
    /* Upper-case hex digits are folded without a branch on their value. */
    const char *given = sig + plen;
    size_t glen = strlen(given);
    char folded[KM_SHA256_HEX_LEN];
    for (size_t i = 0; i < KM_SHA256_HEX_LEN; i++) {
        unsigned char c = i < glen ? (unsigned char)given[i] : 0;
        unsigned char upper = (unsigned char)((unsigned)(c - 'A') < 6u);
        folded[i] = (char)(c | (unsigned char)(upper << 5));
    }
    return km_ct_equal(folded, glen, want, KM_SHA256_HEX_LEN);
}
