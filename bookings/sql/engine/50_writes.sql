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
