-- Frozen from bookings/sql/engine/ by 'manage.py freeze_sql'. Never edit: a new version is a new migration.

-- bookings/sql/engine/05_constants.sql
-- Generated from bookings/models.py (manage.py freeze_sql writes it): do not edit.
create or replace function app_private.place_holding_statuses() returns text[]
    language plpgsql immutable
    set search_path = ''
as $$
begin
    return array['confirmed', 'attended', 'no_show'];
end
$$;

create or replace function app_private.entitlement_unit(p_kind text) returns text
    language plpgsql immutable
    set search_path = ''
as $$
begin
    return case p_kind when 'slot' then 'recovery sessions' when 'class' then 'classes' end;
end
$$;

create or replace function app_private.class_cancellation_cutoff_minutes() returns integer
    language plpgsql immutable
    set search_path = ''
as $$
begin
    return 60;
end
$$;

create or replace function app_private.check_in_opens_minutes_before() returns integer
    language plpgsql immutable
    set search_path = ''
as $$
begin
    return 60;
end
$$;

-- bookings/sql/engine/10_relations.sql
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

-- bookings/sql/engine/20_helpers.sql
-- Reads the rules, locks and writes share, all on the two relations of 10_relations.sql.
-- PL/pgSQL rather than SQL throughout the engine: its plans are kept for the session, where a SQL
-- function's would be made again on every call, inside every booking.

-- One bookable item by kind and id (all nulls when there is none, which the rules answer as "not
-- found"). Without its places_taken: the engine counts places under its locks (places_taken), and
-- leaving the column out spares every call the count.
create or replace function app_private.booking_item(p_kind text, p_item_id uuid)
    returns app_private.bookable_items
    language plpgsql stable
    set search_path = ''
as $$
declare
    item app_private.bookable_items;
begin
    select i.kind, i.id, i.organization_id, i.branch_id, i.time_zone, i.title, i.facility_id, i.instructor,
           i.starts_at, i.ends_at, i.capacity, null::integer, i.closed_reason, i.window_days, i.cutoff_minutes,
           i.benefit_kind
    into item
    from app_private.bookable_items i where i.kind = p_kind and i.id = p_item_id;
    return item;
end
$$;

-- A member's use of an entitlement in the period (week or month, in the given zone) that contains
-- a moment: (used, quota, period, period_start). No entitlement row means no limit (quota null).
create or replace function app_private.entitlement_period_use(
    p_member_id uuid, p_benefit_kind text, p_moment timestamptz, p_time_zone text,
    p_ignore_booking uuid default null,
    out used integer, out quota integer, out period text, out period_start date
)
    language plpgsql stable
    set search_path = ''
as $$
declare
    first_moment timestamptz;
    last_moment timestamptz;
begin
    select e.quota, e.period into quota, period
    from public.entitlements e where e.member_id = p_member_id and e.benefit_kind = p_benefit_kind;
    if not found then
        return;
    end if;
    period_start := date_trunc(period, p_moment at time zone p_time_zone)::date;
    first_moment := period_start::timestamp at time zone p_time_zone;
    last_moment := (period_start::timestamp + ('1 ' || period)::interval) at time zone p_time_zone;
    select count(*)::integer into used
    from app_private.item_bookings b
    where b.member_id = p_member_id and b.benefit_kind = p_benefit_kind
      and b.status = any(app_private.place_holding_statuses())
      and b.starts_at >= first_moment and b.starts_at < last_moment and b.id is distinct from p_ignore_booking;
end
$$;

-- The same, for the period of an item about to be booked.
create or replace function app_private.entitlement_use(
    p_kind text, p_item_id uuid, p_member_id uuid, p_ignore_booking uuid default null,
    out used integer, out quota integer, out period text
)
    language plpgsql stable
    set search_path = ''
as $$
declare
    item app_private.bookable_items := app_private.booking_item(p_kind, p_item_id);
    use record;
begin
    select * into use from app_private.entitlement_period_use(
        p_member_id, item.benefit_kind, item.starts_at, item.time_zone, p_ignore_booking);
    used := use.used;
    quota := use.quota;
    period := use.period;
end
$$;

-- Which kind of item a booking is of: 'slot', 'class', or null for an unknown id.
create or replace function app_private.booking_kind(p_booking_id uuid) returns text
    language plpgsql stable
    set search_path = ''
as $$
declare
    kind text;
begin
    select b.kind into kind from app_private.item_bookings b where b.id = p_booking_id;
    return kind;
end
$$;

-- May this staff user book beyond capacity or entitlement? Django's own test (ModelBackend): an
-- active superuser, or the permission bookings.override_capacity given to the user or one of
-- their groups. Here so that every door that can override asks the same question.
create or replace function app_private.staff_may_override(p_user_id integer) returns boolean
    language plpgsql stable
    security definer
    set search_path = ''
as $$
begin
    return exists (
        select from public.auth_user u
        where u.id = p_user_id and u.is_active
          and (u.is_superuser or exists (
              select from public.auth_permission p
              join public.django_content_type t on t.id = p.content_type_id
              where t.app_label = 'bookings' and p.codename = 'override_capacity'
                and (p.id in (select up.permission_id from public.auth_user_user_permissions up where up.user_id = u.id)
                     or p.id in (select gp.permission_id
                                 from public.auth_user_groups ug
                                 join public.auth_group_permissions gp on gp.group_id = ug.group_id
                                 where ug.user_id = u.id))
          ))
    );
end
$$;

-- What a manager's override records it set aside, for each overridable rule.
create or replace function app_private.overridden_rule(p_code text) returns text
    language plpgsql immutable
    set search_path = ''
as $$
begin
    return case p_code when 'full' then 'capacity' when 'entitlement_used_up' then 'entitlement' end;
end
$$;

-- The booking window: an item whose day on its branch's calendar is more than `window_days` after
-- today's there opens later. As the first instant past the window (the start of that next day), so
-- that "inside the window" is a bound on starts_at; no window (classes) is no bound.
create or replace function app_private.booking_window_end(p_time_zone text, p_window_days integer)
    returns timestamptz
    language plpgsql stable
    set search_path = ''
as $$
begin
    if p_window_days is null then
        return 'infinity'::timestamptz;
    end if;
    return ((now() at time zone p_time_zone)::date + p_window_days + 1)::timestamp at time zone p_time_zone;
end
$$;

-- A member's live booking of an item (one not cancelled; the engine allows one), but for the
-- booking being judged.
create or replace function app_private.has_live_booking(
    p_kind text, p_item_id uuid, p_member_id uuid, p_ignore_booking uuid default null
) returns boolean
    language plpgsql stable
    set search_path = ''
as $$
begin
    return exists (
        select from app_private.item_bookings b
        where b.kind = p_kind and b.item_id = p_item_id and b.member_id = p_member_id
          and b.status <> 'cancelled' and b.id is distinct from p_ignore_booking
    );
end
$$;

-- The member's confirmed booking of another item at an overlapping time, if any, in words
-- ("Yoga at 10:00", on the item's branch's clock), but for the booking being judged.
create or replace function app_private.member_clash(
    p_member_id uuid, p_item app_private.bookable_items, p_ignore_booking uuid default null
) returns text
    language plpgsql stable
    set search_path = ''
as $$
declare
    clash text;
begin
    select b.title || ' at ' || to_char(b.starts_at at time zone p_item.time_zone, 'HH24:MI') into clash
    from app_private.item_bookings b
    where b.member_id = p_member_id and b.status = 'confirmed' and b.id is distinct from p_ignore_booking
      and b.starts_at < p_item.ends_at and b.ends_at > p_item.starts_at
      and not (b.kind = p_item.kind and b.item_id = p_item.id)
    order by b.starts_at
    limit 1;
    return clash;
end
$$;

-- bookings/sql/engine/30_rules.sql
-- The booking rules: every reason a booking would be refused, not only the first, so the concierge
-- page can answer "why can't this member book?" in one look. `overridable` marks what a manager
-- may set aside. The codes, SQLSTATEs and messages are the registry's (config/rules.py).
create or replace function app_private.booking_refusals(
    p_kind text,
    p_item_id uuid,
    p_member_id uuid,
    p_ignore_booking uuid default null
) returns table (code text, sqlstate text, message text, overridable boolean)
    language plpgsql stable
    set search_path = ''
as $$
declare
    item app_private.bookable_items := app_private.booking_item(p_kind, p_item_id);
    member public.members%rowtype;
    taken integer;
    local_start timestamp;
    use record;
    clash text;
begin
    select * into member from public.members m where m.id = p_member_id;
    if item.id is null or member.id is null or member.organization_id <> item.organization_id then
        return query select 'not_found', r.sqlstate, r.message, false from app_private.refusal('not_found') r;
        return;
    end if;
    local_start := item.starts_at at time zone item.time_zone;
    if member.status <> 'active' then
        return query select 'member_not_active', r.sqlstate, r.message, false
            from app_private.refusal('member_not_active', '', array[member.status::text]) r;
    end if;
    if item.closed_reason is not null then
        return query select 'unavailable', r.sqlstate, r.message, false
            from app_private.refusal('unavailable', '', array[item.closed_reason]) r;
    end if;
    if item.starts_at <= now() then
        return query select 'started', r.sqlstate, r.message, false from app_private.refusal('started') r;
    end if;
    if item.starts_at >= app_private.booking_window_end(item.time_zone, item.window_days) then
        return query select 'outside_window', r.sqlstate, r.message, false
            from app_private.refusal('outside_window', '',
                array[item.window_days::text, to_char(local_start::date - item.window_days, 'Dy DD Mon')]) r;
    end if;
    if app_private.has_live_booking(p_kind, p_item_id, p_member_id, p_ignore_booking) then
        return query select 'already_booked', r.sqlstate, r.message, false from app_private.refusal('already_booked') r;
    end if;
    clash := app_private.member_clash(p_member_id, item, p_ignore_booking);
    if clash is not null then
        return query select 'overlapping', r.sqlstate, r.message, false
            from app_private.refusal('overlapping', '', array[clash]) r;
    end if;
    select * into use from app_private.entitlement_period_use(
        p_member_id, item.benefit_kind, item.starts_at, item.time_zone, p_ignore_booking);
    if use.quota is not null and use.used >= use.quota then
        return query select 'entitlement_used_up', r.sqlstate, r.message, true
            from app_private.refusal('entitlement_used_up', '',
                array[app_private.n_of_m(use.used, use.quota), app_private.entitlement_unit(p_kind), use.period]) r;
    end if;
    taken := app_private.places_taken(p_kind, p_item_id, p_ignore_booking);
    if taken >= item.capacity then
        return query select 'full', r.sqlstate, r.message, true
            from app_private.refusal('full', '', array[app_private.n_of_m(taken, item.capacity)]) r;
    end if;
end
$$;

-- Each recovery facility's next free slot from a moment: the first a booking could take now (the
-- rules above: not started, not closed, inside the booking window, a place free, and, for a
-- member, not theirs already and not at the time of another of theirs). One row per facility of the branch that has one.
-- A loop, not one query: each facility's slots are walked in starts_at order and the walk stops at
-- the first free one (or the window's end), so each slot it passes is judged alone, as a booking
-- of it would be. On the slots' table, whose index on (facility, starts_at) gives the order: through
-- the relation of bookable items (a join) the planner reads and judges every later slot, then sorts
-- (0.8 s at a year of slots).
create or replace function app_private.next_free_slots(p_branch_id uuid, p_since timestamptz, p_member_id uuid default null)
    returns table (facility_id uuid, slot_id uuid, starts_at timestamptz)
    language plpgsql stable
    set search_path = ''
as $$
declare
    facility record;
    item app_private.bookable_items;
    -- An explicit cursor, which PL/pgSQL plans for its first rows (its loop declares `slot`).
    slots cursor (p_facility_id uuid) for
        select s.id, s.starts_at from public.benefit_slots s
        where s.facility_id = p_facility_id and s.starts_at >= p_since
          and s.starts_at > now()  -- not started
        order by s.starts_at;
begin
    -- a closed facility or one under maintenance has none (every slot of it is closed)
    for facility in
        select f.id from public.facilities f where f.branch_id = p_branch_id and f.is_active and not f.under_maintenance
    loop
        for slot in slots(facility.id) loop
            item := app_private.booking_item('slot', slot.id);
            exit when item.starts_at >= app_private.booking_window_end(item.time_zone, item.window_days);
            continue when item.closed_reason is not null;  -- inside a closure: the walk goes on after it
            if app_private.places_taken('slot', item.id) < item.capacity
               and (p_member_id is null or (not app_private.has_live_booking('slot', item.id, p_member_id)
                                           and app_private.member_clash(p_member_id, item) is null)) then
                facility_id := facility.id;
                slot_id := item.id;
                starts_at := item.starts_at;
                return next;
                exit;
            end if;
        end loop;
    end loop;
end
$$;

-- bookings/sql/engine/40_locks.sql
-- Serialise everything that counts places for one item, then for one member: always in that
-- order, so concurrent bookings cannot deadlock (the one other member's lock the engine takes,
-- promoting a waitlisted member on a cancellation, it only tries: app_private.try_lock). Transaction-scoped advisory locks (the spaces
-- 'slot' or 'class', then 'member', of app_private.lock_space) rather than row locks: they write
-- nothing, yet every door takes the same ones. The caller's lock_timeout bounds the wait (the
-- "busy" rule, SQLSTATE 55P03). Nothing turns the locks off (the race test installs its unlocked
-- version in the test database).
create or replace function app_private.lock_booking_rows(p_kind text, p_item_id uuid, p_member_id uuid)
    returns void
    language plpgsql volatile
    set search_path = ''
as $$
begin
    perform app_private.take_lock(p_kind, p_item_id::text);
    perform app_private.take_lock('member', p_member_id::text);
end
$$;

-- bookings/sql/engine/50_writes.sql
-- Where a booking row is written: the only place the engine names the two booking tables. Every
-- other function reads app_private.item_bookings.

-- A new booking of an item, with the override's record when a manager set rules aside.
create or replace function app_private.insert_booking(
    p_kind text,
    p_booking_id uuid,
    p_organization_id uuid,
    p_member_id uuid,
    p_item_id uuid,
    p_status text,
    p_channel text,
    p_booked_by_user_id integer,
    p_override_code text,
    p_override_note text,
    p_overridden_rules text[],
    p_capacity_at_booking integer,
    p_places_taken_before integer
) returns void
    language plpgsql volatile
    set search_path = ''
as $$
declare
    overridden boolean := cardinality(p_overridden_rules) > 0;
begin
    if p_kind = 'slot' then
        insert into public.benefit_bookings (
            id, organization_id, member_id, slot_id, status, channel, booked_by_user_id, capacity_override,
            override_reason_code, override_reason, overridden_rules, capacity_at_booking, places_taken_before
        ) values (
            p_booking_id, p_organization_id, p_member_id, p_item_id, p_status, p_channel, p_booked_by_user_id,
            overridden, p_override_code, p_override_note, p_overridden_rules, p_capacity_at_booking,
            p_places_taken_before
        );
    else
        insert into public.class_bookings (
            id, organization_id, member_id, class_id, status, channel, booked_by_user_id, capacity_override,
            override_reason_code, override_reason, overridden_rules, capacity_at_booking, places_taken_before
        ) values (
            p_booking_id, p_organization_id, p_member_id, p_item_id, p_status, p_channel, p_booked_by_user_id,
            overridden, p_override_code, p_override_note, p_overridden_rules, p_capacity_at_booking,
            p_places_taken_before
        );
    end if;
end
$$;

-- Lock a booking's row until the end of the transaction; its status now (null: no such booking).
create or replace function app_private.lock_booking(p_kind text, p_booking_id uuid) returns text
    language plpgsql volatile
    set search_path = ''
as $$
declare
    current_status text;
begin
    if p_kind = 'slot' then
        select b.status into current_status from public.benefit_bookings b where b.id = p_booking_id for update;
    else
        select b.status into current_status from public.class_bookings b where b.id = p_booking_id for update;
    end if;
    return current_status;
end
$$;

-- A booking's new status, with what goes with it: when it was cancelled (and whether late), when
-- the member checked in.
create or replace function app_private.set_booking_status(
    p_kind text, p_booking_id uuid, p_status text, p_late boolean default false
) returns void
    language plpgsql volatile
    set search_path = ''
as $$
declare
    cancelled_now timestamptz := case when p_status = 'cancelled' then now() end;
    checked_in_now timestamptz := case when p_status = 'attended' then now() end;
begin
    if p_kind = 'slot' then
        update public.benefit_bookings b
        set status = p_status, updated_at = now(), cancelled_at = cancelled_now,
            is_late_cancellation = p_late, checked_in_at = checked_in_now
        where b.id = p_booking_id;
    else
        update public.class_bookings b
        set status = p_status, updated_at = now(), cancelled_at = cancelled_now,
            is_late_cancellation = p_late, checked_in_at = checked_in_now
        where b.id = p_booking_id;
    end if;
end
$$;

-- bookings/sql/engine/60_triggers.sql
-- The triggers on the booking tables: whoever writes a row (the engine, a member through
-- PostgREST, server code with the service key), the same rules hold and the trail records it.

-- How the rules trigger knows a row comes from app_private.book, which has checked every rule
-- under the same locks a moment before: book marks the booking's id here, in its own transaction,
-- just before inserting it, and the audit trigger removes the mark right after (so the table is
-- always empty between statements). Only the owner of the engine can write it: no API role holds a
-- privilege on it (sync_grants does not manage tables in app_private), and book writes it with its
-- owner's rights. A session setting, which any caller can set, is no such proof. Unlogged: a mark
-- never outlives its transaction, so a crash has nothing to lose.
create unlogged table if not exists app_private.booking_engine_writes (
    booking_id uuid primary key,
    written_in xid8 not null default pg_current_xact_id()
);
revoke all on table app_private.booking_engine_writes from public, anon, authenticated, service_role;

create or replace function app_private.written_by_engine(p_booking_id uuid) returns boolean
    language plpgsql stable
    set search_path = ''
as $$
begin
    return exists (
        select from app_private.booking_engine_writes w
        where w.booking_id = p_booking_id and w.written_in = pg_current_xact_id()
    );
end
$$;

-- The first trigger on a booking insert (triggers fire in name order: "member_owns_row" before
-- "rules"): a session under row-level security, a member's token, may only insert a row for the
-- token's own member (who is in the token's organization). A row for anyone else is refused as
-- the policy would refuse it, before any rule runs, so that no rule's answer says anything about
-- another member. (For their own member, the rules answer "not found" for an item of another
-- organization as for one that does not exist, and the policy then refuses a row whose
-- organization is not the token's.) Invoker rights on purpose: the question is about the
-- session, not the engine's owner.
create or replace function app_private.refuse_rows_of_others() returns trigger
    language plpgsql
    security invoker
    set search_path = ''
as $$
begin
    if row_security_active(tg_relid) and (new.member_id is distinct from app_private.current_member_id()
            or new.organization_id is distinct from app_private.jwt_organization_id()) then
        raise exception using errcode = '42501',
            message = format('new row violates row-level security policy for table "%s"', tg_table_name);
    end if;
    return new;
end
$$;

create or replace trigger benefit_bookings_member_owns_row before insert on public.benefit_bookings
    for each row execute function app_private.refuse_rows_of_others();
create or replace trigger class_bookings_member_owns_row before insert on public.class_bookings
    for each row execute function app_private.refuse_rows_of_others();

-- Every insert, and every change of status into one that holds a place or waits for one, passes
-- the rules, whoever writes the row: so a direct insert through PostgREST cannot overbook either,
-- and joins a waitlist only as the engine would (the item full, entitlements counted). A row
-- app_private.book wrote (checked a moment ago, under the same locks, its override recorded) is
-- not judged again. Definer rights, so that the rules count every booking, not only those the
-- writer's policies let it see. Arguments: the item's kind and the column naming the item.
create or replace function app_private.enforce_booking_rules() returns trigger
    language plpgsql
    security definer
    set search_path = ''
    set lock_timeout = '2s'
as $$
declare
    kind text := tg_argv[0];
    item_id uuid;
    holding_statuses text[] := app_private.place_holding_statuses();
    holds_place boolean := new.status = any(holding_statuses);
    refusal record;
    overridden text[] := '{}'::text[];
    is_full boolean := false;
begin
    if tg_op = 'INSERT' and app_private.written_by_engine(new.id) then
        return new;
    elsif tg_op = 'UPDATE' and (new.status = old.status or (old.status = any(holding_statuses) and holds_place)) then
        return new;
    elsif not (holds_place or new.status = 'waitlisted') then
        return new;  -- cancelled, or a status the table's check constraint refuses
    end if;
    item_id := (to_jsonb(new) ->> tg_argv[1])::uuid;
    perform app_private.lock_booking_rows(kind, item_id, new.member_id);
    for refusal in select * from app_private.booking_refusals(kind, item_id, new.member_id, new.id) loop
        if refusal.overridable and new.capacity_override and holds_place then
            -- a manager's recorded decision
            if not app_private.staff_may_override(new.booked_by_user_id) then
                perform app_private.refuse('override_not_allowed');
            end if;
            overridden := overridden || app_private.overridden_rule(refusal.code);
            continue;
        end if;
        if refusal.code = 'full' and not holds_place then
            is_full := true;  -- what a waitlist place is for (the rules are checked again on promotion)
            continue;
        end if;
        perform app_private.raise_refusal(refusal.code, refusal.sqlstate, refusal.message);
    end loop;
    if not holds_place and not is_full then
        perform app_private.refuse('not_full');
    end if;
    if new.capacity_override and holds_place then
        new.overridden_rules := overridden;
        new.capacity_at_booking := (app_private.booking_item(kind, item_id)).capacity;
        new.places_taken_before := app_private.places_taken(kind, item_id, new.id);
    end if;
    return new;
end
$$;

create or replace trigger benefit_bookings_rules before insert or update of status on public.benefit_bookings
    for each row execute function app_private.enforce_booking_rules('slot', 'slot_id');
create or replace trigger class_bookings_rules before insert or update of status on public.class_bookings
    for each row execute function app_private.enforce_booking_rules('class', 'class_id');

-- A booking stays with its member, its item and its organization: moving one by an UPDATE would
-- take a place no rule counted (a full slot, a frozen member) without an audit entry. Moving a
-- booking is cancelling it and booking again, each through the rules.
create or replace function app_private.refuse_moving_a_booking() returns trigger
    language plpgsql
    set search_path = ''
as $$
begin
    if new.member_id is distinct from old.member_id
            or new.organization_id is distinct from old.organization_id
            or (to_jsonb(new) ->> tg_argv[0]) is distinct from (to_jsonb(old) ->> tg_argv[0]) then
        perform app_private.refuse('not_movable');
    end if;
    return new;
end
$$;

create or replace trigger benefit_bookings_not_moved before update of member_id, slot_id, organization_id
    on public.benefit_bookings for each row execute function app_private.refuse_moving_a_booking('slot_id');
create or replace trigger class_bookings_not_moved before update of member_id, class_id, organization_id
    on public.class_bookings for each row execute function app_private.refuse_moving_a_booking('class_id');

-- A row inserted without the booking function (a member app inserting through PostgREST, or
-- server code with the service key) is recorded here, so it too has its audit entry.
create or replace function app_private.audit_direct_booking() returns trigger
    language plpgsql
    security definer
    set search_path = ''
as $$
declare
    member_name text;
begin
    delete from app_private.booking_engine_writes w where w.booking_id = new.id and w.written_in = pg_current_xact_id();
    if found then
        return null;  -- app_private.book writes the entry
    end if;
    select m.first_name || ' ' || m.last_name into member_name from public.members m where m.id = new.member_id;
    perform app_private.audit_record(
        p_action => case when new.status = 'waitlisted' then 'booking.waitlisted' else 'booking.created' end,
        p_entity_type => 'booking',
        p_entity_id => new.id::text,
        p_source => 'api',
        p_actor_type => case when app_private.jwt_user_id() is not null then 'member' else 'system' end,
        p_actor_id => coalesce(app_private.jwt_user_id()::text, coalesce(app_private.jwt_claims() ->> 'role', current_user)),
        p_actor_label => case when app_private.jwt_user_id() is not null then member_name
                              else coalesce(app_private.jwt_claims() ->> 'role', current_user) end,
        p_organization_id => new.organization_id,
        p_new_values => jsonb_build_object('status', new.status, 'channel', new.channel, 'kind', tg_argv[0],
                                           'item', to_jsonb(new) ->> tg_argv[1], 'direct_insert', true),
        p_member_id => new.member_id,
        -- the item's branch, so that the entry is found by branch and read on the branch's clock
        p_branch_id => (app_private.booking_item(tg_argv[0], (to_jsonb(new) ->> tg_argv[1])::uuid)).branch_id
    );
    return null;
end
$$;

create or replace trigger benefit_bookings_audit_direct after insert on public.benefit_bookings
    for each row execute function app_private.audit_direct_booking('slot', 'slot_id');
create or replace trigger class_bookings_audit_direct after insert on public.class_bookings
    for each row execute function app_private.audit_direct_booking('class', 'class_id');

-- bookings/sql/engine/70_book_cancel_attendance.sql
-- The use cases: book, cancel (promoting the waitlist), check-in and no-show, and undoing those. One implementation
-- behind the admin's concierge flow, the API, the commands and the member app's functions.

-- Book: confirms while places remain; when full, either a manager's override (with a reason code
-- and note, recorded with the capacity and the places taken before) or, if asked, the waitlist.
-- Definer rights, so that whoever may call it (Django's connection, the service key, the member
-- app's functions) marks its row in app_private.booking_engine_writes, which they cannot write.
create or replace function app_private.book(
    p_kind text,
    p_item_id uuid,
    p_member_id uuid,
    p_channel text,
    p_source text,
    p_actor_type text,
    p_actor_id text,
    p_actor_label text,
    p_booked_by_user_id integer default null,
    p_override_code text default '',
    p_override_note text default '',
    p_join_waitlist boolean default false,
    p_request_id text default '',
    p_ip_address inet default null,
    p_user_agent text default ''
) returns table (
    booking_id uuid, status text, capacity_override boolean, overridden_rules text[],
    places_taken_before integer, capacity integer
)
    language plpgsql volatile
    security definer
    set search_path = ''
    set lock_timeout = '2s'
as $$
declare
    new_id uuid := app_private.uuid_v7();  -- time-ordered: appended to the keys' index (clubs/sql/ids/)
    item app_private.bookable_items := app_private.booking_item(p_kind, p_item_id);
    refusal record;
    set_aside text[] := '{}'::text[];
    full_refusal record;
    new_status text := 'confirmed';
    override boolean := false;
    overridden text[] := '{}'::text[];
    taken_before integer;
    note text := btrim(coalesce(p_override_note, ''));
begin
    if coalesce(p_override_code, '') <> '' and not app_private.staff_may_override(p_booked_by_user_id) then
        perform app_private.refuse('override_not_allowed');
    end if;
    perform app_private.lock_booking_rows(p_kind, p_item_id, p_member_id);
    for refusal in select * from app_private.booking_refusals(p_kind, p_item_id, p_member_id) loop
        if not refusal.overridable then
            perform app_private.raise_refusal(refusal.code, refusal.sqlstate, refusal.message);
        end if;
        set_aside := set_aside || refusal.code;
        if refusal.code = 'full' or full_refusal is null then
            full_refusal := refusal;
        end if;
    end loop;
    if cardinality(set_aside) > 0 then
        if coalesce(p_override_code, '') <> '' then
            if note = '' then
                perform app_private.refuse('override_needs_reason');
            end if;
            override := true;
            overridden := array(select app_private.overridden_rule(code) from unnest(set_aside) code);
            taken_before := app_private.places_taken(p_kind, p_item_id);
        elsif set_aside = array['full'] and p_join_waitlist then
            new_status := 'waitlisted';
        else
            perform app_private.raise_refusal(full_refusal.code, full_refusal.sqlstate, full_refusal.message);
        end if;
    end if;

    insert into app_private.booking_engine_writes (booking_id) values (new_id);
    perform app_private.insert_booking(
        p_kind, new_id, item.organization_id, p_member_id, p_item_id, new_status, p_channel, p_booked_by_user_id,
        case when override then p_override_code else '' end, case when override then note else '' end,
        overridden, case when override then item.capacity end, taken_before
    );
    perform app_private.audit_record(
        p_action => case when override then 'booking.capacity_overridden'
                         when new_status = 'waitlisted' then 'booking.waitlisted'
                         else 'booking.created' end,
        p_entity_type => 'booking',
        p_entity_id => new_id::text,
        p_source => p_source,
        p_actor_type => p_actor_type,
        p_actor_id => p_actor_id,
        p_actor_label => p_actor_label,
        p_organization_id => item.organization_id,
        p_new_values => jsonb_strip_nulls(jsonb_build_object(
            'kind', p_kind, 'item', p_item_id, 'title', item.title, 'starts_at', item.starts_at,
            'status', new_status, 'channel', p_channel,
            'overridden_rules', case when override then to_jsonb(overridden) end,
            'places', case when override then app_private.n_of_m(taken_before + 1, item.capacity) end
        )),
        p_reason => case when override then p_override_code || ': ' || note else '' end,
        p_member_id => p_member_id,
        p_branch_id => item.branch_id,
        p_request_id => p_request_id,
        p_ip_address => p_ip_address,
        p_user_agent => p_user_agent
    );
    return query select new_id, new_status, override, overridden,
                        taken_before, case when override then item.capacity end;
end
$$;

-- Cancel, and in the same transaction give the place to the first waitlisted member who can take
-- it. Members the promotion would put into an overlapping booking, over their entitlement, or who
-- are no longer active are skipped, and the audit trail says who was promoted and why others
-- were skipped. Cancelling after the cutoff marks a late cancellation, unless the item is closed.
create or replace function app_private.cancel_booking(
    p_kind text,
    p_booking_id uuid,
    p_source text,
    p_actor_type text,
    p_actor_id text,
    p_actor_label text,
    p_reason text default '',
    p_only_member_id uuid default null,
    p_request_id text default '',
    p_ip_address inet default null,
    p_user_agent text default ''
) returns table (status text, late boolean, promoted_booking_id uuid)
    language plpgsql volatile
    set search_path = ''
    set lock_timeout = '2s'
as $$
declare
    booking record;
    item app_private.bookable_items;
    was_status text;
    was_holding boolean;
    is_late boolean;
    candidate record;
    blocking record;
    skipped jsonb := '[]'::jsonb;
    promoted uuid;
    promoted_member uuid;
begin
    select b.id, b.member_id, b.item_id into booking
    from app_private.item_bookings b where b.kind = p_kind and b.id = p_booking_id;
    if booking.id is null or (p_only_member_id is not null and booking.member_id <> p_only_member_id) then
        perform app_private.refuse('not_found', 'booking');
    end if;
    perform app_private.lock_booking_rows(p_kind, booking.item_id, booking.member_id);
    -- read under the locks: a concurrent cancel may have won
    was_status := app_private.lock_booking(p_kind, p_booking_id);
    if was_status not in ('confirmed', 'waitlisted') then
        perform app_private.refuse('not_cancellable', '', array[was_status]);
    end if;
    item := app_private.booking_item(p_kind, booking.item_id);
    was_holding := was_status = 'confirmed';
    -- an item closed by the club (a closure, a cancelled class, a facility shut) is nobody's late
    -- cancellation, and its place goes to nobody
    is_late := was_holding and item.closed_reason is null
        and now() > item.starts_at - make_interval(mins => item.cutoff_minutes);
    perform app_private.set_booking_status(p_kind, p_booking_id, 'cancelled', is_late);

    if was_holding and item.starts_at > now() and item.closed_reason is null then
        for candidate in
            select w.id, w.member_id, m.first_name || ' ' || m.last_name as name
            from app_private.item_bookings w
            join public.members m on m.id = w.member_id
            where w.kind = p_kind and w.item_id = booking.item_id and w.status = 'waitlisted'
            order by w.created_at, w.id
        loop
            -- another member's lock while this one's is held: waiting could deadlock with a
            -- cancellation of theirs promoting this member, so a busy member is skipped
            if not app_private.try_lock('member', candidate.member_id::text) then
                skipped := skipped || jsonb_build_object('member', candidate.name, 'booking', candidate.id,
                                                         'reason', (app_private.refusal('busy', 'waitlist')).message);
                continue;
            end if;
            select * into blocking from app_private.booking_refusals(p_kind, booking.item_id, candidate.member_id, candidate.id)
            limit 1;
            if blocking.code is not null then
                skipped := skipped || jsonb_build_object('member', candidate.name, 'booking', candidate.id,
                                                         'reason', blocking.message);
                blocking := null;
                continue;
            end if;
            perform app_private.set_booking_status(p_kind, candidate.id, 'confirmed');
            promoted := candidate.id;
            promoted_member := candidate.member_id;
            exit;
        end loop;
    end if;

    perform app_private.audit_record(
        p_action => 'booking.cancelled',
        p_entity_type => 'booking',
        p_entity_id => p_booking_id::text,
        p_source => p_source,
        p_actor_type => p_actor_type,
        p_actor_id => p_actor_id,
        p_actor_label => p_actor_label,
        p_organization_id => item.organization_id,
        p_old_values => jsonb_build_object('status', was_status),
        p_new_values => jsonb_strip_nulls(jsonb_build_object(
            'status', 'cancelled', 'late_cancellation', is_late,
            'skipped_on_waitlist', case when promoted is null and jsonb_array_length(skipped) > 0 then skipped end
        )),
        p_reason => coalesce(p_reason, ''),
        p_member_id => booking.member_id,
        p_branch_id => item.branch_id,
        p_request_id => p_request_id,
        p_ip_address => p_ip_address,
        p_user_agent => p_user_agent
    );
    if promoted is not null then
        perform app_private.audit_record(
            p_action => 'booking.waitlist_promoted',
            p_entity_type => 'booking',
            p_entity_id => promoted::text,
            p_source => p_source,
            p_actor_type => p_actor_type,
            p_actor_id => p_actor_id,
            p_actor_label => p_actor_label,
            p_organization_id => item.organization_id,
            p_old_values => jsonb_build_object('status', 'waitlisted'),
            p_new_values => jsonb_build_object('status', 'confirmed', 'freed_by', p_booking_id, 'skipped', skipped),
            p_member_id => promoted_member,
            p_branch_id => item.branch_id,
            p_request_id => p_request_id,
            p_ip_address => p_ip_address,
            p_user_agent => p_user_agent
        );
    end if;
    return query select 'cancelled'::text, is_late, promoted;
end
$$;

-- Check-in (attended) and no-show, for confirmed bookings: check-in from an hour before the start,
-- no-show once it has started.
create or replace function app_private.set_attendance(
    p_kind text,
    p_booking_id uuid,
    p_attended boolean,
    p_source text,
    p_actor_type text,
    p_actor_id text,
    p_actor_label text,
    p_request_id text default '',
    p_ip_address inet default null,
    p_user_agent text default ''
) returns text
    language plpgsql volatile
    set search_path = ''
as $$
declare
    booking record;
    was_status text;
    item app_private.bookable_items;
    new_status text := case when p_attended then 'attended' else 'no_show' end;
begin
    was_status := app_private.lock_booking(p_kind, p_booking_id);
    select b.member_id, b.item_id into booking
    from app_private.item_bookings b where b.kind = p_kind and b.id = p_booking_id;
    if was_status is null then
        perform app_private.refuse('not_found', 'booking');
    end if;
    if not was_status = any(app_private.place_holding_statuses()) or was_status = new_status then
        perform app_private.refuse('not_cancellable', 'attendance', array[replace(new_status, '_', '-'), was_status]);
    end if;
    item := app_private.booking_item(p_kind, booking.item_id);
    if p_attended and now() < item.starts_at - make_interval(mins => app_private.check_in_opens_minutes_before()) then
        perform app_private.refuse('too_early');
    end if;
    if not p_attended and now() < item.starts_at then
        perform app_private.refuse('too_early', 'no_show');
    end if;
    perform app_private.set_booking_status(p_kind, p_booking_id, new_status);
    perform app_private.audit_record(
        p_action => case when p_attended then 'booking.checked_in' else 'booking.no_show' end,
        p_entity_type => 'booking',
        p_entity_id => p_booking_id::text,
        p_source => p_source,
        p_actor_type => p_actor_type,
        p_actor_id => p_actor_id,
        p_actor_label => p_actor_label,
        p_organization_id => item.organization_id,
        p_old_values => jsonb_build_object('status', was_status),
        p_new_values => jsonb_build_object('status', new_status),
        p_member_id => booking.member_id,
        p_branch_id => item.branch_id,
        p_request_id => p_request_id,
        p_ip_address => p_ip_address,
        p_user_agent => p_user_agent
    );
    return new_status;
end
$$;

-- Undo a check-in or a no-show (a click on the wrong name at the desk): the booking is confirmed
-- again, its check-in time cleared; the place it held stays held, so no rule is asked again.
create or replace function app_private.undo_attendance(
    p_kind text,
    p_booking_id uuid,
    p_source text,
    p_actor_type text,
    p_actor_id text,
    p_actor_label text,
    p_request_id text default '',
    p_ip_address inet default null,
    p_user_agent text default ''
) returns text
    language plpgsql volatile
    set search_path = ''
as $$
declare
    booking record;
    was_status text := app_private.lock_booking(p_kind, p_booking_id);
    item app_private.bookable_items;
begin
    if was_status is null then
        perform app_private.refuse('not_found', 'booking');
    end if;
    if was_status not in ('attended', 'no_show') then
        perform app_private.refuse('not_cancellable', 'undo', array[was_status]);
    end if;
    select b.member_id, b.item_id into booking
    from app_private.item_bookings b where b.kind = p_kind and b.id = p_booking_id;
    item := app_private.booking_item(p_kind, booking.item_id);
    perform app_private.set_booking_status(p_kind, p_booking_id, 'confirmed');
    perform app_private.audit_record(
        p_action => 'booking.attendance_undone',
        p_entity_type => 'booking',
        p_entity_id => p_booking_id::text,
        p_source => p_source,
        p_actor_type => p_actor_type,
        p_actor_id => p_actor_id,
        p_actor_label => p_actor_label,
        p_organization_id => item.organization_id,
        p_old_values => jsonb_build_object('status', was_status),
        p_new_values => jsonb_build_object('status', 'confirmed'),
        p_member_id => booking.member_id,
        p_branch_id => item.branch_id,
        p_request_id => p_request_id,
        p_ip_address => p_ip_address,
        p_user_agent => p_user_agent
    );
    return 'confirmed';
end
$$;

-- bookings/sql/engine/75_closures.sql
-- A closure's bookings cancelled in one action (the admin's "Cancel these bookings"): every live
-- booking of what the closure covers (app_private.closure_items, facilities/sql/closures/) that
-- has not started, each through cancel_booking, so each has its own audit entry, with the closure
-- as the reason. The items are closed, so no cancellation is late and no waitlisted member is
-- promoted; waitlist places are cleared first. Then one entry for the closure with the counts.
-- Refused for a closure already reopened or over.
create or replace function app_private.cancel_closure_bookings(
    p_closure_id uuid,
    p_source text,
    p_actor_type text,
    p_actor_id text,
    p_actor_label text,
    p_request_id text default '',
    p_ip_address inet default null,
    p_user_agent text default ''
) returns table (cancelled integer, waitlist_cleared integer)
    language plpgsql volatile
    set search_path = ''
as $$
declare
    closure public.closures;
    zone text;
    reason text;
    booking record;
begin
    -- under the closure's row lock: a reopening at the same moment waits, or wins and is seen
    select * into closure from public.closures c where c.id = p_closure_id for update;
    if not found then
        perform app_private.refuse('not_found', 'closure');
    end if;
    select b.time_zone into zone from public.branches b where b.id = closure.branch_id;
    if closure.reopened_at is not null then
        perform app_private.refuse('closure_not_open', '',
            array[to_char(closure.reopened_at at time zone zone, 'Dy DD Mon HH24:MI')]);
    end if;
    if closure.ends_at <= now() then
        perform app_private.refuse('closure_not_open', 'over',
            array[to_char(closure.ends_at at time zone zone, 'Dy DD Mon HH24:MI')]);
    end if;
    reason := app_private.closed_by(closure.branch_id, closure.facility_id, nullif(closure.room, ''),
                                    closure.starts_at, closure.ends_at);
    cancelled := 0;
    waitlist_cleared := 0;
    for booking in
        select i.kind, b.id, b.status
        from app_private.closure_items(p_closure_id) i
        cross join lateral (
            select lb.id, lb.status from app_private.item_bookings lb
            where lb.kind = i.kind and lb.item_id = i.item_id and lb.status in ('confirmed', 'waitlisted')
        ) b
        where i.starts_at > now()
        order by b.status = 'confirmed', i.starts_at, b.id
    loop
        perform app_private.cancel_booking(
            booking.kind, booking.id, p_source, p_actor_type, p_actor_id, p_actor_label,
            p_reason => reason, p_request_id => p_request_id, p_ip_address => p_ip_address,
            p_user_agent => p_user_agent);
        if booking.status = 'confirmed' then
            cancelled := cancelled + 1;
        else
            waitlist_cleared := waitlist_cleared + 1;
        end if;
    end loop;
    perform app_private.audit_record(
        p_action => 'closure.bookings_cancelled',
        p_entity_type => 'closure',
        p_entity_id => p_closure_id::text,
        p_source => p_source,
        p_actor_type => p_actor_type,
        p_actor_id => p_actor_id,
        p_actor_label => p_actor_label,
        p_organization_id => closure.organization_id,
        p_new_values => jsonb_build_object('cancelled', cancelled, 'waitlist_cleared', waitlist_cleared),
        p_reason => reason,
        p_branch_id => closure.branch_id,
        p_request_id => p_request_id,
        p_ip_address => p_ip_address,
        p_user_agent => p_user_agent
    );
    return next;
end
$$;

-- bookings/sql/engine/80_member_entry_points.sql
-- The member app's functions: thin entry points in public, bodies with their owner's rights in
-- app_private acting for the token's member only. Members never set an override.
create or replace function app_private.token_member() returns public.members
    language plpgsql stable
    security definer
    set search_path = ''
as $$
declare
    member public.members%rowtype;
begin
    select * into member from public.members m where m.id = app_private.current_member_id();
    if member.id is null then
        perform app_private.refuse('no_member');
    end if;
    return member;
end
$$;

create or replace function app_private.book_for_member(p_kind text, p_item_id uuid, p_join_waitlist boolean)
    returns table (booking_id uuid, status text)
    language plpgsql volatile
    security definer
    set search_path = ''
as $$
declare
    member public.members := app_private.token_member();
begin
    return query
    select b.booking_id, b.status from app_private.book(
        p_kind, p_item_id, member.id, 'member_app', 'rpc', 'member',
        coalesce(member.auth_user_id::text, member.id::text), member.first_name || ' ' || member.last_name,
        p_join_waitlist => coalesce(p_join_waitlist, false)
    ) b;
end
$$;

create or replace function app_private.cancel_for_member(p_booking_id uuid)
    returns table (status text, late boolean)
    language plpgsql volatile
    security definer
    set search_path = ''
as $$
declare
    member public.members := app_private.token_member();
    -- an unknown id is refused as "not found" by cancel_booking
    kind text := coalesce(app_private.booking_kind(p_booking_id), 'slot');
begin
    return query
    select c.status, c.late from app_private.cancel_booking(
        kind, p_booking_id, 'rpc', 'member', coalesce(member.auth_user_id::text, member.id::text),
        member.first_name || ' ' || member.last_name, p_only_member_id => member.id
    ) c;
end
$$;

create or replace function public.book_benefit_slot(p_slot_id uuid, p_join_waitlist boolean default false)
    returns table (booking_id uuid, status text)
    language sql volatile
    security invoker
    set search_path = ''
as $$
    select * from app_private.book_for_member('slot', p_slot_id, p_join_waitlist)
$$;

create or replace function public.book_class(p_class_id uuid, p_join_waitlist boolean default false)
    returns table (booking_id uuid, status text)
    language sql volatile
    security invoker
    set search_path = ''
as $$
    select * from app_private.book_for_member('class', p_class_id, p_join_waitlist)
$$;

create or replace function public.cancel_booking(p_booking_id uuid)
    returns table (status text, late boolean)
    language sql volatile
    security invoker
    set search_path = ''
as $$
    select * from app_private.cancel_for_member(p_booking_id)
$$;
