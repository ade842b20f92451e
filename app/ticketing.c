/* The ticket side of the tickets role (see ticketing.h). */
#include "app/ticketing.h"

#include "app/setup.h"
#include "app/watch.h"
#include "common/alloc.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/time.h"
#include "db/outbox.h"
#include "db/ticket.h"
#include "queue/events.h"
#include "triage/score.h"

#include <libpq-fe.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TG_SCOPE "tickets"

struct km_ticketing {
    const struct km_config *cfg;
    struct km_shared *watch;
    struct km_events *events;
    const char *prefix;
    bool synced;              /* agencies and places mirrored for this generation */
    struct km_places *places; /* what the places table holds, once mirrored (or NULL) */
    unsigned long generation; /* of the watch that was mirrored */
    int64_t next_sweep_ms;    /* monotonic */
    int64_t next_gauges_ms;   /* monotonic */
};

static void tg_declare(void)
{
    km_metric_declare("komek_tickets_posts_total", KM_METRIC_COUNTER,
                      "Stream entries the tickets role handled, by outcome.");
    km_metric_declare("komek_tickets_auto_created_total", KM_METRIC_COUNTER,
                      "Tickets created by the auto_ticket rules.");
    km_metric_declare("komek_tickets_events_published_total", KM_METRIC_COUNTER,
                      "Ticket events published to the events stream.");
    km_metric_declare("komek_tickets_outbox_pending", KM_METRIC_GAUGE,
                      "Ticket events waiting in the outbox (Redis was unreachable).");
    km_metric_declare("komek_tickets_open", KM_METRIC_GAUGE,
                      "Tickets not resolved or rejected, by status.");
    km_metric_declare("komek_tickets_overdue", KM_METRIC_GAUGE,
                      "Open tickets past a deadline, by kind: reaction or resolve.");
}

int km_ticketing_new(const struct km_config *cfg, struct km_shared *watch,
                     struct km_ticketing **out, struct km_err *err)
{
    struct km_ticketing *t = km_calloc(1, sizeof(*t));
    t->cfg = cfg;
    t->watch = watch;
    t->prefix = km_section_get(cfg->global, "ticket_prefix");
    struct km_queue_opts qo;
    km_app_queue_opts(cfg, &qo);
    int rc = km_events_new(&qo, &t->events, err);
    if (rc != KM_OK) {
        free(t);
        t = NULL;
    }
    tg_declare();
    *out = t;
    return rc;
}

void km_ticketing_free(struct km_ticketing *t)
{
    if (t != NULL) {
        km_events_free(t->events);
        km_places_free(t->places);
        free(t);
    }
}

int km_app_load_places(const struct km_config *cfg, FILE *report, struct km_places **out,
                       char **path)
{
    struct km_err err = {{0}};
    *out = NULL;
    *path = km_config_path(cfg, km_section_get(cfg->global, "places"));
    bool set = false;
    for (size_t i = 0; i < cfg->global->n_entries; i++) {
        set = set || strcmp(cfg->global->entries[i].key, "places") == 0;
    }
    if (!set && access(*path, F_OK) != 0) {
        return KM_OK;
    }
    int rc = km_places_load(*path, report, out, &err);
    if (rc == KM_ERR && report != NULL) {
        fprintf(report, "%s\n", err.msg);
    }
    return rc;
}

/* Mirrors the places file; one with errors keeps the table (logged). The places mirrored
 * are kept: the posts stored from then on carry their place (km_db_set_places()). */
static int tg_sync_places(struct km_ticketing *t, struct km_db *db, struct km_err *err)
{
    struct km_places *p = NULL;
    char *path = NULL;
    int rc = km_app_load_places(t->cfg, stderr, &p, &path);
    if (rc != KM_OK) {
        KM_SLOG_ERROR(TG_SCOPE, "%s has errors: the places in PostgreSQL stay as they were", path);
        rc = KM_OK;
    } else if (p != NULL) {
        size_t moved = 0;
        rc = km_places_sync(db, p, &moved, err);
        if (rc == KM_OK && moved > 0) {
            KM_SLOG_INFO(TG_SCOPE, "places from %s: %zu posts placed again", path, moved);
        }
    }
    if (rc == KM_OK && p != NULL) {
        km_db_set_places(db, p);
        km_places_free(t->places);
        t->places = p;
        p = NULL;
    }
    km_places_free(p);
    free(path);
    return rc;
}

/* Agencies and places, once per generation of the watch. */
static int tg_sync(struct km_ticketing *t, struct km_db *db, const struct km_routing *r,
                   unsigned long generation, struct km_err *err)
{
    if (t->synced && generation == t->generation) {
        return KM_OK;
    }
    size_t active = 0;
    int rc = km_ticket_sync_agencies(db, r, &active, err);
    if (rc == KM_OK) {
        rc = tg_sync_places(t, db, err);
    }
    if (rc == KM_OK) {
        KM_SLOG_INFO(TG_SCOPE, "%zu agencies from routing.conf mirrored in PostgreSQL", active);
        t->synced = true;
        t->generation = generation;
    }
    return rc;
}

/* Publishes the whole outbox. */
static int tg_publish(struct km_ticketing *t, struct km_db *db, struct km_err *err)
{
    size_t published = 0;
    int rc;
    do {
        rc = km_outbox_publish(db, t->events, KM_OUTBOX_BATCH, &published, err);
        km_metric_add("komek_tickets_events_published_total", NULL, (double)published);
    } while (rc == KM_OK && published == KM_OUTBOX_BATCH);
    return rc;
}

/* One count query (param: its $1, may be NULL) into a gauge; false when it failed. */
static bool tg_gauge(struct km_db *db, const char *sql, const char *param, const char *name,
                     const char *labels)
{
    PGresult *res =
        PQexecParams(km_db_conn(db), sql, param != NULL ? 1 : 0, NULL, &param, NULL, NULL, 0);
    bool ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
    if (ok) {
        km_metric_set(name, labels, atof(PQgetvalue(res, 0, 0)));
    }
    PQclear(res);
    return ok;
}

static void tg_gauges(struct km_db *db)
{
    static const char *const statuses[] = {"new", "assigned", "in_progress", "reopened"};
    char labels[48];
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        snprintf(labels, sizeof(labels), "status=\"%s\"", statuses[i]);
        tg_gauge(db, "SELECT count(*) FROM tickets WHERE status = $1", statuses[i],
                 "komek_tickets_open", labels);
    }
    tg_gauge(db, "SELECT count(*) FROM tickets_overdue WHERE reaction_overdue", NULL,
             "komek_tickets_overdue", "kind=\"reaction\"");
    tg_gauge(db, "SELECT count(*) FROM tickets_overdue WHERE resolve_overdue", NULL,
             "komek_tickets_overdue", "kind=\"resolve\"");
    tg_gauge(db, "SELECT count(*) FROM event_outbox WHERE published_at IS NULL", NULL,
             "komek_tickets_outbox_pending", NULL);
}

int km_ticketing_after(void *ctx, struct km_db *db, size_t stored, struct km_err *err)
{
    struct km_ticketing *t = ctx;
    struct km_shared_ref *ref = NULL;
    const struct km_watch *w = km_shared_acquire(t->watch, &ref);
    const struct km_routing *r =
        w != NULL && w->triage != NULL ? km_triage_routing(w->triage) : NULL;
    unsigned long generation = km_shared_generation(t->watch);
    int64_t now = km_time_mono_ms();
    int rc = KM_OK;
    km_db_set_places(db, t->places); /* a connection made since holds none */
    if (r != NULL) {
        rc = tg_sync(t, db, r, generation, err);
    }
    if (rc == KM_OK && r != NULL && (stored > 0 || now >= t->next_sweep_ms)) {
        size_t created = 0;
        rc = km_ticket_auto_sweep(db, r, "auto", t->prefix, &created, err);
        km_metric_add("komek_tickets_auto_created_total", NULL, (double)created);
        if (created > 0) {
            KM_SLOG_INFO(TG_SCOPE, "%zu tickets created by auto_ticket rules", created);
        }
        t->next_sweep_ms = now + KM_TICKETING_SWEEP_MS;
    }
    km_shared_release(t->watch, ref);
    if (rc == KM_OK) {
        rc = tg_publish(t, db, err);
    }
    if (rc == KM_OK && now >= t->next_gauges_ms) {
        tg_gauges(db);
        t->next_gauges_ms = now + KM_TICKETING_GAUGES_MS;
    }
    return rc;
}
