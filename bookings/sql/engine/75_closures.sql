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
