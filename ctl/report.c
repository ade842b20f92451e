/* komekctl report and komekctl places. */
#include "ctl/report.h"

#include "app/ticketing.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/time.h"
#include "db/db.h"
#include "db/places.h"
#include "db/report.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <utf8proc.h>

#define CR_EXIT_FAIL  1
#define CR_EXIT_USAGE 2
/* Widest agency and place cells: long official names are cut with "…" in the text table
 * (--json has them whole). */
#define CR_AGENCY_WIDTH 44
#define CR_PLACE_WIDTH  28
/* Largest --limit: a ranking, not a data export (the view and --json have everything). */
#define CR_LIMIT_MAX 100000

struct cr_args {
    bool agencies, json;
    const char *category;
    size_t limit;
    char from[KM_REPORT_TIME_MAX], to[KM_REPORT_TIME_MAX];
    bool has_from, has_to;
};

/* ---- text tables --------------------------------------------------------------------- */

/* A table of strings, printed with columns aligned by display width (a Cyrillic letter is
 * one column, a CJK one two, a combining mark none). */
struct cr_table {
    size_t ncols;
    const char *const *heads;
    const char *align; /* per column 'l' or 'r' */
    const int *maxw;   /* per column, 0 = no limit */
    char **cells;      /* row-major, owned */
    size_t nrows;
};

/* Display width of s, cut to at most max columns (0 = no limit) at a character boundary;
 * *bytes gets the length of the part that fits (leaving room for "…" when cut). */
static int cr_width(const char *s, int max, size_t *bytes)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t n = 0;
    int w = 0, total = 0;
    size_t off = 0, fit = 0;
    while (p[off] != '\0' && (n = utf8proc_iterate(p + off, -1, &cp)) > 0) {
        int cw = utf8proc_charwidth(cp);
        total += cw > 0 ? cw : 0;
        off += (size_t)n;
        if (max == 0 || total <= max - 1) {
            w = total;
            fit = off;
        }
    }
    if (max > 0 && total > max) {
        *bytes = fit;
        return w + 1; /* the "…" */
    }
    *bytes = off;
    return total;
}

static void cr_table_row(struct cr_table *t, char **row)
{
    t->cells = km_realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(char *));
    memcpy(t->cells + t->nrows * t->ncols, row, t->ncols * sizeof(char *));
    t->nrows++;
}

/* Prints one cell padded to w columns. */
static void cr_cell(FILE *f, const char *s, int max, int w, char align, bool last)
{
    size_t bytes = 0;
    int sw = cr_width(s, max, &bytes);
    bool cut = bytes < strlen(s);
    if (align == 'r') {
        fprintf(f, "%*s", w - sw, "");
    }
    fprintf(f, "%.*s%s", (int)bytes, s, cut ? "…" : "");
    if (align != 'r' && !last) {
        fprintf(f, "%*s", w - sw, "");
    }
    fputs(last ? "\n" : "  ", f);
}

static void cr_table_print(FILE *f, struct cr_table *t)
{
    int *w = km_calloc(t->ncols, sizeof(int));
    size_t bytes = 0;
    for (size_t c = 0; c < t->ncols; c++) {
        w[c] = cr_width(t->heads[c], 0, &bytes);
        for (size_t r = 0; r < t->nrows; r++) {
            int cw = cr_width(t->cells[r * t->ncols + c], t->maxw[c], &bytes);
            w[c] = cw > w[c] ? cw : w[c];
        }
    }
    for (size_t c = 0; c < t->ncols; c++) {
        cr_cell(f, t->heads[c], 0, w[c], t->align[c], c + 1 == t->ncols);
    }
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            cr_cell(f, t->cells[r * t->ncols + c], t->maxw[c], w[c], t->align[c],
                    c + 1 == t->ncols);
        }
    }
    for (size_t i = 0; i < t->nrows * t->ncols; i++) {
        free(t->cells[i]);
    }
    free(t->cells);
    free(w);
}

/* ---- figures as text ----------------------------------------------------------------- */

/* "3d 4h", "5h 10m", "12m", "40s"; "—" if unknown (< 0). New string. */
static char *cr_duration(double s)
{
    long long t = (long long)(s + 0.5);
    if (s < 0) {
        return km_strdup("—");
    }
    if (t >= 86400) {
        return km_asprintf("%lldd %lldh", t / 86400, t % 86400 / 3600);
    }
    if (t >= 3600) {
        return km_asprintf("%lldh %lldm", t / 3600, t % 3600 / 60);
    }
    return t >= 60 ? km_asprintf("%lldm", t / 60) : km_asprintf("%llds", t);
}

/* v with that many decimals, as a percentage if pct; "—" if unknown (< 0). */
static char *cr_num(double v, int decimals, bool pct)
{
    if (v < 0) {
        return km_strdup("—");
    }
    return pct ? km_asprintf("%.0f%%", v * 100) : km_asprintf("%.*f", decimals, v);
}

static void cr_range(int64_t from_ms, int64_t to_ms, const char *what)
{
    char a[40], b[40];
    printf("%s, %s .. %s\n\n", what, km_time_format_rfc3339(from_ms, a, sizeof(a)),
           km_time_format_rfc3339(to_ms, b, sizeof(b)));
}

static void cr_print_agencies(const struct km_agency_report *r)
{
    static const char *const heads[] = {"AGENCY", "RECEIVED", "RESOLVED", "ON TIME", "OVERDUE",
                                        "OPEN",   "MEDIAN",   "REACTION", "SCORE"};
    static const int maxw[] = {CR_AGENCY_WIDTH, 0, 0, 0, 0, 0, 0, 0, 0};
    struct cr_table t = {.ncols = 9, .heads = heads, .align = "lrrrrrrrr", .maxw = maxw};
    for (size_t i = 0; i < r->n; i++) {
        const struct km_agency_rating *a = &r->rows[i];
        char *row[9] = {
            km_strdup(a->agency != NULL ? a->agency : "(no agency)"),
            km_asprintf("%lld", a->received),
            km_asprintf("%lld", a->resolved + a->rejected),
            km_asprintf("%lld", a->on_time),
            km_asprintf("%lld", a->overdue),
            km_asprintf("%lld", a->open),
            cr_duration(a->median_resolve_s),
            cr_num(a->reaction_share, 0, true),
            cr_num(a->score, 1, false),
        };
        cr_table_row(&t, row);
    }
    cr_range(r->from_ms, r->to_ms, "agency ratings, tickets created");
    cr_table_print(stdout, &t);
    printf("\nRESOLVED counts rejected tickets too; OVERDUE = closed late + open past the "
           "deadline now;\nREACTION = first reaction on time; SCORE = 100 x on-time share - 1 "
           "per overdue ticket.\n");
}

static void cr_print_problems(const struct km_problem_report *r)
{
    static const char *const heads[] = {"#",     "SCORE",   "CATEGORY", "PLACE",
                                        "POSTS", "AUTHORS", "DAYS",     "ENGAGEMENT",
                                        "TOP",   "P1-2",    "TICKETS",  "LAST SEEN"};
    static const int maxw[] = {0, 0, 0, CR_PLACE_WIDTH, 0, 0, 0, 0, 0, 0, 0, 0};
    struct cr_table t = {.ncols = 12, .heads = heads, .align = "rrllrrrrlrrl", .maxw = maxw};
    for (size_t i = 0; i < r->n; i++) {
        const struct km_problem *p = &r->rows[i];
        char seen[40];
        km_time_format_rfc3339(p->last_seen_ms, seen, sizeof(seen));
        char *row[12] = {
            km_asprintf("%zu", i + 1),
            km_asprintf("%.1f", p->score),
            km_strdup(p->category),
            km_strdup(p->place != NULL ? p->place : "—"),
            km_asprintf("%lld", p->posts),
            km_asprintf("%lld", p->authors),
            km_asprintf("%lld", p->days),
            km_asprintf("%lld", p->engagement),
            km_asprintf("P%d", p->top_priority),
            cr_num(p->p12_share, 0, true),
            km_asprintf("%lld/%lld", p->tickets_open, p->tickets),
            km_strndup(seen, 16),
        };
        cr_table_row(&t, row);
    }
    cr_range(r->from_ms, r->to_ms, "systemic problems, posts made");
    cr_table_print(stdout, &t);
    printf("\nTICKETS = open/all tickets of these posts; SCORE = 10 x (repetition + resonance) "
           "x criticality\n(see the problems view in README).\n");
}

/* ---- komekctl report ----------------------------------------------------------------- */

static int cr_usage(void)
{
    fprintf(stderr, "usage: komekctl [-c FILE] report agencies [--from DATE] [--to DATE] "
                    "[--json]\n"
                    "       komekctl [-c FILE] report problems [--from DATE] [--to DATE] "
                    "[--category C] [--limit N] [--json]\n"
                    "DATE: YYYY-MM-DD (Asia/Almaty; --to includes that day) or RFC 3339\n");
    return CR_EXIT_USAGE;
}

/* Handles one option; false after saying what is wrong. */
static bool cr_option(struct cr_args *a, int ch, const char *arg)
{
    struct km_err err = {{0}};
    char *end = NULL;
    switch (ch) {
    case 'f':
        a->has_from = km_report_time(arg, false, a->from, &err) == KM_OK;
        break;
    case 't':
        a->has_to = km_report_time(arg, true, a->to, &err) == KM_OK;
        break;
    case 'j':
        a->json = true;
        return true;
    case 'c':
        a->category = arg;
        if (a->agencies) {
            fprintf(stderr, "komekctl report: --category is for problems\n");
        }
        return !a->agencies;
    case 'l':
        errno = 0;
        a->limit = (size_t)strtoull(arg, &end, 10);
        if (errno != 0 || *end != '\0' || arg[0] == '-' || a->limit < 1 ||
            a->limit > CR_LIMIT_MAX || a->agencies) {
            fprintf(stderr, "komekctl report: --limit %s: expected 1..%d (problems only)\n", arg,
                    CR_LIMIT_MAX);
            return false;
        }
        return true;
    default:
        return false;
    }
    if (err.msg[0] != '\0') {
        fprintf(stderr, "komekctl report: --%s %s\n", ch == 'f' ? "from" : "to", err.msg);
        return false;
    }
    return true;
}

static int cr_args_parse(int argc, char **argv, struct cr_args *a)
{
    static const struct option longopts[] = {
        {"from", required_argument, NULL, 'f'},     {"to", required_argument, NULL, 't'},
        {"category", required_argument, NULL, 'c'}, {"limit", required_argument, NULL, 'l'},
        {"json", no_argument, NULL, 'j'},           {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof(*a));
    if (argc < 2 || (strcmp(argv[1], "agencies") != 0 && strcmp(argv[1], "problems") != 0)) {
        return cr_usage();
    }
    a->agencies = strcmp(argv[1], "agencies") == 0;
    optind = 0; /* glibc: start a fresh scan of the sub-command's arguments */
    int ch;
    while ((ch = getopt_long(argc - 1, argv + 1, "f:t:c:l:j", longopts, NULL)) != -1) {
        if (!cr_option(a, ch, optarg)) {
            return cr_usage();
        }
    }
    return optind == argc - 1 ? 0 : cr_usage();
}

static int cr_run(struct km_db *db, const struct cr_args *a, struct km_buf *json,
                  struct km_err *err)
{
    const char *from = a->has_from ? a->from : NULL, *to = a->has_to ? a->to : NULL;
    if (a->agencies) {
        struct km_agency_report *r = NULL;
        int rc = km_report_agencies(db, from, to, &r, err);
        if (rc == KM_OK && a->json) {
            km_agency_report_json(r, json);
        } else if (rc == KM_OK) {
            cr_print_agencies(r);
        }
        km_agency_report_free(r);
        return rc;
    }
    struct km_problem_query q = {.from = from,
                                 .to = to,
                                 .category = a->category,
                                 .limit = a->limit > 0 ? a->limit : (a->json ? 0 : 20)};
    struct km_problem_report *r = NULL;
    int rc = km_report_problems(db, &q, &r, err);
    if (rc == KM_OK && a->json) {
        km_problem_report_json(r, json);
    } else if (rc == KM_OK) {
        cr_print_problems(r);
    }
    km_problem_report_free(r);
    return rc;
}

int km_ctl_report(const struct km_config *cfg, int argc, char **argv)
{
    struct cr_args a;
    struct km_db *db = NULL;
    struct km_buf json = KM_BUF_INIT;
    struct km_err err = {{0}};
    int status = cr_args_parse(argc, argv, &a);
    if (status != 0) {
        return status;
    }
    int rc = km_db_connect(km_section_get(cfg->global, "postgres"), &db, &err);
    if (rc == KM_OK) {
        rc = cr_run(db, &a, &json, &err);
    }
    if (rc == KM_OK && a.json) {
        printf("%s\n", json.data);
    } else if (rc != KM_OK) {
        fprintf(stderr, "komekctl report: %s%s\n", err.msg,
                rc == KM_ERR ? " (is the schema current? run komekctl migrate)" : "");
    }
    km_buf_free(&json);
    km_db_free(db);
    return rc == KM_OK ? 0 : rc == KM_EINPUT ? CR_EXIT_USAGE : CR_EXIT_FAIL;
}

/* ---- komekctl places ----------------------------------------------------------------- */

int km_ctl_places_check(const struct km_config *cfg, FILE *report)
{
    struct km_places *p = NULL;
    char *path = NULL;
    int rc = km_app_load_places(cfg, report, &p, &path);
    km_places_free(p);
    free(path);
    return rc;
}

static void cr_places_summary(const char *path, const struct km_places *p)
{
    static const char *const kinds[] = {"district", "street", "microdistrict", "place"};
    printf("%s: %zu places, %zu patterns (", path, p->n, km_places_patterns(p));
    for (size_t k = 0; k < 4; k++) {
        size_t n = 0;
        for (size_t i = 0; i < p->n; i++) {
            n += strcmp(p->items[i].kind, kinds[k]) == 0;
        }
        printf("%s%zu %s", k > 0 ? ", " : "", n, kinds[k]);
    }
    printf(")\n");
}

int km_ctl_places(const struct km_config *cfg, int argc, char **argv)
{
    struct km_places *p = NULL;
    struct km_db *db = NULL;
    struct km_err err = {{0}};
    char *path = NULL;
    size_t moved = 0;
    bool sync = argc == 2 && strcmp(argv[1], "sync") == 0;
    if (argc > 2 || (argc == 2 && !sync)) {
        fprintf(stderr, "usage: komekctl [-c FILE] places [sync]\n");
        return CR_EXIT_USAGE;
    }
    int rc = km_app_load_places(cfg, stderr, &p, &path);
    if (rc == KM_OK && p == NULL) {
        p = km_calloc(1, sizeof(*p)); /* no file: syncing empties the table */
        printf("%s: not found; no places\n", path);
    } else if (rc == KM_OK) {
        cr_places_summary(path, p);
    }
    if (rc == KM_OK && sync) {
        rc = km_db_connect(km_section_get(cfg->global, "postgres"), &db, &err);
        rc = rc == KM_OK ? km_places_sync(db, p, &moved, &err) : rc;
        if (rc == KM_OK) {
            printf("synced; %zu stored post(s) changed place\n", moved);
        } else {
            fprintf(stderr, "komekctl places: %s\n", err.msg);
        }
    }
    km_db_free(db);
    km_places_free(p);
    free(path);
    return rc == KM_OK ? 0 : sync && rc != KM_EINPUT ? CR_EXIT_FAIL : CR_EXIT_USAGE;
}
