/* HMAC-SHA256 (RFC 2104, FIPS 180-4) on OpenSSL's libcrypto, and verification of the
 * "sha256=<hex>" signatures that webhook senders (GitHub, Gitea, many portals) put in a
 * header such as X-Hub-Signature-256. */
#ifndef KM_COMMON_HMAC_H
#define KM_COMMON_HMAC_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes of a SHA-256 digest, and of its lower-case hex form without the NUL. */
#define KM_SHA256_LEN     32
#define KM_SHA256_HEX_LEN 64

/* Computes HMAC-SHA256 of data[0..len) with key[0..key_len) into mac. Returns true, or
 * false if libcrypto failed (then mac is zeroed). Thread-safe. */
bool km_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                    unsigned char mac[KM_SHA256_LEN]);

/* True if sig is "sha256=" followed by the 64 hex digits (either case) of the HMAC-SHA256 of
 * data under key. The hex digits are compared in constant time (common/ct.h); a NULL or
 * malformed sig is false. Thread-safe. */
bool km_hmac_sha256_verify(const void *key, size_t key_len, const void *data, size_t len,
                           const char *sig);

#endif
