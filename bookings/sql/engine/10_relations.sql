-- The booking engine (bookings/sql/engine/, frozen into the migration that installs each
-- version): one set of rules for every door (admin, API, member app functions, and a direct
-- insert through PostgREST). Refusals are the rules of config/rules.py, raised by their code
-- through app_private.refuse (clubs/sql/platform/).
--
-- This file: the two relations everything reads. Recovery slots and classes are two tables, and
-- so are their bookings (the member app's tables keep their names and columns), but what is
-- booked is one thing, "a bookable item", and so is "a booking of an item". The engine and the
-- Python side read only these; the two-table fork remains where a row is written
-- (50_writes.sql). Both are views in app_private, a schema PostgREST does not expose: neither a
-- member's session nor anon may read them (the member app reads its own tables under row-level
-- security); service_role, which reads every booking table anyway, may, since server code calling
-- the engine's invoker-rights functions (cancel, attendance, refusals) reads through them.

-- Every booking of an item, with the item's kind, branch, time and title. Left joins on primary keys, so
-- a query that reads no item column does not read the item's table at all (the planner removes
-- such a join); the foreign keys guarantee the item is there.
create or replace view app_private.item_bookings as
select
    'slot'::text as kind,
    bb.id,
    bb.slot_id as item_id,
    bb.organization_id,
    bb.member_id,
    bb.status::text as status,
    bb.created_at,
    bb.checked_in_at,
    bb.capacity_override,
    bb.override_reason_code::text as override_reason_code,
    bb.override_reason,
    bb.overridden_rules::text[] as overridden_rules,
    bb.capacity_at_booking::integer as capacity_at_booking,
    bb.places_taken_before::integer as places_taken_before,
    bb.booked_by_user_id,
    bb.is_late_cancellation,
    'recovery'::text as benefit_kind,
    f.branch_id,
    br.time_zone,
    s.starts_at,
    s.ends_at,
    f.name::text as title,
    bb.cancelled_at
from public.benefit_bookings bb
left join public.benefit_slots s on s.id = bb.slot_id
left join public.facilities f on f.id = s.facility_id
left join public.branches br on br.id = f.branch_id
union all
select
    'class'::text,
    cb.id,
    cb.class_id,
    cb.organization_id,
    cb.member_id,
    cb.status::text,
    cb.created_at,
    cb.checked_in_at,
    cb.capacity_override,
    cb.override_reason_code::text,
    cb.override_reason,
    cb.overridden_rules::text[],
    cb.capacity_at_booking::integer,
    cb.places_taken_before::integer,
    cb.booked_by_user_id,
    cb.is_late_cancellation,
    'class'::text,
    c.branch_id,
    br.time_zone,
    c.starts_at,
    c.ends_at,
    c.title::text,
    cb.cancelled_at
from public.class_bookings cb
left join public.classes c on c.id = cb.class_id
left join public.branches br on br.id = c.branch_id;

-- Places taken: the bookings of an item that hold a place (app_private.place_holding_statuses),
-- but for the booking being judged. PL/pgSQL, like the rest of the engine, for its kept plans.
create or replace function app_private.places_taken(p_kind text, p_item_id uuid, p_ignore_booking uuid default null)
    returns integer
    language plpgsql stable
    set search_path = ''
as $$
declare
    taken integer;
begin
    select count(*) into taken from app_private.item_bookings b
    where b.kind = p_kind and b.item_id = p_item_id and b.status = any(app_private.place_holding_statuses())
      and b.id is distinct from p_ignore_booking;
    return taken;
end
$$;

-- Every bookable item: a recovery slot (kind 'slot') or a class (kind 'class'). `kind` is a
-- constant of each branch of the union, so a query asking for one kind reads one table.
-- places_taken is app_private.places_taken (above), the one count of places. closed_reason says why
-- nobody may book it: the facility's state, the class cancelled, or an open closure covering it
-- (app_private.closed_by, facilities/sql/closures/).
create or replace view app_private.bookable_items as
select
    'slot'::text as kind,
    s.id,
    s.organization_id,
    f.branch_id,
    b.time_zone,
    f.name::text as title,
    s.facility_id,
    ''::text as instructor,
    s.starts_at,
    s.ends_at,
    s.capacity::integer as capacity,
    app_private.places_taken('slot', s.id) as places_taken,
    case when not f.is_active then 'the facility is closed'
         when f.under_maintenance then 'the facility is under maintenance'
         else app_private.closed_by(f.branch_id, s.facility_id, null, s.starts_at, s.ends_at) end as closed_reason,
    coalesce(st.booking_window_days, app_private.default_booking_window_days())::integer as window_days,
    coalesce(st.cancellation_cutoff_minutes, app_private.default_cancellation_cutoff_minutes())::integer
        as cutoff_minutes,
    'recovery'::text as benefit_kind
from public.benefit_slots s
join public.facilities f on f.id = s.facility_id
join public.branches b on b.id = f.branch_id
left join public.benefit_settings st on st.facility_id = f.id
union all
select
    'class'::text,
    c.id,
    c.organization_id,
    c.branch_id,
    b.time_zone,
    c.title::text,
    null::uuid,
    c.instructor::text,
    c.starts_at,
    c.ends_at,
    c.capacity::integer,
    app_private.places_taken('class', c.id),
    case when c.is_cancelled then 'the class is cancelled'
         else app_private.closed_by(c.branch_id, null, c.room, c.starts_at, c.ends_at) end,
    null::integer,  -- classes open for booking as soon as they are scheduled
    app_private.class_cancellation_cutoff_minutes(),
    'class'::text
from public.classes c
join public.branches b on b.id = c.branch_id;

revoke all on app_private.bookable_items, app_private.item_bookings from public, anon, authenticated, service_role;
grant select on app_private.bookable_items, app_private.item_bookings to service_role;
