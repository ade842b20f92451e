/* Triage throughput: scores the texts of JSON-lines files (field "text") over and over on
 * one thread for a second, five times, and prints the median posts per second. The posts
 * are parsed once beforehand, as komekd's parser would have done.
 *
 * Dedup: 100,000 synthetic posts (8-20 words drawn from the files' vocabulary; every tenth
 * a copy of an earlier one with one word changed, a near duplicate) go through km_dedup
 * with the in-memory store, one second apart (all inside the 72 h window); prints checks
 * per second and the memory they hold: the store's own accounting and the RSS growth.
 *
 *   bench [--lexicon DIR] [--routing FILE] FILE...
 */
#include "common/alloc.h"
#include "common/buf.h"
#include "common/time.h"
#include "parser/json.h"
#include "parser/post.h"
#include "triage/dedup.h"
#include "triage/score.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How long the measurement runs: long enough to be stable, short enough for `make bench`. */
#define BENCH_MS 1000
#define BENCH_RUNS 5
#define BENCH_DEDUP_POSTS 100000

static size_t bench_read(const char *path, struct km_post_batch *b)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, n = 0;
    while (f != NULL && getline(&line, &cap, f) >= 0) {
        yajl_val v = NULL;
        struct km_err err;
        if (km_json_parse(line, strlen(line), &v, NULL, &err) == KM_OK &&
            km_json_str(v, "text") != NULL) {
            struct km_post *p = km_post_new();
            km_post_set(&p->text, km_json_str(v, "text"));
            km_post_batch_add_take(b, p);
            n++;
        }
        km_json_free(v);
    }
    free(line);
    if (f != NULL) {
        fclose(f);
    }
    return n;
}

static int bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median posts/s of BENCH_RUNS runs of BENCH_MS each over the batch. */
static void bench_triage(const struct km_triage *t, const struct km_post_batch *b)
{
    double rate[BENCH_RUNS];
    int64_t now = km_time_now_ms();
    for (int r = 0; r < BENCH_RUNS; r++) {
        int64_t start = km_time_mono_ms(), elapsed = 0;
        long long scored = 0;
        while ((elapsed = km_time_mono_ms() - start) < BENCH_MS) {
            for (size_t k = 0; k < b->n; k++) {
                km_triage_score(t, b->posts[k], 1, now);
            }
            scored += (long long)b->n;
        }
        rate[r] = scored * 1000.0 / (double)elapsed;
    }
    qsort(rate, BENCH_RUNS, sizeof(rate[0]), bench_cmp);
    printf("triage: median of %d runs of %d ms on one thread: %.0f posts/s (min %.0f, max "
           "%.0f)\n",
           BENCH_RUNS, BENCH_MS, rate[BENCH_RUNS / 2], rate[0], rate[BENCH_RUNS - 1]);
}

/* Resident set size in bytes (Linux /proc), 0 if unknown. */
static long bench_rss(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (f != NULL && fscanf(f, "%ld %ld", &pages, &rss) != 2) {
        rss = 0;
    }
    if (f != NULL) {
        fclose(f);
    }
    return rss * 4096;
}

/* Splits every text of b into words (the vocabulary, with repeats). */
static char **bench_words(const struct km_post_batch *b, size_t *n)
{
    char **w = NULL;
    size_t cap = 0;
    *n = 0;
    for (size_t k = 0; k < b->n; k++) {
        char *copy = km_strdup(b->posts[k]->text), *save = NULL;
        for (char *tok = strtok_r(copy, " \n\t", &save); tok; tok = strtok_r(NULL, " \n\t", &save)) {
            if (*n == cap) {
                cap = cap > 0 ? 2 * cap : 1024;
                w = km_realloc(w, cap * sizeof(*w));
            }
            w[(*n)++] = km_strdup(tok);
        }
        free(copy);
    }
    return w;
}

/* The synthetic posts of the dedup benchmark. */
static void bench_synth(const struct km_post_batch *b, struct km_post_batch *out)
{
    size_t nw = 0;
    char **w = bench_words(b, &nw);
    unsigned seed = 42;
    struct km_buf buf = KM_BUF_INIT;
    char id[32];
    for (size_t k = 0; k < BENCH_DEDUP_POSTS; k++) {
        struct km_post *p = km_post_new();
        km_buf_reset(&buf);
        if (k % 10 == 9) {
            km_buf_puts(&buf, out->posts[(size_t)rand_r(&seed) % k]->text);
            km_buf_printf(&buf, " %s", w[(size_t)rand_r(&seed) % nw]);
        } else {
            for (int j = 8 + rand_r(&seed) % 13; j > 0; j--) {
                km_buf_printf(&buf, "%s%s", buf.len > 0 ? " " : "", w[(size_t)rand_r(&seed) % nw]);
            }
        }
        snprintf(id, sizeof(id), "%zu", k);
        km_post_set(&p->text, buf.data);
        km_post_set(&p->id, id);
        km_post_set(&p->network, "bench");
        km_post_batch_add_take(out, p);
    }
    for (size_t k = 0; k < nw; k++) {
        free(w[k]);
    }
    free(w);
    km_buf_free(&buf);
}

static void bench_dedup(const struct km_post_batch *b)
{
    struct km_post_batch posts;
    km_post_batch_init(&posts);
    bench_synth(b, &posts);
    long rss0 = bench_rss();
    struct km_dedup_mem *m = km_dedup_mem_new(0);
    struct km_dedup *d = km_dedup_new(NULL, &km_dedup_mem_ops, m);
    int64_t now = km_time_now_ms(), start = km_time_mono_ms();
    size_t dups = 0, failed = 0;
    for (size_t k = 0; k < posts.n; k++) {
        struct km_dedup_result r;
        struct km_err err;
        if (km_dedup_check(d, posts.posts[k], now + (int64_t)k * 1000, &r, &err) != KM_OK) {
            failed++;
        }
        dups += posts.posts[k]->triage.dup_of != NULL;
    }
    int64_t elapsed = km_time_mono_ms() - start;
    struct km_dedup_mem_stats st;
    km_dedup_mem_stats(m, &st);
    long rss = bench_rss() - rss0;
    printf("dedup: %zu posts checked in %lld ms: %.0f checks/s (%zu duplicates found, %zu "
           "failed)\n",
           posts.n, (long long)elapsed, posts.n * 1000.0 / (double)(elapsed > 0 ? elapsed : 1),
           dups, failed);
    printf("dedup: in-memory window per 100k posts: store %.1f MB (%zu posts, %zu buckets, %zu "
           "incidents), RSS growth %.1f MB\n",
           st.bytes * 1e5 / (double)posts.n / 1048576.0, st.posts, st.buckets, st.incidents,
           rss * 1e5 / (double)posts.n / 1048576.0);
    km_dedup_free(d);
    km_dedup_mem_free(m);
    km_post_batch_free(&posts);
}

int main(int argc, char **argv)
{
    const char *lexicon = "etc/lexicon", *routing = "etc/routing.conf";
    int i = 1;
    for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        if (strcmp(argv[i], "--lexicon") == 0) {
            lexicon = argv[i + 1];
        } else if (strcmp(argv[i], "--routing") == 0) {
            routing = argv[i + 1];
        }
    }
    struct km_triage *t = NULL;
    struct km_err err;
    if (km_triage_load(lexicon, routing, stderr, &t, &err) != KM_OK) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return 1;
    }
    struct km_post_batch b;
    km_post_batch_init(&b);
    size_t bytes = 0;
    for (; i < argc; i++) {
        bench_read(argv[i], &b);
    }
    for (size_t k = 0; k < b.n; k++) {
        bytes += strlen(b.posts[k]->text);
    }
    if (b.n == 0) {
        fprintf(stderr, "bench: no posts\n");
        return 1;
    }
    printf("triage: %zu distinct posts, %zu bytes of text on average\n", b.n, bytes / b.n);
    bench_triage(t, &b);
    bench_dedup(&b);
    km_post_batch_free(&b);
    km_triage_free(t);
    km_triage_thread_end();
    return 0;
}
