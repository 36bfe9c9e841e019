-- When a support meeting was cancelled: an invitation counts as the invited agency's
-- involvement until 30 days after the meeting's date or, when cancelled, after its
-- cancellation (PRODUCT.md, decisions on meetings). Meetings cancelled before this version
-- take their last change as the day of cancellation.
ALTER TABLE meetings ADD COLUMN cancelled_at TEXT;
UPDATE meetings SET cancelled_at = updated_at WHERE status = 'cancelled';
