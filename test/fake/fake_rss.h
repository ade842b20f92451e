/* Fake RSS 2.0 feed: GET /rss.xml.
 *
 * A channel of the newest released RSS posts (at most 50, newest first), each item with
 * title (the text's beginning), link, description (the whole text), one category per
 * hashtag, guid isPermaLink="false", pubDate (RFC 822) and dc:creator. The answer has an
 * ETag and a Last-Modified; a matching If-None-Match (or, without it, an
 * If-Modified-Since not older than Last-Modified) gets 304 with an empty body. */
#ifndef KM_FAKE_RSS_H
#define KM_FAKE_RSS_H

#include "test/fake/fake_http.h"

/* Answers GET /rss.xml. Takes the store lock itself. */
void km_fake_rss_handle(struct km_fake_ctx *ctx, struct km_fake_req *req,
                        struct km_fake_reply *rep);

#endif
