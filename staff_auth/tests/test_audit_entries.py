"""Every sign-in, failure, lockout, unlock and sign-out is an audit entry with who, from where and
with which browser; managers find them with the audit list's filters."""

import pytest
from django.urls import reverse

from audit.models import ActorType, AuditAction, AuditLog, AuditSource
from config.browser import with_password
from staff_auth.tests.conftest import sign_in

pytestmark = pytest.mark.django_db

DESK = {"ip_address": "198.51.100.20", "user_agent": "DeskBrowser/1.0"}


def entries(action: str):
    return list(AuditLog.objects.filter(action=action).order_by("occurred_at"))


def test_a_sign_in_and_a_sign_out_are_the_staff_members_own(desk_computer, front_desk):
    with_password(front_desk)
    sign_in(desk_computer, front_desk.username)
    desk_computer.post(reverse("admin:logout"))
    signed_in, signed_out = entries(AuditAction.SIGN_IN_SUCCEEDED), entries(AuditAction.SIGNED_OUT)
    for entry in (*signed_in, *signed_out):
        assert (entry.actor_type, entry.actor_id, entry.actor_label) == (
            ActorType.STAFF,
            str(front_desk.pk),
            front_desk.username,
        )
        assert (entry.entity_type, entry.entity_id, entry.source) == ("sign_in", front_desk.username, AuditSource.ADMIN)
        assert {"ip_address": entry.ip_address, "user_agent": entry.user_agent} == DESK
        assert entry.request_id
    assert len(signed_in) == len(signed_out) == 1


def test_a_failure_names_the_name_tried_and_why(desk_computer, front_desk):
    with_password(front_desk)
    sign_in(desk_computer, front_desk.username, "wrong")
    sign_in(desk_computer, "nobody-here", "wrong")
    front_desk.is_active = False
    front_desk.save()
    sign_in(desk_computer, front_desk.username)
    failures = entries(AuditAction.SIGN_IN_FAILED)
    assert [(entry.entity_id, entry.reason) for entry in failures] == [
        (front_desk.username, "wrong password"),
        ("nobody-here", "no staff user of that name"),
        (front_desk.username, "the account is deactivated"),
    ]
    for entry in failures:
        assert (entry.actor_type, entry.actor_label) == (ActorType.SYSTEM, "sign-in throttle")
        assert {"ip_address": entry.ip_address, "user_agent": entry.user_agent} == DESK


def test_an_unknown_name_of_any_length_is_recorded_truncated(desk_computer):
    name = "ä" * 63 + "overflowing-name" * 300
    response = sign_in(desk_computer, name, "wrong")
    assert response.status_code == 200
    entry = AuditLog.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert entry.entity_id == "ä" * 63 + "…" and len(entry.entity_id) == 64


def test_a_lockout_is_an_entry_of_its_own_after_the_failure_that_reached_the_limit(desk_computer, manager):
    for _ in range(5):
        sign_in(desk_computer, manager.username, "wrong")
    sign_in(desk_computer, manager.username, "wrong")  # refused while locked out: no entry of its own
    assert len(entries(AuditAction.SIGN_IN_FAILED)) == 5
    [lockout] = entries(AuditAction.SIGN_IN_LOCKED_OUT)
    last_failure = entries(AuditAction.SIGN_IN_FAILED)[-1]
    assert lockout.occurred_at >= last_failure.occurred_at
    assert lockout.entity_id == manager.username and lockout.actor_type == ActorType.SYSTEM
    assert lockout.new_values["locked"] == "username" and lockout.new_values["failures"] == 5
    assert lockout.reason == f"5 failed sign-ins for “{manager.username}” within 15 minutes"
    assert {"ip_address": lockout.ip_address, "user_agent": lockout.user_agent} == DESK


@pytest.mark.parametrize(
    ("action", "count"),
    [
        (AuditAction.SIGN_IN_SUCCEEDED, 1),
        (AuditAction.SIGN_IN_FAILED, 5),
        (AuditAction.SIGN_IN_LOCKED_OUT, 1),
        (AuditAction.SIGNED_OUT, 1),
    ],
)
def test_managers_filter_the_audit_list_by_each_sign_in_action(
    desk_computer, manager_client, front_desk, action, count
):
    with_password(front_desk)
    sign_in(desk_computer, front_desk.username)
    desk_computer.post(reverse("admin:logout"))
    for _ in range(5):
        sign_in(desk_computer, "intruder", "wrong")
    response = manager_client.get(reverse("admin:audit_auditlog_changelist"), {"action": action})
    assert response.status_code == 200
    shown = response.context["cl"].result_list
    assert len(shown) == count and {entry.action for entry in shown} == {action}
    assert AuditAction(action).label in response.text


def test_managers_filter_the_audit_list_by_the_sign_in_entity(desk_computer, manager_client):
    sign_in(desk_computer, "intruder", "wrong")
    response = manager_client.get(reverse("admin:audit_auditlog_changelist"), {"entity_type": "sign_in"})
    assert [entry.entity_id for entry in response.context["cl"].result_list] == ["intruder"]
    assert "Sign-in failed" in response.text and "intruder" in response.text
