/* The operations endpoints (see ops.h): /metrics, /healthz, /readyz. libmicrohttpd runs
 * them on one internal thread, so the Redis and PostgreSQL handles below are only ever used
 * by that thread. */
#include "intake/ops.h"

#include "app/setup.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/time.h"
#include "db/db.h"
#include "intake/server.h"
#include "queue/queue.h"

#include <microhttpd.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef KM_VERSION
#define KM_VERSION "dev"
#endif

#define OPS_SCOPE "ops"
/* Scrapers and probes are few; a slow or stuck client must not hold the only thread long. */
#define OPS_MAX_CONNECTIONS 32
#define OPS_IDLE_TIMEOUT_S  10
/* Groups shown in /metrics besides those the caller names. */
#define OPS_MAX_GROUPS 8

struct km_ops {
    struct MHD_Daemon *mhd;
    unsigned port;
    bool need_postgres;
    const char *conninfo;
    const char *groups[OPS_MAX_GROUPS + 1];
    struct km_queue *q; /* used by the server thread only */
    struct km_db *db;   /* idem; NULL until a readiness check connects */
    int64_t started_ms;
};

bool km_ops_wanted(const struct km_config *cfg)
{
    return !km_intake_listen_off(km_section_get(cfg->global, "metrics_listen"));
}

unsigned km_ops_port(const struct km_ops *ops)
{
    return ops->port;
}

/* ---- metrics ------------------------------------------------------------------------- */

static void ops_declare(void)
{
    km_metric_declare("komek_build_info", KM_METRIC_GAUGE, "Version of the running komekd.");
    km_metric_declare("komek_process_uptime_seconds", KM_METRIC_GAUGE, "Seconds since start.");
    km_metric_declare("komek_process_resident_memory_bytes", KM_METRIC_GAUGE,
                      "Resident set size of the process.");
    km_metric_declare("komek_queue_stream_length", KM_METRIC_GAUGE,
                      "Entries in the posts stream (XLEN).");
    km_metric_declare("komek_queue_pending", KM_METRIC_GAUGE,
                      "Entries read by a consumer group and not acknowledged yet.");
    km_metric_declare("komek_queue_redis_up", KM_METRIC_GAUGE,
                      "1 if the last scrape reached Redis, else 0.");
    km_metric_declare("komek_http_requests_total", KM_METRIC_COUNTER,
                      "HTTP requests answered, by server, route and status code.");
    km_metric_declare("komek_log_write_errors_total", KM_METRIC_COUNTER,
                      "Log lines lost because the log destination refused them.");
}

/* Resident memory from /proc/self/statm (pages), 0 when unreadable. */
static double ops_rss_bytes(void)
{
    unsigned long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL) {
        return 0;
    }
    if (fscanf(f, "%lu %lu", &size, &resident) != 2) {
        resident = 0;
    }
    fclose(f);
    return (double)resident * (double)sysconf(_SC_PAGESIZE);
}

/* Refreshes the gauges of the process and the posts stream just before a render. */
static void ops_scrape(void *arg)
{
    struct km_ops *ops = arg;
    struct km_buf lb = KM_BUF_INIT;
    km_metric_label(&lb, "version", KM_VERSION);
    km_metric_set("komek_build_info", lb.data, 1);
    km_buf_free(&lb);
    km_metric_set("komek_process_uptime_seconds", NULL,
                  (double)(km_time_mono_ms() - ops->started_ms) / 1000.0);
    km_metric_set("komek_process_resident_memory_bytes", NULL, ops_rss_bytes());
    struct km_err err = {{0}};
    long long len = 0;
    bool up = km_queue_stream_len(ops->q, &len, &err) == KM_OK;
    km_metric_set("komek_queue_redis_up", NULL, up ? 1 : 0);
    if (!up) {
        return;
    }
    km_metric_set("komek_queue_stream_length", NULL, (double)len);
    for (size_t i = 0; ops->groups[i] != NULL; i++) {
        long long pending = 0;
        if (km_queue_pending_count(ops->q, ops->groups[i], &pending, &err) == KM_OK) {
            struct km_buf gb = KM_BUF_INIT;
            km_metric_label(&gb, "group", ops->groups[i]);
            km_metric_set("komek_queue_pending", gb.data, (double)pending);
            km_buf_free(&gb);
        }
    }
}

/* ---- readiness ----------------------------------------------------------------------- */

/* Appends one check's JSON member to body; returns ok. */
static bool ops_check(struct km_buf *body, const char *name, bool ok, const char *error)
{
    km_buf_printf(body, "%s\"%s\":", body->len > 1 ? "," : "", name);
    if (ok) {
        km_buf_puts(body, "\"ok\"");
        return true;
    }
    km_buf_putc(body, '"');
    for (const char *c = error; *c != '\0'; c++) {
        if (*c == '"' || *c == '\\') {
            km_buf_printf(body, "\\%c", *c);
        } else if ((unsigned char)*c < 0x20) {
            km_buf_printf(body, "\\u%04x", (unsigned char)*c);
        } else {
            km_buf_putc(body, *c);
        }
    }
    km_buf_putc(body, '"');
    return false;
}

/* PostgreSQL reachable and its schema at least this build's; err says why not. */
static bool ops_postgres_ready(struct km_ops *ops, struct km_err *err)
{
    int current = 0, latest = 0;
    if (ops->db == NULL && km_db_connect(ops->conninfo, &ops->db, err) != KM_OK) {
        return false;
    }
    if (km_db_schema_status(ops->db, &current, &latest, err) != KM_OK) {
        km_db_free(ops->db); /* the connection may be gone: a new one next time */
        ops->db = NULL;
        return false;
    }
    if (current < latest) {
        km_err_set(err, KM_ERR, "schema at version %d, this build needs %d: run komekctl migrate",
                   current, latest);
        return false;
    }
    return true;
}

/* The /readyz body; *ready tells whether every check passed. Caller frees. */
static char *ops_readiness(struct km_ops *ops, bool *ready)
{
    struct km_buf body = KM_BUF_INIT;
    struct km_err err = {{0}};
    km_buf_putc(&body, '{');
    bool ok = ops_check(&body, "redis", km_queue_ping(ops->q, &err) == KM_OK, err.msg);
    if (ops->need_postgres) {
        memset(&err, 0, sizeof(err));
        ok = ops_check(&body, "postgresql", ops_postgres_ready(ops, &err), err.msg) && ok;
    }
    km_buf_printf(&body, ",\"ready\":%s}\n", ok ? "true" : "false");
    *ready = ok;
    return km_buf_take(&body);
}

/* ---- HTTP ---------------------------------------------------------------------------- */

static enum MHD_Result ops_answer(struct MHD_Connection *conn, const char *route, unsigned code,
                                  const char *type, char *body)
{
    struct km_buf lb = KM_BUF_INIT;
    km_metric_label(&lb, "server", "ops");
    km_metric_label(&lb, "route", route);
    km_buf_printf(&lb, ",code=\"%u\"", code);
    km_metric_add("komek_http_requests_total", lb.data, 1);
    km_buf_free(&lb);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (code == MHD_HTTP_METHOD_NOT_ALLOWED) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    }
    enum MHD_Result rc = MHD_queue_response(conn, code, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result ops_handle(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **req)
{
    struct km_ops *ops = cls;
    (void)version;
    (void)upload;
    if (*req == NULL) { /* first call: headers only; wait for the end of any body */
        *req = ops;
        return MHD_YES;
    }
    if (*upload_size != 0) {
        *upload_size = 0; /* a body is never wanted: discard it */
        return MHD_YES;
    }
    const char *text = "text/plain; charset=utf-8";
    bool known = strcmp(url, "/metrics") == 0 || strcmp(url, "/healthz") == 0 ||
                 strcmp(url, "/readyz") == 0;
    const char *route = known ? url : "other";
    if (!known) {
        return ops_answer(conn, route, MHD_HTTP_NOT_FOUND, text, km_strdup("not found\n"));
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        return ops_answer(conn, route, MHD_HTTP_METHOD_NOT_ALLOWED, text,
                          km_strdup("method not allowed\n"));
    }
    if (strcmp(url, "/healthz") == 0) {
        return ops_answer(conn, route, MHD_HTTP_OK, text, km_strdup("ok\n"));
    }
    if (strcmp(url, "/readyz") == 0) {
        bool ready = false;
        char *body = ops_readiness(ops, &ready);
        return ops_answer(conn, route, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
                          "application/json", body);
    }
    struct km_buf out = KM_BUF_INIT;
    km_metrics_render(&out);
    return ops_answer(conn, route, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
                      km_buf_take(&out));
}

static void ops_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[256];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) {
        msg[--n] = '\0';
    }
    KM_SLOG_DEBUG(OPS_SCOPE, "libmicrohttpd: %s", msg);
}

static int ops_start(struct km_ops *ops, const struct sockaddr_storage *addr, const char *listen,
                     struct km_err *err)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC;
    if (addr->ss_family == AF_INET6) {
        flags |= MHD_USE_IPv6;
    }
    ops->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, ops_handle, ops, MHD_OPTION_EXTERNAL_LOGGER, ops_mhd_log, ops,
        MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)addr, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)OPS_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)OPS_IDLE_TIMEOUT_S,
        MHD_OPTION_END);
    if (ops->mhd == NULL) {
        return km_err_set(err, KM_ERR, "metrics_listen: cannot listen on %s (address in use?)",
                          listen);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(ops->mhd, MHD_DAEMON_INFO_BIND_PORT);
    ops->port = info != NULL ? info->port : 0;
    return KM_OK;
}

/* Copies the group names, "tickets" first. */
static void ops_groups(struct km_ops *ops, const char *const *groups)
{
    size_t n = 0;
    ops->groups[n++] = "tickets";
    for (size_t i = 0; groups != NULL && groups[i] != NULL && n < OPS_MAX_GROUPS; i++) {
        if (strcmp(groups[i], "tickets") != 0) {
            ops->groups[n++] = groups[i];
        }
    }
    ops->groups[n] = NULL;
}

int km_ops_new(const struct km_config *cfg, const struct km_ops_opts *opts, struct km_ops **out,
               struct km_err *err)
{
    struct km_ops *ops = km_calloc(1, sizeof(*ops));
    ops->started_ms = km_time_mono_ms();
    ops->need_postgres = opts != NULL && opts->need_postgres;
    ops->conninfo = km_section_get(cfg->global, "postgres");
    ops_groups(ops, opts != NULL ? opts->groups : NULL);
    const char *listen = km_section_get(cfg->global, "metrics_listen");
    struct sockaddr_storage addr;
    socklen_t addr_len = 0;
    int rc = km_intake_listen_key(cfg, "metrics_listen", &addr, &addr_len, err);
    if (rc != KM_OK) {
        goto out;
    }
    struct km_queue_opts qo;
    km_app_queue_opts(cfg, &qo);
    rc = km_queue_new(&qo, &ops->q, err);
    if (rc == KM_OK) {
        ops_declare();
        km_metrics_on_scrape(ops_scrape, ops);
        rc = ops_start(ops, &addr, listen, err);
    }
out:
    if (rc != KM_OK) {
        km_ops_free(ops);
        ops = NULL;
    }
    *out = ops;
    return rc;
}

void km_ops_free(struct km_ops *ops)
{
    if (ops == NULL) {
        return;
    }
    if (ops->mhd != NULL) {
        MHD_stop_daemon(ops->mhd);
    }
    km_metrics_off_scrape(ops_scrape, ops);
    km_queue_free(ops->q);
    km_db_free(ops->db);
    free(ops);
}
