-- Back to the engine of bookings 0013: first what 0014 added, then 0013's definitions again.
drop function if exists app_private.booking_item(text, uuid);
drop function if exists app_private.insert_booking(
    text, uuid, uuid, uuid, uuid, text, text, integer, text, text, text[], integer, integer
);
drop function if exists app_private.undo_attendance(text, uuid, text, text, text, text, text, inet, text);
drop function if exists app_private.lock_booking(text, uuid);
drop function if exists app_private.set_booking_status(text, uuid, text, boolean);
drop function if exists app_private.overridden_rule(text);
drop view if exists app_private.item_bookings;
drop view if exists app_private.bookable_items;
drop function if exists app_private.place_holding_statuses();
drop function if exists app_private.class_cancellation_cutoff_minutes();
drop function if exists app_private.entitlement_unit(text);
-- The booking engine: one set of rules for every door (admin, API, member app functions, and a
-- direct insert through PostgREST). Rules that refuse a booking raise these SQLSTATEs, so that
-- every caller can tell them apart (the Python services map them to the same codes):
--   CB001 member_not_active      CB006 overlapping            CB011 override_needs_reason
--   CB002 already_booked         CB007 entitlement_used_up    CB012 not_cancellable
--   CB003 started                CB008 full                   CB013 too_early
--   CB004 unavailable            CB009 not_found              55P03 busy (lock timeout: try again)
--   CB005 outside_window         CB010 no_member              CB014 override_not_allowed
--   CB015 not_full (a waitlist place inserted directly while places remain)
--   CB016 not_movable (an UPDATE moving a booking to another member, item or organization)
-- The file can be run again (every object is created "or replace"): a migration that changes the
-- engine runs it again, so this file stays the one definition.

-- What is being booked, whichever kind: a recovery slot ('slot') or a class ('class').
-- PL/pgSQL rather than SQL throughout the engine: its plans are kept for the session, where a SQL
-- function's would be made again on every call, inside every booking.
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
    language plpgsql stable
    set search_path = ''
as $$
begin
    if p_kind = 'slot' then
        select s.organization_id, f.branch_id, b.time_zone, s.starts_at, s.ends_at, s.capacity,
               case when not f.is_active then 'the facility is closed'
                    when f.under_maintenance then 'the facility is under maintenance' end,
               coalesce(st.booking_window_days, 7), coalesce(st.cancellation_cutoff_minutes, 120), 'recovery', f.name
        into organization_id, branch_id, time_zone, starts_at, ends_at, capacity, closed_reason, window_days,
             cutoff_minutes, benefit_kind, title
        from public.benefit_slots s
        join public.facilities f on f.id = s.facility_id
        join public.branches b on b.id = f.branch_id
        left join public.benefit_settings st on st.facility_id = f.id
        where s.id = p_item_id;
    elsif p_kind = 'class' then
        select c.organization_id, c.branch_id, b.time_zone, c.starts_at, c.ends_at, c.capacity,
               case when c.is_cancelled then 'the class is cancelled' end, null::integer, 60, 'class', c.title
        into organization_id, branch_id, time_zone, starts_at, ends_at, capacity, closed_reason, window_days,
             cutoff_minutes, benefit_kind, title
        from public.classes c
        join public.branches b on b.id = c.branch_id
        where c.id = p_item_id;
    end if;
end
$$;

-- Places taken: bookings that hold one (confirmed, attended, no-show).
create or replace function app_private.places_taken(p_kind text, p_item_id uuid, p_ignore_booking uuid default null)
    returns integer
    language plpgsql stable
    set search_path = ''
as $$
declare
    taken integer;
begin
    if p_kind = 'slot' then
        select count(*) into taken from public.benefit_bookings
        where slot_id = p_item_id and status in ('confirmed', 'attended', 'no_show')
          and id is distinct from p_ignore_booking;
    else
        select count(*) into taken from public.class_bookings
        where class_id = p_item_id and status in ('confirmed', 'attended', 'no_show')
          and id is distinct from p_ignore_booking;
    end if;
    return taken;
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
    if p_benefit_kind = 'recovery' then
        select count(*)::integer into used
        from public.benefit_bookings b join public.benefit_slots s on s.id = b.slot_id
        where b.member_id = p_member_id and b.status in ('confirmed', 'attended', 'no_show')
          and s.starts_at >= first_moment and s.starts_at < last_moment and b.id is distinct from p_ignore_booking;
    else
        select count(*)::integer into used
        from public.class_bookings b join public.classes c on c.id = b.class_id
        where b.member_id = p_member_id and b.status in ('confirmed', 'attended', 'no_show')
          and c.starts_at >= first_moment and c.starts_at < last_moment and b.id is distinct from p_ignore_booking;
    end if;
end
$$;

-- The same, for the period of a slot or class about to be booked.
create or replace function app_private.entitlement_use(
    p_kind text, p_item_id uuid, p_member_id uuid, p_ignore_booking uuid default null,
    out used integer, out quota integer, out period text
)
    language plpgsql stable
    set search_path = ''
as $$
declare
    item record;
    use record;
begin
    select * into item from app_private.booking_item(p_kind, p_item_id);
    select * into use from app_private.entitlement_period_use(
        p_member_id, item.benefit_kind, item.starts_at, item.time_zone, p_ignore_booking);
    used := use.used;
    quota := use.quota;
    period := use.period;
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
    item record;
    member public.members%rowtype;
    taken integer;
    local_start timestamp;
    use record;
    clash text;
    things text := case p_kind when 'slot' then 'recovery sessions' else 'classes' end;
begin
    select * into item from app_private.booking_item(p_kind, p_item_id);
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
    select * into use from app_private.entitlement_period_use(
        p_member_id, item.benefit_kind, item.starts_at, item.time_zone, p_ignore_booking);
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
-- that order, so concurrent bookings cannot deadlock. Transaction-scoped advisory locks (keyed by
-- kind and id) rather than row locks: they write nothing, yet every door takes the same ones. The
-- caller's lock_timeout bounds the wait (a refusal with SQLSTATE 55P03, "busy, try again").
-- Nothing turns the locks off (the race test installs its unlocked version in the test database).
create or replace function app_private.lock_booking_rows(p_kind text, p_item_id uuid, p_member_id uuid)
    returns void
    language plpgsql volatile
    set search_path = ''
as $$
begin
    perform pg_advisory_xact_lock(case p_kind when 'slot' then 7471 else 7472 end, hashtext(p_item_id::text));
    perform pg_advisory_xact_lock(7473, hashtext(p_member_id::text));
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

create or replace function app_private.raise_refusal(p_code text, p_sqlstate text, p_message text)
    returns void
    language plpgsql volatile
    set search_path = ''
as $$
begin
    raise exception using message = p_message, errcode = p_sqlstate, detail = p_code;
end
$$;

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
    -- "this row is mine and my organization's", before any rule can answer about anyone else
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
-- these rules, whoever writes the row: so a direct insert through PostgREST cannot overbook
-- either, and joins a waitlist only as the engine would (the item full, entitlements counted).
-- Definer rights, so that the rules count every booking, not only those the writer's policies
-- let it see.
create or replace function app_private.enforce_booking_rules() returns trigger
    language plpgsql
    security definer
    set search_path = ''
    set lock_timeout = '2s'
as $$
declare
    kind text := tg_argv[0];
    item_id uuid;
    holds_place boolean := new.status in ('confirmed', 'attended', 'no_show');
    refusal record;
    overridden text[] := '{}'::text[];
    is_full boolean := false;
    item record;
begin
    if tg_op = 'INSERT' and app_private.written_by_engine(new.id) then
        -- app_private.book checked every rule a moment ago, under the same locks; the row it
        -- inserts only needs the override bookkeeping below
        holds_place := holds_place and new.capacity_override;
        if not holds_place then
            return new;
        end if;
    elsif tg_op = 'UPDATE'
          and (new.status = old.status or (old.status in ('confirmed', 'attended', 'no_show') and holds_place)) then
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
                perform app_private.raise_refusal('override_not_allowed', 'CB014',
                    'Only staff with the override permission may override.');
            end if;
            overridden := overridden || case refusal.code when 'full' then 'capacity' else 'entitlement' end;
            continue;
        end if;
        if refusal.code = 'full' and not holds_place then
            is_full := true;  -- what a waitlist place is for (the rules are checked again on promotion)
            continue;
        end if;
        perform app_private.raise_refusal(refusal.code, refusal.sqlstate, refusal.message);
    end loop;
    if not holds_place and not is_full then
        perform app_private.raise_refusal('not_full', 'CB015',
            'There are places left: book it rather than join the waitlist.');
    end if;
    if new.capacity_override and holds_place then
        item := app_private.booking_item(kind, item_id);
        new.overridden_rules := overridden;
        new.capacity_at_booking := item.capacity;
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
        perform app_private.raise_refusal('not_movable', 'CB016',
            'A booking cannot be moved to another member or item: cancel it and book again.');
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

-- Book: the one implementation behind the admin's concierge flow, the API, and the member app's
-- functions. Confirms while places remain; when full, either a manager's override (with a reason
-- code and note, recorded with the capacity before and after) or, if asked, the waitlist.
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
    new_id uuid := gen_random_uuid();
    item record;
    refusal record;
    set_aside text[] := '{}'::text[];
    full_refusal record;
    new_status text := 'confirmed';
    override boolean := false;
    booking record;
begin
    if coalesce(p_override_code, '') <> '' and not app_private.staff_may_override(p_booked_by_user_id) then
        perform app_private.raise_refusal('override_not_allowed', 'CB014',
            'Only staff with the override permission may override.');
    end if;
    -- select into, not :=, so that a missing item reads as nulls and becomes a "not found" refusal
    select * into item from app_private.booking_item(p_kind, p_item_id);
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

    insert into app_private.booking_engine_writes (booking_id) values (new_id);
    if p_kind = 'slot' then
        insert into public.benefit_bookings as b (
            id, organization_id, member_id, slot_id, status, channel, booked_by_user_id, capacity_override,
            override_reason_code, override_reason
        ) values (
            new_id, item.organization_id, p_member_id, p_item_id, new_status, p_channel,
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
            new_id, item.organization_id, p_member_id, p_item_id, new_status, p_channel,
            p_booked_by_user_id, override, case when override then p_override_code else '' end,
            case when override then btrim(p_override_note) else '' end
        )
        returning b.id, b.status, b.capacity_override, b.overridden_rules, b.places_taken_before,
                  b.capacity_at_booking into booking;
    end if;

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
    skipped jsonb := '[]'::jsonb;
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
            perform pg_advisory_xact_lock(7473, hashtext(candidate.member_id::text));
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

-- Which table holds a booking: 'slot', 'class', or null for an unknown id.
create or replace function app_private.booking_kind(p_booking_id uuid) returns text
    language plpgsql stable
    set search_path = ''
as $$
begin
    if exists (select from public.benefit_bookings where id = p_booking_id) then
        return 'slot';
    elsif exists (select from public.class_bookings where id = p_booking_id) then
        return 'class';
    end if;
    return null;
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
