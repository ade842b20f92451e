/* Runs komekd's roles: collect, tickets and intake (webhooks), each in its own thread, or
 * one of them. */
#ifndef KM_DAEMON_ROLES_H
#define KM_DAEMON_ROLES_H

#include "common/conf.h"
#include "app/shared.h"

#include <signal.h>
#include <stdbool.h>

/* role is "all", "collect", "tickets" or "intake". "all" starts the intake only if some
 * enabled source is a push type and listen is not off. With once, collect runs one round and
 * then tickets stores everything that round produced, one after the other; the intake is
 * not started. Returns KM_OK if
 * every role ended cleanly, else the first failure's code (already logged). */
/* What the main thread does while the roles run. */
struct km_roles_hooks {
    volatile sig_atomic_t *reload_requested; /* set by SIGHUP; cleared before reload() */
    void (*reload)(void *ctx);
    void *ctx;
};

int km_roles_run(const struct km_config *cfg, struct km_shared *watch, const char *role,
                 volatile sig_atomic_t *stop, bool once, const struct km_roles_hooks *hooks);

#endif
