/* Tests of queue/claims.c against a real redis-server (KM_REDIS_URL, set by
 * test/integration/test_desk_api.sh or test_modules.sh; without it every test is skipped).
 * Each test uses its own namespace. Lease expiry is observed with a lease of a few
 * milliseconds and a bounded wait for Redis to drop the key (no fixed sleeps). */
#include "common/alloc.h"
#include "common/err.h"
#include "common/time.h"
#include "queue/claims.h"
#include "queue/queue.h"

#include <hiredis/hiredis.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

/* Longest wait for Redis to expire a lease of a few ms (it checks keys on access). */
#define WAIT_LIMIT_MS 3000

static int counter;

static int setup(void **state)
{
    const char *url = getenv("KM_REDIS_URL");
    *state = NULL;
    if (url == NULL) {
        return 0;
    }
    char ns[64];
    snprintf(ns, sizeof(ns), "claims%d_%d", (int)getpid(), ++counter);
    struct km_queue_opts o = {.url = url, .ns = ns, .timeout_ms = 2000};
    struct km_queue *q = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_queue_new(&o, &q, &err), KM_OK);
    *state = q;
    return 0;
}

static int teardown(void **state)
{
    km_queue_free(*state);
    return 0;
}

static struct km_queue *get_q(void **state)
{
    if (*state == NULL) {
        skip();
    }
    return *state;
}

/* The types of {ns}:desk entries, space-separated, via a second connection. */
static void desk_types(struct km_queue *q, char *out, size_t size)
{
    char *key = km_claim_desk_key(q);
    const char *port = getenv("KM_REDIS_PORT");
    redisContext *c = redisConnect("127.0.0.1", port != NULL ? atoi(port) : 6379);
    assert_non_null(c);
    assert_int_equal(c->err, 0);
    redisReply *r = redisCommand(c, "XRANGE %s - +", key);
    assert_non_null(r);
    out[0] = '\0';
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        const redisReply *f = r->element[i]->element[1];
        for (size_t j = 0; j + 1 < f->elements; j += 2) {
            if (strcmp(f->element[j]->str, "type") == 0) {
                snprintf(out + strlen(out), size - strlen(out), "%s%s", out[0] ? " " : "",
                         f->element[j + 1]->str);
            }
        }
    }
    freeReplyObject(r);
    redisFree(c);
    free(key);
}

/* Waits (bounded) until nobody holds item. */
static void wait_unheld(struct km_queue *q, const char *item)
{
    struct km_claim c;
    struct km_err err = {{0}};
    int64_t until = km_time_mono_ms() + WAIT_LIMIT_MS;
    do {
        assert_int_equal(km_claim_get(q, &item, 1, &c, &err), KM_OK);
        if (c.login[0] == '\0') {
            return;
        }
        nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
    } while (km_time_mono_ms() < until);
    fail_msg("lease of %s did not expire", item);
}

static void test_take_conflict_release(void **state)
{
    struct km_queue *q = get_q(state);
    struct km_claim c, held;
    struct km_err err = {{0}};
    const char *item = "telegram:-100:42";
    int64_t before = km_time_now_ms();
    assert_int_equal(km_claim_take(q, item, "aigerim", 60000, &c, &err), KM_OK);
    assert_string_equal(c.login, "aigerim");
    assert_true(c.expires_ms >= before + 60000);
    assert_int_equal(km_claim_take(q, item, "bolat", 60000, &c, &err), KM_OK);
    assert_string_equal(c.login, "aigerim"); /* the other operator does not get it */
    assert_true(c.expires_ms > before);
    assert_int_equal(km_claim_take(q, item, "aigerim", 120000, &c, &err), KM_OK);
    assert_string_equal(c.login, "aigerim"); /* renewed, with the longer lease */
    assert_true(c.expires_ms >= before + 120000);
    assert_int_equal(km_claim_release(q, item, "bolat", &held, &err), KM_OK);
    assert_string_equal(held.login, "aigerim"); /* not bolat's to release */
    assert_int_equal(km_claim_release(q, item, "aigerim", &held, &err), KM_OK);
    assert_string_equal(held.login, "");
    assert_int_equal(km_claim_get(q, &item, 1, &c, &err), KM_OK);
    assert_string_equal(c.login, "");
    assert_int_equal(c.expires_ms, 0);
    char types[256];
    desk_types(q, types, sizeof(types));
    assert_string_equal(types, "claim claim release");
}

static void test_get_many(void **state)
{
    struct km_queue *q = get_q(state);
    struct km_claim c[3];
    struct km_err err = {{0}};
    const char *items[3] = {"rss:a", "rss:b", "rss:c"};
    assert_int_equal(km_claim_take(q, "rss:b", "bolat", 60000, &c[0], &err), KM_OK);
    assert_int_equal(km_claim_take(q, "rss:c", "aigerim", 60000, &c[0], &err), KM_OK);
    assert_int_equal(km_claim_get(q, items, 3, c, &err), KM_OK);
    assert_string_equal(c[0].login, "");
    assert_string_equal(c[1].login, "bolat");
    assert_string_equal(c[2].login, "aigerim");
    assert_true(c[1].expires_ms > km_time_now_ms());
    assert_int_equal(km_claim_get(q, items, 0, c, &err), KM_OK); /* nothing asked */
}

static void test_expiry_announced_once(void **state)
{
    struct km_queue *q = get_q(state);
    struct km_claim c;
    struct km_err err = {{0}};
    size_t n = 99;
    const char *item = "vk:1_2";
    assert_int_equal(km_claim_take(q, item, "aigerim", 5, &c, &err), KM_OK);
    wait_unheld(q, item);
    assert_int_equal(km_claim_sweep(q, &n, &err), KM_OK);
    assert_int_equal(n, 1);
    assert_int_equal(km_claim_sweep(q, &n, &err), KM_OK);
    assert_int_equal(n, 0); /* announced once */
    assert_int_equal(km_claim_take(q, item, "bolat", 60000, &c, &err), KM_OK);
    assert_string_equal(c.login, "bolat"); /* back for anyone */
    char types[256];
    desk_types(q, types, sizeof(types));
    assert_string_equal(types, "claim expire claim");
}

static void test_expiry_after_another_took_it(void **state)
{
    struct km_queue *q = get_q(state);
    struct km_claim c;
    struct km_err err = {{0}};
    size_t n = 0;
    const char *item = "mastodon:https://x/1";
    assert_int_equal(km_claim_take(q, item, "aigerim", 5, &c, &err), KM_OK);
    wait_unheld(q, item);
    assert_int_equal(km_claim_take(q, item, "bolat", 60000, &c, &err), KM_OK);
    assert_string_equal(c.login, "bolat");
    assert_int_equal(km_claim_sweep(q, &n, &err), KM_OK);
    assert_int_equal(n, 1); /* aigerim's lapsed lease, not bolat's live one */
    assert_int_equal(km_claim_get(q, &item, 1, &c, &err), KM_OK);
    assert_string_equal(c.login, "bolat");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_take_conflict_release, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_many, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiry_announced_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiry_after_another_took_it, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
