/* komekctl: the command line for supervisors, operators and integrators. */
#include "app/setup.h"
#include "common/alloc.h"
#include "common/log.h"
#include "db/db.h"
#include "queue/queue.h"
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
