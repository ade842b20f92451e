#include "common/time.h"

#include "common/err.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int64_t km_time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t km_time_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm);
 * avoids timegm(), which is not in C11 or POSIX. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

/* Writes v (>= 0) as exactly width decimal digits, zero-padded; returns the end. */
static char *put_digits(char *out, unsigned v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return out + width;
}

/* Longest text km_time_format_rfc3339() writes without snprintf(): "9999-12-31T23:59:59.999Z"
 * and its NUL. */
#define TIME_RFC3339_MAX 25

char *km_time_format_rfc3339(int64_t unix_ms, char *out, size_t size)
{
    /* floor division, without overflow for INT64_MIN */
    int ms = (int)(unix_ms % 1000);
    int64_t secs = unix_ms / 1000 - (ms < 0);
    ms += ms < 0 ? 1000 : 0;
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int rem = (int)(secs - days * 86400);
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    if (y >= 0 && y <= 9999 && size >= TIME_RFC3339_MAX) {
        /* what the snprintf() below writes, digit by digit: this runs for every post written */
        char *p = put_digits(out, (unsigned)y, 4);
        *p++ = '-';
        p = put_digits(p, (unsigned)m, 2);
        *p++ = '-';
        p = put_digits(p, (unsigned)d, 2);
        *p++ = 'T';
        p = put_digits(p, (unsigned)(rem / 3600), 2);
        *p++ = ':';
        p = put_digits(p, (unsigned)(rem / 60 % 60), 2);
        *p++ = ':';
        p = put_digits(p, (unsigned)(rem % 60), 2);
        if (ms != 0) {
            *p++ = '.';
            p = put_digits(p, (unsigned)ms, 3);
        }
        memcpy(p, "Z", 2);
    } else if (ms != 0) {
        snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, m, d, rem / 3600,
                 rem / 60 % 60, rem % 60, ms);
    } else {
        snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, rem / 3600,
                 rem / 60 % 60, rem % 60);
    }
    return out;
}

static int valid_fields(int y, int mo, int d, int h, int mi, int s)
{
    return y >= 1970 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h >= 0 &&
           h <= 23 && mi >= 0 && mi <= 59 && s >= 0 && s <= 60;
}

static int64_t to_unix_ms(int y, int mo, int d, int h, int mi, int s, int ms, int off_min)
{
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + s - (int64_t)off_min * 60;
    return secs * 1000 + ms;
}

/* The value of the count decimal digits at s. */
static int get_digits(const char *s, int count)
{
    int v = 0;
    for (int i = 0; i < count; i++) {
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* "YYYY-MM-DD[Tt ]hh:mm:ss" at the start of s with every digit there: the fields as the sscanf()
 * of km_time_parse_rfc3339() reads them, without its cost. Returns the length read (19), or 0
 * for any other shape (sscanf() then decides). */
static int fixed_fields(const char *s, int *y, int *mo, int *d, int *h, int *mi, int *sec)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    for (int i = 0; shape[i] != '\0'; i++) { /* stops at s's NUL: it matches nothing */
        char c = s[i];
        bool ok = shape[i] == 'd'   ? c >= '0' && c <= '9'
                  : shape[i] == 'T' ? c == 'T' || c == 't' || c == ' '
                                    : c == shape[i];
        if (!ok) {
            return 0;
        }
    }
    *y = get_digits(s, 4);
    *mo = get_digits(s + 5, 2);
    *d = get_digits(s + 8, 2);
    *h = get_digits(s + 11, 2);
    *mi = get_digits(s + 14, 2);
    *sec = get_digits(s + 17, 2);
    return 19;
}

int km_time_parse_rfc3339(const char *s, int64_t *unix_ms)
{
    int y, mo, d, h, mi, sec, n = 0;
    if (s == NULL) {
        return KM_EINPUT;
    }
    n = fixed_fields(s, &y, &mo, &d, &h, &mi, &sec);
    if (n == 0 && (sscanf(s, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec,
                          &n) != 6 ||
                   n == 0)) {
        return KM_EINPUT;
    }
    const char *p = s + n;
    int ms = 0;
    if (*p == '.' || *p == ',') {
        p++;
        int digits = 0;
        while (isdigit((unsigned char)*p)) {
            if (digits < 3) {
                ms = ms * 10 + (*p - '0');
            }
            digits++;
            p++;
        }
        if (digits == 0) {
            return KM_EINPUT;
        }
        for (; digits < 3; digits++) {
            ms *= 10;
        }
    }
    int off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        /* Exactly "HH:MM": sscanf("%2d:%2d") also takes "+5:0" or "+ 5:0", and skipping
         * six bytes then ran past the end of the string. */
        const unsigned char *z = (const unsigned char *)p + 1;
        if (!isdigit(z[0]) || !isdigit(z[1]) || z[2] != ':' || !isdigit(z[3]) || !isdigit(z[4])) {
            return KM_EINPUT;
        }
        int sign = *p == '-' ? -1 : 1;
        off = sign * (((z[0] - '0') * 10 + (z[1] - '0')) * 60 + (z[3] - '0') * 10 + (z[4] - '0'));
        p += 6;
    } else {
        return KM_EINPUT;
    }
    if (*p != '\0' || !valid_fields(y, mo, d, h, mi, sec)) {
        return KM_EINPUT;
    }
    *unix_ms = to_unix_ms(y, mo, d, h, mi, sec, ms, off);
    return KM_OK;
}

static int month_index(const char *name)
{
    static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                         "jul", "aug", "sep", "oct", "nov", "dec"};
    for (int i = 0; i < 12; i++) {
        if (strncasecmp(name, months[i], 3) == 0) {
            return i + 1;
        }
    }
    return 0;
}

static int zone_offset(const char *z, int *off)
{
    if (*z == '\0' || strcasecmp(z, "GMT") == 0 || strcasecmp(z, "UT") == 0 ||
        strcasecmp(z, "UTC") == 0 || strcasecmp(z, "Z") == 0) {
        *off = 0;
        return KM_OK;
    }
    if ((z[0] == '+' || z[0] == '-') && strlen(z) == 5) {
        int v = atoi(z + 1);
        *off = (z[0] == '-' ? -1 : 1) * (v / 100 * 60 + v % 100);
        return KM_OK;
    }
    static const struct {
        const char *name;
        int off;
    } named[] = {{"EST", -300}, {"EDT", -240}, {"CST", -360}, {"CDT", -300},
                 {"MST", -420}, {"MDT", -360}, {"PST", -480}, {"PDT", -420}};
    for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
        if (strcasecmp(z, named[i].name) == 0) {
            *off = named[i].off;
            return KM_OK;
        }
    }
    return KM_EINPUT;
}

int km_time_parse_rfc822(const char *s, int64_t *unix_ms)
{
    if (s == NULL) {
        return KM_EINPUT;
    }
    while (isspace((unsigned char)*s)) {
        s++;
    }
    const char *comma = strchr(s, ',');
    if (comma != NULL) {
        s = comma + 1;
    }
    int d, y, h, mi, sec = 0;
    char mon[16], zone[16] = "";
    int n = sscanf(s, "%d %15s %d %d:%d:%d %15s", &d, mon, &y, &h, &mi, &sec, zone);
    if (n < 6) {
        n = sscanf(s, "%d %15s %d %d:%d %15s", &d, mon, &y, &h, &mi, zone);
        if (n < 5) {
            return KM_EINPUT;
        }
        sec = 0;
    }
    if (y < 100) {
        y += y < 70 ? 2000 : 1900;
    }
    int mo = month_index(mon);
    int off;
    if (mo == 0 || zone_offset(zone, &off) != KM_OK || !valid_fields(y, mo, d, h, mi, sec)) {
        return KM_EINPUT;
    }
    *unix_ms = to_unix_ms(y, mo, d, h, mi, sec, 0, off);
    return KM_OK;
}

int km_duration_parse(const char *s, int64_t *ms)
{
    if (s == NULL || !isdigit((unsigned char)*s)) {
        return KM_EINPUT;
    }
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (v > 1000000000ULL) {
        return KM_EINPUT;
    }
    int64_t mult;
    if (*end == '\0' || strcmp(end, "s") == 0) {
        mult = 1000;
    } else if (strcmp(end, "ms") == 0) {
        mult = 1;
    } else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0) {
        mult = 60000;
    } else if (strcmp(end, "h") == 0) {
        mult = 3600000;
    } else if (strcmp(end, "d") == 0) {
        mult = 86400000;
    } else {
        return KM_EINPUT;
    }
    *ms = (int64_t)v * mult;
    return KM_OK;
}
