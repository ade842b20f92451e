#include "common/log.h"

#include "common/time.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* One log line; longer messages are truncated rather than split, to keep lines atomic. */
#define LOG_LINE_MAX 2048
#define COMPLAIN_FIRST_MS 10000
#define COMPLAIN_MAX_MS 3600000

static enum km_log_level log_level = KM_LOG_LEVEL_INFO;
static const char *log_ident = "komek";

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void km_log_set_level(enum km_log_level level)
{
    log_level = level;
}

enum km_log_level km_log_get_level(void)
{
    return log_level;
}

void km_log_set_ident(const char *ident)
{
    log_ident = ident;
}

int km_log_level_parse(const char *name)
{
    static const char *const lower[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(name, lower[i]) == 0) {
            return i;
        }
    }
    if (strcasecmp(name, "warning") == 0) {
        return KM_LOG_LEVEL_WARN;
    }
    return -1;
}

static void log_v(enum km_log_level level, const char *scope, const char *fmt, va_list ap)
{
    if (level > log_level) {
        return;
    }
    char line[LOG_LINE_MAX];
    char ts[40];
    km_time_format_rfc3339(km_time_now_ms(), ts, sizeof(ts));
    int n = snprintf(line, sizeof(line), "%s %s[%d] %s ", ts, log_ident, (int)getpid(),
                     level_names[level]);
    if (scope != NULL && n > 0 && (size_t)n < sizeof(line)) {
        n += snprintf(line + n, sizeof(line) - (size_t)n, "[%s] ", scope);
    }
    if (n > 0 && (size_t)n < sizeof(line)) {
        n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    }
    if (n < 0) {
        return;
    }
    if ((size_t)n >= sizeof(line) - 1) {
        n = (int)sizeof(line) - 2;
    }
    line[n++] = '\n';
    /* A failing log destination must never stop the daemon: ignore the result. */
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    (void)w;
}

void km_log(enum km_log_level level, const char *scope, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_v(level, scope, fmt, ap);
    va_end(ap);
}

void km_vcomplain(struct km_complaint *c, const char *scope, const char *fmt, va_list ap)
{
    int64_t now = km_time_mono_ms();
    if (c->last_fmt != fmt) {
        c->interval_ms = 0; /* a new kind of failure: say it now */
        c->last_fmt = fmt;
    }
    if (c->interval_ms != 0 && now < c->next_ms) {
        c->suppressed++;
        return;
    }
    c->interval_ms = c->interval_ms == 0 ? COMPLAIN_FIRST_MS : c->interval_ms * 2;
    if (c->interval_ms > COMPLAIN_MAX_MS) {
        c->interval_ms = COMPLAIN_MAX_MS;
    }
    c->next_ms = now + c->interval_ms;
    char msg[LOG_LINE_MAX / 2];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (c->suppressed > 0) {
        km_log(KM_LOG_LEVEL_WARN, scope, "%s (%llu similar messages suppressed)", msg,
               (unsigned long long)c->suppressed);
    } else {
        km_log(KM_LOG_LEVEL_WARN, scope, "%s", msg);
    }
    c->suppressed = 0;
}

void km_complain(struct km_complaint *c, const char *scope, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    km_vcomplain(c, scope, fmt, ap);
    va_end(ap);
}

void km_complain_release(struct km_complaint *c, const char *scope, const char *what)
{
    if (c->interval_ms != 0) {
        km_log(KM_LOG_LEVEL_INFO, scope, "%s: recovered", what);
    }
    c->interval_ms = 0;
    c->next_ms = 0;
    c->suppressed = 0;
    c->last_fmt = NULL;
}
