/* Unit tests for the telegram_webhook collector (collectors/telegram.c): its keys, the
 * secret_token rule, and consume() of one POSTed Update (no network). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collectors/collector.h"
#include "test/unit/collectors_test.h"

extern const struct km_collector km_collector_telegram_webhook;
#define TGW (&km_collector_telegram_webhook)

#define SECRET "s3cret_Token-109"
#define HDR    "X-Telegram-Bot-Api-Secret-Token"

static const char *const tgw_kv[] = {"type", "telegram_webhook", "secret_token", SECRET, NULL};

static void test_descriptor(void **state)
{
    (void)state;
    assert_ptr_equal(km_collector_find("telegram_webhook"), TGW);
    assert_null(TGW->next_request); /* a push type: never polled */
    assert_non_null(TGW->consume);
    const struct km_conf_key *k = TGW->keys;
    assert_string_equal(k[0].name, "secret_token");
    assert_int_equal(k[0].flags, KM_CONF_REQUIRED | KM_CONF_SECRET);
    assert_null(k[1].name);
}

static void test_create_secret(void **state)
{
    (void)state;
    char longest[258];
    memset(longest, 'a', 256);
    longest[256] = '\0';
    char too_long[258];
    memset(too_long, 'a', 257);
    too_long[257] = '\0';
    static const struct {
        const char *secret;
        bool ok;
    } cases[] = {
        {SECRET, true},        {"a", true},           {"A-Z_a-z_0-9", true}, {"", false},
        {"with space", false}, {"semi;colon", false}, {"тайна", false},      {"a\nb", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]) + 2; i++) {
        size_t n = sizeof(cases) / sizeof(cases[0]);
        const char *secret = i < n ? cases[i].secret : i == n ? longest : too_long;
        bool ok = i < n ? cases[i].ok : i == n;
        const char *kv[] = {"type", "telegram_webhook", "secret_token", secret, NULL};
        struct ct_section s;
        ct_section_init(&s, TGW, kv);
        void *st = NULL;
        struct km_err err = {{0}};
        int rc = TGW->create(&s.sec, &st, &err);
        if (rc != (ok ? KM_OK : KM_EINPUT)) {
            fail_msg("case %zu: rc %d '%s'", i, rc, err.msg);
        }
        if (!ok) {
            assert_null(st);
            assert_true(ct_starts(err.msg, "komek.conf:3: telegram_webhook/city109: secret_token "
                                           "must be 1-256 characters"));
        }
        TGW->destroy(st);
    }
}

static void test_consume_update(void **state)
{
    (void)state;
    void *st = ct_create(TGW, tgw_kv);
    struct km_post_batch out;
    km_post_batch_init(&out);
    char *cursor = NULL;
    struct km_err err;
    /* The header name is matched case-insensitively, as HTTP wants. */
    const char *hdr[] = {"x-telegram-bot-api-secret-token", SECRET, NULL};
    int rc = ct_consume(TGW, st, 200, "telegram/webhook_update.json", hdr, &out, &cursor, &err);
    assert_int_equal(rc, KM_OK);
    assert_null(cursor); /* nothing to confirm: Telegram takes the 200 as the confirmation */
    assert_int_equal(out.n, 1);
    assert_int_equal(out.skipped, 0);
    const struct km_post *p = out.posts[0];
    assert_string_equal(p->network, "telegram");
    assert_string_equal(p->source, "city109");
    assert_string_equal(p->id, "-1001234567890:4711"); /* the same id polling would give */
    assert_string_equal(p->url, "https://t.me/astana109chat/4711");
    assert_string_equal(p->author.handle, "aigerim_s");
    assert_string_equal(p->author.name, "Айгерим Садыкова");
    assert_int_equal(p->created_at, 1795372861000LL);
    assert_int_equal(p->collected_at, CT_NOW_MS);
    const char *tags[] = {"астана", "жкх", "109", NULL};
    ct_assert_tags(p, tags);
    km_post_batch_free(&out);
    TGW->destroy(st);
}

/* Anything but the exact secret is refused (KM_ERR, answered 401) before the body is read. */
static void test_consume_refused(void **state)
{
    (void)state;
    static const struct {
        const char *name; /* NULL: no header */
        const char *value;
        const char *body;
        int rc;
        const char *msg;
    } cases[] = {
        {NULL, NULL, "telegram/webhook_update.json", KM_ERR,
         "telegram_webhook/city109: no " HDR " header"},
        {HDR, "s3cret_Token-10", "telegram/webhook_update.json", KM_ERR,
         "telegram_webhook/city109: wrong " HDR " header"},
        {HDR, SECRET "9", "telegram/webhook_update.json", KM_ERR,
         "telegram_webhook/city109: wrong " HDR " header"},
        {HDR, "S3CRET_TOKEN-109", "telegram/webhook_update.json", KM_ERR,
         "telegram_webhook/city109: wrong " HDR " header"},
        {HDR, "", "telegram/webhook_update.json", KM_ERR,
         "telegram_webhook/city109: wrong " HDR " header"},
        {"X-Telegram-Bot-Api-Secret", SECRET, "telegram/webhook_update.json", KM_ERR,
         "telegram_webhook/city109: no " HDR " header"},
        /* Malformed payloads are refused with a located error (answered 400). */
        {HDR, SECRET, "={\"update_id\": 1, \"message\": ", KM_EINPUT,
         "telegram_webhook/city109: offset "},
        {HDR, SECRET, "telegram/truncated.json", KM_EINPUT, "telegram_webhook/city109: offset "},
        {HDR, SECRET, "=[]", KM_EINPUT, "telegram_webhook/city109: not a Telegram Update"},
        {HDR, SECRET, "={\"message\":{}}", KM_EINPUT,
         "telegram_webhook/city109: not a Telegram Update"},
        {HDR, SECRET, "telegram/deep_nesting.json", KM_EINPUT, "telegram_webhook/city109: "},
    };
    void *st = ct_create(TGW, tgw_kv);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *hdr[] = {cases[i].name, cases[i].value, NULL};
        struct km_post_batch out;
        km_post_batch_init(&out);
        char *cursor = NULL;
        struct km_err err;
        int rc = ct_consume(TGW, st, 200, cases[i].body, hdr, &out, &cursor, &err);
        if (rc != cases[i].rc || !ct_starts(err.msg, cases[i].msg)) {
            fail_msg("case %zu: rc %d '%s'", i, rc, err.msg);
        }
        assert_null(strstr(err.msg, SECRET)); /* the secret is never echoed */
        assert_int_equal(out.n, 0);
        assert_null(cursor);
        km_post_batch_free(&out);
    }
    TGW->destroy(st);
}

/* Updates that carry no post are accepted (Telegram must not repeat them), malformed
 * messages are counted as skipped. */
static void test_consume_no_post(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        unsigned skipped;
    } cases[] = {
        {"={\"update_id\":5,\"my_chat_member\":{\"chat\":{\"id\":1}}}", 0},
        {"={\"update_id\":6,\"callback_query\":{\"id\":\"x\"}}", 0},
        {"={\"update_id\":7,\"message\":{\"message_id\":1,\"text\":\"#109 no chat\"}}", 1},
        {"={\"update_id\":8,\"message\":{\"chat\":{\"id\":5},\"text\":\"#109\"}}", 1},
    };
    void *st = ct_create(TGW, tgw_kv);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *hdr[] = {HDR, SECRET, NULL};
        struct km_post_batch out;
        km_post_batch_init(&out);
        char *cursor = NULL;
        struct km_err err;
        int rc = ct_consume(TGW, st, 200, cases[i].body, hdr, &out, &cursor, &err);
        if (rc != KM_OK || out.n != 0 || out.skipped != cases[i].skipped) {
            fail_msg("case %zu: rc %d, %zu posts, %u skipped '%s'", i, rc, out.n, out.skipped,
                     err.msg);
        }
        km_post_batch_free(&out);
    }
    TGW->destroy(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptor),      cmocka_unit_test(test_create_secret),
        cmocka_unit_test(test_consume_update),  cmocka_unit_test(test_consume_refused),
        cmocka_unit_test(test_consume_no_post),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
