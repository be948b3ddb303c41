drop trigger if exists closures_check on public.closures;
drop function if exists app_private.check_closure();
drop function if exists app_private.closure_items(uuid);
drop function if exists app_private.closed_by(uuid, uuid, text, timestamptz, timestamptz);
drop function if exists app_private.closure_covers(public.closures, uuid, text);
