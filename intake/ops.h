/* The operations endpoints of komekd: an HTTP server (libmicrohttpd, one internal thread)
 * on [komek] metrics_listen (default 127.0.0.1:9188) answering
 *
 *   GET /metrics  every km_metric family in the Prometheus text format, plus process
 *                 figures (uptime, resident memory, version) and the posts stream (length,
 *                 pending entries and the oldest pending entry's age per consumer group)
 *   GET /healthz  200 "ok": the process is alive and serving
 *   GET /readyz   200 when every dependency the running roles need answers: Redis (PING)
 *                 and, when a role that uses it runs, PostgreSQL with its schema current;
 *                 503 otherwise. The body is JSON naming each check and its error.
 *
 * Anything else is 404, a method other than GET or HEAD 405. Requests are counted in
 * komek_http_requests_total{server="ops",route,code}. It speaks plain HTTP and, like the
 * intake, refuses a non-loopback address unless listen_public = yes. Secrets never appear:
 * errors are the client libraries' messages, which carry no passwords. */
#ifndef KM_INTAKE_OPS_H
#define KM_INTAKE_OPS_H

#include "common/conf.h"
#include "common/err.h"

#include <stdbool.h>

struct km_ops;

/* What /readyz checks: Redis always, PostgreSQL when need_postgres (the tickets or desk role
 * runs in this process), and these consumer groups in /metrics. */
struct km_ops_opts {
    bool need_postgres;
    const char *const *groups; /* NULL-terminated, may be NULL: "tickets" is always shown */
};

/* True if metrics_listen turns the server off ("off" or empty). */
bool km_ops_wanted(const struct km_config *cfg);

/* Starts serving metrics_listen. Returns KM_OK with *out (free with km_ops_free()),
 * KM_EINPUT (bad address: err located "FILE:LINE: metrics_listen: ...") or KM_ERR (cannot
 * listen, e.g. the port is taken). Borrows cfg: it must outlive the server. */
int km_ops_new(const struct km_config *cfg, const struct km_ops_opts *opts, struct km_ops **out,
               struct km_err *err);

/* The TCP port served (the real one when the address asked for port 0). */
unsigned km_ops_port(const struct km_ops *ops);

/* Stops the server and frees ops; NULL is ignored. */
void km_ops_free(struct km_ops *ops);

#endif
