drop function if exists app_private.facility_defaults();
