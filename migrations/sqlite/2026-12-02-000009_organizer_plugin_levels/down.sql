-- The dropped event-level plugins had no effect under the plugin levels; nothing to restore.
SELECT 1;
