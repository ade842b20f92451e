/* JSON reading on yajl's tree API or as a stream of events, made safe for untrusted
 * payloads, and JSON string escaping.
 *
 * yajl 2.1.0 (Debian 12) builds arbitrarily deep trees and then overflows the stack in
 * yajl_tree_free(); km_json_parse() therefore pre-scans the nesting depth and refuses
 * anything deeper than KM_JSON_MAX_DEPTH before a tree is built. Invalid UTF-8 is repaired
 * (each bad byte becomes U+FFFD) rather than rejecting the whole payload, so one bad
 * message cannot block a batch of good ones; a lone surrogate escape ("\udc00"), which
 * yajl would decode to bytes that are not UTF-8, becomes U+FFFD too. Every string and key
 * of a tree is therefore UTF-8 (a "\u0000" escape still ends the C string early). */
#ifndef KM_PARSER_JSON_H
#define KM_PARSER_JSON_H

#include "common/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>

/* Deepest nesting accepted. Real API payloads stay under 20 (a Telegram update with a
 * reply and entities is about 8); collectd's streaming parser stops at 128. */
#define KM_JSON_MAX_DEPTH 64

/* Parses buf[0..len) (need not be NUL-terminated). On success *out is the tree (free with
 * km_json_free()) and *repaired (may be NULL) tells whether invalid UTF-8 was replaced.
 * Returns KM_EINPUT with err "offset N: ..." for malformed or too deep input. */
int km_json_parse(const char *buf, size_t len, yajl_val *out, bool *repaired,
                  struct km_err *err);
void km_json_free(yajl_val v);

/* Follows a NULL-terminated key path from v: km_json_get(v, "message", "chat", NULL).
 * Returns the node (borrowed) or NULL if absent. */
yajl_val km_json_get(yajl_val v, ...) __attribute__((sentinel));

/* The string at key of object v, borrowed; NULL if absent or not a string. */
const char *km_json_str(yajl_val v, const char *key);
/* The integer at key; false if absent or not an integer in int64 range. */
bool km_json_int(yajl_val v, const char *key, int64_t *out);
/* A boolean at key; false if absent or not a boolean (then *out is untouched). */
bool km_json_bool(yajl_val v, const char *key, bool *out);
/* A string or number at key as a new string (ids arrive as either); NULL if absent.
 * Caller frees. */
char *km_json_scalar_dup(yajl_val v, const char *key);

/* Evaluates an RFC 6901 JSON Pointer on a tree: "" is root itself, "/a/0/b~1c" is member "a",
 * its element 0, then member "b/c" ("~1" stands for '/', "~0" for '~'). An array index is
 * decimal without leading zeros; "-" (past the end) names nothing. Returns the node
 * (borrowed from root) or NULL if the pointer is malformed or names nothing. Thread-safe. */
yajl_val km_json_pointer(yajl_val root, const char *pointer);
/* True if pointer is a well-formed JSON Pointer: "" or '/'-prefixed tokens in which every '~'
 * is followed by '0' or '1'. For checking configured pointers before any payload arrives. */
bool km_json_pointer_valid(const char *pointer);

/* A string or number node as a new string; NULL for anything else. Caller frees. */
char *km_json_value_dup(yajl_val v);
/* A time given as RFC 3339, or as Unix seconds (a number or a string of digits), in Unix
 * ms; 0 if it is neither or out of range (after year 9999). */
int64_t km_json_time_ms(yajl_val v);

/* What km_json_parse_events() reports, in document order. */
enum km_json_event {
    KM_JSON_NULL,
    KM_JSON_FALSE,
    KM_JSON_TRUE,
    KM_JSON_NUMBER, /* text: the number as written ("-12", "1.5e3"), any size */
    KM_JSON_STRING, /* text: the decoded string */
    KM_JSON_KEY,    /* text: the decoded name of the object member whose value comes next */
    KM_JSON_OBJECT_START,
    KM_JSON_OBJECT_END,
    KM_JSON_ARRAY_START,
    KM_JSON_ARRAY_END,
};

/* Parses buf[0..len) (need not be NUL-terminated) with the rules and the error messages of
 * km_json_parse(): the same depth limit, UTF-8 repair, surrogate repair and "offset N: ..."
 * errors, and the same documents accepted; but builds no tree. Instead on_event(ctx, ...) is
 * called for every value, key and bracket in document order, with text[0..len) for numbers,
 * strings and keys (NULL, 0 otherwise). That text is borrowed for the call only and not
 * NUL-terminated; strings and keys are what a tree would hold: UTF-8, cut at a "\u0000"
 * escape. Events may already have been delivered when the parse fails; the caller then
 * discards what it built. Returns KM_OK, or KM_EINPUT with err set. Thread-safe. */
int km_json_parse_events(const char *buf, size_t len,
                         void (*on_event)(void *ctx, enum km_json_event ev, const char *text,
                                          size_t len),
                         void *ctx, struct km_err *err);

/* A KM_JSON_NUMBER's text as an integer, as a tree reads it (YAJL_IS_INTEGER): true for
 * digits with an optional '-' within +-INT64_MAX; false for a fraction, an exponent or a
 * larger number (*out then untouched). */
bool km_json_number_int(const char *text, size_t len, int64_t *out);
/* A KM_JSON_NUMBER's text as a double, as a tree reads it (YAJL_IS_DOUBLE): false if strtod()
 * reports a range error (1e400, 1e-400), *out then untouched. */
bool km_json_number_double(const char *text, size_t len, double *out);

/* Appends s to buf as a JSON string literal with quotes and escapes (control characters
 * as \u00xx); s must be valid UTF-8. NULL appends null. */
struct km_buf;
void km_json_escape(struct km_buf *buf, const char *s);
/* Appends s[0..len) to buf as a JSON string literal escaped exactly as yajl_gen escapes one:
 * \" \\ \b \f \n \r \t, other control characters as \u00XX (upper case), nothing else. So
 * JSON written with it is byte for byte what yajl_gen wrote before (km_post_to_json()).
 * s must be valid UTF-8 without NUL (not checked). */
void km_json_escape_gen(struct km_buf *buf, const char *s, size_t len);

#endif
