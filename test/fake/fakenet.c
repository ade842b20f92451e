/* fakenet: fake Telegram Bot API, Mastodon, RSS and VK servers for komek's tests and demo.
 *
 *   fakenet --port N|0 --posts FILE [--port-file PATH] [--drip SECONDS] [--passes N]
 *           [--drip-start SECONDS]
 *           [--fault SPEC]... [--max-poll SECONDS] [--huge-size BYTES] [--token TOKEN]
 *           [--numeric-tags] [--verbose]
 *
 * One libmicrohttpd daemon on 127.0.0.1 with a thread per connection, so that a Telegram
 * long poll or a "hang" fault never blocks other clients. Routes:
 *   /bot<TOKEN>/<method>          Telegram (fake_telegram.c)
 *   /api/v1/timelines/tag/<tag>   Mastodon (fake_mastodon.c); replies: POST /api/v1/statuses,
 *                                 GET /api/v2/search, GET /api/v1/statuses/<id>
 *   /rss.xml                      RSS 2.0 (fake_rss.c)
 *   /method/<method>              VK API newsfeed.search, wall.createComment (fake_vk.c)
 *   /2/tweets/search/recent       X API v2 recent search (fake_x.c)
 *   /xrpc/<method>                Bluesky login, refresh and searchPosts (fake_bluesky.c)
 *   /vN.M/ig_hashtag_search, /vN.M/<hashtag-id>/recent_media
 *                                 Instagram Graph API hashtag search (fake_instagram.c)
 *   /portal/api/reports, /portal/api/feed
 *                                 a city portal for the generic JSON collector (fake_json.c)
 *   GET  /_fake/stats             counters as JSON
 *   POST /_fake/fault?spec=SPEC   queue a fault (fake_faults.h)
 *   POST /_fake/release?count=N   release N more posts now
 *   GET  /_fake/replies           replies received (sendMessage, POST /api/v1/statuses,
 *                                 wall.createComment) as JSON; DELETE forgets them
 * SIGTERM or SIGINT stops it cleanly (exit 0). */
#include "common/alloc.h"
#include "common/log.h"
#include "common/time.h"
#include "test/fake/fake_bluesky.h"
#include "test/fake/fake_faults.h"
#include "test/fake/fake_http.h"
#include "test/fake/fake_instagram.h"
#include "test/fake/fake_json.h"
#include "test/fake/fake_mastodon.h"
#include "test/fake/fake_posts.h"
#include "test/fake/fake_replies.h"
#include "test/fake/fake_rss.h"
#include "test/fake/fake_telegram.h"
#include "test/fake/fake_text.h"
#include "test/fake/fake_vk.h"
#include "test/fake/fake_x.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* A "hang" fault gives up after this long even if the client is still there. */
#define FAKENET_HANG_MS 60000
/* How often a hanging request checks whether its client left or the server stops. */
#define FAKENET_HANG_TICK_MS 100
/* Idle keep-alive connections are closed after this; above any long poll (--max-poll). */
#define FAKENET_IDLE_TIMEOUT_S 120
/* --fault may be given this many times on the command line (more at runtime via HTTP). */
#define FAKENET_MAX_FAULT_ARGS 64
/* Default Telegram long-poll cap: Telegram allows long timeouts; tests pass --max-poll 2. */
#define FAKENET_MAX_POLL_S 50
/* Default base of the "huge" fault (it sends 10 times this): 16 MB. */
#define FAKENET_HUGE_SIZE (16ULL * 1024 * 1024)
#define FAKENET_TG_TOKEN  "123456:TEST-fake-token" /* as test/integration/conf.sh */

struct fakenet_opts {
    long port;
    const char *posts, *port_file, *tg_token;
    double drip_s, drip_start_s, max_poll_s;
    unsigned long passes;
    uint64_t huge_size;
    bool numeric_tags, verbose;
    const char *faults[FAKENET_MAX_FAULT_ARGS];
    size_t n_faults;
};

enum fakenet_route { ROUTE_OTHER = -1, ROUTE_ADMIN = -2 };

/* --- admin endpoints --- */

static void fakenet_stats(struct km_fake_ctx *ctx, struct km_fake_reply *rep)
{
    unsigned long pending = 0, applied = 0;
    km_fake_faults_counts(&ctx->faults, &pending, &applied);
    struct km_fake_store *s = &ctx->store;
    struct km_buf b = KM_BUF_INIT;
    pthread_mutex_lock(&s->lock);
    km_fake_store_sync(s);
    km_buf_printf(&b,
                  "{\"requests\":{\"telegram\":%lu,\"mastodon\":%lu,\"rss\":%lu,\"vk\":%lu,"
                  "\"instagram\":%lu,\"json\":%lu,\"admin\":%lu,"
                  "\"other\":%lu},\"served_posts\":%lu,\"served_total\":%lu,\"released\":%zu,"
                  "\"faults_applied\":%lu,\"faults_pending\":%lu,"
                  "\"telegram\":{\"confirmed_offset\":%lld,\"sent_messages\":%lu},"
                  "\"mastodon\":{\"ratelimit_used\":%u},\"start_ms\":%lld,\"drip_us\":%lld}\n",
                  s->requests[KM_FAKE_TELEGRAM], s->requests[KM_FAKE_MASTODON],
                  s->requests[KM_FAKE_RSS], s->requests[KM_FAKE_VK],
                  s->requests[KM_FAKE_INSTAGRAM], s->requests[KM_FAKE_JSON], s->requests_admin,
                  s->requests_other,
                  s->served_distinct, s->served_total, s->n_items, applied, pending,
                  (long long)s->tg_confirmed, s->tg_sent, s->mst_used, (long long)s->start_ms,
                  (long long)s->drip_us);
    pthread_mutex_unlock(&s->lock);
    km_fake_reply_set(rep, 200, "application/json", b.data);
    km_buf_free(&b);
}

static void fakenet_add_fault(struct km_fake_ctx *ctx, struct km_fake_req *req,
                              struct km_fake_reply *rep)
{
    const char *spec = km_fake_req_param(req, "spec");
    struct km_err err = {{0}};
    if (spec == NULL) {
        km_err_set(&err, KM_EINPUT, "missing spec=NETWORK:KIND[:N]");
    } else if (km_fake_faults_add(&ctx->faults, spec, &err) == KM_OK) {
        km_fake_reply_set(rep, 200, "application/json", "{\"ok\":true}\n");
        return;
    }
    struct km_buf b = KM_BUF_INIT;
    km_buf_puts(&b, "{\"ok\":false,\"error\":");
    km_fake_json_str(&b, err.msg, 0);
    km_buf_puts(&b, "}\n");
    km_fake_reply_set(rep, 400, "application/json", b.data);
    km_buf_free(&b);
}

static void fakenet_release(struct km_fake_ctx *ctx, struct km_fake_req *req,
                            struct km_fake_reply *rep)
{
    const char *count = km_fake_req_param(req, "count");
    long n = count != NULL ? strtol(count, NULL, 10) : 1;
    if (n < 1 || n > 100000) {
        km_fake_reply_set(rep, 400, "application/json",
                          "{\"ok\":false,\"error\":\"count must be 1..100000\"}\n");
        return;
    }
    km_fake_store_release_now(&ctx->store, (size_t)n);
    pthread_mutex_lock(&ctx->store.lock);
    size_t total = ctx->store.n_items;
    pthread_mutex_unlock(&ctx->store.lock);
    struct km_buf b = KM_BUF_INIT;
    km_buf_printf(&b, "{\"ok\":true,\"released\":%zu}\n", total);
    km_fake_reply_set(rep, 200, "application/json", b.data);
    km_buf_free(&b);
}

/* GET: the replies received so far (fake_replies.h); DELETE: forgets them. */
static void fakenet_replies(bool forget, struct km_fake_reply *rep)
{
    struct km_buf b = KM_BUF_INIT;
    if (forget) {
        km_fake_replies_clear();
        km_buf_puts(&b, "{\"ok\":true}\n");
    } else {
        km_fake_replies_json(&b);
    }
    km_fake_reply_set(rep, 200, "application/json", b.data);
    km_buf_free(&b);
}

static void fakenet_admin(struct km_fake_ctx *ctx, struct km_fake_req *req,
                          struct km_fake_reply *rep)
{
    bool get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;
    bool del = strcmp(req->method, "DELETE") == 0;
    if (get && strcmp(req->url, "/_fake/stats") == 0) {
        fakenet_stats(ctx, rep);
    } else if (post && strcmp(req->url, "/_fake/fault") == 0) {
        fakenet_add_fault(ctx, req, rep);
    } else if (post && strcmp(req->url, "/_fake/release") == 0) {
        fakenet_release(ctx, req, rep);
    } else if (strcmp(req->url, "/_fake/replies") == 0 && (get || del)) {
        fakenet_replies(del, rep);
    } else {
        km_fake_reply_set(rep, 404, "application/json", "{\"ok\":false,\"error\":\"not found\"}\n");
    }
}

/* --- network requests --- */

static int fakenet_route_of(const char *url)
{
    if (strncmp(url, "/_fake/", 7) == 0) {
        return ROUTE_ADMIN;
    }
    if (strncmp(url, "/bot", 4) == 0) {
        return KM_FAKE_TELEGRAM;
    }
    if (strncmp(url, "/api/v1/", 8) == 0 || strncmp(url, "/api/v2/", 8) == 0) {
        return KM_FAKE_MASTODON;
    }
    if (strncmp(url, "/method/", 8) == 0) {
        return KM_FAKE_VK;
    }
    if (strncmp(url, "/2/", 3) == 0) {
        return KM_FAKE_X;
    }
    if (strncmp(url, "/xrpc/", 6) == 0) {
        return KM_FAKE_BLUESKY;
    }
    if (km_fake_ig_route(url)) {
        return KM_FAKE_INSTAGRAM;
    }
    if (strncmp(url, "/portal/", 8) == 0) {
        return KM_FAKE_JSON;
    }
    return strcmp(url, "/rss.xml") == 0 ? KM_FAKE_RSS : ROUTE_OTHER;
}

static bool fakenet_stopping(struct km_fake_ctx *ctx)
{
    pthread_mutex_lock(&ctx->store.lock);
    bool stopping = ctx->store.stopping;
    pthread_mutex_unlock(&ctx->store.lock);
    return stopping;
}

/* Returns when the client has closed its end, the server stops or FAKENET_HANG_MS pass. */
static void fakenet_hang(struct km_fake_ctx *ctx, struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    int fd = ci != NULL ? ci->connect_fd : -1;
    int64_t deadline = km_time_mono_ms() + FAKENET_HANG_MS;
    while (km_time_mono_ms() < deadline && !fakenet_stopping(ctx)) {
        struct pollfd p = {.fd = fd, .events = POLLIN, .revents = 0};
        int r = poll(&p, fd >= 0 ? 1 : 0, FAKENET_HANG_TICK_MS);
        if (r <= 0) {
            continue;
        }
        char c;
        ssize_t k = recv(fd, &c, 1, MSG_PEEK);
        if (k == 0 || (k < 0 && errno != EINTR && errno != EAGAIN) ||
            (p.revents & (POLLHUP | POLLERR)) != 0) {
            return; /* the client went away */
        }
        struct timespec tick = {.tv_sec = 0, .tv_nsec = FAKENET_HANG_TICK_MS * 1000000L};
        nanosleep(&tick, NULL); /* pipelined bytes keep the socket readable */
    }
}

static void fakenet_network(struct km_fake_ctx *ctx, enum km_fake_net net, struct km_fake_req *req,
                            struct km_fake_reply *rep)
{
    if (net == KM_FAKE_TELEGRAM) {
        km_fake_tg_handle(ctx, req, rep);
    } else if (net == KM_FAKE_MASTODON) {
        km_fake_mst_handle(ctx, req, rep);
    } else if (net == KM_FAKE_VK) {
        km_fake_vk_handle(ctx, req, rep);
    } else if (net == KM_FAKE_X) {
        km_fake_x_handle(ctx, req, rep);
    } else if (net == KM_FAKE_BLUESKY) {
        km_fake_bsky_handle(ctx, req, rep);
    } else if (net == KM_FAKE_INSTAGRAM) {
        km_fake_ig_handle(ctx, req, rep);
    } else if (net == KM_FAKE_JSON) {
        km_fake_json_handle(ctx, req, rep);
    } else if (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0) {
        km_fake_rss_handle(ctx, req, rep);
    } else {
        km_fake_reply_set(rep, 405, "text/plain; charset=utf-8", "method not allowed\n");
    }
}

static void fakenet_count(struct km_fake_ctx *ctx, int route)
{
    pthread_mutex_lock(&ctx->store.lock);
    if (route >= 0) {
        ctx->store.requests[route]++;
    } else if (route == ROUTE_ADMIN) {
        ctx->store.requests_admin++;
    } else {
        ctx->store.requests_other++;
    }
    pthread_mutex_unlock(&ctx->store.lock);
}

static enum MHD_Result fakenet_dispatch(struct km_fake_ctx *ctx, struct km_fake_req *req)
{
    int route = fakenet_route_of(req->url);
    enum km_fake_fault_kind fault = KM_FAKE_FAULT_NONE;
    struct km_fake_reply rep;
    km_fake_reply_init(&rep);
    fakenet_count(ctx, route);
    if (req->body_too_big) {
        km_fake_reply_set(&rep, 413, "text/plain; charset=utf-8", "request body too large\n");
    } else if (route == ROUTE_ADMIN) {
        fakenet_admin(ctx, req, &rep);
    } else if (route == ROUTE_OTHER) {
        km_fake_reply_set(&rep, 404, "text/plain; charset=utf-8", "not found\n");
    } else {
        fault = km_fake_faults_take(&ctx->faults, (enum km_fake_net)route,
                                    km_fake_replies_path(req->method, req->url));
        if (fault == KM_FAKE_FAULT_HANG) {
            KM_LOG_DEBUG("%s %s -> hang", req->method, req->url);
            fakenet_hang(ctx, req->conn);
            km_fake_reply_free(&rep);
            return MHD_NO; /* close without an answer */
        }
        if (!km_fake_fault_answer(fault, (enum km_fake_net)route, 10 * ctx->huge_size, &rep)) {
            fakenet_network(ctx, (enum km_fake_net)route, req, &rep);
            km_fake_fault_damage(fault, (enum km_fake_net)route, &rep);
        }
    }
    KM_LOG_DEBUG("%s %s -> %u%s%s", req->method, req->url, rep.status,
                 fault != KM_FAKE_FAULT_NONE ? " fault " : "",
                 fault != KM_FAKE_FAULT_NONE ? km_fake_fault_name(fault) : "");
    enum MHD_Result ret = km_fake_reply_send(req->conn, &rep);
    km_fake_reply_free(&rep);
    return ret;
}

static enum MHD_Result fakenet_access(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls)
{
    (void)version;
    struct km_fake_req *req = *con_cls;
    if (req == NULL) {
        req = km_calloc(1, sizeof(*req));
        req->conn = conn;
        req->method = method;
        req->url = url;
        *con_cls = req;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (req->body.len + *upload_data_size > KM_FAKE_BODY_MAX) {
            req->body_too_big = true;
        } else {
            km_buf_append(&req->body, upload_data, *upload_data_size);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    return fakenet_dispatch(cls, req);
}

/* libmicrohttpd's own messages ("Application reported internal error" after a hang,
 * clients that vanish) are expected here: they go to the debug log only. */
__attribute__((format(printf, 2, 0))) static void fakenet_mhd_log(void *cls, const char *fmt,
                                                                  va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    KM_LOG_DEBUG("libmicrohttpd: %s", msg);
}

static void fakenet_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    km_fake_req_free(*con_cls);
    *con_cls = NULL;
}

/* --- command line --- */

static void fakenet_usage(FILE *f)
{
    fprintf(f, "usage: fakenet --port N|0 --posts FILE [--port-file PATH] [--drip SECONDS]\n"
               "               [--drip-start SECONDS] [--passes N] [--fault NETWORK:KIND[:N]]...\n"
               "               [--max-poll SECONDS]\n"
               "               [--huge-size BYTES[k|M|G]] [--token TOKEN] [--numeric-tags]\n"
               "               [--verbose]\n"
               "NETWORK: telegram mastodon rss vk x bluesky instagram json all (NETWORK-reply:\n"
               "only requests that send a reply); KIND: 429 409\n"
               "http500 http503 "
               "garbage html truncated badutf8 huge hang cut vkauth vkflood vkcaptcha vkquota\n"
               "vkinternal\n"
               "(see test/data/README.md)\n");
}

static int fakenet_parse_size(const char *s, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(s, &end, 10);
    if (errno != 0 || end == s || s[0] == '-') {
        return KM_EINPUT;
    }
    unsigned long long mult = 1;
    if (*end == 'k' || *end == 'K') {
        mult = 1024ULL;
    } else if (*end == 'M') {
        mult = 1024ULL * 1024;
    } else if (*end == 'G') {
        mult = 1024ULL * 1024 * 1024;
    }
    if ((mult > 1 && end[1] != '\0') || (mult == 1 && *end != '\0') || n == 0) {
        return KM_EINPUT;
    }
    *out = n * mult;
    return KM_OK;
}

static int fakenet_parse_seconds(const char *s, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(v > 0) || v > 86400) {
        return KM_EINPUT;
    }
    *out = v;
    return KM_OK;
}

/* Handles one "--name value" pair; returns KM_OK or KM_EINPUT with err set. */
static int fakenet_option(struct fakenet_opts *o, const char *name, const char *value,
                          struct km_err *err)
{
    char *end = NULL;
    int rc = KM_OK;
    if (strcmp(name, "--port") == 0) {
        o->port = strtol(value, &end, 10);
        rc = (*end != '\0' || o->port < 0 || o->port > 65535) ? KM_EINPUT : KM_OK;
    } else if (strcmp(name, "--posts") == 0) {
        o->posts = value;
    } else if (strcmp(name, "--port-file") == 0) {
        o->port_file = value;
    } else if (strcmp(name, "--token") == 0 || strcmp(name, "--tg-token") == 0) {
        o->tg_token = value;
    } else if (strcmp(name, "--passes") == 0) {
        o->passes = strtoul(value, &end, 10);
        rc = (*end != '\0' || value[0] == '-' || o->passes > 1000000) ? KM_EINPUT : KM_OK;
    } else if (strcmp(name, "--drip") == 0) {
        rc = fakenet_parse_seconds(value, &o->drip_s);
    } else if (strcmp(name, "--drip-start") == 0) {
        rc = fakenet_parse_seconds(value, &o->drip_start_s); /* make bench: komekd starts first */
    } else if (strcmp(name, "--max-poll") == 0) {
        rc = fakenet_parse_seconds(value, &o->max_poll_s);
    } else if (strcmp(name, "--huge-size") == 0) {
        rc = fakenet_parse_size(value, &o->huge_size);
    } else if (strcmp(name, "--fault") == 0 && o->n_faults < FAKENET_MAX_FAULT_ARGS) {
        o->faults[o->n_faults++] = value;
    } else {
        return km_err_set(err, KM_EINPUT, "unknown option %s", name);
    }
    return rc == KM_OK ? KM_OK : km_err_set(err, KM_EINPUT, "bad value for %s: %s", name, value);
}

static int fakenet_parse_args(int argc, char **argv, struct fakenet_opts *o, struct km_err *err)
{
    *o = (struct fakenet_opts){.port = -1,
                               .tg_token = FAKENET_TG_TOKEN,
                               .max_poll_s = FAKENET_MAX_POLL_S,
                               .huge_size = FAKENET_HUGE_SIZE};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--numeric-tags") == 0) {
            o->numeric_tags = true;
        } else if (strcmp(argv[i], "--verbose") == 0) {
            o->verbose = true;
        } else if (strcmp(argv[i], "--help") == 0) {
            return km_err_set(err, KM_EINPUT, "help");
        } else if (i + 1 >= argc) {
            return km_err_set(err, KM_EINPUT, "%s needs a value", argv[i]);
        } else if (fakenet_option(o, argv[i], argv[i + 1], err) != KM_OK) {
            return KM_EINPUT;
        } else {
            i++;
        }
    }
    if (o->port < 0 || o->posts == NULL) {
        return km_err_set(err, KM_EINPUT, "--port and --posts are required");
    }
    return KM_OK;
}

/* --- start and stop --- */

static int fakenet_write_port(const char *path, unsigned port, struct km_err *err)
{
    char *tmp = km_asprintf("%s.tmp", path);
    int rc = KM_OK;
    FILE *f = fopen(tmp, "w");
    if (f == NULL || fprintf(f, "%u\n", port) < 0 || fclose(f) != 0) {
        rc = km_err_set(err, KM_ERR, "cannot write %s: %s", tmp, strerror(errno));
    } else if (rename(tmp, path) != 0) {
        rc = km_err_set(err, KM_ERR, "cannot rename %s: %s", tmp, strerror(errno));
    }
    free(tmp);
    return rc;
}

static struct MHD_Daemon *fakenet_start(struct km_fake_ctx *ctx, unsigned port)
{
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_AUTO | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    return MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, fakenet_access, ctx,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                            MHD_OPTION_NOTIFY_COMPLETED, fakenet_completed, ctx,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)FAKENET_IDLE_TIMEOUT_S,
                            MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_EXTERNAL_LOGGER,
                            fakenet_mhd_log, NULL, MHD_OPTION_END);
}

static int fakenet_init(struct km_fake_ctx *ctx, const struct fakenet_opts *o, struct km_err *err)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->tg_token = o->tg_token;
    ctx->max_poll_ms = (int64_t)(o->max_poll_s * 1000);
    ctx->huge_size = o->huge_size;
    ctx->numeric_tags = o->numeric_tags;
    km_fake_faults_init(&ctx->faults);
    for (size_t i = 0; i < o->n_faults; i++) {
        if (km_fake_faults_add(&ctx->faults, o->faults[i], err) != KM_OK) {
            km_fake_faults_fini(&ctx->faults);
            return KM_EINPUT;
        }
    }
    int rc = km_fake_store_init(&ctx->store, o->posts, (int64_t)(o->drip_s * 1e6),
                                (int64_t)(o->drip_start_s * 1000), (unsigned)o->passes, err);
    if (rc != KM_OK) {
        km_fake_faults_fini(&ctx->faults);
    }
    return rc;
}

/* Serves until SIGINT or SIGTERM (blocked in every thread; sigwait() takes them). */
static int fakenet_serve(struct km_fake_ctx *ctx, const struct fakenet_opts *o,
                         const sigset_t *stop, struct km_err *err)
{
    struct MHD_Daemon *d = fakenet_start(ctx, (unsigned)o->port);
    if (d == NULL) {
        return km_err_set(err, KM_ERR, "cannot listen on 127.0.0.1:%ld", o->port);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    ctx->port = info != NULL ? info->port : (unsigned)o->port;
    int rc = o->port_file != NULL ? fakenet_write_port(o->port_file, ctx->port, err) : KM_OK;
    if (rc == KM_OK) {
        printf("fakenet listening on 127.0.0.1:%u\n", ctx->port);
        fflush(stdout);
        int sig = 0;
        sigwait(stop, &sig);
        KM_LOG_INFO("signal %d: stopping", sig);
    }
    km_fake_store_stop(&ctx->store);
    MHD_stop_daemon(d);
    return rc;
}

int main(int argc, char **argv)
{
    struct fakenet_opts o;
    struct km_err err = {{0}};
    struct km_fake_ctx ctx;
    /* Blocked first, so that every thread inherits it and only sigwait() sees them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    km_log_set_ident("fakenet");
    if (fakenet_parse_args(argc, argv, &o, &err) != KM_OK) {
        if (strcmp(err.msg, "help") != 0) {
            fprintf(stderr, "fakenet: %s\n", err.msg);
        }
        fakenet_usage(strcmp(err.msg, "help") == 0 ? stdout : stderr);
        return strcmp(err.msg, "help") == 0 ? 0 : 2;
    }
    km_log_set_level(o.verbose ? KM_LOG_LEVEL_DEBUG : KM_LOG_LEVEL_INFO);
    if (fakenet_init(&ctx, &o, &err) != KM_OK) {
        KM_LOG_ERROR("%s", err.msg);
        return 1;
    }
    int rc = fakenet_serve(&ctx, &o, &stop, &err);
    if (rc != KM_OK) {
        KM_LOG_ERROR("%s", err.msg);
    }
    km_fake_store_fini(&ctx.store);
    km_fake_faults_fini(&ctx.faults);
    km_fake_replies_fini();
    return rc == KM_OK ? 0 : 1;
}
