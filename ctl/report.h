/* komekctl report agencies|problems and komekctl places: the ratings of issue 5 as text
 * tables or JSON (db/report.h), and etc/places.conf checked and synced into PostgreSQL
 * (db/places.h). */
#ifndef KM_CTL_REPORT_H
#define KM_CTL_REPORT_H

#include "common/conf.h"

#include <stdio.h>

/* `komekctl report agencies [--from DATE] [--to DATE] [--json]` or `komekctl report problems
 * [--from DATE] [--to DATE] [--category C] [--limit N] [--json]` with argv[0] = "report".
 * DATE is YYYY-MM-DD (local, Asia/Almaty; --to includes that day) or RFC 3339; the default
 * range is the last 30 days. Writes to stdout, problems to stderr. Returns the exit status:
 * 0, 1 (PostgreSQL failed or the schema is older than 004) or 2 (usage, bad date). */
int km_ctl_report(const struct km_config *cfg, int argc, char **argv);

/* `komekctl places [sync]` with argv[0] = "places": checks the places file of cfg ([komek]
 * places) and prints how many places of each kind it has; with sync, also makes the
 * database's places table match it and re-places the stored posts. Returns 0, 1
 * (PostgreSQL) or 2 (usage or a bad line, each reported as FILE:LINE). */
int km_ctl_places(const struct km_config *cfg, int argc, char **argv);

/* The places part of `komekctl check`: loads cfg's places file, every bad line reported to
 * report as "FILE:LINE: message". A missing file is an error only if [komek] places names
 * it (the default places.conf may be absent: the problems report then knows no place).
 * Returns KM_OK, KM_EINPUT or KM_ERR. */
int km_ctl_places_check(const struct km_config *cfg, FILE *report);

#endif
