#include "app/setup.h"

#include "collectors/collector.h"
#include "common/alloc.h"
#include "common/log.h"
#include "triage/tags.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef KM_SYSCONFDIR
#define KM_SYSCONFDIR "/etc/komek"
#endif

const char *km_app_default_config(void)
{
    if (access("etc/komek.conf", R_OK) == 0) {
        return "etc/komek.conf";
    }
    return KM_SYSCONFDIR "/komek.conf";
}

int km_app_load_config(const char *path, struct km_config **cfg, struct km_err *err)
{
    int rc = km_config_load(path, km_collector_keys, stderr, cfg, err);
    if (rc != KM_OK) {
        return rc;
    }
    const char *level = km_section_get((*cfg)->global, "log_level");
    if (km_log_level_parse(level) < 0) {
        fprintf(stderr, "%s:%d: log_level = '%s': expected error, warn, info or debug\n", path,
                km_section_line((*cfg)->global, "log_level"), level);
        km_config_free(*cfg);
        *cfg = NULL;
        return km_err_set(err, KM_EINPUT, "%s: invalid log_level", path);
    }
    static const struct {
        const char *key;
        int (*parse)(const char *);
        const char *expected;
    } choices[] = {{"log_format", km_log_format_parse, "text or json"},
                   {"log_target", km_log_target_parse, "stderr or syslog"}};
    for (size_t i = 0; i < sizeof(choices) / sizeof(choices[0]); i++) {
        const char *v = km_section_get((*cfg)->global, choices[i].key);
        if (choices[i].parse(v) < 0) {
            fprintf(stderr, "%s:%d: %s = '%s': expected %s\n", path,
                    km_section_line((*cfg)->global, choices[i].key), choices[i].key, v,
                    choices[i].expected);
            km_config_free(*cfg);
            *cfg = NULL;
            return km_err_set(err, KM_EINPUT, "%s: invalid %s", path, choices[i].key);
        }
    }
    const char *ns = km_section_get((*cfg)->global, "namespace");
    if (ns[0] == '\0' || strpbrk(ns, "{} \t") != NULL) {
        fprintf(stderr, "%s:%d: namespace = '%s': must be non-empty, without braces or blanks\n",
                path, km_section_line((*cfg)->global, "namespace"), ns);
        km_config_free(*cfg);
        *cfg = NULL;
        return km_err_set(err, KM_EINPUT, "%s: invalid namespace", path);
    }
    return KM_OK;
}

void km_app_queue_opts(const struct km_config *cfg, struct km_queue_opts *opts)
{
    const struct km_section *g = cfg->global;
    memset(opts, 0, sizeof(*opts));
    opts->url = km_section_get(g, "redis");
    opts->password = km_section_get(g, "redis_password");
    opts->ns = km_section_get(g, "namespace");
    opts->timeout_ms = km_section_get_ms(g, "redis_timeout");
    opts->maxlen = km_section_get_int(g, "stream_maxlen");
    opts->seen_window_ms = km_section_get_ms(g, "dedup_window");
}

char *km_app_consumer_name(const struct km_config *cfg)
{
    const char *c = km_section_get(cfg->global, "consumer");
    if (c != NULL && c[0] != '\0') {
        return km_strdup(c);
    }
    char host[256];
    if (gethostname(host, sizeof(host)) != 0) {
        return km_strdup("komekd");
    }
    host[sizeof(host) - 1] = '\0';
    return km_strdup(host);
}

void km_app_apply_logging(const struct km_config *cfg)
{
    int level = km_log_level_parse(km_section_get(cfg->global, "log_level"));
    if (level >= 0) {
        km_log_set_level((enum km_log_level)level);
    }
    int format = km_log_format_parse(km_section_get(cfg->global, "log_format"));
    km_log_set_format(format == KM_LOG_JSON ? KM_LOG_JSON : KM_LOG_TEXT);
    int target = km_log_target_parse(km_section_get(cfg->global, "log_target"));
    km_log_set_target(target == KM_LOG_SYSLOG ? KM_LOG_SYSLOG : KM_LOG_STDERR);
}

int km_app_check_sources(const struct km_config *cfg)
{
    int rc = KM_OK;
    for (size_t i = 0; i < cfg->n_sources; i++) {
        const struct km_section *sec = cfg->sources[i];
        const struct km_collector *c = km_collector_find(km_section_get(sec, "type"));
        if (c == NULL || !km_section_get_bool(sec, "enabled")) {
            continue; /* unknown types were reported by the loader */
        }
        void *state = NULL;
        struct km_err err = {{0}};
        if (c->create(sec, &state, &err) != KM_OK) {
            fprintf(stderr, "%s\n", err.msg);
            rc = KM_EINPUT;
            continue;
        }
        c->destroy(state);
    }
    return rc;
}

int km_app_load_tags(const struct km_config *cfg, struct km_tags **tags)
{
    struct km_err err = {{0}};
    char *path = km_config_path(cfg, km_section_get(cfg->global, "tags"));
    int rc = km_tags_load(path, stderr, tags, &err);
    if (rc == KM_ERR) {
        fprintf(stderr, "%s\n", err.msg);
    } else if (rc == KM_OK && km_tags_count(*tags) == 0) {
        fprintf(stderr, "%s: warning: no watched tags: sources with require_tags = yes "
                        "will keep nothing\n", path);
    }
    free(path);
    return rc;
}
