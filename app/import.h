/* Backfilling (komekctl import): readers that turn a recorded chat into posts, and the loop
 * that sends them through triage and the queue like any collected batch.
 *
 * Two formats:
 *   - a Telegram Desktop export of one chat (result.json, "Export chat history", JSON),
 *     read by km_import_telegram() (app/import_telegram.h).
 *     It is parsed with yajl's streaming parser, one message at a time, so an export of
 *     hundreds of MB needs memory for one batch, not for the file. Post ids, chat ids and
 *     hashtags are those the Bot API collector (collectors/telegram.c) produces for the same
 *     message, so importing a chat komek already polls adds nothing.
 *   - JSON lines: one normalised post per line (km_post_from_json()), blank lines skipped.
 *
 * Detection (KM_IMPORT_AUTO, km_import_detect()): the first non-blank line is read (after
 * an optional UTF-8 BOM). If it is on its own a JSON object, the file is JSON lines, unless
 * that object has a "messages" member (a Telegram export written on one line). Otherwise,
 * if it starts with '{', it is a Telegram export (Telegram Desktop writes "{" alone on the
 * first line). Anything else is refused: pass the format explicitly. */
#ifndef KM_APP_IMPORT_H
#define KM_APP_IMPORT_H

#include "collectors/runtime.h"
#include "common/err.h"
#include "parser/post.h"
#include "queue/queue.h"
#include "triage/tags.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Posts per batch handed to the sink, i.e. per MULTI/EXEC: large enough that a big export
 * takes few round trips, small enough that one transaction stays well under Redis's
 * default 512 MB query buffer and does not block other clients for long. */
#define KM_IMPORT_BATCH 500

/* Longest JSON line accepted (a normalised post is a few KB; a Telegram message is at most
 * 4096 characters). A longer line is reported and skipped without being held in memory. */
#define KM_IMPORT_MAX_LINE (1024 * 1024)

/* How much of a file km_import_detect() reads to find its first line. */
#define KM_IMPORT_SNIFF_BYTES (64 * 1024)

enum km_import_format {
    KM_IMPORT_AUTO,     /* km_import_detect() decides */
    KM_IMPORT_TELEGRAM, /* Telegram Desktop result.json of one chat */
    KM_IMPORT_JSONL,    /* one normalised post per line */
};

/* Receives a batch of posts. Returns KM_OK to go on; any other code stops the reader, which
 * returns it unchanged (the sink fills err). The reader empties the batch afterwards, so
 * the sink may also take posts out of it. */
typedef int (*km_import_sink_fn)(void *ctx, struct km_post_batch *batch, struct km_err *err);

struct km_import_opts {
    const char *source;   /* post->source of every post (the [source NAME]); required */
    const char *label;    /* file name used in messages ("FILE:LINE: ...") */
    size_t batch_size;    /* posts per sink call; 0 = KM_IMPORT_BATCH */
    int64_t collected_at; /* Unix ms for posts without collected_at; 0 = now */
    km_import_sink_fn sink;
    void *sink_ctx;
    FILE *report; /* each skipped item as one "FILE:LINE: message" line; may be NULL */
};

/* What a reader saw. read = posts built + skipped. */
struct km_import_stats {
    size_t read;    /* items that should be posts: messages of type "message", non-blank lines */
    size_t skipped; /* of those, malformed ones (each reported) */
    size_t ignored; /* Telegram service messages and unsupported ones: not posts */
};

/* Name of a format ("auto", "telegram", "jsonl"); and the reverse, KM_OK or KM_EINPUT. */
const char *km_import_format_name(enum km_import_format fmt);
int km_import_format_parse(const char *name, enum km_import_format *out);

/* Tells the format of f by the rule in the file comment, then seeks f back to its start.
 * f must be seekable (a regular file). Returns KM_OK with *fmt, or KM_EINPUT (empty,
 * neither format, or not seekable: pass the format) / KM_ERR (read error) with err set as
 * "LABEL: message". Does not close f. */
int km_import_detect(FILE *f, const char *label, enum km_import_format *fmt, struct km_err *err);

/* Reads JSON lines from f: each non-blank line must be a normalised post. A bad line
 * (invalid JSON, too deep, no network/id/text, longer than KM_IMPORT_MAX_LINE) is reported
 * as "LABEL:LINE: message", counted in st->skipped and skipped; invalid UTF-8 is repaired
 * (U+FFFD). source is set to o->source; collected_at is kept if present (else now);
 * hashtags found in the text are added to hashtags[] (a no-op for posts komek wrote, which
 * already carry them; it lets hand-written lines omit the array). Returns KM_OK
 * (even with skipped lines), KM_ERR for a read error, or the sink's code. */
int km_import_jsonl(FILE *f, const struct km_import_opts *o, struct km_import_stats *st,
                    struct km_err *err);

/* A reader: km_import_jsonl() or km_import_telegram(). */
typedef int (*km_import_reader_fn)(FILE *f, const struct km_import_opts *o,
                                   struct km_import_stats *st, struct km_err *err);

/* Batches the reader of km_import_overlapped() may have ready ahead of the sink: two keep
 * both cores busy (one parses while the other commits) and bound the memory to four
 * batches (two ready, one being filled, one being committed). */
#define KM_IMPORT_AHEAD 2

/* Runs reader(f, o, st, err) in a second thread while the calling thread hands its
 * batches to o->sink, so that reading and parsing the next lines overlaps the commit of
 * the current batch. What the caller sees is what reader(f, o, st, err) alone would give:
 * the same batches in the same order, each report line written to o->report (from the
 * calling thread) before the sink gets the batch that followed it, the same return code
 * and err, and *st as it stood when the reader stopped (after a failed sink: as it stood
 * when that batch was handed over; the lines read ahead are neither counted nor
 * reported). o->sink and o->report are used only from the calling thread; the reader must
 * not touch anything else the sink uses. Falls back to calling reader directly when no
 * thread can be started. Returns what reader would. */
int km_import_overlapped(km_import_reader_fn reader, FILE *f, const struct km_import_opts *o,
                         struct km_import_stats *st, struct km_err *err);

/* For the readers (import.c, import_telegram.c). */

/* Writes "LABEL:LINE: message" (one line) to o->report, if any. */
void km_import_report(const struct km_import_opts *o, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Hands b to o->sink when it holds o->batch_size posts (or, with final, any), then empties
 * it. Returns KM_OK, or the sink's code with err set by the sink. */
int km_import_emit(const struct km_import_opts *o, struct km_post_batch *b, bool final,
                   struct km_err *err);
/* o->collected_at, or now when it is 0. */
int64_t km_import_collected_at(const struct km_import_opts *o);

/* Totals of one import into the queue. */
struct km_import_totals {
    struct km_import_stats in; /* what the reader saw */
    size_t kept;               /* passed triage (new + already known) */
    size_t dropped;            /* without a watched tag (or empty) */
    size_t added, dups;        /* new in the stream / already known to the seen-set */
    size_t batches;            /* batches committed */
};

/* Reads f in format fmt (KM_IMPORT_AUTO: km_import_detect(), needs a seekable f) and
 * commits every batch with km_committer_send(committer, watch, src, batch, cursor NULL):
 * triage, then one MULTI/EXEC per batch into the posts stream and the seen-set, which Redis
 * runs while the next batch is read and triaged (km_committer_wait() after the last). The
 * reader of a regular file runs in a second thread (km_import_overlapped()); a pipe is read
 * in the calling thread, which could otherwise wait for input after a failed commit.
 * Committing stays in the calling thread. Posts get source = src->name. Skipped items are written to report (may be NULL).
 * Stops at the first failed commit: batches before it stay committed (each whole), nothing
 * of the failed one is written, nor of the one after it when the failure shows only as that
 * one is handed over (its lines are then counted in t->in and reported, too). Returns KM_OK, KM_RETRY (Redis unreachable), KM_EINPUT or KM_ERR with err
 * set; *t is filled in every case. Not thread-safe (q is not). */
struct km_committer;
struct km_watch;
int km_import_to_queue(FILE *f, enum km_import_format fmt, const char *label,
                       struct km_committer *committer, const struct km_watch *watch, const struct km_source_info *src, FILE *report,
                       struct km_import_totals *t, struct km_err *err);

#endif
