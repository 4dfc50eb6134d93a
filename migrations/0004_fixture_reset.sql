-- theta-console schema, version 4: a test fixture's reset (POST /v1/reset, only under
-- `serve --allow-reset`) may delete every key. Nothing else may: the reset marks its own
-- transaction with a settings row, deletes, and removes the mark before it commits, so no other
-- connection ever sees the mark, and every other DELETE is still refused.
DROP TRIGGER api_keys_are_never_deleted;

CREATE TRIGGER api_keys_are_never_deleted
BEFORE DELETE ON api_keys
WHEN NOT EXISTS (SELECT 1 FROM settings WHERE name = 'fixture_reset_in_progress')
BEGIN
    SELECT RAISE(ABORT, 'keys are deactivated, never deleted');
END;
