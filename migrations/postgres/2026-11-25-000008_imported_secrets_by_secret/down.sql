CREATE UNIQUE INDEX imported_secrets_event_secret ON imported_secrets (event_id, secret);
DROP INDEX imported_secrets_secret_event;
