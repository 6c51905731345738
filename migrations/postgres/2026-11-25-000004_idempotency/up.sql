-- Idempotency keys (docs/api-compatibility.md): one row per (credential, key), kept 24 hours.
-- Both are stored as SHA-256 hex digests, never in plain text. The unique constraint decides
-- between concurrent claims of a key, also across server processes. A row without
-- response_status is a request still in flight. The body is at most 1 MiB (enforced by the
-- server, see presale_domain::idempotency::MAX_STORED_RESPONSE_BYTES).
CREATE TABLE idempotency_keys (
    id BIGSERIAL PRIMARY KEY,
    credential_hash TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    request_method TEXT NOT NULL,
    request_path TEXT NOT NULL,
    created TIMESTAMP NOT NULL,
    response_status BIGINT,
    response_headers TEXT,
    response_body BYTEA,
    UNIQUE (credential_hash, key_hash)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created);
