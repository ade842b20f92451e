/* komekctl score and the triage part of komekctl check: run the lexicon, scoring and
 * near-duplicate detection of triage/ over text given on the command line or as JSON lines,
 * without Redis or PostgreSQL. */
#ifndef KM_CTL_SCORE_H
#define KM_CTL_SCORE_H

#include "common/conf.h"
#include "triage/score.h"

#include <stdio.h>

/* Loads the lexicon folder and routing.conf that cfg names ([komek] lexicon, routing,
 * relative to the config file), every bad line reported to report as "FILE:LINE: message".
 * Returns KM_OK with *out owned by the caller (km_triage_free()), KM_EINPUT or KM_ERR. */
int km_ctl_triage_load(const struct km_config *cfg, FILE *report, struct km_triage **out);

/* `komekctl score "TEXT"` or `komekctl score --jsonl [--now RFC3339]` with argv[0] =
 * "score". Writes to stdout, problems to stderr. Returns the exit status: 0, 1 (bad input
 * lines, each reported as "stdin:LINE: message") or 2 (usage, lexicon or routing). */
int km_ctl_score(const struct km_config *cfg, int argc, char **argv);

#endif
