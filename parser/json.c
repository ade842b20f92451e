/* JSON reading on yajl's tree API, made safe for untrusted payloads (see json.h).
 *
 * km_json_parse() works in up to four linear passes, all cheap next to the network:
 * a depth pre-scan (yajl_tree_free() recurses and overflows the stack on deep trees), a
 * UTF-8 repair copy (which also gives yajl the NUL-terminated buffer it needs), the tree
 * parse and, only when that fails, a callback-less streaming parse that tells at which
 * byte offset the error is (the tree API reports only a drawing of the spot). */
#include "parser/json.h"

#include "common/alloc.h"
#include "common/time.h"
#include "common/buf.h"
#include "common/utf8.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

/* Longest key path km_json_get() follows; real look-ups are 2-4 keys deep. */
#define JSON_MAX_PATH 16

/* Skips the comment that starts at buf[i] ("/" already seen; yajl_tree_parse() accepts
 * comments, so brackets inside them must not count). Returns the index of its last byte. */
static size_t json_skip_comment(const char *buf, size_t len, size_t i)
{
    if (i + 1 >= len || (buf[i + 1] != '*' && buf[i + 1] != '/')) {
        return i; /* not a comment: yajl will report the stray '/' */
    }
    bool block = buf[i + 1] == '*';
    size_t body = i + 2; /* "/" + "*" + "/" does not close: the '*' must be in the body */
    for (i = body; i < len; i++) {
        if (!block && buf[i] == '\n') {
            return i;
        }
        if (block && buf[i] == '/' && i > body && buf[i - 1] == '*') {
            return i;
        }
    }
    return len - 1;
}

/* Finds the first bracket that opens level KM_JSON_MAX_DEPTH + 1, outside strings and
 * comments. Returns true and sets *offset if the input nests too deep. */
static bool json_too_deep(const char *buf, size_t len, size_t *offset)
{
    size_t depth = 0;
    bool in_str = false, esc = false;
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (in_str) {
            if (esc) {
                esc = false;
            } else if (c == '\\') {
                esc = true;
            } else if (c == '"') {
                in_str = false;
            }
        } else if (c == '"') {
            in_str = true;
        } else if (c == '/') {
            i = json_skip_comment(buf, len, i);
        } else if (c == '[' || c == '{') {
            if (++depth > KM_JSON_MAX_DEPTH) {
                *offset = i;
                return true;
            }
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return false;
}

/* Maps an offset in the repaired text back to the original bytes: km_utf8_clean() drops
 * NUL bytes and turns each invalid byte into the 3-byte U+FFFD. */
static size_t json_orig_offset(const char *orig, size_t len, size_t clean_off)
{
    size_t i = 0, c = 0;
    while (i < len && c < clean_off) {
        if (orig[i] == '\0') {
            i++;
            continue;
        }
        size_t n = 1;
        while (n <= 4 && i + n <= len && !km_utf8_valid(orig + i, n, NULL)) {
            n++;
        }
        if (n > 4 || i + n > len) {
            c += 3, i += 1; /* invalid byte, replaced by U+FFFD */
        } else {
            c += n, i += n;
        }
    }
    return i;
}

/* Re-parses text without building a tree to learn the offset and a one-line message. */
static int json_explain(const char *text, const char *orig, size_t orig_len, bool repaired,
                        const char *tree_msg, struct km_err *err)
{
    yajl_handle h = yajl_alloc(NULL, NULL, NULL);
    if (h == NULL) {
        return km_err_set(err, KM_EINPUT, "invalid JSON: %s", tree_msg);
    }
    yajl_config(h, yajl_allow_comments, 1); /* as yajl_tree_parse() does */
    size_t tlen = strlen(text);
    yajl_status st = yajl_parse(h, (const unsigned char *)text, tlen);
    size_t off = tlen;
    if (st == yajl_status_ok) {
        st = yajl_complete_parse(h);
    } else {
        /* yajl has consumed the offending token: point at its last byte */
        off = yajl_get_bytes_consumed(h);
        off = off > 0 ? off - 1 : 0;
    }
    int rc;
    if (st == yajl_status_ok) {
        rc = km_err_set(err, KM_EINPUT, "invalid JSON: %s", tree_msg);
    } else {
        unsigned char *msg = yajl_get_error(h, 0, (const unsigned char *)text, tlen);
        const char *m = msg != NULL ? (const char *)msg : "parse error";
        size_t mlen = strcspn(m, "\n");
        if (repaired) {
            off = json_orig_offset(orig, orig_len, off);
        }
        rc = km_err_set(err, KM_EINPUT, "offset %zu: %.*s", off, (int)mlen, m);
        if (msg != NULL) {
            yajl_free_error(h, msg);
        }
    }
    yajl_free(h);
    return rc;
}

/* True if text has an escape "\\uD..." (a surrogate, or a character from U+D000 on). */
static bool json_has_d_escape(const char *text)
{
    for (const char *p = strchr(text, '\\'); p != NULL; p = strchr(p + 1, '\\')) {
        if (p[1] == 'u' && (p[2] == 'd' || p[2] == 'D')) {
            return true;
        }
    }
    return false;
}

/* yajl 2.1.0 decodes a lone low surrogate escape ("\\udc00") into the bytes ED B0 80, which
 * are not UTF-8: such a string would reach posts and then PostgreSQL, which refuses it.
 * Replaces every encoded surrogate (ED A0..BF 80..BF) in s by U+FFFD (EF BF BD, also three
 * bytes) in place. */
static void json_fix_surrogates(char *s)
{
    for (unsigned char *p = (unsigned char *)s; *p != '\0'; p++) {
        if (p[0] == 0xED && p[1] >= 0xA0 && p[1] <= 0xBF && p[2] >= 0x80 && p[2] <= 0xBF) {
            p[0] = 0xEF;
            p[1] = 0xBF;
            p[2] = 0xBD;
            p += 2;
        }
    }
}

/* json_fix_surrogates() on every string and key of v (recursion is bounded by the depth
 * pre-scan). Keys are yajl's own malloc'd copies, so writing to them is fine. */
static void json_fix_tree(yajl_val v)
{
    if (YAJL_IS_STRING(v)) {
        json_fix_surrogates(v->u.string);
    } else if (YAJL_IS_OBJECT(v)) {
        for (size_t i = 0; i < v->u.object.len; i++) {
            json_fix_surrogates((char *)v->u.object.keys[i]);
            json_fix_tree(v->u.object.values[i]);
        }
    } else if (YAJL_IS_ARRAY(v)) {
        for (size_t i = 0; i < v->u.array.len; i++) {
            json_fix_tree(v->u.array.values[i]);
        }
    }
}

int km_json_parse(const char *buf, size_t len, yajl_val *out, bool *repaired, struct km_err *err)
{
    char *text = NULL;
    bool changed = false;
    size_t off = 0;
    int rc = KM_OK;
    *out = NULL;
    if (repaired != NULL) {
        *repaired = false;
    }
    if (len == 0) {
        rc = km_err_set(err, KM_EINPUT, "empty body");
        goto out;
    }
    if (json_too_deep(buf, len, &off)) {
        rc = km_err_set(err, KM_EINPUT, "offset %zu: nesting deeper than %d", off,
                        KM_JSON_MAX_DEPTH);
        goto out;
    }
    text = km_utf8_clean(buf, len, &changed);
    if (repaired != NULL) {
        *repaired = changed;
    }
    char ebuf[KM_ERR_MSG_MAX] = "";
    *out = yajl_tree_parse(text, ebuf, sizeof(ebuf));
    if (*out == NULL) {
        ebuf[strcspn(ebuf, "\n")] = '\0';
        rc = json_explain(text, buf, len, changed, ebuf[0] != '\0' ? ebuf : "parse error", err);
    } else if (json_has_d_escape(text)) {
        json_fix_tree(*out);
    }
out:
    free(text);
    return rc;
}

void km_json_free(yajl_val v)
{
    if (v != NULL) {
        yajl_tree_free(v);
    }
}

yajl_val km_json_get(yajl_val v, ...)
{
    const char *path[JSON_MAX_PATH + 1];
    size_t n = 0;
    yajl_val found = NULL;
    va_list ap;
    va_start(ap, v);
    for (const char *k = va_arg(ap, const char *); k != NULL; k = va_arg(ap, const char *)) {
        if (n == JSON_MAX_PATH) {
            goto out; /* a caller's bug; absent is the safe answer */
        }
        path[n++] = k;
    }
    path[n] = NULL;
    if (v != NULL) {
        found = yajl_tree_get(v, path, yajl_t_any);
    }
out:
    va_end(ap);
    return found;
}

/* The value at key of object v, or NULL. */
static yajl_val json_member(yajl_val v, const char *key)
{
    if (!YAJL_IS_OBJECT(v) || key == NULL) {
        return NULL;
    }
    const char *path[2] = {key, NULL};
    return yajl_tree_get(v, path, yajl_t_any);
}

const char *km_json_str(yajl_val v, const char *key)
{
    yajl_val m = json_member(v, key);
    return YAJL_IS_STRING(m) ? m->u.string : NULL;
}

bool km_json_int(yajl_val v, const char *key, int64_t *out)
{
    yajl_val m = json_member(v, key);
    if (!YAJL_IS_INTEGER(m)) {
        return false;
    }
    *out = (int64_t)YAJL_GET_INTEGER(m);
    return true;
}

bool km_json_bool(yajl_val v, const char *key, bool *out)
{
    yajl_val m = json_member(v, key);
    if (YAJL_IS_TRUE(m)) {
        *out = true;
        return true;
    }
    if (YAJL_IS_FALSE(m)) {
        *out = false;
        return true;
    }
    return false;
}

char *km_json_value_dup(yajl_val v)
{
    if (YAJL_IS_STRING(v)) {
        return km_strdup(v->u.string);
    }
    if (YAJL_IS_NUMBER(v) && YAJL_GET_NUMBER(v) != NULL) {
        return km_strdup(YAJL_GET_NUMBER(v));
    }
    return NULL;
}

char *km_json_scalar_dup(yajl_val v, const char *key)
{
    return km_json_value_dup(json_member(v, key));
}

/* Last second of year 9999: a larger Unix time is not a date anybody wrote. */
#define JSON_UNIX_MAX_S 253402300799LL

int64_t km_json_time_ms(yajl_val v)
{
    int64_t ms = 0;
    double secs = -1;
    if (YAJL_IS_STRING(v) && km_time_parse_rfc3339(v->u.string, &ms) == KM_OK) {
        return ms;
    }
    if (YAJL_IS_STRING(v) && v->u.string[0] != '\0' &&
        strspn(v->u.string, "0123456789") == strlen(v->u.string)) {
        secs = strtod(v->u.string, NULL);
    } else if (YAJL_IS_INTEGER(v)) {
        secs = (double)YAJL_GET_INTEGER(v);
    } else if (YAJL_IS_DOUBLE(v)) {
        secs = YAJL_GET_DOUBLE(v);
    }
    return secs > 0 && secs <= (double)JSON_UNIX_MAX_S ? (int64_t)(secs * 1000.0) : 0;
}

bool km_json_pointer_valid(const char *pointer)
{
    if (pointer == NULL) {
        return false;
    }
    if (pointer[0] != '\0' && pointer[0] != '/') {
        return false;
    }
    for (const char *p = pointer; *p != '\0'; p++) {
        if (*p == '~' && p[1] != '0' && p[1] != '1') {
            return false;
        }
    }
    return true;
}

/* True if the object key equals the escaped reference token tok[0..len). */
static bool json_token_eq(const char *key, const char *tok, size_t len)
{
    size_t i = 0;
    for (; i < len; i++, key++) {
        char c = tok[i];
        if (c == '~') {
            c = tok[++i] == '0' ? '~' : '/'; /* validated: ~0 or ~1 */
        }
        if (*key != c) {
            return false;
        }
    }
    return *key == '\0';
}

/* The array element named by tok[0..len) ("0" or digits without a leading zero), or NULL. */
static yajl_val json_token_index(yajl_val arr, const char *tok, size_t len)
{
    if (len == 0 || (len > 1 && tok[0] == '0')) {
        return NULL;
    }
    size_t idx = 0;
    for (size_t i = 0; i < len; i++) {
        if (tok[i] < '0' || tok[i] > '9' || idx > (SIZE_MAX - 9) / 10) {
            return NULL;
        }
        idx = idx * 10 + (size_t)(tok[i] - '0');
    }
    return idx < arr->u.array.len ? arr->u.array.values[idx] : NULL;
}

/* The child of v named by the reference token tok[0..len), or NULL. */
static yajl_val json_token_step(yajl_val v, const char *tok, size_t len)
{
    if (YAJL_IS_ARRAY(v)) {
        return json_token_index(v, tok, len);
    }
    if (!YAJL_IS_OBJECT(v)) {
        return NULL;
    }
    for (size_t i = 0; i < v->u.object.len; i++) {
        if (json_token_eq(v->u.object.keys[i], tok, len)) {
            return v->u.object.values[i];
        }
    }
    return NULL;
}

yajl_val km_json_pointer(yajl_val root, const char *pointer)
{
    if (!km_json_pointer_valid(pointer)) {
        return NULL;
    }
    yajl_val v = root;
    const char *p = pointer;
    while (v != NULL && *p == '/') {
        p++;
        size_t len = strcspn(p, "/");
        v = json_token_step(v, p, len);
        p += len;
    }
    return v;
}

void km_json_escape(struct km_buf *buf, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    if (s == NULL) {
        km_buf_puts(buf, "null");
        return;
    }
    km_buf_putc(buf, '"');
    const char *run = s;
    for (const char *p = s; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        km_buf_append(buf, run, (size_t)(p - run));
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            km_buf_append(buf, esc, 2);
        } else {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
            km_buf_append(buf, esc, 6);
        }
        run = p + 1;
    }
    km_buf_puts(buf, run);
    km_buf_putc(buf, '"');
}
