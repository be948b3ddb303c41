-- The booking engine: one set of rules for every door (admin, API, member app functions, and a
-- direct insert through PostgREST). Rules that refuse a booking raise these SQLSTATEs, so that
-- every caller can tell them apart (the Python services map them to the same codes):
--   CB001 member_not_active      CB006 overlapping            CB011 override_needs_reason
--   CB002 already_booked         CB007 entitlement_used_up    CB012 not_cancellable
--   CB003 started                CB008 full                   CB013 too_early
--   CB004 unavailable            CB009 not_found              55P03 busy (lock timeout: try again)
--   CB005 outside_window         CB010 no_member

-- What is being booked, whichever kind: a recovery slot ('slot') or a class ('class').
create or replace function app_private.booking_item(
    p_kind text,
    p_item_id uuid,
    out organization_id uuid,
    out branch_id uuid,
    out time_zone text,
    out starts_at timestamptz,
    out ends_at timestamptz,
    out capacity integer,
    out closed_reason text,
    out window_days integer,
    out cutoff_minutes integer,
    out benefit_kind text,
    out title text
)
    language sql stable
    set search_path = ''
as $$
    select s.organization_id, f.branch_id, b.time_zone, s.starts_at, s.ends_at, s.capacity,
           case when not f.is_active then 'the facility is closed'
                when f.under_maintenance then 'the facility is under maintenance' end,
           coalesce(st.booking_window_days, 7), coalesce(st.cancellation_cutoff_minutes, 120), 'recovery', f.name
    from public.benefit_slots s
    join public.facilities f on f.id = s.facility_id
    join public.branches b on b.id = f.branch_id
    left join public.benefit_settings st on st.facility_id = f.id
    where p_kind = 'slot' and s.id = p_item_id
    union all
    select c.organization_id, c.branch_id, b.time_zone, c.starts_at, c.ends_at, c.capacity,
           case when c.is_cancelled then 'the class is cancelled' end, null, 60, 'class', c.title
    from public.classes c
    join public.branches b on b.id = c.branch_id
    where p_kind = 'class' and c.id = p_item_id
$$;

-- Places taken: bookings that hold one (confirmed, attended, no-show).
create or replace function app_private.places_taken(p_kind text, p_item_id uuid, p_ignore_booking uuid default null)
    returns integer
    language sql stable
    set search_path = ''
as $$
    select count(*)::integer from (
        select id from public.benefit_bookings
        where p_kind = 'slot' and slot_id = p_item_id and status in ('confirmed', 'attended', 'no_show')
        union all
        select id from public.class_bookings
        where p_kind = 'class' and class_id = p_item_id and status in ('confirmed', 'attended', 'no_show')
    ) holding
    where id is distinct from p_ignore_booking
$$;

-- The member's use of their entitlement in the period (week or month, in the branch's zone) that
-- contains the item's start: (used, quota, period). No entitlement row means no limit.
create or replace function app_private.entitlement_use(
    p_kind text, p_item_id uuid, p_member_id uuid, p_ignore_booking uuid default null,
    out used integer, out quota integer, out period text
)
    language plpgsql stable
    set search_path = ''
as $$
declare
    item record := app_private.booking_item(p_kind, p_item_id);
    period_start timestamp;
begin
    select e.quota, e.period into quota, period
    from public.entitlements e where e.member_id = p_member_id and e.benefit_kind = item.benefit_kind;
    if not found then
        return;
    end if;
    period_start := date_trunc(period, item.starts_at at time zone item.time_zone);
    select count(*)::integer into used from (
        select b.id from public.benefit_bookings b join public.benefit_slots s on s.id = b.slot_id
        where p_kind = 'slot' and b.member_id = p_member_id and b.status in ('confirmed', 'attended', 'no_show')
          and s.starts_at >= period_start at time zone item.time_zone
          and s.starts_at < (period_start + ('1 ' || period)::interval) at time zone item.time_zone
        union all
        select b.id from public.class_bookings b join public.classes c on c.id = b.class_id
        where p_kind = 'class' and b.member_id = p_member_id and b.status in ('confirmed', 'attended', 'no_show')
          and c.starts_at >= period_start at time zone item.time_zone
          and c.starts_at < (period_start + ('1 ' || period)::interval) at time zone item.time_zone
    ) counted
    where id is distinct from p_ignore_booking;
end
$$;

-- Every reason a booking would be refused, not only the first, so the concierge page can answer
-- "why can't this member book?" in one look. `overridable` marks what a manager may set aside.
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
    item record := app_private.booking_item(p_kind, p_item_id);
    member public.members%rowtype;
    taken integer;
    local_start timestamp;
    use record;
    clash text;
    things text := case p_kind when 'slot' then 'recovery sessions' else 'classes' end;
begin
    select * into member from public.members m where m.id = p_member_id;
    if item.starts_at is null or member.id is null or member.organization_id <> item.organization_id then
        return query select 'not_found', 'CB009', 'That slot, class or member does not exist here.', false;
        return;
    end if;
    local_start := item.starts_at at time zone item.time_zone;
    if member.status <> 'active' then
        return query select 'member_not_active', 'CB001',
            format('The membership is %s: only active members can book.', member.status), false;
    end if;
    if item.closed_reason is not null then
        return query select 'unavailable', 'CB004', format('Not bookable: %s.', item.closed_reason), false;
    end if;
    if item.starts_at <= now() then
        return query select 'started', 'CB003', 'It has already started or is over.', false;
    end if;
    if item.window_days is not null
       and local_start::date > (now() at time zone item.time_zone)::date + item.window_days then
        return query select 'outside_window', 'CB005',
            format('Too far ahead: bookable %s days in advance, from %s.', item.window_days,
                   to_char(local_start::date - item.window_days, 'Dy DD Mon')), false;
    end if;
    if exists (
        select from public.benefit_bookings b
        where p_kind = 'slot' and b.slot_id = p_item_id and b.member_id = p_member_id
          and b.status <> 'cancelled' and b.id is distinct from p_ignore_booking
        union all
        select from public.class_bookings b
        where p_kind = 'class' and b.class_id = p_item_id and b.member_id = p_member_id
          and b.status <> 'cancelled' and b.id is distinct from p_ignore_booking
    ) then
        return query select 'already_booked', 'CB002', 'The member already has a booking for this.', false;
    end if;
    select other.title || ' at ' || to_char(other.starts_at at time zone item.time_zone, 'HH24:MI') into clash
    from (
        select f.name as title, s.starts_at
        from public.benefit_bookings b
        join public.benefit_slots s on s.id = b.slot_id join public.facilities f on f.id = s.facility_id
        where b.member_id = p_member_id and b.status = 'confirmed' and b.id is distinct from p_ignore_booking
          and s.starts_at < item.ends_at and s.ends_at > item.starts_at
          and not (p_kind = 'slot' and s.id = p_item_id)
        union all
        select c.title, c.starts_at
        from public.class_bookings b join public.classes c on c.id = b.class_id
        where b.member_id = p_member_id and b.status = 'confirmed' and b.id is distinct from p_ignore_booking
          and c.starts_at < item.ends_at and c.ends_at > item.starts_at
          and not (p_kind = 'class' and c.id = p_item_id)
    ) other
    order by other.starts_at
    limit 1;
    if clash is not null then
        return query select 'overlapping', 'CB006', format('The member is already booked at that time: %s.', clash), false;
    end if;
    use := app_private.entitlement_use(p_kind, p_item_id, p_member_id, p_ignore_booking);
    if use.quota is not null and use.used >= use.quota then
        return query select 'entitlement_used_up', 'CB007',
            format('%s of %s %s used this %s.', use.used, use.quota, things, use.period), true;
    end if;
    taken := app_private.places_taken(p_kind, p_item_id, p_ignore_booking);
    if taken >= item.capacity then
        return query select 'full', 'CB008',
            format('Full: %s of %s places taken. The member can join the waitlist.', taken, item.capacity), true;
    end if;
end
$$;

-- Serialise everything that counts places for one slot or class, then for one member: always in
-- that order, so concurrent bookings cannot deadlock. The caller's lock_timeout bounds the wait
-- (a refusal with SQLSTATE 55P03, "busy, try again"). Tests may switch the lock off to show that
-- the race is real without it.
create or replace function app_private.lock_booking_rows(p_kind text, p_item_id uuid, p_member_id uuid)
    returns void
    language plpgsql volatile
    set search_path = ''
as $$
begin
    if current_setting('club.skip_booking_lock_for_tests', true) = 'on' then
        return;
    end if;
    if p_kind = 'slot' then
        perform from public.benefit_slots where id = p_item_id for no key update;
    else
        perform from public.classes where id = p_item_id for no key update;
    end if;
    perform from public.members where id = p_member_id for no key update;
end
$$;

create or replace function app_private.raise_refusal(p_code text, p_sqlstate text, p_message text)
    returns void
    language plpgsql volatile
    set search_path = ''
as $$
begin
    raise exception using message = p_message, errcode = p_sqlstate, detail = p_code;
end
$$;

-- Every insert, and every change of status into one that holds a place, passes these rules,
-- whoever writes the row: so a direct insert through PostgREST cannot overbook either. Definer
-- rights, so that the rules count every booking, not only those the writer's policies let it see.
create or replace function app_private.enforce_booking_rules() returns trigger
    language plpgsql
    security definer
    set search_path = ''
    set lock_timeout = '2s'
as $$
declare
    kind text := tg_argv[0];
    item_id uuid := (to_jsonb(new) ->> tg_argv[1])::uuid;
    holds_place boolean := new.status in ('confirmed', 'attended', 'no_show');
    refusal record;
    overridden text[] := '{}';
    item record;
begin
    if tg_op = 'UPDATE' then
        if new.status = old.status
           or (old.status in ('confirmed', 'attended', 'no_show') and holds_place)
           or new.status = 'cancelled' then
            return new;
        end if;
    elsif new.status = 'cancelled' then
        return new;
    end if;
    perform app_private.lock_booking_rows(kind, item_id, new.member_id);
    for refusal in select * from app_private.booking_refusals(kind, item_id, new.member_id, new.id) loop
        if refusal.overridable and (new.capacity_override or not holds_place) then
            -- a manager's recorded decision, or a waitlist place (checked again on promotion)
            overridden := overridden || case refusal.code when 'full' then 'capacity' else 'entitlement' end;
            continue;
        end if;
        perform app_private.raise_refusal(refusal.code, refusal.sqlstate, refusal.message);
    end loop;
    if new.capacity_override and holds_place then
        item := app_private.booking_item(kind, item_id);
        new.overridden_rules := overridden;
        new.capacity_at_booking := item.capacity;
        new.places_taken_before := app_private.places_taken(kind, item_id, new.id);
    end if;
    return new;
end
$$;

create trigger benefit_bookings_rules before insert or update of status on public.benefit_bookings
    for each row execute function app_private.enforce_booking_rules('slot', 'slot_id');
create trigger class_bookings_rules before insert or update of status on public.class_bookings
    for each row execute function app_private.enforce_booking_rules('class', 'class_id');

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
    if current_setting('club.booking_function', true) = 'on' then
        return null;  -- app_private.book wrote the entry
    end if;
    select m.first_name || ' ' || m.last_name into member_name from public.members m where m.id = new.member_id;
    perform app_private.audit_record(
        p_action => 'booking.created',
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
        p_member_id => new.member_id
    );
    return null;
end
$$;

create trigger benefit_bookings_audit_direct after insert on public.benefit_bookings
    for each row execute function app_private.audit_direct_booking('slot', 'slot_id');
create trigger class_bookings_audit_direct after insert on public.class_bookings
    for each row execute function app_private.audit_direct_booking('class', 'class_id');

-- Book: the one implementation behind the admin's concierge flow, the API, and the member app's
-- functions. Confirms while places remain; when full, either a manager's override (with a reason
-- code and note, recorded with the capacity before and after) or, if asked, the waitlist.
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
    set search_path = ''
    set lock_timeout = '2s'
as $$
declare
    item record := app_private.booking_item(p_kind, p_item_id);
    refusal record;
    set_aside text[] := '{}';
    full_refusal record;
    new_status text := 'confirmed';
    override boolean := false;
    booking record;
    member_branch uuid;
begin
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
            if coalesce(btrim(p_override_note), '') = '' then
                perform app_private.raise_refusal('override_needs_reason', 'CB011',
                    'An override needs a note saying why.');
            end if;
            override := true;
        elsif set_aside = array['full'] and p_join_waitlist then
            new_status := 'waitlisted';
        else
            perform app_private.raise_refusal(full_refusal.code, full_refusal.sqlstate, full_refusal.message);
        end if;
    end if;

    perform set_config('club.booking_function', 'on', true);
    if p_kind = 'slot' then
        insert into public.benefit_bookings as b (
            id, organization_id, member_id, slot_id, status, channel, booked_by_user_id, capacity_override,
            override_reason_code, override_reason
        ) values (
            gen_random_uuid(), item.organization_id, p_member_id, p_item_id, new_status, p_channel,
            p_booked_by_user_id, override, case when override then p_override_code else '' end,
            case when override then btrim(p_override_note) else '' end
        )
        returning b.id, b.status, b.capacity_override, b.overridden_rules, b.places_taken_before,
                  b.capacity_at_booking into booking;
    else
        insert into public.class_bookings as b (
            id, organization_id, member_id, class_id, status, channel, booked_by_user_id, capacity_override,
            override_reason_code, override_reason
        ) values (
            gen_random_uuid(), item.organization_id, p_member_id, p_item_id, new_status, p_channel,
            p_booked_by_user_id, override, case when override then p_override_code else '' end,
            case when override then btrim(p_override_note) else '' end
        )
        returning b.id, b.status, b.capacity_override, b.overridden_rules, b.places_taken_before,
                  b.capacity_at_booking into booking;
    end if;
    perform set_config('club.booking_function', '', true);

    select m.home_branch_id into member_branch from public.members m where m.id = p_member_id;
    perform app_private.audit_record(
        p_action => case when override then 'booking.capacity_overridden'
                         when new_status = 'waitlisted' then 'booking.waitlisted'
                         else 'booking.created' end,
        p_entity_type => 'booking',
        p_entity_id => booking.id::text,
        p_source => p_source,
        p_actor_type => p_actor_type,
        p_actor_id => p_actor_id,
        p_actor_label => p_actor_label,
        p_organization_id => item.organization_id,
        p_new_values => jsonb_strip_nulls(jsonb_build_object(
            'kind', p_kind, 'item', p_item_id, 'title', item.title, 'starts_at', item.starts_at,
            'status', booking.status, 'channel', p_channel,
            'overridden_rules', case when override then to_jsonb(booking.overridden_rules) end,
            'places', case when override then format('%s of %s', booking.places_taken_before + 1, booking.capacity_at_booking) end
        )),
        p_reason => case when override then p_override_code || ': ' || btrim(p_override_note) else '' end,
        p_member_id => p_member_id,
        p_branch_id => item.branch_id,
        p_request_id => p_request_id,
        p_ip_address => p_ip_address,
        p_user_agent => p_user_agent
    );
    return query select booking.id, booking.status::text, booking.capacity_override, booking.overridden_rules::text[],
                        booking.places_taken_before::integer, booking.capacity_at_booking::integer;
end
$$;

-- Cancel, and in the same transaction give the place to the first waitlisted member who can take
-- it. Members the promotion would put into an overlapping booking, over their entitlement, or who
-- are no longer active are skipped, and the audit trail says who was promoted and why others
-- were skipped. Cancelling after the cutoff marks a late cancellation.
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
    item record;
    item_id uuid;
    was_holding boolean;
    is_late boolean;
    candidate record;
    blocking record;
    skipped jsonb := '[]';
    promoted uuid;
    promoted_member uuid;
begin
    if p_kind = 'slot' then
        select b.id, b.member_id, b.status, b.slot_id as item_id into booking
        from public.benefit_bookings b where b.id = p_booking_id;
    else
        select b.id, b.member_id, b.status, b.class_id as item_id into booking
        from public.class_bookings b where b.id = p_booking_id;
    end if;
    if booking.id is null or (p_only_member_id is not null and booking.member_id <> p_only_member_id) then
        perform app_private.raise_refusal('not_found', 'CB009', 'That booking does not exist.');
    end if;
    item_id := booking.item_id;
    perform app_private.lock_booking_rows(p_kind, item_id, booking.member_id);
    -- read again under the lock: a concurrent cancel may have won
    if p_kind = 'slot' then
        select b.status into booking.status from public.benefit_bookings b where b.id = p_booking_id for update;
    else
        select b.status into booking.status from public.class_bookings b where b.id = p_booking_id for update;
    end if;
    if booking.status not in ('confirmed', 'waitlisted') then
        perform app_private.raise_refusal('not_cancellable', 'CB012',
            format('Only confirmed or waitlisted bookings can be cancelled; this one is %s.', booking.status));
    end if;
    item := app_private.booking_item(p_kind, item_id);
    was_holding := booking.status = 'confirmed';
    is_late := was_holding and now() > item.starts_at - make_interval(mins => item.cutoff_minutes);

    if p_kind = 'slot' then
        update public.benefit_bookings b set status = 'cancelled', cancelled_at = now(), updated_at = now(),
            is_late_cancellation = is_late where b.id = p_booking_id;
    else
        update public.class_bookings b set status = 'cancelled', cancelled_at = now(), updated_at = now(),
            is_late_cancellation = is_late where b.id = p_booking_id;
    end if;

    if was_holding and item.starts_at > now() then
        for candidate in
            select w.id, w.member_id, m.first_name || ' ' || m.last_name as name
            from (
                select b.id, b.member_id, b.created_at from public.benefit_bookings b
                where p_kind = 'slot' and b.slot_id = item_id and b.status = 'waitlisted'
                union all
                select b.id, b.member_id, b.created_at from public.class_bookings b
                where p_kind = 'class' and b.class_id = item_id and b.status = 'waitlisted'
            ) w
            join public.members m on m.id = w.member_id
            order by w.created_at, w.id
        loop
            perform from public.members where id = candidate.member_id for no key update;
            select * into blocking from app_private.booking_refusals(p_kind, item_id, candidate.member_id, candidate.id)
            limit 1;
            if blocking.code is not null then
                skipped := skipped || jsonb_build_object('member', candidate.name, 'booking', candidate.id,
                                                         'reason', blocking.message);
                blocking := null;
                continue;
            end if;
            if p_kind = 'slot' then
                update public.benefit_bookings b set status = 'confirmed', updated_at = now() where b.id = candidate.id;
            else
                update public.class_bookings b set status = 'confirmed', updated_at = now() where b.id = candidate.id;
            end if;
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
        p_old_values => jsonb_build_object('status', booking.status),
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
    item record;
    new_status text := case when p_attended then 'attended' else 'no_show' end;
begin
    if p_kind = 'slot' then
        select b.id, b.member_id, b.status, b.slot_id as item_id into booking
        from public.benefit_bookings b where b.id = p_booking_id for update;
    else
        select b.id, b.member_id, b.status, b.class_id as item_id into booking
        from public.class_bookings b where b.id = p_booking_id for update;
    end if;
    if booking.id is null then
        perform app_private.raise_refusal('not_found', 'CB009', 'That booking does not exist.');
    end if;
    if booking.status not in ('confirmed', 'attended', 'no_show') or booking.status = new_status then
        perform app_private.raise_refusal('not_cancellable', 'CB012',
            format('Only confirmed bookings can be marked %s; this one is %s.',
                   replace(new_status, '_', '-'), booking.status));
    end if;
    item := app_private.booking_item(p_kind, booking.item_id);
    if p_attended and now() < item.starts_at - interval '1 hour' then
        perform app_private.raise_refusal('too_early', 'CB013', 'Check-in opens an hour before the start.');
    end if;
    if not p_attended and now() < item.starts_at then
        perform app_private.raise_refusal('too_early', 'CB013', 'A no-show can only be marked once it has started.');
    end if;
    if p_kind = 'slot' then
        update public.benefit_bookings b set status = new_status, updated_at = now(),
            checked_in_at = case when p_attended then now() end where b.id = p_booking_id;
    else
        update public.class_bookings b set status = new_status, updated_at = now(),
            checked_in_at = case when p_attended then now() end where b.id = p_booking_id;
    end if;
    perform app_private.audit_record(
        p_action => case when p_attended then 'booking.checked_in' else 'booking.no_show' end,
        p_entity_type => 'booking',
        p_entity_id => p_booking_id::text,
        p_source => p_source,
        p_actor_type => p_actor_type,
        p_actor_id => p_actor_id,
        p_actor_label => p_actor_label,
        p_organization_id => item.organization_id,
        p_old_values => jsonb_build_object('status', booking.status),
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
        perform app_private.raise_refusal('no_member', 'CB010', 'No member of an organization behind this token.');
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
    kind text := case when exists (select from public.class_bookings where id = p_booking_id) then 'class' else 'slot' end;
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

-- Member search for staff tools: name, email, phone digits or member number, by prefix, on
-- indexes that keep it fast at 100,000 members. A member's token gets nothing back.
create or replace function app_private.search_members(p_query text, p_limit integer default 20)
    returns table (
        id uuid, member_number text, first_name text, last_name text, email text, phone text, status text,
        home_branch_id uuid, home_branch text, organization_id uuid
    )
    language plpgsql stable
    security definer
    set search_path = ''
as $$
declare
    words text[] := regexp_split_to_array(lower(btrim(coalesce(p_query, ''))), '\s+');
    digits text := regexp_replace(coalesce(p_query, ''), '\D', '', 'g');
    first_word text;
    last_word text;
begin
    if coalesce(app_private.jwt_claims() ->> 'role', '') in ('anon', 'authenticated')
       or btrim(coalesce(p_query, '')) = '' then
        return;
    end if;
    first_word := replace(replace(words[1], '%', ''), '_', '\_');
    last_word := replace(replace(words[cardinality(words)], '%', ''), '_', '\_');
    return query
    select m.id, m.member_number::text, m.first_name::text, m.last_name::text, m.email::text, m.phone::text,
           m.status::text, m.home_branch_id, b.name::text, m.organization_id
    from public.members m join public.branches b on b.id = m.home_branch_id
    where (
        cardinality(words) = 1 and (
            lower(m.last_name) like first_word || '%'
            or lower(m.first_name) like first_word || '%'
            or lower(m.email) like first_word || '%'
            or upper(m.member_number) like upper(first_word) || '%'
            or (length(digits) >= 4 and m.phone_digits like digits || '%')
        )
    ) or (
        cardinality(words) > 1 and (
            (lower(m.first_name) like first_word || '%' and lower(m.last_name) like last_word || '%')
            or (lower(m.last_name) like first_word || '%' and lower(m.first_name) like last_word || '%')
        )
    )
    order by m.last_name, m.first_name, m.member_number
    limit least(greatest(coalesce(p_limit, 20), 1), 100);
end
$$;

create or replace function public.search_members(p_query text, p_limit integer default 20)
    returns table (
        id uuid, member_number text, first_name text, last_name text, email text, phone text, status text,
        home_branch_id uuid, home_branch text, organization_id uuid
    )
    language sql stable
    security invoker
    set search_path = ''
as $$
    select * from app_private.search_members(p_query, p_limit)
$$;
