-- Digital contents (pretix's digital content plugin). Deleting the event deletes its
-- contents; deleting a sub-event deletes the contents meant for that date only (they are
-- not widened to every date); deleting a product takes it out of every limit_products.
CREATE TABLE digital_contents (
    id BIGSERIAL PRIMARY KEY,
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    subevent_id BIGINT REFERENCES subevents (id) ON DELETE CASCADE,
    -- Multilingual strings as JSON object text.
    title TEXT NOT NULL,
    content_type TEXT NOT NULL,
    url TEXT NOT NULL,
    description TEXT,
    all_products BOOLEAN NOT NULL DEFAULT TRUE,
    available_from TIMESTAMP,
    available_until TIMESTAMP,
    position BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX digital_contents_event_id ON digital_contents (event_id, position, id);
CREATE INDEX digital_contents_subevent_id ON digital_contents (subevent_id);

CREATE TABLE digital_content_items (
    content_id BIGINT NOT NULL REFERENCES digital_contents (id) ON DELETE CASCADE,
    item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    PRIMARY KEY (content_id, item_id)
);
CREATE INDEX digital_content_items_item_id ON digital_content_items (item_id);
