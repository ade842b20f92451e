#include "common/conf.h"

#include "common/alloc.h"
#include "common/buf.h"
#include "common/time.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Largest secret file read (a token or password; anything bigger is a mistake). */
#define SECRET_FILE_MAX 4096

const struct km_conf_key km_conf_global_keys[] = {
    {"redis", KM_CONF_STR, "redis://127.0.0.1:6379/0", 0, 0, 0,
     "Redis server: redis://host:port/db or the path of a unix socket"},
    {"redis_password", KM_CONF_STR, NULL, 0, 0, KM_CONF_SECRET,
     "Redis password (AUTH); env:VAR or file:PATH recommended"},
    {"redis_timeout", KM_CONF_DURATION, "5s", 100, 600000, 0,
     "connect and command timeout for Redis"},
    {"postgres", KM_CONF_STR, "dbname=komek", 0, 0, 0,
     "PostgreSQL: a libpq conninfo string or postgresql:// URI (passwords via passfile=)"},
    {"namespace", KM_CONF_STR, "komek", 0, 0, 0,
     "prefix of every Redis key, written in braces: {komek}:posts"},
    {"tags", KM_CONF_STR, "tags.list", 0, 0, 0,
     "watched-tags file, one tag per line without '#'; relative to this file's folder"},
    {"log_level", KM_CONF_STR, "info", 0, 0, 0, "error, warn, info or debug"},
    {"log_format", KM_CONF_STR, "text", 0, 0, 0, "text, or json (one JSON object per line)"},
    {"log_target", KM_CONF_STR, "stderr", 0, 0, 0, "stderr, or syslog (facility daemon)"},
    {"lexicon", KM_CONF_STR, "lexicon", 0, 0, 0,
     "triage word lists (folder of *.lex files); relative to this file's folder"},
    {"routing", KM_CONF_STR, "routing.conf", 0, 0, 0,
     "category -> agency, SLA per priority, emergency numbers; relative to this file's folder"},
    {"places", KM_CONF_STR, "places.conf", 0, 0, 0,
     "districts and streets the problems report groups by; relative to this file's folder"},
    {"replies", KM_CONF_STR, "replies.conf", 0, 0, 0,
     "reply templates per language for the desk; relative to this file's folder"},
    {"incident_window", KM_CONF_DURATION, "72h", 60000, 30LL * 86400000, 0,
     "how long posts are compared for duplicates and incidents"},
    {"stream_maxlen", KM_CONF_INT, "1000000", 1000, 1000000000, 0,
     "length of the posts stream above which the tickets role trims what every consumer "
     "group has acknowledged"},
    {"dedup_window", KM_CONF_DURATION, "7d", 60000, 365LL * 86400000, 0,
     "how long a (network, id) pair is remembered to drop repeats"},
    {"consumer", KM_CONF_STR, NULL, 0, 0, 0,
     "this komekd's name in stream groups and source leases (default: host name); "
     "stable across restarts, distinct per komekd"},
    {"lease", KM_CONF_DURATION, "60s", 5000, 3600000, 0,
     "several komekd on one Redis: a source's poller holds it this long past each poll"},
    {"tickets_batch", KM_CONF_INT, "500", 1, 10000, 0,
     "stream entries the tickets role writes to PostgreSQL per transaction"},
    {"claim_idle", KM_CONF_DURATION, "5m", 1000, 7LL * 86400000, 0,
     "the tickets role takes over stream entries another consumer left pending this long"},
    {"max_deliveries", KM_CONF_INT, "5", 1, 1000, 0,
     "attempts at storing a stream entry PostgreSQL keeps refusing before it goes to "
     "{namespace}:dead"},
    {"ticket_prefix", KM_CONF_STR, "109", 0, 0, 0,
     "first part of ticket numbers, PREFIX-YYYY-NNNNNN (at most 16 characters)"},
    {"listen", KM_CONF_STR, "127.0.0.1:8088", 0, 0, 0,
     "address of the webhook intake, host:port or [::1]:port; \"\" or off disables it"},
    {"metrics_listen", KM_CONF_STR, "127.0.0.1:9188", 0, 0, 0,
     "address of /metrics, /healthz and /readyz, host:port; \"\" or off disables them"},
    {"listen_public", KM_CONF_BOOL, "no", 0, 0, 0,
     "allow listen on an address other than loopback (put TLS in front: a reverse proxy)"},
    {"desk_listen", KM_CONF_STR, "127.0.0.1:8089", 0, 0, 0,
     "address of the operator desk (web page and API), host:port; \"\" or off disables it; "
     "loopback only unless listen_public = yes"},
    {"desk_tls_cert", KM_CONF_STR, NULL, 0, 0, 0,
     "PEM certificate (chain) of the desk; with desk_tls_key the desk speaks HTTPS"},
    {"desk_tls_key", KM_CONF_STR, NULL, 0, 0, 0, "PEM private key of desk_tls_cert"},
    {"desk_session_ttl", KM_CONF_DURATION, "12h", 60000, 30LL * 86400000, 0,
     "how long a desk sign-in lasts (cookie Max-Age)"},
    {"desk_claim_lease", KM_CONF_DURATION, "5m", 10000, 86400000, 0,
     "how long an operator's claim on a queue item lasts unless renewed"},
    {"desk_login_limit", KM_CONF_INT, "5", 1, 1000, 0,
     "failed desk logins per login and per client address within 15 minutes before 429"},
    {"desk_web_dir", KM_CONF_STR, NULL, 0, 0, 0,
     "serve the desk's page from this folder instead of the copy built in (development)"},
    {NULL, 0, NULL, 0, 0, 0, NULL},
};

const struct km_conf_key km_conf_source_keys[] = {
    {"type", KM_CONF_STR, NULL, 0, 0, KM_CONF_REQUIRED,
     "collector: telegram, mastodon, rss, vk, bluesky, x, instagram, json (polled); "
     "telegram_webhook, webhook (pushed)"},
    {"enabled", KM_CONF_BOOL, "yes", 0, 0, 0, "poll this source"},
    {"interval", KM_CONF_DURATION, "30s", 0, 86400000, 0,
     "pause between successful polls (0s for long polling)"},
    {"require_tags", KM_CONF_BOOL, "yes", 0, 0, 0,
     "keep only posts with a watched tag; no = every message counts (monitored chats)"},
    {"timeout", KM_CONF_DURATION, "30s", 100, 600000, 0, "timeout of one request"},
    {"max_body", KM_CONF_SIZE, "8M", 1024, 1LL << 30, 0,
     "largest response body accepted; larger ones are refused while downloading"},
    {"backoff_max", KM_CONF_DURATION, "5m", 1000, 86400000, 0,
     "longest pause after repeated failures"},
    {"ca_file", KM_CONF_STR, NULL, 0, 0, 0, "extra CA bundle for TLS verification"},
    {NULL, 0, NULL, 0, 0, 0, NULL},
};

/* State of one load: the file being read and every problem found so far. */
struct loader {
    const char *path;
    char *dir; /* folder of path, for relative file: secrets */
    int line;
    FILE *fp;
    FILE *report;
    struct km_err *err;
    unsigned n_errors;
    struct km_config *cfg;
    struct km_section *cur;
    km_conf_type_keys_fn type_keys;
};

static void load_error(struct loader *ld, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void load_error(struct loader *ld, int line, const char *fmt, ...)
{
    char msg[KM_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (ld->report != NULL) {
        fprintf(ld->report, "%s:%d: %s\n", ld->path, line, msg);
    }
    if (ld->n_errors == 0) {
        km_err_set(ld->err, KM_EINPUT, "%s:%d: %s", ld->path, line, msg);
    }
    ld->n_errors++;
}

static struct km_section *section_new(const char *kind, const char *name, const char *file,
                                      int line)
{
    struct km_section *s = km_calloc(1, sizeof(*s));
    s->kind = km_strdup(kind);
    s->name = km_strdup(name);
    s->file = km_strdup(file);
    s->line = line;
    return s;
}

static void section_free(struct km_section *s)
{
    if (s == NULL) {
        return;
    }
    for (size_t i = 0; i < s->n_entries; i++) {
        free(s->entries[i].key);
        if (s->entries[i].secret && s->entries[i].value != NULL) {
            memset(s->entries[i].value, 0, strlen(s->entries[i].value));
        }
        free(s->entries[i].value);
    }
    free(s->entries);
    free(s->kind);
    free(s->name);
    free(s->file);
    free(s);
}

static const struct km_conf_entry *section_entry(const struct km_section *sec, const char *key)
{
    for (size_t i = 0; i < sec->n_entries; i++) {
        if (strcmp(sec->entries[i].key, key) == 0) {
            return &sec->entries[i];
        }
    }
    return NULL;
}

static const struct km_conf_key *table_find(const struct km_conf_key *keys, const char *name)
{
    for (; keys != NULL && keys->name != NULL; keys++) {
        if (strcmp(keys->name, name) == 0) {
            return keys;
        }
    }
    return NULL;
}

static const struct km_conf_key *section_key(const struct km_section *sec, const char *name)
{
    const struct km_conf_key *k = table_find(sec->keys, name);
    return k != NULL ? k : table_find(sec->extra_keys, name);
}

/* Starts a new section from its "[...]" name: "komek" or "source NAME". */
static void begin_section(struct loader *ld, const char *header)
{
    struct km_config *cfg = ld->cfg;
    ld->cur = NULL;
    if (strcmp(header, "komek") == 0) {
        if (cfg->global->line != 0) {
            load_error(ld, ld->line, "duplicate [komek] section (first at line %d)",
                       cfg->global->line);
        }
        cfg->global->line = ld->line;
        ld->cur = cfg->global;
        return;
    }
    if (strncmp(header, "source", 6) != 0 || !isspace((unsigned char)header[6])) {
        load_error(ld, ld->line, "unknown section [%s] (expected [komek] or [source NAME])",
                   header);
        return;
    }
    const char *name = header + 6;
    while (isspace((unsigned char)*name)) {
        name++;
    }
    for (const char *p = name; *p; p++) {
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.') {
            load_error(ld, ld->line, "source name '%s' may only use letters, digits, _ - .",
                       name);
            return;
        }
    }
    for (size_t i = 0; i < cfg->n_sources; i++) {
        if (strcmp(cfg->sources[i]->name, name) == 0) {
            load_error(ld, ld->line, "duplicate [source %s] (first at line %d)", name,
                       cfg->sources[i]->line);
            return;
        }
    }
    struct km_section *s = section_new("source", name, ld->path, ld->line);
    s->keys = km_conf_source_keys;
    cfg->sources = km_realloc(cfg->sources, (cfg->n_sources + 1) * sizeof(*cfg->sources));
    cfg->sources[cfg->n_sources++] = s;
    ld->cur = s;
}

/* libinih's reader callback: counts lines (Debian's libinih 55 gives handlers no line
 * number) and opens sections itself, so that a section with no keys is seen too. */
static char *reader(char *str, int num, void *stream)
{
    struct loader *ld = stream;
    char *line = fgets(str, num, ld->fp);
    if (line == NULL) {
        return NULL;
    }
    ld->line++;
    size_t len = strlen(line);
    if (len > 0 && line[len - 1] != '\n' && !feof(ld->fp)) {
        /* Longer than libinih's line buffer (INI_MAX_LINE): inih would split it into two
         * lines. Skip the rest, report it, and hand inih a blank line instead. */
        int c;
        while ((c = fgetc(ld->fp)) != EOF && c != '\n') {
        }
        load_error(ld, ld->line, "line longer than %d characters", num - 2);
        str[0] = '\n';
        str[1] = '\0';
        return str;
    }
    const char *p = line;
    while (isspace((unsigned char)*p)) {
        p++;
    }
    if (*p == '[') {
        const char *end = strchr(p, ']');
        if (end != NULL) {
            char *header = km_strndup(p + 1, (size_t)(end - p - 1));
            begin_section(ld, header);
            free(header);
        }
    }
    return line;
}

static int read_secret_file(struct loader *ld, const char *path, char **out)
{
    char *full = path[0] == '/' ? km_strdup(path) : km_asprintf("%s/%s", ld->dir, path);
    FILE *f = fopen(full, "r");
    int rc = KM_EINPUT;
    if (f == NULL) {
        load_error(ld, ld->line, "cannot read secret file %s: %s", full, strerror(errno));
        goto out;
    }
    char buf[SECRET_FILE_MAX + 1];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    if (n > SECRET_FILE_MAX) {
        load_error(ld, ld->line, "secret file %s is larger than %d bytes", full,
                   SECRET_FILE_MAX);
        goto out;
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
        n--;
    }
    *out = km_strndup(buf, n);
    rc = KM_OK;
out:
    free(full);
    return rc;
}

/* Resolves "env:VAR" and "file:PATH"; anything else is the secret itself. */
static int resolve_secret(struct loader *ld, const char *value, char **out)
{
    if (strncmp(value, "env:", 4) == 0) {
        const char *v = getenv(value + 4);
        if (v == NULL) {
            load_error(ld, ld->line, "environment variable %s is not set", value + 4);
            return KM_EINPUT;
        }
        *out = km_strdup(v);
        return KM_OK;
    }
    if (strncmp(value, "file:", 5) == 0) {
        return read_secret_file(ld, value + 5, out);
    }
    *out = km_strdup(value);
    return KM_OK;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    struct loader *ld = user;
    (void)section; /* sections are tracked by reader() */
    if (ld->cur == NULL) {
        if (section[0] == '\0') {
            load_error(ld, ld->line, "key '%s' outside of any section", name);
        }
        return 1; /* inside a section already reported as invalid */
    }
    struct km_section *s = ld->cur;
    const struct km_conf_entry *prev = section_entry(s, name);
    if (prev != NULL) {
        load_error(ld, ld->line, "duplicate key '%s' (first at line %d)", name, prev->line);
        return 1;
    }
    s->entries = km_realloc(s->entries, (s->n_entries + 1) * sizeof(*s->entries));
    struct km_conf_entry *e = &s->entries[s->n_entries++];
    e->key = km_strdup(name);
    e->value = km_strdup(value);
    e->line = ld->line;
    e->secret = false;
    return 1;
}

int km_conf_parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return KM_OK;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return KM_OK;
        }
    }
    return KM_EINPUT;
}

int km_conf_parse_size(const char *s, long long *out)
{
    if (!isdigit((unsigned char)*s)) {
        return KM_EINPUT;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned long long mult = 1;
    if (*end != '\0') {
        switch (toupper((unsigned char)*end)) {
        case 'K': mult = 1ULL << 10; break;
        case 'M': mult = 1ULL << 20; break;
        case 'G': mult = 1ULL << 30; break;
        default: return KM_EINPUT;
        }
        end++;
        if (toupper((unsigned char)*end) == 'B') {
            end++;
        }
    }
    if (*end != '\0' || errno != 0 || v > (unsigned long long)LLONG_MAX / mult) {
        return KM_EINPUT;
    }
    *out = (long long)(v * mult);
    return KM_OK;
}

/* Parses value as k's type into a number for the bounds check. */
static int parse_typed(const struct km_conf_key *k, const char *value, long long *num)
{
    bool b;
    int64_t ms;
    char *end;
    switch (k->type) {
    case KM_CONF_STR:
        return KM_OK;
    case KM_CONF_BOOL:
        return km_conf_parse_bool(value, &b);
    case KM_CONF_DURATION:
        if (km_duration_parse(value, &ms) != KM_OK) {
            return KM_EINPUT;
        }
        *num = ms;
        return KM_OK;
    case KM_CONF_SIZE:
        return km_conf_parse_size(value, num);
    case KM_CONF_INT:
        errno = 0;
        *num = strtoll(value, &end, 10);
        return (*value == '\0' || *end != '\0' || errno != 0) ? KM_EINPUT : KM_OK;
    }
    return KM_EINPUT;
}

static const char *type_hint(enum km_conf_type t)
{
    switch (t) {
    case KM_CONF_INT: return "an integer";
    case KM_CONF_BOOL: return "yes or no";
    case KM_CONF_DURATION: return "a duration such as 500ms, 30s, 5m, 1h";
    case KM_CONF_SIZE: return "a size such as 512k, 8M";
    default: return "a string";
    }
}

static void format_bound(enum km_conf_type t, long long v, char *out, size_t size)
{
    static const struct {
        long long div;
        const char *unit;
    } dur[] = {{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}, {1, "ms"}},
      sz[] = {{1LL << 30, "G"}, {1LL << 20, "M"}, {1LL << 10, "k"}, {1, ""}};
    if (t == KM_CONF_DURATION || t == KM_CONF_SIZE) {
        size_t n = t == KM_CONF_DURATION ? 5 : 4;
        for (size_t i = 0; i < n; i++) {
            long long div = t == KM_CONF_DURATION ? dur[i].div : sz[i].div;
            if (v != 0 && v % div == 0) {
                snprintf(out, size, "%lld%s", v / div,
                         t == KM_CONF_DURATION ? dur[i].unit : sz[i].unit);
                return;
            }
        }
        snprintf(out, size, "0%s", t == KM_CONF_DURATION ? "s" : "");
        return;
    }
    snprintf(out, size, "%lld", v);
}

static void check_entry(struct loader *ld, struct km_section *s, struct km_conf_entry *e,
                        bool resolve)
{
    const struct km_conf_key *k = section_key(s, e->key);
    ld->line = e->line;
    if (k == NULL) {
        if (s->name != NULL) {
            load_error(ld, e->line, "unknown key '%s' in [source %s]", e->key, s->name);
        } else {
            load_error(ld, e->line, "unknown key '%s' in [komek]", e->key);
        }
        return;
    }
    if (k->flags & KM_CONF_SECRET) {
        char *resolved = NULL;
        e->secret = true;
        if (!resolve) {
            return; /* a disabled source needs no credentials */
        }
        if (resolve_secret(ld, e->value, &resolved) != KM_OK) {
            return;
        }
        free(e->value);
        e->value = resolved;
        return;
    }
    long long num = 0;
    if (parse_typed(k, e->value, &num) != KM_OK) {
        load_error(ld, e->line, "%s = '%s': expected %s", e->key, e->value, type_hint(k->type));
        return;
    }
    if (k->type != KM_CONF_STR && k->type != KM_CONF_BOOL && (k->min != 0 || k->max != 0) &&
        (num < k->min || num > k->max)) {
        char lo[32], hi[32];
        format_bound(k->type, k->min, lo, sizeof(lo));
        format_bound(k->type, k->max, hi, sizeof(hi));
        load_error(ld, e->line, "%s = %s: out of range, must be between %s and %s", e->key,
                   e->value, lo, hi);
    }
}

static void check_required(struct loader *ld, const struct km_section *s,
                           const struct km_conf_key *keys)
{
    for (; keys != NULL && keys->name != NULL; keys++) {
        if ((keys->flags & KM_CONF_REQUIRED) && section_entry(s, keys->name) == NULL) {
            if (s->name != NULL) {
                load_error(ld, s->line, "[source %s] needs '%s' (%s)", s->name, keys->name,
                           keys->help);
            } else {
                load_error(ld, s->line, "[komek] needs '%s'", keys->name);
            }
        }
    }
}

static void check_section(struct loader *ld, struct km_section *s)
{
    if (s->name != NULL) {
        const struct km_conf_entry *type = section_entry(s, "type");
        if (type != NULL) {
            s->extra_keys = ld->type_keys != NULL ? ld->type_keys(type->value) : NULL;
            if (s->extra_keys == NULL) {
                load_error(ld, type->line, "[source %s]: unknown type '%s'", s->name,
                           type->value);
                return;
            }
        }
    }
    /* Secrets of a source with enabled = no are not resolved: its env: variable or
     * file: may legitimately be missing on this host. */
    const struct km_conf_entry *en = section_entry(s, "enabled");
    bool enabled = true;
    if (en != NULL && km_conf_parse_bool(en->value, &enabled) != KM_OK) {
        enabled = true;
    }
    for (size_t i = 0; i < s->n_entries; i++) {
        check_entry(ld, s, &s->entries[i], enabled);
    }
    check_required(ld, s, s->keys);
    check_required(ld, s, s->extra_keys);
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        return km_strdup(".");
    }
    if (slash == path) {
        return km_strdup("/");
    }
    return km_strndup(path, (size_t)(slash - path));
}

int km_config_load(const char *path, km_conf_type_keys_fn type_keys, FILE *report,
                   struct km_config **out, struct km_err *err)
{
    struct km_config *cfg = km_calloc(1, sizeof(*cfg));
    struct loader ld = {.path = path, .report = report, .err = err, .cfg = cfg,
                        .type_keys = type_keys};
    int rc = KM_OK;
    cfg->path = km_strdup(path);
    cfg->global = section_new("komek", NULL, path, 0);
    cfg->global->keys = km_conf_global_keys;
    ld.dir = dir_of(path);
    ld.fp = fopen(path, "r");
    if (ld.fp == NULL) {
        rc = km_err_set(err, KM_ERR, "%s: cannot open: %s", path, strerror(errno));
        if (report != NULL) {
            fprintf(report, "%s\n", err ? err->msg : path);
        }
        goto out;
    }
    int bad = ini_parse_stream(reader, &ld, handler, &ld);
    if (bad > 0) {
        load_error(&ld, bad, "syntax error: expected 'key = value', '[komek]' or "
                             "'[source NAME]'");
    }
    check_section(&ld, cfg->global);
    for (size_t i = 0; i < cfg->n_sources; i++) {
        check_section(&ld, cfg->sources[i]);
    }
    if (ld.n_errors > 0) {
        if (ld.n_errors > 1 && err != NULL) {
            char more[48];
            snprintf(more, sizeof(more), " (and %u more errors)", ld.n_errors - 1);
            size_t len = strlen(err->msg);
            snprintf(err->msg + len, sizeof(err->msg) - len, "%s", more);
        }
        rc = KM_EINPUT;
    }
out:
    if (ld.fp != NULL) {
        fclose(ld.fp);
    }
    free(ld.dir);
    if (rc != KM_OK) {
        km_config_free(cfg);
        cfg = NULL;
    }
    *out = cfg;
    return rc;
}

void km_config_free(struct km_config *cfg)
{
    if (cfg == NULL) {
        return;
    }
    section_free(cfg->global);
    for (size_t i = 0; i < cfg->n_sources; i++) {
        section_free(cfg->sources[i]);
    }
    free(cfg->sources);
    free(cfg->path);
    free(cfg);
}

const char *km_section_get(const struct km_section *sec, const char *key)
{
    const struct km_conf_entry *e = section_entry(sec, key);
    if (e != NULL) {
        return e->value;
    }
    const struct km_conf_key *k = section_key(sec, key);
    return k != NULL ? k->def : NULL;
}

long long km_section_get_int(const struct km_section *sec, const char *key)
{
    const char *v = km_section_get(sec, key);
    return v != NULL ? strtoll(v, NULL, 10) : 0;
}

bool km_section_get_bool(const struct km_section *sec, const char *key)
{
    const char *v = km_section_get(sec, key);
    bool b = false;
    if (v != NULL) {
        km_conf_parse_bool(v, &b);
    }
    return b;
}

int64_t km_section_get_ms(const struct km_section *sec, const char *key)
{
    const char *v = km_section_get(sec, key);
    int64_t ms = 0;
    if (v != NULL) {
        km_duration_parse(v, &ms);
    }
    return ms;
}

long long km_section_get_size(const struct km_section *sec, const char *key)
{
    const char *v = km_section_get(sec, key);
    long long n = 0;
    if (v != NULL) {
        km_conf_parse_size(v, &n);
    }
    return n;
}

int km_section_line(const struct km_section *sec, const char *key)
{
    const struct km_conf_entry *e = section_entry(sec, key);
    return e != NULL ? e->line : sec->line;
}

char *km_config_path(const struct km_config *cfg, const char *value)
{
    if (value == NULL) {
        return NULL;
    }
    if (value[0] == '/') {
        return km_strdup(value);
    }
    char *dir = dir_of(cfg->path);
    char *p = km_asprintf("%s/%s", dir, value);
    free(dir);
    return p;
}

static void dump_table(const struct km_section *s, const struct km_conf_key *keys, FILE *f)
{
    for (; keys != NULL && keys->name != NULL; keys++) {
        const struct km_conf_entry *e = section_entry(s, keys->name);
        const char *v = e != NULL ? e->value : keys->def;
        if (v == NULL) {
            continue;
        }
        fprintf(f, "%s = %s\n", keys->name, (keys->flags & KM_CONF_SECRET) ? "***" : v);
    }
}

void km_config_dump(const struct km_config *cfg, FILE *f)
{
    fprintf(f, "[komek]\n");
    dump_table(cfg->global, cfg->global->keys, f);
    for (size_t i = 0; i < cfg->n_sources; i++) {
        const struct km_section *s = cfg->sources[i];
        fprintf(f, "\n[source %s]\n", s->name);
        dump_table(s, s->keys, f);
        dump_table(s, s->extra_keys, f);
    }
}

void km_conf_keys_describe(const struct km_conf_key *keys, FILE *f)
{
    for (; keys != NULL && keys->name != NULL; keys++) {
        fprintf(f, "  %-15s %s%s%s%s%s\n", keys->name, keys->help,
                keys->def ? " (default " : "", keys->def ? keys->def : "", keys->def ? ")" : "",
                (keys->flags & KM_CONF_REQUIRED) ? " [required]" : "");
    }
}

bool km_conf_list_next(const char **cursor, const char **item, size_t *len)
{
    const char *p = *cursor;
    if (p == NULL) {
        return false;
    }
    size_t n = strcspn(p, ",");
    const char *s = p;
    const char *e = p + n;
    while (s < e && (*s == ' ' || *s == '\t' || *s == '#')) {
        s++;
    }
    while (e > s && (e[-1] == ' ' || e[-1] == '\t')) {
        e--;
    }
    *item = s;
    *len = (size_t)(e - s);
    *cursor = p[n] == '\0' ? NULL : p + n + 1;
    return true;
}
