"""Closures' own rules, held by the table's trigger for every door, and their services: opening
(audited), overlapping, past and backwards closures refused in words, reopening once."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from audit.models import AuditLog
from clubs.tests.factories import BranchFactory
from config.errors import RuleViolation
from facilities.models import Closure, ClosureReason
from facilities.services import closure_open, closure_reopen
from facilities.tests.factories import FacilityFactory

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user(username="closer", password="pw", is_staff=True)


@pytest.fixture
def branch(db):
    return BranchFactory(name="Harbourfront", time_zone="America/New_York")


def close(branch, user, *, facility=None, room="", starts_in=HOUR, lasts=2 * HOUR, reason=ClosureReason.MAINTENANCE):
    start = timezone.now() + starts_in
    return closure_open(
        branch=branch,
        facility=facility,
        room=room,
        starts_at=start,
        ends_at=start + lasts,
        reason=reason,
        note="  New heater  ",
        user=user,
        source="admin",
    )


def refused(code: str, call) -> str:
    with pytest.raises(RuleViolation) as refusal:
        call()
    assert refusal.value.code == code
    return refusal.value.message


def test_a_closure_is_made_and_audited(branch, staff):
    sauna = FacilityFactory(branch=branch, name="Sauna")
    closure = close(branch, staff, facility=sauna)
    assert (closure.organization_id, closure.note, closure.created_by) == (branch.organization_id, "New heater", staff)
    entry = AuditLog.objects.get(action="closure.opened", entity_id=str(closure.pk))
    assert (entry.branch_id, entry.reason, entry.new_values["what"]) == (branch.pk, "New heater", "Sauna")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({}, {}),  # the whole branch twice
        ({}, {"facility": "sauna"}),  # the branch, then a facility in it
        ({"facility": "sauna"}, {}),
        ({"facility": "sauna"}, {"facility": "sauna"}),
        ({"room": "Studio 1"}, {"room": "  studio 1 "}),  # rooms by name, whatever the case and spaces
        ({"room": "Studio 1"}, {}),
    ],
)
def test_overlapping_closures_are_refused_with_the_one_they_meet(branch, staff, first, second):
    sauna = FacilityFactory(branch=branch, name="Sauna")

    def scope(kind):
        return {"facility": sauna} if kind.get("facility") else {"room": kind.get("room", "")}

    close(branch, staff, **scope(first))
    message = refused("closure_overlaps", lambda: close(branch, staff, starts_in=2 * HOUR, **scope(second)))
    assert "reopen or shorten that one" in message and "maintenance" in message
    assert Closure.objects.count() == 1


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"facility": "sauna"}, {"facility": "plunge"}),
        ({"facility": "sauna"}, {"room": "Studio 1"}),
        ({"room": "Studio 1"}, {"room": "Studio 2"}),
    ],
)
def test_closures_of_different_things_may_overlap(branch, staff, first, second):
    facilities = {"sauna": FacilityFactory(branch=branch, name="Sauna"), "plunge": FacilityFactory(branch=branch)}

    def scope(kind):
        return {"facility": facilities[kind["facility"]]} if "facility" in kind else kind

    close(branch, staff, **scope(first))
    close(branch, staff, **scope(second))
    assert Closure.objects.count() == 2


def test_back_to_back_closures_and_other_branches_do_not_overlap(branch, staff):
    close(branch, staff, starts_in=HOUR, lasts=HOUR)
    close(branch, staff, starts_in=2 * HOUR, lasts=HOUR)  # starts when the first ends
    close(BranchFactory(organization=branch.organization), staff)
    assert Closure.objects.count() == 3


def test_a_reopened_closure_no_longer_blocks_a_new_one(branch, staff):
    first = close(branch, staff)
    closure_reopen(closure_id=first.pk, user=staff, source="admin")
    close(branch, staff)
    assert Closure.objects.filter(reopened_at__isnull=True).count() == 1


def test_a_closure_in_the_past_is_refused_with_the_branch_time(branch, staff):
    message = refused("closure_in_past", lambda: close(branch, staff, starts_in=-HOUR))
    now_there = timezone.localtime(timezone.now(), branch.zone)
    assert message.startswith("A closure cannot start in the past: it is ") and f"{now_there:%H:}" in message


def test_an_end_before_the_start_is_the_tables_check(branch, staff):
    with pytest.raises(IntegrityError, match="closures_ends_after_start"), transaction.atomic():
        close(branch, staff, lasts=-HOUR)


def test_a_facility_of_another_branch_is_refused(branch, staff):
    elsewhere = FacilityFactory(branch=BranchFactory(organization=branch.organization), name="Far sauna")
    message = refused("closure_scope", lambda: close(branch, staff, facility=elsewhere))
    assert message == "Far sauna is not a facility of Harbourfront."


def test_reopening_is_once_and_audited(branch, staff):
    closure = close(branch, staff)
    reopened = closure_reopen(closure_id=closure.pk, user=staff, source="admin")
    assert reopened.reopened_by == staff and reopened.reopened_at is not None
    assert AuditLog.objects.filter(action="closure.reopened", entity_id=str(closure.pk)).count() == 1
    message = refused("closure_not_open", lambda: closure_reopen(closure_id=closure.pk, user=staff, source="admin"))
    assert message.startswith("This closure was already reopened, on ")
    refused("not_found", lambda: closure_reopen(closure_id=branch.pk, user=staff, source="admin"))


def test_a_started_closure_keeps_its_scope_and_start(branch, staff):
    closure = close(branch, staff)
    with connection.cursor() as cursor:  # two hours on, as the table's owner: it has started
        cursor.execute("set constraints all immediate")  # no pending foreign-key checks on the table
        cursor.execute("alter table public.closures disable trigger closures_check")
        cursor.execute(
            "update public.closures set starts_at = starts_at - interval '2 hours' where id = %s", [closure.pk]
        )
        cursor.execute("alter table public.closures enable trigger closures_check")
    for change in (
        "room = 'Studio 9'",
        "starts_at = starts_at + interval '1 minute'",
        "ends_at = now() - interval '1 hour'",
    ):
        with pytest.raises(Exception, match="only its end, reason and note can change"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"update public.closures set {change} where id = %s", [closure.pk])
    with connection.cursor() as cursor:
        cursor.execute(
            "update public.closures set ends_at = ends_at + interval '1 day', note = 'Longer' where id = %s",
            [closure.pk],
        )
