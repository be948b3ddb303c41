"""The access matrix: every actor against every exposed table, for SELECT, INSERT, UPDATE and
DELETE, acting exactly as PostgREST does (`set local role` plus the claims JSON).

Each cell is one of: the set of rows the actor sees, "allowed", "42501" (no privilege), or
"rls" (the row is refused by a policy, which PostgreSQL also reports as 42501).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.db import DatabaseError, connection

from access.registry import collect_declarations
from access.selectors import read_live_state
from access.tests.postgrest import PERMISSION_DENIED, acting_as, sqlstate
from audit.tests.factories import AuditLogFactory
from bookings.models import BookingChannel
from bookings.tests.factories import BenefitBookingFactory, ClassBookingFactory
from classes.tests.factories import ScheduledClassFactory
from clubs.tests.factories import BranchFactory
from config.access_declaration import SERVICE_ROLE
from facilities.tests.factories import BenefitSettingFactory, BenefitSlotFactory, FacilityFactory, next_half_hour
from members.tests.factories import EntitlementFactory, MemberFactory

pytestmark = pytest.mark.django_db

DENIED, RLS, ALLOWED = "42501", "rls", "allowed"

# Which rows of a table a member may read: those of their organization, or their own.
ORGANIZATION_ROWS = {
    "organizations": "id",
    "branches": "organization_id",
    "facilities": "organization_id",
    "benefit_settings": "organization_id",
    "benefit_slots": "organization_id",
    "classes": "organization_id",
    "closures": "organization_id",
}
OWN_ROWS = {
    "members": "id",
    "entitlements": "member_id",
    "benefit_bookings": "member_id",
    "class_bookings": "member_id",
}
# Members may insert these (a booking for themselves); nothing else.
MEMBER_INSERTS = {"benefit_bookings": "slot_id", "class_bookings": "class_id"}
# No API role may touch these, the server side included: Django's password hashes, sessions, tokens…
CLOSED = {table.name for table in collect_declarations().tables.values() if not table.privileges_of(SERVICE_ROLE)}
# What the server side may do with each table: all of it, append only (the audit trail), or read
# only (the audit chain's seals and queue, which only seal_audit, as the tables' owner, writes).
SERVICE_PRIVILEGES = {table.name: table.privileges_of(SERVICE_ROLE) for table in collect_declarations().tables.values()}


def service_may(table: str, action: str) -> bool:
    return action in SERVICE_PRIVILEGES.get(table, {"SELECT", "INSERT", "UPDATE", "DELETE"})


@dataclass
class World:
    """Two organizations; A and B are members of the first, C of the second."""

    org1: object
    org2: object
    member_a: object
    member_b: object
    member_c: object
    free_slot: dict  # organization id -> a slot nobody booked
    free_class: dict


def build_world() -> World:
    worlds = {}
    for key in ("org1", "org2"):
        branch = BranchFactory()
        facility = FacilityFactory(branch=branch)
        BenefitSettingFactory(facility=facility)
        # Explicit times, a day apart: the members' bookings must not clash with one another.
        slot_time = next_half_hour(days_ahead=1).replace(hour=10)
        slot = BenefitSlotFactory(
            facility=facility, starts_at=slot_time, ends_at=slot_time + datetime.timedelta(minutes=30)
        )
        class_time = next_half_hour(days_ahead=2).replace(hour=10)
        scheduled = ScheduledClassFactory(
            branch=branch, starts_at=class_time, ends_at=class_time + datetime.timedelta(minutes=45)
        )
        members = [
            MemberFactory(home_branch=branch, auth_user_id=f"00000000-0000-4000-8000-00000000{n}{len(worlds)}00")
            for n in range(1, 3)
        ]
        for member in members:
            EntitlementFactory(member=member)
            BenefitBookingFactory(slot=slot, member=member)
            ClassBookingFactory(scheduled_class=scheduled, member=member)
        AuditLogFactory(organization=branch.organization)
        # Free places on another day, so that booking them clashes with nothing the members hold.
        later = next_half_hour(days_ahead=3).replace(hour=10)
        free_slot = BenefitSlotFactory(
            facility=facility, starts_at=later, ends_at=later + datetime.timedelta(minutes=30)
        )
        free_class = ScheduledClassFactory(
            branch=branch, starts_at=later + datetime.timedelta(hours=2), ends_at=later + datetime.timedelta(hours=3)
        )
        worlds[key] = (branch.organization, members, free_slot, free_class)
    (org1, (a, b), slot1, class1), (org2, (c, _), slot2, class2) = worlds["org1"], worlds["org2"]
    return World(org1, org2, a, b, c, {org1.id: slot1, org2.id: slot2}, {org1.id: class1, org2.id: class2})


@dataclass(frozen=True)
class Actor:
    role: str
    member: str | None  # which member the token is for
    organization: str | None  # which organization the token carries, and where
    claim_place: str = "app_metadata.organization_id"


ACTORS = {
    "anon": Actor("anon", None, None),
    "member": Actor("authenticated", "member_a", "org1"),
    "same_org_member": Actor("authenticated", "member_b", "org1"),
    "other_org_member": Actor("authenticated", "member_c", "org2"),
    "legacy_claim_name": Actor("authenticated", "member_a", "org1", "app_metadata.org_id"),
    "org_in_user_metadata_only": Actor("authenticated", "member_a", "org1", "user_metadata.organization_id"),
    "no_organization_claim": Actor("authenticated", "member_a", None),
    "service_role": Actor("service_role", None, None),
}


def claims_for(actor: Actor, world: World) -> dict:
    claims = {"role": actor.role, "aud": actor.role}
    if actor.member:
        claims["sub"] = str(getattr(world, actor.member).auth_user_id)
    if actor.organization:
        place, name = actor.claim_place.split(".")
        claims[place] = {name: str(getattr(world, actor.organization).id)}
    return claims


def effective_member_and_org(actor: Actor, world: World):
    """Whom the database should recognise: user_metadata never counts."""
    if actor.role != "authenticated" or actor.organization is None or actor.claim_place.startswith("user_metadata"):
        return None, None
    return getattr(world, actor.member), getattr(world, actor.organization)


def insertable_columns(table: str) -> str:
    """The columns an INSERT may name (generated ones may not), for a privilege probe."""
    with connection.cursor() as cursor:
        cursor.execute(
            "select string_agg(quote_ident(attname), ', ' order by attnum) from pg_attribute"
            " where attrelid = %s::regclass and attnum > 0 and not attisdropped and attgenerated = ''",
            [f"public.{table}"],
        )
        return cursor.fetchone()[0]


def exposed_tables() -> dict[str, str]:
    """Every table and view PostgREST exposes, with its primary key column."""
    relations = [name for name, relation in read_live_state().relations.items() if relation.relkind != "S"]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            select c.oid::regclass::text, a.attname from pg_index i
            join pg_class c on c.oid = i.indrelid
            join pg_attribute a on a.attrelid = c.oid and a.attnum = i.indkey[0]
            where i.indisprimary and c.relnamespace = 'public'::regnamespace
            """
        )
        keys = dict(cursor.fetchall())
    return {name.split(".", 1)[1]: keys[name.split(".", 1)[1]] for name in relations}


def rows_where(table: str, key: str, condition: str = "true", params=()) -> frozenset:
    with connection.cursor() as cursor:
        cursor.execute(f"select {key}::text from public.{table} where {condition}", params)
        return frozenset(row[0] for row in cursor.fetchall())


def expected_cell(table: str, key: str, action: str, actor: Actor, world: World):
    if actor.role == "anon":
        return DENIED
    if actor.role == "service_role":
        if table in CLOSED:
            return DENIED
        if action == "SELECT":
            return rows_where(table, key)
        return ALLOWED if service_may(table, action) else DENIED
    member, organization = effective_member_and_org(actor, world)
    if action == "SELECT":
        if table in ORGANIZATION_ROWS:
            if organization is None:
                return frozenset()
            return rows_where(table, key, f"{ORGANIZATION_ROWS[table]} = %s", [organization.id])
        if table in OWN_ROWS:
            if member is None:
                return frozenset()
            return rows_where(table, key, f"{OWN_ROWS[table]} = %s", [member.id])
        return DENIED
    if action == "INSERT" and table in MEMBER_INSERTS:
        return ALLOWED if member else RLS
    return DENIED


def attempt(table: str, key: str, action: str, actor: Actor, world: World):
    try:
        with acting_as(actor.role, claims_for(actor, world)) as cursor:
            if action == "SELECT":
                cursor.execute(f"select {key}::text from public.{table}")
                return frozenset(row[0] for row in cursor.fetchall())
            if action == "INSERT" and table in MEMBER_INSERTS and actor.role == "authenticated":
                _insert_own_booking(cursor, table, actor, world)
            elif action == "INSERT":
                columns = insertable_columns(table)
                probe = f"insert into public.{table} ({columns}) select {columns} from public.{table} where false"
                cursor.execute(probe)
            elif action == "UPDATE":
                cursor.execute(f"update public.{table} set {key} = {key} where false")
            else:
                cursor.execute(f"delete from public.{table} where false")
            return ALLOWED
    except DatabaseError as error:
        assert sqlstate(error) == PERMISSION_DENIED, f"{table} {action}: {error}"
        return RLS if "row-level security" in str(error) else DENIED


def _insert_own_booking(cursor, table: str, actor: Actor, world: World) -> None:
    """What the member app sends: a booking for the token's member in the token's organization."""
    member = getattr(world, actor.member)
    item = (world.free_slot if table == "benefit_bookings" else world.free_class)[member.organization_id]
    cursor.execute(
        f"insert into public.{table} (organization_id, member_id, {MEMBER_INSERTS[table]}, channel)"
        " values (%s, %s, %s, %s)",
        [member.organization_id, member.id, item.id, BookingChannel.MEMBER_APP],
    )


@pytest.mark.parametrize("actor_name", ACTORS)
def test_access_matrix(actor_name):
    world = build_world()
    actor = ACTORS[actor_name]
    expected, actual = {}, {}
    for table, key in sorted(exposed_tables().items()):
        for action in ("SELECT", "INSERT", "UPDATE", "DELETE"):
            expected[(table, action)] = expected_cell(table, key, action, actor, world)
            actual[(table, action)] = attempt(table, key, action, actor, world)
    wrong = {
        cell: (f"expected {expected[cell]}", f"got {actual[cell]}")
        for cell in expected
        if expected[cell] != actual[cell]
    }
    assert not wrong, wrong
    # The matrix must not pass vacuously: members see their rows, the others see some too.
    if actor_name in ("member", "legacy_claim_name", "service_role"):
        assert expected[("benefit_bookings", "SELECT")]


def test_a_member_cannot_set_a_capacity_override():
    world = build_world()
    member = world.member_a
    slot = world.free_slot[member.organization_id]
    with pytest.raises(DatabaseError) as refusal:
        with acting_as("authenticated", claims_for(ACTORS["member"], world)) as cursor:
            cursor.execute(
                "insert into public.benefit_bookings"
                " (organization_id, member_id, slot_id, channel, capacity_override, override_reason)"
                " values (%s, %s, %s, 'member_app', true, 'I am a VIP')",
                [member.organization_id, member.id, slot.id],
            )
    assert sqlstate(refusal.value) == PERMISSION_DENIED
    assert "permission denied" in str(refusal.value)


def test_a_member_cannot_book_for_another_member():
    world = build_world()
    slot = world.free_slot[world.org1.id]
    with pytest.raises(DatabaseError) as refusal:
        with acting_as("authenticated", claims_for(ACTORS["member"], world)) as cursor:
            cursor.execute(
                "insert into public.benefit_bookings (organization_id, member_id, slot_id, channel)"
                " values (%s, %s, %s, 'member_app')",
                [world.org1.id, world.member_b.id, slot.id],
            )
    assert "row-level security" in str(refusal.value)


def test_a_member_cannot_book_into_another_organization():
    world = build_world()
    foreign_slot = world.free_slot[world.org2.id]
    with pytest.raises(DatabaseError) as refusal:
        with acting_as("authenticated", claims_for(ACTORS["member"], world)) as cursor:
            cursor.execute(
                "insert into public.benefit_bookings (organization_id, member_id, slot_id, channel)"
                " values (%s, %s, %s, 'member_app')",
                [world.org2.id, world.member_a.id, foreign_slot.id],
            )
    # A row of another organization is not the member's to write: refused before any rule answers.
    assert sqlstate(refusal.value) == "42501"


def test_djangos_tables_are_closed_to_every_api_role():
    """Password hashes, sessions, API tokens, failed sign-ins and the admin log are out of reach of
    the anon key, a member's token and the service key alike (the matrix above checks every action)."""
    closed = {"auth_user", "django_session", "staff_api_tokens", "axes_accessattempt", "django_admin_log"}
    assert closed | {"django_migrations"} <= CLOSED
    world = build_world()
    for actor_name in ("anon", "member", "service_role"):
        for table in ("auth_user", "django_session", "staff_api_tokens", "axes_accessattempt"):
            assert attempt(table, "1", "SELECT", ACTORS[actor_name], world) == DENIED, (actor_name, table)


def test_service_role_meets_no_permission_denied_on_any_open_table():
    world = build_world()
    actor = ACTORS["service_role"]
    for table, key in exposed_tables().items():
        if table in CLOSED:
            continue
        for action in ("SELECT", "INSERT", "UPDATE", "DELETE"):
            if service_may(table, action):
                assert attempt(table, key, action, actor, world) != DENIED, (table, action)
