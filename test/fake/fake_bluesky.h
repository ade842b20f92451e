/* Fake Bluesky PDS (which proxies the AppView search), under /xrpc/:
 *   POST com.atproto.server.createSession   {identifier, password} -> session
 *   POST com.atproto.server.refreshSession  Authorization: Bearer <refreshJwt> -> session
 *   GET  app.bsky.feed.searchPosts          q, tag (repeated, AND), sort, since, until,
 *                                           limit (1-100, default 25), cursor (an offset)
 *
 * Wire format as the Bluesky services send it: XRPC errors {"error":NAME,"message":TEXT},
 * sessions with accessJwt/refreshJwt/handle/did, searchPosts {"posts":[postView...],
 * "cursor", "hitsTotal"}, newest first by sortAt (createdAt here; indexedAt is a little
 * later). Every sample post is served, whatever its "network", as a post of one of a few
 * accounts, with an at:// uri whose rkey is a TID of its time, record.facets for hashtags
 * (byte offsets into the UTF-8 text, feature.tag without '#') and links, langs, counts, an
 * image embed on every fifth post and a reply on every seventh. Tags follow Bluesky's rules:
 * '#' at the start or after white space, at least one letter (so #109 is plain text unless
 * --numeric-tags). A post matches tag[] when every tag is one of its facet tags (case
 * folded), and q when every word is in its text (a "#word" as a hashtag, found as in
 * Telegram, digits included).
 *
 * One account logs in: FAKE_BSKY_HANDLE or FAKE_BSKY_DID with FAKE_BSKY_PASSWORD; anything
 * else is 401 AuthenticationRequired. An access token is good for FAKE_BSKY_ACCESS_USES
 * searches, then 400 ExpiredToken; a refresh rotates both tokens (the old refresh token is
 * revoked), and a session can be refreshed FAKE_BSKY_REFRESHES times, then refreshSession
 * answers 400 ExpiredToken and the client must log in again. createSession allows
 * FAKE_BSKY_LOGINS_PER_WINDOW logins per 5 minutes (429 RateLimitExceeded after); searches
 * carry RateLimit-Limit/Remaining/Reset/Policy headers (3000 per 5 minutes, counted, not
 * enforced). */
#ifndef KM_FAKE_BLUESKY_H
#define KM_FAKE_BLUESKY_H

#include "test/fake/fake_faults.h"
#include "test/fake/fake_http.h"
#include "test/fake/fake_posts.h"

#define FAKE_BSKY_HANDLE   "komek109.bsky.social"
#define FAKE_BSKY_DID      "did:plc:k2m3k1o9astanafakepds4q"
#define FAKE_BSKY_PASSWORD "k0mk-109a-stna-fake"
/* Small, so that a run of a few rounds exercises refresh and re-login. */
#define FAKE_BSKY_ACCESS_USES 5
#define FAKE_BSKY_REFRESHES   2
/* bsky.social's createSession limit: 30 per 5 minutes per account. */
#define FAKE_BSKY_LOGINS_PER_WINDOW 30

/* Answers a request whose path starts with "/xrpc/". Takes the store lock itself.
 * Thread-safe. */
void km_fake_bsky_handle(struct km_fake_ctx *ctx, struct km_fake_req *req,
                         struct km_fake_reply *rep);

/* Bluesky's version of the faults that replace an answer (fake_faults.c calls it): 429
 * {"error":"RateLimitExceeded"} with RateLimit-Remaining: 0 and a RateLimit-Reset 1 s
 * ahead, 500 InternalServerError, 503 (fake_faults.c adds Retry-After). */
void km_fake_bsky_fault(enum km_fake_fault_kind kind, struct km_fake_reply *rep);

#endif
