DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT tgname AS name, tgrelid::regclass AS tbl FROM pg_trigger
        WHERE tgname LIKE 'presale_announce_%'
    LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', t.name, t.tbl);
    END LOOP;
END $$;
DROP FUNCTION presale_announce();
