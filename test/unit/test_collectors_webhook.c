/* Unit tests for collectors/webhook.c (type = webhook): config checks, the HMAC-SHA256
 * signature, normalised posts (one or an array) and JSON Pointer mapping (no network). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collectors/collector.h"
#include "common/hmac.h"
#include "test/unit/collectors_test.h"

extern const struct km_collector km_collector_webhook;
#define WH (&km_collector_webhook)

#define SECRET "0123456789abcdef-portal"
#define SIG    "X-Hub-Signature-256"

static const char *const wh_kv[] = {"type", "webhook", "secret", SECRET, NULL};
static const char *const map_kv[] = {"type",           "webhook",    "secret",    SECRET,  "items",
                                     "/data/requests", "id",         "/number",   "text",  "/body",
                                     "author",         "/user/name", "url_field", "/link", NULL};

/* "sha256=<hex>" of body under key, into sig (8 + 64 + 1 bytes). */
static void sign(const char *key, const char *body, size_t len, char *sig)
{
    unsigned char mac[KM_SHA256_LEN];
    assert_true(km_hmac_sha256(key, strlen(key), body, len, mac));
    strcpy(sig, "sha256=");
    for (size_t i = 0; i < KM_SHA256_LEN; i++) {
        snprintf(sig + 7 + 2 * i, 3, "%02x", mac[i]);
    }
}

/* consume() of a fixture ('=' for a literal) signed with key (NULL: no signature header). */
static int consume_signed(void *st, const char *path, const char *key, struct km_post_batch *out,
                          struct km_err *err)
{
    struct ct_resp r;
    ct_resp_init(&r, 200, path, NULL);
    char sig[80];
    if (key != NULL) {
        sign(key, r.body, r.resp.body_len, sig);
        r.headers[0].name = (char *)SIG;
        r.headers[0].value = sig;
        r.resp.n_headers = 1;
    }
    char *cursor = NULL;
    memset(err, 0, sizeof(*err));
    int rc = WH->consume(st, &r.resp, out, &cursor, err);
    assert_null(cursor);
    ct_resp_free(&r);
    return rc;
}

static void test_descriptor(void **state)
{
    (void)state;
    assert_ptr_equal(km_collector_find("webhook"), WH);
    assert_null(WH->next_request);
    static const char *const names[] = {
        "secret", "signature_header", "network", "items",     "id",
        "text",   "created_at",       "author",  "url_field", "tags"};
    size_t n = 0;
    for (const struct km_conf_key *k = WH->keys; k->name != NULL; k++, n++) {
        assert_true(n < sizeof(names) / sizeof(names[0]));
        assert_string_equal(k->name, names[n]);
        assert_non_null(k->help);
    }
    assert_int_equal(n, sizeof(names) / sizeof(names[0]));
    assert_int_equal(WH->keys[0].flags, KM_CONF_REQUIRED | KM_CONF_SECRET);
}

static void test_create_errors(void **state)
{
    (void)state;
    static const struct {
        const char *key, *value;
        const char *msg;
    } cases[] = {
        {"secret", "short", "komek.conf:3: webhook/city109: secret must be at least 16"},
        {"signature_header", "X Sig", "komek.conf:4: webhook/city109: signature_header must"},
        {"signature_header", "", "komek.conf:4: webhook/city109: signature_header must"},
        {"network", "Portal", "komek.conf:4: webhook/city109: network must be 1-32"},
        {"id", "number", "komek.conf:4: webhook/city109: id: 'number' is not a JSON Pointer"},
        {"text", "/body", "komek.conf:1: webhook/city109: mapping needs both id and text: set id"},
        {"id", "/n", "komek.conf:1: webhook/city109: mapping needs both id and text: set text"},
        {"tags", "/a/~2", "komek.conf:4: webhook/city109: tags: '/a/~2' is not a JSON Pointer"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool secret = strcmp(cases[i].key, "secret") == 0;
        const char *kv[] = {"type",
                            "webhook",
                            "secret",
                            secret ? cases[i].value : SECRET,
                            secret ? NULL : cases[i].key,
                            cases[i].value,
                            NULL};
        struct ct_section s;
        ct_section_init(&s, WH, kv);
        void *st = (void *)&s;
        struct km_err err = {{0}};
        assert_int_equal(WH->create(&s.sec, &st, &err), KM_EINPUT);
        assert_null(st);
        if (!ct_starts(err.msg, cases[i].msg)) {
            fail_msg("case %zu: '%s'", i, err.msg);
        }
    }
    WH->destroy(NULL);
}

/* The signature is checked before anything else; a refusal is KM_ERR (answered 401). */
static void test_signature(void **state)
{
    (void)state;
    static const struct {
        const char *key; /* NULL: no header */
        int rc;
        const char *msg;
    } cases[] = {
        {SECRET, KM_OK, ""},
        {NULL, KM_ERR, "webhook/city109: no X-Hub-Signature-256 header"},
        {SECRET "x", KM_ERR, "webhook/city109: X-Hub-Signature-256 is not sha256="},
        {"0123456789abcdef-portaL", KM_ERR, "webhook/city109: X-Hub-Signature-256 is not"},
    };
    void *st = ct_create(WH, wh_kv);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct km_post_batch out;
        km_post_batch_init(&out);
        struct km_err err;
        int rc = consume_signed(st, "webhook/post.json", cases[i].key, &out, &err);
        if (rc != cases[i].rc || !ct_starts(err.msg, cases[i].msg)) {
            fail_msg("case %zu: rc %d '%s'", i, rc, err.msg);
        }
        assert_int_equal(out.n, rc == KM_OK ? 1 : 0);
        assert_null(strstr(err.msg, SECRET));
        km_post_batch_free(&out);
    }
    WH->destroy(st);
    /* Another header name, and a body changed after signing. */
    const char *kv[] = {"type",        "webhook", "secret", SECRET, "signature_header",
                        "X-Signature", NULL};
    st = ct_create(WH, kv);
    struct ct_resp r;
    ct_resp_init(&r, 200, "webhook/post.json", NULL);
    char sig[80];
    sign(SECRET, r.body, r.resp.body_len, sig);
    r.headers[0].name = (char *)"x-signature";
    r.headers[0].value = sig;
    r.resp.n_headers = 1;
    struct km_post_batch out;
    km_post_batch_init(&out);
    char *cursor = NULL;
    struct km_err err = {{0}};
    assert_int_equal(WH->consume(st, &r.resp, &out, &cursor, &err), KM_OK);
    assert_int_equal(out.n, 1);
    km_post_batch_clear(&out);
    r.body[10] ^= 1;
    assert_int_equal(WH->consume(st, &r.resp, &out, &cursor, &err), KM_ERR);
    assert_int_equal(out.n, 0);
    km_post_batch_free(&out);
    ct_resp_free(&r);
    WH->destroy(st);
}

static void test_normalised(void **state)
{
    (void)state;
    void *st = ct_create(WH, wh_kv);
    struct km_post_batch out;
    km_post_batch_init(&out);
    struct km_err err;
    assert_int_equal(consume_signed(st, "webhook/post.json", SECRET, &out, &err), KM_OK);
    assert_int_equal(out.n, 1);
    const struct km_post *p = out.posts[0];
    assert_string_equal(p->network, "portal");
    assert_string_equal(p->source, "city109");
    assert_string_equal(p->id, "req-2026-0042");
    assert_string_equal(p->url, "https://portal.example.kz/req/42");
    assert_string_equal(p->author.name, "Ержан");
    assert_int_equal(p->collected_at, CT_NOW_MS);
    const char *tags1[] = {"астана", "109", NULL};
    ct_assert_tags(p, tags1);
    km_post_batch_clear(&out);

    /* An array, with brackets, braces, commas and quotes inside strings. */
    assert_int_equal(consume_signed(st, "webhook/posts.json", SECRET, &out, &err), KM_OK);
    assert_int_equal(out.n, 2);
    assert_string_equal(out.posts[0]->id, "req-43");
    assert_string_equal(out.posts[0]->text, "Яма на дороге, \"Кабанбай батыра\" [фото] {1} #109");
    const char *media[] = {"https://portal.example.kz/m/1.jpg", NULL};
    ct_assert_media(out.posts[0], media);
    assert_string_equal(out.posts[1]->id, "44");
    assert_int_equal(out.posts[1]->collected_at, 1795372800000LL); /* as sent */
    const char *tags2[] = {"ikomek", NULL};
    ct_assert_tags(out.posts[1], tags2);
    km_post_batch_clear(&out);

    /* Hashtags are also taken from the text when the sender lists none. */
    assert_int_equal(consume_signed(st, "={\"network\":\"p\",\"id\":\"1\",\"text\":\"#Астана\"}",
                                    SECRET, &out, &err),
                     KM_OK);
    const char *tags3[] = {"астана", NULL};
    ct_assert_tags(out.posts[0], tags3);
    km_post_batch_clear(&out);

    assert_int_equal(consume_signed(st, "= [ ] ", SECRET, &out, &err), KM_OK);
    assert_int_equal(out.n, 0);
    km_post_batch_free(&out);
    WH->destroy(st);
}

/* A payload is refused whole (KM_EINPUT, answered 400) with a located error. */
static void test_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        const char *msg;
    } cases[] = {
        {"={\"network\":\"p\",\"id\":1,", "webhook/city109: offset "},
        {"=not json", "webhook/city109: offset "},
        {"=", "webhook/city109: empty body"},
        {"=\"text\"", "webhook/city109: body is neither a post nor an array of posts"},
        {"={\"id\":\"1\",\"text\":\"x\"}", "webhook/city109: "},
        {"=[{\"network\":\"p\",\"id\":\"1\",\"text\":\"#109\"},{\"network\":\"p\",\"text\":\"x\"}]",
         "webhook/city109: item #1: "},
        {"=[{\"network\":\"p\",\"id\":\"1\",\"text\":\"#109\"},7]", "webhook/city109: item #1: "},
        {"telegram/deep_nesting.json", "webhook/city109: "},
    };
    void *st = ct_create(WH, wh_kv);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct km_post_batch out;
        km_post_batch_init(&out);
        struct km_err err;
        int rc = consume_signed(st, cases[i].body, SECRET, &out, &err);
        if (rc != KM_EINPUT || !ct_starts(err.msg, cases[i].msg)) {
            fail_msg("case %zu: rc %d '%s'", i, rc, err.msg);
        }
        assert_int_equal(out.n, 0); /* all or nothing */
        km_post_batch_free(&out);
    }
    WH->destroy(st);
}

static void test_mapped(void **state)
{
    (void)state;
    const char *kv[32];
    size_t n = 0;
    for (; map_kv[n] != NULL; n++) {
        kv[n] = map_kv[n];
    }
    kv[n] = NULL;
    void *st = ct_create(WH, kv);
    struct km_post_batch out;
    km_post_batch_init(&out);
    struct km_err err;
    assert_int_equal(consume_signed(st, "webhook/portal.json", SECRET, &out, &err), KM_OK);
    assert_int_equal(out.n, 2);
    const struct km_post *p = out.posts[0];
    assert_string_equal(p->network, "webhook");
    assert_string_equal(p->source, "city109");
    assert_string_equal(p->id, "9001");
    assert_string_equal(p->author.name, "Айжан");
    assert_string_equal(p->url, "https://portal.example.kz/r/9001");
    assert_int_equal(p->created_at, 0); /* created_at is not mapped here */
    const char *tags1[] = {"астана", NULL};
    ct_assert_tags(p, tags1);
    assert_string_equal(out.posts[1]->id, "9002");
    assert_null(out.posts[1]->url);
    km_post_batch_clear(&out);
    /* An item without text refuses the whole payload. */
    assert_int_equal(consume_signed(st,
                                    "={\"data\":{\"requests\":[{\"number\":1,\"body\":\"a\"},"
                                    "{\"number\":2}]}}",
                                    SECRET, &out, &err),
                     KM_EINPUT);
    assert_string_equal(err.msg, "webhook/city109: item #1: no text at '/body'");
    assert_int_equal(out.n, 0);
    assert_int_equal(consume_signed(st, "={\"data\":{}}", SECRET, &out, &err), KM_EINPUT);
    assert_string_equal(err.msg, "webhook/city109: items: '/data/requests' is not in the body");
    km_post_batch_free(&out);
    WH->destroy(st);

    /* One object as the item, with network, time and tag mapping. */
    const char *kv2[] = {"type",       "webhook", "secret",  SECRET,    "network",
                         "portal",     "id",      "/number", "text",    "/body",
                         "created_at", "/ts",     "tags",    "/labels", NULL};
    st = ct_create(WH, kv2);
    assert_int_equal(
        consume_signed(st,
                       "={\"number\":9001,\"body\":\"x\",\"ts\":1795372861,\"labels\":[\"Астана\","
                       "\"ЖКХ\",3]}",
                       SECRET, &out, &err),
        KM_OK);
    assert_int_equal(out.n, 1);
    assert_string_equal(out.posts[0]->network, "portal");
    assert_int_equal(out.posts[0]->created_at, 1795372861000LL);
    const char *tags2[] = {"астана", "жкх", NULL};
    ct_assert_tags(out.posts[0], tags2);
    km_post_batch_clear(&out);
    assert_int_equal(
        consume_signed(st, "={\"number\":1,\"body\":\"x\",\"ts\":\"2026-11-22T18:41:01Z\"}", SECRET,
                       &out, &err),
        KM_OK);
    assert_int_equal(out.posts[0]->created_at, CT_NOW_MS);
    km_post_batch_free(&out);
    WH->destroy(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptor), cmocka_unit_test(test_create_errors),
        cmocka_unit_test(test_signature),  cmocka_unit_test(test_normalised),
        cmocka_unit_test(test_malformed),  cmocka_unit_test(test_mapped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
