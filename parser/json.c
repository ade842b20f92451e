/* JSON reading on yajl's tree API or as events, made safe for untrusted payloads (see json.h).
 *
 * km_json_parse() works in up to four linear passes, all cheap next to the network:
 * a depth pre-scan (yajl_tree_free() recurses and overflows the stack on deep trees), a
 * UTF-8 repair copy (which also gives yajl the NUL-terminated buffer it needs), the tree
 * parse and, only when that fails, a callback-less streaming parse that tells at which
 * byte offset the error is (the tree API reports only a drawing of the spot).
 *
 * km_json_parse_events() keeps those rules in fewer passes for the common, valid case: a
 * UTF-8 check (the text is then parsed in place, not copied) and yajl's callback parse, which
 * counts the depth itself. For valid UTF-8 that count equals the pre-scan's on every document
 * yajl accepts (both skip strings and comments alike), so the pre-scan runs only to word an
 * error as km_json_parse() would. Text that needs repair takes km_json_parse()'s way: the
 * pre-scan of the original bytes, then the repaired copy. */
#include "parser/json.h"

#include "common/alloc.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/time.h"
#include "common/utf8.h"

#include <errno.h>
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

/* KM_EINPUT with "offset N: nesting deeper than ..." if buf[0..len) nests too deep, else KM_OK. */
static int json_check_depth(const char *buf, size_t len, struct km_err *err)
{
    size_t off = 0;
    if (json_too_deep(buf, len, &off)) {
        return km_err_set(err, KM_EINPUT, "offset %zu: nesting deeper than %d", off,
                          KM_JSON_MAX_DEPTH);
    }
    return KM_OK;
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

/* Feeds text[0..tlen) to h and finishes the parse. On failure *off is where: the last byte of
 * the token yajl refused (yajl has consumed it), or tlen when the text ended too early. */
static yajl_status json_feed(yajl_handle h, const char *text, size_t tlen, size_t *off)
{
    yajl_status st = yajl_parse(h, (const unsigned char *)text, tlen);
    *off = tlen;
    if (st == yajl_status_ok) {
        return yajl_complete_parse(h);
    }
    size_t used = yajl_get_bytes_consumed(h);
    *off = used > 0 ? used - 1 : 0;
    return st;
}

/* Sets err to "offset N: <yajl's message, first line>" for a parse of text[0..tlen) by h that
 * failed at off; N counts the original bytes orig[0..orig_len) when text is their repaired copy.
 * Returns KM_EINPUT. */
static int json_report(yajl_handle h, const char *text, size_t tlen, size_t off, const char *orig,
                       size_t orig_len, bool repaired, struct km_err *err)
{
    unsigned char *msg = yajl_get_error(h, 0, (const unsigned char *)text, tlen);
    const char *m = msg != NULL ? (const char *)msg : "parse error";
    size_t mlen = strcspn(m, "\n");
    if (repaired) {
        off = json_orig_offset(orig, orig_len, off);
    }
    int rc = km_err_set(err, KM_EINPUT, "offset %zu: %.*s", off, (int)mlen, m);
    if (msg != NULL) {
        yajl_free_error(h, msg);
    }
    return rc;
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
    size_t tlen = strlen(text), off = 0;
    int rc;
    if (json_feed(h, text, tlen, &off) == yajl_status_ok) {
        rc = km_err_set(err, KM_EINPUT, "invalid JSON: %s", tree_msg);
    } else {
        rc = json_report(h, text, tlen, off, orig, orig_len, repaired, err);
    }
    yajl_free(h);
    return rc;
}

/* True if text[0..len) has an escape "\\u" whose first hex digit is one of digits: "dD" finds
 * every surrogate (and characters from U+D000 on), "0" every NUL (and U+0001..U+0FFF). */
static bool json_has_escape(const char *text, size_t len, const char *digits)
{
    const char *end = text + len;
    /* after a backslash the next one that can start an escape is two bytes on */
    for (const char *p = memchr(text, '\\', len); p != NULL && end - p >= 3;
         p = memchr(p + 2, '\\', (size_t)(end - p - 2))) {
        if (p[1] == 'u' && p[2] != '\0' && strchr(digits, p[2]) != NULL) {
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
    int rc = KM_OK;
    *out = NULL;
    if (repaired != NULL) {
        *repaired = false;
    }
    if (len == 0) {
        rc = km_err_set(err, KM_EINPUT, "empty body");
        goto out;
    }
    if ((rc = json_check_depth(buf, len, err)) != KM_OK) {
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
    } else if (json_has_escape(text, strlen(text), "dD")) {
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

/* ---- streaming ----------------------------------------------------------------------- */

/* One km_json_parse_events() run: the caller's handler, and yajl's ctx for the callbacks. */
struct json_stream {
    void (*on_event)(void *ctx, enum km_json_event ev, const char *text, size_t len);
    void *ctx;
    size_t depth;
    size_t max_depth;
    bool escapes;        /* "\u0..." or "\uD..." in the text: a string may hold NUL or surrogates */
    struct km_buf fixed; /* a copy of the current string with its surrogates replaced */
};

static int js_plain(struct json_stream *js, enum km_json_event ev)
{
    js->on_event(js->ctx, ev, NULL, 0);
    return 1;
}

/* A string or key as a tree holds it: cut at a decoded NUL ("\u0000"; the tree's strings are
 * C strings), encoded surrogates replaced by U+FFFD (json_fix_surrogates()). */
static int js_text(struct json_stream *js, enum km_json_event ev, const unsigned char *s,
                   size_t len)
{
    const char *text = (const char *)s;
    if (js->escapes) {
        const char *nul = memchr(text, '\0', len);
        len = nul != NULL ? (size_t)(nul - text) : len;
        if (memchr(text, 0xED, len) != NULL) {
            km_buf_reset(&js->fixed);
            km_buf_append(&js->fixed, text, len);
            json_fix_surrogates(js->fixed.data);
            text = js->fixed.data;
        }
    }
    js->on_event(js->ctx, ev, text, len);
    return 1;
}

/* An opening bracket; 0 (cancel the parse) when it opens level max_depth + 1. */
static int js_open(struct json_stream *js, enum km_json_event ev)
{
    if (++js->depth > js->max_depth) {
        return 0;
    }
    return js_plain(js, ev);
}

static int js_close(struct json_stream *js, enum km_json_event ev)
{
    js->depth--;
    return js_plain(js, ev);
}

static int js_null(void *ctx)
{
    return js_plain(ctx, KM_JSON_NULL);
}

static int js_boolean(void *ctx, int b)
{
    return js_plain(ctx, b ? KM_JSON_TRUE : KM_JSON_FALSE);
}

/* Numbers as written: yajl's own integer callback would fail the parse on an integer that
 * overflows, which the tree reader accepts (as a double). */
static int js_number(void *ctx, const char *s, size_t len)
{
    struct json_stream *js = ctx;
    js->on_event(js->ctx, KM_JSON_NUMBER, s, len);
    return 1;
}

static int js_string(void *ctx, const unsigned char *s, size_t len)
{
    return js_text(ctx, KM_JSON_STRING, s, len);
}

static int js_key(void *ctx, const unsigned char *s, size_t len)
{
    return js_text(ctx, KM_JSON_KEY, s, len);
}

static int js_start_map(void *ctx)
{
    return js_open(ctx, KM_JSON_OBJECT_START);
}

static int js_end_map(void *ctx)
{
    return js_close(ctx, KM_JSON_OBJECT_END);
}

static int js_start_array(void *ctx)
{
    return js_open(ctx, KM_JSON_ARRAY_START);
}

static int js_end_array(void *ctx)
{
    return js_close(ctx, KM_JSON_ARRAY_END);
}

static const yajl_callbacks json_stream_callbacks = {
    js_null,      js_boolean, NULL,       NULL,           js_number,   js_string,
    js_start_map, js_key,     js_end_map, js_start_array, js_end_array};

/* A parser for js: comments allowed as yajl_tree_parse() allows them, strings not validated
 * again (the text is valid UTF-8), partial values and trailing garbage refused (yajl's
 * defaults). Aborts when yajl cannot allocate, like km_malloc(). */
static yajl_handle json_stream_alloc(struct json_stream *js)
{
    yajl_handle h = yajl_alloc(&json_stream_callbacks, NULL, js);
    if (h == NULL) {
        KM_LOG_ERROR("yajl_alloc failed: out of memory");
        abort();
    }
    yajl_config(h, yajl_allow_comments, 1);
    yajl_config(h, yajl_dont_validate_strings, 1);
    return h;
}

int km_json_parse_events(const char *buf, size_t len,
                         void (*on_event)(void *ctx, enum km_json_event ev, const char *text,
                                          size_t len),
                         void *ctx, struct km_err *err)
{
    char *clean = NULL;
    yajl_handle h = NULL;
    struct json_stream js = {on_event, ctx, 0, KM_JSON_MAX_DEPTH, false, KM_BUF_INIT};
    const char *text = buf;
    size_t tlen = len, off = 0;
    bool repaired = len > 0 && !km_utf8_valid(buf, len, NULL);
    int rc = KM_OK;
    if (len == 0) {
        rc = km_err_set(err, KM_EINPUT, "empty body");
        goto out;
    }
    if (repaired) {
        /* km_json_parse()'s order: the pre-scan of the original bytes decides the depth */
        if ((rc = json_check_depth(buf, len, err)) != KM_OK) {
            goto out;
        }
        text = clean = km_utf8_clean(buf, len, NULL);
        tlen = strlen(clean);
        js.max_depth = SIZE_MAX;
    }
    js.escapes = json_has_escape(text, tlen, "0dD");
    h = json_stream_alloc(&js);
    yajl_status st = json_feed(h, text, tlen, &off);
    if (st == yajl_status_ok) {
        goto out;
    }
    /* as km_json_parse(): too deep anywhere is the error, before any syntax error */
    if ((rc = json_check_depth(buf, len, err)) == KM_OK) {
        rc = st == yajl_status_client_canceled
                 ? km_err_set(err, KM_EINPUT, "offset %zu: nesting deeper than %d", off,
                              KM_JSON_MAX_DEPTH)
                 : json_report(h, text, tlen, off, buf, len, repaired, err);
    }
out:
    if (h != NULL) {
        yajl_free(h);
    }
    km_buf_free(&js.fixed);
    free(clean);
    return rc;
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

/* Length of the run at s[0..len) that a JSON string can hold as it is: no control character,
 * '"' or '\\'. Eight bytes at a time: text is mostly such runs. */
static size_t json_plain_run(const char *s, size_t len)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t x, quote, bslash;
        memcpy(&x, s + i, 8);
        quote = x ^ (ones * '"');
        bslash = x ^ (ones * '\\');
        /* the high bit of a byte is set if it is below 0x20, or zero after the XORs */
        if ((((x - ones * 0x20) & ~x) | ((quote - ones) & ~quote) | ((bslash - ones) & ~bslash)) &
            highs) {
            break;
        }
    }
    while (i < len && (unsigned char)s[i] >= 0x20 && s[i] != '"' && s[i] != '\\') {
        i++;
    }
    return i;
}

/* Writes the escape of byte c (a control character, '"' or '\\') to esc; returns its length.
 * gen_style: as yajl_gen writes it (\b \f \n \r \t, else \u00XX in upper case); otherwise
 * \u00xx in lower case for every control character. */
static size_t json_escape_byte(unsigned char c, bool gen_style, char esc[6])
{
    static const char lower[] = "0123456789abcdef", upper[] = "0123456789ABCDEF";
    static const char controls[] = "\b\f\n\r\t", letters[] = "bfnrt";
    const char *control = gen_style && c != '\0' ? strchr(controls, c) : NULL;
    char letter = c == '"' || c == '\\' ? (char)c : '\0';
    if (control != NULL) {
        letter = letters[control - controls];
    }
    esc[0] = '\\';
    if (letter != '\0') {
        esc[1] = letter;
        return 2;
    }
    const char *hex = gen_style ? upper : lower;
    esc[1] = 'u';
    esc[2] = '0';
    esc[3] = '0';
    esc[4] = hex[c >> 4];
    esc[5] = hex[c & 0xF];
    return 6;
}

/* Appends s[0..len) quoted and escaped (see json_escape_byte()). */
static void json_quote(struct km_buf *buf, const char *s, size_t len, bool gen_style)
{
    km_buf_putc(buf, '"');
    size_t i = 0;
    while (i < len) {
        size_t run = json_plain_run(s + i, len - i);
        km_buf_append(buf, s + i, run);
        i += run;
        if (i < len) {
            char esc[6];
            km_buf_append(buf, esc, json_escape_byte((unsigned char)s[i], gen_style, esc));
            i++;
        }
    }
    km_buf_putc(buf, '"');
}

void km_json_escape(struct km_buf *buf, const char *s)
{
    if (s == NULL) {
        km_buf_puts(buf, "null");
        return;
    }
    json_quote(buf, s, strlen(s), false);
}

void km_json_escape_gen(struct km_buf *buf, const char *s, size_t len)
{
    json_quote(buf, s, len, true);
}

/* ---- numbers as the tree reads them -------------------------------------------------- */

bool km_json_number_int(const char *text, size_t len, int64_t *out)
{
    /* yajl_tree's YAJL_IS_INTEGER: digits with an optional '-', magnitude at most INT64_MAX
     * (so INT64_MIN is not an integer either); a fraction or an exponent is not one */
    bool neg = len > 0 && text[0] == '-';
    size_t i = neg ? 1 : 0;
    uint64_t v = 0;
    if (i == len) {
        return false;
    }
    for (; i < len; i++) {
        unsigned d = (unsigned)((unsigned char)text[i] - '0');
        if (d > 9 || v > ((uint64_t)INT64_MAX - d) / 10) {
            return false;
        }
        v = v * 10 + d;
    }
    *out = neg ? -(int64_t)v : (int64_t)v;
    return true;
}

/* Longest number text km_json_number_double() copies on the stack; longer ones are copied
 * to the heap (a JSON number may have any number of digits). */
#define JSON_NUMBER_SMALL 64

bool km_json_number_double(const char *text, size_t len, double *out)
{
    char small[JSON_NUMBER_SMALL];
    char *heap = NULL;
    char *s = small;
    if (len < sizeof(small)) {
        memcpy(small, text, len);
        small[len] = '\0';
    } else {
        s = heap = km_strndup(text, len);
    }
    /* yajl_tree's YAJL_IS_DOUBLE: strtod() reads all of it without a range error */
    char *end = NULL;
    errno = 0;
    double d = strtod(s, &end);
    bool ok = errno == 0 && end != NULL && *end == '\0';
    free(heap);
    if (ok) {
        *out = d;
    }
    return ok;
}
