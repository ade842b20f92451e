/* Reply templates: loader (one pass, every problem reported with FILE:LINE) and renderer. */
#include "collectors/replies.h"

#include "common/alloc.h"
#include "common/buf.h"
#include "common/utf8.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Longest template name: names are short identifiers the desk shows as buttons. */
#define RS_NAME_MAX 64

/* Templates every language must have: the desk offers them for every ticket. */
static const char *const rs_required[] = {"received", "forwarded", "resolved", "need_address"};
/* Placeholders a text may use. */
static const char *const rs_vars[] = {"ticket", "agency", "category"};

#define RS_NREQ  (sizeof(rs_required) / sizeof(rs_required[0]))
#define RS_NVARS (sizeof(rs_vars) / sizeof(rs_vars[0]))

struct rs_lang {
    char *code;
    int line;
};

struct km_replies {
    struct km_reply_template *v; /* strings owned (allocated here) */
    size_t n, cap;
    struct rs_lang *langs;
    size_t n_langs;
};

/* State of one load. */
struct rs_loader {
    const char *path;
    FILE *report;
    struct km_err *err;
    int bad;
    struct km_replies *r;
    const char *cur; /* current language, or NULL before the first section */
};

void km_replies_free(struct km_replies *r)
{
    if (r == NULL) {
        return;
    }
    for (size_t i = 0; i < r->n; i++) {
        free((char *)r->v[i].name);
        free((char *)r->v[i].text);
    }
    for (size_t i = 0; i < r->n_langs; i++) {
        free(r->langs[i].code);
    }
    free(r->v);
    free(r->langs);
    free(r);
}

__attribute__((format(printf, 3, 4))) static void rs_problem(struct rs_loader *ld, int line,
                                                             const char *fmt, ...)
{
    char msg[KM_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (ld->report != NULL) {
        fprintf(ld->report, "%s:%d: %s\n", ld->path, line, msg);
    }
    if (ld->bad++ == 0) {
        km_err_set(ld->err, KM_EINPUT, "%s:%d: %s", ld->path, line, msg);
    }
}

static const struct km_reply_template *rs_find(const struct km_replies *r, const char *lang,
                                               const char *name)
{
    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(r->v[i].lang, lang) == 0 && strcmp(r->v[i].name, name) == 0) {
            return &r->v[i];
        }
    }
    return NULL;
}

/* The length of a known placeholder name at s ("ticket}" -> 6), or 0. */
static size_t rs_var_at(const char *s)
{
    for (size_t i = 0; i < RS_NVARS; i++) {
        size_t n = strlen(rs_vars[i]);
        if (strncmp(s, rs_vars[i], n) == 0 && s[n] == '}') {
            return n;
        }
    }
    return 0;
}

/* Checks the braces of a decoded text. Returns NULL or the problem (in why). */
static const char *rs_check_braces(const char *s, char *why, size_t why_size)
{
    for (const char *p = s; *p != '\0'; p++) {
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            p++;
        } else if (*p == '{' && rs_var_at(p + 1) > 0) {
            p += rs_var_at(p + 1) + 1;
        } else if (*p == '{') {
            size_t n = strcspn(p + 1, "} ");
            snprintf(why, why_size,
                     p[1 + n] == '}' ? "unknown placeholder {%.*s} (use {ticket}, "
                                       "{agency} or {category})"
                                     : "unclosed '{%.*s' (write {{ for a brace)",
                     (int)(n > 40 ? 40 : n), p + 1);
            return why;
        } else if (*p == '}') {
            return "stray '}' (write }} for a brace)";
        }
    }
    return NULL;
}

/* Decodes \n and \\ of value into *out (malloc'd). Returns NULL or the problem. */
static const char *rs_decode(const char *value, char **out, char *why, size_t why_size)
{
    struct km_buf b = KM_BUF_INIT;
    *out = NULL;
    for (const char *p = value; *p != '\0'; p++) {
        if (*p != '\\') {
            km_buf_putc(&b, *p);
        } else if (p[1] == 'n' || p[1] == '\\') {
            km_buf_putc(&b, p[1] == 'n' ? '\n' : '\\');
            p++;
        } else {
            snprintf(why, why_size, "unknown escape '\\%c' (use \\n or \\\\)",
                     p[1] != '\0' ? p[1] : ' ');
            km_buf_free(&b);
            return why;
        }
    }
    *out = km_buf_take(&b);
    return NULL;
}

static char *rs_trim(char *s)
{
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) {
        s[--n] = '\0';
    }
    return s;
}

/* "[xx]": starts language xx. Returns NULL or the problem. */
static const char *rs_section(struct rs_loader *ld, char *s, int line, char *why, size_t wsz)
{
    size_t n = strlen(s);
    if (n < 4 || n > 5 || s[n - 1] != ']' || strspn(s + 1, "abcdefghijklmnopqrstuvwxyz") != n - 2) {
        ld->cur = NULL;
        return "a section must be a language code in lower case, like [ru], [kk] or [en]";
    }
    s[n - 1] = '\0';
    struct km_replies *r = ld->r;
    for (size_t i = 0; i < r->n_langs; i++) {
        if (strcmp(r->langs[i].code, s + 1) == 0) {
            snprintf(why, wsz, "[%s] again (first on line %d)", s + 1, r->langs[i].line);
            ld->cur = NULL;
            return why;
        }
    }
    r->langs = km_realloc(r->langs, (r->n_langs + 1) * sizeof(*r->langs));
    r->langs[r->n_langs] = (struct rs_lang){.code = km_strdup(s + 1), .line = line};
    ld->cur = r->langs[r->n_langs++].code;
    return NULL;
}

static void rs_add(struct km_replies *r, const char *lang, const char *name, char *text, int line)
{
    if (r->n == r->cap) {
        r->cap = r->cap > 0 ? 2 * r->cap : 16;
        r->v = km_realloc(r->v, r->cap * sizeof(*r->v));
    }
    r->v[r->n++] = (struct km_reply_template){
        .name = km_strdup(name), .lang = lang, .text = text, .line = line};
}

/* Checks the NAME of "NAME = text". Returns NULL or the problem. */
static const char *rs_name_problem(const struct rs_loader *ld, const char *name, char *why,
                                   size_t wsz)
{
    size_t n = strlen(name);
    if (n == 0 || n > RS_NAME_MAX || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != n) {
        return "a template name is lower-case letters, digits and '_' (at most 64)";
    }
    if (ld->cur == NULL) {
        snprintf(why, wsz, "template '%s' outside a [language] section", name);
        return why;
    }
    const struct km_reply_template *prev = rs_find(ld->r, ld->cur, name);
    if (prev != NULL) {
        snprintf(why, wsz, "template '%s' set again in [%s] (first on line %d)", name, ld->cur,
                 prev->line);
        return why;
    }
    return NULL;
}

/* "NAME = text". Returns NULL or the problem. */
static const char *rs_template(struct rs_loader *ld, char *s, int line, char *why, size_t wsz)
{
    char *eq = strchr(s, '=');
    if (eq == NULL) {
        return "expected NAME = text";
    }
    *eq = '\0';
    const char *name = rs_trim(s), *value = rs_trim(eq + 1);
    const char *problem = rs_name_problem(ld, name, why, wsz);
    char *text = NULL;
    if (problem == NULL && *value == '\0') {
        snprintf(why, wsz, "template '%s' is empty", name);
        problem = why;
    }
    problem = problem != NULL ? problem : rs_decode(value, &text, why, wsz);
    problem = problem != NULL ? problem : rs_check_braces(text, why, wsz);
    if (problem == NULL && strstr(text, "{ticket}") == NULL) {
        snprintf(why, wsz, "template '%s' does not name {ticket}: citizens quote the number", name);
        problem = why;
    }
    if (problem != NULL) {
        free(text);
        return problem;
    }
    rs_add(ld->r, ld->cur, name, text, line);
    return NULL;
}

static const char *rs_line(struct rs_loader *ld, char *line, int lineno, char *why, size_t wsz)
{
    size_t len = strlen(line);
    if (len > KM_REPLIES_LINE_MAX) {
        return "line longer than 8192 bytes";
    }
    if (!km_utf8_valid(line, len, NULL)) {
        return "invalid UTF-8";
    }
    char *s = rs_trim(line);
    if (*s == '\0' || *s == '#' || *s == ';') {
        return NULL;
    }
    return *s == '[' ? rs_section(ld, s, lineno, why, wsz) : rs_template(ld, s, lineno, why, wsz);
}

/* The first template called name, in any language. */
static const struct km_reply_template *rs_first_named(const struct km_replies *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(r->v[i].name, name) == 0) {
            return &r->v[i];
        }
    }
    return NULL;
}

/* Every language has the standard templates and every name another language has. */
static void rs_check_complete(struct rs_loader *ld)
{
    const struct km_replies *r = ld->r;
    for (size_t l = 0; l < r->n_langs; l++) {
        const struct rs_lang *lang = &r->langs[l];
        for (size_t i = 0; i < RS_NREQ; i++) {
            if (rs_find(r, lang->code, rs_required[i]) == NULL) {
                rs_problem(ld, lang->line, "[%s] lacks template '%s'", lang->code, rs_required[i]);
            }
        }
        for (size_t i = 0; i < r->n; i++) {
            bool standard = false;
            for (size_t k = 0; k < RS_NREQ; k++) {
                standard = standard || strcmp(r->v[i].name, rs_required[k]) == 0;
            }
            if (!standard && rs_find(r, lang->code, r->v[i].name) == NULL &&
                rs_first_named(r, r->v[i].name) == &r->v[i]) {
                rs_problem(ld, lang->line, "[%s] lacks template '%s' (defined in [%s] line %d)",
                           lang->code, r->v[i].name, r->v[i].lang, r->v[i].line);
            }
        }
    }
    if (r->n_langs == 0) {
        rs_problem(ld, 1, "no [language] sections: add [ru], [kk] and [en] with templates");
    }
}

int km_replies_load(const char *path, FILE *report, struct km_replies **out, struct km_err *err)
{
    struct rs_loader ld = {.path = path, .report = report, .err = err};
    ld.r = km_calloc(1, sizeof(*ld.r));
    char *line = NULL, why[KM_ERR_MSG_MAX];
    size_t cap = 0;
    int lineno = 0, rc = KM_OK;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        rc = km_err_set(err, KM_ERR, "%s: cannot open: %s", path, strerror(errno));
        goto out;
    }
    while (getline(&line, &cap, f) >= 0) {
        const char *msg = rs_line(&ld, line, ++lineno, why, sizeof(why));
        if (msg != NULL) {
            rs_problem(&ld, lineno, "%s", msg);
        }
    }
    if (ferror(f)) {
        rc = km_err_set(err, KM_ERR, "%s: read error", path);
        goto out;
    }
    rs_check_complete(&ld);
    rc = ld.bad > 0 ? KM_EINPUT : KM_OK;
out:
    if (f != NULL) {
        fclose(f);
    }
    free(line);
    if (rc != KM_OK) {
        km_replies_free(ld.r);
        ld.r = NULL;
    }
    *out = ld.r;
    return rc;
}

int km_replies_load_config(const struct km_config *cfg, FILE *report, struct km_replies **out,
                           char **path, struct km_err *err)
{
    bool set = false;
    for (size_t i = 0; i < cfg->global->n_entries; i++) {
        set = set || strcmp(cfg->global->entries[i].key, "replies") == 0;
    }
    const char *value = km_section_get(cfg->global, "replies");
    char *full = km_config_path(cfg, value != NULL ? value : "replies.conf");
    int rc = KM_OK;
    *out = NULL;
    if (set || access(full, F_OK) == 0) {
        rc = km_replies_load(full, report, out, err);
    }
    if (path != NULL) {
        *path = full;
    } else {
        free(full);
    }
    return rc;
}

const char *km_replies_lang(const struct km_replies *r, const char *lang)
{
    if (r == NULL || r->n_langs == 0) {
        return NULL;
    }
    size_t n = lang != NULL ? strcspn(lang, "-_") : 0;
    for (size_t i = 0; n > 0 && i < r->n_langs; i++) {
        if (strlen(r->langs[i].code) == n && strncasecmp(r->langs[i].code, lang, n) == 0) {
            return r->langs[i].code;
        }
    }
    return r->langs[0].code;
}

const struct km_reply_template *km_replies_list(const struct km_replies *r, size_t *n)
{
    *n = r != NULL ? r->n : 0;
    return r != NULL ? r->v : NULL;
}

static const char *rs_value(const struct km_reply_vars *vars, const char *name, size_t len)
{
    const char *v = NULL;
    if (vars != NULL && strncmp(name, "ticket", len) == 0) {
        v = vars->ticket;
    } else if (vars != NULL && strncmp(name, "agency", len) == 0) {
        v = vars->agency;
    } else if (vars != NULL && strncmp(name, "category", len) == 0) {
        v = vars->category;
    }
    return v != NULL && *v != '\0' ? v : NULL;
}

int km_replies_render(const struct km_replies *r, const char *name, const char *lang,
                      const struct km_reply_vars *vars, char **text, struct km_err *err)
{
    const char *use = km_replies_lang(r, lang);
    const struct km_reply_template *t = use != NULL && name != NULL ? rs_find(r, use, name) : NULL;
    *text = NULL;
    if (t == NULL) {
        return km_err_set(err, KM_EINPUT, "no reply template '%s'%s%s%s", name != NULL ? name : "",
                          use != NULL ? " in [" : "", use != NULL ? use : "",
                          use != NULL ? "]" : "");
    }
    struct km_buf b = KM_BUF_INIT;
    for (const char *p = t->text; *p != '\0'; p++) {
        size_t n = *p == '{' ? rs_var_at(p + 1) : 0;
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            km_buf_putc(&b, *p++);
        } else if (n > 0) {
            const char *v = rs_value(vars, p + 1, n);
            if (v == NULL) {
                km_buf_free(&b);
                return km_err_set(err, KM_EINPUT, "template '%s' needs {%.*s}", name, (int)n,
                                  p + 1);
            }
            km_buf_puts(&b, v);
            p += n + 1;
        } else {
            km_buf_putc(&b, *p);
        }
    }
    *text = km_buf_take(&b);
    return KM_OK;
}
