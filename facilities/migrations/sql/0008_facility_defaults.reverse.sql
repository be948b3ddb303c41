drop function if exists app_private.default_opens_at();
drop function if exists app_private.default_closes_at();
drop function if exists app_private.default_slot_minutes();
drop function if exists app_private.default_booking_window_days();
drop function if exists app_private.default_cancellation_cutoff_minutes();
drop function if exists app_private.slot_run_max_days();
