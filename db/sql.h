/* Parameterised queries with komek result codes, for the db/ modules that run their own
 * SQL on a km_db's connection (places, reports, tickets); db/db.c maps its results with
 * km_sql_code() too. */
#ifndef KM_DB_SQL_H
#define KM_DB_SQL_H

#include "common/err.h"

#include <libpq-fe.h>

/* Maps a result to a komek code by its SQLSTATE: KM_OK for a command or rows; KM_RETRY for
 * a lost connection, a server short of resources (53), shutting down (57P), a
 * serialisation failure or deadlock (40001, 40P01) or a lock not available (55P03);
 * KM_EINPUT for invalid data (22) or a constraint (23); KM_ERR otherwise (schema missing,
 * privilege, bug). res may be NULL (out of memory or no connection: KM_RETRY). */
int km_sql_code(PGconn *conn, const PGresult *res);

/* Runs sql with n text parameters (NULL = SQL NULL) through PQexecParams. On KM_OK and
 * out != NULL, *out gets the result (the caller PQclear()s it). On failure err gets
 * "postgresql: WHAT: first line of the message (SQLSTATE xxxxx)" and the code of
 * km_sql_code(). */
int km_sql_exec(PGconn *conn, const char *sql, int n, const char *const *vals, PGresult **out,
                const char *what, struct km_err *err);

/* Ends a failed transaction if the connection still lives (result ignored: the error was
 * already reported). */
void km_sql_rollback(PGconn *conn);

#endif
