-- 001: posts stored by the tickets role, and stream entries that could not be stored.
-- Applied by komekctl migrate in one transaction with its schema_migrations row: do not
-- put BEGIN/COMMIT in a migration file.

-- One row per (network, post_id): the tickets role inserts with ON CONFLICT DO NOTHING,
-- so a batch that is stored again after a crash before XACK adds nothing twice.
CREATE TABLE posts (
    id            bigserial PRIMARY KEY,
    network       text NOT NULL,
    post_id       text NOT NULL,
    source        text NOT NULL,
    author_id     text,
    author_name   text,
    author_handle text,
    chat_id       text,
    chat_title    text,
    url           text,
    text          text NOT NULL,
    lang          text,
    created_at    timestamptz,
    collected_at  timestamptz,
    hashtags      text[] NOT NULL DEFAULT '{}',
    reply_to      text,
    post          jsonb NOT NULL,          -- the full normalised post (DESIGN.md)
    stream_id     text,                    -- id of the {komek}:posts entry it came from
    stored_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (network, post_id)
);

CREATE INDEX posts_created_at_idx ON posts (created_at);
CREATE INDEX posts_hashtags_idx ON posts USING gin (hashtags);

-- Stream entries whose post could not be decoded or was refused by PostgreSQL. They are
-- acknowledged on the stream, so this table is where nothing silently vanishes.
CREATE TABLE rejected_entries (
    id        bigserial PRIMARY KEY,
    stream_id text NOT NULL UNIQUE,
    reason    text NOT NULL,
    raw       text,                        -- the "post" field, repaired to valid UTF-8
    at        timestamptz NOT NULL DEFAULT now()
);
