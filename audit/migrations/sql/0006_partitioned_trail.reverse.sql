-- audit 0006 undone: the trail back in one table, then audit 0005's rules installed on it again.
-- A month's table that archive_audit detached and nobody dropped stops it (drop schema fails):
-- drop that table once its archive is safe, or keep this migration.
drop function if exists app_private.audit_seal_batch(uuid, timestamptz, uuid, integer);
drop aggregate if exists app_private.audit_chain_hash(text, text);
drop function if exists app_private.audit_chain_step(text, text, text);
drop function if exists app_private.audit_partitions_ensure(date[], integer);
drop function if exists app_private.audit_month_partition(date);
drop function if exists app_private.audit_month(date);
drop trigger if exists audit_seals_append_only on public.audit_seals;
drop function if exists app_private.refuse_audit_seal_change();
drop function if exists app_private.audit_entry_content(public.audit_logs);
do $$
declare
    indexes text[] := array(
        select pg_get_indexdef(index.indexrelid)
        from pg_index index
        where index.indrelid = 'public.audit_logs'::regclass and not index.indisprimary
        order by 1
    );
    definition text;
begin
    create table public.audit_logs_unpartitioned (
        like public.audit_logs including defaults including constraints including storage including comments
    );
    insert into public.audit_logs_unpartitioned select * from public.audit_logs;
    drop table public.audit_logs;
    alter table public.audit_logs_unpartitioned rename to audit_logs;
    alter table public.audit_logs add constraint audit_logs_pkey primary key (id);
    alter table public.audit_logs enable row level security;
    foreach definition in array indexes loop
        execute definition;
    end loop;
end
$$;
drop schema audit_partitions;
alter table public.audit_seals drop column occurred_at;
