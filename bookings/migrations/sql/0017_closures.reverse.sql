-- What 0017 added; reversing then installs 0016's engine again (reinstalls=).
drop function if exists app_private.cancel_closure_bookings(uuid, text, text, text, text, text, inet, text);
-- 0016's item_bookings has no cancelled_at: a view loses a column only by being made again
drop view if exists app_private.item_bookings;
