"""Schemas, the claim helpers every policy uses, and Django's own tables (see config/access_declaration.py).

Django's tables and those of the libraries it runs (auth_*, django_*, axes_*) hold
password hashes, session keys and API tokens: closed to every API role, `service_role` included.
"""

from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db.migrations.recorder import MigrationRecorder

from config.access_declaration import (
    ANON,
    AUTHENTICATED,
    EXPOSED_SCHEMAS,
    PRIVATE_SCHEMA,
    SERVICE_ROLE,
    Function,
    Schema,
    closed_table,
)

POLICY_ROLES = frozenset({AUTHENTICATED, SERVICE_ROLE})


def django_tables() -> list[str]:
    """The tables of every installed app that is not the project's own, and Django's migration log."""
    tables = {MigrationRecorder.Migration._meta.db_table}
    for app_config in apps.get_app_configs():
        if Path(app_config.path).parent != Path(settings.BASE_DIR):
            tables |= {model._meta.db_table for model in app_config.get_models(include_auto_created=True)}
    return sorted(tables)


DECLARATIONS = [
    *(Schema(name, usage=frozenset({ANON, AUTHENTICATED, SERVICE_ROLE})) for name in EXPOSED_SCHEMAS),
    # Not exposed by PostgREST; the roles that policies run as must still see into it.
    Schema(PRIVATE_SCHEMA, usage=POLICY_ROLES),
    Function(f"{PRIVATE_SCHEMA}.jwt_claims()", execute=POLICY_ROLES),
    Function(f"{PRIVATE_SCHEMA}.uuid_or_null(text)", execute=POLICY_ROLES),
    Function(f"{PRIVATE_SCHEMA}.jwt_user_id()", execute=POLICY_ROLES),
    Function(f"{PRIVATE_SCHEMA}.jwt_organization_id()", execute=POLICY_ROLES),
    Function(f"{PRIVATE_SCHEMA}.current_member_id()", execute=POLICY_ROLES),
    *(closed_table(name) for name in django_tables()),
]
