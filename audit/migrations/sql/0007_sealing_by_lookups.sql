-- Frozen from audit/sql/audit_trail/ by 'manage.py freeze_sql'. Never edit: a new version is a new migration.

-- audit/sql/audit_trail/10_audit_trail.sql
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

-- audit/sql/audit_trail/20_partitions.sql
-- The trail is partitioned by month (UTC), so that a month leaves the database in one step
-- (archive_audit) and every month's indexes stay the size of a month. The partitions live in
-- schema audit_partitions, which no API role may use: anon, authenticated and service_role reach
-- entries only through public.audit_logs, its grants and its row-level security. An entry whose
-- month has no partition (yet) goes to the default partition: an insert never fails for want of
-- one.

-- The first day of a day's month.
create or replace function app_private.audit_month(p_day date) returns date
    language sql immutable parallel safe
begin atomic
    select p_day - (extract(day from p_day)::integer - 1);
end;

-- The partition of one month, made if missing; null for a month cut by archive_audit (its late
-- entries stay in the default partition). Made empty and then attached, because attaching takes
-- no lock that waits for, or holds up, the trail's writers and readers; entries of the month that
-- wait in the default partition move into it first, as they are (their seals still hold). The
-- caller's lock_timeout bounds the wait for the default partition's lock.
create or replace function app_private.audit_month_partition(p_month date) returns regclass
    language plpgsql volatile
    set search_path = ''
as $$
declare
    month_first constant date := app_private.audit_month(p_month);
    month_start constant timestamptz := month_first::timestamp at time zone 'UTC';
    month_end constant timestamptz := (month_first + interval '1 month')::timestamp at time zone 'UTC';
    partition_name constant text := 'audit_logs_' || to_char(month_first::timestamp, 'YYYY_MM');
    made regclass := to_regclass(format('audit_partitions.%I', partition_name));
begin
    if exists (select from public.audit_cuts cut where cut.month = month_first) then
        return null;
    end if;
    if made is not null then
        return made;
    end if;
    execute format(
        'create table audit_partitions.%I (like public.audit_logs including defaults including constraints)',
        partition_name
    );
    made := format('audit_partitions.%I', partition_name)::regclass;
    -- Lets ATTACH skip its scan of the new partition.
    execute format(
        'alter table %s add constraint %I check (occurred_at >= %L and occurred_at < %L)',
        made, partition_name || '_month', month_start, month_end
    );
    lock table audit_partitions.audit_logs_default in access exclusive mode;
    if exists (
        select from audit_partitions.audit_logs_default entry
        where entry.occurred_at >= month_start and entry.occurred_at < month_end
    ) then
        execute format(
            'insert into %s select * from audit_partitions.audit_logs_default'
            ' where occurred_at >= $1 and occurred_at < $2',
            made
        ) using month_start, month_end;
        -- A move, not a deletion: the same rows are in the new partition. Off for this statement
        -- only; nobody else sees the default partition meanwhile (locked above).
        alter table audit_partitions.audit_logs_default disable trigger audit_logs_append_only;
        delete from audit_partitions.audit_logs_default entry
        where entry.occurred_at >= month_start and entry.occurred_at < month_end;
        alter table audit_partitions.audit_logs_default enable trigger audit_logs_append_only;
    end if;
    execute format(
        'alter table public.audit_logs attach partition %s for values from (%L) to (%L)', made, month_start, month_end
    );
    execute format(
        'create trigger audit_logs_no_truncate before truncate on %s'
        ' for each statement execute function app_private.refuse_audit_change()',
        made
    );
    return made;
end
$$;

-- Partitions for this month and the next p_months_ahead, for each month of p_months, and for
-- every month whose entries wait in the default partition (back-dated, or written before their
-- month had one). seal_audit calls it on every run (cron), so a month's partition is made weeks
-- before its first entry. A partition whose locks are busy for two seconds, or that another
-- session is making, is left to the next run. Returns how many partitions it made.
create or replace function app_private.audit_partitions_ensure(
    p_months date[] default '{}',
    p_months_ahead integer default 2
) returns integer
    language plpgsql volatile
    set search_path = ''
    set lock_timeout = '2s'
as $$
declare
    this_month constant date := app_private.audit_month((now() at time zone 'UTC')::date);
    wanted date;
    made integer := 0;
begin
    -- read whole first: a partition is not altered while a query still reads it
    foreach wanted in array array(
        select months.month
        from (
            select (this_month + make_interval(months => ahead))::date
            from generate_series(0, p_months_ahead) ahead
            union
            select app_private.audit_month(day) from unnest(p_months) day
            union
            select app_private.audit_month((entry.occurred_at at time zone 'UTC')::date)
            from audit_partitions.audit_logs_default entry
        ) months (month)
        where to_regclass(format('audit_partitions.%I', 'audit_logs_' || to_char(months.month::timestamp, 'YYYY_MM'))) is null
          and not exists (select from public.audit_cuts cut where cut.month = months.month)
        order by months.month
    )
    loop
        begin
            perform app_private.audit_month_partition(wanted);
            made := made + 1;
        exception when lock_not_available or duplicate_table then
            null;  -- busy, or made by another session meanwhile: the next run sees to it
        end;
    end loop;
    return made;
end
$$;

-- audit/sql/audit_trail/30_sealing.sql
-- Sealing: each entry's hash is sha256(the previous hash || the entry's content), in hex, from
-- the hash of the chain's last seal (64 zeros for a new chain). audit.chain.chain_hash is the
-- same in Python, for archives read outside the database.

-- One link of the chain; as the aggregate audit_chain_hash, used as a window over entries in
-- order, it chains a whole batch in one statement. `seed` is the hash the first entry follows.
create or replace function app_private.audit_chain_step(p_state text, p_seed text, p_content text) returns text
    language sql immutable parallel safe
begin atomic
    select encode(sha256(convert_to(coalesce(p_state, p_seed) || p_content, 'UTF8')), 'hex');
end;

create or replace aggregate app_private.audit_chain_hash(text, text) (
    sfunc = app_private.audit_chain_step,
    stype = text
);

-- Seal the next p_limit queued entries of one chain, after the queue position
-- (p_after_occurred_at, p_after_entry), in queue order (occurred_at, id), in one statement: the
-- queue is read in its index's order from that position, so a batch costs the same however long
-- the queue is and however many rows earlier batches took off it. The caller passes the last
-- position a batch returns, and starts each run from the beginning, where an entry that
-- committed late waits.
--
-- Only the queue trigger's rows are sure to be true; the tables' owner may add others. A row whose
-- entry is already sealed, does not exist, or belongs to another chain is taken off the queue
-- unsealed (verify_audit reports an entry neither sealed nor queued): an entry and its queue row
-- commit together, so no real entry is ever dropped.
--
-- Sealers of one chain (cron on two hosts, a verify, an export) take turns on the chain's
-- transaction-scoped lock, so they never fork it.
create or replace function app_private.audit_seal_batch(
    p_chain uuid,
    p_after_occurred_at timestamptz,
    p_after_entry uuid,
    p_limit integer,
    out taken integer,
    out sealed integer,
    out last_occurred_at timestamptz,
    out last_entry uuid
)
    language plpgsql volatile
    set search_path = ''
as $$
declare
    head_position bigint;
    head_hash text;
begin
    perform app_private.take_lock('audit_seal', p_chain::text);
    -- The chain's last position: its newest seal, or the end of its newest run cut away with an
    -- archived month when no seal is newer.
    select head.position, head.hash into head_position, head_hash
    from (
        (select seal.position, seal.hash from public.audit_seals seal
         where seal.chain = p_chain order by seal.position desc limit 1)
        union all
        (select run.last_position, run.last_hash from public.audit_cut_runs run
         where run.chain = p_chain order by run.first_position desc limit 1)
    ) head
    order by head.position desc
    limit 1;
    head_position := coalesce(head_position, 0);
    head_hash := coalesce(head_hash, repeat('0', 64));

    -- Every step is a lookup by key or by row address, whatever the statistics of the moment
    -- say: the plan is made once per session and used for every batch, while the tables grow
    -- by millions of rows under it.
    with queued as materialized (
        select pending.ctid as row_address, pending.audit_log_id, pending.occurred_at
        from public.audit_pending pending
        where pending.chain = p_chain
          and (pending.occurred_at, pending.audit_log_id) > (p_after_occurred_at, p_after_entry)
        order by pending.occurred_at, pending.audit_log_id
        limit p_limit
    ),
    chained as (
        select queued.audit_log_id as id, queued.occurred_at,
               row_number() over queue_order as n,
               app_private.audit_chain_hash(head_hash, entry.content) over queue_order as hash
        from queued
        -- Each entry by its key, in its month's partition (LIMIT keeps the lookup a lookup).
        cross join lateral (
            select app_private.audit_entry_content(logged) as content
            from public.audit_logs logged
            where logged.id = queued.audit_log_id and logged.occurred_at = queued.occurred_at
              and coalesce(logged.organization_id, '00000000-0000-0000-0000-000000000000'::uuid) = p_chain
            limit 1
        ) entry
        left join lateral (
            select true as found from public.audit_seals seal where seal.audit_log_id = queued.audit_log_id limit 1
        ) sealed on true
        where sealed.found is null
        window queue_order as (
            order by queued.occurred_at, queued.audit_log_id rows between unbounded preceding and current row
        )
    ),
    sealing as (
        insert into public.audit_seals (audit_log_id, occurred_at, chain, position, previous_hash, hash)
        select chained.id, chained.occurred_at, p_chain, head_position + chained.n,
               coalesce(lag(chained.hash) over (order by chained.n), head_hash), chained.hash
        from chained
        returning 1
    ),
    dequeued as (
        -- the rows queued read, by their addresses (one statement, one snapshot: still theirs)
        delete from public.audit_pending pending
        where pending.ctid = any (array(select queued.row_address from queued))
        returning pending.occurred_at, pending.audit_log_id
    )
    select (select count(*) from dequeued), (select count(*) from sealing), last.occurred_at, last.audit_log_id
    into taken, sealed, last_occurred_at, last_entry
    from (select 1) one
    left join lateral (
        select dequeued.occurred_at, dequeued.audit_log_id from dequeued
        order by dequeued.occurred_at desc, dequeued.audit_log_id desc
        limit 1
    ) last on true;
end
$$;
