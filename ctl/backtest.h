/* komekctl backtest: re-triages the posts stored in PostgreSQL with another lexicon (and
 * optionally another routing.conf) and reports what would change before it goes live. */
#ifndef KM_CTL_BACKTEST_H
#define KM_CTL_BACKTEST_H

#include "common/conf.h"

/* `komekctl backtest --lexicon DIR [--routing FILE] [--since RFC3339] [--limit N] [--json]`
 * with argv[0] = "backtest". Reads the scored posts of cfg's [komek] postgres in batches
 * (never all rows at once), scores each one at its own created_at with the incident size it
 * had then, and writes to stdout a summary (posts compared, category moves, the priority
 * from/to matrix, moves up and down) and up to N changed posts (default 20) with their new
 * reasons; --json writes all of it as one JSON object. Problems go to stderr. Returns the
 * exit status: 0, 1 (PostgreSQL failed or a stored post could not be decoded) or 2 (usage,
 * or a bad lexicon or routing line, each reported as "FILE:LINE: message"). */
int km_ctl_backtest(const struct km_config *cfg, int argc, char **argv);

#endif
