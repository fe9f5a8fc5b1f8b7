-- A version on every eSIM and package row, changed by the database on
-- every write, so that a reader can tell whether the eSIM detail it
-- rendered before is still what the database holds
-- (tern_app::esims::rendered). A new row starts at a random number in
-- [2^40, 2^52) and every update adds one; the detail's fingerprint is
-- the eSIM's version plus the sum of its packages' versions.
-- Triggers rather than code, so that no write, from any node or by hand,
-- can leave a version behind.

ALTER TABLE esims ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE packages ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
UPDATE esims SET version = 1099511627776 + abs(random() % 4502500115742720);
UPDATE packages SET version = 1099511627776 + abs(random() % 4502500115742720);

CREATE TRIGGER esims_version_new AFTER INSERT ON esims
BEGIN
    UPDATE esims SET version = 1099511627776 + abs(random() % 4502500115742720)
     WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER esims_version_bump AFTER UPDATE ON esims
WHEN NEW.version = OLD.version
BEGIN
    UPDATE esims SET version = OLD.version + 1 WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER packages_version_new AFTER INSERT ON packages
BEGIN
    UPDATE packages SET version = 1099511627776 + abs(random() % 4502500115742720)
     WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER packages_version_bump AFTER UPDATE ON packages
WHEN NEW.version = OLD.version
BEGIN
    UPDATE packages SET version = OLD.version + 1 WHERE rowid = NEW.rowid;
END;
