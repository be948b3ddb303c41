drop function if exists app_private.facility_slots_wanted(uuid, date, date, text, uuid);
