#include "daemon/roles.h"

#include "app/setup.h"
#include "common/alloc.h"
#include "common/log.h"
#include "daemon/collect.h"
#include "db/tickets.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* How long the tickets role blocks on the stream before it looks at the stop flag. */
#define TICKETS_BLOCK_MS 1000

struct role {
    const char *name;
    const struct km_config *cfg;
    const struct km_tags *tags;
    volatile sig_atomic_t *stop;
    bool once;
    int rc;
    struct km_err err;
};

static int run_collect(struct role *r)
{
    return km_collect_run(r->cfg, r->tags, r->stop, r->once, &r->err);
}

static int run_tickets(struct role *r)
{
    struct km_tickets_opts o;
    memset(&o, 0, sizeof(o));
    km_app_queue_opts(r->cfg, &o.queue);
    char *consumer = km_app_consumer_name(r->cfg);
    o.conninfo = km_section_get(r->cfg->global, "postgres");
    o.group = "tickets";
    o.consumer = consumer;
    o.batch = (size_t)km_section_get_int(r->cfg->global, "tickets_batch");
    o.block_ms = TICKETS_BLOCK_MS;
    int rc = km_tickets_run(&o, r->stop, r->once, &r->err);
    free(consumer);
    return rc;
}

static void *role_thread(void *arg)
{
    struct role *r = arg;
    r->rc = strcmp(r->name, "collect") == 0 ? run_collect(r) : run_tickets(r);
    if (r->rc != KM_OK) {
        KM_SLOG_ERROR(r->name, "role stopped: %s", r->err.msg);
        /* One role failing stops the daemon, so a supervisor (systemd) restarts it whole. */
        *r->stop = 1;
    }
    return NULL;
}

int km_roles_run(const struct km_config *cfg, const struct km_tags *tags, const char *role,
                 volatile sig_atomic_t *stop, bool once)
{
    struct role roles[2] = {
        {.name = "collect", .cfg = cfg, .tags = tags, .stop = stop, .once = once},
        {.name = "tickets", .cfg = cfg, .tags = tags, .stop = stop, .once = once},
    };
    bool want[2] = {strcmp(role, "tickets") != 0, strcmp(role, "collect") != 0};
    if (once) {
        /* Sequentially: what collect committed this round is then stored by tickets. */
        for (int i = 0; i < 2; i++) {
            if (want[i] && !*stop) {
                role_thread(&roles[i]);
            }
        }
    } else {
        pthread_t th[2];
        bool started[2] = {false, false};
        for (int i = 0; i < 2; i++) {
            if (want[i]) {
                started[i] = pthread_create(&th[i], NULL, role_thread, &roles[i]) == 0;
                if (!started[i]) {
                    KM_LOG_ERROR("cannot start the %s thread", roles[i].name);
                    roles[i].rc = KM_ERR;
                    *stop = 1;
                }
            }
        }
        for (int i = 0; i < 2; i++) {
            if (started[i]) {
                pthread_join(th[i], NULL);
            }
        }
    }
    for (int i = 0; i < 2; i++) {
        if (want[i] && roles[i].rc != KM_OK) {
            return roles[i].rc;
        }
    }
    return KM_OK;
}
