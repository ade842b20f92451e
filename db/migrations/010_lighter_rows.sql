-- Fewer bytes and fewer row versions per stored post (make bench, issue 8).
--
-- A posts row is about 2.2 KB, most of it the full post as jsonb, so it crossed the 2 KB
-- TOAST threshold and PostgreSQL compressed the post with pglz on every INSERT: 13 µs of
-- the 46 µs a row took. JSON of Cyrillic text hardly compresses (the table was 3 % larger
-- uncompressed), so rows of up to 8 KB now stay in the table as they are.
ALTER TABLE posts SET (toast_tuple_target = 8160);

-- incident_members_add() wrote each incident it touched twice, once for the counts and once
-- more for the category (a second statement, because it had to see the counts just
-- written). It now chooses the category in the same UPDATE, from the category counts as
-- they are after this call: the ones it changed (as its upsert returns them) and the others
-- as they were. Every incident in incidents gets updated_at = now() (the tickets role no
-- longer writes the row to lock it).
CREATE OR REPLACE FUNCTION incident_members_add(members text[], incidents text[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    WITH m AS (SELECT * FROM incident_members(members)),
         a AS (INSERT INTO incident_authors (incident, author)
               SELECT DISTINCT m.incident, m.author FROM m WHERE m.author IS NOT NULL
               ON CONFLICT DO NOTHING RETURNING incident_authors.incident),
         c AS (INSERT INTO incident_categories AS c (incident, category, posts)
               SELECT m.incident, m.category, count(*) FROM m WHERE m.category IS NOT NULL
               GROUP BY m.incident, m.category
               ON CONFLICT (incident, category) DO UPDATE SET posts = c.posts + excluded.posts
               RETURNING c.incident, c.category, c.posts),
         na AS (SELECT a.incident, count(*) AS n FROM a GROUP BY a.incident),
         s AS (SELECT m.incident, min(m.priority) AS priority, max(m.urgency) AS urgency,
                      min(m.seen) AS first_seen, max(m.seen) AS last_seen, count(*) AS n
               FROM m GROUP BY m.incident),
         ids AS (SELECT DISTINCT u.id FROM unnest(incidents) AS u(id) WHERE u.id IS NOT NULL),
         -- every category count of those incidents after c (the snapshot of the others)
         k AS (SELECT c.incident, c.category, c.posts FROM c
               UNION ALL
               SELECT ic.incident, ic.category, ic.posts
               FROM incident_categories ic JOIN ids ON ids.id = ic.incident
               WHERE NOT EXISTS (SELECT 1 FROM c WHERE c.incident = ic.incident
                                                   AND c.category = ic.category)),
         -- the most frequent (ties: the first by name), as incident_category()
         top AS (SELECT DISTINCT ON (k.incident) k.incident, k.category FROM k
                 ORDER BY k.incident, k.posts DESC, k.category)
    UPDATE incidents i SET
        posts = i.posts + coalesce(s.n, 0),
        authors = i.authors + coalesce(na.n, 0),
        priority = least(i.priority, s.priority),
        urgency = greatest(i.urgency, s.urgency),
        first_seen = CASE WHEN s.incident IS NULL THEN i.first_seen
                          WHEN i.posts = 0 THEN s.first_seen
                          ELSE least(i.first_seen, s.first_seen) END,
        last_seen = CASE WHEN s.incident IS NULL THEN i.last_seen
                         WHEN i.posts = 0 THEN s.last_seen
                         ELSE greatest(i.last_seen, s.last_seen) END,
        category = top.category,
        updated_at = now()
    FROM ids LEFT JOIN s ON s.incident = ids.id
             LEFT JOIN na ON na.incident = ids.id
             LEFT JOIN top ON top.incident = ids.id
    WHERE i.id = ids.id; -- a and c run too: PostgreSQL completes every data-modifying WITH
END $$;
