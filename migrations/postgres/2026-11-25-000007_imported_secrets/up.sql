-- Imported secrets ("Secrets Import" plugin): ticket secrets loaded from other systems.
-- A reference to a deleted product, variation or date is cleared: the secret stays.
CREATE TABLE imported_secrets (
    id BIGSERIAL PRIMARY KEY,
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

-- Statement-level: one upsert per block and statement, not per row. Keys in ascending order,
-- so that concurrent writers lock block rows in the same order.
CREATE FUNCTION imported_secret_blocks_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO imported_secret_blocks (event_id, block, used, secrets)
    SELECT event_id, id / 1024, used, count(*) FROM added GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (event_id, block, used)
    DO UPDATE SET secrets = imported_secret_blocks.secrets + EXCLUDED.secrets;
    RETURN NULL;
END
$$;

CREATE FUNCTION imported_secret_blocks_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE imported_secret_blocks b SET secrets = b.secrets - r.n
    FROM (SELECT event_id, id / 1024 AS block, used, count(*) AS n FROM removed GROUP BY 1, 2, 3) r
    WHERE b.event_id = r.event_id AND b.block = r.block AND b.used = r.used;
    RETURN NULL;
END
$$;

-- Only rows whose `used` (or event) changed move between counters.
CREATE FUNCTION imported_secret_blocks_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE imported_secret_blocks b SET secrets = b.secrets - r.n
    FROM (
        SELECT o.event_id, o.id / 1024 AS block, o.used, count(*) AS n
        FROM removed o JOIN added a ON a.id = o.id
        WHERE a.used <> o.used OR a.event_id <> o.event_id
        GROUP BY 1, 2, 3
    ) r
    WHERE b.event_id = r.event_id AND b.block = r.block AND b.used = r.used;
    INSERT INTO imported_secret_blocks (event_id, block, used, secrets)
    SELECT a.event_id, a.id / 1024, a.used, count(*)
    FROM added a JOIN removed o ON o.id = a.id
    WHERE a.used <> o.used OR a.event_id <> o.event_id
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (event_id, block, used)
    DO UPDATE SET secrets = imported_secret_blocks.secrets + EXCLUDED.secrets;
    RETURN NULL;
END
$$;

CREATE TRIGGER imported_secrets_count_insert AFTER INSERT ON imported_secrets
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION imported_secret_blocks_add();
CREATE TRIGGER imported_secrets_count_delete AFTER DELETE ON imported_secrets
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION imported_secret_blocks_remove();
CREATE TRIGGER imported_secrets_count_update AFTER UPDATE ON imported_secrets
    REFERENCING OLD TABLE AS removed NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION imported_secret_blocks_move();
