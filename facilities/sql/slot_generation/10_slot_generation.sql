-- Slot generation: one implementation, reached by the cron command (manage.py ensure_slots) and by
-- members' browsers (public.ensure_facility_slots, a thin entry point to a definer function).
-- Refusals are the registry's rules (config/rules.py): its own invalid_range and start_in_past
-- (SQLSTATEs CS001, CS002), and the engine's not_found, no_member and member_not_active; the
-- defaults of a facility without settings are app_private.default_opens_at() and its siblings (facilities.models.FACILITY_DEFAULTS).

-- The slots the facilities' settings produce at a branch, from the first day to the last (days of
-- the branch's calendar; p_time_zone is the branch's zone), of every active facility not under
-- maintenance, or of one of them (p_facility_id). The one statement of "what the settings want":
-- the generator below makes them, and a schedule change (schedule/sql/schedule_changes/) compares
-- them with the slots already made. Opening hours are wall-clock times in the branch's zone: a local
-- time that does not exist (clocks going forward) gets no slot, a local time that happens twice
-- (clocks going back) gets one.
create or replace function app_private.facility_slots_wanted(
    p_branch_id uuid,
    p_start_date date,
    p_end_date date,
    p_time_zone text,
    p_facility_id uuid default null
) returns table (facility_id uuid, organization_id uuid, starts_at timestamptz, ends_at timestamptz, capacity smallint)
    language sql stable
    set search_path = ''
as $$
    select facility.id, facility.organization_id, slot.starts_at, slot.starts_at + facility.slot_length,
           facility.capacity
    from (
        select f.id, f.organization_id, f.available_days,
               coalesce(s.opens_at, app_private.default_opens_at()) as opens_at,
               coalesce(s.closes_at, app_private.default_closes_at()) as closes_at,
               make_interval(mins => coalesce(s.slot_minutes, app_private.default_slot_minutes())) as slot_length,
               coalesce(s.capacity, f.capacity) as capacity
        from public.facilities f
        left join public.benefit_settings s on s.facility_id = f.id
        where f.branch_id = p_branch_id and f.is_active and not f.under_maintenance
          and (p_facility_id is null or f.id = p_facility_id)
        offset 0  -- each facility's values once, not once per slot
    ) facility
    -- days as plain timestamps: wall-clock arithmetic, whatever the session's time zone
    cross join generate_series(p_start_date::timestamp, p_end_date::timestamp, interval '1 day') as day
    cross join lateral generate_series(
        day + facility.opens_at, day + facility.closes_at - facility.slot_length, facility.slot_length
    ) as local_start
    -- each slot's instant once (offset 0 keeps the planner from writing the conversion into every use)
    cross join lateral (select local_start at time zone p_time_zone as starts_at offset 0) as slot
    where extract(isodow from day)::smallint = any(facility.available_days)
      -- a wall-clock time that does not exist that day does not survive the round trip
      and slot.starts_at at time zone p_time_zone = local_start
$$;

-- The generator. Set-based: every wanted slot of every facility of the branch in one statement.
-- Concurrent runs for a branch, and schedule changes at it, queue on the branch's advisory lock; the
-- unique key (facility, start) makes a duplicate impossible anyway. With p_rebuild, future slots
-- the settings no longer produce are removed unless a booking holds them. Writes one audit entry
-- when it creates or removes slots, none otherwise, so members opening the app do not flood the
-- trail.
create or replace function app_private.generate_facility_slots(
    p_branch_id uuid,
    p_start_date date,
    p_end_date date,
    p_source text,
    p_actor_type text,
    p_actor_id text,
    p_actor_label text,
    p_dry_run boolean default false,
    p_rebuild boolean default false
) returns table (created integer, already_present integer, removed integer, kept integer, skipped jsonb)
    language plpgsql volatile
    set search_path = ''
as $$
declare
    max_days constant integer := app_private.slot_run_max_days();
    -- The slots the settings produce (app_private.facility_slots_wanted, above), used by every
    -- statement below ($1 branch, $2 first day, $3 last day, $4 the branch's time zone).
    wanted constant text := $wanted$
        select * from app_private.facility_slots_wanted($1, $2, $3, $4)
    $wanted$;
    -- Future slots of the range that the settings no longer produce, and whether bookings hold them.
    stale constant text := $stale$
        select slot.id,
               exists (select from public.benefit_bookings b where b.slot_id = slot.id and b.status <> 'cancelled')
                   as has_live_booking,
               exists (select from public.benefit_bookings b where b.slot_id = slot.id) as has_booking
        from public.benefit_slots slot
        join public.facilities f on f.id = slot.facility_id
        where f.branch_id = $1
          and slot.starts_at > now()
          and (slot.starts_at at time zone $4)::date between $2 and $3
          and not exists (
              select from (%s) w
              where w.facility_id = slot.facility_id and w.starts_at = slot.starts_at
                and w.ends_at = slot.ends_at and w.capacity = slot.capacity
          )
    $stale$;
    branch public.branches%rowtype;
    wanted_count integer;
    kept_because jsonb;
begin
    if p_start_date is null or p_end_date is null then
        perform app_private.refuse('invalid_range', 'required');
    end if;
    if p_end_date < p_start_date then
        perform app_private.refuse('invalid_range', 'end_before_start', array[p_end_date::text, p_start_date::text]);
    end if;
    if p_end_date - p_start_date + 1 > max_days then
        perform app_private.refuse('invalid_range', 'longer_than_limit',
            array[(p_end_date - p_start_date + 1)::text, max_days::text]);
    end if;
    select * into branch from public.branches b where b.id = p_branch_id;
    if not found then
        perform app_private.refuse('not_found', 'branch', array[p_branch_id::text]);
    end if;

    perform app_private.take_lock('slot_generation', p_branch_id::text);

    removed := 0;
    kept := 0;
    if p_rebuild then
        execute format(
            'select count(*) filter (where has_booking),'
            '       count(*) filter (where not has_booking),'
            '       jsonb_strip_nulls(jsonb_build_object('
            '           ''live bookings'', nullif(count(*) filter (where has_live_booking), 0),'
            '           ''only cancelled bookings'','
            '           nullif(count(*) filter (where has_booking and not has_live_booking), 0)))'
            ' from (' || stale || ') stale', wanted)
            into kept, removed, kept_because
            using p_branch_id, p_start_date, p_end_date, branch.time_zone;
        if not p_dry_run then
            execute format(
                'delete from public.benefit_slots where id in'
                ' (select id from (' || stale || ') stale where not has_booking)', wanted)
                using p_branch_id, p_start_date, p_end_date, branch.time_zone;
            get diagnostics removed = row_count;
        end if;
    end if;

    -- The wanted slots are made once (the function is not inlined), counted and inserted by one
    -- statement; a slot already there costs the unique key's lookup (ON CONFLICT), no more. No
    -- anti-join before it: planned against a table just emptied, the lookup became a scan of the
    -- table for each slot, while the statement filled it.
    if p_dry_run then
        -- What the insert would add: wanted slots with no slot at their start, or only one that
        -- the rebuild would remove.
        execute format(
            'select count(*), count(*) filter (where not exists ('
            '    select from public.benefit_slots slot'
            '    where slot.facility_id = w.facility_id and slot.starts_at = w.starts_at'
            '      and not ($5 and slot.id in (select id from (' || stale || ') stale where not has_booking))))'
            ' from (' || wanted || ') w',
            wanted)
            into wanted_count, created
            using p_branch_id, p_start_date, p_end_date, branch.time_zone, p_rebuild;
    else
        -- Keys of one batch (app_private.uuid_v7_batch): time-ordered, with no call per slot.
        execute 'with w as materialized (select w.*, row_number() over () as n from (' || wanted || ') w),'
                ' key as materialized (select * from app_private.uuid_v7_batch()),'
                ' made as ('
                '    insert into public.benefit_slots (id, organization_id, facility_id, starts_at, ends_at, capacity)'
                '    select pg_catalog.encode(key.prefix || pg_catalog.int8send(key.counter + w.n), ''hex'')::uuid,'
                '           w.organization_id, w.facility_id, w.starts_at, w.ends_at, w.capacity'
                '    from w, key'
                '    on conflict (facility_id, starts_at) do nothing'
                '    returning 1)'
                ' select (select count(*) from w), (select count(*) from made)'
            into wanted_count, created
            using p_branch_id, p_start_date, p_end_date, branch.time_zone;
    end if;
    already_present := wanted_count - created;

    select coalesce(jsonb_agg(jsonb_build_object('facility', f.name, 'reason', why.reason) order by f.name), '[]')
    into skipped
    from public.facilities f
    left join public.benefit_settings s on s.facility_id = f.id
    cross join lateral (
        select case
            when not f.is_active then 'inactive'
            when f.under_maintenance then 'under maintenance'
            when coalesce(s.closes_at, app_private.default_closes_at())
                 - coalesce(s.opens_at, app_private.default_opens_at())
                 < make_interval(mins => coalesce(s.slot_minutes, app_private.default_slot_minutes()))
                then 'open for less than one slot'
            when not exists (
                select from generate_series(p_start_date::timestamp, p_end_date::timestamp, interval '1 day') d
                where extract(isodow from d)::smallint = any(f.available_days)
            ) then 'not available on any day of the range'
        end as reason
    ) why
    where f.branch_id = p_branch_id and why.reason is not null;

    if not p_dry_run and (created > 0 or removed > 0) then
        perform app_private.audit_record(
            p_action => case when removed > 0 then 'slots.rebuilt' else 'slots.generated' end,
            p_entity_type => 'branch',
            p_entity_id => p_branch_id::text,
            p_source => p_source,
            p_actor_type => p_actor_type,
            p_actor_id => p_actor_id,
            p_actor_label => p_actor_label,
            p_organization_id => branch.organization_id,
            p_new_values => jsonb_strip_nulls(jsonb_build_object(
                'from', p_start_date, 'to', p_end_date, 'created', created, 'already_present', already_present,
                'removed', case when p_rebuild then removed end, 'kept', case when p_rebuild then kept end,
                'kept_because', case when kept > 0 then kept_because end
            )),
            p_branch_id => p_branch_id
        );
    end if;
    return next;
end
$$;

-- What a member's browser reaches (through the public entry point below). Who calls is the
-- database role the request runs as, not the token's "role" claim (which the first version,
-- facilities 0003, believed: a member's session claiming service_role generated anything, 1,984
-- slots in year 9999 with one call; it also let frozen and cancelled members generate).
-- service_role generates as itself, and so does the app's own connection (no SET ROLE in effect)
-- when it sets no token claims; with claims it acts for the member behind them (the Django API's
-- slots/generate). Any other role is a member's session, whatever its token claims. Runs with its
-- owner's rights, because members may not insert slots themselves; so for a member it checks
-- everything first: an active member behind the token, their own organization's branch, no past
-- dates, a short range, and no day beyond the branch's longest booking window (slots nobody can
-- book yet are the cron command's job). A call that creates nothing writes no audit entry
-- (app_private.generate_facility_slots).
create or replace function app_private.ensure_facility_slots_for_caller(
    p_branch_id uuid, p_start_date date, p_end_date date
) returns table (created integer, already_present integer)
    language plpgsql volatile
    security definer
    set search_path = ''
as $$
declare
    member_max_days constant integer := 31;
    -- what a facility without settings allows
    default_window_days constant integer := app_private.default_booking_window_days();
    staff_role text := case
        when current_setting('role') = 'service_role' then 'service_role'
        when current_setting('role') = 'none' and nullif(current_setting('request.jwt.claims', true), '') is null
            then session_user::text
    end;
    member public.members%rowtype;
    branch public.branches%rowtype;
    branch_today date;
    window_days integer;
    result record;
begin
    if staff_role is not null then
        select * into result from app_private.generate_facility_slots(
            p_branch_id, p_start_date, p_end_date, 'rpc', 'system', staff_role, staff_role);
        return query select result.created, result.already_present;
        return;
    end if;

    select * into member from public.members m where m.id = app_private.current_member_id();
    if not found then
        perform app_private.refuse('no_member', 'slots');
    end if;
    if member.status <> 'active' then
        perform app_private.refuse('member_not_active', '', array[member.status::text]);
    end if;
    select * into branch from public.branches b
    where b.id = p_branch_id and b.organization_id = member.organization_id;
    if not found then
        perform app_private.refuse('not_found', 'branch', array[p_branch_id::text]);
    end if;
    if p_start_date is null or p_end_date is null then
        perform app_private.refuse('invalid_range', 'required');
    end if;
    branch_today := (now() at time zone branch.time_zone)::date;
    if p_start_date < branch_today then
        perform app_private.refuse('start_in_past', 'member', array[p_start_date::text, branch_today::text]);
    end if;
    if p_end_date >= p_start_date and p_end_date - p_start_date + 1 > member_max_days then
        perform app_private.refuse('invalid_range', 'longer_than_limit',
            array[(p_end_date - p_start_date + 1)::text, member_max_days::text]);
    end if;
    select coalesce(max(coalesce(s.booking_window_days, default_window_days)), default_window_days)
    into window_days
    from public.facilities f
    left join public.benefit_settings s on s.facility_id = f.id
    where f.branch_id = branch.id and f.is_active and not f.under_maintenance;
    if greatest(p_start_date, p_end_date) > branch_today + window_days then
        perform app_private.refuse('invalid_range', 'beyond_window',
            array[greatest(p_start_date, p_end_date)::text, window_days::text, (branch_today + window_days)::text]);
    end if;

    select * into result from app_private.generate_facility_slots(
        p_branch_id, p_start_date, p_end_date, 'rpc', 'member',
        coalesce(member.auth_user_id::text, member.id::text), member.first_name || ' ' || member.last_name);
    return query select result.created, result.already_present;
end
$$;

-- The member app's entry point (supabase.rpc('ensure_facility_slots', …)): no rights of its own.
create or replace function public.ensure_facility_slots(p_branch_id uuid, p_start_date date, p_end_date date)
    returns table (created integer, already_present integer)
    language sql volatile
    security invoker
    set search_path = ''
as $$
    select * from app_private.ensure_facility_slots_for_caller(p_branch_id, p_start_date, p_end_date)
$$;
