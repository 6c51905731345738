-- Organizers keep only the plugins that can be enabled on an organizer. Among the known plugins
-- that is the hybrid `pretix.plugins.banktransfer` alone; event-level plugins stored here by an
-- earlier version (which let events enable a payment plugin only after the organizer had)
-- have no meaning on the organizer and are dropped.
UPDATE organizers
SET plugins = CASE
    WHEN plugins LIKE '%"pretix.plugins.banktransfer"%' THEN '["pretix.plugins.banktransfer"]'
    ELSE '[]'
END
WHERE plugins <> '[]';
