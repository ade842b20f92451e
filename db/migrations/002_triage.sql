-- 002: what triage found out about each post (issue 4), and the incidents that near-
-- duplicate reports of one problem form. Applied by komekctl migrate in one transaction
-- with its schema_migrations row: do not put BEGIN/COMMIT in a migration file.
--
-- Posts stored before this migration (and posts of v 1 stream entries, which triage has not
-- scored) keep NULL in every new column: NULL means "not scored", never a guess.

-- One row per incident. Every column but id and created_at is recomputed from the
-- incident's posts by the tickets role whenever a post joins it or is escalated, so storing
-- a batch again changes nothing and the counts cannot drift.
CREATE TABLE incidents (
    id           text PRIMARY KEY,          -- the id triage gave the incident's posts
    category     text,                      -- most frequent category of its posts
    priority     smallint CHECK (priority BETWEEN 1 AND 4),  -- highest (1 = P1) of its posts
    urgency      smallint CHECK (urgency BETWEEN 0 AND 100), -- highest of its posts
    first_seen   timestamptz NOT NULL,      -- earliest created_at (else collected_at)
    last_seen    timestamptz NOT NULL,      -- latest created_at (else collected_at)
    posts        integer NOT NULL DEFAULT 0,
    authors      integer NOT NULL DEFAULT 0, -- distinct network + author id/handle/name
    escalated_at timestamptz,               -- last escalation applied to one of its posts
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- posts.incident links a post to its incident. The check is deferred to COMMIT because the
-- tickets role stores a post first and then creates or recounts its incident row from the
-- posts table, in the same transaction.
ALTER TABLE posts
    ADD COLUMN category     text,
    ADD COLUMN urgency      smallint CHECK (urgency BETWEEN 0 AND 100),
    ADD COLUMN priority     smallint CHECK (priority BETWEEN 1 AND 4),
    ADD COLUMN reasons      text[],          -- one line per contribution to urgency
    ADD COLUMN sla_due      timestamptz,     -- first-reaction deadline
    ADD COLUMN agency       text,            -- from routing.conf
    ADD COLUMN fingerprint  text,            -- hex XXH3-64 of the normalised text
    ADD COLUMN incident     text REFERENCES incidents (id) ON UPDATE CASCADE
                                 ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
    ADD COLUMN dup_of       text,            -- "network:post_id" of the original
    ADD COLUMN escalated_at timestamptz;     -- when an escalation last raised its priority

-- The operator queue: most urgent first, then the earliest deadline (NULLs, posts not
-- scored, sort last).
CREATE INDEX posts_queue_idx ON posts (priority, sla_due);
-- An incident's posts (its recount runs on every post that joins it).
CREATE INDEX posts_incident_idx ON posts (incident) WHERE incident IS NOT NULL;
-- Exact duplicates by normalised text (komekctl backtest, the desk's "same text" view).
CREATE INDEX posts_fingerprint_idx ON posts (fingerprint) WHERE fingerprint IS NOT NULL;
-- Incidents for the desk: most urgent, then most recent.
CREATE INDEX incidents_queue_idx ON incidents (priority, last_seen DESC);
