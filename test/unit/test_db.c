/* Tests of db/ (migrations, batch insert, the tickets role) against a real PostgreSQL and
 * redis-server. test/integration/test_modules.sh starts both (lib.sh) and sets
 * KM_PG_CONNINFO, KM_REDIS_URL and KM_REDIS_PORT; without them those tests are skipped.
 * Every test starts from freshly migrated tables and its own Redis namespace. */
#include "common/alloc.h"
#include "common/err.h"
#include "db/db.h"
#include "db/migrations.h"
#include "db/textarr.h"
#include "db/tickets.h"
#include "parser/post.h"
#include "queue/group.h"
#include "queue/queue.h"

#include <hiredis/hiredis.h>
#include <libpq-fe.h>

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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

struct fx {
    PGconn *pg;       /* independent connection for checks */
    struct km_db *db; /* the code under test */
    char ns[64], k_posts[96];
};

static int fx_counter;

static void pg_exec(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    }
    PQclear(r);
}

/* First cell of a query's result as a new string ("" for NULL). */
static char *pg_str(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1) {
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    }
    char *s = km_strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return s;
}

static long pg_long(PGconn *c, const char *sql)
{
    char *s = pg_str(c, sql);
    long v = atol(s);
    free(s);
    return v;
}

static void drop_all(PGconn *c)
{
    pg_exec(c, "SET client_min_messages = warning");
    pg_exec(c, "DROP SCHEMA public CASCADE");
    pg_exec(c, "CREATE SCHEMA public");
}

static int latest_version(void)
{
    int v = 0;
    for (const struct km_migration *m = km_migrations; m->name != NULL; m++) {
        v = m->version;
    }
    return v;
}

static int fx_setup(void **state)
{
    *state = NULL;
    const char *info = getenv("KM_PG_CONNINFO");
    if (info == NULL || getenv("KM_REDIS_URL") == NULL) {
        return 0;
    }
    struct fx *f = km_calloc(1, sizeof(*f));
    f->pg = PQconnectdb(info);
    assert_int_equal(PQstatus(f->pg), CONNECTION_OK);
    drop_all(f->pg);
    struct km_err err = {{0}};
    assert_int_equal(km_db_connect(info, &f->db, &err), KM_OK);
    assert_int_equal(km_db_migrate(f->db, NULL, &err), KM_OK);
    snprintf(f->ns, sizeof(f->ns), "d%d_%d", (int)getpid(), ++fx_counter);
    snprintf(f->k_posts, sizeof(f->k_posts), "{%s}:posts", f->ns);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    if (f != NULL) {
        km_db_free(f->db);
        PQfinish(f->pg);
        free(f);
    }
    return 0;
}

static struct fx *fx_get(void **state)
{
    if (*state == NULL) {
        skip(); /* no servers: run through test/integration/test_modules.sh */
    }
    return *state;
}

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

static struct km_post *mkpost(const char *id, const char *text)
{
    struct km_post *p = km_post_new();
    km_post_set(&p->network, "telegram");
    km_post_set(&p->id, id);
    km_post_set(&p->source, "city109");
    km_post_set(&p->text, text);
    km_post_set(&p->author.name, "Айгуль");
    km_post_add_hashtag(p, "109");
    km_post_add_hashtag(p, "Астана");
    p->created_at = 1795372861000LL;
    p->collected_at = 1795372862000LL;
    return p;
}

/* Sets e to a stream entry with id "<n>-0" carrying json (copied; len bytes). */
static void entry_set(struct km_stream_entry *e, int n, const char *json, size_t len)
{
    memset(e, 0, sizeof(*e));
    e->id = km_asprintf("%d-0", n);
    if (json != NULL) {
        e->post_json = km_malloc(len + 1);
        memcpy(e->post_json, json, len);
        e->post_json[len] = '\0';
        e->post_len = len;
    }
}

static void entry_of_post(struct km_stream_entry *e, int n, const char *id, const char *text)
{
    struct km_post *p = mkpost(id, text);
    char *json = km_post_to_json(p);
    entry_set(e, n, json, strlen(json));
    free(json);
    km_post_free(p);
}

static struct km_db_counts insert_ok(struct km_db *db, const struct km_stream_entry *e, size_t n)
{
    struct km_db_counts c = {99, 99, 99};
    struct km_err err = {{0}};
    int rc = km_db_insert_posts(db, e, n, &c, &err);
    if (rc != KM_OK) {
        fail_msg("insert_posts: %s", err.msg);
    }
    assert_int_equal(c.inserted + c.duplicates + c.rejected + c.escalated, n);
    return c;
}

/* ---- connection and migrations ------------------------------------------------------- */

static void test_connect_errors(void **state)
{
    (void)state;
    struct km_db *db = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_db_connect("nonsense", &db, &err), KM_EINPUT);
    assert_null(db);
    assert_non_null(strstr(err.msg, "conninfo"));
    char info[96];
    snprintf(info, sizeof(info), "host=127.0.0.1 port=%d user=komek dbname=komek", closed_port());
    assert_int_equal(km_db_connect(info, &db, &err), KM_RETRY);
    assert_null(db);
    assert_non_null(strstr(err.msg, "connect"));
    km_db_free(NULL);
}

struct migrator {
    int rc, applied;
};

static void *migrator_run(void *arg)
{
    struct migrator *m = arg;
    struct km_db *db = NULL;
    struct km_err err = {{0}};
    m->rc = km_db_connect(getenv("KM_PG_CONNINFO"), &db, &err);
    if (m->rc == KM_OK) {
        m->rc = km_db_migrate(db, &m->applied, &err);
    }
    km_db_free(db);
    return NULL;
}

static void test_migrate_idempotent(void **state)
{
    struct fx *f = fx_get(state);
    struct km_err err = {{0}};
    int applied = -1, current = -1, latest = -1;
    drop_all(f->pg);
    assert_int_equal(km_db_schema_status(f->db, &current, &latest, &err), KM_OK);
    assert_int_equal(current, 0);
    assert_int_equal(latest, latest_version());
    assert_true(latest >= 1);
    assert_int_equal(km_db_migrate(f->db, &applied, &err), KM_OK);
    assert_int_equal(applied, latest);
    assert_int_equal(km_db_schema_status(f->db, &current, NULL, &err), KM_OK);
    assert_int_equal(current, latest);
    assert_int_equal(km_db_migrate(f->db, &applied, &err), KM_OK);
    assert_int_equal(applied, 0);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM schema_migrations"), latest);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM rejected_entries"), 0);
    /* two migrators at once: the advisory lock lets exactly one apply each migration */
    drop_all(f->pg);
    struct migrator m[2] = {{-9, -1}, {-9, -1}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pthread_create(&t[i], NULL, migrator_run, &m[i]), 0);
    }
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(m[i].rc, KM_OK);
    }
    assert_int_equal(m[0].applied + m[1].applied, latest);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM schema_migrations"), latest);
}

/* ---- inserting ----------------------------------------------------------------------- */

/* A binary text[] parameter: array_send()'s layout byte for byte, and PostgreSQL reads it
 * back with NULLs, empty strings, quotes, braces and Cyrillic intact. */
static void test_textarr(void **state)
{
    struct fx *f = fx_get(state);
    struct km_textarr a;
    km_textarr_init(&a);
    km_textarr_add(&a, "ab");
    km_textarr_add(&a, NULL);
    static const unsigned char want[] = {0, 0, 0, 1, 0, 0, 0, 1, 0, 0,   0,   25,  0,   0,   0,
                                         2, 0, 0, 0, 1, 0, 0, 0, 2, 'a', 'b', 255, 255, 255, 255};
    assert_int_equal(km_textarr_len(&a), (int)sizeof(want));
    assert_memory_equal(km_textarr_data(&a), want, sizeof(want));
    km_textarr_add(&a, "");
    km_textarr_add(&a, "{\"Нет\", света}\\");
    const char *vals[1] = {km_textarr_data(&a)};
    int lens[1] = {km_textarr_len(&a)}, formats[1] = {1};
    PGresult *r =
        PQexecParams(f->pg, "SELECT array_length($1::text[], 1), $1[2] IS NULL, $1[3], $1[4]", 1,
                     NULL, vals, lens, formats, 0);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_string_equal(PQgetvalue(r, 0, 0), "4");
    assert_string_equal(PQgetvalue(r, 0, 1), "t");
    assert_string_equal(PQgetvalue(r, 0, 2), "");
    assert_string_equal(PQgetvalue(r, 0, 3), "{\"Нет\", света}\\");
    PQclear(r);
    km_textarr_free(&a);
}

static void test_insert_idempotent(void **state)
{
    struct fx *f = fx_get(state);
    struct km_stream_entry e[3];
    entry_of_post(&e[0], 1, "-100:1", "Нет света #109");
    entry_of_post(&e[1], 2, "-100:2", "second");
    entry_of_post(&e[2], 3, "-100:3", "third \"quoted\" \\ backslash");
    struct km_db_counts c = insert_ok(f->db, e, 3);
    assert_int_equal(c.inserted, 3);
    c = insert_ok(f->db, e, 3);
    assert_int_equal(c.duplicates, 3);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM posts"), 3);
    char *row = pg_str(f->pg, "SELECT concat_ws('|', network, post_id, source, text, author_name, "
                              "array_to_string(hashtags, ','), "
                              "created_at = '2026-11-22T18:41:01Z'::timestamptz, "
                              "collected_at = '2026-11-22T18:41:02Z'::timestamptz, "
                              "post->>'text', stream_id) FROM posts WHERE post_id = '-100:1'");
    assert_string_equal(row, "telegram|-100:1|city109|Нет света #109|Айгуль|109,астана|t|t|"
                             "Нет света #109|1-0");
    free(row);
    row = pg_str(f->pg, "SELECT text FROM posts WHERE post_id = '-100:3'");
    assert_string_equal(row, "third \"quoted\" \\ backslash");
    free(row);
    for (int i = 0; i < 3; i++) {
        free(e[i].id);
        free(e[i].post_json);
    }
}

static void test_insert_repairs_text(void **state)
{
    struct fx *f = fx_get(state);
    /* invalid UTF-8 in the author's name, an escaped NUL and a raw NUL byte in texts */
    static const char bad_utf8[] = "{\"network\":\"rss\",\"id\":\"u1\",\"text\":\"ok\","
                                   "\"author\":{\"name\":\"\xc3\x28x\xff\"}}";
    static const char esc_nul[] = "{\"network\":\"rss\",\"id\":\"u2\",\"text\":\"a\\u0000b\"}";
    static const char raw_nul[] = "{\"network\":\"rss\",\"id\":\"u3\",\"text\":\"x\0y\"}";
    struct km_stream_entry e[4];
    entry_of_post(&e[0], 1, "good", "good one");
    entry_set(&e[1], 2, bad_utf8, sizeof(bad_utf8) - 1);
    entry_set(&e[2], 3, esc_nul, sizeof(esc_nul) - 1);
    entry_set(&e[3], 4, raw_nul, sizeof(raw_nul) - 1);
    struct km_db_counts c = insert_ok(f->db, e, 4);
    assert_int_equal(c.inserted, 4);
    assert_int_equal(c.rejected, 0);
    char *s = pg_str(f->pg, "SELECT author_name FROM posts WHERE post_id = 'u1'");
    assert_string_equal(s, "\xef\xbf\xbd(x\xef\xbf\xbd");
    free(s);
    s = pg_str(f->pg, "SELECT post->'author'->>'name' FROM posts WHERE post_id = 'u1'");
    assert_string_equal(s, "\xef\xbf\xbd(x\xef\xbf\xbd");
    free(s);
    /* whatever the decoder makes of a NUL, the column and the jsonb agree and hold none */
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM posts WHERE post->>'text' = text "
                                    "AND post_id IN ('u2', 'u3') AND strpos(text, 'x') + "
                                    "strpos(text, 'a') > 0"),
                     2);
    for (int i = 0; i < 4; i++) {
        free(e[i].id);
        free(e[i].post_json);
    }
}

static void test_insert_rejects(void **state)
{
    struct fx *f = fx_get(state);
    static const char junk[] = "{not json \xff";
    static const char no_id[] = "{\"network\":\"rss\",\"text\":\"no id\"}";
    struct km_stream_entry e[5];
    entry_of_post(&e[0], 1, "p1", "first");
    entry_set(&e[1], 2, junk, sizeof(junk) - 1);
    entry_set(&e[2], 3, NULL, 0); /* no "post" field */
    entry_set(&e[3], 4, no_id, sizeof(no_id) - 1);
    entry_of_post(&e[4], 5, "p5", "last");
    struct km_db_counts c = insert_ok(f->db, e, 5);
    assert_int_equal(c.inserted, 2);
    assert_int_equal(c.rejected, 3);
    c = insert_ok(f->db, e, 5); /* storing the same batch again changes nothing */
    assert_int_equal(c.duplicates, 2);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM posts"), 2);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM rejected_entries"), 3);
    char *s =
        pg_str(f->pg, "SELECT concat_ws('|', raw, (reason <> '')::text) FROM rejected_entries "
                      "WHERE stream_id = '2-0'");
    assert_string_equal(s, "{not json \xef\xbf\xbd|true");
    free(s);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM rejected_entries WHERE stream_id = "
                                    "'3-0' AND raw IS NULL"),
                     1);
    for (int i = 0; i < 5; i++) {
        free(e[i].id);
        free(e[i].post_json);
    }
}

static void test_insert_refused_row(void **state)
{
    struct fx *f = fx_get(state);
    pg_exec(f->pg, "ALTER TABLE posts ADD CONSTRAINT t_refuse CHECK (text <> 'refuse me')");
    struct km_stream_entry e[3];
    entry_of_post(&e[0], 1, "r1", "fine");
    entry_of_post(&e[1], 2, "r2", "refuse me");
    entry_of_post(&e[2], 3, "r3", "fine too");
    struct km_db_counts c = insert_ok(f->db, e, 3);
    assert_int_equal(c.inserted, 2);
    assert_int_equal(c.rejected, 1);
    char *s = pg_str(f->pg, "SELECT stream_id || ' ' || (strpos(reason, 't_refuse') > 0)::text "
                            "FROM rejected_entries");
    assert_string_equal(s, "2-0 true");
    free(s);
    for (int i = 0; i < 3; i++) {
        free(e[i].id);
        free(e[i].post_json);
    }
}

/* ---- the tickets role ---------------------------------------------------------------- */

static struct km_tickets_opts tickets_opts(const struct fx *f, const char *conninfo)
{
    struct km_tickets_opts o = {{getenv("KM_REDIS_URL"), NULL, f->ns, 2000, 0, 0},
                                conninfo,
                                "tickets",
                                "c1",
                                2, /* small batches: several transactions per run */
                                100};
    return o;
}

static struct km_queue *queue_of(const struct fx *f)
{
    struct km_queue_opts o = {getenv("KM_REDIS_URL"), NULL, f->ns, 2000, 0, 0};
    struct km_queue *q = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_queue_new(&o, &q, &err), KM_OK);
    return q;
}

static void add_posts(struct km_queue *q, int from, int to)
{
    struct km_post_batch b;
    km_post_batch_init(&b);
    for (int i = from; i < to; i++) {
        char id[16];
        snprintf(id, sizeof(id), "t%d", i);
        km_post_batch_add_take(&b, mkpost(id, "tickets"));
    }
    struct km_err err = {{0}};
    size_t added = 0;
    assert_int_equal(km_queue_write_batch(q, "city109", &b, NULL, &added, NULL, &err), KM_OK);
    assert_int_equal(added, (size_t)(to - from));
    km_post_batch_free(&b);
}

static long long pending_of(struct km_queue *q)
{
    long long n = -1;
    struct km_err err = {{0}};
    assert_int_equal(km_queue_pending_count(q, "tickets", &n, &err), KM_OK);
    return n;
}

static void tickets_ok(const struct km_tickets_opts *o)
{
    volatile sig_atomic_t stop = 0;
    struct km_err err = {{0}};
    int rc = km_tickets_run(o, &stop, true, &err);
    if (rc != KM_OK) {
        fail_msg("tickets: %s", err.msg);
    }
}

/* The after hook of test_tickets_read_ahead_fails: after the first batch, destroys the
 * consumer group, so that the next step's read ahead gets an error (NOGROUP). */
struct kill_after {
    redisContext *raw;
    const char *stream;
    int calls;
};

static int kill_after_first(void *ctx, struct km_db *db, size_t stored, struct km_err *err)
{
    (void)db;
    (void)err;
    struct kill_after *k = ctx;
    if (stored > 0 && k->calls++ == 0) {
        freeReplyObject(redisCommand(k->raw, "XGROUP DESTROY %s tickets", k->stream));
    }
    return KM_OK;
}

/* Reading the next batch ahead fails (the group is gone): the role goes on, finds the
 * failure again on its next read, creates the group again, and every entry ends up stored
 * once and acknowledged. */
static void test_tickets_read_ahead_fails(void **state)
{
    struct fx *f = fx_get(state);
    struct km_queue *q = queue_of(f);
    add_posts(q, 0, 7);
    struct kill_after k = {redisConnect("127.0.0.1", atoi(getenv("KM_REDIS_PORT"))), f->k_posts,
                           0};
    assert_int_equal(k.raw->err, 0);
    struct km_tickets_opts o = tickets_opts(f, getenv("KM_PG_CONNINFO"));
    o.after = kill_after_first;
    o.after_ctx = &k;
    volatile sig_atomic_t stop = 0;
    struct km_err err = {{0}};
    int rc = km_tickets_run(&o, &stop, true, &err);
    if (rc != KM_OK) { /* --once stops at a failed step; the next run finishes the work */
        tickets_ok(&o);
    }
    assert_true(k.calls >= 1);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM posts"), 7);
    assert_int_equal(pending_of(q), 0);
    redisFree(k.raw);
    km_queue_free(q);
}

static void test_tickets_once(void **state)
{
    struct fx *f = fx_get(state);
    struct km_tickets_opts o = tickets_opts(f, getenv("KM_PG_CONNINFO"));
    struct km_queue *q = queue_of(f);
    struct km_err err = {{0}};
    assert_int_equal(km_queue_group_create(q, "tickets", &err), KM_OK);
    add_posts(q, 0, 3);
    /* c1 "crashed" after reading two entries: they must be stored first, not lost */
    struct km_stream_entry *e = NULL;
    size_t n = 0;
    assert_int_equal(km_queue_read_group(q, "tickets", "c1", false, 2, 0, &e, &n, &err), KM_OK);
    assert_int_equal(n, 2);
    km_stream_entries_free(e, n);
    add_posts(q, 3, 6);
    const char *port = getenv("KM_REDIS_PORT");
    redisContext *raw = redisConnect("127.0.0.1", port != NULL ? atoi(port) : 6379);
    assert_int_equal(raw->err, 0);
    const char *argv[5] = {"XADD", f->k_posts, "*", "foo", "bar"}; /* no "post" field */
    size_t lens[5] = {4, strlen(f->k_posts), 1, 3, 3};
    freeReplyObject(redisCommandArgv(raw, 5, argv, lens));
    tickets_ok(&o);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM posts"), 6);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM rejected_entries"), 1);
    assert_int_equal(pending_of(q), 0);
    tickets_ok(&o); /* nothing new: nothing changes */
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM posts"), 6);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM posts WHERE stream_id IS NULL"), 0);
    redisFree(raw);
    km_queue_free(q);
}

static void test_tickets_schema_missing(void **state)
{
    struct fx *f = fx_get(state);
    drop_all(f->pg);
    struct km_tickets_opts o = tickets_opts(f, getenv("KM_PG_CONNINFO"));
    volatile sig_atomic_t stop = 0;
    struct km_err err = {{0}};
    assert_int_equal(km_tickets_run(&o, &stop, true, &err), KM_ERR);
    assert_non_null(strstr(err.msg, "run komekctl migrate"));
    stop = 1; /* a stopped role returns at once, even without a database */
    assert_int_equal(km_tickets_run(&o, &stop, false, &err), KM_OK);
    o.consumer = "";
    assert_int_equal(km_tickets_run(&o, &stop, true, &err), KM_EINPUT);
}

static void test_tickets_pg_down(void **state)
{
    struct fx *f = fx_get(state);
    struct km_queue *q = queue_of(f);
    add_posts(q, 0, 3);
    /* unreachable at start: nothing read, nothing acknowledged */
    char info[96];
    snprintf(info, sizeof(info), "host=127.0.0.1 port=%d user=komek dbname=komek", closed_port());
    struct km_tickets_opts o = tickets_opts(f, info);
    volatile sig_atomic_t stop = 0;
    struct km_err err = {{0}};
    assert_int_equal(km_tickets_run(&o, &stop, true, &err), KM_RETRY);
    assert_non_null(strstr(err.msg, "connect"));
    /* the server goes away in the middle of a batch: read, not committed, not acked */
    pg_exec(f->pg, "CREATE OR REPLACE FUNCTION t_die() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END$$");
    pg_exec(f->pg, "CREATE TRIGGER t_die BEFORE INSERT ON posts FOR EACH ROW "
                   "EXECUTE FUNCTION t_die()");
    o = tickets_opts(f, getenv("KM_PG_CONNINFO"));
    assert_int_equal(km_tickets_run(&o, &stop, true, &err), KM_RETRY);
    /* the first batch of 2, read but not acknowledged, and the next one, read ahead */
    assert_int_equal(pending_of(q), 3);
    pg_exec(f->pg, "DROP TRIGGER t_die ON posts");
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM posts"), 0);
    tickets_ok(&o); /* back: the pending batch first, then the rest */
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM posts"), 3);
    assert_int_equal(pending_of(q), 0);
    km_queue_free(q);
}

struct runner {
    struct km_tickets_opts o;
    volatile sig_atomic_t stop;
    int rc;
    struct km_err err;
};

static void *runner_run(void *arg)
{
    struct runner *r = arg;
    r->rc = km_tickets_run(&r->o, &r->stop, false, &r->err);
    return NULL;
}

/* XADDs an entry carrying post json (and the flat fields) to f's stream. */
static void xadd_json(const struct fx *f, redisContext *raw, const char *post_id, const char *json)
{
    const char *argv[11] = {"XADD", f->k_posts, "*",     "v",    "1", "network",
                            "rss",  "post_id",  post_id, "post", json};
    size_t lens[11];
    for (int i = 0; i < 11; i++) {
        lens[i] = strlen(argv[i]);
    }
    redisReply *r = redisCommandArgv(raw, 11, argv, lens);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    freeReplyObject(r);
}

/* n pseudo-random letters and digits (fixed seed): too random for PostgreSQL to compress
 * below the index row limit. */
static char *random_text(size_t n)
{
    static const char abc[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    uint32_t x = 2463534242u;
    char *s = km_malloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        s[i] = abc[x % (sizeof(abc) - 1)];
    }
    s[n] = '\0';
    return s;
}

/* Rows PostgreSQL refuses for a reason other than invalid data (SQLSTATE 54000: the index
 * row is too big) are rejected alone; the role neither fails nor leaves anything pending. */
static void test_tickets_poison(void **state)
{
    struct fx *f = fx_get(state);
    struct km_tickets_opts o = tickets_opts(f, getenv("KM_PG_CONNINFO"));
    o.batch = 10; /* everything in one batch */
    struct km_queue *q = queue_of(f);
    struct km_err err = {{0}};
    assert_int_equal(km_queue_group_create(q, "tickets", &err), KM_OK);
    redisContext *raw = redisConnect("127.0.0.1", atoi(getenv("KM_REDIS_PORT")));
    assert_int_equal(raw->err, 0);
    char *big = random_text(6000);
    char *long_id = km_asprintf("{\"network\":\"rss\",\"source\":\"s\",\"id\":\"%s\","
                                "\"text\":\"hi\"}",
                                big);
    char *long_net = km_asprintf("{\"network\":\"%s\",\"source\":\"s\",\"id\":\"n\","
                                 "\"text\":\"hi\"}",
                                 big);
    char *long_tag = km_asprintf("{\"network\":\"rss\",\"source\":\"s\",\"id\":\"tag\","
                                 "\"hashtags\":[\"ok\",\"%s\"],\"text\":\"hi\"}",
                                 big);
    xadd_json(f, raw, "good1",
              "{\"network\":\"rss\",\"source\":\"s\",\"id\":\"good1\","
              "\"text\":\"hi\"}");
    xadd_json(f, raw, "long", long_id);
    xadd_json(f, raw, "tag", long_tag);
    xadd_json(f, raw, "n", long_net);
    xadd_json(f, raw, "good2",
              "{\"network\":\"rss\",\"source\":\"s\",\"id\":\"good2\","
              "\"text\":\"hi\"}");
    tickets_ok(&o);
    assert_int_equal(pending_of(q), 0);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM posts WHERE post_id IN "
                                    "('good1', 'good2')"),
                     2);
    /* both over-long keys rejected, with the SQLSTATE and the raw post kept */
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM rejected_entries WHERE "
                                    "strpos(reason, 'SQLSTATE 54000') > 0 AND "
                                    "strpos(reason, 'index row') > 0 AND length(raw) > 6000"),
                     2);
    /* the over-long hashtag: the post is stored without it (the decoder drops tags over
     * KM_HASHTAG_MAX_BYTES) or, if it got through, rejected like the others */
    long stored = pg_long(f->pg, "SELECT count(*) FROM posts WHERE post_id = 'tag' AND "
                                 "hashtags = '{ok}'");
    long rejected = pg_long(f->pg, "SELECT count(*) FROM rejected_entries WHERE "
                                   "strpos(reason, 'SQLSTATE 54000') > 0 AND strpos(raw, "
                                   "'\"tag\"') > 0");
    assert_int_equal(stored + rejected, 1);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM posts") +
                         pg_long(f->pg, "SELECT count(*) FROM rejected_entries"),
                     5);
    tickets_ok(&o); /* nothing left to do: nothing changes */
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM rejected_entries"), 2 + rejected);
    free(big);
    free(long_id);
    free(long_net);
    free(long_tag);
    redisFree(raw);
    km_queue_free(q);
}

/* A refusal no row can cause (privilege revoked) fails the batch instead of rejecting
 * every entry; nothing is acknowledged. */
static void test_insert_schema_fault(void **state)
{
    struct fx *f = fx_get(state);
    pg_exec(f->pg, "CREATE OR REPLACE FUNCTION t_deny() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$BEGIN RAISE insufficient_privilege USING MESSAGE = 'denied'; END$$");
    pg_exec(f->pg, "CREATE TRIGGER t_deny BEFORE INSERT ON posts FOR EACH ROW "
                   "EXECUTE FUNCTION t_deny()");
    struct km_stream_entry e[2];
    entry_of_post(&e[0], 1, "s1", "one");
    entry_of_post(&e[1], 2, "s2", "two");
    struct km_db_counts c = {9, 9, 9};
    struct km_err err = {{0}};
    assert_int_equal(km_db_insert_posts(f->db, e, 2, &c, &err), KM_ERR);
    assert_non_null(strstr(err.msg, "42501"));
    assert_int_equal(c.inserted + c.duplicates + c.rejected, 0);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM rejected_entries"), 0);
    pg_exec(f->pg, "DROP TRIGGER t_deny ON posts");
    c = insert_ok(f->db, e, 2);
    assert_int_equal(c.inserted, 2);
    for (int i = 0; i < 2; i++) {
        free(e[i].id);
        free(e[i].post_json);
    }
}

/* Polls until posts holds rows rows and pending entries are pending, or 20 s pass: waits for
 * the role's progress, which has no other signal. */
static bool wait_for(struct fx *f, struct km_queue *q, long rows, long long pending)
{
    for (int i = 0; i < 1000; i++) {
        if (pg_long(f->pg, "SELECT count(*) FROM posts") == rows && pending_of(q) == pending) {
            return true;
        }
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return false;
}

/* The long-running role: PostgreSQL fails under it, it backs off, reconnects, stores the
 * pending batch, then follows new entries until stopped. */
static void test_tickets_daemon(void **state)
{
    struct fx *f = fx_get(state);
    struct km_queue *q = queue_of(f);
    struct km_err err = {{0}};
    assert_int_equal(km_queue_group_create(q, "tickets", &err), KM_OK);
    add_posts(q, 0, 3);
    pg_exec(f->pg, "CREATE OR REPLACE FUNCTION t_die() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END$$");
    pg_exec(f->pg, "CREATE TRIGGER t_die BEFORE INSERT ON posts FOR EACH ROW "
                   "EXECUTE FUNCTION t_die()");
    struct runner r;
    memset(&r, 0, sizeof(r));
    r.o = tickets_opts(f, getenv("KM_PG_CONNINFO"));
    r.o.block_ms = 50;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, runner_run, &r), 0);
    assert_true(wait_for(f, q, 0, 3)); /* both batches read (one ahead), kept pending */
    pg_exec(f->pg, "DROP TRIGGER t_die ON posts");
    assert_true(wait_for(f, q, 3, 0));
    add_posts(q, 3, 5); /* arrives while the role blocks on the stream */
    assert_true(wait_for(f, q, 5, 0));
    r.stop = 1;
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(r.rc, KM_OK);
    km_queue_free(q);
}

/* ---- triage columns, incidents and escalations (migration 002) ------------------------ */

/* A post scored by triage: priority, urgency, category, incident and dup_of may be 0/NULL. */
static struct km_post *mkscored(const char *id, const char *author, int priority, int urgency,
                                const char *category, const char *incident, const char *dup_of)
{
    struct km_post *p = mkpost(id, "scored");
    km_post_set(&p->author.id, author);
    struct km_post_triage *t = &p->triage;
    t->scored = true;
    t->priority = priority;
    t->urgency = urgency;
    km_post_set(&t->category, category);
    km_post_set(&t->incident, incident);
    km_post_set(&t->dup_of, dup_of);
    km_post_set(&t->agency, "Astana Su Arnasy");
    km_post_set(&t->fingerprint, "00ff00ff00ff00ff");
    t->sla_due = p->collected_at + 600000;
    km_post_add_reason(p, "+%d category %s", urgency, category != NULL ? category : "other");
    return p;
}

static void entry_of(struct km_stream_entry *e, int n, const struct km_post *p, bool escalation)
{
    char *json = km_post_to_json(p);
    entry_set(e, n, json, strlen(json));
    e->v = p->triage.scored ? 2 : 1;
    e->escalation = escalation;
    free(json);
}

static void entries_free(struct km_stream_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(e[i].id);
        free(e[i].post_json);
    }
}

/* One row of posts as "category|urgency|priority|reasons|sla_due ok|agency|fingerprint|
 * incident|dup_of|escalated" (empty for NULL). */
static char *triage_row(PGconn *pg, const char *post_id)
{
    char *sql = km_asprintf(
        "SELECT concat_ws('|', coalesce(category, ''), coalesce(urgency::text, ''), "
        "coalesce(priority::text, ''), coalesce(array_to_string(reasons, ';'), ''), "
        "coalesce((sla_due = collected_at + interval '10 minutes')::text, ''), "
        "coalesce(agency, ''), coalesce(fingerprint, ''), coalesce(incident, ''), "
        "coalesce(dup_of, ''), (escalated_at IS NOT NULL)::text) FROM posts WHERE post_id = '%s'",
        post_id);
    char *row = pg_str(pg, sql);
    free(sql);
    return row;
}

static char *incident_row(PGconn *pg, const char *id)
{
    char *sql = km_asprintf("SELECT concat_ws('|', coalesce(category, ''), priority, urgency, "
                            "posts, authors, first_seen <= last_seen, "
                            "(escalated_at IS NOT NULL)::text) FROM incidents WHERE id = '%s'",
                            id);
    char *row = pg_str(pg, sql);
    free(sql);
    return row;
}

/* A database created by the first release (schema 1, with rows) is migrated to 2: the old
 * rows stay, not scored; then scored and unscored entries both insert. */
static void test_migrate_v1_rows(void **state)
{
    struct fx *f = fx_get(state);
    drop_all(f->pg);
    pg_exec(f->pg, "CREATE TABLE schema_migrations (version int PRIMARY KEY, name text NOT "
                   "NULL, applied_at timestamptz NOT NULL DEFAULT now())");
    assert_int_equal(km_migrations[0].version, 1);
    pg_exec(f->pg, km_migrations[0].sql);
    pg_exec(f->pg, "INSERT INTO schema_migrations (version, name) VALUES (1, '001_posts.sql')");
    pg_exec(f->pg, "INSERT INTO posts (network, post_id, source, text, post) VALUES "
                   "('telegram', 'old1', 's', 'old', '{}'), ('rss', 'old2', 's', 'old', '{}')");
    struct km_err err = {{0}};
    int current = -1, applied = -1;
    assert_int_equal(km_db_schema_status(f->db, &current, NULL, &err), KM_OK);
    assert_int_equal(current, 1);
    assert_int_equal(km_db_migrate(f->db, &applied, &err), KM_OK);
    assert_int_equal(applied, latest_version() - 1);
    assert_true(latest_version() >= 2);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM posts WHERE category IS NULL AND "
                                    "priority IS NULL AND reasons IS NULL AND incident IS NULL"),
                     2);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM incidents"), 0);
    struct km_stream_entry e[3];
    struct km_post *p[3] = {mkpost("new1", "v1"), mkscored("new2", "a", 2, 60, "water", NULL, NULL),
                            mkscored("old1", "a", 1, 90, "gas", NULL, NULL)};
    for (int i = 0; i < 3; i++) {
        entry_of(&e[i], i + 1, p[i], false);
        km_post_free(p[i]);
    }
    struct km_db_counts c = insert_ok(f->db, e, 3);
    assert_int_equal(c.inserted, 2);
    assert_int_equal(c.duplicates, 1); /* old1 was stored before: left as it was */
    char *row = triage_row(f->pg, "new2");
    assert_string_equal(row, "water|60|2|+60 category water|true|Astana Su Arnasy|"
                             "00ff00ff00ff00ff|||false");
    free(row);
    row = triage_row(f->pg, "new1");
    assert_string_equal(row, "|||||||||false");
    free(row);
    row = triage_row(f->pg, "old1");
    assert_string_equal(row, "|||||||||false");
    free(row);
    entries_free(e, 3);
    /* an escalation scores a post stored before triage existed */
    struct km_post *esc = mkscored("old1", "a", 1, 90, "gas", "inc-old", NULL);
    entry_of(&e[0], 9, esc, true);
    km_post_free(esc);
    c = insert_ok(f->db, e, 1);
    assert_int_equal(c.escalated, 1);
    row = triage_row(f->pg, "old1");
    assert_string_equal(row, "gas|90|1|+90 category gas||Astana Su Arnasy|"
                             "00ff00ff00ff00ff|inc-old||true");
    free(row);
    row = incident_row(f->pg, "inc-old");
    assert_string_equal(row, "gas|1|90|1|0|t|true");
    free(row);
    entries_free(e, 1);
}

/* Scored posts fill the triage columns; posts of an incident create and recount its row;
 * the original a duplicate names joins the incident; storing again changes nothing. */
static void test_insert_scored(void **state)
{
    struct fx *f = fx_get(state);
    struct km_stream_entry e[6];
    struct km_post *p[6] = {
        mkscored("orig", "u1", 3, 45, "water", NULL, NULL),
        mkscored("d1", "u2", 2, 60, "water", "inc-1", "telegram:orig"),
        mkscored("d2", "u3", 1, 88, "flooding", "inc-1", "telegram:orig"),
        mkscored("d3", "u2", 3, 40, "water", "inc-1", "telegram:d1"),
        mkscored("x1", NULL, 4, 10, "other", "inc-2", NULL),
        mkpost("plain", "not scored"),
    };
    km_post_add_reason(p[2], "+25 life-safety: \"\xd0\xb7\xd0\xb0\xd1\x82\xd0\xbe\xd0\xbf\", "
                             "{braces} \\ backslash");
    p[4]->created_at = 0;                  /* unknown: the incident falls back to collected_at */
    km_post_set(&p[4]->author.name, NULL); /* anonymous: counts as no author */
    for (int i = 0; i < 6; i++) {
        entry_of(&e[i], i + 1, p[i], false);
        km_post_free(p[i]);
    }
    struct km_db_counts c = insert_ok(f->db, e, 1); /* the original, in an earlier batch */
    assert_int_equal(c.inserted, 1);
    c = insert_ok(f->db, e + 1, 5);
    assert_int_equal(c.inserted, 5);
    char *row = triage_row(f->pg, "d2");
    assert_string_equal(row, "flooding|88|1|+88 category flooding;+25 life-safety: "
                             "\"\xd0\xb7\xd0\xb0\xd1\x82\xd0\xbe\xd0\xbf\", {braces} \\ "
                             "backslash|true|Astana Su Arnasy|00ff00ff00ff00ff|inc-1|"
                             "telegram:orig|false");
    free(row);
    row = pg_str(f->pg, "SELECT reasons[2] FROM posts WHERE post_id = 'd2'");
    assert_string_equal(row, "+25 life-safety: \"\xd0\xb7\xd0\xb0\xd1\x82\xd0\xbe\xd0\xbf\", "
                             "{braces} \\ backslash");
    free(row);
    row = pg_str(f->pg, "SELECT incident FROM posts WHERE post_id = 'orig'");
    assert_string_equal(row, "inc-1"); /* linked by its duplicates */
    free(row);
    /* orig, d1, d2, d3: authors u1, u2, u3; highest priority P1; most frequent category */
    row = incident_row(f->pg, "inc-1");
    assert_string_equal(row, "water|1|88|4|3|t|false");
    free(row);
    row = incident_row(f->pg, "inc-2");
    assert_string_equal(row, "other|4|10|1|0|t|false");
    free(row);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM incidents i WHERE i.posts <> (SELECT "
                                    "count(*) FROM posts WHERE incident = i.id)"),
                     0);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM posts WHERE post_id = 'x1' AND "
                                    "(SELECT first_seen FROM incidents WHERE id = 'inc-2') = "
                                    "collected_at"),
                     1);
    row = pg_str(f->pg, "SELECT post->'triage'->>'priority' FROM posts WHERE post_id = 'd2'");
    assert_string_equal(row, "P1");
    free(row);
    c = insert_ok(f->db, e, 6); /* again: duplicates, incidents unchanged */
    assert_int_equal(c.duplicates, 6);
    row = incident_row(f->pg, "inc-1");
    assert_string_equal(row, "water|1|88|4|3|t|false");
    free(row);
    /* the operator queue: most urgent first, then the earliest deadline, unscored last */
    row = pg_str(f->pg, "SELECT string_agg(post_id, ',' ORDER BY priority, sla_due, post_id) "
                        "FROM posts");
    assert_string_equal(row, "d2,d1,d3,orig,x1,plain");
    free(row);
    entries_free(e, 6);
}

/* Incidents counted incrementally (migration 009) equal a recount from their posts after
 * batches that add posts by known and new authors, in several categories, link originals
 * stored earlier, repeat entries, and escalate one post (the exact path). */
static void test_incident_counts(void **state)
{
    struct fx *f = fx_get(state);
    enum { BATCHES = 6, PER = 15 };
    static const char *const cats[] = {"water", "heating", "roads"};
    static const char *const incs[] = {"inc-a", "inc-b", "inc-c", NULL};
    struct km_stream_entry e[PER];
    unsigned seed = 7;
    for (int b = 0; b < BATCHES; b++) {
        for (int i = 0; i < PER; i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = seed >> 8;
            char id[16], author[16], dup[32];
            int n = b * PER + i;
            snprintf(id, sizeof(id), "p%d", n);
            snprintf(author, sizeof(author), "u%u", r % 5);
            snprintf(dup, sizeof(dup), "telegram:p%u", n > 0 ? r % (unsigned)n : 0);
            const char *inc = incs[r % 4];
            struct km_post *p =
                mkscored(id, r % 7 == 0 ? NULL : author, 1 + (int)(r % 4), (int)(r % 100),
                         cats[(r >> 3) % 3], inc, inc != NULL && n > 0 && r % 3 == 0 ? dup : NULL);
            p->created_at = 1700000000000LL + (int64_t)(r % 100000) * 1000;
            entry_of(&e[i], n + 1, p, false);
            km_post_free(p);
        }
        insert_ok(f->db, e, PER);
        insert_ok(f->db, e, 3); /* repeated entries change nothing */
        entries_free(e, PER);
    }
    char *inc20 = pg_str(f->pg, "SELECT coalesce(incident, '') FROM posts WHERE post_id = 'p20'");
    assert_string_not_equal(inc20, "");
    struct km_post *up = mkscored("p20", "u1", 1, 99, "water", inc20, NULL);
    free(inc20);
    entry_of(&e[0], 999, up, true);
    km_post_free(up);
    insert_ok(f->db, e, 1);
    entries_free(e, 1);
    static const char exact[] =
        "SELECT count(*) FROM incidents i FULL JOIN (SELECT incident, mode() WITHIN GROUP "
        "(ORDER BY category) AS category, min(priority) AS priority, max(urgency) AS urgency, "
        "min(coalesce(created_at, collected_at, stored_at)) AS first_seen, "
        "max(coalesce(created_at, collected_at, stored_at)) AS last_seen, count(*) AS posts, "
        "count(DISTINCT network || ':' || coalesce(author_id, author_handle, author_name)) AS "
        "authors FROM posts WHERE incident IS NOT NULL GROUP BY incident) s ON s.incident = "
        "i.id WHERE (i.category, i.priority, i.urgency, i.first_seen, i.last_seen, i.posts, "
        "i.authors) IS DISTINCT FROM (s.category, s.priority, s.urgency, s.first_seen, "
        "s.last_seen, s.posts::int, s.authors::int)";
    assert_int_equal(pg_long(f->pg, exact), 0);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM incidents WHERE posts > 5"), 3);
    /* the desk moves every post of inc-c into inc-a (exact recount of both), then a batch
     * adds to inc-a and starts inc-c again */
    free(pg_str(f->pg, "WITH m AS (UPDATE posts SET incident = 'inc-a' WHERE incident = "
                       "'inc-c' RETURNING 1) SELECT count(*) FROM m"));
    free(pg_str(f->pg, "SELECT incident_recount(ARRAY['inc-c', 'inc-a'], false)::text"));
    assert_int_equal(pg_long(f->pg, "SELECT posts + authors FROM incidents WHERE id = 'inc-c'"), 0);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM incident_categories WHERE incident = "
                                    "'inc-c'"),
                     0);
    struct km_post *late[3] = {mkscored("q1", "u1", 3, 30, "roads", "inc-c", NULL),
                               mkscored("q2", "u9", 2, 55, "water", "inc-a", NULL),
                               mkscored("q3", "u1", 4, 5, "roads", "inc-c", NULL)};
    for (int i = 0; i < 3; i++) {
        entry_of(&e[i], 2000 + i, late[i], false);
        km_post_free(late[i]);
    }
    insert_ok(f->db, e, 3);
    entries_free(e, 3);
    assert_int_equal(pg_long(f->pg, exact), 0);
    assert_int_equal(pg_long(f->pg, "SELECT posts * 10 + authors FROM incidents WHERE id = "
                                    "'inc-c'"),
                     21);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM posts WHERE incident IS NULL AND "
                                    "post_id IN (SELECT split_part(dup_of, ':', 2) FROM posts "
                                    "WHERE dup_of IS NOT NULL AND incident IS NOT NULL)"),
                     0); /* every original named was linked */
}

/* Escalation entries update the stored post (only upwards, only once) and its incident. */
static void test_insert_escalation(void **state)
{
    struct fx *f = fx_get(state);
    struct km_stream_entry e[6];
    struct km_post *p = mkscored("leak", "u1", 3, 40, "gas", "inc-3", NULL);
    entry_of(&e[0], 1, p, false);
    p->triage.priority = 1;
    p->triage.urgency = 85;
    km_post_add_reason(p, "+45 resonance: 12 posts from 9 authors");
    entry_of(&e[1], 2, p, true);
    entry_of(&e[2], 3, p, true); /* the same escalation again (a retried XADD) */
    p->triage.priority = 4;
    p->triage.urgency = 95;
    entry_of(&e[3], 4, p, true); /* lower priority: never downgrades */
    struct km_post *q = mkscored("late", "u2", 2, 70, "gas", "inc-3", NULL);
    entry_of(&e[4], 5, q, true); /* the post was never stored: inserted */
    km_post_free(q);
    q = mkpost("v1esc", "no triage");
    entry_of(&e[5], 6, q, true); /* not scored: nothing to escalate, inserted as it is */
    km_post_free(q);
    km_post_free(p);
    struct km_db_counts c = insert_ok(f->db, e, 1);
    assert_int_equal(c.inserted, 1);
    char *row = incident_row(f->pg, "inc-3");
    assert_string_equal(row, "gas|3|40|1|1|t|false");
    free(row);
    c = insert_ok(f->db, e + 1, 5);
    assert_int_equal(c.escalated, 1);
    assert_int_equal(c.duplicates, 2);
    assert_int_equal(c.inserted, 2);
    row = triage_row(f->pg, "leak");
    assert_string_equal(row, "gas|85|1|+40 category gas;+45 resonance: 12 posts from 9 "
                             "authors|true|Astana Su Arnasy|00ff00ff00ff00ff|inc-3||true");
    free(row);
    row = pg_str(f->pg, "SELECT concat_ws('|', post->'triage'->>'priority', stream_id) FROM "
                        "posts WHERE post_id = 'leak'");
    assert_string_equal(row, "P1|1-0");
    free(row);
    row = incident_row(f->pg, "inc-3");
    assert_string_equal(row, "gas|1|85|2|2|t|true");
    free(row);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM posts"), 3);
    c = insert_ok(f->db, e, 6); /* everything again: nothing changes */
    assert_int_equal(c.duplicates, 6);
    assert_int_equal(pg_long(f->pg, "SELECT priority FROM posts WHERE post_id = 'leak'"), 1);
    entries_free(e, 6);
}

/* Per-row rejection still holds with triage: an incident id too long for its index is
 * refused alone, and its incident row is not left behind. */
static void test_insert_scored_refused(void **state)
{
    struct fx *f = fx_get(state);
    char *big = random_text(6000);
    struct km_post *p[3] = {mkscored("ok1", "u", 2, 50, "roads", "inc-ok", NULL),
                            mkscored("big", "u", 2, 50, "roads", big, NULL),
                            mkscored("ok2", "u", 2, 50, "roads", "inc-ok", NULL)};
    struct km_stream_entry e[3];
    for (int i = 0; i < 3; i++) {
        entry_of(&e[i], i + 1, p[i], false);
        km_post_free(p[i]);
    }
    struct km_db_counts c = insert_ok(f->db, e, 3);
    assert_int_equal(c.inserted, 2);
    assert_int_equal(c.rejected, 1);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM rejected_entries WHERE stream_id = "
                                    "'2-0' AND strpos(reason, 'SQLSTATE 54000') > 0"),
                     1);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM incidents"), 1);
    char *row = incident_row(f->pg, "inc-ok");
    assert_string_equal(row, "roads|2|50|2|1|t|false");
    free(row);
    free(big);
    entries_free(e, 3);
}

/* The whole path: komekd's queue writes v 1, v 2 and escalation entries, the tickets role
 * stores them. */
static void test_tickets_triage(void **state)
{
    struct fx *f = fx_get(state);
    struct km_tickets_opts o = tickets_opts(f, getenv("KM_PG_CONNINFO"));
    struct km_queue *q = queue_of(f);
    struct km_err err = {{0}};
    struct km_post_batch b;
    km_post_batch_init(&b);
    km_post_batch_add_take(&b, mkpost("t-plain", "not scored"));
    km_post_batch_add_take(&b, mkscored("t-a", "u1", 3, 45, "heating", "inc-t", NULL));
    km_post_batch_add_take(&b, mkscored("t-b", "u2", 3, 50, "heating", "inc-t", "telegram:t-a"));
    assert_int_equal(km_queue_write_batch(q, "city109", &b, NULL, NULL, NULL, &err), KM_OK);
    struct km_post *p = b.posts[2];
    p->triage.priority = 2;
    p->triage.urgency = 70;
    km_post_add_reason(p, "+20 resonance: incident of 2");
    assert_int_equal(km_queue_write_escalation(q, p, NULL, &err), KM_OK);
    tickets_ok(&o);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM posts"), 3);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM rejected_entries"), 0);
    assert_int_equal(pending_of(q), 0);
    char *row = incident_row(f->pg, "inc-t");
    assert_string_equal(row, "heating|2|70|2|2|t|true");
    free(row);
    row = triage_row(f->pg, "t-plain");
    assert_string_equal(row, "|||||||||false");
    free(row);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM posts WHERE post_id = 't-b' AND "
                                    "priority = 2 AND escalated_at IS NOT NULL"),
                     1);
    km_post_batch_free(&b);
    km_queue_free(q);
}

/* ---- stream consumer hardening (issue 5) ----------------------------------------------- */

/* A batch with refused rows and a repeated post: one multi-row INSERT normally, halves
 * until each refused row is alone otherwise; the counts are those of row-by-row storing. */
static void test_insert_split(void **state)
{
    struct fx *f = fx_get(state);
    struct km_stream_entry e[8];
    static const char *const texts[8] = {"a", "b", "c", "refuse me", "e", "f", "refuse me", "h"};
    for (int i = 0; i < 8; i++) {
        char id[16];
        snprintf(id, sizeof(id), "s%d", i == 5 ? 1 : i); /* entry 5 repeats post s1 */
        entry_of_post(&e[i], i + 1, id, texts[i]);
    }
    struct km_db_counts c = insert_ok(f->db, e, 3);
    assert_int_equal(c.inserted, 3);
    assert_int_equal(c.splits, 0); /* the normal path: no halving */
    pg_exec(f->pg, "DELETE FROM posts");
    pg_exec(f->pg, "ALTER TABLE posts ADD CONSTRAINT t_refuse CHECK (text <> 'refuse me')");
    c = insert_ok(f->db, e, 8);
    assert_int_equal(c.inserted, 5);
    assert_int_equal(c.duplicates, 1);
    assert_int_equal(c.rejected, 2);
    assert_true(c.splits >= 2);
    char *s = pg_str(f->pg, "SELECT string_agg(stream_id, ',' ORDER BY stream_id) FROM "
                            "rejected_entries WHERE strpos(reason, 't_refuse') > 0");
    assert_string_equal(s, "4-0,7-0");
    free(s);
    /* the first entry of a repeated post wins, and ids follow the batch order */
    s = pg_str(f->pg, "SELECT string_agg(post_id || '=' || text, ',' ORDER BY id) FROM posts");
    assert_string_equal(s, "s0=a,s1=b,s2=c,s4=e,s7=h");
    free(s);
    c = insert_ok(f->db, e, 8); /* again: nothing changes */
    assert_int_equal(c.duplicates, 6);
    assert_int_equal(c.rejected, 2);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM rejected_entries"), 2);
    entries_free(e, 8);
}

/* A trigger that fails inserts of posts with text 'poison' as a privilege problem would
 * (SQLSTATE 42501: KM_ERR, not the row's data), or every insert when all is true. */
static void poison_trigger(PGconn *pg, bool all)
{
    pg_exec(pg, all ? "CREATE OR REPLACE FUNCTION t_poison() RETURNS trigger LANGUAGE plpgsql "
                      "AS $$BEGIN RAISE insufficient_privilege USING MESSAGE = 'poisoned'; "
                      "END$$"
                    : "CREATE OR REPLACE FUNCTION t_poison() RETURNS trigger LANGUAGE plpgsql "
                      "AS $$BEGIN IF NEW.text = 'poison' THEN RAISE insufficient_privilege "
                      "USING MESSAGE = 'poisoned'; END IF; RETURN NEW; END$$");
    pg_exec(pg, "CREATE TRIGGER t_poison BEFORE INSERT ON posts FOR EACH ROW "
                "EXECUTE FUNCTION t_poison()");
}

static long long xlen_of(redisContext *raw, const char *key)
{
    const char *argv[2] = {"XLEN", key};
    size_t lens[2] = {4, strlen(key)};
    redisReply *r = redisCommandArgv(raw, 2, argv, lens);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    long long n = r->integer;
    freeReplyObject(r);
    return n;
}

/* The poison entry is isolated (its neighbours are stored and acknowledged), retried on
 * each run, and after max_deliveries goes to {ns}:dead with its error; the group moves on. */
static void test_tickets_dead_letter(void **state)
{
    struct fx *f = fx_get(state);
    struct km_tickets_stats st;
    memset(&st, 0, sizeof(st));
    struct km_tickets_opts o = tickets_opts(f, getenv("KM_PG_CONNINFO"));
    o.batch = 10;
    o.max_deliveries = 3;
    o.stats = &st;
    struct km_queue *q = queue_of(f);
    struct km_err err = {{0}};
    assert_int_equal(km_queue_group_create(q, "tickets", &err), KM_OK);
    poison_trigger(f->pg, false);
    struct km_post_batch b;
    km_post_batch_init(&b);
    static const char *const texts[5] = {"ok", "ok", "poison", "ok", "ok"};
    for (int i = 0; i < 5; i++) {
        char id[16];
        snprintf(id, sizeof(id), "d%d", i);
        km_post_batch_add_take(&b, mkpost(id, texts[i]));
    }
    assert_int_equal(km_queue_write_batch(q, "city109", &b, NULL, NULL, NULL, &err), KM_OK);
    redisContext *raw = redisConnect("127.0.0.1", atoi(getenv("KM_REDIS_PORT")));
    char k_dead[96];
    snprintf(k_dead, sizeof(k_dead), "{%s}:dead", f->ns);
    volatile sig_atomic_t stop = 0;
    for (int run = 1; run <= 2; run++) {
        assert_int_equal(km_tickets_run(&o, &stop, true, &err), KM_RETRY);
        assert_non_null(strstr(err.msg, "poisoned"));
        assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM posts"), 4);
        assert_int_equal(pending_of(q), 1);
        assert_int_equal(xlen_of(raw, k_dead), 0);
    }
    tickets_ok(&o); /* third delivery: given up, acknowledged */
    assert_int_equal(pending_of(q), 0);
    assert_int_equal(xlen_of(raw, k_dead), 1);
    const char *argv[4] = {"XRANGE", k_dead, "-", "+"};
    size_t lens[4] = {6, strlen(k_dead), 1, 1};
    redisReply *r = redisCommandArgv(raw, 4, argv, lens);
    const redisReply *fl = r->element[0]->element[1];
    char *row = NULL;
    for (size_t i = 0; i + 1 < fl->elements; i += 2) {
        char *prev = row;
        row = km_asprintf("%s%s=%.12s|", prev != NULL ? prev : "", fl->element[i]->str,
                          fl->element[i + 1]->str);
        free(prev);
    }
    assert_non_null(strstr(row, "post_id=d2|"));
    assert_non_null(strstr(row, "post={\"network\""));
    assert_non_null(strstr(row, "error=postgresql: |"));
    assert_non_null(strstr(row, "deliveries=3|group=tickets|"));
    assert_non_null(strstr(fl->element[fl->elements - 7]->str, "42501")); /* the error */
    free(row);
    freeReplyObject(r);
    assert_int_equal(atomic_load(&st.dead), 1);
    assert_int_equal(atomic_load(&st.failed), 3);
    assert_int_equal(atomic_load(&st.stored), 4);
    assert_true(atomic_load(&st.splits) >= 2);
    tickets_ok(&o); /* nothing left */
    assert_int_equal(xlen_of(raw, k_dead), 1);
    assert_int_equal(atomic_load(&st.failed), 3);
    redisFree(raw);
    km_post_batch_free(&b);
    km_queue_free(q);
}

/* When every entry fails alone the database is at fault: the role stops, nothing is
 * acknowledged and nothing goes to the dead letters, however often it runs. */
static void test_tickets_all_fail(void **state)
{
    struct fx *f = fx_get(state);
    struct km_tickets_opts o = tickets_opts(f, getenv("KM_PG_CONNINFO"));
    o.batch = 10;
    o.max_deliveries = 1;
    struct km_queue *q = queue_of(f);
    add_posts(q, 0, 3);
    poison_trigger(f->pg, true);
    redisContext *raw = redisConnect("127.0.0.1", atoi(getenv("KM_REDIS_PORT")));
    char k_dead[96];
    snprintf(k_dead, sizeof(k_dead), "{%s}:dead", f->ns);
    volatile sig_atomic_t stop = 0;
    struct km_err err = {{0}};
    for (int run = 0; run < 2; run++) {
        assert_int_equal(km_tickets_run(&o, &stop, true, &err), KM_ERR);
        assert_non_null(strstr(err.msg, "every entry"));
        assert_non_null(strstr(err.msg, "42501"));
        assert_int_equal(pending_of(q), 3);
        assert_int_equal(xlen_of(raw, k_dead), 0);
    }
    pg_exec(f->pg, "DROP TRIGGER t_poison ON posts");
    tickets_ok(&o);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM posts"), 3);
    assert_int_equal(pending_of(q), 0);
    redisFree(raw);
    km_queue_free(q);
}

/* Entries a dead consumer left pending past claim_idle are taken over and stored, with
 * XAUTOCLAIM and with the XPENDING + XCLAIM fallback of Redis < 6.2. */
static void test_tickets_claim(void **state)
{
    struct fx *f = fx_get(state);
    struct km_queue *q = queue_of(f);
    struct km_err err = {{0}};
    assert_int_equal(km_queue_group_create(q, "tickets", &err), KM_OK);
    redisContext *raw = redisConnect("127.0.0.1", atoi(getenv("KM_REDIS_PORT")));
    for (int legacy = 0; legacy < 2; legacy++) {
        add_posts(q, legacy * 10, legacy * 10 + 3);
        struct km_stream_entry *e = NULL;
        size_t n = 0;
        assert_int_equal(km_queue_read_group(q, "tickets", "gone", false, 10, 0, &e, &n, &err),
                         KM_OK);
        assert_int_equal(n, 3);
        for (size_t i = 0; i < n; i++) { /* make them look idle for an hour */
            const char *argv[8] = {"XCLAIM", f->k_posts, "tickets", "gone",
                                   "0",      e[i].id,    "IDLE",    "3600000"};
            size_t lens[8];
            for (int k = 0; k < 8; k++) {
                lens[k] = strlen(argv[k]);
            }
            freeReplyObject(redisCommandArgv(raw, 8, argv, lens));
        }
        km_stream_entries_free(e, n);
        struct km_tickets_stats st;
        memset(&st, 0, sizeof(st));
        struct km_tickets_opts o = tickets_opts(f, getenv("KM_PG_CONNINFO"));
        o.queue.legacy_redis = legacy == 1;
        o.claim_idle_ms = 7200000; /* two hours: not yet */
        tickets_ok(&o);
        assert_int_equal(pending_of(q), 3);
        o.claim_idle_ms = 0; /* the default, five minutes */
        o.stats = &st;
        tickets_ok(&o);
        assert_int_equal(atomic_load(&st.claimed), 3);
        assert_int_equal(pending_of(q), 0);
        assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM posts"), 3 * (legacy + 1));
    }
    redisFree(raw);
    km_queue_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_errors),
        cmocka_unit_test_setup_teardown(test_migrate_idempotent, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_textarr, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_insert_idempotent, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_insert_repairs_text, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_insert_rejects, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_insert_refused_row, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_tickets_once, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_tickets_schema_missing, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_tickets_read_ahead_fails, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_tickets_pg_down, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_tickets_daemon, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_tickets_poison, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_insert_schema_fault, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_migrate_v1_rows, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_insert_scored, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_incident_counts, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_insert_escalation, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_insert_scored_refused, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_tickets_triage, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_insert_split, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_tickets_dead_letter, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_tickets_all_fail, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_tickets_claim, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
