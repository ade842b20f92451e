/* komekd: the komek daemon. Runs the collect, tickets, intake and desk roles (threads) until
 * SIGTERM. */
#include "app/setup.h"
#include "collectors/collector.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/log.h"
#include "daemon/collect.h"
#include "daemon/roles.h"
#include "desk/desk.h"
#include "intake/ops.h"
#include "queue/persist.h"
#include "intake/server.h"
#include "app/shared.h"
#include "app/watch.h"
#include "triage/tags.h"

#include <curl/curl.h>
#include <getopt.h>
#include <libxml/parser.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef KM_VERSION
#define KM_VERSION "dev"
#endif

/* Exit codes: 0 clean stop, 1 runtime failure, 2 usage or configuration error. */
#define EXIT_USAGE 2

static volatile sig_atomic_t stop_requested;

static volatile sig_atomic_t reload_requested;
static volatile sig_atomic_t term_requested; /* SIGTERM or SIGINT: stop for good */

static void on_signal(int sig)
{
    if (sig == SIGHUP) {
        reload_requested = 1;
        return;
    }
    term_requested = 1;
    stop_requested = 1;
}

struct options {
    const char *config;
    const char *role;
    bool once, check, verbose;
};

/* A changed komek.conf accepted on SIGHUP: the roles drain, then run again with it. */
static struct km_config *next_cfg;
static struct km_watch *next_watch;

struct reload_ctx {
    const struct km_config *cfg;
    struct km_shared *watch;
    const char *path;       /* komek.conf */
    const char *conf_text;  /* its content when the running configuration was read */
};

static int load_all(const struct options *o, struct km_config **cfg, struct km_watch **watch);

/* The whole file as a string, or NULL if it cannot be read. Caller frees. */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    struct km_buf b = KM_BUF_INIT;
    char chunk[4096];
    for (size_t n; (n = fread(chunk, 1, sizeof(chunk), f)) > 0;) {
        km_buf_append(&b, chunk, n);
    }
    fclose(f);
    km_buf_putc(&b, '\0');
    return km_buf_take(&b);
}

/* SIGHUP with a changed komek.conf: checks it like a start would; if it is valid, asks the
 * roles to finish their work in hand and stop, so that main() runs them again with it.
 * Returns true when that restart is under way. */
static bool reload_config(const struct reload_ctx *c)
{
    char *text = read_text(c->path);
    bool changed = text != NULL && c->conf_text != NULL && strcmp(text, c->conf_text) != 0;
    free(text);
    if (!changed) {
        return false;
    }
    KM_LOG_INFO("SIGHUP: %s changed; checking it", c->path);
    struct options o = {.config = c->path, .role = "all"};
    struct km_config *cfg = NULL;
    struct km_watch *w = NULL;
    if (load_all(&o, &cfg, &w) != 0) {
        KM_LOG_ERROR("%s has errors (see above): keeping the configuration in use", c->path);
        km_watch_free(w);
        km_config_free(cfg);
        return false;
    }
    next_cfg = cfg;
    next_watch = w;
    KM_LOG_INFO("restarting the roles with the new configuration once their work in hand is "
                "done");
    stop_requested = 1;
    return true;
}

/* SIGHUP: komek.conf if it changed (restart of the roles), else the tags list, lexicon and
 * routing again; an invalid file keeps what is in use. */
static void reload_watch(void *arg)
{
    struct reload_ctx *c = arg;
    struct km_watch *w = NULL;
    if (reload_config(c)) {
        return;
    }
    KM_LOG_INFO("SIGHUP: reloading the watched tags and the lexicon");
    if (km_watch_load(c->cfg, &w) != KM_OK) {
        KM_LOG_ERROR("reload failed (see the lines above); keeping the tags and lexicon in use");
        return;
    }
    size_t n = km_tags_count(w->tags);
    km_shared_replace(c->watch, w);
    KM_LOG_INFO("reloaded: %zu watched tags", n);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: komekd [-c FILE] [--role collect|tickets|intake|desk|all] [--once]\n"
            "       komekd --check-config [FILE]\n"
            "\n"
            "Watches social networks for the city's hashtags, triages the posts and hands them\n"
            "on through a Redis stream into PostgreSQL.\n"
            "\n"
            "  -c, --config FILE    configuration (default: etc/komek.conf in a build tree,\n"
            "                       else %s/komek.conf)\n"
            "  -r, --role ROLE      collect, tickets, intake, desk or all (default all, one\n"
            "                       thread each; all runs intake, the webhook server on\n"
            "                       [komek] listen, only if a source has a push type, and\n"
            "                       desk, the operators' web desk on desk_listen, unless it\n"
            "                       is off)\n"
            "  -1, --once           one round of every polled source, store it, then exit\n"
            "  -t, --check-config   validate the configuration and tags list, then exit\n"
            "  -v, --verbose        log at debug level\n"
            "  -h, --help           this help, with every configuration key\n"
            "  -V, --version        print the version\n"
            "\n"
            "Signals: SIGTERM/SIGINT finish the batch in hand (and the webhooks in flight)\n"
            "and exit 0.\n",
            KM_SYSCONFDIR);
}

static void usage_keys(FILE *f)
{
    fprintf(f, "\n[komek] keys:\n");
    km_conf_keys_describe(km_conf_global_keys, f);
    fprintf(f, "\n[source NAME] keys of every source:\n");
    km_conf_keys_describe(km_conf_source_keys, f);
    for (const struct km_collector *const *c = km_collector_all(); *c != NULL; c++) {
        fprintf(f, "\n[source NAME] with type = %s:\n", (*c)->name);
        km_conf_keys_describe((*c)->keys, f);
    }
}

static int parse_args(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'}, {"role", required_argument, NULL, 'r'},
        {"once", no_argument, NULL, '1'},         {"check-config", no_argument, NULL, 't'},
        {"verbose", no_argument, NULL, 'v'},      {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "c:r:1tvhV", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c': o->config = optarg; break;
        case 'r': o->role = optarg; break;
        case '1': o->once = true; break;
        case 't': o->check = true; break;
        case 'v': o->verbose = true; break;
        case 'h': usage(stdout); usage_keys(stdout); exit(0);
        case 'V': printf("komekd %s\n", KM_VERSION); exit(0);
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (o->check && optind < argc && o->config == NULL) {
        o->config = argv[optind++];
    }
    if (optind < argc) {
        fprintf(stderr, "komekd: unexpected argument '%s'\n", argv[optind]);
        return EXIT_USAGE;
    }
    if (o->role == NULL) {
        o->role = "all";
    }
    if (strcmp(o->role, "all") != 0 && strcmp(o->role, "collect") != 0 &&
        strcmp(o->role, "tickets") != 0 && strcmp(o->role, "intake") != 0 &&
        strcmp(o->role, "desk") != 0) {
        fprintf(stderr, "komekd: unknown role '%s' (collect, tickets, intake, desk or all)\n",
                o->role);
        return EXIT_USAGE;
    }
    return 0;
}

/* Loads the config and what it watches for; prints every problem. */
static int load_all(const struct options *o, struct km_config **cfg, struct km_watch **watch)
{
    struct km_err err = {{0}};
    if (km_app_load_config(o->config, cfg, &err) != KM_OK) {
        return EXIT_USAGE;
    }
    int rc_tags = km_watch_load(*cfg, watch);
    int rc_src = km_app_check_sources(*cfg);
    int rc_listen = km_intake_check_config(*cfg);
    int rc_desk = km_desk_check_config(*cfg);
    return rc_tags == KM_OK && rc_src == KM_OK && rc_listen == KM_OK && rc_desk == KM_OK
               ? 0
               : EXIT_USAGE;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL); /* reload the tags list and lexicon */
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

/* Says loudly when Redis would lose writes on a restart (see queue/persist.h). */
static void check_redis_persistence(const struct km_config *cfg)
{
    struct km_queue_opts qo;
    struct km_redis_persistence p;
    struct km_err err = {{0}};
    km_app_queue_opts(cfg, &qo);
    if (km_redis_persistence_get(&qo, &p, &err) != KM_OK) {
        KM_LOG_WARN("cannot ask Redis how it persists (checked again at the next start): %s",
                    err.msg);
        return;
    }
    bool severe = false;
    const char *warning = km_redis_persistence_warning(&p, &severe);
    if (warning != NULL && severe) {
        KM_LOG_ERROR("%s", warning);
    } else if (warning != NULL) {
        KM_LOG_WARN("%s", warning);
    } else {
        KM_LOG_INFO("Redis persists with AOF, appendfsync %s",
                    p.appendfsync[0] != '\0' ? p.appendfsync : "(not readable)");
    }
}

/* Starts /metrics, /healthz and /readyz unless off or --once (a round is over before anyone
 * could scrape it). A port that cannot be bound is an error: an unwatched daemon is not
 * what the configuration asked for. */
static int start_ops(const struct options *o, const struct km_config *cfg, struct km_ops **ops)
{
    if (o->once || !km_ops_wanted(cfg)) {
        return KM_OK;
    }
    struct km_err err = {{0}};
    const struct km_ops_opts opts = {
        .need_postgres = strcmp(o->role, "all") == 0 || strcmp(o->role, "tickets") == 0 ||
                         strcmp(o->role, "desk") == 0};
    int rc = km_ops_new(cfg, &opts, ops, &err);
    if (rc != KM_OK) {
        KM_LOG_ERROR("%s", err.msg);
        return rc;
    }
    const char *listen = km_section_get(cfg->global, "metrics_listen");
    const char *colon = strrchr(listen, ':');
    int host_len = colon != NULL ? (int)(colon - listen) : (int)strlen(listen);
    KM_LOG_INFO("metrics on http://%.*s:%u/metrics (and /healthz, /readyz)", host_len, listen,
                km_ops_port(*ops));
    return KM_OK;
}

/* Runs the roles with the watch shared between them and reloadable on SIGHUP. Takes
 * ownership of watch. */
static int run(const struct options *o, const struct km_config *cfg, struct km_watch *watch,
               const char *conf_text)
{
    struct km_shared shared;
    km_shared_init(&shared, watch, km_watch_free);
    struct reload_ctx rctx = {
        .cfg = cfg, .watch = &shared, .path = o->config, .conf_text = conf_text};
    const struct km_roles_hooks hooks = {
        .reload_requested = &reload_requested, .reload = reload_watch, .ctx = &rctx};
    KM_LOG_INFO("komekd %s starting: config %s, role %s%s, %zu sources, %zu watched tags",
                KM_VERSION, o->config, o->role, o->once ? " (once)" : "", cfg->n_sources,
                km_tags_count(watch->tags));
    check_redis_persistence(cfg);
    struct km_ops *ops = NULL;
    int rc = start_ops(o, cfg, &ops);
    if (rc == KM_OK) {
        rc = km_roles_run(cfg, &shared, o->role, &stop_requested, o->once, &hooks);
    }
    km_ops_free(ops);
    km_shared_destroy(&shared);
    return rc == KM_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    struct options o = {.role = "all"};
    struct km_config *cfg = NULL;
    struct km_watch *watch = NULL;
    int rc = parse_args(argc, argv, &o);
    if (rc != 0) {
        return rc;
    }
    if (o.config == NULL) {
        o.config = km_app_default_config();
    }
    km_log_set_ident("komekd");
    rc = load_all(&o, &cfg, &watch);
    if (rc != 0 || o.check) {
        if (rc == 0) {
            printf("%s: OK (%zu sources, %zu watched tags)\n", o.config, cfg->n_sources,
                   km_tags_count(watch->tags));
        }
        goto out;
    }
    km_app_apply_logging(cfg);
    if (o.verbose) {
        km_log_set_level(KM_LOG_LEVEL_DEBUG);
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "komekd: curl_global_init failed\n");
        rc = 1;
        goto out;
    }
    xmlInitParser();
    install_signals();
    for (;;) {
        char *conf_text = read_text(o.config);
        rc = run(&o, cfg, watch, conf_text);
        watch = NULL; /* run() took it */
        free(conf_text);
        if (next_cfg == NULL || term_requested || rc != 0) {
            break;
        }
        /* SIGHUP brought a new komek.conf: the roles have drained; start them again. */
        km_config_free(cfg);
        cfg = next_cfg;
        watch = next_watch;
        next_cfg = NULL;
        next_watch = NULL;
        stop_requested = 0;
        km_app_apply_logging(cfg);
    }
    km_watch_free(next_watch);
    km_config_free(next_cfg);
    KM_LOG_INFO("komekd stopped%s", rc == 0 ? "" : " after an error");
    xmlCleanupParser();
    curl_global_cleanup();
out:
    km_watch_free(watch);
    km_config_free(cfg);
    return rc;
}
