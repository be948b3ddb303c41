drop function if exists app_private.timetable_classes_wanted(uuid, date, date, text, uuid);
