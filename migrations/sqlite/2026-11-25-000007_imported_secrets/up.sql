-- Imported secrets ("Secrets Import" plugin): ticket secrets loaded from other systems.
-- A reference to a deleted product, variation or date is cleared: the secret stays.
CREATE TABLE imported_secrets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    secret TEXT NOT NULL,
    used BOOLEAN NOT NULL DEFAULT FALSE,
    item_id BIGINT REFERENCES items (id) ON DELETE SET NULL,
    variation_id BIGINT REFERENCES item_variations (id) ON DELETE SET NULL,
    subevent_id BIGINT REFERENCES subevents (id) ON DELETE SET NULL
);
-- Decides between concurrent imports of one secret; also serves the `secret` filter.
CREATE UNIQUE INDEX imported_secrets_event_secret ON imported_secrets (event_id, secret);
-- The list order, and the page seek within a block (see below).
CREATE INDEX imported_secrets_event_id ON imported_secrets (event_id, id);
-- `used=true` lists and the event delete rule; used secrets are few.
CREATE INDEX imported_secrets_used ON imported_secrets (event_id, id) WHERE used;
-- The catalog filters, and the foreign keys' SET NULL on delete.
CREATE INDEX imported_secrets_item ON imported_secrets (item_id, event_id, id) WHERE item_id IS NOT NULL;
CREATE INDEX imported_secrets_variation ON imported_secrets (variation_id, event_id, id) WHERE variation_id IS NOT NULL;
CREATE INDEX imported_secrets_subevent ON imported_secrets (subevent_id, event_id, id) WHERE subevent_id IS NOT NULL;

-- How many secrets of an event have an id in each block of 1024 ids (block = id / 1024), by
-- `used`. Kept exact by the triggers below, in the writing transaction, whoever writes. The
-- list reads its count and finds the block a page starts in here, instead of counting and
-- skipping secrets (docs/performance.md). The block size is IMPORTED_SECRET_BLOCK in
-- crates/storage-diesel/src/repo/imported_secrets.rs.
CREATE TABLE imported_secret_blocks (
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    block BIGINT NOT NULL,
    used BOOLEAN NOT NULL,
    secrets BIGINT NOT NULL,
    PRIMARY KEY (event_id, block, used)
);

CREATE TRIGGER imported_secrets_count_insert AFTER INSERT ON imported_secrets BEGIN
    INSERT INTO imported_secret_blocks (event_id, block, used, secrets)
    VALUES (NEW.event_id, NEW.id / 1024, NEW.used, 1)
    ON CONFLICT (event_id, block, used) DO UPDATE SET secrets = secrets + 1;
END;

CREATE TRIGGER imported_secrets_count_delete AFTER DELETE ON imported_secrets BEGIN
    UPDATE imported_secret_blocks SET secrets = secrets - 1
    WHERE event_id = OLD.event_id AND block = OLD.id / 1024 AND used = OLD.used;
END;

CREATE TRIGGER imported_secrets_count_update AFTER UPDATE OF used, event_id ON imported_secrets
WHEN OLD.used <> NEW.used OR OLD.event_id <> NEW.event_id BEGIN
    UPDATE imported_secret_blocks SET secrets = secrets - 1
    WHERE event_id = OLD.event_id AND block = OLD.id / 1024 AND used = OLD.used;
    INSERT INTO imported_secret_blocks (event_id, block, used, secrets)
    VALUES (NEW.event_id, NEW.id / 1024, NEW.used, 1)
    ON CONFLICT (event_id, block, used) DO UPDATE SET secrets = secrets + 1;
END;
