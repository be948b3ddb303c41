-- Supabase compatibility for databases that are not Supabase (the embedded server, a plain
-- PostgreSQL). Creates only what is missing, so on a Supabase database it changes nothing:
--   * the roles anon, authenticated (NOLOGIN) and service_role (NOLOGIN, BYPASSRLS), granted to
--     the connecting role so that it can SET ROLE to them the way PostgREST does;
--   * auth.uid(), auth.role() and auth.jwt(), reading the transaction-local settings that
--     PostgREST sets for each request (request.jwt.claims, and request.jwt.claim.sub for uid).
-- Roles are shared by every database of the cluster, and parallel test runs may create them at
-- the same moment: a failure is ignored when re-checking shows the other run did the work.

do $compat$
declare
    wanted record;
begin
    for wanted in
        select * from (values ('anon', false), ('authenticated', false), ('service_role', true))
            as v(role_name, bypass_rls)
    loop
        if not exists (select from pg_catalog.pg_roles where rolname = wanted.role_name) then
            begin
                execute format(
                    'create role %I nologin noinherit%s',
                    wanted.role_name,
                    case when wanted.bypass_rls then ' bypassrls' else '' end
                );
            exception when others then
                if not exists (select from pg_catalog.pg_roles where rolname = wanted.role_name) then
                    raise;
                end if;
            end;
        end if;

        if not exists (
            select
            from pg_catalog.pg_auth_members m
            join pg_catalog.pg_roles granted on granted.oid = m.roleid
            join pg_catalog.pg_roles grantee on grantee.oid = m.member
            where granted.rolname = wanted.role_name and grantee.rolname = current_user
        ) then
            begin
                execute format('grant %I to %I', wanted.role_name, current_user);
            exception when others then
                if not pg_catalog.pg_has_role(current_user, wanted.role_name, 'member') then
                    raise;
                end if;
            end;
        end if;
    end loop;

    if not exists (select from pg_catalog.pg_namespace where nspname = 'auth') then
        create schema auth;
        grant usage on schema auth to anon, authenticated, service_role;
    end if;

    if pg_catalog.to_regprocedure('auth.uid()') is null then
        create function auth.uid() returns uuid
            language sql stable
            set search_path = ''
            as $fn$
                select nullif(
                    coalesce(
                        current_setting('request.jwt.claim.sub', true),
                        nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'
                    ),
                    ''
                )::uuid
            $fn$;
    end if;

    if pg_catalog.to_regprocedure('auth.role()') is null then
        create function auth.role() returns text
            language sql stable
            set search_path = ''
            as $fn$
                select nullif(
                    coalesce(
                        current_setting('request.jwt.claim.role', true),
                        nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role'
                    ),
                    ''
                )
            $fn$;
    end if;

    if pg_catalog.to_regprocedure('auth.jwt()') is null then
        create function auth.jwt() returns jsonb
            language sql stable
            set search_path = ''
            as $fn$
                select coalesce(
                    nullif(current_setting('request.jwt.claim', true), ''),
                    nullif(current_setting('request.jwt.claims', true), '')
                )::jsonb
            $fn$;
    end if;
end
$compat$;
