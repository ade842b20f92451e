/* The one path from collected posts to the stream, shared by polling (komekd's collect
 * role), webhooks and imports (komekctl import): keep what carries a watched tag, find
 * duplicates and incidents, score, then write the batch and the cursor in one MULTI/EXEC;
 * an incident that just grew past a threshold gets an escalation entry. */
#ifndef KM_APP_COMMIT_H
#define KM_APP_COMMIT_H

#include "app/watch.h"
#include "collectors/runtime.h"
#include "common/conf.h"
#include "common/err.h"
#include "parser/post.h"
#include "queue/queue.h"
#include "triage/tags.h"

#include <stddef.h>

/* What one commit did, for logs and counters. */
struct km_commit_counts {
    size_t seen, dropped, added, dups;
    size_t duplicates; /* kept posts that duplicate an earlier one (dup_of set) */
    size_t escalated;  /* escalation entries written */
    size_t incident_posts; /* kept posts in an incident of two or more posts */
};

/* Per-thread state of the commit path: the queue (borrowed) and the duplicate detector
 * with its window in Redis, shared by every komekd on that Redis. Not thread-safe. */
struct km_committer;

/* Creates a committer writing through q (borrowed; must outlive it). Duplicate detection
 * uses cfg's Redis and incident_window. Returns KM_OK or KM_EINPUT (bad Redis URL). */
int km_committer_new(const struct km_config *cfg, struct km_queue *q, struct km_committer **out,
                     struct km_err *err);
void km_committer_free(struct km_committer *c);

/* Filters batch with w->tags (dropped posts are freed), deduplicates and scores what is
 * kept (when w->triage is loaded), and writes it with cursor (NULL = none) in one
 * MULTI/EXEC, then the escalation entries. Returns KM_OK, or KM_RETRY (Redis unreachable:
 * nothing was written; the batch can be committed again) with err set. counts may be
 * NULL. */
int km_committer_commit(struct km_committer *c, const struct km_watch *w,
                        const struct km_source_info *src, struct km_post_batch *batch,
                        const char *cursor, struct km_commit_counts *counts, struct km_err *err);

/* The same without duplicate detection or scoring (tags only): for tools and tests. */
int km_collect_commit(struct km_queue *q, const struct km_tags *tags,
                      const struct km_source_info *src, struct km_post_batch *batch,
                      const char *cursor, struct km_commit_counts *counts, struct km_err *err);

#endif
