#include "db/sql.h"

#include <stddef.h>
#include <string.h>

int km_sql_code(PGconn *conn, const PGresult *res)
{
    ExecStatusType st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        return KM_OK;
    }
    const char *s = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (PQstatus(conn) != CONNECTION_OK || s == NULL) {
        return KM_RETRY;
    }
    if (strncmp(s, "08", 2) == 0 || strncmp(s, "53", 2) == 0 || strncmp(s, "57P", 3) == 0 ||
        strncmp(s, "58", 2) == 0 || strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0 ||
        strcmp(s, "55P03") == 0) {
        return KM_RETRY;
    }
    if (strncmp(s, "22", 2) == 0 || strncmp(s, "23", 2) == 0) {
        return KM_EINPUT;
    }
    return KM_ERR;
}

int km_sql_exec(PGconn *conn, const char *sql, int n, const char *const *vals, PGresult **out,
                const char *what, struct km_err *err)
{
    PGresult *res = PQexecParams(conn, sql, n, NULL, vals, NULL, NULL, 0);
    int rc = km_sql_code(conn, res);
    if (rc != KM_OK) {
        const char *msg = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
        const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
        if (msg == NULL || msg[0] == '\0') {
            msg = PQerrorMessage(conn);
        }
        km_err_set(err, rc, "postgresql: %s: %.*s%s%s%s", what, (int)strcspn(msg, "\n"), msg,
                   state != NULL ? " (SQLSTATE " : "", state != NULL ? state : "",
                   state != NULL ? ")" : "");
    } else if (out != NULL) {
        *out = res;
        res = NULL;
    }
    PQclear(res);
    return rc;
}

void km_sql_rollback(PGconn *conn)
{
    if (PQstatus(conn) == CONNECTION_OK) {
        PQclear(PQexecParams(conn, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0));
    }
}
