/* komekctl desk, claim, release, ticket-from-item, dismiss, reply: the operator desk's
 * actions from a terminal, through the desk's HTTP API (the same checks, claims and audit
 * rows as the browser's).
 *
 * Every command signs in first (POST /api/login) with --user LOGIN and the password from
 * --password-file FILE (first line) or the KOMEK_PASSWORD environment variable, never from
 * the arguments; the session cookie and CSRF token stay in memory for that one command and
 * the session is closed at the end. The base URL is --url, else http(s)://desk_listen. */
#ifndef KM_CTL_DESK_H
#define KM_CTL_DESK_H

#include "common/conf.h"

#include <stdbool.h>

/* Longest answer read from the desk: a queue of KM_DESK_QUEUE_MAX items with their texts
 * stays well under it. */
#define KM_CTL_DESK_BODY_MAX (8u << 20)

/* True if argv[0] names one of the commands below ("ticket" only when its first operand
 * is an item id NETWORK:POST_ID, so `komekctl ticket create|show|...` stays the tickets
 * command). */
bool km_ctl_desk_handles(int argc, char **argv);

/* Runs the command argv[0] with its arguments:
 *   desk [--network N] [--category C] [--source S] [--lang L] [--priority PN] [--limit N]
 *        [--json]                             the queue, most urgent first
 *   claim ID | release ID
 *   ticket-from-item ID (or ticket ID) [--category C] [--agency A] [--priority PN]
 *        [--note TEXT] [--incident]
 *   dismiss ID --kind duplicate|spam|not_for_us --reason TEXT
 *   reply ID --template NAME | --text TEXT [--lang L]
 * with the common options --url URL, --user LOGIN, --password-file FILE. Returns the exit
 * status: 0, 1 (the desk refused: claimed by another operator, no ticket...; or it cannot be
 * reached) or 2 (usage). Calls curl_global_init() itself. */
int km_ctl_desk(const struct km_config *cfg, int argc, char **argv);

#endif
