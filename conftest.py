"""Fixtures shared by every app's tests: the database as a deploy leaves it, and staff users."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from access.services import grants_sync
from access.staff_groups import FRONT_DESK, MANAGER

# The live server and the browser for the headless-Chromium tests.
pytest_plugins = ["config.browser"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Each test database is prepared as a deploy prepares production: migrate, then sync_grants."""
    with django_db_blocker.unblock():
        grants_sync(apply=True)


def _staff_user(django_user_model, username: str, group_name: str):
    user = django_user_model.objects.create_user(username=username, password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def manager(db, django_user_model):
    return _staff_user(django_user_model, "test-manager", MANAGER)


@pytest.fixture
def front_desk(db, django_user_model):
    return _staff_user(django_user_model, "test-front-desk", FRONT_DESK)


def _logged_in_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def manager_client(manager):
    return _logged_in_client(manager)


@pytest.fixture
def front_desk_client(front_desk):
    return _logged_in_client(front_desk)
