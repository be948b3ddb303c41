"""The timetable in the admin: listed by branch, weekday and time, edited on the branch's clock,
refused in plain words, audited."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditLog
from classes.models import ClassTimetableEntry
from classes.tests.factories import ClassTimetableEntryFactory, ScheduledClassFactory
from clubs.tests.admin_forms import form_errors
from clubs.tests.factories import BranchFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:classes_classtimetableentry_changelist"


def entry_form(branch, **changes) -> dict:
    return {
        "branch": branch.pk, "title": "Morning spin", "instructor": "Sam", "room": "Studio 1", "capacity": 16,
        "weekday": 2, "starts_at_local": "07:00", "duration_minutes": 45, "valid_from": "2027-01-04",
        "valid_until": "", **changes,
    }  # fmt: skip


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_list_shows_weekday_and_local_time_in_queries_independent_of_its_rows(admin_client):
    branch = BranchFactory(name="Harbourfront", time_zone="America/New_York")
    ClassTimetableEntryFactory(branch=branch, title="Dawn spin", weekday=3, starts_at_local=datetime.time(6, 15))
    page = admin_client.get(reverse(CHANGELIST)).content.decode()
    assert "Dawn spin" in page and "Wednesday" in page and "06:15" in page and "Starts (branch time)" in page
    with_one = queries_for(admin_client, reverse(CHANGELIST))
    for _ in range(20):
        ClassTimetableEntryFactory(branch=BranchFactory())
    assert queries_for(admin_client, reverse(CHANGELIST)) == with_one


def test_the_change_page_says_times_are_the_branchs_clock(admin_client):
    entry = ClassTimetableEntryFactory(branch=BranchFactory(time_zone="America/New_York"))
    page = admin_client.get(reverse("admin:classes_classtimetableentry_change", args=[entry.pk])).content.decode()
    assert "When (the branch&#x27;s local clock)" in page
    assert "a 07:00 class is at 07:00 there in winter and in summer" in page


def test_a_new_entry_is_saved_and_audited(admin_client):
    branch = BranchFactory(time_zone="America/New_York")
    response = admin_client.post(reverse("admin:classes_classtimetableentry_add"), entry_form(branch))
    assert response.status_code == 302, form_errors(response)
    entry = ClassTimetableEntry.objects.get()
    assert (entry.weekday, entry.starts_at_local, entry.valid_until) == (2, datetime.time(7), None)
    assert entry.organization_id == branch.organization_id
    logged = AuditLog.objects.get(entity_id=str(entry.pk))
    assert logged.action == "classtimetableentry.created"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"valid_until": "2027-01-03"}, "valid_until", "The last day cannot be before the first."),
        ({"duration_minutes": "0"}, "duration_minutes", "A class lasts from 5 minutes to 24 hours."),
        ({"capacity": "0"}, "capacity", "Capacity is at least 1 person."),
        ({"title": "   "}, "title", "This field is required."),
        ({"weekday": "8"}, "weekday", "Select a valid choice. 8 is not one of the available choices."),
    ],
)
def test_a_bad_entry_is_refused_in_words_on_its_field(admin_client, changes, field, message):
    response = admin_client.post(
        reverse("admin:classes_classtimetableentry_add"), entry_form(BranchFactory(), **changes)
    )
    assert response.status_code == 200
    assert form_errors(response) == {field: [message]}
    assert not ClassTimetableEntry.objects.exists()


def test_a_class_page_names_the_timetable_entry_and_day_that_made_it(admin_client):
    entry = ClassTimetableEntryFactory(title="Dawn spin", weekday=3, starts_at_local=datetime.time(6, 15))
    made = ScheduledClassFactory(branch=entry.branch, timetable_entry=entry, timetable_date=datetime.date(2027, 1, 6))
    page = admin_client.get(reverse("admin:classes_scheduledclass_change", args=[made.pk])).content.decode()
    assert "Dawn spin, Wednesdays at 06:15" in page and "Timetable day (branch time)" in page
