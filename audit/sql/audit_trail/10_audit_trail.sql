-- The audit trail's rules, kept by the database for every role and every door.

-- Append-only: entries and their seals are never updated, deleted or truncated, whoever asks
-- (the table owner included; only whoever disables the triggers can, and the hash chain then
-- shows it). A month leaves the trail only whole, through archive_audit: its partition is
-- detached or dropped (neither is a DELETE), and its seals with it.
create or replace function app_private.refuse_audit_change() returns trigger
    language plpgsql
    set search_path = ''
as $$
begin
    -- a partition's row is an entry of audit_logs
    raise exception '% is append-only: % is refused',
        case when tg_table_schema = 'audit_partitions' then 'audit_logs' else tg_table_name end, tg_op
        using hint = 'Audit entries are kept as written; a month leaves only through archive_audit '
                     '(see Retention in the README).';
end
$$;

-- A seal may be deleted once its month is recorded as cut (audit_cuts, written by archive_audit
-- in the same transaction, after the month's export verified): the chain's runs it held are kept
-- in audit_cut_runs, from which the rest of the chain still verifies. Nothing else changes a seal.
create or replace function app_private.refuse_audit_seal_change() returns trigger
    language plpgsql
    set search_path = ''
as $$
begin
    if tg_op = 'DELETE' and exists (
        select from public.audit_cuts cut
        where cut.month = date_trunc('month', old.occurred_at at time zone 'UTC')::date
    ) then
        return old;
    end if;
    raise exception '% is append-only: % is refused', tg_table_name, tg_op
        using hint = 'Seals are kept as written; a month leaves only through archive_audit '
                     '(see Retention in the README).';
end
$$;

-- Row triggers on the partitioned table reach every partition; TRUNCATE of a partition is
-- refused by the partition's own trigger (app_private.audit_month_partition makes it).
create or replace trigger audit_logs_append_only before update or delete on public.audit_logs
    for each row execute function app_private.refuse_audit_change();
create or replace trigger audit_logs_no_truncate before truncate on public.audit_logs
    for each statement execute function app_private.refuse_audit_change();
create or replace trigger audit_logs_no_truncate before truncate on audit_partitions.audit_logs_default
    for each statement execute function app_private.refuse_audit_change();
create or replace trigger audit_seals_append_only before update or delete on public.audit_seals
    for each row execute function app_private.refuse_audit_seal_change();
create or replace trigger audit_seals_no_truncate before truncate on public.audit_seals
    for each statement execute function app_private.refuse_audit_change();
create or replace trigger audit_cuts_append_only before update or delete on public.audit_cuts
    for each row execute function app_private.refuse_audit_change();
create or replace trigger audit_cuts_no_truncate before truncate on public.audit_cuts
    for each statement execute function app_private.refuse_audit_change();
create or replace trigger audit_cut_runs_append_only before update or delete on public.audit_cut_runs
    for each row execute function app_private.refuse_audit_change();
create or replace trigger audit_cut_runs_no_truncate before truncate on public.audit_cut_runs
    for each statement execute function app_private.refuse_audit_change();

-- Every new entry waits in audit_pending until seal_audit chains it. Definer rights, so that any
-- role allowed to write an entry also queues it.
create or replace function app_private.queue_audit_entry_for_sealing() returns trigger
    language plpgsql
    security definer
    set search_path = ''
as $$
begin
    insert into public.audit_pending (audit_log_id, chain, occurred_at)
    values (new.id, coalesce(new.organization_id, '00000000-0000-0000-0000-000000000000'::uuid), new.occurred_at);
    return null;
end
$$;

create or replace trigger audit_logs_queue_for_sealing after insert on public.audit_logs
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
-- PL/pgSQL rather than SQL so that its insert is planned once per session, not on every call:
-- it runs inside every booking. Its ids are time-ordered (UUID version 7): each entry, its queue
-- row and later its seal land at the end of their keys' indexes, not on a page anywhere in them,
-- so writing and sealing cost the same however long the trail.
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
    language plpgsql volatile
    set search_path = ''
as $$
declare
    entry_id uuid := app_private.uuid_v7();
begin
    insert into public.audit_logs (
        id, action, entity_type, entity_id, source, actor_type, actor_id, actor_label, organization_id,
        old_values, new_values, reason, member_id, branch_id, request_id, ip_address, user_agent
    ) values (
        entry_id, p_action, p_entity_type, coalesce(p_entity_id, ''), p_source, p_actor_type,
        coalesce(p_actor_id, ''), coalesce(p_actor_label, ''), p_organization_id, p_old_values,
        p_new_values, coalesce(p_reason, ''), p_member_id, p_branch_id, coalesce(p_request_id, ''),
        p_ip_address, coalesce(p_user_agent, '')
    );
    return entry_id;
end
$$;
