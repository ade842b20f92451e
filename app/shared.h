/* A value several threads read while another may replace it (SIGHUP reload of the tags
 * list and lexicon): readers take a counted reference for the batch in hand; a replaced
 * value is freed when its last reader lets go. Thread-safe. */
#ifndef KM_APP_SHARED_H
#define KM_APP_SHARED_H

#include <pthread.h>

struct km_shared_ref; /* one version of the value */

struct km_shared {
    pthread_mutex_t mu;
    struct km_shared_ref *cur;
    void (*free_fn)(void *obj);
    unsigned long generation; /* 0 at init, +1 on every replace */
};

/* Starts with obj (may be NULL), which the holder now owns; free_fn releases a version. */
void km_shared_init(struct km_shared *s, void *obj, void (*free_fn)(void *obj));
/* Frees the current version; no reader may hold a reference any more. */
void km_shared_destroy(struct km_shared *s);
/* The current version, valid until km_shared_release(*ref). */
void *km_shared_acquire(struct km_shared *s, struct km_shared_ref **ref);
void km_shared_release(struct km_shared *s, struct km_shared_ref *ref);
/* Makes obj (owned from now on) the current version; readers of the old one finish with it. */
void km_shared_replace(struct km_shared *s, void *obj);
/* How many times the value was replaced: a reader that remembers it sees a reload. */
unsigned long km_shared_generation(struct km_shared *s);

#endif
