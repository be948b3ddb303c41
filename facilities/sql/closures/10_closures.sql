-- Closures (facilities.models.Closure): what a closure covers, why an item is closed, and the
-- table's own rules, which hold for every door (the admin, server code, the SQL editor).
-- Refusals are the registry's closure rules (config/rules.py, SQLSTATEs CC…).

-- Whether a closure covers an item of its branch: a slot of a facility (p_room null) or a class
-- held in a room (p_facility_id null). A closure names a facility, a room, or neither (the whole
-- branch). Rooms are the names the classes give them, compared without case or outer spaces.
-- Times and the branch are the callers' (their index conditions).
create or replace function app_private.closure_covers(
    p_closure public.closures, p_facility_id uuid, p_room text
) returns boolean
    language plpgsql immutable
    set search_path = ''
as $$
begin
    return coalesce(
        (p_closure.facility_id is null and p_closure.room = '')
        or p_closure.facility_id = p_facility_id
        or (p_closure.room <> '' and lower(btrim(p_room)) = lower(btrim(p_closure.room))),
        false);
end
$$;

-- Why an item is closed by a closure, in the words every list and refusal shows ("closed for
-- maintenance: new heater"), or null. An open closure (not reopened) that overlaps the item's
-- time covers it; read through app_private.bookable_items' closed_reason.
create or replace function app_private.closed_by(
    p_branch_id uuid, p_facility_id uuid, p_room text, p_starts_at timestamptz, p_ends_at timestamptz
) returns text
    language plpgsql stable
    set search_path = ''
as $$
declare
    why text;
begin
    select 'closed for ' || replace(c.reason, '_', ' ') || case when c.note <> '' then ': ' || c.note else '' end
    into why
    from public.closures c
    where c.branch_id = p_branch_id and c.ends_at > p_starts_at and c.starts_at < p_ends_at
      and c.reopened_at is null
      and app_private.closure_covers(c, p_facility_id, p_room)
    order by c.starts_at
    limit 1;
    return why;
end
$$;

-- The slots and classes a closure covers (reopened or not): the bookings to list and to cancel.
create or replace function app_private.closure_items(p_closure_id uuid)
    returns table (kind text, item_id uuid, starts_at timestamptz)
    language plpgsql stable
    set search_path = ''
as $$
declare
    closure public.closures;
begin
    select * into closure from public.closures c where c.id = p_closure_id;
    return query
        select 'slot'::text, s.id, s.starts_at
        from public.facilities f
        join public.benefit_slots s on s.facility_id = f.id
        where f.branch_id = closure.branch_id
          and (closure.facility_id is null or f.id = closure.facility_id)
          and s.starts_at < closure.ends_at and s.ends_at > closure.starts_at
          and app_private.closure_covers(closure, f.id, null)
        union all
        select 'class'::text, c.id, c.starts_at
        from public.classes c
        where c.branch_id = closure.branch_id
          and c.starts_at < closure.ends_at and c.ends_at > closure.starts_at
          and app_private.closure_covers(closure, null, c.room);
end
$$;

-- The table's rules. A new closure starts now or later; reopening is once, and not after the end; one that has started keeps its scope and
-- start (only its end, reason and note change, and its end not into the past); a facility closed
-- belongs to the branch; no two open closures overlap in time where their scopes meet (the whole
-- branch meets everything, a facility itself, a room itself). Concurrent writers for a branch
-- queue on its lock, so two overlapping closures cannot both pass the check.
create or replace function app_private.check_closure() returns trigger
    language plpgsql
    set search_path = ''
as $$
declare
    branch public.branches;
    now_at_branch text;
    other public.closures;
    facility_branch uuid;
begin
    select * into branch from public.branches b where b.id = new.branch_id;
    now_at_branch := to_char(now() at time zone branch.time_zone, 'Dy DD Mon HH24:MI');
    if tg_op = 'INSERT' then
        if new.starts_at < date_trunc('minute', now()) then
            perform app_private.refuse('closure_in_past', '', array[now_at_branch]);
        end if;
    elsif new.reopened_at is distinct from old.reopened_at then
        if old.reopened_at is not null then
            perform app_private.refuse('closure_not_open', '',
                array[to_char(old.reopened_at at time zone branch.time_zone, 'Dy DD Mon HH24:MI')]);
        elsif old.ends_at <= now() then
            perform app_private.refuse('closure_not_open', 'over',
                array[to_char(old.ends_at at time zone branch.time_zone, 'Dy DD Mon HH24:MI')]);
        end if;
    elsif old.starts_at <= now() and (
        new.starts_at <> old.starts_at or new.branch_id <> old.branch_id
        or new.facility_id is distinct from old.facility_id or new.room <> old.room
        or (new.ends_at <> old.ends_at and new.ends_at < date_trunc('minute', now()))
    ) then
        perform app_private.refuse('closure_in_past', 'started');
    elsif new.starts_at <> old.starts_at and new.starts_at < date_trunc('minute', now()) then
        perform app_private.refuse('closure_in_past', '', array[now_at_branch]);
    end if;
    if new.facility_id is not null then
        select f.branch_id into facility_branch from public.facilities f where f.id = new.facility_id;
        if facility_branch is distinct from new.branch_id then
            perform app_private.refuse('closure_scope', '',
                array[(select f.name from public.facilities f where f.id = new.facility_id), branch.name]);
        end if;
    end if;
    if new.reopened_at is null then
        perform app_private.take_lock('closures', new.branch_id::text);
        select * into other from public.closures c
        where c.branch_id = new.branch_id and c.id <> new.id and c.reopened_at is null
          and c.starts_at < new.ends_at and c.ends_at > new.starts_at
          and (app_private.closure_covers(c, new.facility_id, nullif(new.room, ''))
               or app_private.closure_covers(new, c.facility_id, nullif(c.room, '')))
        order by c.starts_at
        limit 1;
        if other.id is not null then
            perform app_private.refuse('closure_overlaps', '', array[
                case when other.facility_id is not null
                     then (select f.name from public.facilities f where f.id = other.facility_id)
                     when other.room <> '' then 'room ' || other.room
                     else 'the whole branch' end,
                to_char(other.starts_at at time zone branch.time_zone, 'Dy DD Mon HH24:MI') || '–'
                    || to_char(other.ends_at at time zone branch.time_zone, 'Dy DD Mon HH24:MI'),
                replace(other.reason, '_', ' ')
            ]);
        end if;
    end if;
    return new;
end
$$;

drop trigger if exists closures_check on public.closures;
create trigger closures_check before insert or update on public.closures
    for each row execute function app_private.check_closure();
