/* komekctl ticket ... and komekctl events publish: operators' and supervisors' command line
 * for the tickets of db/ticket.h. Every change is published to {ns}:events right after its
 * COMMIT (what cannot be published stays in the outbox for the tickets role). */
#ifndef KM_CTL_TICKET_H
#define KM_CTL_TICKET_H

#include "common/conf.h"

/* `komekctl ticket SUB ...` with argv[0] = "ticket": create, show, list, status, assign,
 * note, export, sweep, agencies (usage in komekctl --help). Output to stdout, problems to
 * stderr. Returns the exit status: 0, 1 (refused or failed: no such ticket, a move the
 * lifecycle refuses, PostgreSQL down) or 2 (usage, bad routing.conf). */
int km_ctl_ticket(const struct km_config *cfg, int argc, char **argv);

/* `komekctl events publish` with argv[0] = "events": publishes the whole outbox. Returns
 * 0, 1 (Redis or PostgreSQL down: the rest stays in the outbox) or 2 (usage). */
int km_ctl_events(const struct km_config *cfg, int argc, char **argv);

#endif
