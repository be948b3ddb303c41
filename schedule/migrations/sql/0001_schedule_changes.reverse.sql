drop function if exists app_private.change_timetable_entry(
    uuid, text, text, text, integer, time, integer, integer, date, date, text, text, text, text, text, inet, text);
drop function if exists app_private.change_facility_schedule(
    uuid, integer, time, time, integer, integer, text, text, text, text, text, inet, text);
drop function if exists app_private.schedule_change_bookings(text, uuid);
