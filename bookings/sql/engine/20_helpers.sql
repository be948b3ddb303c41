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
