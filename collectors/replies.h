/* Reply templates (etc/replies.conf): what operators send to citizens, per language.
 *
 * The file has one section per language ([ru], [kk], [en]: ISO 639-1 codes) and in each
 * "NAME = text" lines; '#' or ';' starts a comment line. A text may use {ticket},
 * {agency} and {category}, "{{" and "}}" for literal braces, "\n" for a line break and
 * "\\" for a backslash. Every language must define the same templates, including the
 * standard ones (received, forwarded, resolved, need_address), and every template must name
 * {ticket}, so that a citizen can quote the number. The first section is the fallback for
 * posts in languages the file has no section for. */
#ifndef KM_COLLECTORS_REPLIES_H
#define KM_COLLECTORS_REPLIES_H

#include "common/conf.h"
#include "common/err.h"

#include <stddef.h>
#include <stdio.h>

/* Longest template line accepted: a reply is a few sentences; Telegram's own limit is
 * 4096 characters. */
#define KM_REPLIES_LINE_MAX 8192

struct km_replies;

/* One template as written (escapes already decoded, placeholders kept). Borrowed from the
 * struct km_replies that returned it. */
struct km_reply_template {
    const char *name;
    const char *lang;
    const char *text;
    int line;
};

/* Values for the placeholders; NULL or "" = not available. */
struct km_reply_vars {
    const char *ticket;   /* ticket number, e.g. "109-2026-000042" */
    const char *agency;   /* agency the problem went to */
    const char *category; /* problem category as shown to citizens */
};

/* Loads and checks path. Every problem goes to report (may be NULL) as one
 * "FILE:LINE: message" line; err gets the first. Returns KM_OK (*out belongs to the caller:
 * km_replies_free()), KM_EINPUT (the file has errors) or KM_ERR (cannot read). */
int km_replies_load(const char *path, FILE *report, struct km_replies **out, struct km_err *err);

/* Loads the file named by [komek] replies of cfg (relative to the config file's folder).
 * If the key is not set and the default file does not exist, returns KM_OK with *out NULL
 * (no templates). *path (may be NULL) gets the resolved path (caller frees). Otherwise as
 * km_replies_load(). */
int km_replies_load_config(const struct km_config *cfg, FILE *report, struct km_replies **out,
                           char **path, struct km_err *err);

/* Frees r. Accepts NULL. */
void km_replies_free(struct km_replies *r);

/* The language whose templates serve lang: lang itself if the file has it (only its
 * primary subtag counts: "kk-KZ" is "kk"), else the first section's. Borrowed from r. */
const char *km_replies_lang(const struct km_replies *r, const char *lang);

/* Every template in file order; *n gets the count. Borrowed from r. */
const struct km_reply_template *km_replies_list(const struct km_replies *r, size_t *n);

/* Renders template name in lang (see km_replies_lang()) with vars. Returns KM_OK with
 * *text (malloc'd, caller frees), or KM_EINPUT if there is no such template or it needs a
 * value vars lacks ("template 'forwarded' needs {agency}"). Thread-safe (r is read only). */
int km_replies_render(const struct km_replies *r, const char *name, const char *lang,
                      const struct km_reply_vars *vars, char **text, struct km_err *err);

#endif
