/* Request and reply plumbing shared by the fake networks, on libmicrohttpd.
 *
 * A handler gets the server context and a parsed request and fills a struct
 * km_fake_reply; fakenet.c then applies any fault and sends it. Replies are built in
 * memory, except the "huge" (streamed, chunked) and "cut" (short body) fault modes. */
#ifndef KM_FAKE_HTTP_H
#define KM_FAKE_HTTP_H

#include "common/buf.h"
#include "test/fake/fake_faults.h"
#include "test/fake/fake_posts.h"

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Request bodies above this are refused with 413: getUpdates and admin bodies are tiny. */
#define KM_FAKE_BODY_MAX (1024 * 1024)
/* Enough for the rate-limit, Link, ETag and Retry-After headers of any one reply. */
#define KM_FAKE_REPLY_MAX_HEADERS 8

/* Everything a handler may read; one per server. */
struct km_fake_ctx {
    struct km_fake_store store;
    struct km_fake_faults faults;
    const char *tg_token; /* the bot token getUpdates must carry */
    int64_t max_poll_ms;  /* cap on Telegram long polls */
    uint64_t huge_size;   /* the "huge" fault sends 10 times this */
    bool numeric_tags;    /* treat #109 as a hashtag entity/tag (real networks do not) */
    unsigned port;        /* for absolute URLs in Link headers and feeds */
};

struct km_fake_kv {
    char *key, *value;
};

struct km_fake_req {
    struct MHD_Connection *conn;
    const char *method, *url; /* borrowed from libmicrohttpd; url is percent-decoded */
    struct km_buf body;
    bool body_too_big;
    struct km_fake_kv *form; /* body parameters (JSON object or urlencoded form) */
    size_t n_form;
    bool form_parsed;
};

enum km_fake_body_mode {
    KM_FAKE_BODY_FULL, /* body as is, with Content-Length */
    KM_FAKE_BODY_CUT,  /* announce body.len, send cut_at bytes, then close */
    KM_FAKE_BODY_HUGE, /* stream huge_total bytes of filler, chunked */
};

struct km_fake_reply {
    unsigned status;
    const char *content_type; /* static string */
    struct km_buf body;
    struct {
        char *name, *value;
    } headers[KM_FAKE_REPLY_MAX_HEADERS];
    size_t n_headers;
    enum km_fake_body_mode mode;
    size_t cut_at;
    uint64_t huge_total;
    enum km_fake_net huge_net;
};

/* Frees what the request owns (not the borrowed strings). Accepts NULL. */
void km_fake_req_free(struct km_fake_req *r);

/* A query-string argument, else a body parameter (JSON or urlencoded form, parsed on
 * first use). Borrowed; NULL if absent. */
const char *km_fake_req_param(struct km_fake_req *r, const char *name);
/* Collects up to max values of a repeated query argument (such as "any[]") into out
 * (borrowed). Returns how many. */
size_t km_fake_req_params(struct km_fake_req *r, const char *name, const char **out, size_t max);
/* A request header, borrowed; NULL if absent. */
const char *km_fake_req_header(struct km_fake_req *r, const char *name);

void km_fake_reply_init(struct km_fake_reply *rep);
void km_fake_reply_free(struct km_fake_reply *rep);
/* Replaces status, type and body; keeps headers. body is copied. */
void km_fake_reply_set(struct km_fake_reply *rep, unsigned status, const char *content_type,
                       const char *body);
/* Adds a header (value printf-formatted). Extra headers beyond the maximum are dropped. */
void km_fake_reply_header(struct km_fake_reply *rep, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Queues rep on conn according to rep->mode. Returns libmicrohttpd's verdict. */
enum MHD_Result km_fake_reply_send(struct MHD_Connection *conn, struct km_fake_reply *rep);

#endif
