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

#include <stdbool.h>
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
/* Waits for a batch still sent (km_committer_wait()), then frees c; NULL is ignored. */
void km_committer_free(struct km_committer *c);

/* Filters batch with w->tags (dropped posts are freed), deduplicates and scores what is
 * kept (when w->triage is loaded), and writes it with cursor (NULL = none) in one
 * MULTI/EXEC, then the escalation entries. Returns KM_OK, or KM_RETRY (Redis unreachable:
 * nothing was written; the batch can be committed again) with err set. counts may be
 * NULL. */
int km_committer_commit(struct km_committer *c, const struct km_watch *w,
                        const struct km_source_info *src, struct km_post_batch *batch,
                        const char *cursor, struct km_commit_counts *counts, struct km_err *err);

/* km_committer_commit() for a caller that hands batch after batch (komekctl import):
 * filters, deduplicates and scores batch, then confirms the batch sent before (as
 * km_committer_wait() does) and sends this one's write without waiting for it, so that
 * Redis writes it while the caller reads and triages the next batch. The write, its
 * escalations, log line and counters are those of km_committer_commit(); they happen when
 * the next km_committer_send() or km_committer_wait() confirms it, so the stream gets
 * every batch's posts and escalations in order, and each batch's dedup log entries before
 * its posts. On KM_OK the posts of batch are taken (batch is left empty; src stays
 * borrowed until the confirmation). *prev (may be NULL) gets the counts of the batch
 * this call confirmed and *confirmed (may be NULL) whether there was one. Returns KM_OK,
 * or KM_RETRY / KM_ERR with err set: then nothing of batch is written (it keeps its posts
 * and can be committed again, its escalations are owed) and, if the earlier batch failed
 * (*confirmed false), nothing of that one either. Not thread-safe. */
int km_committer_send(struct km_committer *c, const struct km_watch *w,
                      const struct km_source_info *src, struct km_post_batch *batch,
                      const char *cursor, struct km_commit_counts *prev, bool *confirmed,
                      struct km_err *err);

/* Waits for the batch km_committer_send() sent, if any, and completes it (escalations,
 * log line, counters). counts and confirmed may be NULL, and so may err. Returns KM_OK
 * (*confirmed tells whether a batch was confirmed) or the write's KM_RETRY / KM_ERR (its
 * escalations are then owed). km_committer_commit() and km_committer_free() call it
 * first. */
int km_committer_wait(struct km_committer *c, struct km_commit_counts *counts, bool *confirmed,
                      struct km_err *err);

/* The same without duplicate detection or scoring (tags only): for tools and tests. */
int km_collect_commit(struct km_queue *q, const struct km_tags *tags,
                      const struct km_source_info *src, struct km_post_batch *batch,
                      const char *cursor, struct km_commit_counts *counts, struct km_err *err);

#endif
