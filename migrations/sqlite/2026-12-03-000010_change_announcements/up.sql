-- Every committed change to what the API shows records the organizer it belongs to, so that
-- every Presale process on this database drops what it keeps in memory for that organizer
-- (docs/architecture.md, "Kept answers and what they depend on"). Triggers, so that nothing
-- can skip it: a Presale process, the CLI, or plain SQL by an operator.
--
-- `presale_changes` holds, per organizer, the number of the last change to it. Numbers grow
-- with every change (SQLite has one writer at a time, so `max + 1` is never taken twice); a
-- process that sees the database change (`PRAGMA data_version`) reads the rows above the last
-- number it saw. Derived tables (imported_secret_blocks) and records the API does not show
-- (idempotency_keys) record nothing; neither does a device's `last_seen`.
--
-- Each table's triggers insert the organizer into the view `presale_announce`, whose one
-- trigger records it. The PostgreSQL migration of the same name lists the same tables.

CREATE TABLE presale_changes (
    organizer_id INTEGER PRIMARY KEY NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX presale_changes_version ON presale_changes (version);

CREATE VIEW presale_announce (organizer_id) AS SELECT NULL WHERE 0;

CREATE TRIGGER presale_announce_record INSTEAD OF INSERT ON presale_announce
WHEN NEW.organizer_id IS NOT NULL BEGIN
    INSERT INTO presale_changes (organizer_id, version)
    VALUES (NEW.organizer_id, (SELECT coalesce(max(version), 0) + 1 FROM presale_changes))
    ON CONFLICT (organizer_id) DO UPDATE SET version = excluded.version;
END;

-- A device's `last_seen` is not shown by the API: its update is left out of `UPDATE OF`.

-- organizers
CREATE TRIGGER presale_announce_organizers_insert AFTER INSERT ON organizers
BEGIN INSERT INTO presale_announce SELECT NEW.id; END;
CREATE TRIGGER presale_announce_organizers_delete AFTER DELETE ON organizers
BEGIN INSERT INTO presale_announce SELECT OLD.id; END;
CREATE TRIGGER presale_announce_organizers_update AFTER UPDATE ON organizers
BEGIN INSERT INTO presale_announce SELECT NEW.id UNION SELECT OLD.id; END;

-- meta_properties
CREATE TRIGGER presale_announce_meta_properties_insert AFTER INSERT ON meta_properties
BEGIN INSERT INTO presale_announce SELECT NEW.organizer_id; END;
CREATE TRIGGER presale_announce_meta_properties_delete AFTER DELETE ON meta_properties
BEGIN INSERT INTO presale_announce SELECT OLD.organizer_id; END;
CREATE TRIGGER presale_announce_meta_properties_update AFTER UPDATE ON meta_properties
BEGIN INSERT INTO presale_announce SELECT NEW.organizer_id UNION SELECT OLD.organizer_id; END;

-- sales_channels
CREATE TRIGGER presale_announce_sales_channels_insert AFTER INSERT ON sales_channels
BEGIN INSERT INTO presale_announce SELECT NEW.organizer_id; END;
CREATE TRIGGER presale_announce_sales_channels_delete AFTER DELETE ON sales_channels
BEGIN INSERT INTO presale_announce SELECT OLD.organizer_id; END;
CREATE TRIGGER presale_announce_sales_channels_update AFTER UPDATE ON sales_channels
BEGIN INSERT INTO presale_announce SELECT NEW.organizer_id UNION SELECT OLD.organizer_id; END;

-- events
CREATE TRIGGER presale_announce_events_insert AFTER INSERT ON events
BEGIN INSERT INTO presale_announce SELECT NEW.organizer_id; END;
CREATE TRIGGER presale_announce_events_delete AFTER DELETE ON events
BEGIN INSERT INTO presale_announce SELECT OLD.organizer_id; END;
CREATE TRIGGER presale_announce_events_update AFTER UPDATE ON events
BEGIN INSERT INTO presale_announce SELECT NEW.organizer_id UNION SELECT OLD.organizer_id; END;

-- organizer_settings
CREATE TRIGGER presale_announce_organizer_settings_insert AFTER INSERT ON organizer_settings
BEGIN INSERT INTO presale_announce SELECT NEW.organizer_id; END;
CREATE TRIGGER presale_announce_organizer_settings_delete AFTER DELETE ON organizer_settings
BEGIN INSERT INTO presale_announce SELECT OLD.organizer_id; END;
CREATE TRIGGER presale_announce_organizer_settings_update AFTER UPDATE ON organizer_settings
BEGIN INSERT INTO presale_announce SELECT NEW.organizer_id UNION SELECT OLD.organizer_id; END;

-- teams
CREATE TRIGGER presale_announce_teams_insert AFTER INSERT ON teams
BEGIN INSERT INTO presale_announce SELECT NEW.organizer_id; END;
CREATE TRIGGER presale_announce_teams_delete AFTER DELETE ON teams
BEGIN INSERT INTO presale_announce SELECT OLD.organizer_id; END;
CREATE TRIGGER presale_announce_teams_update AFTER UPDATE ON teams
BEGIN INSERT INTO presale_announce SELECT NEW.organizer_id UNION SELECT OLD.organizer_id; END;

-- devices
CREATE TRIGGER presale_announce_devices_insert AFTER INSERT ON devices
BEGIN INSERT INTO presale_announce SELECT NEW.organizer_id; END;
CREATE TRIGGER presale_announce_devices_delete AFTER DELETE ON devices
BEGIN INSERT INTO presale_announce SELECT OLD.organizer_id; END;
CREATE TRIGGER presale_announce_devices_update AFTER UPDATE OF id, organizer_id, device_id, unique_serial, initialization_token, api_token_hash, all_events, revoked, name, created, initialized, hardware_brand, hardware_model, os_name, os_version, software_brand, software_version, security_profile, rsa_pubkey, info ON devices
BEGIN INSERT INTO presale_announce SELECT NEW.organizer_id UNION SELECT OLD.organizer_id; END;

-- event_meta_values
CREATE TRIGGER presale_announce_event_meta_values_insert AFTER INSERT ON event_meta_values
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM events WHERE id = NEW.event_id; END;
CREATE TRIGGER presale_announce_event_meta_values_delete AFTER DELETE ON event_meta_values
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM events WHERE id = OLD.event_id; END;
CREATE TRIGGER presale_announce_event_meta_values_update AFTER UPDATE ON event_meta_values
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM events WHERE id = NEW.event_id UNION SELECT organizer_id FROM events WHERE id = OLD.event_id; END;

-- event_sales_channels
CREATE TRIGGER presale_announce_event_sales_channels_insert AFTER INSERT ON event_sales_channels
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM events WHERE id = NEW.event_id; END;
CREATE TRIGGER presale_announce_event_sales_channels_delete AFTER DELETE ON event_sales_channels
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM events WHERE id = OLD.event_id; END;
CREATE TRIGGER presale_announce_event_sales_channels_update AFTER UPDATE ON event_sales_channels
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM events WHERE id = NEW.event_id UNION SELECT organizer_id FROM events WHERE id = OLD.event_id; END;

-- item_meta_properties
CREATE TRIGGER presale_announce_item_meta_properties_insert AFTER INSERT ON item_meta_properties
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM events WHERE id = NEW.event_id; END;
CREATE TRIGGER presale_announce_item_meta_properties_delete AFTER DELETE ON item_meta_properties
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM events WHERE id = OLD.event_id; END;
CREATE TRIGGER presale_announce_item_meta_properties_update AFTER UPDATE ON item_meta_properties
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM events WHERE id = NEW.event_id UNION SELECT organizer_id FROM events WHERE id = OLD.event_id; END;

-- event_settings
CREATE TRIGGER presale_announce_event_settings_insert AFTER INSERT ON event_settings
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM events WHERE id = NEW.event_id; END;
CREATE TRIGGER presale_announce_event_settings_delete AFTER DELETE ON event_settings
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM events WHERE id = OLD.event_id; END;
CREATE TRIGGER presale_announce_event_settings_update AFTER UPDATE ON event_settings
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM events WHERE id = NEW.event_id UNION SELECT organizer_id FROM events WHERE id = OLD.event_id; END;

-- items
CREATE TRIGGER presale_announce_items_insert AFTER INSERT ON items
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM events WHERE id = NEW.event_id; END;
CREATE TRIGGER presale_announce_items_delete AFTER DELETE ON items
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM events WHERE id = OLD.event_id; END;
CREATE TRIGGER presale_announce_items_update AFTER UPDATE ON items
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM events WHERE id = NEW.event_id UNION SELECT organizer_id FROM events WHERE id = OLD.event_id; END;

-- subevents
CREATE TRIGGER presale_announce_subevents_insert AFTER INSERT ON subevents
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM events WHERE id = NEW.event_id; END;
CREATE TRIGGER presale_announce_subevents_delete AFTER DELETE ON subevents
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM events WHERE id = OLD.event_id; END;
CREATE TRIGGER presale_announce_subevents_update AFTER UPDATE ON subevents
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM events WHERE id = NEW.event_id UNION SELECT organizer_id FROM events WHERE id = OLD.event_id; END;

-- quotas
CREATE TRIGGER presale_announce_quotas_insert AFTER INSERT ON quotas
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM events WHERE id = NEW.event_id; END;
CREATE TRIGGER presale_announce_quotas_delete AFTER DELETE ON quotas
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM events WHERE id = OLD.event_id; END;
CREATE TRIGGER presale_announce_quotas_update AFTER UPDATE ON quotas
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM events WHERE id = NEW.event_id UNION SELECT organizer_id FROM events WHERE id = OLD.event_id; END;

-- digital_contents
CREATE TRIGGER presale_announce_digital_contents_insert AFTER INSERT ON digital_contents
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM events WHERE id = NEW.event_id; END;
CREATE TRIGGER presale_announce_digital_contents_delete AFTER DELETE ON digital_contents
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM events WHERE id = OLD.event_id; END;
CREATE TRIGGER presale_announce_digital_contents_update AFTER UPDATE ON digital_contents
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM events WHERE id = NEW.event_id UNION SELECT organizer_id FROM events WHERE id = OLD.event_id; END;

-- imported_secrets
CREATE TRIGGER presale_announce_imported_secrets_insert AFTER INSERT ON imported_secrets
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM events WHERE id = NEW.event_id; END;
CREATE TRIGGER presale_announce_imported_secrets_delete AFTER DELETE ON imported_secrets
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM events WHERE id = OLD.event_id; END;
CREATE TRIGGER presale_announce_imported_secrets_update AFTER UPDATE ON imported_secrets
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM events WHERE id = NEW.event_id UNION SELECT organizer_id FROM events WHERE id = OLD.event_id; END;

-- team_limit_events
CREATE TRIGGER presale_announce_team_limit_events_insert AFTER INSERT ON team_limit_events
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM teams WHERE id = NEW.team_id; END;
CREATE TRIGGER presale_announce_team_limit_events_delete AFTER DELETE ON team_limit_events
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM teams WHERE id = OLD.team_id; END;
CREATE TRIGGER presale_announce_team_limit_events_update AFTER UPDATE ON team_limit_events
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM teams WHERE id = NEW.team_id UNION SELECT organizer_id FROM teams WHERE id = OLD.team_id; END;

-- api_tokens
CREATE TRIGGER presale_announce_api_tokens_insert AFTER INSERT ON api_tokens
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM teams WHERE id = NEW.team_id; END;
CREATE TRIGGER presale_announce_api_tokens_delete AFTER DELETE ON api_tokens
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM teams WHERE id = OLD.team_id; END;
CREATE TRIGGER presale_announce_api_tokens_update AFTER UPDATE ON api_tokens
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM teams WHERE id = NEW.team_id UNION SELECT organizer_id FROM teams WHERE id = OLD.team_id; END;

-- device_limit_events
CREATE TRIGGER presale_announce_device_limit_events_insert AFTER INSERT ON device_limit_events
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM devices WHERE id = NEW.device_pk; END;
CREATE TRIGGER presale_announce_device_limit_events_delete AFTER DELETE ON device_limit_events
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM devices WHERE id = OLD.device_pk; END;
CREATE TRIGGER presale_announce_device_limit_events_update AFTER UPDATE ON device_limit_events
BEGIN INSERT INTO presale_announce SELECT organizer_id FROM devices WHERE id = NEW.device_pk UNION SELECT organizer_id FROM devices WHERE id = OLD.device_pk; END;

-- item_variations
CREATE TRIGGER presale_announce_item_variations_insert AFTER INSERT ON item_variations
BEGIN INSERT INTO presale_announce SELECT e.organizer_id FROM items i JOIN events e ON e.id = i.event_id WHERE i.id = NEW.item_id; END;
CREATE TRIGGER presale_announce_item_variations_delete AFTER DELETE ON item_variations
BEGIN INSERT INTO presale_announce SELECT e.organizer_id FROM items i JOIN events e ON e.id = i.event_id WHERE i.id = OLD.item_id; END;
CREATE TRIGGER presale_announce_item_variations_update AFTER UPDATE ON item_variations
BEGIN INSERT INTO presale_announce SELECT e.organizer_id FROM items i JOIN events e ON e.id = i.event_id WHERE i.id = NEW.item_id UNION SELECT e.organizer_id FROM items i JOIN events e ON e.id = i.event_id WHERE i.id = OLD.item_id; END;

-- quota_items
CREATE TRIGGER presale_announce_quota_items_insert AFTER INSERT ON quota_items
BEGIN INSERT INTO presale_announce SELECT e.organizer_id FROM quotas q JOIN events e ON e.id = q.event_id WHERE q.id = NEW.quota_id; END;
CREATE TRIGGER presale_announce_quota_items_delete AFTER DELETE ON quota_items
BEGIN INSERT INTO presale_announce SELECT e.organizer_id FROM quotas q JOIN events e ON e.id = q.event_id WHERE q.id = OLD.quota_id; END;
CREATE TRIGGER presale_announce_quota_items_update AFTER UPDATE ON quota_items
BEGIN INSERT INTO presale_announce SELECT e.organizer_id FROM quotas q JOIN events e ON e.id = q.event_id WHERE q.id = NEW.quota_id UNION SELECT e.organizer_id FROM quotas q JOIN events e ON e.id = q.event_id WHERE q.id = OLD.quota_id; END;

-- quota_variations
CREATE TRIGGER presale_announce_quota_variations_insert AFTER INSERT ON quota_variations
BEGIN INSERT INTO presale_announce SELECT e.organizer_id FROM quotas q JOIN events e ON e.id = q.event_id WHERE q.id = NEW.quota_id; END;
CREATE TRIGGER presale_announce_quota_variations_delete AFTER DELETE ON quota_variations
BEGIN INSERT INTO presale_announce SELECT e.organizer_id FROM quotas q JOIN events e ON e.id = q.event_id WHERE q.id = OLD.quota_id; END;
CREATE TRIGGER presale_announce_quota_variations_update AFTER UPDATE ON quota_variations
BEGIN INSERT INTO presale_announce SELECT e.organizer_id FROM quotas q JOIN events e ON e.id = q.event_id WHERE q.id = NEW.quota_id UNION SELECT e.organizer_id FROM quotas q JOIN events e ON e.id = q.event_id WHERE q.id = OLD.quota_id; END;

-- digital_content_items
CREATE TRIGGER presale_announce_digital_content_items_insert AFTER INSERT ON digital_content_items
BEGIN INSERT INTO presale_announce SELECT e.organizer_id FROM digital_contents c JOIN events e ON e.id = c.event_id WHERE c.id = NEW.content_id; END;
CREATE TRIGGER presale_announce_digital_content_items_delete AFTER DELETE ON digital_content_items
BEGIN INSERT INTO presale_announce SELECT e.organizer_id FROM digital_contents c JOIN events e ON e.id = c.event_id WHERE c.id = OLD.content_id; END;
CREATE TRIGGER presale_announce_digital_content_items_update AFTER UPDATE ON digital_content_items
BEGIN INSERT INTO presale_announce SELECT e.organizer_id FROM digital_contents c JOIN events e ON e.id = c.event_id WHERE c.id = NEW.content_id UNION SELECT e.organizer_id FROM digital_contents c JOIN events e ON e.id = c.event_id WHERE c.id = OLD.content_id; END;
