/* komekctl: the command line for supervisors, operators and integrators. */
#include "app/setup.h"
#include "common/alloc.h"
#include "common/log.h"
#include "db/db.h"
#include "common/time.h"
#include "queue/queue.h"
#include "queue/sources.h"
#include "triage/tags.h"

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
               "  check          validate the configuration and the tags list\n"
               "  sources        each source: state, who polls it, last success, posts today,\n"
               "                 cursor, last error\n"
               "  cursors        show each source's committed cursor in Redis\n"
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

static int cmd_check(const struct km_config *cfg, const char *path)
{
    struct km_tags *tags = NULL;
    int rc = km_app_load_tags(cfg, &tags);
    int rc_src = km_app_check_sources(cfg);
    if (rc == KM_OK && rc_src == KM_OK) {
        printf("%s: OK (%zu sources, %zu watched tags)\n", path, cfg->n_sources,
               km_tags_count(tags));
    }
    km_tags_free(tags);
    return rc == KM_OK && rc_src == KM_OK ? 0 : EXIT_USAGE;
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
    } else {
        fprintf(stderr, "komekctl: unknown command '%s'\n", cmd);
        usage(stderr);
        rc = EXIT_USAGE;
    }
    km_config_free(cfg);
    return rc;
}
