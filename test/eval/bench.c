/* Triage throughput: scores the texts of JSON-lines files (field "text") over and over on
 * one thread for about two seconds and prints posts per second. The posts are parsed once
 * beforehand, as komekd's parser would have done.
 *
 *   bench [--lexicon DIR] [--routing FILE] FILE...
 */
#include "common/time.h"
#include "parser/json.h"
#include "parser/post.h"
#include "triage/score.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How long the measurement runs: long enough to be stable, short enough for `make bench`. */
#define BENCH_MS 2000

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
    int64_t now = km_time_now_ms(), start = km_time_mono_ms(), elapsed = 0;
    long long scored = 0;
    while ((elapsed = km_time_mono_ms() - start) < BENCH_MS) {
        for (size_t k = 0; k < b.n; k++) {
            km_triage_score(t, b.posts[k], 1, now);
        }
        scored += (long long)b.n;
    }
    printf("triage: %zu distinct posts (%zu bytes on average), %lld scored in %lld ms on one "
           "thread: %.0f posts/s\n",
           b.n, bytes / b.n, scored, (long long)elapsed, scored * 1000.0 / (double)elapsed);
    km_post_batch_free(&b);
    km_triage_free(t);
    km_triage_thread_end();
    return 0;
}
