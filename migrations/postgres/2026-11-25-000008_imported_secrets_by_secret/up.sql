-- The unique index of imported secrets leads with the secret. An import's duplicate check
-- looks each asked secret up by itself and keeps the event's rows, so that the only index it
-- can use is this one, whatever the statistics say about the event: with (event_id, secret),
-- PostgreSQL could take an event it believed empty (one whose first import is under way) for
-- a match of a single row, and read all of its secrets through (event_id, id) for every asked
-- secret. Still unique per event, and still serving the `secret` filter.
CREATE UNIQUE INDEX imported_secrets_secret_event ON imported_secrets (secret, event_id);
DROP INDEX imported_secrets_event_secret;
