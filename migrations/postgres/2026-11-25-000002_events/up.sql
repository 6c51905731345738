CREATE TABLE meta_properties (
    id BIGSERIAL PRIMARY KEY,
    organizer_id BIGINT NOT NULL REFERENCES organizers (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    default_value TEXT NOT NULL DEFAULT '',
    required BOOLEAN NOT NULL DEFAULT FALSE,
    allowed_values TEXT,
    protected BOOLEAN NOT NULL DEFAULT FALSE,
    filter_allowed BOOLEAN NOT NULL DEFAULT TRUE,
    UNIQUE (organizer_id, name)
);

CREATE TABLE sales_channels (
    id BIGSERIAL PRIMARY KEY,
    organizer_id BIGINT NOT NULL REFERENCES organizers (id) ON DELETE CASCADE,
    identifier TEXT NOT NULL,
    label TEXT NOT NULL,
    kind TEXT NOT NULL,
    position BIGINT NOT NULL DEFAULT 0,
    UNIQUE (organizer_id, identifier)
);

CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    organizer_id BIGINT NOT NULL REFERENCES organizers (id) ON DELETE CASCADE,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    live BOOLEAN NOT NULL DEFAULT FALSE,
    testmode BOOLEAN NOT NULL DEFAULT FALSE,
    currency TEXT NOT NULL,
    date_from TIMESTAMP NOT NULL,
    date_to TIMESTAMP,
    date_admission TIMESTAMP,
    is_public BOOLEAN NOT NULL DEFAULT TRUE,
    presale_start TIMESTAMP,
    presale_end TIMESTAMP,
    location TEXT,
    geo_lat DOUBLE PRECISION,
    geo_lon DOUBLE PRECISION,
    has_subevents BOOLEAN NOT NULL DEFAULT FALSE,
    timezone TEXT NOT NULL,
    plugins TEXT NOT NULL DEFAULT '[]',
    all_sales_channels BOOLEAN NOT NULL DEFAULT TRUE,
    signing_private_key TEXT NOT NULL,
    signing_public_key TEXT NOT NULL,
    created TIMESTAMP NOT NULL,
    UNIQUE (organizer_id, slug)
);
CREATE INDEX events_organizer_date_from ON events (organizer_id, date_from);

CREATE TABLE event_meta_values (
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    property_id BIGINT NOT NULL REFERENCES meta_properties (id) ON DELETE CASCADE,
    value TEXT NOT NULL,
    PRIMARY KEY (event_id, property_id)
);
CREATE INDEX event_meta_values_property_id ON event_meta_values (property_id);

CREATE TABLE event_sales_channels (
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    channel_id BIGINT NOT NULL REFERENCES sales_channels (id) ON DELETE CASCADE,
    PRIMARY KEY (event_id, channel_id)
);
CREATE INDEX event_sales_channels_channel_id ON event_sales_channels (channel_id);

CREATE TABLE item_meta_properties (
    id BIGSERIAL PRIMARY KEY,
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    default_value TEXT NOT NULL DEFAULT '',
    UNIQUE (event_id, name)
);

CREATE TABLE organizer_settings (
    organizer_id BIGINT NOT NULL REFERENCES organizers (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (organizer_id, key)
);

CREATE TABLE event_settings (
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (event_id, key)
);

CREATE TABLE team_limit_events (
    team_id BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, event_id)
);
CREATE INDEX team_limit_events_event_id ON team_limit_events (event_id);

-- Every organizer sells on the web shop from the start.
INSERT INTO sales_channels (organizer_id, identifier, label, kind, position)
SELECT id, 'web', '{"en":"Online shop"}', 'web', 0 FROM organizers;
