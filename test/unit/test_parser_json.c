/* Unit tests for parser/json: parse errors with offsets, depth limit, UTF-8 repair,
 * look-ups, numbers, string escaping, and events parsed without a tree. */
#include "common/alloc.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/time.h"
#include "common/utf8.h"
#include "parser/json.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Bytes with explicit length so that cases may contain NUL bytes. */
#define BYTES(s) s, sizeof(s) - 1

static void test_parse_errors(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t len;
        const char *msg; /* expected err.msg, exactly */
    } cases[] = {
        {BYTES(""), "empty body"},
        {BYTES("{\"a\":"), "offset 5: parse error: premature EOF"},
        {BYTES("{\"message\":{\"text\":\"#109 \xd0\xbb\xd1\x8e\xd0\xba"),
         "offset 31: parse error: premature EOF"},
        {BYTES("[1,2,x]"), "offset 5: lexical error: invalid char in json text."},
        {BYTES("\x01\x02garbage"), "offset 0: lexical error: invalid char in json text."},
        {BYTES("<html><body>502 Bad Gateway</body></html>"),
         "offset 0: lexical error: invalid char in json text."},
        {BYTES("{'ok':true}"), "offset 1: lexical error: invalid char in json text."},
        {BYTES("[1,]"), "offset 3: parse error: unallowed token at this point in JSON text"},
        {BYTES("{\"ok\":true} 3"), "offset 13: parse error: trailing garbage"},
        /* offsets refer to the caller's bytes even after UTF-8 repair (\xff is 1 byte) */
        {BYTES("{\"t\":\"\xff\", x}"), "offset 10: lexical error: invalid char in json text."},
        {BYTES("{\"t\":\"\x00\", x}"), "offset 10: lexical error: invalid char in json text."},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct km_err err = {""};
        yajl_val v = (yajl_val)&err; /* must be reset to NULL */
        int rc = km_json_parse(cases[i].in, cases[i].len, &v, NULL, &err);
        assert_int_equal(rc, KM_EINPUT);
        assert_null(v);
        assert_string_equal(err.msg, cases[i].msg);
    }
}

/* Builds n copies of open ("[" or "{\"a\":"), then, if close, a value and the n closing
 * brackets: a valid document n deep. */
static char *nested(size_t n, bool close, const char *open)
{
    size_t olen = strlen(open);
    char *s = km_malloc(n * olen + n + 2), *p = s;
    for (size_t i = 0; i < n; i++, p += olen) {
        memcpy(p, open, olen);
    }
    if (close && open[0] == '{') {
        *p++ = '1';
    }
    for (size_t i = 0; close && i < n; i++) {
        *p++ = open[0] == '[' ? ']' : '}';
    }
    *p = '\0';
    return s;
}

static void test_depth(void **state)
{
    (void)state;
    static const struct {
        size_t depth;
        const char *open;
        bool close;
        int rc;
        const char *msg;
    } cases[] = {
        {1, "[", true, KM_OK, ""},
        {64, "[", true, KM_OK, ""},
        {65, "[", true, KM_EINPUT, "offset 64: nesting deeper than 64"},
        {64, "{\"a\":", true, KM_OK, ""},
        {65, "{\"a\":", true, KM_EINPUT, "offset 320: nesting deeper than 64"},
        {300000, "[", true, KM_EINPUT, "offset 64: nesting deeper than 64"},
        {300000, "[", false, KM_EINPUT, "offset 64: nesting deeper than 64"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *s = nested(cases[i].depth, cases[i].close, cases[i].open);
        struct km_err err = {""};
        yajl_val v = NULL;
        int64_t t0 = km_time_mono_ms();
        int rc = km_json_parse(s, strlen(s), &v, NULL, &err);
        assert_true(km_time_mono_ms() - t0 < 2000); /* linear, no tree built */
        assert_int_equal(rc, cases[i].rc);
        assert_string_equal(err.msg, cases[i].msg);
        assert_true(rc == KM_OK ? v != NULL : v == NULL);
        km_json_free(v);
        free(s);
    }
}

/* Brackets inside strings, also after escaped quotes and backslashes, do not count. */
static void test_depth_strings(void **state)
{
    (void)state;
    static const char *cases[] = {
        "[\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"]",
        "[\"\\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"]",
        "[\"\\\\\",\"{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{\"]",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct km_err err = {""};
        yajl_val v = NULL;
        assert_int_equal(km_json_parse(cases[i], strlen(cases[i]), &v, NULL, &err), KM_OK);
        assert_true(YAJL_IS_ARRAY(v));
        km_json_free(v);
    }
    /* Comments (yajl_tree_parse() accepts them) must neither hide depth nor add to it:
     * head + 60 levels + tail is 70 deep when the brackets in comments are ignored. */
    static const struct {
        const char *head, *tail;
        int rc;
    } comments[] = {
        {"[[[[[[[[[[/*]]]]]]]]]]*/", "]]]]]]]]]]", KM_EINPUT},
        {"[[[[[[[[[[//]]]]]]]]]]\n", "]]]]]]]]]]", KM_EINPUT},
        {"[[[[[[[[[[/*/]]]]]]]]]]*/", "]]]]]]]]]]", KM_EINPUT},
        {"[[[[[[[[[[\"/*\",", "]]]]]]]]]]", KM_EINPUT},
        {"[[[[[[[[[[", "/*]]]]]]]]]]*/]]]]]]]]]]", KM_EINPUT},
        {"[/*[[[[[[[[[[*/", "]", KM_OK},
        {"[// [[[[[[[[[[\n", "]", KM_OK},
    };
    char *deep60 = nested(60, true, "[");
    for (size_t i = 0; i < sizeof(comments) / sizeof(comments[0]); i++) {
        char *doc = km_asprintf("%s%s%s", comments[i].head, deep60, comments[i].tail);
        struct km_err err = {""};
        yajl_val v = NULL;
        int rc = km_json_parse(doc, strlen(doc), &v, NULL, &err);
        assert_int_equal(rc, comments[i].rc);
        assert_true(rc == KM_OK ? v != NULL : strstr(err.msg, "nesting deeper") != NULL);
        km_json_free(v);
        free(doc);
    }
    free(deep60);

    /* a backslash ending a string must not hide the closing quote */
    char *deep = nested(65, true, "[");
    char *s = km_asprintf("[\"\\\\\",%s]", deep);
    struct km_err err = {""};
    yajl_val v = NULL;
    assert_int_equal(km_json_parse(s, strlen(s), &v, NULL, &err), KM_EINPUT);
    assert_string_equal(err.msg, "offset 69: nesting deeper than 64");
    free(s);
    free(deep);
}

static void test_utf8_repair(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t len;
        bool repaired;
        const char *text;
    } cases[] = {
        {BYTES("{\"text\":\"\xd0\x90\xd1\x81\xd1\x82\xd0\xb0\xd0\xbd\xd0\xb0\"}"), false,
         "\xd0\x90\xd1\x81\xd1\x82\xd0\xb0\xd0\xbd\xd0\xb0"},
        {BYTES("{\"text\":\"ab\xff\xfe"
               "cd\"}"),
         true,
         "ab\xef\xbf\xbd\xef\xbf\xbd"
         "cd"},
        {BYTES("{\"text\":\"\xd0\"}"), true, "\xef\xbf\xbd"},
        {BYTES("{\"text\":\"\xc0\xaf\"}"), true, "\xef\xbf\xbd\xef\xbf\xbd"}, /* overlong */
        {BYTES("{\"text\":\"\xed\xa0\x80\"}"), true, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
        {BYTES("{\"text\":\"a\x00"
               "b\"}"),
         true, "ab"},
        {BYTES("{\"text\":\"\\u0410\\ud83d\\ude92\"}"), false, "\xd0\x90\xf0\x9f\x9a\x92"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct km_err err = {""};
        yajl_val v = NULL;
        bool repaired = !cases[i].repaired;
        assert_int_equal(km_json_parse(cases[i].in, cases[i].len, &v, &repaired, &err), KM_OK);
        assert_int_equal(repaired, cases[i].repaired);
        assert_string_equal(km_json_str(v, "text"), cases[i].text);
        km_json_free(v);
    }
}

/* Lone surrogate escapes (found by fuzz_json: yajl decoded "\\ude00" to ED B8 80, which is
 * not UTF-8) become U+FFFD in strings and keys; pairs, U+D000..U+D7FF and an escaped
 * backslash before "udc00" are kept. */
static void test_surrogate_escapes(void **state)
{
    (void)state;
    static const struct {
        const char *in, *text;
    } cases[] = {
        {"{\"text\":\"\\ud10d\\ude00\"}", "\xed\x84\x8d\xef\xbf\xbd"},
        {"{\"text\":\"a\\uDFFFb\\udc00\"}", "a\xef\xbf\xbd"
                                            "b\xef\xbf\xbd"},
        {"{\"text\":\"\\ud83d\\ude00\\ud7ff\"}", "\xf0\x9f\x98\x80\xed\x9f\xbf"},
        {"{\"text\":\"\\\\udc00\"}", "\\udc00"},
        {"{\"text\":\"\\ud800x\"}", "?x"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct km_err err = {""};
        yajl_val v = NULL;
        assert_int_equal(km_json_parse(cases[i].in, strlen(cases[i].in), &v, NULL, &err), KM_OK);
        const char *text = km_json_str(v, "text");
        assert_non_null(text);
        assert_string_equal(text, cases[i].text);
        assert_true(km_utf8_valid(text, strlen(text), NULL));
        km_json_free(v);
    }
    static const char keyed[] = "[{\"\\udc00k\":[\"x\\udbff\\udfff\", \"\\udcba\"]}]";
    yajl_val v = NULL;
    struct km_err err = {""};
    assert_int_equal(km_json_parse(keyed, sizeof(keyed) - 1, &v, NULL, &err), KM_OK);
    yajl_val obj = v->u.array.values[0];
    assert_string_equal(obj->u.object.keys[0], "\xef\xbf\xbdk");
    yajl_val arr = obj->u.object.values[0];
    assert_string_equal(arr->u.array.values[0]->u.string, "x\xf4\x8f\xbf\xbf");
    assert_string_equal(arr->u.array.values[1]->u.string, "\xef\xbf\xbd");
    km_json_free(v);
}

static const char doc[] =
    "{\"update_id\":8812,\"message\":{\"message_id\":4711,\"date\":1795372861,"
    "\"chat\":{\"id\":-1001234567890,\"title\":\"\xd0\x90\xd1\x81\xd1\x82\xd0\xb0\xd0\xbd"
    "\xd0\xb0 109\",\"type\":\"supergroup\"},\"text\":\"#109 no water\",\"edited\":false,"
    "\"has_media\":true,\"views\":1.5,\"big\":123456789012345678901234567890,"
    "\"max\":9223372036854775807,\"neg\":-42,\"exp\":1e3,\"inf\":1e999,\"nil\":null,"
    "\"list\":[1,2]}}";

static void test_lookups(void **state)
{
    (void)state;
    struct km_err err = {""};
    yajl_val root = NULL;
    assert_int_equal(km_json_parse(doc, strlen(doc), &root, NULL, &err), KM_OK);
    yajl_val msg = km_json_get(root, "message", NULL);
    assert_true(YAJL_IS_OBJECT(msg));
    assert_ptr_equal(km_json_get(root, NULL), root);
    assert_string_equal(km_json_str(km_json_get(root, "message", "chat", NULL), "type"),
                        "supergroup");
    assert_null(km_json_get(root, "message", "nope", NULL));
    assert_null(km_json_get(root, "message", "text", "deeper", NULL));
    assert_null(km_json_get(NULL, "message", NULL));
    assert_null(km_json_str(msg, "message_id")); /* a number, not a string */
    assert_null(km_json_str(NULL, "text"));

    static const struct {
        const char *key;
        bool ok;
        int64_t v;
    } ints[] = {
        {"message_id", true, 4711}, {"max", true, INT64_MAX}, {"neg", true, -42},
        {"big", false, 0},          {"views", false, 0},      {"exp", false, 0},
        {"inf", false, 0},          {"text", false, 0},       {"nil", false, 0},
        {"list", false, 0},         {"absent", false, 0},
    };
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        int64_t v = 0;
        assert_int_equal(km_json_int(msg, ints[i].key, &v), ints[i].ok);
        assert_true(v == ints[i].v);
    }
    bool b = true;
    assert_true(km_json_bool(msg, "edited", &b));
    assert_false(b);
    assert_true(km_json_bool(msg, "has_media", &b));
    assert_true(b);
    assert_false(km_json_bool(msg, "nil", &b));
    assert_false(km_json_bool(msg, "text", &b));
    assert_true(b); /* untouched */
    km_json_free(root);
}

static void test_scalar_dup(void **state)
{
    (void)state;
    static const struct {
        const char *key;
        const char *want; /* NULL: absent */
    } cases[] = {
        {"message_id", "4711"}, {"big", "123456789012345678901234567890"},
        {"views", "1.5"},       {"exp", "1e3"},
        {"inf", "1e999"},       {"text", "#109 no water"},
        {"nil", NULL},          {"list", NULL},
        {"edited", NULL},       {"absent", NULL},
    };
    struct km_err err = {""};
    yajl_val root = NULL;
    assert_int_equal(km_json_parse(doc, strlen(doc), &root, NULL, &err), KM_OK);
    yajl_val msg = km_json_get(root, "message", NULL);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *s = km_json_scalar_dup(msg, cases[i].key);
        if (cases[i].want == NULL) {
            assert_null(s);
        } else {
            assert_string_equal(s, cases[i].want);
        }
        free(s);
    }
    char *chat_id = km_json_scalar_dup(km_json_get(msg, "chat", NULL), "id");
    assert_string_equal(chat_id, "-1001234567890");
    free(chat_id);
    km_json_free(root);
}

static void test_escape(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"", "\"\""},
        {"plain", "\"plain\""},
        {"say \"hi\"", "\"say \\\"hi\\\"\""},
        {"C:\\path", "\"C:\\\\path\""},
        {"a\nb\tc\r\x01\x1f", "\"a\\u000ab\\u0009c\\u000d\\u0001\\u001f\""},
        {"\xd2\x9b\xd0\xb0\xd0\xbb\xd0\xb0 \xf0\x9f\x9a\x92 /",
         "\"\xd2\x9b\xd0\xb0\xd0\xbb\xd0\xb0 \xf0\x9f\x9a\x92 /\""},
        {NULL, "null"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct km_buf b = KM_BUF_INIT;
        km_buf_puts(&b, "x=");
        km_json_escape(&b, cases[i].in);
        assert_int_equal(strncmp(b.data, "x=", 2), 0);
        assert_string_equal(b.data + 2, cases[i].out);
        /* the literal must read back as the same string */
        if (cases[i].in != NULL) {
            char *json = km_asprintf("{\"s\":%s}", b.data + 2);
            struct km_err err = {""};
            yajl_val v = NULL;
            assert_int_equal(km_json_parse(json, strlen(json), &v, NULL, &err), KM_OK);
            assert_string_equal(km_json_str(v, "s"), cases[i].in);
            km_json_free(v);
            free(json);
        }
        km_buf_free(&b);
    }
}

/* The example document of RFC 6901 section 5, plus nesting for multi-token pointers. */
static const char pointer_doc[] =
    "{\"foo\":[\"bar\",\"baz\"],\"\":0,\"a/b\":1,\"c%d\":2,\"e^f\":3,\"g|h\":4,"
    "\"i\\\\j\":5,\"k\\\"l\":6,\" \":7,\"m~n\":8,\"~1\":9,"
    "\"data\":{\"items\":[{\"user\":{\"name\":\"Айгуль\"}},[10,11,12,13,14,15,16,17,18,19,20]]}}";

static void test_pointer(void **state)
{
    (void)state;
    static const struct {
        const char *ptr;
        const char *want; /* string value, number as text, "{}" / "[]" for containers, NULL */
        bool valid;
    } cases[] = {
        {"", "{}", true},
        {"/foo", "[]", true},
        {"/foo/0", "bar", true},
        {"/foo/1", "baz", true},
        {"/", "0", true},
        {"/a~1b", "1", true},
        {"/c%d", "2", true},
        {"/e^f", "3", true},
        {"/g|h", "4", true},
        {"/i\\j", "5", true},
        {"/k\"l", "6", true},
        {"/ ", "7", true},
        {"/m~0n", "8", true},
        {"/~01", "9", true}, /* "~01" is "~1", not "/" (decoded left to right once) */
        {"/data/items/0/user/name", "Айгуль", true},
        {"/data/items/1/10", "20", true},
        {"/data/items/1/11", NULL, true},
        {"/foo/2", NULL, true},
        {"/foo/-", NULL, true},
        {"/foo/01", NULL, true},
        {"/foo/+1", NULL, true},
        {"/foo/-0", NULL, true},
        {"/foo/", NULL, true},
        {"/foo/18446744073709551616", NULL, true},
        {"/foo/0/x", NULL, true},
        {"/a/b", NULL, true},
        {"/nope", NULL, true},
        {"/data//items", NULL, true},
        {"foo", NULL, false},
        {"#/foo", NULL, false},
        {"/m~2n", NULL, false},
        {"/m~", NULL, false},
        {"/a~/b", NULL, false},
    };
    struct km_err err = {""};
    yajl_val root = NULL;
    assert_int_equal(km_json_parse(pointer_doc, strlen(pointer_doc), &root, NULL, &err), KM_OK);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(km_json_pointer_valid(cases[i].ptr), cases[i].valid);
        yajl_val v = km_json_pointer(root, cases[i].ptr);
        const char *got = NULL;
        if (YAJL_IS_STRING(v)) {
            got = v->u.string;
        } else if (YAJL_IS_NUMBER(v)) {
            got = YAJL_GET_NUMBER(v);
        } else if (v != NULL) {
            got = YAJL_IS_OBJECT(v) ? "{}" : YAJL_IS_ARRAY(v) ? "[]" : "?";
        }
        if (cases[i].want == NULL ? got != NULL : got == NULL || strcmp(got, cases[i].want) != 0) {
            fail_msg("case %zu '%s': got '%s'", i, cases[i].ptr, got != NULL ? got : "(null)");
        }
    }
    assert_ptr_equal(km_json_pointer(root, ""), root);
    assert_null(km_json_pointer(NULL, "/foo"));
    assert_null(km_json_pointer(NULL, ""));
    assert_null(km_json_pointer(root, NULL));
    assert_false(km_json_pointer_valid(NULL));
    km_json_free(root);
}

/* Times in mapped JSON: RFC 3339 or Unix seconds, anything else 0. */
static void test_time_ms(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        int64_t ms;
    } cases[] = {
        {"\"2026-11-22T18:41:01Z\"", 1795372861000LL},
        {"1795372861", 1795372861000LL},
        {"\"1795372861\"", 1795372861000LL},
        {"1795372861.5", 1795372861500LL},
        {"\"yesterday\"", 0},
        {"-5", 0},
        {"999999999999999", 0},
        {"null", 0},
        {"[1]", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        yajl_val v = NULL;
        struct km_err err = {{0}};
        assert_int_equal(km_json_parse(cases[i].json, strlen(cases[i].json), &v, NULL, &err),
                         KM_OK);
        assert_int_equal(km_json_time_ms(v), cases[i].ms);
        km_json_free(v);
    }
}

/* ---- events (no tree) ---------------------------------------------------------------- */

/* Appends each event to a km_buf as a short token: "{", "K(a)", "S(x)", "N(1)", "T", ... */
static void record_event(void *ctx, enum km_json_event ev, const char *text, size_t len)
{
    static const char *const marks[] = {"Z", "F", "T", "N(", "S(", "K(", "{", "}", "[", "]"};
    struct km_buf *b = ctx;
    km_buf_puts(b, marks[ev]);
    if (text != NULL) {
        km_buf_append(b, text, len);
        km_buf_putc(b, ')');
    }
    km_buf_putc(b, ' ');
}

static void test_events(void **state)
{
    (void)state;
    static const char events_doc[] = "/* c */{\"a\":[1,\"x\\u0000y\",true,false,null,{}],"
                                     "\"b\\udc00\":-1.5e3,\"c\":\"\xd0\x96\xff\",\"d\":[[]]}";
    struct km_buf b = KM_BUF_INIT;
    struct km_err err = {""};
    assert_int_equal(km_json_parse_events(BYTES(events_doc), record_event, &b, &err), KM_OK);
    assert_string_equal(b.data, "{ K(a) [ N(1) S(x) T F Z { } ] K(b\xef\xbf\xbd) N(-1.5e3) "
                                "K(c) S(\xd0\x96\xef\xbf\xbd) K(d) [ [ ] ] } ");
    km_buf_free(&b);
}

/* The same documents accepted, the same errors word for word, as km_json_parse(). */
static void test_events_as_tree(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t len;
    } cases[] = {
        {BYTES("")},
        {BYTES("{\"a\":")},
        {BYTES("[1,2,x]")},
        {BYTES("{\"ok\":true} 3")},
        {BYTES("{\"t\":\"\xff\", x}")},
        {BYTES("{\"t\":\"\x00\", x}")},
        {BYTES("{\"t\":\"a\x00\x00\"}")},
        {BYTES("\x00\x00")},
        {BYTES("{\"a\":1}}[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[")},
        {BYTES("{\"a\":[1]} // [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[")},
        {BYTES("\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"")},
        {BYTES("\xef\xbb\xbf{}")},
        {BYTES("{\"a\":1,}")},
        {BYTES("  ")},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]) + 4; i++) {
        char *deep =
            i >= sizeof(cases) / sizeof(cases[0])
                ? nested(KM_JSON_MAX_DEPTH - 1 + i % 4, i % 2 == 0, i % 4 < 2 ? "[" : "{\"a\":")
                : NULL;
        const char *in = deep != NULL ? deep : cases[i].in;
        size_t len = deep != NULL ? strlen(deep) : cases[i].len;
        struct km_err want = {""}, got = {""};
        struct km_buf b = KM_BUF_INIT;
        yajl_val v = NULL;
        int rc = km_json_parse(in, len, &v, NULL, &want);
        assert_int_equal(km_json_parse_events(in, len, record_event, &b, &got), rc);
        assert_string_equal(got.msg, want.msg);
        km_json_free(v);
        km_buf_free(&b);
        free(deep);
    }
}

/* Numbers read as a tree reads them: integers within +-INT64_MAX, doubles without a range
 * error. */
static void test_number_readers(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        bool is_int;
        int64_t i;
        bool is_double;
        double d;
    } cases[] = {
        {"0", true, 0, true, 0},
        {"-0", true, 0, true, 0},
        {"42", true, 42, true, 42},
        {"-7", true, -7, true, -7},
        {"9223372036854775807", true, INT64_MAX, true, 9223372036854775807.0},
        {"-9223372036854775807", true, -INT64_MAX, true, -9223372036854775807.0},
        {"9223372036854775808", false, 0, true, 9223372036854775808.0},
        {"-9223372036854775808", false, 0, true, -9223372036854775808.0},
        {"1.5", false, 0, true, 1.5},
        {"1e2", false, 0, true, 100},
        {"1e400", false, 0, false, 0},
        {"1e-400", false, 0, false, 0},
        {"51.12820000000000000000000000000000000000000000000000000000000000001", false, 0, true,
         51.1282},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t n = 12345;
        double d = 0.25;
        size_t len = strlen(cases[i].text);
        assert_int_equal(km_json_number_int(cases[i].text, len, &n), cases[i].is_int);
        assert_true(n == (cases[i].is_int ? cases[i].i : 12345));
        assert_int_equal(km_json_number_double(cases[i].text, len, &d), cases[i].is_double);
        assert_true(d == (cases[i].is_double ? cases[i].d : 0.25));
    }
}

/* yajl_gen's escaping: short escapes, other control characters in upper-case hex, '/' and
 * DEL as they are; runs longer than eight bytes around every kind of escape. */
static void test_escape_gen(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"", "\"\""},
        {"a\x01\x1f\b\f\n\r\t\"\\/\x7f\xc3\xa9",
         "\"a\\u0001\\u001F\\b\\f\\n\\r\\t\\\"\\\\/\x7f\xc3\xa9\""},
        {"0123456789abcdef\"0123456789abcdef", "\"0123456789abcdef\\\"0123456789abcdef\""},
        {"01234567\n", "\"01234567\\n\""},
        {"\x1b"
         "0123456789",
         "\"\\u001B0123456789\""},
        {"\xd0\x90\xd1\x81\xd1\x82\xd0\xb0\xd0\xbd\xd0\xb0 109 \\ \xf0\x9f\x9a\xa7",
         "\"\xd0\x90\xd1\x81\xd1\x82\xd0\xb0\xd0\xbd\xd0\xb0 109 \\\\ \xf0\x9f\x9a\xa7\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct km_buf b = KM_BUF_INIT;
        km_json_escape_gen(&b, cases[i].in, strlen(cases[i].in));
        assert_string_equal(b.data, cases[i].out);
        km_buf_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_errors),   cmocka_unit_test(test_depth),
        cmocka_unit_test(test_depth_strings),  cmocka_unit_test(test_utf8_repair),
        cmocka_unit_test(test_lookups),        cmocka_unit_test(test_scalar_dup),
        cmocka_unit_test(test_escape),         cmocka_unit_test(test_pointer),
        cmocka_unit_test(test_time_ms),        cmocka_unit_test(test_surrogate_escapes),
        cmocka_unit_test(test_events),         cmocka_unit_test(test_events_as_tree),
        cmocka_unit_test(test_number_readers), cmocka_unit_test(test_escape_gen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
