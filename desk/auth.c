#include "desk/auth.h"

#include "common/alloc.h"
#include "common/ct.h"
#include "db/sql.h"

#include <crypt.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A valid yescrypt hash of a throwaway password: verified against when a login has no
 * hash, so that an unknown login costs as much time as a wrong password. */
#define AUTH_DUMMY_HASH "$y$j9T$F5Jx5fExrKuJdvXv.0MCg/$lbxNlbg1RKhVP.l35i15VCBXiPo7T2VEKxn5NE7FiS3"
/* Random bytes behind a token. */
#define AUTH_TOKEN_BYTES 32
/* Sessions expired this long ago are deleted at the next login. */
#define AUTH_SESSION_KEEP "1 day"

/* ---- pure decisions ------------------------------------------------------------------ */

static const char *const auth_roles[] = {"anonymous", "operator", "supervisor", "admin"};

enum km_desk_role km_desk_role_parse(const char *name)
{
    for (int r = KM_DESK_OPERATOR; name != NULL && r <= KM_DESK_ADMIN; r++) {
        if (strcmp(name, auth_roles[r]) == 0) {
            return (enum km_desk_role)r;
        }
    }
    return KM_DESK_ANON;
}

const char *km_desk_role_name(enum km_desk_role role)
{
    return (unsigned)role <= KM_DESK_ADMIN ? auth_roles[role] : auth_roles[0];
}

bool km_desk_cookie_get(const char *header, const char *name, char *out, size_t size)
{
    size_t nlen = strlen(name);
    const char *p = header;
    while (p != NULL && *p != '\0') {
        p += strspn(p, " \t;");
        const char *end = p + strcspn(p, ";");
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (eq != NULL && (size_t)(eq - p) == nlen && strncmp(p, name, nlen) == 0) {
            const char *v = eq + 1;
            size_t vlen = (size_t)(end - v);
            while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t')) {
                vlen--;
            }
            if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') { /* RFC 6265 quoted value */
                v++;
                vlen -= 2;
            }
            if (vlen == 0 || vlen >= size) {
                return false;
            }
            memcpy(out, v, vlen);
            out[vlen] = '\0';
            return true;
        }
        p = end;
    }
    return false;
}

bool km_desk_csrf_needed(const char *method, const char *path)
{
    if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
        return false;
    }
    return !(strcmp(method, "POST") == 0 && strcmp(path, "/api/login") == 0);
}

enum km_desk_access km_desk_access_check(enum km_desk_role min_role, enum km_desk_role role,
                                         const char *method, const char *path,
                                         const char *csrf_given, const char *csrf_session)
{
    if (min_role > KM_DESK_ANON && role == KM_DESK_ANON) {
        return KM_DESK_DENY_SESSION;
    }
    if (km_desk_csrf_needed(method, path) &&
        (csrf_session == NULL || csrf_given == NULL || !km_ct_streq(csrf_given, csrf_session))) {
        return KM_DESK_DENY_CSRF;
    }
    return role < min_role ? KM_DESK_DENY_ROLE : KM_DESK_ALLOW;
}

/* True if path is prefix itself or continues it with '/' or '?'. */
static bool auth_under(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

enum km_desk_role km_desk_path_min_role(const char *path)
{
    if (auth_under(path, "/api/users")) {
        return KM_DESK_ADMIN;
    }
    if (auth_under(path, "/api/supervisor") || auth_under(path, "/api/reports") ||
        auth_under(path, "/api/watch")) {
        return KM_DESK_SUPERVISOR;
    }
    if (strcmp(path, "/api/login") == 0 || !auth_under(path, "/api")) {
        return KM_DESK_ANON;
    }
    return KM_DESK_OPERATOR;
}

/* ---- passwords and tokens ------------------------------------------------------------ */

int km_desk_password_hash(const char *password, char **hash, struct km_err *err)
{
    char *salt = NULL;
    struct crypt_data *cd = NULL;
    int rc = KM_OK;
    *hash = NULL;
    size_t len = password != NULL ? strlen(password) : 0;
    if (len == 0 || len > KM_DESK_PASSWORD_MAX) {
        rc = km_err_set(err, KM_EINPUT, "a password must have 1 to %d bytes", KM_DESK_PASSWORD_MAX);
        goto out;
    }
    salt = crypt_gensalt_ra("$y$", 0, NULL, 0);
    if (salt == NULL) {
        rc = km_err_set(err, KM_ERR, "libcrypt: cannot make a yescrypt salt");
        goto out;
    }
    cd = km_calloc(1, sizeof(*cd));
    const char *h = crypt_r(password, salt, cd);
    if (h == NULL || h[0] != '$') {
        rc = km_err_set(err, KM_ERR, "libcrypt: yescrypt failed");
        goto out;
    }
    *hash = km_strdup(h);
out:
    free(salt);
    if (cd != NULL) {
        OPENSSL_cleanse(cd, sizeof(*cd)); /* it held the password */
        free(cd);
    }
    return rc;
}

bool km_desk_password_verify(const char *password, const char *hash)
{
    bool usable = hash != NULL && hash[0] == '$' && password != NULL &&
                  strlen(password) <= KM_DESK_PASSWORD_MAX;
    const char *setting = usable ? hash : AUTH_DUMMY_HASH;
    struct crypt_data *cd = km_calloc(1, sizeof(*cd));
    const char *h = crypt_r(password != NULL ? password : "", setting, cd);
    bool ok = usable && h != NULL && h[0] == '$' && km_ct_streq(h, hash);
    OPENSSL_cleanse(cd, sizeof(*cd));
    free(cd);
    return ok;
}

int km_desk_token_new(char out[KM_DESK_TOKEN_LEN + 1], struct km_err *err)
{
    static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char raw[AUTH_TOKEN_BYTES + 1] = {0}; /* one spare zero byte for the last group */
    if (RAND_bytes(raw, AUTH_TOKEN_BYTES) != 1) {
        out[0] = '\0';
        return km_err_set(err, KM_ERR, "no random bytes for a session token (RAND_bytes)");
    }
    size_t o = 0;
    for (size_t i = 0; i < AUTH_TOKEN_BYTES; i += 3) {
        unsigned v = (unsigned)raw[i] << 16 | (unsigned)raw[i + 1] << 8 |
                     (i + 2 < AUTH_TOKEN_BYTES ? raw[i + 2] : 0u);
        for (int k = 0; k < 4 && o < KM_DESK_TOKEN_LEN; k++) {
            out[o++] = b64url[(v >> (18 - 6 * k)) & 63];
        }
    }
    out[o] = '\0';
    OPENSSL_cleanse(raw, sizeof(raw));
    return KM_OK;
}

bool km_desk_token_valid(const char *s)
{
    if (s == NULL || strlen(s) != KM_DESK_TOKEN_LEN) {
        return false;
    }
    return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
           KM_DESK_TOKEN_LEN;
}

/* The bytea literal "\x<hex of SHA-256(token)>" for a query parameter. */
static bool auth_token_hash(const char *token, char out[2 + 64 + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    if (EVP_Digest(token, strlen(token), md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
        return false;
    }
    static const char hex[] = "0123456789abcdef";
    out[0] = '\\';
    out[1] = 'x';
    for (unsigned i = 0; i < mdlen; i++) {
        out[2 + 2 * i] = hex[md[i] >> 4];
        out[3 + 2 * i] = hex[md[i] & 15];
    }
    out[2 + 64] = '\0';
    return true;
}

/* ---- sessions ------------------------------------------------------------------------ */

void km_desk_session_row_clear(struct km_desk_session_row *row)
{
    if (row == NULL) {
        return;
    }
    free(row->csrf);
    free(row->login);
    free(row->name);
    free(row->lang);
    memset(row, 0, sizeof(*row));
}

void km_desk_operator_clear(struct km_desk_operator *op)
{
    if (op == NULL) {
        return;
    }
    free(op->login);
    free(op->name);
    free(op->role);
    free(op->password_hash);
    memset(op, 0, sizeof(*op));
}

static char *auth_col(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : km_strdup(PQgetvalue(res, row, col));
}

int km_desk_operator_get(struct km_db *db, const char *login, struct km_desk_operator *op,
                         struct km_err *err)
{
    PGresult *res = NULL;
    memset(op, 0, sizeof(*op));
    const char *vals[] = {login};
    int rc = km_sql_exec(km_db_conn(db),
                         "SELECT id, login, name, role, password_hash, disabled FROM operators "
                         "WHERE login = $1",
                         1, vals, &res, "read operator", err);
    if (rc != KM_OK) {
        goto out;
    }
    if (PQntuples(res) != 1) {
        rc = km_err_set(err, KM_EINPUT, "no operator '%s'", login);
        goto out;
    }
    op->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    op->login = auth_col(res, 0, 1);
    op->name = auth_col(res, 0, 2);
    op->role = auth_col(res, 0, 3);
    op->password_hash = auth_col(res, 0, 4);
    op->disabled = strcmp(PQgetvalue(res, 0, 5), "t") == 0;
out:
    PQclear(res);
    return rc;
}

int km_desk_session_create(struct km_db *db, long long operator_id, const char *lang,
                           long long ttl_s, const char *addr, char token[KM_DESK_TOKEN_LEN + 1],
                           char csrf[KM_DESK_TOKEN_LEN + 1], struct km_err *err)
{
    char hash[2 + 64 + 1], id[24], ttl[24];
    int rc = km_desk_token_new(token, err);
    if (rc == KM_OK) {
        rc = km_desk_token_new(csrf, err);
    }
    if (rc == KM_OK && !auth_token_hash(token, hash)) {
        rc = km_err_set(err, KM_ERR, "libcrypto: SHA-256 failed");
    }
    if (rc != KM_OK) {
        return rc;
    }
    snprintf(id, sizeof(id), "%lld", operator_id);
    snprintf(ttl, sizeof(ttl), "%lld", ttl_s);
    PGconn *conn = km_db_conn(db);
    rc = km_sql_exec(
        conn,
        "DELETE FROM desk_sessions WHERE expires_at < now() - interval '" AUTH_SESSION_KEEP "'", 0,
        NULL, NULL, "delete old sessions", err);
    const char *vals[] = {hash, id, csrf, lang, addr, ttl};
    if (rc == KM_OK) {
        rc = km_sql_exec(conn,
                         "INSERT INTO desk_sessions (token_hash, operator, csrf, lang, addr, "
                         "expires_at) VALUES ($1, $2, $3, $4, $5, "
                         "now() + make_interval(secs => $6::bigint))",
                         6, vals, NULL, "create session", err);
    }
    return rc;
}

int km_desk_session_lookup(struct km_db *db, const char *token, struct km_desk_session_row *row,
                           struct km_err *err)
{
    PGresult *res = NULL;
    char hash[2 + 64 + 1];
    memset(row, 0, sizeof(*row));
    if (!km_desk_token_valid(token) || !auth_token_hash(token, hash)) {
        return km_err_set(err, KM_EINPUT, "no such session");
    }
    const char *vals[] = {hash};
    int rc = km_sql_exec(km_db_conn(db),
                         "UPDATE desk_sessions s SET last_seen_at = now() FROM operators o "
                         "WHERE s.token_hash = $1 AND s.expires_at > now() AND o.id = s.operator "
                         "AND NOT o.disabled "
                         "RETURNING s.id, s.csrf, s.lang, o.id, o.login, o.name, o.role",
                         1, vals, &res, "read session", err);
    if (rc != KM_OK) {
        goto out;
    }
    if (PQntuples(res) != 1) {
        rc = km_err_set(err, KM_EINPUT, "no such session");
        goto out;
    }
    row->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    row->csrf = auth_col(res, 0, 1);
    row->lang = auth_col(res, 0, 2);
    row->s.operator_id = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
    row->login = auth_col(res, 0, 4);
    row->name = auth_col(res, 0, 5);
    row->s.role = km_desk_role_parse(PQgetvalue(res, 0, 6));
    row->s.login = row->login;
    row->s.name = row->name;
    row->s.lang = row->lang;
out:
    PQclear(res);
    return rc;
}

int km_desk_session_delete(struct km_db *db, const char *token, struct km_err *err)
{
    char hash[2 + 64 + 1];
    if (!km_desk_token_valid(token) || !auth_token_hash(token, hash)) {
        return KM_OK;
    }
    const char *vals[] = {hash};
    return km_sql_exec(km_db_conn(db), "DELETE FROM desk_sessions WHERE token_hash = $1", 1, vals,
                       NULL, "delete session", err);
}

/* ---- failed logins ------------------------------------------------------------------- */

#define AUTH_WINDOW_SQL "make_interval(secs => 900)"
_Static_assert(KM_DESK_LOGIN_WINDOW_S == 900, "AUTH_WINDOW_SQL must match the window");

int km_desk_login_limited(struct km_db *db, const char *login, const char *addr, long long limit,
                          long long *retry_after_s, struct km_err *err)
{
    PGresult *res = NULL;
    char lim[24];
    snprintf(lim, sizeof(lim), "%lld", limit);
    *retry_after_s = 0;
    const char *vals[] = {login, addr, lim};
    /* For each of login and addr: the time its limit-th most recent failure leaves the
     * window, if it has that many; the later of the two is when a try is allowed again. */
    int rc = km_sql_exec(
        km_db_conn(db),
        "SELECT ceil(extract(epoch FROM max(f.at) + " AUTH_WINDOW_SQL " - now()))::bigint FROM ("
        " (SELECT at FROM desk_login_failures WHERE login = $1 AND at > now() - " AUTH_WINDOW_SQL
        "  ORDER BY at DESC OFFSET $3::int - 1 LIMIT 1)"
        " UNION ALL"
        " (SELECT at FROM desk_login_failures WHERE addr = $2 AND at > now() - " AUTH_WINDOW_SQL
        "  ORDER BY at DESC OFFSET $3::int - 1 LIMIT 1)) f",
        3, vals, &res, "count failed logins", err);
    if (rc == KM_OK && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
        long long s = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        *retry_after_s = s > 0 ? s : 1;
    }
    PQclear(res);
    return rc;
}

int km_desk_login_failed(struct km_db *db, const char *login, const char *addr, struct km_err *err)
{
    const char *vals[] = {login, addr};
    PGconn *conn = km_db_conn(db);
    int rc = km_sql_exec(conn, "INSERT INTO desk_login_failures (login, addr) VALUES ($1, $2)", 2,
                         vals, NULL, "record failed login", err);
    if (rc == KM_OK) {
        rc =
            km_sql_exec(conn, "DELETE FROM desk_login_failures WHERE at < now() - " AUTH_WINDOW_SQL,
                        0, NULL, NULL, "forget old failed logins", err);
    }
    return rc;
}

int km_desk_login_succeeded(struct km_db *db, const char *login, struct km_err *err)
{
    const char *vals[] = {login};
    return km_sql_exec(km_db_conn(db), "DELETE FROM desk_login_failures WHERE login = $1", 1, vals,
                       NULL, "forget failed logins", err);
}
