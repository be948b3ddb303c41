import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from access.staff_groups import FRONT_DESK, FRONT_DESK_PERMISSIONS, MANAGER, MANAGER_PERMISSIONS, apply_staff_groups
from audit.tests.factories import AuditLogFactory
from facilities.tests.factories import FacilityFactory

pytestmark = pytest.mark.django_db


def permissions_of(group_name: str) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def test_migrations_create_both_groups_with_exactly_their_permissions():
    assert permissions_of(FRONT_DESK) == set(FRONT_DESK_PERMISSIONS)
    assert permissions_of(MANAGER) == set(MANAGER_PERMISSIONS)


def test_applying_the_groups_again_changes_nothing():
    from django.apps import apps

    models_modules = [app_config.models_module for app_config in apps.get_app_configs()]
    apply_staff_groups(apps)
    assert permissions_of(FRONT_DESK) == set(FRONT_DESK_PERMISSIONS)
    assert Group.objects.filter(name__in=[FRONT_DESK, MANAGER]).count() == 2
    # the registry as it was: `migrate` sends pre_migrate (born-private tables) to apps with models
    assert [app_config.models_module for app_config in apps.get_app_configs()] == models_modules


def test_front_desk_books_and_cancels_but_neither_overrides_nor_exports(front_desk):
    for permission in [
        "members.view_member",
        "facilities.view_benefitslot",
        "classes.view_scheduledclass",
        "bookings.add_benefitbooking",
        "bookings.change_benefitbooking",
        "bookings.add_classbooking",
        "bookings.change_classbooking",
    ]:
        assert front_desk.has_perm(permission), permission
    for permission in [
        "bookings.override_capacity",
        "audit.export_auditlog",
        "audit.view_auditlog",
        "facilities.change_facility",
        "members.change_member",
    ]:
        assert not front_desk.has_perm(permission), permission


def test_manager_may_also_override_edit_facilities_and_export(manager):
    for permission in [
        *FRONT_DESK_PERMISSIONS,
        "bookings.override_capacity",
        "facilities.change_facility",
        "facilities.change_benefitsetting",
        "audit.view_auditlog",
        "audit.export_auditlog",
    ]:
        assert manager.has_perm(permission), permission


def test_front_desk_sees_facilities_but_cannot_edit_them(front_desk_client):
    facility = FacilityFactory()
    change_url = reverse("admin:facilities_facility_change", args=[facility.pk])
    page = front_desk_client.get(change_url)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content  # a view-only page
    assert front_desk_client.post(change_url, {"name": "Renamed"}).status_code == 403


def test_audit_trail_is_for_managers_only(front_desk_client, manager_client):
    AuditLogFactory()
    url = reverse("admin:audit_auditlog_changelist")
    assert front_desk_client.get(url).status_code == 403
    assert manager_client.get(url).status_code == 200
