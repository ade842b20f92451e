/* komekctl user: desk accounts (desk/users.h) from the command line. Passwords are read
 * from --password-file FILE or stdin (first line), never from the arguments, which other
 * users of the machine can read in /proc. */
#ifndef KM_CTL_USER_H
#define KM_CTL_USER_H

#include "common/conf.h"

/* `komekctl user SUB ...` with argv[0] = "user":
 *   add LOGIN [--name NAME] [--role operator|supervisor|admin] [--password-file FILE]
 *   passwd LOGIN [--password-file FILE]
 *   disable LOGIN | enable LOGIN
 *   list [--json]
 * Returns the exit status: 0, 1 (refused or failed: login taken, no such login, PostgreSQL
 * down) or 2 (usage, bad login, role or password). */
int km_ctl_user(const struct km_config *cfg, int argc, char **argv);

#endif
