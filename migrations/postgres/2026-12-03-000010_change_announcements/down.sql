DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT tgname AS name, tgrelid::regclass AS tbl FROM pg_trigger
        WHERE tgname LIKE 'presale_announce_%'
    LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', t.name, t.tbl);
    END LOOP;
    FOR t IN SELECT proname AS name FROM pg_proc WHERE proname LIKE 'presale_announce_%'
    LOOP
        EXECUTE format('DROP FUNCTION %I', t.name);
    END LOOP;
END $$;
DROP FUNCTION presale_touch(text);
