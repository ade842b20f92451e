#include "app/commit.h"

#include "common/log.h"
#include "triage/filter.h"

#include <stdio.h>

int km_collect_commit(struct km_queue *q, const struct km_tags *tags,
                      const struct km_source_info *src, struct km_post_batch *batch,
                      const char *cursor, struct km_commit_counts *counts, struct km_err *err)
{
    struct km_commit_counts c = {.seen = batch->n};
    c.dropped = km_triage_filter_batch(tags, batch, src->require_tags);
    int rc = km_queue_write_batch(q, src->name, batch, cursor, &c.added, &c.dups, err);
    if (rc != KM_OK) {
        return rc == KM_EINPUT ? KM_ERR : rc; /* the filter dropped posts without ids */
    }
    if (c.seen > 0) {
        char scope[160];
        snprintf(scope, sizeof(scope), "collector:%s:%s", src->type, src->name);
        KM_SLOG_INFO(scope, "%zu posts: %zu without a watched tag, %zu new, %zu repeats",
                     c.seen, c.dropped, c.added, c.dups);
    }
    if (counts != NULL) {
        *counts = c;
    }
    return KM_OK;
}

