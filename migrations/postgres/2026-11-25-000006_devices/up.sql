-- Devices (docs/api-compatibility.md): `device_id` numbers them per organizer; the API token is
-- stored as its SHA-256 only (NULL until the device is initialized).
CREATE TABLE devices (
    id BIGSERIAL PRIMARY KEY,
    organizer_id BIGINT NOT NULL REFERENCES organizers (id) ON DELETE CASCADE,
    device_id BIGINT NOT NULL,
    unique_serial TEXT NOT NULL UNIQUE,
    initialization_token TEXT NOT NULL UNIQUE,
    api_token_hash TEXT UNIQUE,
    all_events BOOLEAN NOT NULL DEFAULT FALSE,
    revoked BOOLEAN NOT NULL DEFAULT FALSE,
    name TEXT NOT NULL,
    created TIMESTAMP NOT NULL,
    initialized TIMESTAMP,
    hardware_brand TEXT,
    hardware_model TEXT,
    os_name TEXT,
    os_version TEXT,
    software_brand TEXT,
    software_version TEXT,
    security_profile TEXT NOT NULL DEFAULT 'full',
    rsa_pubkey TEXT,
    info TEXT,
    last_seen TIMESTAMP,
    UNIQUE (organizer_id, device_id)
);

CREATE TABLE device_limit_events (
    device_pk BIGINT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    PRIMARY KEY (device_pk, event_id)
);
CREATE INDEX device_limit_events_event_id ON device_limit_events (event_id);
