/* Tests of app/commit.c (the commit path: filter, triage with the dedup window, stream,
 * escalations) against a real redis-server. test/integration/test_modules.sh starts one
 * (lib.sh) and sets KM_REDIS_URL and KM_REDIS_PORT; without them the tests are skipped. */
#include "app/commit.h"
#include "app/setup.h"
#include "app/watch.h"
#include "common/alloc.h"
#include "common/err.h"
#include "parser/hashtag.h"
#include "parser/post.h"
#include "queue/queue.h"

#include <hiredis/hiredis.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static const char TEXT[] =
    "Пушкина 166 — подтопило всю улицу, талая вода по колено, машины глохнут #109";

struct fx {
    char conf[64];
    struct km_config *cfg;
    struct km_watch *watch;
    struct km_queue *q;
    struct km_committer *c;
    redisContext *raw;
};

static int fx_setup(void **state)
{
    *state = NULL;
    const char *url = getenv("KM_REDIS_URL"), *port = getenv("KM_REDIS_PORT");
    if (url == NULL || port == NULL) {
        return 0;
    }
    struct fx *f = km_calloc(1, sizeof(*f));
    snprintf(f->conf, sizeof(f->conf), "/tmp/km-commit-%d.conf", (int)getpid());
    FILE *out = fopen(f->conf, "w");
    assert_non_null(out);
    char cwd[512];
    assert_non_null(getcwd(cwd, sizeof(cwd))); /* paths in a config are relative to it */
    fprintf(out,
            "[komek]\nredis = %s\nnamespace = c%d\ntags = %s/etc/tags.list\n"
            "lexicon = %s/etc/lexicon\nrouting = %s/etc/routing.conf\nmetrics_listen = off\n",
            url, (int)getpid(), cwd, cwd, cwd);
    fclose(out);
    struct km_err err = {{0}};
    assert_int_equal(km_app_load_config(f->conf, &f->cfg, &err), KM_OK);
    assert_int_equal(km_watch_load(f->cfg, &f->watch), KM_OK);
    struct km_queue_opts qo;
    km_app_queue_opts(f->cfg, &qo);
    assert_int_equal(km_queue_new(&qo, &f->q, &err), KM_OK);
    assert_int_equal(km_committer_new(f->cfg, f->q, &f->c, &err), KM_OK);
    f->raw = redisConnect("127.0.0.1", atoi(port));
    assert_int_equal(f->raw->err, 0);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    if (f != NULL) {
        km_committer_free(f->c);
        km_queue_free(f->q);
        km_watch_free(f->watch);
        km_config_free(f->cfg);
        redisFree(f->raw);
        unlink(f->conf);
        free(f);
    }
    return 0;
}

static void batch_of(struct km_post_batch *b, int first, int n)
{
    for (int i = first; i < first + n; i++) {
        struct km_post *p = km_post_new();
        char id[16];
        snprintf(id, sizeof(id), "%d", i);
        km_post_set(&p->network, "telegram");
        km_post_set(&p->id, id);
        km_post_set(&p->author.id, id);
        km_post_set(&p->text, TEXT);
        km_hashtags_extract(TEXT, strlen(TEXT), p);
        km_post_batch_add_take(b, p);
    }
}

static void redis_ok(redisContext *c, const char *cmd)
{
    redisReply *r = redisCommand(c, cmd);
    assert_non_null(r);
    assert_int_not_equal(r->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);
}

/* A batch whose incident reaches 3 posts escalates once; when the batch fails after its
 * checks (Redis refuses writes), the escalation is owed: the batch committed again finds
 * its posts already checked and still writes the escalation, once. */
static void test_owed_escalation(void **state)
{
    struct fx *f = *state;
    if (f == NULL) {
        skip();
    }
    const struct km_source_info src = {"test", "rss", true};
    struct km_post_batch b = {0};
    struct km_commit_counts n;
    struct km_err err = {{0}};
    batch_of(&b, 1, 2);
    assert_int_equal(km_committer_commit(f->c, f->watch, &src, &b, NULL, &n, &err), KM_OK);
    assert_int_equal(n.added, 2);
    assert_int_equal(n.escalated, 0);
    km_post_batch_clear(&b);
    batch_of(&b, 3, 2); /* the incident reaches 3 with post 3 */
    redis_ok(f->raw, "CONFIG SET min-replicas-to-write 1");
    int rc = km_committer_commit(f->c, f->watch, &src, &b, NULL, &n, &err);
    redis_ok(f->raw, "CONFIG SET min-replicas-to-write 0");
    assert_int_not_equal(rc, KM_OK);
    km_post_batch_clear(&b);
    batch_of(&b, 3, 2);
    assert_int_equal(km_committer_commit(f->c, f->watch, &src, &b, NULL, &n, &err), KM_OK);
    assert_int_equal(n.added, 2);
    assert_int_equal(n.escalated, 1);
    km_post_batch_clear(&b);
    batch_of(&b, 3, 3); /* repeats and post 5: nothing owed any more */
    assert_int_equal(km_committer_commit(f->c, f->watch, &src, &b, NULL, &n, &err), KM_OK);
    assert_int_equal(n.escalated, 0);
    km_post_batch_free(&b);
    long long len = 0;
    assert_int_equal(km_queue_stream_len(f->q, &len, &err), KM_OK);
    assert_int_equal(len, 5 + 1); /* five posts, one escalation entry */
}

/* The stream's entries as "post_id,...," with '!' after an escalation's post id. */
static void stream_ids(struct fx *f, char *out, size_t cap)
{
    char key[64];
    snprintf(key, sizeof(key), "{c%d}:posts", (int)getpid());
    redisReply *r = redisCommand(f->raw, "XRANGE %s - +", key);
    assert_non_null(r);
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *fl = r->element[i]->element[1];
        const char *id = "?";
        bool esc = false;
        for (size_t j = 0; j + 1 < fl->elements; j += 2) {
            id = strcmp(fl->element[j]->str, "post_id") == 0 ? fl->element[j + 1]->str : id;
            esc = esc || strcmp(fl->element[j]->str, "escalation") == 0;
        }
        len += (size_t)snprintf(out + len, cap - len, "%s%s,", id, esc ? "!" : "");
        assert_true(len < cap);
    }
    freeReplyObject(r);
}

/* Empties this test's namespace (an earlier test of the same process wrote to it). */
static void redis_flush(struct fx *f)
{
    static const char *const keys[] = {"posts", "seen", "cursors", "dedup:log"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        redisReply *r = redisCommand(f->raw, "DEL {c%d}:%s", (int)getpid(), keys[i]);
        assert_non_null(r);
        freeReplyObject(r);
    }
}

/* Pipelined commits: each send confirms the batch before it, km_committer_wait() the
 * last; the stream gets every batch's posts and then its escalations, in order. */
static void test_send_pipelined(void **state)
{
    struct fx *f = *state;
    if (f == NULL) {
        skip();
    }
    redis_flush(f);
    const struct km_source_info src = {"test", "rss", true};
    struct km_post_batch b = {0};
    struct km_commit_counts n = {0};
    bool confirmed = true;
    struct km_err err = {{0}};
    batch_of(&b, 1, 2);
    assert_int_equal(km_committer_send(f->c, f->watch, &src, &b, NULL, &n, &confirmed, &err),
                     KM_OK);
    assert_false(confirmed);
    assert_int_equal(b.n, 0); /* taken */
    batch_of(&b, 3, 2);       /* the incident reaches 3 with post 3 */
    assert_int_equal(km_committer_send(f->c, f->watch, &src, &b, NULL, &n, &confirmed, &err),
                     KM_OK);
    assert_true(confirmed);
    assert_int_equal(n.seen, 2);
    assert_int_equal(n.added, 2);
    assert_int_equal(n.escalated, 0);
    assert_int_equal(km_committer_wait(f->c, &n, &confirmed, &err), KM_OK);
    assert_true(confirmed);
    assert_int_equal(n.added, 2);
    assert_int_equal(n.escalated, 1);
    assert_int_equal(km_committer_wait(f->c, &n, &confirmed, &err), KM_OK); /* nothing left */
    assert_false(confirmed);
    char got[128];
    stream_ids(f, got, sizeof(got));
    assert_string_equal(got, "1,2,3,4,3!,");
    /* a plain commit after a send waits for it first */
    batch_of(&b, 5, 1);
    assert_int_equal(km_committer_send(f->c, f->watch, &src, &b, NULL, &n, &confirmed, &err),
                     KM_OK);
    batch_of(&b, 6, 1);
    assert_int_equal(km_committer_commit(f->c, f->watch, &src, &b, NULL, &n, &err), KM_OK);
    stream_ids(f, got, sizeof(got));
    assert_string_equal(got, "1,2,3,4,3!,5,6,");
    km_post_batch_free(&b);
}

/* A send that fails after its checks (Redis refuses writes): KM_RETRY, the batch keeps its
 * posts and owes its escalation; committed again it is written whole, with the owed
 * escalation, once. */
static void test_send_failure_owes(void **state)
{
    struct fx *f = *state;
    if (f == NULL) {
        skip();
    }
    redis_flush(f);
    const struct km_source_info src = {"test", "rss", true};
    struct km_post_batch b = {0};
    struct km_commit_counts n = {0};
    bool confirmed = false;
    struct km_err err = {{0}};
    batch_of(&b, 1, 2);
    assert_int_equal(km_committer_send(f->c, f->watch, &src, &b, NULL, &n, &confirmed, &err),
                     KM_OK);
    batch_of(&b, 3, 2);
    redis_ok(f->raw, "CONFIG SET min-replicas-to-write 1");
    int rc = km_committer_send(f->c, f->watch, &src, &b, NULL, &n, &confirmed, &err);
    redis_ok(f->raw, "CONFIG SET min-replicas-to-write 0");
    assert_int_equal(rc, KM_RETRY);
    assert_int_equal(b.n, 2); /* not taken */
    if (!confirmed) {         /* the first write came after the CONFIG SET: sent again */
        struct km_post_batch a = {0};
        batch_of(&a, 1, 2);
        assert_int_equal(km_committer_send(f->c, f->watch, &src, &a, NULL, &n, &confirmed, &err),
                         KM_OK);
        km_post_batch_free(&a);
    }
    km_post_batch_clear(&b);
    batch_of(&b, 3, 2);
    assert_int_equal(km_committer_send(f->c, f->watch, &src, &b, NULL, &n, &confirmed, &err),
                     KM_OK);
    assert_int_equal(km_committer_wait(f->c, &n, &confirmed, &err), KM_OK);
    assert_true(confirmed);
    assert_int_equal(n.added, 2);
    assert_int_equal(n.escalated, 1);
    char got[128];
    stream_ids(f, got, sizeof(got));
    assert_string_equal(got, "1,2,3,4,3!,");
    km_post_batch_free(&b);
}

/* Redis drops every connection while a write is in flight: whether it ran or not, the
 * wait reports it (KM_RETRY) or confirms it, and after committing the batch again the
 * stream holds every post once and the escalation once. */
static void test_send_connection_lost(void **state)
{
    struct fx *f = *state;
    if (f == NULL) {
        skip();
    }
    redis_flush(f);
    const struct km_source_info src = {"test", "rss", true};
    struct km_post_batch b = {0};
    struct km_commit_counts n = {0};
    bool confirmed = false;
    struct km_err err = {{0}};
    batch_of(&b, 1, 2);
    assert_int_equal(km_committer_send(f->c, f->watch, &src, &b, NULL, &n, &confirmed, &err),
                     KM_OK);
    batch_of(&b, 3, 2);
    assert_int_equal(km_committer_send(f->c, f->watch, &src, &b, NULL, &n, &confirmed, &err),
                     KM_OK);
    redis_ok(f->raw, "CLIENT KILL TYPE normal SKIPME yes");
    int rc = km_committer_wait(f->c, &n, &confirmed, &err);
    if (rc == KM_OK) {
        assert_true(confirmed);
        assert_int_equal(n.escalated, 1); /* written on a new connection */
    } else {
        assert_int_equal(rc, KM_RETRY);
        assert_false(confirmed);
        batch_of(&b, 3, 2);
        assert_int_equal(km_committer_send(f->c, f->watch, &src, &b, NULL, &n, &confirmed, &err),
                         KM_OK);
        assert_int_equal(km_committer_wait(f->c, &n, &confirmed, &err), KM_OK);
        assert_int_equal(n.escalated, 1); /* owed */
    }
    char got[128];
    stream_ids(f, got, sizeof(got));
    assert_string_equal(got, "1,2,3,4,3!,");
    km_post_batch_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_owed_escalation, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_send_pipelined, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_send_failure_owes, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_send_connection_lost, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
