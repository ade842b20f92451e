/* The broadcaster and the clients of GET /api/stream (see sse.h). */
#include "desk/sse.h"

#include "common/alloc.h"
#include "common/log.h"
#include "common/utf8.h"
#include "parser/json.h"
#include "queue/tail.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SSE_SCOPE "desk"
/* How long one XREAD blocks, i.e. how soon the broadcaster notices it must stop. */
#define SSE_BLOCK_MS 1000
/* Entries read per stream per XREAD. */
#define SSE_BATCH 200
/* Pause after Redis failed, before the next try. */
#define SSE_RETRY_MS 1000
/* Bytes of events copied to a client per read: larger reads only delay the wakeup of
 * other readers. */
#define SSE_CHUNK 65536
/* The streams followed, and the event name of each. */
#define SSE_NSTREAMS 3
static const char *const sse_streams[SSE_NSTREAMS] = {"posts", "events", "desk"};
static const char *const sse_events[SSE_NSTREAMS] = {"post", "ticket", "claim"};

struct sse_event {
    char *id;   /* the SSE id: the three positions */
    char *text; /* the formatted event */
};

struct km_desk_sse {
    pthread_t thread;
    bool started;
    struct km_tail *tail;
    pthread_mutex_t mu;
    pthread_cond_t cond; /* new events, or stopping */
    bool stopping;
    uint64_t next; /* seq of the next event; ring[seq % KM_DESK_SSE_RING] */
    struct sse_event ring[KM_DESK_SSE_RING];
    size_t clients;
    struct km_complaint redis_down;
};

struct km_desk_sse_client {
    struct km_desk_sse *s;
    uint64_t next;     /* seq of the next event to send */
    struct km_buf out; /* formatted bytes not yet handed to the server */
    size_t sent;       /* of out */
};

/* ---- formatting ---------------------------------------------------------------------- */

static void sse_json_str(struct km_buf *out, const char *s)
{
    char *clean = km_utf8_clean(s, strlen(s), NULL);
    km_json_escape(out, clean);
    free(clean);
}

void km_desk_sse_format(struct km_buf *out, const char *event, const char *id, const char *entry_id,
                        char *const *fields, size_t n, const char *skip)
{
    km_buf_printf(out, "id: %s\nevent: %s\ndata: {\"id\":", id, event);
    sse_json_str(out, entry_id);
    for (size_t i = 0; i < n; i++) {
        const char *name = fields[2 * i];
        if (skip != NULL && strcmp(name, skip) == 0) {
            continue;
        }
        if (strcmp(name, "id") == 0) {
            continue; /* the entry id wins */
        }
        km_buf_putc(out, ',');
        sse_json_str(out, name);
        km_buf_putc(out, ':');
        sse_json_str(out, fields[2 * i + 1]);
    }
    km_buf_puts(out, "}\n\n");
}

/* ---- the broadcaster ----------------------------------------------------------------- */

/* Adds one event to the ring (under mu), replacing the oldest. */
static void sse_push(struct km_desk_sse *s, char *id, char *text)
{
    struct sse_event *e = &s->ring[s->next % KM_DESK_SSE_RING];
    free(e->id);
    free(e->text);
    e->id = id;
    e->text = text;
    s->next++;
}

/* Formats the entries read and publishes them, waking the clients. */
static void sse_publish(struct km_desk_sse *s, const struct km_tail_entry *e, size_t n, char **pos)
{
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < n; i++) {
        free(pos[e[i].stream]);
        pos[e[i].stream] = km_strdup(e[i].id);
        char *id = km_asprintf("%s_%s_%s", pos[0], pos[1], pos[2]);
        struct km_buf b = KM_BUF_INIT;
        km_desk_sse_format(&b, sse_events[e[i].stream], id, e[i].id, e[i].fields, e[i].n_fields,
                           e[i].stream == 0 ? "post" : NULL);
        sse_push(s, id, km_buf_take(&b));
    }
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mu);
}

/* Waits ms or until stopping; true if stopping. */
static bool sse_pause(struct km_desk_sse *s, int64_t ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->mu);
    while (!s->stopping && pthread_cond_timedwait(&s->cond, &s->mu, &until) != ETIMEDOUT) {
    }
    bool stopping = s->stopping;
    pthread_mutex_unlock(&s->mu);
    return stopping;
}

static bool sse_stopping(struct km_desk_sse *s)
{
    pthread_mutex_lock(&s->mu);
    bool stopping = s->stopping;
    pthread_mutex_unlock(&s->mu);
    return stopping;
}

static void *sse_thread(void *arg)
{
    struct km_desk_sse *s = arg;
    char *pos[SSE_NSTREAMS] = {NULL, NULL, NULL};
    while (!sse_stopping(s)) {
        struct km_tail_entry *e = NULL;
        size_t n = 0;
        struct km_err err = {{0}};
        int rc = km_tail_read(s->tail, SSE_BLOCK_MS, SSE_BATCH, &e, &n, &err);
        if (rc != KM_OK) {
            km_complain(&s->redis_down, SSE_SCOPE, "live updates paused: %s", err.msg);
            sse_pause(s, SSE_RETRY_MS);
            continue;
        }
        km_complain_release(&s->redis_down, SSE_SCOPE, "live updates");
        for (size_t i = 0; i < SSE_NSTREAMS; i++) {
            if (pos[i] == NULL) {
                pos[i] = km_strdup(km_tail_position(s->tail, i)); /* where the tail started */
            }
        }
        if (n > 0) {
            sse_publish(s, e, n, pos);
        }
        km_tail_entries_free(e, n);
    }
    for (size_t i = 0; i < SSE_NSTREAMS; i++) {
        free(pos[i]);
    }
    return NULL;
}

int km_desk_sse_new(const struct km_queue_opts *qo, struct km_desk_sse **out, struct km_err *err)
{
    struct km_desk_sse *s = km_calloc(1, sizeof(*s));
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cond, NULL);
    int rc = km_tail_new(qo, sse_streams, SSE_NSTREAMS, &s->tail, err);
    if (rc == KM_OK) {
        s->started = pthread_create(&s->thread, NULL, sse_thread, s) == 0;
        if (!s->started) {
            rc = km_err_set(err, KM_ERR, "desk: cannot start the live-updates thread");
        }
    }
    if (rc != KM_OK) {
        km_desk_sse_free(s);
        s = NULL;
    }
    *out = s;
    return rc;
}

void km_desk_sse_stop(struct km_desk_sse *s)
{
    if (s == NULL) {
        return;
    }
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mu);
}

void km_desk_sse_free(struct km_desk_sse *s)
{
    if (s == NULL) {
        return;
    }
    km_desk_sse_stop(s);
    if (s->started) {
        pthread_join(s->thread, NULL);
    }
    km_tail_free(s->tail);
    for (size_t i = 0; i < KM_DESK_SSE_RING; i++) {
        free(s->ring[i].id);
        free(s->ring[i].text);
    }
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

size_t km_desk_sse_clients(struct km_desk_sse *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->clients;
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* ---- clients ------------------------------------------------------------------------- */

/* The seq of the oldest event still in the ring (under mu). */
static uint64_t sse_oldest(const struct km_desk_sse *s)
{
    return s->next > KM_DESK_SSE_RING ? s->next - KM_DESK_SSE_RING : 0;
}

struct km_desk_sse_client *km_desk_sse_client_new(struct km_desk_sse *s, const char *last_event_id)
{
    struct km_desk_sse_client *c = km_calloc(1, sizeof(*c));
    c->s = s;
    km_buf_init(&c->out);
    km_buf_puts(&c->out, "retry: 3000\n: connected\n\n");
    pthread_mutex_lock(&s->mu);
    c->next = s->next;
    if (last_event_id != NULL && last_event_id[0] != '\0') {
        bool found = false;
        for (uint64_t q = s->next; q > sse_oldest(s) && !found; q--) {
            const struct sse_event *e = &s->ring[(q - 1) % KM_DESK_SSE_RING];
            if (e->id != NULL && strcmp(e->id, last_event_id) == 0) {
                c->next = q;
                found = true;
            }
        }
        if (!found) {
            km_buf_puts(&c->out, "event: resync\ndata: {}\n\n");
        }
    }
    s->clients++;
    pthread_mutex_unlock(&s->mu);
    return c;
}

void km_desk_sse_client_free(struct km_desk_sse_client *c)
{
    if (c == NULL) {
        return;
    }
    pthread_mutex_lock(&c->s->mu);
    c->s->clients--;
    pthread_mutex_unlock(&c->s->mu);
    km_buf_free(&c->out);
    free(c);
}

/* Appends the events the client has not had yet (under mu), a resync if it fell behind the
 * ring. */
static void sse_collect(struct km_desk_sse_client *c)
{
    struct km_desk_sse *s = c->s;
    if (c->next < sse_oldest(s)) {
        km_buf_puts(&c->out, "event: resync\ndata: {}\n\n");
        c->next = sse_oldest(s);
    }
    while (c->next < s->next && c->out.len - c->sent < SSE_CHUNK) {
        km_buf_puts(&c->out, s->ring[c->next % KM_DESK_SSE_RING].text);
        c->next++;
    }
}

ssize_t km_desk_sse_client_read(struct km_desk_sse_client *c, char *buf, size_t max)
{
    struct km_desk_sse *s = c->s;
    if (c->sent == c->out.len) {
        km_buf_reset(&c->out);
        c->sent = 0;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += KM_DESK_SSE_KEEPALIVE_S;
        pthread_mutex_lock(&s->mu);
        int w = 0;
        while (!s->stopping && c->next == s->next && w != ETIMEDOUT) {
            w = pthread_cond_timedwait(&s->cond, &s->mu, &until);
        }
        if (!s->stopping) {
            sse_collect(c);
        }
        bool stopping = s->stopping;
        pthread_mutex_unlock(&s->mu);
        if (stopping) {
            return -1;
        }
        if (c->out.len == 0) {
            km_buf_puts(&c->out, ": keepalive\n\n");
        }
    }
    size_t n = c->out.len - c->sent;
    n = n < max ? n : max;
    memcpy(buf, c->out.data + c->sent, n);
    c->sent += n;
    return (ssize_t)n;
}
