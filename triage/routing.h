/* etc/routing.conf: which agency acts on each category, the first-reaction time (SLA) per
 * priority, the emergency numbers shown on P1 posts, and the local time rules (zone,
 * night hours, winter months) of the urgency score. INI-like, '#' or ';' starts a comment
 * line:
 *
 *     [time]       zone = Asia/Almaty   night = 22-6   winter = 11-3
 *     [sla]        P1 = 10m ... P4 = 10m           (durations: 90s, 10m, 1h, 2d)
 *     [agency]     CATEGORY = agency name
 *     [emergency]  default = 112   CATEGORY = 104 gas   (shown on P1 posts)
 *
 * Immutable once loaded: any number of threads may read it. */
#ifndef KM_TRIAGE_ROUTING_H
#define KM_TRIAGE_ROUTING_H

#include "common/err.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Default first reaction for every priority: the centre's 10-minute social-media target. */
#define KM_ROUTING_DEFAULT_SLA_MS (10 * 60 * 1000)
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
/* First-reaction time for priority 1..4, in ms. */
int64_t km_routing_sla_ms(const struct km_routing *r, int priority);
/* Zone name for km_tz_load() (borrowed). */
const char *km_routing_zone(const struct km_routing *r);
/* True if local hour 0..23 is night / local month 1..12 is winter. */
bool km_routing_is_night(const struct km_routing *r, int hour);
bool km_routing_is_winter(const struct km_routing *r, int month);
/* The ranges as written ("22-6", "11-3"), for reasons. */
void km_routing_ranges(const struct km_routing *r, int *night_from, int *night_to, int *winter_from,
                       int *winter_to);

#endif
