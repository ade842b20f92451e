#include "test/fake/fake_rss.h"

#include "common/alloc.h"
#include "common/time.h"
#include "test/fake/fake_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Feeds list only their latest entries; 50 keeps a long drip demo's feed small. */
#define RSS_ITEMS_MAX 50
/* Item titles are the text's beginning, cut at a word (bytes of UTF-8). */
#define RSS_TITLE_MAX 80
/* Distinct categories kept per item. */
#define RSS_CATEGORIES_MAX 16

#define RSS_TYPE "application/rss+xml; charset=utf-8"

static const char *const rss_authors[] = {"Айдана Жұмабекова", "Сергей Миронов", "Әлия Б.",
                                          "Madina K.", "Редакция"};
#define RSS_NAUTHORS (sizeof(rss_authors) / sizeof(rss_authors[0]))

static void rss_put_categories(struct km_buf *b, const char *text)
{
    struct km_fake_span *spans = NULL;
    size_t n = km_fake_text_spans(text, KM_FAKE_TAGS_NUMERIC, &spans), kept = 0;
    const struct km_fake_span *seen[RSS_CATEGORIES_MAX];
    for (size_t i = 0; i < n && kept < RSS_CATEGORIES_MAX; i++) {
        bool dup = false;
        for (size_t j = 0; j < kept && !dup; j++) {
            dup = seen[j]->len == spans[i].len &&
                  memcmp(text + seen[j]->off, text + spans[i].off, spans[i].len) == 0;
        }
        if (spans[i].type != KM_FAKE_SPAN_HASHTAG || dup) {
            continue;
        }
        seen[kept++] = &spans[i];
        km_buf_puts(b, "      <category>");
        km_fake_xml_escape(b, text + spans[i].off + 1, spans[i].len - 1);
        km_buf_puts(b, "</category>\n");
    }
    free(spans);
}

static void rss_put_item(struct km_buf *b, const struct km_fake_item *it)
{
    const struct km_fake_tpl *t = it->tpl;
    char date[48];
    char *title = km_fake_text_head(t->text, RSS_TITLE_MAX);
    km_buf_puts(b, "    <item>\n      <title>");
    km_fake_xml_escape(b, title, strlen(title));
    km_buf_printf(b,
                  "</title>\n      <link>https://news.fake-astana.example/reports/%s</link>\n"
                  "      <description>",
                  it->id);
    km_fake_xml_escape(b, t->text, strlen(t->text));
    km_buf_puts(b, "</description>\n");
    rss_put_categories(b, t->text);
    km_buf_puts(b, "      <dc:creator>");
    const char *author = rss_authors[t->nth % RSS_NAUTHORS];
    km_fake_xml_escape(b, author, strlen(author));
    km_buf_printf(b,
                  "</dc:creator>\n      <guid isPermaLink=\"false\">fake-rss:%s</guid>\n"
                  "      <pubDate>%s</pubDate>\n    </item>\n",
                  it->id, km_fake_time_rfc822(it->created_ms, 0, date, sizeof(date)));
    free(title);
}

/* The newest RSS items, newest first, into out[RSS_ITEMS_MAX]; *version gets a number
 * that changes whenever the feed does. Caller holds the lock. */
static size_t rss_collect(struct km_fake_store *s, struct km_fake_item **out, size_t *version)
{
    size_t n = 0;
    *version = 0;
    for (size_t i = s->n_items; i > 0; i--) {
        struct km_fake_item *it = s->items[i - 1];
        if (it->tpl->net != KM_FAKE_RSS) {
            continue;
        }
        *version += 1;
        if (n < RSS_ITEMS_MAX) {
            out[n++] = it;
        }
    }
    return n;
}

static void rss_put_feed(struct km_buf *b, const struct km_fake_ctx *ctx,
                         struct km_fake_item *const *items, size_t n, int64_t modified_ms)
{
    char date[48];
    km_buf_printf(b,
                  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                  "<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
                  "xmlns:atom=\"http://www.w3.org/2005/Atom\">\n  <channel>\n"
                  "    <title>Астана: обращения жителей (fake)</title>\n"
                  "    <link>http://127.0.0.1:%u/</link>\n"
                  "    <description>Жалобы и вопросы жителей Астаны, собранные редакцией "
                  "(тестовая лента)</description>\n    <language>ru</language>\n"
                  "    <lastBuildDate>%s</lastBuildDate>\n    <ttl>5</ttl>\n"
                  "    <atom:link href=\"http://127.0.0.1:%u/rss.xml\" rel=\"self\" "
                  "type=\"application/rss+xml\"/>\n",
                  ctx->port, km_fake_time_rfc822(modified_ms, 0, date, sizeof(date)), ctx->port);
    for (size_t i = 0; i < n; i++) {
        rss_put_item(b, items[i]);
    }
    km_buf_puts(b, "  </channel>\n</rss>\n");
}

/* Does the If-None-Match list (comma-separated, maybe weak) contain etag or "*"? */
static bool rss_etag_matches(const char *header, const char *etag)
{
    size_t elen = strlen(etag);
    const char *p = header;
    while (*p != '\0') {
        while (*p == ' ' || *p == ',') {
            p++;
        }
        if (strncmp(p, "W/", 2) == 0) {
            p += 2;
        }
        if (*p == '*' || (strncmp(p, etag, elen) == 0 &&
                          (p[elen] == '\0' || p[elen] == ',' || p[elen] == ' '))) {
            return true;
        }
        while (*p != '\0' && *p != ',') {
            p++;
        }
    }
    return false;
}

static bool rss_not_modified(struct km_fake_req *req, const char *etag, int64_t modified_ms)
{
    const char *inm = km_fake_req_header(req, MHD_HTTP_HEADER_IF_NONE_MATCH);
    if (inm != NULL) {
        return rss_etag_matches(inm, etag);
    }
    const char *ims = km_fake_req_header(req, MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
    int64_t since = 0;
    return ims != NULL && km_time_parse_rfc822(ims, &since) == KM_OK &&
           since / 1000 >= modified_ms / 1000;
}

void km_fake_rss_handle(struct km_fake_ctx *ctx, struct km_fake_req *req, struct km_fake_reply *rep)
{
    struct km_fake_item *items[RSS_ITEMS_MAX];
    struct km_fake_store *s = &ctx->store;
    size_t version = 0;
    pthread_mutex_lock(&s->lock);
    km_fake_store_sync(s);
    size_t n = rss_collect(s, items, &version);
    int64_t modified = n > 0 ? items[0]->created_ms : s->start_ms;
    char etag[64], date[48];
    snprintf(etag, sizeof(etag), "\"rss-%zu-%llx\"", version, (unsigned long long)modified);
    km_fake_reply_header(rep, "ETag", "%s", etag);
    km_fake_reply_header(rep, "Last-Modified", "%s",
                         km_fake_time_rfc822(modified, 1, date, sizeof(date)));
    if (rss_not_modified(req, etag, modified)) {
        km_fake_reply_set(rep, 304, RSS_TYPE, "");
    } else {
        struct km_buf b = KM_BUF_INIT;
        rss_put_feed(&b, ctx, items, n, modified);
        for (size_t i = 0; i < n; i++) {
            km_fake_store_served(s, items[i]);
        }
        km_fake_reply_set(rep, 200, RSS_TYPE, b.data);
        km_buf_free(&b);
    }
    pthread_mutex_unlock(&s->lock);
}
