/* Start-up shared by komekd and komekctl: finding and loading the configuration and
 * turning its [komek] section into the options of each module. */
#ifndef KM_APP_SETUP_H
#define KM_APP_SETUP_H

#include "common/conf.h"
#include "common/err.h"
#include "queue/queue.h"

/* The config file used when -c is not given: etc/komek.conf if it exists in the current
 * folder (a build tree), else KM_SYSCONFDIR/komek.conf. Borrowed static string. */
const char *km_app_default_config(void);

/* Loads and validates path with every collector's keys; prints every problem to stderr as
 * "FILE:LINE: message". Returns KM_OK with *cfg (free with km_config_free()), or the
 * loader's code. */
int km_app_load_config(const char *path, struct km_config **cfg, struct km_err *err);

/* Runs every enabled source's collector create() and destroy(), so that checks only a
 * collector knows (token format, URL scheme, tag count) fail --check-config rather than the
 * start. Prints each problem to stderr. Returns KM_OK or KM_EINPUT. */
int km_app_check_sources(const struct km_config *cfg);

/* Loads the watched-tags list named by [komek] tags =, printing every problem (and a
 * warning when it is empty) to stderr. Returns KM_OK with *tags (free with km_tags_free()),
 * or KM_EINPUT / KM_ERR. */
struct km_tags;
int km_app_load_tags(const struct km_config *cfg, struct km_tags **tags);

/* Fills opts from [komek]; the strings are borrowed from cfg. */
void km_app_queue_opts(const struct km_config *cfg, struct km_queue_opts *opts);

/* Consumer name for the stream groups: "consumer =" or the host name. Returns a malloc'd
 * string; caller frees. */
char *km_app_consumer_name(const struct km_config *cfg);

/* Applies log_level, log_format and log_target from [komek]. */
void km_app_apply_logging(const struct km_config *cfg);

#endif
