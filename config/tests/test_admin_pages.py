"""Every admin page of the club's models renders for a manager, with a number of queries that
does not grow with the number of rows, and its forms refuse whatever the tables refuse."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.tests.factories import AuditLogFactory
from bookings.tests.factories import BenefitBookingFactory, ClassBookingFactory
from classes.models import ClassTimetableEntry, ScheduledClass
from classes.tests.factories import ClassTimetableEntryFactory, ScheduledClassFactory
from clubs.models import Branch, Organization
from clubs.tests.admin_forms import form_errors, submitted_form
from clubs.tests.factories import BranchFactory, OrganizationFactory
from facilities.models import BenefitSetting, BenefitSlot, Facility
from facilities.tests.factories import BenefitSettingFactory, BenefitSlotFactory, ClosureFactory, FacilityFactory
from members.models import BenefitKind, Entitlement, Member
from members.tests.factories import EntitlementFactory, MemberFactory

pytestmark = pytest.mark.django_db

CLUB_APPS = {"clubs", "members", "facilities", "classes", "bookings", "audit"}
CLUB_MODELS = sorted(
    (model for model in admin.site._registry if model._meta.app_label in CLUB_APPS),
    key=lambda model: model._meta.label,
)
MAX_QUERIES_PER_PAGE = 15
# Written only by the services; not even a superuser adds or edits rows by hand.
READ_ONLY_MODELS = {"audit.AuditLog"}
# Made in the concierge flow: their add page leads there (its steps are tested in bookings/).
CONCIERGE_MODELS = {"bookings.BenefitBooking", "bookings.ClassBooking"}


def add_rows_of_every_kind() -> None:
    BenefitBookingFactory(capacity_override=True, override_reason_code="medical", override_reason="Physio referral")
    ClassBookingFactory()
    EntitlementFactory()
    BenefitSettingFactory()
    ClassTimetableEntryFactory()
    ClosureFactory()
    AuditLogFactory()


def queries_to_render(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return len(queries)


def admin_url(model, page: str) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}")


@pytest.mark.parametrize("model", CLUB_MODELS, ids=lambda model: model._meta.label)
def test_changelist_renders_with_a_bounded_number_of_queries(manager_client, model):
    url = admin_url(model, "changelist")
    add_rows_of_every_kind()
    with_few_rows = queries_to_render(manager_client, url)
    for _ in range(4):
        add_rows_of_every_kind()
    with_more_rows = queries_to_render(manager_client, url)

    assert with_more_rows == with_few_rows, "a query per row: add list_select_related or an annotation"
    assert with_more_rows <= MAX_QUERIES_PER_PAGE


@pytest.mark.parametrize("model", CLUB_MODELS, ids=lambda model: model._meta.label)
def test_add_page_renders_for_whoever_may_add(manager, manager_client, admin_client, model):
    url = admin_url(model, "add")
    add_rows_of_every_kind()
    if model._meta.label in READ_ONLY_MODELS:
        assert admin_client.get(url).status_code == 403
        return
    if model._meta.label in CONCIERGE_MODELS:
        assert manager_client.get(url)["Location"] == reverse("admin:bookings_concierge_member")
        return
    manager_may_add = manager.has_perm(f"{model._meta.app_label}.add_{model._meta.model_name}")
    client = manager_client if manager_may_add else admin_client
    assert queries_to_render(client, url) <= MAX_QUERIES_PER_PAGE


@pytest.mark.parametrize("model", CLUB_MODELS, ids=lambda model: model._meta.label)
def test_change_page_renders_for_a_manager(manager_client, model):
    add_rows_of_every_kind()
    row = model.objects.first()
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[row.pk])
    assert queries_to_render(manager_client, url) <= MAX_QUERIES_PER_PAGE


# Every CHECK and UNIQUE constraint of the tables the admin edits, broken through the admin's own
# change form: each must come back as a form error in plain words, never an IntegrityError (a 500)
# or the constraint's name. A new constraint without a case here fails the first test below.
ADMIN_EDITED_TABLES = [
    "organizations",
    "branches",
    "members",
    "entitlements",
    "facilities",
    "benefit_settings",
    "benefit_slots",
    "classes",
    "class_timetable",
]
# The (id, organization) keys composite foreign keys point at: no form shows an id.
UNREACHABLE_SUFFIX = "_id_organization_key"


@dataclass
class World:
    organization: Organization
    other_organization: Organization
    branch: Branch
    other_branch: Branch
    member: Member
    other_member: Member
    entitlement: Entitlement
    facility: Facility
    other_facility: Facility
    settings: BenefitSetting
    slot: BenefitSlot
    other_slot: BenefitSlot
    scheduled_class: ScheduledClass
    timetable_entry: ClassTimetableEntry


@pytest.fixture
def world(db) -> World:
    organization, other_organization = OrganizationFactory(), OrganizationFactory()
    branch, other_branch = BranchFactory(organization=organization), BranchFactory(organization=organization)
    member, other_member = (MemberFactory(home_branch=branch, auth_user_id=uuid.uuid4()) for _ in range(2))
    entitlement = EntitlementFactory(member=member, benefit_kind=BenefitKind.RECOVERY)
    EntitlementFactory(member=member, benefit_kind=BenefitKind.CLASS)
    facility, other_facility = FacilityFactory(branch=branch), FacilityFactory(branch=branch)
    settings = BenefitSettingFactory(facility=facility)
    BenefitSettingFactory(facility=other_facility)
    slot, other_slot = BenefitSlotFactory(facility=facility), BenefitSlotFactory(facility=facility)
    scheduled_class = ScheduledClassFactory(branch=branch)
    timetable_entry = ClassTimetableEntryFactory(branch=branch)
    return World(
        organization, other_organization, branch, other_branch, member, other_member, entitlement,
        facility, other_facility, settings, slot, other_slot, scheduled_class, timetable_entry,
    )  # fmt: skip


@dataclass(frozen=True)
class Breach:
    """Edit `row` of the world through its change page, with `changes` (values, or a function of
    the world and of a reader of another row's form), and expect an error on `field`."""

    row: str
    changes: dict | Callable[[World, Callable], dict]
    field: str = "__all__"


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def times_of(form: dict, *names: str, renamed: dict | None = None) -> dict:
    """The inputs of the named date-time fields, whatever widgets show them (one input or two)."""
    renamed = renamed or {}
    return {
        next((key.replace(old, new) for old, new in renamed.items() if key.startswith(old)), key): value
        for key, value in form.items()
        if key.startswith(names)
    }


BREACHES = {
    "class_timetable_title_not_blank": Breach("timetable_entry", {"title": "   "}, "title"),
    "class_timetable_capacity_positive": Breach("timetable_entry", {"capacity": "0"}, "capacity"),
    "class_timetable_capacity_check": Breach("timetable_entry", {"capacity": "-1"}, "capacity"),
    "class_timetable_weekday_iso": Breach("timetable_entry", {"weekday": "8"}, "weekday"),
    "class_timetable_weekday_check": Breach("timetable_entry", {"weekday": "-1"}, "weekday"),
    "class_timetable_duration_range": Breach("timetable_entry", {"duration_minutes": "0"}, "duration_minutes"),
    "class_timetable_duration_minutes_check": Breach("timetable_entry", {"duration_minutes": "-1"}, "duration_minutes"),
    "class_timetable_valid_until_after_from": Breach("timetable_entry", {"valid_until": "2000-01-01"}, "valid_until"),
    "organizations_name_not_blank": Breach("organization", {"name": "   "}, "name"),
    "organizations_slug_key": Breach("organization", lambda w, read: {"slug": w.other_organization.slug}, "slug"),
    "branches_name_not_blank": Breach("branch", {"name": " "}, "name"),
    "branches_name_unique_per_org": Breach("branch", lambda w, read: {"name": w.other_branch.name}),
    "branches_time_zone_known": Breach("branch", {"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
    "members_auth_user_id_key": Breach(
        "member", lambda w, read: {"auth_user_id": str(w.other_member.auth_user_id)}, "auth_user_id"
    ),
    "members_number_unique_per_org": Breach("member", lambda w, read: {"member_number": w.other_member.member_number}),
    "members_number_not_blank": Breach("member", {"member_number": ""}, "member_number"),
    "members_status_valid": Breach("member", {"status": "gone"}, "status"),
    "members_first_name_not_blank": Breach("member", {"first_name": "  "}, "first_name"),
    "members_last_name_not_blank": Breach("member", {"last_name": "  "}, "last_name"),
    "members_phone_valid": Breach("member", {"phone": "call reception"}, "phone"),
    "entitlements_one_per_kind": Breach("entitlement", {"benefit_kind": BenefitKind.CLASS}),
    "entitlements_quota_positive": Breach("entitlement", {"quota": "0"}, "quota"),
    "entitlements_quota_check": Breach("entitlement", {"quota": "-1"}, "quota"),
    "entitlements_period_valid": Breach("entitlement", {"period": "year"}, "period"),
    "entitlements_kind_valid": Breach("entitlement", {"benefit_kind": "spa"}, "benefit_kind"),
    "facilities_name_not_blank": Breach("facility", {"name": "\t"}, "name"),
    "facilities_name_unique_per_branch": Breach("facility", lambda w, read: {"name": w.other_facility.name}),
    "facilities_capacity_positive": Breach("facility", {"capacity": "0"}, "capacity"),
    "facilities_capacity_check": Breach("facility", {"capacity": "-1"}, "capacity"),
    "facilities_kind_valid": Breach("facility", {"kind": "pool"}, "kind"),
    "facilities_available_days_are_weekdays": Breach("facility", {"available_days": ["1", "8"]}, "available_days"),
    "benefit_settings_facility_id_key": Breach(
        "settings", lambda w, read: {"facility": str(w.other_facility.pk)}, "facility"
    ),
    "benefit_settings_closes_after_opens": Breach("settings", {"opens_at": "10:00", "closes_at": "09:00"}, "closes_at"),
    "benefit_settings_slot_length_valid": Breach("settings", {"slot_minutes": "0"}, "slot_minutes"),
    "benefit_settings_slot_minutes_check": Breach("settings", {"slot_minutes": "-1"}, "slot_minutes"),
    "benefit_settings_capacity_positive": Breach("settings", {"capacity": "0"}, "capacity"),
    "benefit_settings_capacity_check": Breach("settings", {"capacity": "-1"}, "capacity"),
    "benefit_settings_window_at_most_a_year": Breach("settings", {"booking_window_days": "366"}, "booking_window_days"),
    "benefit_settings_booking_window_days_check": Breach(
        "settings", {"booking_window_days": "-1"}, "booking_window_days"
    ),
    "benefit_settings_cancellation_cutoff_minutes_check": Breach(
        "settings", {"cancellation_cutoff_minutes": "-1"}, "cancellation_cutoff_minutes"
    ),
    "benefit_slots_unique_start": Breach("other_slot", lambda w, read: times_of(read(w.slot), "starts_at", "ends_at")),
    "benefit_slots_ends_after_start": Breach(
        "slot", lambda w, read: times_of(read(w.slot), "starts_at", renamed={"starts_at": "ends_at"}), "ends_at"
    ),
    "benefit_slots_capacity_positive": Breach("slot", {"capacity": "0"}, "capacity"),
    "classes_title_not_blank": Breach("scheduled_class", {"title": "   "}, "title"),
    "classes_ends_after_start": Breach(
        "scheduled_class",
        lambda w, read: times_of(read(w.scheduled_class), "starts_at", renamed={"starts_at": "ends_at"}),
        "ends_at",
    ),
    "classes_capacity_positive": Breach("scheduled_class", {"capacity": "0"}, "capacity"),
    "classes_capacity_check": Breach("scheduled_class", {"capacity": "-1"}, "capacity"),
}


def table_constraints() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "select conname from pg_constraint where contype in ('c', 'u') and conrelid::regclass::text = any(%s)",
            [ADMIN_EDITED_TABLES],
        )
        return {name for (name,) in cursor.fetchall() if not name.endswith(UNREACHABLE_SUFFIX)}


def test_each_rule_of_the_admin_edited_tables_has_a_form_breach_below(db):
    assert table_constraints() == set(BREACHES), "a constraint the admin's forms were not tested against (or gone)"


@pytest.mark.parametrize("constraint", sorted(BREACHES))
def test_admin_form_refuses_a_breach_with_a_plain_error_on_its_field(admin_client, world, constraint):
    breach = BREACHES[constraint]
    row = getattr(world, breach.row)

    def read(obj) -> dict:
        return submitted_form(admin_client.get(change_url(obj)).content.decode())

    form = read(row)
    changes = breach.changes(world, read) if callable(breach.changes) else breach.changes
    assert set(changes) <= set(form), f"no such inputs on the page: {set(changes) - set(form)}"

    response = admin_client.post(change_url(row), {**form, **changes})

    assert response.status_code == 200, "saved (or failed) instead of showing the form again"
    errors = form_errors(response)
    assert breach.field in errors, errors
    assert constraint not in response.content.decode()
    assert "violated" not in str(errors)
