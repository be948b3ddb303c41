-- The member search as bookings/sql/booking_engine.sql installed it, before members 0005.

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
        -- a phone number as people type it: digits, spaces, +, brackets, dashes
        length(digits) >= 4 and p_query ~ '^[0-9 +().-]+$' and m.phone_digits like digits || '%'
    ) or (
        cardinality(words) = 1 and (
            lower(m.last_name) like first_word || '%'
            or lower(m.first_name) like first_word || '%'
            or lower(m.email) like first_word || '%'
            or upper(m.member_number) like upper(first_word) || '%'
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
