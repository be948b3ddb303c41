-- The audit trail's rules, kept by the database for every role and every door.

-- Append-only: entries and their seals are never updated, deleted or truncated, whoever asks
-- (the table owner included; only a superuser who disables the triggers can, and the hash
-- chain then shows it).
create or replace function app_private.refuse_audit_change() returns trigger
    language plpgsql
    set search_path = ''
as $$
begin
    raise exception '% is append-only: % is refused', tg_table_name, tg_op
        using hint = 'Audit entries are kept as written; see Retention in the README for archiving.';
end
$$;

create trigger audit_logs_append_only before update or delete on public.audit_logs
    for each row execute function app_private.refuse_audit_change();
create trigger audit_logs_no_truncate before truncate on public.audit_logs
    for each statement execute function app_private.refuse_audit_change();
create trigger audit_seals_append_only before update or delete on public.audit_seals
    for each row execute function app_private.refuse_audit_change();
create trigger audit_seals_no_truncate before truncate on public.audit_seals
    for each statement execute function app_private.refuse_audit_change();

-- Every new entry waits in audit_pending until seal_audit chains it. Definer rights, so that any
-- role allowed to write an entry also queues it.
create or replace function app_private.queue_audit_entry_for_sealing() returns trigger
    language plpgsql
    security definer
    set search_path = ''
as $$
begin
    insert into public.audit_pending (audit_log_id, chain)
    values (new.id, coalesce(new.organization_id, '00000000-0000-0000-0000-000000000000'::uuid));
    return null;
end
$$;

create trigger audit_logs_queue_for_sealing after insert on public.audit_logs
    for each row execute function app_private.queue_audit_entry_for_sealing();

-- What an entry's hash covers: every field, as canonical text (jsonb orders keys; times in UTC).
create or replace function app_private.audit_entry_content(entry public.audit_logs) returns text
    language sql immutable
    set search_path = ''
as $$
    select jsonb_build_object(
        'id', entry.id,
        'occurred_at', to_char(entry.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'organization_id', entry.organization_id,
        'actor_type', entry.actor_type,
        'actor_id', entry.actor_id,
        'actor_label', entry.actor_label,
        'action', entry.action,
        'entity_type', entry.entity_type,
        'entity_id', entry.entity_id,
        'member_id', entry.member_id,
        'branch_id', entry.branch_id,
        'old_values', entry.old_values,
        'new_values', entry.new_values,
        'reason', entry.reason,
        'source', entry.source,
        'request_id', entry.request_id,
        'ip_address', entry.ip_address,
        'user_agent', entry.user_agent
    )::text
$$;

-- The one way entries are written, from Python services and from SQL functions alike.
create or replace function app_private.audit_record(
    p_action text,
    p_entity_type text,
    p_entity_id text,
    p_source text,
    p_actor_type text,
    p_actor_id text,
    p_actor_label text,
    p_organization_id uuid default null,
    p_old_values jsonb default null,
    p_new_values jsonb default null,
    p_reason text default '',
    p_member_id uuid default null,
    p_branch_id uuid default null,
    p_request_id text default '',
    p_ip_address inet default null,
    p_user_agent text default ''
) returns uuid
    language sql volatile
    set search_path = ''
as $$
    insert into public.audit_logs (
        id, action, entity_type, entity_id, source, actor_type, actor_id, actor_label, organization_id,
        old_values, new_values, reason, member_id, branch_id, request_id, ip_address, user_agent
    ) values (
        gen_random_uuid(), p_action, p_entity_type, coalesce(p_entity_id, ''), p_source, p_actor_type,
        coalesce(p_actor_id, ''), coalesce(p_actor_label, ''), p_organization_id, p_old_values,
        p_new_values, coalesce(p_reason, ''), p_member_id, p_branch_id, coalesce(p_request_id, ''),
        p_ip_address, coalesce(p_user_agent, '')
    )
    returning id
$$;
