-- Frozen from members/sql/member_search/ by 'manage.py freeze_sql'. Never edit: a new version is a new migration.

-- members/sql/member_search/10_member_search.sql
-- Member search for staff tools (the concierge's first step, the staff API, the members list).
-- The first ones (in the booking engine's SQL, then members 0005) asked the token's "role" claim
-- who is calling: a member's session could carry any claim it liked. This one asks the database:
-- the role the request runs as (PostgREST's SET ROLE; a definer function keeps the caller's
-- setting, and no session can set it to a role it is not a member of).
-- A name, email or member number is found by its start; a phone number however it is typed:
-- its start ("+44 7700 9001"), national ("07700 900189"), without the country code
-- ("7700900189"), its last digits ("900189") or international ("+44 7700 900189") when the
-- member's number is stored nationally. % and _ are literal characters, not wildcards. Frozen
-- and cancelled members are found too; the status column says which. Every condition is a
-- prefix or equality search on an index, so it stays fast at 100,000 members. Staff are
-- service_role and the app's own connection (no SET ROLE in effect); any other role, a member's
-- session ("authenticated") above all, gets nothing back, whatever its token claims.
create or replace function app_private.search_members(p_query text, p_limit integer default 20)
    returns table (
        id uuid, member_number text, first_name text, last_name text, email text, phone text, status text,
        home_branch_id uuid, home_branch text, organization_id uuid
    )
    language plpgsql stable
    security definer
    set search_path = ''
    -- Planned with the typed values every time: only then can LIKE 'abc%' use an index.
    set plan_cache_mode = force_custom_plan
as $$
declare
    query text := btrim(coalesce(p_query, ''));
    -- LIKE's own characters made literal, before the words are split (escaping adds no space)
    words text[] := regexp_split_to_array(
        replace(replace(replace(lower(query), '\', '\\'), '%', '\%'), '_', '\_'), '\s+');
    first_word text := words[1];
    last_word text := words[cardinality(words)];
    digits text := regexp_replace(query, '\D', '', 'g');
    -- without the trunk 0 (in front, or "(0)" after the country code) or the international 00,
    -- as members.phone_reversed keeps a member's number
    significant text := ltrim(regexp_replace(query, '\(0\)|\D', '', 'g'), '0');
    is_phone boolean := length(digits) >= 4 and query ~ '^[0-9 +().-]+$';
    -- a member's number stored nationally (07700 900189) is the end of an international query
    -- (+44 7700 900189): every ending of at least 8 significant digits, reversed
    stored_national text[] := array(
        select reverse(right(significant, n)) from generate_series(8, length(significant) - 1) as n);
begin
    if current_setting('role') not in ('none', 'service_role') or query = '' then
        return;
    end if;
    return query
    select m.id, m.member_number::text, m.first_name::text, m.last_name::text, m.email::text, m.phone::text,
           m.status::text, m.home_branch_id, b.name::text, m.organization_id
    from public.members m join public.branches b on b.id = m.home_branch_id
    where (
        is_phone and (
            m.phone_digits like digits || '%'
            or m.phone_reversed like reverse(digits) || '%'
            or (length(significant) >= 4 and m.phone_reversed like reverse(significant) || '%')
            or m.phone_reversed = any(stored_national)
        )
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

-- What staff tools call through PostgREST with the service key (declared in bookings/db_access.py).
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
