/* Clock and time-format helpers. All times are int64 milliseconds. */
#ifndef KM_COMMON_TIME_H
#define KM_COMMON_TIME_H

#include <stddef.h>
#include <stdint.h>

/* Wall clock, Unix epoch milliseconds. */
int64_t km_time_now_ms(void);
/* Monotonic clock, for intervals and deadlines. */
int64_t km_time_mono_ms(void);

/* Writes "2026-11-22T18:41:01Z" (or with ".123" when ms is not whole seconds) into out.
 * out needs at least 32 bytes. Returns out. */
char *km_time_format_rfc3339(int64_t unix_ms, char *out, size_t size);

/* Parses RFC 3339 / ISO 8601 ("2026-11-22T18:41:01Z", "...01.123+05:00",
 * "2026-11-22T18:41:01.000Z"). Returns KM_OK or KM_EINPUT. */
int km_time_parse_rfc3339(const char *s, int64_t *unix_ms);

/* Parses RFC 822/1123 dates as used by RSS pubDate and HTTP Last-Modified
 * ("Sun, 22 Nov 2026 18:41:01 GMT", "+0500" zones, day name optional).
 * Returns KM_OK or KM_EINPUT. */
int km_time_parse_rfc822(const char *s, int64_t *unix_ms);

/* Parses a duration: "500ms", "30s", "5m", "1h", "2d"; a bare number means seconds.
 * Returns KM_OK or KM_EINPUT. */
int km_duration_parse(const char *s, int64_t *ms);

#endif
