#include "common/alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
    fprintf(stderr, "komek: out of memory allocating %zu bytes\n", n);
    abort();
}

void *km_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        oom(n);
    }
    return p;
}

void *km_calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (p == NULL) {
        oom(count * size);
    }
    return p;
}

void *km_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL) {
        oom(n);
    }
    return q;
}

char *km_strdup(const char *s)
{
    if (s == NULL) {
        return NULL;
    }
    return km_strndup(s, strlen(s));
}

char *km_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = km_malloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *km_strjoin(const char *first, ...)
{
    size_t n = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *s = first; s != NULL; s = va_arg(ap, const char *)) {
        n += strlen(s);
    }
    va_end(ap);
    char *out = km_malloc(n + 1), *o = out;
    va_start(ap, first);
    for (const char *s = first; s != NULL; s = va_arg(ap, const char *)) {
        size_t len = strlen(s);
        memcpy(o, s, len);
        o += len;
    }
    va_end(ap);
    *o = '\0';
    return out;
}

char *km_asprintf(const char *fmt, ...)
{
    /* A first pass into a stack buffer rather than vsnprintf(NULL, 0, ...): most strings
     * fit, and gcc's -Wformat-truncation misreads the NULL probe under sanitizers. */
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        oom(0);
    }
    if ((size_t)n < sizeof(small)) {
        return km_strndup(small, (size_t)n);
    }
    char *p = km_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}
