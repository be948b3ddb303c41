"""A manager (on the failed sign-ins page) or a command unlocks a name or an address at once."""

from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from audit.models import ActorType, AuditAction, AuditLog, AuditSource
from config.browser import with_password
from config.commands import BAD_ARGUMENTS
from staff_auth.tests.conftest import sign_in
from staff_auth.tests.factories import failed_sign_ins

pytestmark = pytest.mark.django_db

FAILURES = reverse("admin:staff_auth_signinfailure_changelist")


@pytest.fixture
def locked_out(desk_computer, django_user_model):
    """A staff member of the desk who mistyped their password five times."""
    user = with_password(django_user_model.objects.create_user("locked-desk", is_staff=True))
    for _ in range(5):
        sign_in(desk_computer, user.username, "wrong")
    assert sign_in(desk_computer, user.username).status_code == 429
    return user


def test_the_manager_sees_who_is_locked_until_when(manager_client, locked_out):
    response = manager_client.get(FAILURES)
    assert response.status_code == 200
    [row] = response.context["cl"].result_list
    assert (row.username, row.ip_address, row.failures_since_start) == (locked_out.username, "198.51.100.20", 5)
    assert row.lockout.by == "username"
    assert "Locked until" in response.text and "(the name)" in response.text


def test_the_page_costs_the_same_queries_for_one_row_or_many(manager_client, django_assert_max_num_queries):
    failed_sign_ins(username="one", ip_address="192.0.2.1", failures=5)
    manager_client.get(FAILURES)
    for number in range(30):
        failed_sign_ins(username=f"name-{number}", ip_address=f"192.0.2.{number + 2}", failures=number % 6)
    with django_assert_max_num_queries(12):
        assert manager_client.get(FAILURES).status_code == 200


def test_a_manager_unlocks_and_the_staff_member_signs_in_at_once(manager, manager_client, desk_computer, locked_out):
    attempt = AccessAttempt.objects.get()
    response = manager_client.post(
        FAILURES, {"action": "unlock", "_selected_action": [attempt.pk]}, HTTP_USER_AGENT="ManagerBrowser/2.0"
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert sign_in(desk_computer, locked_out.username).status_code == 302
    entry = AuditLog.objects.get(action=AuditAction.SIGN_IN_UNLOCKED)
    assert (entry.actor_type, entry.actor_id, entry.source) == (ActorType.STAFF, str(manager.pk), AuditSource.ADMIN)
    assert entry.entity_id == locked_out.username and entry.user_agent == "ManagerBrowser/2.0"
    assert entry.new_values == {"username": locked_out.username, "address": "198.51.100.20", "failures_forgotten": 5}


def test_the_front_desk_neither_sees_nor_unlocks(front_desk_client, locked_out):
    assert front_desk_client.get(FAILURES).status_code == 403
    attempt = AccessAttempt.objects.get()
    response = front_desk_client.post(FAILURES, {"action": "unlock", "_selected_action": [attempt.pk]})
    assert response.status_code == 403
    assert AccessAttempt.objects.exists() and not AuditLog.objects.filter(action=AuditAction.SIGN_IN_UNLOCKED).exists()


def test_a_manager_without_the_unlock_permission_is_not_offered_it(manager, manager_client, locked_out):
    manager.user_permissions.add(Permission.objects.get(codename="view_signinfailure"))
    manager.groups.clear()
    response = manager_client.get(FAILURES)
    assert response.status_code == 200 and "Unlock:" not in response.text


def unlock(*args) -> str:
    out = StringIO()
    call_command("unlock_sign_in", *args, stdout=out)
    return out.getvalue()


def test_the_command_unlocks_a_name(desk_computer, locked_out):
    assert "Would forget 5 failed sign-ins" in unlock(locked_out.username, "--dry-run")
    assert AccessAttempt.objects.exists()
    assert f"Unlocked “{locked_out.username}”: 5 failed sign-ins forgotten." in unlock(locked_out.username)
    assert sign_in(desk_computer, locked_out.username).status_code == 302
    entry = AuditLog.objects.get(action=AuditAction.SIGN_IN_UNLOCKED)
    assert (entry.actor_type, entry.actor_label, entry.source) == (
        ActorType.SYSTEM,
        "unlock_sign_in",
        AuditSource.COMMAND,
    )


def test_the_command_unlocks_an_address(desk_computer, manager):
    for number in range(5):
        sign_in(desk_computer, f"guess-{number}", "wrong")
    assert "Unlocked address 198.51.100.20: 5 failed sign-ins forgotten." in unlock("--address", "198.51.100.20")
    with_password(manager)
    assert sign_in(desk_computer, manager.username).status_code == 302


def test_the_command_says_when_nothing_is_locked():
    assert "Nothing to unlock: no failed sign-ins are counted for “nobody”." in unlock("nobody")
    assert not AuditLog.objects.filter(action=AuditAction.SIGN_IN_UNLOCKED).exists()


@pytest.mark.parametrize(
    ("args", "message"), [((), "name a username"), (("--address", "not-an-ip"), "not an IP address")]
)
def test_the_command_refuses_bad_arguments_with_exit_2(args, message):
    with pytest.raises(CommandError, match=message) as refusal:
        unlock(*args)
    assert refusal.value.returncode == BAD_ARGUMENTS
