/* Desk accounts in the operators table (db/migrations/003_tickets.sql): add, change a
 * password, disable, list. Shared by `komekctl user` and the admin API. Passwords are
 * hashed with yescrypt (desk/auth.h); plain passwords are never stored or logged.
 * Not thread-safe per km_db (one connection per thread). */
#ifndef KM_DESK_USERS_H
#define KM_DESK_USERS_H

#include "common/buf.h"
#include "common/err.h"
#include "db/db.h"

#include <stdbool.h>

/* Checks a login (1 to 64 of a-z 0-9 _ . -), a role name and a password length
 * (KM_DESK_PASSWORD_MIN .. KM_DESK_PASSWORD_MAX bytes). Each returns KM_OK or KM_EINPUT
 * with err saying what is wrong. Thread-safe. */
int km_desk_user_check_login(const char *login, struct km_err *err);
int km_desk_user_check_role(const char *role, struct km_err *err);
int km_desk_user_check_password(const char *password, struct km_err *err);

/* Creates operator login with name (may be NULL = "") and role, and the password's hash.
 * Returns KM_OK, KM_EINPUT (bad login, role or password; login taken: err says so),
 * KM_RETRY or KM_ERR. */
int km_desk_user_add(struct km_db *db, const char *login, const char *name, const char *role,
                     const char *password, struct km_err *err);

/* Sets a new password and signs the operator out everywhere (deletes the sessions).
 * Returns KM_OK, KM_EINPUT (no such login, bad password), KM_RETRY or KM_ERR. */
int km_desk_user_passwd(struct km_db *db, const char *login, const char *password,
                        struct km_err *err);

/* Disables (disabled = true) or enables an operator; disabling deletes the sessions.
 * Returns KM_OK, KM_EINPUT (no such login), KM_RETRY or KM_ERR. */
int km_desk_user_set_disabled(struct km_db *db, const char *login, bool disabled,
                              struct km_err *err);

/* Appends the operators as a JSON array to out: [{"login","name","role","disabled",
 * "last_seen"(RFC 3339 or null)}] ordered by login; last_seen is the latest session
 * activity. Returns KM_OK, KM_RETRY or KM_ERR. */
int km_desk_user_list_json(struct km_db *db, struct km_buf *out, struct km_err *err);

#endif
