-- What 0016 added; reversing then installs 0015's engine again (reinstalls=).
drop function if exists app_private.next_free_slots(uuid, timestamptz, uuid);
drop function if exists app_private.member_clash(uuid, app_private.bookable_items, uuid);
drop function if exists app_private.has_live_booking(text, uuid, uuid, uuid);
drop function if exists app_private.booking_window_end(text, integer);
