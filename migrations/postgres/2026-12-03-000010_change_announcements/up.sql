-- Every committed change to what the API shows announces the organizer it belongs to, so that
-- every Presale process drops what it keeps in memory for that organizer (docs/architecture.md,
-- "Kept answers"). Triggers, so that nothing can skip it: a Presale process, the CLI, or plain
-- SQL by an operator.
--
-- The announcement is `NOTIFY presale_changes, '<organizer id>'` ('*' for everything), which
-- PostgreSQL delivers at COMMIT (and never for a rolled-back change). The writing session also
-- collects the organizers in its setting `presale.touched` (comma-terminated ids), which the
-- writing Presale process reads back after its write, so that its own next request never sees
-- what was there before (a notification arrives a moment later).
--
-- The triggers run once per statement, over its transition tables: a bulk import of a thousand
-- secrets announces its organizer once. Each table and operation has a function of its own, so
-- that PL/pgSQL plans its query once per session (one function building the query for every
-- statement, with `EXECUTE`, cost an event create a fifth of its throughput). Derived tables (imported_secret_blocks) and records the
-- API does not show (idempotency_keys) announce nothing; neither does a device's `last_seen`.

CREATE FUNCTION presale_touch(organizer text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    touched text := coalesce(current_setting('presale.touched', true), '');
BEGIN
    PERFORM pg_notify('presale_changes', organizer);
    IF position(',' || organizer || ',' IN ',' || touched) = 0 THEN
        PERFORM set_config('presale.touched', touched || organizer || ',', false);
    END IF;
END $$;

CREATE FUNCTION presale_announce_everything() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM presale_touch('*');
    RETURN NULL;
END $$;

-- presale_announce_function(name, query): creates the trigger function `name`, which announces
-- each organizer the query finds.
CREATE FUNCTION presale_announce_function(name text, query text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format(
        'CREATE FUNCTION %I() RETURNS trigger LANGUAGE plpgsql AS $f$ '
        'DECLARE organizer text; '
        'BEGIN FOR organizer IN %s LOOP PERFORM presale_touch(organizer); END LOOP; '
        'RETURN NULL; END $f$',
        name, query);
END $$;

DO $$
DECLARE
    t record;
    new_rows text;
    old_rows text;
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('organizers', 'SELECT r.id FROM $rows r'),
        ('meta_properties', 'SELECT r.organizer_id FROM $rows r'),
        ('sales_channels', 'SELECT r.organizer_id FROM $rows r'),
        ('events', 'SELECT r.organizer_id FROM $rows r'),
        ('organizer_settings', 'SELECT r.organizer_id FROM $rows r'),
        ('teams', 'SELECT r.organizer_id FROM $rows r'),
        ('devices', 'SELECT r.organizer_id FROM $rows r'),
        ('event_meta_values', 'SELECT e.organizer_id FROM $rows r JOIN events e ON e.id = r.event_id'),
        ('event_sales_channels', 'SELECT e.organizer_id FROM $rows r JOIN events e ON e.id = r.event_id'),
        ('item_meta_properties', 'SELECT e.organizer_id FROM $rows r JOIN events e ON e.id = r.event_id'),
        ('event_settings', 'SELECT e.organizer_id FROM $rows r JOIN events e ON e.id = r.event_id'),
        ('items', 'SELECT e.organizer_id FROM $rows r JOIN events e ON e.id = r.event_id'),
        ('subevents', 'SELECT e.organizer_id FROM $rows r JOIN events e ON e.id = r.event_id'),
        ('quotas', 'SELECT e.organizer_id FROM $rows r JOIN events e ON e.id = r.event_id'),
        ('digital_contents', 'SELECT e.organizer_id FROM $rows r JOIN events e ON e.id = r.event_id'),
        ('imported_secrets', 'SELECT e.organizer_id FROM $rows r JOIN events e ON e.id = r.event_id'),
        ('team_limit_events', 'SELECT t.organizer_id FROM $rows r JOIN teams t ON t.id = r.team_id'),
        ('api_tokens', 'SELECT t.organizer_id FROM $rows r JOIN teams t ON t.id = r.team_id'),
        ('device_limit_events', 'SELECT d.organizer_id FROM $rows r JOIN devices d ON d.id = r.device_pk'),
        ('item_variations', 'SELECT e.organizer_id FROM $rows r JOIN items i ON i.id = r.item_id JOIN events e ON e.id = i.event_id'),
        ('quota_items', 'SELECT e.organizer_id FROM $rows r JOIN quotas q ON q.id = r.quota_id JOIN events e ON e.id = q.event_id'),
        ('quota_variations', 'SELECT e.organizer_id FROM $rows r JOIN quotas q ON q.id = r.quota_id JOIN events e ON e.id = q.event_id'),
        ('digital_content_items', 'SELECT e.organizer_id FROM $rows r JOIN digital_contents c ON c.id = r.content_id JOIN events e ON e.id = c.event_id')
    ) AS v(tbl, organizers)
    LOOP
        -- A row whose parent went in the same statement (a cascade) finds no organizer here;
        -- the parent's own trigger announces it.
        new_rows := 'SELECT DISTINCT o::text FROM (' || replace(t.organizers, '$rows', 'new_rows') || ') AS found(o)';
        old_rows := 'SELECT DISTINCT o::text FROM (' || replace(t.organizers, '$rows', 'old_rows') || ') AS found(o)';
        PERFORM presale_announce_function('presale_announce_insert_' || t.tbl, new_rows);
        EXECUTE format('CREATE TRIGGER presale_announce_insert AFTER INSERT ON %I '
            'REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT '
            'EXECUTE FUNCTION %I()', t.tbl, 'presale_announce_insert_' || t.tbl);
        PERFORM presale_announce_function('presale_announce_delete_' || t.tbl, old_rows);
        EXECUTE format('CREATE TRIGGER presale_announce_delete AFTER DELETE ON %I '
            'REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT '
            'EXECUTE FUNCTION %I()', t.tbl, 'presale_announce_delete_' || t.tbl);
        IF t.tbl <> 'devices' THEN
            PERFORM presale_announce_function('presale_announce_update_' || t.tbl,
                new_rows || ' UNION ' || old_rows);
            EXECUTE format('CREATE TRIGGER presale_announce_update AFTER UPDATE ON %I '
                'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT '
                'EXECUTE FUNCTION %I()', t.tbl, 'presale_announce_update_' || t.tbl);
        END IF;
        EXECUTE format('CREATE TRIGGER presale_announce_truncate AFTER TRUNCATE ON %I '
            'FOR EACH STATEMENT EXECUTE FUNCTION presale_announce_everything()', t.tbl);
    END LOOP;
END $$;

-- A device's `last_seen` is not shown by the API: an update that changes nothing else
-- announces nothing.
SELECT presale_announce_function('presale_announce_update_devices',
    'SELECT DISTINCT o::text FROM ('
    ' SELECT n.organizer_id FROM new_rows n JOIN old_rows p ON p.id = n.id'
    '  WHERE to_jsonb(n) - ''last_seen'' IS DISTINCT FROM to_jsonb(p) - ''last_seen'''
    ' UNION'
    ' SELECT p.organizer_id FROM new_rows n JOIN old_rows p ON p.id = n.id'
    '  WHERE to_jsonb(n) - ''last_seen'' IS DISTINCT FROM to_jsonb(p) - ''last_seen'''
    ') AS found(o)');
CREATE TRIGGER presale_announce_update AFTER UPDATE ON devices
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION presale_announce_update_devices();
