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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_owed_escalation, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
