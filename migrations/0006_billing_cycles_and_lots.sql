-- theta-console schema, version 6: billing cycles and credit lots, as the real service documents
-- them: monthly credits that expire at the end of their cycle, top-ups that never expire, and
-- charges that spend the credits expiring first, then the oldest top-up.

-- Each grant, top-up or adjustment is a lot, with what is left of it. A monthly lot expires at
-- the end of its cycle; a top-up or an adjustment never expires.
CREATE TABLE credit_lots (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT    NOT NULL UNIQUE,             -- lot_…
    kind             TEXT    NOT NULL CHECK (kind IN ('monthly', 'top_up', 'adjustment')),
    amount_micro     INTEGER NOT NULL CHECK (amount_micro >= 0),
    remaining_micro  INTEGER NOT NULL CHECK (remaining_micro >= 0 AND remaining_micro <= amount_micro),
    granted_at       INTEGER NOT NULL,
    expires_at       INTEGER,                             -- NULL: never
    cycle            INTEGER                              -- a monthly lot's cycle
);

-- The cycle: cycle N starts `N - cycle_base` calendar months after `cycle_anchor` (the day the
-- account was made or its plan last changed). `cycle` is the last cycle started, so a cycle's
-- start is applied exactly once. `debt_micro` is an overdraft, owed to the next lot granted.
-- `monthly_micro` is Enterprise's monthly grant (`serve --plan enterprise --credits`).
-- NULL anchor: not set up yet (the server or the CLI sets it up at open, from the balance).
ALTER TABLE account ADD COLUMN cycle_anchor INTEGER;
ALTER TABLE account ADD COLUMN cycle_base INTEGER NOT NULL DEFAULT 0;
ALTER TABLE account ADD COLUMN cycle INTEGER NOT NULL DEFAULT 0;
ALTER TABLE account ADD COLUMN debt_micro INTEGER NOT NULL DEFAULT 0 CHECK (debt_micro >= 0);
ALTER TABLE account ADD COLUMN monthly_micro INTEGER NOT NULL DEFAULT 0 CHECK (monthly_micro >= 0);

-- The ledger gains the kinds `expire` and `top_up`, and `lots`: which lots a charge drew from.
-- SQLite cannot change a CHECK in place, so the table is rebuilt with its rows and ids.
CREATE TABLE ledger_v6 (
    seq                  INTEGER PRIMARY KEY AUTOINCREMENT,
    id                   TEXT    NOT NULL UNIQUE,
    at                   INTEGER NOT NULL,
    kind                 TEXT    NOT NULL CHECK (kind IN ('grant', 'adjustment', 'charge', 'plan_change', 'expire', 'top_up')),
    amount_micro         INTEGER NOT NULL,
    balance_after_micro  INTEGER NOT NULL,
    plan                 TEXT,
    key_id               TEXT,
    endpoint             TEXT,
    audio_seconds        INTEGER,
    detail               TEXT,
    lots                 TEXT       -- a charge: "lot_…:micro,lot_…:micro" (and "debt:micro")
);
INSERT INTO ledger_v6 (seq, id, at, kind, amount_micro, balance_after_micro, plan, key_id, endpoint, audio_seconds, detail)
    SELECT seq, id, at, kind, amount_micro, balance_after_micro, plan, key_id, endpoint, audio_seconds, detail FROM ledger;
DROP TABLE ledger;
ALTER TABLE ledger_v6 RENAME TO ledger;
