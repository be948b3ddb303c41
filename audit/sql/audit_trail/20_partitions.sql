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
