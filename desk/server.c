/* The desk's HTTP server (see desk.h): connections, routing, sessions, the answers. */
#include "desk/desk.h"

#include "app/setup.h"
#include "common/alloc.h"
#include "common/log.h"
#include "common/metrics.h"
#include "db/db.h"
#include "desk/assets.h"
#include "desk/auth.h"
#include "desk/match.h"
#include "desk/route.h"
#include "desk/sse.h"
#include "intake/server.h"
#include "parser/json.h"
#include "queue/queue.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DESK_SCOPE "desk"
/* Connections served at once (each has a thread; a live stream holds one for as long as
 * the page is open). A shift is a few dozen operators with a tab or two each. */
#define DESK_MAX_CONNECTIONS 256
/* Seconds an idle connection is kept. Longer than the live stream's keep-alive comment
 * interval, so that an open stream is never cut. */
#define DESK_IDLE_TIMEOUT_S (4 * KM_DESK_SSE_KEEPALIVE_S)
/* Largest PEM file read for TLS. */
#define DESK_PEM_MAX (1u << 20)
/* Largest asset read from desk_web_dir. */
#define DESK_ASSET_MAX (16u << 20)
/* How often km_desk_run() looks at the stop flag. */
#define DESK_STOP_POLL_MS 100

#define DESK_CSP                                                                                   \
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "               \
    "frame-ancestors 'none'; form-action 'self'"

struct km_desk {
    struct MHD_Daemon *mhd;
    const struct km_config *cfg;
    struct km_shared *watch;
    struct km_desk_sse *sse;
    struct km_queue_opts qo;
    const char *conninfo;
    const char *web_dir; /* desk_web_dir, or NULL for the embedded files */
    bool tls;
    char *tls_cert, *tls_key; /* PEM text, kept while libmicrohttpd runs */
    long long ttl_s, login_limit;
    unsigned port;
    pthread_key_t key; /* struct desk_thread of each connection thread */
    bool key_made;
    pthread_mutex_t complain_mu; /* guards db_down */
    struct km_complaint db_down;
};

/* The handles of one connection thread, made on first use, freed when it ends. */
struct desk_thread {
    struct km_db *db;
    struct km_queue *q;
};

/* One request, from its headers to its answer. */
struct desk_conn {
    struct km_desk *d;
    struct MHD_Connection *mc;
    struct km_buf body;
    bool too_big;  /* the body outgrew KM_DESK_BODY_MAX: the answer is 413 */
    bool answered; /* an answer is queued */
    bool has_token;
    char token[KM_DESK_TOKEN_LEN + 1];  /* the session cookie, when well-formed */
    struct km_desk_session_row session; /* when has_session */
    bool has_session;
    char *set_cookie; /* a Set-Cookie header to send */
};

static void desk_login(struct km_desk_req *req, struct km_desk_resp *resp);
static void desk_logout(struct km_desk_req *req, struct km_desk_resp *resp);
static void desk_session(struct km_desk_req *req, struct km_desk_resp *resp);
static void desk_stream(struct km_desk_req *req, struct km_desk_resp *resp);
static void desk_index(struct km_desk_req *req, struct km_desk_resp *resp);
static void desk_asset(struct km_desk_req *req, struct km_desk_resp *resp);

const struct km_desk_route km_desk_server_routes[] = {
    {"POST", "/api/login", KM_DESK_ANON, desk_login},
    {"POST", "/api/logout", KM_DESK_OPERATOR, desk_logout},
    {"GET", "/api/session", KM_DESK_OPERATOR, desk_session},
    {"GET", "/api/stream", KM_DESK_OPERATOR, desk_stream},
    {"GET", "/", KM_DESK_ANON, desk_index},
    {"GET", "/assets/:name", KM_DESK_ANON, desk_asset},
    {NULL, NULL, KM_DESK_ANON, NULL},
};

static const struct km_desk_route *const desk_tables[] = {km_desk_server_routes, km_desk_api_routes,
                                                          NULL};

const char *km_desk_req_query(const struct km_desk_req *req, const char *key)
{
    const struct desk_conn *c = req->conn;
    return MHD_lookup_connection_value(c->mc, MHD_GET_ARGUMENT_KIND, key);
}

/* ---- per-thread handles -------------------------------------------------------------- */

static void desk_thread_free(void *arg)
{
    struct desk_thread *t = arg;
    km_db_free(t->db);
    km_queue_free(t->q);
    free(t);
}

static struct desk_thread *desk_thread_get(struct km_desk *d)
{
    struct desk_thread *t = pthread_getspecific(d->key);
    if (t == NULL) {
        t = km_calloc(1, sizeof(*t));
        pthread_setspecific(d->key, t);
    }
    return t;
}

/* This thread's PostgreSQL connection, (re)connected if needed. */
static int desk_db(struct km_desk *d, struct desk_thread *t, struct km_err *err)
{
    if (t->db != NULL && PQstatus(km_db_conn(t->db)) != CONNECTION_OK) {
        km_db_free(t->db);
        t->db = NULL;
    }
    if (t->db == NULL) {
        return km_db_connect(d->conninfo, &t->db, err);
    }
    return KM_OK;
}

/* After a handler: a connection that broke is dropped; a transaction left open (a bug in
 * a handler) is rolled back rather than poisoning the next request. */
static void desk_db_after(struct desk_thread *t)
{
    if (t->db == NULL) {
        return;
    }
    PGconn *conn = km_db_conn(t->db);
    if (PQstatus(conn) != CONNECTION_OK) {
        km_db_free(t->db);
        t->db = NULL;
    } else if (PQtransactionStatus(conn) != PQTRANS_IDLE) {
        KM_SLOG_ERROR(DESK_SCOPE, "a handler left a transaction open: rolled back");
        PQclear(PQexec(conn, "ROLLBACK"));
    }
}

/* ---- answers ------------------------------------------------------------------------- */

static void desk_headers(struct km_desk *d, struct MHD_Response *r, const char *path)
{
    MHD_add_response_header(r, "Content-Security-Policy", DESK_CSP);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
    if (d->tls) {
        MHD_add_response_header(r, "Strict-Transport-Security", "max-age=31536000");
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
                            strncmp(path, "/api/", 5) == 0 ? "no-store" : "no-cache");
}

/* Counts the answer in komek_http_requests_total{server="desk",route,code}. */
static void desk_count(const char *route, unsigned status)
{
    struct km_buf l = KM_BUF_INIT;
    km_metric_label(&l, "server", "desk");
    km_metric_label(&l, "route", route);
    char code[16];
    snprintf(code, sizeof(code), "%u", status);
    km_metric_label(&l, "code", code);
    km_metric_add("komek_http_requests_total", l.data, 1);
    km_buf_free(&l);
}

static enum MHD_Result desk_send(struct desk_conn *c, const char *path, const char *route,
                                 struct km_desk_resp *resp)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        resp->body.len, resp->body.data != NULL ? resp->body.data : "", MHD_RESPMEM_MUST_COPY);
    if (r == NULL) {
        return MHD_NO;
    }
    unsigned status = resp->status != 0 ? resp->status : MHD_HTTP_OK;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            resp->content_type != NULL ? resp->content_type
                                                       : "application/json; charset=utf-8");
    desk_headers(c->d, r, path);
    if (resp->location != NULL) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, resp->location);
    }
    if (resp->retry_after > 0) {
        char s[16];
        snprintf(s, sizeof(s), "%u", resp->retry_after);
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, s);
    }
    if (c->set_cookie != NULL) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, c->set_cookie);
    }
    enum MHD_Result ok = MHD_queue_response(c->mc, status, r);
    MHD_destroy_response(r);
    desk_count(route, status);
    return ok;
}

/* Answers {"error": msg} with status, outside any handler. */
static enum MHD_Result desk_refuse(struct desk_conn *c, const char *path, const char *route,
                                   unsigned status, const char *msg)
{
    struct km_desk_resp resp = {.status = status};
    km_buf_init(&resp.body);
    km_desk_resp_error(&resp, status, "%s", msg);
    enum MHD_Result ok = desk_send(c, path, route, &resp);
    km_buf_free(&resp.body);
    return ok;
}

/* ---- the live stream ----------------------------------------------------------------- */

static ssize_t desk_sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    ssize_t n = km_desk_sse_client_read(cls, buf, max);
    return n < 0 ? MHD_CONTENT_READER_END_OF_STREAM : n;
}

static void desk_sse_done(void *cls)
{
    km_desk_sse_client_free(cls);
}

static enum MHD_Result desk_sse_start(struct desk_conn *c, const char *path)
{
    const char *last = MHD_lookup_connection_value(c->mc, MHD_HEADER_KIND, "Last-Event-ID");
    struct km_desk_sse_client *cl = km_desk_sse_client_new(c->d->sse, last);
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, desk_sse_read, cl, desk_sse_done);
    if (r == NULL) {
        km_desk_sse_client_free(cl);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream; charset=utf-8");
    desk_headers(c->d, r, path);
    MHD_add_response_header(r, "X-Accel-Buffering", "no"); /* nginx: do not buffer it */
    enum MHD_Result ok = MHD_queue_response(c->mc, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    desk_count("/api/stream", MHD_HTTP_OK);
    return ok;
}

/* ---- server routes ------------------------------------------------------------------- */

/* Never called: GET /api/stream is answered by desk_sse_start() (the handler interface
 * cannot stream); it only marks the route. */
static void desk_stream(struct km_desk_req *req, struct km_desk_resp *resp)
{
    (void)req;
    km_desk_resp_error(resp, 500, "stream");
}

static void desk_session_json(struct km_buf *b, const struct km_desk_session *s, const char *csrf)
{
    km_buf_puts(b, "{\"login\":");
    km_json_escape(b, s->login);
    km_buf_puts(b, ",\"name\":");
    km_json_escape(b, s->name);
    km_buf_puts(b, ",\"role\":");
    km_json_escape(b, km_desk_role_name(s->role));
    km_buf_puts(b, ",\"lang\":");
    km_json_escape(b, s->lang);
    km_buf_puts(b, ",\"csrf\":");
    km_json_escape(b, csrf);
    km_buf_puts(b, "}");
}

static void desk_session(struct km_desk_req *req, struct km_desk_resp *resp)
{
    struct desk_conn *c = req->conn;
    desk_session_json(&resp->body, req->session, c->session.csrf);
}

/* The client's address as text, for the login rate limit. */
static void desk_client_addr(struct MHD_Connection *mc, char *out, size_t size)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, size, "unknown");
    if (ci != NULL && ci->client_addr != NULL) {
        socklen_t len = ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                               : sizeof(struct sockaddr_in);
        getnameinfo(ci->client_addr, len, out, (socklen_t)size, NULL, 0, NI_NUMERICHOST);
    }
}

/* The cookie of a new session (max_age > 0) or one that clears it (0). */
static char *desk_cookie(const struct km_desk *d, const char *token, long long max_age)
{
    return km_asprintf(KM_DESK_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s",
                       token, max_age, d->tls ? "; Secure" : "");
}

/* Checks the password (always hashing, so that timing says nothing about the login);
 * true if op may sign in with it. */
static bool desk_login_ok(struct km_desk_req *req, const char *login, const char *password,
                          struct km_desk_operator *op, int *rc, struct km_err *err)
{
    *rc = km_desk_operator_get(req->db, login, op, err);
    if (*rc == KM_EINPUT) {
        *rc = KM_OK;
    }
    bool ok = km_desk_password_verify(password, op->password_hash);
    return *rc == KM_OK && ok && !op->disabled && km_desk_role_parse(op->role) != KM_DESK_ANON;
}

/* Opens the session after a right password and writes the answer. */
static void desk_login_open(struct km_desk_req *req, struct km_desk_resp *resp,
                            const struct km_desk_operator *op, const char *lang, const char *addr)
{
    struct desk_conn *c = req->conn;
    char token[KM_DESK_TOKEN_LEN + 1], csrf[KM_DESK_TOKEN_LEN + 1];
    struct km_err err = {{0}};
    int rc = km_desk_login_succeeded(req->db, op->login, &err);
    if (rc == KM_OK) {
        rc = km_desk_session_create(req->db, op->id, lang, c->d->ttl_s, addr, token, csrf, &err);
    }
    if (rc != KM_OK) {
        km_desk_resp_from_err(resp, rc, &err);
        return;
    }
    struct km_desk_session s = {.operator_id = op->id,
                                .login = op->login,
                                .name = op->name,
                                .role = km_desk_role_parse(op->role),
                                .lang = lang};
    desk_session_json(&resp->body, &s, csrf);
    free(c->set_cookie);
    c->set_cookie = desk_cookie(c->d, token, c->d->ttl_s);
    KM_SLOG_INFO(DESK_SCOPE, "%s signed in from %s", op->login, addr);
}

static void desk_login(struct km_desk_req *req, struct km_desk_resp *resp)
{
    struct desk_conn *c = req->conn;
    struct km_desk_operator op = {0};
    struct km_err err = {{0}};
    const char *login = km_json_str(req->body, "login");
    const char *password = km_json_str(req->body, "password");
    const char *lang = km_json_str(req->body, "lang");
    if (login == NULL || password == NULL || login[0] == '\0') {
        km_desk_resp_error(resp, 400, "login and password are required");
        return;
    }
    if (lang == NULL ||
        (strcmp(lang, "ru") != 0 && strcmp(lang, "kk") != 0 && strcmp(lang, "en") != 0)) {
        lang = "ru";
    }
    char addr[INET6_ADDRSTRLEN + 1];
    desk_client_addr(c->mc, addr, sizeof(addr));
    long long wait_s = 0;
    int rc = km_desk_login_limited(req->db, login, addr, c->d->login_limit, &wait_s, &err);
    if (rc == KM_OK && wait_s > 0) {
        KM_SLOG_WARN(DESK_SCOPE, "login of '%.64s' from %s refused: too many failed attempts",
                     login, addr);
        km_desk_resp_error(resp, 429, "too many failed logins: try again in %lld s", wait_s);
        resp->retry_after = (unsigned)wait_s;
        return;
    }
    bool ok = rc == KM_OK && desk_login_ok(req, login, password, &op, &rc, &err);
    if (rc == KM_OK && !ok) {
        rc = km_desk_login_failed(req->db, login, addr, &err);
        if (rc == KM_OK) {
            KM_SLOG_WARN(DESK_SCOPE, "failed login of '%.64s' from %s", login, addr);
            km_desk_resp_error(resp, 401, "wrong login or password");
        }
    } else if (rc == KM_OK) {
        desk_login_open(req, resp, &op, lang, addr);
    }
    if (rc != KM_OK) {
        km_desk_resp_from_err(resp, rc, &err);
    }
    km_desk_operator_clear(&op);
}

static void desk_logout(struct km_desk_req *req, struct km_desk_resp *resp)
{
    struct desk_conn *c = req->conn;
    struct km_err err = {{0}};
    int rc = km_desk_session_delete(req->db, c->token, &err);
    if (rc != KM_OK) {
        km_desk_resp_from_err(resp, rc, &err);
        return;
    }
    free(c->set_cookie);
    c->set_cookie = desk_cookie(c->d, "", 0);
    km_buf_puts(&resp->body, "{\"ok\":true}");
}

static void desk_file(struct km_desk_req *req, struct km_desk_resp *resp, const char *name)
{
    const char *dir = req->desk->web_dir;
    if (!km_desk_asset_name_ok(name)) {
        km_desk_resp_error(resp, 404, "no such asset");
        return;
    }
    if (dir != NULL) {
        int rc = km_desk_asset_read(dir, name, DESK_ASSET_MAX, &resp->body);
        if (rc != 0) {
            km_desk_resp_error(resp, rc == -2 ? 500 : 404, "no such asset");
            return;
        }
    } else {
        const struct km_desk_asset *a = km_desk_asset_find(name);
        if (a == NULL) {
            km_desk_resp_error(resp, 404, "no such asset");
            return;
        }
        km_buf_append(&resp->body, a->data, a->len);
    }
    resp->content_type = km_desk_asset_type(name);
}

static void desk_index(struct km_desk_req *req, struct km_desk_resp *resp)
{
    desk_file(req, resp, "index.html");
}

static void desk_asset(struct km_desk_req *req, struct km_desk_resp *resp)
{
    desk_file(req, resp, req->params[0]);
}

/* ---- requests ------------------------------------------------------------------------ */

/* Reads the session of the cookie (under /api/ only: the page and assets need none).
 * Returns KM_OK (with or without a session) or KM_RETRY. */
static int desk_read_session(struct desk_conn *c, struct km_db *db, struct km_err *err)
{
    const char *cookie = MHD_lookup_connection_value(c->mc, MHD_HEADER_KIND, "Cookie");
    c->has_token = km_desk_cookie_get(cookie, KM_DESK_COOKIE, c->token, sizeof(c->token)) &&
                   km_desk_token_valid(c->token);
    if (!c->has_token) {
        return KM_OK;
    }
    int rc = km_desk_session_lookup(db, c->token, &c->session, err);
    c->has_session = rc == KM_OK;
    return rc == KM_EINPUT ? KM_OK : rc;
}

/* True if a Content-Type names application/json (parameters ignored). */
static bool desk_is_json(const char *type)
{
    static const char want[] = "application/json";
    size_t n = sizeof(want) - 1;
    return type != NULL && strncasecmp(type, want, n) == 0 &&
           (type[n] == '\0' || type[n] == ';' || type[n] == ' ');
}

/* Parses the body as a JSON object into *body (NULL when there is none). Returns 0 or the
 * status to refuse with, msg saying why. */
static unsigned desk_parse_body(struct desk_conn *c, yajl_val *body, struct km_err *msg)
{
    *body = NULL;
    if (c->body.len == 0) {
        return 0;
    }
    const char *type = MHD_lookup_connection_value(c->mc, MHD_HEADER_KIND, "Content-Type");
    if (!desk_is_json(type)) {
        km_err_set(msg, KM_EINPUT, "the body must be application/json");
        return MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
    }
    if (km_json_parse(c->body.data, c->body.len, body, NULL, msg) != KM_OK) {
        return MHD_HTTP_BAD_REQUEST;
    }
    if (!YAJL_IS_OBJECT(*body)) {
        km_json_free(*body);
        *body = NULL;
        km_err_set(msg, KM_EINPUT, "the body must be a JSON object");
        return MHD_HTTP_BAD_REQUEST;
    }
    return 0;
}

/* Runs the handler of a route the request may reach. */
static enum MHD_Result desk_run(struct desk_conn *c, struct desk_thread *t,
                                const struct km_desk_route *route, const struct km_desk_match *m,
                                const char *method, const char *path)
{
    struct km_err msg = {{0}};
    yajl_val body = NULL;
    unsigned bad = desk_parse_body(c, &body, &msg);
    if (bad != 0) {
        return desk_refuse(c, path, route->pattern, bad, msg.msg);
    }
    struct km_desk_req req = {.method = method,
                              .path = path,
                              .n_params = m->n_params,
                              .body = body,
                              .session = c->has_session ? &c->session.s : NULL,
                              .db = t != NULL ? t->db : NULL,
                              .q = t != NULL ? t->q : NULL,
                              .cfg = c->d->cfg,
                              .watch = c->d->watch,
                              .desk = c->d,
                              .conn = c};
    memcpy(req.params, m->params, sizeof(req.params));
    struct km_desk_resp resp = {.status = MHD_HTTP_OK};
    km_buf_init(&resp.body);
    route->fn(&req, &resp);
    if (t != NULL) {
        desk_db_after(t);
    }
    enum MHD_Result ok = desk_send(c, path, route->pattern, &resp);
    km_buf_free(&resp.body);
    km_json_free(body);
    return ok;
}

/* The thread's database and Redis handles for a request under /api/. */
static int desk_handles(struct desk_conn *c, struct desk_thread **out, struct km_err *err)
{
    struct desk_thread *t = desk_thread_get(c->d);
    int rc = desk_db(c->d, t, err);
    if (rc == KM_OK && t->q == NULL) {
        rc = km_queue_new(&c->d->qo, &t->q, err);
    }
    *out = t;
    return rc;
}

static const char *const desk_denials[] = {
    [KM_DESK_DENY_SESSION] = "sign in first",
    [KM_DESK_DENY_CSRF] = "csrf",
    [KM_DESK_DENY_ROLE] = "your role may not do this",
};

/* The whole request is in: routing, session, checks, handler. */
static enum MHD_Result desk_finish(struct desk_conn *c, const char *method, const char *path)
{
    struct km_desk_match *m = km_malloc(sizeof(*m));
    const struct km_desk_route *route = km_desk_route_find(desk_tables, method, path, m);
    const char *label = route != NULL ? route->pattern : "none";
    bool api = strncmp(path, "/api/", 5) == 0 || strcmp(path, "/api") == 0;
    enum km_desk_role need = km_desk_path_min_role(path);
    if (route != NULL && route->min_role > need) {
        need = route->min_role;
    }
    struct desk_thread *t = NULL;
    struct km_err err = {{0}};
    enum MHD_Result ok = MHD_NO;
    if (c->too_big) {
        ok = desk_refuse(c, path, label, MHD_HTTP_CONTENT_TOO_LARGE, "the body is too large");
        goto out;
    }
    if (api && (desk_handles(c, &t, &err) != KM_OK || desk_read_session(c, t->db, &err) != KM_OK)) {
        pthread_mutex_lock(&c->d->complain_mu);
        km_complain(&c->d->db_down, DESK_SCOPE, "answering 503: %s", err.msg);
        pthread_mutex_unlock(&c->d->complain_mu);
        ok = desk_refuse(c, path, label, MHD_HTTP_SERVICE_UNAVAILABLE,
                         "the database is unavailable, try again");
        goto out;
    }
    const char *csrf = MHD_lookup_connection_value(c->mc, MHD_HEADER_KIND, "X-CSRF-Token");
    enum km_desk_access a =
        km_desk_access_check(need, c->has_session ? c->session.s.role : KM_DESK_ANON, method, path,
                             csrf, c->has_session ? c->session.csrf : NULL);
    if (a != KM_DESK_ALLOW) {
        ok = desk_refuse(c, path, label, a == KM_DESK_DENY_SESSION ? 401 : 403, desk_denials[a]);
    } else if (route == NULL) {
        ok = desk_refuse(c, path, label, m->path_known ? 405 : 404,
                         m->path_known ? "method not allowed" : "not found");
    } else if (route->fn == desk_stream) {
        ok = desk_sse_start(c, path);
    } else {
        ok = desk_run(c, t, route, m, method, path);
    }
out:
    free(m);
    return ok;
}

static enum MHD_Result desk_handle(void *cls, struct MHD_Connection *mc, const char *url,
                                   const char *method, const char *version, const char *upload_data,
                                   size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct desk_conn *c = *con_cls;
    if (c == NULL) {
        c = km_calloc(1, sizeof(*c));
        c->d = cls;
        c->mc = mc;
        km_buf_init(&c->body);
        *con_cls = c;
        const char *len = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Content-Length");
        if (len != NULL && strtoull(len, NULL, 10) > KM_DESK_BODY_MAX) {
            c->answered = true; /* libmicrohttpd closes the connection after this answer */
            return desk_refuse(c, url, "none", MHD_HTTP_CONTENT_TOO_LARGE, "the body is too large");
        }
        return MHD_YES;
    }
    if (c->answered) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        /* A body without Content-Length that outgrows the cap is read on and dropped. */
        if (!c->too_big && *upload_data_size <= KM_DESK_BODY_MAX - c->body.len) {
            km_buf_append(&c->body, upload_data, *upload_data_size);
        } else {
            c->too_big = true;
            km_buf_free(&c->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    c->answered = true;
    return desk_finish(c, method, url);
}

static void desk_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
                           enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)mc;
    (void)toe;
    struct desk_conn *c = *con_cls;
    if (c == NULL) {
        return;
    }
    km_buf_free(&c->body);
    km_desk_session_row_clear(&c->session);
    free(c->set_cookie);
    free(c);
    *con_cls = NULL;
}

static void desk_mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void desk_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char buf[KM_ERR_MSG_MAX];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    buf[strcspn(buf, "\n")] = '\0';
    KM_SLOG_WARN(DESK_SCOPE, "libmicrohttpd: %s", buf);
}

/* ---- life cycle ---------------------------------------------------------------------- */

bool km_desk_wanted(const struct km_config *cfg)
{
    return !km_intake_listen_off(km_section_get(cfg->global, "desk_listen"));
}

/* Reads a PEM file named by key into *out (malloc'd). */
static int desk_read_pem(const struct km_config *cfg, const char *key, char **out,
                         struct km_err *err)
{
    char *path = km_config_path(cfg, km_section_get(cfg->global, key));
    struct km_buf b = KM_BUF_INIT;
    int rc = KM_OK;
    int r = km_desk_asset_read(NULL, path, DESK_PEM_MAX, &b);
    if (r != 0 || b.len == 0 || strstr(b.data, "-----BEGIN ") == NULL) {
        rc = km_err_set(err, KM_EINPUT, "%s:%d: %s: %s is %s", cfg->path,
                        km_section_line(cfg->global, key), key, path,
                        r == -2  ? "too large"
                        : r != 0 ? "not readable"
                                 : "not a PEM file");
        km_buf_free(&b);
    } else {
        *out = km_buf_take(&b);
    }
    free(path);
    return rc;
}

/* Reads the TLS certificate and key when both are set; refuses one without the other. */
static int desk_tls_load(struct km_desk *d, const struct km_config *cfg, struct km_err *err)
{
    const char *cert = km_section_get(cfg->global, "desk_tls_cert");
    const char *key = km_section_get(cfg->global, "desk_tls_key");
    bool has_cert = cert != NULL && cert[0] != '\0', has_key = key != NULL && key[0] != '\0';
    if (has_cert != has_key) {
        return km_err_set(
            err, KM_EINPUT, "%s:%d: desk_tls_cert and desk_tls_key go together", cfg->path,
            km_section_line(cfg->global, has_cert ? "desk_tls_cert" : "desk_tls_key"));
    }
    if (!has_cert) {
        return KM_OK;
    }
    if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
        return km_err_set(err, KM_EINPUT, "desk: this libmicrohttpd has no TLS support");
    }
    int rc = desk_read_pem(cfg, "desk_tls_cert", &d->tls_cert, err);
    if (rc == KM_OK) {
        rc = desk_read_pem(cfg, "desk_tls_key", &d->tls_key, err);
    }
    d->tls = rc == KM_OK;
    return rc;
}

static int desk_listen_addr(const struct km_config *cfg, struct sockaddr_storage *addr,
                            struct km_err *err)
{
    socklen_t len = 0;
    return km_intake_listen_key(cfg, "desk_listen", addr, &len, err);
}

int km_desk_check_config(const struct km_config *cfg)
{
    if (!km_desk_wanted(cfg)) {
        return KM_OK;
    }
    struct sockaddr_storage ss;
    struct km_err err = {{0}};
    struct km_desk tmp = {0};
    int rc = desk_listen_addr(cfg, &ss, &err);
    if (rc == KM_OK) {
        rc = desk_tls_load(&tmp, cfg, &err);
    }
    if (rc != KM_OK) {
        fprintf(stderr, "%s\n", err.msg);
    }
    free(tmp.tls_cert);
    free(tmp.tls_key);
    return rc == KM_OK ? KM_OK : KM_EINPUT;
}

static int desk_start(struct km_desk *d, const struct sockaddr_storage *addr, struct km_err *err)
{
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_ERROR_LOG | MHD_USE_ITC;
    if (addr->ss_family == AF_INET6) {
        flags |= MHD_USE_IPv6;
    }
    struct MHD_OptionItem tls[] = {
        {d->tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, d->tls_key},
        {MHD_OPTION_HTTPS_MEM_CERT, 0, d->tls_cert},
        {MHD_OPTION_END, 0, NULL},
    };
    if (d->tls) {
        flags |= MHD_USE_TLS;
    }
    d->mhd = MHD_start_daemon(flags, 0, NULL, NULL, desk_handle, d, MHD_OPTION_EXTERNAL_LOGGER,
                              desk_mhd_log, d, MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)addr,
                              MHD_OPTION_CONNECTION_LIMIT, (unsigned)DESK_MAX_CONNECTIONS,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)DESK_IDLE_TIMEOUT_S,
                              MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)KM_DESK_HEADER_MAX,
                              MHD_OPTION_NOTIFY_COMPLETED, desk_completed, d, MHD_OPTION_ARRAY, tls,
                              MHD_OPTION_END);
    if (d->mhd == NULL) {
        return km_err_set(err, KM_ERR, "desk: cannot listen on %s (address in use?)",
                          km_section_get(d->cfg->global, "desk_listen"));
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d->mhd, MHD_DAEMON_INFO_BIND_PORT);
    d->port = info != NULL ? info->port : 0;
    return KM_OK;
}

int km_desk_new(const struct km_config *cfg, struct km_shared *watch, struct km_desk **out,
                struct km_err *err)
{
    struct km_desk *d = km_calloc(1, sizeof(*d));
    d->cfg = cfg;
    d->watch = watch;
    d->conninfo = km_section_get(cfg->global, "postgres");
    d->web_dir = km_section_get(cfg->global, "desk_web_dir");
    d->ttl_s = km_section_get_ms(cfg->global, "desk_session_ttl") / 1000;
    d->login_limit = km_section_get_int(cfg->global, "desk_login_limit");
    km_app_queue_opts(cfg, &d->qo);
    pthread_mutex_init(&d->complain_mu, NULL);
    d->key_made = pthread_key_create(&d->key, desk_thread_free) == 0;
    struct sockaddr_storage addr;
    memset(&addr, 0, sizeof(addr));
    int rc = d->key_made ? desk_listen_addr(cfg, &addr, err)
                         : km_err_set(err, KM_ERR, "desk: no thread-specific key");
    if (rc == KM_OK) {
        rc = desk_tls_load(d, cfg, err);
    }
    if (rc == KM_OK) {
        rc = km_desk_sse_new(&d->qo, &d->sse, err);
    }
    if (rc == KM_OK) {
        km_metric_declare("komek_http_requests_total", KM_METRIC_COUNTER,
                          "HTTP requests answered, by server, route and status code.");
        rc = desk_start(d, &addr, err);
    }
    if (rc != KM_OK) {
        km_desk_free(d);
        d = NULL;
    }
    *out = d;
    return rc;
}

unsigned km_desk_port(const struct km_desk *d)
{
    return d->port;
}

void km_desk_free(struct km_desk *d)
{
    if (d == NULL) {
        return;
    }
    km_desk_sse_stop(d->sse); /* live streams end, so their threads can be joined */
    if (d->mhd != NULL) {
        MHD_stop_daemon(d->mhd);
    }
    km_desk_sse_free(d->sse);
    if (d->key_made) {
        struct desk_thread *t = pthread_getspecific(d->key); /* only if this thread served */
        if (t != NULL) {
            pthread_setspecific(d->key, NULL);
            desk_thread_free(t);
        }
        pthread_key_delete(d->key);
    }
    free(d->tls_cert);
    free(d->tls_key);
    pthread_mutex_destroy(&d->complain_mu);
    free(d);
}

int km_desk_run(const struct km_config *cfg, struct km_shared *watch, volatile sig_atomic_t *stop,
                struct km_err *err)
{
    struct km_desk *d = NULL;
    int rc = km_desk_new(cfg, watch, &d, err);
    if (rc != KM_OK) {
        return rc;
    }
    KM_SLOG_INFO(DESK_SCOPE, "serving the desk on %s://%s (port %u)", d->tls ? "https" : "http",
                 km_section_get(cfg->global, "desk_listen"), d->port);
    const struct timespec tick = {.tv_sec = 0, .tv_nsec = DESK_STOP_POLL_MS * 1000000L};
    while (!*stop) {
        nanosleep(&tick, NULL);
    }
    KM_SLOG_INFO(DESK_SCOPE, "stopping");
    km_desk_free(d);
    return KM_OK;
}
