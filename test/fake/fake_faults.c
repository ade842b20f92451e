#include "test/fake/fake_faults.h"

#include "common/alloc.h"
#include "common/time.h"
#include "test/fake/fake_bluesky.h"
#include "test/fake/fake_http.h"
#include "test/fake/fake_instagram.h"
#include "test/fake/fake_json.h"
#include "test/fake/fake_text.h"
#include "test/fake/fake_vk.h"
#include "test/fake/fake_x.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Seconds a client is told to wait by 429 and 503 answers: short, so tests stay fast. */
#define FAULTS_RETRY_AFTER_S 1
/* Bytes put into a text by the badutf8 fault: 0xff and 0xfe never occur in UTF-8, and
 * 0xc3 is a lead byte followed by ASCII instead of a continuation byte. */
#define FAULTS_BAD_BYTES "\xff\xfe\xc3("

static const struct {
    const char *name;
    enum km_fake_fault_kind kind;
} faults_kinds[] = {
    {"429", KM_FAKE_FAULT_429},
    {"409", KM_FAKE_FAULT_409},
    {"http500", KM_FAKE_FAULT_HTTP500},
    {"http503", KM_FAKE_FAULT_HTTP503},
    {"garbage", KM_FAKE_FAULT_GARBAGE},
    {"html", KM_FAKE_FAULT_HTML},
    {"truncated", KM_FAKE_FAULT_TRUNCATED},
    {"badutf8", KM_FAKE_FAULT_BADUTF8},
    {"huge", KM_FAKE_FAULT_HUGE},
    {"hang", KM_FAKE_FAULT_HANG},
    {"cut", KM_FAKE_FAULT_CUT},
    {"vkauth", KM_FAKE_FAULT_VK_AUTH},
    {"vkflood", KM_FAKE_FAULT_VK_FLOOD},
    {"vkcaptcha", KM_FAKE_FAULT_VK_CAPTCHA},
    {"vkquota", KM_FAKE_FAULT_VK_QUOTA},
    {"vkinternal", KM_FAKE_FAULT_VK_INTERNAL},
};

const char *km_fake_fault_name(enum km_fake_fault_kind kind)
{
    for (size_t i = 0; i < sizeof(faults_kinds) / sizeof(faults_kinds[0]); i++) {
        if (faults_kinds[i].kind == kind) {
            return faults_kinds[i].name;
        }
    }
    return "none";
}

void km_fake_faults_init(struct km_fake_faults *f)
{
    memset(f, 0, sizeof(*f));
    pthread_mutex_init(&f->lock, NULL);
}

void km_fake_faults_fini(struct km_fake_faults *f)
{
    free(f->v);
    pthread_mutex_destroy(&f->lock);
}

static int faults_parse_kind(const char *s, size_t len, enum km_fake_fault_kind *kind)
{
    for (size_t i = 0; i < sizeof(faults_kinds) / sizeof(faults_kinds[0]); i++) {
        if (strlen(faults_kinds[i].name) == len && strncmp(faults_kinds[i].name, s, len) == 0) {
            *kind = faults_kinds[i].kind;
            return KM_OK;
        }
    }
    return KM_EINPUT;
}

/* Parses "NETWORK:KIND[:N]" into fault. */
static int faults_parse(const char *spec, struct km_fake_fault *fault, struct km_err *err)
{
    const char *c1 = strchr(spec, ':');
    if (c1 == NULL) {
        return km_err_set(err, KM_EINPUT, "fault \"%s\": expected NETWORK:KIND[:N]", spec);
    }
    char net[24];
    snprintf(net, sizeof(net), "%.*s", (int)(c1 - spec), spec);
    size_t net_len = strlen(net);
    fault->reply_only = net_len > 6 && strcmp(net + net_len - 6, "-reply") == 0;
    if (fault->reply_only) {
        net[net_len - 6] = '\0';
    }
    fault->net = strcmp(net, "all") == 0 ? KM_FAKE_FAULT_ALL : km_fake_net_parse(net);
    if (fault->net == -1 && strcmp(net, "all") != 0) {
        return km_err_set(err, KM_EINPUT, "fault \"%s\": unknown network \"%s\"", spec, net);
    }
    const char *c2 = strchr(c1 + 1, ':');
    size_t kind_len = c2 != NULL ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1);
    if (faults_parse_kind(c1 + 1, kind_len, &fault->kind) != KM_OK) {
        return km_err_set(err, KM_EINPUT, "fault \"%s\": unknown kind", spec);
    }
    if (fault->kind == KM_FAKE_FAULT_409 && fault->net != KM_FAKE_TELEGRAM) {
        return km_err_set(err, KM_EINPUT, "fault \"%s\": 409 is for telegram only", spec);
    }
    bool vk_only = fault->kind >= KM_FAKE_FAULT_VK_AUTH && fault->kind <= KM_FAKE_FAULT_VK_INTERNAL;
    if (vk_only && fault->net != KM_FAKE_VK) {
        return km_err_set(err, KM_EINPUT, "fault \"%s\": this kind is for vk only", spec);
    }
    fault->remaining = 1;
    if (c2 != NULL) {
        char *end = NULL;
        errno = 0;
        unsigned long n = strtoul(c2 + 1, &end, 10);
        if (errno != 0 || end == c2 + 1 || *end != '\0' || n == 0 || c2[1] == '-') {
            return km_err_set(err, KM_EINPUT, "fault \"%s\": N must be a positive integer", spec);
        }
        fault->remaining = n;
    }
    return KM_OK;
}

int km_fake_faults_add(struct km_fake_faults *f, const char *spec, struct km_err *err)
{
    struct km_fake_fault fault;
    int rc = faults_parse(spec, &fault, err);
    if (rc != KM_OK) {
        return rc;
    }
    pthread_mutex_lock(&f->lock);
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 8;
        f->v = km_realloc(f->v, f->cap * sizeof(*f->v));
    }
    f->v[f->n++] = fault;
    pthread_mutex_unlock(&f->lock);
    return KM_OK;
}

enum km_fake_fault_kind km_fake_faults_take(struct km_fake_faults *f, enum km_fake_net net,
                                            bool reply)
{
    enum km_fake_fault_kind kind = KM_FAKE_FAULT_NONE;
    pthread_mutex_lock(&f->lock);
    for (size_t i = 0; i < f->n; i++) {
        if ((f->v[i].net != KM_FAKE_FAULT_ALL && f->v[i].net != (int)net) ||
            (f->v[i].reply_only && !reply)) {
            continue;
        }
        kind = f->v[i].kind;
        if (--f->v[i].remaining == 0) {
            memmove(&f->v[i], &f->v[i + 1], (f->n - i - 1) * sizeof(*f->v));
            f->n--;
        }
        if (kind == KM_FAKE_FAULT_GARBAGE) {
            kind = f->garbage_uses++ % 2 == 0 ? KM_FAKE_FAULT_HTML : KM_FAKE_FAULT_TRUNCATED;
        }
        f->applied++;
        break;
    }
    pthread_mutex_unlock(&f->lock);
    return kind;
}

void km_fake_faults_counts(struct km_fake_faults *f, unsigned long *pending, unsigned long *applied)
{
    pthread_mutex_lock(&f->lock);
    *pending = 0;
    for (size_t i = 0; i < f->n; i++) {
        *pending += f->v[i].remaining;
    }
    *applied = f->applied;
    pthread_mutex_unlock(&f->lock);
}

/* --- answers --- */

static void faults_telegram(enum km_fake_fault_kind kind, struct km_fake_reply *rep)
{
    const char *ct = "application/json";
    switch (kind) {
    case KM_FAKE_FAULT_429:
        km_fake_reply_set(rep, 429, ct,
                          "{\"ok\":false,\"error_code\":429,\"description\":\"Too Many Requests: "
                          "retry after 1\",\"parameters\":{\"retry_after\":1}}");
        break;
    case KM_FAKE_FAULT_409:
        km_fake_reply_set(rep, 409, ct,
                          "{\"ok\":false,\"error_code\":409,\"description\":\"Conflict: "
                          "terminated by other getUpdates request; make sure that only one bot "
                          "instance is running\"}");
        break;
    case KM_FAKE_FAULT_HTTP500:
        km_fake_reply_set(rep, 500, ct,
                          "{\"ok\":false,\"error_code\":500,\"description\":\"Internal Server "
                          "Error\"}");
        break;
    default:
        km_fake_reply_set(rep, 503, ct,
                          "{\"ok\":false,\"error_code\":503,\"description\":\"Service "
                          "Unavailable\"}");
        break;
    }
}

static void faults_mastodon(enum km_fake_fault_kind kind, struct km_fake_reply *rep)
{
    const char *ct = "application/json; charset=utf-8";
    if (kind == KM_FAKE_FAULT_429) {
        char reset[40];
        km_fake_time_iso_us(km_time_now_ms() + FAULTS_RETRY_AFTER_S * 1000, reset, sizeof(reset));
        km_fake_reply_set(rep, 429, ct, "{\"error\":\"Too many requests\"}");
        km_fake_reply_header(rep, "X-RateLimit-Limit", "300");
        km_fake_reply_header(rep, "X-RateLimit-Remaining", "0");
        km_fake_reply_header(rep, "X-RateLimit-Reset", "%s", reset);
    } else if (kind == KM_FAKE_FAULT_HTTP500) {
        km_fake_reply_set(rep, 500, ct, "{\"error\":\"Internal server error\"}");
    } else {
        km_fake_reply_set(rep, 503, ct, "{\"error\":\"Service unavailable\"}");
    }
}

static void faults_rss(enum km_fake_fault_kind kind, struct km_fake_reply *rep)
{
    const char *ct = "text/html; charset=utf-8";
    if (kind == KM_FAKE_FAULT_429) {
        km_fake_reply_set(rep, 429, ct, "<html><body><h1>429 Too Many Requests</h1></body></html>");
    } else if (kind == KM_FAKE_FAULT_HTTP500) {
        km_fake_reply_set(rep, 500, ct,
                          "<html><body><h1>500 Internal Server Error</h1></body></html>");
    } else {
        km_fake_reply_set(rep, 503, ct,
                          "<html><body><h1>503 Service Unavailable</h1></body></html>");
    }
}

static const char *faults_content_type(enum km_fake_net net)
{
    if (net == KM_FAKE_TELEGRAM) {
        return "application/json";
    }
    return net == KM_FAKE_MASTODON || net == KM_FAKE_VK || net == KM_FAKE_X ||
                   net == KM_FAKE_BLUESKY || net == KM_FAKE_INSTAGRAM || net == KM_FAKE_JSON
               ? "application/json; charset=utf-8"
               : "application/rss+xml; charset=utf-8";
}

bool km_fake_fault_answer(enum km_fake_fault_kind kind, enum km_fake_net net, uint64_t huge_total,
                          struct km_fake_reply *rep)
{
    switch (kind) {
    case KM_FAKE_FAULT_429:
    case KM_FAKE_FAULT_409:
    case KM_FAKE_FAULT_HTTP500:
    case KM_FAKE_FAULT_HTTP503:
    case KM_FAKE_FAULT_VK_AUTH:
    case KM_FAKE_FAULT_VK_FLOOD:
    case KM_FAKE_FAULT_VK_CAPTCHA:
    case KM_FAKE_FAULT_VK_QUOTA:
    case KM_FAKE_FAULT_VK_INTERNAL:
        if (net == KM_FAKE_VK) {
            km_fake_vk_fault(kind, rep);
        } else if (net == KM_FAKE_X) {
            km_fake_x_fault(kind, rep);
        } else if (net == KM_FAKE_BLUESKY) {
            km_fake_bsky_fault(kind, rep);
        } else if (net == KM_FAKE_INSTAGRAM) {
            km_fake_ig_fault(kind, rep);
        } else if (net == KM_FAKE_JSON) {
            km_fake_json_fault(kind, rep);
        } else if (net == KM_FAKE_TELEGRAM) {
            faults_telegram(kind, rep);
        } else if (net == KM_FAKE_MASTODON) {
            faults_mastodon(kind, rep);
        } else {
            faults_rss(kind, rep);
        }
        if (kind == KM_FAKE_FAULT_HTTP503 || (kind == KM_FAKE_FAULT_429 && net == KM_FAKE_RSS)) {
            km_fake_reply_header(rep, "Retry-After", "%d", FAULTS_RETRY_AFTER_S);
        }
        return true;
    case KM_FAKE_FAULT_HTML:
        km_fake_reply_set(rep, 200, "text/html", "<html>gateway error</html>");
        return true;
    case KM_FAKE_FAULT_HUGE:
        km_fake_reply_set(rep, 200, faults_content_type(net), "");
        rep->mode = KM_FAKE_BODY_HUGE;
        rep->huge_total = huge_total;
        rep->huge_net = net;
        return true;
    default:
        return false;
    }
}

/* Offset just after the opening of the first post text in rep's body, or -1. */
static long faults_text_offset(enum km_fake_net net, const struct km_fake_reply *rep)
{
    const char *body = rep->body.data;
    if (body == NULL) {
        return -1;
    }
    const char *at = NULL, *marker = "<description>";
    if (net == KM_FAKE_TELEGRAM || net == KM_FAKE_VK || net == KM_FAKE_X ||
        net == KM_FAKE_BLUESKY) {
        marker = "\"text\":\"";
        at = strstr(body, marker);
    } else if (net == KM_FAKE_MASTODON) {
        marker = "\"content\":\"";
        at = strstr(body, marker);
    } else if (net == KM_FAKE_INSTAGRAM || net == KM_FAKE_JSON) {
        /* Instagram captions; the portal's report bodies or feed texts */
        marker = net == KM_FAKE_INSTAGRAM ? "\"caption\":\"" : "\"body\":\"";
        at = strstr(body, marker);
        if (at == NULL && net == KM_FAKE_JSON) {
            marker = "\"text\":\"";
            at = strstr(body, marker);
        }
    } else {
        const char *item = strstr(body, "<item>");
        at = item != NULL ? strstr(item, marker) : NULL;
    }
    return at != NULL ? (long)(at - body + (long)strlen(marker)) : -1;
}

void km_fake_fault_damage(enum km_fake_fault_kind kind, enum km_fake_net net,
                          struct km_fake_reply *rep)
{
    if (kind == KM_FAKE_FAULT_TRUNCATED) {
        rep->body.len /= 2;
        if (rep->body.data != NULL) {
            rep->body.data[rep->body.len] = '\0';
        }
    } else if (kind == KM_FAKE_FAULT_CUT) {
        rep->mode = KM_FAKE_BODY_CUT;
        rep->cut_at = rep->body.len / 2;
    } else if (kind == KM_FAKE_FAULT_BADUTF8) {
        long at = faults_text_offset(net, rep);
        if (at < 0) {
            return; /* no post in this answer: nothing to damage */
        }
        struct km_buf b = KM_BUF_INIT;
        km_buf_append(&b, rep->body.data, (size_t)at);
        km_buf_puts(&b, FAULTS_BAD_BYTES);
        km_buf_append(&b, rep->body.data + at, rep->body.len - (size_t)at);
        km_buf_free(&rep->body);
        rep->body = b;
    }
}
