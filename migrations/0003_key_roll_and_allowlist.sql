-- theta-console schema, version 3: rolling a key with a grace period, and per-key IP allowlists.

-- A roll links the old key to its successor. The old key keeps working until grace_until, then
-- counts as inactive (derived from the time, as expiry is; no job has to run). rate_group names the
-- chain's first key: every key of a chain shares that key's rate-limit window.
ALTER TABLE api_keys ADD COLUMN rolled_from TEXT;
ALTER TABLE api_keys ADD COLUMN rolled_to TEXT;
ALTER TABLE api_keys ADD COLUMN grace_until INTEGER;
ALTER TABLE api_keys ADD COLUMN rate_group TEXT;
-- The CIDRs a key may be used from, comma-separated in canonical form; NULL allows every address.
ALTER TABLE api_keys ADD COLUMN allowed_cidrs TEXT;

-- A roll is final too: once a key has a successor, neither the link nor the end of its grace can
-- change, so a rolled key can never come back. Where a key came from is fixed at its insert.
CREATE TRIGGER api_keys_roll_is_final
BEFORE UPDATE OF rolled_to, grace_until ON api_keys
WHEN OLD.rolled_to IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a rolled key cannot change its successor or its grace');
END;

CREATE TRIGGER api_keys_origin_is_fixed
BEFORE UPDATE OF rolled_from, rate_group ON api_keys
WHEN NEW.rolled_from IS NOT OLD.rolled_from OR NEW.rate_group IS NOT OLD.rate_group
BEGIN
    SELECT RAISE(ABORT, 'a key''s origin cannot change');
END;

CREATE TRIGGER api_keys_roll_needs_both
BEFORE UPDATE OF rolled_to, grace_until ON api_keys
WHEN (NEW.rolled_to IS NULL) != (NEW.grace_until IS NULL)
BEGIN
    SELECT RAISE(ABORT, 'rolled_to and grace_until go together');
END;
