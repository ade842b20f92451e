/* Tests of queue/ against a real redis-server. test/integration/test_modules.sh starts one
 * (lib.sh) and sets KM_REDIS_URL and KM_REDIS_PORT; without them the tests that need a
 * server are skipped. Each test uses its own key namespace. */
#include "common/alloc.h"
#include "common/err.h"
#include "parser/post.h"
#include "queue/group.h"
#include "queue/queue.h"

#include <hiredis/hiredis.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

struct fx {
    char ns[64];
    char k_posts[96], k_seen[96], k_cursors[96];
    struct km_queue *q;
    redisContext *raw; /* independent connection for checks */
};

static int fx_counter;

static redisContext *raw_connect(void)
{
    const char *port = getenv("KM_REDIS_PORT");
    redisContext *c = redisConnect("127.0.0.1", port != NULL ? atoi(port) : 6379);
    assert_non_null(c);
    assert_int_equal(c->err, 0);
    return c;
}

static struct km_queue *queue_open(const char *url, const char *ns, int64_t window_ms)
{
    struct km_queue_opts o = {url, NULL, ns, 2000, 1000, window_ms};
    struct km_queue *q = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_queue_new(&o, &q, &err), KM_OK);
    return q;
}

static int fx_setup(void **state)
{
    *state = NULL;
    const char *url = getenv("KM_REDIS_URL");
    if (url == NULL) {
        return 0;
    }
    struct fx *f = km_calloc(1, sizeof(*f));
    snprintf(f->ns, sizeof(f->ns), "t%d_%d", (int)getpid(), ++fx_counter);
    snprintf(f->k_posts, sizeof(f->k_posts), "{%s}:posts", f->ns);
    snprintf(f->k_seen, sizeof(f->k_seen), "{%s}:seen", f->ns);
    snprintf(f->k_cursors, sizeof(f->k_cursors), "{%s}:cursors", f->ns);
    f->q = queue_open(url, f->ns, 0);
    f->raw = raw_connect();
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    if (f != NULL) {
        km_queue_free(f->q);
        redisFree(f->raw);
        free(f);
    }
    return 0;
}

static struct fx *fx_get(void **state)
{
    if (*state == NULL) {
        skip(); /* no server: run through test/integration/test_modules.sh */
    }
    return *state;
}

/* Runs a command given as NULL-terminated strings on c; caller frees the reply. */
static redisReply *rcmd(redisContext *c, ...)
{
    const char *argv[16];
    size_t lens[16];
    int argc = 0;
    va_list ap;
    va_start(ap, c);
    for (const char *a = va_arg(ap, const char *); a != NULL && argc < 16;
         a = va_arg(ap, const char *)) {
        lens[argc] = strlen(a);
        argv[argc++] = a;
    }
    va_end(ap);
    redisReply *r = redisCommandArgv(c, argc, argv, lens);
    assert_non_null(r);
    return r;
}

static long long rint_of(redisContext *c, const char *cmd, const char *key)
{
    redisReply *r = rcmd(c, cmd, key, NULL);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

static struct km_post *mkpost(const char *network, const char *id, const char *text)
{
    struct km_post *p = km_post_new();
    km_post_set(&p->network, network);
    km_post_set(&p->id, id);
    km_post_set(&p->source, "city109");
    km_post_set(&p->text, text);
    km_post_add_hashtag(p, "iKomek");
    p->created_at = 1795372861000LL;
    p->collected_at = 1795372862000LL;
    return p;
}

/* Fills b with posts of network "rss" and the given ids. */
static void batch_of(struct km_post_batch *b, const char *const *ids, size_t n)
{
    km_post_batch_init(b);
    for (size_t i = 0; i < n; i++) {
        char text[64];
        snprintf(text, sizeof(text), "post %s #iKomek", ids[i]);
        km_post_batch_add_take(b, mkpost("rss", ids[i], text));
    }
}

/* Marks p as scored by triage (strings may be NULL). */
static void score(struct km_post *p, int priority, int urgency, const char *category,
                  const char *incident, const char *dup_of)
{
    p->triage.scored = true;
    p->triage.priority = priority;
    p->triage.urgency = urgency;
    km_post_set(&p->triage.category, category);
    km_post_set(&p->triage.incident, incident);
    km_post_set(&p->triage.dup_of, dup_of);
    km_post_add_reason(p, "+%d category %s", urgency, category != NULL ? category : "other");
}

static void write_ok(struct km_queue *q, const struct km_post_batch *b, const char *cursor,
                     size_t want_added, size_t want_dups)
{
    struct km_err err = {{0}};
    size_t added = 99, dups = 99;
    int rc = km_queue_write_batch(q, "city109", b, cursor, &added, &dups, &err);
    if (rc != KM_OK) {
        fail_msg("write_batch: %s", err.msg);
    }
    assert_int_equal(added, want_added);
    assert_int_equal(dups, want_dups);
}

static char *cursor_of(struct km_queue *q, const char *source)
{
    struct km_err err = {{0}};
    char *c = NULL;
    assert_int_equal(km_queue_get_cursor(q, source, &c, &err), KM_OK);
    return c;
}

/* A port on 127.0.0.1 where nothing listens (bound, then released). */
static int closed_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
    close(s);
    return ntohs(a.sin_port);
}

/* ---- tests without a server ---------------------------------------------------------- */

static void test_url(void **state)
{
    (void)state;
    static const struct {
        const char *url;
        int rc;
    } cases[] = {
        {"redis://127.0.0.1:6379", KM_OK},
        {"redis://localhost", KM_OK},
        {"redis://:s3cret@h:1/2", KM_OK},
        {"redis://user:p%40ss@h/0", KM_OK},
        {"redis://[::1]:6380/1", KM_OK},
        {"/run/redis/redis.sock", KM_OK},
        {NULL, KM_OK},
        {"redis://h:0", KM_EINPUT},
        {"redis://h:70000", KM_EINPUT},
        {"redis://h:12x", KM_EINPUT},
        {"http://h:6379", KM_EINPUT},
        {"rediss://h:6379", KM_EINPUT},
        {"redis://", KM_EINPUT},
        {"redis://:pw@", KM_EINPUT},
        {"redis://h/abc", KM_EINPUT},
        {"redis://h/99999", KM_EINPUT},
        {"redis://:p%zz@h", KM_EINPUT},
        {"redis://nopass@h", KM_EINPUT},
        {"redis://[::1:6380", KM_EINPUT},
        {"relative.sock", KM_EINPUT},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct km_queue_opts o = {cases[i].url, NULL, NULL, 0, 0, 0};
        struct km_queue *q = NULL;
        struct km_err err = {{0}};
        int rc = km_queue_new(&o, &q, &err);
        if (rc != cases[i].rc) {
            fail_msg("%s: got %d (%s)", cases[i].url != NULL ? cases[i].url : "(null)", rc,
                     err.msg);
        }
        assert_true((q != NULL) == (rc == KM_OK));
        if (rc != KM_OK) {
            assert_true(strlen(err.msg) > 0);
            assert_null(strstr(err.msg, "s3cret"));
        }
        km_queue_free(q);
    }
}

static void test_redis_down(void **state)
{
    (void)state;
    char url[64];
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", closed_port());
    struct km_queue *q = queue_open(url, "down", 0);
    struct km_err err = {{0}};
    assert_int_equal(km_queue_ping(q, &err), KM_RETRY);
    assert_non_null(strstr(err.msg, url + 8));
    const char *ids[] = {"1", "2"};
    struct km_post_batch b;
    batch_of(&b, ids, 2);
    size_t added = 7;
    assert_int_equal(km_queue_write_batch(q, "s", &b, "c", &added, NULL, &err), KM_RETRY);
    assert_int_equal(added, 0);
    char *c = NULL;
    assert_int_equal(km_queue_get_cursor(q, "s", &c, &err), KM_RETRY);
    assert_null(c);
    struct km_stream_entry *e = NULL;
    size_t n = 5;
    assert_int_equal(km_queue_read_group(q, "g", "c", false, 10, 0, &e, &n, &err), KM_RETRY);
    assert_int_equal(n, 0);
    assert_null(e);
    const char *ack[] = {"1-0"};
    assert_int_equal(km_queue_ack(q, "g", ack, 1, &err), KM_RETRY);
    assert_int_equal(km_queue_group_create(q, "g", &err), KM_RETRY);
    score(b.posts[0], 1, 90, "gas", NULL, NULL);
    char *id = (char *)"untouched";
    assert_int_equal(km_queue_write_escalation(q, b.posts[0], &id, &err), KM_RETRY);
    assert_null(id);
    /* the pipelined escalations: each one KM_RETRY with the reason; the unscored one
     * KM_EINPUT before anything is sent */
    struct km_post *both[2] = {b.posts[0], b.posts[1]};
    int rcs[2] = {7, 7};
    struct km_err errs[2] = {{{0}}};
    assert_int_equal(km_queue_write_escalations(q, both, 2, rcs, errs), KM_RETRY);
    assert_int_equal(rcs[0], KM_RETRY);
    assert_non_null(strstr(errs[0].msg, url + 8));
    assert_int_equal(rcs[1], KM_EINPUT);
    assert_non_null(strstr(errs[1].msg, "no network, id or priority"));
    struct km_queue_sent *sent = (struct km_queue_sent *)&b;
    assert_int_equal(km_queue_send_batch(q, "s", &b, NULL, "c", &sent, &err), KM_RETRY);
    assert_null(sent);
    km_post_batch_free(&b);
    km_queue_free(q);
}

/* ---- writing ------------------------------------------------------------------------- */

static void test_write_and_dups(void **state)
{
    struct fx *f = fx_get(state);
    const char *ids[] = {"a", "b", "c", "d", "e"};
    struct km_post_batch b;
    batch_of(&b, ids, 5);
    write_ok(f->q, &b, NULL, 5, 0);
    assert_int_equal(rint_of(f->raw, "XLEN", f->k_posts), 5);
    write_ok(f->q, &b, NULL, 0, 5);
    assert_int_equal(rint_of(f->raw, "XLEN", f->k_posts), 5);
    assert_int_equal(rint_of(f->raw, "ZCARD", f->k_seen), 5);
    /* the entry's flat fields and its post JSON */
    redisReply *r = rcmd(f->raw, "XRANGE", f->k_posts, "-", "+", "COUNT", "1", NULL);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 1);
    const redisReply *fields = r->element[0]->element[1];
    static const char *const want[] = {"v",      "1",       "network", "rss",
                                       "source", "city109", "post_id", "a"};
    assert_int_equal(fields->elements, 10);
    for (size_t i = 0; i < 8; i++) {
        assert_string_equal(fields->element[i]->str, want[i]);
    }
    assert_string_equal(fields->element[8]->str, "post");
    struct km_post *p = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_post_from_json(fields->element[9]->str, fields->element[9]->len, &p, &err),
                     KM_OK);
    assert_string_equal(p->text, "post a #iKomek");
    assert_true(km_post_has_hashtag(p, "ikomek"));
    km_post_free(p);
    freeReplyObject(r);
    km_post_batch_free(&b);
}

static void test_cursor_only_with_batch(void **state)
{
    struct fx *f = fx_get(state);
    assert_null(cursor_of(f->q, "city109"));
    const char *ids[] = {"1", "2"};
    struct km_post_batch b;
    batch_of(&b, ids, 2);
    write_ok(f->q, &b, "offset-2", 2, 0);
    char *c = cursor_of(f->q, "city109");
    assert_string_equal(c, "offset-2");
    free(c);
    write_ok(f->q, &b, NULL, 0, 2); /* no cursor given: the old one stays */
    c = cursor_of(f->q, "city109");
    assert_string_equal(c, "offset-2");
    free(c);
    write_ok(f->q, &b, "offset-3", 0, 2); /* all duplicates: the cursor still advances */
    c = cursor_of(f->q, "city109");
    assert_string_equal(c, "offset-3");
    free(c);
    struct km_post_batch empty;
    km_post_batch_init(&empty);
    write_ok(f->q, &empty, "offset\r\n4 *x", 0, 0); /* odd bytes travel as one argument */
    c = cursor_of(f->q, "city109");
    assert_string_equal(c, "offset\r\n4 *x");
    free(c);
    assert_int_equal(rint_of(f->raw, "XLEN", f->k_posts), 2);
    km_post_batch_free(&b);
}

static void test_batch_with_inner_dups(void **state)
{
    struct fx *f = fx_get(state);
    const char *ids[] = {"a", "b", "a", "c", "b"};
    struct km_post_batch b;
    batch_of(&b, ids, 5);
    write_ok(f->q, &b, "after-5", 3, 2);
    assert_int_equal(rint_of(f->raw, "XLEN", f->k_posts), 3);
    assert_int_equal(rint_of(f->raw, "ZCARD", f->k_seen), 3);
    redisReply *r = rcmd(f->raw, "XRANGE", f->k_posts, "-", "+", NULL);
    assert_int_equal(r->elements, 3);
    static const char *const order[] = {"a", "b", "c"};
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(r->element[i]->element[1]->element[7]->str, order[i]);
    }
    freeReplyObject(r);
    char *c = cursor_of(f->q, "city109");
    assert_string_equal(c, "after-5");
    free(c);
    km_post_batch_free(&b);
}

static void test_post_without_id(void **state)
{
    struct fx *f = fx_get(state);
    const char *ids[] = {"a", ""};
    struct km_post_batch b;
    batch_of(&b, ids, 2);
    struct km_err err = {{0}};
    assert_int_equal(km_queue_write_batch(f->q, "city109", &b, "c", NULL, NULL, &err), KM_EINPUT);
    assert_non_null(strstr(err.msg, "post 1"));
    assert_int_equal(rint_of(f->raw, "XLEN", f->k_posts), 0);
    assert_null(cursor_of(f->q, "city109"));
    km_post_batch_free(&b);
}

/* The clock of the queues the seen-window tests open. */
static int64_t fake_now;

static int64_t fake_clock(void)
{
    return fake_now;
}

static double zscore_of(struct fx *f, const char *member)
{
    redisReply *r = rcmd(f->raw, "ZSCORE", f->k_seen, member, NULL);
    double v = r->type == REDIS_REPLY_STRING ? atof(r->str) : -1;
    freeReplyObject(r);
    return v;
}

/* Writes a batch of the given ids at time now and checks what was new. */
static void write_at(struct km_queue *q, int64_t now, const char *const *ids, size_t n,
                     size_t want_added)
{
    struct km_post_batch b;
    batch_of(&b, ids, n);
    fake_now = now;
    write_ok(q, &b, NULL, want_added, n - want_added);
    km_post_batch_free(&b);
}

/* The window counts from an item's LAST sighting: a feed that keeps serving an item keeps it
 * remembered; an item nobody served for the whole window is forgotten. */
static void test_seen_window(void **state)
{
    struct fx *f = fx_get(state);
    const int64_t w = 60000, t = 1700000000000LL;
    km_queue_free(f->q);
    struct km_queue_opts o = {getenv("KM_REDIS_URL"), NULL, f->ns, 2000, 0, w, fake_clock};
    struct km_err err = {{0}};
    assert_int_equal(km_queue_new(&o, &f->q, &err), KM_OK);
    const char *both[] = {"kept", "gone"}, *kept[] = {"kept"}, *gone[] = {"gone"};
    write_at(f->q, t, both, 2, 2);
    write_at(f->q, t + w - 1, kept, 1, 0); /* repeated within the window: refreshed */
    assert_true(zscore_of(f, "rss:kept") == (double)(t + w - 1));
    write_at(f->q, t + w + 10, kept, 1, 0);    /* past its first sighting + window: still a dup */
    assert_true(zscore_of(f, "rss:gone") < 0); /* not seen since t: trimmed */
    write_at(f->q, t + 2 * w - 5, kept, 1, 0);
    assert_int_equal(rint_of(f->raw, "XLEN", f->k_posts), 2);
    write_at(f->q, t + 2 * w, gone, 1, 1); /* forgotten: new again */
    /* forgotten even when no other write trimmed it in between */
    const char *late[] = {"late"};
    int64_t l = t + 10 * w;
    write_at(f->q, l, late, 1, 1);
    write_at(f->q, l + w, late, 1, 0); /* exactly the window: still remembered */
    write_at(f->q, l + 2 * w + 1, late, 1, 1);
    /* a writer whose clock is behind never moves a sighting back */
    write_at(f->q, l + 2 * w - 5000, late, 1, 0);
    assert_true(zscore_of(f, "rss:late") == (double)(l + 2 * w + 1));
    assert_int_equal(rint_of(f->raw, "XLEN", f->k_posts), 5);
}

struct writer {
    const char *ns;
    bool reverse;
    size_t added, dups;
    int rc;
};

/* Writes posts 0..299 in batches of 10, in order or in reverse. No asserts (thread). */
static void *writer_run(void *arg)
{
    struct writer *w = arg;
    struct km_queue_opts o = {getenv("KM_REDIS_URL"), NULL, w->ns, 2000, 0, 0};
    struct km_queue *q = NULL;
    struct km_err err = {{0}};
    w->rc = km_queue_new(&o, &q, &err);
    for (int chunk = 0; chunk < 30 && w->rc == KM_OK; chunk++) {
        struct km_post_batch b;
        km_post_batch_init(&b);
        int base = (w->reverse ? 29 - chunk : chunk) * 10;
        for (int i = 0; i < 10; i++) {
            char id[16];
            snprintf(id, sizeof(id), "%d", base + i);
            km_post_batch_add_take(&b, mkpost("mastodon", id, "concurrent"));
        }
        size_t a = 0, d = 0;
        do {
            w->rc = km_queue_write_batch(q, "city109", &b, NULL, &a, &d, &err);
        } while (w->rc == KM_RETRY && strstr(err.msg, "kept changing") != NULL);
        w->added += a;
        w->dups += d;
        km_post_batch_free(&b);
    }
    km_queue_free(q);
    return NULL;
}

/* Three writers race over the same 300 posts: each is added exactly once. */
static void test_concurrent_writers(void **state)
{
    struct fx *f = fx_get(state);
    struct writer w[3] = {{f->ns, false, 0, 0, 0}, {f->ns, false, 0, 0, 0}, {f->ns, true, 0, 0, 0}};
    pthread_t t[3];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pthread_create(&t[i], NULL, writer_run, &w[i]), 0);
    }
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(w[i].rc, KM_OK);
    }
    assert_int_equal(w[0].added + w[1].added + w[2].added, 300);
    assert_int_equal(w[0].dups + w[1].dups + w[2].dups, 600);
    assert_int_equal(rint_of(f->raw, "XLEN", f->k_posts), 300);
    assert_int_equal(rint_of(f->raw, "ZCARD", f->k_seen), 300);
}

/* ---- reading ------------------------------------------------------------------------- */

static size_t read_n(struct km_queue *q, const char *consumer, bool pending, size_t count,
                     struct km_stream_entry **e)
{
    struct km_err err = {{0}};
    size_t n = 99;
    int rc = km_queue_read_group(q, "tickets", consumer, pending, count, 0, e, &n, &err);
    if (rc != KM_OK) {
        fail_msg("read_group: %s", err.msg);
    }
    return n;
}

static long long pending_of(struct km_queue *q)
{
    struct km_err err = {{0}};
    long long n = -1;
    assert_int_equal(km_queue_pending_count(q, "tickets", &n, &err), KM_OK);
    return n;
}

static void ack_all(struct km_queue *q, const struct km_stream_entry *e, size_t n)
{
    const char *ids[16];
    struct km_err err = {{0}};
    assert_true(n <= 16);
    for (size_t i = 0; i < n; i++) {
        ids[i] = e[i].id;
    }
    assert_int_equal(km_queue_ack(q, "tickets", ids, n, &err), KM_OK);
}

static void test_read_ack_pending(void **state)
{
    struct fx *f = fx_get(state);
    struct km_err err = {{0}};
    assert_int_equal(km_queue_group_create(f->q, "tickets", &err), KM_OK);
    assert_int_equal(km_queue_group_create(f->q, "tickets", &err), KM_OK); /* BUSYGROUP */
    const char *ids[] = {"1", "2", "3", "4", "5"};
    struct km_post_batch b;
    batch_of(&b, ids, 5);
    write_ok(f->q, &b, NULL, 5, 0);
    struct km_stream_entry *e = NULL;
    assert_int_equal(read_n(f->q, "c1", false, 3, &e), 3);
    assert_string_equal(e[0].network, "rss");
    assert_string_equal(e[0].post_id, "1");
    assert_non_null(e[0].post_json);
    assert_int_equal(e[0].post_len, strlen(e[0].post_json));
    km_stream_entries_free(e, 3);
    assert_int_equal(read_n(f->q, "c1", false, 3, &e), 2);
    km_stream_entries_free(e, 2);
    assert_int_equal(read_n(f->q, "c1", false, 3, &e), 0);
    assert_null(e);
    assert_int_equal(pending_of(f->q), 5);
    /* this consumer's pending entries, oldest first, until acknowledged */
    assert_int_equal(read_n(f->q, "c1", true, 3, &e), 3);
    assert_string_equal(e[0].post_id, "1");
    ack_all(f->q, e, 3);
    km_stream_entries_free(e, 3);
    assert_int_equal(pending_of(f->q), 2);
    assert_int_equal(read_n(f->q, "c2", true, 10, &e), 0); /* not c2's */
    assert_int_equal(read_n(f->q, "c1", true, 10, &e), 2);
    assert_string_equal(e[1].post_id, "5");
    ack_all(f->q, e, 2);
    km_stream_entries_free(e, 2);
    assert_int_equal(pending_of(f->q), 0);
    assert_int_equal(read_n(f->q, "c1", true, 10, &e), 0);
    km_post_batch_free(&b);
}

static void test_entries_without_post(void **state)
{
    struct fx *f = fx_get(state);
    struct km_err err = {{0}};
    assert_int_equal(km_queue_group_create(f->q, "tickets", &err), KM_OK);
    freeReplyObject(rcmd(f->raw, "XADD", f->k_posts, "*", "foo", "bar", NULL));
    freeReplyObject(rcmd(f->raw, "XADD", f->k_posts, "*", "network", "rss", "post", "{}", NULL));
    struct km_stream_entry *e = NULL;
    assert_int_equal(read_n(f->q, "c1", false, 10, &e), 2);
    assert_non_null(e[0].id);
    assert_null(e[0].post_json);
    assert_null(e[0].network);
    assert_string_equal(e[1].post_json, "{}");
    assert_null(e[1].post_id);
    /* a pending entry deleted from the stream comes back without fields */
    freeReplyObject(rcmd(f->raw, "XDEL", f->k_posts, e[1].id, NULL));
    km_stream_entries_free(e, 2);
    assert_int_equal(read_n(f->q, "c1", true, 10, &e), 2);
    assert_null(e[1].post_json);
    assert_non_null(e[1].id);
    km_stream_entries_free(e, 2);
}

static void test_block_and_claim(void **state)
{
    struct fx *f = fx_get(state);
    struct km_err err = {{0}};
    assert_int_equal(km_queue_group_create(f->q, "tickets", &err), KM_OK);
    struct km_stream_entry *e = NULL;
    size_t n = 9;
    assert_int_equal(km_queue_read_group(f->q, "tickets", "c1", false, 5, 20, &e, &n, &err), KM_OK);
    assert_int_equal(n, 0); /* BLOCK ran out */
    const char *ids[] = {"1", "2"};
    struct km_post_batch b;
    batch_of(&b, ids, 2);
    write_ok(f->q, &b, NULL, 2, 0);
    assert_int_equal(read_n(f->q, "dead", false, 10, &e), 2);
    km_stream_entries_free(e, 2);
    size_t claimed = 0;
    assert_int_equal(km_queue_claim_idle(f->q, "tickets", "c2", 3600000, &claimed, &err), KM_OK);
    assert_int_equal(claimed, 0); /* not idle long enough */
    assert_int_equal(km_queue_claim_idle(f->q, "tickets", "c2", 0, &claimed, &err), KM_OK);
    assert_int_equal(claimed, 2);
    assert_int_equal(read_n(f->q, "dead", true, 10, &e), 0);
    assert_int_equal(read_n(f->q, "c2", true, 10, &e), 2);
    km_stream_entries_free(e, 2);
    long long len = 0;
    assert_int_equal(km_queue_stream_len(f->q, &len, &err), KM_OK);
    assert_int_equal(len, 2);
    km_post_batch_free(&b);
}

/* ---- connections --------------------------------------------------------------------- */

static void test_reconnect_after_kill(void **state)
{
    struct fx *f = fx_get(state);
    struct km_err err = {{0}};
    assert_int_equal(km_queue_ping(f->q, &err), KM_OK);
    /* the server drops every client connection but ours */
    redisReply *r = rcmd(f->raw, "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes", NULL);
    assert_true(r->integer >= 1);
    freeReplyObject(r);
    const char *ids[] = {"x"};
    struct km_post_batch b;
    batch_of(&b, ids, 1);
    write_ok(f->q, &b, "k1", 1, 0); /* first call after the drop succeeds */
    assert_int_equal(rint_of(f->raw, "XLEN", f->k_posts), 1);
    km_post_batch_free(&b);
}

static void test_auth_and_db(void **state)
{
    struct fx *f = fx_get(state);
    freeReplyObject(
        rcmd(f->raw, "ACL", "SETUSER", "komektest", "on", ">p@ss/word", "~*", "&*", "+@all", NULL));
    char url[128];
    snprintf(url, sizeof(url), "redis://komektest:p%%40ss%%2Fword@127.0.0.1:%s/3",
             getenv("KM_REDIS_PORT"));
    struct km_queue *q = queue_open(url, f->ns, 0);
    const char *ids[] = {"1"};
    struct km_post_batch b;
    batch_of(&b, ids, 1);
    write_ok(q, &b, "in-db-3", 1, 0);
    assert_null(cursor_of(f->q, "city109")); /* db 0 has nothing */
    freeReplyObject(rcmd(f->raw, "SELECT", "3", NULL));
    assert_int_equal(rint_of(f->raw, "XLEN", f->k_posts), 1);
    freeReplyObject(rcmd(f->raw, "SELECT", "0", NULL));
    km_queue_free(q);
    snprintf(url, sizeof(url), "redis://komektest:wrong@127.0.0.1:%s", getenv("KM_REDIS_PORT"));
    q = queue_open(url, f->ns, 0);
    struct km_err err = {{0}};
    assert_int_equal(km_queue_ping(q, &err), KM_ERR);
    assert_non_null(strstr(err.msg, "AUTH"));
    assert_null(strstr(err.msg, "wrong"));
    km_queue_free(q);
    freeReplyObject(rcmd(f->raw, "ACL", "DELUSER", "komektest", NULL));
    km_post_batch_free(&b);
}

static void test_reconnect_after_restart(void **state)
{
    struct fx *f = fx_get(state);
    if (getenv("KM_HARNESS") == NULL) {
        skip();
    }
    const char *ids[] = {"1", "2", "3"};
    struct km_post_batch b;
    batch_of(&b, ids, 3);
    write_ok(f->q, &b, "before-restart", 3, 0);
    /* kill -9 and start again on the same port and AOF (test/integration/lib.sh) */
    assert_int_equal(system("sh -c '. \"$KM_HARNESS\" && km_redis_restart KILL'"), 0);
    char *c = cursor_of(f->q, "city109"); /* the first call after the restart succeeds */
    assert_string_equal(c, "before-restart");
    free(c);
    write_ok(f->q, &b, NULL, 0, 3); /* the seen-set survived too */
    redisFree(f->raw);
    f->raw = raw_connect();
    assert_int_equal(rint_of(f->raw, "XLEN", f->k_posts), 3);
    km_post_batch_free(&b);
}

/* ---- triage fields (v 2) and escalations ----------------------------------------------- */

/* Checks that stream entry r (from XRANGE) has exactly the fields want: name, value pairs
 * ending with the name "post" and NULL; returns the decoded post JSON (the last value). */
static struct km_post *entry_check(const redisReply *r, const char *const *want)
{
    const redisReply *fields = r->element[1];
    size_t n = 0;
    while (want[n] != NULL) {
        n++;
    }
    assert_int_equal(fields->elements, n + 1);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(fields->element[i]->str, want[i]);
    }
    assert_string_equal(want[n - 1], "post");
    struct km_post *p = NULL;
    struct km_err err = {{0}};
    const redisReply *v = fields->element[n];
    assert_int_equal(km_post_from_json(v->str, v->len, &p, &err), KM_OK);
    return p;
}

/* A scored post gets v 2 and the flat fields (those without a value omitted); a post not
 * scored stays exactly v 1, so v 1 readers are unaffected. */
static void test_triage_fields(void **state)
{
    struct fx *f = fx_get(state);
    const char *ids[] = {"plain", "gas", "bare"};
    struct km_post_batch b;
    batch_of(&b, ids, 3);
    score(b.posts[1], 1, 92, "gas", "inc-7", "telegram:-100:5");
    km_post_set(&b.posts[1]->triage.agency, "QazaqGaz");
    score(b.posts[2], 0, 0, NULL, NULL, NULL); /* scored, priority out of band */
    write_ok(f->q, &b, NULL, 3, 0);
    static const char *const want_v1[] = {"v",       "1",       "network", "rss",  "source",
                                          "city109", "post_id", "plain",   "post", NULL};
    static const char *const want_v2[] = {
        "v",       "2",   "network",  "rss",   "source",   "city109",
        "post_id", "gas", "priority", "P1",    "category", "gas",
        "urgency", "92",  "incident", "inc-7", "dup_of",   "telegram:-100:5",
        "post",    NULL};
    static const char *const want_bare[] = {"v",       "2",       "network", "rss",
                                            "source",  "city109", "post_id", "bare",
                                            "urgency", "0",       "post",    NULL};
    redisReply *r = rcmd(f->raw, "XRANGE", f->k_posts, "-", "+", NULL);
    assert_int_equal(r->elements, 3);
    struct km_post *p = entry_check(r->element[0], want_v1);
    assert_false(p->triage.scored);
    km_post_free(p);
    p = entry_check(r->element[1], want_v2);
    assert_true(p->triage.scored);
    assert_int_equal(p->triage.priority, 1);
    assert_string_equal(p->triage.agency, "QazaqGaz");
    assert_string_equal(p->triage.reasons[0], "+92 category gas");
    km_post_free(p);
    p = entry_check(r->element[2], want_bare);
    assert_int_equal(p->triage.priority, 0);
    km_post_free(p);
    freeReplyObject(r);
    /* a consumer sees the version; none of these is an escalation */
    struct km_err err = {{0}};
    assert_int_equal(km_queue_group_create(f->q, "tickets", &err), KM_OK);
    struct km_stream_entry *e = NULL;
    assert_int_equal(read_n(f->q, "c1", false, 10, &e), 3);
    static const int want_v[] = {1, 2, 2};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(e[i].v, want_v[i]);
        assert_false(e[i].escalation);
        assert_string_equal(e[i].post_id, ids[i]);
    }
    km_stream_entries_free(e, 3);
    km_post_batch_free(&b);
}

/* An escalation is a plain XADD: no seen-set check (the post was delivered before), no
 * cursor, always v 2 with escalation 1 and the new priority. */
static void test_escalation(void **state)
{
    struct fx *f = fx_get(state);
    struct km_err err = {{0}};
    assert_int_equal(km_queue_group_create(f->q, "tickets", &err), KM_OK);
    const char *ids[] = {"leak"};
    struct km_post_batch b;
    batch_of(&b, ids, 1);
    struct km_post *p = b.posts[0];
    score(p, 3, 40, "gas", "inc-9", NULL);
    write_ok(f->q, &b, "cur-1", 1, 0);
    p->triage.priority = 1; /* the incident grew: re-scored */
    p->triage.urgency = 85;
    km_post_add_reason(p, "+45 resonance: 12 posts");
    char *id = NULL;
    assert_int_equal(km_queue_write_escalation(f->q, p, &id, &err), KM_OK);
    assert_non_null(id);
    assert_int_equal(km_queue_write_escalation(f->q, p, NULL, &err), KM_OK);
    assert_int_equal(rint_of(f->raw, "XLEN", f->k_posts), 3);
    assert_int_equal(rint_of(f->raw, "ZCARD", f->k_seen), 1);
    char *c = cursor_of(f->q, "city109");
    assert_string_equal(c, "cur-1");
    free(c);
    static const char *const want[] = {"v",        "2",          "network", "rss",      "source",
                                       "city109",  "post_id",    "leak",    "priority", "P1",
                                       "category", "gas",        "urgency", "85",       "incident",
                                       "inc-9",    "escalation", "1",       "post",     NULL};
    redisReply *r = rcmd(f->raw, "XRANGE", f->k_posts, id, id, NULL);
    assert_int_equal(r->elements, 1);
    struct km_post *q = entry_check(r->element[0], want);
    assert_int_equal(q->triage.priority, 1);
    assert_int_equal(q->triage.n_reasons, 2);
    km_post_free(q);
    freeReplyObject(r);
    struct km_stream_entry *e = NULL;
    assert_int_equal(read_n(f->q, "c1", false, 10, &e), 3);
    assert_false(e[0].escalation);
    assert_true(e[1].escalation && e[2].escalation);
    assert_string_equal(e[1].id, id);
    assert_int_equal(e[1].v, 2);
    km_stream_entries_free(e, 3);
    free(id);
    /* what cannot be an escalation is refused before anything is written */
    struct km_post *bad[3] = {mkpost("rss", "x", "t"), mkpost("rss", "y", "t"),
                              mkpost("rss", "", "t")};
    score(bad[1], 0, 50, "gas", NULL, NULL);
    score(bad[2], 1, 50, "gas", NULL, NULL);
    for (size_t i = 0; i < 3; i++) {
        id = (char *)"untouched";
        assert_int_equal(km_queue_write_escalation(f->q, bad[i], &id, &err), KM_EINPUT);
        assert_null(id);
        km_post_free(bad[i]);
    }
    assert_int_equal(rint_of(f->raw, "XLEN", f->k_posts), 3);
    km_post_batch_free(&b);
}

/* The post ids of the stream's entries, in order, as "id,id,...," ('!' after an
 * escalation's id). */
static void stream_post_ids(struct fx *f, char *out, size_t cap)
{
    redisReply *r = rcmd(f->raw, "XRANGE", f->k_posts, "-", "+", NULL);
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *fields = r->element[i]->element[1];
        const char *id = "?";
        bool esc = false;
        for (size_t j = 0; j + 1 < fields->elements; j += 2) {
            if (strcmp(fields->element[j]->str, "post_id") == 0) {
                id = fields->element[j + 1]->str;
            }
            esc = esc || strcmp(fields->element[j]->str, "escalation") == 0;
        }
        len += (size_t)snprintf(out + len, cap - len, "%s%s,", id, esc ? "!" : "");
        assert_true(len < cap);
    }
    freeReplyObject(r);
}

/* Escalations pipelined: one entry per valid post, in order, each with its own outcome;
 * after the server dropped the connection the call still succeeds (a new connection). */
static void test_escalations_pipelined(void **state)
{
    struct fx *f = fx_get(state);
    const char *ids[] = {"e1", "e2", "bad", "e3"};
    struct km_post_batch b;
    batch_of(&b, ids, 4);
    score(b.posts[0], 2, 60, "gas", "inc-1", NULL);
    score(b.posts[1], 1, 90, "water", "inc-2", "rss:e1");
    score(b.posts[3], 3, 30, "roads", "inc-3", NULL); /* "bad" is not scored */
    int rcs[4];
    struct km_err errs[4] = {{{0}}};
    assert_int_equal(km_queue_write_escalations(f->q, b.posts, 4, rcs, errs), KM_EINPUT);
    assert_int_equal(rcs[0], KM_OK);
    assert_int_equal(rcs[1], KM_OK);
    assert_int_equal(rcs[2], KM_EINPUT);
    assert_int_equal(rcs[3], KM_OK);
    assert_non_null(strstr(errs[2].msg, "rss:bad"));
    char got[256];
    stream_post_ids(f, got, sizeof(got));
    assert_string_equal(got, "e1!,e2!,e3!,");
    /* the same entries as km_queue_write_escalation() writes */
    struct km_err err = {{0}};
    assert_int_equal(km_queue_write_escalation(f->q, b.posts[1], NULL, &err), KM_OK);
    redisReply *r = rcmd(f->raw, "XRANGE", f->k_posts, "-", "+", NULL);
    assert_int_equal(r->elements, 4);
    const redisReply *a = r->element[1]->element[1], *c = r->element[3]->element[1];
    assert_int_equal(a->elements, c->elements);
    for (size_t i = 0; i < a->elements; i++) {
        assert_string_equal(a->element[i]->str, c->element[i]->str);
    }
    freeReplyObject(r);
    /* the server drops the connection: the next call writes on a new one */
    freeReplyObject(rcmd(f->raw, "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes", NULL));
    struct km_post *two[2] = {b.posts[3], b.posts[0]};
    assert_int_equal(km_queue_write_escalations(f->q, two, 2, rcs, NULL), KM_OK);
    assert_int_equal(rcs[0], KM_OK);
    assert_int_equal(rcs[1], KM_OK);
    stream_post_ids(f, got, sizeof(got));
    assert_string_equal(got, "e1!,e2!,e3!,e2!,e3!,e1!,");
    assert_int_equal(km_queue_write_escalations(f->q, two, 0, rcs, NULL), KM_OK); /* none */
    km_post_batch_free(&b);
}

static const char *field_of(const redisReply *fields, const char *name);

static void send_finish_ok(struct km_queue *q, const struct km_post_batch *b, const char *cursor,
                           size_t want_added, size_t want_dups)
{
    struct km_err err = {{0}};
    struct km_queue_sent *sent = NULL;
    size_t added = 99, dups = 99;
    if (km_queue_send_batch(q, "city109", b, NULL, cursor, &sent, &err) != KM_OK) {
        fail_msg("send_batch: %s", err.msg);
    }
    assert_non_null(sent);
    if (km_queue_finish_batch(q, sent, &added, &dups, &err) != KM_OK) {
        fail_msg("finish_batch: %s", err.msg);
    }
    assert_int_equal(added, want_added);
    assert_int_equal(dups, want_dups);
}

/* Send and finish do what km_queue_write_batch() does: fresh posts once, repeats within
 * the batch and the window skipped, the cursor set. */
static void test_send_finish(void **state)
{
    struct fx *f = fx_get(state);
    const char *ids[] = {"a", "b", "a", "c"};
    struct km_post_batch b;
    batch_of(&b, ids, 4);
    send_finish_ok(f->q, &b, "cur-1", 3, 1);
    char *c = cursor_of(f->q, "city109");
    assert_string_equal(c, "cur-1");
    free(c);
    send_finish_ok(f->q, &b, NULL, 0, 4);
    write_ok(f->q, &b, NULL, 0, 4);
    /* the posts' JSON encoded ahead by the caller is what goes into the stream */
    const char *more[] = {"d", "a"};
    struct km_post_batch m;
    batch_of(&m, more, 2);
    char **json = km_calloc(2, sizeof(*json));
    json[0] = km_post_to_json(m.posts[0]);
    json[1] = km_strdup("{\"never\":\"written: a repeat\"}");
    struct km_queue_sent *js = NULL;
    struct km_err jerr = {{0}};
    size_t jadded = 0, jdups = 0;
    assert_int_equal(km_queue_send_batch(f->q, "city109", &m, json, NULL, &js, &jerr), KM_OK);
    assert_int_equal(km_queue_finish_batch(f->q, js, &jadded, &jdups, &jerr), KM_OK);
    assert_int_equal(jadded, 1);
    assert_int_equal(jdups, 1);
    redisReply *last = rcmd(f->raw, "XREVRANGE", f->k_posts, "+", "-", "COUNT", "1", NULL);
    char *want = km_post_to_json(m.posts[0]);
    assert_string_equal(field_of(last->element[0]->element[1], "post"), want);
    free(want);
    freeReplyObject(last);
    km_post_batch_free(&m);
    char got[256];
    stream_post_ids(f, got, sizeof(got));
    assert_string_equal(got, "a,b,c,d,");
    struct km_post_batch empty;
    km_post_batch_init(&empty);
    send_finish_ok(f->q, &empty, "cur-2", 0, 0);
    c = cursor_of(f->q, "city109");
    assert_string_equal(c, "cur-2");
    free(c);
    /* a post without an id is refused before anything is sent */
    struct km_err err = {{0}};
    struct km_queue_sent *sent = NULL;
    km_post_set(&b.posts[1]->id, "");
    assert_int_equal(km_queue_send_batch(f->q, "city109", &b, NULL, NULL, &sent, &err), KM_EINPUT);
    assert_null(sent);
    assert_int_equal(km_queue_send_batch(f->q, NULL, &b, NULL, NULL, &sent, &err), KM_EINPUT);
    km_post_batch_free(&b);
}

/* Redis gone while a sent write waits: the server holds EXEC (CLIENT PAUSE WRITE) and
 * drops the connection, so the write never runs. finish says KM_RETRY and nothing of the
 * batch is in Redis; the batch written again is complete, once. */
static void test_send_then_connection_lost(void **state)
{
    struct fx *f = fx_get(state);
    const char *ids[] = {"p", "q"};
    struct km_post_batch b;
    batch_of(&b, ids, 2);
    struct km_err err = {{0}};
    struct km_queue_sent *sent = NULL;
    freeReplyObject(rcmd(f->raw, "CLIENT", "PAUSE", "10000", "WRITE", NULL));
    assert_int_equal(km_queue_send_batch(f->q, "city109", &b, NULL, "cur-p", &sent, &err), KM_OK);
    freeReplyObject(rcmd(f->raw, "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes", NULL));
    freeReplyObject(rcmd(f->raw, "CLIENT", "UNPAUSE", NULL));
    size_t added = 9, dups = 9;
    assert_int_equal(km_queue_finish_batch(f->q, sent, &added, &dups, &err), KM_RETRY);
    assert_int_equal(added, 0);
    assert_int_equal(dups, 0);
    assert_int_equal(rint_of(f->raw, "EXISTS", f->k_posts), 0);
    assert_int_equal(rint_of(f->raw, "EXISTS", f->k_seen), 0);
    assert_int_equal(rint_of(f->raw, "EXISTS", f->k_cursors), 0);
    send_finish_ok(f->q, &b, "cur-p", 2, 0);
    char got[64];
    stream_post_ids(f, got, sizeof(got));
    assert_string_equal(got, "p,q,");
    km_post_batch_free(&b);
}

/* ---- consumer-group maintenance (group.h) --------------------------------------------- */

/* Opens a second handle on f's namespace with the given maxlen, optionally as on Redis
 * before 6.2. */
static struct km_queue *queue_variant(struct fx *f, long long maxlen, bool legacy)
{
    struct km_queue_opts o = {getenv("KM_REDIS_URL"), NULL, f->ns, 2000, maxlen, 0, NULL, legacy};
    struct km_queue *q = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_queue_new(&o, &q, &err), KM_OK);
    return q;
}

/* The fallback of Redis < 6.2 (XPENDING + XCLAIM) claims what XAUTOCLAIM would: only
 * entries idle long enough, not the claimer's own. */
static void test_claim_legacy(void **state)
{
    struct fx *f = fx_get(state);
    struct km_queue *q = queue_variant(f, 0, true);
    struct km_err err = {{0}};
    assert_int_equal(km_queue_group_create(q, "tickets", &err), KM_OK);
    const char *ids[] = {"1", "2", "3"};
    struct km_post_batch b;
    batch_of(&b, ids, 3);
    write_ok(q, &b, NULL, 3, 0);
    struct km_stream_entry *e = NULL;
    assert_int_equal(read_n(q, "dead", false, 2, &e), 2);
    km_stream_entries_free(e, 2);
    assert_int_equal(read_n(q, "c2", false, 1, &e), 1);
    km_stream_entries_free(e, 1);
    size_t claimed = 9;
    assert_int_equal(km_queue_claim_idle(q, "tickets", "c2", 3600000, &claimed, &err), KM_OK);
    assert_int_equal(claimed, 0); /* not idle long enough */
    assert_int_equal(km_queue_claim_idle(q, "tickets", "c2", 0, &claimed, &err), KM_OK);
    assert_int_equal(claimed, 2); /* dead's two; c2's own is not counted */
    assert_int_equal(read_n(q, "dead", true, 10, &e), 0);
    assert_int_equal(read_n(q, "c2", true, 10, &e), 3);
    assert_string_equal(e[0].post_id, "1");
    km_stream_entries_free(e, 3);
    km_post_batch_free(&b);
    km_queue_free(q);
}

static long long deliveries_of(struct km_queue *q, const char *id)
{
    struct km_err err = {{0}};
    long long n = -1;
    assert_int_equal(km_queue_deliveries(q, "tickets", id, &n, &err), KM_OK);
    return n;
}

/* Field name's value in a flat [name, value, ...] reply, or NULL. */
static const char *field_of(const redisReply *fields, const char *name)
{
    for (size_t i = 0; i + 1 < fields->elements; i += 2) {
        if (strcmp(fields->element[i]->str, name) == 0) {
            return fields->element[i + 1]->str;
        }
    }
    return NULL;
}

static void test_dead_letter(void **state)
{
    struct fx *f = fx_get(state);
    struct km_err err = {{0}};
    assert_int_equal(km_queue_group_create(f->q, "tickets", &err), KM_OK);
    const char *ids[] = {"p1", "p2"};
    struct km_post_batch b;
    batch_of(&b, ids, 2);
    score(b.posts[0], 2, 60, "water", NULL, NULL);
    write_ok(f->q, &b, NULL, 2, 0);
    struct km_stream_entry *e = NULL;
    assert_int_equal(read_n(f->q, "c1", false, 10, &e), 2);
    assert_int_equal(deliveries_of(f->q, e[0].id), 1);
    struct km_stream_entry *again = NULL;
    assert_int_equal(read_n(f->q, "c1", true, 10, &again), 2); /* a re-read counts */
    km_stream_entries_free(again, 2);
    assert_int_equal(deliveries_of(f->q, e[0].id), 2);
    assert_int_equal(deliveries_of(f->q, "1-1"), 0); /* not pending */
    bool done = false;
    assert_int_equal(km_queue_dead_letter(f->q, "tickets", &e[0], "boom \"x\"", 2, &done, &err),
                     KM_OK);
    assert_true(done);
    assert_int_equal(pending_of(f->q), 1);
    assert_int_equal(deliveries_of(f->q, e[0].id), 0);
    char k_dead[96];
    snprintf(k_dead, sizeof(k_dead), "{%s}:dead", f->ns);
    redisReply *r = rcmd(f->raw, "XRANGE", k_dead, "-", "+", NULL);
    assert_int_equal(r->elements, 1);
    const redisReply *fields = r->element[0]->element[1];
    assert_string_equal(field_of(fields, "v"), "2");
    assert_string_equal(field_of(fields, "post_id"), "p1");
    assert_string_equal(field_of(fields, "priority"), "P2");
    assert_non_null(strstr(field_of(fields, "post"), "\"p1\""));
    assert_string_equal(field_of(fields, "error"), "boom \"x\"");
    assert_string_equal(field_of(fields, "stream_id"), e[0].id);
    assert_string_equal(field_of(fields, "deliveries"), "2");
    assert_string_equal(field_of(fields, "group"), "tickets");
    freeReplyObject(r);
    /* again (a retry after a lost reply): nothing added twice */
    assert_int_equal(km_queue_dead_letter(f->q, "tickets", &e[0], "boom", 2, &done, &err), KM_OK);
    assert_false(done);
    /* an entry trimmed meanwhile: the dead letter has only what komek knows */
    freeReplyObject(rcmd(f->raw, "XDEL", f->k_posts, e[1].id, NULL));
    assert_int_equal(km_queue_dead_letter(f->q, "tickets", &e[1], NULL, 7, &done, &err), KM_OK);
    assert_true(done);
    assert_int_equal(rint_of(f->raw, "XLEN", k_dead), 2);
    r = rcmd(f->raw, "XREVRANGE", k_dead, "+", "-", "COUNT", "1", NULL);
    fields = r->element[0]->element[1];
    assert_int_equal(fields->elements, 8);
    assert_string_equal(field_of(fields, "error"), "");
    assert_string_equal(field_of(fields, "deliveries"), "7");
    freeReplyObject(r);
    assert_int_equal(pending_of(f->q), 0);
    km_stream_entries_free(e, 2);
    km_post_batch_free(&b);
}

/* Ids of the stream's entries, oldest first (at most 32). */
static size_t stream_ids(struct fx *f, char ids[][48])
{
    redisReply *r = rcmd(f->raw, "XRANGE", f->k_posts, "-", "+", NULL);
    size_t n = r->elements < 32 ? r->elements : 32;
    for (size_t i = 0; i < n; i++) {
        snprintf(ids[i], 48, "%s", r->element[i]->element[0]->str);
    }
    freeReplyObject(r);
    return n;
}

static long long trim_ok(struct km_queue *q)
{
    struct km_err err = {{0}};
    long long removed = -1;
    int rc = km_queue_trim(q, &removed, &err);
    if (rc != KM_OK) {
        fail_msg("trim: %s", err.msg);
    }
    return removed;
}

/* Trimming never removes what a group still needs: pending entries, entries not yet
 * delivered, everything while a group has read nothing; with legacy = true the XDEL path,
 * which is exact. */
static void trim_case(struct fx *f, bool legacy)
{
    struct km_queue *q = queue_variant(f, 5, legacy);
    struct km_err err = {{0}};
    assert_int_equal(km_queue_group_create(q, "tickets", &err), KM_OK);
    assert_int_equal(km_queue_group_create(q, "other", &err), KM_OK);
    char names[20][16];
    const char *ids[20];
    for (int i = 0; i < 20; i++) {
        snprintf(names[i], sizeof(names[i]), "%d", i);
        ids[i] = names[i];
    }
    struct km_post_batch b;
    batch_of(&b, ids, 20);
    write_ok(q, &b, NULL, 20, 0); /* XADD no longer trims: all 20 stay beyond maxlen 5 */
    char all[32][48];
    assert_int_equal(stream_ids(f, all), 20);
    struct km_stream_entry *e = NULL;
    assert_int_equal(read_n(q, "c1", false, 10, &e), 10);
    ack_all(q, e, 4); /* pending: entries 4..9; not delivered: 10..19 */
    km_stream_entries_free(e, 10);
    assert_int_equal(trim_ok(q), 0); /* group "other" has read nothing */
    assert_int_equal(rint_of(f->raw, "XLEN", f->k_posts), 20);
    freeReplyObject(rcmd(f->raw, "XGROUP", "DESTROY", f->k_posts, "other", NULL));
    long long removed = trim_ok(q);
    assert_true(removed >= 2 && removed <= 4);
    assert_int_equal(removed, legacy ? 4 : removed);
    char left[32][48];
    assert_int_equal(stream_ids(f, left), 20 - (size_t)removed);
    assert_string_equal(left[4 - removed], all[4]); /* the oldest pending entry is kept */
    assert_int_equal(pending_of(q), 6);
    assert_int_equal(read_n(q, "c1", true, 10, &e), 6); /* and still readable with its post */
    assert_non_null(e[0].post_json);
    ack_all(q, e, 6);
    km_stream_entries_free(e, 6);
    /* all delivered entries acknowledged: only the ten never delivered must stay */
    removed += trim_ok(q);
    assert_true(removed >= 8 && removed <= 10);
    assert_int_equal(removed, legacy ? 10 : removed);
    assert_int_equal(rint_of(f->raw, "XLEN", f->k_posts), 20 - removed);
    assert_int_equal(stream_ids(f, left), 20 - (size_t)removed);
    assert_string_equal(left[10 - removed], all[10]);
    km_post_batch_free(&b);
    km_queue_free(q);
}

static void test_trim(void **state)
{
    struct fx *f = fx_get(state);
    /* small macro nodes, so that XTRIM MINID ~ can remove whole nodes of a short stream */
    freeReplyObject(rcmd(f->raw, "CONFIG", "SET", "stream-node-max-entries", "2", NULL));
    trim_case(f, false);
    freeReplyObject(rcmd(f->raw, "DEL", f->k_posts, f->k_seen, NULL));
    trim_case(f, true);
    /* below maxlen nothing is trimmed; without any group MAXLEN ~ applies */
    freeReplyObject(rcmd(f->raw, "DEL", f->k_posts, f->k_seen, NULL));
    struct km_queue *q = queue_variant(f, 1000, false);
    const char *ids[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
    struct km_post_batch b;
    batch_of(&b, ids, 10);
    write_ok(q, &b, NULL, 10, 0);
    assert_int_equal(trim_ok(q), 0);
    km_queue_free(q);
    q = queue_variant(f, 5, false);
    long long removed = trim_ok(q);
    assert_true(removed >= 2 && removed <= 5);
    assert_int_equal(rint_of(f->raw, "XLEN", f->k_posts), 10 - removed);
    km_queue_free(q);
    freeReplyObject(rcmd(f->raw, "CONFIG", "SET", "stream-node-max-entries", "100", NULL));
    km_post_batch_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url),
        cmocka_unit_test(test_redis_down),
        cmocka_unit_test_setup_teardown(test_write_and_dups, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_cursor_only_with_batch, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_batch_with_inner_dups, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_post_without_id, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_seen_window, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_writers, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_read_ack_pending, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_entries_without_post, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_block_and_claim, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_reconnect_after_kill, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_escalations_pipelined, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_send_finish, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_send_then_connection_lost, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_auth_and_db, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_reconnect_after_restart, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_triage_fields, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_escalation, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_claim_legacy, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_dead_letter, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_trim, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
