/* etc/routing.conf: which agency acts on each category, the first-reaction time (SLA) per
 * priority, the emergency numbers shown on P1 posts, and the local time rules (zone,
 * night hours, winter months) of the urgency score. INI-like, '#' or ';' starts a comment
 * line:
 *
 *     [time]        zone = Asia/Almaty   night = 22-6   winter = 11-3
 *     [sla]         P1 = 10m ... P4 = 10m           (durations: 90s, 10m, 1h, 2d)
 *                   default = 10m  CATEGORY = 5m  CATEGORY.P1 = 2m   (first reaction)
 *     [resolve]     default = 7d  P1 = 1d  CATEGORY = 3d  CATEGORY.P2 = 2d  (resolution)
 *     [agency]      CATEGORY = agency name
 *     [emergency]   default = 112   CATEGORY = 104 gas   (shown on P1 posts)
 *     [auto_ticket] default = off   CATEGORY = P2   (ticket for posts of P2 or higher)
 *
 * In [sla] and [resolve] the most specific key wins: CATEGORY.PN, then CATEGORY, then PN,
 * then default, then the built-in default (10 minutes, 7 days). In [auto_ticket] a
 * CATEGORY line (off included) wins over default.
 *
 * Immutable once loaded: any number of threads may read it. */
#ifndef KM_TRIAGE_ROUTING_H
#define KM_TRIAGE_ROUTING_H

#include "common/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Default first reaction for every priority: the centre's 10-minute social-media target. */
#define KM_ROUTING_DEFAULT_SLA_MS (10 * 60 * 1000)
/* Default resolution time: the centre's 7-day deadline for an agency to resolve. */
#define KM_ROUTING_DEFAULT_RESOLVE_MS (7LL * 24 * 3600 * 1000)
/* Longest value accepted (an agency name with its phone number fits easily). */
#define KM_ROUTING_MAX_VALUE 256

struct km_routing;

/* Defaults: zone Asia/Almaty, night 22-6, winter 11-3, every SLA 10 minutes, emergency
 * "112", no agencies. Never NULL; free with km_routing_free(). */
struct km_routing *km_routing_new(void);

/* Loads path over the defaults. Every bad line (unknown section or key, unknown category,
 * bad duration or range, duplicate key) is written to report (may be NULL) as
 * "FILE:LINE: message"; err gets the first. Returns KM_OK with *out owned by the caller
 * (km_routing_free()), KM_EINPUT (bad lines; *out NULL) or KM_ERR (cannot read). */
int km_routing_load(const char *path, FILE *report, struct km_routing **out, struct km_err *err);
void km_routing_free(struct km_routing *r);

/* Agency of a category (borrowed), or NULL when the file names none. */
const char *km_routing_agency(const struct km_routing *r, int category);
/* Emergency numbers for a P1 post of this category (borrowed, never NULL): the category's
 * own line, else "default". */
const char *km_routing_emergency(const struct km_routing *r, int category);
/* First-reaction time for priority 1..4, in ms, ignoring category lines ([sla] PN, else
 * default, else 10 minutes). Kept for callers that know no category. */
int64_t km_routing_sla_ms(const struct km_routing *r, int priority);
/* First-reaction time in ms for a category (KM_CAT_*, or -1 for none) and priority 1..4
 * (anything else counts as 4): [sla] CATEGORY.PN, CATEGORY, PN, default, else 10 min. */
int64_t km_routing_reaction_ms(const struct km_routing *r, int category, int priority);
/* Resolution time in ms, chosen as km_routing_reaction_ms() chooses in [resolve]; 7 days
 * when nothing matches. */
int64_t km_routing_resolve_ms(const struct km_routing *r, int category, int priority);
/* The [auto_ticket] level of a category: 0 = off, N = posts of priority 1..N get a ticket
 * automatically. The CATEGORY line wins over default; default off. */
int km_routing_auto_level(const struct km_routing *r, int category);
/* True if a post of this category and priority 1..4 gets a ticket automatically. */
bool km_routing_auto_ticket(const struct km_routing *r, int category, int priority);

/* One agency of [agency] and the categories routed to it. */
struct km_routing_agency {
    const char *name;    /* borrowed from the routing */
    uint64_t categories; /* bit c set for each KM_CAT_* c routed to it */
};
/* Fills out[0..max) with the distinct agencies of [agency] in category order and returns
 * how many (never more than max; KM_CAT_COUNT is always enough). Names are borrowed from
 * r. Used to mirror the agencies into PostgreSQL. */
size_t km_routing_agencies(const struct km_routing *r, struct km_routing_agency *out, size_t max);
/* Zone name for km_tz_load() (borrowed). */
const char *km_routing_zone(const struct km_routing *r);
/* True if local hour 0..23 is night / local month 1..12 is winter. */
bool km_routing_is_night(const struct km_routing *r, int hour);
bool km_routing_is_winter(const struct km_routing *r, int month);
/* The ranges as written ("22-6", "11-3"), for reasons. */
void km_routing_ranges(const struct km_routing *r, int *night_from, int *night_to, int *winter_from,
                       int *winter_to);

#endif
