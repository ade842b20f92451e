-- 004: the ratings of issue 5 — agency ratings and the systemic problems rating — as SQL
-- functions over a date range (komekctl report, the desk) and as views a BI tool can read.
-- Applied by komekctl migrate in one transaction with its schema_migrations row: do not put
-- BEGIN/COMMIT in a migration file.
--
-- Both ratings use now() for "overdue", so a report over a past range still counts a ticket
-- of that range that is open past its deadline today.

-- Lower case for place matching whatever the database's locale: lower() of a cluster
-- created with locale C folds ASCII only, so Cyrillic and Kazakh capitals are mapped
-- explicitly, and ё is read as е (texts use both). etc/places.conf patterns are normalised
-- the same way by db/places.c.
CREATE FUNCTION km_lower(body text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT translate(lower(body),
                     'АБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯӘҒҚҢӨҰҮҺІЁё',
                     'абвгдежзийклмнопрстуфхцчшщъыьэюяәғқңөұүһіее')
$$;

-- Replaces 003's place_of(): the same order (a street before a microdistrict before a
-- district, the longest pattern first), over km_lower() of the text computed once.
CREATE OR REPLACE FUNCTION place_of(body text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT p.name
    FROM (SELECT km_lower(body) AS b) x, places p, unnest(p.patterns) AS pat
    WHERE strpos(x.b, pat) > 0
    ORDER BY CASE p.kind WHEN 'street' THEN 0 WHEN 'microdistrict' THEN 1
                         WHEN 'place' THEN 2 ELSE 3 END,
             length(pat) DESC, p.name
    LIMIT 1
$$;

-- The place a post names, kept with the post so that the problems report does not scan
-- every pattern for every post of a month. Set by the trigger below on insert and when the
-- text changes; km_places_sync() recomputes it for every post when places.conf changed.
ALTER TABLE posts ADD COLUMN place text;

CREATE FUNCTION posts_set_place() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.place := place_of(NEW.text);
    RETURN NEW;
END $$;

CREATE TRIGGER posts_set_place BEFORE INSERT OR UPDATE OF text ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_set_place();

-- Usually a no-op: the places are synced from places.conf after the migration.
UPDATE posts SET place = place_of(text) WHERE EXISTS (SELECT 1 FROM places);

-- The time a post was made (the network's created_at, else when komek collected it): the
-- problems report selects a range on it.
CREATE INDEX posts_seen_at_idx ON posts ((coalesce(created_at, collected_at)));

-- Resonance of a post: likes + reposts + replies from its normalised JSON (engagement{}
-- omits what the network does not give). Views are left out: few networks report them and
-- they are orders of magnitude larger than the rest. Non-numeric or negative values count 0.
CREATE FUNCTION post_engagement(post jsonb) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(sum(least(floor((e.v #>> '{}')::numeric), 1e12)::bigint), 0)::bigint
    FROM jsonb_each(CASE WHEN jsonb_typeof(post -> 'engagement') = 'object'
                         THEN post -> 'engagement' ELSE '{}'::jsonb END) AS e(k, v)
    WHERE e.k IN ('likes', 'reposts', 'replies') AND jsonb_typeof(e.v) = 'number'
      AND (e.v #>> '{}')::numeric > 0
$$;

-- Agency ratings over the tickets CREATED in [range_from, range_to), one row per active
-- agency (with zeros if it received nothing) and per agency named by such a ticket (NULL:
-- tickets not routed to any agency).
--   received          tickets created in the range
--   resolved          status resolved; rejected: status rejected (both are "closed")
--   resolved_on_time  closed with resolved_at <= resolve_due
--   overdue           closed late (resolved_at > resolve_due) + open_overdue
--   open, open_overdue  not closed; of those, past resolve_due now
--   median_resolve    median of resolved_at - created_at over the closed tickets
--   reaction_on_time_share  share of tickets whose first reaction (else closing) came by
--                     reaction_due, among those that reacted or whose reaction_due passed
--   reaction_overdue  open, no reaction yet, reaction_due passed
--   score             0..100: 100 * resolved_on_time / (resolved_on_time + overdue)
--                     - penalty * overdue (default 1 point per overdue ticket), clamped at
--                     0, one decimal; NULL while no ticket is decided (all still open within
--                     their deadline). So an agency head's rating drops for every request
--                     left unresolved past its deadline, and keeps dropping with their number.
CREATE FUNCTION agency_report(range_from timestamptz, range_to timestamptz,
                              penalty numeric DEFAULT 1)
RETURNS TABLE (agency text, received bigint, resolved bigint, rejected bigint,
               resolved_on_time bigint, overdue bigint, open bigint, open_overdue bigint,
               median_resolve interval, reaction_on_time_share numeric,
               reaction_overdue bigint, score numeric)
LANGUAGE sql STABLE AS $$
    WITH t AS (
        SELECT tk.agency, tk.status, tk.created_at, tk.resolved_at, tk.resolve_due,
               tk.reaction_due, coalesce(tk.first_reaction_at, tk.resolved_at) AS reacted_at,
               tk.status IN ('resolved', 'rejected') AS closed
        FROM tickets tk
        WHERE tk.created_at >= range_from AND tk.created_at < range_to
    ), a AS (
        SELECT t.agency,
               count(*) AS received,
               count(*) FILTER (WHERE t.status = 'resolved') AS resolved,
               count(*) FILTER (WHERE t.status = 'rejected') AS rejected,
               count(*) FILTER (WHERE t.closed AND t.resolved_at <= t.resolve_due) AS on_time,
               count(*) FILTER (WHERE t.closed AND t.resolved_at > t.resolve_due) AS late,
               count(*) FILTER (WHERE NOT t.closed) AS open,
               count(*) FILTER (WHERE NOT t.closed AND t.resolve_due < now()) AS open_overdue,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY t.resolved_at - t.created_at)
                   FILTER (WHERE t.closed) AS median_resolve,
               count(*) FILTER (WHERE t.reacted_at <= t.reaction_due) AS reacted_on_time,
               count(*) FILTER (WHERE t.reacted_at IS NOT NULL
                                   OR t.reaction_due < now()) AS reaction_decided,
               count(*) FILTER (WHERE NOT t.closed AND t.reacted_at IS NULL
                                  AND t.reaction_due < now()) AS reaction_overdue
        FROM t
        GROUP BY t.agency
    ), names AS (
        SELECT ag.name AS agency FROM agencies ag WHERE ag.active
        UNION
        SELECT a.agency FROM a
    )
    SELECT n.agency,
           coalesce(a.received, 0), coalesce(a.resolved, 0), coalesce(a.rejected, 0),
           coalesce(a.on_time, 0), coalesce(a.late + a.open_overdue, 0),
           coalesce(a.open, 0), coalesce(a.open_overdue, 0), a.median_resolve,
           round(a.reacted_on_time::numeric / nullif(a.reaction_decided, 0), 4),
           coalesce(a.reaction_overdue, 0),
           CASE WHEN coalesce(a.on_time + a.late + a.open_overdue, 0) = 0 THEN NULL
                ELSE greatest(0, round(100.0 * a.on_time / (a.on_time + a.late + a.open_overdue)
                                       - penalty * (a.late + a.open_overdue), 1))
           END
    FROM names n LEFT JOIN a ON a.agency IS NOT DISTINCT FROM n.agency
$$;

-- For a BI tool: every agency over all time (period 'all') and the last 30 days ('30d').
CREATE VIEW agency_ratings AS
SELECT 'all'::text AS period, r.* FROM agency_report('-infinity', 'infinity') r
UNION ALL
SELECT '30d'::text AS period, r.* FROM agency_report(now() - interval '30 days', now()) r;

-- Tickets overdue now per agency, for the desk and /metrics: first reaction missed (and
-- still open) and resolution deadline passed.
CREATE VIEW agency_overdue AS
SELECT o.agency,
       count(*) FILTER (WHERE o.reaction_overdue) AS reaction_overdue,
       count(*) FILTER (WHERE o.resolve_overdue) AS resolve_overdue
FROM tickets_overdue o
GROUP BY o.agency;

-- Systemic problems: the scored posts made in [range_from, range_to), except gratitude,
-- grouped by category and place (posts.place, '—' when no known place is named).
--   posts, authors    posts; distinct network + author id (else handle, else name, else
--                     the source: an RSS feed without authors counts as one author)
--   days              distinct local days (Asia/Almaty) with a report
--   engagement        sum of post_engagement()
--   top_priority      highest priority (1 = P1); p12_share: share of P1-P2 posts
--   tickets, tickets_open  distinct tickets the posts are attached to; of those, not closed
--   first_seen, last_seen  earliest and latest post
--   score = 10 * (repetition + resonance) * criticality, one decimal, where
--     repetition  = ln(1 + posts) + 2 ln(1 + authors) + ln(1 + days)
--                   (many people over many days weigh more than one person posting often)
--     resonance   = 0.5 ln(1 + engagement)
--     criticality = 1 + (4 - top_priority) / 3 + p12_share   (1 for P4 only .. 3 for all P1-P2)
-- Logarithms make the tenth report of a problem add less than the second.
CREATE FUNCTION problems_report(range_from timestamptz, range_to timestamptz)
RETURNS TABLE (category text, place text, posts bigint, authors bigint, days bigint,
               engagement bigint, top_priority smallint, p12_share numeric, tickets bigint,
               tickets_open bigint, first_seen timestamptz, last_seen timestamptz,
               score numeric)
LANGUAGE sql STABLE AS $$
    WITH p AS (
        SELECT ps.category, coalesce(ps.place, '—') AS place, ps.priority, ps.ticket,
               ps.network || ':' || coalesce(ps.author_id, ps.author_handle, ps.author_name,
                                             'source:' || ps.source) AS author,
               coalesce(ps.created_at, ps.collected_at) AS at,
               post_engagement(ps.post) AS eng,
               tk.status NOT IN ('resolved', 'rejected') AS ticket_open
        FROM posts ps LEFT JOIN tickets tk ON tk.id = ps.ticket
        WHERE ps.category IS NOT NULL AND ps.category <> 'gratitude'
          AND coalesce(ps.created_at, ps.collected_at) >= range_from
          AND coalesce(ps.created_at, ps.collected_at) < range_to
    ), g AS (
        SELECT p.category, p.place, count(*) AS posts, count(DISTINCT p.author) AS authors,
               count(DISTINCT (p.at AT TIME ZONE 'Asia/Almaty')::date) AS days,
               sum(p.eng)::bigint AS engagement, min(p.priority) AS top_priority,
               round(avg(CASE WHEN p.priority <= 2 THEN 1 ELSE 0 END), 4) AS p12_share,
               count(DISTINCT p.ticket) AS tickets,
               count(DISTINCT p.ticket) FILTER (WHERE p.ticket_open) AS tickets_open,
               min(p.at) AS first_seen, max(p.at) AS last_seen
        FROM p
        GROUP BY p.category, p.place
    )
    SELECT g.category, g.place, g.posts, g.authors, g.days, g.engagement, g.top_priority,
           g.p12_share, g.tickets, g.tickets_open, g.first_seen, g.last_seen,
           round(10 * (ln(1 + g.posts::numeric) + 2 * ln(1 + g.authors::numeric)
                       + ln(1 + g.days::numeric) + 0.5 * ln(1 + g.engagement::numeric))
                    * (1 + (4 - coalesce(g.top_priority, 4)) / 3.0 + g.p12_share), 1)
    FROM g
$$;

-- For a BI tool: the problems of the last 30 days, highest score first.
CREATE VIEW problems AS
SELECT r.* FROM problems_report(now() - interval '30 days', now()) r
ORDER BY r.score DESC, r.posts DESC, r.category, r.place;
