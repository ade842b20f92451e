#include "triage/tz.h"

#include "common/alloc.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Transitions kept: Asia/Almaty has about 60; a zone with more than this is not real. */
#define TZ_MAX_TRANSITIONS 4096
/* Local time types kept (RFC 8536 allows at most 256). */
#define TZ_MAX_TYPES 256

struct km_tz {
    char *name;
    int64_t *at; /* transition times, Unix seconds, ascending */
    int *offset; /* UTC offset from at[i] on */
    size_t n;
    int before; /* offset before the first transition */
    int after;  /* offset after the last one (footer, when it is a fixed offset) */
};

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static int read_file(const char *path, unsigned char **buf, size_t *len, struct km_err *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return km_err_set(err, KM_ERR, "%s: cannot open: %s", path, strerror(errno));
    }
    *buf = km_malloc(KM_TZ_MAX_FILE_BYTES + 1);
    *len = fread(*buf, 1, KM_TZ_MAX_FILE_BYTES + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || *len > KM_TZ_MAX_FILE_BYTES) {
        return km_err_set(err, bad ? KM_ERR : KM_EINPUT, "%s: %s", path,
                          bad ? "read error" : "too large for a TZif file");
    }
    return KM_OK;
}

/* Parses a POSIX TZ footer of a fixed zone ("<+05>-5", "UTC0"); false if it has rules. */
static bool footer_offset(const char *s, const char *end, int *offset)
{
    if (s < end && *s == '<') {
        while (s < end && *s != '>') {
            s++;
        }
        s++;
    } else {
        while (s < end && isalpha((unsigned char)*s)) {
            s++;
        }
    }
    if (s >= end || memchr(s, ',', (size_t)(end - s)) != NULL) {
        return false;
    }
    int sign = 1;
    if (*s == '+' || *s == '-') {
        sign = *s == '-' ? -1 : 1;
        s++;
    }
    int h = 0, m = 0;
    while (s < end && isdigit((unsigned char)*s)) {
        h = h * 10 + (*s++ - '0');
    }
    if (s < end && *s == ':') {
        s++;
        while (s < end && isdigit((unsigned char)*s)) {
            m = m * 10 + (*s++ - '0');
        }
    }
    if (s != end || h > 24) {
        return false; /* a DST part follows: rules we do not evaluate */
    }
    *offset = -sign * (h * 3600 + m * 60); /* POSIX offsets are west-positive */
    return true;
}

struct tzif_counts {
    uint32_t isut, isstd, leap, time, type, chars;
};

static void tzif_counts(const unsigned char *h, struct tzif_counts *c)
{
    c->isut = be32(h + 20);
    c->isstd = be32(h + 24);
    c->leap = be32(h + 28);
    c->time = be32(h + 32);
    c->type = be32(h + 36);
    c->chars = be32(h + 40);
}

static size_t tzif_block_len(const struct tzif_counts *c, size_t tsize)
{
    return c->time * tsize + c->time + c->type * 6 + c->chars + c->leap * (tsize + 4) + c->isstd +
           c->isut;
}

/* Fills tz from the data block at d (times of tsize bytes). */
static int tzif_fill(struct km_tz *tz, const unsigned char *d, const struct tzif_counts *c,
                     size_t tsize)
{
    const unsigned char *idx = d + c->time * tsize, *types = idx + c->time;
    tz->n = c->time;
    tz->at = km_calloc(c->time + 1, sizeof(*tz->at));
    tz->offset = km_calloc(c->time + 1, sizeof(*tz->offset));
    for (size_t i = 0; i < c->time; i++) {
        tz->at[i] = tsize == 8 ? be64(d + i * 8) : (int32_t)be32(d + i * 4);
        if (idx[i] >= c->type || (i > 0 && tz->at[i] <= tz->at[i - 1])) {
            return KM_EINPUT;
        }
        tz->offset[i] = (int32_t)be32(types + idx[i] * 6);
    }
    tz->before = (int32_t)be32(types); /* RFC 8536: type 0 applies before the first */
    tz->after = c->time > 0 ? tz->offset[c->time - 1] : tz->before;
    return KM_OK;
}

static int tzif_parse(struct km_tz *tz, const unsigned char *b, size_t len)
{
    struct tzif_counts c;
    if (len < 44 || memcmp(b, "TZif", 4) != 0) {
        return KM_EINPUT;
    }
    tzif_counts(b, &c);
    if (c.time > TZ_MAX_TRANSITIONS || c.type == 0 || c.type > TZ_MAX_TYPES ||
        c.leap > TZ_MAX_TRANSITIONS || c.chars > 4096 || c.isut > c.type || c.isstd > c.type) {
        return KM_EINPUT;
    }
    size_t v1 = 44 + tzif_block_len(&c, 4);
    if (b[4] < '2') {
        return v1 <= len ? tzif_fill(tz, b + 44, &c, 4) : KM_EINPUT;
    }
    const unsigned char *h2 = b + v1;
    if (v1 + 44 > len || memcmp(h2, "TZif", 4) != 0) {
        return KM_EINPUT;
    }
    tzif_counts(h2, &c);
    if (c.time > TZ_MAX_TRANSITIONS || c.type == 0 || c.type > TZ_MAX_TYPES ||
        c.leap > TZ_MAX_TRANSITIONS || c.chars > 4096 || c.isut > c.type || c.isstd > c.type) {
        return KM_EINPUT;
    }
    size_t end = v1 + 44 + tzif_block_len(&c, 8);
    if (end > len || tzif_fill(tz, h2 + 44, &c, 8) != KM_OK) {
        return KM_EINPUT;
    }
    const char *foot = (const char *)b + end, *fend = (const char *)b + len;
    if (foot < fend && *foot == '\n') {
        const char *nl = memchr(foot + 1, '\n', (size_t)(fend - foot - 1));
        int off;
        if (nl != NULL && nl > foot + 1 && footer_offset(foot + 1, nl, &off)) {
            tz->after = off;
        }
    }
    return KM_OK;
}

int km_tz_load(const char *name, struct km_tz **out, struct km_err *err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    char *path = NULL;
    struct km_tz *tz = km_calloc(1, sizeof(*tz));
    int rc = KM_OK;
    if (name == NULL || *name == '\0' || strstr(name, "..") != NULL) {
        rc = km_err_set(err, KM_EINPUT, "bad time zone name '%s'", name ? name : "");
        goto out;
    }
    const char *dir = getenv("TZDIR");
    path = name[0] == '/' ? km_strdup(name)
                          : km_asprintf("%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
    rc = read_file(path, &buf, &len, err);
    if (rc != KM_OK) {
        goto out;
    }
    tz->name = km_strdup(name);
    if (tzif_parse(tz, buf, len) != KM_OK) {
        rc = km_err_set(err, KM_EINPUT, "%s: not a valid TZif zone file", path);
    }
out:
    free(buf);
    free(path);
    if (rc != KM_OK) {
        km_tz_free(tz);
        tz = NULL;
    }
    *out = tz;
    return rc;
}

void km_tz_free(struct km_tz *tz)
{
    if (tz == NULL) {
        return;
    }
    free(tz->name);
    free(tz->at);
    free(tz->offset);
    free(tz);
}

const char *km_tz_name(const struct km_tz *tz)
{
    return tz->name;
}

int km_tz_offset(const struct km_tz *tz, int64_t unix_ms)
{
    int64_t s = unix_ms >= 0 ? unix_ms / 1000 : -((-unix_ms + 999) / 1000);
    if (tz->n == 0 || s < tz->at[0]) {
        return tz->n == 0 ? tz->after : tz->before;
    }
    if (s >= tz->at[tz->n - 1]) {
        return tz->after;
    }
    size_t lo = 0, hi = tz->n - 1; /* at[lo] <= s < at[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->at[mid] <= s) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return tz->offset[lo];
}

/* Howard Hinnant's civil_from_days: proleptic Gregorian date of a day number. */
static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

void km_tz_localtime(const struct km_tz *tz, int64_t unix_ms, struct km_tz_local *out)
{
    out->offset_s = km_tz_offset(tz, unix_ms);
    int64_t s = (unix_ms >= 0 ? unix_ms / 1000 : -((-unix_ms + 999) / 1000)) + out->offset_s;
    int64_t days = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
    int64_t sod = s - days * 86400;
    civil_from_days(days, &out->year, &out->month, &out->day);
    out->hour = (int)(sod / 3600);
    out->minute = (int)(sod % 3600 / 60);
}
