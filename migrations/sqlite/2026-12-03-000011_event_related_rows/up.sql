-- An event row carries what its related rows show: its meta data, its sales channels and its
-- item meta properties, as one JSON document in `related`, each array sorted by bytes:
--
--     {"m": [[name, value], ...], "c": [identifier, ...], "i": [[name, default], ...]}
--
-- so that reading events, a page of 50 or one, is a single statement (docs/performance.md,
-- "The event list's database path"). The tables that own these rows stay the truth. Presale
-- writes the document with the event row; triggers keep it in step with every other change to
-- those rows (the CLI, plain SQL, a renamed or deleted property or channel), in the same
-- statement.

ALTER TABLE events ADD COLUMN related TEXT NOT NULL DEFAULT '{"m":[],"c":[],"i":[]}';

-- Rebuilding the document announces nothing: the change to the rows it follows has. (A column
-- added to events later joins this list.)
DROP TRIGGER presale_announce_events_update;
CREATE TRIGGER presale_announce_events_update AFTER UPDATE OF id, organizer_id, slug, name, live,
    testmode, currency, date_from, date_to, date_admission, is_public, presale_start,
    presale_end, location, geo_lat, geo_lon, has_subevents, timezone, plugins,
    all_sales_channels, signing_private_key, signing_public_key, created ON events
BEGIN INSERT INTO presale_announce SELECT NEW.organizer_id UNION SELECT OLD.organizer_id; END;

-- `INSERT INTO presale_refresh_related SELECT <event id>` rebuilds that event's document from
-- the tables: the one place here that builds it. (SQLite has no deferred triggers: a write that
-- replaces an event's rows refreshes it after each row.)
CREATE VIEW presale_refresh_related (event_id) AS SELECT NULL WHERE 0;

CREATE TRIGGER presale_refresh_related_record INSTEAD OF INSERT ON presale_refresh_related
BEGIN
    UPDATE events SET related = json_object(
        'm', json((SELECT json_group_array(json_array(name, value)) FROM (
                   SELECT p.name, v.value
                   FROM event_meta_values v JOIN meta_properties p ON p.id = v.property_id
                   WHERE v.event_id = NEW.event_id ORDER BY p.name, v.value))),
        'c', json((SELECT json_group_array(identifier) FROM (
                   SELECT s.identifier
                   FROM event_sales_channels c JOIN sales_channels s ON s.id = c.channel_id
                   WHERE c.event_id = NEW.event_id ORDER BY s.identifier))),
        'i', json((SELECT json_group_array(json_array(name, default_value)) FROM (
                   SELECT name, default_value FROM item_meta_properties
                   WHERE event_id = NEW.event_id ORDER BY name, default_value))))
    WHERE id = NEW.event_id;
END;

CREATE TRIGGER presale_related_event_meta_values_insert AFTER INSERT ON event_meta_values
BEGIN INSERT INTO presale_refresh_related SELECT NEW.event_id; END;
CREATE TRIGGER presale_related_event_meta_values_delete AFTER DELETE ON event_meta_values
BEGIN INSERT INTO presale_refresh_related SELECT OLD.event_id; END;
CREATE TRIGGER presale_related_event_meta_values_update AFTER UPDATE ON event_meta_values
BEGIN INSERT INTO presale_refresh_related SELECT NEW.event_id UNION SELECT OLD.event_id; END;

CREATE TRIGGER presale_related_event_sales_channels_insert AFTER INSERT ON event_sales_channels
BEGIN INSERT INTO presale_refresh_related SELECT NEW.event_id; END;
CREATE TRIGGER presale_related_event_sales_channels_delete AFTER DELETE ON event_sales_channels
BEGIN INSERT INTO presale_refresh_related SELECT OLD.event_id; END;
CREATE TRIGGER presale_related_event_sales_channels_update AFTER UPDATE ON event_sales_channels
BEGIN INSERT INTO presale_refresh_related SELECT NEW.event_id UNION SELECT OLD.event_id; END;

CREATE TRIGGER presale_related_item_meta_properties_insert AFTER INSERT ON item_meta_properties
BEGIN INSERT INTO presale_refresh_related SELECT NEW.event_id; END;
CREATE TRIGGER presale_related_item_meta_properties_delete AFTER DELETE ON item_meta_properties
BEGIN INSERT INTO presale_refresh_related SELECT OLD.event_id; END;
CREATE TRIGGER presale_related_item_meta_properties_update AFTER UPDATE ON item_meta_properties
BEGIN INSERT INTO presale_refresh_related SELECT NEW.event_id UNION SELECT OLD.event_id; END;

-- A renamed meta property or sales channel changes the documents of the events that use it.
-- (Deleting one deletes their rows above by cascade, whose triggers then refresh.)
CREATE TRIGGER presale_related_meta_property_renamed AFTER UPDATE OF name ON meta_properties
WHEN OLD.name IS NOT NEW.name BEGIN
    INSERT INTO presale_refresh_related
    SELECT event_id FROM event_meta_values WHERE property_id = NEW.id;
END;
CREATE TRIGGER presale_related_sales_channel_renamed AFTER UPDATE OF identifier ON sales_channels
WHEN OLD.identifier IS NOT NEW.identifier BEGIN
    INSERT INTO presale_refresh_related
    SELECT event_id FROM event_sales_channels WHERE channel_id = NEW.id;
END;

INSERT INTO presale_refresh_related SELECT id FROM events;
