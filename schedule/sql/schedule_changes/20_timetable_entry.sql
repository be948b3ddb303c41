-- A timetable entry's new fields, applied to its future classes (see 10_facility_schedule.sql for
-- what every schedule change shares). Classes are matched by their day: a class of a day the entry
-- still holds is moved to the new time and takes the new title, instructor, room and capacity; a
-- class of a day it no longer holds (another weekday, a shorter validity) is removed when no
-- booking ever named it, marked cancelled when only cancelled bookings do, and kept as it is,
-- with its bookings, and listed, when it holds live ones; a day it now holds gets its item.
-- A class changed by hand keeps what was changed by hand: each field (its time, its title…) moves
-- with the entry only where it still was what the entry made.
create or replace function app_private.change_timetable_entry(
    p_entry_id uuid,
    p_title text,
    p_instructor text,
    p_room text,
    p_weekday integer,
    p_starts_at_local time,
    p_duration_minutes integer,
    p_capacity integer,
    p_valid_from date,
    p_valid_until date,
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
    entry public.class_timetable%rowtype;
    branch public.branches%rowtype;
    today date;
    last_start timestamptz;
    last_day date;
    before jsonb;
    after jsonb;
    old_dates date[];
    old_starts timestamptz[];
    old_ends timestamptz[];
    item_id uuid;
    future_count integer;
    plan jsonb;
    moved jsonb;
    over_capacity jsonb;
    outside jsonb;
    moved_count integer;
    updated_count integer;
    created_count integer;
    removed_count integer;
    cancelled_count integer;
    kept_count integer;
    kept_own_count integer;
    figures jsonb;
begin
    if p_title is null or p_weekday is null or p_starts_at_local is null or p_duration_minutes is null
       or p_capacity is null or p_valid_from is null then
        raise exception 'change_timetable_entry needs the title, weekday, start, duration, capacity and first day';
    end if;
    select * into entry from public.class_timetable t where t.id = p_entry_id;
    if not found then
        perform app_private.refuse('not_found');
    end if;
    select * into branch from public.branches b where b.id = entry.branch_id;
    perform app_private.take_lock('slot_generation', branch.id::text);
    select * into entry from public.class_timetable t where t.id = p_entry_id for update;

    before := jsonb_build_object(
        'title', entry.title, 'instructor', entry.instructor, 'room', entry.room, 'weekday', entry.weekday,
        'starts_at_local', entry.starts_at_local, 'duration_minutes', entry.duration_minutes,
        'capacity', entry.capacity, 'valid_from', entry.valid_from, 'valid_until', entry.valid_until
    );
    after := jsonb_build_object(
        'title', p_title, 'instructor', coalesce(p_instructor, ''), 'room', coalesce(p_room, ''),
        'weekday', p_weekday, 'starts_at_local', p_starts_at_local, 'duration_minutes', p_duration_minutes,
        'capacity', p_capacity, 'valid_from', p_valid_from, 'valid_until', p_valid_until
    );

    today := (now() at time zone branch.time_zone)::date;
    select max(c.starts_at) into last_start
    from public.classes c
    where c.branch_id = branch.id and c.starts_at > now() and c.timetable_entry_id is not null;
    last_day := greatest(today, (last_start at time zone branch.time_zone)::date);

    -- What the entry held before the change: its days, and the times it gave each.
    select coalesce(array_agg(w.timetable_date order by w.timetable_date), '{}'),
           coalesce(array_agg(w.starts_at order by w.timetable_date), '{}'),
           coalesce(array_agg(w.ends_at order by w.timetable_date), '{}')
    into old_dates, old_starts, old_ends
    from app_private.timetable_classes_wanted(branch.id, today, last_day, branch.time_zone, entry.id) w;

    -- The change of the entry.
    update public.class_timetable t
    set title = p_title, instructor = coalesce(p_instructor, ''), room = coalesce(p_room, ''), weekday = p_weekday,
        starts_at_local = p_starts_at_local, duration_minutes = p_duration_minutes, capacity = p_capacity,
        valid_from = p_valid_from, valid_until = p_valid_until, updated_at = now()
    where t.id = entry.id and before <> after;

    -- Each future class of the entry and what the change does to it: 'update' (a day the entry
    -- still holds: the fields that still were the entry's take the new values), 'remove', 'cancel'
    -- or 'keep' (a day it no longer holds: never booked, only cancelled bookings, live bookings).
    with old as (
        select * from unnest(old_dates, old_starts, old_ends) o (timetable_date, starts_at, ends_at)
    ), wanted as (
        select w.timetable_date, w.starts_at, w.ends_at
        from app_private.timetable_classes_wanted(branch.id, today, last_day, branch.time_zone, entry.id) w
        where w.starts_at > now()
    ), item as (
        select c.id, c.starts_at, c.ends_at, c.title, c.instructor, c.room, c.capacity, c.is_cancelled,
               w.timetable_date is not null as wanted, w.starts_at as new_starts_at, w.ends_at as new_ends_at,
               o.timetable_date is not null as was_wanted,
               -- where there is no earlier time to compare with, the class is the entry's
               o.timetable_date is null or (c.starts_at, c.ends_at) = (o.starts_at, o.ends_at) as entrys_time,
               exists (select from public.class_bookings b where b.class_id = c.id) as has_booking,
               exists (select from public.class_bookings b where b.class_id = c.id and b.status <> 'cancelled')
                   as has_live_booking
        from public.classes c
        left join wanted w on w.timetable_date = c.timetable_date
        left join old o on o.timetable_date = c.timetable_date
        where c.timetable_entry_id = entry.id and c.starts_at > now()
    ), change as (
        select item.*,
               case when item.entrys_time then item.new_starts_at else item.starts_at end as to_starts_at,
               case when item.entrys_time then item.new_ends_at else item.ends_at end as to_ends_at,
               case when item.title = entry.title then p_title else item.title end as to_title,
               case when item.instructor = entry.instructor then coalesce(p_instructor, '')
                    else item.instructor end as to_instructor,
               case when item.room = entry.room then coalesce(p_room, '') else item.room end as to_room,
               case when item.capacity = entry.capacity then p_capacity else item.capacity end as to_capacity,
               -- fields changed by hand that the entry's change would otherwise have changed
               (not item.entrys_time and (item.new_starts_at, item.new_ends_at) <> (item.starts_at, item.ends_at))
               or (item.title <> entry.title and p_title <> entry.title)
               or (item.instructor <> entry.instructor and coalesce(p_instructor, '') <> entry.instructor)
               or (item.room <> entry.room and coalesce(p_room, '') <> entry.room)
               or (item.capacity <> entry.capacity and p_capacity <> entry.capacity) as keeps_own
        from item
    )
    select count(*)::integer,
           coalesce(jsonb_agg(jsonb_build_object(
               'id', change.id, 'action', action.name, 'keeps_own', coalesce(change.keeps_own and change.wanted, false),
               'starts_at', change.to_starts_at, 'ends_at', change.to_ends_at,
               'title', change.to_title, 'instructor', change.to_instructor, 'room', change.to_room,
               'capacity', change.to_capacity,
               'takes_places', action.name in ('remove', 'cancel')
                   or (action.name = 'update' and (change.to_capacity < change.capacity
                       or (change.to_starts_at, change.to_ends_at) <> (change.starts_at, change.ends_at)))
           ) order by change.id) filter (where action.name is not null or coalesce(change.keeps_own, false)), '[]')
    into future_count, plan
    from change
    cross join lateral (
        select case
            when change.wanted and (change.to_starts_at, change.to_ends_at, change.to_title, change.to_instructor,
                                    change.to_room, change.to_capacity)
                 <> (change.starts_at, change.ends_at, change.title, change.instructor, change.room, change.capacity)
                then 'update'
            when not change.wanted and change.was_wanted then
                case when not change.has_booking then 'remove'
                     when change.has_live_booking then 'keep'
                     when not change.is_cancelled then 'cancel' end
        end as name
    ) action;

    -- The booking engine's lock of each class whose places or time the change changes.
    for item_id in
        select (step ->> 'id')::uuid from jsonb_array_elements(plan) step
        where (step ->> 'takes_places')::boolean
        order by (step ->> 'id')::uuid
    loop
        perform app_private.take_lock('class', item_id::text);
    end loop;

    -- What the manager is shown, read under those locks, before the classes change.
    with step as (
        select (p ->> 'id')::uuid as id, p ->> 'action' as action, (p ->> 'keeps_own')::boolean as keeps_own,
               (p ->> 'starts_at')::timestamptz as to_starts_at, (p ->> 'ends_at')::timestamptz as to_ends_at,
               (p ->> 'capacity')::integer as to_capacity
        from jsonb_array_elements(plan) p
    ), item as (
        select c.id, c.title, c.starts_at, c.ends_at, c.capacity, step.action, step.keeps_own, step.to_starts_at,
               step.to_ends_at, step.to_capacity, app_private.places_taken('class', c.id) as booked,
               (select count(*) from public.class_bookings b where b.class_id = c.id and b.status = 'waitlisted')
                   as waiting
        from step
        join public.classes c on c.id = step.id
    )
    select
        coalesce(jsonb_agg(jsonb_build_object(
            'id', item.id, 'title', item.title, 'was_starts_at', item.starts_at, 'was_ends_at', item.ends_at,
            'starts_at', item.to_starts_at, 'ends_at', item.to_ends_at, 'booked', item.booked,
            'waiting', item.waiting, 'bookings', app_private.schedule_change_bookings('class', item.id)
        ) order by item.to_starts_at) filter (
            where item.action = 'update'
              and (item.to_starts_at, item.to_ends_at) <> (item.starts_at, item.ends_at)), '[]'),
        coalesce(jsonb_agg(jsonb_build_object(
            'id', item.id, 'title', item.title, 'starts_at', item.to_starts_at, 'ends_at', item.to_ends_at,
            'booked', item.booked, 'capacity', item.to_capacity, 'was', item.capacity
        ) order by item.to_starts_at) filter (
            where item.action = 'update' and item.to_capacity <> item.capacity
              and item.booked > item.to_capacity), '[]'),
        coalesce(jsonb_agg(jsonb_build_object(
            'id', item.id, 'title', item.title, 'starts_at', item.starts_at, 'ends_at', item.ends_at,
            'booked', item.booked, 'capacity', item.capacity, 'waiting', item.waiting,
            'bookings', app_private.schedule_change_bookings('class', item.id)
        ) order by item.starts_at) filter (where item.action = 'keep'), '[]'),
        (count(*) filter (where item.action = 'keep'))::integer,
        (count(*) filter (where item.keeps_own))::integer
    into moved, over_capacity, outside, kept_count, kept_own_count
    from item;

    -- The change of the classes.
    update public.classes c
    set starts_at = (step ->> 'starts_at')::timestamptz, ends_at = (step ->> 'ends_at')::timestamptz,
        title = step ->> 'title', instructor = step ->> 'instructor', room = step ->> 'room',
        capacity = (step ->> 'capacity')::integer, updated_at = now()
    from jsonb_array_elements(plan) step
    where (step ->> 'action') = 'update' and c.id = (step ->> 'id')::uuid;
    get diagnostics updated_count = row_count;
    moved_count := jsonb_array_length(moved);

    delete from public.classes c
    using jsonb_array_elements(plan) step
    where (step ->> 'action') = 'remove' and c.id = (step ->> 'id')::uuid
      and not exists (select from public.class_bookings b where b.class_id = c.id);
    get diagnostics removed_count = row_count;

    update public.classes c
    set is_cancelled = true, updated_at = now()
    from jsonb_array_elements(plan) step
    where (step ->> 'action') = 'cancel' and c.id = (step ->> 'id')::uuid and not c.is_cancelled;
    get diagnostics cancelled_count = row_count;

    insert into public.classes (id, organization_id, branch_id, title, instructor, room, starts_at, ends_at, capacity,
                                timetable_entry_id, timetable_date)
    select gen_random_uuid(), w.organization_id, w.branch_id, w.title, w.instructor, w.room, w.starts_at, w.ends_at,
           w.capacity, w.timetable_entry_id, w.timetable_date
    from app_private.timetable_classes_wanted(branch.id, today, last_day, branch.time_zone, entry.id) w
    where w.starts_at > now()
    on conflict (timetable_entry_id, timetable_date) where timetable_entry_id is not null do nothing;
    get diagnostics created_count = row_count;

    figures := jsonb_build_object(
        'future', future_count, 'updated', updated_count, 'moved', moved_count, 'created', created_count,
        'removed', removed_count, 'cancelled', cancelled_count, 'kept', kept_count, 'kept_own', kept_own_count,
        'over_capacity', jsonb_array_length(over_capacity)
    );
    if before <> after or updated_count + created_count + removed_count + cancelled_count > 0 then
        perform app_private.audit_record(
            p_action => 'schedule.changed',
            p_entity_type => 'timetable_entry',
            p_entity_id => entry.id::text,
            p_source => p_source,
            p_actor_type => p_actor_type,
            p_actor_id => p_actor_id,
            p_actor_label => p_actor_label,
            p_organization_id => entry.organization_id,
            p_old_values => before,
            p_new_values => after || jsonb_build_object('from', today, 'to', last_day) || figures,
            p_branch_id => branch.id,
            p_request_id => p_request_id,
            p_ip_address => p_ip_address,
            p_user_agent => p_user_agent
        );
    end if;

    return jsonb_build_object(
        'kind', 'timetable_entry', 'id', entry.id, 'name', p_title, 'branch_id', branch.id, 'branch', branch.name,
        'time_zone', branch.time_zone, 'from', today, 'to', last_day, 'before', before, 'after', after,
        'changed', before <> after, 'figures', figures, 'moved', moved, 'over_capacity', over_capacity,
        'outside', outside
    );
end
$$;
