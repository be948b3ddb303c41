"""What the anon key reaches on a pre-2026 Supabase-shaped project, beyond tables (issue 13, point 3).

test_supabase_deploy.py checks the relations `anon` reaches after each step of the deploy, and the
functions only after `migrate`. Here: the functions after every step, and, once the deploy is
done, the sequences and the private schema, which the project's default privileges also open.
"""

import pytest

from access.tests.supabase_project import DEPLOY_SEQUENCE, _connect
from access.tests.test_supabase_deploy import declared_functions_for
from config.access_declaration import ANON, AUTHENTICATED, PRIVATE_SCHEMA

SEQUENCES_OPEN_TO = """
    select n.nspname || '.' || c.relname
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname in ('public', %(private)s)
      -- (a case, so that the planner never asks it of a relation that is not a sequence)
      and case when c.relkind = 'S' then has_sequence_privilege(%(role)s, c.oid, 'USAGE, SELECT, UPDATE') end
    order by 1
"""


@pytest.mark.parametrize("step", list(DEPLOY_SEQUENCE))
def test_anon_executes_only_what_is_declared_after_any_step(supabase_deploy, step):
    assert supabase_deploy.reach(step, ANON).functions == declared_functions_for(ANON)


@pytest.mark.parametrize("role", [ANON, AUTHENTICATED])
def test_no_sequence_is_open_to_the_members_roles_after_the_deploy(supabase_deploy, role):
    with _connect(supabase_deploy.database) as database:
        rows = database.execute(SEQUENCES_OPEN_TO, {"role": role, "private": PRIVATE_SCHEMA}).fetchall()
    assert rows == []


def test_anon_cannot_enter_the_private_schema_after_the_deploy(supabase_deploy):
    with _connect(supabase_deploy.database) as database:
        usage = database.execute("select has_schema_privilege(%s, %s, 'USAGE')", [ANON, PRIVATE_SCHEMA]).fetchone()
    assert usage == (False,)
