#include "test/fake/fake_posts.h"

#include "common/alloc.h"
#include "common/time.h"
#include "parser/json.h"
#include "test/fake/fake_mastodon.h"
#include "test/fake/fake_telegram.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Without drip the posts are dated one minute apart, the last one a minute before start,
 * so that they look like a backlog that piled up before the collector started. */
#define POSTS_BACKLOG_STEP_MS 60000

static const char *const posts_net_names[KM_FAKE_NNET] = {"telegram", "mastodon", "rss",
                                                            "vk",       "x",        "bluesky",
                                                            "instagram", "json"};

const char *km_fake_net_name(enum km_fake_net net)
{
    return (unsigned)net < KM_FAKE_NNET ? posts_net_names[net] : "?";
}

int km_fake_net_parse(const char *name)
{
    for (int i = 0; i < KM_FAKE_NNET; i++) {
        if (strcmp(name, posts_net_names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

static void posts_tpl_free(struct km_fake_tpl *t)
{
    free(t->id);
    free(t->lang);
    free(t->text);
    free(t->category);
    free(t->priority);
    free(t->incident);
}

/* Fills t from one parsed line. Returns KM_OK or KM_EINPUT with err set. */
static int posts_tpl_from_json(struct km_fake_tpl *t, yajl_val v, struct km_err *err)
{
    const char *id = km_json_str(v, "id");
    const char *text = km_json_str(v, "text");
    const char *net = km_json_str(v, "network");
    if (!YAJL_IS_OBJECT(v) || id == NULL || text == NULL || net == NULL) {
        return km_err_set(err, KM_EINPUT, "need an object with \"id\", \"text\", \"network\"");
    }
    int n = km_fake_net_parse(net);
    if (n < 0) {
        return km_err_set(err, KM_EINPUT, "unknown network \"%s\"", net);
    }
    memset(t, 0, sizeof(*t));
    t->net = (enum km_fake_net)n;
    t->id = km_strdup(id);
    t->text = km_strdup(text);
    t->lang = km_strdup(km_json_str(v, "lang"));
    t->category = km_strdup(km_json_str(v, "category"));
    t->priority = km_strdup(km_json_str(v, "priority"));
    t->incident = km_strdup(km_json_str(v, "incident"));
    return KM_OK;
}

static bool posts_id_taken(const struct km_fake_store *s, const char *id)
{
    for (size_t i = 0; i < s->n_tpls; i++) {
        if (strcmp(s->tpls[i].id, id) == 0) {
            return true;
        }
    }
    return false;
}

/* Parses one non-empty line and appends it to s->tpls. */
static int posts_add_line(struct km_fake_store *s, const char *line, size_t len, size_t lineno,
                          size_t *cap, struct km_err *err)
{
    yajl_val v = NULL;
    int rc = km_json_parse(line, len, &v, NULL, err);
    if (rc != KM_OK) {
        goto out;
    }
    struct km_fake_tpl t = {0};
    rc = posts_tpl_from_json(&t, v, err);
    if (rc != KM_OK) {
        goto out;
    }
    if (posts_id_taken(s, t.id)) {
        rc = km_err_set(err, KM_EINPUT, "duplicate id \"%s\"", t.id);
        posts_tpl_free(&t);
        goto out;
    }
    if (s->n_tpls == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        s->tpls = km_realloc(s->tpls, *cap * sizeof(*s->tpls));
    }
    t.line = lineno;
    s->tpls[s->n_tpls++] = t;
out:
    km_json_free(v);
    return rc;
}

static bool posts_blank(const char *line, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r' && line[i] != '\n') {
            return false;
        }
    }
    return true;
}

static int posts_load(struct km_fake_store *s, const char *path, struct km_err *err)
{
    char *line = NULL;
    size_t line_cap = 0, cap = 0, lineno = 0;
    int rc = KM_OK;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        rc = km_err_set(err, KM_ERR, "%s: %s", path, strerror(errno));
        goto out;
    }
    ssize_t len;
    while ((len = getline(&line, &line_cap, f)) >= 0) {
        lineno++;
        if (posts_blank(line, (size_t)len)) {
            continue;
        }
        rc = posts_add_line(s, line, (size_t)len, lineno, &cap, err);
        if (rc != KM_OK) {
            char where[300];
            snprintf(where, sizeof(where), "%s:%zu", path, lineno);
            km_err_prefix(err, where);
            goto out;
        }
    }
    if (s->n_tpls == 0) {
        rc = km_err_set(err, KM_EINPUT, "%s: no posts", path);
    }
out:
    free(line);
    if (f != NULL) {
        fclose(f);
    }
    return rc;
}

static void posts_number(struct km_fake_store *s)
{
    size_t per_net[KM_FAKE_NNET] = {0};
    for (size_t i = 0; i < s->n_tpls; i++) {
        s->tpls[i].nth = per_net[s->tpls[i].net]++;
    }
}

int km_fake_store_init(struct km_fake_store *s, const char *path, int64_t drip_us,
                       int64_t start_delay_ms, unsigned passes, struct km_err *err)
{
    memset(s, 0, sizeof(*s));
    int rc = posts_load(s, path, err);
    if (rc != KM_OK) {
        for (size_t i = 0; i < s->n_tpls; i++) {
            posts_tpl_free(&s->tpls[i]);
        }
        free(s->tpls);
        return rc;
    }
    posts_number(s);
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wake, &attr);
    pthread_condattr_destroy(&attr);
    s->drip_us = drip_us;
    s->passes = drip_us == 0 && passes == 0 ? 1 : passes;
    int64_t delay = drip_us > 0 && start_delay_ms > 0 ? start_delay_ms : 0;
    s->start_ms = km_time_now_ms() + delay;
    s->start_mono_ms = km_time_mono_ms() + delay;
    km_fake_tg_plan(s);
    km_fake_mst_plan(s);
    km_fake_store_sync(s);
    return KM_OK;
}

void km_fake_store_fini(struct km_fake_store *s)
{
    for (size_t i = 0; i < s->n_items; i++) {
        free(s->items[i]->id);
        free(s->items[i]);
    }
    free(s->items);
    for (size_t i = 0; i < s->n_tpls; i++) {
        posts_tpl_free(&s->tpls[i]);
    }
    free(s->tpls);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->lock);
}

static void posts_release(struct km_fake_store *s, int64_t created_ms)
{
    struct km_fake_item *it = km_calloc(1, sizeof(*it));
    it->seq = s->n_items;
    it->tpl = &s->tpls[it->seq % s->n_tpls];
    it->pass = (unsigned)(it->seq / s->n_tpls) + 1;
    it->id = it->pass == 1 ? km_strdup(it->tpl->id) : km_asprintf("%s-%u", it->tpl->id, it->pass);
    it->created_ms = created_ms;
    if (s->n_items == s->cap_items) {
        s->cap_items = s->cap_items ? s->cap_items * 2 : 64;
        s->items = km_realloc(s->items, s->cap_items * sizeof(*s->items));
    }
    s->items[s->n_items++] = it;
    if (it->tpl->net == KM_FAKE_TELEGRAM) {
        km_fake_tg_assign(s, it);
    } else if (it->tpl->net == KM_FAKE_MASTODON) {
        km_fake_mst_assign(s, it);
    }
}

void km_fake_store_sync(struct km_fake_store *s)
{
    size_t before = s->n_items;
    size_t last = s->passes > 0 ? s->passes * s->n_tpls : SIZE_MAX;
    size_t due = last;
    if (s->drip_us > 0) {
        int64_t since = km_time_mono_ms() - s->start_mono_ms; /* < 0 before a delayed start */
        due = since < 0 ? 0 : 1 + (size_t)(since * 1000 / s->drip_us);
        due = due < last ? due : last;
    }
    while (s->timed_released < due) {
        int64_t k = (int64_t)s->timed_released;
        int64_t created = s->drip_us > 0
                              ? s->start_ms + k * s->drip_us / 1000
                              : s->start_ms - ((int64_t)last - k) * POSTS_BACKLOG_STEP_MS;
        posts_release(s, created);
        s->timed_released++;
    }
    while (s->manual_released < s->manual_wanted) {
        posts_release(s, km_time_now_ms());
        s->manual_released++;
    }
    if (s->n_items != before) {
        pthread_cond_broadcast(&s->wake);
    }
}

void km_fake_store_wait(struct km_fake_store *s, int64_t deadline_mono_ms)
{
    int64_t until = deadline_mono_ms;
    if (s->drip_us > 0 && (s->passes == 0 || s->timed_released < s->passes * s->n_tpls)) {
        int64_t next = s->start_mono_ms + (int64_t)s->timed_released * s->drip_us / 1000;
        until = next < until ? next : until;
    }
    if (!s->stopping && until > km_time_mono_ms()) {
        struct timespec ts = {.tv_sec = (time_t)(until / 1000),
                              .tv_nsec = (long)(until % 1000) * 1000000L};
        pthread_cond_timedwait(&s->wake, &s->lock, &ts);
    }
    km_fake_store_sync(s);
}

void km_fake_store_release_now(struct km_fake_store *s, size_t n)
{
    pthread_mutex_lock(&s->lock);
    s->manual_wanted += n;
    km_fake_store_sync(s);
    pthread_mutex_unlock(&s->lock);
}

void km_fake_store_served(struct km_fake_store *s, struct km_fake_item *it)
{
    s->served_total++;
    if (!it->served) {
        it->served = true;
        s->served_distinct++;
    }
}

void km_fake_store_stop(struct km_fake_store *s)
{
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->lock);
}
