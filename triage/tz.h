/* Local time in one zone of the tz database, read from its TZif file at load time.
 *
 * Triage needs the local hour (night) and month (winter) of a post in Asia/Almaty, which
 * moved from UTC+6 to UTC+5 on 1 March 2024. setenv("TZ") + tzset() + localtime_r() would
 * change the zone of the whole process (log timestamps included) and tzset() is not
 * thread-safe, so komek reads the zone's TZif file (RFC 8536) once instead: the transition
 * table gives the right offset for old posts too, and lookups are pure functions over an
 * immutable object that any number of threads may share. */
#ifndef KM_TRIAGE_TZ_H
#define KM_TRIAGE_TZ_H

#include "common/err.h"

#include <stdint.h>

/* Largest TZif file accepted: real zone files are a few KB; a bigger one is not a zone. */
#define KM_TZ_MAX_FILE_BYTES (256 * 1024)

struct km_tz;

/* Broken-down local time. */
struct km_tz_local {
    int year, month, day; /* month 1..12 */
    int hour, minute;     /* 0..23, 0..59 */
    int offset_s;         /* UTC offset in force, seconds east of UTC */
};

/* Loads zone `name` ("Asia/Almaty") from $TZDIR or /usr/share/zoneinfo, or from `name`
 * itself when it starts with '/'. Names with ".." are refused. Returns KM_OK with *out
 * owned by the caller (km_tz_free()), KM_EINPUT (not a TZif file, bad name) or KM_ERR
 * (cannot read), with err set. */
int km_tz_load(const char *name, struct km_tz **out, struct km_err *err);
void km_tz_free(struct km_tz *tz);

/* Name the zone was loaded under (borrowed). */
const char *km_tz_name(const struct km_tz *tz);

/* UTC offset in seconds east of UTC at unix_ms. Thread-safe. */
int km_tz_offset(const struct km_tz *tz, int64_t unix_ms);

/* Local date and time at unix_ms. Thread-safe. */
void km_tz_localtime(const struct km_tz *tz, int64_t unix_ms, struct km_tz_local *out);

#endif
