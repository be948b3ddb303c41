drop function if exists app_private.generate_classes(uuid, date, date, text, text, text, text, boolean);
