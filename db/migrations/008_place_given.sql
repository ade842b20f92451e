-- A writer that already knows a post's place gives it with the row: komekd's tickets role
-- finds it in C with the places it has just mirrored into the places table (km_places_find(),
-- the same rules as place_of()). Trying every pattern in this trigger was about 100 µs a
-- post, two thirds of the time of a stored batch (make bench, issue 8). A given place of ''
-- means "looked, none"; a row without one (psql, older komekd) is placed here as before, and
-- so is every change of the text.
CREATE OR REPLACE FUNCTION posts_set_place() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.place IS NOT NULL THEN
        NEW.place := nullif(NEW.place, '');
    ELSE
        NEW.place := place_of(NEW.text);
    END IF;
    RETURN NEW;
END $$;
