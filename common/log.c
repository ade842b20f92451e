#include "common/log.h"

#include "common/metrics.h"
#include "common/time.h"
#include "common/utf8.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <syslog.h>
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
static enum km_log_format log_format = KM_LOG_TEXT;
static enum km_log_target log_target = KM_LOG_STDERR;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

/* The last line sent, to fold repeats. */
static struct {
    enum km_log_level level;
    int64_t at_ms; /* monotonic time it was sent; 0 = none */
    uint64_t repeats;
    char scope[128];
    char msg[LOG_LINE_MAX];
} log_last;

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

/* Formats the head of a text line ("TS IDENT[PID] LEVEL [scope] ") into line. */
static int log_text_head(char *line, size_t size, enum km_log_level level, const char *scope)
{
    int n = 0;
    if (log_target == KM_LOG_STDERR) {
        char ts[40];
        km_time_format_rfc3339(km_time_now_ms(), ts, sizeof(ts));
        n = snprintf(line, size, "%s %s[%d] ", ts, log_ident, (int)getpid());
    }
    n += snprintf(line + n, size - (size_t)n, "%s ", level_names[level]);
    if (scope != NULL) {
        n += snprintf(line + n, size - (size_t)n, "[%s] ", scope);
    }
    return n;
}

/* Appends s to line[n..size) as the inside of a JSON string (invalid UTF-8 cleaned). */
static int log_json_str(char *line, size_t size, int n, const char *s)
{
    char *clean = km_utf8_clean(s, strlen(s), NULL);
    for (const unsigned char *c = (const unsigned char *)clean; *c != '\0'; c++) {
        if ((size_t)n + 8 >= size) {
            break;
        }
        if (*c == '"' || *c == '\\') {
            n += snprintf(line + n, size - (size_t)n, "\\%c", *c);
        } else if (*c < 0x20) {
            n += snprintf(line + n, size - (size_t)n, "\\u%04x", *c);
        } else {
            line[n++] = (char)*c;
        }
    }
    free(clean);
    return n;
}

/* Formats one JSON line (without the newline) into line; returns its length. */
static int log_json_line(char *line, size_t size, enum km_log_level level, const char *scope,
                         const char *msg)
{
    static const char *const lower[] = {"error", "warn", "info", "debug"};
    char ts[40];
    km_time_format_rfc3339(km_time_now_ms(), ts, sizeof(ts));
    int n = snprintf(line, size, "{\"ts\":\"%s\",\"level\":\"%s\",\"ident\":\"", ts,
                     lower[level]);
    n = log_json_str(line, size, n, log_ident);
    n += snprintf(line + n, size - (size_t)n, "\",\"pid\":%d", (int)getpid());
    if (scope != NULL) {
        n += snprintf(line + n, size - (size_t)n, ",\"scope\":\"");
        n = log_json_str(line, size, n, scope);
        line[n++] = '"';
    }
    n += snprintf(line + n, size - (size_t)n, ",\"msg\":\"");
    n = log_json_str(line, size, n, msg);
    n += snprintf(line + n, size - (size_t)n, "\"}");
    return n < (int)size ? n : (int)size - 1;
}

/* Sends one formatted message to the destination; the lock is held. */
static void log_emit(enum km_log_level level, const char *scope, const char *msg)
{
    char line[LOG_LINE_MAX + 512];
    int n;
    if (log_format == KM_LOG_JSON) {
        n = log_json_line(line, sizeof(line) - 1, level, scope, msg);
    } else {
        n = log_text_head(line, sizeof(line), level, scope);
        n += snprintf(line + n, sizeof(line) - (size_t)n, "%s", msg);
        n = n < (int)sizeof(line) - 1 ? n : (int)sizeof(line) - 2;
    }
    if (log_target == KM_LOG_SYSLOG) {
        static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
        line[n] = '\0';
        syslog(prio[level], "%s", line);
        return;
    }
    line[n++] = '\n';
    /* A failing log destination must never stop the daemon: count the loss, go on. */
    if (write(STDERR_FILENO, line, (size_t)n) != (ssize_t)n) {
        km_metric_add("komek_log_write_errors_total", NULL, 1);
    }
}

/* The repeat that was held back, if any; the lock is held. */
static void log_flush_locked(void)
{
    if (log_last.repeats > 0) {
        char msg[96];
        snprintf(msg, sizeof(msg), "last message repeated %llu times",
                 (unsigned long long)log_last.repeats);
        log_emit(log_last.level, log_last.scope[0] != '\0' ? log_last.scope : NULL, msg);
    }
    log_last.repeats = 0;
}

/* True if this line repeats the previous one recently: it is then only counted. */
static bool log_is_repeat(enum km_log_level level, const char *scope, const char *msg)
{
    int64_t now = km_time_mono_ms();
    const char *sc = scope != NULL ? scope : "";
    if (log_last.at_ms != 0 && log_last.level == level && now - log_last.at_ms < KM_LOG_REPEAT_MS &&
        strcmp(log_last.scope, sc) == 0 && strcmp(log_last.msg, msg) == 0) {
        log_last.repeats++;
        return true;
    }
    log_flush_locked();
    log_last.level = level;
    log_last.at_ms = now;
    snprintf(log_last.scope, sizeof(log_last.scope), "%s", sc);
    snprintf(log_last.msg, sizeof(log_last.msg), "%s", msg);
    return false;
}

static void log_v(enum km_log_level level, const char *scope, const char *fmt, va_list ap)
{
    if (level > log_level) {
        return;
    }
    char msg[LOG_LINE_MAX];
    if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0) {
        return;
    }
    pthread_mutex_lock(&log_lock);
    if (!log_is_repeat(level, scope, msg)) {
        log_emit(level, scope, msg);
    }
    pthread_mutex_unlock(&log_lock);
}

void km_log_flush(void)
{
    pthread_mutex_lock(&log_lock);
    log_flush_locked();
    log_last.at_ms = 0;
    pthread_mutex_unlock(&log_lock);
}

void km_log_set_format(enum km_log_format format)
{
    log_format = format;
}

void km_log_set_target(enum km_log_target target)
{
    if (target == KM_LOG_SYSLOG && log_target != KM_LOG_SYSLOG) {
        openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
    }
    log_target = target;
}

int km_log_format_parse(const char *name)
{
    return strcasecmp(name, "text") == 0 ? KM_LOG_TEXT
           : strcasecmp(name, "json") == 0 ? KM_LOG_JSON
                                           : -1;
}

int km_log_target_parse(const char *name)
{
    return strcasecmp(name, "stderr") == 0 ? KM_LOG_STDERR
           : strcasecmp(name, "syslog") == 0 ? KM_LOG_SYSLOG
                                             : -1;
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
