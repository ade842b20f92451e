#include "intake/server.h"

#include "app/commit.h"
#include "app/setup.h"
#include "app/shared.h"
#include "app/watch.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/time.h"
#include "common/utf8.h"
#include "parser/json.h"
#include "queue/queue.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define IN_SCOPE  "intake"
#define IN_PREFIX "/webhook/"

/* Server threads. Two, so that one slow Redis commit does not hold up reading the next
 * request; more would only queue on the Redis lock. */
#define IN_THREADS 2
/* Connections served at once; more wait in the kernel's backlog. Telegram opens at most
 * max_connections (default 40) per bot. */
#define IN_MAX_CONNECTIONS 128
/* Seconds an idle or stalled connection is kept: a sender that stops mid-body must not hold
 * a connection slot (and the drain at shutdown) forever. */
#define IN_IDLE_TIMEOUT_S 30
/* Most request headers handed to a collector; real senders send about 10. */
#define IN_MAX_HEADERS 64
/* Longest part of a request path quoted in a log line or an error. */
#define IN_PATH_QUOTE 80
/* How much more than max_body of an over-long body without Content-Length is read (and
 * dropped) to answer 413, before the connection is closed instead. */
#define IN_DISCARD_FACTOR 2
/* How often km_intake_run() looks at the stop flag. */
#define IN_STOP_POLL_MS 100

struct in_source {
    const struct km_collector *coll;
    void *state;
    struct km_source_info info;
    size_t max_body;
};

struct km_intake {
    struct MHD_Daemon *mhd;
    struct in_source *sources;
    size_t n_sources;
    const struct km_tags *tags; /* fixed tags, or NULL when watch is set */
    struct km_shared *watch;    /* struct km_watch, replaced on SIGHUP (km_intake_run) */
    struct km_committer *committer; /* used under lock, like q */
    unsigned port;
    pthread_mutex_t lock; /* guards everything below, the queue and the collectors' state */
    pthread_cond_t idle;  /* signalled when in_flight drops to 0 */
    struct km_queue *q;
    size_t in_flight;
    struct km_intake_stats stats;
    struct km_complaint complaints[KM_INTAKE_NANSWERS];
};

/* One request, from its headers to its completion. */
struct in_req {
    struct in_source *src; /* set once the request may send a body */
    struct km_buf body;
    bool answered;
    bool too_big;   /* the body outgrew max_body: the rest is dropped, the answer is 413 */
    size_t dropped; /* bytes dropped since */
};

static const unsigned in_status[KM_INTAKE_NANSWERS] = {
    [KM_INTAKE_OK] = MHD_HTTP_OK,
    [KM_INTAKE_BAD_REQUEST] = MHD_HTTP_BAD_REQUEST,
    [KM_INTAKE_UNAUTHORIZED] = MHD_HTTP_UNAUTHORIZED,
    [KM_INTAKE_NOT_FOUND] = MHD_HTTP_NOT_FOUND,
    [KM_INTAKE_BAD_METHOD] = MHD_HTTP_METHOD_NOT_ALLOWED,
    [KM_INTAKE_TOO_LARGE] = MHD_HTTP_CONTENT_TOO_LARGE,
    [KM_INTAKE_BAD_TYPE] = MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
    [KM_INTAKE_UNAVAILABLE] = MHD_HTTP_SERVICE_UNAVAILABLE,
    [KM_INTAKE_FAILED] = MHD_HTTP_INTERNAL_SERVER_ERROR,
};

unsigned km_intake_answer_status(enum km_intake_answer a)
{
    return a < KM_INTAKE_NANSWERS ? in_status[a] : MHD_HTTP_INTERNAL_SERVER_ERROR;
}

bool km_intake_is_push(const struct km_collector *c)
{
    return c != NULL && c->next_request == NULL && c->consume != NULL;
}

bool km_intake_listen_off(const char *value)
{
    return value == NULL || *value == '\0' || strcasecmp(value, "off") == 0;
}

/* ---- listen address ------------------------------------------------------------------- */

static bool in_loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    }
    const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ss;
    const uint8_t *b = a6->sin6_addr.s6_addr;
    return IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr) ||
           (IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr) && b[12] == 127);
}

/* Splits "host:port" or "[host]:port" into host (copied into buf) and port. */
static bool in_split_listen(const char *value, char *buf, size_t size, long *port)
{
    const char *host = value;
    const char *colon = NULL;
    size_t hlen = 0;
    if (*value == '[') {
        const char *close = strchr(value, ']');
        if (close == NULL || close[1] != ':') {
            return false;
        }
        host = value + 1;
        hlen = (size_t)(close - host);
        colon = close + 1;
    } else {
        colon = strrchr(value, ':');
        if (colon == NULL || memchr(value, ':', (size_t)(colon - value)) != NULL) {
            return false; /* no port, or an IPv6 address without brackets */
        }
        hlen = (size_t)(colon - value);
    }
    char *end = NULL;
    errno = 0;
    *port = strtol(colon + 1, &end, 10);
    if (hlen == 0 || hlen >= size || colon[1] < '0' || colon[1] > '9' || *end != '\0' ||
        errno != 0 || *port < 0 || *port > 65535) {
        return false;
    }
    memcpy(buf, host, hlen);
    buf[hlen] = '\0';
    return true;
}

int km_intake_parse_listen(const char *value, bool allow_public, struct sockaddr_storage *addr,
                           socklen_t *addr_len, struct km_err *err)
{
    char host[INET6_ADDRSTRLEN + 8];
    long port = 0;
    struct addrinfo *ai = NULL;
    int rc = KM_OK;
    if (value == NULL || !in_split_listen(value, host, sizeof(host), &port)) {
        rc = km_err_set(err, KM_EINPUT, "listen: '%s' is not host:port or [IPv6]:port",
                        value != NULL ? value : "");
        goto out;
    }
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST, .ai_socktype = SOCK_STREAM};
    const char *numeric = strcasecmp(host, "localhost") == 0 ? "127.0.0.1" : host;
    if (getaddrinfo(numeric, NULL, &hints, &ai) != 0 || ai == NULL ||
        ai->ai_addrlen > sizeof(*addr)) {
        rc = km_err_set(err, KM_EINPUT, "listen: '%s' is not a numeric IP address", host);
        goto out;
    }
    memset(addr, 0, sizeof(*addr));
    memcpy(addr, ai->ai_addr, ai->ai_addrlen);
    *addr_len = ai->ai_addrlen;
    if (addr->ss_family == AF_INET) {
        ((struct sockaddr_in *)addr)->sin_port = htons((uint16_t)port);
    } else {
        ((struct sockaddr_in6 *)addr)->sin6_port = htons((uint16_t)port);
    }
    if (!allow_public && !in_loopback(addr)) {
        rc = km_err_set(err, KM_EINPUT,
                        "listen: %s is not a loopback address; the intake speaks plain HTTP: "
                        "put a TLS proxy in front and set listen_public = yes",
                        value);
    }
out:
    if (ai != NULL) {
        freeaddrinfo(ai);
    }
    return rc;
}

int km_intake_listen_key(const struct km_config *cfg, const char *key,
                         struct sockaddr_storage *addr, socklen_t *addr_len, struct km_err *err)
{
    memset(addr, 0, sizeof(*addr));
    int rc = km_intake_parse_listen(km_section_get(cfg->global, key),
                                    km_section_get_bool(cfg->global, "listen_public"), addr,
                                    addr_len, err);
    if (rc != KM_OK) {
        char why[KM_ERR_MSG_MAX];
        snprintf(why, sizeof(why), "%s",
                 strncmp(err->msg, "listen: ", 8) == 0 ? err->msg + 8 : err->msg);
        km_err_set(err, rc, "%s:%d: %s: %.*s",
                   cfg->global->file != NULL ? cfg->global->file : cfg->path,
                   km_section_line(cfg->global, key), key, (int)(sizeof(why) / 2), why);
    }
    return rc;
}

bool km_intake_wanted(const struct km_config *cfg)
{
    if (km_intake_listen_off(km_section_get(cfg->global, "listen"))) {
        return false;
    }
    for (size_t i = 0; i < cfg->n_sources; i++) {
        const struct km_section *sec = cfg->sources[i];
        if (km_section_get_bool(sec, "enabled") &&
            km_intake_is_push(km_collector_find(km_section_get(sec, "type")))) {
            return true;
        }
    }
    return false;
}

/* ---- answers ------------------------------------------------------------------------- */

/* Queues a JSON answer. extra_name/extra_value add one header (may be NULL). */
static enum MHD_Result in_respond(struct MHD_Connection *conn, struct in_req *r,
                                  enum km_intake_answer a, const char *json, const char *extra_name,
                                  const char *extra_value)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(json), (void *)json, MHD_RESPMEM_MUST_COPY);
    if (resp == NULL) {
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    if (extra_name != NULL) {
        MHD_add_response_header(resp, extra_name, extra_value);
    }
    enum MHD_Result ok = MHD_queue_response(conn, km_intake_answer_status(a), resp);
    MHD_destroy_response(resp);
    if (ok == MHD_YES) {
        r->answered = true;
    }
    return ok;
}

/* The request path for messages: at most IN_PATH_QUOTE bytes, control characters as '?'. */
static void in_quote_path(const char *url, char *buf, size_t size)
{
    size_t n = 0;
    for (; url[n] != '\0' && n + 1 < size && n < IN_PATH_QUOTE; n++) {
        buf[n] = (unsigned char)url[n] < 0x20 || url[n] == 0x7f ? '?' : url[n];
    }
    buf[n] = '\0';
}

/* Counts and logs (rate-limited per kind) a refusal, then answers {"ok":false,"error":msg}.
 * extra_name/extra_value as for in_respond(). */
static enum MHD_Result in_refuse(struct km_intake *in, struct MHD_Connection *conn,
                                 struct in_req *r, enum km_intake_answer a, const char *url,
                                 const char *msg, const char *extra_name, const char *extra_value)
{
    char path[IN_PATH_QUOTE + 1];
    in_quote_path(url, path, sizeof(path));
    char *clean = km_utf8_clean(msg, strlen(msg), NULL);
    pthread_mutex_lock(&in->lock);
    in->stats.answers[a]++;
    km_complain(&in->complaints[a], IN_SCOPE, "%s: %u: %s", path, km_intake_answer_status(a),
                clean);
    pthread_mutex_unlock(&in->lock);
    struct km_buf b = KM_BUF_INIT;
    km_buf_puts(&b, "{\"ok\":false,\"error\":");
    km_json_escape(&b, clean);
    km_buf_puts(&b, "}\n");
    enum MHD_Result ok = in_respond(conn, r, a, b.data, extra_name, extra_value);
    km_buf_free(&b);
    free(clean);
    return ok;
}

/* ---- requests ------------------------------------------------------------------------ */

static struct in_source *in_find(struct km_intake *in, const char *url)
{
    size_t plen = sizeof(IN_PREFIX) - 1;
    if (strncmp(url, IN_PREFIX, plen) != 0) {
        return NULL;
    }
    for (size_t i = 0; i < in->n_sources; i++) {
        if (strcmp(url + plen, in->sources[i].info.name) == 0) {
            return &in->sources[i];
        }
    }
    return NULL;
}

/* True if a Content-Type names application/json (parameters such as charset ignored). */
static bool in_is_json(const char *type)
{
    static const char want[] = "application/json";
    size_t n = sizeof(want) - 1;
    if (type == NULL || strncasecmp(type, want, n) != 0) {
        return false;
    }
    const char *rest = type + n + strspn(type + n, " \t");
    return *rest == '\0' || *rest == ';';
}

/* The first call for a request: everything that can be refused before the body is read. */
static enum MHD_Result in_begin(struct km_intake *in, struct MHD_Connection *conn, struct in_req *r,
                                const char *url, const char *method)
{
    char msg[KM_ERR_MSG_MAX];
    struct in_source *src = in_find(in, url);
    if (src == NULL) {
        return in_refuse(in, conn, r, KM_INTAKE_NOT_FOUND, url,
                         "no webhook here: POST to /webhook/NAME of an enabled push source", NULL,
                         NULL);
    }
    if (strcmp(method, MHD_HTTP_METHOD_POST) != 0) {
        snprintf(msg, sizeof(msg), "method %.16s not allowed: use POST", method);
        return in_refuse(in, conn, r, KM_INTAKE_BAD_METHOD, url, msg, MHD_HTTP_HEADER_ALLOW,
                         MHD_HTTP_METHOD_POST);
    }
    const char *type =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!in_is_json(type)) {
        snprintf(msg, sizeof(msg), "Content-Type %.60s is not application/json",
                 type != NULL ? type : "(none)");
        return in_refuse(in, conn, r, KM_INTAKE_BAD_TYPE, url, msg, NULL, NULL);
    }
    const char *length =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (length != NULL && strtoull(length, NULL, 10) > src->max_body) {
        snprintf(msg, sizeof(msg), "body of %.20s bytes is larger than max_body (%zu)", length,
                 src->max_body);
        return in_refuse(in, conn, r, KM_INTAKE_TOO_LARGE, url, msg, NULL, NULL);
    }
    r->src = src;
    return MHD_YES;
}

struct in_headers {
    struct km_header h[IN_MAX_HEADERS];
    size_t n;
};

static enum MHD_Result in_header_cb(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    (void)kind;
    struct in_headers *hs = cls;
    if (key != NULL && value != NULL && hs->n < IN_MAX_HEADERS) {
        hs->h[hs->n].name = (char *)key; /* borrowed from libmicrohttpd for the request */
        hs->h[hs->n].value = (char *)value;
        hs->n++;
    }
    return MHD_YES;
}

/* The answer to a collector's result: KM_ERR from consume() means the secret or the
 * signature did not match (the collectors have no other permanent failure on a POST). */
static enum km_intake_answer in_consume_answer(int rc)
{
    switch (rc) {
    case KM_OK:
        return KM_INTAKE_OK;
    case KM_EINPUT:
        return KM_INTAKE_BAD_REQUEST;
    case KM_ERR:
        return KM_INTAKE_UNAUTHORIZED;
    case KM_RETRY:
        return KM_INTAKE_UNAVAILABLE;
    default:
        return KM_INTAKE_FAILED;
    }
}

/* Runs the collector and commits its posts, under the lock. Returns the answer kind; msg
 * gets the reason of a refusal, counts what was committed. */
static enum km_intake_answer in_deliver(struct km_intake *in, struct in_source *src,
                                        const struct km_response *resp,
                                        struct km_commit_counts *counts, unsigned *skipped,
                                        struct km_err *msg)
{
    struct km_post_batch batch;
    km_post_batch_init(&batch);
    char *cursor = NULL;
    pthread_mutex_lock(&in->lock);
    enum km_intake_answer a =
        in_consume_answer(src->coll->consume(src->state, resp, &batch, &cursor, msg));
    *skipped = batch.skipped;
    if (a == KM_INTAKE_OK) {
        for (size_t i = 0; i < batch.n; i++) {
            if (batch.posts[i]->source == NULL) {
                km_post_set(&batch.posts[i]->source, src->info.name);
            }
            if (batch.posts[i]->collected_at == 0) {
                batch.posts[i]->collected_at = resp->received_at_ms;
            }
        }
        struct km_shared_ref *ref = NULL;
        struct km_watch fixed = {.tags = (struct km_tags *)in->tags, .triage = NULL};
        const struct km_watch *w = &fixed;
        if (in->watch != NULL) {
            w = km_shared_acquire(in->watch, &ref);
        }
        int rc = km_committer_commit(in->committer, w, &src->info, &batch, NULL, counts, msg);
        if (in->watch != NULL) {
            km_shared_release(in->watch, ref);
        }
        a = rc == KM_OK ? KM_INTAKE_OK : rc == KM_RETRY ? KM_INTAKE_UNAVAILABLE : KM_INTAKE_FAILED;
    }
    if (a == KM_INTAKE_OK) {
        in->stats.answers[a]++;
        in->stats.posts += counts->seen;
        in->stats.added += counts->added;
        in->stats.dups += counts->dups;
        in->stats.dropped += counts->dropped;
        km_complain_release(&in->complaints[KM_INTAKE_UNAVAILABLE], IN_SCOPE, "redis");
    }
    pthread_mutex_unlock(&in->lock);
    free(cursor);
    km_post_batch_free(&batch);
    return a;
}

/* The last call for a request: the whole body is in. */
static enum MHD_Result in_finish(struct km_intake *in, struct MHD_Connection *conn,
                                 struct in_req *r, const char *url)
{
    char msg[KM_ERR_MSG_MAX];
    if (r->too_big) {
        snprintf(msg, sizeof(msg), "body is larger than max_body (%zu bytes)", r->src->max_body);
        return in_refuse(in, conn, r, KM_INTAKE_TOO_LARGE, url, msg, NULL, NULL);
    }
    struct in_headers hs = {.n = 0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, in_header_cb, &hs);
    km_buf_putc(&r->body, '\0'); /* collectors may rely on a terminated body */
    r->body.len--;
    struct km_response resp = {.status = MHD_HTTP_OK,
                               .body = r->body.data,
                               .body_len = r->body.len,
                               .headers = hs.h,
                               .n_headers = hs.n,
                               .received_at_ms = km_time_now_ms()};
    struct km_commit_counts c = {0};
    unsigned skipped = 0;
    struct km_err err = {{0}};
    enum km_intake_answer a = in_deliver(in, r->src, &resp, &c, &skipped, &err);
    if (a == KM_INTAKE_UNAVAILABLE) {
        char secs[16];
        snprintf(secs, sizeof(secs), "%d", KM_INTAKE_RETRY_AFTER_S);
        return in_refuse(in, conn, r, a, url, err.msg, MHD_HTTP_HEADER_RETRY_AFTER, secs);
    }
    if (a != KM_INTAKE_OK) {
        return in_refuse(in, conn, r, a, url, err.msg, NULL, NULL);
    }
    if (skipped > 0) {
        KM_SLOG_WARN(IN_SCOPE, "%s: %u items skipped: %s", r->src->info.name, skipped, err.msg);
    }
    snprintf(msg, sizeof(msg),
             "{\"ok\":true,\"posts\":%zu,\"new\":%zu,\"repeats\":%zu,\"without_tag\":%zu,"
             "\"skipped\":%u}\n",
             c.seen, c.added, c.dups, c.dropped, skipped);
    return in_respond(conn, r, KM_INTAKE_OK, msg, NULL, NULL);
}

/* A piece of the body: kept while it fits max_body. libmicrohttpd 0.9.75 cannot answer
 * before the whole request is in, so a body without Content-Length that outgrows max_body
 * is read on and dropped (never stored) and answered 413 at its end; one that also outgrows
 * IN_DISCARD_FACTOR * max_body gets its connection closed instead. */
static enum MHD_Result in_receive(struct km_intake *in, struct in_req *r, const char *url,
                                  const char *data, size_t *size)
{
    size_t n = *size;
    *size = 0;
    size_t max = r->src->max_body;
    if (!r->too_big && n <= max - r->body.len) {
        km_buf_append(&r->body, data, n);
        return MHD_YES;
    }
    if (!r->too_big) {
        r->too_big = true;
        r->dropped = r->body.len;
        km_buf_free(&r->body);
    }
    r->dropped += n;
    if (r->dropped / IN_DISCARD_FACTOR <= max) {
        return MHD_YES;
    }
    char path[IN_PATH_QUOTE + 1];
    in_quote_path(url, path, sizeof(path));
    pthread_mutex_lock(&in->lock);
    in->stats.answers[KM_INTAKE_TOO_LARGE]++;
    km_complain(&in->complaints[KM_INTAKE_TOO_LARGE], IN_SCOPE,
                "%s: body goes on past %d x max_body (%zu bytes): connection closed", path,
                IN_DISCARD_FACTOR, max);
    pthread_mutex_unlock(&in->lock);
    return MHD_NO;
}

static enum MHD_Result in_handle(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct km_intake *in = cls;
    struct in_req *r = *con_cls;
    if (r == NULL) {
        r = km_calloc(1, sizeof(*r));
        km_buf_init(&r->body);
        *con_cls = r;
        pthread_mutex_lock(&in->lock);
        in->in_flight++;
        pthread_mutex_unlock(&in->lock);
        return in_begin(in, conn, r, url, method);
    }
    if (r->answered || r->src == NULL) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        return in_receive(in, r, url, upload_data, upload_data_size);
    }
    return in_finish(in, conn, r, url);
}

static void in_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    struct km_intake *in = cls;
    struct in_req *r = *con_cls;
    if (r == NULL) {
        return;
    }
    km_buf_free(&r->body);
    free(r);
    *con_cls = NULL;
    pthread_mutex_lock(&in->lock);
    if (in->in_flight > 0 && --in->in_flight == 0) {
        pthread_cond_broadcast(&in->idle);
    }
    pthread_mutex_unlock(&in->lock);
}

static void in_mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void in_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char buf[KM_ERR_MSG_MAX];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    buf[strcspn(buf, "\n")] = '\0';
    KM_SLOG_WARN(IN_SCOPE, "libmicrohttpd: %s", buf);
}

/* ---- life cycle ---------------------------------------------------------------------- */

/* Creates the collector of every enabled push source. */
static int in_sources_new(struct km_intake *in, const struct km_config *cfg, struct km_err *err)
{
    in->sources = km_calloc(cfg->n_sources + 1, sizeof(*in->sources));
    for (size_t i = 0; i < cfg->n_sources; i++) {
        const struct km_section *sec = cfg->sources[i];
        const char *type = km_section_get(sec, "type");
        const struct km_collector *c = km_collector_find(type);
        if (!km_section_get_bool(sec, "enabled") || !km_intake_is_push(c)) {
            continue;
        }
        struct in_source *s = &in->sources[in->n_sources];
        int rc = c->create(sec, &s->state, err);
        if (rc != KM_OK) {
            return rc;
        }
        in->n_sources++;
        s->coll = c;
        s->info.name = sec->name;
        s->info.type = type;
        s->info.require_tags = km_section_get_bool(sec, "require_tags");
        long long max = km_section_get_size(sec, "max_body");
        s->max_body = max > 0 ? (size_t)max : 8u << 20;
    }
    return KM_OK;
}

/* Scrape time: the answers so far as komek_http_requests_total{server="intake"}. */
static void in_metrics_scrape(void *arg)
{
    struct km_intake_stats st;
    km_intake_get_stats(arg, &st);
    for (int a = 0; a < KM_INTAKE_NANSWERS; a++) {
        char labels[96];
        snprintf(labels, sizeof(labels), "server=\"intake\",route=\"/webhook\",code=\"%u\"",
                 km_intake_answer_status((enum km_intake_answer)a));
        km_metric_set("komek_http_requests_total", labels, (double)st.answers[a]);
    }
    km_metric_set("komek_intake_posts_total", "outcome=\"added\"", (double)st.added);
    km_metric_set("komek_intake_posts_total", "outcome=\"repeat\"", (double)st.dups);
    km_metric_set("komek_intake_posts_total", "outcome=\"dropped\"", (double)st.dropped);
}

/* Starts libmicrohttpd on the parsed listen address. */
static int in_start(struct km_intake *in, const struct sockaddr_storage *addr, const char *listen,
                    struct km_err *err)
{
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC;
    if (addr->ss_family == AF_INET6) {
        flags |= MHD_USE_IPv6;
    }
    in->mhd = MHD_start_daemon(flags, 0, NULL, NULL, in_handle, in, MHD_OPTION_EXTERNAL_LOGGER,
                               in_mhd_log, in, MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)addr,
                               MHD_OPTION_THREAD_POOL_SIZE, (unsigned)IN_THREADS,
                               MHD_OPTION_CONNECTION_LIMIT, (unsigned)IN_MAX_CONNECTIONS,
                               MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IN_IDLE_TIMEOUT_S,
                               MHD_OPTION_NOTIFY_COMPLETED, in_completed, in, MHD_OPTION_END);
    if (in->mhd == NULL) {
        return km_err_set(err, KM_ERR, "intake: cannot listen on %s (address in use?)", listen);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(in->mhd, MHD_DAEMON_INFO_BIND_PORT);
    in->port = info != NULL ? info->port : 0;
    return KM_OK;
}

int km_intake_new(const struct km_config *cfg, const struct km_tags *tags, struct km_intake **out,
                  struct km_err *err)
{
    struct km_intake *in = km_calloc(1, sizeof(*in));
    pthread_mutex_init(&in->lock, NULL);
    pthread_cond_init(&in->idle, NULL);
    in->tags = tags;
    const char *listen = km_section_get(cfg->global, "listen");
    struct sockaddr_storage addr;
    socklen_t addr_len = 0;
    int rc = km_intake_listen_key(cfg, "listen", &addr, &addr_len, err);
    if (rc != KM_OK) {
        goto out;
    }
    rc = in_sources_new(in, cfg, err);
    if (rc != KM_OK) {
        goto out;
    }
    struct km_queue_opts qo;
    km_app_queue_opts(cfg, &qo);
    rc = km_queue_new(&qo, &in->q, err);
    if (rc == KM_OK) {
        rc = km_committer_new(cfg, in->q, &in->committer, err);
    }
    if (rc == KM_OK) {
        rc = in_start(in, &addr, listen, err);
    }
    if (rc == KM_OK) {
        km_metric_declare("komek_http_requests_total", KM_METRIC_COUNTER,
                          "HTTP requests answered, by server, route and status code.");
        km_metric_declare("komek_intake_posts_total", KM_METRIC_COUNTER,
                          "Posts received through webhooks, by outcome.");
        km_metrics_on_scrape(in_metrics_scrape, in);
    }
out:
    if (rc != KM_OK) {
        km_intake_free(in);
        in = NULL;
    }
    *out = in;
    return rc;
}

unsigned km_intake_port(const struct km_intake *in)
{
    return in->port;
}

void km_intake_get_stats(struct km_intake *in, struct km_intake_stats *out)
{
    pthread_mutex_lock(&in->lock);
    *out = in->stats;
    pthread_mutex_unlock(&in->lock);
}

/* Waits until no request is in flight, at most KM_INTAKE_DRAIN_MS. */
static void in_drain(struct km_intake *in)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += KM_INTAKE_DRAIN_MS / 1000;
    pthread_mutex_lock(&in->lock);
    while (in->in_flight > 0) {
        if (pthread_cond_timedwait(&in->idle, &in->lock, &until) == ETIMEDOUT) {
            KM_SLOG_WARN(IN_SCOPE, "stopping with %zu requests still in flight", in->in_flight);
            break;
        }
    }
    pthread_mutex_unlock(&in->lock);
}

void km_intake_free(struct km_intake *in)
{
    if (in == NULL) {
        return;
    }
    km_metrics_off_scrape(in_metrics_scrape, in);
    if (in->mhd != NULL) {
        MHD_socket fd = MHD_quiesce_daemon(in->mhd); /* no new connections */
        in_drain(in);
        MHD_stop_daemon(in->mhd);
        if (fd != MHD_INVALID_SOCKET) {
            close(fd);
        }
    }
    for (size_t i = 0; i < in->n_sources; i++) {
        in->sources[i].coll->destroy(in->sources[i].state);
    }
    free(in->sources);
    km_committer_free(in->committer);
    km_queue_free(in->q);
    pthread_cond_destroy(&in->idle);
    pthread_mutex_destroy(&in->lock);
    free(in);
}

int km_intake_run(const struct km_config *cfg, struct km_shared *watch,
                  volatile sig_atomic_t *stop, struct km_err *err)
{
    struct km_intake *in = NULL;
    int rc = km_intake_new(cfg, NULL, &in, err);
    if (rc != KM_OK) {
        goto out;
    }
    in->watch = watch;
    KM_SLOG_INFO(IN_SCOPE, "serving %zu webhook sources on %s (port %u)", in->n_sources,
                 km_section_get(cfg->global, "listen"), in->port);
    const struct timespec tick = {.tv_sec = 0, .tv_nsec = IN_STOP_POLL_MS * 1000000L};
    while (!*stop) {
        nanosleep(&tick, NULL);
    }
    struct km_intake_stats s;
    km_intake_get_stats(in, &s);
    KM_SLOG_INFO(IN_SCOPE,
                 "stopping: %" PRIu64 " webhooks stored (%" PRIu64 " posts, %" PRIu64
                 " new), %" PRIu64 " refused as unauthorized, %" PRIu64 " while Redis was down",
                 s.answers[KM_INTAKE_OK], s.posts, s.added, s.answers[KM_INTAKE_UNAUTHORIZED],
                 s.answers[KM_INTAKE_UNAVAILABLE]);
out:
    km_intake_free(in);
    return rc;
}

int km_intake_check_config(const struct km_config *cfg)
{
    if (!km_intake_wanted(cfg)) {
        return KM_OK;
    }
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    struct km_err err = {{0}};
    if (km_intake_listen_key(cfg, "listen", &ss, &len, &err) != KM_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return KM_EINPUT;
    }
    return KM_OK;
}
