"""The schedule change's admin pages: saving a facility's settings, the facility (its capacity, its
days) with its settings inline, or a timetable entry with new values leads to the preview (nothing
saved yet); Apply applies them; Back leaves everything as it was. Moved or kept items are listed
with who booked them. An entry with classes still to come is ended, not deleted. Managers only;
hostile values are form errors, never a 5xx; the preview costs a fixed number of queries."""

from __future__ import annotations

import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditLog
from bookings.tests.factories import ClassBookingFactory
from classes.admin import NO_DELETE_HELP
from classes.models import ClassTimetableEntry, ScheduledClass
from clubs import localtime
from clubs.tests.admin_forms import submitted_form
from clubs.tests.factories import BranchFactory
from config.tests.clock import interesting_day, local
from config.tests.test_hostile_queries import HOSTILE_VALUES
from facilities.models import BenefitSetting, BenefitSlot, Facility, Weekday
from members.tests.factories import MemberFactory
from schedule.tests.test_changes import WEEK, ZONE, book, day_after_tomorrow, sauna_at, slot_at, spin_at

pytestmark = pytest.mark.django_db


# The New York branch of the service tests (test_changes.py), its sauna and its spin class.
@pytest.fixture
def branch():
    return BranchFactory(name="Harbourfront", time_zone=ZONE)


@pytest.fixture
def today() -> datetime.date:
    return localtime.local_today(ZONE)


@pytest.fixture
def sauna(branch, today):
    return sauna_at(branch, today)


@pytest.fixture
def clocks_forward(today) -> datetime.date:
    return interesting_day(ZONE, "clocks_forward", after=today + WEEK)


@pytest.fixture
def spin(branch, today, clocks_forward):
    return spin_at(branch, today, clocks_forward)


FACILITY_VALUES = {
    "capacity": "",
    "opens_at": "06:00",
    "closes_at": "22:00",
    "slot_minutes": "30",
    "facility_capacity": "4",
    "available_days": [str(day) for day in Weekday.values],
}


def preview_url(facility, **values) -> str:
    query = urlencode({**FACILITY_VALUES, **values}, doseq=True)
    return f"{reverse('admin:schedule_change_facility', args=[facility.pk])}?{query}"


def entry_url(entry, **values) -> str:
    query = {
        "title": entry.title, "instructor": entry.instructor, "room": entry.room, "capacity": entry.capacity,
        "weekday": entry.weekday, "starts_at_local": entry.starts_at_local.strftime("%H:%M"),
        "duration_minutes": entry.duration_minutes, "valid_from": entry.valid_from.isoformat(), "valid_until": "",
        **values,
    }  # fmt: skip
    return f"{reverse('admin:schedule_change_timetable_entry', args=[entry.pk])}?{urlencode(query)}"


def save(client, obj, **changes):
    """Submit the object's change page as it stands, with `changes`."""
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    form = submitted_form(client.get(url).content.decode())
    return client.post(url, {**form, **changes})


def query_of(response) -> dict:
    """The redirect's address: its path, and its values (the days as a list)."""
    location = urlsplit(response["Location"])
    query = {"path": location.path, "available_days": []}
    for name, value in parse_qsl(location.query, keep_blank_values=True):
        if name == "available_days":
            query[name].append(value)
        else:
            query[name] = value
    return query


def capacities(facility_or_slots) -> set[int]:
    """The capacities of the slots (of a facility) still to come."""
    slots = facility_or_slots if hasattr(facility_or_slots, "filter") else facility_or_slots.slots.all()
    return set(slots.filter(starts_at__gt=timezone.now()).values_list("capacity", flat=True))


# From the admin's forms to the preview


def test_new_settings_lead_to_the_preview_and_only_the_other_changes_are_saved(manager_client, sauna):
    settings = BenefitSetting.objects.get(facility=sauna)

    response = save(manager_client, settings, capacity="2", closes_at="21:00", booking_window_days="14")

    assert response.status_code == 302
    query = query_of(response)
    assert query["path"] == reverse("admin:schedule_change_facility", args=[sauna.pk])
    assert {name: query[name] for name in FACILITY_VALUES} == {**FACILITY_VALUES, "capacity": "2", "closes_at": "21:00"}
    assert query["next"] == reverse("admin:facilities_benefitsetting_change", args=[settings.pk])
    settings.refresh_from_db()
    assert (settings.capacity, settings.closes_at, settings.booking_window_days) == (None, datetime.time(22), 14)
    assert capacities(sauna) == {4}
    # the settings' audit entry names what was saved, and only that
    [entry] = AuditLog.objects.filter(action="benefit_settings.updated")
    assert set(entry.new_values) == {"booking_window_days"}


def test_the_facility_page_and_its_settings_inline_lead_to_one_preview(manager_client, sauna):
    response = save(manager_client, sauna, capacity="6", **{"settings-0-opens_at": "07:00", "name": "Finnish sauna"})

    query = query_of(response)
    assert (query["facility_capacity"], query["opens_at"], query["capacity"]) == ("6", "07:00", "")
    sauna.refresh_from_db()
    assert (sauna.name, sauna.capacity) == ("Finnish sauna", 4)
    assert BenefitSetting.objects.get(facility=sauna).opens_at == datetime.time(6)
    follow = manager_client.get(response["Location"])
    assert "The other changes to Finnish sauna are saved" in " ".join(str(m) for m in get_messages(follow.wsgi_request))


def test_a_facility_without_settings_gets_them_through_the_preview(manager_client, sauna):
    BenefitSetting.objects.filter(facility=sauna).delete()

    response = save(manager_client, sauna, **{"settings-0-opens_at": "08:00", "settings-0-booking_window_days": "7"})

    assert query_of(response)["opens_at"] == "08:00"
    assert not BenefitSetting.objects.filter(facility=sauna).exists()
    form = submitted_form(manager_client.get(response["Location"]).content.decode())
    assert "Applied:" in manager_client.post(response["Location"], form).content.decode()
    assert BenefitSetting.objects.get(facility=sauna).opens_at == datetime.time(8)
    tomorrow = localtime.local_today(ZONE) + datetime.timedelta(days=1)
    first = sauna.slots.filter(starts_at__gte=local(tomorrow, 0, 0, ZONE)).order_by("starts_at").first()
    assert localtime.local_time(first.starts_at, ZONE) == "08:00"


def test_new_days_lead_to_the_preview_which_lists_the_booked_slot_of_a_dropped_day(manager_client, sauna, today):
    day = day_after_tomorrow(today)
    booked = slot_at(sauna, day, 9)
    book(booked, 1, first_name="Dana", last_name="Evans", phone="+1 212 555 0100")
    days = [str(weekday) for weekday in Weekday.values if weekday != day.isoweekday()]

    response = save(manager_client, sauna, available_days=days, name="Finnish sauna")

    query = query_of(response)
    assert query["path"] == reverse("admin:schedule_change_facility", args=[sauna.pk])
    assert query["available_days"] == days and query["facility_capacity"] == "4"
    sauna.refresh_from_db()
    assert (sauna.name, sauna.available_days) == ("Finnish sauna", Weekday.values)  # the rest saved, not the days
    page = manager_client.get(response["Location"]).content.decode()
    assert "Preview: nothing is saved yet" in page
    assert "Available days" in page and "Every day" in page
    assert "1 booked slot outside the new days or hours" in page and "Dana Evans" in page and "+1 212 555 0100" in page
    assert sauna.slots.filter(starts_at__gte=local(day, 0, 0, ZONE), starts_at__lt=local(day, 23, 0, ZONE)).count() > 1

    applied = manager_client.post(response["Location"], submitted_form(page)).content.decode()

    assert "Applied:" in applied
    assert Facility.objects.get(pk=sauna.pk).available_days == [int(d) for d in days]
    assert list(sauna.slots.filter(starts_at__gte=local(day, 0, 0, ZONE), starts_at__lt=local(day, 23, 0, ZONE))) == [
        booked
    ]


def test_no_days_at_all_is_a_form_error(manager_client, sauna):
    url = preview_url(sauna, available_days=[])
    page = manager_client.get(url.replace("available_days", "other")).content.decode()
    assert "Choose the days of the week it is open." in page and "Preview:" not in page


def test_a_facility_saved_without_new_shape_saves_as_before(manager_client, sauna):
    response = save(manager_client, sauna, name="Finnish sauna")
    assert response["Location"] == reverse("admin:facilities_facility_changelist")


def test_a_new_timetable_entry_value_leads_to_the_preview_and_saves_nothing(manager_client, spin):
    response = save(manager_client, spin, starts_at_local="18:30", instructor="Lee Chan")

    query = query_of(response)
    assert query["path"] == reverse("admin:schedule_change_timetable_entry", args=[spin.pk])
    assert (query["starts_at_local"], query["instructor"], query["title"]) == ("18:30", "Lee Chan", "Morning spin")
    spin.refresh_from_db()
    assert (spin.starts_at_local, spin.instructor) == (datetime.time(7), "Sam Okafor")
    assert not AuditLog.objects.filter(entity_id=str(spin.pk)).exists()


# Only a superuser may delete timetable entries (managers may add and change them).
def test_an_entry_with_classes_to_come_is_ended_not_deleted(admin_client, spin):
    change_url = reverse("admin:classes_classtimetableentry_change", args=[spin.pk])
    delete_url = reverse("admin:classes_classtimetableentry_delete", args=[spin.pk])
    classes = ScheduledClass.objects.filter(timetable_entry=spin).count()

    page = admin_client.get(change_url).content.decode()

    assert delete_url not in page and NO_DELETE_HELP in page  # a fieldset's description is shown as it is
    assert admin_client.get(delete_url).status_code == 403
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:classes_classtimetableentry_changelist")
    bulk = {"action": "delete_selected", "_selected_action": [str(spin.pk)], "post": "yes"}
    assert admin_client.post(changelist, bulk).status_code == 403
    assert ClassTimetableEntry.objects.filter(pk=spin.pk).exists()
    assert ScheduledClass.objects.filter(timetable_entry=spin).count() == classes


def test_an_entry_without_classes_to_come_may_be_deleted(admin_client, spin):
    ScheduledClass.objects.filter(timetable_entry=spin, starts_at__gt=timezone.now()).delete()
    change_url = reverse("admin:classes_classtimetableentry_change", args=[spin.pk])
    delete_url = reverse("admin:classes_classtimetableentry_delete", args=[spin.pk])

    page = admin_client.get(change_url).content.decode()

    assert delete_url in page and "cannot be deleted" not in page
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 302
    assert not ClassTimetableEntry.objects.filter(pk=spin.pk).exists()


def test_an_entry_keeps_its_branch(manager_client, spin):
    page = manager_client.get(reverse("admin:classes_classtimetableentry_change", args=[spin.pk])).content.decode()
    assert 'name="branch"' not in page and "Harbourfront" in page


# The preview and Apply


def test_the_preview_lists_what_changes_and_apply_applies_it(manager_client, sauna, today):
    day = day_after_tomorrow(today)
    full = slot_at(sauna, day, 9)
    book(full, 3, first_name="Dana", last_name="Evans", phone="+1 212 555 0100")
    late = slot_at(sauna, day, 21, 30)
    book(late, 1, first_name="Noor", last_name="Haddad")
    url = preview_url(sauna, capacity="2", closes_at="21:00", next="/admin/facilities/facility/")

    page = manager_client.get(url).content.decode()

    assert "Preview: nothing is saved yet" in page
    when = localtime.local_range(full.starts_at, full.ends_at, ZONE)
    assert when in page and when.endswith(("EST", "EDT"))
    assert "Dana Evans" not in page  # over capacity lists how many, outside the hours lists who
    assert "Noor Haddad" in page and localtime.local_range(late.starts_at, late.ends_at, ZONE) in page
    assert "Apply to the settings and the future" in page and 'href="/admin/facilities/facility/"' in page
    assert capacities(sauna) == {4}

    form = submitted_form(page)
    response = manager_client.post(url, form)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Applied:" in page and "Noor Haddad" in page
    # every slot still to come has the new capacity, but the one kept as it was for its booking
    assert capacities(sauna.slots.exclude(pk=late.pk)) == {2}
    assert BenefitSlot.objects.get(pk=late.pk).capacity == 4
    assert AuditLog.objects.filter(action="schedule.changed").count() == 1
    # applying again (a reload) changes nothing more
    again = manager_client.post(url, form).content.decode()
    assert "Nothing to apply" in again and AuditLog.objects.filter(action="schedule.changed").count() == 1


def test_the_timetable_preview_moves_classes_and_names_who_keeps_a_class(manager_client, spin, clocks_forward):
    booked = ScheduledClass.objects.get(timetable_entry=spin, timetable_date=clocks_forward)
    ClassBookingFactory(scheduled_class=booked, member=MemberFactory(home_branch=spin.branch, first_name="Ana",
                                                                      last_name="Ruiz"))  # fmt: skip
    url = entry_url(spin, weekday=clocks_forward.isoweekday() % 7 + 1, starts_at_local="18:30")

    page = manager_client.get(url).content.decode()

    assert "booked class no longer in the timetable" in page and "Ana Ruiz" in page
    assert localtime.local_range(booked.starts_at, booked.ends_at, ZONE) in page
    form = submitted_form(page)
    assert "Applied:" in manager_client.post(url, form).content.decode()
    spin.refresh_from_db()
    assert spin.starts_at_local == datetime.time(18, 30)


def test_the_preview_names_who_to_tell_of_a_moved_class(manager_client, spin, clocks_forward):
    booked = ScheduledClass.objects.get(timetable_entry=spin, timetable_date=clocks_forward)
    member = MemberFactory(home_branch=spin.branch, first_name="Ana", last_name="Ruiz", email="ana@example.com")
    ClassBookingFactory(scheduled_class=booked, member=member)

    page = manager_client.get(entry_url(spin, starts_at_local="18:30")).content.decode()

    moved = page[page.index('id="schedule-moved"') :]
    assert "moved to the new time" in moved and "tell the members of the new time" in moved
    assert "Ana Ruiz" in moved and "ana@example.com" in moved
    assert reverse("admin:desk_member", args=[member.pk]) in moved


def test_the_preview_names_who_to_tell_of_a_booked_slot_with_a_new_end(manager_client, sauna, today):
    slot = slot_at(sauna, day_after_tomorrow(today), 7, 30)  # still a start with 45-minute slots
    book(slot, 1, first_name="Noor", last_name="Haddad")

    page = manager_client.get(preview_url(sauna, slot_minutes="45")).content.decode()

    moved = page[page.index('id="schedule-moved"') :]
    assert "1 booked slot with new times" in moved and "Noor Haddad" in moved


def test_a_preview_of_the_current_values_has_nothing_to_apply(manager_client, sauna):
    page = manager_client.get(preview_url(sauna)).content.decode()
    assert "Nothing to apply" in page and "Apply to the settings" not in page


def test_the_page_without_values_shows_the_current_ones_to_change(manager_client, sauna):
    page = manager_client.get(reverse("admin:schedule_change_facility", args=[sauna.pk])).content.decode()
    assert 'name="closes_at" value="22:00"' in page and "Preview:" not in page


# Who may, and what an address may hold


def test_the_front_desk_may_not_preview_or_apply(front_desk_client, sauna, spin):
    for url in (preview_url(sauna, capacity="2"), entry_url(spin, title="Spin")):
        assert front_desk_client.get(url).status_code == 403
        assert front_desk_client.post(url, {"capacity": "2"}).status_code == 403
    assert capacities(sauna) == {4}


@pytest.mark.parametrize("page", ["facility", "timetable_entry"])
def test_hostile_values_are_form_errors_never_a_server_error(manager, sauna, spin, page):
    client = Client(raise_request_exception=False)
    client.force_login(manager)
    names = [*FACILITY_VALUES, "next"] if page == "facility" else [
        "title", "instructor", "room", "capacity", "weekday", "starts_at_local", "duration_minutes", "valid_from",
        "valid_until", "next",
    ]  # fmt: skip
    url = (lambda **values: preview_url(sauna, **values)) if page == "facility" else (
        lambda **values: entry_url(spin, **values))  # fmt: skip
    failures = []
    for name in names:
        for value in [*HOSTILE_VALUES, "", "0", "25:61", "23:59:59", "0001-01-01"]:
            for method in ("get", "post"):
                address = url(**{name: value})
                response = client.get(address) if method == "get" else client.post(address, {name: value})
                if response.status_code >= 500:
                    failures.append(f"{method} {name}={value[:20]!r}: {response.status_code}")
    assert failures == []
    assert capacities(sauna) == {4} and AuditLog.objects.filter(action="schedule.changed").count() == 0


def test_an_id_that_is_no_facility_or_entry_is_not_found(manager_client):
    assert manager_client.get("/admin/facilities/closure/changes/facility/not-a-uuid/").status_code < 500
    missing = "00000000-0000-0000-0000-000000000000"
    assert manager_client.get(reverse("admin:schedule_change_facility", args=[missing])).status_code == 404
    assert manager_client.get(reverse("admin:schedule_change_timetable_entry", args=[missing])).status_code == 404


def test_back_leads_only_to_a_page_of_this_site(manager_client, sauna):
    page = manager_client.get(preview_url(sauna, capacity="2", next="https://evil.example/")).content.decode()
    assert "evil.example" not in page
    assert f'href="{reverse("admin:facilities_facility_change", args=[sauna.pk])}"' in page


# Cost


# The sign-in (session, user and its permissions: 4), the facility and its settings or the entry,
# the form's checks of the table's rules (clubs/constraints.py asks the database's own conditions:
# one query each, in a savepoint of its own under the test's transaction), and the change in its
# rolled-back savepoint. None of it grows with the slots, classes or bookings listed.
FACILITY_PREVIEW_QUERIES = 4 + 2 + 3 * 3 + 4
ENTRY_PREVIEW_QUERIES = 4 + 1 + 5 * 3 + 4


def queries_to_preview(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_facility_preview_costs_the_same_queries_whatever_it_lists(manager_client, sauna, today):
    day = day_after_tomorrow(today)
    url = preview_url(sauna, capacity="1", closes_at="21:00")
    book(slot_at(sauna, day, 9), 2)
    assert queries_to_preview(manager_client, url) == FACILITY_PREVIEW_QUERIES
    for hour in range(10, 21):
        book(slot_at(sauna, day, hour), 3)
    book(slot_at(sauna, day, 21, 30), 3)
    page = manager_client.get(url).content.decode()
    assert page.count("schedule-people") > 1 and "12 slots with more bookings than the new capacity" in page
    assert queries_to_preview(manager_client, url) == FACILITY_PREVIEW_QUERIES


def test_the_timetable_preview_costs_the_same_queries_whatever_it_lists(manager_client, spin, clocks_forward):
    url = entry_url(spin, weekday=clocks_forward.isoweekday() % 7 + 1, capacity="1")
    assert queries_to_preview(manager_client, url) == ENTRY_PREVIEW_QUERIES
    for scheduled in ScheduledClass.objects.filter(timetable_entry=spin):
        ClassBookingFactory.create_batch(2, scheduled_class=scheduled, member__home_branch=spin.branch)
    assert "no longer in the timetable" in manager_client.get(url).content.decode()
    assert queries_to_preview(manager_client, url) == ENTRY_PREVIEW_QUERIES
