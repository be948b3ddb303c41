-- Schedule changes (schedule/services.py): a facility's new capacity, days, hours or slot length
-- (this file), or a timetable entry's new fields (20_timetable_entry.sql), applied to the items already
-- made in one call that returns what it did as a JSON report. The preview is the same call in a
-- transaction the caller rolls back, so a preview and its application cannot disagree.
--
-- The future is the items that have not started. What the new settings or the new entry want
-- comes from the generators' own functions (app_private.facility_slots_wanted,
-- app_private.timetable_classes_wanted), over the days the nightly run has already made at the
-- branch: from today to the last day holding a future item of the kind (later days are the
-- nightly run's, with the new values). An item the change no longer wants is removed when no
-- booking ever named it; one that holds bookings is kept as it is, with them, and listed. An item
-- whose capacity falls below its bookings keeps them and is listed; so is a booked item whose
-- times change (a class moved, a slot with a new end), with whom to tell. Nothing the change did not
-- make stale is touched (a slot or class left from an earlier change, a one-off class).
--
-- Concurrency: the branch's lock of slot and class generation (app_private.take_lock
-- 'slot_generation'), then the booking engine's lock of each item whose places the change takes
-- away (removed, capacity lowered, class moved), in the order of their ids, so nobody books a
-- place the report does not count. Slots beyond their facility's booking window cannot be booked
-- and are not locked. A lock not had within 5 seconds is the registry's "busy" (SQLSTATE 55P03):
-- nothing is changed, and trying again works. One 'schedule.changed' audit entry per change that
-- changed anything.

-- The live bookings of an item (confirmed, waitlisted, checked in) with their members, in the
-- order they were made: whom a manager calls about a slot or class the change keeps for them, or
-- whose times it changes.
create or replace function app_private.schedule_change_bookings(p_kind text, p_item_id uuid) returns jsonb
    language plpgsql stable
    set search_path = ''
as $$
declare
    bookings jsonb;
begin
    select coalesce(jsonb_agg(jsonb_build_object(
               'member_id', m.id, 'name', m.first_name || ' ' || m.last_name, 'number', m.member_number,
               'phone', m.phone, 'email', m.email, 'status', b.status
           ) order by b.created_at, b.id), '[]')
    into bookings
    from app_private.item_bookings b
    join public.members m on m.id = b.member_id
    where b.kind = p_kind and b.item_id = p_item_id and b.status <> 'cancelled';
    return bookings;
end
$$;

-- A facility's new booking shape: p_capacity is the settings' (null: the facility's,
-- p_facility_capacity), then the hours, the slot length and the days of the week it is open
-- (p_available_days, ISO weekdays). Returns the report.
create or replace function app_private.change_facility_schedule(
    p_facility_id uuid,
    p_capacity integer,
    p_opens_at time,
    p_closes_at time,
    p_slot_minutes integer,
    p_facility_capacity integer,
    p_available_days integer[],
    p_source text,
    p_actor_type text,
    p_actor_id text,
    p_actor_label text,
    p_request_id text default '',
    p_ip_address inet default null,
    p_user_agent text default ''
) returns jsonb
    language plpgsql volatile
    set search_path = ''
    set lock_timeout = '5s'
as $$
declare
    facility public.facilities%rowtype;
    branch public.branches%rowtype;
    settings public.benefit_settings%rowtype;
    has_settings boolean;
    days smallint[];
    today date;
    last_start timestamptz;
    last_day date;
    window_end timestamptz;
    before jsonb;
    after jsonb;
    old_starts timestamptz[];
    capacity_changed boolean;
    length_changed boolean;
    skipped text;
    item_id uuid;
    future_count integer;
    plan jsonb;
    over_capacity jsonb;
    outside jsonb;
    retimed jsonb;
    capacity_count integer;
    times_count integer;
    updated_count integer;
    created_count integer;
    removed_count integer;
    kept_count integer;
    kept_cancelled_count integer;
    figures jsonb;
begin
    if p_opens_at is null or p_closes_at is null or p_slot_minutes is null or p_facility_capacity is null
       or p_available_days is null then
        raise exception 'change_facility_schedule needs the hours, the slot length, the facility''s capacity and days';
    end if;
    -- a set of days: each once, in the week's order
    days := array(select distinct d::smallint from unnest(p_available_days) d where d is not null order by 1);
    select * into facility from public.facilities f where f.id = p_facility_id;
    if not found then
        perform app_private.refuse('not_found');
    end if;
    select * into branch from public.branches b where b.id = facility.branch_id;
    perform app_private.take_lock('slot_generation', branch.id::text);
    select * into facility from public.facilities f where f.id = p_facility_id for update;
    select * into settings from public.benefit_settings s where s.facility_id = facility.id for update;
    has_settings := found;

    before := jsonb_build_object(
        'capacity', coalesce(settings.capacity, facility.capacity),
        'settings_capacity', settings.capacity,
        'facility_capacity', facility.capacity,
        'opens_at', coalesce(settings.opens_at, app_private.default_opens_at()),
        'closes_at', coalesce(settings.closes_at, app_private.default_closes_at()),
        'slot_minutes', coalesce(settings.slot_minutes, app_private.default_slot_minutes()),
        'available_days', array(select distinct d from unnest(facility.available_days) d order by 1)
    );
    after := jsonb_build_object(
        'capacity', coalesce(p_capacity, p_facility_capacity),
        'settings_capacity', p_capacity,
        'facility_capacity', p_facility_capacity,
        'opens_at', p_opens_at,
        'closes_at', p_closes_at,
        'slot_minutes', p_slot_minutes,
        'available_days', days
    );
    capacity_changed := before -> 'capacity' <> after -> 'capacity';
    length_changed := before -> 'slot_minutes' <> after -> 'slot_minutes';
    skipped := case when not facility.is_active then 'inactive'
                    when facility.under_maintenance then 'under maintenance' end;

    today := (now() at time zone branch.time_zone)::date;
    select max(s.starts_at) into last_start
    from public.benefit_slots s
    join public.facilities f on f.id = s.facility_id
    where f.branch_id = branch.id and s.starts_at > now();
    last_day := greatest(today, (last_start at time zone branch.time_zone)::date);
    window_end := app_private.booking_window_end(
        branch.time_zone, coalesce(settings.booking_window_days, app_private.default_booking_window_days()));

    -- What the settings wanted before the change (its slots may be made stale by it).
    old_starts := array(
        select w.starts_at
        from app_private.facility_slots_wanted(branch.id, today, last_day, branch.time_zone, facility.id) w
    );

    -- The change of the settings.
    if p_facility_capacity <> facility.capacity or before -> 'available_days' <> after -> 'available_days' then
        update public.facilities f
        set capacity = p_facility_capacity, available_days = days, updated_at = now()
        where f.id = facility.id;
    end if;
    if has_settings then
        update public.benefit_settings s
        set capacity = p_capacity, opens_at = p_opens_at, closes_at = p_closes_at, slot_minutes = p_slot_minutes,
            updated_at = now()
        where s.id = settings.id
          and (s.capacity, s.opens_at, s.closes_at, s.slot_minutes)
              is distinct from (p_capacity, p_opens_at, p_closes_at, p_slot_minutes);
    elsif (p_capacity, p_opens_at, p_closes_at, p_slot_minutes) is distinct from
          (null::integer, app_private.default_opens_at(), app_private.default_closes_at(),
           app_private.default_slot_minutes()) then
        insert into public.benefit_settings (organization_id, facility_id, capacity, opens_at, closes_at, slot_minutes)
        values (facility.organization_id, facility.id, p_capacity, p_opens_at, p_closes_at, p_slot_minutes);
    end if;

    -- Each future slot of the facility and what the change does to it: 'update' (on the new grid,
    -- with another capacity or end), 'remove' (stale, never booked), 'keep' (stale, booked: live
    -- bookings), 'keep_cancelled' (stale, only cancelled bookings name it), or nothing.
    with wanted as (
        select w.starts_at, w.ends_at, w.capacity
        from app_private.facility_slots_wanted(branch.id, today, last_day, branch.time_zone, facility.id) w
        where w.starts_at > now()
    ), slot as (
        select s.id, s.starts_at, s.ends_at, s.capacity,
               w.starts_at is not null as wanted, w.ends_at as new_ends_at, w.capacity as new_capacity,
               s.starts_at = any(old_starts) as was_wanted,
               exists (select from public.benefit_bookings b where b.slot_id = s.id) as has_booking,
               exists (select from public.benefit_bookings b where b.slot_id = s.id and b.status <> 'cancelled')
                   as has_live_booking
        from public.benefit_slots s
        left join wanted w on w.starts_at = s.starts_at
        where s.facility_id = facility.id and s.starts_at > now()
    )
    select count(*)::integer,
           coalesce(jsonb_agg(jsonb_build_object(
               'id', slot.id, 'action', action.name, 'starts_at', slot.starts_at,
               'capacity_lowered', action.name = 'update' and slot.new_capacity < slot.capacity
           ) order by slot.id) filter (where action.name is not null), '[]')
    into future_count, plan
    from slot
    cross join lateral (
        select case
            when slot.wanted and ((capacity_changed and slot.capacity <> slot.new_capacity)
                                  or (length_changed and slot.ends_at <> slot.new_ends_at)) then 'update'
            when not slot.wanted and slot.was_wanted then
                case when not slot.has_booking then 'remove'
                     when slot.has_live_booking then 'keep'
                     else 'keep_cancelled' end
        end as name
    ) action;

    -- The booking engine's lock of each bookable slot whose places the change takes away.
    for item_id in
        select (step ->> 'id')::uuid
        from jsonb_array_elements(plan) step
        where ((step ->> 'action') = 'remove' or (step ->> 'capacity_lowered')::boolean)
          and (step ->> 'starts_at')::timestamptz < window_end
        order by (step ->> 'id')::uuid
    loop
        perform app_private.take_lock('slot', item_id::text);
    end loop;

    -- What the manager is shown, read under those locks, before the slots change.
    with step as (
        select (p ->> 'id')::uuid as id, p ->> 'action' as action from jsonb_array_elements(plan) p
    ), wanted as (
        select w.starts_at, w.ends_at, w.capacity
        from app_private.facility_slots_wanted(branch.id, today, last_day, branch.time_zone, facility.id) w
        where w.starts_at > now()
    ), slot as (
        select s.id, s.starts_at, s.ends_at, s.capacity, step.action, w.ends_at as new_ends_at,
               w.capacity as new_capacity, app_private.places_taken('slot', s.id) as booked,
               (select count(*) from public.benefit_bookings b where b.slot_id = s.id and b.status = 'waitlisted')
                   as waiting
        from step
        join public.benefit_slots s on s.id = step.id
        left join wanted w on w.starts_at = s.starts_at
    )
    select
        coalesce(jsonb_agg(jsonb_build_object(
            'id', slot.id, 'starts_at', slot.starts_at, 'ends_at', coalesce(slot.new_ends_at, slot.ends_at),
            'booked', slot.booked, 'capacity', slot.new_capacity, 'was', slot.capacity
        ) order by slot.starts_at) filter (
            where slot.action = 'update' and slot.capacity <> slot.new_capacity and slot.booked > slot.new_capacity),
            '[]'),
        coalesce(jsonb_agg(jsonb_build_object(
            'id', slot.id, 'starts_at', slot.starts_at, 'ends_at', slot.ends_at, 'booked', slot.booked,
            'capacity', slot.capacity, 'waiting', slot.waiting,
            'bookings', app_private.schedule_change_bookings('slot', slot.id)
        ) order by slot.starts_at) filter (where slot.action = 'keep'), '[]'),
        coalesce(jsonb_agg(jsonb_build_object(
            'id', slot.id, 'starts_at', slot.starts_at, 'ends_at', slot.new_ends_at,
            'was_starts_at', slot.starts_at, 'was_ends_at', slot.ends_at, 'booked', slot.booked,
            'waiting', slot.waiting, 'bookings', app_private.schedule_change_bookings('slot', slot.id)
        ) order by slot.starts_at) filter (
            where slot.action = 'update' and slot.ends_at <> slot.new_ends_at and slot.booked + slot.waiting > 0),
            '[]'),
        (count(*) filter (where slot.action = 'update' and capacity_changed and slot.capacity <> slot.new_capacity))
            ::integer,
        (count(*) filter (where slot.action = 'update' and slot.ends_at <> slot.new_ends_at))::integer,
        (count(*) filter (where slot.action = 'keep'))::integer,
        (count(*) filter (where slot.action = 'keep_cancelled'))::integer
    into over_capacity, outside, retimed, capacity_count, times_count, kept_count, kept_cancelled_count
    from slot;

    -- The change of the slots.
    with wanted as (
        select w.starts_at, w.ends_at, w.capacity
        from app_private.facility_slots_wanted(branch.id, today, last_day, branch.time_zone, facility.id) w
        where w.starts_at > now()
    )
    update public.benefit_slots s
    set capacity = case when capacity_changed then w.capacity else s.capacity end,
        ends_at = case when length_changed then w.ends_at else s.ends_at end
    from wanted w, jsonb_array_elements(plan) step
    where (step ->> 'action') = 'update' and s.id = (step ->> 'id')::uuid and w.starts_at = s.starts_at;
    get diagnostics updated_count = row_count;

    delete from public.benefit_slots s
    using jsonb_array_elements(plan) step
    where (step ->> 'action') = 'remove' and s.id = (step ->> 'id')::uuid
      and not exists (select from public.benefit_bookings b where b.slot_id = s.id);
    get diagnostics removed_count = row_count;

    insert into public.benefit_slots (id, organization_id, facility_id, starts_at, ends_at, capacity)
    select gen_random_uuid(), w.organization_id, w.facility_id, w.starts_at, w.ends_at, w.capacity
    from app_private.facility_slots_wanted(branch.id, today, last_day, branch.time_zone, facility.id) w
    where w.starts_at > now()
    on conflict (facility_id, starts_at) do nothing;
    get diagnostics created_count = row_count;

    figures := jsonb_build_object(
        'future', future_count, 'updated', updated_count, 'capacity_changed', capacity_count,
        'times_changed', times_count, 'created', created_count, 'removed', removed_count, 'kept', kept_count,
        'kept_cancelled', kept_cancelled_count, 'over_capacity', jsonb_array_length(over_capacity),
        'retimed_booked', jsonb_array_length(retimed)
    );
    if before <> after or updated_count + created_count + removed_count > 0 then
        perform app_private.audit_record(
            p_action => 'schedule.changed',
            p_entity_type => 'facility',
            p_entity_id => facility.id::text,
            p_source => p_source,
            p_actor_type => p_actor_type,
            p_actor_id => p_actor_id,
            p_actor_label => p_actor_label,
            p_organization_id => facility.organization_id,
            p_old_values => before,
            p_new_values => after || jsonb_build_object('from', today, 'to', last_day) || figures,
            p_branch_id => branch.id,
            p_request_id => p_request_id,
            p_ip_address => p_ip_address,
            p_user_agent => p_user_agent
        );
    end if;

    return jsonb_build_object(
        'kind', 'facility', 'id', facility.id, 'name', facility.name, 'branch_id', branch.id,
        'branch', branch.name, 'time_zone', branch.time_zone, 'from', today, 'to', last_day,
        'before', before, 'after', after, 'skipped', skipped, 'changed', before <> after,
        'figures', figures, 'over_capacity', over_capacity, 'outside', outside, 'retimed', retimed
    );
end
$$;
