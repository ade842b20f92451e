/* The watched-tags list (etc/tags.list): one tag per line written without its '#',
 * matched case-insensitively (Unicode case folding); '#' starts a comment. */
#ifndef KM_TRIAGE_TAGS_H
#define KM_TRIAGE_TAGS_H

#include "common/err.h"
#include "parser/post.h"

#include <stdbool.h>
#include <stdio.h>

/* Longest tag accepted, in bytes (Bluesky allows 640 bytes, Mastodon 64 code points). */
#define KM_TAG_MAX_BYTES 640

struct km_tags;

/* Loads path. Every bad line is written to report (may be NULL) as "FILE:LINE: message";
 * err gets the first. Returns KM_OK, KM_EINPUT (bad lines) or KM_ERR (cannot read).
 * *out belongs to the caller: free with km_tags_free(). An empty list is valid (it keeps
 * nothing from sources with require_tags = yes) and logged by the caller. */
int km_tags_load(const char *path, FILE *report, struct km_tags **out, struct km_err *err);
/* Builds a list from an array of tags (for tests and komekctl); same folding. */
struct km_tags *km_tags_from_array(const char *const *tags, size_t n);
void km_tags_free(struct km_tags *t);

size_t km_tags_count(const struct km_tags *t);
/* True if the folded tag (as stored in km_post.hashtags) is watched. */
bool km_tags_contains(const struct km_tags *t, const char *folded_tag);
/* Case-folds tag the way km_post_add_hashtag does (utf8proc NFC + case fold). Returns a
 * malloc'd string, or NULL if tag is not valid UTF-8. Caller frees. */
char *km_tag_fold(const char *tag);

#endif
