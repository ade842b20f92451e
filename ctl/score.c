/* komekctl score: triage of a text or of JSON lines, for supervisors tuning the lexicon. */
#include "ctl/score.h"

#include "common/alloc.h"
#include "common/buf.h"
#include "common/time.h"
#include "parser/json.h"
#include "triage/dedup.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define SC_EXIT_FAIL 1
#define SC_EXIT_USAGE 2
/* Network of JSON lines that name none: the dedup keys are "jsonl:ID". */
#define SC_NETWORK "jsonl"

struct sc_args {
    bool jsonl;
    bool has_now;
    int64_t now;
    const char *text;
};

int km_ctl_triage_load(const struct km_config *cfg, FILE *report, struct km_triage **out)
{
    struct km_err err = {{0}};
    char *lex = km_config_path(cfg, km_section_get(cfg->global, "lexicon"));
    char *routing = km_config_path(cfg, km_section_get(cfg->global, "routing"));
    int rc = km_triage_load(lex, routing, report, out, &err);
    if (rc != KM_OK && report != NULL) {
        fprintf(report, "komekctl: triage: %s\n", err.msg);
    }
    free(lex);
    free(routing);
    return rc;
}

/* Parses `score [--jsonl] [--now T] [TEXT]` from argv[0] = "score". Returns 0 or
 * SC_EXIT_USAGE after saying what is wrong. */
static int sc_args_parse(int argc, char **argv, struct sc_args *a)
{
    static const struct option longopts[] = {
        {"jsonl", no_argument, NULL, 'j'},
        {"now", required_argument, NULL, 'n'},
        {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof(*a));
    optind = 0; /* glibc: start a fresh scan of the sub-command's arguments */
    bool ok = true;
    int ch;
    while (ok && (ch = getopt_long(argc, argv, "jn:", longopts, NULL)) != -1) {
        if (ch == 'j') {
            a->jsonl = true;
        } else if (ch == 'n' && km_time_parse_rfc3339(optarg, &a->now) == KM_OK) {
            a->has_now = true;
        } else {
            if (ch == 'n') {
                fprintf(stderr, "komekctl score: --now %s: expected RFC 3339\n", optarg);
            }
            ok = false;
        }
    }
    if (ok && !a->jsonl && optind == argc - 1) {
        a->text = argv[optind];
    } else if (!ok || optind != argc) {
        fprintf(stderr, "usage: komekctl [-c FILE] score [--now RFC3339] \"TEXT\"\n"
                        "       komekctl [-c FILE] score --jsonl [--now RFC3339] < POSTS\n");
        return SC_EXIT_USAGE;
    }
    return 0;
}

/* `komekctl score "TEXT"`: the verdict, one field a line, then every reason. */
static int sc_text(const struct km_triage *t, const struct sc_args *a)
{
    char due[40];
    struct km_post *p = km_post_new();
    km_post_set(&p->text, a->text);
    int64_t now = a->has_now ? a->now : km_time_now_ms();
    p->created_at = now;
    int rc = km_triage_score(t, p, 1, now);
    if (rc == KM_OK) {
        printf("language: %s\ncategory: %s\nurgency:  %d\npriority: %s\nagency:   %s\n"
               "SLA due:  %s\nreasons:\n",
               p->lang != NULL ? p->lang : "-", p->triage.category, p->triage.urgency,
               km_priority_name(p->triage.priority),
               p->triage.agency != NULL ? p->triage.agency : "(unrouted)",
               p->triage.sla_due > 0 ? km_time_format_rfc3339(p->triage.sla_due, due, sizeof(due))
                                     : "-");
        for (size_t i = 0; i < p->triage.n_reasons; i++) {
            printf("  %s\n", p->triage.reasons[i]);
        }
    } else {
        fprintf(stderr, "komekctl: cannot create the stemmers\n");
    }
    km_post_free(p);
    return rc == KM_OK ? 0 : SC_EXIT_FAIL;
}

/* Reads the optional engagement counters of a JSON line. */
static void sc_engagement(yajl_val v, struct km_post *p)
{
    yajl_val e = km_json_get(v, "engagement", NULL);
    if (e == NULL) {
        return;
    }
    km_json_int(e, "likes", &p->engagement.likes);
    km_json_int(e, "reposts", &p->engagement.reposts);
    km_json_int(e, "replies", &p->engagement.replies);
    km_json_int(e, "views", &p->engagement.views);
}

/* Builds a post from one JSON line. Returns NULL with err saying why if it is not one. */
static struct km_post *sc_post_parse(const char *line, size_t len, struct km_err *err)
{
    yajl_val v = NULL;
    struct km_post *p = NULL;
    if (km_json_parse(line, len, &v, NULL, err) != KM_OK) {
        km_err_prefix(err, "malformed JSON");
        return NULL;
    }
    char *id = km_json_scalar_dup(v, "id");
    const char *text = km_json_str(v, "text"), *created = km_json_str(v, "created_at");
    const char *network = km_json_str(v, "network");
    int64_t t = 0;
    if (!YAJL_IS_OBJECT(v) || id == NULL || text == NULL) {
        km_err_set(err, KM_EINPUT, "expected an object with \"id\" and \"text\"");
    } else if (created != NULL && km_time_parse_rfc3339(created, &t) != KM_OK) {
        km_err_set(err, KM_EINPUT, "\"created_at\" %s is not RFC 3339", created);
    } else {
        p = km_post_new();
        p->id = id;
        id = NULL;
        km_post_set(&p->text, text);
        km_post_set(&p->network, network != NULL && network[0] != '\0' ? network : SC_NETWORK);
        p->reply_to = km_json_scalar_dup(v, "reply_to");
        p->created_at = t;
        sc_engagement(v, p);
    }
    free(id);
    km_json_free(v);
    return p;
}

/* Appends p's verdict as one JSON line to b. */
static void sc_json_line(struct km_buf *b, const struct km_post *p)
{
    km_buf_puts(b, "{\"id\":");
    km_json_escape(b, p->id);
    km_buf_puts(b, ",\"lang\":");
    km_json_escape(b, p->lang);
    km_buf_puts(b, ",\"category\":");
    km_json_escape(b, p->triage.category);
    km_buf_printf(b, ",\"urgency\":%d,\"priority\":\"%s\",\"agency\":", p->triage.urgency,
                  km_priority_name(p->triage.priority));
    km_json_escape(b, p->triage.agency);
    km_buf_puts(b, ",\"reasons\":[");
    for (size_t i = 0; i < p->triage.n_reasons; i++) {
        km_buf_puts(b, i > 0 ? "," : "");
        km_json_escape(b, p->triage.reasons[i]);
    }
    km_buf_puts(b, "],\"incident\":");
    km_json_escape(b, p->triage.incident);
    km_buf_puts(b, ",\"dup_of\":");
    km_json_escape(b, p->triage.dup_of);
    km_buf_puts(b, "}\n");
}

/* Triages one post at its own time as komekd does (km_triage_post()); KM_OK or the failing
 * result. */
static int sc_post_run(const struct km_triage *t, struct km_dedup *d, const struct sc_args *a,
                       struct km_post *p, struct km_err *err)
{
    int64_t now = a->has_now ? a->now : p->created_at > 0 ? p->created_at : km_time_now_ms();
    struct km_dedup_result r;
    return km_triage_post(t, d, p, now, &r, err);
}

/* `komekctl score --jsonl`: one verdict line per input line, duplicates found among them. */
static int sc_jsonl(const struct km_triage *t, const struct sc_args *a)
{
    struct km_dedup_mem *m = km_dedup_mem_new(0);
    struct km_dedup *d = km_dedup_new(NULL, &km_dedup_mem_ops, m);
    struct km_buf out = KM_BUF_INIT;
    char *line = NULL;
    size_t cap = 0, lineno = 0, bad = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        lineno++;
        if (line[strspn(line, " \t\r\n")] == '\0') {
            continue;
        }
        struct km_err err = {{0}};
        struct km_post *p = sc_post_parse(line, (size_t)n, &err);
        if (p == NULL || sc_post_run(t, d, a, p, &err) != KM_OK) {
            fprintf(stderr, "stdin:%zu: %s\n", lineno, err.msg);
            bad++;
        } else {
            km_buf_reset(&out);
            sc_json_line(&out, p);
            fwrite(out.data, 1, out.len, stdout);
        }
        km_post_free(p);
    }
    free(line);
    km_buf_free(&out);
    km_dedup_free(d);
    km_dedup_mem_free(m);
    return bad > 0 ? SC_EXIT_FAIL : 0;
}

int km_ctl_score(const struct km_config *cfg, int argc, char **argv)
{
    struct sc_args a;
    struct km_triage *t = NULL;
    int status = sc_args_parse(argc, argv, &a);
    if (status != 0) {
        goto out;
    }
    if (km_ctl_triage_load(cfg, stderr, &t) != KM_OK) {
        status = SC_EXIT_USAGE;
        goto out;
    }
    status = a.jsonl ? sc_jsonl(t, &a) : sc_text(t, &a);
out:
    km_triage_free(t);
    km_triage_thread_end();
    return status;
}
