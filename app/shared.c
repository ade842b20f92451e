#include "app/shared.h"

#include "common/alloc.h"

#include <stdlib.h>

struct km_shared_ref {
    void *obj;
    int refs; /* readers, plus one while it is the current version */
};

static struct km_shared_ref *ref_new(void *obj)
{
    struct km_shared_ref *r = km_calloc(1, sizeof(*r));
    r->obj = obj;
    r->refs = 1;
    return r;
}

/* Drops one reference; the caller holds s->mu. */
static void ref_put(struct km_shared *s, struct km_shared_ref *r)
{
    if (--r->refs == 0) {
        if (r->obj != NULL && s->free_fn != NULL) {
            s->free_fn(r->obj);
        }
        free(r);
    }
}

void km_shared_init(struct km_shared *s, void *obj, void (*free_fn)(void *obj))
{
    pthread_mutex_init(&s->mu, NULL);
    s->free_fn = free_fn;
    s->cur = ref_new(obj);
    s->generation = 0;
}

void km_shared_destroy(struct km_shared *s)
{
    pthread_mutex_lock(&s->mu);
    ref_put(s, s->cur);
    s->cur = NULL;
    pthread_mutex_unlock(&s->mu);
    pthread_mutex_destroy(&s->mu);
}

void *km_shared_acquire(struct km_shared *s, struct km_shared_ref **ref)
{
    pthread_mutex_lock(&s->mu);
    struct km_shared_ref *r = s->cur;
    r->refs++;
    pthread_mutex_unlock(&s->mu);
    *ref = r;
    return r->obj;
}

void km_shared_release(struct km_shared *s, struct km_shared_ref *ref)
{
    if (ref == NULL) {
        return;
    }
    pthread_mutex_lock(&s->mu);
    ref_put(s, ref);
    pthread_mutex_unlock(&s->mu);
}

void km_shared_replace(struct km_shared *s, void *obj)
{
    struct km_shared_ref *r = ref_new(obj);
    pthread_mutex_lock(&s->mu);
    struct km_shared_ref *old = s->cur;
    s->cur = r;
    s->generation++;
    ref_put(s, old);
    pthread_mutex_unlock(&s->mu);
}

unsigned long km_shared_generation(struct km_shared *s)
{
    pthread_mutex_lock(&s->mu);
    unsigned long g = s->generation;
    pthread_mutex_unlock(&s->mu);
    return g;
}
