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
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
    char chunk[4096]; /* bytes gathered here and appended in runs, not one call a byte */
    size_t n = 0;
    int c = EOF;
    km_buf_reset(line);
    *too_long = false;
    *got = false;
    while ((c = getc_unlocked(f)) != EOF) {
        *got = true;
        if (c == '\n') {
            break;
        }
        if (line->len + n >= KM_IMPORT_MAX_LINE) {
            *too_long = true;
            continue;
        }
        chunk[n++] = (char)c;
        if (n == sizeof(chunk)) {
            km_buf_append(line, chunk, n);
            n = 0;
        }
    }
    km_buf_append(line, chunk, n);
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
/* ---- reading in a second thread ------------------------------------------------------- */

/* What the reader hands over: a batch, the report lines written since the previous
 * hand-off, its counts at that point and, on the last one, what the reader returned. */
struct im_handoff {
    struct km_post_batch batch;
    char *report; /* malloc'd by open_memstream, or NULL */
    size_t report_len;
    struct km_import_stats st;
    bool last;
    int rc;
    struct km_err err;
};

/* The bounded hand-off between the reader thread and the calling thread. */
struct im_pipe {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct im_handoff slots[KM_IMPORT_AHEAD];
    size_t head, count;
    bool cancel; /* the sink failed: the reader stops at its next hand-off */
    /* the reader thread's own */
    km_import_reader_fn reader;
    FILE *f;
    struct km_import_opts ro; /* o with im_put as sink and report into mem */
    FILE *mem;
    char *mem_buf;
    size_t mem_len;
    struct km_import_stats st;
};

static void im_handoff_free(struct im_handoff *h)
{
    km_post_batch_free(&h->batch);
    free(h->report);
    memset(h, 0, sizeof(*h));
}

/* Takes the report lines written since the last call into h; opens a new stream for the
 * next ones. KM_ERR if it cannot be opened (the caller stops). */
static int im_take_report(struct im_pipe *p, struct im_handoff *h, struct km_err *err)
{
    if (p->mem == NULL) {
        return KM_OK;
    }
    fclose(p->mem); /* sets mem_buf, mem_len */
    h->report = p->mem_buf;
    h->report_len = p->mem_len;
    p->mem_buf = NULL;
    p->mem = open_memstream(&p->mem_buf, &p->mem_len);
    p->ro.report = p->mem;
    if (p->mem == NULL) {
        return km_err_set(err, KM_ERR, "%s: open_memstream: %s", p->ro.label, strerror(errno));
    }
    return KM_OK;
}

/* Reader side: queues h, waiting for a free slot. KM_ERR (h freed) once the sink failed. */
static int im_push(struct im_pipe *p, struct im_handoff *h, struct km_err *err)
{
    int rc = KM_OK;
    pthread_mutex_lock(&p->mu);
    while (p->count == KM_IMPORT_AHEAD && !p->cancel) {
        pthread_cond_wait(&p->cv, &p->mu);
    }
    if (p->cancel) {
        rc = km_err_set(err, KM_ERR, "%s: import stopped", p->ro.label);
    } else {
        p->slots[(p->head + p->count) % KM_IMPORT_AHEAD] = *h;
        p->count++;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    if (rc != KM_OK) {
        im_handoff_free(h);
    }
    return rc;
}

/* The reader's sink: moves the batch into the hand-off with its reports and counts. */
static int im_put(void *ctx, struct km_post_batch *batch, struct km_err *err)
{
    struct im_pipe *p = ctx;
    struct im_handoff h = {.batch = *batch, .st = p->st};
    km_post_batch_init(batch);
    int rc = im_take_report(p, &h, err);
    return rc == KM_OK ? im_push(p, &h, err) : rc;
}

static void *im_reader_main(void *arg)
{
    struct im_pipe *p = arg;
    struct im_handoff h = {.last = true};
    h.rc = p->reader(p->f, &p->ro, &p->st, &h.err);
    km_post_batch_init(&h.batch);
    h.st = p->st;
    struct km_err terr = {{0}};
    if (im_take_report(p, &h, &terr) != KM_OK && h.rc == KM_OK) {
        h.rc = KM_ERR;
        h.err = terr;
    }
    im_push(p, &h, &terr); /* after a failed sink nobody waits for it */
    return NULL;
}

/* Caller side: the next hand-off, waiting for the reader. */
static void im_pop(struct im_pipe *p, struct im_handoff *h)
{
    pthread_mutex_lock(&p->mu);
    while (p->count == 0) {
        pthread_cond_wait(&p->cv, &p->mu);
    }
    *h = p->slots[p->head];
    p->head = (p->head + 1) % KM_IMPORT_AHEAD;
    p->count--;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

/* Caller side: hands every batch to the sink, in order, until the last hand-off or a
 * failed sink. */
static int im_consume(struct im_pipe *p, const struct km_import_opts *o, struct km_import_stats *st,
                      struct km_err *err)
{
    int rc = KM_OK;
    for (bool done = false; !done;) {
        struct im_handoff h;
        im_pop(p, &h);
        if (h.report_len > 0 && o->report != NULL) {
            fwrite(h.report, 1, h.report_len, o->report);
        }
        *st = h.st;
        done = h.last;
        if (h.last) {
            rc = h.rc;
            *err = h.err;
        } else {
            rc = o->sink(o->sink_ctx, &h.batch, err);
            done = rc != KM_OK;
        }
        im_handoff_free(&h);
    }
    return rc;
}

/* Stops the reader (if it still runs), waits for it and frees what it handed over. */
static void im_finish(struct im_pipe *p, pthread_t tid)
{
    pthread_mutex_lock(&p->mu);
    p->cancel = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(tid, NULL);
    for (; p->count > 0; p->count--, p->head = (p->head + 1) % KM_IMPORT_AHEAD) {
        im_handoff_free(&p->slots[p->head]);
    }
    if (p->mem != NULL) {
        fclose(p->mem);
    }
    free(p->mem_buf);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
}

int km_import_overlapped(km_import_reader_fn reader, FILE *f, const struct km_import_opts *o,
                         struct km_import_stats *st, struct km_err *err)
{
    struct im_pipe *p = km_calloc(1, sizeof(*p));
    pthread_t tid;
    int rc = KM_OK;
    memset(st, 0, sizeof(*st));
    p->reader = reader;
    p->f = f;
    p->ro = *o;
    p->ro.sink = im_put;
    p->ro.sink_ctx = p;
    p->mem = o->report != NULL ? open_memstream(&p->mem_buf, &p->mem_len) : NULL;
    p->ro.report = p->mem;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if ((o->report != NULL && p->mem == NULL) ||
        pthread_create(&tid, NULL, im_reader_main, p) != 0) {
        /* the same work in this thread: slower, same result */
        if (p->mem != NULL) {
            fclose(p->mem);
            p->mem = NULL;
        }
        free(p->mem_buf);
        p->mem_buf = NULL;
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
        rc = reader(f, o, st, err);
        goto out;
    }
    rc = im_consume(p, o, st, err);
    im_finish(p, tid);
out:
    free(p);
    return rc;
}

/* ---- into the queue ------------------------------------------------------------------- */

struct iq {
    struct km_committer *committer;
    const struct km_watch *watch;
    const struct km_source_info *src;
    struct km_import_totals *t;
};

/* Adds one confirmed batch's counts to the totals. */
static void iq_count(struct iq *iq, const struct km_commit_counts *c)
{
    iq->t->kept += c->seen - c->dropped;
    iq->t->dropped += c->dropped;
    iq->t->added += c->added;
    iq->t->dups += c->dups;
    iq->t->batches++;
}

/* Commits batch while Redis still writes the one before (km_committer_send()). */
static int iq_sink(void *ctx, struct km_post_batch *batch, struct km_err *err)
{
    struct iq *iq = ctx;
    struct km_commit_counts c = {0};
    bool confirmed = false;
    int rc = km_committer_send(iq->committer, iq->watch, iq->src, batch, NULL, &c, &confirmed, err);
    if (confirmed) {
        iq_count(iq, &c);
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
    km_import_reader_fn reader = fmt == KM_IMPORT_TELEGRAM ? km_import_telegram : km_import_jsonl;
    /* A second reading thread only for a regular file: from a pipe (import -) it could sit
     * in a read that never returns after a failed commit, and komekctl would not exit. */
    struct stat sb;
    bool regular = fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode);
    rc = regular ? km_import_overlapped(reader, f, &o, &t->in, err) : reader(f, &o, &t->in, err);
    /* the last batch sent (also before a read error: what was sent is counted) */
    struct km_commit_counts c = {0};
    bool confirmed = false;
    struct km_err werr = {{0}};
    int wrc = km_committer_wait(committer, &c, &confirmed, &werr);
    if (confirmed) {
        iq_count(&iq, &c);
    }
    if (wrc != KM_OK && rc == KM_OK) {
        rc = wrc;
        *err = werr;
    }
    return rc;
}
