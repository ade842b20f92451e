#include "triage/filter.h"

#include <stdlib.h>

enum km_verdict km_triage_filter(const struct km_tags *tags, const struct km_post *p,
                                 bool require_tags, const char **matched)
{
    if (matched != NULL) {
        *matched = NULL;
    }
    if (p->network == NULL || p->network[0] == '\0' || p->id == NULL || p->id[0] == '\0') {
        return KM_DROP_INVALID;
    }
    /* A location or a photo without words still reports something (a monitored chat). */
    if ((p->text == NULL || p->text[0] == '\0') && p->n_media == 0 && !p->has_geo) {
        return KM_DROP_EMPTY;
    }
    for (size_t i = 0; i < p->n_hashtags; i++) {
        if (km_tags_contains(tags, p->hashtags[i])) {
            if (matched != NULL) {
                *matched = p->hashtags[i];
            }
            return KM_KEEP_TAGGED;
        }
    }
    return require_tags ? KM_DROP_UNTAGGED : KM_KEEP_CHAT;
}

size_t km_triage_filter_batch(const struct km_tags *tags, struct km_post_batch *batch,
                              bool require_tags)
{
    size_t w = 0, dropped = 0;
    for (size_t r = 0; r < batch->n; r++) {
        struct km_post *p = batch->posts[r];
        if (km_verdict_keeps(km_triage_filter(tags, p, require_tags, NULL))) {
            batch->posts[w++] = p;
        } else {
            km_post_free(p);
            dropped++;
        }
    }
    batch->n = w;
    return dropped;
}
