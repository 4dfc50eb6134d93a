-- theta-console schema, version 7: an index of the lots that still hold credits.
-- Each cycle start looks for the monthly lots it expires, and each usage batch for the lots it may
-- spend; both only ever want lots with credits left. Without this index both scan every lot ever
-- granted, so a clock moved by centuries (one lot per month passed) grew quadratically slow.
CREATE INDEX credit_lots_live ON credit_lots (expires_at) WHERE remaining_micro > 0;
