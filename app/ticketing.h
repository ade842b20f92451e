/* The ticket side of the tickets role (issue 5). It runs on the role's thread and
 * connection after every committed batch and whenever the stream is idle
 * (km_tickets_opts.after):
 *
 *   - at start and after every reload of the watch (SIGHUP), it mirrors routing.conf's
 *     agencies (km_ticket_sync_agencies) and places.conf (km_places_sync) into PostgreSQL;
 *     a places file with errors keeps the table as it was;
 *   - it creates the tickets [auto_ticket] asks for (km_ticket_auto_sweep) after a batch
 *     that stored posts, and at least every KM_TICKETING_SWEEP_MS;
 *   - it publishes the events outbox to {ns}:events (km_outbox_publish) until it is empty;
 *   - every KM_TICKETING_GAUGES_MS it refreshes the ticket gauges of /metrics (overdue
 *     tickets by kind, open tickets, unpublished events).
 *
 * Not thread-safe: one per tickets role. */
#ifndef KM_APP_TICKETING_H
#define KM_APP_TICKETING_H

#include "app/shared.h"
#include "common/conf.h"
#include "common/err.h"
#include "db/db.h"
#include "db/places.h"

#include <stddef.h>
#include <stdio.h>

#define KM_TICKETING_SWEEP_MS  30000
#define KM_TICKETING_GAUGES_MS 15000

struct km_ticketing;

/* Prepares the work for cfg (ticket_prefix, places, Redis for the events) with the watch
 * whose routing it uses (borrowed; must outlive it). Does not connect. Returns KM_OK with
 * *out (free with km_ticketing_free()) or KM_EINPUT (bad Redis URL). */
int km_ticketing_new(const struct km_config *cfg, struct km_shared *watch,
                     struct km_ticketing **out, struct km_err *err);
void km_ticketing_free(struct km_ticketing *t);

/* The km_tickets_opts.after hook: ctx is the struct km_ticketing. Returns KM_OK, KM_RETRY
 * (PostgreSQL or Redis unreachable: called again after the role's backoff) or KM_ERR. */
int km_ticketing_after(void *ctx, struct km_db *db, size_t stored, struct km_err *err);

/* Loads cfg's places file into *out. A `places` key that is not set and whose default file
 * does not exist is no error: *out is then NULL. *path (caller frees) is the file's path.
 * Bad lines go to report as FILE:LINE. Returns KM_OK, KM_EINPUT or KM_ERR. */
int km_app_load_places(const struct km_config *cfg, FILE *report, struct km_places **out,
                       char **path);

#endif
