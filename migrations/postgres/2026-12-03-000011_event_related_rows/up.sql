-- An event row carries what its related rows show: its meta data, its sales channels and its
-- item meta properties, as one JSON document in `related`, each array sorted by bytes:
--
--     {"m": [[name, value], ...], "c": [identifier, ...], "i": [[name, default], ...]}
--
-- so that reading events, a page of 50 or one, is a single statement (docs/performance.md,
-- "The event list's database path"). The tables that own these rows stay the truth. Presale
-- writes the document with the event row; triggers keep it in step with every other change to
-- those rows (the CLI, plain SQL, a renamed or deleted property or channel), at COMMIT, when
-- the rows are final.

ALTER TABLE events ADD COLUMN related TEXT NOT NULL DEFAULT '{"m":[],"c":[],"i":[]}';

-- The document as the tables have it, its arrays sorted by bytes (as Presale writes it).
-- PL/pgSQL, which plans its query once per session (a SQL function would plan it on every call).
CREATE FUNCTION presale_event_related(event bigint) RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN json_build_object(
        'm', coalesce((SELECT json_agg(json_build_array(p.name, v.value)
                                       ORDER BY p.name COLLATE "C", v.value COLLATE "C")
                       FROM event_meta_values v JOIN meta_properties p ON p.id = v.property_id
                       WHERE v.event_id = event), '[]'::json),
        'c', coalesce((SELECT json_agg(s.identifier ORDER BY s.identifier COLLATE "C")
                       FROM event_sales_channels c JOIN sales_channels s ON s.id = c.channel_id
                       WHERE c.event_id = event), '[]'::json),
        'i', coalesce((SELECT json_agg(json_build_array(i.name, i.default_value)
                                       ORDER BY i.name COLLATE "C", i.default_value COLLATE "C")
                       FROM item_meta_properties i
                       WHERE i.event_id = event), '[]'::json)
    )::text;
END $$;

-- Writes the event's document when it differs from what the tables have.
CREATE FUNCTION presale_refresh_event_related(event bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    document text := presale_event_related(event);
BEGIN
    UPDATE events SET related = document
    WHERE id = event AND related::jsonb IS DISTINCT FROM document::jsonb;
END $$;

CREATE FUNCTION presale_related_row_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM presale_refresh_event_related(OLD.event_id);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.event_id <> OLD.event_id) THEN
        PERFORM presale_refresh_event_related(NEW.event_id);
    END IF;
    RETURN NULL;
END $$;

-- Checked at COMMIT, when the rows are final: a write that replaces an event's rows refreshes
-- the document once per row at most, and not at all when it wrote the document itself with
-- the event row (as Presale does), which keeps event writes from updating their row again.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['event_meta_values', 'event_sales_channels', 'item_meta_properties']
    LOOP
        EXECUTE format('CREATE CONSTRAINT TRIGGER presale_related AFTER INSERT OR UPDATE OR DELETE '
            'ON %I DEFERRABLE INITIALLY DEFERRED FOR EACH ROW '
            'EXECUTE FUNCTION presale_related_row_changed()', t);
    END LOOP;
END $$;

-- A renamed meta property or sales channel changes the documents of the events that use it.
-- (Deleting one deletes their rows above by cascade, whose triggers then refresh.)
CREATE FUNCTION presale_related_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'meta_properties' THEN
        PERFORM presale_refresh_event_related(event_id)
        FROM event_meta_values WHERE property_id = NEW.id;
    ELSE
        PERFORM presale_refresh_event_related(event_id)
        FROM event_sales_channels WHERE channel_id = NEW.id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER presale_related_rename AFTER UPDATE OF name ON meta_properties
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION presale_related_renamed();
CREATE TRIGGER presale_related_rename AFTER UPDATE OF identifier ON sales_channels
    FOR EACH ROW WHEN (OLD.identifier IS DISTINCT FROM NEW.identifier)
    EXECUTE FUNCTION presale_related_renamed();

UPDATE events SET related = presale_event_related(id);
