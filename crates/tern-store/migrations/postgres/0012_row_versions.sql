-- A version on every eSIM and package row, changed by the database on
-- every write, so that a reader can tell whether the eSIM detail it
-- rendered before is still what the database holds
-- (tern_app::esims::rendered). A new row starts at a random number in
-- [2^40, 2^52) and every update adds one; the detail's fingerprint is
-- the eSIM's version plus the sum of its packages' versions.
-- Triggers rather than code, so that no write, from any node or by hand,
-- can leave a version behind.

ALTER TABLE esims ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE packages ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
UPDATE esims SET version = 1099511627776 + floor(random() * 4502500115742720)::bigint;
UPDATE packages SET version = 1099511627776 + floor(random() * 4502500115742720)::bigint;

CREATE FUNCTION tern_row_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.version := 1099511627776 + floor(random() * 4502500115742720)::bigint;
    ELSIF NEW.version = OLD.version THEN
        NEW.version := OLD.version + 1;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER esims_version BEFORE INSERT OR UPDATE ON esims
    FOR EACH ROW EXECUTE FUNCTION tern_row_version();
CREATE TRIGGER packages_version BEFORE INSERT OR UPDATE ON packages
    FOR EACH ROW EXECUTE FUNCTION tern_row_version();
