/* The Telegram Desktop export reader of komekctl import; the rest is in app/import.h. */
#ifndef KM_APP_IMPORT_TELEGRAM_H
#define KM_APP_IMPORT_TELEGRAM_H

#include "app/import.h"

/* Reads a Telegram Desktop export of one chat from f (streamed; the chat's "type" and "id"
 * must precede "messages", as Telegram Desktop writes them). Each message of type "message"
 * becomes a post; service and unsupported messages are counted in st->ignored; a malformed
 * message is reported as "LABEL:LINE: message N: why" and counted in st->skipped. Full
 * batches go to o->sink as they fill, the rest at the end (also after a syntax error, so
 * that a truncated export still delivers what it holds). JSON nesting deeper than
 * KM_JSON_MAX_DEPTH stops the parse. Returns KM_OK (even with skipped messages), KM_EINPUT
 * for a file that is not a usable export (err "LABEL:LINE: message"), KM_ERR for a read
 * error, or the sink's code. st is filled in every case. Does not close f. */
int km_import_telegram(FILE *f, const struct km_import_opts *o, struct km_import_stats *st,
                       struct km_err *err);

#endif
