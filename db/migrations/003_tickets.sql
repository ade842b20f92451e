-- 003: the system of record (issue 5): agencies, operators, numbered tickets with their
-- append-only audit trail, the outbox of events for integrators, and the places the
-- problems report groups by. Applied by komekctl migrate in one transaction with its
-- schema_migrations row: do not put BEGIN/COMMIT in a migration file.
--
-- A ticket is modelled on Open311 GeoReport v2: service_code = category, status,
-- status_notes, agency_responsible, requested_datetime, updated_datetime,
-- expected_datetime (= resolve_due). `komekctl ticket export --open311` writes that JSON.

-- Agencies and the categories they handle: a mirror of routing.conf [agency], written by
-- the tickets role at start and on reload (and by komekctl migrate). Rows are never deleted:
-- an agency removed from routing.conf keeps its tickets and becomes inactive.
CREATE TABLE agencies (
    name        text PRIMARY KEY,
    categories  text[] NOT NULL DEFAULT '{}',
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- People who work the desk (issue 6). password_hash is a crypt(3) string (yescrypt "$y$").
CREATE TABLE operators (
    id            bigserial PRIMARY KEY,
    login         text NOT NULL UNIQUE CHECK (login ~ '^[a-z0-9_.-]{1,64}$'),
    name          text NOT NULL DEFAULT '',
    role          text NOT NULL DEFAULT 'operator'
                       CHECK (role IN ('operator', 'supervisor', 'admin')),
    password_hash text,
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Ticket numbers come from this sequence: nextval() is never rolled back, so a number is
-- never reused, and it is atomic, so concurrent creators never get the same one.
CREATE SEQUENCE ticket_seq START 1;

CREATE TABLE tickets (
    id                bigserial PRIMARY KEY,
    number            text NOT NULL UNIQUE,        -- "109-2026-000123"
    status            text NOT NULL DEFAULT 'new'
                           CHECK (status IN ('new', 'assigned', 'in_progress', 'resolved',
                                             'rejected', 'reopened')),
    status_notes      text,                        -- Open311 status_notes: last change's note
    category          text NOT NULL,               -- Open311 service_code
    priority          smallint NOT NULL CHECK (priority BETWEEN 1 AND 4),
    agency            text REFERENCES agencies (name) ON UPDATE CASCADE,
    description       text NOT NULL DEFAULT '',
    place             text,                        -- street or district, when known
    post              bigint UNIQUE REFERENCES posts (id),   -- the post it was created from
    incident          text UNIQUE REFERENCES incidents (id) ON UPDATE CASCADE,
    created_by        text NOT NULL,               -- operator login or "auto"
    assignee          bigint REFERENCES operators (id),
    created_at        timestamptz NOT NULL DEFAULT now(),  -- Open311 requested_datetime
    updated_at        timestamptz NOT NULL DEFAULT now(),  -- Open311 updated_datetime
    reaction_due      timestamptz NOT NULL,        -- first reaction (reply, assignment)
    first_reaction_at timestamptz,
    resolve_due       timestamptz NOT NULL,        -- Open311 expected_datetime
    resolved_at       timestamptz,                 -- set on resolved/rejected, cleared on reopen
    CHECK (post IS NOT NULL OR incident IS NOT NULL)
);

CREATE INDEX tickets_status_idx ON tickets (status, resolve_due);
CREATE INDEX tickets_agency_idx ON tickets (agency, created_at);

-- Posts attached to a ticket: the post it was created from, every post of its incident,
-- and posts that join the incident later (the trigger below).
ALTER TABLE posts ADD COLUMN ticket bigint REFERENCES tickets (id);
CREATE INDEX posts_ticket_idx ON posts (ticket) WHERE ticket IS NOT NULL;

-- A post stored (or re-linked) into an incident that already has a ticket joins that
-- ticket, so no report of a ticketed problem waits in the queue on its own.
CREATE FUNCTION posts_join_incident_ticket() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.incident IS NOT NULL AND NEW.ticket IS NULL THEN
        SELECT id INTO NEW.ticket FROM tickets WHERE incident = NEW.incident;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER posts_join_incident_ticket BEFORE INSERT OR UPDATE OF incident ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_join_incident_ticket();

-- The audit trail: one row per change, written in the same transaction as the change.
-- type: created, status, assign, priority, category, agency, note, attach, reply.
-- before/after hold the changed fields' old and new values.
CREATE TABLE ticket_events (
    id      bigserial PRIMARY KEY,
    ticket  bigint NOT NULL REFERENCES tickets (id),
    at      timestamptz NOT NULL DEFAULT now(),
    actor   text NOT NULL,                     -- operator login, "auto" or "komekctl:USER"
    type    text NOT NULL,
    before  jsonb,
    after   jsonb,
    note    text
);

CREATE INDEX ticket_events_ticket_idx ON ticket_events (ticket, id);

CREATE FUNCTION ticket_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ticket_events is append-only';
END $$;

CREATE TRIGGER ticket_events_append_only BEFORE UPDATE OR DELETE ON ticket_events
    FOR EACH ROW EXECUTE FUNCTION ticket_events_append_only();

-- Events waiting to be XADDed to {komek}:events. A row is written by the same transaction
-- as its ticket event (so a rolled-back change publishes nothing) and marked published only
-- after the XADD succeeded (so Redis being down loses nothing; a crash between the two
-- publishes it twice: consumers deduplicate by the event id).
CREATE TABLE event_outbox (
    id           bigserial PRIMARY KEY,
    event        bigint NOT NULL UNIQUE REFERENCES ticket_events (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    stream_id    text                          -- id of the {komek}:events entry
);

CREATE INDEX event_outbox_unpublished_idx ON event_outbox (id) WHERE published_at IS NULL;

CREATE FUNCTION ticket_events_to_outbox() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_outbox (event) VALUES (NEW.id);
    RETURN NULL;
END $$;

CREATE TRIGGER ticket_events_to_outbox AFTER INSERT ON ticket_events
    FOR EACH ROW EXECUTE FUNCTION ticket_events_to_outbox();

-- Streets and districts the problems report groups by: a mirror of etc/places.conf.
-- patterns are lower-case substrings of the normalised text (a stem, so that case endings
-- still match: "кенесар" finds "Кенесары" and "Кенесары көшесі").
CREATE TABLE places (
    name      text PRIMARY KEY,
    kind      text NOT NULL CHECK (kind IN ('district', 'street', 'microdistrict', 'place')),
    patterns  text[] NOT NULL
);

-- Tickets whose first reaction or resolution is overdue now.
CREATE VIEW tickets_overdue AS
SELECT t.*,
       (t.first_reaction_at IS NULL AND t.reaction_due < now()) AS reaction_overdue,
       (t.status NOT IN ('resolved', 'rejected') AND t.resolve_due < now()) AS resolve_overdue
FROM tickets t
WHERE (t.first_reaction_at IS NULL AND t.reaction_due < now()
       AND t.status NOT IN ('resolved', 'rejected'))
   OR (t.status NOT IN ('resolved', 'rejected') AND t.resolve_due < now());

-- The place a text names, or NULL: a street before a microdistrict before a district, the
-- longest pattern first. Used for tickets.place and by the problems report.
CREATE FUNCTION place_of(body text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT p.name
    FROM places p, unnest(p.patterns) AS pat
    WHERE strpos(lower(body), pat) > 0
    ORDER BY CASE p.kind WHEN 'street' THEN 0 WHEN 'microdistrict' THEN 1
                         WHEN 'place' THEN 2 ELSE 3 END,
             length(pat) DESC, p.name
    LIMIT 1
$$;
