-- Incidents counted as their posts arrive instead of re-aggregated from all their posts:
-- the tickets role recounted every incident a batch touched from the posts table, which
-- grows with the incident, so storing a stream with large incidents took quadratic time
-- (make bench, issue 8: 31 of 58 s for 200,000 posts). Two small tables keep what a count
-- cannot be updated without: the distinct authors and the posts per category of each
-- incident. incident_members_add() takes the posts that just joined their incident;
-- incident_recount() stays exact (from the posts) for the rare paths that move posts
-- between incidents or raise a stored post (the desk, escalations) and rebuilds both
-- tables for its incidents.
CREATE TABLE incident_authors (
    incident text NOT NULL,
    author   text NOT NULL, -- network || ':' || coalesce(author_id, author_handle, author_name)
    PRIMARY KEY (incident, author)
);

CREATE TABLE incident_categories (
    incident text NOT NULL,
    category text NOT NULL,
    posts    integer NOT NULL,
    PRIMARY KEY (incident, category)
);

INSERT INTO incident_authors (incident, author)
SELECT DISTINCT incident, network || ':' || coalesce(author_id, author_handle, author_name)
FROM posts
WHERE incident IS NOT NULL AND coalesce(author_id, author_handle, author_name) IS NOT NULL;

INSERT INTO incident_categories (incident, category, posts)
SELECT incident, category, count(*) FROM posts
WHERE incident IS NOT NULL AND category IS NOT NULL GROUP BY incident, category;

-- The most frequent category of an incident (ties: the first by name, as before).
CREATE FUNCTION incident_category(id text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT category FROM incident_categories WHERE incident = id
    ORDER BY posts DESC, category LIMIT 1
$$;

-- The posts named by members ("network:post_id") that belong to an incident, with what
-- their incident counts.
CREATE FUNCTION incident_members(members text[])
RETURNS TABLE (incident text, category text, priority smallint, urgency smallint,
               seen timestamptz, author text)
LANGUAGE sql STABLE AS $$
    SELECT p.incident, p.category, p.priority, p.urgency,
           coalesce(p.created_at, p.collected_at, p.stored_at),
           p.network || ':' || coalesce(p.author_id, p.author_handle, p.author_name)
    FROM (SELECT DISTINCT k FROM unnest(members) AS u(k)) m
    JOIN posts p ON p.network = split_part(m.k, ':', 1)
                AND p.post_id = substr(m.k, strpos(m.k, ':') + 1)
    WHERE p.incident IS NOT NULL
$$;

-- Adds the posts named by members, which have just joined their incident (posts.incident
-- set) and were not counted in it before, to their incidents' counts; incidents lists
-- their incidents (the category is chosen again for them). The caller holds the incidents'
-- rows locked (created with posts = 0 if new).
CREATE FUNCTION incident_members_add(members text[], incidents text[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    WITH m AS (SELECT * FROM incident_members(members)),
         a AS (INSERT INTO incident_authors (incident, author)
               SELECT DISTINCT m.incident, m.author FROM m WHERE m.author IS NOT NULL
               ON CONFLICT DO NOTHING RETURNING incident_authors.incident),
         c AS (INSERT INTO incident_categories AS c (incident, category, posts)
               SELECT m.incident, m.category, count(*) FROM m WHERE m.category IS NOT NULL
               GROUP BY m.incident, m.category
               ON CONFLICT (incident, category) DO UPDATE SET posts = c.posts + excluded.posts),
         na AS (SELECT a.incident, count(*) AS n FROM a GROUP BY a.incident),
         s AS (SELECT m.incident, min(m.priority) AS priority, max(m.urgency) AS urgency,
                      min(m.seen) AS first_seen, max(m.seen) AS last_seen, count(*) AS n
               FROM m GROUP BY m.incident)
    UPDATE incidents i SET
        posts = i.posts + s.n,
        authors = i.authors + coalesce(na.n, 0),
        priority = least(i.priority, s.priority),
        urgency = greatest(i.urgency, s.urgency),
        first_seen = CASE WHEN i.posts = 0 THEN s.first_seen
                          ELSE least(i.first_seen, s.first_seen) END,
        last_seen = CASE WHEN i.posts = 0 THEN s.last_seen
                         ELSE greatest(i.last_seen, s.last_seen) END,
        updated_at = now()
    FROM s LEFT JOIN na ON na.incident = s.incident
    WHERE i.id = s.incident; -- c runs too: PostgreSQL completes every data-modifying WITH

    -- a statement of its own: it must see the category counts just written
    UPDATE incidents i SET category = incident_category(i.id)
    WHERE i.id = ANY(incidents);
END $$;

-- Recounts the incidents ids (NULLs ignored) from their posts, exactly, and rebuilds their
-- rows of incident_authors and incident_categories; escalated stamps escalated_at. The
-- incidents' rows are locked first, in id order as the tickets role locks them, so that a
-- consumer adding to one of them commits before (and its posts are counted here) or waits;
-- an incident left without posts counts none.
CREATE FUNCTION incident_recount(ids text[], escalated boolean) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM incidents WHERE id = ANY(ids) ORDER BY id FOR UPDATE;
    DELETE FROM incident_authors WHERE incident = ANY(ids);
    DELETE FROM incident_categories WHERE incident = ANY(ids);
    INSERT INTO incident_authors (incident, author)
    SELECT DISTINCT incident, network || ':' || coalesce(author_id, author_handle, author_name)
    FROM posts
    WHERE incident = ANY(ids) AND coalesce(author_id, author_handle, author_name) IS NOT NULL;
    INSERT INTO incident_categories (incident, category, posts)
    SELECT incident, category, count(*) FROM posts
    WHERE incident = ANY(ids) AND category IS NOT NULL GROUP BY incident, category;
    UPDATE incidents i SET category = incident_category(i.id), priority = s.priority,
        urgency = s.urgency, first_seen = s.first_seen, last_seen = s.last_seen,
        posts = s.posts, authors = s.authors, updated_at = now(),
        escalated_at = CASE WHEN escalated THEN now() ELSE i.escalated_at END
    FROM (SELECT incident, min(priority) AS priority, max(urgency) AS urgency,
                 min(coalesce(created_at, collected_at, stored_at)) AS first_seen,
                 max(coalesce(created_at, collected_at, stored_at)) AS last_seen,
                 count(*) AS posts,
                 count(DISTINCT network || ':' || coalesce(author_id, author_handle,
                                                           author_name)) AS authors
          FROM posts WHERE incident = ANY(ids) GROUP BY incident) s
    WHERE i.id = s.incident;
    UPDATE incidents i SET posts = 0, authors = 0, category = NULL, priority = NULL,
        urgency = NULL, updated_at = now()
    WHERE i.id = ANY(ids) AND i.posts <> 0
      AND NOT EXISTS (SELECT 1 FROM posts p WHERE p.incident = i.id);
END $$;
