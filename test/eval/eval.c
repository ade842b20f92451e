/* Triage quality on labelled posts: reads JSON lines with id, text, category and priority
 * ("P1".."P4"), optional created_at (RFC 3339), scores each post and prints category
 * accuracy, exact priority accuracy, P1 recall and precision per file, and near-duplicate
 * pair precision, recall and F1: posts are fed in file order one minute apart through an
 * in-memory km_dedup; two posts with the same non-null "incident" label are a true pair, two
 * posts given the same incident id are a predicted pair. Each post is scored with the size
 * of its incident so far, as komekd does.
 *
 *   eval [--lexicon DIR] [--routing FILE] [--now RFC3339] [-v] FILE...
 *
 * --now is the time used for posts without created_at (night and winter depend on it); the
 * default, a January noon in Astana, matches the corpus (snow, frost, heating season).
 * -v prints every post whose category or priority differs, with its reasons. Exit status:
 * 0, or 1 on bad arguments or unreadable files. */
#include "common/alloc.h"
#include "common/time.h"
#include "parser/json.h"
#include "parser/post.h"
#include "triage/dedup.h"
#include "triage/score.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ev_stats {
    int n, cat_ok, prio_ok, p1_true, p1_pred, p1_hit;
    struct km_dedup *dedup;
    char **gold, **pred; /* per post: incident label and the incident found (owned) */
    size_t cap;
};

struct ev_opts {
    const char *lexicon, *routing;
    int64_t now;
    bool verbose;
};

static void ev_print_miss(const char *id, const char *text, const char *cat, int prio,
                          const struct km_post *p)
{
    printf("  %s want %s P%d, got %s P%d (%d): %s\n", id, cat, prio, p->triage.category,
           p->triage.priority, p->triage.urgency, text);
    for (size_t i = 0; i < p->triage.n_reasons; i++) {
        printf("      %s\n", p->triage.reasons[i]);
    }
}

/* Triages p as komekd does (km_triage_post()), one minute after the previous post, and
 * records the labelled and the found incident of post number s->n. */
static void ev_triage(const struct km_triage *t, struct ev_stats *s, const struct ev_opts *o,
                      yajl_val v, struct km_post *p)
{
    struct km_dedup_result r = {0};
    struct km_err err;
    const char *net = km_json_str(v, "network"), *gold = km_json_str(v, "incident");
    km_post_set(&p->network, net != NULL ? net : "eval");
    km_post_set(&p->id, km_json_str(v, "id"));
    km_triage_post(t, s->dedup, p, o->now + (int64_t)s->n * 60000, &r, &err);
    if ((size_t)s->n == s->cap) {
        s->cap = s->cap > 0 ? 2 * s->cap : 64;
        s->gold = km_realloc(s->gold, s->cap * sizeof(*s->gold));
        s->pred = km_realloc(s->pred, s->cap * sizeof(*s->pred));
    }
    s->gold[s->n] = gold != NULL ? km_strdup(gold) : NULL;
    s->pred[s->n] = p->triage.incident != NULL ? km_strdup(p->triage.incident) : NULL;
}

static bool ev_same(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* Prints pair precision, recall and F1 of the incidents found against the labels. */
static void ev_pairs(const struct ev_stats *s)
{
    int tp = 0, gold = 0, pred = 0;
    for (int i = 0; i < s->n; i++) {
        for (int j = i + 1; j < s->n; j++) {
            bool g = ev_same(s->gold[i], s->gold[j]), p = ev_same(s->pred[i], s->pred[j]);
            gold += g;
            pred += p;
            tp += g && p;
        }
    }
    double prec = pred > 0 ? (double)tp / pred : 0.0, rec = gold > 0 ? (double)tp / gold : 0.0;
    printf("  duplicate pairs: labelled %d, found %d, both %d  precision %.1f%%  recall %.1f%%  "
           "F1 %.3f\n",
           gold, pred, tp, 100.0 * prec, 100.0 * rec,
           prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0.0);
}

static void ev_stats_free(struct ev_stats *s)
{
    for (int i = 0; i < s->n; i++) {
        free(s->gold[i]);
        free(s->pred[i]);
    }
    free(s->gold);
    free(s->pred);
}

/* Scores one JSON line; false if it is not a labelled post. */
static bool ev_line(const struct km_triage *t, const struct ev_opts *o, const char *line,
                    struct ev_stats *s)
{
    yajl_val v = NULL;
    struct km_err err;
    if (km_json_parse(line, strlen(line), &v, NULL, &err) != KM_OK) {
        return false;
    }
    const char *id = km_json_str(v, "id"), *text = km_json_str(v, "text");
    const char *cat = km_json_str(v, "category"), *prio = km_json_str(v, "priority");
    const char *created = km_json_str(v, "created_at");
    bool ok = id && text && cat && prio && prio[0] == 'P' && prio[1] >= '1' && prio[1] <= '4';
    if (ok) {
        struct km_post *p = km_post_new();
        km_post_set(&p->text, text);
        if (created != NULL) {
            km_time_parse_rfc3339(created, &p->created_at);
        }
        ev_triage(t, s, o, v, p);
        int want = prio[1] - '0';
        bool cat_ok = strcmp(cat, p->triage.category) == 0;
        s->n++;
        s->cat_ok += cat_ok;
        s->prio_ok += want == p->triage.priority;
        s->p1_true += want == 1;
        s->p1_pred += p->triage.priority == 1;
        s->p1_hit += want == 1 && p->triage.priority == 1;
        if (o->verbose && (!cat_ok || want != p->triage.priority)) {
            ev_print_miss(id, text, cat, want, p);
        }
        km_post_free(p);
    }
    km_json_free(v);
    return ok;
}

static double ev_pct(int a, int b)
{
    return b > 0 ? 100.0 * a / b : 0.0;
}

static int ev_file(const struct km_triage *t, const struct ev_opts *o, const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "eval: %s: cannot open\n", path);
        return 1;
    }
    struct ev_stats s = {0};
    struct km_dedup_mem *m = km_dedup_mem_new(0);
    s.dedup = km_dedup_new(NULL, &km_dedup_mem_ops, m);
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0;
    printf("%s\n", path);
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        if (line[strspn(line, " \t\r\n")] != '\0' && !ev_line(t, o, line, &s)) {
            fprintf(stderr, "eval: %s:%d: not a labelled post\n", path, lineno);
        }
    }
    free(line);
    fclose(f);
    printf("  posts %d  category %.1f%% (%d)  priority exact %.1f%% (%d)  P1 recall %.1f%% "
           "(%d/%d)  P1 precision %.1f%% (%d/%d)\n",
           s.n, ev_pct(s.cat_ok, s.n), s.cat_ok, ev_pct(s.prio_ok, s.n), s.prio_ok,
           ev_pct(s.p1_hit, s.p1_true), s.p1_hit, s.p1_true, ev_pct(s.p1_hit, s.p1_pred), s.p1_hit,
           s.p1_pred);
    ev_pairs(&s);
    ev_stats_free(&s);
    km_dedup_free(s.dedup);
    km_dedup_mem_free(m);
    return 0;
}

int main(int argc, char **argv)
{
    struct ev_opts o = {.lexicon = "etc/lexicon", .routing = "etc/routing.conf"};
    const char *now = "2026-01-15T12:00:00+05:00";
    int i = 1, rc = 0;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-v") == 0) {
            o.verbose = true;
        } else if (i + 1 < argc && strcmp(argv[i], "--lexicon") == 0) {
            o.lexicon = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--routing") == 0) {
            o.routing = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--now") == 0) {
            now = argv[++i];
        } else {
            fprintf(stderr, "usage: eval [--lexicon DIR] [--routing FILE] [--now RFC3339] "
                            "[-v] FILE...\n");
            return 1;
        }
    }
    struct km_triage *t = NULL;
    struct km_err err;
    if (km_time_parse_rfc3339(now, &o.now) != KM_OK ||
        km_triage_load(o.lexicon, o.routing, stderr, &t, &err) != KM_OK) {
        fprintf(stderr, "eval: %s\n", t == NULL && o.now != 0 ? err.msg : "bad --now");
        return 1;
    }
    for (; i < argc; i++) {
        rc |= ev_file(t, &o, argv[i]);
    }
    km_triage_free(t);
    km_triage_thread_end();
    return rc;
}
