-- theta-console schema, version 2: the one emulated account, its credit ledger, and per-key usage.
-- Money is integer micro-credits (1 credit = 1,000,000), never floating point.

CREATE TABLE account (
    id               INTEGER PRIMARY KEY CHECK (id = 1),   -- exactly one account
    plan             TEXT    NOT NULL CHECK (plan IN ('free', 'starter', 'pro', 'pro_plus', 'enterprise')),
    balance_micro    INTEGER NOT NULL,
    -- How many usage batches the server has applied; lets it tell which of its in-memory
    -- charges the balance already includes.
    usage_batches    INTEGER NOT NULL DEFAULT 0,
    updated_at       INTEGER NOT NULL
);

CREATE TABLE ledger (
    seq                  INTEGER PRIMARY KEY AUTOINCREMENT,
    id                   TEXT    NOT NULL UNIQUE,   -- led_…
    at                   INTEGER NOT NULL,
    kind                 TEXT    NOT NULL CHECK (kind IN ('grant', 'adjustment', 'charge', 'plan_change')),
    amount_micro         INTEGER NOT NULL,          -- the signed change to the balance
    balance_after_micro  INTEGER NOT NULL,
    plan                 TEXT,                      -- the plan after a plan_change
    key_id               TEXT,
    endpoint             TEXT,
    audio_seconds        INTEGER,
    detail               TEXT
);

-- A new account starts as a new real one does: plan Free with 0.20 credits.
INSERT INTO account (id, plan, balance_micro, updated_at) VALUES (1, 'free', 200000, CAST(strftime('%s', 'now') AS INTEGER));
INSERT INTO ledger (id, at, kind, amount_micro, balance_after_micro, plan, detail)
VALUES ('led_initial_grant', CAST(strftime('%s', 'now') AS INTEGER), 'grant', 200000, 200000, 'free',
        'new account: Free plan credits');

ALTER TABLE api_keys ADD COLUMN requests_2xx INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN requests_4xx INTEGER NOT NULL DEFAULT 0;
