/* Tests of db/ (migrations, batch insert, the tickets role) against a real PostgreSQL and
 * redis-server. test/integration/test_modules.sh starts both (lib.sh) and sets
 * KM_PG_CONNINFO, KM_REDIS_URL and KM_REDIS_PORT; without them those tests are skipped.
 * Every test starts from freshly migrated tables and its own Redis namespace. */
#include "common/alloc.h"
#include "common/err.h"
#include "db/db.h"
#include "db/migrations.h"
#include "db/tickets.h"
#include "parser/post.h"
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
    pg_exec(c, "DROP TABLE IF EXISTS posts, rejected_entries, schema_migrations");
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
    assert_int_equal(c.inserted + c.duplicates + c.rejected, n);
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
    assert_int_equal(pending_of(q), 2); /* the first batch of 2, read but not acknowledged */
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
    assert_true(wait_for(f, q, 0, 2)); /* first batch read, refused, kept pending */
    pg_exec(f->pg, "DROP TRIGGER t_die ON posts");
    assert_true(wait_for(f, q, 3, 0));
    add_posts(q, 3, 5); /* arrives while the role blocks on the stream */
    assert_true(wait_for(f, q, 5, 0));
    r.stop = 1;
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(r.rc, KM_OK);
    km_queue_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_errors),
        cmocka_unit_test_setup_teardown(test_migrate_idempotent, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_insert_idempotent, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_insert_repairs_text, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_insert_rejects, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_insert_refused_row, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_tickets_once, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_tickets_schema_missing, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_tickets_pg_down, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_tickets_daemon, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_tickets_poison, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_insert_schema_fault, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
