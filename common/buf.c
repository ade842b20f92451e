#include "common/buf.h"

#include "common/alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void km_buf_init(struct km_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void km_buf_reserve(struct km_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap) {
        return;
    }
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) {
        cap *= 2;
    }
    b->data = km_realloc(b->data, cap);
    b->cap = cap;
}

void km_buf_append(struct km_buf *b, const void *data, size_t len)
{
    km_buf_reserve(b, len);
    if (len > 0) {
        memcpy(b->data + b->len, data, len);
    }
    b->len += len;
    b->data[b->len] = '\0';
}

void km_buf_puts(struct km_buf *b, const char *s)
{
    km_buf_append(b, s, strlen(s));
}

void km_buf_putc(struct km_buf *b, char c)
{
    if (b->len + 2 > b->cap) { /* one byte and the terminator; called per byte: keep it short */
        km_buf_reserve(b, 1);
    }
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void km_buf_printf(struct km_buf *b, const char *fmt, ...)
{
    char small[256]; /* see km_asprintf(): no vsnprintf(NULL, 0, ...) probe */
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n <= 0) {
        return;
    }
    if ((size_t)n < sizeof(small)) {
        km_buf_append(b, small, (size_t)n);
        return;
    }
    km_buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void km_buf_reset(struct km_buf *b)
{
    b->len = 0;
    if (b->data != NULL) {
        b->data[0] = '\0';
    }
}

char *km_buf_take(struct km_buf *b)
{
    char *p = b->data ? b->data : km_strdup("");
    km_buf_init(b);
    return p;
}

void km_buf_free(struct km_buf *b)
{
    free(b->data);
    km_buf_init(b);
}

size_t km_fmt_i64(char *out, int64_t v)
{
    char tmp[KM_FMT_I64_MAX];
    size_t i = sizeof(tmp);
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0) {
        tmp[--i] = '-';
    }
    memcpy(out, tmp + i, sizeof(tmp) - i);
    return sizeof(tmp) - i;
}

void km_fmt_hex64(char *out, uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--) {
        out[i] = digits[v & 15];
        v >>= 4;
    }
}
