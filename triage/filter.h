/* Triage, first cut: decides whether a collected post is kept. Pure function, no I/O.
 * Dropping exact repeats of (network, id) is done atomically by the queue's seen-set
 * (queue/queue.h), because only Redis knows what every komekd already delivered. */
#ifndef KM_TRIAGE_FILTER_H
#define KM_TRIAGE_FILTER_H

#include "parser/post.h"
#include "triage/tags.h"

#include <stdbool.h>

enum km_verdict {
    KM_KEEP_TAGGED,   /* carries a watched tag */
    KM_KEEP_CHAT,     /* from a require_tags = no source (a monitored group chat) */
    KM_DROP_UNTAGGED, /* no watched tag */
    KM_DROP_EMPTY,    /* no text, media or location: nothing an operator could act on */
    KM_DROP_INVALID,  /* no network or id: it could never be deduplicated or stored */
};

/* Decides about p. *matched (may be NULL) is set to the first watched tag found
 * (borrowed from p), or NULL. */
enum km_verdict km_triage_filter(const struct km_tags *tags, const struct km_post *p,
                                 bool require_tags, const char **matched);

static inline bool km_verdict_keeps(enum km_verdict v)
{
    return v == KM_KEEP_TAGGED || v == KM_KEEP_CHAT;
}

/* Removes from batch (freeing them) every post the filter drops; returns how many. */
size_t km_triage_filter_batch(const struct km_tags *tags, struct km_post_batch *batch,
                              bool require_tags);

#endif
