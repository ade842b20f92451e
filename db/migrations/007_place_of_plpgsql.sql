-- place_of() again, as PL/pgSQL so that the text is lowered once per call. 004's SQL
-- function was inlined by the planner, which then evaluated km_lower(body) once per
-- pattern (about 200): some 8 ms a post in the posts_set_place trigger, so the tickets role
-- stored only about 110 posts a second (make bench, issue 8). Same patterns, same order,
-- same answer; about 60 times faster.
CREATE OR REPLACE FUNCTION place_of(body text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    b text := km_lower(body);
    found text;
BEGIN
    SELECT p.name INTO found
    FROM places p, unnest(p.patterns) AS pat
    WHERE strpos(b, pat) > 0
    ORDER BY CASE p.kind WHEN 'street' THEN 0 WHEN 'microdistrict' THEN 1
                         WHEN 'place' THEN 2 ELSE 3 END,
             length(pat) DESC, p.name
    LIMIT 1;
    RETURN found;
END $$;
