/* komekctl import: format detection, the JSON lines reader and the loop into the queue.
 * The Telegram Desktop export reader is in app/import_telegram.c. */
#include "app/import.h"

#include "app/commit.h"
#include "app/import_telegram.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/time.h"
#include "parser/hashtag.h"
#include "parser/json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

const char *km_import_format_name(enum km_import_format fmt)
{
    switch (fmt) {
    case KM_IMPORT_TELEGRAM:
        return "telegram";
    case KM_IMPORT_JSONL:
        return "jsonl";
    case KM_IMPORT_AUTO:
        break;
    }
    return "auto";
}

int km_import_format_parse(const char *name, enum km_import_format *out)
{
    static const enum km_import_format all[] = {KM_IMPORT_AUTO, KM_IMPORT_TELEGRAM,
                                                KM_IMPORT_JSONL};
    for (size_t i = 0; name != NULL && i < sizeof(all) / sizeof(all[0]); i++) {
        if (strcmp(name, km_import_format_name(all[i])) == 0) {
            *out = all[i];
            return KM_OK;
        }
    }
    return KM_EINPUT;
}

/* ---- detection ------------------------------------------------------------------------ */

static bool im_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Length of a UTF-8 byte order mark at the start of s[0..n), or 0. */
static size_t im_bom(const char *s, size_t n)
{
    return n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

/* The first non-blank line of buf[0..n), after a UTF-8 BOM, as [*start, *end). */
static void im_first_line(const char *buf, size_t n, size_t *start, size_t *end)
{
    size_t i = im_bom(buf, n);
    while (i < n && im_blank(buf[i])) {
        i++;
    }
    const char *nl = memchr(buf + i, '\n', n - i);
    *start = i;
    *end = nl != NULL ? (size_t)(nl - buf) : n;
}

/* Applies the detection rule (import.h) to the first line buf[0..len); complete says whether
 * the whole line is there. */
static int im_classify(const char *buf, size_t len, bool complete, enum km_import_format *fmt)
{
    yajl_val v = NULL;
    struct km_err jerr = {{0}};
    int rc = KM_OK;
    if (complete && km_json_parse(buf, len, &v, NULL, &jerr) == KM_OK && YAJL_IS_OBJECT(v)) {
        *fmt = km_json_get(v, "messages", NULL) != NULL ? KM_IMPORT_TELEGRAM : KM_IMPORT_JSONL;
    } else if (len > 0 && buf[0] == '{') {
        *fmt = KM_IMPORT_TELEGRAM;
    } else {
        rc = KM_EINPUT;
    }
    km_json_free(v);
    return rc;
}

int km_import_detect(FILE *f, const char *label, enum km_import_format *fmt, struct km_err *err)
{
    char *buf = NULL;
    int rc = KM_OK;
    if (fseek(f, 0, SEEK_SET) != 0) {
        rc = km_err_set(err, KM_EINPUT, "%s: cannot detect the format of a stream; pass --format",
                        label);
        goto out;
    }
    buf = km_malloc(KM_IMPORT_SNIFF_BYTES);
    size_t n = fread(buf, 1, KM_IMPORT_SNIFF_BYTES, f);
    if (ferror(f)) {
        rc = km_err_set(err, KM_ERR, "%s: read error: %s", label, strerror(errno));
        goto out;
    }
    bool at_eof = n < KM_IMPORT_SNIFF_BYTES;
    if (fseek(f, 0, SEEK_SET) != 0) {
        rc = km_err_set(err, KM_ERR, "%s: cannot seek back: %s", label, strerror(errno));
        goto out;
    }
    size_t start = 0;
    size_t end = 0;
    im_first_line(buf, n, &start, &end);
    if (start == n) {
        rc = km_err_set(err, KM_EINPUT, "%s: empty file", label);
    } else if (im_classify(buf + start, end - start, end < n || at_eof, fmt) != KM_OK) {
        rc = km_err_set(err, KM_EINPUT,
                        "%s: neither a Telegram Desktop export nor JSON lines of posts; pass "
                        "--format telegram or --format jsonl",
                        label);
    }
out:
    free(buf);
    return rc;
}

/* ---- shared --------------------------------------------------------------------------- */

void km_import_report(const struct km_import_opts *o, size_t line, const char *fmt, ...)
{
    if (o->report == NULL) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    fprintf(o->report, "%s:%zu: ", o->label, line);
    vfprintf(o->report, fmt, ap);
    fputc('\n', o->report);
    va_end(ap);
}

int km_import_emit(const struct km_import_opts *o, struct km_post_batch *b, bool final,
                   struct km_err *err)
{
    size_t size = o->batch_size > 0 ? o->batch_size : KM_IMPORT_BATCH;
    int rc = KM_OK;
    if (b->n == 0 || (!final && b->n < size)) {
        return KM_OK;
    }
    rc = o->sink(o->sink_ctx, b, err);
    km_post_batch_clear(b);
    return rc;
}

int64_t km_import_collected_at(const struct km_import_opts *o)
{
    return o->collected_at > 0 ? o->collected_at : km_time_now_ms();
}

/* ---- JSON lines ----------------------------------------------------------------------- */

/* Reads one line (without '\n') into line, keeping at most KM_IMPORT_MAX_LINE bytes:
 * *too_long tells whether more were dropped. *got is false at end of input. */
static int jl_read_line(FILE *f, struct km_buf *line, bool *too_long, bool *got)
{
    int c = EOF;
    km_buf_reset(line);
    *too_long = false;
    *got = false;
    while ((c = getc_unlocked(f)) != EOF) {
        *got = true;
        if (c == '\n') {
            break;
        }
        if (line->len < KM_IMPORT_MAX_LINE) {
            km_buf_putc(line, (char)c);
        } else {
            *too_long = true;
        }
    }
    return ferror(f) ? KM_ERR : KM_OK;
}

/* True if s[0..len) is only blanks. */
static bool jl_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (!im_blank(s[i])) {
            return false;
        }
    }
    return true;
}

/* Turns one non-blank line into a post in b, or reports why not. */
static void jl_line(const struct km_import_opts *o, const char *s, size_t len, size_t lineno,
                    bool too_long, struct km_post_batch *b, struct km_import_stats *st)
{
    struct km_post *p = NULL;
    struct km_err perr = {{0}};
    st->read++;
    if (too_long) {
        st->skipped++;
        km_import_report(o, lineno, "line longer than %d bytes", KM_IMPORT_MAX_LINE);
        return;
    }
    if (km_post_from_json(s, len, &p, &perr) != KM_OK) {
        st->skipped++;
        km_import_report(o, lineno, "%s", perr.msg);
        return;
    }
    km_post_set(&p->source, o->source);
    km_hashtags_extract(p->text, strlen(p->text), p); /* for hand-written lines without [] */
    if (p->collected_at == 0) {
        p->collected_at = km_import_collected_at(o);
    }
    km_post_batch_add_take(b, p);
}

int km_import_jsonl(FILE *f, const struct km_import_opts *o, struct km_import_stats *st,
                    struct km_err *err)
{
    struct km_buf line = KM_BUF_INIT;
    struct km_post_batch b;
    km_post_batch_init(&b);
    memset(st, 0, sizeof(*st));
    int rc = KM_OK;
    bool too_long = false;
    bool got = false;
    for (size_t lineno = 1; (rc = jl_read_line(f, &line, &too_long, &got)) == KM_OK && got;
         lineno++) {
        /* an empty line may leave line.data NULL, and NULL + 0 is undefined */
        const char *s = line.data != NULL ? line.data : "";
        size_t off = lineno == 1 ? im_bom(s, line.len) : 0;
        if (!too_long && jl_blank(s + off, line.len - off)) {
            continue;
        }
        jl_line(o, s + off, line.len - off, lineno, too_long, &b, st);
        if ((rc = km_import_emit(o, &b, false, err)) != KM_OK) {
            goto out;
        }
    }
    if (rc != KM_OK) {
        rc = km_err_set(err, KM_ERR, "%s: read error: %s", o->label, strerror(errno));
        goto out;
    }
    rc = km_import_emit(o, &b, true, err);
out:
    km_buf_free(&line);
    km_post_batch_free(&b);
    return rc;
}
/* ---- into the queue ------------------------------------------------------------------- */

struct iq {
    struct km_committer *committer;
    const struct km_watch *watch;
    const struct km_source_info *src;
    struct km_import_totals *t;
};

static int iq_sink(void *ctx, struct km_post_batch *batch, struct km_err *err)
{
    struct iq *iq = ctx;
    struct km_commit_counts c = {0};
    int rc = km_committer_commit(iq->committer, iq->watch, iq->src, batch, NULL, &c, err);
    if (rc == KM_OK) {
        iq->t->kept += c.seen - c.dropped;
        iq->t->dropped += c.dropped;
        iq->t->added += c.added;
        iq->t->dups += c.dups;
        iq->t->batches++;
    }
    return rc;
}

int km_import_to_queue(FILE *f, enum km_import_format fmt, const char *label,
                       struct km_committer *committer, const struct km_watch *watch,
                       const struct km_source_info *src, FILE *report,
                       struct km_import_totals *t, struct km_err *err)
{
    struct iq iq = {.committer = committer, .watch = watch, .src = src, .t = t};
    struct km_import_opts o = {
        .source = src->name, .label = label, .sink = iq_sink, .sink_ctx = &iq, .report = report};
    memset(t, 0, sizeof(*t));
    int rc = KM_OK;
    if (fmt == KM_IMPORT_AUTO && (rc = km_import_detect(f, label, &fmt, err)) != KM_OK) {
        return rc;
    }
    if (fmt == KM_IMPORT_TELEGRAM) {
        return km_import_telegram(f, &o, &t->in, err);
    }
    return km_import_jsonl(f, &o, &t->in, err);
}
