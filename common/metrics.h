/* Process-wide metrics in the Prometheus text exposition format (version 0.0.4).
 *
 * A family (name, type, help) is declared once; its series are told apart by a label set
 * written as Prometheus writes it, without braces: `source="tg",kind="timeout"` ("" for
 * none). Label values come from km_metric_label() so that quotes, backslashes and newlines
 * in a source name cannot break the output. Values a module knows only when asked (stream
 * length, memory) come from collectors registered with km_metrics_on_scrape(), run at
 * every render.
 *
 * Every function is thread-safe (one mutex): counters are bumped per batch or per request,
 * never per token, so the lock is not contended. Names must match [a-zA-Z_:][a-zA-Z0-9_:]*
 * and are by convention komek_<module>_<what>[_total|_seconds|_bytes]. */
#ifndef KM_COMMON_METRICS_H
#define KM_COMMON_METRICS_H

#include "common/buf.h"

#include <stddef.h>

enum km_metric_type { KM_METRIC_COUNTER, KM_METRIC_GAUGE };

/* Declares a family; declaring it again with the same type changes nothing (modules may
 * declare their families on every start). help is copied. A family with no series is
 * rendered with its HELP and TYPE lines only, so a scraper sees every name from the start. */
void km_metric_declare(const char *name, enum km_metric_type type, const char *help);

/* Adds v (>= 0) to a counter, or to a gauge (any sign). An undeclared name is declared as
 * an untyped-help counter. labels may be NULL or "". */
void km_metric_add(const char *name, const char *labels, double v);
/* Sets a gauge (or a counter that mirrors a total kept elsewhere) to v. */
void km_metric_set(const char *name, const char *labels, double v);
/* The current value, 0 if the series does not exist (tests, komekctl status). */
double km_metric_get(const char *name, const char *labels);

/* Writes `key="value"` to out (appending a ',' first when out is not empty), the value
 * escaped as the format requires (\\ \" \n), invalid UTF-8 replaced. */
void km_metric_label(struct km_buf *out, const char *key, const char *value);

/* A function that sets gauges just before a render (e.g. queries Redis). It runs without
 * the metrics lock held, in the rendering thread, so it may call km_metric_set(). */
typedef void (*km_metrics_scrape_fn)(void *arg);
/* Registers fn(arg) to run at every render, until km_metrics_off_scrape(fn, arg). */
void km_metrics_on_scrape(km_metrics_scrape_fn fn, void *arg);
void km_metrics_off_scrape(km_metrics_scrape_fn fn, void *arg);

/* Runs the scrape functions, then renders every family sorted by name, its series sorted
 * by labels, into out (appended). */
void km_metrics_render(struct km_buf *out);

/* Forgets every family, series and scrape function (tests). */
void km_metrics_reset(void);

#endif
