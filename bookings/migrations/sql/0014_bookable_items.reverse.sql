-- What 0014 added; reversing then installs 0013's engine again (reinstalls=).
drop function if exists app_private.booking_item(text, uuid);
drop function if exists app_private.insert_booking(
    text, uuid, uuid, uuid, uuid, text, text, integer, text, text, text[], integer, integer
);
drop function if exists app_private.undo_attendance(text, uuid, text, text, text, text, text, inet, text);
drop function if exists app_private.lock_booking(text, uuid);
drop function if exists app_private.set_booking_status(text, uuid, text, boolean);
drop function if exists app_private.overridden_rule(text);
drop view if exists app_private.item_bookings;
drop view if exists app_private.bookable_items;
drop function if exists app_private.place_holding_statuses();
drop function if exists app_private.class_cancellation_cutoff_minutes();
drop function if exists app_private.entitlement_unit(text);
