"""Fifty people after the last places at once, each on a connection of their own.

The data is committed (other connections must see it) and removed afterwards. A control test
installs an engine without the lock in the test database and shows the race really happens, so
the main tests can fail.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter
from contextlib import contextmanager

import pytest
from django.db import connection, connections

from audit.services import Actor
from bookings.services import booking_create
from bookings.tests.conftest import tomorrow_at
from config.errors import RuleViolation
from config.testing import committed_connection

pytestmark = pytest.mark.django_db

ATTEMPTS = 50
CAPACITY = 5
ALREADY_TAKEN = 3  # so that two places are left


class CommittedClub:
    def __init__(self):
        self.org, self.branch, self.facility = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        self.slot, self.scheduled_class = uuid.uuid4(), uuid.uuid4()
        self.members = [(uuid.uuid4(), uuid.uuid4()) for _ in range(ATTEMPTS + ALREADY_TAKEN)]  # (member, auth user)
        with committed_connection() as db:
            db.execute(
                "insert into organizations (id, name, slug) values (%s, 'Rush club', %s)",
                [self.org, f"rush-{self.org}"],
            )
            db.execute(
                "insert into branches (id, organization_id, name, time_zone, address)"
                " values (%s, %s, 'Rush', 'Europe/London', '')",
                [self.branch, self.org],
            )
            db.execute(
                "insert into facilities (id, organization_id, branch_id, name, kind, capacity)"
                " values (%s, %s, %s, 'Sauna', 'sauna', %s)",
                [self.facility, self.org, self.branch, CAPACITY],
            )
            db.execute(
                "insert into benefit_slots (id, organization_id, facility_id, starts_at, ends_at, capacity)"
                " values (%s, %s, %s, %s, %s, %s)",
                [self.slot, self.org, self.facility, tomorrow_at(10), tomorrow_at(10, 30), CAPACITY],
            )
            db.execute(
                "insert into classes (id, organization_id, branch_id, title, instructor, starts_at, ends_at, capacity)"
                " values (%s, %s, %s, 'Spin', '', %s, %s, %s)",
                [self.scheduled_class, self.org, self.branch, tomorrow_at(12), tomorrow_at(13), CAPACITY],
            )
            for number, (member, auth_user) in enumerate(self.members):
                db.execute(
                    "insert into members (id, organization_id, home_branch_id, auth_user_id, member_number,"
                    " first_name, last_name, email, phone) values (%s, %s, %s, %s, %s, 'Rush', %s, '', '')",
                    [member, self.org, self.branch, auth_user, f"R{number}", f"Member {number}"],
                )
            for member, _ in self.members[:ALREADY_TAKEN]:
                for table, column, item in (("benefit_bookings", "slot_id", self.slot),
                                            ("class_bookings", "class_id", self.scheduled_class)):  # fmt: skip
                    db.execute(
                        f"insert into {table} (id, organization_id, member_id, {column}, channel)"
                        " values (gen_random_uuid(), %s, %s, %s, 'concierge')",
                        [self.org, member, item],
                    )

    @property
    def contenders(self):
        return self.members[ALREADY_TAKEN:]

    def statuses(self, kind: str) -> Counter:
        table, column, item = (
            ("benefit_bookings", "slot_id", self.slot) if kind == "slot"
            else ("class_bookings", "class_id", self.scheduled_class)
        )  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute(f"select status, count(*) from {table} where {column} = %s group by status", [item])
            return Counter(dict(cursor.fetchall()))

    def remove(self):
        with committed_connection() as cleanup:
            cleanup.execute("set session_replication_role = replica")  # past the append-only triggers
            for table, column in [
                ("benefit_bookings", "organization_id"), ("class_bookings", "organization_id"),
                ("benefit_slots", "organization_id"), ("classes", "organization_id"),
                ("facilities", "organization_id"), ("members", "organization_id"),
                ("audit_pending", "chain"), ("audit_logs", "organization_id"),
                ("branches", "organization_id"), ("organizations", "id"),
            ]:  # fmt: skip
                cleanup.execute(f"delete from {table} where {column} = %s", [self.org])


@pytest.fixture
def rush():
    club = CommittedClub()
    yield club
    club.remove()


def all_at_once(work, arguments) -> list:
    """Run `work(argument)` in one thread per argument, released together; collect outcomes."""
    barrier = threading.Barrier(len(arguments))
    outcomes = [None] * len(arguments)

    def run(index, argument):
        try:
            barrier.wait()
            outcomes[index] = work(argument)
        except Exception as error:  # noqa: BLE001 - every outcome is inspected by the test
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, argument)) for index, argument in enumerate(arguments)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def through_the_service(rush, kind: str):
    item = rush.slot if kind == "slot" else rush.scheduled_class

    def attempt(numbered_member):
        number, (member, _) = numbered_member
        try:
            return booking_create(
                kind=kind, item_id=item, member_id=member, actor=Actor.system("rush"), channel="concierge",
                source="command", join_waitlist=number % 2 == 0,
            ).status  # fmt: skip
        except RuleViolation as refusal:
            return refusal.code

    return all_at_once(attempt, list(enumerate(rush.contenders)))


LOCK_FUNCTION = "app_private.lock_booking_rows(text, uuid, uuid)"
# Test-only SQL: the engine's lock becomes a no-op, and each booking pauses once it has counted the
# places and before its row is written, so that everyone counts before anyone books.
WITHOUT_THE_LOCK = """
create or replace function app_private.lock_booking_rows(p_kind text, p_item_id uuid, p_member_id uuid)
    returns void language sql as $$ select $$;
create function app_private.test_race_pause() returns trigger language plpgsql as $$
begin
    perform pg_sleep(0.05);
    return new;
end $$;
create trigger benefit_bookings_test_race_pause before insert on public.benefit_bookings
    for each row execute function app_private.test_race_pause();
"""


@contextmanager
def engine_without_the_lock():
    with committed_connection() as db:
        (definition,) = db.execute("select pg_get_functiondef(%s::regprocedure)", [LOCK_FUNCTION]).fetchone()
        db.execute(WITHOUT_THE_LOCK)
        db.commit()
        try:
            yield
        finally:
            db.execute(definition)
            db.execute("drop trigger benefit_bookings_test_race_pause on public.benefit_bookings")
            db.execute("drop function app_private.test_race_pause()")
            db.commit()


@contextmanager
def member_connection():
    with committed_connection() as db:
        db.execute("set role authenticated")
        yield db


def through_the_member_functions(rush, kind: str):
    item = rush.slot if kind == "slot" else rush.scheduled_class
    function = "book_benefit_slot" if kind == "slot" else "book_class"

    def attempt(numbered_member):
        number, (member, auth_user) = numbered_member
        claims = {"sub": str(auth_user), "role": "authenticated", "app_metadata": {"organization_id": str(rush.org)}}
        with member_connection() as db:
            try:
                db.execute("select set_config('request.jwt.claims', %s, false)", [json.dumps(claims)])
                (status,) = db.execute(
                    f"select status from public.{function}(%s, %s)", [item, number % 2 == 0]
                ).fetchone()
                db.commit()
                return status
            except Exception as error:  # noqa: BLE001
                db.rollback()
                return getattr(error, "sqlstate", str(error))

    return all_at_once(attempt, list(enumerate(rush.contenders)))


def assert_exactly_full(rush, kind: str, outcomes: list) -> None:
    statuses = rush.statuses(kind)
    assert statuses["confirmed"] == CAPACITY, (statuses, Counter(map(str, outcomes)))
    booked_now = sum(1 for outcome in outcomes if outcome == "confirmed")
    assert booked_now == CAPACITY - ALREADY_TAKEN
    # "busy": on a loaded machine a booking may wait past the lock timeout; it is told to try
    # again and writes nothing, which the counts above hold to
    assert all(outcome in ("confirmed", "waitlisted", "full", "CB008", "busy", "55P03") for outcome in outcomes), (
        Counter(map(str, outcomes))
    )
    assert statuses["waitlisted"] == sum(1 for outcome in outcomes if outcome == "waitlisted")


@pytest.mark.parametrize("kind", ["slot", "class"])
def test_fifty_concurrent_service_bookings_fill_exactly_the_last_places(rush, kind):
    assert_exactly_full(rush, kind, through_the_service(rush, kind))


@pytest.mark.parametrize("kind", ["slot", "class"])
def test_fifty_concurrent_member_app_bookings_fill_exactly_the_last_places(rush, kind):
    assert_exactly_full(rush, kind, through_the_member_functions(rush, kind))


def test_without_the_lock_the_race_overbooks(rush):
    """The control: the same rush through an engine without the lock does overbook, so the tests
    above would catch a lost lock."""
    with engine_without_the_lock():
        through_the_member_functions(rush, "slot")
    assert rush.statuses("slot")["confirmed"] > CAPACITY


def test_a_request_that_cannot_get_the_lock_in_time_is_told_to_try_again(rush):
    """Someone holds the slot (a long booking transaction elsewhere): no hanging, a clear answer."""
    member, _ = rush.contenders[0]
    other_member, _ = rush.contenders[1]
    with committed_connection() as holder:
        # another booking of the same slot, in progress: it holds the slot's lock
        holder.execute("select app_private.lock_booking_rows('slot', %s, %s)", [rush.slot, other_member])
        with pytest.raises(RuleViolation) as refusal:
            booking_create(kind="slot", item_id=rush.slot, member_id=member, actor=Actor.system("t"),
                           channel="concierge", source="command")  # fmt: skip
        holder.rollback()
    assert refusal.value.code == "busy"
    assert refusal.value.message == "Someone else is booking this right now; try again in a moment."
