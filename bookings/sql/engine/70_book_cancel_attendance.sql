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
