-- Serialise everything that counts places for one item, then for one member: always in that
-- order, so concurrent bookings cannot deadlock (the one other member's lock the engine takes,
-- promoting a waitlisted member on a cancellation, it only tries: app_private.try_lock). Transaction-scoped advisory locks (the spaces
-- 'slot' or 'class', then 'member', of app_private.lock_space) rather than row locks: they write
-- nothing, yet every door takes the same ones. The caller's lock_timeout bounds the wait (the
-- "busy" rule, SQLSTATE 55P03). Nothing turns the locks off (the race test installs its unlocked
-- version in the test database).
create or replace function app_private.lock_booking_rows(p_kind text, p_item_id uuid, p_member_id uuid)
    returns void
    language plpgsql volatile
    set search_path = ''
as $$
begin
    perform app_private.take_lock(p_kind, p_item_id::text);
    perform app_private.take_lock('member', p_member_id::text);
end
$$;
