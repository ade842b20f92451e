/* Allocation wrappers. They abort with a message when memory runs out, as Redis does:
 * every durable step in komek is crash-consistent (cursor and batch in one MULTI/EXEC,
 * XACK after COMMIT), so dying is safe and saves hundreds of untested error paths.
 * Everything they return is released with free(). Results of libraries are still checked. */
#ifndef KM_COMMON_ALLOC_H
#define KM_COMMON_ALLOC_H

#include <stddef.h>

void *km_malloc(size_t n);
void *km_calloc(size_t count, size_t size);
void *km_realloc(void *p, size_t n);
/* km_strdup(NULL) returns NULL. */
char *km_strdup(const char *s);
/* Copies at most n bytes of s and NUL-terminates. */
char *km_strndup(const char *s, size_t n);
/* printf into a new string; caller frees. */
char *km_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The concatenation of the strings given, up to a NULL: km_strjoin(net, ":", id, NULL)
 * (no NULL string among them). A malloc'd string; caller frees. Cheaper than km_asprintf()
 * for the keys made per post. */
char *km_strjoin(const char *first, ...) __attribute__((sentinel));

#endif
