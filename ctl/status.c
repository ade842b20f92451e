/* komekctl status (see status.h): a person's summary of komekd's /readyz and /metrics. */
#include "ctl/status.h"

#include "common/alloc.h"
#include "common/buf.h"
#include "parser/json.h"

#include <curl/curl.h>

#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Answers larger than this are not komekd's. */
#define ST_MAX_BODY   (4u << 20)
#define ST_TIMEOUT_MS 5000L

struct st_sample {
    char *name;   /* family */
    char *labels; /* inside the braces, "" for none */
    double value;
};

struct st_metrics {
    struct st_sample *v;
    size_t n, cap;
};

static size_t st_on_body(char *data, size_t size, size_t n, void *arg)
{
    struct km_buf *b = arg;
    if (b->len + size * n > ST_MAX_BODY) {
        return 0;
    }
    km_buf_append(b, data, size * n);
    return size * n;
}

/* GETs url into body; returns the HTTP status, or 0 with err filled when nothing answered. */
static long st_get(const char *url, struct km_buf *body, char *err, size_t err_size)
{
    CURL *c = curl_easy_init();
    long status = 0;
    if (c == NULL) {
        snprintf(err, err_size, "curl_easy_init failed");
        return 0;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, st_on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ST_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    } else {
        snprintf(err, err_size, "%s", curl_easy_strerror(rc));
    }
    curl_easy_cleanup(c);
    km_buf_putc(body, '\0');
    body->len--;
    return status;
}

/* The last blank of line[0..len), NULL if none (memrchr is a GNU extension). */
static const char *st_last_blank(const char *line, size_t len)
{
    while (len > 0) {
        if (line[--len] == ' ') {
            return line + len;
        }
    }
    return NULL;
}

/* Parses the exposition format: "name{labels} value" lines, comments skipped. */
static void st_parse(const char *text, struct st_metrics *m)
{
    for (const char *line = text; line != NULL && *line != '\0';) {
        const char *end = strchr(line, '\n');
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
        const char *sp = st_last_blank(line, len);
        if (line[0] != '#' && sp != NULL) {
            const char *brace = memchr(line, '{', (size_t)(sp - line));
            size_t name_len = brace != NULL ? (size_t)(brace - line) : (size_t)(sp - line);
            if (m->n == m->cap) {
                m->cap = m->cap == 0 ? 128 : m->cap * 2;
                m->v = km_realloc(m->v, m->cap * sizeof(*m->v));
            }
            struct st_sample *s = &m->v[m->n++];
            s->name = km_strndup(line, name_len);
            s->labels =
                brace != NULL ? km_strndup(brace + 1, (size_t)(sp - brace - 2)) : km_strdup("");
            s->value = strtod(sp + 1, NULL);
        }
        line = end != NULL ? end + 1 : NULL;
    }
}

static void st_metrics_free(struct st_metrics *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].name);
        free(m->v[i].labels);
    }
    free(m->v);
}

/* Value of name{labels}, or NAN when absent. */
static double st_value(const struct st_metrics *m, const char *name, const char *labels)
{
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->v[i].name, name) == 0 && strcmp(m->v[i].labels, labels) == 0) {
            return m->v[i].value;
        }
    }
    return NAN;
}

/* The value of label key in a label set ("" when absent), copied into buf. */
static const char *st_label(const char *labels, const char *key, char *buf, size_t size)
{
    size_t kl = strlen(key);
    buf[0] = '\0';
    for (const char *p = labels; p != NULL && *p != '\0';) {
        if (strncmp(p, key, kl) == 0 && p[kl] == '=' && p[kl + 1] == '"') {
            size_t n = 0;
            for (const char *c = p + kl + 2; *c != '\0' && *c != '"' && n + 1 < size; c++) {
                buf[n++] = *c == '\\' && c[1] != '\0' ? *++c : *c;
            }
            buf[n] = '\0';
            return buf;
        }
        p = strstr(p, "\",");
        p = p != NULL ? p + 2 : NULL;
    }
    return buf;
}

/* Sum of every series of a family whose labels contain match (NULL = all). */
static double st_sum(const struct st_metrics *m, const char *name, const char *match)
{
    double sum = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->v[i].name, name) == 0 &&
            (match == NULL || strstr(m->v[i].labels, match) != NULL)) {
            sum += m->v[i].value;
        }
    }
    return sum;
}

static void st_duration(double s, char *buf, size_t size)
{
    if (isnan(s)) {
        snprintf(buf, size, "-");
    } else if (s < 120) {
        snprintf(buf, size, "%.0fs", s);
    } else if (s < 7200) {
        snprintf(buf, size, "%.0fm", s / 60);
    } else if (s < 172800) {
        snprintf(buf, size, "%.0fh%02.0fm", floor(s / 3600), fmod(s / 60, 60));
    } else {
        snprintf(buf, size, "%.0fd", s / 86400);
    }
}

/* Source names in order of first appearance in komek_source_polls_total. */
static void st_print_sources(const struct st_metrics *m)
{
    printf("sources:\n  %-20s %-12s %7s %7s %22s %8s %10s\n", "NAME", "STATE", "POLLS", "POSTS",
           "ERR http/input/429/db", "BACKOFF", "CURSOR AGE");
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->v[i].name, "komek_source_polls_total") != 0) {
            continue;
        }
        char src[128], state[32] = "?", key[256], age[32], backoff[32], errs[64];
        st_label(m->v[i].labels, "source", src, sizeof(src));
        static const char *const states[] = {"ok", "backing off", "standby", "stopped"};
        for (size_t k = 0; k < sizeof(states) / sizeof(states[0]); k++) {
            snprintf(key, sizeof(key), "%s,state=\"%s\"", m->v[i].labels, states[k]);
            if (st_value(m, "komek_source_state", key) == 1) {
                snprintf(state, sizeof(state), "%s", states[k]);
            }
        }
        double e[4];
        static const char *const kinds[] = {"http", "input", "rate_limited", "deliver"};
        for (size_t k = 0; k < 4; k++) {
            snprintf(key, sizeof(key), "%s,kind=\"%s\"", m->v[i].labels, kinds[k]);
            e[k] = st_value(m, "komek_source_errors_total", key);
        }
        snprintf(errs, sizeof(errs), "%.0f/%.0f/%.0f/%.0f", e[0], e[1], e[2], e[3]);
        st_duration(st_value(m, "komek_source_cursor_age_seconds", m->v[i].labels), age,
                    sizeof(age));
        st_duration(st_value(m, "komek_source_backoff_seconds", m->v[i].labels), backoff,
                    sizeof(backoff));
        printf("  %-20s %-12s %7.0f %7.0f %22s %8s %10s\n", src, state, m->v[i].value,
               st_value(m, "komek_source_posts_total", m->v[i].labels), errs, backoff, age);
    }
}

static void st_print(const char *url, const char *readyz, long ready_status,
                     const struct st_metrics *m)
{
    char version[64] = "?", up[32];
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->v[i].name, "komek_build_info") == 0) {
            st_label(m->v[i].labels, "version", version, sizeof(version));
        }
    }
    st_duration(st_value(m, "komek_process_uptime_seconds", ""), up, sizeof(up));
    printf("komekd %s at %s, up %s, resident memory %.1f MB\n", version, url, up,
           st_value(m, "komek_process_resident_memory_bytes", "") / 1048576.0);
    printf("ready: %s  %s", ready_status == 200 ? "yes" : "NO", readyz);
    printf("stream: %.0f entries, pending for tickets %.0f\n",
           st_value(m, "komek_queue_stream_length", ""),
           st_value(m, "komek_queue_pending", "group=\"tickets\""));
    st_print_sources(m);
    printf("triage: %.0f posts (P1 %.0f, P2 %.0f, P3 %.0f, P4 %.0f), %.0f duplicates, "
           "%.0f in incidents, %.0f escalations\n",
           st_sum(m, "komek_triage_posts_total", NULL),
           st_sum(m, "komek_triage_posts_total", "priority=\"P1\""),
           st_sum(m, "komek_triage_posts_total", "priority=\"P2\""),
           st_sum(m, "komek_triage_posts_total", "priority=\"P3\""),
           st_sum(m, "komek_triage_posts_total", "priority=\"P4\""),
           st_sum(m, "komek_triage_duplicates_total", NULL),
           st_sum(m, "komek_triage_incident_posts_total", NULL),
           st_sum(m, "komek_triage_escalations_total", NULL));
    printf("dedup window: %.0f posts, %.1f MB in memory; log entries not yet in Redis %.0f, "
           "skipped as malformed %.0f\n",
           st_value(m, "komek_dedup_window_posts", ""),
           st_value(m, "komek_dedup_window_bytes", "") / 1048576.0,
           st_value(m, "komek_dedup_log_pending", ""),
           st_sum(m, "komek_dedup_log_skipped_total", NULL));
    printf("commit: %.0f added, %.0f repeats, %.0f without a watched tag; log lines lost %.0f\n",
           st_value(m, "komek_commit_posts_total", "outcome=\"added\""),
           st_value(m, "komek_commit_posts_total", "outcome=\"repeat\""),
           st_value(m, "komek_commit_posts_total", "outcome=\"dropped\""),
           st_sum(m, "komek_log_write_errors_total", NULL));
}

static void st_print_json(const char *url, const char *readyz, long ready_status,
                          const struct st_metrics *m)
{
    struct km_buf b = KM_BUF_INIT;
    km_buf_puts(&b, "{\"url\":");
    km_json_escape(&b, url);
    km_buf_printf(&b, ",\"ready\":%s,\"readyz\":", ready_status == 200 ? "true" : "false");
    yajl_val v = NULL;
    struct km_err err = {{0}};
    if (km_json_parse(readyz, strlen(readyz), &v, NULL, &err) == KM_OK) {
        km_buf_puts(&b, readyz[0] != '\0' ? readyz : "null");
        while (b.len > 0 && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == ' ')) {
            b.len--;
        }
        km_json_free(v);
    } else {
        km_buf_puts(&b, "null");
    }
    km_buf_puts(&b, ",\"metrics\":{");
    for (size_t i = 0; i < m->n; i++) {
        struct km_buf key = KM_BUF_INIT;
        km_buf_puts(&key, m->v[i].name);
        if (m->v[i].labels[0] != '\0') {
            km_buf_printf(&key, "{%s}", m->v[i].labels);
        }
        km_buf_puts(&b, i > 0 ? "," : "");
        km_json_escape(&b, key.data);
        km_buf_printf(&b, ":%.17g", isfinite(m->v[i].value) ? m->v[i].value : 0);
        km_buf_free(&key);
    }
    km_buf_puts(&b, "}}\n");
    fwrite(b.data, 1, b.len, stdout);
    km_buf_free(&b);
}

int km_ctl_status(const struct km_config *cfg, int argc, char **argv)
{
    static const struct option opts[] = {
        {"url", required_argument, NULL, 'u'}, {"json", no_argument, NULL, 'j'}, {0, 0, 0, 0}};
    const char *url_opt = NULL;
    bool json = false;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
        if (c == 'u') {
            url_opt = optarg;
        } else if (c == 'j') {
            json = true;
        } else {
            fprintf(stderr, "usage: komekctl status [--url http://HOST:PORT] [--json]\n");
            return 2;
        }
    }
    const char *listen = km_section_get(cfg->global, "metrics_listen");
    if (url_opt == NULL && (listen == NULL || listen[0] == '\0' || strcmp(listen, "off") == 0)) {
        fprintf(stderr, "komekctl status: metrics_listen is off in %s: pass --url\n", cfg->path);
        return 2;
    }
    char base[512], url[600], err[CURL_ERROR_SIZE] = "";
    snprintf(base, sizeof(base), "%s%s", url_opt != NULL ? "" : "http://",
             url_opt != NULL ? url_opt : listen);
    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/') {
        base[--bl] = '\0';
    }
    struct km_buf ready = KM_BUF_INIT, metrics = KM_BUF_INIT;
    snprintf(url, sizeof(url), "%s/readyz", base);
    long ready_status = st_get(url, &ready, err, sizeof(err));
    snprintf(url, sizeof(url), "%s/metrics", base);
    long metrics_status = ready_status != 0 ? st_get(url, &metrics, err, sizeof(err)) : 0;
    int rc = 1;
    if (metrics_status != 200) {
        fprintf(stderr, "komekctl status: komekd does not answer at %s: %s\n", base,
                err[0] != '\0' ? err : "no metrics (is this komekd's metrics_listen?)");
        goto out;
    }
    struct st_metrics m = {0};
    st_parse(metrics.data, &m);
    if (json) {
        st_print_json(base, ready.data, ready_status, &m);
    } else {
        st_print(base, ready.data, ready_status, &m);
    }
    st_metrics_free(&m);
    rc = ready_status == 200 ? 0 : 1;
out:
    km_buf_free(&ready);
    km_buf_free(&metrics);
    return rc;
}
