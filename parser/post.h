/* The normalised post (DESIGN.md "Normalised post") and a batch of them.
 *
 * Strings are UTF-8, owned by the post and freed by km_post_free(). Optional fields are
 * NULL (strings) or -1 (engagement counters) when the network does not provide them. */
#ifndef KM_PARSER_POST_H
#define KM_PARSER_POST_H

#include "common/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What triage found out about a post (DESIGN.md "triage{...}"). Strings owned by the post. */
struct km_post_triage {
    bool scored;     /* false until triage ran: the JSON then has no "triage" object */
    char *category;  /* taxonomy code: snow, flooding, roads, ... other */
    int urgency;     /* 0..100 */
    int priority;    /* 1..4 (P1..P4) */
    char **reasons;  /* one line per contribution: "+25 life-safety: \"запах газа\"" */
    size_t n_reasons;
    int64_t sla_due; /* Unix ms of the first-reaction deadline */
    char *agency;    /* from routing.conf, NULL if unrouted */
    char *fingerprint; /* hex XXH3-64 of the normalised text (exact duplicates) */
    uint64_t simhash;  /* 64-bit simhash of character shingles (a secondary signal) */
    char *incident;    /* incident id this post belongs to, NULL if none */
    char *dup_of;      /* "network:id" of the post this one duplicates, NULL if original */
};

struct km_post {
    char *network; /* "telegram", "mastodon", "rss", ... */
    char *source;  /* name of the [source NAME] that collected it */
    char *id;      /* unique within the network (Telegram: "<chat_id>:<message_id>") */
    char *url;
    struct {
        char *id, *name, *handle;
    } author;
    struct {
        char *id, *title;
    } chat;
    char *text;
    char *lang;           /* NULL until triage guesses it */
    int64_t created_at;   /* Unix ms; 0 if unknown */
    int64_t collected_at; /* Unix ms */
    char **hashtags;      /* lower case, without '#', no duplicates */
    size_t n_hashtags;
    char *reply_to; /* id of the post this replies to or reposts; NULL if none */
    struct {
        int64_t likes, reposts, replies, views; /* -1 = unknown */
    } engagement;
    bool has_geo;
    double lat, lon;
    char **media; /* URLs or file ids */
    size_t n_media;
    bool edited; /* this is an edit of an earlier version */
    struct km_post_triage triage;
};

/* Returns a new empty post (engagement -1). Free with km_post_free(). */
struct km_post *km_post_new(void);
void km_post_free(struct km_post *p);

/* Frees every triage field and zeroes t. */
void km_post_triage_clear(struct km_post_triage *t);
/* Appends one formatted reason to p->triage.reasons. */
void km_post_add_reason(struct km_post *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Replaces *field with a copy of value (NULL allowed), freeing the old value. */
void km_post_set(char **field, const char *value);
/* Longest hashtag kept, in bytes after folding. Same limit as KM_TAG_MAX_BYTES in
 * triage/tags.h (Bluesky allows 640 bytes): a longer tag is junk or an attack, and an
 * unbounded one would overflow PostgreSQL's btree index row limit (about 2.7 KB). */
#define KM_HASHTAG_MAX_BYTES 640

/* Adds tag (with or without leading '#'), lower-cased with Unicode case folding; ignores
 * empty tags, duplicates and tags longer than KM_HASHTAG_MAX_BYTES once folded. */
void km_post_add_hashtag(struct km_post *p, const char *tag);
void km_post_add_media(struct km_post *p, const char *url);
bool km_post_has_hashtag(const struct km_post *p, const char *folded_tag);

/* Encodes the post as one line of JSON (DESIGN.md field names; created_at and
 * collected_at as RFC 3339 UTC). Absent strings and unknown times (0, or outside years
 * 1970..9999, which RFC 3339 cannot say) are written as null, so integrators always find
 * the key and every post written can be read back; author{} and chat{} are always objects,
 * hashtags[] and media[] always arrays. engagement{} omits counters that are -1, geo{} is
 * written only when has_geo, edited only when true. Strings that are not valid UTF-8 are
 * repaired (U+FFFD). Never fails. Returns a malloc'd string; caller frees. Thread-safe. */
char *km_post_to_json(const struct km_post *p);

/* Decodes JSON produced by km_post_to_json() (or a hand-written normalised post).
 * network, id and text are required (ids may be JSON numbers); other fields may be
 * missing, null or of the wrong type (then they are left unset), except created_at and
 * collected_at, which must be RFC 3339 strings when present. Hashtags are folded again.
 * Unknown members are skipped; of a key given twice the first counts. The JSON rules are
 * km_json_parse()'s: invalid UTF-8 repaired (U+FFFD), nesting deeper than KM_JSON_MAX_DEPTH
 * and malformed JSON refused ("offset N: ..."). Reads len bytes (no NUL needed).
 * Returns KM_OK with *out owned by the caller (km_post_free()), or KM_EINPUT with err set.
 * Thread-safe. */
int km_post_from_json(const char *json, size_t len, struct km_post **out, struct km_err *err);

/* A batch of posts from one response. Owns its posts. */
struct km_post_batch {
    struct km_post **posts;
    size_t n, cap;
    int64_t retry_after_ms; /* set by a collector from the network's rate-limit signal */
    unsigned skipped;       /* items of the payload that were malformed and skipped */
    bool more; /* set by a collector: the next request is due at once (a further page, the
                  second step of a login or an id lookup), not after the interval */
};

void km_post_batch_init(struct km_post_batch *b);
/* Appends p; the batch takes ownership. */
void km_post_batch_add_take(struct km_post_batch *b, struct km_post *p);
/* Frees every post and empties the batch (memory kept for reuse). */
void km_post_batch_clear(struct km_post_batch *b);
void km_post_batch_free(struct km_post_batch *b);

#endif
