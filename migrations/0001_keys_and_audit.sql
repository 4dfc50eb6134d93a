-- theta-console schema, version 1: API keys, the admin audit log, and settings.
-- Times are whole seconds since the Unix epoch, UTC.

CREATE TABLE api_keys (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,  -- insertion order; never reused
    id              TEXT    NOT NULL UNIQUE,            -- public id, key_…; not derived from the secret
    name            TEXT    NOT NULL,
    secret_sha256   BLOB    NOT NULL UNIQUE CHECK (length(secret_sha256) = 32),
    hint            TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER,
    rate_limit_rpm  INTEGER NOT NULL CHECK (rate_limit_rpm >= 1),
    status          TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    deactivated_at  INTEGER,
    last_used_at    INTEGER,
    CHECK ((status = 'inactive') = (deactivated_at IS NOT NULL))
);

CREATE INDEX api_keys_by_status ON api_keys (status, seq);

-- Deactivation is final: no statement may bring an inactive key back or change what it was.
CREATE TRIGGER api_keys_deactivation_is_final
BEFORE UPDATE OF status, deactivated_at, secret_sha256 ON api_keys
WHEN OLD.status = 'inactive'
BEGIN
    SELECT RAISE(ABORT, 'an inactive key cannot change');
END;

CREATE TRIGGER api_keys_secret_is_immutable
BEFORE UPDATE OF secret_sha256, id ON api_keys
BEGIN
    SELECT RAISE(ABORT, 'a key''s id and secret cannot change');
END;

CREATE TRIGGER api_keys_are_never_deleted
BEFORE DELETE ON api_keys
BEGIN
    SELECT RAISE(ABORT, 'keys are deactivated, never deleted');
END;

CREATE TABLE audit_events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT    NOT NULL UNIQUE,   -- evt_…
    at           INTEGER NOT NULL,
    action       TEXT    NOT NULL,          -- key.created, key.deactivated, admin.auth_failed, …
    key_id       TEXT,
    actor        TEXT    NOT NULL,          -- api, cli, console
    remote_addr  TEXT,
    detail       TEXT
);

-- Small named values: the admin token's SHA-256 lives here, never the token.
CREATE TABLE settings (
    name   TEXT PRIMARY KEY,
    value  BLOB NOT NULL
) WITHOUT ROWID;
