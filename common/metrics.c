/* Process-wide metrics (see metrics.h): families in an array, series in an open-addressing
 * hash table keyed by XXH3 of "name\0labels", rendered sorted. */
#include "common/metrics.h"

#include "common/alloc.h"
#include "common/utf8.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>

/* Initial slots of the series table (a power of two); it doubles at 3/4 full. */
#define MT_INITIAL_SLOTS 256
/* Scrape functions registered at once: one per module that has gauges to refresh. */
#define MT_MAX_SCRAPERS 16

struct mt_family {
    char *name;
    char *help;
    enum km_metric_type type;
};

struct mt_series {
    uint64_t hash; /* 0 = empty slot */
    char *name;    /* borrowed from its family */
    char *labels;
    double value;
};

struct mt_scraper {
    km_metrics_scrape_fn fn;
    void *arg;
};

static pthread_mutex_t mt_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mt_family *mt_families;
static size_t mt_n_families, mt_cap_families;
static struct mt_series *mt_slots;
static size_t mt_n_slots, mt_n_series;
static struct mt_scraper mt_scrapers[MT_MAX_SCRAPERS];

static struct mt_family *mt_family_find(const char *name)
{
    for (size_t i = 0; i < mt_n_families; i++) {
        if (strcmp(mt_families[i].name, name) == 0) {
            return &mt_families[i];
        }
    }
    return NULL;
}

static struct mt_family *mt_family_add(const char *name, enum km_metric_type type,
                                       const char *help)
{
    if (mt_n_families == mt_cap_families) {
        mt_cap_families = mt_cap_families == 0 ? 32 : mt_cap_families * 2;
        mt_families = km_realloc(mt_families, mt_cap_families * sizeof(*mt_families));
    }
    struct mt_family *f = &mt_families[mt_n_families++];
    f->name = km_strdup(name);
    f->help = km_strdup(help != NULL ? help : "");
    f->type = type;
    return f;
}

static uint64_t mt_hash(const char *name, const char *labels)
{
    XXH3_state_t st;
    XXH3_64bits_reset(&st);
    XXH3_64bits_update(&st, name, strlen(name) + 1); /* the NUL keeps "ab"+"c" from "a"+"bc" */
    XXH3_64bits_update(&st, labels, strlen(labels));
    uint64_t h = XXH3_64bits_digest(&st);
    return h == 0 ? 1 : h;
}

/* The slot of (name, labels): the series, or the empty slot where it belongs. */
static struct mt_series *mt_slot(uint64_t h, const char *name, const char *labels)
{
    size_t mask = mt_n_slots - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct mt_series *s = &mt_slots[i];
        if (s->hash == 0 ||
            (s->hash == h && strcmp(s->name, name) == 0 && strcmp(s->labels, labels) == 0)) {
            return s;
        }
    }
}

static void mt_grow(void)
{
    struct mt_series *old = mt_slots;
    size_t n_old = mt_n_slots;
    mt_n_slots = n_old == 0 ? MT_INITIAL_SLOTS : n_old * 2;
    mt_slots = km_calloc(mt_n_slots, sizeof(*mt_slots));
    for (size_t i = 0; i < n_old; i++) {
        if (old[i].hash != 0) {
            *mt_slot(old[i].hash, old[i].name, old[i].labels) = old[i];
        }
    }
    free(old);
}

/* The series of (name, labels), created at 0 if new; the lock is held. */
static struct mt_series *mt_series_get(const char *name, const char *labels, bool create)
{
    labels = labels != NULL ? labels : "";
    if (!create && mt_n_slots == 0) {
        return NULL;
    }
    if (create && (mt_n_series + 1) * 4 > mt_n_slots * 3) {
        mt_grow();
    }
    uint64_t h = mt_hash(name, labels);
    struct mt_series *s = mt_slot(h, name, labels);
    if (s->hash == 0 && create) {
        struct mt_family *f = mt_family_find(name);
        if (f == NULL) {
            f = mt_family_add(name, KM_METRIC_COUNTER, NULL);
        }
        s->hash = h;
        s->name = f->name;
        s->labels = km_strdup(labels);
        s->value = 0;
        mt_n_series++;
    }
    return s->hash != 0 ? s : NULL;
}

void km_metric_declare(const char *name, enum km_metric_type type, const char *help)
{
    pthread_mutex_lock(&mt_lock);
    struct mt_family *f = mt_family_find(name);
    if (f == NULL) {
        mt_family_add(name, type, help);
    } else if (f->help[0] == '\0' && help != NULL) {
        free(f->help); /* first used before it was declared */
        f->help = km_strdup(help);
        f->type = type;
    }
    pthread_mutex_unlock(&mt_lock);
}

void km_metric_add(const char *name, const char *labels, double v)
{
    pthread_mutex_lock(&mt_lock);
    mt_series_get(name, labels, true)->value += v;
    pthread_mutex_unlock(&mt_lock);
}

void km_metric_set(const char *name, const char *labels, double v)
{
    pthread_mutex_lock(&mt_lock);
    mt_series_get(name, labels, true)->value = v;
    pthread_mutex_unlock(&mt_lock);
}

double km_metric_get(const char *name, const char *labels)
{
    pthread_mutex_lock(&mt_lock);
    struct mt_series *s = mt_series_get(name, labels, false);
    double v = s != NULL ? s->value : 0;
    pthread_mutex_unlock(&mt_lock);
    return v;
}

void km_metric_label(struct km_buf *out, const char *key, const char *value)
{
    char *clean = km_utf8_clean(value != NULL ? value : "", value != NULL ? strlen(value) : 0,
                                NULL);
    if (out->len > 0) {
        km_buf_putc(out, ',');
    }
    km_buf_printf(out, "%s=\"", key);
    for (const char *c = clean; *c != '\0'; c++) {
        if (*c == '\\' || *c == '"') {
            km_buf_putc(out, '\\');
            km_buf_putc(out, *c);
        } else if (*c == '\n') {
            km_buf_puts(out, "\\n");
        } else {
            km_buf_putc(out, *c);
        }
    }
    km_buf_putc(out, '"');
    free(clean);
}

void km_metrics_on_scrape(km_metrics_scrape_fn fn, void *arg)
{
    pthread_mutex_lock(&mt_lock);
    for (size_t i = 0; i < MT_MAX_SCRAPERS; i++) {
        if (mt_scrapers[i].fn == NULL) {
            mt_scrapers[i] = (struct mt_scraper){fn, arg};
            break;
        }
    }
    pthread_mutex_unlock(&mt_lock);
}

void km_metrics_off_scrape(km_metrics_scrape_fn fn, void *arg)
{
    pthread_mutex_lock(&mt_lock);
    for (size_t i = 0; i < MT_MAX_SCRAPERS; i++) {
        if (mt_scrapers[i].fn == fn && mt_scrapers[i].arg == arg) {
            mt_scrapers[i] = (struct mt_scraper){NULL, NULL};
        }
    }
    pthread_mutex_unlock(&mt_lock);
}

static int mt_cmp_family(const void *a, const void *b)
{
    return strcmp(((const struct mt_family *)a)->name, ((const struct mt_family *)b)->name);
}

static int mt_cmp_series(const void *a, const void *b)
{
    const struct mt_series *x = *(const struct mt_series *const *)a;
    const struct mt_series *y = *(const struct mt_series *const *)b;
    int c = strcmp(x->name, y->name);
    return c != 0 ? c : strcmp(x->labels, y->labels);
}

/* One sample line; integers print without a fraction. */
static void mt_render_sample(struct km_buf *out, const struct mt_series *s)
{
    km_buf_puts(out, s->name);
    if (s->labels[0] != '\0') {
        km_buf_printf(out, "{%s}", s->labels);
    }
    if (s->value == (double)(long long)s->value && s->value < 9e15 && s->value > -9e15) {
        km_buf_printf(out, " %lld\n", (long long)s->value);
    } else {
        km_buf_printf(out, " %.17g\n", s->value);
    }
}

/* The series sorted by (name, labels); the lock is held. Caller frees the array. */
static struct mt_series **mt_sorted_series(void)
{
    struct mt_series **v = km_calloc(mt_n_series + 1, sizeof(*v));
    size_t n = 0;
    for (size_t i = 0; i < mt_n_slots; i++) {
        if (mt_slots[i].hash != 0) {
            v[n++] = &mt_slots[i];
        }
    }
    qsort(v, n, sizeof(*v), mt_cmp_series);
    return v;
}

void km_metrics_render(struct km_buf *out)
{
    struct mt_scraper run[MT_MAX_SCRAPERS];
    pthread_mutex_lock(&mt_lock);
    memcpy(run, mt_scrapers, sizeof(run));
    pthread_mutex_unlock(&mt_lock);
    for (size_t i = 0; i < MT_MAX_SCRAPERS; i++) {
        if (run[i].fn != NULL) {
            run[i].fn(run[i].arg);
        }
    }
    pthread_mutex_lock(&mt_lock);
    qsort(mt_families, mt_n_families, sizeof(*mt_families), mt_cmp_family);
    struct mt_series **series = mt_sorted_series();
    size_t k = 0;
    for (size_t i = 0; i < mt_n_families; i++) {
        const struct mt_family *f = &mt_families[i];
        km_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name,
                      f->help[0] != '\0' ? f->help : f->name, f->name,
                      f->type == KM_METRIC_GAUGE ? "gauge" : "counter");
        for (; k < mt_n_series && strcmp(series[k]->name, f->name) == 0; k++) {
            mt_render_sample(out, series[k]);
        }
    }
    free(series);
    pthread_mutex_unlock(&mt_lock);
}

void km_metrics_reset(void)
{
    pthread_mutex_lock(&mt_lock);
    for (size_t i = 0; i < mt_n_slots; i++) {
        free(mt_slots[i].labels);
    }
    free(mt_slots);
    mt_slots = NULL;
    mt_n_slots = mt_n_series = 0;
    for (size_t i = 0; i < mt_n_families; i++) {
        free(mt_families[i].name);
        free(mt_families[i].help);
    }
    free(mt_families);
    mt_families = NULL;
    mt_n_families = mt_cap_families = 0;
    memset(mt_scrapers, 0, sizeof(mt_scrapers));
    pthread_mutex_unlock(&mt_lock);
}
