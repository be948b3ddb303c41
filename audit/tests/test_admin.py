"""The managers' audit pages: filters, the before/after page, exports, and admin edits recorded."""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit import admin as audit_admin
from audit.models import AuditAction, AuditLog
from audit.tests.factories import AuditLogFactory
from bookings.tests.factories import BenefitBookingFactory, ClassBookingFactory
from clubs.localtime import local_datetime
from clubs.tests.factories import BranchFactory
from facilities.tests.factories import BenefitSettingFactory, FacilityFactory
from members.tests.factories import EntitlementFactory, MemberFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:audit_auditlog_changelist")


def export_url(export_format: str) -> str:
    return reverse("admin:audit_auditlog_export", args=[export_format])


def listed_ids(response) -> set[str]:
    return {str(entry.pk) for entry in response.context["cl"].result_list}


def streamed(response) -> str:
    assert response.streaming
    return b"".join(response.streaming_content).decode()


@pytest.fixture
def trail(manager):
    """A few entries that differ in every filtered field."""
    branch = BranchFactory()
    member = MemberFactory(home_branch=branch)
    entries = {
        "booking": AuditLogFactory(
            action=AuditAction.BOOKING_CREATED,
            entity_type="booking",
            entity_id="b-1",
            actor_type="staff",
            actor_id=str(manager.pk),
            actor_label="Morgan Lead",
            member_id=member.pk,
            branch_id=branch.pk,
            organization=branch.organization,
        ),
        "facility": AuditLogFactory(action=AuditAction.FACILITY_UPDATED, entity_type="facility", entity_id="f-1"),
        "member_app": AuditLogFactory(
            action=AuditAction.BOOKING_CANCELLED, entity_type="booking", actor_type="member", actor_id="u-1"
        ),
    }
    entries["slots"] = AuditLogFactory(action=AuditAction.SLOTS_GENERATED, entity_type="slot")
    return entries, member, branch


def test_filters_find_the_right_entries(manager_client, manager, trail):
    entries, member, branch = trail
    cases = {
        "action=booking.created": {"booking"},
        "entity_type=booking": {"booking", "member_app"},
        "entity_id=f-1": {"facility"},
        f"actor=staff:{manager.pk}": {"booking"},
        "actor=member:": {"member_app"},
        f"member={member.member_number}": {"booking"},
        f"member={member.pk}": {"booking"},
        f"branch_id={branch.pk}": {"booking"},
        "member=nobody-has-this-number": set(),
    }
    for query, expected in cases.items():
        response = manager_client.get(f"{CHANGELIST}?{query}")
        assert response.status_code == 200, query
        assert listed_ids(response) == {str(entries[name].pk) for name in expected}, query


def test_date_range_filter_includes_both_days(manager_client, trail):
    entries, *_ = trail
    today = timezone.localdate().isoformat()
    response = manager_client.get(f"{CHANGELIST}?occurred_from={today}&occurred_to={today}")
    assert {str(entry.pk) for entry in entries.values()} <= listed_ids(response)
    response = manager_client.get(f"{CHANGELIST}?occurred_to=2000-01-01")
    assert listed_ids(response) == set()


def test_the_count_stops_at_a_cap(manager_client, trail, monkeypatch):
    monkeypatch.setattr(audit_admin.CappedCountPaginator, "cap", 2)
    page = manager_client.get(CHANGELIST).content.decode()
    assert "More than 2 entries" in page


def test_the_detail_page_shows_before_and_after(manager_client):
    entry = AuditLogFactory(old_values={"under_maintenance": False}, new_values={"under_maintenance": True})
    page = manager_client.get(reverse("admin:audit_auditlog_change", args=[entry.pk])).content.decode()
    assert '<table class="audit-change">' in page
    assert "<tr><th>under_maintenance</th><td>False</td><td>True</td></tr>" in page


def test_export_button_is_for_managers_only(manager_client, front_desk_client, trail):
    assert "Export CSV" in manager_client.get(CHANGELIST).content.decode()
    assert front_desk_client.get(export_url("csv")).status_code == 403


def test_front_desk_cannot_export_even_with_audit_view_permission(front_desk, front_desk_client, trail):
    from django.contrib.auth.models import Permission

    front_desk.user_permissions.add(Permission.objects.get(codename="view_auditlog"))
    assert front_desk_client.get(CHANGELIST).status_code == 200
    assert front_desk_client.get(export_url("csv")).status_code == 403
    assert "Export CSV" not in front_desk_client.get(CHANGELIST).content.decode()


def test_csv_export_is_exactly_what_the_filters_show(manager, manager_client, trail):
    query = "entity_type=booking"
    shown = listed_ids(manager_client.get(f"{CHANGELIST}?{query}"))
    response = manager_client.get(f"{export_url('csv')}?{query}")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(streamed(response))))
    assert {row["id"] for row in rows} == shown
    assert all(row["occurred_at"].endswith("Z") and "T" in row["occurred_at"] for row in rows)

    record = AuditLog.objects.filter(action=AuditAction.AUDIT_EXPORTED).get()
    assert (record.actor_type, record.actor_id, record.source) == ("staff", str(manager.pk), "admin")
    assert record.new_values == {"filters": {"entity_type": "booking"}, "format": "csv", "rows": 2, "completed": True}


@pytest.mark.parametrize("query", ["x=%00", "entity_type=booking%00", "q=" + "9" * 5000])
def test_an_export_whose_address_holds_what_the_trail_cannot_is_still_recorded(manager_client, trail, query):
    streamed(manager_client.get(f"{export_url('csv')}?{query}"))
    record = AuditLog.objects.filter(action=AuditAction.AUDIT_EXPORTED).get()
    assert record.new_values["completed"] is True
    assert all("\x00" not in value and len(value) <= 200 for value in record.new_values["filters"].values())


def test_jsonl_export_has_one_json_object_per_line(manager_client, trail):
    entries, *_ = trail
    lines = streamed(manager_client.get(f"{export_url('jsonl')}?action=booking.created")).splitlines()
    assert [json.loads(line)["id"] for line in lines] == [str(entries["booking"].pk)]
    assert json.loads(lines[0])["occurred_at"].endswith("Z")


def test_spreadsheet_formulas_are_defused(manager_client):
    AuditLogFactory(
        entity_type="member",
        entity_id='=HYPERLINK("http://x")',
        actor_label="+cmd",
        reason="-2+3",
        user_agent="@SUM(A1)",
    )
    rows = list(csv.DictReader(io.StringIO(streamed(manager_client.get(f"{export_url('csv')}?entity_type=member")))))
    (row,) = rows
    assert row["entity_id"] == '\'=HYPERLINK("http://x")'
    assert (row["actor_label"], row["reason"], row["user_agent"]) == ("'+cmd", "'-2+3", "'@SUM(A1)")


def test_command_line_export_matches_the_admin_filter(manager_client, trail, tmp_path):
    today = timezone.localdate().isoformat()
    admin_rows = streamed(manager_client.get(f"{export_url('csv')}?action=booking.created&occurred_from={today}"))
    target = tmp_path / "audit.csv"
    call_command("export_audit", "--from", today, "--to", today, "--action", "booking.created", "--output", str(target))
    assert target.read_text() == admin_rows
    exported = AuditLog.objects.filter(action=AuditAction.AUDIT_EXPORTED, source="command").get()
    assert exported.new_values["rows"] == 1


def test_editing_a_facility_in_the_admin_is_recorded(manager, manager_client):
    facility = FacilityFactory(name="Sauna", capacity=6)
    BenefitSettingFactory(facility=facility)
    settings = facility.settings
    url = reverse("admin:facilities_facility_change", args=[facility.pk])
    form = {
        "branch": facility.branch_id,
        "name": "Sauna",
        "kind": facility.kind,
        "is_active": "on",
        "under_maintenance": "on",
        "available_days": [1, 2, 3, 4, 5, 6, 7],
        "initial-available_days": [1, 2, 3, 4, 5, 6, 7],  # the browser sends the rendered initial back
        "capacity": 6,  # (a new capacity or new hours go through the schedule change's preview, tested there)
        "settings-TOTAL_FORMS": 1,
        "settings-INITIAL_FORMS": 1,
        "settings-MIN_NUM_FORMS": 0,
        "settings-MAX_NUM_FORMS": 1,
        "settings-0-id": settings.pk,
        "settings-0-facility": facility.pk,
        "settings-0-opens_at": "06:00",
        "settings-0-closes_at": "22:00",
        "settings-0-slot_minutes": 30,
        "settings-0-booking_window_days": 14,
        "settings-0-cancellation_cutoff_minutes": 120,
    }
    response = manager_client.post(url, form, HTTP_USER_AGENT="FrontDeskBrowser/1.0")
    assert response.status_code == 302, response.context["adminform"].form.errors

    facility_entry = AuditLog.objects.get(action="facility.updated")
    assert facility_entry.old_values == {"under_maintenance": False}
    assert facility_entry.new_values == {"under_maintenance": True}
    assert (facility_entry.actor_id, facility_entry.source) == (str(manager.pk), "admin")
    assert (facility_entry.organization_id, facility_entry.branch_id) == (facility.organization_id, facility.branch_id)
    assert facility_entry.user_agent == "FrontDeskBrowser/1.0" and facility_entry.request_id
    settings_entry = AuditLog.objects.get(action="benefit_settings.updated")
    assert settings_entry.old_values == {"booking_window_days": 7}
    assert settings_entry.new_values == {"booking_window_days": 14}


def test_editing_a_member_in_the_admin_is_recorded(manager_client):
    member = MemberFactory(status="active")
    url = reverse("admin:members_member_change", args=[member.pk])
    form = {
        "member_number": member.member_number,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "status": "frozen",
        "home_branch": member.home_branch_id,
        "email": member.email,
        "phone": "",
        "auth_user_id": "",
        "entitlements-TOTAL_FORMS": 1,
        "entitlements-INITIAL_FORMS": 0,
        "entitlements-MIN_NUM_FORMS": 0,
        "entitlements-MAX_NUM_FORMS": 1000,
        "entitlements-0-benefit_kind": "recovery",
        "entitlements-0-quota": 4,
        "entitlements-0-period": "week",
    }
    response = manager_client.post(url, form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    member_entry = AuditLog.objects.get(action="member.updated")
    assert (member_entry.old_values, member_entry.new_values) == ({"status": "active"}, {"status": "frozen"})
    assert member_entry.member_id == member.pk
    entitlement_entry = AuditLog.objects.get(action="entitlement.created")
    assert entitlement_entry.new_values["quota"] == 4 and entitlement_entry.member_id == member.pk


def test_a_form_that_fails_validation_records_nothing(manager_client):
    facility = FacilityFactory()
    url = reverse("admin:facilities_facility_change", args=[facility.pk])
    manager_client.post(url, {"name": "", "capacity": 0})
    assert not AuditLog.objects.filter(entity_type="facility").exists()


def test_a_negative_number_as_a_whole_value_is_defused_too(manager_client):
    AuditLogFactory(entity_type="member", old_values=-5, new_values={"quota": -1})
    (row,) = csv.DictReader(io.StringIO(streamed(manager_client.get(f"{export_url('csv')}?entity_type=member"))))
    assert (row["old_values"], row["new_values"]) == ("'-5", '{"quota": -1}')


# --- Branch clocks, names and links, refused filters ---------------------------------------------

NEW_YORK, KOLKATA, SYDNEY, CHATHAM = "America/New_York", "Asia/Kolkata", "Australia/Sydney", "Pacific/Chatham"


def utc(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.UTC)


def detail_url(entry) -> str:
    return reverse("admin:audit_auditlog_change", args=[entry.pk])


def rows(response) -> list[str]:
    """The list's rows as text, top to bottom."""
    page = response.content.decode()
    body = page[
        page.index("<tbody>", page.index('id="result_list"')) : page.index("</tbody>", page.index('id="result_list"'))
    ]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in body.split("</tr>")[:-1]]


# The test's own entries, apart from those the test database starts with (sync_grants' entry).
PROBES = f"{CHANGELIST}?entity_type=clock_probe"


def entry_at(branch, instant: str, **fields):
    return AuditLogFactory(
        occurred_at=utc(instant), branch_id=branch.pk if branch else None, entity_type="clock_probe", **fields
    )


@pytest.mark.parametrize(
    ("zone", "instant", "shown"),
    [
        (NEW_YORK, "2026-12-01T23:00", "Tue 1 Dec 2026, 18:00 EST"),
        (NEW_YORK, "2026-07-01T23:00", "Wed 1 Jul 2026, 19:00 EDT"),
        (NEW_YORK, "2026-03-08T06:30", "Sun 8 Mar 2026, 01:30 EST"),  # the spring-forward day, before
        (NEW_YORK, "2026-03-08T07:30", "Sun 8 Mar 2026, 03:30 EDT"),  # and after
        (NEW_YORK, "2026-11-01T05:30", "Sun 1 Nov 2026, 01:30 EDT"),  # the fall-back day: 01:30 twice
        (NEW_YORK, "2026-11-01T06:30", "Sun 1 Nov 2026, 01:30 EST"),
        (KOLKATA, "2026-12-01T23:00", "Wed 2 Dec 2026, 04:30 IST"),
        (SYDNEY, "2026-12-01T23:00", "Wed 2 Dec 2026, 10:00 AEDT"),  # southern summer
        (SYDNEY, "2026-04-04T15:30", "Sun 5 Apr 2026, 02:30 AEDT"),  # the day clocks go back
        (SYDNEY, "2026-04-04T16:30", "Sun 5 Apr 2026, 02:30 AEST"),
        (CHATHAM, "2026-12-01T23:00", "Wed 2 Dec 2026, 12:45 UTC+13:45"),
        (CHATHAM, "2026-06-01T23:00", "Tue 2 Jun 2026, 11:45 UTC+12:45"),
    ],
)
def test_the_list_and_the_detail_show_the_branchs_clock(manager_client, zone, instant, shown):
    entry = entry_at(BranchFactory(time_zone=zone), instant)
    (row,) = rows(manager_client.get(PROBES))
    assert row.startswith(shown)
    assert shown in manager_client.get(detail_url(entry)).content.decode()


def test_each_row_shows_its_own_branch_and_rows_sort_by_the_real_instant(manager_client):
    harbourfront = BranchFactory(time_zone=NEW_YORK, name="Harbourfront")
    riverside = BranchFactory(time_zone="Europe/London", name="Riverside")
    entry_at(harbourfront, "2026-12-01T23:00")  # 18:00 in New York, the latest instant
    entry_at(riverside, "2026-12-01T19:30")  # 19:30 in London, earlier
    entry_at(None, "2026-12-01T12:00")
    newest_first = [row[:21] for row in rows(manager_client.get(PROBES))]
    assert newest_first == ["Tue 1 Dec 2026, 18:00", "Tue 1 Dec 2026, 19:30", "Tue 1 Dec 2026, 12:00"]
    oldest_first = [row[:21] for row in rows(manager_client.get(f"{PROBES}&o=0"))]
    assert oldest_first == newest_first[::-1]


def test_an_entry_without_a_branch_is_on_the_installations_clock_labelled(manager_client, settings):
    settings.TIME_ZONE = KOLKATA
    entry = entry_at(None, "2026-12-01T23:00")
    (row,) = rows(manager_client.get(PROBES))
    assert row.startswith("Wed 2 Dec 2026, 04:30 IST")
    assert f"No branch: the installation’s zone ({KOLKATA})" in manager_client.get(detail_url(entry)).content.decode()


def test_an_entry_that_names_no_branch_is_on_its_items_branch_clock(manager_client):
    booking = BenefitBookingFactory(slot__facility__branch__time_zone=NEW_YORK)
    # A direct insert (as the member app makes) records the item's branch; entries written before
    # it did name none, and are read on their item's branch clock all the same.
    recorded = AuditLog.objects.get(entity_type="booking", entity_id=str(booking.pk))
    assert recorded.branch_id == booking.slot.facility.branch_id
    entry = AuditLogFactory(entity_type="booking", entity_id=str(booking.pk), action="booking.cancelled",
                            branch_id=None, occurred_at=recorded.occurred_at)  # fmt: skip
    new_york = entry.occurred_at.astimezone(ZoneInfo(NEW_YORK))
    for row in rows(manager_client.get(f"{CHANGELIST}?entity_type=booking")):
        assert row.startswith(f"{new_york:%a} {new_york.day} {new_york:%b %Y, %H:%M} E")  # EST or EDT


def test_instants_in_the_change_are_on_the_branchs_clock(manager_client):
    branch = BranchFactory(time_zone=NEW_YORK)
    entry = entry_at(
        branch,
        "2026-11-20T15:00",
        old_values=None,
        new_values={"starts_at": "2026-12-01T23:00:00+00:00", "from": "2026-12-01", "opens_at": "06:00:00"},
    )
    page = manager_client.get(detail_url(entry)).content.decode()
    assert '<time datetime="2026-12-01T23:00:00+00:00"' in page and "Tue 1 Dec 2026, 18:00 EST</time>" in page
    assert "<td>2026-12-01</td>" in page and "<td>06:00:00</td>" in page  # a day and a wall-clock time stay as they are
    assert "Fri 20 Nov 2026, 10:00 EST" in page  # the entry's own time


@pytest.fixture
def named_world(manager):
    """An entry for each kind of item, by a staff user, a member through the app and the system."""
    branch = BranchFactory(time_zone=NEW_YORK, name="Harbourfront")
    ada = MemberFactory(home_branch=branch, first_name="Ada", last_name="Byron", member_number="H-0042")
    grace = MemberFactory(home_branch=branch, first_name="Grace", last_name="Hopper", auth_user_id=uuid.uuid4())
    slot_booking = BenefitBookingFactory(member=ada, slot__facility__branch=branch, slot__facility__name="Cold plunge")
    class_booking = ClassBookingFactory(member=grace, scheduled_class__branch=branch, scheduled_class__title="Pilates")
    facility = slot_booking.slot.facility
    settings = BenefitSettingFactory(facility=facility)
    entitlement = EntitlementFactory(member=ada, quota=4)
    scope = {"branch_id": branch.pk, "organization": branch.organization}
    staff = {"actor_type": "staff", "actor_id": str(manager.pk), "actor_label": "Morgan Lead"}
    by_grace = {"actor_type": "member", "actor_id": str(grace.auth_user_id), "actor_label": "Grace Hopper"}
    items = {
        "slot booking": AuditLogFactory(entity_type="booking", entity_id=str(slot_booking.pk), member_id=ada.pk,
                                        **staff, **scope),
        "class booking": AuditLogFactory(entity_type="booking", entity_id=str(class_booking.pk),
                                         member_id=grace.pk, **by_grace, **scope),
        "slot": AuditLogFactory(entity_type="slot", entity_id=str(slot_booking.slot.pk), **scope),
        "class": AuditLogFactory(entity_type="class", entity_id=str(class_booking.scheduled_class.pk), **scope),
        "facility": AuditLogFactory(entity_type="facility", entity_id=str(facility.pk), **staff, **scope),
        "settings": AuditLogFactory(entity_type="benefit_settings", entity_id=str(settings.pk), **scope),
        "member": AuditLogFactory(entity_type="member", entity_id=str(ada.pk), member_id=ada.pk, **scope),
        "entitlement": AuditLogFactory(entity_type="entitlement", entity_id=str(entitlement.pk),
                                       member_id=ada.pk, **scope),
        "branch": AuditLogFactory(entity_type="branch", entity_id=str(branch.pk), **scope),
    }  # fmt: skip
    return items, slot_booking, class_booking


def admin_link(row, text: str) -> str:
    url = reverse(f"admin:{row._meta.app_label}_{row._meta.model_name}_change", args=[row.pk])
    return f'<a href="{url}">{text}</a>'


def test_the_list_names_and_links_members_users_and_items(admin_client, manager, named_world):
    items, slot_booking, class_booking = named_world
    manager.first_name, manager.last_name = "Morgan", "Lead"
    manager.save()
    page = admin_client.get(CHANGELIST).content.decode()
    slot, scheduled, ada, grace = (
        slot_booking.slot,
        class_booking.scheduled_class,
        slot_booking.member,
        class_booking.member,
    )
    slot_time, class_time = local_datetime(slot.starts_at, NEW_YORK), local_datetime(scheduled.starts_at, NEW_YORK)
    expected = [
        admin_link(ada, "Ada Byron (#H-0042)"),  # the member concerned
        admin_link(grace, f"Grace Hopper (#{grace.member_number})"),  # and as who acted, through the app
        admin_link(manager, "Morgan Lead (test-manager)"),
        admin_link(slot_booking, f"Cold plunge, {slot_time}"),
        admin_link(class_booking, f"Pilates, {class_time}"),
        admin_link(slot, f"Cold plunge, {slot_time}"),
        admin_link(scheduled, f"Pilates, {class_time}"),
        admin_link(slot.facility, "Cold plunge (Harbourfront)"),
        admin_link(slot.facility.settings, "Booking settings of Cold plunge"),
        admin_link(ada.entitlements.get(), "Ada Byron: 4 Recovery sessions per week"),
        admin_link(slot.facility.branch, "Harbourfront"),
    ]
    for link in expected:
        assert link in page
    without_links = re.sub(r'(href|datetime)="[^"]*"', "", page)
    assert not {str(entry.entity_id) for entry in items.values()} & set(re.findall(r"[0-9a-f-]{36}", without_links))


def test_links_only_to_pages_the_reader_may_open(manager_client, manager, named_world):
    page = manager_client.get(CHANGELIST).content.decode()
    assert "test-manager" in page  # managers may not open staff users' pages: the name, unlinked
    assert reverse("admin:auth_user_change", args=[manager.pk]) not in page


def test_what_is_gone_shows_the_name_the_trail_recorded(manager_client, manager):
    facility = FacilityFactory(name="Old sauna")
    facility_id = str(facility.pk)
    AuditLogFactory(action="facility.deleted", entity_type="facility", entity_id=facility_id,
                    old_values={"name": "Old sauna (Riverside)"}, new_values=None)  # fmt: skip
    AuditLogFactory(action="facility.updated", entity_type="facility", entity_id=facility_id)
    facility.delete()
    member = MemberFactory(first_name="Gone", last_name="Member", member_number="G-1")
    AuditLogFactory(action="member.deleted", entity_type="member", entity_id=str(member.pk), member_id=member.pk,
                    old_values={"name": str(member)}, new_values=None)  # fmt: skip
    AuditLogFactory(entity_type="booking", entity_id="", member_id=member.pk)
    member.delete()
    AuditLogFactory(actor_type="staff", actor_id="999999", actor_label="Gone Staffer")
    page = manager_client.get(CHANGELIST).content.decode()
    assert page.count("Old sauna (Riverside) (deleted)") == 2
    assert page.count("Gone Member (#G-1) (deleted)") == 3  # the item once, the member concerned twice
    assert "Gone Staffer (user deleted)" in page


def test_a_member_without_an_app_account_is_named_as_who_acted(manager_client):
    member = MemberFactory(first_name="Ada", last_name="Byron", auth_user_id=None)
    AuditLogFactory(actor_type="member", actor_id=str(member.pk), actor_label="Ada B.")
    page = manager_client.get(CHANGELIST).content.decode()
    assert admin_link(member, str(member)) in page


def test_the_lists_queries_do_not_grow_with_its_rows(admin_client, named_world, django_assert_num_queries):
    items, *_ = named_world
    with CaptureQueriesContext(connection) as first:
        assert admin_client.get(CHANGELIST).status_code == 200
    for entry in list(items.values()) * 2:  # as many again of each kind, twice
        AuditLogFactory(**{field: getattr(entry, field) for field in COPIED_FIELDS})
    AuditLogFactory(entity_type="facility", entity_id=str(uuid.uuid4()))  # and something gone
    with django_assert_num_queries(len(first) + 1):  # + the names recorded of what is gone
        response = admin_client.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == AuditLog.objects.count() > 3 * len(items)


COPIED_FIELDS = ["entity_type", "entity_id", "member_id", "actor_type", "actor_id", "actor_label", "branch_id"]


def test_long_notes_are_one_line_in_the_list_and_whole_on_the_detail(manager_client):
    note = "medical: " + "Physio referral after knee surgery; " * 10 + "\nSecond line with the doctor's name."
    entry = AuditLogFactory(reason=note)
    (row,) = rows(manager_client.get(f"{CHANGELIST}?entity_type=facility"))
    assert "Physio referral after knee surgery;" in row and "…" in row
    assert "Second line" not in row and len(row) < 250
    detail = manager_client.get(detail_url(entry)).content.decode()
    assert "Physio referral after knee surgery; " * 10 in detail and "Second line with the doctor" in detail


def trail_ids(trail) -> set[str]:
    return {str(entry.pk) for entry in trail[0].values()}


def filter_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_from_after_to_is_an_error_in_the_filter_not_an_empty_list(manager_client, trail):
    response = manager_client.get(f"{CHANGELIST}?occurred_from=2026-12-10&occurred_to=2026-12-01")
    assert response.status_code == 200
    page = response.content.decode()
    assert "“From” (Thu 10 Dec 2026) is after “To” (Tue 1 Dec 2026)." in page
    assert '<ul class="errorlist">' in page
    assert any("Date range" in message and "not applied" in message for message in filter_messages(response))
    assert trail_ids(trail) <= listed_ids(response)  # the range was not applied, and the list says so


@pytest.mark.parametrize(
    "query",
    [
        "occurred_from=0001-01-01",
        "occurred_to=9999-12-31",
        "occurred_to=12/31/9999",
        "occurred_from=yesterday",
        "occurred_from=2026-02-30",
        "occurred_to=" + "9" * 5000,
        "occurred_from=0001-01-01&occurred_to=9999-12-31&branch_id=" + "x",
    ],
)
def test_dates_out_of_range_or_not_dates_are_refused_with_a_message(manager_client, trail, query):
    response = manager_client.get(f"{CHANGELIST}?{query}")
    assert response.status_code == 200
    assert any("Date range" in message for message in filter_messages(response))
    assert trail_ids(trail) <= listed_ids(response)


HOSTILE_VALUES = ["%", "_", "' or 1=1 --", "x" * 5000, "-1", "99999999999999999999", "\u0000", "staff:%", "::"]
FILTER_PARAMS = ["actor", "action", "entity_type", "entity_id", "member", "branch_id", "source", "occurred_from"]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
@pytest.mark.parametrize("param", FILTER_PARAMS)
def test_no_filter_value_ends_in_an_error_page(manager_client, trail, param, value):
    response = manager_client.get(CHANGELIST, {param: value})
    assert response.status_code == 200, response.status_code
    refused = [message for message in filter_messages(response) if "not applied" in message]
    assert refused or response.context["cl"].result_count == 0  # either said so, or nothing matches
    assert "x" * 200 not in "".join(refused)  # the value is not echoed back


@pytest.mark.parametrize(
    "query", ["p=abc", "p=99999999999", "o=abc", "o=99", "e=1", "q=" + "x" * 5000, "_to_field=password"]
)
def test_the_admins_own_parameters_are_no_error_page_either(manager_client, trail, query):
    assert manager_client.get(f"{CHANGELIST}?{query}").status_code < 500


@pytest.mark.parametrize("object_id", ["not-a-uuid", "%25", "x" * 5000, "00000000-0000-4000-8000-000000000000"])
def test_a_detail_page_that_does_not_exist_is_no_error_page(manager_client, object_id):
    response = manager_client.get(f"{CHANGELIST}{object_id}/change/")
    assert response.status_code in (302, 404)


def test_a_member_number_with_wildcards_is_taken_literally(manager_client, trail):
    entries, member, _ = trail
    for pattern in ("%", "_", f"{member.member_number[:-1]}_", f"{member.member_number[:2]}%"):
        response = manager_client.get(CHANGELIST, {"member": pattern})
        assert listed_ids(response) == set(), pattern


def test_an_entity_id_that_is_not_a_uuid_finds_what_was_recorded_under_it(manager_client, trail):
    entries, *_ = trail
    assert listed_ids(manager_client.get(CHANGELIST, {"entity_id": "f-1"})) == {str(entries["facility"].pk)}


def test_days_are_the_chosen_branchs_days(manager_client):
    harbourfront = BranchFactory(time_zone=NEW_YORK)
    late_evening = entry_at(harbourfront, "2027-01-06T03:00")  # Tue 5 Jan, 22:00 in New York
    branch_days = manager_client.get(
        CHANGELIST, {"branch_id": harbourfront.pk, "occurred_from": "2027-01-05", "occurred_to": "2027-01-05"}
    )
    assert listed_ids(branch_days) == {str(late_evening.pk)}
    assert f"days ({NEW_YORK})" in branch_days.content.decode()
    installation_days = manager_client.get(CHANGELIST, {"occurred_from": "2027-01-05", "occurred_to": "2027-01-05"})
    assert listed_ids(installation_days) == set()  # 03:00 on 6 Jan in UTC


def test_nothing_is_exported_while_a_filter_is_refused(manager_client, trail):
    response = manager_client.get(f"{export_url('csv')}?occurred_from=2026-12-10&occurred_to=2026-12-01")
    assert response.status_code == 302
    assert response["Location"] == f"{CHANGELIST}?occurred_from=2026-12-10&occurred_to=2026-12-01"
    assert not AuditLog.objects.filter(action=AuditAction.AUDIT_EXPORTED).exists()
    page = manager_client.get(response["Location"])
    assert "Nothing was exported: correct the filters below first." in filter_messages(page)


def test_the_export_buttons_add_each_entrys_branch_clock_for_people(manager_client):
    entry_at(BranchFactory(time_zone=NEW_YORK), "2026-12-01T23:00")
    entry_at(BranchFactory(time_zone=CHATHAM), "2026-06-01T23:00")
    rows = csv.DictReader(io.StringIO(streamed(manager_client.get(f"{export_url('csv')}?entity_type=clock_probe"))))
    assert [(row["occurred_at"], row["occurred_at_local"]) for row in rows] == [
        ("2026-06-01T23:00:00.000000Z", "2026-06-02 11:45:00 UTC+12:45"),
        ("2026-12-01T23:00:00.000000Z", "2026-12-01 18:00:00 EST"),
    ]
    lines = streamed(manager_client.get(f"{export_url('jsonl')}?entity_type=clock_probe")).splitlines()
    assert json.loads(lines[-1])["occurred_at_local"] == "2026-12-01 18:00:00 EST"
