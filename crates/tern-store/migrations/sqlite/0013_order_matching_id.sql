-- The matching id Tern picks for a new-eSIM order before it calls ES2+
-- confirmOrder (SGP.22 lets the operator choose it), stored with the
-- reserved ICCID so that a repeat after a crash can replay confirmOrder
-- with the same id, and a cancelOrder sent in compensation can name it.
ALTER TABLE orders ADD COLUMN matching_id TEXT;
