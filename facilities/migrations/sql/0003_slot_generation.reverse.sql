drop function if exists public.ensure_facility_slots(uuid, date, date);
drop function if exists app_private.ensure_facility_slots_for_caller(uuid, date, date);
drop function if exists app_private.generate_facility_slots(uuid, date, date, text, text, text, text, boolean, boolean);
