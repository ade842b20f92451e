/* Tickets-role store throughput: 100,000 synthetic posts (every second one scored by triage,
 * one in five of those in an incident of about five posts) go into PostgreSQL through
 * km_db_insert_posts in batches of tickets_batch (500 by default), as the tickets role
 * stores them; prints rows per second. Then the same entries again (all duplicates), and a
 * run of batches that each hold one row PostgreSQL refuses (the split path).
 *
 * Needs an empty, migratable database: test/eval/bench_db.sh (make bench-db) starts a
 * throwaway PostgreSQL and runs it there.
 *
 *   bench_db CONNINFO [POSTS [BATCH]]
 */
#include "common/alloc.h"
#include "common/time.h"
#include "db/db.h"
#include "parser/post.h"
#include "queue/queue.h"

#include <libpq-fe.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BENCH_POSTS 100000
#define BENCH_BATCH 500
/* Batches of the refused-row run: enough to time the split, few enough to stay quick. */
#define BENCH_BAD_BATCHES 20

/* Builds entry i of the synthetic stream into e. */
static void bench_entry(struct km_stream_entry *e, long i, const char *tag)
{
    struct km_post *p = km_post_new();
    char buf[160];
    snprintf(buf, sizeof(buf), "%s%ld", tag, i);
    km_post_set(&p->network, "telegram");
    km_post_set(&p->id, buf);
    km_post_set(&p->source, "bench");
    snprintf(buf, sizeof(buf), "author%ld", i % 977);
    km_post_set(&p->author.id, buf);
    snprintf(buf, sizeof(buf), "Нет воды на улице Сыганак %ld, подъезд %ld #109 #Астана", i % 300,
             i % 7);
    km_post_set(&p->text, buf);
    km_post_add_hashtag(p, "109");
    km_post_add_hashtag(p, "Астана");
    p->created_at = 1795372861000LL + i * 1000;
    p->collected_at = p->created_at + 500;
    if (i % 2 == 0) {
        struct km_post_triage *t = &p->triage;
        t->scored = true;
        t->priority = 1 + (int)(i % 4);
        t->urgency = (int)(i % 101);
        km_post_set(&t->category, "water");
        km_post_set(&t->agency, "Astana Su Arnasy");
        km_post_set(&t->fingerprint, "00ff00ff00ff00ff");
        t->sla_due = p->collected_at + 600000;
        km_post_add_reason(p, "+%d category water", t->urgency);
        if (i % 10 == 0) {
            snprintf(buf, sizeof(buf), "%s-inc-%ld", tag, i / 50);
            km_post_set(&t->incident, buf);
        }
    }
    char *json = km_post_to_json(p);
    memset(e, 0, sizeof(*e));
    e->id = km_asprintf("%ld-0", i + 1);
    e->post_json = json;
    e->post_len = strlen(json);
    e->v = p->triage.scored ? 2 : 1;
    km_post_free(p);
}

/* Stores n entries in batches; returns rows per second, or -1 after printing an error. */
static double bench_store(struct km_db *db, const struct km_stream_entry *e, long n, long batch,
                          struct km_db_counts *sum)
{
    memset(sum, 0, sizeof(*sum));
    int64_t t0 = km_time_mono_ms();
    for (long i = 0; i < n; i += batch) {
        long k = n - i < batch ? n - i : batch;
        struct km_db_counts c;
        struct km_err err = {{0}};
        if (km_db_insert_posts(db, e + i, (size_t)k, &c, &err) != KM_OK) {
            fprintf(stderr, "bench_db: batch at %ld: %s\n", i, err.msg);
            return -1;
        }
        sum->inserted += c.inserted;
        sum->duplicates += c.duplicates;
        sum->rejected += c.rejected;
    }
    int64_t ms = km_time_mono_ms() - t0;
    return (double)n * 1000.0 / (double)(ms > 0 ? ms : 1);
}

static void bench_free(struct km_stream_entry *e, long n)
{
    for (long i = 0; i < n; i++) {
        free(e[i].id);
        free(e[i].post_json);
    }
    free(e);
}

/* Batches of which each holds one row a CHECK constraint refuses. */
static int bench_refused(struct km_db *db, long batch)
{
    PGresult *r = PQexec(km_db_conn(db), "ALTER TABLE posts ADD CONSTRAINT bench_refuse "
                                         "CHECK (post_id NOT LIKE 'refuse%')");
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) {
        fprintf(stderr, "bench_db: %s", PQerrorMessage(km_db_conn(db)));
        return 1;
    }
    long n = BENCH_BAD_BATCHES * batch;
    struct km_stream_entry *e = km_calloc((size_t)n, sizeof(*e));
    for (long i = 0; i < n; i++) {
        bench_entry(&e[i], i, i % batch == batch / 2 ? "refuse" : "bad");
    }
    struct km_db_counts c;
    double rate = bench_store(db, e, n, batch, &c);
    bench_free(e, n);
    if (rate < 0) {
        return 1;
    }
    printf("one refused row per batch: %8.0f rows/s  (%zu stored, %zu rejected)\n", rate,
           c.inserted, c.rejected);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_db CONNINFO [POSTS [BATCH]]\n");
        return 2;
    }
    long n = argc > 2 ? atol(argv[2]) : BENCH_POSTS;
    long batch = argc > 3 ? atol(argv[3]) : BENCH_BATCH;
    struct km_db *db = NULL;
    struct km_err err = {{0}};
    if (n <= 0 || batch <= 0 || km_db_connect(argv[1], &db, &err) != KM_OK ||
        km_db_migrate(db, NULL, &err) != KM_OK) {
        fprintf(stderr, "bench_db: %s\n", err.msg[0] != '\0' ? err.msg : "bad arguments");
        km_db_free(db);
        return 1;
    }
    struct km_stream_entry *e = km_calloc((size_t)n, sizeof(*e));
    for (long i = 0; i < n; i++) {
        bench_entry(&e[i], i, "b");
    }
    struct km_db_counts c;
    double fresh = bench_store(db, e, n, batch, &c);
    if (fresh >= 0) {
        printf("%ld posts, batches of %ld\n", n, batch);
        printf("new posts:                 %8.0f rows/s  (%zu stored)\n", fresh, c.inserted);
    }
    double again = fresh >= 0 ? bench_store(db, e, n, batch, &c) : -1;
    if (again >= 0) {
        printf("the same again (dups):     %8.0f rows/s  (%zu duplicates)\n", again, c.duplicates);
    }
    bench_free(e, n);
    int rc = again >= 0 ? bench_refused(db, batch) : 1;
    km_db_free(db);
    return rc;
}
