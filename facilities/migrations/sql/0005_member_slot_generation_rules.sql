-- What a member's browser reaches (through public.ensure_facility_slots, slot_generation.sql).
-- Replaces the definition in slot_generation.sql (facilities 0003), which took the token's "role"
-- claim for the caller (a member's session claiming service_role generated anything, 1,984 slots
-- in year 9999 with one call) and let frozen and cancelled members generate.
-- Who calls is the database role the request runs as: service_role generates as itself, and so does
-- the app's own connection (no SET ROLE in effect) when it sets no token claims; with claims it acts
-- for the member behind them (the Django API's slots/generate). Any other role is a member's
-- session, whatever its token claims. Runs with its owner's rights, because members may not insert slots themselves;
-- so for a member it checks everything first: an active member behind the token, their own
-- organization's branch, no past dates, a short range, and no day beyond the branch's longest
-- booking window (slots nobody can book yet are the cron command's job). A call that creates
-- nothing writes no audit entry (app_private.generate_facility_slots).
create or replace function app_private.ensure_facility_slots_for_caller(
    p_branch_id uuid, p_start_date date, p_end_date date
) returns table (created integer, already_present integer)
    language plpgsql volatile
    security definer
    set search_path = ''
as $$
declare
    member_max_days constant integer := 31;
    -- what a facility without settings allows (benefit_settings.booking_window_days' default)
    default_window_days constant integer := 7;
    staff_role text := case
        when current_setting('role') = 'service_role' then 'service_role'
        when current_setting('role') = 'none' and nullif(current_setting('request.jwt.claims', true), '') is null
            then session_user::text
    end;
    member public.members%rowtype;
    branch public.branches%rowtype;
    branch_today date;
    window_days integer;
    result record;
begin
    if staff_role is not null then
        select * into result from app_private.generate_facility_slots(
            p_branch_id, p_start_date, p_end_date, 'rpc', 'system', staff_role, staff_role);
        return query select result.created, result.already_present;
        return;
    end if;

    select * into member from public.members m where m.id = app_private.current_member_id();
    if not found then
        raise exception 'no member of an organization behind this token'
            using errcode = '42501', hint = 'The token needs app_metadata.organization_id and a linked member.';
    end if;
    if member.status <> 'active' then
        raise exception 'The membership is %: only active members can book.', member.status using errcode = 'CB001';
    end if;
    select * into branch from public.branches b
    where b.id = p_branch_id and b.organization_id = member.organization_id;
    if not found then
        raise exception 'unknown branch %', p_branch_id using errcode = 'P0002';
    end if;
    if p_start_date is null or p_end_date is null then
        raise exception 'start and end dates are required' using errcode = '22023';
    end if;
    branch_today := (now() at time zone branch.time_zone)::date;
    if p_start_date < branch_today then
        raise exception 'start date % is in the past (today is % at the branch)', p_start_date, branch_today
            using errcode = '22023';
    end if;
    if p_end_date >= p_start_date and p_end_date - p_start_date + 1 > member_max_days then
        raise exception 'range of % days is longer than the limit of % days',
            p_end_date - p_start_date + 1, member_max_days using errcode = '22023';
    end if;
    select coalesce(max(coalesce(s.booking_window_days, default_window_days)), default_window_days)
    into window_days
    from public.facilities f
    left join public.benefit_settings s on s.facility_id = f.id
    where f.branch_id = branch.id and f.is_active and not f.under_maintenance;
    if greatest(p_start_date, p_end_date) > branch_today + window_days then
        raise exception '% is beyond the booking window: slots here can be booked up to % days ahead, until %',
            greatest(p_start_date, p_end_date), window_days, branch_today + window_days using errcode = '22023';
    end if;

    select * into result from app_private.generate_facility_slots(
        p_branch_id, p_start_date, p_end_date, 'rpc', 'member',
        coalesce(member.auth_user_id::text, member.id::text), member.first_name || ' ' || member.last_name);
    return query select result.created, result.already_present;
end
$$;
