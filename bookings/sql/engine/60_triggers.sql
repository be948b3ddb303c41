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
