/* komekctl status: what a running komekd is doing, for a person. */
#ifndef KM_CTL_STATUS_H
#define KM_CTL_STATUS_H

#include "common/conf.h"

/* `komekctl status [--url http://HOST:PORT] [--json]` with argv[0] = "status". Asks the
 * komekd serving cfg's metrics_listen (or --url) for /readyz and /metrics and prints its
 * version and uptime, readiness of Redis and PostgreSQL, the posts stream and its pending
 * entries, one line per source (state, polls, posts, errors by kind, backoff, cursor age),
 * triage counts by priority, duplicates and escalations, tickets and HTTP answers; --json
 * writes {"url", "ready", "readyz", "metrics": {"name{labels}": value}}. Returns the exit
 * status: 0 when komekd answers and is ready, 1 when it does not answer or is not ready,
 * 2 for a usage error. */
int km_ctl_status(const struct km_config *cfg, int argc, char **argv);

#endif
