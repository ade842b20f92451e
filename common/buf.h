/* A growable byte buffer, always NUL-terminated for convenience.
 * Initialise with KM_BUF_INIT or km_buf_init(); release with km_buf_free(). */
#ifndef KM_COMMON_BUF_H
#define KM_COMMON_BUF_H

#include <stddef.h>
#include <stdint.h>

struct km_buf {
    char *data; /* NULL until the first append */
    size_t len;
    size_t cap;
};

#define KM_BUF_INIT {NULL, 0, 0}

void km_buf_init(struct km_buf *b);
void km_buf_append(struct km_buf *b, const void *data, size_t len);
void km_buf_puts(struct km_buf *b, const char *s);
void km_buf_putc(struct km_buf *b, char c);
/* Makes room for extra more bytes (and the terminator), so that appending them does not
 * reallocate; for a writer that knows about how much it will append. */
void km_buf_reserve(struct km_buf *b, size_t extra);
void km_buf_printf(struct km_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sets len to 0, keeps the memory. */
void km_buf_reset(struct km_buf *b);
/* Returns the contents as a malloc'd NUL-terminated string (caller frees) and
 * leaves b empty. Never returns NULL. */
char *km_buf_take(struct km_buf *b);
void km_buf_free(struct km_buf *b);

/* Number formatting without printf (whose cost showed in every per-post path). */
/* Most bytes km_fmt_i64() writes: "-9223372036854775808". */
#define KM_FMT_I64_MAX 20
/* Writes v in decimal as "%lld" does into out (room for KM_FMT_I64_MAX bytes, no NUL);
 * returns the length. */
size_t km_fmt_i64(char *out, int64_t v);
/* Writes v as 16 lower-case hex digits, as "%016" PRIx64 does, into out (no NUL). */
void km_fmt_hex64(char *out, uint64_t v);

#endif
