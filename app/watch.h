/* What komekd watches for and how it judges it: the tags list (and, with triage, the
 * lexicon). Loaded at start and again on SIGHUP; roles read it through a km_shared so a
 * reload never pulls it from under a batch in hand. */
#ifndef KM_APP_WATCH_H
#define KM_APP_WATCH_H

#include "common/conf.h"
#include "triage/score.h"
#include "triage/tags.h"

struct km_watch {
    struct km_tags *tags;
    struct km_triage *triage; /* lexicon and routing; NULL = posts are not scored */
};

/* Loads everything cfg names, printing each problem to stderr (FILE:LINE). Returns KM_OK
 * with *out (free with km_watch_free()), or KM_EINPUT / KM_ERR. */
int km_watch_load(const struct km_config *cfg, struct km_watch **out);
/* Frees w (takes void * to serve as a km_shared free function). NULL is ignored. */
void km_watch_free(void *w);

#endif
