drop function if exists app_private.change_facility_schedule(
    uuid, integer, time, time, integer, integer, integer[], text, text, text, text, text, inet, text);
