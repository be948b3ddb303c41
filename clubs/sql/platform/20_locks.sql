-- The advisory-lock key spaces, one registry: every lock the product takes goes through
-- app_private.take_lock with a space named here, so two features never share a key by accident
-- and a reader finds every lock by searching for take_lock. The numbers are those the locks
-- have always had, so a server still running the previous code takes the same locks.
create or replace function app_private.lock_space(p_space text) returns integer
    language plpgsql immutable
    set search_path = ''
as $$
declare
    space integer := case p_space
        when 'slot_generation' then 7461  -- one branch's slot generation (key: the branch)
        when 'slot' then 7471             -- places of one recovery slot (key: the slot)
        when 'class' then 7472            -- places of one class (key: the class)
        when 'member' then 7473           -- one member's bookings (key: the member)
        when 'audit_seal' then 24225      -- sealing one audit chain (key: the chain)
        when 'closures' then 7481         -- the closures of one branch (key: the branch)
    end;
begin
    if space is null then
        raise exception 'no advisory-lock space "%" in app_private.lock_space', p_space;
    end if;
    return space;
end
$$;

-- Wait for the transaction-scoped lock on one key of a space (the caller's lock_timeout bounds
-- the wait: SQLSTATE 55P03, the "busy" rule).
create or replace function app_private.take_lock(p_space text, p_key text) returns void
    language plpgsql volatile
    set search_path = ''
as $$
begin
    perform pg_advisory_xact_lock(app_private.lock_space(p_space), hashtext(p_key));
end
$$;

-- The same lock if it is free at once (true), else nothing (false): for a lock taken while
-- holding another of the same space, where waiting could deadlock.
create or replace function app_private.try_lock(p_space text, p_key text) returns boolean
    language plpgsql volatile
    set search_path = ''
as $$
begin
    return pg_try_advisory_xact_lock(app_private.lock_space(p_space), hashtext(p_key));
end
$$;
