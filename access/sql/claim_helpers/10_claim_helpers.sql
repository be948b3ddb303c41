-- Claim helpers for row-level security, in a schema PostgREST does not expose.
-- Each returns NULL, never an error, when the claim is missing or malformed, so that a policy
-- comparing with it simply matches no row. Who may execute them is set by sync_grants.

create schema if not exists app_private;
revoke all on schema app_private from public;

-- The request's JWT claims as PostgREST sets them; NULL when unset, empty or not a JSON object.
create or replace function app_private.jwt_claims() returns jsonb
    language plpgsql stable
    set search_path = ''
as $$
declare
    raw text := nullif(current_setting('request.jwt.claims', true), '');
    claims jsonb;
begin
    if raw is null then
        return null;
    end if;
    begin
        claims := raw::jsonb;
    exception when others then
        return null;
    end;
    return case when jsonb_typeof(claims) = 'object' then claims end;
end
$$;

create or replace function app_private.uuid_or_null(value text) returns uuid
    language sql immutable
    set search_path = ''
as $$
    select case
        when value ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then value::uuid
    end
$$;

-- The Supabase auth user, as auth.uid() reads it (the legacy per-claim setting first), but NULL
-- rather than an error when `sub` is not a uuid.
create or replace function app_private.jwt_user_id() returns uuid
    language sql stable
    set search_path = ''
as $$
    select app_private.uuid_or_null(coalesce(
        nullif(current_setting('request.jwt.claim.sub', true), ''),
        app_private.jwt_claims() ->> 'sub'
    ))
$$;

-- The member's organization, from app_metadata only: a user can edit their own user_metadata,
-- so it never grants anything. `org_id` is the legacy name older tokens still carry.
create or replace function app_private.jwt_organization_id() returns uuid
    language sql stable
    set search_path = ''
as $$
    select coalesce(
        app_private.uuid_or_null(app_private.jwt_claims() -> 'app_metadata' ->> 'organization_id'),
        app_private.uuid_or_null(app_private.jwt_claims() -> 'app_metadata' ->> 'org_id')
    )
$$;

-- The member behind the token, within the token's organization. SECURITY DEFINER so that the
-- lookup is not itself filtered by the members table's policies (which call this function).
create or replace function app_private.current_member_id() returns uuid
    language sql stable
    security definer
    set search_path = ''
as $$
    select m.id
    from public.members m
    where m.auth_user_id = app_private.jwt_user_id()
      and m.organization_id = app_private.jwt_organization_id()
$$;
