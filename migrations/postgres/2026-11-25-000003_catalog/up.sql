CREATE TABLE items (
    id BIGSERIAL PRIMARY KEY,
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- Money as exact decimal text with two places, e.g. '23.40'.
    default_price TEXT NOT NULL DEFAULT '0.00',
    active BOOLEAN NOT NULL DEFAULT TRUE,
    description TEXT,
    category BIGINT,
    admission BOOLEAN NOT NULL DEFAULT FALSE,
    position BIGINT NOT NULL DEFAULT 0,
    has_variations BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX items_event_id ON items (event_id, position, id);

CREATE TABLE item_variations (
    id BIGSERIAL PRIMARY KEY,
    item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    value TEXT NOT NULL,
    default_price TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    position BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX item_variations_item_id ON item_variations (item_id, position, id);

CREATE TABLE subevents (
    id BIGSERIAL PRIMARY KEY,
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT FALSE,
    date_from TIMESTAMP NOT NULL,
    date_to TIMESTAMP,
    presale_start TIMESTAMP,
    presale_end TIMESTAMP,
    location TEXT
);
CREATE INDEX subevents_event_id ON subevents (event_id, date_from, id);

CREATE TABLE quotas (
    id BIGSERIAL PRIMARY KEY,
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    size BIGINT,
    subevent_id BIGINT REFERENCES subevents (id) ON DELETE CASCADE
);
CREATE INDEX quotas_event_id ON quotas (event_id, id);

-- Deleting an item or variation takes it out of every quota (as in pretix).
CREATE TABLE quota_items (
    quota_id BIGINT NOT NULL REFERENCES quotas (id) ON DELETE CASCADE,
    item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    PRIMARY KEY (quota_id, item_id)
);
CREATE INDEX quota_items_item_id ON quota_items (item_id);

CREATE TABLE quota_variations (
    quota_id BIGINT NOT NULL REFERENCES quotas (id) ON DELETE CASCADE,
    variation_id BIGINT NOT NULL REFERENCES item_variations (id) ON DELETE CASCADE,
    PRIMARY KEY (quota_id, variation_id)
);
CREATE INDEX quota_variations_variation_id ON quota_variations (variation_id);
