-- 005: the operator desk's sign-in (issue 6): sessions and failed logins. Applied by
-- komekctl migrate in one transaction with its schema_migrations row: do not put
-- BEGIN/COMMIT in a migration file.

-- One row per signed-in browser or komekctl. The cookie holds a random 32-byte token; only
-- its SHA-256 is stored, so a copy of this table lets nobody sign in. csrf is the token the
-- browser echoes in X-CSRF-Token on every state change.
CREATE TABLE desk_sessions (
    id           bigserial PRIMARY KEY,
    token_hash   bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    operator     bigint NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    csrf         text NOT NULL,
    lang         text NOT NULL DEFAULT 'ru' CHECK (lang IN ('ru', 'kk', 'en')),
    addr         text,                          -- client address at login
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);

CREATE INDEX desk_sessions_operator_idx ON desk_sessions (operator);
CREATE INDEX desk_sessions_expires_idx ON desk_sessions (expires_at);

-- Failed logins, for the rate limit (desk_login_limit per login and per client address
-- within 15 minutes). Rows older than the window are deleted at the next login.
CREATE TABLE desk_login_failures (
    id    bigserial PRIMARY KEY,
    login text NOT NULL,
    addr  text NOT NULL,
    at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX desk_login_failures_login_idx ON desk_login_failures (login, at);
CREATE INDEX desk_login_failures_addr_idx ON desk_login_failures (addr, at);
