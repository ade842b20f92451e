/* Logging to stderr or syslog, as text:
 *     2026-11-22T18:41:01Z komekd[123] WARN [collector:telegram:city109] msg
 * or as JSON lines:
 *     {"ts":"2026-11-22T18:41:01.000Z","level":"warn","ident":"komekd","pid":123,
 *      "scope":"collector:telegram:city109","msg":"..."}
 * Thread-safe (a mutex; one write(2) per line). Use the KM_LOG_* macros; KM_SLOG_* add a
 * scope such as "collector:telegram:city109". A line identical to the previous one (same
 * level, scope and text) within KM_LOG_REPEAT_MS is held back and counted, then reported as
 * "last message repeated N times", as syslogd does. km_complain() rate-limits repeated
 * failures the way collectd's c_complain does. A destination that fails (full disk, closed
 * pipe) never stops the caller: the line is dropped and counted in
 * komek_log_write_errors_total. */
#ifndef KM_COMMON_LOG_H
#define KM_COMMON_LOG_H

#include <stdarg.h>
#include <stdint.h>

enum km_log_level { KM_LOG_LEVEL_ERROR = 0, KM_LOG_LEVEL_WARN, KM_LOG_LEVEL_INFO, KM_LOG_LEVEL_DEBUG };

enum km_log_format { KM_LOG_TEXT = 0, KM_LOG_JSON };
enum km_log_target { KM_LOG_STDERR = 0, KM_LOG_SYSLOG };

/* Identical lines closer together than this are folded into one "repeated" line. */
#define KM_LOG_REPEAT_MS 30000

/* Line format and destination (defaults: text on stderr). Syslog uses facility daemon and
 * the ident set below; its lines carry no time stamp or pid (syslog adds them). */
void km_log_set_format(enum km_log_format format);
void km_log_set_target(enum km_log_target target);
/* Parse "text"/"json" and "stderr"/"syslog"; -1 if unknown. */
int km_log_format_parse(const char *name);
int km_log_target_parse(const char *name);
/* Writes out a pending "last message repeated N times" (at exit, in tests). */
void km_log_flush(void);

/* Sets the most verbose level printed (default INFO) and the program name. */
void km_log_set_level(enum km_log_level level);
void km_log_set_ident(const char *ident);
/* Parses "error", "warn", "info", "debug"; returns -1 if unknown. */
int km_log_level_parse(const char *name);
enum km_log_level km_log_get_level(void);

void km_log(enum km_log_level level, const char *scope, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define KM_LOG_ERROR(...) do { km_log(KM_LOG_LEVEL_ERROR, NULL, __VA_ARGS__); } while (0)
#define KM_LOG_WARN(...)  do { km_log(KM_LOG_LEVEL_WARN, NULL, __VA_ARGS__); } while (0)
#define KM_LOG_INFO(...)  do { km_log(KM_LOG_LEVEL_INFO, NULL, __VA_ARGS__); } while (0)
#define KM_LOG_DEBUG(...) do { km_log(KM_LOG_LEVEL_DEBUG, NULL, __VA_ARGS__); } while (0)

#define KM_SLOG_ERROR(scope, ...) do { km_log(KM_LOG_LEVEL_ERROR, (scope), __VA_ARGS__); } while (0)
#define KM_SLOG_WARN(scope, ...)  do { km_log(KM_LOG_LEVEL_WARN, (scope), __VA_ARGS__); } while (0)
#define KM_SLOG_INFO(scope, ...)  do { km_log(KM_LOG_LEVEL_INFO, (scope), __VA_ARGS__); } while (0)
#define KM_SLOG_DEBUG(scope, ...) do { km_log(KM_LOG_LEVEL_DEBUG, (scope), __VA_ARGS__); } while (0)

/* State of one repeated complaint. Zero-initialise. */
struct km_complaint {
    int64_t next_ms;     /* monotonic time before which repeats are suppressed */
    int64_t interval_ms; /* doubles on each repeat, up to one hour */
    uint64_t suppressed; /* repeats not printed since the last line */
    const char *last_fmt; /* call site of the last complaint: a new kind is never held back */
};

/* Logs at WARN the first time, then at most once per (doubling) interval, mentioning how
 * many repeats were suppressed. Repeats are recognised by their format string, so a
 * different kind of failure (another call site) is always logged at once. Not thread-safe per complaint: one owner thread. */
void km_complain(struct km_complaint *c, const char *scope, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* km_complain() with a va_list. */
void km_vcomplain(struct km_complaint *c, const char *scope, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
/* After success: logs "recovered" at INFO if a complaint was active, then resets it. */
void km_complain_release(struct km_complaint *c, const char *scope, const char *what);

#endif
