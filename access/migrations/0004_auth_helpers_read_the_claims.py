from django.db import migrations

from config.sql import run_frozen_sql

# auth.uid() and auth.role() as access 0001 first created them answered NULL when the legacy
# setting (request.jwt.claim.sub or .role) was '', as PostgreSQL reports it once a session has seen
# it, instead of reading request.jwt.claims. The unit creates only what is missing, so those first
# versions are replaced here, recognized by their bodies (whitespace aside): Supabase's own helpers,
# and any others, are left alone. The new bodies are the unit's, to the space.
REPLACE_FIRST_AUTH_HELPERS = r"""
do $upgrade$
begin
    if regexp_replace(
        (select prosrc from pg_catalog.pg_proc where oid = pg_catalog.to_regprocedure('auth.uid()')), '\s', '', 'g'
    ) = $$selectnullif(coalesce(current_setting('request.jwt.claim.sub',true),nullif(current_setting('request.jwt.claims',true),'')::jsonb->>'sub'),'')::uuid$$ then
        create or replace function auth.uid() returns uuid
            language sql stable
            set search_path = ''
            as $fn$
                select coalesce(
                    nullif(current_setting('request.jwt.claim.sub', true), ''),
                    nullif(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub', '')
                )::uuid
            $fn$;
    end if;

    if regexp_replace(
        (select prosrc from pg_catalog.pg_proc where oid = pg_catalog.to_regprocedure('auth.role()')), '\s', '', 'g'
    ) = $$selectnullif(coalesce(current_setting('request.jwt.claim.role',true),nullif(current_setting('request.jwt.claims',true),'')::jsonb->>'role'),'')$$ then
        create or replace function auth.role() returns text
            language sql stable
            set search_path = ''
            as $fn$
                select coalesce(
                    nullif(current_setting('request.jwt.claim.role', true), ''),
                    nullif(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role', '')
                )
            $fn$;
    end if;
end
$upgrade$;
"""


class Migration(migrations.Migration):
    """The Supabase compatibility step as access/sql/supabase_compat/ has it since the claim helpers
    came (access 0003): auth.uid() and auth.role() read request.jwt.claims when the legacy setting is
    empty. Not reversed, like access 0001."""

    dependencies = [
        ("access", "0003_claim_helpers"),
    ]

    operations = [
        migrations.RunSQL(REPLACE_FIRST_AUTH_HELPERS, migrations.RunSQL.noop),
        run_frozen_sql(__file__),
    ]
