#include "daemon/roles.h"

#include "app/setup.h"
#include "app/ticketing.h"
#include "common/alloc.h"
#include "common/log.h"
#include "common/metrics.h"
#include "daemon/collect.h"
#include "db/tickets.h"
#include "desk/desk.h"
#include "intake/server.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdatomic.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

/* How long the tickets role blocks on the stream before it looks at the stop flag. */
#define TICKETS_BLOCK_MS 1000

/* collect, tickets, intake, desk. */
#define N_ROLES 4

/* How often the main thread looks for a reload request and for roles that ended. */
#define SUPERVISE_TICK_MS 200

struct role {
    const char *name;
    const struct km_config *cfg;
    struct km_shared *watch; /* struct km_watch, replaced on SIGHUP */
    volatile sig_atomic_t *stop;
    struct km_err err;
    int rc;
    bool once;
    atomic_bool done;
};

static int run_collect(struct role *r)
{
    return km_collect_run(r->cfg, r->watch, r->stop, r->once, &r->err);
}

/* Scrape time: the tickets role's counters as komek_tickets_posts_total{outcome}. */
static void tickets_scrape(void *arg)
{
    struct km_tickets_stats *st = arg;
    static const struct {
        const char *outcome;
        size_t offset;
    } outcomes[] = {
        {"stored", offsetof(struct km_tickets_stats, stored)},
        {"duplicate", offsetof(struct km_tickets_stats, duplicates)},
        {"escalated", offsetof(struct km_tickets_stats, escalated)},
        {"rejected", offsetof(struct km_tickets_stats, rejected)},
        {"failed", offsetof(struct km_tickets_stats, failed)},
        {"dead", offsetof(struct km_tickets_stats, dead)},
        {"claimed", offsetof(struct km_tickets_stats, claimed)},
        {"trimmed", offsetof(struct km_tickets_stats, trimmed)},
    };
    for (size_t i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++) {
        char labels[48];
        snprintf(labels, sizeof(labels), "outcome=\"%s\"", outcomes[i].outcome);
        atomic_ullong *v = (atomic_ullong *)((char *)st + outcomes[i].offset);
        km_metric_set("komek_tickets_posts_total", labels, (double)atomic_load(v));
    }
    km_metric_set("komek_tickets_batches_total", NULL, (double)atomic_load(&st->batches));
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
    o.claim_idle_ms = km_section_get_ms(r->cfg->global, "claim_idle");
    o.max_deliveries = (unsigned)km_section_get_int(r->cfg->global, "max_deliveries");
    struct km_tickets_stats stats;
    memset(&stats, 0, sizeof(stats));
    o.stats = &stats;
    struct km_ticketing *ticketing = NULL;
    int rc = km_ticketing_new(r->cfg, r->watch, &ticketing, &r->err);
    if (rc == KM_OK) {
        o.after = km_ticketing_after;
        o.after_ctx = ticketing;
        km_metrics_on_scrape(tickets_scrape, &stats);
        rc = km_tickets_run(&o, r->stop, r->once, &r->err);
        km_metrics_off_scrape(tickets_scrape, &stats);
    }
    km_ticketing_free(ticketing);
    free(consumer);
    return rc;
}

static int run_intake(struct role *r)
{
    if (!km_intake_wanted(r->cfg)) {
        return km_err_set(&r->err, KM_EINPUT,
                          "nothing to serve: no enabled source of a push type (telegram_webhook, "
                          "webhook), or listen = off");
    }
    return km_intake_run(r->cfg, r->watch, r->stop, &r->err);
}

static int run_desk(struct role *r)
{
    if (!km_desk_wanted(r->cfg)) {
        return km_err_set(&r->err, KM_EINPUT, "nothing to serve: desk_listen = off");
    }
    return km_desk_run(r->cfg, r->watch, r->stop, &r->err);
}

static void *role_thread(void *arg)
{
    struct role *r = arg;
    r->rc = strcmp(r->name, "collect") == 0   ? run_collect(r)
            : strcmp(r->name, "tickets") == 0 ? run_tickets(r)
            : strcmp(r->name, "intake") == 0  ? run_intake(r)
                                              : run_desk(r);
    if (r->rc != KM_OK) {
        KM_SLOG_ERROR(r->name, "role stopped: %s", r->err.msg);
        /* One role failing stops the daemon, so a supervisor (systemd) restarts it whole. */
        *r->stop = 1;
    }
    atomic_store(&r->done, true);
    return NULL;
}

/* The main thread's loop while the roles run: reloads on SIGHUP, until every role ended. */
static void supervise(struct role *roles, const bool *started, const struct km_roles_hooks *h)
{
    const struct timespec tick = {.tv_sec = 0, .tv_nsec = SUPERVISE_TICK_MS * 1000000L};
    for (;;) {
        bool running = false;
        for (int i = 0; i < N_ROLES; i++) {
            running = running || (started[i] && !atomic_load(&roles[i].done));
        }
        if (!running) {
            return;
        }
        if (h != NULL && h->reload != NULL && *h->reload_requested) {
            *h->reload_requested = 0;
            h->reload(h->ctx);
        }
        nanosleep(&tick, NULL);
    }
}

int km_roles_run(const struct km_config *cfg, struct km_shared *watch, const char *role,
                 volatile sig_atomic_t *stop, bool once, const struct km_roles_hooks *hooks)
{
    struct role roles[N_ROLES] = {
        {.name = "collect", .cfg = cfg, .watch = watch, .stop = stop, .once = once},
        {.name = "tickets", .cfg = cfg, .watch = watch, .stop = stop, .once = once},
        {.name = "intake", .cfg = cfg, .watch = watch, .stop = stop, .once = once},
        {.name = "desk", .cfg = cfg, .watch = watch, .stop = stop, .once = once},
    };
    bool all = strcmp(role, "all") == 0;
    /* "all" starts the intake only when there is something to serve, and the desk unless
     * desk_listen = off. Both serve until stopped, so --once never starts them. */
    bool want[N_ROLES] = {all || strcmp(role, "collect") == 0,
                          all || strcmp(role, "tickets") == 0,
                          !once && ((all && km_intake_wanted(cfg)) || strcmp(role, "intake") == 0),
                          !once && ((all && km_desk_wanted(cfg)) || strcmp(role, "desk") == 0)};
    if (once) {
        if (strcmp(role, "intake") == 0 || strcmp(role, "desk") == 0) {
            KM_LOG_WARN("--once: the %s role is not started (it serves until stopped)", role);
        }
        /* Sequentially: what collect committed this round is then stored by tickets. */
        for (int i = 0; i < N_ROLES; i++) {
            if (want[i] && !*stop) {
                role_thread(&roles[i]);
            }
        }
    } else {
        pthread_t th[N_ROLES];
        bool started[N_ROLES] = {false, false, false, false};
        for (int i = 0; i < N_ROLES; i++) {
            if (want[i]) {
                started[i] = pthread_create(&th[i], NULL, role_thread, &roles[i]) == 0;
                if (!started[i]) {
                    KM_LOG_ERROR("cannot start the %s thread", roles[i].name);
                    roles[i].rc = KM_ERR;
                    *stop = 1;
                }
            }
        }
        supervise(roles, started, hooks);
        for (int i = 0; i < N_ROLES; i++) {
            if (started[i]) {
                pthread_join(th[i], NULL);
            }
        }
    }
    for (int i = 0; i < N_ROLES; i++) {
        if (want[i] && roles[i].rc != KM_OK) {
            return roles[i].rc;
        }
    }
    return KM_OK;
}
