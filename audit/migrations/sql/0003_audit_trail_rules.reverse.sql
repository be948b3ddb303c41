drop function if exists app_private.audit_record(
    text, text, text, text, text, text, text, uuid, jsonb, jsonb, text, uuid, uuid, text, inet, text
);
drop function if exists app_private.audit_entry_content(public.audit_logs);
drop trigger if exists audit_logs_queue_for_sealing on public.audit_logs;
drop function if exists app_private.queue_audit_entry_for_sealing();
drop trigger if exists audit_seals_no_truncate on public.audit_seals;
drop trigger if exists audit_seals_append_only on public.audit_seals;
drop trigger if exists audit_logs_no_truncate on public.audit_logs;
drop trigger if exists audit_logs_append_only on public.audit_logs;
drop function if exists app_private.refuse_audit_change();
