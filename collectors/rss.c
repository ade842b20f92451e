/* RSS 2.0 / RSS 1.0 / Atom collector: fetches one feed URL with a conditional GET.
 *
 * The cursor is "ETAG\tLAST-MODIFIED" from the last 200 response (either part may be
 * empty); it becomes If-None-Match / If-Modified-Since, so an unchanged feed costs a 304
 * with no body. Feeds have no paging: every poll emits every item, and the queue's seen-set
 * on (network, id) drops the ones already delivered.
 *
 * Post ids must be unique across every feed of the network, but a guid such as "123" is
 * only unique within its feed: such a guid becomes "<feed url>#<guid>", while one that
 * looks globally unique (a URL, "urn:" or "tag:") is kept as it is. */
#include "collectors/collector.h"
#include "common/alloc.h"
#include "parser/feed.h"
#include "parser/hashtag.h"
#include "parser/post.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <xxhash.h>

#define RSS_NETWORK "rss"
/* Longest post id kept as is. A guid is untrusted and unbounded, and ids go into the
 * seen-set and PostgreSQL's primary-key index (btree rows are limited to about 2.7 KB);
 * a longer id is replaced by a hash of it. */
#define RSS_ID_MAX_BYTES 1024
/* Wait after 401/403/404/410: a feed that is gone or locked is often back after a
 * redeploy or a fixed permission, so keep asking, but rarely. */
#define RSS_GONE_RETRY_MS (10 * 60 * 1000)

static const struct km_conf_key rss_keys[] = {
    {"url", KM_CONF_STR, NULL, 0, 0, KM_CONF_REQUIRED, "feed URL (RSS 2.0, RSS 1.0 or Atom)"},
    {NULL, 0, NULL, 0, 0, 0, NULL},
};

struct rss_state {
    char *name;
    char *url;
};

static void rss_destroy(void *state)
{
    struct rss_state *st = state;
    if (st == NULL) {
        return;
    }
    free(st->name);
    free(st->url);
    free(st);
}

static int rss_create(const struct km_section *sec, void **state, struct km_err *err)
{
    int rc = KM_OK;
    struct rss_state *st = km_calloc(1, sizeof(*st));
    st->name = km_strdup(sec->name != NULL ? sec->name : "?");
    const char *url = km_section_get(sec, "url");
    if (url == NULL || (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)) {
        rc = km_err_set(err, KM_EINPUT, "%s:%d: rss/%s: url must start with https:// or http://",
                        sec->file, km_section_line(sec, "url"), st->name);
        goto out;
    }
    st->url = km_strdup(url);
out:
    if (rc != KM_OK) {
        rss_destroy(st);
        st = NULL;
    }
    *state = st;
    return rc;
}

/* GET url, conditional on the validators in the cursor. A validator that cannot be sent
 * (a damaged cursor with a line break) is left out: the server then answers 200. */
static int rss_next_request(void *state, const char *cursor, struct km_request *req)
{
    struct rss_state *st = state;
    req->method = KM_HTTP_GET;
    req->url = km_strdup(st->url);
    km_request_add_header(req, "Accept: application/rss+xml, application/atom+xml, "
                               "application/rdf+xml;q=0.9, application/xml;q=0.8, "
                               "text/xml;q=0.8, */*;q=0.5");
    if (cursor != NULL) {
        size_t etag_len = strcspn(cursor, "\t");
        const char *modified = cursor[etag_len] == '\t' ? cursor + etag_len + 1 : "";
        if (etag_len > 0) {
            km_request_add_header(req, "If-None-Match: %.*s", (int)etag_len, cursor);
        }
        if (*modified != '\0') {
            km_request_add_header(req, "If-Modified-Since: %s", modified);
        }
    }
    return KM_OK;
}

/* A header value fit for one field of the cursor: "" if absent or if it holds a tab or a
 * line break, which would split the cursor or the next request's header. */
static const char *rss_validator(const struct km_response *resp, const char *name)
{
    const char *v = km_response_header(resp, name);
    return v != NULL && strpbrk(v, "\t\r\n") == NULL ? v : "";
}

/* text = title, a blank line, then the summary, unless the summary only repeats the
 * title. */
static char *rss_text(const struct km_feed_item *it)
{
    if (it->summary == NULL || (it->title != NULL && strcmp(it->summary, it->title) == 0)) {
        return km_strdup(it->title);
    }
    if (it->title == NULL) {
        return km_strdup(it->summary);
    }
    return km_asprintf("%s\n\n%s", it->title, it->summary);
}

/* True if a guid names its item outside the feed too: a URL, a URN or a tag: URI. */
static bool rss_id_is_global(const char *id)
{
    return strstr(id, "://") != NULL || strncasecmp(id, "urn:", 4) == 0 ||
           strncasecmp(id, "tag:", 4) == 0;
}

/* The post id for an item's guid (see the top of the file): the guid, or "<feed
 * url>#<guid>", or "<feed url>#sha:<XXH64 of the guid>" when either would be longer than
 * RSS_ID_MAX_BYTES. Returns a malloc'd string. */
static char *rss_post_id(const struct rss_state *st, const char *guid)
{
    size_t len = strlen(guid);
    bool global = rss_id_is_global(guid);
    size_t id_len = global ? len : strlen(st->url) + 1 + len;
    if (id_len > RSS_ID_MAX_BYTES) {
        return km_asprintf("%s#sha:%016" PRIx64, st->url, (uint64_t)XXH64(guid, len, 0));
    }
    return global ? km_strdup(guid) : km_asprintf("%s#%s", st->url, guid);
}

static struct km_post *rss_post(const struct rss_state *st, const struct km_feed *feed,
                                const struct km_feed_item *it, int64_t collected_at)
{
    struct km_post *p = km_post_new();
    km_post_set(&p->network, RSS_NETWORK);
    km_post_set(&p->source, st->name);
    p->id = rss_post_id(st, it->id);
    km_post_set(&p->url, it->link);
    km_post_set(&p->author.name, it->author);
    km_post_set(&p->chat.id, st->url);
    km_post_set(&p->chat.title, feed->title);
    p->text = rss_text(it);
    p->created_at = it->published_ms;
    p->collected_at = collected_at;
    for (size_t i = 0; i < it->n_categories; i++) {
        km_post_add_hashtag(p, it->categories[i]);
    }
    if (p->text != NULL) {
        km_hashtags_extract(p->text, strlen(p->text), p);
    }
    return p;
}

/* Reason phrase of the statuses that make a feed unreachable for a while; NULL for
 * others. */
static const char *rss_gone_reason(long status)
{
    switch (status) {
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 410:
        return "Gone";
    default:
        return NULL;
    }
}

/* Maps a status other than 200 and 304 to a result code. A missing or locked feed is
 * retried every RSS_GONE_RETRY_MS rather than stopping the source for good. */
static int rss_http_error(const struct rss_state *st, const struct km_response *resp,
                          struct km_post_batch *out, struct km_err *err)
{
    long status = resp->status;
    int64_t ms = km_response_retry_after_ms(resp);
    const char *gone = rss_gone_reason(status);
    if (gone != NULL) {
        out->retry_after_ms = RSS_GONE_RETRY_MS;
        return km_err_set(err, KM_RETRY, "rss/%s: HTTP %ld %s; retrying in %d min", st->name,
                          status, gone, RSS_GONE_RETRY_MS / 60000);
    }
    if (ms >= 0 && (status == 429 || status == 503)) {
        out->retry_after_ms = ms;
    }
    return km_err_set(err, KM_RETRY, "rss/%s: HTTP %ld", st->name, status);
}

static int rss_consume(void *state, const struct km_response *resp, struct km_post_batch *out,
                       char **next_cursor, struct km_err *err)
{
    struct rss_state *st = state;
    int rc = KM_OK;
    struct km_feed *feed = NULL;
    struct km_err ferr = {{0}};
    *next_cursor = NULL;
    if (resp->status == 304) {
        goto out;
    }
    if (resp->status != 200) {
        rc = rss_http_error(st, resp, out, err);
        goto out;
    }
    if (km_feed_parse(resp->body, resp->body_len, &feed, &ferr) != KM_OK) {
        rc = km_err_set(err, KM_EINPUT, "rss/%s: %s", st->name, ferr.msg);
        goto out;
    }
    for (size_t i = 0; i < feed->n; i++) {
        const struct km_feed_item *it = &feed->items[i];
        if (it->id == NULL) {
            if (out->skipped++ == 0) {
                km_err_set(err, KM_EINPUT, "rss/%s: item %zu: no guid, id or link", st->name,
                           i + 1);
            }
            continue;
        }
        km_post_batch_add_take(out, rss_post(st, feed, it, resp->received_at_ms));
    }
    *next_cursor =
        km_asprintf("%s\t%s", rss_validator(resp, "ETag"), rss_validator(resp, "Last-Modified"));
out:
    km_feed_free(feed);
    return rc;
}

const struct km_collector km_collector_rss = {
    .name = "rss",
    .keys = rss_keys,
    .create = rss_create,
    .next_request = rss_next_request,
    .consume = rss_consume,
    .destroy = rss_destroy,
};
