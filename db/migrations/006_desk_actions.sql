-- 006: what operators do to queue items at the desk (issue 6): dismissals (duplicate, spam,
-- not for us) and priority overrides, each with its reason, and post_events, the
-- append-only audit trail of every action on a post. Applied by komekctl migrate in one
-- transaction with its schema_migrations row: do not put BEGIN/COMMIT in a migration file.
--
-- Each desk action is ONE transaction that changes the post and appends its post_events
-- row (db/desk_items.c); a rolled-back action leaves neither.

-- A dismissed post leaves the queue for good; the reason is required.
ALTER TABLE posts
    ADD COLUMN disposition        text CHECK (disposition IN ('duplicate', 'spam',
                                                              'not_for_us')),
    ADD COLUMN disposition_reason text,
    ADD COLUMN disposition_by     text,
    ADD COLUMN disposition_at     timestamptz,
    -- An operator's priority wins over triage's (and over later escalations, which only
    -- change posts.priority): the queue orders by coalesce(priority_override, priority).
    ADD COLUMN priority_override  smallint CHECK (priority_override BETWEEN 1 AND 4),
    ADD COLUMN priority_reason    text,
    ADD COLUMN priority_by        text,
    ADD COLUMN priority_at        timestamptz,
    ADD CONSTRAINT posts_disposition_reason CHECK (disposition IS NULL OR
                                                   length(disposition_reason) > 0),
    ADD CONSTRAINT posts_priority_reason CHECK (priority_override IS NULL OR
                                                length(priority_reason) > 0);

-- The operator queue: posts with no ticket and no disposition, most urgent first, then the
-- earliest deadline.
CREATE INDEX posts_desk_queue_idx ON posts ((coalesce(priority_override, priority)), sla_due)
    WHERE ticket IS NULL AND disposition IS NULL;

-- The duplicates of an item (posts naming it as dup_of), shown and counted with it.
CREATE INDEX posts_dup_of_idx ON posts (dup_of) WHERE dup_of IS NOT NULL;

-- The audit trail of desk actions on posts: one row per change, in the change's
-- transaction. type: dismiss, priority, incident (moved into an incident), ticket (attached
-- to a ticket, written by the trigger below from the ticket's "attach" event).
-- before/after hold the changed fields' old and new values.
CREATE TABLE post_events (
    id      bigserial PRIMARY KEY,
    post    bigint NOT NULL REFERENCES posts (id),
    at      timestamptz NOT NULL DEFAULT now(),
    actor   text NOT NULL,                     -- operator login or "komekctl:USER"
    type    text NOT NULL,
    before  jsonb,
    after   jsonb,
    note    text
);

CREATE INDEX post_events_post_idx ON post_events (post, id);
CREATE INDEX post_events_actor_idx ON post_events (actor, at);

CREATE FUNCTION post_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'post_events is append-only';
END $$;

CREATE TRIGGER post_events_append_only BEFORE UPDATE OR DELETE ON post_events
    FOR EACH ROW EXECUTE FUNCTION post_events_append_only();

-- A post attached to a ticket (created from it, or attached later) gets its own audit row
-- in the same transaction as the ticket's "attach" event, whoever made it.
CREATE FUNCTION ticket_attach_to_post_events() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO post_events (post, at, actor, type, after)
    SELECT p.id, NEW.at, NEW.actor, 'ticket',
           jsonb_build_object('ticket', (SELECT number FROM tickets WHERE id = NEW.ticket),
                              'event', NEW.id)
    FROM jsonb_array_elements_text(coalesce(NEW.after -> 'posts', '[]'::jsonb)) AS k(key)
    JOIN posts p ON p.network = split_part(k.key, ':', 1)
                AND p.post_id = substr(k.key, strpos(k.key, ':') + 1);
    RETURN NULL;
END $$;

CREATE TRIGGER ticket_attach_to_post_events AFTER INSERT ON ticket_events
    FOR EACH ROW WHEN (NEW.type = 'attach')
    EXECUTE FUNCTION ticket_attach_to_post_events();
