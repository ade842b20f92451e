#include "desk/users.h"

#include "desk/auth.h"
#include "db/sql.h"
#include "parser/json.h"

#include <stdlib.h>
#include <string.h>

int km_desk_user_check_login(const char *login, struct km_err *err)
{
    size_t n = login != NULL ? strlen(login) : 0;
    if (n == 0 || n > 64 || strspn(login, "abcdefghijklmnopqrstuvwxyz0123456789_.-") != n) {
        return km_err_set(err, KM_EINPUT,
                          "login must be 1 to 64 characters of a-z, 0-9, '_', '.', '-'");
    }
    return KM_OK;
}

int km_desk_user_check_role(const char *role, struct km_err *err)
{
    if (km_desk_role_parse(role) == KM_DESK_ANON) {
        return km_err_set(err, KM_EINPUT, "role must be operator, supervisor or admin");
    }
    return KM_OK;
}

int km_desk_user_check_password(const char *password, struct km_err *err)
{
    size_t n = password != NULL ? strlen(password) : 0;
    if (n < KM_DESK_PASSWORD_MIN || n > KM_DESK_PASSWORD_MAX) {
        return km_err_set(err, KM_EINPUT, "a password must have %d to %d bytes",
                          KM_DESK_PASSWORD_MIN, KM_DESK_PASSWORD_MAX);
    }
    return KM_OK;
}

int km_desk_user_add(struct km_db *db, const char *login, const char *name, const char *role,
                     const char *password, struct km_err *err)
{
    char *hash = NULL;
    PGresult *res = NULL;
    int rc = km_desk_user_check_login(login, err);
    if (rc == KM_OK) {
        rc = km_desk_user_check_role(role, err);
    }
    if (rc == KM_OK) {
        rc = km_desk_user_check_password(password, err);
    }
    if (rc == KM_OK) {
        rc = km_desk_password_hash(password, &hash, err);
    }
    if (rc != KM_OK) {
        goto out;
    }
    const char *vals[] = {login, name != NULL ? name : "", role, hash};
    rc = km_sql_exec(km_db_conn(db),
                     "INSERT INTO operators (login, name, role, password_hash) "
                     "VALUES ($1, $2, $3, $4) ON CONFLICT (login) DO NOTHING RETURNING id",
                     4, vals, &res, "add operator", err);
    if (rc == KM_OK && PQntuples(res) != 1) {
        rc = km_err_set(err, KM_EINPUT, "login '%s' exists already", login);
    }
out:
    PQclear(res);
    free(hash);
    return rc;
}

/* Runs an UPDATE of one operator by login ($1) and deletes its sessions, in one
 * transaction. KM_EINPUT if no row matched. */
static int users_update(struct km_db *db, const char *sql, int n, const char *const *vals,
                        const char *login, struct km_err *err)
{
    PGconn *conn = km_db_conn(db);
    PGresult *res = NULL;
    int rc = km_sql_exec(conn, "BEGIN", 0, NULL, NULL, "begin", err);
    if (rc == KM_OK) {
        rc = km_sql_exec(conn, sql, n, vals, &res, "update operator", err);
    }
    if (rc == KM_OK && PQntuples(res) != 1) {
        rc = km_err_set(err, KM_EINPUT, "no operator '%s'", login);
    }
    if (rc == KM_OK) {
        const char *id[] = {PQgetvalue(res, 0, 0)};
        rc = km_sql_exec(conn, "DELETE FROM desk_sessions WHERE operator = $1", 1, id, NULL,
                         "sign out", err);
    }
    if (rc == KM_OK) {
        rc = km_sql_exec(conn, "COMMIT", 0, NULL, NULL, "commit", err);
    } else {
        km_sql_rollback(conn);
    }
    PQclear(res);
    return rc;
}

int km_desk_user_passwd(struct km_db *db, const char *login, const char *password,
                        struct km_err *err)
{
    char *hash = NULL;
    int rc = km_desk_user_check_password(password, err);
    if (rc == KM_OK) {
        rc = km_desk_password_hash(password, &hash, err);
    }
    if (rc == KM_OK) {
        const char *vals[] = {login, hash};
        rc = users_update(db,
                          "UPDATE operators SET password_hash = $2, updated_at = now() "
                          "WHERE login = $1 RETURNING id",
                          2, vals, login, err);
    }
    free(hash);
    return rc;
}

int km_desk_user_set_disabled(struct km_db *db, const char *login, bool disabled,
                              struct km_err *err)
{
    const char *vals[] = {login, disabled ? "true" : "false"};
    return users_update(db,
                        "UPDATE operators SET disabled = $2::boolean, updated_at = now() "
                        "WHERE login = $1 RETURNING id",
                        2, vals, login, err);
}

int km_desk_user_list_json(struct km_db *db, struct km_buf *out, struct km_err *err)
{
    PGresult *res = NULL;
    int rc = km_sql_exec(km_db_conn(db),
                         "SELECT o.login, o.name, o.role, o.disabled, "
                         "to_char(max(s.last_seen_at) AT TIME ZONE 'UTC', "
                         "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
                         "FROM operators o LEFT JOIN desk_sessions s ON s.operator = o.id "
                         "GROUP BY o.id ORDER BY o.login",
                         0, NULL, &res, "list operators", err);
    if (rc != KM_OK) {
        return rc;
    }
    km_buf_putc(out, '[');
    for (int i = 0; i < PQntuples(res); i++) {
        km_buf_puts(out, i > 0 ? ",{\"login\":" : "{\"login\":");
        km_json_escape(out, PQgetvalue(res, i, 0));
        km_buf_puts(out, ",\"name\":");
        km_json_escape(out, PQgetvalue(res, i, 1));
        km_buf_puts(out, ",\"role\":");
        km_json_escape(out, PQgetvalue(res, i, 2));
        km_buf_printf(out, ",\"disabled\":%s,\"last_seen\":",
                      strcmp(PQgetvalue(res, i, 3), "t") == 0 ? "true" : "false");
        km_json_escape(out, PQgetisnull(res, i, 4) ? NULL : PQgetvalue(res, i, 4));
        km_buf_putc(out, '}');
    }
    km_buf_putc(out, ']');
    PQclear(res);
    return KM_OK;
}
