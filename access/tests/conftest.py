import os

import pytest

from access.tests.supabase_project import create_supabase_shaped_database, deploy, drop_database


@pytest.fixture(scope="session")
def supabase_deploy():
    """The deploy sequence run once per test worker on a pre-2026 Supabase-shaped database."""
    name = f"supabase_shaped_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    create_supabase_shaped_database(name)
    try:
        yield deploy(name)
    finally:
        drop_database(name)
