/* komekctl: the command line for supervisors, operators and integrators. */
#include "app/import.h"
#include "app/commit.h"
#include "app/setup.h"
#include "app/watch.h"
#include "collectors/replies.h"
#include "common/alloc.h"
#include "common/log.h"
#include "db/db.h"
#include "intake/server.h"
#include "common/time.h"
#include "ctl/backtest.h"
#include "ctl/desk.h"
#include "ctl/report.h"
#include "ctl/score.h"
#include "ctl/status.h"
#include "ctl/ticket.h"
#include "ctl/user.h"
#include "desk/desk.h"
#include "queue/queue.h"
#include "queue/sources.h"
#include "triage/tags.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef KM_VERSION
#define KM_VERSION "dev"
#endif

#define EXIT_FAIL 1
#define EXIT_USAGE 2

static void usage(FILE *f)
{
    fprintf(f, "usage: komekctl [-c FILE] COMMAND\n"
               "\n"
               "commands:\n"
               "  migrate        apply the database migrations that are missing (idempotent)\n"
               "  schema         show the applied and the latest schema version\n"
               "  check          validate the configuration, the tags list, the lexicon,\n"
               "                 routing.conf, places.conf and replies.conf\n"
               "  sources        each source: state, who polls it, last success, posts today,\n"
               "                 cursor, last error\n"
               "  cursors        show each source's committed cursor in Redis\n"
               "  import FILE --source NAME [--format telegram|jsonl]\n"
               "                 backfill posts from a Telegram Desktop export (result.json)\n"
               "                 or JSON lines of posts (FILE - = stdin, JSON lines) through\n"
               "                 triage and the queue as if source NAME had collected them\n"
               "  score [--now RFC3339] \"TEXT\"\n"
               "                 triage a text: language, category, urgency, priority,\n"
               "                 agency, SLA due and every reason\n"
               "  score --jsonl [--now RFC3339]\n"
               "                 triage JSON lines of posts (id, text, ...) from stdin, with\n"
               "                 duplicates and incidents found among them; one JSON line each\n"
               "  backtest --lexicon DIR [--routing FILE] [--since RFC3339] [--limit N] [--json]\n"
               "                 re-triage the stored posts with another lexicon and show\n"
               "                 what would change (moves, P1..P4 matrix, changed posts)\n"
               "  ticket create --post NETWORK:POST_ID | --incident ID [--category C]\n"
               "                 [--agency A] [--priority PN] [--note TEXT] [--as LOGIN]\n"
               "  ticket show NUMBER [--json] | list [--status S] [--agency A] [--overdue]\n"
               "                 [--json] | status NUMBER STATUS [--note TEXT] | assign NUMBER\n"
               "                 LOGIN | note NUMBER TEXT | export --open311 [--from T] [--to T]\n"
               "                 | sweep | agencies\n"
               "                 numbered tickets routed to agencies (changes go to {ns}:events)\n"
               "  events publish publish ticket events left in the outbox to {ns}:events\n"
               "  desk [--network N] [--category C] [--priority PN] [--json] --user LOGIN\n"
               "                 the operator queue through the desk's API (--url URL,\n"
               "                 --password-file FILE or $KOMEK_PASSWORD)\n"
               "  claim ID | release ID | ticket-from-item ID [--category C] [--agency A]\n"
               "                 [--priority PN] [--note T] [--incident] | dismiss ID --kind K\n"
               "                 --reason R | reply ID --template NAME | --text T\n"
               "                 desk actions on item NETWORK:POST_ID (same options as desk)\n"
               "  report agencies [--from DATE] [--to DATE] [--json]\n"
               "                 agency ratings: received, resolved on time, overdue, median\n"
               "                 time to resolve, first reaction on time, score\n"
               "  report problems [--from DATE] [--to DATE] [--category C] [--limit N] [--json]\n"
               "                 systemic problems by category and place, ranked by\n"
               "                 repetition, resonance and criticality\n"
               "  places [sync]  check places.conf; sync: load it into PostgreSQL\n"
               "  user add LOGIN [--name NAME] [--role operator|supervisor|admin]\n"
               "                 [--password-file FILE] | passwd LOGIN [--password-file FILE]\n"
               "                 | disable LOGIN | enable LOGIN | list [--json]\n"
               "                 desk accounts; the password is read from FILE or stdin\n"
               "  status [--url URL] [--json]\n"
               "                 what the running komekd is doing: readiness, stream, sources,\n"
               "                 triage (from its /readyz and /metrics)\n"
               "  version        print the version\n"
               "\n"
               "options:\n"
               "  -c, --config FILE  configuration (default: etc/komek.conf in a build tree,\n"
               "                     else %s/komek.conf)\n"
               "  -h, --help         this help\n",
               KM_SYSCONFDIR);
}

static int cmd_migrate(const struct km_config *cfg, bool apply)
{
    struct km_db *db = NULL;
    struct km_err err = {{0}};
    int rc = km_db_connect(km_section_get(cfg->global, "postgres"), &db, &err);
    int current = 0, latest = 0, applied = 0;
    if (rc == KM_OK && apply) {
        rc = km_db_migrate(db, &applied, &err);
    }
    if (rc == KM_OK) {
        rc = km_db_schema_status(db, &current, &latest, &err);
    }
    if (rc != KM_OK) {
        fprintf(stderr, "komekctl: %s\n", err.msg);
    } else if (apply) {
        printf("applied %d migration(s); schema version %d of %d\n", applied, current, latest);
    } else {
        printf("schema version %d of %d%s\n", current, latest,
               current < latest ? " (run komekctl migrate)" : " (current)");
    }
    km_db_free(db);
    return rc == KM_OK ? 0 : EXIT_FAIL;
}

/* Checks the reply templates (every bad line as FILE:LINE on stderr). */
static int cmd_check_replies(const struct km_config *cfg)
{
    struct km_replies *r = NULL;
    struct km_err err = {{0}};
    int rc = km_replies_load_config(cfg, stderr, &r, NULL, &err);
    if (rc == KM_ERR) {
        fprintf(stderr, "komekctl: %s\n", err.msg);
    }
    km_replies_free(r);
    return rc;
}

static int cmd_check(const struct km_config *cfg, const char *path)
{
    struct km_tags *tags = NULL;
    int rc = km_app_load_tags(cfg, &tags);
    int rc_src = km_app_check_sources(cfg);
    if (rc_src == KM_OK) {
        rc_src = km_intake_check_config(cfg);
    }
    if (rc_src == KM_OK) {
        rc_src = km_desk_check_config(cfg);
    }
    struct km_triage *t = NULL;
    int rc_tri = km_ctl_triage_load(cfg, stderr, &t);
    km_triage_free(t);
    km_triage_thread_end();
    if (rc_tri == KM_OK) {
        rc_tri = km_ctl_places_check(cfg, stderr);
    }
    if (rc_tri == KM_OK) {
        rc_tri = cmd_check_replies(cfg);
    }
    if (rc == KM_OK && rc_src == KM_OK && rc_tri == KM_OK) {
        printf("%s: OK (%zu sources, %zu watched tags)\n", path, cfg->n_sources,
               km_tags_count(tags));
    }
    km_tags_free(tags);
    return rc == KM_OK && rc_src == KM_OK && rc_tri == KM_OK ? 0 : EXIT_USAGE;
}

static int cmd_cursors(const struct km_config *cfg)
{
    struct km_queue_opts qo;
    struct km_queue *q = NULL;
    struct km_err err = {{0}};
    km_app_queue_opts(cfg, &qo);
    int rc = km_queue_new(&qo, &q, &err);
    for (size_t i = 0; rc == KM_OK && i < cfg->n_sources; i++) {
        char *cursor = NULL;
        rc = km_queue_get_cursor(q, cfg->sources[i]->name, &cursor, &err);
        if (rc == KM_OK) {
            printf("%-20s %-10s %s\n", cfg->sources[i]->name,
                   km_section_get(cfg->sources[i], "type"), cursor ? cursor : "(none)");
        }
        free(cursor);
    }
    if (rc != KM_OK) {
        fprintf(stderr, "komekctl: %s\n", err.msg);
    }
    km_queue_free(q);
    return rc == KM_OK ? 0 : EXIT_FAIL;
}

/* Age of an RFC 3339 time as "12s", "5m", "3h", "2d"; "-" if unknown. */
static const char *ago(const char *rfc3339, char *out, size_t size)
{
    int64_t t = 0;
    if (rfc3339 == NULL || km_time_parse_rfc3339(rfc3339, &t) != KM_OK) {
        return "-";
    }
    int64_t s = (km_time_now_ms() - t) / 1000;
    if (s < 0) {
        s = 0;
    }
    if (s < 120) {
        snprintf(out, size, "%llds ago", (long long)s);
    } else if (s < 7200) {
        snprintf(out, size, "%lldm ago", (long long)(s / 60));
    } else if (s < 172800) {
        snprintf(out, size, "%lldh ago", (long long)(s / 3600));
    } else {
        snprintf(out, size, "%lldd ago", (long long)(s / 86400));
    }
    return out;
}

static void print_source(const struct km_section *sec, const struct km_source_status *st,
                         const char *cursor)
{
    char a[32], b[32];
    const char *state = !km_section_get_bool(sec, "enabled") ? "disabled"
                        : st->state != NULL                  ? st->state
                                                             : "never run";
    printf("%-16s %-10s %-12s %-10s %-11s %6lld  %-24s %s\n", sec->name,
           km_section_get(sec, "type"), state, st->lease_holder ? st->lease_holder : "-",
           ago(st->last_success, a, sizeof(a)), st->posts_today, cursor ? cursor : "-",
           st->last_error ? st->last_error : "");
    if (st->last_error != NULL) {
        printf("%-16s last error %s\n", "", ago(st->last_error_at, b, sizeof(b)));
    }
}

/* `komekctl sources`: each configured source's state as komekd published it. */
static int cmd_sources(const struct km_config *cfg)
{
    struct km_queue_opts qo;
    struct km_queue *q = NULL;
    struct km_sources *srcs = NULL;
    struct km_err err = {{0}};
    km_app_queue_opts(cfg, &qo);
    int rc = km_queue_new(&qo, &q, &err);
    if (rc == KM_OK) {
        rc = km_sources_new(&qo, "komekctl", 0, &srcs, &err);
    }
    if (rc == KM_OK) {
        printf("%-16s %-10s %-12s %-10s %-11s %6s  %-24s %s\n", "SOURCE", "TYPE", "STATE",
               "POLLED BY", "LAST OK", "TODAY", "CURSOR", "LAST ERROR");
    }
    for (size_t i = 0; rc == KM_OK && i < cfg->n_sources; i++) {
        struct km_source_status st;
        char *cursor = NULL;
        rc = km_sources_read(srcs, cfg->sources[i]->name, &st, &err);
        if (rc == KM_OK) {
            rc = km_queue_get_cursor(q, cfg->sources[i]->name, &cursor, &err);
        }
        if (rc == KM_OK) {
            print_source(cfg->sources[i], &st, cursor);
        }
        free(cursor);
        km_source_status_clear(&st);
    }
    if (rc != KM_OK) {
        fprintf(stderr, "komekctl: %s\n", err.msg);
    }
    km_sources_free(srcs);
    km_queue_free(q);
    return rc == KM_OK ? 0 : EXIT_FAIL;
}

/* Arguments of `komekctl import`. */
struct import_args {
    const char *file, *source;
    enum km_import_format fmt;
};

/* Parses `FILE --source NAME [--format F]` in any order from argv[0] = "import". Prints
 * what is wrong; returns 0 or EXIT_USAGE. */
static int import_args_parse(int argc, char **argv, struct import_args *a)
{
    static const struct option longopts[] = {
        {"source", required_argument, NULL, 's'},
        {"format", required_argument, NULL, 'f'},
        {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof(*a));
    optind = 0; /* glibc: start a fresh scan of the sub-command's arguments */
    bool ok = true;
    int ch;
    while (ok && (ch = getopt_long(argc, argv, "s:f:", longopts, NULL)) != -1) {
        if (ch == 's') {
            a->source = optarg;
        } else if (ch == 'f' && km_import_format_parse(optarg, &a->fmt) != KM_OK) {
            fprintf(stderr, "komekctl import: --format %s: expected telegram or jsonl\n", optarg);
            ok = false;
        } else if (ch != 'f') {
            ok = false; /* getopt_long printed why */
        }
    }
    if (!ok || optind != argc - 1 || a->source == NULL) {
        fprintf(stderr, "usage: komekctl [-c FILE] import FILE|- --source NAME "
                        "[--format telegram|jsonl]\n");
        return EXIT_USAGE;
    }
    a->file = argv[optind];
    return 0;
}

/* The [source NAME] section, or NULL after listing the configured ones. */
static const struct km_section *import_source(const struct km_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_sources; i++) {
        if (strcmp(cfg->sources[i]->name, name) == 0) {
            return cfg->sources[i];
        }
    }
    fprintf(stderr, "komekctl: no [source %s] in %s; configured:", name, cfg->path);
    for (size_t i = 0; i < cfg->n_sources; i++) {
        fprintf(stderr, "%s %s", i > 0 ? "," : "", cfg->sources[i]->name);
    }
    fprintf(stderr, "%s\n", cfg->n_sources == 0 ? " none" : "");
    return NULL;
}

/* Prints the summary and what to do after a failure; returns the exit status. */
static int import_report(const char *label, int rc, const struct km_err *err,
                         const struct km_import_totals *t)
{
    printf("%s: %zu read, %zu kept, %zu new, %zu already known, %zu without a watched tag, "
           "%zu skipped\n",
           label, t->in.read, t->kept, t->added, t->dups, t->dropped, t->in.skipped);
    if (rc != KM_OK) {
        fprintf(stderr, "komekctl: %s\n", err->msg);
    }
    if (rc == KM_RETRY) {
        fprintf(stderr,
                "komekctl: import stopped after %zu whole batch(es); importing the "
                "file again once Redis is back adds only what is missing\n",
                t->batches);
    }
    if (t->in.skipped > 0) {
        fprintf(stderr, "komekctl: %zu item(s) skipped, each reported above\n", t->in.skipped);
    }
    return rc == KM_OK && t->in.skipped == 0 ? 0 : EXIT_FAIL;
}

/* Imports an open file: checks Redis first so that an outage costs no parsing. */
static int import_run(const struct km_config *cfg, const struct km_section *sec,
                      const struct km_watch *watch, FILE *f, const struct import_args *a)
{
    struct km_queue_opts qo;
    struct km_queue *q = NULL;
    struct km_committer *committer = NULL;
    struct km_err err = {{0}};
    struct km_import_totals t = {0};
    const char *type = km_section_get(sec, "type");
    struct km_source_info src = {.name = sec->name,
                                 .type = type != NULL ? type : "import",
                                 .require_tags = km_section_get_bool(sec, "require_tags")};
    const char *label = f == stdin ? "stdin" : a->file;
    km_app_queue_opts(cfg, &qo);
    int rc = km_queue_new(&qo, &q, &err);
    if (rc == KM_OK && (rc = km_queue_ping(q, &err)) != KM_OK) {
        fprintf(stderr, "komekctl: Redis unreachable (%s): nothing imported\n", err.msg);
        km_queue_free(q);
        return EXIT_FAIL;
    }
    if (rc == KM_OK) {
        rc = km_committer_new(cfg, q, &committer, &err);
    }
    if (rc == KM_OK) {
        rc = km_import_to_queue(f, a->fmt, label, committer, watch, &src, stderr, &t, &err);
    }
    km_committer_free(committer);
    km_queue_free(q);
    return import_report(label, rc, &err, &t);
}

/* `komekctl import FILE --source NAME [--format F]`: backfills a chat (app/import.h). */
static int cmd_import(const struct km_config *cfg, int argc, char **argv)
{
    struct import_args a;
    struct km_watch *watch = NULL;
    FILE *f = NULL;
    int status = import_args_parse(argc, argv, &a);
    const struct km_section *sec = status == 0 ? import_source(cfg, a.source) : NULL;
    if (sec == NULL || km_watch_load(cfg, &watch) != KM_OK) {
        status = EXIT_USAGE;
        goto out;
    }
    if (strcmp(a.file, "-") == 0) {
        f = stdin;
        a.fmt = a.fmt == KM_IMPORT_AUTO ? KM_IMPORT_JSONL : a.fmt; /* a pipe cannot be sniffed */
    } else if ((f = fopen(a.file, "rb")) == NULL) {
        fprintf(stderr, "komekctl: cannot open %s: %s\n", a.file, strerror(errno));
        status = EXIT_USAGE;
        goto out;
    }
    status = import_run(cfg, sec, watch, f, &a);
out:
    if (f != NULL && f != stdin) {
        fclose(f);
    }
    km_watch_free(watch);
    return status;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *path = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c': path = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[optind];
    if (strcmp(cmd, "version") == 0) {
        printf("komekctl %s\n", KM_VERSION);
        return 0;
    }
    km_log_set_ident("komekctl");
    path = path != NULL ? path : km_app_default_config();
    struct km_config *cfg = NULL;
    struct km_err err = {{0}};
    if (km_app_load_config(path, &cfg, &err) != KM_OK) {
        return EXIT_USAGE;
    }
    int rc;
    if (strcmp(cmd, "migrate") == 0) {
        rc = cmd_migrate(cfg, true);
    } else if (strcmp(cmd, "schema") == 0) {
        rc = cmd_migrate(cfg, false);
    } else if (strcmp(cmd, "check") == 0) {
        rc = cmd_check(cfg, path);
    } else if (strcmp(cmd, "sources") == 0) {
        rc = cmd_sources(cfg);
    } else if (strcmp(cmd, "cursors") == 0) {
        rc = cmd_cursors(cfg);
    } else if (strcmp(cmd, "import") == 0) {
        rc = cmd_import(cfg, argc - optind, argv + optind);
    } else if (strcmp(cmd, "score") == 0) {
        rc = km_ctl_score(cfg, argc - optind, argv + optind);
    } else if (strcmp(cmd, "backtest") == 0) {
        rc = km_ctl_backtest(cfg, argc - optind, argv + optind);
    } else if (strcmp(cmd, "status") == 0) {
        rc = km_ctl_status(cfg, argc - optind, argv + optind);
    } else if (strcmp(cmd, "report") == 0) {
        rc = km_ctl_report(cfg, argc - optind, argv + optind);
    } else if (strcmp(cmd, "places") == 0) {
        rc = km_ctl_places(cfg, argc - optind, argv + optind);
    } else if (km_ctl_desk_handles(argc - optind, argv + optind)) {
        rc = km_ctl_desk(cfg, argc - optind, argv + optind);
    } else if (strcmp(cmd, "ticket") == 0) {
        rc = km_ctl_ticket(cfg, argc - optind, argv + optind);
    } else if (strcmp(cmd, "user") == 0) {
        rc = km_ctl_user(cfg, argc - optind, argv + optind);
    } else if (strcmp(cmd, "events") == 0) {
        rc = km_ctl_events(cfg, argc - optind, argv + optind);
    } else {
        fprintf(stderr, "komekctl: unknown command '%s'\n", cmd);
        usage(stderr);
        rc = EXIT_USAGE;
    }
    km_config_free(cfg);
    return rc;
}
