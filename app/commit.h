/* The one path from collected posts to the stream, shared by polling (komekd's collect
 * role), webhooks and imports (komekctl import). */
#ifndef KM_APP_COMMIT_H
#define KM_APP_COMMIT_H

#include "collectors/runtime.h"
#include "common/err.h"
#include "parser/post.h"
#include "queue/queue.h"
#include "triage/tags.h"

#include <stddef.h>

/* What one commit did, for logs and counters. */
struct km_commit_counts {
    size_t seen, dropped, added, dups;
};

/* Filters batch with the watched tags (triage; dropped posts are freed) and
 * writes what is kept, with cursor (NULL = none), in one MULTI/EXEC. Returns KM_OK, or
 * KM_RETRY (Redis unreachable: nothing was written) with err set. counts may be NULL. */
int km_collect_commit(struct km_queue *q, const struct km_tags *tags,
                      const struct km_source_info *src, struct km_post_batch *batch,
                      const char *cursor, struct km_commit_counts *counts, struct km_err *err);

#endif
