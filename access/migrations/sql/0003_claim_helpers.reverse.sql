drop function if exists app_private.current_member_id();
drop function if exists app_private.jwt_organization_id();
drop function if exists app_private.jwt_user_id();
drop function if exists app_private.uuid_or_null(text);
drop function if exists app_private.jwt_claims();
drop schema if exists app_private;
