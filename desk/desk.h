/* The operator desk: an HTTP(S) server (libmicrohttpd) for the web page, its assets, the
 * JSON API (desk/route.h) and the live stream (desk/sse.h). komekd's `desk` role.
 *
 * It listens on [komek] desk_listen (default 127.0.0.1:8089), loopback only unless
 * listen_public = yes, and speaks HTTPS when desk_tls_cert and desk_tls_key are both set.
 * Every connection has its own thread (so that a live stream may stay open), and every
 * thread its own PostgreSQL connection and Redis handle, made on first use and kept until
 * the connection closes.
 *
 * For each request the server, in this order: caps headers (KM_DESK_HEADER_MAX) and the
 * body (KM_DESK_BODY_MAX, 413); matches km_desk_server_routes then km_desk_api_routes;
 * reads the session cookie (PostgreSQL desk_sessions); answers 401 when the route, or any
 * path under /api/ but /api/login, needs a session that is missing or expired; 403
 * {"error":"csrf"} when a state change lacks the session's X-CSRF-Token; 403 when the role
 * is below the route's or the path's (desk/auth.h km_desk_path_min_role); 404/405 when no
 * route serves it; 415/400 for a body that is not a JSON object; then runs the handler and
 * adds Content-Type, Cache-Control: no-store (under /api/), Content-Security-Policy and the
 * other security headers, and counts komek_http_requests_total{server="desk",route,code}.
 *
 * Its own routes: POST /api/login, POST /api/logout, GET /api/session, GET /api/stream
 * (SSE), GET / (index.html) and GET /assets/NAME (desk/assets.h). */
#ifndef KM_DESK_DESK_H
#define KM_DESK_DESK_H

#include "common/conf.h"
#include "common/err.h"

#include <signal.h>
#include <stdbool.h>

/* Largest request body: JSON actions are a few hundred bytes; a note or a reply text a few
 * kilobytes. */
#define KM_DESK_BODY_MAX (1u << 20)
/* Memory for one connection's request line and headers (libmicrohttpd answers 431 beyond
 * it); a browser sends about 1 KB, the session cookie is 57 bytes. */
#define KM_DESK_HEADER_MAX (64u << 10)

struct km_desk;
struct km_shared;

/* True if komekd should run the desk: desk_listen is not "", "off" or absent. */
bool km_desk_wanted(const struct km_config *cfg);

/* For --check-config: validates desk_listen (with listen_public) and the TLS files (both
 * or neither, readable, PEM) when the desk would run, printing located errors to stderr.
 * Returns KM_OK or KM_EINPUT. */
int km_desk_check_config(const struct km_config *cfg);

/* Starts the desk on desk_listen with its threads and the live-stream broadcaster. Needs
 * neither PostgreSQL nor Redis to be up (requests answer 503 meanwhile). Borrows cfg and
 * watch (may be NULL), which must outlive the desk. Returns KM_OK with *out (free with
 * km_desk_free()), KM_EINPUT (bad desk_listen or TLS files; err is located) or KM_ERR
 * (cannot listen). */
int km_desk_new(const struct km_config *cfg, struct km_shared *watch, struct km_desk **out,
                struct km_err *err);

/* The TCP port served (the real one when desk_listen asked for port 0). */
unsigned km_desk_port(const struct km_desk *d);

/* Ends the live streams, stops the server (requests in flight finish) and frees d.
 * Accepts NULL. Call from the thread that created it. */
void km_desk_free(struct km_desk *d);

/* The desk role of komekd: km_desk_new(), serve until *stop becomes non-zero (checked every
 * 100 ms), km_desk_free(). Returns KM_OK or the code of km_desk_new() with err. */
int km_desk_run(const struct km_config *cfg, struct km_shared *watch, volatile sig_atomic_t *stop,
                struct km_err *err);

#endif
