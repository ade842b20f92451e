/* The operator desk's request interface: what the HTTP server (desk/server.c) hands to each
 * API handler (desk/api_*.c), and the route tables that connect them.
 *
 * The server owns everything around a handler: TLS, body limits, JSON parsing of request
 * bodies, the session cookie, the CSRF check on every state change, the role check, the
 * per-thread PostgreSQL connection and the response headers. A handler only reads its
 * request and fills its response; it never sees a request it is not allowed to serve.
 *
 * Routes are matched on method and path pattern; ":name" segments capture one path
 * segment (percent-decoded) into req->params in order: "/api/items/:id/claim" on
 * "/api/items/telegram%3A42/claim" gives params[0] = "telegram:42".
 *
 * Thread-safety: the server runs a handler on the connection's thread; req->db and
 * req->redis are that thread's own handles, never shared. */
#ifndef KM_DESK_ROUTE_H
#define KM_DESK_ROUTE_H

#include "common/buf.h"
#include "common/conf.h"
#include "db/db.h"
#include "queue/queue.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>

/* Roles, each including the ones below it. */
enum km_desk_role {
    KM_DESK_ANON = 0,   /* no session: only login, the page and its assets */
    KM_DESK_OPERATOR,   /* the queue and its actions */
    KM_DESK_SUPERVISOR, /* + supervisor view, ratings, tags and lexicon reload */
    KM_DESK_ADMIN       /* + user management */
};

/* Most path parameters of one route. */
#define KM_DESK_MAX_PARAMS 4

/* The logged-in operator (NULL session for KM_DESK_ANON routes without a cookie). */
struct km_desk_session {
    long long operator_id; /* operators.id */
    const char *login;
    const char *name;
    enum km_desk_role role;
    const char *lang; /* interface language chosen at login: "ru", "kk" or "en" */
};

struct km_desk;   /* the server (desk/desk.h) */
struct km_shared; /* the reloadable watch: tags, lexicon, routing (app/shared.h) */

struct km_desk_req {
    const char *method; /* "GET", "POST", ... */
    const char *path;   /* without the query string */
    const char *params[KM_DESK_MAX_PARAMS];
    size_t n_params;
    yajl_val body;      /* parsed JSON body of POST/PUT/PATCH, NULL when there was none */
    const struct km_desk_session *session; /* NULL only on KM_DESK_ANON routes */
    struct km_db *db;   /* this thread's PostgreSQL connection (connected) */
    struct km_queue *q; /* this thread's Redis handle (namespace set) */
    const struct km_config *cfg;
    struct km_shared *watch; /* acquire/release with app/shared.h to read routing, lexicon */
    struct km_desk *desk;
    void *conn;              /* the server's connection, for km_desk_req_query() */
};

struct km_desk_resp {
    unsigned status;          /* HTTP status; 200 unless set */
    struct km_buf body;       /* the answer, usually JSON */
    const char *content_type; /* NULL = "application/json" */
    const char *location;     /* optional Location header */
    unsigned retry_after;     /* Retry-After header in seconds when > 0 (429, 503) */
};

/* A handler fills resp; it returns nothing because every outcome is an HTTP answer. */
typedef void (*km_desk_handler)(struct km_desk_req *req, struct km_desk_resp *resp);

struct km_desk_route {
    const char *method;         /* "GET", "POST", ... */
    const char *pattern;        /* "/api/queue", "/api/items/:id/claim" */
    enum km_desk_role min_role; /* KM_DESK_ANON = no session needed */
    km_desk_handler fn;
};

/* Route tables, each ending with {NULL}. The server serves them in this order: its own
 * (login, logout, session, static assets), then the API's. */
extern const struct km_desk_route km_desk_server_routes[]; /* desk/server.c */
extern const struct km_desk_route km_desk_api_routes[];    /* desk/api.c */

/* A query-string argument of the request (borrowed), NULL if absent. */
const char *km_desk_req_query(const struct km_desk_req *req, const char *key);

/* Answers {"error": msg} with status (400, 403, 404, 409, 422, 503 ...). */
void km_desk_resp_error(struct km_desk_resp *resp, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Maps a KM_* result to an HTTP answer: KM_EINPUT -> 422 with err's message, KM_RETRY ->
 * 503 (a dependency is down), anything else -> 500 (logged, message not shown). */
void km_desk_resp_from_err(struct km_desk_resp *resp, int rc, const struct km_err *err);

#endif
