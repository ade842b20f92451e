/* Runs komekd's roles: collect, tickets, intake (webhooks) and desk (the operators' web
 * desk), each in its own thread, or one of them. */
#ifndef KM_DAEMON_ROLES_H
#define KM_DAEMON_ROLES_H

#include "common/conf.h"
#include "app/shared.h"

#include <signal.h>
#include <stdbool.h>

/* role is "all", "collect", "tickets", "intake" or "desk". "all" starts the intake only if
 * some enabled source is a push type and listen is not off, and the desk unless desk_listen
 * is off. With once, collect runs one round and then tickets stores everything that round
 * produced, one after the other; neither the intake nor the desk is started. Returns KM_OK if
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
