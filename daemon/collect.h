/* The collect role of komekd: runs every configured source through the collector runtime,
 * filters what they find (triage) and commits each batch with its cursor to Redis. */
#ifndef KM_DAEMON_COLLECT_H
#define KM_DAEMON_COLLECT_H

#include "common/conf.h"
#include "common/err.h"
#include "app/shared.h"

#include <signal.h>
#include <stdbool.h>

/* Runs until *stop is set (or one round with once). Borrows cfg and watch (a struct km_watch, read per batch).
 * Returns KM_OK, or KM_ERR/KM_EINPUT with err set (e.g. every source failed to start). */
int km_collect_run(const struct km_config *cfg, struct km_shared *watch,
                   volatile sig_atomic_t *stop, bool once, struct km_err *err);

#endif
