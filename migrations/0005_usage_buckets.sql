-- theta-console schema, version 5: usage over time. Per key and per bucket: requests by outcome,
-- billed audio seconds and micro-credits charged. The usage flush adds each request to its minute,
-- its hour and its day, for its key and for the account (key_id '*'); the flush thread deletes
-- minute rows older than 48 hours and hour rows older than 90 days (docs/decisions.md, Usage over
-- time), so what is left of them is in the wider rows.

CREATE TABLE usage_buckets (
    key_id         TEXT    NOT NULL,   -- api_keys.id, or '*': every key of the account together.
                                       -- No foreign key: a late batch must never fail.
    granularity    INTEGER NOT NULL CHECK (granularity IN (60, 3600, 86400)),   -- the bucket's width, s
    start          INTEGER NOT NULL CHECK (start % granularity = 0),            -- Unix seconds, UTC
    requests_200   INTEGER NOT NULL DEFAULT 0,
    requests_400   INTEGER NOT NULL DEFAULT 0,
    requests_401   INTEGER NOT NULL DEFAULT 0,  -- counted only after the key lookup found the key
    requests_402   INTEGER NOT NULL DEFAULT 0,
    requests_413   INTEGER NOT NULL DEFAULT 0,
    requests_429   INTEGER NOT NULL DEFAULT 0,
    audio_seconds  INTEGER NOT NULL DEFAULT 0,  -- billed (whole) seconds of the 200s
    credits_micro  INTEGER NOT NULL DEFAULT 0,  -- charged, as the ledger's charges (positive here)
    PRIMARY KEY (key_id, granularity, start)
) WITHOUT ROWID;

-- The pruning finds old rows by time.
CREATE INDEX usage_buckets_by_time ON usage_buckets (granularity, start);
