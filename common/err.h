/* Result codes and the caller-supplied error buffer used across komek.
 *
 * Every function that can fail returns an int: KM_OK, or one of the negative codes below.
 * Details go into a struct km_err owned by the caller. An error is reported once: the
 * function that knows most fills err (or logs), callers pass the code up unchanged. */
#ifndef KM_COMMON_ERR_H
#define KM_COMMON_ERR_H

#define KM_OK      0
#define KM_ERR     (-1) /* bug or fatal condition: stop this component */
#define KM_RETRY   (-2) /* temporary: network, Redis or PostgreSQL down; keep data, retry */
#define KM_EINPUT  (-3) /* this payload or config line is bad: report where, count, skip */
#define KM_ENOMEM  (-4) /* a library ran out of memory */

/* Room for one located message such as
 * "komek.conf:12: unknown key 'intervl' in [source tg]". */
#define KM_ERR_MSG_MAX 256

struct km_err {
    char msg[KM_ERR_MSG_MAX];
};

/* Formats a message into err (truncating to fit). err may be NULL. Returns code, so that
 * callers can write `return km_err_set(err, KM_EINPUT, "...")`. */
int km_err_set(struct km_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes err->msg with "prefix: " in place (for adding a file or source name). */
void km_err_prefix(struct km_err *err, const char *prefix);

/* Short name of a result code, for logs: "ok", "error", "retry", "bad input", "no memory". */
const char *km_strerror(int code);

#endif
