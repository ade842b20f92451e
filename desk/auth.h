/* The desk's sign-in: roles, the session cookie, CSRF and role decisions (pure functions),
 * yescrypt passwords, session tokens, and the sessions and failed logins kept in PostgreSQL
 * (db/migrations/005_desk.sql).
 *
 * A session token is 32 random bytes in base64url (43 characters) sent only in the cookie
 * komek_session; PostgreSQL stores its SHA-256. The CSRF token is another such string, kept
 * with the session and echoed by the browser in X-CSRF-Token. */
#ifndef KM_DESK_AUTH_H
#define KM_DESK_AUTH_H

#include "common/err.h"
#include "db/db.h"
#include "desk/route.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Name of the session cookie. */
#define KM_DESK_COOKIE "komek_session"
/* Length of a token (session or CSRF): 32 random bytes in base64url without padding. */
#define KM_DESK_TOKEN_LEN 43
/* Window over which failed logins are counted (desk_login_limit attempts per window). */
#define KM_DESK_LOGIN_WINDOW_S (15 * 60)
/* Longest password accepted: yescrypt hashes any length, but a megabyte of "password"
 * would only cost CPU. */
#define KM_DESK_PASSWORD_MAX 1024
/* Shortest password komekctl user and the admin API accept. */
#define KM_DESK_PASSWORD_MIN 8

/* ---- pure decisions ------------------------------------------------------------------ */

/* "operator", "supervisor", "admin" -> the role; anything else -> KM_DESK_ANON. */
enum km_desk_role km_desk_role_parse(const char *name);
/* The role's name ("anonymous" for KM_DESK_ANON). Static string. */
const char *km_desk_role_name(enum km_desk_role role);

/* Finds cookie name in a Cookie header ("a=1; komek_session=XYZ") and copies its value
 * into out (size bytes with the NUL). Returns false if header is NULL, the cookie is
 * absent, or its value is empty or does not fit. The first occurrence wins. Thread-safe. */
bool km_desk_cookie_get(const char *header, const char *name, char *out, size_t size);

/* True if a request with this method and path must carry X-CSRF-Token: every method but
 * GET and HEAD, except POST /api/login. */
bool km_desk_csrf_needed(const char *method, const char *path);

/* The access decision for one request, in this order: */
enum km_desk_access {
    KM_DESK_ALLOW = 0,
    KM_DESK_DENY_SESSION, /* 401: the route needs a session and there is none */
    KM_DESK_DENY_CSRF,    /* 403 {"error":"csrf"}: state change without the right token */
    KM_DESK_DENY_ROLE,    /* 403: role below min_role */
};
/* Decides whether a request may reach a route needing min_role. role is the session's
 * (KM_DESK_ANON without a session); csrf_given is the X-CSRF-Token header (may be NULL);
 * csrf_session the session's token (NULL without a session). The tokens are compared in
 * constant time. Thread-safe. */
enum km_desk_access km_desk_access_check(enum km_desk_role min_role, enum km_desk_role role,
                                         const char *method, const char *path,
                                         const char *csrf_given, const char *csrf_session);

/* The role a path needs whatever route serves it (or none): /api/supervisor/,
 * /api/reports/ and /api/watch need a supervisor, /api/users an admin, anything else
 * under /api/ an operator except /api/login; other paths KM_DESK_ANON. Enforced by the
 * server before routing, so that a route registered with too low a role, or no route at
 * all, cannot open them. */
enum km_desk_role km_desk_path_min_role(const char *path);

/* ---- passwords and tokens ------------------------------------------------------------ */

/* Hashes password with yescrypt (crypt_gensalt_ra("$y$") + crypt_r). Returns KM_OK with
 * *hash (malloc'd crypt string "$y$...", caller frees), KM_EINPUT if the password is empty
 * or longer than KM_DESK_PASSWORD_MAX, or KM_ERR if libcrypt fails. Thread-safe. */
int km_desk_password_hash(const char *password, char **hash, struct km_err *err);

/* True if password matches hash (a crypt string); compares in constant time. A NULL or
 * malformed hash never matches but costs a yescrypt hash all the same, so that an unknown
 * login takes as long as a wrong password. Thread-safe. */
bool km_desk_password_verify(const char *password, const char *hash);

/* Writes a new random token (KM_DESK_TOKEN_LEN characters and a NUL) into out. Returns
 * KM_OK, or KM_ERR if the system's random source fails. Thread-safe. */
int km_desk_token_new(char out[KM_DESK_TOKEN_LEN + 1], struct km_err *err);

/* True if s is a well-formed token (KM_DESK_TOKEN_LEN base64url characters). */
bool km_desk_token_valid(const char *s);

/* ---- sessions (PostgreSQL) ----------------------------------------------------------- */

/* A session read back from its cookie; the strings are owned by the struct. */
struct km_desk_session_row {
    long long id;
    struct km_desk_session s; /* operator_id, login, name, role, lang */
    char *csrf;
    char *login, *name, *lang; /* storage behind s's strings */
};
void km_desk_session_row_clear(struct km_desk_session_row *row);

/* An operator, as login needs it. */
struct km_desk_operator {
    long long id;
    char *login, *name, *role, *password_hash;
    bool disabled;
};
void km_desk_operator_clear(struct km_desk_operator *op);

/* Reads the operator with login into *op (clear it with km_desk_operator_clear()).
 * Returns KM_OK, KM_EINPUT (no such login: *op zeroed) or KM_RETRY. */
int km_desk_operator_get(struct km_db *db, const char *login, struct km_desk_operator *op,
                         struct km_err *err);

/* Creates a session for operator_id lasting ttl_s seconds, with interface language lang
 * ("ru", "kk" or "en") and the client's address (may be NULL). Writes the new cookie token
 * and CSRF token into token and csrf. Also deletes sessions expired for a day. Returns
 * KM_OK, KM_RETRY or KM_ERR. */
int km_desk_session_create(struct km_db *db, long long operator_id, const char *lang,
                           long long ttl_s, const char *addr, char token[KM_DESK_TOKEN_LEN + 1],
                           char csrf[KM_DESK_TOKEN_LEN + 1], struct km_err *err);

/* Looks up the session of a cookie token that has not expired and whose operator is not
 * disabled, and marks it seen now. Returns KM_OK with *row (clear it with
 * km_desk_session_row_clear()), KM_EINPUT (no such live session), or KM_RETRY. */
int km_desk_session_lookup(struct km_db *db, const char *token, struct km_desk_session_row *row,
                           struct km_err *err);

/* Deletes the session of a cookie token (nothing if there is none). KM_OK or KM_RETRY. */
int km_desk_session_delete(struct km_db *db, const char *token, struct km_err *err);

/* ---- failed logins (PostgreSQL) ------------------------------------------------------ */

/* Whether login or addr reached limit failed attempts within KM_DESK_LOGIN_WINDOW_S.
 * *retry_after_s gets the seconds until the oldest counted failure leaves the window (0
 * when not limited). Returns KM_OK or KM_RETRY. */
int km_desk_login_limited(struct km_db *db, const char *login, const char *addr, long long limit,
                          long long *retry_after_s, struct km_err *err);
/* Records one failed attempt and deletes failures older than the window. */
int km_desk_login_failed(struct km_db *db, const char *login, const char *addr, struct km_err *err);
/* Forgets the failures of login after a successful sign-in. */
int km_desk_login_succeeded(struct km_db *db, const char *login, struct km_err *err);

#endif
