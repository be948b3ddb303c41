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
        perform app_private.refuse('no_member');
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
