-- Generated from facilities.models.FACILITY_DEFAULTS (manage.py freeze_sql writes it): do not edit.
create or replace function app_private.facility_defaults(
    out opens_at time, out closes_at time, out slot_minutes integer, out booking_window_days integer,
    out cancellation_cutoff_minutes integer
)
    language plpgsql immutable
    set search_path = ''
as $$
begin
    opens_at := '06:00';
    closes_at := '22:00';
    slot_minutes := 30;
    booking_window_days := 7;
    cancellation_cutoff_minutes := 120;
end
$$;
