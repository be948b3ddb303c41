"""The managers' audit pages: filters, the before/after page, exports, and admin edits recorded."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from audit import admin as audit_admin
from audit.models import AuditAction, AuditLog
from audit.tests.factories import AuditLogFactory
from clubs.tests.factories import BranchFactory
from facilities.tests.factories import BenefitSettingFactory, FacilityFactory
from members.tests.factories import MemberFactory

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
        "capacity": 8,
        "settings-TOTAL_FORMS": 1,
        "settings-INITIAL_FORMS": 1,
        "settings-MIN_NUM_FORMS": 0,
        "settings-MAX_NUM_FORMS": 1,
        "settings-0-id": settings.pk,
        "settings-0-facility": facility.pk,
        "settings-0-opens_at": "07:00",
        "settings-0-closes_at": "22:00",
        "settings-0-slot_minutes": 30,
        "settings-0-booking_window_days": 7,
        "settings-0-cancellation_cutoff_minutes": 120,
    }
    response = manager_client.post(url, form, HTTP_USER_AGENT="FrontDeskBrowser/1.0")
    assert response.status_code == 302, response.context["adminform"].form.errors

    facility_entry = AuditLog.objects.get(action="facility.updated")
    assert facility_entry.old_values == {"capacity": 6, "under_maintenance": False}
    assert facility_entry.new_values == {"capacity": 8, "under_maintenance": True}
    assert (facility_entry.actor_id, facility_entry.source) == (str(manager.pk), "admin")
    assert (facility_entry.organization_id, facility_entry.branch_id) == (facility.organization_id, facility.branch_id)
    assert facility_entry.user_agent == "FrontDeskBrowser/1.0" and facility_entry.request_id
    settings_entry = AuditLog.objects.get(action="benefit_settings.updated")
    assert settings_entry.old_values == {"opens_at": "06:00:00"} and settings_entry.new_values == {
        "opens_at": "07:00:00"
    }


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
