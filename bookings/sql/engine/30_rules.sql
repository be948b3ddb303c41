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
